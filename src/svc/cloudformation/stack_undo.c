/* stack_undo.c - the stack job's undoing side: deleting resources (a stack's delete, a
 * failed create's rollback, an update's cleanup of what it removed or replaced) and
 * restoring what a failed update changed (replaced physical resources, in-place changes,
 * the previous template, parameters, tags and role). Called from the step in stack_job.c. */
#include "svc/cloudformation/stk_int.h"
#include "svc/cloudformation/stack_ssm.h"
#include "core/jx.h"

#include <string.h>

/* True in an update's cleanup, where a resource that fails to delete is left behind
 * (DELETE_FAILED) and the update still completes, as CloudFormation does. */
static bool stk_in_cleanup(stk_t *k)
{
    const char *phase = jx_str(k->stack, "_Phase");
    return !strcmp(jx_str(k->stack, "_Op"), "update") && phase && !strcmp(phase, "cleanup");
}

/* Resource r failed to delete: it says why; outside an update's cleanup the operation then
 * ends, failed. */
static err_t stk_delete_failed(stk_t *k, cJSON *r, const char *reason)
{
    err_t rc = stk_res_status(k, r, "DELETE_FAILED", reason, NULL);
    if (stk_in_cleanup(k)) {
        engine_again(k->r, k->r->payload, k->now);
        return rc;
    }
    const char *op = jx_str(k->stack, "_Op"), *phase = jx_str(k->stack, "_Phase");
    const char *final = !strcmp(op, "delete")                 ? "DELETE_FAILED"
                        : !strcmp(op, "update")               ? "UPDATE_ROLLBACK_FAILED"
                        : phase && !strcmp(phase, "rollback") ? "ROLLBACK_FAILED"
                                                              : "DELETE_FAILED";
    return rc ? rc : stk_end_failed(k, final, "delete", jx_str(r, "LogicalResourceId"));
}

/* Deletes resources matching `want` (reverse creation order), one action per step.
 * Returns with *busy false when none is left. */
err_t stk_delete_some(stk_t *k, bool (*want)(stk_t *, const cJSON *), bool *busy)
{
    cJSON *pick = NULL;
    bool cleanup = stk_in_cleanup(k);
    for (cJSON *r = k->resources->child; r; r = r->next) {
        const char *st = jx_str(r, "ResourceStatus");
        if (!strcmp(st, "DELETE_COMPLETE") || !want(k, r)) continue;
        if (cleanup && !strcmp(st, "DELETE_FAILED")) continue; /* left behind */
        if (!pick || jx_int(r, "_Index", 0) > jx_int(pick, "_Index", 0)) pick = r;
    }
    *busy = pick != NULL;
    if (!pick) return ERR_OK;
    const cfn_type_t *type = cfn_type(jx_str(pick, "ResourceType"));
    const char *st = jx_str(pick, "ResourceStatus");
    char reason[1100] = "";
    err_t rc = ERR_OK;
    if (strcmp(st, "DELETE_IN_PROGRESS")) {
        if (!type || !jx_str(pick, "PhysicalResourceId")) {
            rc = stk_res_status(k, pick, "DELETE_COMPLETE", "", NULL);
            engine_again(k->r, k->r->payload, k->now);
            return rc;
        }
        bool refused = false;
        rc = store_savepoint(k->s.tx, k->s.eb);
        if (!rc) rc = stk_settle(k, type->remove(&k->s, pick), &refused, reason, sizeof reason);
        if (!rc && refused) return stk_delete_failed(k, pick, reason);
        if (!rc) rc = stk_res_status(k, pick, "DELETE_IN_PROGRESS", "", NULL);
        engine_again(k->r, k->r->payload, k->now);
        return rc;
    }
    cfn_progress_t p = CFN_PENDING;
    rc = stk_check(k, type, pick, true, &p, reason, sizeof(reason));
    if (!rc && p == CFN_DONE) {
        rc = stk_res_status(k, pick, "DELETE_COMPLETE", "", NULL);
        engine_again(k->r, k->r->payload, k->now);
    } else if (!rc && p == CFN_FAILED) {
        rc = stk_delete_failed(k, pick, reason);
    } else if (!rc) {
        engine_again(k->r, k->r->payload, k->now + CFN_WAIT_MS(k));
    }
    return rc;
}

bool stk_want_all(stk_t *k, const cJSON *r)
{
    return true;
}

/* Update cleanup and rollback: what the new template dropped; what this update created. */
bool stk_want_removed(stk_t *k, const cJSON *r)
{
    return tpl_resource(k->tpl, jx_str(r, "LogicalResourceId")) == NULL;
}

bool stk_want_created_now(stk_t *k, const cJSON *r)
{
    return jx_int(r, "_CreatedIn", -1) == k->seq;
}
/* Deletes physical resource phys of r (one that an update replaced, or that the rollback
 * of one gives up) and waits until it is gone, one action per step, recording the DELETE
 * events CloudFormation shows for that physical id. *gone once it is. When the owning
 * service refuses, a DELETE_FAILED event says why: in the cleanup the old resource is left
 * behind (*gone, as CloudFormation does); in a rollback the stack ends
 * UPDATE_ROLLBACK_FAILED. */
static err_t stk_remove_physical(stk_t *k, cJSON *r, const char *phys, bool *gone)
{
    const char *type_name = jx_str(r, "ResourceType"), *logical = jx_str(r, "LogicalResourceId");
    const cfn_type_t *type = cfn_type(type_name);
    *gone = type == NULL;
    if (!type) return ERR_OK;
    cJSON *tmp = cJSON_Duplicate(r, 1);
    jx_set_str(tmp, "PhysicalResourceId", phys);
    char reason[1100] = "";
    bool refused = false;
    err_t rc = ERR_OK;
    if (!jx_true(r, "_PhysicalDeleting")) {
        rc = store_savepoint(k->s.tx, k->s.eb);
        if (!rc) rc = stk_settle(k, type->remove(&k->s, tmp), &refused, reason, sizeof reason);
        if (!rc && !refused)
            rc = cfn_event(k->app, k->s.tx, k->stack, logical, phys, type_name,
                           "DELETE_IN_PROGRESS", "", NULL, k->s.eb);
        if (!rc && !refused) {
            jx_set(r, "_PhysicalDeleting", cJSON_CreateTrue());
            rc = stk_res_save(k, r, false);
        }
        if (!rc && !refused) engine_again(k->r, k->r->payload, k->now);
    } else {
        cfn_progress_t p = CFN_PENDING;
        rc = stk_check(k, type, tmp, true, &p, reason, sizeof(reason));
        refused = !rc && p == CFN_FAILED;
        if (!rc && p == CFN_DONE) {
            *gone = true;
            cJSON_DeleteItemFromObjectCaseSensitive(r, "_PhysicalDeleting");
            rc = cfn_event(k->app, k->s.tx, k->stack, logical, phys, type_name, "DELETE_COMPLETE",
                           "", NULL, k->s.eb);
        } else if (!rc && !refused) {
            engine_again(k->r, k->r->payload, k->now + CFN_WAIT_MS(k));
        }
    }
    cJSON_Delete(tmp);
    if (rc || !refused) return rc;
    cJSON_DeleteItemFromObjectCaseSensitive(r, "_PhysicalDeleting");
    rc = cfn_event(k->app, k->s.tx, k->stack, logical, phys, type_name, "DELETE_FAILED", reason,
                   NULL, k->s.eb);
    if (!rc && stk_in_cleanup(k)) {
        *gone = true;
        return ERR_OK;
    }
    return rc ? rc : stk_end_failed(k, "UPDATE_ROLLBACK_FAILED", "delete", logical);
}

/* Deletes the physical resources replaced during an update (kept in _OldPhysical); the
 * cleanup ends when they are gone. */
err_t stk_drop_replaced(stk_t *k, bool *busy)
{
    for (cJSON *r = k->resources->child; r; r = r->next) {
        const char *old = jx_str(r, "_OldPhysical");
        if (!old) continue;
        *busy = true;
        bool gone = false;
        err_t rc = stk_remove_physical(k, r, old, &gone);
        if (rc || !gone) return rc;
        cJSON_DeleteItemFromObjectCaseSensitive(r, "_OldPhysical");
        cJSON_DeleteItemFromObjectCaseSensitive(r, "_OldAttrs");
        cJSON_DeleteItemFromObjectCaseSensitive(r, "_OldProps");
        rc = stk_res_save(k, r, false);
        engine_again(k->r, k->r->payload, k->now);
        return rc;
    }
    return ERR_OK;
}
/* Restores what an update replaced: the new physical goes, the old one comes back. */
err_t stk_restore_replaced(stk_t *k, bool *busy)
{
    for (cJSON *r = k->resources->child; r; r = r->next) {
        const char *old = jx_str(r, "_OldPhysical");
        if (!old) continue;
        *busy = true;
        const char *now_phys = jx_str(r, "PhysicalResourceId");
        bool gone = true;
        err_t rc =
            now_phys && strcmp(now_phys, old) ? stk_remove_physical(k, r, now_phys, &gone) : ERR_OK;
        if (rc || !gone) return rc;
        jx_set_str(r, "PhysicalResourceId", old);
        cJSON *attrs = cJSON_DetachItemFromObjectCaseSensitive(r, "_OldAttrs");
        if (attrs) jx_set(r, "_Attrs", attrs);
        cJSON *props = cJSON_DetachItemFromObjectCaseSensitive(r, "_OldProps");
        if (props) jx_set(r, "_Props", props);
        cJSON_DeleteItemFromObjectCaseSensitive(r, "_OldPhysical");
        rc = stk_res_status(k, r, "UPDATE_COMPLETE", "", NULL);
        engine_again(k->r, k->r->payload, k->now);
        return rc;
    }
    return ERR_OK;
}

/* Puts back what an update changed on the stack itself: template, parameters, and the
 * Parameters, Tags and RoleARN that DescribeStacks shows. */
void stk_restore_previous(stk_t *k)
{
    const cJSON *pt = cJSON_GetObjectItemCaseSensitive(k->stack, "_PrevTemplate");
    const cJSON *pp = cJSON_GetObjectItemCaseSensitive(k->stack, "_PrevParams");
    const cJSON *shown = cJSON_GetObjectItemCaseSensitive(k->stack, "_PrevShown");
    if (pt) jx_set(k->stack, "_Template", cJSON_Duplicate(pt, 1));
    if (pp) jx_set(k->stack, "_Params", cJSON_Duplicate(pp, 1));
    if (!shown) return;
    for (const char *const *m = cfn_shown; *m; m++)
        cJSON_DeleteItemFromObjectCaseSensitive(k->stack, *m);
    jx_copy(k->stack, shown, cfn_shown);
}

/* Rollback of an update: r's reverse change goes on (_Settling): its check says when it
 * has settled (UPDATE_COMPLETE) or failed (the stack ends UPDATE_ROLLBACK_FAILED). */
static err_t stk_restore_settle(stk_t *k, cJSON *r)
{
    const cfn_type_t *type = cfn_type(jx_str(r, "ResourceType"));
    cfn_progress_t p = CFN_DONE;
    char reason[1100] = "";
    err_t rc = type ? stk_check(k, type, r, false, &p, reason, sizeof(reason)) : ERR_OK;
    if (!rc && p == CFN_PENDING) {
        rc = stk_res_save(k, r, false);
        engine_again(k->r, k->r->payload, k->now + CFN_WAIT_MS(k));
        return rc;
    }
    cJSON_DeleteItemFromObjectCaseSensitive(r, "_Settling");
    if (!rc && p == CFN_FAILED) {
        rc = stk_res_status(k, r, "UPDATE_FAILED", reason, NULL);
        return rc ? rc
                  : stk_end_failed(k, "UPDATE_ROLLBACK_FAILED", "update",
                                   jx_str(r, "LogicalResourceId"));
    }
    if (!rc) rc = stk_res_status(k, r, "UPDATE_COMPLETE", "", NULL);
    engine_again(k->r, k->r->payload, k->now);
    return rc;
}

/* Rollback of an update: one resource this update changed in place gets its former
 * properties back (the owning service applies the reverse change). */
err_t stk_restore_in_place(stk_t *k, bool *busy)
{
    for (cJSON *r = k->resources->child; r; r = r->next) {
        if (!jx_true(r, "_Settling") || jx_int(r, "_UpdatedIn", -1) != k->seq) continue;
        *busy = true; /* a change still going on (an instance's restart): wait for it */
        return stk_restore_settle(k, r);
    }
    for (cJSON *r = k->resources->child; r; r = r->next) {
        cJSON *prev = cJSON_GetObjectItemCaseSensitive(r, "_PrevProps");
        if (!prev || jx_int(r, "_UpdatedIn", -1) != k->seq) continue; /* older: kept, unused */
        *busy = true;
        const cfn_type_t *type = cfn_type(jx_str(r, "ResourceType"));
        const cJSON *now = cJSON_GetObjectItemCaseSensitive(r, "_Props");
        bool replace = false, refused = false;
        char reason[1100] = "";
        err_t rc = type ? store_savepoint(k->s.tx, k->s.eb) : ERR_OK;
        if (!rc && type)
            rc = stk_settle(k, cfn_ssm_update(&k->s, type, r, now, prev, &replace), &refused,
                            reason, sizeof reason);
        if (!rc && refused) {
            rc = stk_res_status(k, r, "UPDATE_FAILED", reason, NULL);
            return rc ? rc
                      : stk_end_failed(k, "UPDATE_ROLLBACK_FAILED", "update",
                                       jx_str(r, "LogicalResourceId"));
        }
        if (!rc) rc = stk_res_status(k, r, "UPDATE_IN_PROGRESS", "", NULL);
        if (!rc) {
            jx_set(r, "_Props", cJSON_DetachItemFromObjectCaseSensitive(r, "_PrevProps"));
            rc = jx_true(r, "_Settling") ? stk_res_save(k, r, false)
                                         : stk_res_status(k, r, "UPDATE_COMPLETE", "", NULL);
        }
        engine_again(k->r, k->r->payload, k->now);
        return rc;
    }
    return ERR_OK;
}
