/* copy.c - CopyProduct and DescribeCopyProductStatus, from a product of the caller's account
 * in this region or another. A copy is made within the call (AWS
 * runs it asynchronously and reports it through DescribeCopyProductStatus; catalogd's is
 * over when the call returns, so its status is SUCCEEDED at once): a new product (or the
 * target product) gets every chosen version of the source, each under a new id with the
 * source's template, name and description. The copy's status is kept under its token. */
#include "svc/servicecatalog/sc_int.h"

#include "core/clk.h"
#include "core/jx.h"
#include "core/regions.h"

#include <stdio.h>
#include <string.h>

#define SC_MAX_PRODUCTS  350 /* products per region (admin guide, limits.md) */
#define SC_MAX_ARTIFACTS 100 /* versions per product */

/* The product id a product ARN of the caller's account names, in any region
 * (arn:aws:catalog:<region>:<account>:product/<id>), in the arena, and in scope (64 bytes)
 * the partition that region's rows are in; NULL for an ARN naming no product of the
 * caller's account in a region of the partition (another account's needs a share). */
static const char *copy_source_id(api_ctx_t *c, const char *arn, char *scope)
{
    static const char pre[] = "arn:aws:catalog:";
    if (strncmp(arn, pre, sizeof(pre) - 1)) return NULL;
    const char *region = arn + sizeof(pre) - 1, *colon = strchr(region, ':');
    if (!colon || !regions_find((span_t){region, (size_t)(colon - region)})) return NULL;
    const char *mine = arena_printf(c->arena, "%s:product/", c->account);
    size_t n = strlen(mine);
    if (strncmp(colon + 1, mine, n) || !colon[1 + n] || strchr(colon + 1 + n, '/')) return NULL;
    app_scope(c->app, c->account, arena_strndup(c->arena, region, (size_t)(colon - region)), scope,
              64);
    return colon + 1 + n;
}

/* The source's versions to copy: those SourceProvisioningArtifactIdentifiers names
 * ([{"Id": ...}]), or all of them. ResourceNotFoundException for an id not the source's.
 * Bodies appended to out. */
static err_t copy_versions(api_ctx_t *c, const char *scope, const char *source, cJSON *out)
{
    cJSON *all = jx_own(c->arena, cJSON_CreateArray());
    bool more;
    res_query_t q = {scope, SC_ARTIFACT, source, 0, 0};
    err_t rc = res_list(c->tx, &q, all, &more, c->eb);
    const cJSON *want =
        cJSON_GetObjectItemCaseSensitive(c->in, "SourceProvisioningArtifactIdentifiers");
    if (rc || !cJSON_GetArraySize(want)) {
        for (const cJSON *a = all->child; !rc && a; a = a->next)
            cJSON_AddItemToArray(out, cJSON_Duplicate(a, 1));
        return rc;
    }
    for (const cJSON *w = want->child; w; w = w->next) {
        const char *id = jx_str(w, "Id");
        const cJSON *hit = NULL;
        for (const cJSON *a = all->child; id && a && !hit; a = a->next)
            if (!strcmp(jx_str(a, "Id"), id)) hit = a;
        if (!hit)
            return err_fail(c->eb, ERR_SC_NOT_FOUND,
                            "Provisioning artifact %s not found for product %s.",
                            id ? id : "(none)", source);
        cJSON_AddItemToArray(out, cJSON_Duplicate(hit, 1));
    }
    return ERR_OK;
}

/* A new product copied from src (its summary, and its tags with CopyTags), named name. */
static err_t copy_new_product(api_ctx_t *c, const cJSON *src, const char *name, const char **id)
{
    int64_t n = 0;
    res_query_t q = {c->scope, SC_PRODUCT, NULL, 0, 0};
    err_t rc = res_count(c->tx, &q, &n, c->eb);
    if (!rc && n >= SC_MAX_PRODUCTS)
        rc = err_fail(c->eb, ERR_SC_INVALID_PARAMETERS,
                      "The maximum number of products (%d) has been reached.", SC_MAX_PRODUCTS);
    if (rc) return rc;
    *id = sc_new_id(c, "prod-");
    cJSON *p = cJSON_CreateObject();
    cJSON *s = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(src, "ProductViewSummary"), 1);
    cJSON_AddItemToObject(p, "ProductViewSummary", s);
    jx_set_str(s, "Id", sc_new_id(c, "prodview-"));
    jx_set_str(s, "ProductId", *id);
    jx_set_str(s, "Name", name);
    jx_set(s, "HasDefaultPath", cJSON_CreateFalse());
    cJSON_AddStringToObject(p, "Status", "AVAILABLE");
    cJSON_AddStringToObject(
        p, "ProductARN",
        arena_printf(c->arena, "arn:aws:catalog:%s:%s:product/%s", c->region, c->account, *id));
    cJSON_AddNumberToObject(p, "CreatedTime", sc_now(c));
    bool tags = false;
    const cJSON *opts = cJSON_GetObjectItemCaseSensitive(c->in, "CopyOptions");
    for (const cJSON *o = opts ? opts->child : NULL; o; o = o->next)
        tags |= cJSON_IsString(o) && !strcmp(o->valuestring, "CopyTags");
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(src, "_Tags");
    cJSON_AddItemToObject(p, "_Tags", tags && st ? cJSON_Duplicate(st, 1) : cJSON_CreateArray());
    int64_t now = clk_now_ms(&c->app->clock);
    res_row_t row = {.created_ms = now, .updated_ms = now};
    rc = res_insert(c->tx, &(res_key_t){c->scope, SC_PRODUCT, *id}, &row, p, c->eb);
    cJSON_Delete(p);
    return rc;
}

/* Copies the versions (bodies) into product target: new ids, the same templates. */
static err_t copy_into(api_ctx_t *c, const char *target, const cJSON *versions)
{
    cJSON *have = jx_own(c->arena, cJSON_CreateArray());
    err_t rc = sc_artifacts_of(c, target, have);
    if (!rc && cJSON_GetArraySize(have) + cJSON_GetArraySize(versions) > SC_MAX_ARTIFACTS)
        rc = err_fail(c->eb, ERR_SC_INVALID_PARAMETERS,
                      "Product %s would pass the maximum of %d provisioning artifacts.", target,
                      SC_MAX_ARTIFACTS);
    for (const cJSON *v = versions->child; !rc && v; v = v->next) {
        const char *id = sc_new_id(c, "pa-");
        cJSON *a = cJSON_Duplicate(v, 1);
        jx_set_str(a, "Id", id);
        jx_set_num(a, "CreatedTime", sc_now(c));
        jx_set_str(a, "_ProductId", target);
        cJSON_DeleteItemFromObjectCaseSensitive(a, "_IdempotencyToken");
        int64_t now = clk_now_ms(&c->app->clock);
        res_row_t row = {.parent = target, .created_ms = now, .updated_ms = now};
        rc = res_insert(c->tx, &(res_key_t){c->scope, SC_ARTIFACT, id}, &row, a, c->eb);
        cJSON_Delete(a);
    }
    return rc;
}

err_t sc_copy_product(api_ctx_t *c)
{
    const char *token = api_in_str(c, "IdempotencyToken");
    const char *arn = api_in_str(c, "SourceProductArn");
    const char *target = api_in_str(c, "TargetProductId");
    cJSON *prior = NULL, *src = NULL, *dst = NULL;
    err_t rc = sc_token_get(c, "CopyProduct", token, &prior);
    if (!rc && prior) { /* a retry: the copy it made */
        cJSON_AddStringToObject(c->out, "CopyProductToken", jx_str(prior, "CopyProductToken"));
        cJSON_Delete(prior);
        return ERR_OK;
    }
    char scope[64]; /* the source's region's partition (a copy may cross regions) */
    const char *source = copy_source_id(c, arn, scope);
    if (!rc && source) rc = res_get(c->tx, &(res_key_t){scope, SC_PRODUCT, source}, &src, c->eb);
    if (!rc && !src) rc = err_fail(c->eb, ERR_SC_NOT_FOUND, "Product %s not found.", arn);
    if (!rc && target) rc = sc_get(c, SC_PRODUCT, target, "Product", &dst);
    cJSON *versions = jx_own(c->arena, cJSON_CreateArray());
    if (!rc) rc = copy_versions(c, scope, source, versions);
    if (!rc && !target) {
        const char *name = api_in_str(c, "TargetProductName");
        if (!name)
            name = jx_str(cJSON_GetObjectItemCaseSensitive(src, "ProductViewSummary"), "Name");
        rc = copy_new_product(c, src, name, &target);
    }
    if (!rc) rc = copy_into(c, target, versions);
    const char *id = sc_new_id(c, "copyproduct-");
    cJSON *st = jx_own(c->arena, cJSON_CreateObject());
    cJSON_AddStringToObject(st, "CopyProductStatus", "SUCCEEDED");
    cJSON_AddStringToObject(st, "TargetProductId", target ? target : "");
    cJSON_AddStringToObject(st, "_UserArn", c->caller->arn);
    res_row_t row = {.state = "SUCCEEDED", .created_ms = clk_now_ms(&c->app->clock)};
    if (!rc) rc = res_insert(c->tx, &(res_key_t){c->scope, SC_COPY, id}, &row, st, c->eb);
    if (!rc) cJSON_AddStringToObject(c->out, "CopyProductToken", id);
    if (!rc) rc = sc_token_put(c, "CopyProduct", token, c->out);
    cJSON_Delete(src);
    cJSON_Delete(dst);
    return rc;
}

err_t sc_describe_copy_product_status(api_ctx_t *c)
{
    const char *id = api_in_str(c, "CopyProductToken");
    cJSON *st = NULL;
    err_t rc = res_get(c->tx, &(res_key_t){c->scope, SC_COPY, id}, &st, c->eb);
    if (!rc && !st) rc = err_fail(c->eb, ERR_SC_NOT_FOUND, "Copy product token %s not found.", id);
    if (!rc) {
        jx_drop_internal(st);
        for (cJSON *m = st->child; m; m = m->next)
            cJSON_AddItemToObject(c->out, m->string, cJSON_Duplicate(m, 1));
    }
    cJSON_Delete(st);
    return rc;
}
