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

/* An RSA public key as UploadSSHPublicKey takes it: an OpenSSH line ("ssh-rsa AAAA...
 * [comment]") or a PEM SubjectPublicKeyInfo, in both encodings GetSSHPublicKey hands out. */
typedef struct x509_ssh_key {
    char *ssh;            /* "ssh-rsa <base64>" (malloc'd) */
    char *pem;            /* "-----BEGIN PUBLIC KEY-----..." (malloc'd) */
    char fingerprint[48]; /* MD5 of the SSH key blob, colon-separated hex */
    int bits;
} x509_ssh_key_t;

/* Parses text as an RSA public key of at least 2048 bits. ERR_IAM_SSH_KEY_ENCODING when it
 * is neither form, ERR_IAM_INVALID_PUBLIC_KEY when it is one but not a usable RSA key. On
 * success the caller frees with x509_ssh_key_free. */
err_t x509_ssh_key(span_t text, x509_ssh_key_t *out, errbuf_t *eb);
void x509_ssh_key_free(x509_ssh_key_t *k);

#endif
