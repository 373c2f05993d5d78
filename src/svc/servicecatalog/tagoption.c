/* tagoption.c - the TagOption library: CreateTagOption, DescribeTagOption,
 * UpdateTagOption, ListTagOptions, DeleteTagOption, AssociateTagOptionWithResource,
 * DisassociateTagOptionFromResource, ListResourcesForTagOption, and what launches take
 * from it: the tags a product's and its launch path's TagOptions allow (the
 * TagOptionSummary list) and the check of a launch's Tags against them. A TagOption body
 * is its TagOptionDetail; an association is a link (TagOption, portfolio or product). */
#include "svc/servicecatalog/sc_int.h"

#include "core/clk.h"
#include "core/jx.h"

#include <string.h>

/* The TagOptions of the caller's scope whose Key (and Value, when non-NULL) match,
 * appended to out. */
static err_t sc_tagoptions_matching(api_ctx_t *c, const char *key, const char *value, cJSON *out)
{
    cJSON *all = cJSON_CreateArray();
    bool more;
    res_query_t q = {c->scope, SC_TAGOPTION, NULL, 0, 0};
    err_t rc = res_list(c->tx, &q, all, &more, c->eb);
    while (!rc && all->child) {
        cJSON *t = cJSON_DetachItemViaPointer(all, all->child);
        if (!strcmp(jx_str(t, "Key"), key) && (!value || !strcmp(jx_str(t, "Value"), value)))
            cJSON_AddItemToArray(out, t);
        else
            cJSON_Delete(t);
    }
    cJSON_Delete(all);
    return rc;
}

/* DuplicateResourceException when a TagOption key/value pair already exists. */
static err_t sc_tagoption_unique(api_ctx_t *c, const char *key, const char *value)
{
    cJSON *same = cJSON_CreateArray();
    err_t rc = sc_tagoptions_matching(c, key, value, same);
    if (!rc && same->child)
        rc = err_fail(c->eb, ERR_SC_DUPLICATE, "TagOption with key %s and value %s already exists.",
                      key, value);
    cJSON_Delete(same);
    return rc;
}

static void sc_tagoption_out(api_ctx_t *c, const cJSON *t)
{
    cJSON_AddItemToObject(c->out, "TagOptionDetail", cJSON_Duplicate(t, 1));
}

err_t sc_create_tag_option(api_ctx_t *c)
{
    const char *key = api_in_str(c, "Key"), *value = api_in_str(c, "Value");
    err_t rc = sc_tagoption_unique(c, key, value);
    if (rc) return rc;
    const char *id = sc_new_id(c, "tag-");
    cJSON *t = cJSON_CreateObject();
    cJSON_AddStringToObject(t, "Key", key);
    cJSON_AddStringToObject(t, "Value", value);
    cJSON_AddBoolToObject(t, "Active", true);
    cJSON_AddStringToObject(t, "Id", id);
    cJSON_AddStringToObject(t, "Owner", c->account);
    int64_t now = clk_now_ms(&c->app->clock);
    res_row_t row = {.created_ms = now, .updated_ms = now};
    rc = res_insert(c->tx, &(res_key_t){c->scope, SC_TAGOPTION, id}, &row, t, c->eb);
    if (!rc) sc_tagoption_out(c, t);
    cJSON_Delete(t);
    return rc;
}

err_t sc_describe_tag_option(api_ctx_t *c)
{
    cJSON *t = NULL;
    err_t rc = sc_get(c, SC_TAGOPTION, api_in_str(c, "Id"), "TagOption", &t);
    if (!rc) sc_tagoption_out(c, t);
    cJSON_Delete(t);
    return rc;
}

err_t sc_update_tag_option(api_ctx_t *c)
{
    const char *id = api_in_str(c, "Id"), *value = api_in_str(c, "Value");
    const cJSON *active = cJSON_GetObjectItemCaseSensitive(c->in, "Active");
    cJSON *t = NULL;
    err_t rc = sc_get(c, SC_TAGOPTION, id, "TagOption", &t);
    if (!rc && !value && !cJSON_IsBool(active))
        rc = err_fail(c->eb, ERR_SC_INVALID_PARAMETERS,
                      "Either Value or Active must be given to update TagOption %s.", id);
    /* a Value equal to the present one is a duplicate of the TagOption itself, as on AWS */
    if (!rc && value) rc = sc_tagoption_unique(c, jx_str(t, "Key"), value);
    if (!rc && value) jx_set_str(t, "Value", value);
    if (!rc && cJSON_IsBool(active)) jx_set(t, "Active", cJSON_CreateBool(cJSON_IsTrue(active)));
    if (!rc) rc = sc_put(c, SC_TAGOPTION, id, t);
    if (!rc) sc_tagoption_out(c, t);
    cJSON_Delete(t);
    return rc;
}

/* ListTagOptions' Filters: Key, Value (exact) and Active. */
static err_t sc_tagoption_keep(void *ctx, const cJSON *t, const res_pkey_t *k, bool *keep)
{
    (void)k;
    const cJSON *f = ctx;
    const char *key = jx_str(f, "Key"), *value = jx_str(f, "Value");
    const cJSON *active = cJSON_GetObjectItemCaseSensitive(f, "Active");
    *keep = (!key || !strcmp(key, jx_str(t, "Key"))) &&
            (!value || !strcmp(value, jx_str(t, "Value"))) &&
            (!cJSON_IsBool(active) ||
             cJSON_IsTrue(active) == cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "Active")));
    return ERR_OK;
}

err_t sc_list_tag_options(api_ctx_t *c)
{
    res_page_t p;
    err_t rc = sc_page_in(c, &p, NULL);
    cJSON *list = cJSON_AddArrayToObject(c->out, "TagOptionDetails");
    res_query_t q = {c->scope, SC_TAGOPTION, NULL, 0, 0};
    if (!rc)
        rc = res_list_page(c->tx, &q, &p, sc_tagoption_keep,
                           cJSON_GetObjectItemCaseSensitive(c->in, "Filters"), list, c->eb);
    if (!rc) res_page_out(&p, c->out, "PageToken"); /* this output names its token PageToken */
    return rc;
}

err_t sc_delete_tag_option(api_ctx_t *c)
{
    const char *id = api_in_str(c, "Id");
    int64_t n = 0;
    err_t rc = sc_require(c, SC_TAGOPTION, id, "TagOption");
    if (!rc) rc = sc_link_count(c, SC_LINK_TAGOPTION_RESOURCE, true, id, &n);
    if (!rc && n)
        rc = err_fail(c->eb, ERR_SC_IN_USE,
                      "TagOption %s is associated with %lld resource%s. Disassociate it first.", id,
                      (long long)n, n == 1 ? "" : "s");
    if (!rc) rc = sc_del(c, SC_TAGOPTION, id);
    return rc;
}

/* The kind of the resource a TagOption association names: a portfolio or a product
 * ("Portfolio" / "Product" in *type); ResourceNotFoundException otherwise. */
static err_t sc_tagoption_target(api_ctx_t *c, const char *id, const char **type)
{
    cJSON *b = NULL;
    err_t rc = sc_find(c, SC_PORTFOLIO, id, &b);
    *type = b ? "Portfolio" : NULL;
    if (!rc && !b) {
        rc = sc_find(c, SC_PRODUCT, id, &b);
        *type = b ? "Product" : NULL;
    }
    cJSON_Delete(b);
    if (!rc && !*type) rc = err_fail(c->eb, ERR_SC_NOT_FOUND, "Resource %s not found.", id);
    return rc;
}

err_t sc_associate_tag_option_with_resource(api_ctx_t *c)
{
    const char *res = api_in_str(c, "ResourceId"), *id = api_in_str(c, "TagOptionId");
    const char *type = NULL;
    cJSON *t = NULL;
    err_t rc = sc_get(c, SC_TAGOPTION, id, "TagOption", &t);
    if (!rc) rc = sc_tagoption_target(c, res, &type);
    if (!rc && !jx_true(t, "Active"))
        rc = err_fail(c->eb, ERR_SC_INVALID_STATE,
                      "TagOption %s is inactive and cannot be associated with a resource.", id);
    cJSON_Delete(t);
    bool have = false;
    if (!rc) rc = sc_link_exists(c, SC_LINK_TAGOPTION_RESOURCE, id, res, &have);
    if (!rc && have)
        rc = err_fail(c->eb, ERR_SC_DUPLICATE, "TagOption %s is already associated with %s.", id,
                      res);
    if (!rc) rc = sc_link_put(c, SC_LINK_TAGOPTION_RESOURCE, id, res, NULL);
    return rc;
}

err_t sc_disassociate_tag_option_from_resource(api_ctx_t *c)
{
    const char *res = api_in_str(c, "ResourceId"), *id = api_in_str(c, "TagOptionId");
    bool found = false;
    err_t rc = sc_require(c, SC_TAGOPTION, id, "TagOption");
    if (!rc) rc = sc_link_del(c, SC_LINK_TAGOPTION_RESOURCE, id, res, &found);
    if (!rc && !found)
        rc = err_fail(c->eb, ERR_SC_NOT_FOUND, "TagOption %s is not associated with resource %s.",
                      id, res);
    return rc;
}

/* ListResourcesForTagOption's ResourceType (ctx; NULL: any): a portfolio's id starts
 * "port-", a product's "prod-". */
static err_t sc_resource_type_keep(void *ctx, const cJSON *end, const res_pkey_t *k, bool *keep)
{
    (void)k;
    const char *type = ctx;
    *keep = !type || !strncmp(end->valuestring, strcmp(type, "Portfolio") ? "prod-" : "port-", 5);
    return ERR_OK;
}

/* The ResourceDetail of a portfolio or product id (NULL when it is gone). */
static err_t sc_resource_detail(api_ctx_t *c, const char *id, cJSON **out)
{
    cJSON *b = NULL;
    *out = NULL;
    bool port = !strncmp(id, "port-", 5);
    err_t rc = sc_find(c, port ? SC_PORTFOLIO : SC_PRODUCT, id, &b);
    if (rc || !b) return rc;
    cJSON *d = cJSON_CreateObject();
    const cJSON *s = port ? b : cJSON_GetObjectItemCaseSensitive(b, "ProductViewSummary");
    cJSON_AddStringToObject(d, "Id", id);
    cJSON_AddStringToObject(d, "ARN", jx_str(b, port ? "ARN" : "ProductARN"));
    const char *name = jx_str(s, port ? "DisplayName" : "Name");
    const char *desc = jx_str(s, port ? "Description" : "ShortDescription");
    if (name) cJSON_AddStringToObject(d, "Name", name);
    if (desc) cJSON_AddStringToObject(d, "Description", desc);
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(b, "CreatedTime");
    if (t) cJSON_AddItemToObject(d, "CreatedTime", cJSON_Duplicate(t, 1));
    cJSON_Delete(b);
    *out = d;
    return ERR_OK;
}

err_t sc_list_resources_for_tag_option(api_ctx_t *c)
{
    const char *id = api_in_str(c, "TagOptionId"), *type = api_in_str(c, "ResourceType");
    res_page_t p;
    err_t rc = sc_page_in(c, &p, NULL);
    if (!rc && type && strcmp(type, "Portfolio") && strcmp(type, "Product"))
        rc = err_fail(c->eb, ERR_SC_INVALID_PARAMETERS,
                      "ResourceType %s is not valid: use Portfolio or Product.", type);
    if (!rc) rc = sc_require(c, SC_TAGOPTION, id, "TagOption");
    cJSON *ids = cJSON_CreateArray();
    if (!rc)
        rc = res_links_page(c->tx, c->scope, SC_LINK_TAGOPTION_RESOURCE, true, id, &p,
                            sc_resource_type_keep, (void *)type, ids, c->eb);
    cJSON *list = cJSON_AddArrayToObject(c->out, "ResourceDetails");
    for (const cJSON *r = ids->child; !rc && r; r = r->next) {
        cJSON *d = NULL;
        rc = sc_resource_detail(c, r->valuestring, &d);
        if (d) cJSON_AddItemToArray(list, d);
    }
    cJSON_Delete(ids);
    if (!rc) res_page_out(&p, c->out, "PageToken");
    return rc;
}

err_t sc_tagoptions_of(api_ctx_t *c, const char *resource_id, bool active_only, cJSON *out)
{
    cJSON *ids = cJSON_CreateArray();
    err_t rc = sc_links(c, SC_LINK_TAGOPTION_RESOURCE, false, resource_id, ids);
    for (const cJSON *id = ids->child; !rc && id; id = id->next) {
        cJSON *t = NULL;
        rc = sc_find(c, SC_TAGOPTION, id->valuestring, &t);
        if (t && (!active_only || jx_true(t, "Active")))
            cJSON_AddItemToArray(out, t);
        else
            cJSON_Delete(t);
    }
    cJSON_Delete(ids);
    return rc;
}

err_t sc_tagoptions_drop(api_ctx_t *c, const char *resource_id)
{
    return store_exec(c->tx, c->eb, NULL,
                      "DELETE FROM links WHERE account = ? AND kind = ? AND b = ?", "sss", c->scope,
                      SC_LINK_TAGOPTION_RESOURCE, resource_id);
}

err_t sc_tagoption_summaries(api_ctx_t *c, const char *portfolio_id, const char *product_id,
                             cJSON **out)
{
    cJSON *all = cJSON_CreateArray();
    err_t rc = sc_tagoptions_of(c, product_id, true, all);
    if (!rc && portfolio_id) rc = sc_tagoptions_of(c, portfolio_id, true, all);
    *out = cJSON_CreateArray();
    for (const cJSON *t = all->child; !rc && t; t = t->next) {
        const char *key = jx_str(t, "Key"), *value = jx_str(t, "Value");
        cJSON *sum = NULL;
        for (cJSON *s = (*out)->child; s && !sum; s = s->next)
            if (!strcmp(jx_str(s, "Key"), key)) sum = s;
        if (!sum) {
            sum = cJSON_CreateObject();
            cJSON_AddStringToObject(sum, "Key", key);
            cJSON_AddArrayToObject(sum, "Values");
            cJSON_AddItemToArray(*out, sum);
        }
        cJSON *values = cJSON_GetObjectItemCaseSensitive(sum, "Values");
        bool dup = false;
        for (const cJSON *v = values->child; v && !dup; v = v->next)
            dup = !strcmp(v->valuestring, value);
        if (!dup) cJSON_AddItemToArray(values, cJSON_CreateString(value));
    }
    cJSON_Delete(all);
    return rc;
}

err_t sc_tagoption_tags(api_ctx_t *c, const char *portfolio_id, const char *product_id,
                        const cJSON *given, cJSON **tags)
{
    cJSON *sums = NULL;
    err_t rc = sc_tagoption_summaries(c, portfolio_id, product_id, &sums);
    *tags = cJSON_CreateArray();
    for (const cJSON *t = given ? given->child : NULL; t; t = t->next)
        cJSON_AddItemToArray(*tags, cJSON_Duplicate(t, 1));
    for (const cJSON *s = sums ? sums->child : NULL; !rc && s; s = s->next) {
        const char *key = jx_str(s, "Key");
        const cJSON *values = cJSON_GetObjectItemCaseSensitive(s, "Values");
        const cJSON *mine = NULL;
        for (const cJSON *t = (*tags)->child; t && !mine; t = t->next)
            if (jx_str(t, "Key") && !strcmp(jx_str(t, "Key"), key)) mine = t;
        if (!mine && cJSON_GetArraySize(values) == 1) { /* one value: applied for the user */
            cJSON *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "Key", key);
            cJSON_AddStringToObject(e, "Value", values->child->valuestring);
            cJSON_AddItemToArray(*tags, e);
            continue;
        }
        bool ok = false;
        const char *v = jx_str(mine, "Value");
        for (const cJSON *a = values->child; a && v && !ok; a = a->next)
            ok = !strcmp(a->valuestring, v);
        if (!ok) {
            char *allowed = cJSON_PrintUnformatted(values);
            rc = mine ? err_fail(c->eb, ERR_SC_INVALID_PARAMETERS,
                                 "Tag value %s of key %s is not one of the values its TagOptions "
                                 "allow: %s.",
                                 v ? v : "(none)", key, allowed)
                      : err_fail(c->eb, ERR_SC_INVALID_PARAMETERS,
                                 "Tag key %s has TagOptions with several values: choose one of "
                                 "%s in Tags.",
                                 key, allowed);
            cJSON_free(allowed);
        }
    }
    cJSON_Delete(sums);
    if (rc) {
        cJSON_Delete(*tags);
        *tags = NULL;
    }
    return rc;
}
