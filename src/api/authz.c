/* authz.c - authorization of every call, driven by the operation row: the IAM action,
 * the resource ARN built from the row's template, and the request context keys. The
 * account root (and catalogd acting as itself) bypasses identity policies, as on AWS;
 * everyone else is decided by their policies (iam/identity.h). Denials use AWS's
 * wording for each protocol. */
#include "api/api.h"

#include "core/enc.h"
#include "iam/grants.h"
#include "iam/identity.h"
#include "svc/cloudformation/cfn.h"
#include "svc/ec2/ec2.h"
#include "svc/ssm/ssm.h"

#include <stdio.h>
#include <string.h>

/* Expands one {@kind:Member} reference to the entity's ARN (the stored one, which
 * carries the path), defaulting to the plain form; the caller's own ARN when the
 * member is absent and the caller is of that kind. */
static const char *authz_entity(app_t *app, store_tx_t *tx, const api_call_t *call,
                                const char *type, const char *value, arena_t *arena)
{
    const auth_principal_t *who = call->caller;
    /* the caller's account and region; their regional rows are under scope */
    const char *account = who->account, *region = who->region;
    char scope[64];
    app_scope(app, account, region, scope, sizeof(scope));
    if (!strcmp(type, "stack")) { /* a stack by name or by StackId */
        if (!value) return "*";
        if (!strncmp(value, "arn:", 4)) return value;
        const char *arn = cfn_stack_arn(tx, scope, value, arena);
        return arn ? arn
                   : arena_printf(arena, "arn:aws:cloudformation:%s:%s:stack/%s/*", region, account,
                                  value);
    }
    if (!strcmp(type, "document") || !strcmp(type, "automation-definition")) {
        /* AWS-owned documents have no account in their ARN */
        if (!value) return "*";
        const char *name =
            !strncmp(value, "arn:", 4) && strrchr(value, '/') ? strrchr(value, '/') + 1 : value;
        bool own = ssm_document_owned(tx, scope, name);
        const char *acct = own ? account : "";
        if (!strcmp(type, "document"))
            return arena_printf(arena, "arn:aws:ssm:%s:%s:document/%s", region, acct, name);
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(call->input, "DocumentVersion");
        return arena_printf(arena, "arn:aws:ssm:%s:%s:automation-definition/%s:%s", region, acct,
                            name, cJSON_IsString(v) ? v->valuestring : "$DEFAULT");
    }
    if (!strcmp(type, "parameter")) /* a parameter by name (selector dropped), path or ARN */
        return value ? ssm_param_arn(region, account, value, arena) : "*";
    if (!value) {
        if (!strcmp(type, "user") && who->kind == AUTH_USER) return who->arn;
        if (!strcmp(type, "role") && who->kind == AUTH_ROLE_SESSION) return who->role_arn;
        return "*";
    }
    cJSON *e = NULL;
    errbuf_t eb;
    const char *arn = NULL;
    if (!iam_identity_find(tx, account, type, value, &e, &eb) && e) { /* IAM: global */
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(e, "Arn");
        if (cJSON_IsString(a)) arn = arena_strdup(arena, a->valuestring);
    }
    cJSON_Delete(e);
    return arn ? arn : arena_printf(arena, "arn:aws:iam::%s:%s/%s", account, type, value);
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
            val = call->caller->account;
        } else if (!strcmp(ref, "region")) {
            val = call->caller->region;
        } else if (rl > 2 && !strcmp(ref + rl - 2, "[]")) {
            /* {@ec2:Member[]}: an EC2 id of any kind, as "<type>/<id>" */
            val = strncmp(ref, "@ec2:", 5) ? (elem ? elem : "*")
                  : elem                   ? ec2_arn_resource(elem, arena)
                                           : "*";
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
        const char *colon = strchr(name, ':'); /* {@ec2:Member[]} */
        list = cJSON_GetObjectItemCaseSensitive(call->input, colon ? colon + 1 : name);
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

/* A growing list of context entries in the arena (room for every global key and the 50
 * tags a user or role may have). */
typedef struct ctxb {
    policy_ctx_entry_t v[80];
    size_t n;
    arena_t *arena;
} ctxb_t;

/* Service Catalog's access-level condition keys, lowest first. */
static const char *const sc_levels[] = {"servicecatalog:userLevel", "servicecatalog:roleLevel",
                                        "servicecatalog:accountLevel"};

/* Drops the entry of key, if any. */
static void ctx_drop(ctxb_t *c, const char *key)
{
    size_t keep = 0;
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->v[i].key, key)) c->v[keep++] = c->v[i];
    c->n = keep;
}

/* Adds key = value, replacing an entry of the same key. */
static void ctx_add(ctxb_t *c, const char *key, policy_ctx_type_t type, const char *value)
{
    if (!value) return;
    ctx_drop(c, key);
    if (c->n == sizeof(c->v) / sizeof(c->v[0])) return;
    const char **vals = arena_alloc(c->arena, sizeof(*vals));
    vals[0] = arena_strdup(c->arena, value);
    c->v[c->n++] = (policy_ctx_entry_t){key, type, vals, 1};
}

/* The tags a request brings or names (aws-api.md §7.3): aws:RequestTag/<key> for each
 * {Key, Value} of its top-level Tags, and aws:TagKeys (multivalued) for those keys or for
 * its TagKeys (an untag call). */
static void ctx_request_tags(ctxb_t *c, const cJSON *input)
{
    const cJSON *tags = cJSON_GetObjectItemCaseSensitive(input, "Tags");
    const cJSON *keys = cJSON_GetObjectItemCaseSensitive(input, "TagKeys");
    const cJSON *list = cJSON_IsArray(tags) ? tags : cJSON_IsArray(keys) ? keys : NULL;
    int n = cJSON_GetArraySize(list);
    if (!n || c->n == sizeof(c->v) / sizeof(c->v[0])) return;
    const char **vals = arena_alloc(c->arena, sizeof(*vals) * (size_t)n);
    size_t got = 0;
    for (const cJSON *t = list->child; t; t = t->next) {
        const cJSON *k = cJSON_IsString(t) ? t : cJSON_GetObjectItemCaseSensitive(t, "Key");
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(t, "Value");
        if (!cJSON_IsString(k)) continue;
        vals[got++] = arena_strdup(c->arena, k->valuestring);
        if (cJSON_IsString(v))
            ctx_add(c, arena_printf(c->arena, "aws:RequestTag/%s", k->valuestring), PCT_STRING,
                    v->valuestring);
    }
    ctx_drop(c, "aws:TagKeys");
    if (got && c->n < sizeof(c->v) / sizeof(c->v[0]))
        c->v[c->n++] = (policy_ctx_entry_t){"aws:TagKeys", PCT_STRING, vals, got};
}

/* The global condition keys of this request (aws-api.md §7.3); tags: the caller's (an
 * array of {"Key","Value"}, or NULL). */
static void authz_context(app_t *app, const api_call_t *call, const cJSON *tags, ctxb_t *c)
{
    const auth_principal_t *who = call->caller;
    int64_t now = clk_now_ms(&app->wall);
    char iso[32], epoch[24];
    enc_iso8601(now, iso);
    iso[19] = 'Z'; /* IAM's aws:CurrentTime has no fraction */
    iso[20] = '\0';
    snprintf(epoch, sizeof(epoch), "%lld", (long long)(now / 1000));
    ctx_add(c, "aws:CurrentTime", PCT_DATE, iso);
    ctx_add(c, "aws:EpochTime", PCT_NUMERIC, epoch);
    ctx_add(c, "aws:RequestedRegion", PCT_STRING, who->region);
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
    }
    /* present for temporary credentials only: true (and the age in seconds) for a session
     * whose caller proved an MFA code when asking for it */
    if (who->mfa_ms) {
        char age[24];
        snprintf(age, sizeof(age), "%lld",
                 (long long)((now > who->mfa_ms ? now - who->mfa_ms : 0) / 1000));
        ctx_add(c, "aws:MultiFactorAuthPresent", PCT_BOOL, "true");
        ctx_add(c, "aws:MultiFactorAuthAge", PCT_NUMERIC, age);
    } else if (who->kind == AUTH_ROLE_SESSION || who->from_get_session_token) {
        ctx_add(c, "aws:MultiFactorAuthPresent", PCT_BOOL, "false");
    }
    if (!call->source_ip) ctx_add(c, "aws:ViaAWSService", PCT_BOOL, "true");
    for (const cJSON *t = tags ? tags->child : NULL; t; t = t->next) {
        const cJSON *k = cJSON_GetObjectItemCaseSensitive(t, "Key");
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(t, "Value");
        if (cJSON_IsString(k) && cJSON_IsString(v))
            ctx_add(c, arena_printf(c->arena, "aws:PrincipalTag/%s", k->valuestring), PCT_STRING,
                    v->valuestring);
    }
    ctx_request_tags(c, call->input);
    /* Service Catalog's access levels: a request at one level (AccessLevelFilter; User by
     * default) carries servicecatalog:<level> = "self" for it and every level above it, as
     * a grant at a level covers the levels below (account > role > user) */
    if (call->op && !strcmp(call->op->svc->name, "servicecatalog")) {
        const cJSON *alf = cJSON_GetObjectItemCaseSensitive(call->input, "AccessLevelFilter");
        const cJSON *key = cJSON_GetObjectItemCaseSensitive(alf, "Key");
        int from = 0;
        if (cJSON_IsString(key) && !strcmp(key->valuestring, "Account"))
            from = 2;
        else if (cJSON_IsString(key) && !strcmp(key->valuestring, "Role"))
            from = 1;
        for (int i = from; i < 3; i++) ctx_add(c, sc_levels[i], PCT_STRING, "self");
    }
}

policy_ctx_t api_request_context(const api_ctx_t *c)
{
    api_call_t call = {
        .op = c->op, .caller = c->caller, .input = (cJSON *)c->in, .source_ip = c->source_ip};
    ctxb_t *b = arena_zalloc(c->arena, sizeof(*b)); /* the entries outlive this call */
    b->arena = c->arena;
    const iam_grants_t *g = NULL;
    errbuf_t eb; /* tags that cannot be read are no tags */
    if (c->caller->kind == AUTH_USER || c->caller->kind == AUTH_ROLE_SESSION)
        iam_grants_get(c->app->grants, c->authz_gen, clk_now_ms(&c->app->wall), c->tx, c->caller,
                       &g, &eb);
    authz_context(c->app, &call, g ? g->tags : NULL, b);
    iam_grants_release(c->app->grants, g);
    return (policy_ctx_t){b->v, b->n};
}

err_t api_deny(const api_call_t *call, const char *action, const char *resource, bool explicit_deny,
               const char *because, errbuf_t *eb)
{
    if (call->op->svc->protocol != MP_EC2)
        return err_fail(eb, ERR_ACCESS_DENIED,
                        "User: %s is not authorized to perform: %s on resource: %s %s",
                        call->caller->arn, action, resource, because);
    /* EC2 (aws-api.md 6.3): its own sentence, then IAM's; a read names no resource */
    if (!call->op->write)
        return err_fail(eb, ERR_ACCESS_DENIED,
                        "You are not authorized to perform this operation. User: %s is not "
                        "authorized to perform: %s %s",
                        call->caller->arn, action, because);
    /* a write adds the details in an opaque blob that sts:DecodeAuthorizationMessage reads */
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
             "You are not authorized to perform this operation. User: %s is not authorized to "
             "perform: %s on resource: %s %s. Encoded authorization failure message: %s",
             call->caller->arn, action, resource, because, buf_str(&b));
    buf_free(&b);
    return ERR_ACCESS_DENIED;
}

/* Decides action on every one of resources for call->caller, in the request context plus
 * one more key (key NULL: none), with policy_decide over the caller's policy set (its
 * grants, cached at gen: see iam/grants.h). ERR_OK when each is allowed; else
 * ERR_ACCESS_DENIED naming the first refused resource and the layer that refused it; store
 * errors as they come. */
static err_t authz_check(app_t *app, store_tx_t *tx, uint64_t gen, const api_call_t *call,
                         const char *action, const char *const *resources, size_t n_res,
                         const char *key, const char *value, errbuf_t *eb)
{
    const iam_grants_t *g = NULL;
    err_t rc = iam_grants_get(app->grants, gen, clk_now_ms(&app->wall), tx, call->caller, &g, eb);
    if (rc) return rc;
    arena_t arena;
    arena_init(&arena);
    ctxb_t ctx = {.arena = &arena};
    authz_context(app, call, g->tags, &ctx);
    /* asking about one Service Catalog access level: the levels below it do not count */
    for (int i = 0; key && i < 3; i++)
        if (!strcmp(key, sc_levels[i]))
            for (int j = 0; j < i; j++) ctx_drop(&ctx, sc_levels[j]);
    if (key) ctx_add(&ctx, key, PCT_STRING, value);
    policy_ctx_t pctx = {ctx.v, ctx.n};
    policy_decision_t d = POLICY_ALLOWED;
    policy_layer_t why = POLICY_LAYER_NONE;
    const char *resource = n_res ? resources[0] : "*";
    for (size_t i = 0; !rc && i < n_res && d == POLICY_ALLOWED; i++) {
        resource = resources[i];
        policy_request_t req = {action, resource, &pctx, NULL};
        d = policy_decide(&g->pol.set, &req, &why);
    }
    if (!rc && d != POLICY_ALLOWED) {
        static const struct {
            const char *article, *name;
        } layer[] = {
            [POLICY_LAYER_NONE] = {"an", "identity-based policy"},
            [POLICY_LAYER_IDENTITY] = {"an", "identity-based policy"},
            [POLICY_LAYER_BOUNDARY] = {"a", "permissions boundary"},
            [POLICY_LAYER_SESSION] = {"a", "session policy"},
        };
        char because[400];
        if (d == POLICY_EXPLICIT_DENY)
            snprintf(because, sizeof(because), "with an explicit deny in %s %s", layer[why].article,
                     layer[why].name);
        else
            snprintf(because, sizeof(because), "because no %s allows the %s action",
                     layer[why].name, action);
        rc = api_deny(call, action, resource, d == POLICY_EXPLICIT_DENY, because, eb);
    }
    arena_free(&arena);
    iam_grants_release(app->grants, g);
    return rc;
}

/* Credentials from GetSessionToken carry no MFA (catalogd has no MFA devices): AWS lets
 * them call no IAM operation and, of STS, only AssumeRole and GetCallerIdentity. */
static err_t authz_token_limits(const api_call_t *call, errbuf_t *eb)
{
    const api_op_t *op = call->op;
    if (!strcmp(op->svc->name, "iam") && !call->caller->mfa_ms)
        return err_fail(eb, ERR_ACCESS_DENIED,
                        "User: %s is not authorized to perform: %s because credentials from "
                        "GetSessionToken cannot call IAM without MFA authentication",
                        call->caller->arn, op->action);
    if (!strcmp(op->svc->name, "sts") && strcmp(op->name, "AssumeRole") &&
        strcmp(op->name, "GetCallerIdentity"))
        return err_fail(eb, ERR_ACCESS_DENIED, "Cannot call %s with session credentials", op->name);
    return ERR_OK;
}

err_t api_authorize(app_t *app, const api_call_t *call, store_tx_t *tx, uint64_t gen, errbuf_t *eb)
{
    const auth_principal_t *who = call->caller;
    err_t rc = who->from_get_session_token ? authz_token_limits(call, eb) : ERR_OK;
    if (rc || who->kind == AUTH_ROOT || who->kind == AUTH_SERVICE ||
        call->op->authz != API_AUTHZ_POLICY)
        return rc;
    arena_t arena;
    arena_init(&arena);
    size_t n_res;
    const char **resources = api_resource_arns(app, tx, call, &arena, &n_res);
    rc = authz_check(app, tx, gen, call, call->op->action, resources, n_res, NULL, NULL, eb);
    arena_free(&arena);
    return rc;
}

err_t api_check_action(api_ctx_t *c, const char *action, const char *resource, const char *key,
                       const char *value)
{
    const auth_principal_t *who = c->caller;
    if (who->kind == AUTH_ROOT || who->kind == AUTH_SERVICE) return ERR_OK;
    if (who->kind == AUTH_ANONYMOUS) /* has no policies: may nothing */
        return err_fail(c->eb, ERR_ACCESS_DENIED,
                        "Anonymous callers are not authorized to perform %s", action);
    api_call_t call = {
        .op = c->op, .caller = who, .input = (cJSON *)c->in, .source_ip = c->source_ip};
    return authz_check(c->app, c->tx, c->authz_gen, &call, action, &resource, 1, key, value, c->eb);
}

err_t api_check_pass_role(api_ctx_t *c, const char *role_arn, const char *service)
{
    return api_check_action(c, "iam:PassRole", role_arn, "iam:PassedToService", service);
}
