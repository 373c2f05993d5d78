/* policies.c - IAM managed policies and their versions: CreatePolicy, GetPolicy,
 * ListPolicies, DeletePolicy, Create/Get/List/DeletePolicyVersion,
 * SetDefaultPolicyVersion. AWS managed policies live under the pseudo-account "aws"
 * (managed.c) and are read-only. */
#include "svc/iam/iam_int.h"
#include "core/jx.h"

#include "iam/policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IAM_MAX_VERSIONS 5

err_t iam_check_document(api_ctx_t *c, const char *doc, policy_kind_t kind, size_t quota,
                         const char *quota_name)
{
    policy_t *p = NULL;
    err_t rc = policy_parse(span_of(doc), kind, &p, c->eb);
    policy_free(p);
    if (rc) return rc;
    if (policy_size_nows(span_of(doc)) > quota)
        return err_fail(c->eb, ERR_IAM_LIMIT_EXCEEDED, "Cannot exceed quota for %s: %zu.",
                        quota_name, quota);
    return ERR_OK;
}

err_t iam_policy_by_arn(api_ctx_t *c, const char *arn, cJSON **out)
{
    const char *owner = strncmp(arn, "arn:aws:iam::aws:", 17) == 0 ? IAM_AWS_ACCOUNT : c->account;
    err_t rc = res_get_by_name(c->tx, owner, IAM_POLICY, arn, out, c->eb);
    if (!rc && !*out)
        rc = err_fail(c->eb, ERR_IAM_NO_SUCH_ENTITY,
                      "Policy %s does not exist or is not attachable.", arn);
    return rc;
}

/* The account that stores policy p (ours, or "aws"). */
static const char *iam_policy_owner(api_ctx_t *c, const cJSON *p)
{
    const char *arn = jx_str(p, "Arn");
    return arn && !strncmp(arn, "arn:aws:iam::aws:", 17) ? IAM_AWS_ACCOUNT : c->account;
}

err_t iam_policy_save(api_ctx_t *c, const cJSON *p)
{
    res_key_t k = {iam_policy_owner(c, p), IAM_POLICY, jx_str(p, "PolicyId")};
    return res_update(c->tx, &k, NULL, (int64_t)(iam_now(c) * 1000), p, NULL, c->eb);
}

/* Stores version `vid` of policy p. */
static err_t iam_version_put(api_ctx_t *c, const cJSON *p, const char *vid, const char *doc,
                             bool is_default)
{
    cJSON *v = cJSON_CreateObject();
    cJSON_AddStringToObject(v, "Document", doc);
    cJSON_AddStringToObject(v, "VersionId", vid);
    cJSON_AddBoolToObject(v, "IsDefaultVersion", is_default);
    cJSON_AddNumberToObject(v, "CreateDate", iam_now(c));
    const char *pid = jx_str(p, "PolicyId");
    res_key_t k = {iam_policy_owner(c, p), IAM_POLICY_VER,
                   arena_printf(c->arena, "%s:%s", pid, vid)};
    res_row_t row = {.parent = pid, .created_ms = (int64_t)(iam_now(c) * 1000)};
    err_t rc = res_insert(c->tx, &k, &row, v, c->eb);
    cJSON_Delete(v);
    return rc;
}

/* Loads every version of policy p (oldest first) into a new array. */
static err_t iam_versions(api_ctx_t *c, const cJSON *p, cJSON **out)
{
    *out = cJSON_CreateArray();
    bool more;
    res_query_t q = {iam_policy_owner(c, p), IAM_POLICY_VER, jx_str(p, "PolicyId"), 0, 0};
    return res_list(c->tx, &q, *out, &more, c->eb);
}

err_t iam_policy_default_doc(api_ctx_t *c, const cJSON *p, char **doc)
{
    const char *pid = jx_str(p, "PolicyId");
    const char *vid = jx_str(p, "DefaultVersionId");
    cJSON *v = NULL;
    res_key_t k = {iam_policy_owner(c, p), IAM_POLICY_VER,
                   arena_printf(c->arena, "%s:%s", pid, vid)};
    err_t rc = res_get(c->tx, &k, &v, c->eb);
    *doc = NULL;
    if (!rc && v && jx_str(v, "Document")) *doc = arena_strdup(c->arena, jx_str(v, "Document"));
    cJSON_Delete(v);
    if (!rc && !*doc) rc = err_fail(c->eb, ERR_INTERNAL, "policy %s has no default version", pid);
    return rc;
}

err_t iam_create_policy(api_ctx_t *c)
{
    const char *name = api_in_str(c, "PolicyName");
    const char *path = api_in_str(c, "Path");
    const char *doc = api_in_str(c, "PolicyDocument");
    err_t rc = iam_check_document(c, doc, POLICY_IDENTITY, 6144, "PolicySize");
    if (rc) return rc;
    /* names are unique per account whatever the path, without regard to case */
    cJSON *all = cJSON_CreateArray();
    bool more;
    res_query_t q = {c->account, IAM_POLICY, NULL, 0, 0};
    rc = res_list(c->tx, &q, all, &more, c->eb);
    for (cJSON *e = all->child; !rc && e; e = e->next)
        if (!strcmp(iam_fold(c, jx_str(e, "PolicyName")), iam_fold(c, name)))
            rc = err_fail(c->eb, ERR_IAM_ALREADY_EXISTS,
                          "A policy called %s already exists. Duplicate names are not allowed.",
                          name);
    cJSON_Delete(all);
    if (rc) return rc;
    char id[32];
    iam_new_id(c, "ANPA", id);
    const char *arn = iam_arn(c, "policy", path, name);
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "PolicyName", name);
    cJSON_AddStringToObject(p, "PolicyId", id);
    cJSON_AddStringToObject(p, "Arn", arn);
    cJSON_AddStringToObject(p, "Path", path ? path : "/");
    cJSON_AddStringToObject(p, "DefaultVersionId", "v1");
    cJSON_AddNumberToObject(p, "AttachmentCount", 0);
    cJSON_AddNumberToObject(p, "PermissionsBoundaryUsageCount", 0);
    cJSON_AddBoolToObject(p, "IsAttachable", true);
    if (api_in_str(c, "Description"))
        cJSON_AddStringToObject(p, "Description", api_in_str(c, "Description"));
    cJSON_AddNumberToObject(p, "CreateDate", iam_now(c));
    cJSON_AddNumberToObject(p, "UpdateDate", iam_now(c));
    cJSON_AddNumberToObject(p, "NextVersion", 2);
    const cJSON *tags = cJSON_GetObjectItemCaseSensitive(c->in, "Tags");
    if (tags && cJSON_GetArraySize(tags))
        cJSON_AddItemToObject(p, "Tags", cJSON_Duplicate(tags, 1));
    res_key_t k = {c->account, IAM_POLICY, id};
    res_row_t row = {.name = arn, .created_ms = (int64_t)(iam_now(c) * 1000)};
    rc = res_insert(c->tx, &k, &row, p, c->eb);
    if (!rc) rc = iam_version_put(c, p, "v1", doc, true);
    if (!rc)
        cJSON_AddItemToObject(c->out, "Policy", p);
    else
        cJSON_Delete(p);
    return rc;
}

err_t iam_get_policy(api_ctx_t *c)
{
    cJSON *p = NULL;
    err_t rc = iam_policy_by_arn(c, api_in_str(c, "PolicyArn"), &p);
    if (!rc) cJSON_AddItemToObject(c->out, "Policy", p);
    return rc;
}

/* ListPolicies' filter: PathPrefix and OnlyAttached. */
static err_t iam_keep_policy(void *ctx, const cJSON *e, const res_pkey_t *k, bool *keep)
{
    api_ctx_t *c = ctx;
    int64_t n = 1;
    err_t rc = iam_keep_path(c, e, k, keep);
    if (!rc && *keep && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c->in, "OnlyAttached")))
        rc = iam_link_count(c, IAM_LINK_ATTACH, false, jx_str(e, "Arn"), &n);
    *keep = *keep && n > 0;
    return rc;
}

err_t iam_list_policies(api_ctx_t *c)
{
    res_page_t p;
    err_t rc = iam_page_in(c, &p);
    if (rc) return rc;
    const char *scope = api_in_str(c, "Scope");
    cJSON *list = cJSON_AddArrayToObject(c->out, "Policies");
    /* AWS managed policies, then the account's: two segments of one key order */
    if (!scope || strcmp(scope, "Local")) {
        res_query_t q = {IAM_AWS_ACCOUNT, IAM_POLICY, NULL, 0, 0};
        p.segment = "1aws";
        rc = res_list_page(c->tx, &q, &p, iam_keep_policy, c, list, c->eb);
    }
    if (!rc && !p.more && (!scope || strcmp(scope, "AWS"))) {
        res_query_t q = {c->account, IAM_POLICY, NULL, 0, 0};
        p.segment = "2local";
        rc = res_list_page(c->tx, &q, &p, iam_keep_policy, c, list, c->eb);
    }
    if (!rc) iam_page_out(c, &p);
    return rc;
}

/* Finds a customer managed policy for a write: AWS's own are not ours to change. */
static err_t iam_own_policy(api_ctx_t *c, const char *arn, cJSON **out)
{
    err_t rc = iam_policy_by_arn(c, arn, out);
    if (!rc && !strcmp(iam_policy_owner(c, *out), IAM_AWS_ACCOUNT)) {
        cJSON_Delete(*out);
        *out = NULL;
        rc = err_fail(c->eb, ERR_IAM_INVALID_INPUT, "Cannot modify an AWS managed policy: %s", arn);
    }
    return rc;
}

err_t iam_delete_policy(api_ctx_t *c)
{
    const char *arn = api_in_str(c, "PolicyArn");
    cJSON *p = NULL;
    err_t rc = iam_own_policy(c, arn, &p);
    if (rc) return rc;
    int64_t n = 0;
    rc = iam_link_count(c, IAM_LINK_ATTACH, false, arn, &n);
    if (!rc && n)
        rc = err_fail(c->eb, ERR_IAM_DELETE_CONFLICT,
                      "Cannot delete a policy attached to entities.");
    cJSON *vs = NULL;
    if (!rc) rc = iam_versions(c, p, &vs);
    if (!rc && cJSON_GetArraySize(vs) > 1)
        rc = err_fail(
            c->eb, ERR_IAM_DELETE_CONFLICT,
            "This policy has more than one version. Before you delete a policy, you must "
            "delete the policy's versions. The default version is deleted with the policy.");
    for (cJSON *v = vs ? vs->child : NULL; !rc && v; v = v->next)
        rc = res_delete(c->tx,
                        &(res_key_t){c->account, IAM_POLICY_VER,
                                     arena_printf(c->arena, "%s:%s", jx_str(p, "PolicyId"),
                                                  jx_str(v, "VersionId"))},
                        NULL, c->eb);
    if (!rc)
        rc = res_delete(c->tx, &(res_key_t){c->account, IAM_POLICY, jx_str(p, "PolicyId")}, NULL,
                        c->eb);
    cJSON_Delete(vs);
    cJSON_Delete(p);
    return rc;
}

err_t iam_create_policy_version(api_ctx_t *c)
{
    const char *doc = api_in_str(c, "PolicyDocument");
    bool set_default = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c->in, "SetAsDefault"));
    cJSON *p = NULL, *vs = NULL;
    err_t rc = iam_own_policy(c, api_in_str(c, "PolicyArn"), &p);
    if (!rc) rc = iam_check_document(c, doc, POLICY_IDENTITY, 6144, "PolicySize");
    if (!rc) rc = iam_versions(c, p, &vs);
    if (!rc && cJSON_GetArraySize(vs) >= IAM_MAX_VERSIONS)
        rc = err_fail(
            c->eb, ERR_IAM_LIMIT_EXCEEDED,
            "A managed policy can have up to %d versions. Before you create a new version, "
            "you must delete an existing version.",
            IAM_MAX_VERSIONS);
    if (!rc) {
        const cJSON *nv = cJSON_GetObjectItemCaseSensitive(p, "NextVersion");
        int next = cJSON_IsNumber(nv) ? nv->valueint : cJSON_GetArraySize(vs) + 1;
        char vid[16];
        snprintf(vid, sizeof(vid), "v%d", next);
        if (set_default) {
            for (cJSON *v = vs->child; !rc && v; v = v->next) {
                if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(v, "IsDefaultVersion")))
                    continue;
                jx_set(v, "IsDefaultVersion", cJSON_CreateFalse());
                res_key_t k = {
                    c->account, IAM_POLICY_VER,
                    arena_printf(c->arena, "%s:%s", jx_str(p, "PolicyId"), jx_str(v, "VersionId"))};
                rc = res_update(c->tx, &k, NULL, (int64_t)(iam_now(c) * 1000), v, NULL, c->eb);
            }
            jx_set(p, "DefaultVersionId", cJSON_CreateString(vid));
        }
        jx_set(p, "NextVersion", cJSON_CreateNumber(next + 1));
        jx_set(p, "UpdateDate", cJSON_CreateNumber(iam_now(c)));
        if (!rc) rc = iam_version_put(c, p, vid, doc, set_default);
        if (!rc) rc = iam_policy_save(c, p);
        if (!rc) {
            cJSON *out = cJSON_AddObjectToObject(c->out, "PolicyVersion");
            cJSON_AddStringToObject(out, "VersionId", vid);
            cJSON_AddBoolToObject(out, "IsDefaultVersion", set_default);
            cJSON_AddNumberToObject(out, "CreateDate", iam_now(c));
        }
    }
    cJSON_Delete(vs);
    cJSON_Delete(p);
    return rc;
}

/* Finds version `vid` among vs (NoSuchEntity when absent). */
static err_t iam_version_in(api_ctx_t *c, cJSON *vs, const char *arn, const char *vid, cJSON **out)
{
    for (cJSON *v = vs->child; v; v = v->next) {
        if (!strcmp(jx_str(v, "VersionId"), vid)) {
            *out = v;
            return ERR_OK;
        }
    }
    return err_fail(c->eb, ERR_IAM_NO_SUCH_ENTITY,
                    "Policy %s version %s does not exist or is not attachable.", arn, vid);
}

err_t iam_get_policy_version(api_ctx_t *c)
{
    const char *arn = api_in_str(c, "PolicyArn");
    cJSON *p = NULL, *vs = NULL, *v = NULL;
    err_t rc = iam_policy_by_arn(c, arn, &p);
    if (!rc) rc = iam_versions(c, p, &vs);
    if (!rc) rc = iam_version_in(c, vs, arn, api_in_str(c, "VersionId"), &v);
    if (!rc) cJSON_AddItemToObject(c->out, "PolicyVersion", cJSON_DetachItemViaPointer(vs, v));
    cJSON_Delete(vs);
    cJSON_Delete(p);
    return rc;
}

err_t iam_list_policy_versions(api_ctx_t *c)
{
    res_page_t pg;
    err_t rc = iam_page_in(c, &pg);
    cJSON *p = NULL;
    if (!rc) rc = iam_policy_by_arn(c, api_in_str(c, "PolicyArn"), &p);
    if (!rc) {
        /* newest first, as IAM lists them */
        cJSON *list = cJSON_AddArrayToObject(c->out, "Versions");
        res_query_t q = {iam_policy_owner(c, p), IAM_POLICY_VER, jx_str(p, "PolicyId"), 0, 0};
        pg.desc = true;
        rc = res_list_page(c->tx, &q, &pg, NULL, NULL, list, c->eb);
        for (cJSON *v = list->child; v; v = v->next)
            cJSON_DeleteItemFromObjectCaseSensitive(v, "Document");
        if (!rc) iam_page_out(c, &pg);
    }
    cJSON_Delete(p);
    return rc;
}

err_t iam_delete_policy_version(api_ctx_t *c)
{
    const char *arn = api_in_str(c, "PolicyArn");
    const char *vid = api_in_str(c, "VersionId");
    cJSON *p = NULL, *vs = NULL, *v = NULL;
    err_t rc = iam_own_policy(c, arn, &p);
    if (!rc) rc = iam_versions(c, p, &vs);
    if (!rc) rc = iam_version_in(c, vs, arn, vid, &v);
    if (!rc && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(v, "IsDefaultVersion")))
        rc = err_fail(c->eb, ERR_IAM_DELETE_CONFLICT,
                      "Cannot delete the default version of a policy.");
    if (!rc)
        rc = res_delete(c->tx,
                        &(res_key_t){c->account, IAM_POLICY_VER,
                                     arena_printf(c->arena, "%s:%s", jx_str(p, "PolicyId"), vid)},
                        NULL, c->eb);
    cJSON_Delete(vs);
    cJSON_Delete(p);
    return rc;
}

err_t iam_set_default_policy_version(api_ctx_t *c)
{
    const char *arn = api_in_str(c, "PolicyArn");
    const char *vid = api_in_str(c, "VersionId");
    cJSON *p = NULL, *vs = NULL, *v = NULL;
    err_t rc = iam_own_policy(c, arn, &p);
    if (!rc) rc = iam_versions(c, p, &vs);
    if (!rc) rc = iam_version_in(c, vs, arn, vid, &v);
    for (cJSON *e = vs ? vs->child : NULL; !rc && e; e = e->next) {
        bool want = e == v;
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "IsDefaultVersion")) == want) continue;
        jx_set(e, "IsDefaultVersion", cJSON_CreateBool(want));
        res_key_t k = {
            c->account, IAM_POLICY_VER,
            arena_printf(c->arena, "%s:%s", jx_str(p, "PolicyId"), jx_str(e, "VersionId"))};
        rc = res_update(c->tx, &k, NULL, (int64_t)(iam_now(c) * 1000), e, NULL, c->eb);
    }
    if (!rc) {
        jx_set(p, "DefaultVersionId", cJSON_CreateString(vid));
        jx_set(p, "UpdateDate", cJSON_CreateNumber(iam_now(c)));
        rc = iam_policy_save(c, p);
    }
    cJSON_Delete(vs);
    cJSON_Delete(p);
    return rc;
}
