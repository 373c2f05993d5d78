/* crypto.c - SHA-256 and HMAC-SHA256 over OpenSSL. SHA-256 is fetched from the provider
 * once (OpenSSL 3's EVP_sha256()/HMAC() one-shots fetch it again on every call, a lock and
 * a name lookup each time), and HMAC is RFC 2104 over that digest, with no EVP_MAC. */
#include "core/crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CRYPTO_SHA256_BLOCK 64

static pthread_once_t crypto_once = PTHREAD_ONCE_INIT;
static EVP_MD *crypto_md; /* SHA-256, immutable once fetched: shared by every thread */

static void crypto_die(const char *what)
{
    fprintf(stderr, "catalogd: %s failed\n", what);
    abort();
}

static void crypto_fetch(void)
{
    crypto_md = EVP_MD_fetch(NULL, "SHA256", NULL);
    if (!crypto_md) crypto_die("EVP_MD_fetch(SHA256)");
}

static const EVP_MD *crypto_sha256_md(void)
{
    pthread_once(&crypto_once, crypto_fetch);
    return crypto_md;
}

void crypto_sha256(const void *data, size_t n, unsigned char out[CRYPTO_SHA256_LEN])
{
    unsigned int len = 0;
    if (EVP_Digest(data, n, out, &len, crypto_sha256_md(), NULL) != 1) crypto_die("EVP_Digest");
}

/* One SHA-256 pass over pad (a block) then data, on ctx. */
static void crypto_pass(EVP_MD_CTX *ctx, const unsigned char pad[CRYPTO_SHA256_BLOCK],
                        const void *data, size_t n, unsigned char out[CRYPTO_SHA256_LEN])
{
    unsigned int len = 0;
    if (EVP_DigestInit_ex(ctx, crypto_sha256_md(), NULL) != 1 ||
        EVP_DigestUpdate(ctx, pad, CRYPTO_SHA256_BLOCK) != 1 ||
        EVP_DigestUpdate(ctx, data, n) != 1 || EVP_DigestFinal_ex(ctx, out, &len) != 1)
        crypto_die("SHA-256");
}

void crypto_hmac_sha256(const void *key, size_t keylen, const void *data, size_t n,
                        unsigned char out[CRYPTO_SHA256_LEN])
{
    /* RFC 2104: H((K ^ opad) || H((K ^ ipad) || data)), K hashed first when longer than a
     * block, then zero-padded to one */
    unsigned char k[CRYPTO_SHA256_BLOCK] = {0}, pad[CRYPTO_SHA256_BLOCK], inner[CRYPTO_SHA256_LEN];
    if (keylen > CRYPTO_SHA256_BLOCK)
        crypto_sha256(key, keylen, k);
    else if (keylen)
        memcpy(k, key, keylen);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx) crypto_die("EVP_MD_CTX_new");
    for (size_t i = 0; i < sizeof pad; i++) pad[i] = (unsigned char)(k[i] ^ 0x36);
    crypto_pass(ctx, pad, data ? data : "", n, inner);
    for (size_t i = 0; i < sizeof pad; i++) pad[i] = (unsigned char)(k[i] ^ 0x5c);
    crypto_pass(ctx, pad, inner, sizeof inner, out);
    EVP_MD_CTX_free(ctx);
    OPENSSL_cleanse(k, sizeof k);
    OPENSSL_cleanse(pad, sizeof pad);
    OPENSSL_cleanse(inner, sizeof inner);
}

int crypto_equal(const void *a, const void *b, size_t n)
{
    return CRYPTO_memcmp(a, b, n) == 0;
}
