/* jwt.c - compact JWS parsing, JWK Set reading and RS256 / ES256 verification. Every
 * length is bounded by the input's (itself bounded by JWT_MAX_TOKEN or the fetch cap). */
#include "auth/jwt.h"

#include "core/mem.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

long jwt_b64url_decode(span_t in, unsigned char *out, size_t cap)
{
    while (in.n && in.p[in.n - 1] == '=') in.n--;
    if (in.n % 4 == 1) return -1;
    size_t o = 0;
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < in.n; i++) {
        char c = in.p[i];
        int v = c >= 'A' && c <= 'Z'   ? c - 'A'
                : c >= 'a' && c <= 'z' ? c - 'a' + 26
                : c >= '0' && c <= '9' ? c - '0' + 52
                : c == '-'             ? 62
                : c == '_'             ? 63
                                       : -1;
        if (v < 0) return -1;
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o == cap) return -1;
            out[o++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    return (long)o;
}

/* Decodes part as a base64url JSON object (owned by the caller), or NULL. */
static cJSON *jwt_json_part(span_t part)
{
    size_t cap = part.n * 3 / 4 + 3;
    unsigned char *raw = xmalloc(cap);
    long n = jwt_b64url_decode(part, raw, cap);
    cJSON *j = n > 0 ? cJSON_ParseWithLength((const char *)raw, (size_t)n) : NULL;
    free(raw);
    if (j && !cJSON_IsObject(j)) {
        cJSON_Delete(j);
        j = NULL;
    }
    return j;
}

err_t jwt_parse(span_t token, jwt_t *out, errbuf_t *eb)
{
    memset(out, 0, sizeof(*out));
    if (token.n == 0 || token.n > JWT_MAX_TOKEN)
        return err_fail(eb, ERR_VALIDATION, "the token is empty or too long");
    const char *d1 = memchr(token.p, '.', token.n);
    const char *d2 = d1 ? memchr(d1 + 1, '.', token.n - (size_t)(d1 + 1 - token.p)) : NULL;
    const char *end = token.p + token.n;
    if (!d1 || !d2 || memchr(d2 + 1, '.', (size_t)(end - d2 - 1)))
        return err_fail(eb, ERR_VALIDATION, "the token is not a compact JWS (three parts)");
    out->header = jwt_json_part(span_make(token.p, (size_t)(d1 - token.p)));
    out->claims = jwt_json_part(span_make(d1 + 1, (size_t)(d2 - d1 - 1)));
    span_t sig = span_make(d2 + 1, (size_t)(end - d2 - 1));
    out->sig = xmalloc(sig.n * 3 / 4 + 3);
    long n = jwt_b64url_decode(sig, out->sig, sig.n * 3 / 4 + 3);
    const cJSON *alg = cJSON_GetObjectItemCaseSensitive(out->header, "alg");
    const cJSON *kid = cJSON_GetObjectItemCaseSensitive(out->header, "kid");
    if (!out->header || !out->claims || n <= 0 || !cJSON_IsString(alg) ||
        (kid && !cJSON_IsString(kid))) {
        jwt_free(out);
        return err_fail(eb, ERR_VALIDATION, "the token's parts do not decode");
    }
    out->sig_len = (size_t)n;
    out->alg = alg->valuestring;
    out->kid = kid ? kid->valuestring : NULL;
    out->signed_part = token.p;
    out->signed_len = (size_t)(d2 - token.p);
    return ERR_OK;
}

void jwt_free(jwt_t *t)
{
    cJSON_Delete(t->header);
    cJSON_Delete(t->claims);
    free(t->sig);
    memset(t, 0, sizeof(*t));
}

/* A base64url member of a JWK as a big number, or NULL. */
static BIGNUM *jwt_bn(const cJSON *jwk, const char *name, size_t max, size_t *len)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(jwk, name);
    if (!cJSON_IsString(v)) return NULL;
    unsigned char raw[1024];
    span_t s = span_of(v->valuestring);
    if (s.n > max * 4 / 3 + 4) return NULL;
    long n = jwt_b64url_decode(s, raw, sizeof(raw) < max ? sizeof(raw) : max);
    if (n <= 0) return NULL;
    if (len) *len = (size_t)n;
    return BN_bin2bn(raw, (int)n, NULL);
}

/* The public key of an RSA JWK (n, e; at least 2048 bits), or NULL. */
static EVP_PKEY *jwt_rsa(const cJSON *jwk)
{
    BIGNUM *n = jwt_bn(jwk, "n", 1024, NULL), *e = jwt_bn(jwk, "e", 8, NULL);
    EVP_PKEY *pkey = NULL;
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    if (n && e && BN_num_bits(n) >= 2048 && bld && OSSL_PARAM_BLD_push_BN(bld, "n", n) &&
        OSSL_PARAM_BLD_push_BN(bld, "e", e) && (params = OSSL_PARAM_BLD_to_param(bld)) &&
        (ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) && EVP_PKEY_fromdata_init(ctx) > 0 &&
        EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
        pkey = NULL;
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(n);
    BN_free(e);
    return pkey;
}

/* The public key of a P-256 EC JWK (x, y of 32 bytes each), or NULL. */
static EVP_PKEY *jwt_ec(const cJSON *jwk)
{
    const cJSON *crv = cJSON_GetObjectItemCaseSensitive(jwk, "crv");
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(jwk, "x");
    const cJSON *y = cJSON_GetObjectItemCaseSensitive(jwk, "y");
    if (!cJSON_IsString(crv) || strcmp(crv->valuestring, "P-256") || !cJSON_IsString(x) ||
        !cJSON_IsString(y))
        return NULL;
    unsigned char pt[65] = {0x04};
    if (jwt_b64url_decode(span_of(x->valuestring), pt + 1, 32) != 32 ||
        jwt_b64url_decode(span_of(y->valuestring), pt + 33, 32) != 32)
        return NULL;
    EVP_PKEY *pkey = NULL;
    char group[] = "prime256v1";
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
        OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof(pt)),
        OSSL_PARAM_construct_end(),
    };
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    if (!ctx || EVP_PKEY_fromdata_init(ctx) <= 0 ||
        EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
        pkey = NULL;
    EVP_PKEY_CTX_free(ctx);
    return pkey;
}

err_t jwt_keys_parse(span_t text, jwt_keys_t *out, errbuf_t *eb)
{
    memset(out, 0, sizeof(*out));
    cJSON *j = cJSON_ParseWithLength(text.p, text.n);
    const cJSON *keys = cJSON_GetObjectItemCaseSensitive(j, "keys");
    if (!cJSON_IsArray(keys)) {
        cJSON_Delete(j);
        return err_fail(eb, ERR_VALIDATION, "the document is not a JWK Set");
    }
    for (const cJSON *k = keys->child; k && out->n < JWT_MAX_KEYS; k = k->next) {
        const cJSON *kty = cJSON_GetObjectItemCaseSensitive(k, "kty");
        const cJSON *use = cJSON_GetObjectItemCaseSensitive(k, "use");
        const cJSON *kid = cJSON_GetObjectItemCaseSensitive(k, "kid");
        if (!cJSON_IsString(kty) ||
            (use && (!cJSON_IsString(use) || strcmp(use->valuestring, "sig"))))
            continue;
        jwt_key_t *key = &out->v[out->n];
        bool rsa = !strcmp(kty->valuestring, "RSA");
        if (rsa)
            key->pkey = jwt_rsa(k);
        else if (!strcmp(kty->valuestring, "EC"))
            key->pkey = jwt_ec(k);
        if (!key->pkey) continue;
        snprintf(key->alg, sizeof(key->alg), "%s", rsa ? "RS256" : "ES256");
        snprintf(key->kid, sizeof(key->kid), "%s", cJSON_IsString(kid) ? kid->valuestring : "");
        out->n++;
    }
    cJSON_Delete(j);
    return ERR_OK;
}

void jwt_keys_free(jwt_keys_t *k)
{
    for (size_t i = 0; i < k->n; i++) EVP_PKEY_free(k->v[i].pkey);
    k->n = 0;
}

const jwt_key_t *jwt_keys_find(const jwt_keys_t *k, const jwt_t *t)
{
    const jwt_key_t *only = NULL;
    size_t of_alg = 0;
    for (size_t i = 0; i < k->n; i++) {
        if (t->kid && !strcmp(k->v[i].kid, t->kid)) return &k->v[i];
        if (!strcmp(k->v[i].alg, t->alg)) of_alg++, only = &k->v[i];
    }
    return !t->kid && of_alg == 1 ? only : NULL;
}

/* An ES256 signature (r || s, 32 bytes each) in the DER form OpenSSL verifies, into der
 * (72 bytes suffice): its length, or 0. */
static size_t jwt_es_der(const unsigned char *raw, unsigned char *der, size_t cap)
{
    ECDSA_SIG *s = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(raw, 32, NULL), *sv = BN_bin2bn(raw + 32, 32, NULL);
    size_t n = 0;
    if (s && r && sv && ECDSA_SIG_set0(s, r, sv)) {
        r = sv = NULL; /* s owns them now */
        int len = i2d_ECDSA_SIG(s, NULL);
        if (len > 0 && (size_t)len <= cap) {
            unsigned char *p = der;
            n = (size_t)i2d_ECDSA_SIG(s, &p);
        }
    }
    BN_free(r);
    BN_free(sv);
    ECDSA_SIG_free(s);
    return n;
}

bool jwt_verify(const jwt_t *t, const jwt_key_t *key)
{
    if (!key || !key->pkey || strcmp(t->alg, key->alg)) return false;
    const unsigned char *sig = t->sig;
    size_t sig_len = t->sig_len;
    unsigned char der[80];
    if (!strcmp(t->alg, "ES256")) {
        if (t->sig_len != 64 || !(sig_len = jwt_es_der(t->sig, der, sizeof(der)))) return false;
        sig = der;
    } else if (strcmp(t->alg, "RS256")) {
        return false;
    }
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    bool ok = md && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key->pkey) == 1 &&
              EVP_DigestVerify(md, sig, sig_len, (const unsigned char *)t->signed_part,
                               t->signed_len) == 1;
    EVP_MD_CTX_free(md);
    return ok;
}
