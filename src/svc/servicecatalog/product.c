/* product.c - Service Catalog products: CreateProduct, DescribeProduct (the end user's
 * view), DescribeProductAsAdmin, DescribeProductView, SearchProducts,
 * SearchProductsAsAdmin, UpdateProduct, DeleteProduct. A product body is a
 * ProductViewDetail plus _Tags and _IdempotencyToken (sc_int.h). */
#include "svc/servicecatalog/sc_int.h"

#include "core/clk.h"
#include "core/jx.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SC_MAX_PRODUCTS 350 /* products per region (admin guide, limits.md) */

static const cJSON *sc_summary(const cJSON *product)
{
    return cJSON_GetObjectItemCaseSensitive(product, "ProductViewSummary");
}

static const char *sc_product_id(const cJSON *product)
{
    return jx_str(sc_summary(product), "ProductId");
}

/* Every product body, oldest first, appended to out. */
static err_t sc_all_products(api_ctx_t *c, cJSON *out)
{
    bool more;
    res_query_t q = {c->scope, SC_PRODUCT, NULL, 0, 0};
    return res_list(c->tx, &q, out, &more, c->eb);
}

/* The bodies of the products in the portfolios (an array of ids), each once, in
 * portfolio then association order, appended to out. */
static err_t sc_products_in(api_ctx_t *c, const cJSON *portfolios, cJSON *out)
{
    cJSON *seen = cJSON_CreateObject();
    err_t rc = ERR_OK;
    for (const cJSON *p = portfolios->child; !rc && p; p = p->next) {
        cJSON *ids = cJSON_CreateArray();
        rc = sc_links(c, SC_LINK_PORTFOLIO_PRODUCT, true, p->valuestring, ids);
        for (const cJSON *id = ids->child; !rc && id; id = id->next) {
            if (cJSON_GetObjectItemCaseSensitive(seen, id->valuestring)) continue;
            cJSON_AddTrueToObject(seen, id->valuestring);
            cJSON *b = NULL;
            rc = sc_find(c, SC_PRODUCT, id->valuestring, &b);
            if (b) cJSON_AddItemToArray(out, b);
        }
        cJSON_Delete(ids);
    }
    cJSON_Delete(seen);
    return rc;
}

/* The products the caller can launch. */
static err_t sc_caller_products(api_ctx_t *c, cJSON *out)
{
    cJSON *ports = NULL;
    err_t rc = sc_caller_portfolios(c, &ports);
    if (!rc) rc = sc_products_in(c, ports, out);
    cJSON_Delete(ports);
    return rc;
}

err_t sc_product_find(api_ctx_t *c, const char *id, const char *name, bool end_user, cJSON **out)
{
    *out = NULL;
    if (id) {
        err_t rc = sc_get(c, SC_PRODUCT, id, "Product", out);
        bool ok = true;
        if (!rc && end_user) rc = sc_caller_has_product(c, id, &ok, NULL);
        if (!rc && !ok) rc = err_fail(c->eb, ERR_SC_NOT_FOUND, "Product %s not found.", id);
        if (rc) {
            cJSON_Delete(*out);
            *out = NULL;
        }
        return rc;
    }
    if (!name)
        return err_fail(c->eb, ERR_SC_INVALID_PARAMETERS, "Either Id or Name must be specified.");
    cJSON *all = cJSON_CreateArray();
    err_t rc = end_user ? sc_caller_products(c, all) : sc_all_products(c, all);
    for (cJSON *p = all->child; !rc && p && !*out; p = p->next) {
        const char *n = jx_str(sc_summary(p), "Name");
        if (n && !strcmp(n, name)) *out = cJSON_DetachItemViaPointer(all, p);
    }
    cJSON_Delete(all);
    if (!rc && !*out)
        rc = err_fail(c->eb, ERR_SC_NOT_FOUND, "Product with name %s not found.", name);
    return rc;
}

/* Adds ProductViewDetail and Tags from a product body (borrowed). */
static void sc_product_out(api_ctx_t *c, const cJSON *p)
{
    cJSON_AddItemToObject(c->out, "ProductViewDetail", cJSON_Duplicate(p, 1));
    const cJSON *tags = cJSON_GetObjectItemCaseSensitive(p, "_Tags");
    cJSON_AddItemToObject(c->out, "Tags", tags ? cJSON_Duplicate(tags, 1) : cJSON_CreateArray());
}

/* The product a CreateProduct with token already made (*out NULL when none); fails
 * with LimitExceededException when a new one would pass the quota. */
static err_t sc_product_by_token(api_ctx_t *c, const char *token, cJSON **out)
{
    *out = NULL;
    cJSON *all = cJSON_CreateArray();
    err_t rc = sc_all_products(c, all);
    for (cJSON *p = all->child; !rc && p && !*out; p = p->next) {
        const char *t = jx_str(p, "_IdempotencyToken");
        if (token && t && !strcmp(t, token)) *out = cJSON_DetachItemViaPointer(all, p);
    }
    if (!rc && !*out && cJSON_GetArraySize(all) >= SC_MAX_PRODUCTS)
        rc = err_fail(c->eb, ERR_SC_LIMIT, "The maximum number of products (%d) has been reached.",
                      SC_MAX_PRODUCTS);
    cJSON_Delete(all);
    return rc;
}

/* Sets (or, for an empty value, keeps absent) the summary members a create or update
 * names: request member -> ProductViewSummary member. */
static void sc_summary_from_input(api_ctx_t *c, cJSON *s)
{
    static const char *const map[][2] = {
        {"Name", "Name"},
        {"Owner", "Owner"},
        {"Description", "ShortDescription"},
        {"Distributor", "Distributor"},
        {"SupportEmail", "SupportEmail"},
        {"SupportDescription", "SupportDescription"},
        {"SupportUrl", "SupportUrl"},
    };
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
        const char *v = api_in_str(c, map[i][0]);
        if (v) jx_set_str(s, map[i][1], v);
    }
}

err_t sc_create_product(api_ctx_t *c)
{
    const char *token = api_in_str(c, "IdempotencyToken");
    const cJSON *props = cJSON_GetObjectItemCaseSensitive(c->in, "ProvisioningArtifactParameters");
    if (cJSON_GetObjectItemCaseSensitive(c->in, "SourceConnection"))
        return err_fail(c->eb, ERR_SC_INVALID_PARAMETERS,
                        "SourceConnection is not supported: catalogd has no CodeStar connections. "
                        "Give ProvisioningArtifactParameters instead.");
    if (!props)
        return err_fail(c->eb, ERR_SC_INVALID_PARAMETERS,
                        "ProvisioningArtifactParameters is required.");
    cJSON *p = NULL, *pa = NULL;
    err_t rc = sc_product_by_token(c, token, &p);
    if (rc) return rc;
    if (p) { /* the same token: the same product and its first version */
        cJSON *arts = cJSON_CreateArray();
        rc = sc_artifacts_of(c, sc_product_id(p), arts);
        if (!rc) {
            sc_product_out(c, p);
            if (arts->child)
                cJSON_AddItemToObject(c->out, "ProvisioningArtifactDetail",
                                      cJSON_Duplicate(arts->child, 1));
        }
        cJSON_Delete(arts);
        cJSON_Delete(p);
        return rc;
    }
    const char *id = sc_new_id(c, "prod-");
    p = cJSON_CreateObject();
    cJSON *s = cJSON_AddObjectToObject(p, "ProductViewSummary");
    cJSON_AddStringToObject(s, "Id", sc_new_id(c, "prodview-"));
    cJSON_AddStringToObject(s, "ProductId", id);
    sc_summary_from_input(c, s);
    cJSON_AddStringToObject(s, "Type", api_in_str(c, "ProductType"));
    cJSON_AddBoolToObject(s, "HasDefaultPath", false);
    cJSON_AddStringToObject(p, "Status", "AVAILABLE");
    cJSON_AddStringToObject(
        p, "ProductARN",
        arena_printf(c->arena, "arn:aws:catalog:%s:%s:product/%s", c->region, c->account, id));
    cJSON_AddNumberToObject(p, "CreatedTime", sc_now(c));
    cJSON *tags = cJSON_AddArrayToObject(p, "_Tags");
    cJSON *in_tags = sc_tags_in(c, "Tags");
    for (cJSON *t = in_tags->child; t; t = t->next)
        cJSON_AddItemToArray(tags, cJSON_Duplicate(t, 1));
    cJSON_Delete(in_tags);
    if (token) cJSON_AddStringToObject(p, "_IdempotencyToken", token);
    int64_t now = clk_now_ms(&c->app->clock);
    res_row_t row = {.created_ms = now, .updated_ms = now};
    /* the product row first: the artifact's parent must exist when it is written */
    rc = res_insert(c->tx, &(res_key_t){c->scope, SC_PRODUCT, id}, &row, p, c->eb);
    if (!rc) rc = sc_artifact_create(c, id, props, NULL, &pa);
    if (!rc) {
        sc_product_out(c, p);
        cJSON_AddItemToObject(c->out, "ProvisioningArtifactDetail", pa);
        pa = NULL;
    }
    cJSON_Delete(pa);
    cJSON_Delete(p);
    return rc;
}

/* ProvisioningArtifacts of the end user's view: the active versions. */
static err_t sc_active_artifacts(api_ctx_t *c, const char *product_id, cJSON *out)
{
    cJSON *all = cJSON_CreateArray();
    err_t rc = sc_artifacts_of(c, product_id, all);
    for (const cJSON *a = all->child; !rc && a; a = a->next) {
        if (cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(a, "Active"))) continue;
        cJSON *e = cJSON_CreateObject();
        static const char *const keep[] = {"Id", "Name", "Description", "CreatedTime", "Guidance"};
        for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(a, keep[i]);
            if (v) cJSON_AddItemToObject(e, keep[i], cJSON_Duplicate(v, 1));
        }
        cJSON_AddItemToArray(out, e);
    }
    cJSON_Delete(all);
    return rc;
}

err_t sc_describe_product(api_ctx_t *c)
{
    cJSON *p = NULL;
    err_t rc = sc_product_find(c, api_in_str(c, "Id"), api_in_str(c, "Name"), true, &p);
    if (rc) return rc;
    const char *id = sc_product_id(p);
    cJSON_AddItemToObject(c->out, "ProductViewSummary", cJSON_Duplicate(sc_summary(p), 1));
    rc = sc_active_artifacts(c, id, cJSON_AddArrayToObject(c->out, "ProvisioningArtifacts"));
    cJSON_AddArrayToObject(c->out, "Budgets");
    cJSON *paths = cJSON_AddArrayToObject(c->out, "LaunchPaths");
    cJSON *ports = NULL;
    if (!rc) rc = sc_caller_portfolios(c, &ports);
    for (const cJSON *port = ports ? ports->child : NULL; !rc && port; port = port->next) {
        bool in = false;
        rc = sc_link_exists(c, SC_LINK_PORTFOLIO_PRODUCT, port->valuestring, id, &in);
        cJSON *pb = NULL;
        if (!rc && in) rc = sc_get(c, SC_PORTFOLIO, port->valuestring, "Portfolio", &pb);
        if (pb) {
            cJSON *lp = cJSON_CreateObject();
            cJSON_AddStringToObject(lp, "Id", port->valuestring);
            cJSON_AddStringToObject(lp, "Name", jx_str(pb, "DisplayName"));
            cJSON_AddItemToArray(paths, lp);
            cJSON_Delete(pb);
        }
    }
    cJSON_Delete(ports);
    cJSON_Delete(p);
    return rc;
}

err_t sc_describe_product_as_admin(api_ctx_t *c)
{
    const char *src = api_in_str(c, "SourcePortfolioId");
    cJSON *p = NULL;
    err_t rc = src ? sc_require(c, SC_PORTFOLIO, src, "Portfolio") : ERR_OK;
    if (!rc) rc = sc_product_find(c, api_in_str(c, "Id"), api_in_str(c, "Name"), false, &p);
    if (rc) return rc;
    sc_product_out(c, p);
    cJSON *sums = cJSON_AddArrayToObject(c->out, "ProvisioningArtifactSummaries");
    cJSON *all = cJSON_CreateArray();
    rc = sc_artifacts_of(c, sc_product_id(p), all);
    for (const cJSON *a = all->child; !rc && a; a = a->next) {
        cJSON *e = cJSON_CreateObject();
        static const char *const keep[] = {"Id", "Name", "Description", "CreatedTime"};
        for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(a, keep[i]);
            if (v) cJSON_AddItemToObject(e, keep[i], cJSON_Duplicate(v, 1));
        }
        cJSON_AddItemToArray(sums, e);
    }
    cJSON_Delete(all);
    cJSON_AddArrayToObject(c->out, "TagOptions");
    cJSON_AddArrayToObject(c->out, "Budgets");
    cJSON_Delete(p);
    return rc;
}

err_t sc_describe_product_view(api_ctx_t *c)
{
    const char *view = api_in_str(c, "Id");
    cJSON *all = cJSON_CreateArray();
    err_t rc = sc_caller_products(c, all);
    const cJSON *found = NULL;
    for (const cJSON *p = all->child; !rc && p && !found; p = p->next)
        if (!strcmp(jx_str(sc_summary(p), "Id"), view)) found = p;
    if (!rc && !found) rc = err_fail(c->eb, ERR_SC_NOT_FOUND, "Product view %s not found.", view);
    if (!rc) {
        cJSON_AddItemToObject(c->out, "ProductViewSummary", cJSON_Duplicate(sc_summary(found), 1));
        rc = sc_active_artifacts(c, sc_product_id(found),
                                 cJSON_AddArrayToObject(c->out, "ProvisioningArtifacts"));
    }
    cJSON_Delete(all);
    return rc;
}

/* ---- search */

/* Case-insensitive substring. */
static bool sc_contains(const char *hay, const char *needle)
{
    if (!hay) return false;
    size_t n = strlen(needle);
    for (; *hay; hay++)
        if (!strncasecmp(hay, needle, n)) return true;
    return !*needle;
}

/* Does product p pass the request's Filters (each key: any of its values)? */
static bool sc_filter_ok(const cJSON *filters, const cJSON *p)
{
    const cJSON *s = sc_summary(p);
    for (const cJSON *f = filters ? filters->child : NULL; f; f = f->next) {
        if (!cJSON_GetArraySize(f)) continue;
        bool any = false;
        for (const cJSON *v = f->child; v && !any; v = v->next) {
            if (!cJSON_IsString(v)) continue;
            const char *x = v->valuestring;
            if (!strcmp(f->string, "FullTextSearch"))
                any = sc_contains(jx_str(s, "Name"), x) || sc_contains(jx_str(s, "Owner"), x) ||
                      sc_contains(jx_str(s, "ShortDescription"), x) ||
                      sc_contains(jx_str(s, "Distributor"), x);
            else if (!strcmp(f->string, "Owner"))
                any = jx_str(s, "Owner") && !strcasecmp(jx_str(s, "Owner"), x);
            else if (!strcmp(f->string, "ProductType"))
                any = jx_str(s, "Type") && !strcmp(jx_str(s, "Type"), x);
            /* SourceProductId: products copied from another; catalogd makes no copies */
        }
        if (!any) return false;
    }
    return true;
}

/* One product search: the products of a set of portfolios (or all), filtered; read in
 * creation order or by the Title key up to the page, or sorted by VersionCount in memory
 * (at most SC_MAX_PRODUCTS). */
typedef struct sc_search {
    api_ctx_t *c;
    const cJSON *in; /* product ids (an object used as a set), or NULL: every product */
    int by;          /* 0 creation order, 1 Title, 2 VersionCount */
    res_sort_t sorted;
} sc_search_t;

static err_t sc_search_row(void *ctx, const cJSON *p, const res_pkey_t *k, bool *keep)
{
    sc_search_t *s = ctx;
    *keep = (!s->in || cJSON_GetObjectItemCaseSensitive(s->in, sc_product_id(p))) &&
            sc_filter_ok(cJSON_GetObjectItemCaseSensitive(s->c->in, "Filters"), p);
    if (!*keep || s->by != 2) return ERR_OK;
    *keep = false; /* gathered for the sort instead */
    res_pkey_t key = {.seq = k->seq};
    cJSON *arts = cJSON_CreateArray();
    err_t rc = sc_artifacts_of(s->c, sc_product_id(p), arts);
    key.n = cJSON_GetArraySize(arts);
    cJSON_Delete(arts);
    if (!rc) res_sort_add(&s->sorted, cJSON_Duplicate(p, 1), &key);
    return rc;
}

/* Filters, sorts and pages the products in portfolios (an array of ids; NULL: all) into
 * out: whole details (admin) or their summaries. */
static err_t sc_search(api_ctx_t *c, const cJSON *portfolios, bool admin, cJSON *out)
{
    const char *by = api_in_str(c, "SortBy"), *order = api_in_str(c, "SortOrder");
    sc_search_t s = {.c = c,
                     .by = !by                           ? 0
                           : !strcmp(by, "Title")        ? 1
                           : !strcmp(by, "VersionCount") ? 2
                                                         : 0};
    bool desc = order && !strcmp(order, "DESCENDING");
    res_page_t p, all;
    err_t rc = sc_page_in(c, &p, arena_printf(c->arena, "%s/%d/%d", c->op->action, s.by, desc));
    cJSON *set = portfolios ? cJSON_CreateObject() : NULL;
    for (const cJSON *port = portfolios ? portfolios->child : NULL; !rc && port;
         port = port->next) {
        cJSON *ids = cJSON_CreateArray();
        rc = sc_links(c, SC_LINK_PORTFOLIO_PRODUCT, true, port->valuestring, ids);
        for (const cJSON *id = ids->child; id; id = id->next)
            if (!cJSON_GetObjectItemCaseSensitive(set, id->valuestring))
                cJSON_AddTrueToObject(set, id->valuestring);
        cJSON_Delete(ids);
    }
    s.in = set;
    p.desc = desc;
    cJSON *page = cJSON_CreateArray();
    res_query_t q = {c->scope, SC_PRODUCT, NULL, 0, 0};
    if (!rc && s.by == 2) {
        res_page_begin(&all, "", 0, false, NULL);
        rc = res_list_page(c->tx, &q, &all, sc_search_row, &s, NULL, c->eb);
    } else if (!rc) {
        res_keyed_t kq = {q.account, q.kind, s.by == 1 ? SC_KEY_TITLE : NULL, NULL, NULL, false};
        rc = res_keyed_page(c->tx, &kq, &p, sc_search_row, &s, page, c->eb);
    }
    res_sort_page(&s.sorted, &p, page);
    for (const cJSON *e = page->child; !rc && e; e = e->next)
        cJSON_AddItemToArray(out, cJSON_Duplicate(admin ? e : sc_summary(e), 1));
    if (!rc) sc_page_out(c, &p);
    cJSON_Delete(page);
    cJSON_Delete(set);
    return rc;
}

err_t sc_search_products(api_ctx_t *c)
{
    cJSON *ports = NULL;
    err_t rc = sc_caller_portfolios(c, &ports);
    if (!rc)
        rc = sc_search(c, ports, false, cJSON_AddArrayToObject(c->out, "ProductViewSummaries"));
    cJSON_AddObjectToObject(c->out, "ProductViewAggregations");
    cJSON_Delete(ports);
    return rc;
}

err_t sc_search_products_as_admin(api_ctx_t *c)
{
    const char *port = api_in_str(c, "PortfolioId");
    cJSON *one = NULL;
    err_t rc = ERR_OK;
    if (port) {
        rc = sc_require(c, SC_PORTFOLIO, port, "Portfolio");
        one = cJSON_CreateArray();
        cJSON_AddItemToArray(one, cJSON_CreateString(port));
    }
    if (!rc) rc = sc_search(c, one, true, cJSON_AddArrayToObject(c->out, "ProductViewDetails"));
    cJSON_Delete(one);
    return rc;
}

err_t sc_update_product(api_ctx_t *c)
{
    const char *id = api_in_str(c, "Id");
    if (cJSON_GetObjectItemCaseSensitive(c->in, "SourceConnection"))
        return err_fail(c->eb, ERR_SC_INVALID_PARAMETERS,
                        "SourceConnection is not supported: catalogd has no CodeStar connections.");
    cJSON *p = NULL;
    err_t rc = sc_get(c, SC_PRODUCT, id, "Product", &p);
    if (rc) return rc;
    cJSON *s = cJSON_GetObjectItemCaseSensitive(p, "ProductViewSummary");
    sc_summary_from_input(c, s);
    cJSON *tags = cJSON_GetObjectItemCaseSensitive(p, "_Tags");
    if (!tags) tags = cJSON_AddArrayToObject(p, "_Tags");
    rc = sc_tags_update(c, tags);
    if (!rc) rc = sc_put(c, SC_PRODUCT, id, p);
    if (!rc) sc_product_out(c, p);
    cJSON_Delete(p);
    return rc;
}

/* How many provisioned products were launched from product_id (and artifact_id when
 * non-NULL). */
static err_t sc_pp_count(api_ctx_t *c, const char *product_id, const char *artifact_id, int *n)
{
    cJSON *all = cJSON_CreateArray();
    bool more;
    res_query_t q = {c->scope, SC_PP, NULL, 0, 0};
    err_t rc = res_list(c->tx, &q, all, &more, c->eb);
    *n = 0;
    for (const cJSON *pp = all->child; !rc && pp; pp = pp->next) {
        const char *prod = jx_str(pp, "ProductId"), *pa = jx_str(pp, "ProvisioningArtifactId");
        if (prod && !strcmp(prod, product_id) && (!artifact_id || (pa && !strcmp(pa, artifact_id))))
            (*n)++;
    }
    cJSON_Delete(all);
    return rc;
}

/* Is a service action associated with product_id (and artifact_id when non-NULL)? */
static err_t sc_actions_count(api_ctx_t *c, const char *product_id, const char *artifact_id, int *n)
{
    store_stmt_t *st;
    bool row;
    *n = 0;
    const char *pre = arena_printf(c->arena, "%s|", product_id);
    const char *exact =
        artifact_id ? arena_printf(c->arena, "%s|%s", product_id, artifact_id) : NULL;
    err_t rc = store_query(c->tx, c->eb, &st, "SELECT b FROM links WHERE account = ? AND kind = ?",
                           "ss", c->scope, SC_LINK_ACTION_ARTIFACT);
    while (!rc && !(rc = store_step(st, &row, c->eb)) && row) {
        const char *b = store_col_text(st, 0);
        if (exact ? !strcmp(b, exact) : !strncmp(b, pre, strlen(pre))) (*n)++;
    }
    return rc;
}

err_t sc_product_in_use(api_ctx_t *c, const char *product_id, const char *artifact_id)
{
    int pps = 0, acts = 0;
    err_t rc = sc_pp_count(c, product_id, artifact_id, &pps);
    if (!rc) rc = sc_actions_count(c, product_id, artifact_id, &acts);
    const char *what = artifact_id ? arena_printf(c->arena, "Provisioning artifact %s", artifact_id)
                                   : arena_printf(c->arena, "Product %s", product_id);
    if (!rc && pps)
        rc =
            err_fail(c->eb, ERR_SC_IN_USE, "%s has %d provisioned product%s. Terminate them first.",
                     what, pps, pps == 1 ? "" : "s");
    if (!rc && acts)
        rc = err_fail(c->eb, ERR_SC_IN_USE,
                      "%s is associated with %d service action%s. Disassociate them first.", what,
                      acts, acts == 1 ? "" : "s");
    return rc;
}

err_t sc_delete_product(api_ctx_t *c)
{
    const char *id = api_in_str(c, "Id");
    err_t rc = sc_require(c, SC_PRODUCT, id, "Product");
    int64_t ports = 0;
    if (!rc) rc = sc_link_count(c, SC_LINK_PORTFOLIO_PRODUCT, false, id, &ports);
    if (!rc && ports)
        rc = err_fail(c->eb, ERR_SC_IN_USE,
                      "Product %s is associated with %lld portfolio%s. Disassociate it first.", id,
                      (long long)ports, ports == 1 ? "" : "s");
    if (!rc) rc = sc_product_in_use(c, id, NULL);
    cJSON *arts = cJSON_CreateArray();
    if (!rc) rc = sc_artifacts_of(c, id, arts);
    for (const cJSON *a = arts->child; !rc && a; a = a->next)
        rc = sc_del(c, SC_ARTIFACT, jx_str(a, "Id"));
    cJSON_Delete(arts);
    if (!rc) rc = sc_del(c, SC_PRODUCT, id);
    return rc;
}
