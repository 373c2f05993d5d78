/* authz.c - authorization of every call, driven by the operation row: the IAM action,
 * the resource ARN built from the row's template, and the request context keys. The
 * account root (and catalogd acting as itself) bypasses identity policies, as on AWS;
 * everyone else is decided by their policies (iam/identity.h). Denials use AWS's
 * wording for each protocol. */
#include "api/api.h"

#include "core/enc.h"
#include "iam/identity.h"
#include "res/res.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* Expands one {@kind:Member} reference to the entity's ARN (the stored one, which
 * carries the path), defaulting to the plain form; the caller's own ARN when the
 * member is absent and the caller is of that kind. */
static const char *authz_entity(app_t *app, store_tx_t *tx, const api_call_t *call,
                                const char *type, const char *value, arena_t *arena)
{
    const auth_principal_t *who = call->caller;
    if (!value) {
        if (!strcmp(type, "user") && who->kind == AUTH_USER) return who->arn;
        if (!strcmp(type, "role") && who->kind == AUTH_ROLE_SESSION) return who->role_arn;
        return "*";
    }
    char kind[160];
    snprintf(kind, sizeof(kind), "iam.%s", type);
    char *folded = arena_strdup(arena, value);
    for (char *p = folded; *p; p++) *p = (char)tolower((unsigned char)*p);
    cJSON *e = NULL;
    errbuf_t eb;
    const char *arn = NULL;
    if (!res_get_by_name(tx, app->cfg.account_id, kind, folded, &e, &eb) && e) {
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(e, "Arn");
        if (cJSON_IsString(a)) arn = arena_strdup(arena, a->valuestring);
    }
    cJSON_Delete(e);
    return arn ? arn
               : arena_printf(arena, "arn:aws:iam::%s:%s/%s", app->cfg.account_id, type, value);
}

/* Expands the template with `elem` standing for the one {Member[]} reference (if any). */
static const char *authz_expand(app_t *app, store_tx_t *tx, const api_call_t *call, arena_t *arena,
                                const char *elem)
{
    const char *t = call->op->resource;
    if (!strcmp(t, "*")) return "*";
    buf_t b;
    buf_init(&b, 4096);
    while (*t) {
        const char *open = strchr(t, '{');
        const char *close = open ? strchr(open, '}') : NULL;
        if (!open || !close) {
            buf_adds(&b, t);
            break;
        }
        buf_add(&b, t, (size_t)(open - t));
        char ref[128];
        snprintf(ref, sizeof(ref), "%.*s", (int)(close - open - 1), open + 1);
        size_t rl = strlen(ref);
        const char *val = NULL;
        if (!strcmp(ref, "account")) {
            val = app->cfg.account_id;
        } else if (!strcmp(ref, "region")) {
            val = app->cfg.region;
        } else if (rl > 2 && !strcmp(ref + rl - 2, "[]")) {
            val = elem ? elem : "*";
        } else if (ref[0] == '@') {
            char *colon = strchr(ref, ':');
            if (colon) {
                *colon = '\0';
                const cJSON *m = cJSON_GetObjectItemCaseSensitive(call->input, colon + 1);
                val = authz_entity(app, tx, call, ref + 1,
                                   cJSON_IsString(m) ? m->valuestring : NULL, arena);
                if (!strncmp(val, "arn:", 4)) buf_reset(&b); /* the whole ARN */
            }
        } else {
            char *bar = strchr(ref, '|'); /* {Member|default} */
            if (bar) *bar = '\0';
            const cJSON *m = cJSON_GetObjectItemCaseSensitive(call->input, ref);
            val = cJSON_IsString(m) ? m->valuestring : bar ? bar + 1 : "*";
        }
        buf_adds(&b, val ? val : "*");
        t = close + 1;
    }
    const char *out = arena_strdup(arena, buf_str(&b));
    buf_free(&b);
    return out;
}

const char **api_resource_arns(app_t *app, store_tx_t *tx, const api_call_t *call, arena_t *arena,
                               size_t *n)
{
    /* a {Member[]} reference makes one resource per element of that list member */
    const char *t = call->op->resource;
    const char *lb = strstr(t, "[]}");
    const cJSON *list = NULL;
    if (lb) {
        const char *open = lb;
        while (open > t && *open != '{') open--;
        char name[128];
        snprintf(name, sizeof(name), "%.*s", (int)(lb - open - 1), open + 1);
        list = cJSON_GetObjectItemCaseSensitive(call->input, name);
    }
    size_t count =
        cJSON_IsArray(list) && cJSON_GetArraySize(list) ? (size_t)cJSON_GetArraySize(list) : 1;
    const char **v = arena_alloc(arena, sizeof(*v) * count);
    const cJSON *e = cJSON_IsArray(list) ? list->child : NULL;
    for (size_t i = 0; i < count; i++, e = e ? e->next : NULL)
        v[i] = authz_expand(app, tx, call, arena, cJSON_IsString(e) ? e->valuestring : NULL);
    *n = count;
    return v;
}

const char *api_resource_arn(app_t *app, store_tx_t *tx, const api_call_t *call, arena_t *arena)
{
    size_t n;
    return api_resource_arns(app, tx, call, arena, &n)[0];
}

/* A growing list of context entries in the arena. */
typedef struct ctxb {
    policy_ctx_entry_t v[48];
    size_t n;
    arena_t *arena;
} ctxb_t;

static void ctx_add(ctxb_t *c, const char *key, policy_ctx_type_t type, const char *value)
{
    if (!value || c->n == sizeof(c->v) / sizeof(c->v[0])) return;
    const char **vals = arena_alloc(c->arena, sizeof(*vals));
    vals[0] = arena_strdup(c->arena, value);
    c->v[c->n++] = (policy_ctx_entry_t){key, type, vals, 1};
}

/* The global condition keys of this request (aws-api.md §7.3). */
static void authz_context(app_t *app, store_tx_t *tx, const api_call_t *call, ctxb_t *c)
{
    const auth_principal_t *who = call->caller;
    int64_t now = clk_now_ms(&app->clock);
    char iso[32], epoch[24];
    enc_iso8601(now, iso);
    iso[19] = 'Z'; /* IAM's aws:CurrentTime has no fraction */
    iso[20] = '\0';
    snprintf(epoch, sizeof(epoch), "%lld", (long long)(now / 1000));
    ctx_add(c, "aws:CurrentTime", PCT_DATE, iso);
    ctx_add(c, "aws:EpochTime", PCT_NUMERIC, epoch);
    ctx_add(c, "aws:RequestedRegion", PCT_STRING, app->cfg.region);
    ctx_add(c, "aws:SecureTransport", PCT_BOOL, "false");
    ctx_add(c, "aws:PrincipalAccount", PCT_STRING, who->account);
    ctx_add(c, "aws:userid", PCT_STRING, who->user_id);
    ctx_add(c, "aws:SourceIp", PCT_IP, call->source_ip);
    if (who->kind == AUTH_USER) {
        ctx_add(c, "aws:username", PCT_STRING, who->name);
        ctx_add(c, "aws:PrincipalArn", PCT_STRING, who->arn);
        ctx_add(c, "aws:PrincipalType", PCT_STRING, "User");
    } else if (who->kind == AUTH_ROLE_SESSION) {
        ctx_add(c, "aws:PrincipalArn", PCT_STRING, who->role_arn);
        ctx_add(c, "aws:PrincipalType", PCT_STRING, "AssumedRole");
        ctx_add(c, "aws:MultiFactorAuthPresent", PCT_BOOL, "false");
    }
    if (!call->source_ip) ctx_add(c, "aws:ViaAWSService", PCT_BOOL, "true");
    errbuf_t eb;
    cJSON *tags = iam_principal_tags(tx, who, &eb);
    for (const cJSON *t = tags ? tags->child : NULL; t; t = t->next) {
        const cJSON *k = cJSON_GetObjectItemCaseSensitive(t, "Key");
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(t, "Value");
        if (cJSON_IsString(k) && cJSON_IsString(v))
            ctx_add(c, arena_printf(c->arena, "aws:PrincipalTag/%s", k->valuestring), PCT_STRING,
                    v->valuestring);
    }
    cJSON_Delete(tags);
    /* Service Catalog's own key: the access level the request works at (self by default) */
    if (!strcmp(call->op->svc->name, "servicecatalog")) {
        const cJSON *alf = cJSON_GetObjectItemCaseSensitive(call->input, "AccessLevelFilter");
        const cJSON *key = cJSON_GetObjectItemCaseSensitive(alf, "Key");
        const char *level = "self";
        if (cJSON_IsString(key) && !strcmp(key->valuestring, "Account"))
            level = "account";
        else if (cJSON_IsString(key) && !strcmp(key->valuestring, "Role"))
            level = "role";
        ctx_add(c, "servicecatalog:userLevel", PCT_STRING, level);
    }
}

/* Which layer decided: for the "because ..." clause of the denial. */
typedef enum denial {
    DENY_NONE,
    DENY_EXPLICIT,
    DENY_NO_IDENTITY,
    DENY_BOUNDARY,
    DENY_SESSION
} denial_t;

static denial_t authz_decide(const policy_set_t *s, const policy_request_t *req, const char **where)
{
    bool allow = false, boundary_allows = !s->boundary, session_allows = s->n_session == 0;
    for (size_t i = 0; i < s->n_identity; i++) {
        policy_effect_t e = policy_eval(s->identity[i], req, NULL);
        if (e == POLICY_DENY) return (*where = "an identity-based policy"), DENY_EXPLICIT;
        allow |= e == POLICY_ALLOW;
    }
    if (s->boundary) {
        policy_effect_t e = policy_eval(s->boundary, req, NULL);
        if (e == POLICY_DENY) return (*where = "a permissions boundary"), DENY_EXPLICIT;
        boundary_allows = e == POLICY_ALLOW;
    }
    for (size_t i = 0; i < s->n_session; i++) {
        policy_effect_t e = policy_eval(s->session[i], req, NULL);
        if (e == POLICY_DENY) return (*where = "a session policy"), DENY_EXPLICIT;
        session_allows |= e == POLICY_ALLOW;
    }
    if (!allow) return DENY_NO_IDENTITY;
    if (!boundary_allows) return DENY_BOUNDARY;
    if (!session_allows) return DENY_SESSION;
    return DENY_NONE;
}

err_t api_deny(app_t *app, const api_call_t *call, const char *resource, bool explicit_deny,
               const char *because, errbuf_t *eb)
{
    const char *action = call->op->action;
    if (call->op->svc->protocol == MP_EC2) {
        if (!call->op->write)
            return err_fail(eb, ERR_ACCESS_DENIED,
                            "You are not authorized to perform this operation.");
        /* EC2 hides the details in an opaque blob that sts:DecodeAuthorizationMessage reads */
        cJSON *d = cJSON_CreateObject();
        cJSON_AddBoolToObject(d, "allowed", false);
        cJSON_AddBoolToObject(d, "explicitDeny", explicit_deny);
        cJSON *ctx = cJSON_AddObjectToObject(d, "context");
        cJSON_AddStringToObject(ctx, "principal", call->caller->arn);
        cJSON_AddStringToObject(ctx, "action", action);
        cJSON_AddStringToObject(ctx, "resource", resource);
        char *text = cJSON_PrintUnformatted(d);
        cJSON_Delete(d);
        buf_t b;
        buf_init(&b, 4096);
        enc_base64(&b, text, strlen(text));
        cJSON_free(text);
        err_fail(eb, ERR_ACCESS_DENIED,
                 "You are not authorized to perform this operation. Encoded authorization failure "
                 "message: %s",
                 buf_str(&b));
        buf_free(&b);
        return ERR_ACCESS_DENIED;
    }
    (void)app;
    return err_fail(eb, ERR_ACCESS_DENIED,
                    "User: %s is not authorized to perform: %s on resource: %s %s",
                    call->caller->arn, action, resource, because);
}

err_t api_authorize(app_t *app, const api_call_t *call, store_tx_t *tx, errbuf_t *eb)
{
    const auth_principal_t *who = call->caller;
    if (who->kind == AUTH_ROOT || who->kind == AUTH_SERVICE || call->op->open) return ERR_OK;
    arena_t arena;
    arena_init(&arena);
    size_t n_res;
    const char **resources = api_resource_arns(app, tx, call, &arena, &n_res);
    ctxb_t ctx = {.arena = &arena};
    authz_context(app, tx, call, &ctx);
    policy_ctx_t pctx = {ctx.v, ctx.n};
    iam_policies_t pol;
    err_t rc = iam_policies_load(tx, who, &arena, &pol, eb);
    if (rc) {
        arena_free(&arena);
        return rc;
    }
    const char *where = "", *resource = resources[0];
    denial_t d = DENY_NONE;
    for (size_t i = 0; i < n_res && d == DENY_NONE; i++) {
        resource = resources[i];
        policy_request_t req = {call->op->action, resource, &pctx, NULL};
        d = authz_decide(&pol.set, &req, &where);
    }
    iam_policies_free(&pol);
    if (d != DENY_NONE) {
        const char *action = call->op->action;
        char because[400];
        switch (d) {
        case DENY_EXPLICIT:
            snprintf(because, sizeof(because), "with an explicit deny in %s", where);
            break;
        case DENY_BOUNDARY:
            snprintf(because, sizeof(because),
                     "because no permissions boundary allows the %s action", action);
            break;
        case DENY_SESSION:
            snprintf(because, sizeof(because), "because no session policy allows the %s action",
                     action);
            break;
        default:
            snprintf(because, sizeof(because),
                     "because no identity-based policy allows the %s action", action);
        }
        rc = api_deny(app, call, resource, d == DENY_EXPLICIT, because, eb);
    }
    arena_free(&arena);
    return rc;
}
