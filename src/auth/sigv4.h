/* sigv4.h - AWS Signature Version 4 verification (header and presigned-query forms).
 * Pure functions over a borrowed view of the request: no I/O, no clock of its own, no
 * allocation beyond bounded buffers (and an optional memo of derived signing keys, which
 * the caller owns). The pipeline parses, looks the access key up, then verifies. Spec:
 * docs.aws.amazon.com/general/latest/gr/sigv4_signing.html; known answers:
 * ../shared/testdata/sigv4-v4 (tests/unit/test_sigv4.c). */
#ifndef CATALOGD_SIGV4_H
#define CATALOGD_SIGV4_H

#include "core/buf.h"
#include "core/err.h"
#include "core/span.h"

#include <stdbool.h>
#include <stdint.h>

#define SIGV4_MAX_SKEW_MS (15 * 60 * 1000)

typedef struct sigv4_header {
    span_t name;  /* as received; compared without regard to case */
    span_t value; /* as received, untrimmed */
} sigv4_header_t;

/* The request as it arrived on the wire. */
typedef struct sigv4_request {
    span_t method;  /* "GET", "POST" */
    span_t raw_uri; /* request-target as sent: path plus optional "?query", not decoded */
    const sigv4_header_t *headers;
    size_t n_headers;
    span_t body;
    bool normalize_path; /* remove dot segments and repeated slashes (true for all but S3) */
} sigv4_request_t;

/* The signature's claims, parsed from the Authorization header or from the X-Amz-* query
 * parameters. Spans borrow from the request. */
typedef struct sigv4_auth {
    bool presigned;
    span_t access_key;     /* AKIDEXAMPLE */
    span_t scope_date;     /* 20150830 */
    span_t region;         /* us-east-1 */
    span_t service;        /* iam */
    span_t signed_headers; /* "host;x-amz-date", as given */
    span_t signature;      /* 64 lower-case hex */
    span_t amz_date;       /* X-Amz-Date header/param, or the Date header */
    int64_t request_ms;    /* amz_date parsed */
    int64_t expires_s;     /* X-Amz-Expires for presigned; 0 otherwise */
    span_t security_token; /* X-Amz-Security-Token header/param, or empty */
} sigv4_auth_t;
/* Presigned requests: the spans are raw query text, so signed_headers and security_token
 * are still percent-encoded ("host%3Bx-amz-date"); decode them with enc_uri_decode. */

/* Finds and parses the request's signature (Authorization header first, else presigned
 * query parameters). Returns ERR_OK; ERR_MISSING_AUTH when the request carries neither;
 * ERR_INCOMPLETE_SIGNATURE, with AWS's wording in eb, when what it carries is malformed
 * (missing Credential/SignedHeaders/Signature, bad credential scope, unsupported algorithm,
 * missing or unparsable X-Amz-Date, a signed header list that omits host...). */
err_t sigv4_parse(const sigv4_request_t *req, sigv4_auth_t *out, errbuf_t *eb);

/* Checks the request time against now_ms: ERR_SIGNATURE_EXPIRED with AWS's text
 * ("Signature expired: 20150830T123600Z is now earlier than 20150830T125100Z
 * (20150830T130600Z - 15 min.)" / "Signature not yet current: ...") when the skew passes
 * SIGV4_MAX_SKEW_MS, or when a presigned request is past X-Amz-Expires. */
err_t sigv4_check_time(const sigv4_auth_t *a, int64_t now_ms, errbuf_t *eb);

/* Recomputes the signature with secret and compares in constant time (every
 * x-amz-content-sha256 header must also be the body's hash, else the body would go
 * unauthenticated; a presigned request whose X-Amz-Security-Token was added after signing
 * is accepted too, as AWS accepts an unsigned token header; the credential scope's date
 * must be the request's; every x-amz-* header the request carries must be signed, but for
 * X-Amz-Security-Token, else "There were headers present in the request which were not
 * signed: <names>"):
 * ERR_OK or ERR_SIGNATURE_MISMATCH (AWS's "The request signature we calculated does not
 * match the signature you provided. Check your AWS Secret Access Key and signing method.
 * Consult the service documentation for details."). Does not check the time. */
err_t sigv4_verify(const sigv4_request_t *req, const sigv4_auth_t *a, span_t secret, errbuf_t *eb);

/* A memo of derived signing keys. kSigning depends only on (secret, date, region,
 * service), so a busy key needs its four chained HMACs once a day rather than on every
 * request. The memo decides nothing: the caller has already looked the access key up (and
 * refused an unknown or inactive one), and an entry serves only a request whose access key
 * id, scope and secret all match it, so a changed secret never meets a stale key. Bounded
 * (a fixed number of slots, an entry replaced when another lands on its slot; yesterday's
 * entries are simply never asked for again), thread-safe; entries are wiped when replaced
 * and when the memo is freed. */
typedef struct sigv4_keycache sigv4_keycache_t;

sigv4_keycache_t *sigv4_keycache_new(void);
void sigv4_keycache_free(sigv4_keycache_t *c); /* NULL is fine */

/* sigv4_verify with the signing key taken from (or added to) cache; NULL derives it. Same
 * results as sigv4_verify, whatever the memo holds. */
err_t sigv4_verify_cached(const sigv4_request_t *req, const sigv4_auth_t *a, span_t secret,
                          sigv4_keycache_t *cache, errbuf_t *eb);

/* The building blocks, exposed for the known-answer tests. Each appends to out and
 * returns false only when out's cap, or the 64 KiB cap on its scratch buffers, would be
 * passed (out then holds a partial result). */
bool sigv4_canonical_request(const sigv4_request_t *req, const sigv4_auth_t *a, buf_t *out);
/* The same without X-Amz-Security-Token in a presigned request's query: the form signers
 * that add the token after signing produce (aws-c-auth's omit_session_token). */
bool sigv4_canonical_request_omit_token(const sigv4_request_t *req, const sigv4_auth_t *a,
                                        buf_t *out);
bool sigv4_string_to_sign(const sigv4_auth_t *a, span_t canonical_request, buf_t *out);
/* kSigning = HMAC chain over "AWS4"+secret, date, region, service, "aws4_request". */
void sigv4_signing_key(span_t secret, span_t date, span_t region, span_t service,
                       unsigned char out[32]);

#endif
