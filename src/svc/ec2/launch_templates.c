/* launch_templates.c - EC2 launch templates: CreateLaunchTemplate,
 * CreateLaunchTemplateVersion, DescribeLaunchTemplates, DescribeLaunchTemplateVersions,
 * ModifyLaunchTemplate, DeleteLaunchTemplate, and the version RunInstances launches from.
 * A template is a resource of kind "ec2.lt" (row name = LaunchTemplateName, body the
 * model's LaunchTemplate) whose versions (LaunchTemplateVersion objects, numbered from 1)
 * live in its body as "_Versions". */
#include "svc/ec2/ec2_int.h"
#include "core/jx.h"

#include "auth/principal.h"
#include "core/clk.h"
#include "core/ids.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 3 to 128 of letters, digits and ( ) . - / _ (EC2's rule). */
static bool lt_name_ok(const char *n)
{
    size_t len = strlen(n);
    if (len < 3 || len > 128) return false;
    for (const char *p = n; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              strchr("().-/_", *p)))
            return false;
    return true;
}

static err_t lt_by_id(api_ctx_t *c, const char *id, cJSON **out)
{
    size_t n = strlen(id);
    *out = NULL;
    if (strncmp(id, "lt-", 3) || n != 20 || strspn(id + 3, "0123456789abcdef") != 17)
        return err_fail(c->eb, ERR_EC2_LT_ID_MALFORMED,
                        "The specified ID for the launch template (%s) is not valid. Launch "
                        "template IDs must use the format lt-xxxxxxxxxxxxxxxxx.",
                        id);
    err_t rc = res_get(c->tx, &(res_key_t){c->scope, EC2_LT, id}, out, c->eb);
    if (!rc && !*out)
        rc = err_fail(c->eb, ERR_EC2_LT_ID_NOT_FOUND,
                      "The specified launch template, with template ID %s, does not exist.", id);
    return rc;
}

static err_t lt_by_name(api_ctx_t *c, const char *name, cJSON **out)
{
    err_t rc = res_get_by_name(c->tx, c->scope, EC2_LT, name, out, c->eb);
    if (!rc && !*out)
        rc = err_fail(c->eb, ERR_EC2_LT_NAME_NOT_FOUND,
                      "At least one of the launch templates specified in the request does not "
                      "exist.");
    return rc;
}

/* The template spec names by LaunchTemplateId or LaunchTemplateName (one of them). */
static err_t lt_find(api_ctx_t *c, const cJSON *spec, cJSON **out)
{
    const char *id = jx_str(spec, "LaunchTemplateId"), *name = jx_str(spec, "LaunchTemplateName");
    *out = NULL;
    if (id && name)
        return err_fail(c->eb, ERR_EC2_INVALID_COMBINATION,
                        "Both a launch template ID and a launch template name were specified. "
                        "Specify only one.");
    if (id) return lt_by_id(c, id, out);
    if (name) return lt_by_name(c, name, out);
    return err_fail(c->eb, ERR_MISSING_PARAMETER,
                    "The request must contain the parameter LaunchTemplateName or "
                    "LaunchTemplateId");
}

/* Version v of lt ("$Latest", "$Default" or a number; NULL: $Default), borrowed. */
static err_t lt_version(api_ctx_t *c, const cJSON *lt, const char *v, const cJSON **out)
{
    int64_t n = !v || !strcmp(v, "$Default") ? jx_int(lt, "DefaultVersionNumber", 1)
                : !strcmp(v, "$Latest")      ? jx_int(lt, "LatestVersionNumber", 1)
                                             : -1;
    if (n < 0) {
        char *end = NULL;
        long long x = strtoll(v, &end, 10);
        n = *v && !*end && x > 0 ? x : 0;
    }
    const cJSON *vs = cJSON_GetObjectItemCaseSensitive(lt, "_Versions");
    for (const cJSON *e = vs ? vs->child : NULL; e; e = e->next)
        if (jx_int(e, "VersionNumber", 0) == n) return *out = e, ERR_OK;
    *out = NULL;
    return err_fail(c->eb, ERR_EC2_LT_VERSION_NOT_FOUND,
                    "Could not find launch template version %s for launch template ID %s",
                    v ? v : "$Default", jx_str(lt, "LaunchTemplateId"));
}

static err_t lt_save(api_ctx_t *c, const cJSON *lt)
{
    return res_update(c->tx, &(res_key_t){c->scope, EC2_LT, jx_str(lt, "LaunchTemplateId")}, NULL,
                      clk_now_ms(&c->app->clock), lt, NULL, c->eb);
}

/* The LaunchTemplate shape of lt (new object, without _Versions). */
static cJSON *lt_public(const cJSON *lt)
{
    cJSON *o = cJSON_Duplicate(lt, 1);
    jx_drop_internal(o);
    return o;
}

/* Adds version number n with data (taken) to lt, answers nothing. */
static void lt_add_version(api_ctx_t *c, cJSON *lt, int64_t n, cJSON *data)
{
    cJSON *v = cJSON_CreateObject();
    cJSON_AddStringToObject(v, "LaunchTemplateId", jx_str(lt, "LaunchTemplateId"));
    cJSON_AddStringToObject(v, "LaunchTemplateName", jx_str(lt, "LaunchTemplateName"));
    cJSON_AddNumberToObject(v, "VersionNumber", (double)n);
    if (api_in_str(c, "VersionDescription"))
        cJSON_AddStringToObject(v, "VersionDescription", api_in_str(c, "VersionDescription"));
    cJSON_AddNumberToObject(v, "CreateTime", (double)(clk_now_ms(&c->app->clock) / 1000));
    cJSON_AddStringToObject(v, "CreatedBy", c->caller->arn);
    cJSON_AddBoolToObject(v, "DefaultVersion", n == jx_int(lt, "DefaultVersionNumber", 1));
    cJSON_AddItemToObject(v, "LaunchTemplateData", data);
    cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(lt, "_Versions"), v);
    jx_set_num(lt, "LatestVersionNumber", (double)n);
}

/* The request's LaunchTemplateData (required), copied. */
static err_t lt_data(api_ctx_t *c, cJSON **out)
{
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(c->in, "LaunchTemplateData");
    *out = NULL;
    if (!d)
        return err_fail(c->eb, ERR_MISSING_PARAMETER,
                        "The request must contain the parameter LaunchTemplateData");
    const char *image = jx_str(d, "ImageId");
    if (image && (strncmp(image, "ami-", 4) || strlen(image) < 8) &&
        strncmp(image, "resolve:ssm:", 12))
        return err_fail(c->eb, ERR_EC2_AMI_MALFORMED, "Invalid id: \"%s\" (expecting \"ami-...\")",
                        image);
    *out = cJSON_Duplicate(d, 1);
    return ERR_OK;
}

err_t ec2_create_launch_template(api_ctx_t *c)
{
    const char *name = api_in_str(c, "LaunchTemplateName");
    cJSON *same = NULL, *data = NULL;
    err_t rc = ec2_dry_run(c);
    if (!rc && !name)
        rc = err_fail(c->eb, ERR_MISSING_PARAMETER,
                      "The request must contain the parameter LaunchTemplateName");
    if (!rc && !lt_name_ok(name))
        rc = err_fail(c->eb, ERR_EC2_LT_NAME_MALFORMED,
                      "A launch template name must be between 3 and 128 characters, and may "
                      "contain letters, numbers, and the following characters: - ( ) . / _.'");
    if (!rc) rc = res_get_by_name(c->tx, c->scope, EC2_LT, name, &same, c->eb);
    if (!rc && same)
        rc = err_fail(c->eb, ERR_EC2_LT_NAME_EXISTS, "Launch template name already in use.");
    cJSON_Delete(same);
    if (!rc) rc = lt_data(c, &data);
    if (rc) return rc;
    char id[32];
    ids_chars(&c->app->ids, "lt-", IDS_HEX, 17, id);
    int64_t now = clk_now_ms(&c->app->clock);
    cJSON *lt = cJSON_CreateObject();
    cJSON_AddStringToObject(lt, "LaunchTemplateId", id);
    cJSON_AddStringToObject(lt, "LaunchTemplateName", name);
    cJSON_AddNumberToObject(lt, "CreateTime", (double)(now / 1000));
    cJSON_AddStringToObject(lt, "CreatedBy", c->caller->arn);
    cJSON_AddNumberToObject(lt, "DefaultVersionNumber", 1);
    cJSON_AddNumberToObject(lt, "LatestVersionNumber", 1);
    cJSON *tags = ec2_spec_tags(c->in, "launch-template", false);
    if (cJSON_GetArraySize(tags))
        cJSON_AddItemToObject(lt, "Tags", tags);
    else
        cJSON_Delete(tags);
    cJSON_AddArrayToObject(lt, "_Versions");
    lt_add_version(c, lt, 1, data);
    res_row_t row = {.name = name, .created_ms = now};
    rc = res_insert(c->tx, &(res_key_t){c->scope, EC2_LT, id}, &row, lt, c->eb);
    if (!rc) cJSON_AddItemToObject(c->out, "LaunchTemplate", lt_public(lt));
    cJSON_Delete(lt);
    return rc;
}

err_t ec2_create_launch_template_version(api_ctx_t *c)
{
    cJSON *lt = NULL, *data = NULL;
    err_t rc = ec2_dry_run(c);
    if (!rc) rc = lt_find(c, c->in, &lt);
    if (!rc) rc = lt_data(c, &data);
    const char *src = api_in_str(c, "SourceVersion");
    const cJSON *base = NULL;
    if (!rc && src) rc = lt_version(c, lt, src, &base);
    if (!rc && base) {
        /* the source version's data, with what the request gives in its place */
        cJSON *merged =
            cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(base, "LaunchTemplateData"), 1);
        for (cJSON *m = data->child; m; m = m->next)
            jx_set(merged, m->string, cJSON_Duplicate(m, 1));
        cJSON_Delete(data);
        data = merged;
    }
    if (!rc && cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(lt, "_Versions")) >= 10000)
        rc = err_fail(c->eb, ERR_EC2_INVALID_PARAMETER,
                      "You have reached the maximum number of launch template versions (10000).");
    if (!rc) {
        int64_t n = jx_int(lt, "LatestVersionNumber", 0) + 1;
        lt_add_version(c, lt, n, data);
        data = NULL;
        rc = lt_save(c, lt);
        const cJSON *vs = cJSON_GetObjectItemCaseSensitive(lt, "_Versions");
        if (!rc)
            cJSON_AddItemToObject(
                c->out, "LaunchTemplateVersion",
                cJSON_Duplicate(cJSON_GetArrayItem(vs, cJSON_GetArraySize(vs) - 1), 1));
    }
    cJSON_Delete(data);
    cJSON_Delete(lt);
    return rc;
}

err_t ec2_modify_launch_template(api_ctx_t *c)
{
    cJSON *lt = NULL;
    err_t rc = ec2_dry_run(c);
    if (!rc) rc = lt_find(c, c->in, &lt);
    const char *def = api_in_str(c, "DefaultVersion");
    const cJSON *v = NULL;
    if (!rc && def) rc = lt_version(c, lt, def, &v);
    if (!rc && v) {
        int64_t n = jx_int(v, "VersionNumber", 1);
        jx_set_num(lt, "DefaultVersionNumber", (double)n);
        cJSON *vs = cJSON_GetObjectItemCaseSensitive(lt, "_Versions");
        for (cJSON *e = vs->child; e; e = e->next)
            jx_set(e, "DefaultVersion", cJSON_CreateBool(jx_int(e, "VersionNumber", 0) == n));
        rc = lt_save(c, lt);
    }
    if (!rc) cJSON_AddItemToObject(c->out, "LaunchTemplate", lt_public(lt));
    cJSON_Delete(lt);
    return rc;
}

err_t ec2_delete_launch_template(api_ctx_t *c)
{
    cJSON *lt = NULL;
    err_t rc = ec2_dry_run(c);
    if (!rc) rc = lt_find(c, c->in, &lt);
    if (!rc)
        rc = res_delete(c->tx, &(res_key_t){c->scope, EC2_LT, jx_str(lt, "LaunchTemplateId")}, NULL,
                        c->eb);
    if (!rc) cJSON_AddItemToObject(c->out, "LaunchTemplate", lt_public(lt));
    cJSON_Delete(lt);
    return rc;
}

static int lt_filter_values(const cJSON *lt, const char *name, const char **vals, int cap,
                            char *scratch)
{
    (void)scratch;
    if (!strcmp(name, "launch-template-name")) return vals[0] = jx_str(lt, "LaunchTemplateName"), 1;
    if (!strcmp(name, "launch-template-id")) return vals[0] = jx_str(lt, "LaunchTemplateId"), 1;
    return ec2_tag_filter_values(lt, name, vals, cap);
}

static err_t lt_keep(void *ctx, const cJSON *lt, const res_pkey_t *k, bool *keep)
{
    (void)k;
    api_ctx_t *c = ctx;
    return ec2_filter_match(c, lt, cJSON_GetObjectItemCaseSensitive(c->in, "Filters"),
                            lt_filter_values, keep);
}

err_t ec2_describe_launch_templates(api_ctx_t *c)
{
    const cJSON *ids = cJSON_GetObjectItemCaseSensitive(c->in, "LaunchTemplateIds");
    const cJSON *names = cJSON_GetObjectItemCaseSensitive(c->in, "LaunchTemplateNames");
    bool named = cJSON_GetArraySize(ids) || cJSON_GetArraySize(names);
    res_page_t p;
    err_t rc = ec2_dry_run(c);
    if (!rc) rc = ec2_page_begin(c, &p, 1, 200, false, NULL);
    if (rc) return rc;
    cJSON *found = cJSON_CreateArray();
    if (!named) {
        res_query_t q = {c->scope, EC2_LT, NULL, 0, 0};
        rc = res_list_page(c->tx, &q, &p, lt_keep, c, found, c->eb);
        if (!rc) res_page_out(&p, c->out, "NextToken");
    }
    for (int pass = 0; named && pass < 2 && !rc; pass++) {
        const cJSON *l = pass ? names : ids;
        for (const cJSON *i = l ? l->child : NULL; !rc && i; i = i->next) {
            cJSON *lt = NULL;
            bool ok = false;
            rc = pass ? lt_by_name(c, i->valuestring, &lt) : lt_by_id(c, i->valuestring, &lt);
            if (!rc) rc = lt_keep(c, lt, NULL, &ok);
            if (!rc && ok)
                cJSON_AddItemToArray(found, lt);
            else
                cJSON_Delete(lt);
        }
    }
    cJSON *list = cJSON_AddArrayToObject(c->out, "LaunchTemplates");
    for (const cJSON *lt = found->child; !rc && lt; lt = lt->next)
        cJSON_AddItemToArray(list, lt_public(lt));
    cJSON_Delete(found);
    return rc;
}

static int ltv_filter_values(const cJSON *v, const char *name, const char **vals, int cap,
                             char *scratch)
{
    (void)cap;
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(v, "LaunchTemplateData");
    if (!strcmp(name, "is-default-version")) {
        snprintf(scratch, 16, "%s", jx_true(v, "DefaultVersion") ? "true" : "false");
        return vals[0] = scratch, 1;
    }
    static const char *const plain[][2] = {
        {"image-id", "ImageId"}, {"instance-type", "InstanceType"}, {"key-name", "KeyName"}};
    for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
        if (!strcmp(name, plain[i][0])) return (vals[0] = jx_str(d, plain[i][1])) ? 1 : 0;
    return -1;
}

err_t ec2_describe_launch_template_versions(api_ctx_t *c)
{
    cJSON *lt = NULL;
    res_page_t p;
    err_t rc = ec2_dry_run(c);
    if (!rc) rc = lt_find(c, c->in, &lt);
    const cJSON *want = cJSON_GetObjectItemCaseSensitive(c->in, "Versions");
    if (!rc) rc = ec2_page_begin(c, &p, 1, 200, false, NULL);
    /* the version numbers Versions names (all must exist) */
    int64_t *nums = NULL;
    int n_nums = cJSON_GetArraySize(want);
    if (!rc && n_nums) nums = arena_alloc(c->arena, sizeof(*nums) * (size_t)n_nums);
    int j = 0;
    for (const cJSON *w = want ? want->child : NULL; !rc && w; w = w->next) {
        const cJSON *v = NULL;
        rc = lt_version(c, lt, w->valuestring, &v);
        if (!rc) nums[j++] = jx_int(v, "VersionNumber", 0);
    }
    const char *minv = api_in_str(c, "MinVersion"), *maxv = api_in_str(c, "MaxVersion");
    int64_t lo = minv ? strtoll(minv, NULL, 10) : 0, hi = maxv ? strtoll(maxv, NULL, 10) : 0;
    cJSON *list = cJSON_AddArrayToObject(c->out, "LaunchTemplateVersions");
    const cJSON *vs = lt ? cJSON_GetObjectItemCaseSensitive(lt, "_Versions") : NULL;
    for (const cJSON *v = vs ? vs->child : NULL; !rc && v; v = v->next) {
        int64_t n = jx_int(v, "VersionNumber", 0);
        bool ok = !n_nums;
        for (int i = 0; i < n_nums && !ok; i++) ok = nums[i] == n;
        ok = ok && (!lo || n >= lo) && (!hi || n <= hi);
        if (ok)
            rc = ec2_filter_match(c, v, cJSON_GetObjectItemCaseSensitive(c->in, "Filters"),
                                  ltv_filter_values, &ok);
        res_offer_t o = ok && !rc ? res_page_offer(&p, &(res_pkey_t){.n = n}) : RES_PAGE_SKIP;
        if (o == RES_PAGE_TAKE) cJSON_AddItemToArray(list, cJSON_Duplicate(v, 1));
        if (o == RES_PAGE_FULL) break;
    }
    if (!rc) res_page_out(&p, c->out, "NextToken");
    cJSON_Delete(lt);
    return rc;
}

err_t ec2_lt_data_for_launch(api_ctx_t *c, const cJSON *spec, cJSON **data, char id[32],
                             int64_t *version)
{
    cJSON *lt = NULL;
    const cJSON *v = NULL;
    *data = NULL;
    err_t rc = lt_find(c, spec, &lt);
    if (!rc) rc = lt_version(c, lt, jx_str(spec, "Version"), &v);
    if (!rc) {
        *data = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(v, "LaunchTemplateData"), 1);
        snprintf(id, 32, "%s", jx_str(lt, "LaunchTemplateId"));
        *version = jx_int(v, "VersionNumber", 1);
    }
    cJSON_Delete(lt);
    return rc;
}
