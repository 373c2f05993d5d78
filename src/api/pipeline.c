/* pipeline.c - the part of the request pipeline after the wire, shared by HTTP requests
 * and in-process calls: validate -> authorize -> handler in one transaction. */
#include "api/api.h"

#include "proto/proto.h"

#include <stdlib.h>
#include <string.h>

static int op_cmp(const model_service_t *svc, span_t name, const api_op_t *row)
{
    int c = strcmp(svc->name, row->svc->name);
    if (c) return c;
    size_t n = strlen(row->name);
    c = memcmp(name.p, row->name, name.n < n ? name.n : n);
    if (c) return c;
    return (name.n > n) - (name.n < n);
}

const api_op_t *api_op_find(const model_service_t *svc, span_t name)
{
    size_t lo = 0, hi = api_n_ops;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = op_cmp(svc, name, &api_ops[mid]);
        if (c == 0) return &api_ops[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

void api_post_commit(app_t *app, unsigned post)
{
    if (post & API_POST_AUTH_CHANGED) auth_keys_invalidate(app->keys);
    if (post & API_POST_WAKE_ENGINE) engine_notify(app->engine);
    /* every other node sharing the store (its listener does the same there; jobs made due
     * tell their engines through the store itself) */
    if (post & API_POST_AUTH_CHANGED) store_publish(app->store, "auth");
}

err_t api_invoke(app_t *app, const api_call_t *given, arena_t *arena, cJSON **out, errbuf_t *eb)
{
    /* The type gate: the callee works on its own conformed copy of the input, so that an
     * in-process caller's tree (built by a runbook, say) is held to the model exactly as a
     * decoded request is, and a handler never sees a value of the wrong type. */
    api_call_t conformed = *given;
    const api_call_t *call = &conformed;
    const api_op_t *op = call->op;
    cJSON *in = given->input ? cJSON_Duplicate(given->input, true) : cJSON_CreateObject();
    if (!in) abort(); /* the house OOM policy */
    conformed.input = in;
    err_t rc = proto_conform(op->svc, op->input, in, eb);
    if (!rc) rc = proto_validate(op->svc, op->input, in, eb);
    store_tx_t *tx = call->tx;
    bool own = tx == NULL;
    /* every call acts in one account and region: a principal without them is a path that
     * forgot to say where (a job's, a service principal's), refused rather than defaulted */
    if (!rc && (!call->caller->account[0] || !call->caller->region[0]))
        rc = err_fail(eb, ERR_INTERNAL, "call to %s:%s as %s names no %s", op->svc->name, op->name,
                      call->caller->arn, call->caller->account[0] ? "region" : "account");
    char scope[64] = "";
    if (!rc) app_scope(app, call->caller->account, call->caller->region, scope, sizeof(scope));
    /* the region's defaults (default VPC, ...) exist before the call's transaction begins;
     * a call inside a caller's transaction acts where its caller has already acted */
    if (!rc && own) rc = app_region_ready(app, call->caller->account, call->caller->region, eb);
    api_prefetch_t pf = {0}; /* a template URL, read before the transaction begins */
    if (!rc && call->prefetch)
        pf = *call->prefetch;
    else if (!rc && own)
        api_prefetch(app, call, arena, &pf);
    if (!rc && own) rc = store_begin(app->store, op->write, &tx, eb);
    bool nested = false; /* inside a caller's transaction: undo only our own part on failure */
    if (!rc && !own && op->write) nested = !(rc = store_savepoint(tx, eb));
    if (!rc) rc = api_authorize(app, call, tx, eb);
    api_ctx_t ctx = {
        .app = app,
        .op = op,
        .caller = call->caller,
        .account = call->caller->account,
        .region = call->caller->region,
        .scope = arena_strdup(arena, scope),
        .in = in,
        .out = cJSON_CreateObject(),
        .tx = tx,
        .arena = arena,
        .eb = eb,
        .request_id = call->request_id,
        .source_ip = call->source_ip,
        .prefetch = &pf,
    };
    if (!rc) rc = op->handler(&ctx);
    if (own && tx) {
        if (!rc && op->write)
            rc = call->durable ? store_commit_ticket(tx, call->durable, eb) : store_commit(tx, eb);
        else
            store_rollback(tx);
    }
    if (nested) {
        if (!rc)
            rc = store_release(tx, eb);
        else
            store_rollback_to(tx);
    }
    cJSON_Delete(in);
    if (rc) {
        cJSON_Delete(ctx.out);
        return rc;
    }
    if (!own && call->post) *call->post |= ctx.post;
    if (own) api_post_commit(app, ctx.post);
    *out = ctx.out;
    return ERR_OK;
}

const char *api_in_str(const api_ctx_t *c, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(c->in, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

int64_t api_in_int(const api_ctx_t *c, const char *name, int64_t def)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(c->in, name);
    return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : def;
}
