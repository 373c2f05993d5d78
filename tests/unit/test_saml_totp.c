/* test_saml_totp.c - auth/totp.h against RFC 6238's SHA-1 vectors (6-digit form) and
 * RFC 4648's base32 vectors, code matching within a window and its refusals; auth/saml.h
 * on the fuzz seeds: the metadata's certificate verifies the signed response at a fixed
 * time, and a byte changed in the signed part, another time, or another endpoint does not. */
#include "auth/saml.h"
#include "auth/totp.h"
#include "core/buf.h"

#include "check.h"

#include <stdint.h>
#include <string.h>

static const unsigned char rfc_key[] = "12345678901234567890";

static void test_totp_vectors(void)
{
    static const struct {
        int64_t t;
        uint32_t code;
    } v[] = {{59, 287082},       {1111111109, 81804},  {1111111111, 50471},
             {1234567890, 5924}, {2000000000, 279037}, {20000000000LL, 353130}};
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
        CHECK_INT(totp_code(rfc_key, 20, v[i].t / TOTP_STEP_S), v[i].code);
    CHECK_INT(totp_match(rfc_key, 20, "287082", 59, 0), 1);
    CHECK_INT(totp_match(rfc_key, 20, "287082", 59 + 30, 1), 1);  /* one step late */
    CHECK_INT(totp_match(rfc_key, 20, "287082", 59 + 60, 1), -1); /* two steps late */
    CHECK_INT(totp_match(rfc_key, 20, "287082", 59 - 30, 1), 1);  /* one step early */
    CHECK_INT(totp_match(rfc_key, 20, "28708", 59, 1), -1);
    CHECK_INT(totp_match(rfc_key, 20, "2870821", 59, 1), -1);
    CHECK_INT(totp_match(rfc_key, 20, "28708a", 59, 1), -1);
    CHECK_INT(totp_match(rfc_key, 20, NULL, 59, 1), -1);
}

static void test_base32(void)
{
    static const char *const v[][2] = {{"", ""},
                                       {"f", "MY======"},
                                       {"fo", "MZXQ===="},
                                       {"foo", "MZXW6==="},
                                       {"foob", "MZXW6YQ="},
                                       {"fooba", "MZXW6YTB"},
                                       {"foobar", "MZXW6YTBOI======"}};
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        char out[32];
        unsigned char back[16];
        size_t n = 99;
        CHECK(
            totp_base32_encode((const unsigned char *)v[i][0], strlen(v[i][0]), out, sizeof(out)));
        CHECK_STR(out, v[i][1]);
        CHECK(totp_base32_decode(v[i][1], back, sizeof(back), &n));
        CHECK_INT(n, strlen(v[i][0]));
        CHECK(!memcmp(back, v[i][0], n));
    }
    unsigned char b[4];
    size_t n;
    char small[8];
    CHECK(!totp_base32_decode("mzxw6ytb", b, sizeof(b), &n)); /* 5 bytes, room for 4 */
    CHECK(!totp_base32_decode("MZXW1", b, sizeof(b), &n));    /* '1' is not base32 */
    CHECK(!totp_base32_decode("M", b, sizeof(b), &n));        /* no whole byte */
    CHECK(!totp_base32_encode((const unsigned char *)"foo", 3, small, sizeof(small)));
}

/* The contents of a seed file. */
static bool slurp(const char *path, buf_t *b)
{
    FILE *f = fopen(path, "rb");
    char chunk[4096];
    size_t n;
    bool ok = f != NULL;
    while (ok && (n = fread(chunk, 1, sizeof(chunk), f)) > 0) ok = buf_add(b, chunk, n);
    if (f) fclose(f);
    return ok;
}

static void test_saml_seeds(void)
{
    arena_t a;
    arena_init(&a);
    buf_t md, resp;
    buf_init(&md, 1 << 20);
    buf_init(&resp, 1 << 20);
    CHECK(slurp("tests/fuzz/corpus/saml/metadata.xml", &md));
    CHECK(slurp("tests/fuzz/corpus/saml/response_signed.xml", &resp));
    saml_meta_t m;
    char why[256];
    CHECK(saml_meta_parse(buf_span(&md), &a, &m, why, sizeof(why)));
    CHECK_STR(m.entity_id, "https://idp.example.test/saml");
    CHECK_INT(m.n_certs, 1);
    const char *ep[] = {"https://signin.aws.amazon.com/saml", NULL};
    const char *aud[] = {"urn:amazon:webservices", NULL};
    const int64_t t = 1767225600000LL; /* 2026-01-01, inside the seed's validity */
    saml_assertion_t as;
    CHECK_INT(saml_verify(buf_span(&resp), m.certs, 1, t, ep, aud, &a, &as, why, sizeof(why)),
              SAML_OK);
    CHECK_STR(as.subject, "alice");
    const saml_attr_t *role = saml_attr(&as, "https://aws.amazon.com/SAML/Attributes/Role");
    CHECK(role && role->n_values == 1);
    CHECK_INT(saml_verify(buf_span(&resp), m.certs, 1, 4102444800000LL, ep, aud, &a, &as, why,
                          sizeof(why)),
              SAML_EXPIRED);
    const char *other[] = {"https://sp.example.test/acs", NULL};
    CHECK_INT(saml_verify(buf_span(&resp), m.certs, 1, t, other, aud, &a, &as, why, sizeof(why)),
              SAML_REJECTED);
    char *p = strstr(resp.p, ">alice<");
    CHECK(p != NULL);
    if (p) p[1] = 'A';
    CHECK_INT(saml_verify(buf_span(&resp), m.certs, 1, t, ep, aud, &a, &as, why, sizeof(why)),
              SAML_BAD_SIGNATURE);
    CHECK(!saml_meta_parse(span_of("<?xml version=\"1.0\"?><!DOCTYPE x []><x/>"), &a, &m, why,
                           sizeof(why)));
    buf_free(&md);
    buf_free(&resp);
    arena_free(&a);
}

int main(void)
{
    test_totp_vectors();
    test_base32();
    test_saml_seeds();
    return CHECK_DONE();
}
