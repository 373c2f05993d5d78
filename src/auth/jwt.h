/* jwt.h - JSON Web Tokens as OpenID Connect identity providers sign them: the compact JWS
 * form (RFC 7515) split and decoded, the provider's key set (JWKS, RFC 7517) read into
 * public keys, and the signature checked (RS256, ES256) with OpenSSL. Pure: no clock, no
 * network; what the claims mean is the caller's business (svc/sts/webid.c). */
#ifndef CATALOGD_JWT_H
#define CATALOGD_JWT_H

#include "core/err.h"
#include "core/span.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#define JWT_MAX_TOKEN 20000 /* the longest token read (the model's WebIdentityToken bound) */
#define JWT_MAX_KEYS  32    /* keys read from one set; the rest are ignored */

typedef struct jwt {
    cJSON *header, *claims; /* owned: the decoded JSON objects */
    const char *alg, *kid;  /* borrowed from header (kid NULL when absent) */
    unsigned char *sig;     /* owned: the decoded signature */
    size_t sig_len;
    const char *signed_part; /* borrowed from the token: "header.payload" */
    size_t signed_len;
} jwt_t;

/* Splits and decodes a compact JWS (three base64url parts, the first two JSON objects,
 * alg a string). ERR_VALIDATION with a short reason on anything else; *out is then empty
 * (jwt_free on it is harmless). Nothing is verified here. */
err_t jwt_parse(span_t token, jwt_t *out, errbuf_t *eb);
void jwt_free(jwt_t *t);

struct evp_pkey_st;
typedef struct jwt_key {
    char kid[128]; /* "" when the key has none */
    char alg[16];  /* RS256 / ES256 */
    struct evp_pkey_st *pkey;
} jwt_key_t;

typedef struct jwt_keys {
    jwt_key_t v[JWT_MAX_KEYS];
    size_t n;
} jwt_keys_t;

/* Reads a JWK Set ({"keys": [...]}): the RSA keys (n, e; 2048 bits or more) and the P-256
 * EC keys (x, y) meant for signatures; others are skipped. ERR_VALIDATION when the text is
 * not a key set. Free with jwt_keys_free (also after a failure). */
err_t jwt_keys_parse(span_t text, jwt_keys_t *out, errbuf_t *eb);
void jwt_keys_free(jwt_keys_t *k);
/* The key a token names: by kid, or the only key of its algorithm when the token names
 * none. NULL when there is none. */
const jwt_key_t *jwt_keys_find(const jwt_keys_t *k, const jwt_t *t);

/* True when t's signature is valid under key for t->alg (RS256 or ES256; the key must be
 * of that type). */
bool jwt_verify(const jwt_t *t, const jwt_key_t *key);

/* Decodes base64url (padding optional) into out (cap bytes): the length, or -1. */
long jwt_b64url_decode(span_t in, unsigned char *out, size_t cap);

#endif
