/* fuzz_signal.c - libFuzzer target for the wait-condition signal endpoint
 * (cfn_signal_http, src/svc/cloudformation/waitcond.c): the path after /_catalogd/cfn-signal/
 * ("ACCOUNT/REGION/TOKEN", or a bare TOKEN from before regions) and the signal body are
 * what anyone may send, unauthenticated. The input is "PATH\0BODY" (a missing part is
 * empty); the method is PUT. Oracles: no crash or sanitizer report; the answer is one of
 * the endpoint's statuses (a store with no handle never takes a signal: 404 for any
 * well-formed one). Seeds: tests/fuzz/corpus/signal/. */
#include "fuzz_init.h"
#include "gen_input.h"

#include "svc/cloudformation/cfn.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static app_t *app;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!app) app = gen_app(0);
    const uint8_t *nul = memchr(data, 0, size);
    size_t pn = nul ? (size_t)(nul - data) : size;
    static const char prefix[] = "/_catalogd/cfn-signal/";
    char *path = xmalloc(sizeof(prefix) + pn); /* its own allocation: exact bounds for ASan */
    memcpy(path, prefix, sizeof(prefix) - 1);
    if (pn) memcpy(path + sizeof(prefix) - 1, data, pn);
    size_t bn = nul ? size - pn - 1 : 0;
    char *body = xmalloc(bn ? bn : 1);
    if (bn) memcpy(body, nul + 1, bn);
    http_request_t req = {.method = SPAN_LIT("PUT"),
                          .path = span_make(path, sizeof(prefix) - 1 + pn),
                          .body = span_make(body, bn)};
    req.raw_uri = req.path;
    http_response_t resp;
    memset(&resp, 0, sizeof(resp));
    buf_init(&resp.body, 256);
    if (!cfn_signal_http(app, &req, &resp)) abort(); /* the prefix is always its own */
    if (resp.status != 400 && resp.status != 404 && resp.status != 405 && resp.status != 503)
        abort(); /* no handle exists, so 200 is never right */
    buf_free(&resp.body);
    free(body);
    free(path);
    return 0;
}
