/* details.c - GetAccountAuthorizationDetails: every user, group, role and managed policy
 * of the account with what it holds (inline policies, attached policies, groups, instance
 * profiles, versions), filtered by entity type and paged by Marker/MaxItems over one key
 * order of five segments: users, groups, roles, customer managed policies, then the AWS
 * managed policies attached in the account. */
#include "svc/iam/iam_int.h"
#include "core/jx.h"

#include <string.h>

/* Whether the request's Filter lets entity type `t` through (no Filter: every type). */
static bool details_wanted(api_ctx_t *c, const char *t)
{
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(c->in, "Filter");
    if (!cJSON_GetArraySize(f)) return true;
    for (const cJSON *e = f->child; e; e = e->next)
        if (cJSON_IsString(e) && !strcmp(e->valuestring, t)) return true;
    return false;
}

/* Adds list_member: the inline policies of owner id as {PolicyName, PolicyDocument}. */
static err_t details_inline(api_ctx_t *c, cJSON *e, const char *id, const char *list_member)
{
    cJSON *all = cJSON_CreateArray();
    bool more;
    res_query_t q = {c->account, IAM_INLINE, id, 0, 0};
    err_t rc = res_list(c->tx, &q, all, &more, c->eb);
    cJSON *out = cJSON_AddArrayToObject(e, list_member);
    for (const cJSON *p = all->child; p; p = p->next) {
        cJSON *item = cJSON_CreateObject();
        cJSON_AddStringToObject(item, "PolicyName", jx_str(p, "PolicyName"));
        cJSON_AddStringToObject(item, "PolicyDocument", jx_str(p, "PolicyDocument"));
        cJSON_AddItemToArray(out, item);
    }
    cJSON_Delete(all);
    return rc;
}

/* Adds AttachedManagedPolicies: {PolicyName, PolicyArn} of every policy attached to id. */
static err_t details_attached(api_ctx_t *c, cJSON *e, const char *id)
{
    cJSON *arns = cJSON_CreateArray();
    err_t rc = iam_links(c, IAM_LINK_ATTACH, true, id, arns);
    if (!rc) rc = iam_attached_items(c, arns, cJSON_AddArrayToObject(e, "AttachedManagedPolicies"));
    cJSON_Delete(arns);
    return rc;
}

/* The details of one user (GroupList: the names of the user's groups). */
static err_t details_user(api_ctx_t *c, cJSON *u)
{
    const char *id = jx_str(u, "UserId");
    err_t rc = details_inline(c, u, id, "UserPolicyList");
    if (!rc) rc = details_attached(c, u, id);
    cJSON *gids = cJSON_CreateArray(), *groups = cJSON_CreateArray();
    if (!rc) rc = iam_links(c, IAM_LINK_MEMBER, false, id, gids);
    if (!rc) rc = iam_load_ids(c, IAM_GROUP, gids, groups);
    cJSON *names = cJSON_AddArrayToObject(u, "GroupList");
    for (const cJSON *g = groups->child; g; g = g->next)
        cJSON_AddItemToArray(names, cJSON_CreateString(jx_str(g, "GroupName")));
    cJSON_Delete(gids);
    cJSON_Delete(groups);
    return rc;
}

static err_t details_group(api_ctx_t *c, cJSON *g)
{
    const char *id = jx_str(g, "GroupId");
    err_t rc = details_inline(c, g, id, "GroupPolicyList");
    if (!rc) rc = details_attached(c, g, id);
    return rc;
}

/* The details of one role (InstanceProfileList: the profiles holding it, with their roles). */
static err_t details_role(api_ctx_t *c, cJSON *r)
{
    const char *id = jx_str(r, "RoleId");
    err_t rc = details_inline(c, r, id, "RolePolicyList");
    if (!rc) rc = details_attached(c, r, id);
    cJSON *pids = cJSON_CreateArray();
    cJSON *profiles = cJSON_AddArrayToObject(r, "InstanceProfileList");
    if (!rc) rc = iam_links(c, IAM_LINK_PROFILE, false, id, pids);
    if (!rc) rc = iam_load_ids(c, IAM_PROFILE, pids, profiles);
    for (cJSON *p = profiles->child; !rc && p; p = p->next) rc = iam_profile_roles(c, p);
    cJSON_Delete(pids);
    return rc;
}

/* The details of one managed policy: PolicyVersionList, newest first. */
static err_t details_policy(api_ctx_t *c, cJSON *p)
{
    cJSON *vs = NULL;
    err_t rc = iam_versions(c, p, &vs);
    cJSON *list = cJSON_AddArrayToObject(p, "PolicyVersionList");
    while (vs && cJSON_GetArraySize(vs))
        cJSON_AddItemToArray(list, cJSON_DetachItemFromArray(vs, cJSON_GetArraySize(vs) - 1));
    cJSON_Delete(vs);
    return rc;
}

/* Keeps AWS managed policies attached to something in the account. */
static err_t details_keep_attached(void *ctx, const cJSON *e, const res_pkey_t *k, bool *keep)
{
    (void)k;
    int64_t n = 0;
    err_t rc = iam_link_count(ctx, IAM_LINK_ATTACH, false, jx_str(e, "Arn"), &n);
    *keep = n > 0;
    return rc;
}

err_t iam_get_account_authorization_details(api_ctx_t *c)
{
    static const struct {
        const char *filter, *segment, *kind, *member;
        bool aws;
        err_t (*fill)(api_ctx_t *c, cJSON *e);
    } parts[] = {
        {"User", "1user", IAM_USER, "UserDetailList", false, details_user},
        {"Group", "2group", IAM_GROUP, "GroupDetailList", false, details_group},
        {"Role", "3role", IAM_ROLE, "RoleDetailList", false, details_role},
        {"LocalManagedPolicy", "4local", IAM_POLICY, "Policies", false, details_policy},
        {"AWSManagedPolicy", "5aws", IAM_POLICY, "Policies", true, details_policy},
    };
    res_page_t p;
    err_t rc = iam_page_in(c, &p);
    if (rc) return rc;
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
        if (!cJSON_GetObjectItemCaseSensitive(c->out, parts[i].member))
            cJSON_AddArrayToObject(c->out, parts[i].member);
    for (size_t i = 0; !rc && !p.more && i < sizeof(parts) / sizeof(parts[0]); i++) {
        if (!details_wanted(c, parts[i].filter)) continue;
        cJSON *page = cJSON_CreateArray();
        res_query_t q = {parts[i].aws ? IAM_AWS_ACCOUNT : c->account, parts[i].kind, NULL, 0, 0};
        p.segment = parts[i].segment;
        rc = res_list_page(c->tx, &q, &p, parts[i].aws ? details_keep_attached : NULL, c, page,
                           c->eb);
        for (cJSON *e = page->child; !rc && e; e = e->next) rc = parts[i].fill(c, e);
        cJSON *out = cJSON_GetObjectItemCaseSensitive(c->out, parts[i].member);
        while (cJSON_GetArraySize(page))
            cJSON_AddItemToArray(out, cJSON_DetachItemFromArray(page, 0));
        cJSON_Delete(page);
    }
    if (!rc) iam_page_out(c, &p);
    return rc;
}
