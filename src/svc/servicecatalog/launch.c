/* launch.c - what an end user sees before launching: ListLaunchPaths (the caller's
 * portfolios holding a product; a path's id is the portfolio id) and
 * DescribeProvisioningParameters (a version's template parameters and outputs, the
 * path's constraints and the usage instructions AWS derives from them). */
#include "svc/servicecatalog/sc_int.h"

#include "tpl/tpl.h"

#include <stdio.h>
#include <string.h>

/* The caller's portfolios that hold product_id: a new array of ids. */
static err_t sc_paths_of(api_ctx_t *c, const char *product_id, cJSON **out)
{
    cJSON *ports = NULL;
    *out = cJSON_CreateArray();
    err_t rc = sc_caller_portfolios(c, &ports);
    for (const cJSON *p = ports ? ports->child : NULL; !rc && p; p = p->next) {
        bool in = false;
        rc = sc_link_exists(c, SC_LINK_PORTFOLIO_PRODUCT, p->valuestring, product_id, &in);
        if (!rc && in) cJSON_AddItemToArray(*out, cJSON_CreateString(p->valuestring));
    }
    cJSON_Delete(ports);
    if (!rc && !cJSON_GetArraySize(*out))
        rc =
            err_fail(c->eb, ERR_SC_NOT_FOUND, "No launch paths found for resource: %s", product_id);
    return rc;
}

/* Is portfolio port one of the paths (ctx: an array of ids)? */
static err_t sc_path_keep(void *ctx, const cJSON *port, const res_pkey_t *k, bool *keep)
{
    (void)k;
    *keep = false;
    for (const cJSON *id = ((const cJSON *)ctx)->child; id && !*keep; id = id->next)
        *keep = !strcmp(id->valuestring, jx_str(port, "Id"));
    return ERR_OK;
}

err_t sc_list_launch_paths(api_ctx_t *c)
{
    const char *prod = api_in_str(c, "ProductId");
    res_page_t p;
    cJSON *paths = NULL, *page = cJSON_CreateArray();
    err_t rc = sc_page_in(c, &p, NULL);
    if (!rc) rc = sc_require(c, SC_PRODUCT, prod, "Product");
    if (!rc) rc = sc_paths_of(c, prod, &paths);
    /* keyed as the portfolios are: their creation order */
    res_query_t q = {c->scope, SC_PORTFOLIO, NULL, 0, 0};
    if (!rc) rc = res_list_page(c->tx, &q, &p, sc_path_keep, paths, page, c->eb);
    cJSON *list = cJSON_AddArrayToObject(c->out, "LaunchPathSummaries");
    for (const cJSON *port = page->child; !rc && port; port = port->next) {
        const char *id = jx_str(port, "Id");
        cJSON *cons = NULL;
        rc = sc_constraint_summaries(c, id, prod, &cons);
        if (!rc) {
            cJSON *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "Id", id);
            cJSON_AddItemToObject(e, "ConstraintSummaries", cons);
            cons = NULL;
            const cJSON *tags = cJSON_GetObjectItemCaseSensitive(port, "_Tags");
            cJSON_AddItemToObject(e, "Tags", tags ? cJSON_Duplicate(tags, 1) : cJSON_CreateArray());
            cJSON_AddStringToObject(e, "Name", jx_str(port, "DisplayName"));
            cJSON_AddItemToArray(list, e);
        }
        cJSON_Delete(cons);
    }
    if (!rc) sc_page_out(c, &p);
    cJSON_Delete(paths);
    cJSON_Delete(page);
    return rc;
}

/* The launch path a request names by PathId or PathName among paths, or the only one.
 * *path in the arena. */
static err_t sc_pick_path(api_ctx_t *c, const cJSON *paths, const char **path)
{
    const char *id = api_in_str(c, "PathId"), *name = api_in_str(c, "PathName");
    *path = NULL;
    if (id && name)
        return err_fail(c->eb, ERR_SC_INVALID_PARAMETERS,
                        "Specify either PathId or PathName, not both.");
    if (!id && !name) {
        if (cJSON_GetArraySize(paths) > 1)
            return err_fail(
                c->eb, ERR_SC_INVALID_PARAMETERS,
                "More than one launch path ids exist. Please specify the launch path id");
        *path = arena_strdup(c->arena, paths->child->valuestring);
        return ERR_OK;
    }
    err_t rc = ERR_OK;
    for (const cJSON *p = paths->child; !rc && p && !*path; p = p->next) {
        if (id) {
            if (!strcmp(p->valuestring, id)) *path = arena_strdup(c->arena, id);
            continue;
        }
        cJSON *port = NULL;
        rc = sc_get(c, SC_PORTFOLIO, p->valuestring, "Portfolio", &port);
        const char *dn = jx_str(port, "DisplayName");
        if (!rc && dn && !strcmp(dn, name)) *path = arena_strdup(c->arena, p->valuestring);
        cJSON_Delete(port);
    }
    if (!rc && !*path)
        rc = err_fail(c->eb, ERR_SC_NOT_FOUND, "Launch path %s not found.", id ? id : name);
    return rc;
}

static void sc_add_num(cJSON *o, const char *name, double v)
{
    char b[64];
    snprintf(b, sizeof(b), "%.15g", v);
    cJSON_AddStringToObject(o, name, b);
}

/* ProvisioningArtifactParameters from the template's Parameters. */
static cJSON *sc_template_params(const tpl_t *t)
{
    cJSON *list = cJSON_CreateArray();
    for (size_t i = 0; i < tpl_param_count(t); i++) {
        const tpl_param_t *p = tpl_param(t, i);
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "ParameterKey", p->name);
        if (p->default_value) cJSON_AddStringToObject(e, "DefaultValue", p->default_value);
        cJSON_AddStringToObject(e, "ParameterType", p->type ? p->type : "String");
        cJSON_AddBoolToObject(e, "IsNoEcho", p->no_echo);
        if (p->description) cJSON_AddStringToObject(e, "Description", p->description);
        cJSON *pc = cJSON_AddObjectToObject(e, "ParameterConstraints");
        cJSON_AddItemToObject(pc, "AllowedValues",
                              p->allowed_values ? cJSON_Duplicate(p->allowed_values, 1)
                                                : cJSON_CreateArray());
        if (p->allowed_pattern) cJSON_AddStringToObject(pc, "AllowedPattern", p->allowed_pattern);
        if (p->constraint_description)
            cJSON_AddStringToObject(pc, "ConstraintDescription", p->constraint_description);
        if (p->has_max_length) sc_add_num(pc, "MaxLength", (double)p->max_length);
        if (p->has_min_length) sc_add_num(pc, "MinLength", (double)p->min_length);
        if (p->has_max_value) sc_add_num(pc, "MaxValue", p->max_value);
        if (p->has_min_value) sc_add_num(pc, "MinValue", p->min_value);
        cJSON_AddItemToArray(list, e);
    }
    return list;
}

static void sc_instruction(cJSON *list, const char *type, const char *value)
{
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "Type", type);
    cJSON_AddStringToObject(e, "Value", value);
    cJSON_AddItemToArray(list, e);
}

/* The IAM capability a template needs (NULL: none) and AWS's reason sentence. */
static const char *sc_capability(api_ctx_t *c, const cJSON *tj, const char **reason)
{
    static const char *const named[] = {"RoleName", "UserName", "GroupName", "ManagedPolicyName",
                                        "InstanceProfileName"};
    const cJSON *res = cJSON_GetObjectItemCaseSensitive(tj, "Resources");
    const char *types = NULL;
    bool any = false, with_names = false;
    for (const cJSON *r = res ? res->child : NULL; r; r = r->next) {
        const char *type = jx_str(r, "Type");
        if (!type || strncmp(type, "AWS::IAM::", 10)) continue;
        any = true;
        const cJSON *props = cJSON_GetObjectItemCaseSensitive(r, "Properties");
        for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++)
            if (cJSON_GetObjectItemCaseSensitive(props, named[i])) with_names = true;
        if (!types)
            types = type;
        else if (!strstr(types, type))
            types = arena_printf(c->arena, "%s, %s", types, type);
    }
    if (!any) return NULL;
    *reason = arena_printf(c->arena, "The following resource(s) require capabilities: [%s]", types);
    return with_names ? "CAPABILITY_NAMED_IAM" : "CAPABILITY_IAM";
}

/* UsageInstructions in the order AWS lists them. */
static err_t sc_usage(api_ctx_t *c, const tpl_t *t, const char *path, const char *product_id,
                      cJSON *list)
{
    const cJSON *tj = tpl_json(t);
    sc_instruction(list, "rules", "{}");
    const char *version = jx_str(tj, "AWSTemplateFormatVersion");
    sc_instruction(list, "version", version ? version : "2010-09-09");
    const char *reason = NULL, *cap = sc_capability(c, tj, &reason);
    if (cap) sc_instruction(list, "capabilitiesReason", reason);
    if (tpl_description(t)) sc_instruction(list, "description", tpl_description(t));
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(tj, "Metadata");
    if (meta) {
        char *m = cJSON_PrintUnformatted(meta);
        sc_instruction(list, "metadata", m);
        cJSON_free(m);
    }
    const char *role = NULL;
    err_t rc = sc_launch_role(c, path, product_id, &role);
    if (!rc && role) sc_instruction(list, "launchAsRole", role);
    cJSON *cons = cJSON_CreateArray();
    if (!rc) rc = sc_constraints_of(c, path, product_id, cons);
    const char *tags = "NOT_ALLOWED";
    for (const cJSON *k = cons->child; !rc && k; k = k->next) {
        if (strcmp(jx_str(k, "Type"), "RESOURCE_UPDATE")) continue;
        cJSON *p = cJSON_Parse(jx_str(k, "_Parameters") ? jx_str(k, "_Parameters") : "{}");
        const char *v = jx_str(cJSON_GetObjectItemCaseSensitive(p, "Properties"),
                               "TagUpdateOnProvisionedProduct");
        if (v && !strcmp(v, "ALLOWED")) tags = "ALLOWED";
        cJSON_Delete(p);
    }
    cJSON_Delete(cons);
    sc_instruction(list, "tagUpdateOnProvisionedProduct", tags);
    if (cap) sc_instruction(list, "capability", cap);
    return rc;
}

/* ProvisioningArtifactOutputKeys: the template's Outputs as {Key, Description}. */
static cJSON *sc_output_keys(const tpl_t *t)
{
    cJSON *list = cJSON_CreateArray();
    const cJSON *outs = cJSON_GetObjectItemCaseSensitive(tpl_json(t), "Outputs");
    for (const cJSON *o = outs ? outs->child : NULL; o; o = o->next) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "Key", o->string);
        if (jx_str(o, "Description"))
            cJSON_AddStringToObject(e, "Description", jx_str(o, "Description"));
        cJSON_AddItemToArray(list, e);
    }
    return list;
}

err_t sc_describe_provisioning_parameters(api_ctx_t *c)
{
    cJSON *p = NULL, *paths = NULL, *a = NULL, *cons = NULL;
    const char *path = NULL, *prod = NULL;
    err_t rc =
        sc_product_find(c, api_in_str(c, "ProductId"), api_in_str(c, "ProductName"), false, &p);
    if (!rc) prod = jx_str(cJSON_GetObjectItemCaseSensitive(p, "ProductViewSummary"), "ProductId");
    if (!rc) rc = sc_paths_of(c, prod, &paths);
    if (!rc) rc = sc_pick_path(c, paths, &path);
    if (!rc)
        rc = sc_artifact_find(c, prod, api_in_str(c, "ProvisioningArtifactId"),
                              api_in_str(c, "ProvisioningArtifactName"), &a);
    if (!rc && cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(a, "Active")))
        rc = err_fail(c->eb, ERR_SC_INVALID_PARAMETERS, "ProvisioningArtifact %s is not active.",
                      jx_str(a, "Id"));
    tpl_t *t = NULL;
    if (!rc) {
        const char *text = jx_str(a, "_Template");
        rc = tpl_parse(span_of(text ? text : ""), &t, c->eb);
        if (rc)
            rc = err_fail(c->eb, ERR_SC_INVALID_PARAMETERS, "The template of %s is not valid: %s",
                          jx_str(a, "Id"), arena_strdup(c->arena, c->eb->msg));
    }
    if (!rc) rc = sc_constraint_summaries(c, path, prod, &cons);
    if (!rc) {
        cJSON_AddItemToObject(c->out, "ProvisioningArtifactParameters", sc_template_params(t));
        cJSON_AddItemToObject(c->out, "ConstraintSummaries", cons);
        cons = NULL;
        rc = sc_usage(c, t, path, prod, cJSON_AddArrayToObject(c->out, "UsageInstructions"));
    }
    if (!rc) {
        cJSON_AddArrayToObject(c->out, "TagOptions");
        cJSON_AddObjectToObject(c->out, "ProvisioningArtifactPreferences");
        /* the deprecated member holds the version's id and description (model documentation) */
        cJSON *outs = cJSON_AddArrayToObject(c->out, "ProvisioningArtifactOutputs");
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "Key", jx_str(a, "Id"));
        cJSON_AddStringToObject(e, "Description",
                                jx_str(a, "Description") ? jx_str(a, "Description") : "");
        cJSON_AddItemToArray(outs, e);
        cJSON_AddItemToObject(c->out, "ProvisioningArtifactOutputKeys", sc_output_keys(t));
    }
    tpl_free(t);
    cJSON_Delete(cons);
    cJSON_Delete(a);
    cJSON_Delete(paths);
    cJSON_Delete(p);
    return rc;
}
