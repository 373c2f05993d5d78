/* share.c - portfolio sharing between accounts of one catalogd (as the Administrator
 * Guide's "Sharing and importing portfolios" describes it).
 *
 * The hub (the portfolio's owner) keeps one sc.share row per share under its own scope
 * (id "<portfolio>|<account or organization node>", parent = portfolio; body =
 * PortfolioShareDetail + _PortfolioId, _Recipients [{Account, Scope}]). Each recipient gets
 * an sc.import row under its scope (id = portfolio; body {PortfolioId, Accepted,
 * PortfolioShareType, _HubAccount, _HubScope}), written by the hub's CreatePortfolioShare
 * in the same transaction. AcceptPortfolioShare sets Accepted; the imported portfolio is
 * then the recipient's to read (DescribePortfolio, ListAcceptedPortfolioShares, its
 * products through sc_product_home) and to give its own principals
 * (AssociatePrincipalWithPortfolio), never to change: its products and constraints stay the
 * hub's (sc_portfolio_home). DeletePortfolioShare drops the share, the imports and the
 * recipients' principal associations with the portfolio, so new launches are refused;
 * provisioned products stay. Organization shares (org_share.c for who they reach) and
 * UpdatePortfolioShare answer a token that DescribePortfolioShareStatus reads
 * (sc.share_status, id = token). */
#include "svc/servicecatalog/sc_int.h"

#include "core/clk.h"
#include "core/jx.h"
#include "svc/organizations/org.h"

#include <stdio.h>
#include <string.h>

#define SC_SHARE_STATUS "sc.share_status"

/* ---- scopes and accounts */

const char *sc_scope_of(api_ctx_t *c, const char *account)
{
    char out[64];
    return arena_strdup(c->arena, app_scope(c->app, account, c->region, out, sizeof(out)));
}

err_t sc_import_find(api_ctx_t *c, const char *portfolio_id, cJSON **out)
{
    *out = NULL;
    return portfolio_id
               ? res_get(c->tx, &(res_key_t){c->scope, SC_IMPORT, portfolio_id}, out, c->eb)
               : ERR_OK;
}

err_t sc_portfolio_home(api_ctx_t *c, const char *portfolio_id, const char **scope, cJSON **out)
{
    *scope = c->scope;
    cJSON *p = NULL, *imp = NULL;
    err_t rc = sc_find(c, SC_PORTFOLIO, portfolio_id, &p);
    if (!rc && !p) rc = sc_import_find(c, portfolio_id, &imp);
    if (!rc && imp && jx_true(imp, "Accepted")) {
        *scope = arena_strdup(c->arena, jx_str(imp, "_HubScope"));
        rc = res_get(c->tx, &(res_key_t){*scope, SC_PORTFOLIO, portfolio_id}, &p, c->eb);
    }
    cJSON_Delete(imp);
    if (!rc && !p)
        rc = err_fail(c->eb, ERR_SC_NOT_FOUND, "Portfolio %s not found.",
                      portfolio_id ? portfolio_id : "(none)");
    if (out && !rc)
        *out = p;
    else
        cJSON_Delete(p);
    return rc;
}

err_t sc_catalog_scope(api_ctx_t *c, const char *portfolio_id, const char **scope)
{
    *scope = c->scope;
    cJSON *imp = NULL;
    err_t rc = sc_import_find(c, portfolio_id, &imp);
    if (!rc && imp && jx_true(imp, "Accepted"))
        *scope = arena_strdup(c->arena, jx_str(imp, "_HubScope"));
    cJSON_Delete(imp);
    return rc;
}

err_t sc_accepted_imports(api_ctx_t *c, cJSON *out)
{
    cJSON *all = cJSON_CreateArray();
    bool more;
    res_query_t q = {c->scope, SC_IMPORT, NULL, 0, 0};
    err_t rc = res_list(c->tx, &q, all, &more, c->eb);
    while (!rc && all->child) {
        cJSON *imp = cJSON_DetachItemViaPointer(all, all->child);
        if (jx_true(imp, "Accepted"))
            cJSON_AddItemToArray(out, imp);
        else
            cJSON_Delete(imp);
    }
    cJSON_Delete(all);
    return rc;
}

err_t sc_product_home(api_ctx_t *c, const char *product_id, const char **home)
{
    *home = c->scope;
    cJSON *p = NULL, *imps = cJSON_CreateArray();
    err_t rc = sc_find(c, SC_PRODUCT, product_id, &p);
    bool own = p != NULL;
    cJSON_Delete(p);
    if (!rc && !own && product_id) rc = sc_accepted_imports(c, imps);
    const char *found = NULL;
    for (const cJSON *i = imps->child; !rc && i && !found; i = i->next) {
        const char *own_scope = c->scope, *hub = jx_str(i, "_HubScope");
        bool in = false;
        c->scope = hub; /* the hub's catalog: does the imported portfolio hold it? */
        rc =
            sc_link_exists(c, SC_LINK_PORTFOLIO_PRODUCT, jx_str(i, "PortfolioId"), product_id, &in);
        c->scope = own_scope;
        if (in) found = arena_strdup(c->arena, hub);
    }
    cJSON_Delete(imps);
    if (found) *home = found;
    return rc;
}

const char *sc_pp_catalog(api_ctx_t *c, const cJSON *pp)
{
    const char *at = jx_str(pp, "_Catalog");
    return at ? at : c->scope;
}

/* ---- the hub's side */

/* What a share request names: AccountId (type ACCOUNT), or an OrganizationNode (its value;
 * type ORGANIZATION, ORGANIZATIONAL_UNIT, or ORGANIZATION_MEMBER_ACCOUNT for an ACCOUNT
 * node). InvalidParametersException unless exactly one is given. */
static err_t sc_share_key(api_ctx_t *c, const char **key, const char **type, const cJSON **node)
{
    const char *acct = api_in_str(c, "AccountId");
    *node = cJSON_GetObjectItemCaseSensitive(c->in, "OrganizationNode");
    if ((acct != NULL) == (*node != NULL))
        return err_fail(c->eb, ERR_SC_INVALID_PARAMETERS,
                        "Exactly one of AccountId or OrganizationNode must be specified.");
    if (acct) {
        *key = acct;
        *type = "ACCOUNT";
        return ERR_OK;
    }
    const char *nt = jx_str(*node, "Type"), *nv = jx_str(*node, "Value");
    if (!nt || !nv)
        return err_fail(c->eb, ERR_SC_INVALID_PARAMETERS,
                        "OrganizationNode must have a Type and a Value.");
    *key = nv;
    *type = !strcmp(nt, "ACCOUNT") ? "ORGANIZATION_MEMBER_ACCOUNT" : nt;
    return ERR_OK;
}

/* The portfolio a hub-side share call names: one of the caller's own. An imported one
 * cannot be shared on ("You cannot share a shared resource"): InvalidParametersException. */
static err_t sc_share_portfolio(api_ctx_t *c, const char *portfolio_id)
{
    cJSON *imp = NULL;
    err_t rc = sc_import_find(c, portfolio_id, &imp);
    bool imported = imp != NULL;
    cJSON_Delete(imp);
    if (!rc && imported)
        return err_fail(c->eb, ERR_SC_INVALID_PARAMETERS,
                        "Portfolio %s is imported: only the account that owns a portfolio can "
                        "share it.",
                        portfolio_id);
    return rc ? rc : sc_require(c, SC_PORTFOLIO, portfolio_id, "Portfolio");
}

static const char *sc_share_id(api_ctx_t *c, const char *portfolio_id, const char *key)
{
    return arena_printf(c->arena, "%s|%s", portfolio_id, key);
}

/* The hub's share of portfolio_id with key (an account or a node; *out owned; NULL when
 * none). */
static err_t sc_share_find(api_ctx_t *c, const char *portfolio_id, const char *key, cJSON **out)
{
    return sc_find(c, SC_SHARE, sc_share_id(c, portfolio_id, key), out);
}

/* The share a delete or update names; ResourceNotFoundException when there is none. */
static err_t sc_share_named(api_ctx_t *c, const char *port, const char **key, const char **type,
                            cJSON **share)
{
    const cJSON *node = NULL;
    *share = NULL;
    err_t rc = sc_share_key(c, key, type, &node);
    if (!rc) rc = sc_share_portfolio(c, port);
    if (!rc) rc = sc_share_find(c, port, *key, share);
    if (!rc && !*share)
        rc = err_fail(c->eb, ERR_SC_NOT_FOUND, "Portfolio %s is not shared with %s %s.", port,
                      node ? "organization node" : "account", *key);
    return rc;
}

/* Applies the request's ShareTagOptions / SharePrincipals to a share body. */
static void sc_share_flags(api_ctx_t *c, cJSON *share)
{
    static const char *const flags[] = {"ShareTagOptions", "SharePrincipals"};
    for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(c->in, flags[i]);
        if (cJSON_IsBool(v)) jx_set(share, flags[i], cJSON_CreateBool(cJSON_IsTrue(v)));
    }
}

/* Records a finished share operation on port with node value key and its accounts under a
 * new token (what DescribePortfolioShareStatus reads); the token goes to c->out. */
static err_t sc_share_token(api_ctx_t *c, const char *port, const char *key, const cJSON *accounts)
{
    const char *token = sc_new_id(c, "share-");
    cJSON *st = cJSON_CreateObject();
    cJSON_AddStringToObject(st, "PortfolioShareToken", token);
    cJSON_AddStringToObject(st, "PortfolioId", port);
    cJSON_AddStringToObject(st, "OrganizationNodeValue", key);
    cJSON_AddStringToObject(st, "Status", "COMPLETED");
    cJSON *details = cJSON_AddObjectToObject(st, "ShareDetails");
    cJSON_AddItemToObject(details, "SuccessfulShares", cJSON_Duplicate(accounts, 1));
    cJSON_AddArrayToObject(details, "ShareErrors");
    int64_t now = clk_now_ms(&c->app->clock);
    res_row_t row = {.parent = port, .created_ms = now, .updated_ms = now};
    err_t rc = res_insert(c->tx, &(res_key_t){c->scope, SC_SHARE_STATUS, token}, &row, st, c->eb);
    cJSON_Delete(st);
    if (!rc) cJSON_AddStringToObject(c->out, "PortfolioShareToken", token);
    return rc;
}

/* The accounts an AccountId share reaches: that one, when it is another of catalogd's. */
static err_t sc_account_recipient(api_ctx_t *c, const char *port, const char *acct, cJSON *accounts)
{
    if (!strcmp(acct, c->account))
        return err_fail(c->eb, ERR_SC_INVALID_PARAMETERS,
                        "Portfolio %s belongs to account %s: a portfolio cannot be shared with "
                        "its own account.",
                        port, acct);
    bool known = false;
    err_t rc = org_account_known(c->tx, acct, &known, c->eb);
    if (!rc && !known)
        return err_fail(c->eb, ERR_SC_INVALID_PARAMETERS, "Account %s does not exist.", acct);
    if (!rc) cJSON_AddItemToArray(accounts, cJSON_CreateString(acct));
    return rc;
}

err_t sc_create_portfolio_share(api_ctx_t *c)
{
    const char *port = api_in_str(c, "PortfolioId"), *key = NULL, *type = NULL;
    const cJSON *node = NULL;
    cJSON *accounts = jx_own(c->arena, cJSON_CreateArray());
    err_t rc = sc_share_key(c, &key, &type, &node);
    if (!rc) rc = sc_share_portfolio(c, port);
    if (!rc)
        rc = node ? sc_org_recipients(c, node, accounts)
                  : sc_account_recipient(c, port, key, accounts);
    cJSON *share = NULL;
    if (!rc) rc = sc_share_find(c, port, key, &share);
    if (!rc && share) { /* shared already: the options given replace the share's */
        sc_share_flags(c, share);
        rc = sc_put(c, SC_SHARE, sc_share_id(c, port, key), share);
        cJSON_Delete(share);
        if (!rc && node) rc = sc_share_token(c, port, key, accounts);
        return rc;
    }
    if (rc) return rc;
    share = cJSON_CreateObject();
    cJSON_AddStringToObject(share, "PrincipalId", key);
    cJSON_AddStringToObject(share, "Type", type);
    cJSON_AddBoolToObject(share, "Accepted", node != NULL); /* nothing to accept in an org */
    cJSON_AddBoolToObject(share, "ShareTagOptions", false);
    cJSON_AddBoolToObject(share, "SharePrincipals", false);
    sc_share_flags(c, share);
    cJSON_AddStringToObject(share, "_PortfolioId", port);
    cJSON *recipients = cJSON_AddArrayToObject(share, "_Recipients");
    int64_t now = clk_now_ms(&c->app->clock);
    const char *itype = node ? "AWS_ORGANIZATIONS" : "IMPORTED";
    for (const cJSON *a = accounts->child; !rc && a; a = a->next) {
        /* the offer each recipient sees (replacing a stale one; an account share already
         * made to the same account stays what it is) */
        const char *spoke = sc_scope_of(c, a->valuestring);
        res_key_t ik = {spoke, SC_IMPORT, port};
        cJSON *old = NULL;
        rc = res_get(c->tx, &ik, &old, c->eb);
        bool keep = old && node && !strcmp(jx_str(old, "PortfolioShareType"), "IMPORTED");
        cJSON_Delete(old);
        if (rc || keep) continue;
        cJSON *r = cJSON_CreateObject();
        cJSON_AddStringToObject(r, "Account", a->valuestring);
        cJSON_AddStringToObject(r, "Scope", spoke);
        cJSON_AddItemToArray(recipients, r);
        cJSON *imp = cJSON_CreateObject();
        cJSON_AddStringToObject(imp, "PortfolioId", port);
        cJSON_AddBoolToObject(imp, "Accepted", false);
        cJSON_AddStringToObject(imp, "PortfolioShareType", itype);
        cJSON_AddStringToObject(imp, "_HubAccount", c->account);
        cJSON_AddStringToObject(imp, "_HubScope", c->scope);
        res_row_t irow = {.created_ms = now, .updated_ms = now};
        rc = res_delete(c->tx, &ik, NULL, c->eb);
        if (!rc) rc = res_insert(c->tx, &ik, &irow, imp, c->eb);
        cJSON_Delete(imp);
    }
    res_row_t row = {.parent = port, .created_ms = now, .updated_ms = now};
    if (!rc)
        rc = res_insert(c->tx, &(res_key_t){c->scope, SC_SHARE, sc_share_id(c, port, key)}, &row,
                        share, c->eb);
    cJSON_Delete(share);
    /* an organization share answers a token to follow it by */
    if (!rc && node) rc = sc_share_token(c, port, key, accounts);
    return rc;
}

err_t sc_delete_portfolio_share(api_ctx_t *c)
{
    const char *port = api_in_str(c, "PortfolioId"), *key = NULL, *type = NULL;
    cJSON *share = NULL;
    err_t rc = sc_share_named(c, port, &key, &type, &share);
    if (rc) return rc;
    bool org = strcmp(type, "ACCOUNT") != 0;
    cJSON *accounts = jx_own(c->arena, cJSON_CreateArray());
    rc = sc_del(c, SC_SHARE, sc_share_id(c, port, key));
    /* each recipient loses the imported portfolio and what it gave its principals on it */
    const cJSON *rs = cJSON_GetObjectItemCaseSensitive(share, "_Recipients");
    for (const cJSON *r = rs ? rs->child : NULL; !rc && r; r = r->next) {
        const char *spoke = jx_str(r, "Scope");
        res_key_t ik = {spoke, SC_IMPORT, port};
        cJSON *imp = NULL;
        rc = res_get(c->tx, &ik, &imp, c->eb);
        bool ours = imp && !strcmp(jx_str(imp, "PortfolioShareType"),
                                   org ? "AWS_ORGANIZATIONS" : "IMPORTED");
        cJSON_Delete(imp);
        if (ours) cJSON_AddItemToArray(accounts, cJSON_CreateString(jx_str(r, "Account")));
        if (!rc && ours) rc = res_delete(c->tx, &ik, NULL, c->eb);
        if (!rc && ours)
            rc = store_exec(c->tx, c->eb, NULL,
                            "DELETE FROM links WHERE account = ? AND kind = ? AND a = ?", "sss",
                            spoke, SC_LINK_PORTFOLIO_PRINCIPAL, port);
    }
    cJSON_Delete(share);
    if (!rc && org) rc = sc_share_token(c, port, key, accounts);
    return rc;
}

err_t sc_update_portfolio_share(api_ctx_t *c)
{
    const char *port = api_in_str(c, "PortfolioId"), *key = NULL, *type = NULL;
    cJSON *share = NULL;
    if (!cJSON_GetObjectItemCaseSensitive(c->in, "ShareTagOptions") &&
        !cJSON_GetObjectItemCaseSensitive(c->in, "SharePrincipals"))
        return err_fail(c->eb, ERR_SC_INVALID_PARAMETERS,
                        "Specify ShareTagOptions or SharePrincipals to update.");
    err_t rc = sc_share_named(c, port, &key, &type, &share);
    if (!rc) {
        sc_share_flags(c, share);
        rc = sc_put(c, SC_SHARE, sc_share_id(c, port, key), share);
    }
    /* done at once: the token's status is final */
    cJSON *accounts = jx_own(c->arena, cJSON_CreateArray());
    const cJSON *rs = cJSON_GetObjectItemCaseSensitive(share, "_Recipients");
    for (const cJSON *r = rs ? rs->child : NULL; r; r = r->next)
        cJSON_AddItemToArray(accounts, cJSON_CreateString(jx_str(r, "Account")));
    cJSON_Delete(share);
    if (!rc) rc = sc_share_token(c, port, key, accounts);
    if (!rc) cJSON_AddStringToObject(c->out, "Status", "COMPLETED");
    return rc;
}

err_t sc_describe_portfolio_share_status(api_ctx_t *c)
{
    cJSON *st = NULL;
    const char *token = api_in_str(c, "PortfolioShareToken");
    err_t rc = sc_find(c, SC_SHARE_STATUS, token, &st);
    if (!rc && !st)
        rc = err_fail(c->eb, ERR_SC_NOT_FOUND, "Portfolio share token %s not found.", token);
    if (rc) return rc;
    for (cJSON *m = st->child; m; m = m->next)
        cJSON_AddItemToObject(c->out, m->string, cJSON_Duplicate(m, 1));
    cJSON_Delete(st);
    return ERR_OK;
}

/* keep: shares of the request's Type. */
static err_t sc_keep_share_type(void *ctx, const cJSON *body, const res_pkey_t *k, bool *keep)
{
    (void)k;
    const char *type = jx_str(body, "Type");
    *keep = type && !strcmp(type, (const char *)ctx);
    return ERR_OK;
}

err_t sc_describe_portfolio_shares(api_ctx_t *c)
{
    const char *port = api_in_str(c, "PortfolioId"), *type = api_in_str(c, "Type");
    res_page_t p;
    err_t rc = sc_page_in(c, &p, NULL);
    if (!rc) rc = sc_share_portfolio(c, port);
    if (rc) return rc;
    res_query_t q = {c->scope, SC_SHARE, port, 0, 0};
    cJSON *list = cJSON_AddArrayToObject(c->out, "PortfolioShareDetails");
    rc = res_list_page(c->tx, &q, &p, sc_keep_share_type, (void *)type, list, c->eb);
    if (!rc) sc_page_out(c, &p);
    return rc;
}

/* keep: shares with one account (ACCOUNT, ORGANIZATION_MEMBER_ACCOUNT). */
static err_t sc_keep_account_share(void *ctx, const cJSON *body, const res_pkey_t *k, bool *keep)
{
    (void)ctx, (void)k;
    const char *type = jx_str(body, "Type");
    *keep = type && (!strcmp(type, "ACCOUNT") || !strcmp(type, "ORGANIZATION_MEMBER_ACCOUNT"));
    return ERR_OK;
}

err_t sc_list_portfolio_access(api_ctx_t *c)
{
    const char *port = api_in_str(c, "PortfolioId"),
               *parent = api_in_str(c, "OrganizationParentId");
    res_page_t p;
    err_t rc = sc_page_in(c, &p, NULL);
    if (!rc) rc = sc_share_portfolio(c, port);
    if (rc) return rc;
    cJSON *ids = cJSON_AddArrayToObject(c->out, "AccountIds");
    if (parent) { /* the accounts an organization node's share reached */
        cJSON *share = NULL;
        rc = sc_share_find(c, port, parent, &share);
        const cJSON *rs = cJSON_GetObjectItemCaseSensitive(share, "_Recipients");
        for (const cJSON *r = rs ? rs->child : NULL; r; r = r->next)
            cJSON_AddItemToArray(ids, cJSON_CreateString(jx_str(r, "Account")));
        cJSON_Delete(share);
        return rc;
    }
    res_query_t q = {c->scope, SC_SHARE, port, 0, 0};
    cJSON *rows = cJSON_CreateArray();
    rc = res_list_page(c->tx, &q, &p, sc_keep_account_share, NULL, rows, c->eb);
    for (const cJSON *r = rows->child; r; r = r->next)
        cJSON_AddItemToArray(ids, cJSON_CreateString(jx_str(r, "PrincipalId")));
    cJSON_Delete(rows);
    if (!rc) sc_page_out(c, &p);
    return rc;
}

/* ---- the spoke's side */

/* The offer of portfolio_id to the caller's account of the request's PortfolioShareType
 * (IMPORTED unless given): *out owned. ResourceNotFoundException when there is none. */
static err_t sc_offer(api_ctx_t *c, const char *portfolio_id, cJSON **out)
{
    const char *type = api_in_str(c, "PortfolioShareType");
    err_t rc = sc_import_find(c, portfolio_id, out);
    if (!rc && *out && strcmp(jx_str(*out, "PortfolioShareType"), type ? type : "IMPORTED")) {
        cJSON_Delete(*out);
        *out = NULL;
    }
    if (!rc && !*out)
        rc = err_fail(c->eb, ERR_SC_NOT_FOUND, "Portfolio %s has not been shared with account %s.",
                      portfolio_id, c->account);
    return rc;
}

/* Sets Accepted on the spoke's import and the hub's share. */
static err_t sc_offer_set(api_ctx_t *c, const char *portfolio_id, cJSON *imp, bool accepted)
{
    jx_set(imp, "Accepted", cJSON_CreateBool(accepted));
    bool found = false;
    err_t rc = res_update(c->tx, &(res_key_t){c->scope, SC_IMPORT, portfolio_id}, NULL,
                          clk_now_ms(&c->app->clock), imp, &found, c->eb);
    const char *hub = jx_str(imp, "_HubScope");
    res_key_t k = {hub, SC_SHARE, sc_share_id(c, portfolio_id, c->account)};
    cJSON *share = NULL;
    if (!rc) rc = res_get(c->tx, &k, &share, c->eb);
    if (!rc && share) {
        jx_set(share, "Accepted", cJSON_CreateBool(accepted));
        rc = res_update(c->tx, &k, NULL, clk_now_ms(&c->app->clock), share, &found, c->eb);
    }
    cJSON_Delete(share);
    return rc;
}

err_t sc_accept_portfolio_share(api_ctx_t *c)
{
    const char *port = api_in_str(c, "PortfolioId");
    cJSON *imp = NULL;
    err_t rc = sc_offer(c, port, &imp);
    if (!rc && !jx_true(imp, "Accepted")) rc = sc_offer_set(c, port, imp, true);
    cJSON_Delete(imp);
    return rc; /* accepting again changes nothing */
}

err_t sc_reject_portfolio_share(api_ctx_t *c)
{
    const char *port = api_in_str(c, "PortfolioId");
    cJSON *imp = NULL;
    err_t rc = sc_offer(c, port, &imp);
    /* the imported portfolio goes, with what the spoke gave its principals on it; the
     * share stays offered (it may be accepted again) until the hub deletes it */
    if (!rc) rc = sc_offer_set(c, port, imp, false);
    if (!rc)
        rc = store_exec(c->tx, c->eb, NULL,
                        "DELETE FROM links WHERE account = ? AND kind = ? AND a = ?", "sss",
                        c->scope, SC_LINK_PORTFOLIO_PRINCIPAL, port);
    cJSON_Delete(imp);
    return rc;
}

/* keep: accepted imports of the PortfolioShareType ctx. */
static err_t sc_keep_accepted(void *ctx, const cJSON *body, const res_pkey_t *k, bool *keep)
{
    (void)k;
    *keep = jx_true(body, "Accepted") && !strcmp(jx_str(body, "PortfolioShareType"), ctx);
    return ERR_OK;
}

err_t sc_list_accepted_portfolio_shares(api_ctx_t *c)
{
    const char *type = api_in_str(c, "PortfolioShareType");
    res_page_t p;
    err_t rc = sc_page_in(c, &p, NULL);
    if (rc) return rc;
    res_query_t q = {c->scope, SC_IMPORT, NULL, 0, 0};
    cJSON *imps = cJSON_CreateArray();
    rc = res_list_page(c->tx, &q, &p, sc_keep_accepted, (void *)(type ? type : "IMPORTED"), imps,
                       c->eb);
    cJSON *list = cJSON_AddArrayToObject(c->out, "PortfolioDetails");
    for (const cJSON *i = imps->child; !rc && i; i = i->next) {
        cJSON *port = NULL;
        rc = res_get(c->tx,
                     &(res_key_t){jx_str(i, "_HubScope"), SC_PORTFOLIO, jx_str(i, "PortfolioId")},
                     &port, c->eb);
        if (port) cJSON_AddItemToArray(list, port);
    }
    cJSON_Delete(imps);
    if (!rc) sc_page_out(c, &p);
    return rc;
}

err_t sc_portfolio_shared(api_ctx_t *c, const char *portfolio_id, bool *shared)
{
    cJSON *one = cJSON_CreateArray();
    res_page_t p;
    res_page_begin(&p, "", 1, false, NULL);
    res_query_t q = {c->scope, SC_SHARE, portfolio_id, 0, 0};
    err_t rc = res_list_page(c->tx, &q, &p, NULL, NULL, one, c->eb);
    *shared = cJSON_GetArraySize(one) > 0;
    cJSON_Delete(one);
    return rc;
}
