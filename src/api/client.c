/* client.c - the in-process client: a handler or an engine step calls another
 * operation as some principal, through api_invoke, so validation and authorization apply
 * exactly as they do to a network caller (a role without ec2:StopInstances is refused
 * with AWS's AccessDenied text, not by a special case). */
#include "api/api.h"

#include "proto/proto.h"

#include <stdio.h>
#include <string.h>

err_t api_client_call_tx(app_t *app, store_tx_t *tx, unsigned *post, arena_t *arena,
                         const auth_principal_t *as, const char *service, const char *operation,
                         cJSON *input, cJSON **out, errbuf_t *eb)
{
    const model_service_t *svc = model_service(service);
    const api_op_t *op = svc ? api_op_find(svc, span_of(operation)) : NULL;
    if (!op)
        return err_fail(eb, ERR_INTERNAL, "internal call to unsupported operation %s:%s", service,
                        operation);
    /* inside a caller's transaction the callee's after-commit work (key cache invalidation,
     * wake-ups) can only run when the caller runs it: a caller with nowhere to put it would
     * lose it silently, so it is refused outright */
    if (tx && !post)
        return err_fail(eb, ERR_INTERNAL, "internal call to %s:%s without an after-commit set",
                        service, operation);
    char rid[37];
    ids_uuid(&app->ids, rid);
    api_call_t call = {
        .op = op,
        .caller = as,
        .input = input,
        .request_id = rid,
        .source_ip = NULL, /* made by catalogd on the principal's behalf */
        .tx = tx,
        .post = post,
    };
    return api_invoke(app, &call, arena, out, eb);
}

err_t api_client_call(api_ctx_t *ctx, const auth_principal_t *as, const char *service,
                      const char *operation, cJSON *input, cJSON **out, errbuf_t *eb)
{
    /* a principal that names no region acts in the caller's */
    auth_principal_t here;
    if (!as->region[0]) {
        here = *as;
        snprintf(here.region, sizeof(here.region), "%s", ctx->region);
        as = &here;
    }
    return api_client_call_tx(ctx->app, ctx->tx, &ctx->post, ctx->arena, as, service, operation,
                              input, out, eb);
}

void api_client_error_text(err_t rc, const char *service, const char *operation, const char *msg,
                           char *out, size_t cap)
{
    const model_service_t *svc = model_service(service);
    snprintf(out, cap, "An error occurred (%s) when calling the %s operation: %s",
             err_code(rc, svc ? proto_err_proto(svc->protocol) : ERR_PROTO_JSON), operation, msg);
}
