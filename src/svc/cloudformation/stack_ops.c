/* stack_ops.c - steering an update that is under way or stuck: CancelUpdateStack (the
 * update stops at its next step and rolls back, "User Initiated") and
 * ContinueUpdateRollback (a stack left in UPDATE_ROLLBACK_FAILED resumes its rollback,
 * skipping the resources named in ResourcesToSkip, which keep their current state). */
#include "svc/cloudformation/cfn_int.h"
#include "core/jx.h"

#include <string.h>

err_t cfn_cancel_update_stack(api_ctx_t *c)
{
    cJSON *s = NULL;
    err_t rc = cfn_stack_find(c->tx, c->scope, api_in_str(c, "StackName"), true, &s, c->eb);
    if (!rc && (strcmp(jx_str(s, "StackStatus"), "UPDATE_IN_PROGRESS") ||
                strcmp(jx_str(s, "_Phase"), "apply")))
        rc = err_fail(c->eb, ERR_VALIDATION,
                      "CancelUpdateStack cannot be called from current stack status");
    if (!rc) {
        /* the job sees it at its next step: the rollback is its own doing */
        jx_set_num(s, "_Cancel", (double)jx_int(s, "_Seq", 0));
        rc = cfn_stack_save(c->tx, c->scope, s, clk_now_ms(&c->app->clock), c->eb);
    }
    cJSON_Delete(s);
    return rc;
}

/* Marks resource r (of stack s) as left as it is by the rollback: nothing of this update is
 * undone for it. */
static void ops_skip(cJSON *r)
{
    static const char *const undo[] = {"_PrevProps", "_OldPhysical", "_OldProps",
                                       "_OldAttrs",  "_CreatedIn",   NULL};
    for (size_t i = 0; undo[i]; i++) cJSON_DeleteItemFromObjectCaseSensitive(r, undo[i]);
    jx_set_str(r, "ResourceStatus", "UPDATE_COMPLETE");
    jx_set_str(r, "ResourceStatusReason", "Resource skipped during rollback");
}

err_t cfn_continue_update_rollback(api_ctx_t *c)
{
    cJSON *s = NULL, *res = NULL;
    err_t rc = cfn_stack_find(c->tx, c->scope, api_in_str(c, "StackName"), true, &s, c->eb);
    if (!rc && strcmp(jx_str(s, "StackStatus"), "UPDATE_ROLLBACK_FAILED"))
        rc = err_fail(c->eb, ERR_VALIDATION,
                      "Stack %s is in %s state and can not continue update rollback. Stack must "
                      "be in UPDATE_ROLLBACK_FAILED state.",
                      jx_str(s, "StackId"), jx_str(s, "StackStatus"));
    if (!rc && api_in_str(c, "RoleARN"))
        rc = api_check_pass_role(c, api_in_str(c, "RoleARN"), "cloudformation.amazonaws.com");
    if (!rc) rc = cfn_resources(c->tx, c->scope, jx_str(s, "StackId"), &res, c->eb);
    const cJSON *skip = cJSON_GetObjectItemCaseSensitive(c->in, "ResourcesToSkip");
    int64_t now = clk_now_ms(&c->app->clock);
    /* every name first, then the changes: a refusal changes nothing */
    for (const cJSON *e = skip ? skip->child : NULL; !rc && e; e = e->next) {
        const cJSON *r = NULL;
        for (const cJSON *x = res->child; x && !r; x = x->next)
            if (!strcmp(jx_str(x, "LogicalResourceId"), e->valuestring)) r = x;
        const char *st = r ? jx_str(r, "ResourceStatus") : "";
        size_t n = strlen(st);
        if (!r || n < 7 || strcmp(st + n - 7, "_FAILED"))
            rc = err_fail(c->eb, ERR_VALIDATION,
                          "Resource %s cannot be skipped: only resources of the stack in a "
                          "failed state can be skipped",
                          e->valuestring);
    }
    for (cJSON *x = rc ? NULL : res->child; !rc && x; x = x->next)
        for (const cJSON *e = skip ? skip->child : NULL; e; e = e->next)
            if (!strcmp(jx_str(x, "LogicalResourceId"), e->valuestring)) {
                ops_skip(x);
                rc = cfn_resource_save(c->tx, c->scope, jx_str(s, "StackId"), x, now, false, c->eb);
                break;
            }
    if (!rc) {
        if (api_in_str(c, "RoleARN")) jx_set_str(s, "RoleARN", api_in_str(c, "RoleARN"));
        jx_set(s, "_Principal", auth_principal_to_json(c->caller));
        cJSON_DeleteItemFromObjectCaseSensitive(s, "_Session");
        jx_set_str(s, "_Op", "update");
        jx_set_str(s, "_Phase", "rollback");
        cfn_set_status(s, "UPDATE_ROLLBACK_IN_PROGRESS", "");
        rc = cfn_stack_save(c->tx, c->scope, s, now, c->eb);
    }
    if (!rc) rc = cfn_kickoff(c, s, "update", "UPDATE_ROLLBACK_IN_PROGRESS");
    cJSON_Delete(res);
    cJSON_Delete(s);
    return rc;
}
