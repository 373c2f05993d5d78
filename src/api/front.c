/* front.c - the wire half of the request pipeline: route (service, operation, protocol)
 * -> authenticate (SigV4) -> decode -> api_invoke -> encode, and every failure rendered
 * in the protocol's own error format. Cheap rejections come first, side effects last. */
#include "api/api.h"
#include "core/regions.h"

#include "auth/sigv4.h"
#include "console/console.h"
#include "core/enc.h"
#include "core/jx.h"
#include "core/log.h"
#include "core/mem.h"
#include "http/http.h"
#include "proto/proto.h"
#include "svc/cloudformation/cfn.h"
#include "prov/fetch.h"
#include "svc/ssm/ssm.h"
#include "yaml/yaml.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FRONT_MAX_PARAMS 4000

typedef struct route {
    err_proto_t proto;          /* how to answer, known even when routing fails */
    const model_service_t *svc; /* NULL when the service is unknown */
    const api_op_t *op;
    proto_params_t params; /* query/ec2 */
    bool have_auth;
    sigv4_auth_t auth;
    err_t auth_rc; /* sigv4_parse's verdict, reported after routing */
    errbuf_t auth_eb;
} route_t;

/* Parses the signature first: its credential scope names the service, so that even a
 * request refused before routing is answered in that service's format and namespace. */
static void front_scope(const sigv4_request_t *sreq, bool json, route_t *rt)
{
    rt->auth_rc = sigv4_parse(sreq, &rt->auth, &rt->auth_eb);
    rt->have_auth = rt->auth_rc == ERR_OK;
    if (!rt->have_auth || json) return;
    char name[64];
    snprintf(name, sizeof(name), "%.*s", (int)rt->auth.service.n, rt->auth.service.p);
    rt->svc = model_service(name);
    if (rt->svc) rt->proto = proto_err_proto(rt->svc->protocol);
}

static sigv4_request_t front_sigv4_request(const http_request_t *req, arena_t *arena)
{
    sigv4_header_t *h = arena_alloc(arena, sizeof(*h) * (req->n_headers ? req->n_headers : 1));
    for (size_t i = 0; i < req->n_headers; i++) {
        h[i].name = req->headers[i].name;
        h[i].value = req->headers[i].value;
    }
    return (sigv4_request_t){
        .method = req->method,
        .raw_uri = req->raw_uri,
        .headers = h,
        .n_headers = req->n_headers,
        .body = req->body,
        .normalize_path = true,
    };
}

static bool front_is_form(const http_request_t *req)
{
    span_t ct = http_header(req, "Content-Type");
    return ct.p && span_starts_with(ct, SPAN_LIT("application/x-www-form-urlencoded"));
}

/* Finds the query/ec2 service whose rows know this Action (for requests without a
 * credential scope, so that even their errors take the right format). */
static const model_service_t *front_service_by_action(const proto_param_t *action)
{
    const model_service_t *found = NULL;
    for (size_t i = 0; i < api_n_ops; i++) {
        const api_op_t *op = &api_ops[i];
        if (op->svc->protocol != MP_JSON && strcmp(op->name, action->value) == 0) {
            if (found && found != op->svc) return NULL; /* ambiguous */
            found = op->svc;
        }
    }
    return found;
}

/* Decides service, operation and protocol (front_scope has already read the credential
 * scope, where the query protocol names its service). */
static err_t front_route(const http_request_t *req, arena_t *arena, route_t *rt, errbuf_t *eb)
{
    span_t target = http_header(req, "X-Amz-Target");
    if (target.p) {
        rt->proto = ERR_PROTO_JSON;
        span_t prefix, opname = span_split(target, '.', &prefix);
        for (size_t i = 0; i < model_n_services; i++) {
            const model_service_t *s = &model_services[i];
            if (s->target_prefix && span_eq_str(prefix, s->target_prefix)) rt->svc = s;
        }
        if (!rt->svc || !opname.p)
            return err_fail(eb, ERR_UNKNOWN_OPERATION, "Unrecognized operation target '%.*s'",
                            (int)target.n, target.p);
        rt->op = api_op_find(rt->svc, opname);
        if (!rt->op)
            return err_fail(eb, ERR_UNKNOWN_OPERATION, "The operation %.*s is not supported by %s",
                            (int)opname.n, opname.p, rt->svc->name);
        return ERR_OK;
    }

    /* query / ec2: parameters from a form body, else the query string */
    rt->proto = ERR_PROTO_QUERY;
    span_t form = front_is_form(req) ? req->body : req->query;
    err_t rc = proto_form_parse(form, arena, FRONT_MAX_PARAMS, &rt->params, eb);
    if (rc) return rc;
    const proto_param_t *action = proto_param_get(&rt->params, "Action");
    if (!rt->have_auth && action) {
        rt->svc = front_service_by_action(action);
    }
    if (rt->svc) rt->proto = proto_err_proto(rt->svc->protocol);
    if (rt->svc && rt->svc->protocol == MP_JSON)
        return err_fail(eb, ERR_UNKNOWN_OPERATION, "%s requests need an X-Amz-Target header",
                        rt->svc->name);
    if (!action || !action->value_len) {
        if (!rt->have_auth && !rt->svc) return ERR_OK; /* the missing signature speaks first */
        return err_fail(eb, ERR_MISSING_ACTION, "Missing Action");
    }
    if (!rt->svc) {
        if (!rt->have_auth) return ERR_OK;
        return err_fail(eb, ERR_UNKNOWN_OPERATION, "The service '%.*s' is not served here",
                        (int)rt->auth.service.n, rt->auth.service.p);
    }
    rt->op = api_op_find(rt->svc, span_make(action->value, action->value_len));
    if (!rt->op)
        return err_fail(eb, ERR_UNKNOWN_OPERATION, "Could not find operation %s for version %s",
                        action->value, rt->svc->api_version);
    return ERR_OK;
}

/* SigV4: scope, key, time, signature. Fills *who, and notes the key's use once it holds. */
static err_t front_authenticate(app_t *app, const sigv4_request_t *sreq, route_t *rt,
                                auth_principal_t *who, errbuf_t *eb)
{
    if (!rt->have_auth) {
        if (rt->auth_rc == ERR_MISSING_AUTH)
            return err_fail(eb, ERR_MISSING_AUTH, "Request is missing Authentication Token");
        memcpy(eb->msg, rt->auth_eb.msg, sizeof(eb->msg));
        return rt->auth_rc;
    }
    const sigv4_auth_t *a = &rt->auth;
    if (!span_eq_str(a->service, rt->svc->name))
        return err_fail(eb, ERR_SIGNATURE_MISMATCH,
                        "Credential should be scoped to correct service: '%s'. ", rt->svc->name);
    /* one endpoint serves every region of the aws partition: the request acts in the one
     * its credential names (IAM and STS, global, accept any of them too) */
    const region_info_t *region = regions_find(a->region);
    if (!region)
        return err_fail(eb, ERR_SIGNATURE_MISMATCH,
                        "Credential should be scoped to a valid region, not '%.*s'. ",
                        (int)(a->region.n > 64 ? 64 : a->region.n), a->region.p);
    char secret[128];
    int64_t now = clk_now_ms(&app->wall);
    span_t token = a->security_token;
    buf_t decoded; /* presigned parameters arrive percent-encoded */
    buf_init(&decoded, 8192);
    if (a->presigned && token.n) {
        if (!enc_uri_decode(&decoded, token, false)) {
            buf_free(&decoded);
            return err_fail(eb, ERR_INVALID_CLIENT_TOKEN,
                            "The security token included in the request is invalid.");
        }
        token = buf_span(&decoded);
    }
    err_t rc = auth_keys_lookup(app->keys, a->access_key, token, now, secret, who, eb);
    buf_free(&decoded);
    if (!rc) rc = sigv4_check_time(a, now, eb);
    if (!rc)
        rc = sigv4_verify_cached(sreq, a, span_of(secret), auth_keys_signing_keys(app->keys), eb);
    memset(secret, 0, sizeof(secret));
    if (!rc) snprintf(who->region, sizeof(who->region), "%s", region->name);
    if (!rc) auth_keys_note_use(app->keys, who, rt->svc->name, who->region, now);
    return rc;
}

static void front_error(app_t *app, const http_request_t *req, const route_t *rt, err_t rc,
                        errbuf_t *eb, http_response_t *resp)
{
    if (err_status(rc, rt->proto) >= 500 && rc != ERR_UNAVAILABLE && rc != ERR_THROTTLING) {
        char em[1100];
        log_error("internal failure", "\"request_id\":\"%s\",\"error\":\"%s\",\"detail\":\"%s\"",
                  req->request_id, err_name(rc), log_escape(em, sizeof(em), eb->msg));
        snprintf(eb->msg, sizeof(eb->msg),
                 "An internal error occurred. Quote request id %s when reporting it.",
                 req->request_id);
    }
    const char *ns = rt->svc && rt->proto == ERR_PROTO_QUERY ? rt->svc->xml_ns : NULL;
    proto_error_doc_t d =
        proto_error_encode(rt->proto, ns, rc, eb->msg, req->request_id, &resp->body);
    resp->status = d.status;
    resp->content_type = d.content_type;
    resp->error_code = err_code(rc, rt->proto);
}

/* The test clock (CATALOGD_TEST_CLOCK=1 only): POST /_catalogd/test/clock?advance_ms=N. */
static bool front_test_clock(app_t *app, const http_request_t *req, http_response_t *resp)
{
    if (!span_eq_str(req->path, "/_catalogd/test/clock")) return false;
    resp->content_type = "application/json";
    resp->service = "catalogd";
    resp->operation = "TestClock";
    if (!app->cfg.test_clock || !span_eq_str(req->method, "POST")) {
        resp->status = 404;
        buf_adds(&resp->body, "{\"message\":\"the test clock is not enabled\"}");
        return true;
    }
    long long ms = 0;
    const char *q = req->query.p ? strstr(req->query.p, "advance_ms=") : NULL;
    if (q && (size_t)(q - req->query.p) < req->query.n) ms = strtoll(q + 11, NULL, 10);
    if (ms > 0) clk_advance(&app->clock, ms);
    engine_notify(app->engine);
    resp->status = 200;
    buf_printf(&resp->body, "{\"now_ms\":%lld}", (long long)clk_now_ms(&app->clock));
    return true;
}

/* One wire request's state from decoding to the answer. It lives on the heap so that a
 * request whose template URL is read on a fetch thread can be deferred (http_defer) and
 * finished by the handler's second call. */
typedef struct front_req {
    arena_t arena;
    errbuf_t eb;
    route_t rt;
    auth_principal_t who;
    cJSON *in;
    api_prefetch_t pf; /* the template URL read off the HTTP thread, when there is one */
    /* a write's answer waiting for its commit's fsync (front_durable): the output, made by
     * the first call, is encoded by the second */
    uint64_t ticket;
    cJSON *out;
    bool invoked, not_durable;
    http_token_t *token;
} front_req_t;

static void front_req_free(void *p)
{
    front_req_t *fr = p;
    cJSON_Delete(fr->in);
    cJSON_Delete(fr->out);
    arena_free(&fr->arena);
    free(fr);
}

/* Where an unsigned caller acts: the account of the role its request names (RoleArn: the
 * one the call is about) and the store's home region (STS and IAM are global). A request
 * naming no role's account is refused as AWS refuses it. */
static err_t front_anonymous_where(app_t *app, const route_t *rt, const cJSON *in,
                                   auth_principal_t *who, errbuf_t *eb)
{
    const char *arn = jx_str(in, "RoleArn");
    if (!arn || strncmp(arn, "arn:aws:iam::", 13) || strspn(arn + 13, "0123456789") != 12 ||
        arn[25] != ':')
        return err_fail(eb, ERR_ACCESS_DENIED, "Not authorized to perform %s:%s", rt->svc->name,
                        rt->op->name);
    snprintf(who->account, sizeof(who->account), "%.12s", arn + 13);
    snprintf(who->region, sizeof(who->region), "%s", app->home_region);
    return ERR_OK;
}

/* Limits, route, authenticate, decode: ERR_OK with fr->in, or the failure in fr->eb. */
static err_t front_decode(app_t *app, const http_request_t *req, front_req_t *fr)
{
    errbuf_t *eb = &fr->eb;
    route_t *rt = &fr->rt;
    bool json = http_header(req, "X-Amz-Target").p != NULL;
    rt->proto = json ? ERR_PROTO_JSON : ERR_PROTO_QUERY;
    sigv4_request_t sreq = front_sigv4_request(req, &fr->arena);
    front_scope(&sreq, json, rt);
    err_t rc = req->limit;
    if (rc == ERR_BODY_TOO_LARGE)
        err_fail(eb, rc, "The request body exceeds the limit of %zu bytes", req->max_body);
    else if (rc == ERR_HEADERS_TOO_LARGE)
        err_fail(eb, rc, "The request headers exceed the limit of %zu bytes", req->max_header);
    else if (rc == ERR_BAD_HTTP)
        err_fail(eb, rc, "The request has conflicting Content-Length headers");
    else if (rc == ERR_THROTTLING) /* past the connection limits (http/guard.h) */
        err_fail(eb, rc, "Rate exceeded");

    if (!rc) rc = front_route(req, &fr->arena, rt, eb);
    if (!rc && rt->auth_rc == ERR_MISSING_AUTH && rt->op->authz == API_AUTHZ_UNSIGNED) {
        /* an operation that needs no signature, sent without one: the handler
         * authenticates what the request carries (a signed one is checked as usual) */
        fr->who = (auth_principal_t){.kind = AUTH_ANONYMOUS, .name = "anonymous"};
    } else if (!rc) {
        rc = front_authenticate(app, &sreq, rt, &fr->who, eb);
    }
    if (!rc) {
        if (rt->proto == ERR_PROTO_JSON && !enc_utf8_valid(req->body))
            rc = err_fail(eb, ERR_SERIALIZATION, "The request body is not valid UTF-8");
        else if (rt->proto == ERR_PROTO_JSON)
            rc = proto_json_decode(rt->svc, rt->op->input, req->body, &fr->in, eb);
        else
            rc = proto_query_decode(rt->svc, rt->op->input, &rt->params, &fr->in, eb);
    }
    if (!rc && fr->who.kind == AUTH_ANONYMOUS)
        rc = front_anonymous_where(app, rt, fr->in, &fr->who, eb);
    return rc;
}

static api_call_t front_call(const http_request_t *req, front_req_t *fr)
{
    return (api_call_t){
        .op = fr->rt.op,
        .caller = &fr->who,
        .input = fr->in,
        .request_id = req->request_id,
        .source_ip = req->client_ip,
        .prefetch = &fr->pf,
        .durable = &fr->ticket,
    };
}

/* The fetch thread's last word on a deferred request: have the handler called again. */
static void front_fetched(void *token)
{
    http_resume(token);
}

/* When the request names a template URL it may fetch: hands the fetch to the fetch threads
 * and defers the answer (*deferred). Otherwise ERR_OK, or the fetch queue's refusal. */
static err_t front_defer(app_t *app, const http_request_t *req, front_req_t *fr, bool *deferred)
{
    *deferred = false;
    api_call_t call = front_call(req, fr);
    const char *url = api_prefetch_url(app, &call, &fr->arena);
    if (!url) return ERR_OK;
    http_token_t *t = http_defer(req, fr, front_req_free);
    err_t rc = api_prefetch_submit(app, &call, url, &fr->arena, &fr->pf, front_fetched, t, &fr->eb);
    if (rc) {
        http_defer_cancel(t);
        return rc;
    }
    *deferred = true; /* fr now belongs to the fetch thread until it resumes us */
    return ERR_OK;
}

/* The syncer's word on a deferred write: its commit is on disk (or the fsync failed): have
 * the handler called again to answer. fr belongs to the HTTP thread after the resume. */
static void front_durable(void *arg, bool ok)
{
    front_req_t *fr = arg;
    fr->not_durable = !ok;
    http_resume(fr->token);
}

/* Invokes (when decoding went well and it has not run yet), then encodes the result or the
 * error into resp. A write whose commit is not on disk yet is deferred instead (*deferred:
 * fr then belongs to the syncer until it resumes us), so the HTTP thread never waits for an
 * fsync; the second call answers. */
static void front_answer(app_t *app, const http_request_t *req, front_req_t *fr, err_t rc,
                         http_response_t *resp, bool *deferred)
{
    const route_t *rt = &fr->rt;
    *deferred = false;
    if (fr->who.arn[0]) snprintf(resp->principal, sizeof(resp->principal), "%s", fr->who.arn);
    if (!rc && !fr->invoked) {
        api_call_t call = front_call(req, fr);
        fr->invoked = true;
        rc = api_invoke(app, &call, &fr->arena, &fr->out, &fr->eb);
        if (!rc && fr->ticket) {
            fr->token = http_defer(req, fr, front_req_free);
            *deferred = true;
            store_when_durable(app->store, fr->ticket, front_durable, fr);
            return;
        }
    }
    if (!rc && fr->not_durable)
        rc = err_fail(&fr->eb, ERR_STORE, "the commit could not be made durable");
    if (rt->svc) resp->service = rt->svc->name;
    if (rt->op) resp->operation = rt->op->name;
    if (!rc) {
        bool ok;
        if (rt->proto == ERR_PROTO_JSON) {
            resp->content_type = "application/x-amz-json-1.1";
            ok = proto_json_encode(rt->svc, rt->op->output, fr->out, &resp->body);
        } else {
            resp->content_type = "text/xml";
            ok = proto_xml_encode(rt->svc, rt->op->name, rt->op->result_wrapper, rt->op->output,
                                  fr->out, req->request_id, &resp->body);
        }
        resp->status = 200;
        if (!ok) {
            buf_reset(&resp->body);
            rc = err_fail(&fr->eb, ERR_INTERNAL, "the response exceeds the output buffer");
        }
    }
    if (rc) {
        buf_reset(&resp->body);
        front_error(app, req, rt, rc, &fr->eb, resp);
    }
}

/* catalogd's extension for Run Command's whole output (GetCommandInvocation shows 24,000
 * characters, as AWS does, which would put the rest in S3): GET
 * /_catalogd/command-output?CommandId=C&InstanceId=I[&PluginName=P][&Stream=stderr],
 * signed with SigV4 for ssm like any SSM call. It is authorized and checked as a
 * GetCommandInvocation with those members (ssm:GetCommandInvocation; unknown ids and
 * plugins refused as that refuses them), then answers the bytes as the node wrote them
 * (application/octet-stream); errors in SSM's JSON format. */
static bool front_command_output(app_t *app, const http_request_t *req, http_response_t *resp)
{
    if (!span_eq_str(req->path, "/_catalogd/command-output")) return false;
    front_req_t *fr = xcalloc(1, sizeof(*fr));
    arena_init(&fr->arena);
    route_t *rt = &fr->rt;
    errbuf_t *eb = &fr->eb;
    sigv4_request_t sreq = front_sigv4_request(req, &fr->arena);
    front_scope(&sreq, true, rt);
    rt->proto = ERR_PROTO_JSON;
    rt->svc = model_service("ssm");
    rt->op = rt->svc ? api_op_find(rt->svc, SPAN_LIT("GetCommandInvocation")) : NULL;
    err_t rc = !rt->op ? err_fail(eb, ERR_INTERNAL, "GetCommandInvocation is not served") : ERR_OK;
    if (!rc && !span_eq_str(req->method, "GET"))
        rc = err_fail(eb, ERR_VALIDATION, "/_catalogd/command-output answers GET only");
    if (!rc) rc = proto_form_parse(req->query, &fr->arena, 16, &rt->params, eb);
    if (!rc) rc = front_authenticate(app, &sreq, rt, &fr->who, eb);
    const proto_param_t *stream = proto_param_get(&rt->params, "Stream");
    if (!rc && stream && strcmp(stream->value, "stdout") && strcmp(stream->value, "stderr"))
        rc = err_fail(eb, ERR_VALIDATION, "Stream is stdout (the default) or stderr.");
    cJSON *out = NULL;
    if (!rc) {
        fr->in = cJSON_CreateObject();
        static const char *const members[] = {"CommandId", "InstanceId", "PluginName"};
        for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++) {
            const proto_param_t *m = proto_param_get(&rt->params, members[i]);
            if (m) cJSON_AddStringToObject(fr->in, members[i], m->value);
        }
        api_call_t call = front_call(req, fr);
        rc = api_invoke(app, &call, &fr->arena, &out, eb);
    }
    char scope[64];
    if (!rc)
        rc = ssm_command_output_read(
            app, app_scope(app, fr->who.account, fr->who.region, scope, sizeof(scope)),
            jx_str(fr->in, "CommandId"), jx_str(fr->in, "InstanceId"), jx_str(out, "PluginName"),
            stream && !strcmp(stream->value, "stderr") ? 2 : 1, &resp->body, eb);
    if (fr->who.arn[0]) snprintf(resp->principal, sizeof(resp->principal), "%s", fr->who.arn);
    resp->service = "ssm";
    resp->operation = "GetCommandInvocation";
    if (rc) {
        buf_reset(&resp->body);
        front_error(app, req, rt, rc, eb, resp);
    } else {
        resp->status = 200;
        resp->content_type = "application/octet-stream";
    }
    cJSON_Delete(out);
    front_req_free(fr);
    return true;
}

void api_http_handle(void *ud, const http_request_t *req, http_response_t *resp)
{
    app_t *app = ud;
    yaml_isolate_this_thread(true);  /* text from a request never reaches libfyaml in-process */
    prov_fetch_forbid_this_thread(); /* nor does this thread ever wait on the network */
    front_req_t *fr = req->resumed;  /* the second call of a deferred request */
    if (fr && console_http(app, req, resp)) return; /* the console's own (federation.c) */
    err_t rc = ERR_OK;
    bool deferred = false;
    if (!fr) {
        if (api_probe_http(app, req, resp) || front_test_clock(app, req, resp) ||
            cfn_signal_http(app, req, resp) || front_command_output(app, req, resp) ||
            console_http(app, req, resp))
            return;
        fr = xcalloc(1, sizeof(*fr));
        arena_init(&fr->arena);
        rc = front_decode(app, req, fr);
        if (!rc) rc = front_defer(app, req, fr, &deferred);
        if (deferred) return;
    }
    front_answer(app, req, fr, rc, resp, &deferred);
    if (!deferred) front_req_free(fr);
}
