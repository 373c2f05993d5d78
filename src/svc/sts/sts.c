/* sts.c - AWS Security Token Service: GetCallerIdentity, AssumeRole, GetSessionToken,
 * GetFederationToken, DecodeAuthorizationMessage, GetAccessKeyInfo, and sts_assume for
 * catalogd's own services. */
#include "svc/sts/sts.h"

#include "api/gen/ops_gen.h"
#include "core/clk.h"
#include "core/enc.h"
#include "iam/identity.h"
#include "iam/mfa.h"

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

/* Issues a session key of account for record (JSON) valid for duration_s. */
static err_t sts_issue(app_t *app, store_tx_t *tx, const char *account, const char *record,
                       int64_t duration_s, sts_creds_t *out, errbuf_t *eb)
{
    auth_keys_generate(&app->ids, "ASIA", out->access_key, out->secret);
    sts_token(app, out->token);
    int64_t now = clk_now_ms(&app->wall);
    out->expires_ms = now + duration_s * 1000;
    return auth_keys_insert(app->keys, tx, account, out->access_key, out->secret, "session", record,
                            out->token, out->expires_ms, now, eb);
}

static err_t sts_refuse(errbuf_t *eb, const char *who, const char *role_arn)
{
    if (!strncmp(who, "arn:aws:iam::", 13) && strstr(who, ":oidc-provider/"))
        return err_fail(eb, ERR_ACCESS_DENIED, "Not authorized to perform %s", STS_WEBID_ACTION);
    return err_fail(eb, ERR_ACCESS_DENIED,
                    "User: %s is not authorized to perform: sts:AssumeRole on resource: %s", who,
                    role_arn);
}

/* Finds the role an ARN names (last path segment) in the account the ARN names, which goes
 * to account (13 bytes); *role NULL when there is none. */
static err_t sts_role(store_tx_t *tx, const char *arn, char account[13], cJSON **role, errbuf_t *eb)
{
    *role = NULL;
    const char *p = "arn:aws:iam::";
    size_t n = strlen(p);
    if (strncmp(arn, p, n) || strspn(arn + n, "0123456789") != 12 ||
        strncmp(arn + n + 12, ":role/", 6))
        return ERR_OK;
    snprintf(account, 13, "%.12s", arn + n);
    err_t rc = iam_identity_find(tx, account, "role", strrchr(arn, '/') + 1, role, eb);
    if (!rc && *role) {
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(*role, "Arn");
        if (!cJSON_IsString(a) || strcmp(a->valuestring, arn)) { /* same name, other path */
            cJSON_Delete(*role);
            *role = NULL;
        }
    }
    return rc;
}

/* A session policy (NULL: none) must parse: ERR_STS_MALFORMED_POLICY otherwise. */
static err_t sts_session_policy(const char *doc, errbuf_t *eb)
{
    policy_t *sp = NULL;
    err_t rc = doc ? policy_parse(span_of(doc), POLICY_IDENTITY, &sp, eb) : ERR_OK;
    policy_free(sp);
    return rc ? err_fail(eb, ERR_STS_MALFORMED_POLICY, "%s", eb->msg) : ERR_OK;
}

/* The ARNs of a PolicyArns member ([{"arn": ...}], NULL: none) as a new array. */
static cJSON *sts_policy_arns(const cJSON *policy_arns)
{
    cJSON *arns = cJSON_CreateArray();
    for (const cJSON *a = policy_arns ? policy_arns->child : NULL; a; a = a->next) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(a, "arn");
        if (cJSON_IsString(v)) cJSON_AddItemToArray(arns, cJSON_CreateString(v->valuestring));
    }
    return arns;
}

/* PackedPolicySize: the share of the packed session policy quota used, in percent, as AWS
 * reports it, when the call gave session policies. */
static void sts_put_packed_size(api_ctx_t *ctx, const char *policy, const cJSON *arns)
{
    if (!policy && !cJSON_GetArraySize(arns)) return;
    size_t used = policy ? policy_size_nows(span_of(policy)) : 0;
    used += (size_t)cJSON_GetArraySize(arns) * 64;
    cJSON_AddNumberToObject(ctx->out, "PackedPolicySize", (double)(used * 100 / 2048));
}

/* The action a federated principal (an identity provider's ARN) asks trust for. */
static const char *sts_federated_action(const char *provider)
{
    return strstr(provider, ":saml-provider/") ? "sts:AssumeRoleWithSAML"
                                               : "sts:AssumeRoleWithWebIdentity";
}

/* Evaluates the trust policy doc for principal pp asking for sts:AssumeRole (or, for a
 * federated principal, sts:AssumeRoleWithSAML or sts:AssumeRoleWithWebIdentity by its
 * provider) on role_arn (an unparsable document allows nobody). */
static policy_effect_t sts_trust(const char *doc, const policy_principal_t *pp,
                                 const char *role_arn, const policy_ctx_t *ctx)
{
    policy_t *p = NULL;
    errbuf_t ignore;
    if (policy_parse(span_of(doc), POLICY_TRUST, &p, &ignore)) return POLICY_NO_MATCH;
    policy_request_t req = {pp->federated ? sts_federated_action(pp->federated) : "sts:AssumeRole",
                            role_arn, ctx, pp};
    policy_effect_t e = policy_eval(p, &req, NULL);
    policy_free(p);
    return e;
}

/* The context the trust and identity policies are decided in: the caller's request context
 * (NULL: none, for a service) and the keys AssumeRole itself brings. In arena. */
static policy_ctx_t sts_context(const sts_assume_req_t *r, arena_t *arena)
{
    size_t n = r->ctx ? r->ctx->n : 0, k = 0;
    policy_ctx_entry_t *v = arena_alloc(arena, sizeof(*v) * (n + 4));
    for (size_t i = 0; i < n; i++) /* an MFA code given now replaces the caller's MFA keys */
        if (!r->mfa_ms || strncmp(r->ctx->entries[i].key, "aws:MultiFactorAuth", 19))
            v[k++] = r->ctx->entries[i];
    const char **ext = arena_alloc(arena, sizeof(*ext));
    const char **sess = arena_alloc(arena, sizeof(*sess));
    ext[0] = r->external_id;
    sess[0] = r->session_name;
    if (r->external_id) v[k++] = (policy_ctx_entry_t){"sts:ExternalId", PCT_STRING, ext, 1};
    if (r->session_name) v[k++] = (policy_ctx_entry_t){"sts:RoleSessionName", PCT_STRING, sess, 1};
    if (r->mfa_ms) {
        const char **yes = arena_alloc(arena, sizeof(*yes)),
                   **age = arena_alloc(arena, sizeof(*age));
        yes[0] = "true";
        age[0] = "0";
        v[k++] = (policy_ctx_entry_t){"aws:MultiFactorAuthPresent", PCT_BOOL, yes, 1};
        v[k++] = (policy_ctx_entry_t){"aws:MultiFactorAuthAge", PCT_NUMERIC, age, 1};
    }
    return (policy_ctx_t){v, k};
}

/* Step 2 of sts_assume for an IAM caller whose principal the trust policy allows: an
 * explicit deny of sts:AssumeRole in its own policies refuses; otherwise they must allow
 * it, unless the trust policy names the caller's own ARN (a same-account grant to that
 * principal itself; naming its account or, for a session, its role is not enough). A role
 * of another account (role_account) always needs the caller's own policies' allow, as in
 * AWS: both accounts must grant a cross-account AssumeRole. */
static err_t sts_identity(store_tx_t *tx, const sts_assume_req_t *r, const char *role_account,
                          const char *trust_doc, const policy_ctx_t *ctx, arena_t *arena,
                          errbuf_t *eb)
{
    const auth_principal_t *caller = r->caller;
    iam_policies_t pol;
    err_t rc = iam_policies_load(tx, caller, arena, &pol, eb);
    if (rc) return rc;
    policy_request_t req = {"sts:AssumeRole", r->role_arn, ctx, NULL};
    policy_decision_t d = policy_decide(&pol.set, &req, NULL);
    iam_policies_free(&pol);
    if (d == POLICY_ALLOWED) return ERR_OK;
    /* a role of another account: the caller's own account must grant it, always */
    policy_principal_t named = {.aws_arn = caller->arn, .named_only = true};
    if (d == POLICY_IMPLICIT_DENY && !strcmp(caller->account, role_account) &&
        sts_trust(trust_doc, &named, r->role_arn, ctx) == POLICY_ALLOW)
        return ERR_OK;
    return sts_refuse(eb, caller->arn, r->role_arn);
}

err_t sts_assume(app_t *app, store_tx_t *tx, const sts_assume_req_t *r, sts_creds_t *out,
                 arena_t *arena, errbuf_t *eb)
{
    const auth_principal_t *caller = r->caller;
    const char *who = caller ? caller->arn : r->service ? r->service : r->federated;
    if (caller && caller->kind == AUTH_ROOT)
        return err_fail(eb, ERR_ACCESS_DENIED, "Roles may not be assumed by root accounts.");
    if (!r->account || !r->region)
        return err_fail(eb, ERR_INTERNAL, "role assumed with no account or region");
    cJSON *role = NULL;
    char account[13] = "";
    err_t rc = sts_role(tx, r->role_arn, account, &role, eb);
    if (rc) return rc;
    /* a service assumes roles of the account it works for only (iam:PassRole never hands
     * a service another account's role) */
    if (role && !caller && strcmp(r->account, account)) {
        cJSON_Delete(role);
        role = NULL;
    }
    if (!role) return sts_refuse(eb, who, r->role_arn);

    /* 1. the role's trust policy must allow this principal */
    const cJSON *trust = cJSON_GetObjectItemCaseSensitive(role, "AssumeRolePolicyDocument");
    const char *trust_doc = cJSON_IsString(trust) ? trust->valuestring : "{}";
    policy_ctx_t ctx = sts_context(r, arena);
    policy_principal_t pp = {0};
    policy_effect_t e;
    if (caller) {
        pp.aws_arn = caller->arn;
        pp.role_arn = caller->kind == AUTH_ROLE_SESSION ? caller->role_arn : NULL;
        pp.account = caller->account;
        e = sts_trust(trust_doc, &pp, r->role_arn, &ctx);
    } else if (!r->service) { /* a verified web identity */
        pp.federated = r->federated;
        e = sts_trust(trust_doc, &pp, r->role_arn, &ctx);
    } else {
        /* a service may be trusted by its global or its regional name */
        pp.service = r->service;
        e = sts_trust(trust_doc, &pp, r->role_arn, &ctx);
        if (e == POLICY_NO_MATCH) {
            const char *dot = strchr(r->service, '.');
            pp.service = arena_printf(arena, "%.*s.%s%s", (int)(dot - r->service), r->service,
                                      r->region, dot);
            e = sts_trust(trust_doc, &pp, r->role_arn, &ctx);
        }
    }
    rc = e == POLICY_ALLOW ? ERR_OK : sts_refuse(eb, who, r->role_arn);

    /* 2. an IAM caller's own policies */
    if (!rc && caller) rc = sts_identity(tx, r, account, trust_doc, &ctx, arena, eb);

    /* 3. duration and session policies */
    const cJSON *max = cJSON_GetObjectItemCaseSensitive(role, "MaxSessionDuration");
    int64_t duration = r->duration_s ? r->duration_s : 3600;
    if (!rc && caller && caller->kind == AUTH_ROLE_SESSION && duration > 3600)
        rc = err_fail(eb, ERR_VALIDATION,
                      "The requested DurationSeconds exceeds the 1 hour session limit for roles "
                      "assumed by role chaining.");
    if (!rc && cJSON_IsNumber(max) && duration > (int64_t)max->valuedouble)
        rc = err_fail(
            eb, ERR_VALIDATION,
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.");
    if (!rc) rc = sts_session_policy(r->policy, eb);
    if (rc) {
        cJSON_Delete(role);
        return rc;
    }
    cJSON *arns = sts_policy_arns(r->policy_arns);
    const cJSON *rid = cJSON_GetObjectItemCaseSensitive(role, "RoleId");
    int64_t mfa_ms = r->mfa_ms ? r->mfa_ms : caller ? caller->mfa_ms : 0;
    char *record = iam_session_record_mfa(
        iam_session_record(rid->valuestring, NULL, r->session_name, r->policy, arns, who, 0),
        mfa_ms);
    cJSON_Delete(arns);
    /* the session belongs to the role's account, whoever assumed it */
    rc = sts_issue(app, tx, account, record, duration, out, eb);
    cJSON_free(record);
    if (!rc) {
        memset(&out->who, 0, sizeof(out->who));
        const cJSON *rn = cJSON_GetObjectItemCaseSensitive(role, "RoleName");
        out->who.kind = AUTH_ROLE_SESSION;
        snprintf(out->who.account, sizeof(out->who.account), "%s", account);
        snprintf(out->who.region, sizeof(out->who.region), "%s", r->region);
        snprintf(out->who.arn, sizeof(out->who.arn), "arn:aws:sts::%s:assumed-role/%s/%s", account,
                 rn->valuestring, r->session_name);
        snprintf(out->who.user_id, sizeof(out->who.user_id), "%s:%s", rid->valuestring,
                 r->session_name);
        snprintf(out->who.name, sizeof(out->who.name), "%s", rn->valuestring);
        snprintf(out->who.session, sizeof(out->who.session), "%s", r->session_name);
        snprintf(out->who.role_arn, sizeof(out->who.role_arn), "%s", r->role_arn);
        snprintf(out->who.access_key, sizeof(out->who.access_key), "%s", out->access_key);
        out->who.expires_ms = out->expires_ms;
        out->who.mfa_ms = mfa_ms;
    }
    cJSON_Delete(role);
    return rc;
}

void sts_put_creds(api_ctx_t *ctx, const sts_creds_t *c)
{
    cJSON *o = cJSON_AddObjectToObject(ctx->out, "Credentials");
    cJSON_AddStringToObject(o, "AccessKeyId", c->access_key);
    cJSON_AddStringToObject(o, "SecretAccessKey", c->secret);
    cJSON_AddStringToObject(o, "SessionToken", c->token);
    cJSON_AddNumberToObject(o, "Expiration", (double)c->expires_ms / 1000.0);
}

/* Checks the request's SerialNumber and TokenCode (when either is given) against the
 * caller's MFA devices: *mfa_ms is now when they hold, 0 when neither is given;
 * AccessDenied in AWS's words when they do not. */
static err_t sts_mfa(api_ctx_t *ctx, int64_t *mfa_ms)
{
    const char *serial = api_in_str(ctx, "SerialNumber"), *code = api_in_str(ctx, "TokenCode");
    *mfa_ms = 0;
    if (!serial && !code) return ERR_OK;
    bool known = false, ok = false;
    int64_t now = clk_now_ms(&ctx->app->wall);
    err_t rc = ERR_OK;
    if (ctx->caller->kind == AUTH_USER)
        rc = iam_mfa_check(ctx->tx, auth_keys_seal(ctx->app->keys), ctx->account,
                           ctx->caller->user_id, serial, code, now, &known, &ok, ctx->eb);
    if (rc) return rc;
    if (!known)
        return err_fail(ctx->eb, ERR_ACCESS_DENIED,
                        "MultiFactorAuthentication failed, unable to validate MFA code. Please "
                        "verify your MFA serial number is valid and associated with this user.");
    if (!ok)
        return err_fail(ctx->eb, ERR_ACCESS_DENIED,
                        "MultiFactorAuthentication failed with invalid MFA one time pass code. ");
    *mfa_ms = now;
    return ERR_OK;
}

err_t sts_assume_role(api_ctx_t *ctx)
{
    int64_t mfa_ms = 0;
    err_t mrc = sts_mfa(ctx, &mfa_ms);
    if (mrc) return mrc;
    const char *policy = api_in_str(ctx, "Policy");
    const cJSON *arns = cJSON_GetObjectItemCaseSensitive(ctx->in, "PolicyArns");
    policy_ctx_t rctx = api_request_context(ctx);
    sts_assume_req_t r = {
        .caller = ctx->caller,
        .role_arn = api_in_str(ctx, "RoleArn"),
        .session_name = api_in_str(ctx, "RoleSessionName"),
        .duration_s = api_in_int(ctx, "DurationSeconds", 3600),
        .policy = policy,
        .policy_arns = arns,
        .external_id = api_in_str(ctx, "ExternalId"),
        .source_ip = ctx->source_ip,
        .ctx = &rctx,
        .account = ctx->account,
        .region = ctx->region,
        .mfa_ms = mfa_ms,
    };
    sts_creds_t c;
    err_t rc = sts_assume(ctx->app, ctx->tx, &r, &c, ctx->arena, ctx->eb);
    if (rc) return rc;
    sts_put_creds(ctx, &c);
    cJSON *u = cJSON_AddObjectToObject(ctx->out, "AssumedRoleUser");
    cJSON_AddStringToObject(u, "AssumedRoleId", c.who.user_id);
    cJSON_AddStringToObject(u, "Arn", c.who.arn);
    sts_put_packed_size(ctx, policy, arns);
    return ERR_OK;
}

/* sts_session_token with the session's flags (IAM_SESSION_TOKEN for GetSessionToken) and
 * the moment an MFA code was proven for it (or 0). */
static err_t sts_own_session(app_t *app, store_tx_t *tx, const auth_principal_t *who,
                             int64_t duration_s, unsigned flags, int64_t mfa_ms, sts_creds_t *out,
                             errbuf_t *eb)
{
    if ((who->kind != AUTH_ROOT && who->kind != AUTH_USER) || who->expires_ms)
        return err_fail(eb, ERR_ACCESS_DENIED,
                        "Cannot call GetSessionToken with session credentials");
    if (who->kind == AUTH_ROOT) {
        if (duration_s > 3600) duration_s = 3600;
        flags |= IAM_SESSION_ROOT;
    }
    char *record = iam_session_record_mfa(
        iam_session_record(NULL, who->kind == AUTH_USER ? who->user_id : NULL, NULL, NULL, NULL,
                           who->kind == AUTH_USER ? who->arn : NULL, flags),
        mfa_ms);
    err_t rc = sts_issue(app, tx, who->account, record, duration_s, out, eb);
    cJSON_free(record);
    if (!rc) {
        out->who = *who;
        snprintf(out->who.access_key, sizeof(out->who.access_key), "%s", out->access_key);
        out->who.expires_ms = out->expires_ms;
        out->who.from_get_session_token = (flags & IAM_SESSION_TOKEN) != 0;
        out->who.mfa_ms = mfa_ms;
    }
    return rc;
}

err_t sts_session_token(app_t *app, store_tx_t *tx, const auth_principal_t *who, int64_t duration_s,
                        sts_creds_t *out, errbuf_t *eb)
{
    return sts_own_session(app, tx, who, duration_s, 0, who->mfa_ms, out, eb);
}

/* GetSessionToken: needs no permission (its row is open), but long-term credentials;
 * with SerialNumber and TokenCode (a current code of the caller's MFA device) the session
 * carries MFA. */
err_t sts_get_session_token(api_ctx_t *ctx)
{
    const auth_principal_t *who = ctx->caller;
    int64_t mfa_ms = 0;
    err_t rc = (who->kind != AUTH_ROOT && who->kind != AUTH_USER) || who->expires_ms
                   ? ERR_OK /* refused below */
                   : sts_mfa(ctx, &mfa_ms);
    if (rc) return rc;
    int64_t duration = api_in_int(ctx, "DurationSeconds", who->kind == AUTH_ROOT ? 3600 : 43200);
    sts_creds_t c;
    rc = sts_own_session(ctx->app, ctx->tx, who, duration, IAM_SESSION_TOKEN, mfa_ms, &c, ctx->eb);
    if (!rc) sts_put_creds(ctx, &c);
    return rc;
}

/* GetFederationToken: temporary credentials of a federated user Name, whose permissions
 * are the caller's (an IAM user, or the root) narrowed by the session policies given, and
 * none without one. Long-term credentials only; the root's last at most an hour. */
err_t sts_get_federation_token(api_ctx_t *ctx)
{
    const auth_principal_t *who = ctx->caller;
    if ((who->kind != AUTH_ROOT && who->kind != AUTH_USER) || who->expires_ms)
        return err_fail(ctx->eb, ERR_ACCESS_DENIED,
                        "Cannot call GetFederationToken with session credentials");
    const char *name = api_in_str(ctx, "Name"), *policy = api_in_str(ctx, "Policy");
    int64_t duration = api_in_int(ctx, "DurationSeconds", 43200);
    if (who->kind == AUTH_ROOT && duration > 3600) duration = 3600;
    err_t rc = sts_session_policy(policy, ctx->eb);
    if (rc) return rc;
    cJSON *arns = sts_policy_arns(cJSON_GetObjectItemCaseSensitive(ctx->in, "PolicyArns"));
    bool root = who->kind == AUTH_ROOT;
    char *record =
        iam_session_record(NULL, root ? NULL : who->user_id, name, policy, arns, who->arn,
                           IAM_SESSION_FEDERATED | (root ? IAM_SESSION_ROOT : 0));
    sts_creds_t c;
    rc = sts_issue(ctx->app, ctx->tx, ctx->account, record, duration, &c, ctx->eb);
    cJSON_free(record);
    if (!rc) {
        sts_put_creds(ctx, &c);
        cJSON *u = cJSON_AddObjectToObject(ctx->out, "FederatedUser");
        char id[200], arn[320];
        snprintf(id, sizeof(id), "%s:%s", ctx->account, name);
        snprintf(arn, sizeof(arn), "arn:aws:sts::%s:federated-user/%s", ctx->account, name);
        cJSON_AddStringToObject(u, "FederatedUserId", id);
        cJSON_AddStringToObject(u, "Arn", arn);
        sts_put_packed_size(ctx, policy, arns);
    }
    cJSON_Delete(arns);
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
        return err_fail(ctx->eb, ERR_STS_INVALID_AUTH_MESSAGE,
                        "The message is not a catalogd authorization message.");
    return ERR_OK;
}

/* GetAccessKeyInfo: the account an access key (long-term or temporary, of any account)
 * belongs to. AWS reads it out of the key id itself; catalogd's key ids are random, so a
 * key it never issued (or purged) has no account to tell. */
err_t sts_get_access_key_info(api_ctx_t *ctx)
{
    store_stmt_t *st;
    bool row = false;
    err_t rc = store_query(ctx->tx, ctx->eb, &st,
                           "SELECT account_id FROM access_keys WHERE access_key_id = ?", "s",
                           api_in_str(ctx, "AccessKeyId"));
    if (!rc) rc = store_step(st, &row, ctx->eb);
    if (!rc && !row)
        return err_fail(ctx->eb, ERR_VALIDATION, "The access key %s was not issued here.",
                        api_in_str(ctx, "AccessKeyId"));
    if (!rc) cJSON_AddStringToObject(ctx->out, "Account", store_col_text(st, 0));
    if (!rc) rc = store_step(st, &row, ctx->eb);
    return rc;
}
