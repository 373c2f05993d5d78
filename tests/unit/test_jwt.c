/* test_jwt.c - auth/jwt.h: base64url (RFC 4648 §5 vectors, rejects, caps), compact JWS
 * splitting and its refusals, JWK Sets (keys it skips), and RS256 / ES256 verification of
 * tokens signed by Python's cryptography (the fuzz seeds tests/fuzz/corpus/jwt/: a token,
 * a newline, its key set), tampered and mismatched. */
#include "auth/jwt.h"

#include "check.h"

#include <stdio.h>
#include <string.h>

static long unb64(const char *in, unsigned char *out, size_t cap)
{
    return jwt_b64url_decode(span_of(in), out, cap);
}

static void test_b64url(void)
{
    unsigned char o[16];
    CHECK(unb64("", o, sizeof(o)) == 0);
    CHECK(unb64("Zg", o, sizeof(o)) == 1 && o[0] == 'f');
    CHECK(unb64("Zm8", o, sizeof(o)) == 2 && !memcmp(o, "fo", 2));
    CHECK(unb64("Zm9v", o, sizeof(o)) == 3 && !memcmp(o, "foo", 3));
    CHECK(unb64("Zm9vYg==", o, sizeof(o)) == 4 && !memcmp(o, "foob", 4));
    CHECK(unb64("-_8", o, sizeof(o)) == 2 && o[0] == 0xfb && o[1] == 0xff);
    CHECK(unb64("A", o, sizeof(o)) == -1);      /* one character cannot be a byte */
    CHECK(unb64("Zm9v+A", o, sizeof(o)) == -1); /* standard base64's alphabet */
    CHECK(unb64("Zm9v", o, 2) == -1);           /* past the cap */
}

/* The seed file name: its token and key set, split at the newline, into tok / jwks. */
static bool seed(const char *name, char *tok, size_t tcap, char *jwks, size_t jcap)
{
    char path[256], all[16384];
    snprintf(path, sizeof(path), "tests/fuzz/corpus/jwt/%s", name);
    FILE *f = fopen(path, "rb");
    if (!f) return false;
    size_t n = fread(all, 1, sizeof(all) - 1, f);
    fclose(f);
    all[n] = '\0';
    char *nl = strchr(all, '\n');
    if (!nl || (size_t)(nl - all) >= tcap || strlen(nl + 1) >= jcap) return false;
    memcpy(tok, all, (size_t)(nl - all));
    tok[nl - all] = '\0';
    memcpy(jwks, nl + 1, strlen(nl + 1) + 1);
    return true;
}

static void test_parse_refusals(void)
{
    static const char *const bad[] = {
        "",
        "abc",
        "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0",          /* two parts */
        "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln.eHg", /* four */
        "bm90IGpzb24.eyJzdWIiOiJ4In0.c2ln",              /* header not JSON */
        "eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiJ4In0.c2ln",       /* no alg */
        "eyJhbGciOiJSUzI1NiJ9.WyJ4Il0.c2ln",             /* claims not an object */
        "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",          /* alg none: no signature */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        jwt_t t;
        errbuf_t eb = {{0}};
        CHECK(jwt_parse(span_of(bad[i]), &t, &eb) == ERR_VALIDATION);
        CHECK(t.header == NULL && t.claims == NULL && t.sig == NULL);
    }
}

static void test_verify(const char *name, const char *alg)
{
    char tok[8192], jwks[8192];
    CHECK(seed(name, tok, sizeof(tok), jwks, sizeof(jwks)));
    jwt_t t;
    jwt_keys_t keys;
    errbuf_t eb = {{0}};
    CHECK(jwt_parse(span_of(tok), &t, &eb) == ERR_OK);
    CHECK_STR(t.alg, alg);
    CHECK(jwt_keys_parse(span_of(jwks), &keys, &eb) == ERR_OK);
    const jwt_key_t *k = jwt_keys_find(&keys, &t);
    CHECK(k && jwt_verify(&t, k));
    /* every other key of the set refuses it (another algorithm or another key) */
    for (size_t i = 0; i < keys.n; i++)
        if (&keys.v[i] != k) CHECK(!jwt_verify(&t, &keys.v[i]));
    jwt_free(&t);
    /* a claim changed after signing: one payload character swapped for another */
    char *p = strchr(tok, '.') + 5;
    *p = *p == 'A' ? 'B' : 'A';
    CHECK(jwt_parse(span_of(tok), &t, &eb) == ERR_OK);
    CHECK(!jwt_verify(&t, jwt_keys_find(&keys, &t)));
    jwt_free(&t);
    jwt_keys_free(&keys);
}

static void test_keys(void)
{
    jwt_keys_t keys;
    errbuf_t eb = {{0}};
    CHECK(jwt_keys_parse(span_of("[]"), &keys, &eb) == ERR_VALIDATION);
    jwt_keys_free(&keys);
    CHECK(jwt_keys_parse(span_of("{\"keys\":[{\"kty\":\"RSA\",\"use\":\"enc\",\"n\":\"AQAB\","
                                 "\"e\":\"AQAB\"},{\"kty\":\"oct\",\"k\":\"c2VjcmV0\"},"
                                 "{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\"}]}"),
                         &keys, &eb) == ERR_OK);
    CHECK(keys.n == 0); /* an encryption key, a symmetric one, an RSA key of 24 bits */
    jwt_keys_free(&keys);
}

int main(void)
{
    test_b64url();
    test_parse_refusals();
    test_verify("rs256_and_keys.txt", "RS256");
    test_verify("es256_and_keys.txt", "ES256");
    test_verify("no_kid.txt", "RS256");
    test_keys();
    return CHECK_DONE();
}
