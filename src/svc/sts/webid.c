/* webid.c - sts:AssumeRoleWithWebIdentity: an unsigned request carrying an OpenID Connect
 * ID token. The token's issuer must be an IAM OIDC provider of the role's account; its
 * signature is checked against the provider's published keys (read off the HTTP threads
 * before the transaction: webid_keys.c), then its times and audience, then the role's trust
 * policy for the provider as Federated principal, with the token's claims as condition keys
 * (host/path:aud, :sub, :amr). docs/internals/identity.md has the flow. */
#include "svc/sts/webid_int.h"

#include "core/clk.h"
#include "core/jx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WEBID_INVALID                                                                              \
    "The web identity token that was passed could not be validated by AWS. Get a new identity "    \
    "token from the identity provider and then retry the request."

/* The 12-digit account of a role ARN into out, or false. */
static bool webid_role_account(const char *arn, char out[13])
{
    static const char pre[] = "arn:aws:iam::";
    if (!arn || strncmp(arn, pre, sizeof(pre) - 1)) return false;
    const char *a = arn + sizeof(pre) - 1;
    if (strspn(a, "0123456789") != 12 || a[12] != ':') return false;
    memcpy(out, a, 12);
    out[12] = '\0';
    return true;
}

/* Makes the plan for token t and role_arn: the provider its iss names, read through IAM's
 * GetOpenIDConnectProvider as STS itself (inside c's transaction, or, with c NULL, in one of
 * its own). ERR_STS_INVALID_IDENTITY_TOKEN when there is no such provider. */
static err_t webid_plan(app_t *app, api_ctx_t *c, const jwt_t *t, const char *role_arn,
                        arena_t *arena, sts_webid_plan_t *plan, errbuf_t *eb)
{
    memset(plan, 0, sizeof(*plan));
    const char *iss = jx_str(t->claims, "iss");
    char account[13];
    if (!iss || !webid_role_account(role_arn, account))
        return err_fail(eb, ERR_STS_INVALID_IDENTITY_TOKEN, WEBID_INVALID);
    plan->account = arena_strdup(arena, account);
    plan->provider_id = arena_strdup(arena, !strncmp(iss, "https://", 8) ? iss + 8 : iss);
    plan->arn = arena_printf(arena, "arn:aws:iam::%s:oidc-provider/%s", account, plan->provider_id);
    plan->alg = t->alg;
    plan->kid = t->kid;
    auth_principal_t sts;
    auth_service_principal(&sts, "sts.amazonaws.com", account, c ? c->region : app->home_region);
    cJSON *in = cJSON_CreateObject(), *out = NULL;
    cJSON_AddStringToObject(in, "OpenIDConnectProviderArn", plan->arn);
    errbuf_t why;
    err_t rc = c ? api_client_call(c, &sts, "iam", "GetOpenIDConnectProvider", in, &out, &why)
                 : api_client_call_tx(app, NULL, NULL, arena, &sts, "iam",
                                      "GetOpenIDConnectProvider", in, &out, &why);
    cJSON_Delete(in);
    if (rc == ERR_IAM_NO_SUCH_ENTITY || (!rc && !jx_str(out, "Url")) ||
        strstr(plan->provider_id, "//"))
        rc = err_fail(eb, ERR_STS_INVALID_IDENTITY_TOKEN,
                      "No OpenIDConnect provider found in your account for %s", iss);
    else if (rc)
        rc = err_fail(eb, rc, "%s", why.msg);
    if (rc) {
        cJSON_Delete(out);
        return rc;
    }
    plan->provider = jx_own(arena, out);
    const cJSON *pins = cJSON_GetObjectItemCaseSensitive(out, "ThumbprintList");
    size_t n = (size_t)cJSON_GetArraySize(pins), k = 0;
    const char **v = arena_alloc(arena, sizeof(*v) * (n ? n : 1));
    buf_t key;
    buf_init(&key, STS_WEBID_KEY_MAX - 1);
    buf_printf(&key, "%s|%s|", account, plan->provider_id);
    for (const cJSON *p = pins ? pins->child : NULL; p && k < n; p = p->next) {
        v[k++] = p->valuestring;
        buf_printf(&key, "%s,", p->valuestring);
    }
    plan->pins = v;
    plan->n_pins = k;
    plan->key = arena_strdup(arena, buf_str(&key));
    buf_free(&key);
    return ERR_OK;
}

/* The plan of a call's input (unverified token), or false when the call names nothing to
 * fetch (a token that does not parse, an issuer that is no provider: the handler says so). */
static bool webid_plan_of(app_t *app, const cJSON *in, arena_t *arena, jwt_t *t,
                          sts_webid_plan_t *plan)
{
    errbuf_t eb;
    if (jwt_parse(span_of(jx_str(in, "WebIdentityToken")), t, &eb)) return false;
    bool ok = !webid_plan(app, NULL, t, jx_str(in, "RoleArn"), arena, plan, &eb);
    if (ok) { /* the plan borrows alg and kid from t: keep copies */
        plan->alg = arena_strdup(arena, t->alg);
        plan->kid = t->kid ? arena_strdup(arena, t->kid) : NULL;
    }
    jwt_free(t);
    return ok;
}

const char *sts_webid_prefetch_key(app_t *app, const cJSON *in, arena_t *arena)
{
    jwt_t t;
    sts_webid_plan_t plan;
    if (!jx_str(in, "WebIdentityToken") || !jx_str(in, "RoleArn") ||
        !webid_plan_of(app, in, arena, &t, &plan))
        return NULL;
    char *have = sts_webid_usable(&plan, clk_now_ms(&app->clock));
    bool usable = have != NULL;
    free(have);
    return usable ? NULL : plan.key;
}

void sts_webid_prefetch(app_t *app, const cJSON *in, const char *key, arena_t *arena,
                        api_prefetch_t *pf)
{
    jwt_t t;
    sts_webid_plan_t plan;
    if (!webid_plan_of(app, in, arena, &t, &plan) || strcmp(plan.key, key)) {
        pf->url = NULL; /* nothing of use was fetched: the handler decides alone */
        return;
    }
    sts_webid_fetch(app, &plan, arena, pf);
}

/* The provider's key set for plan: the request's prefetched copy when it is for this
 * provider, else what is kept (a handler never fetches). */
static err_t webid_keys(api_ctx_t *c, const sts_webid_plan_t *plan, const char **text)
{
    const api_prefetch_t *pf = c->prefetch;
    if (pf && pf->url && !strcmp(pf->url, plan->key)) {
        if (pf->rc) return err_fail(c->eb, pf->rc, "%s", pf->eb.msg);
        *text = pf->text;
        return ERR_OK;
    }
    char *have = sts_webid_cached(plan->key, clk_now_ms(&c->app->clock), NULL);
    if (!have) return err_fail(c->eb, ERR_STS_IDP_COMMUNICATION, STS_WEBID_IDP_UNREACHABLE);
    *text = arena_strdup(c->arena, have);
    free(have);
    return ERR_OK;
}

/* The signature of t under the provider's keys. */
static err_t webid_signature(api_ctx_t *c, const jwt_t *t, const sts_webid_plan_t *plan)
{
    const char *text = NULL;
    err_t rc = webid_keys(c, plan, &text);
    if (rc) return rc;
    jwt_keys_t keys;
    errbuf_t why;
    if (jwt_keys_parse(span_of(text), &keys, &why))
        return err_fail(c->eb, ERR_STS_IDP_COMMUNICATION, STS_WEBID_IDP_UNREACHABLE);
    const jwt_key_t *k = jwt_keys_find(&keys, t);
    if (!k)
        rc = err_fail(c->eb, ERR_STS_INVALID_IDENTITY_TOKEN,
                      "Couldn't find the key that signed the web identity token (kid %s) at the "
                      "identity provider",
                      t->kid ? t->kid : "none");
    else if (!jwt_verify(t, k))
        rc = err_fail(c->eb, ERR_STS_INVALID_IDENTITY_TOKEN, WEBID_INVALID);
    jwt_keys_free(&keys);
    return rc;
}

/* A numeric date claim (seconds), or -1 when absent or not a number. */
static int64_t webid_time(const jwt_t *t, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(t->claims, name);
    return cJSON_IsNumber(v) && v->valuedouble >= 0 ? (int64_t)v->valuedouble : -1;
}

/* exp (required), nbf and iat, with five minutes' leeway for clocks apart. */
static err_t webid_times(api_ctx_t *c, const jwt_t *t)
{
    int64_t now = clk_now_ms(&c->app->wall) / 1000, skew = 300;
    int64_t exp = webid_time(t, "exp"), nbf = webid_time(t, "nbf"), iat = webid_time(t, "iat");
    if (exp < 0)
        return err_fail(c->eb, ERR_STS_INVALID_IDENTITY_TOKEN,
                        "The web identity token has no expiration time (exp).");
    if (now >= exp)
        return err_fail(c->eb, ERR_STS_EXPIRED_WEB_TOKEN,
                        "Token expired: current date/time %lld must be before the expiration "
                        "date/time %lld",
                        (long long)now, (long long)exp);
    if ((nbf >= 0 && now + skew < nbf) || (iat >= 0 && now + skew < iat))
        return err_fail(c->eb, ERR_STS_INVALID_IDENTITY_TOKEN,
                        "The web identity token is not valid yet: current date/time %lld is "
                        "before its start",
                        (long long)now);
    return ERR_OK;
}

/* The audience the token is for: azp when it is one of the provider's client ids, else
 * the first aud (a string or a list) that is; IDPRejectedClaim when none is. */
static err_t webid_audience(api_ctx_t *c, const jwt_t *t, const sts_webid_plan_t *plan,
                            const char **aud)
{
    const cJSON *ids = cJSON_GetObjectItemCaseSensitive(plan->provider, "ClientIDList");
    const cJSON *azp = cJSON_GetObjectItemCaseSensitive(t->claims, "azp");
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(t->claims, "aud");
    const cJSON *cands[2] = {azp, a};
    for (int i = 0; i < 2; i++) {
        const cJSON *v = cands[i];
        const cJSON *one = cJSON_IsArray(v) ? v->child : v;
        for (; one; one = cJSON_IsArray(v) ? one->next : NULL) {
            for (const cJSON *id = ids ? ids->child : NULL; cJSON_IsString(one) && id;
                 id = id->next)
                if (!strcmp(id->valuestring, one->valuestring)) {
                    *aud = one->valuestring;
                    return ERR_OK;
                }
        }
    }
    return err_fail(c->eb, ERR_STS_IDP_REJECTED_CLAIM, "Incorrect token audience");
}

/* The condition keys the token brings: host/path:aud, :sub, :amr (a list), :oaud (the aud
 * claim when azp stood for it), in the arena. */
static policy_ctx_t webid_context(api_ctx_t *c, const jwt_t *t, const sts_webid_plan_t *plan,
                                  const char *aud)
{
    policy_ctx_entry_t *v = arena_alloc(c->arena, sizeof(*v) * 4);
    size_t n = 0;
    const char **av = arena_alloc(c->arena, sizeof(*av)), **sv = arena_alloc(c->arena, sizeof(*sv));
    av[0] = aud;
    sv[0] = jx_str(t->claims, "sub");
    v[n++] = (policy_ctx_entry_t){arena_printf(c->arena, "%s:aud", plan->provider_id), PCT_STRING,
                                  av, 1};
    if (sv[0])
        v[n++] = (policy_ctx_entry_t){arena_printf(c->arena, "%s:sub", plan->provider_id),
                                      PCT_STRING, sv, 1};
    const cJSON *amr = cJSON_GetObjectItemCaseSensitive(t->claims, "amr");
    int na = cJSON_IsArray(amr) ? cJSON_GetArraySize(amr) : cJSON_IsString(amr) ? 1 : 0;
    if (na > 0) {
        const char **vals = arena_alloc(c->arena, sizeof(*vals) * (size_t)na);
        size_t k = 0;
        for (const cJSON *m = cJSON_IsArray(amr) ? amr->child : amr; m;
             m = cJSON_IsArray(amr) ? m->next : NULL)
            if (cJSON_IsString(m)) vals[k++] = arena_strdup(c->arena, m->valuestring);
        v[n++] = (policy_ctx_entry_t){arena_printf(c->arena, "%s:amr", plan->provider_id),
                                      PCT_STRING, vals, k};
    }
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(t->claims, "aud");
    if (cJSON_IsString(a) && strcmp(a->valuestring, aud)) {
        const char **o = arena_alloc(c->arena, sizeof(*o));
        o[0] = arena_strdup(c->arena, a->valuestring);
        v[n++] = (policy_ctx_entry_t){arena_printf(c->arena, "%s:oaud", plan->provider_id),
                                      PCT_STRING, o, 1};
    }
    return (policy_ctx_t){v, n};
}

err_t sts_assume_role_with_web_identity(api_ctx_t *c)
{
    if (api_in_str(c, "ProviderId"))
        return err_fail(c->eb, ERR_STS_INVALID_IDENTITY_TOKEN,
                        "catalogd accepts OpenID Connect ID tokens only: leave ProviderId out.");
    jwt_t t;
    errbuf_t why;
    if (jwt_parse(span_of(api_in_str(c, "WebIdentityToken")), &t, &why))
        return err_fail(c->eb, ERR_STS_INVALID_IDENTITY_TOKEN, WEBID_INVALID);
    sts_webid_plan_t plan;
    const char *aud = NULL, *role_arn = api_in_str(c, "RoleArn");
    err_t rc = webid_plan(c->app, c, &t, role_arn, c->arena, &plan, c->eb);
    if (!rc) rc = webid_signature(c, &t, &plan);
    if (!rc) rc = webid_times(c, &t);
    if (!rc) rc = webid_audience(c, &t, &plan, &aud);
    sts_creds_t cr;
    if (!rc) {
        aud = arena_strdup(c->arena, aud);
        policy_ctx_t pctx = webid_context(c, &t, &plan, aud);
        sts_assume_req_t r = {
            .federated = plan.arn,
            .account = plan.account,
            .region = c->region,
            .role_arn = role_arn,
            .session_name = api_in_str(c, "RoleSessionName"),
            .duration_s = api_in_int(c, "DurationSeconds", 3600),
            .policy = api_in_str(c, "Policy"),
            .policy_arns = cJSON_GetObjectItemCaseSensitive(c->in, "PolicyArns"),
            .source_ip = c->source_ip,
            .ctx = &pctx,
        };
        rc = sts_assume(c->app, c->tx, &r, &cr, c->arena, c->eb);
    }
    if (!rc) {
        sts_put_creds(c, &cr);
        cJSON_AddStringToObject(c->out, "SubjectFromWebIdentityToken",
                                jx_str(t.claims, "sub") ? jx_str(t.claims, "sub") : "");
        cJSON *u = cJSON_AddObjectToObject(c->out, "AssumedRoleUser");
        cJSON_AddStringToObject(u, "AssumedRoleId", cr.who.user_id);
        cJSON_AddStringToObject(u, "Arn", cr.who.arn);
        cJSON_AddStringToObject(c->out, "Provider", jx_str(t.claims, "iss"));
        cJSON_AddStringToObject(c->out, "Audience", aud);
        const char *si = jx_str(t.claims, "https://aws.amazon.com/source_identity");
        if (si) cJSON_AddStringToObject(c->out, "SourceIdentity", si);
        memset(&cr, 0, sizeof(cr));
    }
    jwt_free(&t);
    return rc;
}
