/* crypto.c - SHA-256 and HMAC-SHA256 over OpenSSL. */
#include "core/crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>

void crypto_sha256(const void *data, size_t n, unsigned char out[CRYPTO_SHA256_LEN])
{
    unsigned int len = 0;
    if (EVP_Digest(data, n, out, &len, EVP_sha256(), NULL) != 1) {
        fprintf(stderr, "catalogd: EVP_Digest failed\n");
        abort();
    }
}

void crypto_hmac_sha256(const void *key, size_t keylen, const void *data, size_t n,
                        unsigned char out[CRYPTO_SHA256_LEN])
{
    unsigned int len = 0;
    if (!HMAC(EVP_sha256(), key, (int)keylen, data, n, out, &len)) {
        fprintf(stderr, "catalogd: HMAC failed\n");
        abort();
    }
}

int crypto_equal(const void *a, const void *b, size_t n)
{
    return CRYPTO_memcmp(a, b, n) == 0;
}
