/* maint_reg.c - what is registered with a maintenance window: targets
 * (RegisterTargetWithMaintenanceWindow, DescribeMaintenanceWindowTargets,
 * DeregisterTargetFromMaintenanceWindow) and tasks (RegisterTaskWithMaintenanceWindow,
 * GetMaintenanceWindowTask, DescribeMaintenanceWindowTasks,
 * DeregisterTaskFromMaintenanceWindow). */
#include "svc/ssm/maint_int.h"

#include "core/clk.h"
#include "core/ids.h"

#include <stdio.h>
#include <string.h>

#define SSM_MW_MAX_TASKS 20 /* tasks per window (AWS's default quota) */

err_t ssm_mw_drop_regs(api_ctx_t *c, const char *id)
{
    return store_exec(c->tx, c->eb, NULL,
                      "DELETE FROM resources WHERE account = ? AND kind IN (?, ?) AND parent = ?",
                      "ssss", c->scope, SSM_MW_TARGET, SSM_MW_TASK, id);
}

/* The registrations of kind in window id (bodies, oldest first). */
static err_t mw_regs(api_ctx_t *c, const char *kind, const char *id, cJSON **out)
{
    *out = cJSON_CreateArray();
    bool more;
    res_query_t q = {c->scope, kind, id, 0, 0};
    return res_list(c->tx, &q, *out, &more, c->eb);
}

/* Loads registration reg_id of kind in window wid; DoesNotExistException with what (
 * "target", "task") when either is absent. */
static err_t mw_reg_load(api_ctx_t *c, const char *kind, const char *what, const char *wid,
                         const char *reg_id, cJSON **out)
{
    cJSON *w = NULL;
    *out = NULL;
    err_t rc = ssm_mw_load(c, wid, &w);
    cJSON_Delete(w);
    if (!rc) rc = res_get(c->tx, &(res_key_t){c->scope, kind, reg_id}, out, c->eb);
    if (!rc && (!*out || !jx_str(*out, "WindowId") || strcmp(jx_str(*out, "WindowId"), wid))) {
        cJSON_Delete(*out);
        *out = NULL;
        rc = err_fail(c->eb, ERR_SSM_DOES_NOT_EXIST,
                      "Maintenance window %s does not contain a %s with id %s", wid, what, reg_id);
    }
    return rc;
}

/* Checks a target list: each entry a Key with Values, keys as resource type rt allows. */
static err_t mw_check_targets(api_ctx_t *c, const cJSON *targets, const char *rt, bool task)
{
    for (const cJSON *t = targets ? targets->child : NULL; t; t = t->next) {
        const char *key = jx_str(t, "Key");
        const cJSON *vs = cJSON_GetObjectItemCaseSensitive(t, "Values");
        bool ok;
        if (task)
            ok = key && (!strcmp(key, "InstanceIds") || !strcmp(key, "WindowTargetIds") ||
                         !strncmp(key, "tag:", 4) || !strcmp(key, "resource-groups:Name"));
        else if (!strcmp(rt, "RESOURCE_GROUP"))
            ok = key && (!strcmp(key, "resource-groups:Name") ||
                         !strcmp(key, "resource-groups:ResourceTypeFilters"));
        else
            ok = key && (!strcmp(key, "InstanceIds") || !strncmp(key, "tag:", 4) ||
                         !strcmp(key, "tag-key"));
        if (!ok)
            return err_fail(c->eb, ERR_VALIDATION,
                            "Targets key %s is not valid for a maintenance window %s.",
                            key ? key : "", task ? "task" : "target");
        if (cJSON_GetArraySize(vs) < 1)
            return err_fail(c->eb, ERR_VALIDATION, "Targets key %s must have at least one value.",
                            key);
    }
    return ERR_OK;
}

/* Inserts registration body b (kind, id member idm) of window wid, answering out_member. */
static err_t mw_reg_insert(api_ctx_t *c, const char *kind, const char *idm, const char *row_name,
                           cJSON *b)
{
    char id[37];
    ids_uuid(&c->app->ids, id);
    cJSON_AddStringToObject(b, idm, id);
    cJSON_AddItemToObject(b, "_Request", ssm_mw_request(c));
    res_row_t row = {.name = row_name,
                     .parent = jx_str(b, "WindowId"),
                     .created_ms = clk_now_ms(&c->app->clock)};
    err_t rc = res_insert(c->tx, &(res_key_t){c->scope, kind, id}, &row, b, c->eb);
    if (!rc) cJSON_AddStringToObject(c->out, idm, id);
    return rc;
}

/* The registration count check and token look-up every Register* starts with: *done when
 * a ClientToken repeated an earlier registration (answered already). */
static err_t mw_reg_begin(api_ctx_t *c, const char *kind, const char *idm, int max, bool *done,
                          const char **row_name)
{
    const char *prior = NULL;
    cJSON *w = NULL, *regs = NULL;
    const char *wid = api_in_str(c, "WindowId");
    *done = false;
    err_t rc = ssm_mw_load(c, wid, &w);
    if (!rc) rc = ssm_mw_token(c, kind, idm, &prior, row_name);
    if (!rc && prior) {
        cJSON_AddStringToObject(c->out, idm, prior);
        *done = true;
    }
    if (!rc && !prior) rc = mw_regs(c, kind, wid, &regs);
    if (!rc && !prior && cJSON_GetArraySize(regs) >= max)
        rc = err_fail(c->eb, ERR_SSM_RESOURCE_LIMIT,
                      "Maintenance window %s has reached its limit of %d registrations of this "
                      "kind.",
                      wid, max);
    cJSON_Delete(regs);
    cJSON_Delete(w);
    return rc;
}

/* ---- targets */

err_t ssm_register_target_with_maintenance_window(api_ctx_t *c)
{
    bool done;
    const char *row_name = NULL;
    err_t rc = mw_reg_begin(c, SSM_MW_TARGET, "WindowTargetId", SSM_MW_MAX_REGS, &done, &row_name);
    const cJSON *targets = cJSON_GetObjectItemCaseSensitive(c->in, "Targets");
    if (!rc && !done && cJSON_GetArraySize(targets) < 1)
        rc = err_fail(c->eb, ERR_VALIDATION, "Targets must contain at least one target.");
    if (!rc && !done) rc = mw_check_targets(c, targets, api_in_str(c, "ResourceType"), false);
    if (rc || done) return rc;
    static const char *const copied[] = {"WindowId", "ResourceType", "Targets", "OwnerInformation",
                                         "Name",     "Description",  NULL};
    cJSON *b = cJSON_CreateObject();
    jx_copy(b, c->in, copied);
    rc = mw_reg_insert(c, SSM_MW_TARGET, "WindowTargetId", row_name, b);
    cJSON_Delete(b);
    return rc;
}

typedef struct mw_filter_ctx {
    const api_ctx_t *c;
    const char *const (*fields)[2]; /* {filter key, body member}, NULL-ended */
} mw_filter_ctx_t;

/* Whether registration r passes the request's filters. */
static err_t mw_reg_keep(void *ctx, const cJSON *r, const res_pkey_t *k, bool *keep)
{
    (void)k;
    const mw_filter_ctx_t *f = ctx;
    *keep = true;
    for (size_t i = 0; *keep && f->fields[i][0]; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(r, f->fields[i][1]);
        char num[24];
        const char *s = cJSON_IsString(v) ? v->valuestring : NULL;
        if (cJSON_IsNumber(v)) {
            snprintf(num, sizeof(num), "%lld", (long long)v->valuedouble);
            s = num;
        }
        *keep = ssm_mw_filter_pass(f->c, "Filters", f->fields[i][0], s);
    }
    return ERR_OK;
}

/* One page (by the request's MaxResults / NextToken) of window's registrations of kind that
 * pass the filters, each trimmed to the members shown (NULL-ended), under member out. */
static err_t mw_reg_page(api_ctx_t *c, const char *kind, const char *const (*fields)[2],
                         const char *const *shown, const char *out)
{
    const char *wid = api_in_str(c, "WindowId");
    const char *keys[8];
    size_t nk = 0;
    for (; fields[nk][0] && nk < 7; nk++) keys[nk] = fields[nk][0];
    keys[nk] = NULL;
    cJSON *w = NULL, *regs = cJSON_CreateArray();
    res_page_t p;
    err_t rc = ssm_mw_filter_keys(c, "Filters", keys);
    if (!rc) rc = ssm_page_in(c, &p);
    if (!rc) rc = ssm_mw_load(c, wid, &w);
    cJSON_Delete(w);
    res_query_t q = {c->scope, kind, wid, 0, 0};
    mw_filter_ctx_t f = {c, fields};
    if (!rc) rc = res_list_page(c->tx, &q, &p, mw_reg_keep, &f, regs, c->eb);
    if (!rc) {
        ssm_mw_items(c, out, regs, shown);
        ssm_page_out(c, &p);
    }
    cJSON_Delete(regs);
    return rc;
}

err_t ssm_describe_maintenance_window_targets(api_ctx_t *c)
{
    static const char *const fields[][2] = {{"Type", "ResourceType"},
                                            {"WindowTargetId", "WindowTargetId"},
                                            {"OwnerInformation", "OwnerInformation"},
                                            {NULL, NULL}};
    static const char *const shown[] = {
        "WindowId",         "WindowTargetId", "ResourceType", "Targets",
        "OwnerInformation", "Name",           "Description",  NULL};
    return mw_reg_page(c, SSM_MW_TARGET, fields, shown, "Targets");
}

/* Whether task t names target id among its WindowTargetIds. */
static bool mw_task_uses(const cJSON *t, const char *id)
{
    const cJSON *ts = cJSON_GetObjectItemCaseSensitive(t, "Targets");
    for (const cJSON *e = ts ? ts->child : NULL; e; e = e->next) {
        if (!jx_str(e, "Key") || strcmp(jx_str(e, "Key"), "WindowTargetIds")) continue;
        const cJSON *vs = cJSON_GetObjectItemCaseSensitive(e, "Values");
        for (const cJSON *v = vs ? vs->child : NULL; v; v = v->next)
            if (cJSON_IsString(v) && !strcmp(v->valuestring, id)) return true;
    }
    return false;
}

err_t ssm_deregister_target_from_maintenance_window(api_ctx_t *c)
{
    const char *wid = api_in_str(c, "WindowId"), *id = api_in_str(c, "WindowTargetId");
    cJSON *t = NULL, *tasks = NULL;
    err_t rc = mw_reg_load(c, SSM_MW_TARGET, "target", wid, id, &t);
    if (!rc && jx_true(c->in, "Safe")) {
        rc = mw_regs(c, SSM_MW_TASK, wid, &tasks);
        for (const cJSON *k = tasks ? tasks->child : NULL; !rc && k; k = k->next)
            if (mw_task_uses(k, id))
                rc = err_fail(c->eb, ERR_SSM_TARGET_IN_USE,
                              "Target %s is in use by task %s of maintenance window %s", id,
                              jx_str(k, "WindowTaskId"), wid);
    }
    if (!rc) rc = res_delete(c->tx, &(res_key_t){c->scope, SSM_MW_TARGET, id}, NULL, c->eb);
    if (!rc) {
        cJSON_AddStringToObject(c->out, "WindowId", wid);
        cJSON_AddStringToObject(c->out, "WindowTargetId", id);
    }
    cJSON_Delete(tasks);
    cJSON_Delete(t);
    return rc;
}

/* ---- tasks */

/* What a task's request may name, checked as AWS checks it: target keys, WindowTargetIds
 * registered with window wid, iam:PassRole of its ServiceRoleArn to Systems Manager. */
static err_t mw_task_check(api_ctx_t *c, const char *wid)
{
    const cJSON *targets = cJSON_GetObjectItemCaseSensitive(c->in, "Targets");
    err_t rc = mw_check_targets(c, targets, NULL, true);
    for (const cJSON *e = targets ? targets->child : NULL; !rc && e; e = e->next) {
        if (strcmp(jx_str(e, "Key"), "WindowTargetIds")) continue;
        const cJSON *vs = cJSON_GetObjectItemCaseSensitive(e, "Values");
        for (const cJSON *v = vs ? vs->child : NULL; !rc && v; v = v->next) {
            cJSON *t = NULL;
            rc = mw_reg_load(c, SSM_MW_TARGET, "target", wid, v->valuestring, &t);
            cJSON_Delete(t);
        }
    }
    const char *role = api_in_str(c, "ServiceRoleArn");
    if (!rc && role) rc = api_check_pass_role(c, role, "ssm.amazonaws.com");
    return rc;
}

/* The members of a task a request sets (and TaskType, which only a registration sets). */
static const char *const mw_task_members[] = {"TaskArn",
                                              "Targets",
                                              "TaskParameters",
                                              "TaskInvocationParameters",
                                              "Priority",
                                              "LoggingInfo",
                                              "ServiceRoleArn",
                                              "MaxConcurrency",
                                              "MaxErrors",
                                              "Name",
                                              "Description",
                                              "CutoffBehavior",
                                              "AlarmConfiguration",
                                              NULL};

err_t ssm_register_task_with_maintenance_window(api_ctx_t *c)
{
    bool done;
    const char *row_name = NULL;
    const char *wid = api_in_str(c, "WindowId");
    err_t rc = mw_reg_begin(c, SSM_MW_TASK, "WindowTaskId", SSM_MW_MAX_TASKS, &done, &row_name);
    if (!rc && !done) rc = mw_task_check(c, wid);
    if (rc || done) return rc;
    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "WindowId", wid);
    cJSON_AddStringToObject(b, "TaskType", api_in_str(c, "TaskType"));
    jx_copy(b, c->in, mw_task_members);
    if (!cJSON_GetObjectItemCaseSensitive(b, "Priority")) cJSON_AddNumberToObject(b, "Priority", 1);
    if (!jx_str(b, "CutoffBehavior")) cJSON_AddStringToObject(b, "CutoffBehavior", "CONTINUE_TASK");
    rc = mw_reg_insert(c, SSM_MW_TASK, "WindowTaskId", row_name, b);
    cJSON_Delete(b);
    return rc;
}

/* Update of registration id (member idm) of kind in the request's window: the members
 * (NULL-ended) given replace the stored ones; with Replace, the optional ones not given are
 * cleared and every one of required (NULL-ended) must be given. Answers with the result,
 * without the member `hidden` (NULL: none). */
static err_t mw_reg_update(api_ctx_t *c, const char *kind, const char *what, const char *idm,
                           const char *const *members, const char *const *required,
                           const char *hidden)
{
    const char *wid = api_in_str(c, "WindowId"), *id = api_in_str(c, idm);
    cJSON *r = NULL;
    err_t rc = mw_reg_load(c, kind, what, wid, id, &r);
    bool replace = jx_true(c->in, "Replace");
    for (const char *const *m = required; !rc && replace && *m; m++)
        if (!cJSON_GetObjectItemCaseSensitive(c->in, *m))
            rc = err_fail(c->eb, ERR_VALIDATION, "%s is required when Replace is true.", *m);
    for (const char *const *m = members; !rc && *m; m++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(c->in, *m);
        if (v)
            jx_set(r, *m, cJSON_Duplicate(v, 1));
        else if (replace)
            cJSON_DeleteItemFromObjectCaseSensitive(r, *m);
    }
    if (!rc)
        rc = res_update(c->tx, &(res_key_t){c->scope, kind, id}, NULL, clk_now_ms(&c->app->clock),
                        r, NULL, c->eb);
    if (!rc) {
        if (hidden) cJSON_DeleteItemFromObjectCaseSensitive(r, hidden);
        ssm_mw_answer(c, r);
    }
    cJSON_Delete(r);
    return rc;
}

err_t ssm_update_maintenance_window_task(api_ctx_t *c)
{
    static const char *const required[] = {"TaskArn", NULL};
    err_t rc = mw_task_check(c, api_in_str(c, "WindowId"));
    return rc ? rc
              : mw_reg_update(c, SSM_MW_TASK, "task", "WindowTaskId", mw_task_members, required,
                              "TaskType");
}

err_t ssm_update_maintenance_window_target(api_ctx_t *c)
{
    static const char *const members[] = {"Targets", "OwnerInformation", "Name", "Description",
                                          NULL};
    static const char *const required[] = {"Targets", NULL};
    const cJSON *targets = cJSON_GetObjectItemCaseSensitive(c->in, "Targets");
    err_t rc = ERR_OK;
    if (targets && cJSON_GetArraySize(targets) < 1)
        rc = err_fail(c->eb, ERR_VALIDATION, "Targets must contain at least one target.");
    cJSON *t = NULL;
    if (!rc)
        rc = mw_reg_load(c, SSM_MW_TARGET, "target", api_in_str(c, "WindowId"),
                         api_in_str(c, "WindowTargetId"), &t);
    if (!rc) rc = mw_check_targets(c, targets, jx_str(t, "ResourceType"), false);
    cJSON_Delete(t);
    return rc ? rc
              : mw_reg_update(c, SSM_MW_TARGET, "target", "WindowTargetId", members, required,
                              "ResourceType");
}

err_t ssm_get_maintenance_window_task(api_ctx_t *c)
{
    cJSON *t = NULL;
    err_t rc = mw_reg_load(c, SSM_MW_TASK, "task", api_in_str(c, "WindowId"),
                           api_in_str(c, "WindowTaskId"), &t);
    if (!rc) ssm_mw_answer(c, t);
    cJSON_Delete(t);
    return rc;
}

err_t ssm_describe_maintenance_window_tasks(api_ctx_t *c)
{
    static const char *const fields[][2] = {{"WindowTaskId", "WindowTaskId"},
                                            {"TaskArn", "TaskArn"},
                                            {"Priority", "Priority"},
                                            {"TaskType", "TaskType"},
                                            {NULL, NULL}};
    static const char *const shown[] = {"WindowId",
                                        "WindowTaskId",
                                        "TaskArn",
                                        "TaskType",
                                        "Targets",
                                        "TaskParameters",
                                        "Priority",
                                        "LoggingInfo",
                                        "ServiceRoleArn",
                                        "MaxConcurrency",
                                        "MaxErrors",
                                        "Name",
                                        "Description",
                                        "CutoffBehavior",
                                        "AlarmConfiguration",
                                        NULL};
    err_t rc = mw_reg_page(c, SSM_MW_TASK, fields, shown, "Tasks");
    /* the list's items call the task type "Type" */
    cJSON *list = cJSON_GetObjectItemCaseSensitive(c->out, "Tasks");
    for (cJSON *t = list ? list->child : NULL; !rc && t; t = t->next) {
        cJSON *type = cJSON_DetachItemFromObjectCaseSensitive(t, "TaskType");
        if (type) cJSON_AddItemToObject(t, "Type", type);
    }
    return rc;
}

err_t ssm_deregister_task_from_maintenance_window(api_ctx_t *c)
{
    const char *wid = api_in_str(c, "WindowId"), *id = api_in_str(c, "WindowTaskId");
    cJSON *t = NULL;
    err_t rc = mw_reg_load(c, SSM_MW_TASK, "task", wid, id, &t);
    if (!rc) rc = res_delete(c->tx, &(res_key_t){c->scope, SSM_MW_TASK, id}, NULL, c->eb);
    if (!rc) {
        cJSON_AddStringToObject(c->out, "WindowId", wid);
        cJSON_AddStringToObject(c->out, "WindowTaskId", id);
    }
    cJSON_Delete(t);
    return rc;
}
