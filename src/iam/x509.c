/* x509.c - PEM certificates and private keys, checked with OpenSSL (x509.h). */
#include "iam/x509.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#define X509_MAX_INPUT (64 * 1024) /* longer than any IAM member that carries PEM */

/* A read-only memory BIO over s, or NULL when s is empty or too long for OpenSSL's int. */
static BIO *x509_bio(span_t s)
{
    if (!s.n || s.n > X509_MAX_INPUT) return NULL;
    return BIO_new_mem_buf(s.p, (int)s.n);
}

/* Milliseconds since the epoch of an ASN1_TIME; false when it does not convert. */
static bool x509_time_ms(const ASN1_TIME *t, int64_t *ms)
{
    struct tm tm;
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1) return false;
    *ms = (int64_t)timegm(&tm) * 1000;
    return true;
}

static bool x509_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Whether s has nothing but whitespace before its first BEGIN line and after its last
 * END line. */
static bool x509_blank_around(span_t s)
{
    static const char begin[] = "-----BEGIN ", end[] = "-----END ";
    size_t first = s.n, last_end = 0;
    for (size_t i = 0; i + sizeof(begin) - 1 <= s.n; i++)
        if (!memcmp(s.p + i, begin, sizeof(begin) - 1)) {
            first = i;
            break;
        }
    for (size_t i = 0; i + sizeof(end) - 1 <= s.n; i++)
        if (!memcmp(s.p + i, end, sizeof(end) - 1)) last_end = i;
    size_t after = last_end;
    while (after < s.n && s.p[after] != '\n') after++;
    for (size_t i = 0; i < first; i++)
        if (!x509_space(s.p[i])) return false;
    for (size_t i = after; i < s.n; i++)
        if (!x509_space(s.p[i])) return false;
    return true;
}

/* How many PEM certificates s holds when it holds nothing else (whitespace aside), else
 * -1. *first (or NULL) receives the first one, owned by the caller. */
static int x509_count(span_t s, X509 **first)
{
    if (first) *first = NULL;
    BIO *b = x509_bio(s);
    if (!b) return -1;
    int n = 0;
    X509 *x;
    while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
        if (first && !n)
            *first = x;
        else
            X509_free(x);
        n++;
    }
    /* what stopped the reading must be the end of the input, and only whitespace may stand
     * before the first certificate and after the last (the reader skips anything) */
    bool at_end =
        ERR_GET_REASON(ERR_peek_last_error()) == PEM_R_NO_START_LINE && x509_blank_around(s);
    BIO_free(b);
    ERR_clear_error();
    if (!at_end && first) {
        X509_free(*first);
        *first = NULL;
    }
    return at_end ? n : -1;
}

err_t x509_check(span_t body, span_t key, span_t chain, x509_info_t *out, errbuf_t *eb)
{
    memset(out, 0, sizeof(*out));
    X509 *x = NULL;
    if (x509_count(body, &x) != 1) {
        X509_free(x);
        x = NULL;
    }
    if (!x)
        return err_fail(eb, ERR_IAM_MALFORMED_CERT,
                        "Unable to parse certificate. Please ensure the certificate is in PEM "
                        "format.");
    err_t rc = ERR_OK;
    if (!x509_time_ms(X509_get0_notBefore(x), &out->not_before_ms) ||
        !x509_time_ms(X509_get0_notAfter(x), &out->not_after_ms))
        rc = err_fail(eb, ERR_IAM_MALFORMED_CERT,
                      "Unable to parse certificate. Please ensure the certificate is in PEM "
                      "format.");
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (!rc && X509_digest(x, EVP_sha256(), md, &mdlen) == 1)
        for (unsigned i = 0; i < mdlen && i < 32; i++)
            snprintf(out->fingerprint + 2 * i, 3, "%02x", md[i]);
    if (!rc && key.n) {
        BIO *b = x509_bio(key);
        /* no passphrase: an encrypted key does not parse */
        EVP_PKEY *k = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, (void *)"") : NULL;
        BIO_free(b);
        if (!k)
            rc = err_fail(eb, ERR_IAM_MALFORMED_CERT,
                          "Unable to parse private key. Please ensure the private key is in PEM "
                          "format and is not encrypted.");
        else if (X509_check_private_key(x, k) != 1)
            rc = err_fail(eb, ERR_IAM_KEY_PAIR_MISMATCH,
                          "The public key in the certificate does not match the private key.");
        EVP_PKEY_free(k);
    }
    if (!rc && chain.n && x509_count(chain, NULL) < 1)
        rc = err_fail(eb, ERR_IAM_MALFORMED_CERT,
                      "Unable to parse certificate chain. Please ensure the certificate chain is "
                      "in PEM format.");
    X509_free(x);
    ERR_clear_error();
    return rc;
}
