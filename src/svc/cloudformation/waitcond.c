/* waitcond.c - AWS::CloudFormation::WaitConditionHandle and WaitCondition, and the HTTP
 * route their signals arrive on. A handle is a URL on catalogd itself,
 * http://<listen>/_catalogd/cfn-signal/<token>, with an unguessable token standing for
 * AWS's presigned S3 URL; its signals are kept in a cfn.signal record (id = token). A PUT
 * of {"Status": "SUCCESS"|"FAILURE", "Reason", "UniqueId", "Data"} to the URL (what
 * cfn-signal and curl -T send) records the signal by UniqueId and wakes the stack job,
 * whose WaitCondition is CREATE_COMPLETE once Count SUCCESS signals arrived, and fails on a
 * FAILURE signal or when Timeout seconds pass. */
#include "svc/cloudformation/types_int.h"
#include "core/jx.h"
#include "core/regions.h"

#include "core/clk.h"
#include "core/ids.h"
#include "core/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CFN_SIGNAL        "cfn.signal" /* id = token, parent = StackId */
#define CFN_SIGNAL_PREFIX "/_catalogd/cfn-signal/"
#define CFN_SIGNAL_MAX    4096 /* bytes of a signal's Reason or Data */

/* ---- AWS::CloudFormation::WaitConditionHandle */

static err_t wch_after_create(cfn_step_t *s, const cfn_spec_t *spec, cJSON *res, const cJSON *props,
                              const cJSON *in)
{
    (void)spec, (void)props, (void)in;
    char uuid[37], token[33];
    ids_uuid(&s->app->ids, uuid);
    size_t n = 0;
    for (const char *p = uuid; *p && n < 32; p++)
        if (*p != '-') token[n++] = *p;
    token[n] = '\0';
    char host[128] = "127.0.0.1";
    int port = 0;
    if (!app_split_listen(s->app->cfg.listen, host, sizeof(host), &port) || !host[0] ||
        !strcmp(host, "0.0.0.0") || !strcmp(host, "::"))
        snprintf(host, sizeof(host), "127.0.0.1");
    app_where_t w;
    cfn_stack_where(s->app, s->stack, &w);
    /* the handle names where the stack is: a signal carries nothing else */
    jx_set_str(res, "PhysicalResourceId",
               arena_printf(s->arena, "http://%s%s%s:%d" CFN_SIGNAL_PREFIX "%s/%s/%s",
                            strchr(host, ':') ? "[" : "", host, strchr(host, ':') ? "]" : "", port,
                            w.account, w.region, token));
    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "StackId", jx_str(s->stack, "StackId"));
    cJSON_AddStringToObject(b, "LogicalResourceId", jx_str(res, "LogicalResourceId"));
    cJSON_AddObjectToObject(b, "Signals");
    res_row_t row = {.parent = jx_str(s->stack, "StackId"),
                     .created_ms = clk_now_ms(&s->app->clock)};
    err_t rc = res_insert(s->tx, &(res_key_t){w.scope, CFN_SIGNAL, token}, &row, b, s->eb);
    cJSON_Delete(b);
    return rc;
}

/* A handle's path after the prefix: "ACCOUNT/REGION/TOKEN", or TOKEN alone (a handle from
 * before regions: the default account in the home region). Fills w and token (33 bytes);
 * false when path is not a handle's. */
static bool wch_parse(const app_t *app, span_t path, app_where_t *w, char *token)
{
    app_where_of(app, "{}", w);
    size_t hex = path.n >= 32 ? strspn(path.p + path.n - 32, "0123456789abcdef") : 0;
    if (hex != 32) return false;
    snprintf(token, 33, "%.*s", 32, path.p + path.n - 32);
    if (path.n == 32) return true;
    span_t rest = span_make(path.p, path.n - 32);
    const char *slash = memchr(rest.p, '/', rest.n);
    if (!slash || rest.p[rest.n - 1] != '/') return false;
    size_t al = (size_t)(slash - rest.p);
    span_t region = span_make(slash + 1, rest.n - al - 2);
    if (!al || al >= sizeof(w->account) || strspn(rest.p, "0123456789") < al ||
        !regions_find(region))
        return false;
    snprintf(w->account, sizeof(w->account), "%.*s", (int)al, rest.p);
    snprintf(w->region, sizeof(w->region), "%.*s", (int)region.n, region.p);
    app_scope(app, w->account, w->region, w->scope, sizeof(w->scope));
    return true;
}

/* The token of a handle URL, or NULL when url is not one of catalogd's. */
static const char *wch_token(const char *url)
{
    const char *p = url ? strstr(url, CFN_SIGNAL_PREFIX) : NULL;
    if (!p) return NULL;
    size_t n = strlen(p);
    return n >= 32 && strspn(p + n - 32, "0123456789abcdef") == 32 ? p + n - 32 : NULL;
}

static err_t wch_before_delete(cfn_step_t *s, const cfn_spec_t *spec, cJSON *res)
{
    (void)spec;
    const char *token = wch_token(jx_str(res, "PhysicalResourceId"));
    app_where_t w;
    cfn_stack_where(s->app, s->stack, &w);
    return token ? res_delete(s->tx, &(res_key_t){w.scope, CFN_SIGNAL, token}, NULL, s->eb)
                 : ERR_OK;
}

/* ---- AWS::CloudFormation::WaitCondition */

static err_t wc_after_create(cfn_step_t *s, const cfn_spec_t *spec, cJSON *res, const cJSON *props,
                             const cJSON *in)
{
    (void)spec, (void)in;
    const char *handle = cfn_prop_str(s, props, "Handle");
    const char *timeout = cfn_prop_str(s, props, "Timeout");
    const char *count = cfn_prop_str(s, props, "Count");
    char *end = NULL;
    long t = timeout ? strtol(timeout, &end, 10) : 0;
    if (!timeout || !end || *end || t < 1 || t > 43200)
        return err_fail(s->eb, ERR_VALIDATION,
                        "Timeout must be a number of seconds from 1 to 43200 (12 hours)");
    long n = 1;
    if (count) {
        n = strtol(count, &end, 10);
        if (!end || *end || n < 1)
            return err_fail(s->eb, ERR_VALIDATION, "Count must be a positive integer");
    }
    if (!wch_token(handle))
        return err_fail(s->eb, ERR_VALIDATION,
                        "Handle must be the URL of an AWS::CloudFormation::WaitConditionHandle "
                        "(its Ref)");
    jx_set_str(res, "PhysicalResourceId", handle);
    jx_set_num(res, "_WaitUntil", (double)(clk_now_ms(&s->app->clock) + t * 1000));
    jx_set_num(res, "_WaitCount", (double)n);
    return ERR_OK;
}

/* Settles when Count SUCCESS signals arrived (Data: their Data by UniqueId, as JSON text),
 * fails on a FAILURE one or past the deadline; meanwhile the job watches the handle. */
static err_t wc_check(cfn_step_t *s, const cfn_spec_t *spec, cJSON *res, bool deleting,
                      cfn_progress_t *p, char *reason, size_t cap)
{
    (void)spec;
    *p = CFN_DONE;
    const char *token = wch_token(jx_str(res, "PhysicalResourceId"));
    if (deleting || !token) return ERR_OK;
    cJSON *rec = NULL;
    app_where_t w;
    cfn_stack_where(s->app, s->stack, &w);
    err_t rc = res_get(s->tx, &(res_key_t){w.scope, CFN_SIGNAL, token}, &rec, s->eb);
    if (rc) return rc;
    int64_t want = jx_int(res, "_WaitCount", 1), got = 0;
    const cJSON *sigs = cJSON_GetObjectItemCaseSensitive(rec, "Signals");
    cJSON *data = cJSON_CreateObject();
    const cJSON *failed = NULL;
    for (const cJSON *g = sigs ? sigs->child : NULL; g; g = g->next) {
        if (!strcmp(jx_str(g, "Status"), "FAILURE") && !failed) failed = g;
        if (strcmp(jx_str(g, "Status"), "SUCCESS")) continue;
        got++;
        cJSON_AddStringToObject(data, g->string, jx_str(g, "Data") ? jx_str(g, "Data") : "");
    }
    if (failed) {
        *p = CFN_FAILED;
        snprintf(reason, cap, "WaitCondition received failed message: '%s' for uniqueId: %s",
                 jx_str(failed, "Reason") ? jx_str(failed, "Reason") : "", failed->string);
    } else if (!rec) {
        *p = CFN_FAILED;
        snprintf(reason, cap, "WaitCondition handle %s no longer exists", token);
    } else if (got >= want) {
        char *text = cJSON_PrintUnformatted(data);
        cJSON *attrs = cJSON_CreateObject();
        cJSON_AddStringToObject(attrs, "Data", text);
        jx_set(res, "_Attrs", attrs);
        cJSON_free(text);
    } else if (clk_now_ms(&s->app->clock) >= jx_int(res, "_WaitUntil", 0)) {
        *p = CFN_FAILED;
        snprintf(reason, cap,
                 "WaitCondition timed out. Received %lld conditions when expecting %lld",
                 (long long)got, (long long)want);
    } else {
        *p = CFN_PENDING;
        rc = engine_watch(s->tx, arena_printf(s->arena, CFN_SIGNAL ":%s", token), s->job_id, s->eb);
        s->watched = !rc;
    }
    cJSON_Delete(data);
    cJSON_Delete(rec);
    return rc;
}

static const cfn_prop_t wc_props[] = {
    {"Handle", NULL, CFN_P_REQ}, {"Timeout", NULL, CFN_P_REQ}, {"Count", NULL, 0}, {0}};

const cfn_spec_t cfn_wait_specs[] = {{.type = "AWS::CloudFormation::WaitConditionHandle",
                                      .service = "cloudformation",
                                      .after_create = wch_after_create,
                                      .before_delete = wch_before_delete},
                                     {.type = "AWS::CloudFormation::WaitCondition",
                                      .service = "cloudformation",
                                      .props = wc_props,
                                      .after_create = wc_after_create,
                                      .check = wc_check},
                                     {0}};

/* ---- the signal route */

/* The HTTP answer: status and a JSON message (none for 200). */
static bool cfn_signal_answer(http_response_t *resp, int status, const char *msg)
{
    resp->status = status;
    resp->content_type = "application/json";
    if (msg) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "message", msg);
        char *text = cJSON_PrintUnformatted(o);
        buf_adds(&resp->body, text);
        cJSON_free(text);
        cJSON_Delete(o);
    }
    return true;
}

/* Records signal sig (validated) against the handle token, and wakes its waiter. */
static err_t cfn_signal_store(app_t *app, const app_where_t *w, const char *token, const cJSON *sig,
                              bool *found, errbuf_t *eb)
{
    store_tx_t *tx = NULL;
    cJSON *rec = NULL;
    res_key_t k = {w->scope, CFN_SIGNAL, token};
    err_t rc = store_begin(app->store, true, &tx, eb);
    if (!rc) rc = res_get(tx, &k, &rec, eb);
    *found = rec != NULL;
    if (!rc && rec) {
        cJSON *sigs = cJSON_GetObjectItemCaseSensitive(rec, "Signals");
        cJSON *e = cJSON_CreateObject();
        static const char *const keep[] = {"Status", "Reason", "Data", NULL};
        jx_copy(e, sig, keep);
        jx_set(sigs, jx_str(sig, "UniqueId"), e); /* the same UniqueId replaces */
        int64_t now = clk_now_ms(&app->clock);
        rc = res_update(tx, &k, NULL, now, rec, NULL, eb);
        char topic[64];
        snprintf(topic, sizeof(topic), CFN_SIGNAL ":%s", token);
        if (!rc) rc = engine_signal(tx, topic, now, eb);
    }
    cJSON_Delete(rec);
    if (!rc && tx) return store_commit(tx, eb);
    store_rollback(tx);
    return rc;
}

bool cfn_signal_http(app_t *app, const http_request_t *req, http_response_t *resp)
{
    size_t plen = strlen(CFN_SIGNAL_PREFIX);
    if (req->path.n < plen || memcmp(req->path.p, CFN_SIGNAL_PREFIX, plen)) return false;
    resp->service = "cloudformation";
    resp->operation = "SignalWaitCondition";
    char token[33];
    app_where_t w;
    if (!wch_parse(app, span_make(req->path.p + plen, req->path.n - plen), &w, token))
        return cfn_signal_answer(resp, 404, "No such wait condition handle");
    if (!span_eq_str(req->method, "PUT"))
        return cfn_signal_answer(resp, 405, "Signal a wait condition handle with PUT");
    cJSON *sig = cJSON_ParseWithLength(req->body.p ? req->body.p : "", req->body.n);
    const char *status = jx_str(sig, "Status"), *id = jx_str(sig, "UniqueId");
    const char *why = !cJSON_IsObject(sig) ? "The signal must be a JSON object"
                      : !status || (strcmp(status, "SUCCESS") && strcmp(status, "FAILURE"))
                          ? "Status must be SUCCESS or FAILURE"
                      : !id || !*id || strlen(id) > 255 ? "UniqueId must be a string of 1 to 255"
                      : (jx_str(sig, "Reason") && strlen(jx_str(sig, "Reason")) > CFN_SIGNAL_MAX) ||
                              (jx_str(sig, "Data") && strlen(jx_str(sig, "Data")) > CFN_SIGNAL_MAX)
                          ? "Reason and Data may not exceed 4096 bytes"
                          : NULL;
    if (why) {
        cJSON_Delete(sig);
        return cfn_signal_answer(resp, 400, why);
    }
    errbuf_t eb;
    bool found = false;
    err_t rc = cfn_signal_store(app, &w, token, sig, &found, &eb);
    cJSON_Delete(sig);
    if (rc) {
        log_warn("wait condition signal failed", "\"error\":\"%s\"", err_name(rc));
        return cfn_signal_answer(resp, 503, "The signal could not be recorded; retry it.");
    }
    if (!found) return cfn_signal_answer(resp, 404, "No such wait condition handle");
    engine_notify(app->engine);
    return cfn_signal_answer(resp, 200, NULL);
}
