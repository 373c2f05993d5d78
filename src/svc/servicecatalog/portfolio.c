/* portfolio.c - Service Catalog portfolios: CreatePortfolio, DescribePortfolio,
 * ListPortfolios, UpdatePortfolio, DeletePortfolio, and the tag editing portfolios and
 * products share. A portfolio body is a PortfolioDetail plus _Tags and
 * _IdempotencyToken (sc_int.h). */
#include "svc/servicecatalog/sc_int.h"

#include "core/clk.h"
#include "core/jx.h"

#include <string.h>

#define SC_MAX_PORTFOLIOS 100 /* portfolios per region (admin guide, limits.md) */
#define SC_MAX_TAGS       20  /* tags per portfolio / product */

err_t sc_tags_update(api_ctx_t *c, cJSON *tags)
{
    const cJSON *rm = cJSON_GetObjectItemCaseSensitive(c->in, "RemoveTags");
    const cJSON *add = cJSON_GetObjectItemCaseSensitive(c->in, "AddTags");
    for (const cJSON *k = rm ? rm->child : NULL; k; k = k->next) {
        if (!cJSON_IsString(k)) continue;
        cJSON *t = tags->child;
        while (t) {
            cJSON *next = t->next;
            const char *key = jx_str(t, "Key");
            if (key && !strcmp(key, k->valuestring))
                cJSON_Delete(cJSON_DetachItemViaPointer(tags, t));
            t = next;
        }
    }
    for (const cJSON *a = add ? add->child : NULL; a; a = a->next) {
        const char *key = jx_str(a, "Key"), *value = jx_str(a, "Value");
        if (!key || !value) continue;
        bool found = false;
        for (cJSON *t = tags->child; t && !found; t = t->next) {
            const char *tk = jx_str(t, "Key");
            if (tk && !strcmp(tk, key)) {
                jx_set_str(t, "Value", value);
                found = true;
            }
        }
        if (!found) {
            cJSON *t = cJSON_CreateObject();
            cJSON_AddStringToObject(t, "Key", key);
            cJSON_AddStringToObject(t, "Value", value);
            cJSON_AddItemToArray(tags, t);
        }
    }
    if (cJSON_GetArraySize(tags) > SC_MAX_TAGS)
        return err_fail(c->eb, ERR_SC_LIMIT, "The number of tags exceeds the limit of %d.",
                        SC_MAX_TAGS);
    return ERR_OK;
}

/* Fills c->out with PortfolioDetail and Tags from a portfolio body (borrowed). */
static void sc_portfolio_out(api_ctx_t *c, const cJSON *p)
{
    cJSON_AddItemToObject(c->out, "PortfolioDetail", cJSON_Duplicate(p, 1));
    const cJSON *tags = cJSON_GetObjectItemCaseSensitive(p, "_Tags");
    cJSON_AddItemToObject(c->out, "Tags", tags ? cJSON_Duplicate(tags, 1) : cJSON_CreateArray());
}

/* The portfolio a CreatePortfolio with token already made, or NULL (*out owned). */
static err_t sc_portfolio_by_token(api_ctx_t *c, const char *token, cJSON **out)
{
    *out = NULL;
    cJSON *all = cJSON_CreateArray();
    bool more;
    res_query_t q = {c->scope, SC_PORTFOLIO, NULL, 0, 0};
    err_t rc = res_list(c->tx, &q, all, &more, c->eb);
    for (cJSON *p = all->child; !rc && p && !*out; p = p->next) {
        const char *t = jx_str(p, "_IdempotencyToken");
        if (t && !strcmp(t, token)) *out = cJSON_DetachItemViaPointer(all, p);
    }
    if (!rc && !*out && cJSON_GetArraySize(all) >= SC_MAX_PORTFOLIOS)
        rc = err_fail(c->eb, ERR_SC_LIMIT,
                      "The maximum number of portfolios (%d) has been reached.", SC_MAX_PORTFOLIOS);
    cJSON_Delete(all);
    return rc;
}

err_t sc_create_portfolio(api_ctx_t *c)
{
    const char *token = api_in_str(c, "IdempotencyToken");
    cJSON *p = NULL;
    err_t rc = token ? sc_portfolio_by_token(c, token, &p) : ERR_OK;
    if (!rc && p) { /* the same token: the same portfolio */
        sc_portfolio_out(c, p);
        cJSON_Delete(p);
        return ERR_OK;
    }
    if (rc) return rc;
    const char *id = sc_new_id(c, "port-");
    p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "Id", id);
    cJSON_AddStringToObject(
        p, "ARN",
        arena_printf(c->arena, "arn:aws:catalog:%s:%s:portfolio/%s", c->region, c->account, id));
    cJSON_AddStringToObject(p, "DisplayName", api_in_str(c, "DisplayName"));
    if (api_in_str(c, "Description"))
        cJSON_AddStringToObject(p, "Description", api_in_str(c, "Description"));
    cJSON_AddNumberToObject(p, "CreatedTime", sc_now(c));
    cJSON_AddStringToObject(p, "ProviderName", api_in_str(c, "ProviderName"));
    cJSON *tags = cJSON_AddArrayToObject(p, "_Tags");
    cJSON *in_tags = sc_tags_in(c, "Tags");
    for (cJSON *t = in_tags->child; t; t = t->next) { /* a repeated key keeps its last value */
        const char *k = jx_str(t, "Key");
        for (cJSON *o = tags->child; o && k; o = o->next)
            if (!strcmp(jx_str(o, "Key"), k)) {
                cJSON_Delete(cJSON_DetachItemViaPointer(tags, o));
                break;
            }
        cJSON_AddItemToArray(tags, cJSON_Duplicate(t, 1));
    }
    cJSON_Delete(in_tags);
    if (token) cJSON_AddStringToObject(p, "_IdempotencyToken", token);
    int64_t now = clk_now_ms(&c->app->clock);
    res_row_t row = {.created_ms = now, .updated_ms = now};
    rc = res_insert(c->tx, &(res_key_t){c->scope, SC_PORTFOLIO, id}, &row, p, c->eb);
    if (!rc) sc_portfolio_out(c, p);
    cJSON_Delete(p);
    return rc;
}

err_t sc_describe_portfolio(api_ctx_t *c)
{
    cJSON *p = NULL;
    err_t rc = sc_get(c, SC_PORTFOLIO, api_in_str(c, "Id"), "Portfolio", &p);
    if (rc) return rc;
    sc_portfolio_out(c, p);
    cJSON_AddArrayToObject(c->out, "TagOptions");
    cJSON_AddArrayToObject(c->out, "Budgets");
    cJSON_Delete(p);
    return ERR_OK;
}

err_t sc_list_portfolios(api_ctx_t *c)
{
    return sc_list_kind(c, SC_PORTFOLIO, NULL, NULL, NULL, "PortfolioDetails");
}

err_t sc_update_portfolio(api_ctx_t *c)
{
    const char *id = api_in_str(c, "Id");
    cJSON *p = NULL;
    err_t rc = sc_get(c, SC_PORTFOLIO, id, "Portfolio", &p);
    if (rc) return rc;
    static const char *const fields[] = {"DisplayName", "Description", "ProviderName"};
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
        if (api_in_str(c, fields[i])) jx_set_str(p, fields[i], api_in_str(c, fields[i]));
    cJSON *tags = cJSON_GetObjectItemCaseSensitive(p, "_Tags");
    if (!tags) tags = cJSON_AddArrayToObject(p, "_Tags");
    rc = sc_tags_update(c, tags);
    if (!rc) rc = sc_put(c, SC_PORTFOLIO, id, p);
    if (!rc) sc_portfolio_out(c, p);
    cJSON_Delete(p);
    return rc;
}

err_t sc_delete_portfolio(api_ctx_t *c)
{
    const char *id = api_in_str(c, "Id");
    err_t rc = sc_require(c, SC_PORTFOLIO, id, "Portfolio");
    int64_t products = 0, principals = 0;
    if (!rc) rc = sc_link_count(c, SC_LINK_PORTFOLIO_PRODUCT, true, id, &products);
    if (!rc) rc = sc_link_count(c, SC_LINK_PORTFOLIO_PRINCIPAL, true, id, &principals);
    cJSON *cons = cJSON_CreateArray();
    if (!rc) rc = sc_constraints_of(c, id, NULL, cons);
    int n_cons = cJSON_GetArraySize(cons);
    cJSON_Delete(cons);
    if (rc) return rc;
    if (products || principals || n_cons)
        return err_fail(c->eb, ERR_SC_IN_USE,
                        "Portfolio %s cannot be deleted while it has associated %s. Remove them "
                        "first.",
                        id,
                        products     ? "products"
                        : principals ? "principals"
                                     : "constraints");
    return sc_del(c, SC_PORTFOLIO, id);
}
