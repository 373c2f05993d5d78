/* common.c - helpers shared by the Service Catalog handlers: ids, paging, entity
 * access, the caller's portfolios, launch roles, and product templates. */
#include "svc/servicecatalog/sc_int.h"
#include "core/jx.h"

#include "core/clk.h"
#include "core/ids.h"
#include "iam/policy.h"
#include "svc/cloudformation/cfn.h"
#include "svc/sts/sts.h"
#include "tpl/tpl.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

double sc_now(api_ctx_t *c)
{
    return (double)clk_now_ms(&c->app->clock) / 1000.0;
}

const char *sc_new_id(api_ctx_t *c, const char *prefix)
{
    char id[64];
    ids_aws(&c->app->ids, prefix, id, sizeof(id));
    return arena_strdup(c->arena, id);
}

err_t sc_page_in(api_ctx_t *c, res_page_t *p, const char *scope)
{
    int64_t limit = api_in_int(c, "PageSize", 20);
    if (!res_page_begin(p, scope ? scope : c->op->action, limit > 0 ? limit : 20, false,
                        api_in_str(c, "PageToken")))
        return err_fail(c->eb, ERR_SC_INVALID_PARAMETERS, "The page token is not valid.");
    return ERR_OK;
}

void sc_page_out(api_ctx_t *c, const res_page_t *p)
{
    res_page_out(p, c->out, "NextPageToken");
}

err_t sc_list_kind(api_ctx_t *c, const char *kind, res_keep_fn keep, void *ctx,
                   cJSON *(*view)(const cJSON *), const char *member)
{
    res_page_t p;
    err_t rc = sc_page_in(c, &p, NULL);
    cJSON *page = cJSON_CreateArray();
    res_query_t q = {c->scope, kind, NULL, 0, 0};
    if (!rc) rc = res_list_page(c->tx, &q, &p, keep, ctx, page, c->eb);
    cJSON *list = cJSON_AddArrayToObject(c->out, member);
    while (!rc && page->child) {
        cJSON *e = cJSON_DetachItemViaPointer(page, page->child);
        if (view) {
            cJSON_AddItemToArray(list, view(e));
            cJSON_Delete(e);
        } else {
            cJSON_AddItemToArray(list, e);
        }
    }
    cJSON_Delete(page);
    if (!rc) sc_page_out(c, &p);
    return rc;
}

err_t sc_find(api_ctx_t *c, const char *kind, const char *id, cJSON **out)
{
    *out = NULL;
    return id ? res_get(c->tx, &(res_key_t){c->scope, kind, id}, out, c->eb) : ERR_OK;
}

err_t sc_get(api_ctx_t *c, const char *kind, const char *id, const char *what, cJSON **out)
{
    err_t rc = sc_find(c, kind, id, out);
    if (!rc && !*out)
        rc = err_fail(c->eb, ERR_SC_NOT_FOUND, "%s %s not found.", what, id ? id : "(none)");
    return rc;
}

err_t sc_require(api_ctx_t *c, const char *kind, const char *id, const char *what)
{
    cJSON *body = NULL;
    err_t rc = sc_get(c, kind, id, what, &body);
    cJSON_Delete(body);
    return rc;
}

err_t sc_del(api_ctx_t *c, const char *kind, const char *id)
{
    return res_delete(c->tx, &(res_key_t){c->scope, kind, id}, NULL, c->eb);
}

err_t sc_put(api_ctx_t *c, const char *kind, const char *id, const cJSON *body)
{
    bool found = false;
    err_t rc = res_update(c->tx, &(res_key_t){c->scope, kind, id}, NULL, clk_now_ms(&c->app->clock),
                          body, &found, c->eb);
    if (!rc && !found) rc = err_fail(c->eb, ERR_SC_NOT_FOUND, "%s not found.", id);
    return rc;
}

/* The ARNs a principal association can name for the caller. */
static cJSON *sc_caller_arns(api_ctx_t *c)
{
    cJSON *arns = cJSON_CreateArray();
    const auth_principal_t *who = c->caller;
    if (who->kind == AUTH_USER) {
        cJSON_AddItemToArray(arns, cJSON_CreateString(who->arn));
        store_stmt_t *st;
        bool row;
        if (!store_query(c->tx, c->eb, &st,
                         "SELECT r.body FROM links l JOIN resources r ON r.account = l.account AND"
                         " r.kind = 'iam.group' AND r.id = l.a WHERE l.account = ? AND l.kind ="
                         " 'iam.member' AND l.b = ?",
                         "ss", c->account, who->user_id)) {
            while (!store_step(st, &row, c->eb) && row) {
                cJSON *g = cJSON_Parse(store_col_text(st, 0));
                const char *arn = jx_str(g, "Arn");
                if (arn) cJSON_AddItemToArray(arns, cJSON_CreateString(arn));
                cJSON_Delete(g);
            }
        }
    } else if (who->kind == AUTH_ROLE_SESSION) {
        cJSON_AddItemToArray(arns, cJSON_CreateString(who->role_arn));
    }
    return arns;
}

/* Does an association (ARN or IAM_PATTERN) name one of arns? Patterns may leave the
 * account out ("arn:aws:iam:::role/Dev*"), meaning this account. */
static bool sc_principal_matches(api_ctx_t *c, const char *principal, const char *type,
                                 const cJSON *arns)
{
    bool pattern = type && !strcmp(type, "IAM_PATTERN");
    char full[1200];
    if (pattern && !strncmp(principal, "arn:aws:iam:::", 14))
        snprintf(full, sizeof(full), "arn:aws:iam::%s:%s", c->account, principal + 14);
    else
        snprintf(full, sizeof(full), "%s", principal);
    for (const cJSON *a = arns->child; a; a = a->next)
        if (pattern ? policy_wildcard(full, a->valuestring, false) : !strcmp(full, a->valuestring))
            return true;
    return false;
}

err_t sc_caller_portfolios(api_ctx_t *c, cJSON **out)
{
    *out = cJSON_CreateArray();
    store_stmt_t *st;
    bool row;
    err_t rc;
    if (c->caller->kind == AUTH_ROOT || c->caller->kind == AUTH_SERVICE) {
        rc = store_query(
            c->tx, c->eb, &st,
            "SELECT id FROM resources WHERE account = ? AND kind = ? ORDER BY created_ms, seq, id",
            "ss", c->scope, SC_PORTFOLIO);
        while (!rc && !(rc = store_step(st, &row, c->eb)) && row)
            cJSON_AddItemToArray(*out, cJSON_CreateString(store_col_text(st, 0)));
        return rc;
    }
    cJSON *arns = sc_caller_arns(c);
    rc = store_query(
        c->tx, c->eb, &st,
        "SELECT a, b, body FROM links WHERE account = ? AND kind = ? ORDER BY created_ms, seq",
        "ss", c->scope, SC_LINK_PORTFOLIO_PRINCIPAL);
    while (!rc && !(rc = store_step(st, &row, c->eb)) && row) {
        cJSON *body = cJSON_Parse(store_col_text(st, 2) ? store_col_text(st, 2) : "{}");
        if (sc_principal_matches(c, store_col_text(st, 1), jx_str(body, "PrincipalType"), arns)) {
            const char *port = store_col_text(st, 0);
            bool dup = false;
            for (cJSON *p = (*out)->child; p && !dup; p = p->next)
                dup = !strcmp(p->valuestring, port);
            if (!dup) cJSON_AddItemToArray(*out, cJSON_CreateString(port));
        }
        cJSON_Delete(body);
    }
    cJSON_Delete(arns);
    return rc;
}

err_t sc_caller_has_product(api_ctx_t *c, const char *product_id, bool *ok, const char **path)
{
    cJSON *ports = NULL;
    *ok = false;
    err_t rc = sc_caller_portfolios(c, &ports);
    for (cJSON *p = ports ? ports->child : NULL; !rc && p && !*ok; p = p->next) {
        store_stmt_t *st;
        bool row = false;
        rc = store_query(c->tx, c->eb, &st,
                         "SELECT 1 FROM links WHERE account = ? AND kind = ? AND a = ? AND b = ?",
                         "ssss", c->scope, SC_LINK_PORTFOLIO_PRODUCT, p->valuestring, product_id);
        if (!rc) rc = store_step(st, &row, c->eb);
        if (row) {
            *ok = true;
            if (path) *path = arena_strdup(c->arena, p->valuestring);
            store_step(st, &row, c->eb);
        }
    }
    cJSON_Delete(ports);
    return rc;
}

err_t sc_launch_role(api_ctx_t *c, const char *portfolio_id, const char *product_id,
                     const char **role_arn)
{
    *role_arn = NULL;
    cJSON *all = jx_own(c->arena, cJSON_CreateArray());
    bool more;
    res_query_t q = {c->scope, SC_CONSTRAINT, NULL, 0, 0};
    err_t rc = res_list(c->tx, &q, all, &more, c->eb);
    for (cJSON *k = all->child; !rc && k && !*role_arn; k = k->next) {
        if (strcmp(jx_str(k, "Type"), "LAUNCH") || strcmp(jx_str(k, "ProductId"), product_id) ||
            (portfolio_id && strcmp(jx_str(k, "PortfolioId"), portfolio_id)))
            continue;
        const char *text = jx_str(k, "_Parameters");
        cJSON *p = jx_own(c->arena, cJSON_Parse(text ? text : "{}"));
        const char *arn = jx_str(p, "RoleArn"), *local = jx_str(p, "LocalRoleName");
        if (arn)
            *role_arn = arn;
        else if (local)
            *role_arn = arena_printf(c->arena, "arn:aws:iam::%s:role/%s", c->account, local);
    }
    return rc;
}

err_t sc_artifact_template(api_ctx_t *c, const cJSON *info, bool disable_validation,
                           const char **text)
{
    const char *url = jx_str(info, "LoadTemplateFromURL");
    const char *stack = jx_str(info, "ImportFromPhysicalId");
    if ((url && stack) || (!url && !stack))
        return err_fail(
            c->eb, ERR_SC_INVALID_PARAMETERS,
            "Info must contain exactly one of LoadTemplateFromURL or ImportFromPhysicalId.");
    if (stack) {
        /* read as the caller through CloudFormation itself: cloudformation:GetTemplate on
         * the stack is the caller's to have (AccessDenied otherwise, as AWS) */
        cJSON *in = jx_own(c->arena, cJSON_CreateObject()), *out = NULL;
        cJSON_AddStringToObject(in, "StackName", stack);
        err_t rc = api_client_call(c, c->caller, "cloudformation", "GetTemplate", in, &out, c->eb);
        const char *body = jx_str(jx_own(c->arena, out), "TemplateBody");
        if (!rc && body) *text = body;
        if (rc == ERR_ACCESS_DENIED) return rc;
        /* GetTemplate still reads a deleted stack by its StackId: that is no source */
        const char *name = !strncmp(stack, "arn:", 4) ? strstr(stack, ":stack/") : NULL;
        if (!rc && name) {
            name = arena_strndup(c->arena, name + 7, strcspn(name + 7, "/"));
            const char *live = cfn_stack_arn(c->tx, c->scope, name, c->arena);
            if (!live || strcmp(live, stack))
                rc = err_fail(c->eb, ERR_VALIDATION, "Stack with id %s does not exist", stack);
        }
        /* err_fail formats into eb: hand it a copy of the message it replaces */
        if (rc || !body)
            return err_fail(c->eb, ERR_SC_INVALID_PARAMETERS,
                            "ImportFromPhysicalId %s is not a stack: %s", stack,
                            arena_strdup(c->arena, rc ? c->eb->msg : "it has no template"));
        return ERR_OK;
    }
    err_t rc = api_fetch_template(c, url, text);
    if (rc) return err_fail(c->eb, ERR_SC_INVALID_PARAMETERS, "%s", c->eb->msg);
    if (!disable_validation) {
        tpl_t *t = NULL;
        rc = tpl_parse(span_of(*text), &t, c->eb);
        tpl_free(t);
        if (rc)
            return err_fail(c->eb, ERR_SC_INVALID_PARAMETERS, "The template at %s is not valid: %s",
                            url, arena_strdup(c->arena, c->eb->msg));
    }
    return ERR_OK;
}

cJSON *sc_tags_in(api_ctx_t *c, const char *member)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(c->in, member);
    return t ? cJSON_Duplicate(t, 1) : cJSON_CreateArray();
}

err_t sc_token_get(api_ctx_t *c, const char *scope, const char *token, cJSON **prior)
{
    *prior = NULL;
    if (!token) return ERR_OK;
    store_stmt_t *st;
    bool row = false;
    err_t rc = store_query(
        c->tx, c->eb, &st,
        "SELECT response FROM idempotency WHERE account = ? AND scope = ? AND token = ?", "sss",
        c->scope, scope, token);
    if (!rc) rc = store_step(st, &row, c->eb);
    if (row) {
        *prior = cJSON_Parse(store_col_text(st, 0));
        store_step(st, &row, c->eb);
    }
    return rc;
}

err_t sc_token_put(api_ctx_t *c, const char *scope, const char *token, const cJSON *resp)
{
    if (!token) return ERR_OK;
    char *text = cJSON_PrintUnformatted(resp);
    err_t rc = store_exec(
        c->tx, c->eb, NULL,
        "INSERT INTO idempotency (account, scope, token, request_hash, response, created_ms)"
        " VALUES (?, ?, ?, '', ?, ?)",
        "ssssi", c->scope, scope, token, text, clk_now_ms(&c->app->clock));
    cJSON_free(text);
    return rc;
}

err_t sc_assume_launch_role(const sc_env_t *env, const char *role, const char *session,
                            auth_principal_t *as, errbuf_t *eb)
{
    sts_assume_req_t req = {.service = "servicecatalog.amazonaws.com",
                            .role_arn = role,
                            .session_name = session,
                            .duration_s = 3600,
                            .account = env->account,
                            .region = env->region};
    sts_creds_t creds;
    err_t rc = sts_assume(env->app, env->tx, &req, &creds, env->arena, eb);
    if (!rc) *as = creds.who;
    return rc;
}

const auth_principal_t *sc_service_principal(const sc_env_t *env, auth_principal_t *p)
{
    auth_service_principal(p, "servicecatalog.amazonaws.com", env->account, env->region);
    return p;
}

err_t sc_call(const sc_env_t *env, const auth_principal_t *as, const char *service, const char *op,
              cJSON *in, cJSON **out, char *out_err, size_t cap)
{
    errbuf_t ceb = {{0}};
    err_t rc = api_client_call_tx(env->app, env->tx, env->post, env->arena, as, service, op, in,
                                  out, &ceb);
    if (rc) api_client_error_text(rc, service, op, ceb.msg, out_err, cap);
    return rc;
}
