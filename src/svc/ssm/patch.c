/* patch.c - Systems Manager patch baselines: CreatePatchBaseline, GetPatchBaseline,
 * DescribePatchBaselines, UpdatePatchBaseline, DeletePatchBaseline. A baseline is a rule set
 * catalogd stores and answers with; no patching is run against it. The predefined baselines
 * AWS owns are not listed. */
#include "svc/ssm/maint_int.h"

#include "core/clk.h"
#include "core/ids.h"

#include <string.h>

/* The members a baseline has, with the defaults AWS gives the ones left out (NULL: none). */
static const char *const pb_lists[] = {"ApprovedPatches", "RejectedPatches", "Sources", NULL};

/* Fills the defaults of the members b lacks. */
static void pb_defaults(cJSON *b)
{
    for (size_t i = 0; pb_lists[i]; i++)
        if (!cJSON_GetObjectItemCaseSensitive(b, pb_lists[i]))
            cJSON_AddArrayToObject(b, pb_lists[i]);
    if (!cJSON_GetObjectItemCaseSensitive(b, "GlobalFilters"))
        cJSON_AddArrayToObject(cJSON_AddObjectToObject(b, "GlobalFilters"), "PatchFilters");
    if (!jx_str(b, "ApprovedPatchesComplianceLevel"))
        cJSON_AddStringToObject(b, "ApprovedPatchesComplianceLevel", "UNSPECIFIED");
    if (!jx_str(b, "RejectedPatchesAction"))
        cJSON_AddStringToObject(b, "RejectedPatchesAction", "ALLOW_AS_DEPENDENCY");
    if (!cJSON_GetObjectItemCaseSensitive(b, "ApprovedPatchesEnableNonSecurity"))
        cJSON_AddBoolToObject(b, "ApprovedPatchesEnableNonSecurity", false);
    const cJSON *rules = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(b, "ApprovalRules"), "PatchRules");
    for (cJSON *r = rules ? rules->child : NULL; r; r = r->next) {
        if (!jx_str(r, "ComplianceLevel"))
            cJSON_AddStringToObject(r, "ComplianceLevel", "UNSPECIFIED");
        if (!cJSON_GetObjectItemCaseSensitive(r, "EnableNonSecurity"))
            cJSON_AddBoolToObject(r, "EnableNonSecurity", false);
    }
}

/* A filter group: each key once. */
static err_t pb_check_group(api_ctx_t *c, const cJSON *group)
{
    const cJSON *fs = cJSON_GetObjectItemCaseSensitive(group, "PatchFilters");
    for (const cJSON *f = fs ? fs->child : NULL; f; f = f->next)
        for (const cJSON *g = f->next; g; g = g->next)
            if (jx_str(f, "Key") && jx_str(g, "Key") && !strcmp(jx_str(f, "Key"), jx_str(g, "Key")))
                return err_fail(c->eb, ERR_VALIDATION,
                                "A patch filter group may use the key %s only once.",
                                jx_str(f, "Key"));
    return ERR_OK;
}

/* Checks the rules and filters of baseline b as AWS does. */
static err_t pb_check(api_ctx_t *c, const cJSON *b)
{
    err_t rc = pb_check_group(c, cJSON_GetObjectItemCaseSensitive(b, "GlobalFilters"));
    const cJSON *rules = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(b, "ApprovalRules"), "PatchRules");
    for (const cJSON *r = rules ? rules->child : NULL; !rc && r; r = r->next) {
        bool days = cJSON_GetObjectItemCaseSensitive(r, "ApproveAfterDays") != NULL;
        bool until = jx_str(r, "ApproveUntilDate") != NULL;
        if (days == until)
            rc = err_fail(c->eb, ERR_VALIDATION,
                          "A patch rule must specify either ApproveAfterDays or ApproveUntilDate, "
                          "but not both.");
        if (!rc) rc = pb_check_group(c, cJSON_GetObjectItemCaseSensitive(r, "PatchFilterGroup"));
    }
    return rc;
}

static const char *const pb_members[] = {"Name",
                                         "GlobalFilters",
                                         "ApprovalRules",
                                         "ApprovedPatches",
                                         "ApprovedPatchesComplianceLevel",
                                         "ApprovedPatchesEnableNonSecurity",
                                         "RejectedPatches",
                                         "RejectedPatchesAction",
                                         "Description",
                                         "Sources",
                                         NULL};

err_t ssm_create_patch_baseline(api_ctx_t *c)
{
    const char *prior = NULL, *row_name = NULL;
    err_t rc = ssm_mw_token(c, SSM_BASELINE, "BaselineId", &prior, &row_name);
    if (rc || prior) {
        if (!rc) cJSON_AddStringToObject(c->out, "BaselineId", prior);
        return rc;
    }
    char id[24];
    ids_chars(&c->app->ids, "pb-", IDS_HEX, 17, id);
    int64_t now = clk_now_ms(&c->app->clock);
    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "BaselineId", id);
    const char *os = api_in_str(c, "OperatingSystem");
    cJSON_AddStringToObject(b, "OperatingSystem", os ? os : "WINDOWS");
    jx_copy(b, c->in, pb_members);
    pb_defaults(b);
    cJSON_AddArrayToObject(b, "PatchGroups");
    cJSON_AddNumberToObject(b, "CreatedDate", (double)now / 1000.0);
    cJSON_AddNumberToObject(b, "ModifiedDate", (double)now / 1000.0);
    const cJSON *tags = cJSON_GetObjectItemCaseSensitive(c->in, "Tags");
    cJSON_AddItemToObject(b, "_Tags", tags ? cJSON_Duplicate(tags, 1) : cJSON_CreateArray());
    cJSON_AddItemToObject(b, "_Request", ssm_mw_request(c));
    rc = pb_check(c, b);
    res_row_t row = {.name = row_name, .created_ms = now};
    if (!rc) rc = res_insert(c->tx, &(res_key_t){c->scope, SSM_BASELINE, id}, &row, b, c->eb);
    if (!rc) cJSON_AddStringToObject(c->out, "BaselineId", id);
    cJSON_Delete(b);
    return rc;
}

/* The baseline id a request names (an ARN names it too). */
static const char *pb_id(const api_ctx_t *c)
{
    const char *id = api_in_str(c, "BaselineId");
    const char *slash = !strncmp(id, "arn:", 4) ? strrchr(id, '/') : NULL;
    return slash ? slash + 1 : id;
}

static err_t pb_load(api_ctx_t *c, const char *id, cJSON **b)
{
    err_t rc = res_get(c->tx, &(res_key_t){c->scope, SSM_BASELINE, id}, b, c->eb);
    if (!rc && !*b)
        rc = err_fail(c->eb, ERR_SSM_DOES_NOT_EXIST, "Patch Baseline %s does not exist.", id);
    return rc;
}

err_t ssm_get_patch_baseline(api_ctx_t *c)
{
    cJSON *b = NULL;
    err_t rc = pb_load(c, pb_id(c), &b);
    if (!rc) ssm_mw_answer(c, b);
    cJSON_Delete(b);
    return rc;
}

err_t ssm_update_patch_baseline(api_ctx_t *c)
{
    const char *id = pb_id(c);
    cJSON *b = NULL;
    err_t rc = pb_load(c, id, &b);
    if (rc) return rc;
    for (size_t i = 0; pb_members[i]; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(c->in, pb_members[i]);
        /* Replace: a member not given goes back to its default (Name stays) */
        if (v)
            jx_set(b, pb_members[i], cJSON_Duplicate(v, 1));
        else if (jx_true(c->in, "Replace") && strcmp(pb_members[i], "Name"))
            cJSON_DeleteItemFromObjectCaseSensitive(b, pb_members[i]);
    }
    pb_defaults(b);
    rc = pb_check(c, b);
    int64_t now = clk_now_ms(&c->app->clock);
    if (!rc) {
        jx_set_num(b, "ModifiedDate", (double)now / 1000.0);
        rc = res_update(c->tx, &(res_key_t){c->scope, SSM_BASELINE, id}, NULL, now, b, NULL, c->eb);
    }
    if (!rc) {
        cJSON_DeleteItemFromObjectCaseSensitive(b, "PatchGroups");
        ssm_mw_answer(c, b);
    }
    cJSON_Delete(b);
    return rc;
}

err_t ssm_delete_patch_baseline(api_ctx_t *c)
{
    /* a baseline that does not exist is deleted already: AWS answers with its id */
    const char *id = pb_id(c);
    err_t rc = res_delete(c->tx, &(res_key_t){c->scope, SSM_BASELINE, id}, NULL, c->eb);
    if (!rc) cJSON_AddStringToObject(c->out, "BaselineId", id);
    return rc;
}

/* DescribePatchBaselines' filters: NAME_PREFIX, OWNER (Self or All: the account's own;
 * AWS: none, catalogd lists no predefined baselines), OPERATING_SYSTEM. */
static err_t pb_keep(void *ctx, const cJSON *b, const res_pkey_t *k, bool *keep)
{
    (void)k;
    const api_ctx_t *c = ctx;
    const cJSON *fs = cJSON_GetObjectItemCaseSensitive(c->in, "Filters");
    *keep = true;
    for (const cJSON *f = fs ? fs->child : NULL; *keep && f; f = f->next) {
        const char *key = jx_str(f, "Key");
        const cJSON *vs = cJSON_GetObjectItemCaseSensitive(f, "Values");
        bool any = false;
        for (const cJSON *v = vs ? vs->child : NULL; v && !any; v = v->next) {
            const char *want = cJSON_IsString(v) ? v->valuestring : "";
            if (!strcmp(key, "NAME_PREFIX"))
                any = !strncmp(jx_str(b, "Name"), want, strlen(want));
            else if (!strcmp(key, "OWNER"))
                any = !strcmp(want, "Self") || !strcmp(want, "All");
            else
                any = !strcmp(jx_str(b, "OperatingSystem"), want);
        }
        *keep = any;
    }
    return ERR_OK;
}

err_t ssm_describe_patch_baselines(api_ctx_t *c)
{
    static const char *const keys[] = {"NAME_PREFIX", "OWNER", "OPERATING_SYSTEM", NULL};
    res_page_t p;
    err_t rc = ssm_mw_filter_keys(c, "Filters", keys);
    if (!rc) rc = ssm_page_in(c, &p);
    cJSON *bs = cJSON_CreateArray();
    res_query_t q = {c->scope, SSM_BASELINE, NULL, 0, 0};
    if (!rc) rc = res_list_page(c->tx, &q, &p, pb_keep, c, bs, c->eb);
    if (!rc) {
        cJSON *list = cJSON_AddArrayToObject(c->out, "BaselineIdentities");
        for (const cJSON *b = bs->child; b; b = b->next) {
            cJSON *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "BaselineId", jx_str(b, "BaselineId"));
            cJSON_AddStringToObject(e, "BaselineName", jx_str(b, "Name"));
            cJSON_AddStringToObject(e, "OperatingSystem", jx_str(b, "OperatingSystem"));
            if (jx_str(b, "Description"))
                cJSON_AddStringToObject(e, "BaselineDescription", jx_str(b, "Description"));
            cJSON_AddBoolToObject(e, "DefaultBaseline", false);
            cJSON_AddItemToArray(list, e);
        }
        ssm_page_out(c, &p);
    }
    cJSON_Delete(bs);
    return rc;
}
