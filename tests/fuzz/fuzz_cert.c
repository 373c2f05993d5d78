/* fuzz_cert.c - libFuzzer target for the PEM/X.509 input of IAM's certificate operations
 * (iam/x509.h): the input, split at its first NUL byte into a certificate body and a
 * private key (the rest, also tried as a chain), goes through x509_check; the result must
 * be one of its documented errors, and a success must carry a fingerprint. The whole input
 * is also read as an SSH public key (x509_ssh_key), which must succeed with both encodings
 * or fail with one of its two errors.
 * Seed corpus: tests/fuzz/corpus/cert/. */
#include "fuzz_init.h"
#include "iam/x509.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static void check(span_t body, span_t key, span_t chain)
{
    x509_info_t info;
    errbuf_t eb;
    err_t rc = x509_check(body, key, chain, &info, &eb);
    if (rc == ERR_OK && strlen(info.fingerprint) != 64) __builtin_trap();
    if (rc != ERR_OK && rc != ERR_IAM_MALFORMED_CERT && rc != ERR_IAM_KEY_PAIR_MISMATCH)
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data;
    const char *nul = memchr(p, '\0', size);
    size_t n = nul ? (size_t)(nul - p) : size;
    span_t body = span_make(p, n);
    span_t rest = nul ? span_make(nul + 1, size - n - 1) : span_make("", 0);
    check(body, span_make("", 0), span_make("", 0));
    check(body, rest, span_make("", 0));
    check(body, span_make("", 0), rest);
    x509_ssh_key_t k;
    errbuf_t eb;
    err_t rc = x509_ssh_key(span_make(p, size), &k, &eb);
    if (rc == ERR_OK && (!k.ssh || !k.pem || k.bits < 2048)) __builtin_trap();
    if (rc != ERR_OK && rc != ERR_IAM_SSH_KEY_ENCODING && rc != ERR_IAM_INVALID_PUBLIC_KEY)
        __builtin_trap();
    if (rc == ERR_OK) x509_ssh_key_free(&k);
    return 0;
}
