/* extras.c - the smaller role, user and group operations: UpdateRoleDescription,
 * Put/DeleteRolePermissionsBoundary, Put/DeleteUserPermissionsBoundary (the boundary is
 * weighed by every authorization of the principal: iam/identity.c), UpdateGroup, and the
 * service-linked roles (CreateServiceLinkedRole, DeleteServiceLinkedRole,
 * GetServiceLinkedRoleDeletionStatus). */
#include "svc/iam/iam_int.h"
#include "core/jx.h"

#include "core/ids.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define IAM_SLR_PATH "/aws-service-role/"
#define IAM_SLR_TASK "iam.slr_deletion" /* id = DeletionTaskId */

/* Saves entity e of type ("user", "role", "group") after a change. */
static err_t entity_save(api_ctx_t *c, const char *type, const cJSON *e)
{
    res_key_t k = {c->account, iam_kind(type), iam_entity_id(e)};
    return res_update(c->tx, &k, NULL, (int64_t)(iam_now(c) * 1000), e, NULL, c->eb);
}

bool iam_is_service_linked(const cJSON *role)
{
    const char *path = jx_str(role, "Path");
    return path && !strncmp(path, IAM_SLR_PATH, strlen(IAM_SLR_PATH));
}

err_t iam_protect_slr(api_ctx_t *c, const cJSON *role)
{
    if (!iam_is_service_linked(role)) return ERR_OK;
    return err_fail(c->eb, ERR_IAM_UNMODIFIABLE,
                    "Cannot perform the operation on the protected role '%s' - this role is only "
                    "modifiable by AWS",
                    jx_str(role, "RoleName"));
}

err_t iam_update_role_description(api_ctx_t *c)
{
    cJSON *r = NULL;
    err_t rc = iam_find(c, "role", api_in_str(c, "RoleName"), &r);
    if (!rc) rc = iam_protect_slr(c, r);
    if (!rc) {
        jx_set_str(r, "Description", api_in_str(c, "Description"));
        rc = entity_save(c, "role", r);
    }
    if (!rc)
        cJSON_AddItemToObject(c->out, "Role", r);
    else
        cJSON_Delete(r);
    return rc;
}

/* ---- permissions boundaries */

/* Adds delta to the PermissionsBoundaryUsageCount of managed policy arn (when it exists). */
static err_t boundary_count(api_ctx_t *c, const char *arn, int delta)
{
    cJSON *p = NULL;
    err_t rc = iam_policy_by_arn(c, arn, &p);
    if (rc == ERR_IAM_NO_SUCH_ENTITY) return ERR_OK; /* deleted meanwhile: nothing to count */
    int64_t n = jx_int(p, "PermissionsBoundaryUsageCount", 0) + delta;
    jx_set_num(p, "PermissionsBoundaryUsageCount", (double)(n < 0 ? 0 : n));
    if (!rc) rc = iam_policy_save(c, p);
    cJSON_Delete(p);
    return rc;
}

err_t iam_boundary_use(api_ctx_t *c, cJSON *e, const char *arn)
{
    cJSON *p = NULL;
    err_t rc = arn ? iam_policy_by_arn(c, arn, &p) : ERR_OK;
    cJSON_Delete(p);
    if (rc == ERR_IAM_NO_SUCH_ENTITY)
        return err_fail(c->eb, ERR_IAM_NO_SUCH_ENTITY,
                        "Scope ARN: %s does not exist or is not attachable.", arn);
    const cJSON *old = cJSON_GetObjectItemCaseSensitive(e, "PermissionsBoundary");
    const char *old_arn = jx_str(old, "PermissionsBoundaryArn");
    if (!rc && old_arn) rc = boundary_count(c, arena_strdup(c->arena, old_arn), -1);
    if (!rc && arn) {
        cJSON *b = cJSON_CreateObject();
        cJSON_AddStringToObject(b, "PermissionsBoundaryType", "PermissionsBoundaryPolicy");
        cJSON_AddStringToObject(b, "PermissionsBoundaryArn", arn);
        jx_set(e, "PermissionsBoundary", b);
        rc = boundary_count(c, arn, 1);
    } else if (!rc) {
        cJSON_DeleteItemFromObjectCaseSensitive(e, "PermissionsBoundary");
    }
    return rc;
}

/* Sets (arn) or removes (NULL) the permissions boundary of the user or role the request
 * names. */
static err_t boundary_set(api_ctx_t *c, const char *type, const char *arn)
{
    cJSON *e = NULL;
    err_t rc =
        iam_find(c, type, api_in_str(c, !strcmp(type, "user") ? "UserName" : "RoleName"), &e);
    if (!rc && !strcmp(type, "role")) rc = iam_protect_slr(c, e);
    if (!rc) rc = iam_boundary_use(c, e, arn);
    if (!rc) rc = entity_save(c, type, e);
    if (!rc) c->post |= API_POST_AUTH_CHANGED;
    cJSON_Delete(e);
    return rc;
}

err_t iam_put_role_permissions_boundary(api_ctx_t *c)
{
    return boundary_set(c, "role", api_in_str(c, "PermissionsBoundary"));
}
err_t iam_delete_role_permissions_boundary(api_ctx_t *c)
{
    return boundary_set(c, "role", NULL);
}
err_t iam_put_user_permissions_boundary(api_ctx_t *c)
{
    return boundary_set(c, "user", api_in_str(c, "PermissionsBoundary"));
}
err_t iam_delete_user_permissions_boundary(api_ctx_t *c)
{
    return boundary_set(c, "user", NULL);
}

/* ---- groups */

err_t iam_update_group(api_ctx_t *c)
{
    const char *name = api_in_str(c, "GroupName");
    const char *new_name = api_in_str(c, "NewGroupName");
    const char *new_path = api_in_str(c, "NewPath");
    cJSON *g = NULL;
    err_t rc = iam_find(c, "group", name, &g);
    if (rc) return rc;
    if (new_name && strcmp(iam_fold(c, new_name), iam_fold(c, name))) {
        cJSON *other = NULL;
        rc = res_get_by_name(c->tx, c->account, IAM_GROUP, iam_fold(c, new_name), &other, c->eb);
        cJSON_Delete(other);
        if (!rc && other)
            rc = err_fail(c->eb, ERR_IAM_ALREADY_EXISTS, "Group with name %s already exists.",
                          new_name);
    }
    if (!rc) {
        const char *final = arena_strdup(c->arena, new_name ? new_name : name);
        const char *path = arena_strdup(c->arena, new_path ? new_path : jx_str(g, "Path"));
        jx_set_str(g, "GroupName", final);
        jx_set_str(g, "Path", path);
        jx_set_str(g, "Arn", iam_arn(c, "group", path, final));
        rc = entity_save(c, "group", g);
        if (!rc) rc = iam_rename_row(c, IAM_GROUP, jx_str(g, "GroupId"), final);
        if (!rc) c->post |= API_POST_AUTH_CHANGED;
    }
    cJSON_Delete(g);
    return rc;
}

/* ---- service-linked roles */

/* The role name AWS gives a service's linked role: AWSServiceRoleFor + the service's own
 * spelling for the services tools commonly link, else its first label capitalized. */
static const char *slr_name(api_ctx_t *c, const char *service)
{
    static const struct {
        const char *service, *name;
    } known[] = {
        {"autoscaling.amazonaws.com", "AutoScaling"},
        {"elasticloadbalancing.amazonaws.com", "ElasticLoadBalancing"},
        {"ecs.amazonaws.com", "ECS"},
        {"eks.amazonaws.com", "AmazonEKS"},
        {"rds.amazonaws.com", "RDS"},
        {"spot.amazonaws.com", "EC2Spot"},
        {"ssm.amazonaws.com", "AmazonSSM"},
        {"servicecatalog.amazonaws.com", "ServiceCatalog"},
        {"organizations.amazonaws.com", "Organizations"},
        {"cloudformation.amazonaws.com", "CloudFormationStackSetsOrgAdmin"},
        {"elasticbeanstalk.amazonaws.com", "ElasticBeanstalk"},
        {"es.amazonaws.com", "AmazonElasticsearchService"},
        {"lambda.amazonaws.com", "Lambda"},
        {"config.amazonaws.com", "Config"},
    };
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
        if (!strcmp(known[i].service, service))
            return arena_printf(c->arena, "AWSServiceRoleFor%s", known[i].name);
    char *first = arena_strdup(c->arena, service);
    char *dot = strchr(first, '.');
    if (dot) *dot = '\0';
    if (*first) *first = (char)toupper((unsigned char)*first);
    return arena_printf(c->arena, "AWSServiceRoleFor%s", first);
}

err_t iam_create_service_linked_role(api_ctx_t *c)
{
    const char *service = api_in_str(c, "AWSServiceName");
    const char *suffix = api_in_str(c, "CustomSuffix");
    if (!strstr(service, ".amazonaws.com") || strchr(service, '/'))
        return err_fail(c->eb, ERR_IAM_INVALID_INPUT, "Unknown service name: %s", service);
    const char *name = slr_name(c, service);
    if (suffix) name = arena_printf(c->arena, "%s_%s", name, suffix);
    const char *path = arena_printf(c->arena, IAM_SLR_PATH "%s/", service);
    const char *doc =
        arena_printf(c->arena,
                     "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
                     "\"Principal\":{\"Service\":[\"%s\"]},\"Action\":[\"sts:"
                     "AssumeRole\"]}]}",
                     service);
    cJSON *existing = NULL;
    err_t rc = res_get_by_name(c->tx, c->account, IAM_ROLE, iam_fold(c, name), &existing, c->eb);
    cJSON_Delete(existing);
    if (!rc && existing)
        return err_fail(c->eb, ERR_IAM_INVALID_INPUT,
                        "Service role name %s has been taken in this account, please try a "
                        "different suffix.",
                        name);
    char id[32];
    iam_new_id(c, "AROA", id);
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "Path", path);
    cJSON_AddStringToObject(r, "RoleName", name);
    cJSON_AddStringToObject(r, "RoleId", id);
    cJSON_AddStringToObject(r, "Arn", iam_arn(c, "role", path, name));
    cJSON_AddNumberToObject(r, "CreateDate", iam_now(c));
    cJSON_AddStringToObject(r, "AssumeRolePolicyDocument", doc);
    if (api_in_str(c, "Description"))
        cJSON_AddStringToObject(r, "Description", api_in_str(c, "Description"));
    cJSON_AddNumberToObject(r, "MaxSessionDuration", 3600);
    cJSON_AddObjectToObject(r, "RoleLastUsed");
    if (rc) {
        cJSON_Delete(r);
        return rc;
    }
    return iam_entity_insert(c, "role", r, "Role");
}

/* Takes every inline and attached policy off role id (a service-linked role goes with its
 * policies). */
static err_t slr_strip(api_ctx_t *c, const char *id)
{
    cJSON *inl = cJSON_CreateArray(), *arns = cJSON_CreateArray();
    bool more;
    err_t rc = res_list(c->tx, &(res_query_t){c->account, IAM_INLINE, id, 0, 0}, inl, &more, c->eb);
    for (const cJSON *p = inl->child; !rc && p; p = p->next)
        rc = res_delete(
            c->tx,
            &(res_key_t){c->account, IAM_INLINE,
                         arena_printf(c->arena, "%s:%s", id, iam_fold(c, jx_str(p, "PolicyName")))},
            NULL, c->eb);
    if (!rc) rc = iam_links(c, IAM_LINK_ATTACH, true, id, arns);
    for (const cJSON *a = arns->child; !rc && a; a = a->next) {
        rc = iam_link_del(c, IAM_LINK_ATTACH, id, a->valuestring, NULL);
        cJSON *p = NULL;
        if (!rc) rc = iam_policy_by_arn(c, a->valuestring, &p);
        if (!rc) {
            jx_set_num(p, "AttachmentCount",
                       (double)(jx_int(p, "AttachmentCount", 1) > 0
                                    ? jx_int(p, "AttachmentCount", 1) - 1
                                    : 0));
            rc = iam_policy_save(c, p);
        }
        cJSON_Delete(p);
    }
    cJSON_Delete(inl);
    cJSON_Delete(arns);
    return rc;
}

err_t iam_delete_service_linked_role(api_ctx_t *c)
{
    cJSON *r = NULL;
    err_t rc = iam_find(c, "role", api_in_str(c, "RoleName"), &r);
    if (!rc && !iam_is_service_linked(r))
        rc = err_fail(c->eb, ERR_IAM_INVALID_INPUT, "%s is not a service-linked role.",
                      jx_str(r, "RoleName"));
    int64_t n = 0;
    const char *id = r ? arena_strdup(c->arena, jx_str(r, "RoleId")) : "";
    if (!rc) rc = iam_link_count(c, IAM_LINK_PROFILE, false, id, &n);
    if (!rc && n)
        rc = err_fail(c->eb, ERR_IAM_DELETE_CONFLICT,
                      "Cannot delete entity, must remove roles from instance profile first.");
    if (!rc) rc = slr_strip(c, id);
    if (!rc) rc = res_delete(c->tx, &(res_key_t){c->account, IAM_ROLE, id}, NULL, c->eb);
    char uuid[40];
    ids_chars(&c->app->ids, "", IDS_HEX, 32, uuid);
    const char *path = r ? jx_str(r, "Path") : "/";
    const char *task =
        arena_printf(c->arena, "task%s%s/%.8s-%.4s-%.4s-%.4s-%.12s", path, jx_str(r, "RoleName"),
                     uuid, uuid + 8, uuid + 12, uuid + 16, uuid + 20);
    cJSON *t = cJSON_CreateObject();
    cJSON_AddStringToObject(t, "Status", "SUCCEEDED");
    res_row_t row = {.created_ms = (int64_t)(iam_now(c) * 1000)};
    if (!rc) rc = res_insert(c->tx, &(res_key_t){c->account, IAM_SLR_TASK, task}, &row, t, c->eb);
    cJSON_Delete(t);
    if (!rc) {
        cJSON_AddStringToObject(c->out, "DeletionTaskId", task);
        c->post |= API_POST_AUTH_CHANGED;
    }
    cJSON_Delete(r);
    return rc;
}

err_t iam_get_service_linked_role_deletion_status(api_ctx_t *c)
{
    const char *task = api_in_str(c, "DeletionTaskId");
    cJSON *t = NULL;
    err_t rc = res_get(c->tx, &(res_key_t){c->account, IAM_SLR_TASK, task}, &t, c->eb);
    if (!rc && !t)
        rc = err_fail(c->eb, ERR_IAM_NO_SUCH_ENTITY, "Deletion Task %s cannot be found.", task);
    if (!rc) cJSON_AddStringToObject(c->out, "Status", jx_str(t, "Status"));
    cJSON_Delete(t);
    return rc;
}
