/* crypto.h - the digests SigV4 and the store need, over OpenSSL libcrypto. */
#ifndef CATALOGD_CRYPTO_H
#define CATALOGD_CRYPTO_H

#include <stddef.h>

#define CRYPTO_SHA256_LEN 32

void crypto_sha256(const void *data, size_t n, unsigned char out[CRYPTO_SHA256_LEN]);
void crypto_hmac_sha256(const void *key, size_t keylen, const void *data, size_t n,
                        unsigned char out[CRYPTO_SHA256_LEN]);
/* Constant-time comparison; returns 1 when equal. */
int crypto_equal(const void *a, const void *b, size_t n);

#endif
