/* fuzz_sigv4.c - libFuzzer target for SigV4 parsing and canonicalization, and for the
 * signing-key memo agreeing with uncached verification (the header value doubles as a
 * second secret, so entries of one scope meet other secrets). The input is
 * "AUTHORIZATION\0RAW-URI\0MY-HEADER1-VALUE\0BODY" (missing parts are empty; an empty
 * Authorization means none, so the presigned query form is reached through the URI; the
 * method is POST with a body, else GET, so the vectors' seeds verify).
 * Seeds: tests/fuzz/corpus/sigv4/, made from ../shared/testdata/sigv4-v4. */
#include "fuzz_init.h"
#include "auth/sigv4.h"

#include "core/mem.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define FUZZ_NOW_MS 1440938160000LL /* 20150830T123600Z, the vectors' time */

/* Copies the next NUL-terminated part of data into its own allocation, so ASan sees the
 * exact bounds of every span the module reads. */
static char *next_part(const uint8_t **data, size_t *size, size_t *len)
{
    const uint8_t *end = memchr(*data, 0, *size);
    size_t n = end ? (size_t)(end - *data) : *size;
    char *p = xmalloc(n ? n : 1);
    if (n) memcpy(p, *data, n);
    *data += n, *size -= n;
    if (end) (*data)++, (*size)--;
    *len = n;
    return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static sigv4_keycache_t *keys; /* lives as long as the process */
    if (!keys) keys = sigv4_keycache_new();
    size_t na, nu, nh, nb;
    char *auth = next_part(&data, &size, &na);
    char *uri = next_part(&data, &size, &nu);
    char *hdr = next_part(&data, &size, &nh);
    char *body = next_part(&data, &size, &nb);
    sigv4_header_t headers[5] = {
        {SPAN_LIT("Host"), SPAN_LIT("example.amazonaws.com")},
        {SPAN_LIT("X-Amz-Date"), SPAN_LIT("20150830T123600Z")},
        {SPAN_LIT("My-Header1"), span_make(hdr, nh)},
        {SPAN_LIT("my-header1"), SPAN_LIT(" value2\r\n  value3 ")},
        {SPAN_LIT("Authorization"), span_make(auth, na)},
    };
    for (int normalize = 0; normalize < 2; normalize++) {
        sigv4_request_t req = {nb ? SPAN_LIT("POST") : SPAN_LIT("GET"),
                               span_make(uri, nu),
                               headers,
                               na ? 5 : 4,
                               span_make(body, nb),
                               normalize};
        sigv4_auth_t a;
        errbuf_t eb;
        if (sigv4_parse(&req, &a, &eb) != ERR_OK) continue;
        buf_t cr, sts;
        buf_init(&cr, 64 * 1024);
        buf_init(&sts, 64 * 1024);
        if (sigv4_canonical_request(&req, &a, &cr)) sigv4_string_to_sign(&a, buf_span(&cr), &sts);
        buf_reset(&cr);
        sigv4_canonical_request_omit_token(&req, &a, &cr);
        /* the signing-key memo (kept across inputs) must never change a verdict */
        err_t plain = sigv4_verify(&req, &a, SPAN_LIT(FUZZ_SECRET), &eb);
        if (sigv4_verify_cached(&req, &a, SPAN_LIT(FUZZ_SECRET), keys, &eb) != plain) abort();
        if (nh && sigv4_verify_cached(&req, &a, span_make(hdr, nh), keys, &eb) !=
                      sigv4_verify(&req, &a, span_make(hdr, nh), &eb))
            abort();
        sigv4_check_time(&a, FUZZ_NOW_MS, &eb);
        buf_free(&cr);
        buf_free(&sts);
    }
    free(auth);
    free(uri);
    free(hdr);
    free(body);
    return 0;
}
