/* attach.c - managed policy attachments: Attach/Detach/ListAttached{User,Group,Role}Policies
 * and ListEntitiesForPolicy. A link (owner id -> policy ARN) per attachment; the policy's
 * AttachmentCount follows. */
#include "svc/iam/iam_int.h"
#include "core/jx.h"

#include <string.h>

#define IAM_MAX_ATTACHED 10

/* "PoliciesPerUser" etc., for the quota message. */
static const char *iam_quota_name(const char *type)
{
    return !strcmp(type, "user")    ? "PoliciesPerUser"
           : !strcmp(type, "group") ? "PoliciesPerGroup"
                                    : "PoliciesPerRole";
}

static const char *iam_name_member(const char *type)
{
    return !strcmp(type, "user") ? "UserName" : !strcmp(type, "group") ? "GroupName" : "RoleName";
}

/* Adjusts p's AttachmentCount by delta and saves it. */
static err_t iam_count_attachment(api_ctx_t *c, cJSON *p, int delta)
{
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(p, "AttachmentCount");
    int v = (cJSON_IsNumber(n) ? n->valueint : 0) + delta;
    jx_set(p, "AttachmentCount", cJSON_CreateNumber(v < 0 ? 0 : v));
    return iam_policy_save(c, p);
}

static err_t iam_attach(api_ctx_t *c, const char *type)
{
    const char *arn = api_in_str(c, "PolicyArn");
    cJSON *e = NULL, *p = NULL;
    err_t rc = iam_find(c, type, api_in_str(c, iam_name_member(type)), &e);
    if (!rc) rc = iam_policy_by_arn(c, arn, &p);
    const char *owner = e ? iam_entity_id(e) : NULL;
    int64_t n = 0;
    if (!rc) rc = iam_link_count(c, IAM_LINK_ATTACH, true, owner, &n);
    bool existed = false;
    if (!rc && n >= IAM_MAX_ATTACHED) {
        /* re-attaching what is attached is fine even at the quota */
        cJSON *have = cJSON_CreateArray();
        rc = iam_links(c, IAM_LINK_ATTACH, true, owner, have);
        for (cJSON *h = have->child; h; h = h->next) existed |= !strcmp(h->valuestring, arn);
        cJSON_Delete(have);
        if (!rc && !existed)
            rc = err_fail(c->eb, ERR_IAM_LIMIT_EXCEEDED, "Cannot exceed quota for %s: %d.",
                          iam_quota_name(type), IAM_MAX_ATTACHED);
    }
    if (!rc && !existed) rc = iam_link_add(c, IAM_LINK_ATTACH, owner, arn, &existed);
    if (!rc && !existed) rc = iam_count_attachment(c, p, +1);
    cJSON_Delete(e);
    cJSON_Delete(p);
    return rc;
}

static err_t iam_detach(api_ctx_t *c, const char *type)
{
    const char *arn = api_in_str(c, "PolicyArn");
    cJSON *e = NULL, *p = NULL;
    err_t rc = iam_find(c, type, api_in_str(c, iam_name_member(type)), &e);
    if (!rc) rc = iam_policy_by_arn(c, arn, &p);
    bool found = false;
    if (!rc) rc = iam_link_del(c, IAM_LINK_ATTACH, iam_entity_id(e), arn, &found);
    if (!rc && !found)
        rc = err_fail(c->eb, ERR_IAM_NO_SUCH_ENTITY, "Policy %s was not found.", arn);
    if (!rc) rc = iam_count_attachment(c, p, -1);
    cJSON_Delete(e);
    cJSON_Delete(p);
    return rc;
}

/* Keeps an attached policy ARN (a string) whose policy's Path starts with PathPrefix. */
static err_t iam_keep_attached(void *ctx, const cJSON *arn, const res_pkey_t *k, bool *keep)
{
    (void)k;
    api_ctx_t *c = ctx;
    cJSON *p = NULL;
    err_t rc = iam_policy_by_arn(c, arn->valuestring, &p);
    if (!rc) rc = iam_keep_path(c, p, k, keep);
    cJSON_Delete(p);
    return rc;
}

static err_t iam_list_attached(api_ctx_t *c, const char *type)
{
    res_page_t pg;
    err_t rc = iam_page_in(c, &pg);
    cJSON *e = NULL;
    if (!rc) rc = iam_find(c, type, api_in_str(c, iam_name_member(type)), &e);
    if (rc) return rc;
    cJSON *arns = cJSON_CreateArray();
    rc = res_links_page(c->tx, c->account, IAM_LINK_ATTACH, true, iam_entity_id(e), &pg,
                        iam_keep_attached, c, arns, c->eb);
    cJSON *list = cJSON_AddArrayToObject(c->out, "AttachedPolicies");
    for (cJSON *a = arns->child; !rc && a; a = a->next) {
        cJSON *p = NULL;
        rc = iam_policy_by_arn(c, a->valuestring, &p);
        if (rc) break;
        cJSON *item = cJSON_CreateObject();
        cJSON_AddStringToObject(item, "PolicyName", jx_str(p, "PolicyName"));
        cJSON_AddStringToObject(item, "PolicyArn", a->valuestring);
        cJSON_AddItemToArray(list, item);
        cJSON_Delete(p);
    }
    cJSON_Delete(arns);
    cJSON_Delete(e);
    if (!rc) iam_page_out(c, &pg);
    return rc;
}

err_t iam_attach_user_policy(api_ctx_t *c)
{
    return iam_attach(c, "user");
}
err_t iam_attach_group_policy(api_ctx_t *c)
{
    return iam_attach(c, "group");
}
err_t iam_attach_role_policy(api_ctx_t *c)
{
    return iam_attach(c, "role");
}
err_t iam_detach_user_policy(api_ctx_t *c)
{
    return iam_detach(c, "user");
}
err_t iam_detach_group_policy(api_ctx_t *c)
{
    return iam_detach(c, "group");
}
err_t iam_detach_role_policy(api_ctx_t *c)
{
    return iam_detach(c, "role");
}
err_t iam_list_attached_user_policies(api_ctx_t *c)
{
    return iam_list_attached(c, "user");
}
err_t iam_list_attached_group_policies(api_ctx_t *c)
{
    return iam_list_attached(c, "group");
}
err_t iam_list_attached_role_policies(api_ctx_t *c)
{
    return iam_list_attached(c, "role");
}

static const struct {
    const char *kind, *filter, *name, *id;
} iam_owner_kinds[] = {{IAM_USER, "User", "UserName", "UserId"},
                       {IAM_GROUP, "Group", "GroupName", "GroupId"},
                       {IAM_ROLE, "Role", "RoleName", "RoleId"}};

/* The entity an attachment's owner id names, and its kind (an index of iam_owner_kinds),
 * when EntityFilter lets it through; *e NULL otherwise. */
static err_t iam_owner(api_ctx_t *c, const char *id, cJSON **e, int *kind)
{
    const char *filter = api_in_str(c, "EntityFilter");
    err_t rc = ERR_OK;
    *e = NULL;
    for (int k = 0; k < 3 && !rc && !*e; k++) {
        if (filter && strcmp(filter, iam_owner_kinds[k].filter) &&
            strcmp(filter, "LocalManagedPolicy") && strcmp(filter, "AWSManagedPolicy"))
            continue;
        rc = res_get(c->tx, &(res_key_t){c->account, iam_owner_kinds[k].kind, id}, e, c->eb);
        *kind = k;
    }
    return rc;
}

static err_t iam_keep_owner(void *ctx, const cJSON *id, const res_pkey_t *k, bool *keep)
{
    (void)k;
    cJSON *e = NULL;
    int kind;
    err_t rc = iam_owner(ctx, id->valuestring, &e, &kind);
    *keep = e != NULL;
    cJSON_Delete(e);
    return rc;
}

err_t iam_list_entities_for_policy(api_ctx_t *c)
{
    const char *arn = api_in_str(c, "PolicyArn");
    res_page_t pg;
    cJSON *p = NULL;
    err_t rc = iam_page_in(c, &pg);
    if (!rc) rc = iam_policy_by_arn(c, arn, &p);
    cJSON_Delete(p);
    if (rc) return rc;
    cJSON *owners = cJSON_CreateArray();
    rc = res_links_page(c->tx, c->account, IAM_LINK_ATTACH, false, arn, &pg, iam_keep_owner, c,
                        owners, c->eb);
    cJSON *lists[3] = {cJSON_AddArrayToObject(c->out, "PolicyUsers"),
                       cJSON_AddArrayToObject(c->out, "PolicyGroups"),
                       cJSON_AddArrayToObject(c->out, "PolicyRoles")};
    for (cJSON *o = owners->child; !rc && o; o = o->next) {
        cJSON *e = NULL;
        int k = 0;
        rc = iam_owner(c, o->valuestring, &e, &k);
        if (!e) continue;
        cJSON *item = cJSON_CreateObject();
        cJSON_AddStringToObject(item, iam_owner_kinds[k].name, jx_str(e, iam_owner_kinds[k].name));
        cJSON_AddStringToObject(item, iam_owner_kinds[k].id, o->valuestring);
        cJSON_AddItemToArray(lists[k], item);
        cJSON_Delete(e);
    }
    cJSON_Delete(owners);
    if (!rc) iam_page_out(c, &pg);
    return rc;
}
