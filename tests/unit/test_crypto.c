/* test_crypto.c - SHA-256 (FIPS 180-2 examples) and HMAC-SHA256 (RFC 4231 test cases 1-4,
 * 6 and 7: short, long and block-sized keys, the key-longer-than-a-block path included),
 * and crypto_equal. */
#include "core/crypto.h"

#include "check.h"
#include "core/enc.h"

#include <string.h>

static const char *sha(const char *in, size_t n)
{
    static char hex[65];
    unsigned char h[CRYPTO_SHA256_LEN];
    crypto_sha256(in, n, h);
    enc_hex(h, sizeof h, hex);
    return hex;
}

static const char *hmac(const void *key, size_t kn, const void *data, size_t n)
{
    static char hex[65];
    unsigned char h[CRYPTO_SHA256_LEN];
    crypto_hmac_sha256(key, kn, data, n, h);
    enc_hex(h, sizeof h, hex);
    return hex;
}

static void test_sha256(void)
{
    CHECK_STR(sha("", 0), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK_STR(sha("abc", 3), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    CHECK_STR(sha(two, strlen(two)),
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void test_hmac(void)
{
    unsigned char k[131], d[50];
    memset(k, 0x0b, 20);
    CHECK_STR(hmac(k, 20, "Hi There", 8),
              "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    CHECK_STR(hmac("Jefe", 4, "what do ya want for nothing?", 28),
              "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    memset(k, 0xaa, 20);
    memset(d, 0xdd, 50);
    CHECK_STR(hmac(k, 20, d, 50),
              "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
    for (int i = 0; i < 25; i++) k[i] = (unsigned char)(i + 1);
    memset(d, 0xcd, 50);
    CHECK_STR(hmac(k, 25, d, 50),
              "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
    memset(k, 0xaa, sizeof k); /* 131 bytes: hashed down to 32 first */
    const char *t6 = "Test Using Larger Than Block-Size Key - Hash Key First";
    CHECK_STR(hmac(k, 131, t6, strlen(t6)),
              "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
    const char *t7 = "This is a test using a larger than block-size key and a larger than "
                     "block-size data. The key needs to be hashed before being used by the HMAC "
                     "algorithm.";
    CHECK_STR(hmac(k, 131, t7, strlen(t7)),
              "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
    /* a key of exactly one block is used as it is, one byte more is hashed (values from
     * Python's hmac module) */
    CHECK_STR(hmac(k, 64, "x", 1),
              "ce3c639dcb9d8baae5d44c3b8b5e233faab4d1860e07489af5c84f213998bd79");
    CHECK_STR(hmac(k, 65, "x", 1),
              "c2b9a0a013df029c7d812c5ac18388feef0194ee64fcc5f321d149c06137caa3");
    CHECK_STR(hmac("", 0, "", 0),
              "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

static void test_equal(void)
{
    CHECK(crypto_equal("abc", "abc", 3));
    CHECK(!crypto_equal("abc", "abd", 3));
    CHECK(crypto_equal("", "", 0));
}

int main(void)
{
    test_sha256();
    test_hmac();
    test_equal();
    return CHECK_DONE();
}
