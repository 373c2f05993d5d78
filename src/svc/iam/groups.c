/* groups.c - IAM groups and membership: CreateGroup, GetGroup, DeleteGroup,
 * AddUserToGroup, RemoveUserFromGroup, ListGroupsForUser (ListGroups is in users.c). */
#include "svc/iam/iam_int.h"
#include "core/jx.h"

#include <string.h>

err_t iam_create_group(api_ctx_t *c)
{
    cJSON *g = NULL;
    err_t rc = iam_entity_new(c, "group", "AGPA", &g);
    return rc ? rc : iam_entity_insert(c, "group", g, "Group");
}

err_t iam_get_group(api_ctx_t *c)
{
    res_page_t p;
    err_t rc = iam_page_in(c, &p);
    cJSON *g = NULL;
    if (!rc) rc = iam_find(c, "group", api_in_str(c, "GroupName"), &g);
    if (rc) return rc;
    cJSON *ids = cJSON_CreateArray();
    rc = res_links_page(c->tx, c->account, IAM_LINK_MEMBER, true, jx_str(g, "GroupId"), &p, NULL,
                        NULL, ids, c->eb);
    cJSON_AddItemToObject(c->out, "Group", g);
    cJSON *users = cJSON_AddArrayToObject(c->out, "Users");
    if (!rc) rc = iam_load_ids(c, IAM_USER, ids, users);
    cJSON_Delete(ids);
    if (!rc) iam_page_out(c, &p);
    return rc;
}

err_t iam_delete_group(api_ctx_t *c)
{
    cJSON *g = NULL;
    err_t rc = iam_find(c, "group", api_in_str(c, "GroupName"), &g);
    if (rc) return rc;
    const char *id = arena_strdup(c->arena, jx_str(g, "GroupId"));
    cJSON_Delete(g);
    int64_t n = 0;
    rc = iam_link_count(c, IAM_LINK_MEMBER, true, id, &n);
    if (!rc && n)
        return err_fail(c->eb, ERR_IAM_DELETE_CONFLICT,
                        "Cannot delete entity, must remove users from group first.");
    if (!rc) rc = iam_link_count(c, IAM_LINK_ATTACH, true, id, &n);
    if (!rc && n)
        return err_fail(c->eb, ERR_IAM_DELETE_CONFLICT,
                        "Cannot delete entity, must detach all policies first.");
    cJSON *inl = cJSON_CreateArray();
    bool more;
    res_query_t q = {c->account, IAM_INLINE, id, 0, 1};
    if (!rc) rc = res_list(c->tx, &q, inl, &more, c->eb);
    bool has_inline = cJSON_GetArraySize(inl) > 0;
    cJSON_Delete(inl);
    if (!rc && has_inline)
        return err_fail(c->eb, ERR_IAM_DELETE_CONFLICT,
                        "Cannot delete entity, must delete policies first.");
    if (!rc) rc = res_delete(c->tx, &(res_key_t){c->account, IAM_GROUP, id}, NULL, c->eb);
    return rc;
}

/* Looks up the group and the user a membership call names. */
static err_t iam_member_pair(api_ctx_t *c, const char **gid, const char **uid)
{
    cJSON *g = NULL, *u = NULL;
    err_t rc = iam_find(c, "group", api_in_str(c, "GroupName"), &g);
    if (!rc) rc = iam_find(c, "user", api_in_str(c, "UserName"), &u);
    if (!rc) {
        *gid = arena_strdup(c->arena, jx_str(g, "GroupId"));
        *uid = arena_strdup(c->arena, jx_str(u, "UserId"));
    }
    cJSON_Delete(g);
    cJSON_Delete(u);
    return rc;
}

err_t iam_add_user_to_group(api_ctx_t *c)
{
    const char *gid, *uid;
    err_t rc = iam_member_pair(c, &gid, &uid);
    if (!rc) rc = iam_link_add(c, IAM_LINK_MEMBER, gid, uid, NULL);
    return rc;
}

err_t iam_remove_user_from_group(api_ctx_t *c)
{
    const char *gid, *uid;
    bool found = false;
    err_t rc = iam_member_pair(c, &gid, &uid);
    if (!rc) rc = iam_link_del(c, IAM_LINK_MEMBER, gid, uid, &found);
    if (!rc && !found)
        rc = err_fail(c->eb, ERR_IAM_NO_SUCH_ENTITY, "The user with name %s cannot be found.",
                      api_in_str(c, "UserName"));
    return rc;
}

err_t iam_list_groups_for_user(api_ctx_t *c)
{
    res_page_t p;
    err_t rc = iam_page_in(c, &p);
    cJSON *u = NULL;
    if (!rc) rc = iam_find(c, "user", api_in_str(c, "UserName"), &u);
    if (rc) return rc;
    cJSON *ids = cJSON_CreateArray();
    rc = res_links_page(c->tx, c->account, IAM_LINK_MEMBER, false, jx_str(u, "UserId"), &p, NULL,
                        NULL, ids, c->eb);
    cJSON_Delete(u);
    cJSON *groups = cJSON_AddArrayToObject(c->out, "Groups");
    if (!rc) rc = iam_load_ids(c, IAM_GROUP, ids, groups);
    cJSON_Delete(ids);
    if (!rc) iam_page_out(c, &p);
    return rc;
}
