/* association.c - what a portfolio holds: its products (AssociateProductWithPortfolio,
 * DisassociateProductFromPortfolio, ListPortfoliosForProduct) and the IAM principals
 * that may launch them (AssociatePrincipalWithPortfolio, DisassociatePrincipalFromPortfolio,
 * ListPrincipalsForPortfolio), kept as links (sc_int.h), plus the link helpers. */
#include "svc/servicecatalog/sc_int.h"

#include "core/clk.h"
#include "iam/identity.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define SC_MAX_PRODUCTS_PER_PORTFOLIO   150 /* admin guide, limits.md */
#define SC_MAX_PRINCIPALS_PER_PORTFOLIO 100
#define SC_MAX_PATTERNS_PER_PORTFOLIO   10 /* AssociatePrincipalWithPortfolio documentation */

err_t sc_link_page(api_ctx_t *c, const char *kind, bool by_a, const char *key, res_page_t *p,
                   cJSON *out)
{
    return res_links_page(c->tx, c->scope, kind, by_a, key, p, NULL, NULL, out, c->eb);
}

err_t sc_links(api_ctx_t *c, const char *kind, bool by_a, const char *key, cJSON *out)
{
    res_page_t all;
    res_page_begin(&all, "", 0, false, NULL);
    return sc_link_page(c, kind, by_a, key, &all, out);
}

err_t sc_link_count(api_ctx_t *c, const char *kind, bool by_a, const char *key, int64_t *n)
{
    cJSON *all = cJSON_CreateArray();
    err_t rc = sc_links(c, kind, by_a, key, all);
    *n = cJSON_GetArraySize(all);
    cJSON_Delete(all);
    return rc;
}

err_t sc_link_exists(api_ctx_t *c, const char *kind, const char *a, const char *b, bool *yes)
{
    store_stmt_t *st;
    bool row = false;
    err_t rc = store_query(c->tx, c->eb, &st,
                           "SELECT 1 FROM links WHERE account = ? AND kind = ? AND a = ? AND b = ?",
                           "ssss", c->scope, kind, a, b);
    if (!rc) rc = store_step(st, &row, c->eb);
    *yes = row;
    if (!rc && row) rc = store_step(st, &row, c->eb); /* finish the statement */
    return rc;
}

/* Adds (or, with body, re-labels) link (a, b). body: JSON text or NULL. */
static err_t sc_link_put(api_ctx_t *c, const char *kind, const char *a, const char *b,
                         const char *body)
{
    return store_exec(
        c->tx, c->eb, NULL,
        "INSERT INTO links (account, kind, a, b, created_ms, body, seq) VALUES (?, ?, ?, ?, ?, ?,"
        " (SELECT COALESCE(MAX(seq), 0) + 1 FROM links))"
        " ON CONFLICT (account, kind, a, b) DO UPDATE SET body = excluded.body",
        "ssssis", c->scope, kind, a, b, clk_now_ms(&c->app->clock), body);
}

static err_t sc_link_del(api_ctx_t *c, const char *kind, const char *a, const char *b, bool *found)
{
    int64_t n = 0;
    err_t rc = store_exec(c->tx, c->eb, &n,
                          "DELETE FROM links WHERE account = ? AND kind = ? AND a = ? AND b = ?",
                          "ssss", c->scope, kind, a, b);
    *found = n > 0;
    return rc;
}

/* Loads the portfolio and the product a request names (ResourceNotFoundException for
 * either); neither body is kept. */
static err_t sc_both_exist(api_ctx_t *c, const char *portfolio_id, const char *product_id)
{
    err_t rc = sc_require(c, SC_PORTFOLIO, portfolio_id, "Portfolio");
    if (!rc) rc = sc_require(c, SC_PRODUCT, product_id, "Product");
    return rc;
}

err_t sc_associate_product_with_portfolio(api_ctx_t *c)
{
    const char *port = api_in_str(c, "PortfolioId"), *prod = api_in_str(c, "ProductId");
    err_t rc = sc_both_exist(c, port, prod);
    const char *src = api_in_str(c, "SourcePortfolioId");
    if (!rc && src) rc = sc_require(c, SC_PORTFOLIO, src, "Portfolio");
    bool have = false;
    int64_t n = 0;
    if (!rc) rc = sc_link_exists(c, SC_LINK_PORTFOLIO_PRODUCT, port, prod, &have);
    if (!rc && have) return ERR_OK; /* already there: nothing to do */
    if (!rc) rc = sc_link_count(c, SC_LINK_PORTFOLIO_PRODUCT, true, port, &n);
    if (!rc && n >= SC_MAX_PRODUCTS_PER_PORTFOLIO)
        rc = err_fail(c->eb, ERR_SC_LIMIT, "Portfolio %s already has the maximum of %d products.",
                      port, SC_MAX_PRODUCTS_PER_PORTFOLIO);
    if (!rc) rc = sc_link_put(c, SC_LINK_PORTFOLIO_PRODUCT, port, prod, NULL);
    return rc;
}

err_t sc_disassociate_product_from_portfolio(api_ctx_t *c)
{
    const char *port = api_in_str(c, "PortfolioId"), *prod = api_in_str(c, "ProductId");
    err_t rc = sc_both_exist(c, port, prod);
    bool have = false;
    if (!rc) rc = sc_link_exists(c, SC_LINK_PORTFOLIO_PRODUCT, port, prod, &have);
    if (!rc && !have)
        rc = err_fail(c->eb, ERR_SC_NOT_FOUND, "Product %s is not associated with portfolio %s.",
                      prod, port);
    cJSON *cons = cJSON_CreateArray();
    if (!rc) rc = sc_constraints_of(c, port, prod, cons);
    if (!rc && cJSON_GetArraySize(cons) > 0)
        rc = err_fail(c->eb, ERR_SC_IN_USE,
                      "Product %s has constraints in portfolio %s. Delete them before removing the "
                      "product from the portfolio.",
                      prod, port);
    cJSON_Delete(cons);
    if (!rc) rc = sc_link_del(c, SC_LINK_PORTFOLIO_PRODUCT, port, prod, &have);
    return rc;
}

err_t sc_list_portfolios_for_product(api_ctx_t *c)
{
    const char *prod = api_in_str(c, "ProductId");
    res_page_t p;
    err_t rc = sc_page_in(c, &p, NULL);
    if (!rc) rc = sc_require(c, SC_PRODUCT, prod, "Product");
    if (rc) return rc;
    cJSON *ids = cJSON_CreateArray();
    rc = sc_link_page(c, SC_LINK_PORTFOLIO_PRODUCT, false, prod, &p, ids);
    cJSON *list = cJSON_AddArrayToObject(c->out, "PortfolioDetails");
    for (const cJSON *id = ids->child; !rc && id; id = id->next) {
        cJSON *b = NULL;
        rc = sc_find(c, SC_PORTFOLIO, id->valuestring, &b);
        if (b) cJSON_AddItemToArray(list, b); /* ids that no longer resolve are skipped */
    }
    cJSON_Delete(ids);
    if (!rc) sc_page_out(c, &p);
    return rc;
}

/* Checks a PrincipalARN for its type. IAM: a user, group or role of this account that
 * exists. IAM_PATTERN: arn:aws:iam:<account or empty>:<user|group|role>/<pattern>.
 * InvalidParametersException otherwise. */
static err_t sc_check_principal(api_ctx_t *c, const char *arn, const char *type)
{
    bool pattern = !strcmp(type, "IAM_PATTERN");
    const char *acct = c->account;
    size_t alen = strlen(acct);
    const char *rest = NULL;
    if (!strncmp(arn, "arn:aws:iam::", 13)) {
        const char *p = arn + 13;
        if (pattern && *p == ':')
            rest = p + 1;
        else if (!strncmp(p, acct, alen) && p[alen] == ':')
            rest = p + alen + 1;
    }
    const char *kind = NULL, *slash = rest ? strchr(rest, '/') : NULL;
    if (slash && (size_t)(slash - rest) == 4 && !strncmp(rest, "user", 4)) kind = "user";
    if (slash && (size_t)(slash - rest) == 5 && !strncmp(rest, "group", 5)) kind = "group";
    if (slash && (size_t)(slash - rest) == 4 && !strncmp(rest, "role", 4)) kind = "role";
    if (!kind || !slash[1])
        return err_fail(c->eb, ERR_SC_INVALID_PARAMETERS,
                        pattern ? "PrincipalARN %s is not a valid IAM_PATTERN: expected "
                                  "arn:aws:iam:::<user|group|role>/<name or pattern>."
                                : "PrincipalARN %s is not the ARN of an IAM user, group or role in "
                                  "this account.",
                        arn);
    if (pattern) return ERR_OK;
    const char *name = strrchr(slash, '/') + 1;
    cJSON *e = NULL;
    err_t rc = iam_identity_find(c->tx, acct, kind, name, &e, c->eb);
    const char *have = e ? jx_str(e, "Arn") : NULL;
    bool ok = have && !strcasecmp(have, arn);
    cJSON_Delete(e);
    if (!rc && !ok)
        rc = err_fail(c->eb, ERR_SC_INVALID_PARAMETERS, "Principal %s does not exist.", arn);
    return rc;
}

err_t sc_associate_principal_with_portfolio(api_ctx_t *c)
{
    const char *port = api_in_str(c, "PortfolioId"), *arn = api_in_str(c, "PrincipalARN");
    const char *type = api_in_str(c, "PrincipalType");
    err_t rc = sc_require(c, SC_PORTFOLIO, port, "Portfolio");
    if (!rc) rc = sc_check_principal(c, arn, type);
    bool have = false;
    if (!rc) rc = sc_link_exists(c, SC_LINK_PORTFOLIO_PRINCIPAL, port, arn, &have);
    if (!rc && !have) {
        int64_t n = 0, patterns = 0;
        store_stmt_t *st;
        bool row;
        rc = store_query(c->tx, c->eb, &st,
                         "SELECT body FROM links WHERE account = ? AND kind = ? AND a = ?", "sss",
                         c->scope, SC_LINK_PORTFOLIO_PRINCIPAL, port);
        while (!rc && !(rc = store_step(st, &row, c->eb)) && row) {
            n++;
            const char *b = store_col_text(st, 0);
            if (b && strstr(b, "\"IAM_PATTERN\"")) patterns++;
        }
        if (!rc && n >= SC_MAX_PRINCIPALS_PER_PORTFOLIO)
            rc = err_fail(c->eb, ERR_SC_LIMIT,
                          "Portfolio %s already has the maximum of %d principals.", port,
                          SC_MAX_PRINCIPALS_PER_PORTFOLIO);
        if (!rc && !strcmp(type, "IAM_PATTERN") && patterns >= SC_MAX_PATTERNS_PER_PORTFOLIO)
            rc = err_fail(c->eb, ERR_SC_LIMIT,
                          "Portfolio %s already has the maximum of %d IAM_PATTERN principals.",
                          port, SC_MAX_PATTERNS_PER_PORTFOLIO);
    }
    char body[64];
    snprintf(body, sizeof(body), "{\"PrincipalType\":\"%s\"}", type);
    if (!rc) rc = sc_link_put(c, SC_LINK_PORTFOLIO_PRINCIPAL, port, arn, body);
    return rc;
}

err_t sc_disassociate_principal_from_portfolio(api_ctx_t *c)
{
    const char *port = api_in_str(c, "PortfolioId"), *arn = api_in_str(c, "PrincipalARN");
    err_t rc = sc_require(c, SC_PORTFOLIO, port, "Portfolio");
    bool found = false;
    if (!rc) rc = sc_link_del(c, SC_LINK_PORTFOLIO_PRINCIPAL, port, arn, &found);
    if (!rc && !found)
        rc = err_fail(c->eb, ERR_SC_NOT_FOUND, "Principal %s is not associated with portfolio %s.",
                      arn, port);
    return rc;
}

err_t sc_list_principals_for_portfolio(api_ctx_t *c)
{
    const char *port = api_in_str(c, "PortfolioId");
    res_page_t p;
    err_t rc = sc_page_in(c, &p, NULL);
    if (!rc) rc = sc_require(c, SC_PORTFOLIO, port, "Portfolio");
    if (rc) return rc;
    cJSON *list = cJSON_AddArrayToObject(c->out, "Principals");
    store_stmt_t *st;
    bool row;
    rc = store_query(c->tx, c->eb, &st,
                     "SELECT b, body, created_ms, seq FROM links WHERE account = ? AND kind = ?"
                     " AND a = ? AND (created_ms, seq) > (?, ?) ORDER BY created_ms, seq",
                     "sssii", c->scope, SC_LINK_PORTFOLIO_PRINCIPAL, port,
                     p.after ? p.from.n : INT64_MIN, p.after ? p.from.seq : INT64_MIN);
    while (!rc && !(rc = store_step(st, &row, c->eb)) && row) {
        res_pkey_t k = {.n = store_col_int(st, 2), .seq = store_col_int(st, 3)};
        if (res_page_offer(&p, &k) == RES_PAGE_FULL) break;
        cJSON *b = cJSON_Parse(store_col_text(st, 1) ? store_col_text(st, 1) : "{}");
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "PrincipalARN", store_col_text(st, 0));
        cJSON_AddStringToObject(e, "PrincipalType",
                                jx_str(b, "PrincipalType") ? jx_str(b, "PrincipalType") : "IAM");
        cJSON_AddItemToArray(list, e);
        cJSON_Delete(b);
    }
    if (!rc) sc_page_out(c, &p);
    return rc;
}
