/* roles.c - IAM roles: CreateRole, GetRole, DeleteRole, UpdateAssumeRolePolicy, UpdateRole
 * (ListRoles is in users.c). The trust policy is a resource-based policy checked by
 * sts:AssumeRole (svc/sts). */
#include "svc/iam/iam_int.h"
#include "core/jx.h"

#include <string.h>

#define IAM_TRUST_QUOTA 2048

err_t iam_create_role(api_ctx_t *c)
{
    const char *doc = api_in_str(c, "AssumeRolePolicyDocument");
    err_t rc = iam_check_document(c, doc, POLICY_TRUST, IAM_TRUST_QUOTA, "ACLSizePerRole");
    cJSON *r = NULL;
    if (!rc) rc = iam_entity_new(c, "role", "AROA", &r);
    if (rc) return rc;
    cJSON_AddStringToObject(r, "AssumeRolePolicyDocument", doc);
    if (api_in_str(c, "Description"))
        cJSON_AddStringToObject(r, "Description", api_in_str(c, "Description"));
    cJSON_AddNumberToObject(r, "MaxSessionDuration",
                            (double)api_in_int(c, "MaxSessionDuration", 3600));
    const cJSON *tags = cJSON_GetObjectItemCaseSensitive(c->in, "Tags");
    if (tags && cJSON_GetArraySize(tags))
        cJSON_AddItemToObject(r, "Tags", cJSON_Duplicate(tags, 1));
    const char *pb = api_in_str(c, "PermissionsBoundary");
    if (pb) {
        cJSON *b = cJSON_AddObjectToObject(r, "PermissionsBoundary");
        cJSON_AddStringToObject(b, "PermissionsBoundaryType", "Policy");
        cJSON_AddStringToObject(b, "PermissionsBoundaryArn", pb);
    }
    cJSON_AddObjectToObject(r, "RoleLastUsed");
    return iam_entity_insert(c, "role", r, "Role");
}

err_t iam_get_role(api_ctx_t *c)
{
    cJSON *r = NULL;
    err_t rc = iam_find(c, "role", api_in_str(c, "RoleName"), &r);
    if (!rc) cJSON_AddItemToObject(c->out, "Role", r);
    return rc;
}

/* Saves role r (found by iam_find) after a change. */
static err_t iam_role_save(api_ctx_t *c, const cJSON *r)
{
    res_key_t k = {c->account, IAM_ROLE, jx_str(r, "RoleId")};
    return res_update(c->tx, &k, NULL, (int64_t)(iam_now(c) * 1000), r, NULL, c->eb);
}

err_t iam_delete_role(api_ctx_t *c)
{
    cJSON *r = NULL;
    err_t rc = iam_find(c, "role", api_in_str(c, "RoleName"), &r);
    if (rc) return rc;
    const char *id = arena_strdup(c->arena, jx_str(r, "RoleId"));
    cJSON_Delete(r);
    int64_t n = 0;
    rc = iam_link_count(c, IAM_LINK_ATTACH, true, id, &n);
    if (!rc && n)
        return err_fail(c->eb, ERR_IAM_DELETE_CONFLICT,
                        "Cannot delete entity, must detach all policies first.");
    if (!rc) rc = iam_link_count(c, IAM_LINK_PROFILE, false, id, &n);
    if (!rc && n)
        return err_fail(c->eb, ERR_IAM_DELETE_CONFLICT,
                        "Cannot delete entity, must remove roles from instance profile first.");
    cJSON *inl = cJSON_CreateArray();
    bool more;
    res_query_t q = {c->account, IAM_INLINE, id, 0, 1};
    if (!rc) rc = res_list(c->tx, &q, inl, &more, c->eb);
    bool has_inline = cJSON_GetArraySize(inl) > 0;
    cJSON_Delete(inl);
    if (!rc && has_inline)
        return err_fail(c->eb, ERR_IAM_DELETE_CONFLICT,
                        "Cannot delete entity, must delete policies first.");
    if (!rc) rc = res_delete(c->tx, &(res_key_t){c->account, IAM_ROLE, id}, NULL, c->eb);
    if (!rc) c->post |= API_POST_AUTH_CHANGED; /* its sessions die with it */
    return rc;
}

err_t iam_update_assume_role_policy(api_ctx_t *c)
{
    const char *doc = api_in_str(c, "PolicyDocument");
    cJSON *r = NULL;
    err_t rc = iam_check_document(c, doc, POLICY_TRUST, IAM_TRUST_QUOTA, "ACLSizePerRole");
    if (!rc) rc = iam_find(c, "role", api_in_str(c, "RoleName"), &r);
    if (!rc) {
        jx_set(r, "AssumeRolePolicyDocument", cJSON_CreateString(doc));
        rc = iam_role_save(c, r);
    }
    cJSON_Delete(r);
    return rc;
}

err_t iam_update_role(api_ctx_t *c)
{
    cJSON *r = NULL;
    err_t rc = iam_find(c, "role", api_in_str(c, "RoleName"), &r);
    if (rc) return rc;
    const char *desc = api_in_str(c, "Description");
    if (desc) {
        cJSON_DeleteItemFromObjectCaseSensitive(r, "Description");
        cJSON_AddStringToObject(r, "Description", desc);
    }
    int64_t max = api_in_int(c, "MaxSessionDuration", 0);
    if (max) jx_set(r, "MaxSessionDuration", cJSON_CreateNumber((double)max));
    rc = iam_role_save(c, r);
    cJSON_Delete(r);
    return rc;
}
