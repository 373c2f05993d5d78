/* sts.c - AWS Security Token Service: GetCallerIdentity, AssumeRole, GetSessionToken,
 * DecodeAuthorizationMessage, and sts_assume for catalogd's own services. */
#include "svc/sts/sts.h"

#include "api/gen/ops_gen.h"
#include "core/clk.h"
#include "core/enc.h"
#include "iam/identity.h"
#include "res/res.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* GetCallerIdentity: who the signature says you are. Needs no permission on AWS. */
err_t sts_get_caller_identity(api_ctx_t *ctx)
{
    cJSON_AddStringToObject(ctx->out, "UserId", ctx->caller->user_id);
    cJSON_AddStringToObject(ctx->out, "Account", ctx->caller->account);
    cJSON_AddStringToObject(ctx->out, "Arn", ctx->caller->arn);
    return ERR_OK;
}

/* A random session token: long and opaque, like AWS's. */
static void sts_token(app_t *app, char out[256])
{
    unsigned char raw[120];
    app->ids.fill(&app->ids, raw, sizeof(raw));
    buf_t b;
    buf_init(&b, 250);
    buf_adds(&b, "CDv1");
    enc_base64(&b, raw, sizeof(raw));
    snprintf(out, 256, "%s", buf_str(&b));
    buf_free(&b);
}

/* Issues a session key for record (JSON) valid for duration_s. */
static err_t sts_issue(app_t *app, store_tx_t *tx, const char *record, int64_t duration_s,
                       sts_creds_t *out, errbuf_t *eb)
{
    auth_keys_generate(&app->ids, "ASIA", out->access_key, out->secret);
    sts_token(app, out->token);
    int64_t now = clk_now_ms(&app->clock);
    out->expires_ms = now + duration_s * 1000;
    return auth_keys_insert(app->keys, tx, out->access_key, out->secret, "session", record,
                            out->token, out->expires_ms, now, eb);
}

static err_t sts_refuse(errbuf_t *eb, const char *who, const char *role_arn)
{
    return err_fail(eb, ERR_ACCESS_DENIED,
                    "User: %s is not authorized to perform: sts:AssumeRole on resource: %s", who,
                    role_arn);
}

/* Finds the role an ARN names (last path segment), or NULL. */
static err_t sts_role(app_t *app, store_tx_t *tx, const char *arn, cJSON **role, errbuf_t *eb)
{
    *role = NULL;
    char prefix[64];
    snprintf(prefix, sizeof(prefix), "arn:aws:iam::%s:role/", app->cfg.account_id);
    if (strncmp(arn, prefix, strlen(prefix))) return ERR_OK;
    const char *name = strrchr(arn, '/') + 1;
    char folded[128];
    size_t i = 0;
    for (; name[i] && i + 1 < sizeof(folded); i++)
        folded[i] = (char)tolower((unsigned char)name[i]);
    folded[i] = '\0';
    err_t rc = res_get_by_name(tx, app->cfg.account_id, "iam.role", folded, role, eb);
    if (!rc && *role) {
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(*role, "Arn");
        if (!cJSON_IsString(a) || strcmp(a->valuestring, arn)) { /* same name, other path */
            cJSON_Delete(*role);
            *role = NULL;
        }
    }
    return rc;
}

/* Evaluates the trust policy for the principal; also tells whether it names the caller's
 * exact ARN (which then needs no identity permission of its own). */
static policy_effect_t sts_trust(const char *doc, const policy_principal_t *pp,
                                 const char *role_arn, const policy_ctx_t *ctx)
{
    policy_t *p = NULL;
    errbuf_t ignore;
    if (policy_parse(span_of(doc), POLICY_TRUST, &p, &ignore)) return POLICY_NO_MATCH;
    policy_request_t req = {"sts:AssumeRole", role_arn, ctx, pp};
    policy_effect_t e = policy_eval(p, &req, NULL);
    policy_free(p);
    return e;
}

err_t sts_assume(app_t *app, store_tx_t *tx, const sts_assume_req_t *r, sts_creds_t *out,
                 arena_t *arena, errbuf_t *eb)
{
    const auth_principal_t *caller = r->caller;
    const char *who = caller ? caller->arn : r->service;
    if (caller && caller->kind == AUTH_ROOT)
        return err_fail(eb, ERR_ACCESS_DENIED, "Roles may not be assumed by root accounts.");
    cJSON *role = NULL;
    err_t rc = sts_role(app, tx, r->role_arn, &role, eb);
    if (rc) return rc;
    if (!role) return sts_refuse(eb, who, r->role_arn);

    /* 1. the role's trust policy must allow this principal */
    const cJSON *trust = cJSON_GetObjectItemCaseSensitive(role, "AssumeRolePolicyDocument");
    const char *trust_doc = cJSON_IsString(trust) ? trust->valuestring : "{}";
    const char *ext_vals[1] = {r->external_id};
    const char *sess_vals[1] = {r->session_name};
    policy_ctx_entry_t ents[4];
    size_t n = 0;
    if (r->external_id) ents[n++] = (policy_ctx_entry_t){"sts:ExternalId", PCT_STRING, ext_vals, 1};
    if (r->session_name)
        ents[n++] = (policy_ctx_entry_t){"sts:RoleSessionName", PCT_STRING, sess_vals, 1};
    const char *parn_vals[1] = {
        caller ? (caller->kind == AUTH_ROLE_SESSION ? caller->role_arn : caller->arn) : NULL};
    if (caller) ents[n++] = (policy_ctx_entry_t){"aws:PrincipalArn", PCT_STRING, parn_vals, 1};
    policy_ctx_t ctx = {ents, n};
    policy_principal_t pp = {0};
    policy_effect_t e;
    if (caller) {
        pp.aws_arn = caller->arn;
        pp.role_arn = caller->kind == AUTH_ROLE_SESSION ? caller->role_arn : NULL;
        pp.account = caller->account;
        e = sts_trust(trust_doc, &pp, r->role_arn, &ctx);
    } else {
        /* a service may be trusted by its global or its regional name */
        pp.service = r->service;
        e = sts_trust(trust_doc, &pp, r->role_arn, &ctx);
        if (e == POLICY_NO_MATCH) {
            const char *dot = strchr(r->service, '.');
            pp.service = arena_printf(arena, "%.*s.%s%s", (int)(dot - r->service), r->service,
                                      app->cfg.region, dot);
            e = sts_trust(trust_doc, &pp, r->role_arn, &ctx);
        }
    }
    if (e != POLICY_ALLOW) {
        cJSON_Delete(role);
        return sts_refuse(eb, who, r->role_arn);
    }

    /* 2. an IAM caller also needs sts:AssumeRole in its own policies, unless the trust
     *    policy names it exactly (a same-account resource-based grant) */
    if (caller) {
        policy_principal_t only_account = {.account = caller->account};
        bool named =
            sts_trust(trust_doc,
                      &(policy_principal_t){.aws_arn = caller->arn, .role_arn = pp.role_arn},
                      r->role_arn, &ctx) == POLICY_ALLOW &&
            sts_trust(trust_doc, &only_account, r->role_arn, &ctx) != POLICY_ALLOW;
        iam_policies_t pol;
        rc = iam_policies_load(tx, caller, arena, &pol, eb);
        if (rc) {
            cJSON_Delete(role);
            return rc;
        }
        policy_request_t req = {"sts:AssumeRole", r->role_arn, &(policy_ctx_t){NULL, 0}, NULL};
        policy_decision_t d = policy_decide(&pol.set, &req);
        iam_policies_free(&pol);
        if (d == POLICY_EXPLICIT_DENY || (d != POLICY_ALLOWED && !named)) {
            cJSON_Delete(role);
            return sts_refuse(eb, who, r->role_arn);
        }
    }

    /* 3. duration and session policies */
    const cJSON *max = cJSON_GetObjectItemCaseSensitive(role, "MaxSessionDuration");
    int64_t duration = r->duration_s ? r->duration_s : 3600;
    if (cJSON_IsNumber(max) && duration > (int64_t)max->valuedouble) {
        cJSON_Delete(role);
        return err_fail(
            eb, ERR_VALIDATION,
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.");
    }
    if (r->policy) {
        policy_t *sp = NULL;
        rc = policy_parse(span_of(r->policy), POLICY_IDENTITY, &sp, eb);
        policy_free(sp);
        if (rc) {
            cJSON_Delete(role);
            return err_fail(eb, ERR_STS_MALFORMED_POLICY, "%s", eb->msg);
        }
    }
    cJSON *arns = cJSON_CreateArray();
    for (const cJSON *a = r->policy_arns ? r->policy_arns->child : NULL; a; a = a->next) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(a, "arn");
        if (cJSON_IsString(v)) cJSON_AddItemToArray(arns, cJSON_CreateString(v->valuestring));
    }
    const cJSON *rid = cJSON_GetObjectItemCaseSensitive(role, "RoleId");
    char *record =
        iam_session_record(rid->valuestring, NULL, r->session_name, r->policy, arns, who);
    cJSON_Delete(arns);
    rc = sts_issue(app, tx, record, duration, out, eb);
    cJSON_free(record);
    if (!rc) {
        memset(&out->who, 0, sizeof(out->who));
        const cJSON *rn = cJSON_GetObjectItemCaseSensitive(role, "RoleName");
        out->who.kind = AUTH_ROLE_SESSION;
        snprintf(out->who.account, sizeof(out->who.account), "%s", app->cfg.account_id);
        snprintf(out->who.arn, sizeof(out->who.arn), "arn:aws:sts::%s:assumed-role/%s/%s",
                 app->cfg.account_id, rn->valuestring, r->session_name);
        snprintf(out->who.user_id, sizeof(out->who.user_id), "%s:%s", rid->valuestring,
                 r->session_name);
        snprintf(out->who.name, sizeof(out->who.name), "%s", rn->valuestring);
        snprintf(out->who.session, sizeof(out->who.session), "%s", r->session_name);
        snprintf(out->who.role_arn, sizeof(out->who.role_arn), "%s", r->role_arn);
        snprintf(out->who.access_key, sizeof(out->who.access_key), "%s", out->access_key);
        out->who.expires_ms = out->expires_ms;
    }
    cJSON_Delete(role);
    return rc;
}

static void sts_put_creds(api_ctx_t *ctx, const sts_creds_t *c)
{
    cJSON *o = cJSON_AddObjectToObject(ctx->out, "Credentials");
    cJSON_AddStringToObject(o, "AccessKeyId", c->access_key);
    cJSON_AddStringToObject(o, "SecretAccessKey", c->secret);
    cJSON_AddStringToObject(o, "SessionToken", c->token);
    cJSON_AddNumberToObject(o, "Expiration", (double)c->expires_ms / 1000.0);
}

err_t sts_assume_role(api_ctx_t *ctx)
{
    const char *policy = api_in_str(ctx, "Policy");
    const cJSON *arns = cJSON_GetObjectItemCaseSensitive(ctx->in, "PolicyArns");
    sts_assume_req_t r = {
        .caller = ctx->caller,
        .role_arn = api_in_str(ctx, "RoleArn"),
        .session_name = api_in_str(ctx, "RoleSessionName"),
        .duration_s = api_in_int(ctx, "DurationSeconds", 3600),
        .policy = policy,
        .policy_arns = arns,
        .external_id = api_in_str(ctx, "ExternalId"),
        .source_ip = ctx->source_ip,
    };
    sts_creds_t c;
    err_t rc = sts_assume(ctx->app, ctx->tx, &r, &c, ctx->arena, ctx->eb);
    if (rc) return rc;
    sts_put_creds(ctx, &c);
    cJSON *u = cJSON_AddObjectToObject(ctx->out, "AssumedRoleUser");
    cJSON_AddStringToObject(u, "AssumedRoleId", c.who.user_id);
    cJSON_AddStringToObject(u, "Arn", c.who.arn);
    if (policy || cJSON_GetArraySize(arns)) {
        /* share of the packed-policy quota used, in percent, as AWS reports it */
        size_t used = policy ? policy_size_nows(span_of(policy)) : 0;
        used += (size_t)cJSON_GetArraySize(arns) * 64;
        cJSON_AddNumberToObject(ctx->out, "PackedPolicySize", (double)(used * 100 / 2048));
    }
    return ERR_OK;
}

err_t sts_get_session_token(api_ctx_t *ctx)
{
    const auth_principal_t *who = ctx->caller;
    if (who->kind == AUTH_ROLE_SESSION)
        return err_fail(ctx->eb, ERR_ACCESS_DENIED,
                        "Cannot call GetSessionToken with session credentials");
    int64_t duration = api_in_int(ctx, "DurationSeconds", who->kind == AUTH_ROOT ? 3600 : 43200);
    if (who->kind == AUTH_ROOT && duration > 3600) duration = 3600;
    char *record;
    if (who->kind == AUTH_ROOT) {
        cJSON *rec = cJSON_CreateObject();
        cJSON_AddBoolToObject(rec, "root", true);
        record = cJSON_PrintUnformatted(rec);
        cJSON_Delete(rec);
    } else {
        record = iam_session_record(NULL, who->user_id, NULL, NULL, NULL, who->arn);
    }
    sts_creds_t c;
    err_t rc = sts_issue(ctx->app, ctx->tx, record, duration, &c, ctx->eb);
    cJSON_free(record);
    if (!rc) sts_put_creds(ctx, &c);
    return rc;
}

err_t sts_decode_authorization_message(api_ctx_t *ctx)
{
    buf_t b;
    buf_init(&b, 16384);
    bool ok = enc_base64_decode(&b, span_of(api_in_str(ctx, "EncodedMessage")));
    cJSON *j = ok ? cJSON_Parse(buf_str(&b)) : NULL;
    if (j) cJSON_AddStringToObject(ctx->out, "DecodedMessage", buf_str(&b));
    cJSON_Delete(j);
    buf_free(&b);
    if (!ok || !j)
        return err_fail(ctx->eb, ERR_VALIDATION,
                        "The message is not a catalogd authorization message.");
    return ERR_OK;
}
