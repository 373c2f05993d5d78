/* users.c - IAM users: CreateUser, GetUser, ListUsers, UpdateUser, DeleteUser. */
#include "svc/iam/iam_int.h"
#include "core/jx.h"

#include <string.h>

err_t iam_create_user(api_ctx_t *c)
{
    cJSON *u = NULL;
    err_t rc = iam_entity_new(c, "user", "AIDA", &u);
    if (rc) return rc;
    const cJSON *tags = cJSON_GetObjectItemCaseSensitive(c->in, "Tags");
    if (tags && cJSON_GetArraySize(tags))
        cJSON_AddItemToObject(u, "Tags", cJSON_Duplicate(tags, 1));
    const char *pb = api_in_str(c, "PermissionsBoundary");
    if (pb) {
        cJSON *b = cJSON_AddObjectToObject(u, "PermissionsBoundary");
        cJSON_AddStringToObject(b, "PermissionsBoundaryType", "Policy");
        cJSON_AddStringToObject(b, "PermissionsBoundaryArn", pb);
    }
    return iam_entity_insert(c, "user", u, "User");
}

err_t iam_get_user(api_ctx_t *c)
{
    const char *name = api_in_str(c, "UserName");
    if (!name) {
        /* no name: the caller itself */
        if (c->caller->kind == AUTH_ROOT) {
            cJSON *u = cJSON_AddObjectToObject(c->out, "User");
            cJSON_AddStringToObject(u, "UserId", c->caller->account);
            cJSON_AddStringToObject(u, "Arn", c->caller->arn);
            cJSON_AddNumberToObject(u, "CreateDate", 0);
            return ERR_OK;
        }
        if (c->caller->kind != AUTH_USER)
            return err_fail(c->eb, ERR_VALIDATION,
                            "Must specify userName when calling with non-User credentials");
        name = c->caller->name;
    }
    cJSON *u = NULL;
    err_t rc = iam_find(c, "user", name, &u);
    if (!rc) cJSON_AddItemToObject(c->out, "User", u);
    return rc;
}

/* Appends one page of the entities of kind whose Path starts with PathPrefix. */
static err_t iam_list_kind(api_ctx_t *c, const char *kind, const char *member)
{
    res_page_t p;
    err_t rc = iam_page_in(c, &p);
    if (rc) return rc;
    res_query_t q = {c->account, kind, NULL, 0, 0};
    rc = res_list_page(c->tx, &q, &p, iam_keep_path, c, cJSON_AddArrayToObject(c->out, member),
                       c->eb);
    if (!rc) iam_page_out(c, &p);
    return rc;
}

err_t iam_list_users(api_ctx_t *c)
{
    return iam_list_kind(c, IAM_USER, "Users");
}

err_t iam_list_groups(api_ctx_t *c)
{
    return iam_list_kind(c, IAM_GROUP, "Groups");
}

err_t iam_list_roles(api_ctx_t *c)
{
    return iam_list_kind(c, IAM_ROLE, "Roles");
}

err_t iam_update_user(api_ctx_t *c)
{
    const char *name = api_in_str(c, "UserName");
    const char *new_name = api_in_str(c, "NewUserName");
    const char *new_path = api_in_str(c, "NewPath");
    cJSON *u = NULL;
    err_t rc = iam_find(c, "user", name, &u);
    if (rc) return rc;
    if (new_name && strcmp(iam_fold(c, new_name), iam_fold(c, name)) != 0) {
        cJSON *other = NULL;
        rc = res_get_by_name(c->tx, c->account, IAM_USER, iam_fold(c, new_name), &other, c->eb);
        cJSON_Delete(other);
        if (!rc && other)
            rc = err_fail(c->eb, ERR_IAM_ALREADY_EXISTS, "User with name %s already exists.",
                          new_name);
    }
    if (!rc) {
        const char *final_name = new_name ? new_name : name;
        /* a copy: the jx_set below frees the stored Path this would otherwise point into */
        const char *path = new_path ? new_path : jx_str(u, "Path");
        path = arena_strdup(c->arena, path ? path : "/");
        jx_set(u, "UserName", cJSON_CreateString(final_name));
        jx_set(u, "Path", cJSON_CreateString(path));
        jx_set(u, "Arn", cJSON_CreateString(iam_arn(c, "user", path, final_name)));
        res_key_t k = {c->account, IAM_USER, jx_str(u, "UserId")};
        rc = res_update(c->tx, &k, NULL, (int64_t)(iam_now(c) * 1000), u, NULL, c->eb);
        if (!rc)
            rc = store_exec(
                c->tx, c->eb, NULL,
                "UPDATE resources SET name = ? WHERE account = ? AND kind = ? AND id = ?", "ssss",
                iam_fold(c, final_name), k.account, k.kind, k.id);
        if (!rc) c->post |= API_POST_AUTH_CHANGED; /* cached principals carry the ARN */
    }
    cJSON_Delete(u);
    return rc;
}

/* DeleteConflict unless the user owns nothing: AWS's order of complaints. */
static err_t iam_user_deletable(api_ctx_t *c, const char *id)
{
    store_stmt_t *st;
    bool row = false;
    err_t rc = store_query(c->tx, c->eb, &st,
                           "SELECT COUNT(*) FROM access_keys WHERE account_id = ? AND kind = 'user'"
                           " AND principal = ?",
                           "ss", c->account, id);
    if (!rc) rc = store_step(st, &row, c->eb);
    int64_t keys = row ? store_col_int(st, 0) : 0;
    if (!rc && row) rc = store_step(st, &row, c->eb);
    if (!rc && keys)
        return err_fail(c->eb, ERR_IAM_DELETE_CONFLICT,
                        "Cannot delete entity, must delete access keys first.");
    cJSON *lp = NULL;
    if (!rc) rc = res_get(c->tx, &(res_key_t){c->account, IAM_LOGIN, id}, &lp, c->eb);
    bool has_lp = lp != NULL;
    cJSON_Delete(lp);
    if (!rc && has_lp)
        return err_fail(c->eb, ERR_IAM_DELETE_CONFLICT,
                        "Cannot delete entity, must delete login profile first.");
    int64_t n = 0;
    if (!rc) rc = iam_link_count(c, IAM_LINK_MEMBER, false, id, &n);
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
    return rc;
}

err_t iam_delete_user(api_ctx_t *c)
{
    cJSON *u = NULL;
    err_t rc = iam_find(c, "user", api_in_str(c, "UserName"), &u);
    if (rc) return rc;
    const char *id = arena_strdup(c->arena, jx_str(u, "UserId"));
    cJSON_Delete(u);
    rc = iam_user_deletable(c, id);
    if (!rc) rc = res_delete(c->tx, &(res_key_t){c->account, IAM_USER, id}, NULL, c->eb);
    if (!rc) c->post |= API_POST_AUTH_CHANGED;
    return rc;
}
