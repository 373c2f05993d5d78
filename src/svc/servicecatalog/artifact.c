/* artifact.c - provisioning artifacts (product versions): CreateProvisioningArtifact,
 * DescribeProvisioningArtifact, UpdateProvisioningArtifact, DeleteProvisioningArtifact,
 * ListProvisioningArtifacts. An artifact body is a ProvisioningArtifactDetail plus its
 * template text (_Template), the Info it came from (_Info) and _ProductId. */
#include "svc/servicecatalog/sc_int.h"

#include "core/clk.h"
#include "core/jx.h"

#include <string.h>

#define SC_MAX_ARTIFACTS 100 /* product versions per product (admin guide, limits.md) */

err_t sc_artifacts_of(api_ctx_t *c, const char *product_id, cJSON *out)
{
    bool more;
    res_query_t q = {c->scope, SC_ARTIFACT, product_id, 0, 0};
    return res_list(c->tx, &q, out, &more, c->eb);
}

cJSON *sc_artifact_info(const cJSON *artifact)
{
    const cJSON *in = cJSON_GetObjectItemCaseSensitive(artifact, "_Info");
    cJSON *info = cJSON_CreateObject();
    if (jx_str(in, "LoadTemplateFromURL"))
        cJSON_AddStringToObject(info, "TemplateUrl", jx_str(in, "LoadTemplateFromURL"));
    if (jx_str(in, "ImportFromPhysicalId"))
        cJSON_AddStringToObject(info, "PhysicalId", jx_str(in, "ImportFromPhysicalId"));
    return info;
}

err_t sc_artifact_create(api_ctx_t *c, const char *product_id, const cJSON *props,
                         const char *token, cJSON **out)
{
    *out = NULL;
    const cJSON *info = cJSON_GetObjectItemCaseSensitive(props, "Info");
    if (!cJSON_IsObject(info))
        return err_fail(
            c->eb, ERR_SC_INVALID_PARAMETERS,
            "Info must contain exactly one of LoadTemplateFromURL or ImportFromPhysicalId.");
    for (const cJSON *k = info->child; k; k = k->next)
        if (strcmp(k->string, "LoadTemplateFromURL") && strcmp(k->string, "ImportFromPhysicalId"))
            return err_fail(
                c->eb, ERR_SC_INVALID_PARAMETERS,
                "Info key %s is not supported: use LoadTemplateFromURL or ImportFromPhysicalId.",
                k->string);
    cJSON *existing = cJSON_CreateArray();
    err_t rc = sc_artifacts_of(c, product_id, existing);
    int n = cJSON_GetArraySize(existing);
    cJSON_Delete(existing);
    if (!rc && n >= SC_MAX_ARTIFACTS)
        rc = err_fail(c->eb, ERR_SC_LIMIT,
                      "Product %s already has the maximum of %d provisioning artifacts.",
                      product_id, SC_MAX_ARTIFACTS);
    const char *text = NULL;
    bool no_check =
        cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(props, "DisableTemplateValidation"));
    if (!rc) rc = sc_artifact_template(c, info, no_check, &text);
    if (rc) return rc;
    const char *id = sc_new_id(c, "pa-");
    cJSON *a = cJSON_CreateObject();
    cJSON_AddStringToObject(a, "Id", id);
    if (jx_str(props, "Name")) cJSON_AddStringToObject(a, "Name", jx_str(props, "Name"));
    if (jx_str(props, "Description"))
        cJSON_AddStringToObject(a, "Description", jx_str(props, "Description"));
    cJSON_AddStringToObject(
        a, "Type", jx_str(props, "Type") ? jx_str(props, "Type") : "CLOUD_FORMATION_TEMPLATE");
    cJSON_AddNumberToObject(a, "CreatedTime", sc_now(c));
    cJSON_AddBoolToObject(a, "Active", true);
    cJSON_AddStringToObject(a, "Guidance", "DEFAULT");
    cJSON_AddStringToObject(a, "_Template", text);
    cJSON_AddItemToObject(a, "_Info", cJSON_Duplicate(info, 1));
    cJSON_AddStringToObject(a, "_ProductId", product_id);
    if (token) cJSON_AddStringToObject(a, "_IdempotencyToken", token);
    int64_t now = clk_now_ms(&c->app->clock);
    res_row_t row = {.parent = product_id, .created_ms = now, .updated_ms = now};
    rc = res_insert(c->tx, &(res_key_t){c->scope, SC_ARTIFACT, id}, &row, a, c->eb);
    if (rc) {
        cJSON_Delete(a);
        return rc;
    }
    *out = a;
    return ERR_OK;
}

err_t sc_artifact_find(api_ctx_t *c, const char *product_id, const char *id, const char *name,
                       cJSON **out)
{
    *out = NULL;
    if (!id && !name)
        return err_fail(
            c->eb, ERR_SC_INVALID_PARAMETERS,
            "Either ProvisioningArtifactId or ProvisioningArtifactName must be specified.");
    cJSON *all = cJSON_CreateArray();
    err_t rc = sc_artifacts_of(c, product_id, all);
    int matches = 0;
    for (cJSON *a = all->child; !rc && a; a = a->next) {
        const char *v = jx_str(a, id ? "Id" : "Name");
        if (!v || strcmp(v, id ? id : name)) continue;
        if (!matches++) *out = cJSON_Duplicate(a, 1);
    }
    cJSON_Delete(all);
    if (!rc && !matches)
        rc = id ? err_fail(c->eb, ERR_SC_NOT_FOUND,
                           "ProvisioningArtifact %s not found for product %s.", id, product_id)
                : err_fail(c->eb, ERR_SC_NOT_FOUND,
                           "ProvisioningArtifact with name %s not found for product %s.", name,
                           product_id);
    if (!rc && matches > 1)
        rc = err_fail(c->eb, ERR_SC_INVALID_PARAMETERS,
                      "Multiple Provisioning Artifact with name %s found.", name);
    if (rc) {
        cJSON_Delete(*out);
        *out = NULL;
    }
    return rc;
}

/* Adds ProvisioningArtifactDetail (a copy of a), Info and Status to the output. */
static void sc_artifact_out(api_ctx_t *c, const cJSON *a)
{
    cJSON_AddItemToObject(c->out, "ProvisioningArtifactDetail", cJSON_Duplicate(a, 1));
    cJSON_AddItemToObject(c->out, "Info", sc_artifact_info(a));
    cJSON_AddStringToObject(c->out, "Status", "AVAILABLE");
}

err_t sc_create_provisioning_artifact(api_ctx_t *c)
{
    const char *prod = api_in_str(c, "ProductId"), *token = api_in_str(c, "IdempotencyToken");
    cJSON *a = NULL;
    err_t rc = sc_require(c, SC_PRODUCT, prod, "Product");
    if (rc) return rc;
    if (token) { /* the same token: the same version */
        cJSON *all = cJSON_CreateArray();
        rc = sc_artifacts_of(c, prod, all);
        for (const cJSON *x = all->child; !rc && x && !a; x = x->next) {
            const char *t = jx_str(x, "_IdempotencyToken");
            if (t && !strcmp(t, token)) a = cJSON_Duplicate(x, 1);
        }
        cJSON_Delete(all);
    }
    if (!rc && !a)
        rc = sc_artifact_create(c, prod, cJSON_GetObjectItemCaseSensitive(c->in, "Parameters"),
                                token, &a);
    if (!rc) sc_artifact_out(c, a);
    cJSON_Delete(a);
    return rc;
}

/* The product a version request names by ProductId or ProductName (administrators see
 * every product). With only an artifact id, its own product. *product_id in the arena. */
static err_t sc_artifact_product(api_ctx_t *c, const char **product_id)
{
    const char *prod = api_in_str(c, "ProductId"), *pname = api_in_str(c, "ProductName");
    const char *pa = api_in_str(c, "ProvisioningArtifactId");
    cJSON *p = NULL;
    err_t rc;
    if (!prod && !pname && pa) {
        rc = sc_get(c, SC_ARTIFACT, pa, "ProvisioningArtifact", &p);
        if (!rc) *product_id = arena_strdup(c->arena, jx_str(p, "_ProductId"));
    } else if (!prod && !pname) {
        rc = err_fail(c->eb, ERR_SC_INVALID_PARAMETERS,
                      "Either ProductId or ProductName must be specified.");
    } else {
        rc = sc_product_find(c, prod, prod ? NULL : pname, false, &p);
        if (!rc)
            *product_id = arena_strdup(
                c->arena,
                jx_str(cJSON_GetObjectItemCaseSensitive(p, "ProductViewSummary"), "ProductId"));
    }
    cJSON_Delete(p);
    return rc;
}

err_t sc_describe_provisioning_artifact(api_ctx_t *c)
{
    const char *prod = NULL;
    cJSON *a = NULL;
    err_t rc = sc_artifact_product(c, &prod);
    if (!rc)
        rc = sc_artifact_find(c, prod, api_in_str(c, "ProvisioningArtifactId"),
                              api_in_str(c, "ProvisioningArtifactName"), &a);
    if (rc) return rc;
    /* Info is returned with or without Verbose: AWS's own CLI example and the clients
     * reading Info["TemplateUrl"] never ask for Verbose. */
    sc_artifact_out(c, a);
    cJSON_Delete(a);
    return ERR_OK;
}

/* The artifact id of product prod a request names (ResourceNotFoundException for either);
 * *out owned by the caller. */
static err_t sc_artifact_of(api_ctx_t *c, const char *prod, const char *id, cJSON **out)
{
    *out = NULL;
    err_t rc = sc_require(c, SC_PRODUCT, prod, "Product");
    if (!rc) rc = sc_artifact_find(c, prod, id, NULL, out);
    return rc;
}

err_t sc_update_provisioning_artifact(api_ctx_t *c)
{
    const char *prod = api_in_str(c, "ProductId"), *id = api_in_str(c, "ProvisioningArtifactId");
    cJSON *a = NULL;
    err_t rc = sc_artifact_of(c, prod, id, &a);
    if (rc) return rc;
    if (api_in_str(c, "Name")) jx_set_str(a, "Name", api_in_str(c, "Name"));
    if (api_in_str(c, "Description")) jx_set_str(a, "Description", api_in_str(c, "Description"));
    if (api_in_str(c, "Guidance")) jx_set_str(a, "Guidance", api_in_str(c, "Guidance"));
    const cJSON *active = cJSON_GetObjectItemCaseSensitive(c->in, "Active");
    if (cJSON_IsBool(active)) jx_set(a, "Active", cJSON_CreateBool(cJSON_IsTrue(active)));
    rc = sc_put(c, SC_ARTIFACT, id, a);
    if (!rc) sc_artifact_out(c, a);
    cJSON_Delete(a);
    return rc;
}

err_t sc_delete_provisioning_artifact(api_ctx_t *c)
{
    const char *prod = api_in_str(c, "ProductId"), *id = api_in_str(c, "ProvisioningArtifactId");
    cJSON *a = NULL;
    err_t rc = sc_artifact_of(c, prod, id, &a);
    cJSON_Delete(a);
    cJSON *all = cJSON_CreateArray();
    if (!rc) rc = sc_artifacts_of(c, prod, all);
    int n = cJSON_GetArraySize(all);
    cJSON_Delete(all);
    /* a product always keeps one version (DeleteProvisioningArtifact documentation) */
    if (!rc && n <= 1)
        rc = err_fail(
            c->eb, ERR_SC_INVALID_PARAMETERS,
            "Cannot delete the last provisioning artifact %s of product %s: a product must have "
            "at least one provisioning artifact.",
            id, prod);
    if (!rc) rc = sc_product_in_use(c, prod, id);
    if (!rc) rc = sc_del(c, SC_ARTIFACT, id);
    return rc;
}

err_t sc_list_provisioning_artifacts(api_ctx_t *c)
{
    const char *prod = api_in_str(c, "ProductId");
    err_t rc = sc_require(c, SC_PRODUCT, prod, "Product");
    if (!rc)
        rc =
            sc_artifacts_of(c, prod, cJSON_AddArrayToObject(c->out, "ProvisioningArtifactDetails"));
    return rc;
}
