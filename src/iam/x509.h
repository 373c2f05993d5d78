/* x509.h - the PEM certificates and private keys IAM takes (UploadServerCertificate,
 * UploadSigningCertificate), checked with OpenSSL as IAM checks them: the body is one X.509
 * certificate, the chain one or more, the private key an unencrypted RSA or EC key whose
 * public half is the certificate's. Pure functions of their input (fuzz target
 * tests/fuzz/fuzz_cert.c). */
#ifndef CATALOGD_X509_H
#define CATALOGD_X509_H

#include "core/err.h"
#include "core/span.h"

#include <stdint.h>

typedef struct x509_info {
    int64_t not_before_ms, not_after_ms; /* the certificate's validity */
    char fingerprint[65];                /* SHA-256 of the DER, lower-case hex */
} x509_info_t;

/* Checks body (one PEM certificate), key (a PEM private key; empty: none) and chain (PEM
 * certificates; empty: none). ERR_IAM_MALFORMED_CERT naming the part that does not parse,
 * ERR_IAM_KEY_PAIR_MISMATCH when the key is not the certificate's. Fills *out from body. */
err_t x509_check(span_t body, span_t key, span_t chain, x509_info_t *out, errbuf_t *eb);

#endif
