/* inline.c - inline policies of users, groups and roles: Put/Get/List/Delete
 * {User,Group,Role}Policy. One resource per policy, id "<owner id>:<PolicyName>". */
#include "svc/iam/iam_int.h"
#include "core/jx.h"

#include <string.h>

typedef struct inline_kind {
    const char *type, *name_member;
    size_t quota; /* characters without whitespace, all of the owner's inline policies */
    const char *quota_name;
} inline_kind_t;

static const inline_kind_t inline_user = {"user", "UserName", 2048, "PolicySize"};
static const inline_kind_t inline_group = {"group", "GroupName", 5120, "PolicySize"};
static const inline_kind_t inline_role = {"role", "RoleName", 10240, "PolicySize"};

static err_t inline_owner(api_ctx_t *c, const inline_kind_t *k, cJSON **owner)
{
    return iam_find(c, k->type, api_in_str(c, k->name_member), owner);
}

static res_key_t inline_key(api_ctx_t *c, const cJSON *owner, const char *policy)
{
    return (res_key_t){c->account, IAM_INLINE,
                       arena_printf(c->arena, "%s:%s", iam_entity_id(owner), iam_fold(c, policy))};
}

static err_t inline_put(api_ctx_t *c, const inline_kind_t *k)
{
    const char *name = api_in_str(c, "PolicyName");
    const char *doc = api_in_str(c, "PolicyDocument");
    cJSON *owner = NULL;
    err_t rc = inline_owner(c, k, &owner);
    if (!rc) rc = iam_check_document(c, doc, POLICY_IDENTITY, k->quota, k->quota_name);
    if (rc) {
        cJSON_Delete(owner);
        return rc;
    }
    /* the quota counts every inline policy of the owner together */
    cJSON *all = cJSON_CreateArray();
    bool more;
    res_query_t q = {c->account, IAM_INLINE, iam_entity_id(owner), 0, 0};
    rc = res_list(c->tx, &q, all, &more, c->eb);
    size_t total = policy_size_nows(span_of(doc));
    for (cJSON *p = all->child; p; p = p->next)
        if (strcmp(iam_fold(c, jx_str(p, "PolicyName")), iam_fold(c, name)))
            total += policy_size_nows(span_of(jx_str(p, "PolicyDocument")));
    cJSON_Delete(all);
    if (!rc && total > k->quota)
        rc = err_fail(c->eb, ERR_IAM_LIMIT_EXCEEDED,
                      "Maximum policy size of %zu bytes exceeded for %s %s", k->quota, k->type,
                      api_in_str(c, k->name_member));
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "PolicyName", name);
    cJSON_AddStringToObject(body, "PolicyDocument", doc);
    res_key_t key = inline_key(c, owner, name);
    bool found = false;
    if (!rc) rc = res_update(c->tx, &key, NULL, (int64_t)(iam_now(c) * 1000), body, &found, c->eb);
    if (!rc && !found) {
        res_row_t row = {.parent = iam_entity_id(owner),
                         .created_ms = (int64_t)(iam_now(c) * 1000)};
        rc = res_insert(c->tx, &key, &row, body, c->eb);
    }
    cJSON_Delete(body);
    cJSON_Delete(owner);
    return rc;
}

static err_t inline_get(api_ctx_t *c, const inline_kind_t *k)
{
    const char *name = api_in_str(c, "PolicyName");
    cJSON *owner = NULL, *p = NULL;
    err_t rc = inline_owner(c, k, &owner);
    if (!rc) {
        res_key_t key = inline_key(c, owner, name);
        rc = res_get(c->tx, &key, &p, c->eb);
    }
    if (!rc && !p)
        rc = err_fail(c->eb, ERR_IAM_NO_SUCH_ENTITY, "The %s policy with name %s cannot be found.",
                      k->type, name);
    if (!rc) {
        cJSON_AddStringToObject(c->out, k->name_member, jx_str(owner, k->name_member));
        cJSON_AddStringToObject(c->out, "PolicyName", jx_str(p, "PolicyName"));
        cJSON_AddStringToObject(c->out, "PolicyDocument", jx_str(p, "PolicyDocument"));
    }
    cJSON_Delete(p);
    cJSON_Delete(owner);
    return rc;
}

static err_t inline_list(api_ctx_t *c, const inline_kind_t *k)
{
    res_page_t pg;
    err_t rc = iam_page_in(c, &pg);
    cJSON *owner = NULL;
    if (!rc) rc = inline_owner(c, k, &owner);
    if (rc) return rc;
    cJSON *page = cJSON_CreateArray();
    res_query_t q = {c->account, IAM_INLINE, iam_entity_id(owner), 0, 0};
    rc = res_list_page(c->tx, &q, &pg, NULL, NULL, page, c->eb);
    cJSON *names = cJSON_AddArrayToObject(c->out, "PolicyNames");
    for (cJSON *p = page->child; p; p = p->next)
        cJSON_AddItemToArray(names, cJSON_CreateString(jx_str(p, "PolicyName")));
    cJSON_Delete(page);
    cJSON_Delete(owner);
    if (!rc) iam_page_out(c, &pg);
    return rc;
}

static err_t inline_delete(api_ctx_t *c, const inline_kind_t *k)
{
    const char *name = api_in_str(c, "PolicyName");
    cJSON *owner = NULL;
    bool found = false;
    err_t rc = inline_owner(c, k, &owner);
    if (!rc) {
        res_key_t key = inline_key(c, owner, name);
        rc = res_delete(c->tx, &key, &found, c->eb);
    }
    if (!rc && !found)
        rc = err_fail(c->eb, ERR_IAM_NO_SUCH_ENTITY, "The %s policy with name %s cannot be found.",
                      k->type, name);
    cJSON_Delete(owner);
    return rc;
}

err_t iam_put_user_policy(api_ctx_t *c)
{
    return inline_put(c, &inline_user);
}
err_t iam_get_user_policy(api_ctx_t *c)
{
    return inline_get(c, &inline_user);
}
err_t iam_list_user_policies(api_ctx_t *c)
{
    return inline_list(c, &inline_user);
}
err_t iam_delete_user_policy(api_ctx_t *c)
{
    return inline_delete(c, &inline_user);
}
err_t iam_put_group_policy(api_ctx_t *c)
{
    return inline_put(c, &inline_group);
}
err_t iam_get_group_policy(api_ctx_t *c)
{
    return inline_get(c, &inline_group);
}
err_t iam_list_group_policies(api_ctx_t *c)
{
    return inline_list(c, &inline_group);
}
err_t iam_delete_group_policy(api_ctx_t *c)
{
    return inline_delete(c, &inline_group);
}
err_t iam_put_role_policy(api_ctx_t *c)
{
    return inline_put(c, &inline_role);
}
err_t iam_get_role_policy(api_ctx_t *c)
{
    return inline_get(c, &inline_role);
}
err_t iam_list_role_policies(api_ctx_t *c)
{
    return inline_list(c, &inline_role);
}
err_t iam_delete_role_policy(api_ctx_t *c)
{
    return inline_delete(c, &inline_role);
}
