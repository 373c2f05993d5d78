/* fuzz_jwt.c - libFuzzer target for web identity tokens and key sets (auth/jwt.h): each
 * input is parsed as a compact JWS and as a JWK Set; an input split at its first newline
 * gives a token and a key set, and the token is verified under every key read.
 * Seed corpus: tests/fuzz/corpus/jwt/. */
#include "fuzz_init.h"
#include "auth/jwt.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static void exercise(span_t token, span_t jwks)
{
    jwt_t t;
    jwt_keys_t keys;
    errbuf_t eb;
    bool have_t = jwt_parse(token, &t, &eb) == ERR_OK;
    bool have_k = jwt_keys_parse(jwks, &keys, &eb) == ERR_OK;
    if (have_k && keys.n > JWT_MAX_KEYS) __builtin_trap();
    if (have_t && have_k) {
        (void)jwt_keys_find(&keys, &t);
        for (size_t i = 0; i < keys.n; i++) (void)jwt_verify(&t, &keys.v[i]);
    }
    if (have_t) jwt_free(&t);
    jwt_keys_free(&keys);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    span_t all = span_make((const char *)data, size);
    exercise(all, all);
    const char *nl = memchr(data, '\n', size);
    if (nl)
        exercise(span_make((const char *)data, (size_t)(nl - (const char *)data)),
                 span_make(nl + 1, size - (size_t)(nl + 1 - (const char *)data)));
    unsigned char out[256];
    (void)jwt_b64url_decode(all, out, sizeof(out));
    return 0;
}
