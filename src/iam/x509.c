/* x509.c - PEM certificates and private keys, checked with OpenSSL (x509.h). */
#include "iam/x509.h"

#include "core/buf.h"
#include "core/enc.h"
#include "core/mem.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>

#include <stdio.h>
#include <stdlib.h>
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

/* ---- SSH public keys */

#define SSH_RSA "ssh-rsa"

/* Appends a 4-byte big-endian length and then n bytes of p to b. */
static void ssh_put(buf_t *b, const void *p, size_t n)
{
    unsigned char len[4] = {(unsigned char)(n >> 24), (unsigned char)(n >> 16),
                            (unsigned char)(n >> 8), (unsigned char)n};
    buf_add(b, len, 4);
    buf_add(b, p, n);
}

/* Appends bn as an SSH mpint (a leading zero byte when its top bit is set). */
static void ssh_put_bn(buf_t *b, const BIGNUM *bn)
{
    unsigned char v[2050];
    int n = BN_num_bytes(bn);
    if (n < 0 || n > (int)sizeof(v) - 1) return;
    v[0] = 0;
    BN_bn2bin(bn, v + 1);
    bool pad = n > 0 && (v[1] & 0x80);
    ssh_put(b, pad ? v : v + 1, (size_t)n + (pad ? 1 : 0));
}

/* The next length-prefixed field of blob at *off, or NULL when it does not fit. */
static const unsigned char *ssh_get(const buf_t *blob, size_t *off, size_t *len)
{
    if (*off + 4 > blob->len) return NULL;
    const unsigned char *p = (const unsigned char *)blob->p + *off;
    *len = (size_t)p[0] << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3];
    if (*len > blob->len - *off - 4) return NULL;
    *off += 4 + *len;
    return p + 4;
}

/* An RSA public EVP_PKEY of n and e, or NULL. */
static EVP_PKEY *ssh_rsa_key(BIGNUM *n, BIGNUM *e)
{
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    EVP_PKEY *pk = NULL;
    if (bld && n && e && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) &&
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) &&
        (params = OSSL_PARAM_BLD_to_param(bld)) && ctx && EVP_PKEY_fromdata_init(ctx) == 1 &&
        EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params) != 1)
        pk = NULL;
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    return pk;
}

/* The RSA key of an OpenSSH line, or NULL; *recognized tells whether it was one. */
static EVP_PKEY *ssh_from_line(span_t text, bool *recognized)
{
    size_t i = 0;
    while (i < text.n && x509_space(text.p[i])) i++;
    size_t tl = strlen(SSH_RSA);
    *recognized = text.n - i > tl && !memcmp(text.p + i, SSH_RSA, tl) && text.p[i + tl] == ' ';
    if (!*recognized) return NULL;
    i += tl + 1;
    size_t start = i;
    while (i < text.n && !x509_space(text.p[i])) i++;
    buf_t blob;
    buf_init(&blob, X509_MAX_INPUT);
    EVP_PKEY *pk = NULL;
    if (enc_base64_decode(&blob, span_make(text.p + start, i - start))) {
        size_t off = 0, l1, l2, l3;
        const unsigned char *t = ssh_get(&blob, &off, &l1);
        const unsigned char *e = t ? ssh_get(&blob, &off, &l2) : NULL;
        const unsigned char *n = e ? ssh_get(&blob, &off, &l3) : NULL;
        if (n && off == blob.len && l1 == tl && !memcmp(t, SSH_RSA, tl)) {
            BIGNUM *bn_e = BN_bin2bn(e, (int)l2, NULL), *bn_n = BN_bin2bn(n, (int)l3, NULL);
            pk = ssh_rsa_key(bn_n, bn_e);
            BN_free(bn_e);
            BN_free(bn_n);
        }
    }
    buf_free(&blob);
    return pk;
}

err_t x509_ssh_key(span_t text, x509_ssh_key_t *out, errbuf_t *eb)
{
    memset(out, 0, sizeof(*out));
    bool line = false;
    EVP_PKEY *pk = ssh_from_line(text, &line);
    bool pem = !line && x509_blank_around(text);
    if (pem) {
        BIO *b = x509_bio(text);
        pk = b ? PEM_read_bio_PUBKEY(b, NULL, NULL, (void *)"") : NULL;
        BIO_free(b);
    }
    ERR_clear_error();
    if (!line && !pem)
        return err_fail(eb, ERR_IAM_SSH_KEY_ENCODING,
                        "The public key encoding format is unsupported or unrecognized.");
    BIGNUM *n = NULL, *e = NULL;
    if (!pk || !EVP_PKEY_is_a(pk, "RSA") ||
        EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_N, &n) != 1 ||
        EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_E, &e) != 1 || EVP_PKEY_get_bits(pk) < 2048) {
        EVP_PKEY_free(pk);
        BN_free(n);
        BN_free(e);
        ERR_clear_error();
        return err_fail(eb, ERR_IAM_INVALID_PUBLIC_KEY,
                        "The public key is malformed or otherwise invalid: it must be an RSA key "
                        "of at least 2048 bits.");
    }
    out->bits = EVP_PKEY_get_bits(pk);
    /* the SSH form: the blob (type, e, n), its MD5 and base64 */
    buf_t blob, b64;
    buf_init(&blob, X509_MAX_INPUT);
    buf_init(&b64, 2 * X509_MAX_INPUT);
    ssh_put(&blob, SSH_RSA, strlen(SSH_RSA));
    ssh_put_bn(&blob, e);
    ssh_put_bn(&blob, n);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdn = 0;
    if (EVP_Digest(blob.p, blob.len, md, &mdn, EVP_md5(), NULL) == 1)
        for (unsigned i = 0; i < mdn && i < 16; i++)
            snprintf(out->fingerprint + 3 * i, 4, i + 1 < mdn ? "%02x:" : "%02x", md[i]);
    buf_adds(&b64, SSH_RSA " ");
    enc_base64(&b64, blob.p, blob.len);
    out->ssh = buf_take(&b64, NULL);
    /* the PEM form */
    BIO *mem = BIO_new(BIO_s_mem());
    char *data = NULL;
    long len = mem && PEM_write_bio_PUBKEY(mem, pk) == 1 ? BIO_get_mem_data(mem, &data) : 0;
    out->pem = xcalloc((size_t)(len > 0 ? len : 0) + 1, 1);
    if (len > 0) memcpy(out->pem, data, (size_t)len);
    BIO_free(mem);
    buf_free(&blob);
    buf_free(&b64);
    BN_free(n);
    BN_free(e);
    EVP_PKEY_free(pk);
    ERR_clear_error();
    return ERR_OK;
}

void x509_ssh_key_free(x509_ssh_key_t *k)
{
    free(k->ssh);
    free(k->pem);
    k->ssh = k->pem = NULL;
}
