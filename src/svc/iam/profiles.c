/* profiles.c - IAM instance profiles: CreateInstanceProfile, GetInstanceProfile,
 * DeleteInstanceProfile, AddRoleToInstanceProfile, RemoveRoleFromInstanceProfile,
 * ListInstanceProfiles, ListInstanceProfilesForRole. A profile is a resource of kind
 * IAM_PROFILE (body: the model's InstanceProfile without Roles); its one role is an
 * IAM_LINK_PROFILE link, so a role's bodies are read fresh whenever a profile is shown
 * and DeleteRole can see that a profile still holds the role. */
#include "svc/iam/iam_int.h"
#include "core/jx.h"

#include <string.h>

#define IAM_ROLES_PER_PROFILE 1

static err_t profile_find(api_ctx_t *c, const char *name, cJSON **out)
{
    err_t rc = res_get_by_name(c->tx, c->account, IAM_PROFILE, iam_fold(c, name), out, c->eb);
    if (!rc && !*out)
        rc = err_fail(c->eb, ERR_IAM_NO_SUCH_ENTITY, "Instance Profile %s cannot be found.", name);
    return rc;
}

/* Adds "Roles" (the roles the profile holds, as GetRole shows them) to profile p. */
static err_t profile_roles(api_ctx_t *c, cJSON *p)
{
    cJSON *ids = cJSON_CreateArray();
    err_t rc = iam_links(c, IAM_LINK_PROFILE, true, jx_str(p, "InstanceProfileId"), ids);
    cJSON *roles = cJSON_CreateArray();
    if (!rc) rc = iam_load_ids(c, IAM_ROLE, ids, roles);
    jx_set(p, "Roles", roles);
    cJSON_Delete(ids);
    return rc;
}

err_t iam_create_instance_profile(api_ctx_t *c)
{
    const char *name = api_in_str(c, "InstanceProfileName");
    const char *path = api_in_str(c, "Path");
    cJSON *existing = NULL;
    err_t rc = res_get_by_name(c->tx, c->account, IAM_PROFILE, iam_fold(c, name), &existing, c->eb);
    cJSON_Delete(existing);
    if (rc) return rc;
    if (existing)
        return err_fail(c->eb, ERR_IAM_ALREADY_EXISTS, "Instance Profile %s already exists.", name);
    char id[32];
    iam_new_id(c, "AIPA", id);
    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "Path", path ? path : "/");
    cJSON_AddStringToObject(b, "InstanceProfileName", name);
    cJSON_AddStringToObject(b, "InstanceProfileId", id);
    cJSON_AddStringToObject(b, "Arn", iam_arn(c, "instance-profile", path, name));
    cJSON_AddNumberToObject(b, "CreateDate", iam_now(c));
    const cJSON *tags = cJSON_GetObjectItemCaseSensitive(c->in, "Tags");
    if (tags && cJSON_GetArraySize(tags))
        cJSON_AddItemToObject(b, "Tags", cJSON_Duplicate(tags, 1));
    res_key_t k = {c->account, IAM_PROFILE, id};
    res_row_t row = {.name = iam_fold(c, name), .created_ms = (int64_t)(iam_now(c) * 1000)};
    rc = res_insert(c->tx, &k, &row, b, c->eb);
    cJSON_AddArrayToObject(b, "Roles");
    cJSON_AddItemToObject(c->out, "InstanceProfile", b);
    return rc;
}

err_t iam_get_instance_profile(api_ctx_t *c)
{
    cJSON *p = NULL;
    err_t rc = profile_find(c, api_in_str(c, "InstanceProfileName"), &p);
    if (!rc) rc = profile_roles(c, p);
    if (p) cJSON_AddItemToObject(c->out, "InstanceProfile", p);
    return rc;
}

err_t iam_delete_instance_profile(api_ctx_t *c)
{
    cJSON *p = NULL;
    err_t rc = profile_find(c, api_in_str(c, "InstanceProfileName"), &p);
    if (rc) return rc;
    const char *id = arena_strdup(c->arena, jx_str(p, "InstanceProfileId"));
    cJSON_Delete(p);
    int64_t n = 0;
    rc = iam_link_count(c, IAM_LINK_PROFILE, true, id, &n);
    if (!rc && n)
        return err_fail(c->eb, ERR_IAM_DELETE_CONFLICT,
                        "Cannot delete entity, must remove roles from instance profile first.");
    if (!rc) rc = res_delete(c->tx, &(res_key_t){c->account, IAM_PROFILE, id}, NULL, c->eb);
    return rc;
}

/* The profile and role an Add/RemoveRole call names: their ids in the request arena. */
static err_t profile_and_role(api_ctx_t *c, const char **profile_id, const char **role_id,
                              const char **role_arn)
{
    cJSON *p = NULL, *r = NULL;
    err_t rc = profile_find(c, api_in_str(c, "InstanceProfileName"), &p);
    if (!rc) rc = iam_find(c, "role", api_in_str(c, "RoleName"), &r);
    if (!rc) {
        *profile_id = arena_strdup(c->arena, jx_str(p, "InstanceProfileId"));
        *role_id = arena_strdup(c->arena, jx_str(r, "RoleId"));
        *role_arn = arena_strdup(c->arena, jx_str(r, "Arn"));
    }
    cJSON_Delete(p);
    cJSON_Delete(r);
    return rc;
}

err_t iam_add_role_to_instance_profile(api_ctx_t *c)
{
    const char *pid, *rid, *arn;
    err_t rc = profile_and_role(c, &pid, &rid, &arn);
    /* the role is handed to whatever runs with the profile: the caller may pass it */
    if (!rc) rc = api_check_action(c, "iam:PassRole", arn, NULL, NULL);
    int64_t n = 0;
    if (!rc) rc = iam_link_count(c, IAM_LINK_PROFILE, true, pid, &n);
    if (!rc && n >= IAM_ROLES_PER_PROFILE)
        return err_fail(c->eb, ERR_IAM_LIMIT_EXCEEDED,
                        "Cannot exceed quota for InstanceSessionsPerInstanceProfile: %d",
                        IAM_ROLES_PER_PROFILE);
    if (!rc) rc = iam_link_add(c, IAM_LINK_PROFILE, pid, rid, NULL);
    return rc;
}

err_t iam_remove_role_from_instance_profile(api_ctx_t *c)
{
    const char *pid, *rid, *arn;
    err_t rc = profile_and_role(c, &pid, &rid, &arn);
    bool found = false;
    if (!rc) rc = iam_link_del(c, IAM_LINK_PROFILE, pid, rid, &found);
    if (!rc && !found)
        rc = err_fail(c->eb, ERR_IAM_NO_SUCH_ENTITY,
                      "The role with name %s cannot be found in instance profile %s.",
                      api_in_str(c, "RoleName"), api_in_str(c, "InstanceProfileName"));
    return rc;
}

/* Fills in the Roles of every profile of list. */
static err_t profiles_roles(api_ctx_t *c, cJSON *list)
{
    err_t rc = ERR_OK;
    for (cJSON *p = list->child; !rc && p; p = p->next) rc = profile_roles(c, p);
    return rc;
}

err_t iam_list_instance_profiles(api_ctx_t *c)
{
    res_page_t pg;
    err_t rc = iam_page_in(c, &pg);
    if (rc) return rc;
    res_query_t q = {c->account, IAM_PROFILE, NULL, 0, 0};
    cJSON *list = cJSON_AddArrayToObject(c->out, "InstanceProfiles");
    rc = res_list_page(c->tx, &q, &pg, iam_keep_path, c, list, c->eb);
    if (!rc) rc = profiles_roles(c, list);
    if (!rc) iam_page_out(c, &pg);
    return rc;
}

err_t iam_list_instance_profiles_for_role(api_ctx_t *c)
{
    res_page_t pg;
    err_t rc = iam_page_in(c, &pg);
    cJSON *r = NULL;
    if (!rc) rc = iam_find(c, "role", api_in_str(c, "RoleName"), &r);
    if (rc) return rc;
    cJSON *ids = cJSON_CreateArray();
    rc = res_links_page(c->tx, c->account, IAM_LINK_PROFILE, false, jx_str(r, "RoleId"), &pg, NULL,
                        NULL, ids, c->eb);
    cJSON *list = cJSON_AddArrayToObject(c->out, "InstanceProfiles");
    if (!rc) rc = iam_load_ids(c, IAM_PROFILE, ids, list);
    if (!rc) rc = profiles_roles(c, list);
    cJSON_Delete(ids);
    cJSON_Delete(r);
    if (!rc) iam_page_out(c, &pg);
    return rc;
}
