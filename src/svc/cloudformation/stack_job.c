/* stack_job.c - the durable stack operations. One job per operation; each step does one
 * resource action (create, check, update, delete) in the step's transaction and comes
 * back, so a crash at any point resumes where the last commit left it:
 *   create:  resources in dependency order; on failure ROLLBACK (delete what exists),
 *            DELETE, or DO_NOTHING as OnFailure says
 *   update:  new resources created, changed ones updated in place or replaced, then a
 *            cleanup phase deletes the removed and the replaced; failure rolls back
 *   delete:  resources in reverse creation order
 * and the operation's give-up when its job is set aside.
 * Deleting, rolling back and restoring live in stack_undo.c (stk_int.h). */
#include "svc/cloudformation/stk_int.h"
#include "svc/cloudformation/stack_ssm.h"
#include "core/jx.h"

#include "core/clk.h"
#include "core/log.h"
#include "svc/sts/sts.h"

#include <stdio.h>
#include <string.h>

err_t cfn_start(app_t *app, store_tx_t *tx, const cJSON *stack, const char *op, errbuf_t *eb)
{
    char payload[600];
    snprintf(payload, sizeof(payload), "{\"stack\":\"%s\",\"seq\":%lld,\"op\":\"%s\"}",
             jx_str(stack, "StackId"), (long long)jx_int(stack, "_Seq", 0), op);
    return engine_enqueue(tx, &app->ids, CFN_JOB, payload, clk_now_ms(&app->clock), 20, NULL, eb);
}

static cJSON *stk_res(stk_t *k, const char *logical)
{
    for (cJSON *r = k->resources ? k->resources->child : NULL; r; r = r->next)
        if (!strcmp(jx_str(r, "LogicalResourceId"), logical)) return r;
    return NULL;
}

static const char *stk_ref(void *ud, const char *logical)
{
    const cJSON *r = stk_res(ud, logical);
    return r ? jx_str(r, "PhysicalResourceId") : NULL;
}

static cJSON *stk_getatt(void *ud, const char *logical, const char *attr)
{
    const cJSON *r = stk_res(ud, logical);
    const cJSON *v =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(r, "_Attrs"), attr);
    if (v) return cJSON_Duplicate(v, 1);
    if (r && !strcmp(attr, "Ref")) return cJSON_CreateString(jx_str(r, "PhysicalResourceId"));
    return NULL;
}

static const char *stk_import(void *ud, const char *name)
{
    stk_t *k = ud;
    return cfn_export_value(&k->where, k->s.tx, name, k->r->arena);
}

static err_t stk_save_stack(stk_t *k)
{
    return cfn_stack_save(k->s.tx, k->where.scope, k->stack, k->now, k->s.eb);
}

/* Saves a resource's record (inserting it when insert) under this stack. */
err_t stk_res_save(stk_t *k, cJSON *res, bool insert)
{
    return cfn_resource_save(k->s.tx, k->where.scope, jx_str(k->stack, "StackId"), res, k->now,
                             insert, k->s.eb);
}

/* Deletes the records of the resources `want` picks (their physical resources are gone);
 * stops at the first failure. */
static err_t stk_forget(stk_t *k, bool (*want)(stk_t *, const cJSON *))
{
    err_t rc = ERR_OK;
    for (cJSON *r = k->resources->child; !rc && r; r = r->next)
        if (want(k, r))
            rc = cfn_resource_delete(k->s.tx, k->where.scope, jx_str(k->stack, "StackId"),
                                     jx_str(r, "LogicalResourceId"), k->s.eb);
    return rc;
}

err_t stk_res_status(stk_t *k, cJSON *res, const char *status, const char *reason,
                     const cJSON *props)
{
    jx_set_str(res, "ResourceStatus", status);
    cJSON_DeleteItemFromObjectCaseSensitive(res, "ResourceStatusReason");
    if (reason && *reason) cJSON_AddStringToObject(res, "ResourceStatusReason", reason);
    jx_set_num(res, "LastUpdatedTimestamp", (double)k->now / 1000.0);
    err_t rc = stk_res_save(k, res, false);
    if (!rc)
        rc = cfn_event(k->app, k->s.tx, k->stack, jx_str(res, "LogicalResourceId"),
                       jx_str(res, "PhysicalResourceId"), jx_str(res, "ResourceType"), status,
                       reason, props, k->s.eb);
    return rc;
}

static err_t stk_stack_status(stk_t *k, const char *status, const char *reason)
{
    cfn_set_status(k->stack, status, reason);
    err_t rc = stk_save_stack(k);
    if (!rc)
        rc = cfn_event(k->app, k->s.tx, k->stack, NULL, NULL, NULL, status, reason, NULL, k->s.eb);
    /* a settled stack wakes whoever waits on it (a Service Catalog record) */
    if (!rc && !strstr(status, "IN_PROGRESS"))
        rc = engine_signal(k->s.tx,
                           arena_printf(k->r->arena, "cfn.stack:%s", jx_str(k->stack, "StackId")),
                           k->now, k->s.eb);
    return rc;
}

/* The principal the stack's work runs as: its RoleARN assumed by CloudFormation (kept
 * in the stack for the operation, renewed when near expiry), else its caller. */
static err_t stk_principal(stk_t *k)
{
    const char *role = jx_str(k->stack, "RoleARN");
    const cJSON *sess = cJSON_GetObjectItemCaseSensitive(k->stack, "_Session");
    if (role && sess && auth_principal_from_json_in(sess, k->where.region, &k->who) &&
        k->who.expires_ms > clk_now_ms(&k->app->wall) + 300000)
        return ERR_OK;
    if (role) {
        sts_assume_req_t req = {.service = "cloudformation.amazonaws.com",
                                .role_arn = role,
                                .session_name = "AWSCloudFormation",
                                .duration_s = 3600,
                                .account = k->where.account,
                                .region = k->where.region};
        sts_creds_t creds;
        err_t rc = sts_assume(k->app, k->s.tx, &req, &creds, k->r->arena, k->s.eb);
        if (rc) return rc;
        k->who = creds.who;
        jx_set(k->stack, "_Session", auth_principal_to_json(&k->who));
        return ERR_OK;
    }
    if (!auth_principal_from_json_in(cJSON_GetObjectItemCaseSensitive(k->stack, "_Principal"),
                                     k->where.region, &k->who))
        return err_fail(k->s.eb, ERR_INTERNAL, "stack %s has no principal",
                        jx_str(k->stack, "StackId"));
    return ERR_OK;
}

/* Evaluates a resource's Properties under the template context. */
static err_t stk_props(stk_t *k, const char *logical, cJSON **out)
{
    const cJSON *def = tpl_resource(k->tpl, logical);
    const cJSON *props = cJSON_GetObjectItemCaseSensitive(def, "Properties");
    if (!props) {
        *out = cJSON_CreateObject();
        return ERR_OK;
    }
    return tpl_eval(k->tpl, &k->ctx, props, out, k->s.eb);
}

/* Ends the operation in status (a *_FAILED one) because resource logical failed to `verb`
 * ("delete", "update"), with CloudFormation's reason text. */
err_t stk_end_failed(stk_t *k, const char *status, const char *verb, const char *logical)
{
    engine_done(k->r);
    return stk_stack_status(
        k, status,
        arena_printf(k->r->arena, "The following resource(s) failed to %s: [%s]. ", verb, logical));
}

/* Ends a call into the owning service begun with store_savepoint, which returned rc. A
 * refusal (an error the same call would meet again: AccessDenied, a missing instance...) is
 * undone, its text copied to reason, and reported as *refused with ERR_OK, so that it fails
 * the resource rather than the step; a success is kept; any other error (a busy store) is
 * returned for the engine to retry the whole step. */
err_t stk_settle(stk_t *k, err_t rc, bool *refused, char *reason, size_t cap)
{
    *refused = false;
    if (!rc) return store_release(k->s.tx, k->s.eb);
    store_rollback_to(k->s.tx);
    if (err_retryable(rc)) return rc;
    snprintf(reason, cap, "%s", k->s.eb->msg);
    *refused = true;
    return ERR_OK;
}

/* type->check inside a savepoint: a refusal reads as CFN_FAILED with its text in reason. */
err_t stk_check(stk_t *k, const cfn_type_t *type, cJSON *res, bool deleting, cfn_progress_t *p,
                char *reason, size_t cap)
{
    bool refused;
    err_t rc = store_savepoint(k->s.tx, k->s.eb);
    if (!rc)
        rc =
            stk_settle(k, type->check(&k->s, res, deleting, p, reason, cap), &refused, reason, cap);
    if (!rc && refused) *p = CFN_FAILED;
    return rc;
}

/* Marks the operation failed with reason (ending in a blank when more may follow): status,
 * then what OnFailure says to do (the job goes on with the rollback or deletion). */
static err_t stk_fail_op(stk_t *k, const char *reason)
{
    const char *stack_op = jx_str(k->stack, "_Op");
    if (!strcmp(stack_op, "update")) {
        jx_set(k->stack, "_Phase", cJSON_CreateString("rollback"));
        engine_again(k->r, k->r->payload, k->now);
        return stk_stack_status(k, "UPDATE_ROLLBACK_IN_PROGRESS", reason);
    }
    const char *on_failure = jx_str(k->stack, "_OnFailure");
    if (on_failure && !strcmp(on_failure, "DO_NOTHING")) {
        engine_done(k->r);
        return stk_stack_status(k, "CREATE_FAILED", reason);
    }
    if (on_failure && !strcmp(on_failure, "DELETE")) {
        err_t rc = stk_stack_status(k, "CREATE_FAILED", reason);
        jx_set(k->stack, "_Op", cJSON_CreateString("delete"));
        if (!rc) rc = stk_stack_status(k, "DELETE_IN_PROGRESS", "");
        engine_again(k->r, k->r->payload, k->now);
        return rc;
    }
    /* as CloudFormation: straight from CREATE_IN_PROGRESS to ROLLBACK_IN_PROGRESS */
    jx_set(k->stack, "_Phase", cJSON_CreateString("rollback"));
    engine_again(k->r, k->r->payload, k->now);
    return stk_stack_status(k, "ROLLBACK_IN_PROGRESS",
                            arena_printf(k->r->arena, "%sRollback requested by user.", reason));
}

/* A resource failed to `op` (create, update, delete): the operation fails. */
static err_t stk_failed(stk_t *k, const char *logical, const char *op)
{
    char reason[700];
    snprintf(reason, sizeof(reason), "The following resource(s) failed to %s: [%s]. ", op, logical);
    return stk_fail_op(k, reason);
}

/* Creates (or keeps checking) one resource; *busy when this step did something. */
static err_t stk_create_one(stk_t *k, const char *logical, bool replacing, bool *busy)
{
    cJSON *res = stk_res(k, logical);
    err_t rc = ERR_OK;
    const cJSON *def = tpl_resource(k->tpl, logical);
    const char *type_name = jx_str(def, "Type");
    const cfn_type_t *type = type_name ? cfn_type(type_name) : NULL;
    const char *in_progress = replacing ? "UPDATE_IN_PROGRESS" : "CREATE_IN_PROGRESS";
    const char *complete = replacing ? "UPDATE_COMPLETE" : "CREATE_COMPLETE";
    const char *failed = replacing ? "UPDATE_FAILED" : "CREATE_FAILED";
    if (!res || replacing) {
        *busy = true;
        if (!res) {
            res = cJSON_CreateObject();
            cJSON_AddStringToObject(res, "StackName", jx_str(k->stack, "StackName"));
            cJSON_AddStringToObject(res, "StackId", jx_str(k->stack, "StackId"));
            cJSON_AddStringToObject(res, "LogicalResourceId", logical);
            cJSON_AddStringToObject(res, "ResourceType", type_name ? type_name : "");
            cJSON_AddStringToObject(res, "ResourceStatus", "CREATE_IN_PROGRESS");
            cJSON_AddNumberToObject(res, "LastUpdatedTimestamp", (double)k->now / 1000.0);
            cJSON_AddNumberToObject(res, "_Index", cJSON_GetArraySize(k->resources));
            cJSON_AddNumberToObject(res, "_CreatedIn", (double)k->seq);
            cJSON_AddItemToArray(k->resources, res);
            rc = stk_res_save(k, res, true);
        }
        cJSON *props = NULL;
        if (!rc) rc = stk_props(k, logical, &props);
        if (rc) { /* an evaluation error is the stack's failure, not the step's */
            char reason[1100];
            snprintf(reason, sizeof(reason), "%s", k->s.eb->msg);
            cJSON_Delete(props);
            rc = stk_res_status(k, res, failed, reason, NULL);
            return rc ? rc : stk_failed(k, logical, replacing ? "update" : "create");
        }
        rc = stk_res_status(k, res, in_progress,
                            replacing ? "Requested update requires the creation of a new physical "
                                        "resource; hence creating one."
                                      : "",
                            props);
        if (!rc && !type) {
            char reason[2048];
            snprintf(reason, sizeof(reason),
                     "Resource type %s is not supported by catalogd (supported: %s)",
                     type_name ? type_name : "(none)", cfn_supported_types());
            cJSON_Delete(props);
            rc = stk_res_status(k, res, failed, reason, NULL);
            return rc ? rc : stk_failed(k, logical, "create");
        }
        if (!rc) rc = store_savepoint(k->s.tx, k->s.eb);
        if (!rc) {
            /* the owning service may refuse (AccessDenied, validation...): record why */
            char reason[1100];
            bool refused;
            rc = stk_settle(k, cfn_ssm_create(&k->s, type, res, props), &refused, reason,
                            sizeof reason);
            if (!rc && refused) {
                cJSON_Delete(props);
                rc = stk_res_status(k, res, failed, reason, NULL);
                return rc ? rc : stk_failed(k, logical, replacing ? "update" : "create");
            }
        }
        if (!rc) {
            jx_set(res, "_Props", props);
            props = NULL;
            rc = stk_res_save(k, res, false);
        }
        cJSON_Delete(props);
        if (!rc) engine_again(k->r, k->r->payload, k->now);
        return rc;
    }
    const char *status = jx_str(res, "ResourceStatus");
    if (!strcmp(status, "CREATE_IN_PROGRESS") || !strcmp(status, "UPDATE_IN_PROGRESS")) {
        /* (decided now: stk_res_status replaces the member status points into) */
        bool updating = !strcmp(status, "UPDATE_IN_PROGRESS");
        *busy = true;
        cfn_progress_t p = CFN_PENDING;
        char reason[1024] = "";
        rc = type ? stk_check(k, type, res, false, &p, reason, sizeof(reason)) : ERR_OK;
        if (!rc && p == CFN_PENDING) { /* (the check may have moved on: an update's restart) */
            rc = stk_res_save(k, res, false);
            engine_again(k->r, k->r->payload, k->now + CFN_WAIT_MS(k));
        }
        if (!rc && p != CFN_PENDING) cJSON_DeleteItemFromObjectCaseSensitive(res, "_Settling");
        if (!rc && p == CFN_DONE) {
            rc = stk_res_status(k, res, updating ? "UPDATE_COMPLETE" : complete, "", NULL);
            engine_again(k->r, k->r->payload, k->now);
        }
        if (!rc && p == CFN_FAILED) {
            rc = stk_res_status(k, res, updating ? "UPDATE_FAILED" : failed, reason, NULL);
            if (!rc) rc = stk_failed(k, logical, updating ? "update" : "create");
        }
        return rc;
    }
    return ERR_OK; /* complete */
}

/* The outputs, and the exports and imports they make (exports.c): a refusal of those
 * ("Export with name X is already exported by stack Y") fails the operation (*failed). */
static err_t stk_finish_outputs(stk_t *k, bool *failed)
{
    cJSON *outs = NULL;
    *failed = false;
    err_t rc = tpl_outputs(k->tpl, &k->ctx, &outs, k->s.eb);
    if (rc) {
        log_warn("stack outputs failed", "\"stack\":\"%s\"", jx_str(k->stack, "StackId"));
        return ERR_OK; /* outputs that cannot be evaluated are left out */
    }
    char reason[1100];
    rc = store_savepoint(k->s.tx, k->s.eb);
    if (!rc)
        rc = stk_settle(k,
                        cfn_exports_publish(k->app, k->s.tx, k->stack, outs, k->tpl, &k->ctx,
                                            k->r->arena, k->s.eb),
                        failed, reason, sizeof reason);
    if (!rc && *failed) { /* the reason as a sentence, more may follow */
        size_t n = strlen(reason);
        cJSON_Delete(outs);
        return stk_fail_op(
            k, arena_printf(k->r->arena, "%s%s", reason, n && reason[n - 1] == '.' ? " " : ". "));
    }
    if (!rc)
        jx_set(k->stack, "Outputs", outs);
    else
        cJSON_Delete(outs);
    return rc;
}

static err_t stk_run_create(stk_t *k)
{
    cJSON *order = NULL;
    err_t rc = tpl_order(k->tpl, &k->ctx, &order, k->s.eb);
    bool busy = false;
    for (cJSON *o = order ? order->child : NULL; !rc && o && !busy; o = o->next)
        rc = stk_create_one(k, o->valuestring, false, &busy);
    cJSON_Delete(order);
    if (rc || busy) return rc;
    bool failed;
    rc = stk_finish_outputs(k, &failed);
    if (rc || failed) return rc;
    rc = stk_stack_status(k, "CREATE_COMPLETE", "");
    engine_done(k->r);
    return rc;
}

/* One update action: create new, update changed (in place or by replacement). */
/* The stack policy's verdict on an update action on res (stack_policy.c): true when
 * allowed; when not, res is marked UPDATE_FAILED with the policy's reason and the update
 * fails (the rollback follows), *rc holding how that went. */
static bool stk_policy_allows(stk_t *k, cJSON *res, const char *action, const char *type, err_t *rc)
{
    char why[700];
    const char *logical = jx_str(res, "LogicalResourceId");
    if (cfn_stack_policy_allows(jx_str(k->stack, "_UpdatePolicy"), action, logical, type, why,
                                sizeof why))
        return true;
    *rc = stk_res_status(k, res, "UPDATE_FAILED", why, NULL);
    if (!*rc) *rc = stk_failed(k, logical, "update");
    return false;
}

static err_t stk_run_update(stk_t *k)
{
    cJSON *order = NULL;
    err_t rc = tpl_order(k->tpl, &k->ctx, &order, k->s.eb);
    bool busy = false;
    /* what the new template drops is deleted at cleanup: the policy must allow it first */
    for (cJSON *r = k->resources ? k->resources->child : NULL; !rc && r; r = r->next)
        if (!tpl_resource(k->tpl, jx_str(r, "LogicalResourceId")) &&
            !stk_policy_allows(k, r, "Update:Delete", jx_str(r, "ResourceType"), &rc)) {
            cJSON_Delete(order);
            return rc;
        }
    for (cJSON *o = order ? order->child : NULL; !rc && o && !busy; o = o->next) {
        cJSON *res = stk_res(k, o->valuestring);
        if (!res || jx_int(res, "_CreatedIn", -1) == k->seq ||
            !strcmp(jx_str(res, "ResourceStatus"), "UPDATE_IN_PROGRESS")) {
            rc = stk_create_one(k, o->valuestring, false, &busy);
            continue;
        }
        if (jx_int(res, "_UpdatedIn", -1) == k->seq) continue;
        cJSON *props = NULL;
        rc = stk_props(k, o->valuestring, &props);
        if (rc) {
            char reason[1100];
            snprintf(reason, sizeof(reason), "%s", k->s.eb->msg);
            rc = stk_res_status(k, res, "UPDATE_FAILED", reason, NULL);
            if (!rc) rc = stk_failed(k, o->valuestring, "update");
            busy = true;
            break;
        }
        const cJSON *old = cJSON_GetObjectItemCaseSensitive(res, "_Props");
        const char *new_type = jx_str(tpl_resource(k->tpl, o->valuestring), "Type");
        jx_set_num(res, "_UpdatedIn", (double)k->seq);
        cJSON_DeleteItemFromObjectCaseSensitive(res, "_PrevProps"); /* an older update's */
        if (cJSON_Compare(old, props, true) && !strcmp(new_type, jx_str(res, "ResourceType"))) {
            cJSON_Delete(props);
            rc = stk_res_save(k, res, false);
            continue;
        }
        busy = true;
        const cfn_type_t *type = cfn_type(new_type);
        bool replace = strcmp(new_type, jx_str(res, "ResourceType")) != 0;
        if (!stk_policy_allows(k, res, cfn_update_action(new_type, old, props, replace), new_type,
                               &rc)) {
            cJSON_Delete(props);
            break;
        }
        if (!replace && type) {
            char reason[1100];
            bool refused = false;
            rc = store_savepoint(k->s.tx, k->s.eb);
            if (!rc)
                rc = stk_settle(k, cfn_ssm_update(&k->s, type, res, old, props, &replace), &refused,
                                reason, sizeof reason);
            if (!rc && refused) {
                cJSON_Delete(props);
                rc = stk_res_status(k, res, "UPDATE_FAILED", reason, NULL);
                if (!rc) rc = stk_failed(k, o->valuestring, "update");
                break;
            }
        }
        if (!rc && !replace) {
            jx_set(res, "_PrevProps", cJSON_Duplicate(old, 1)); /* for a rollback */
            jx_set(res, "_Props", props);
            props = NULL;
            rc = stk_res_status(k, res, "UPDATE_IN_PROGRESS", "", NULL);
            /* a change that goes on (_Settling) completes when the check says so */
            if (!rc && !jx_true(res, "_Settling"))
                rc = stk_res_status(k, res, "UPDATE_COMPLETE", "", NULL);
            engine_again(k->r, k->r->payload, k->now);
        } else if (!rc) {
            /* replacement: keep the old physical for the cleanup phase */
            const char *phys = jx_str(res, "PhysicalResourceId");
            if (phys) cJSON_AddStringToObject(res, "_OldPhysical", phys);
            const cJSON *attrs = cJSON_GetObjectItemCaseSensitive(res, "_Attrs");
            if (attrs) jx_set(res, "_OldAttrs", cJSON_Duplicate(attrs, 1)); /* for a rollback */
            if (old) jx_set(res, "_OldProps", cJSON_Duplicate(old, 1));
            jx_set(res, "ResourceType", cJSON_CreateString(new_type));
            rc = stk_create_one(k, o->valuestring, true, &busy);
        }
        cJSON_Delete(props);
    }
    cJSON_Delete(order);
    if (rc || busy) return rc;
    bool failed;
    rc = stk_finish_outputs(k, &failed);
    if (rc || failed) return rc;
    jx_set(k->stack, "_Phase", cJSON_CreateString("cleanup"));
    rc = stk_stack_status(k, "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", "");
    engine_again(k->r, k->r->payload, k->now);
    return rc;
}

static err_t stk_step(stk_t *k)
{
    const char *op = jx_str(k->stack, "_Op");
    const char *phase = jx_str(k->stack, "_Phase");
    bool busy = false;
    err_t rc;
    bool forward = (!strcmp(op, "create") && (!phase || !strcmp(phase, "create"))) ||
                   (!strcmp(op, "update") && !strcmp(phase, "apply"));
    if (forward) { /* an import of an export that does not exist fails the operation */
        rc = cfn_imports_check(k->app, k->s.tx, k->tpl, &k->ctx, k->r->arena, k->s.eb);
        if (rc == ERR_VALIDATION)
            return stk_fail_op(k, arena_printf(k->r->arena, "%s ", k->s.eb->msg));
        if (rc) return rc;
    }
    if (!strcmp(op, "create") && (!phase || !strcmp(phase, "create"))) return stk_run_create(k);
    if (!strcmp(op, "create")) { /* rollback */
        rc = stk_delete_some(k, stk_want_all, &busy);
        if (rc || busy) return rc;
        engine_done(k->r);
        return stk_stack_status(k, "ROLLBACK_COMPLETE", "");
    }
    if (!strcmp(op, "update") && !strcmp(phase, "apply") &&
        jx_int(k->stack, "_Cancel", -1) == k->seq) { /* CancelUpdateStack */
        rc = ERR_OK;
        for (cJSON *r = k->resources->child; !rc && r; r = r->next)
            if (!strcmp(jx_str(r, "ResourceStatus"), "UPDATE_IN_PROGRESS"))
                rc = stk_res_status(k, r, "UPDATE_FAILED", "Resource update cancelled", NULL);
        return rc ? rc : stk_fail_op(k, "User Initiated");
    }
    if (!strcmp(op, "update") && !strcmp(phase, "apply")) return stk_run_update(k);
    if (!strcmp(op, "update") && !strcmp(phase, "cleanup")) {
        /* what the new template dropped may still use a replaced resource: it goes first */
        rc = stk_delete_some(k, stk_want_removed, &busy);
        if (!rc && !busy) rc = stk_drop_replaced(k, &busy);
        if (rc || busy) return rc;
        /* the removed resources' records go with the cleanup */
        rc = stk_forget(k, stk_want_removed);
        engine_done(k->r);
        return rc ? rc : stk_stack_status(k, "UPDATE_COMPLETE", "");
    }
    if (!strcmp(op, "update")) { /* rollback */
        /* dependents first: what changed in place points back at the old physical
         * resources before what this update made (created, or replacements) is deleted */
        rc = stk_restore_in_place(k, &busy);
        if (!rc && !busy) rc = stk_delete_some(k, stk_want_created_now, &busy);
        if (!rc && !busy) rc = stk_restore_replaced(k, &busy);
        if (rc || busy) return rc;
        rc = stk_forget(k, stk_want_created_now);
        stk_restore_previous(k);
        engine_done(k->r);
        return rc ? rc : stk_stack_status(k, "UPDATE_ROLLBACK_COMPLETE", "");
    }
    /* delete: not while another stack imports an export of this one */
    rc = cfn_exports_unused(k->app, k->s.tx, k->stack, k->r->arena, k->s.eb);
    if (rc == ERR_VALIDATION) {
        engine_done(k->r);
        return stk_stack_status(k, "DELETE_FAILED", arena_printf(k->r->arena, "%s", k->s.eb->msg));
    }
    if (!rc) rc = stk_delete_some(k, stk_want_all, &busy);
    if (rc || busy) return rc;
    jx_set_num(k->stack, "DeletionTime", (double)k->now / 1000.0);
    engine_done(k->r);
    rc = cfn_exports_drop(k->app, k->s.tx, k->stack, k->r->arena, k->s.eb);
    if (!rc) rc = stk_stack_status(k, "DELETE_COMPLETE", "");
    if (!rc) rc = cfn_changesets_obsolete(k->app, k->s.tx, k->stack, NULL, k->s.eb);
    /* the name is free again */
    if (!rc)
        rc =
            store_exec(k->s.tx, k->s.eb, NULL,
                       "UPDATE resources SET name = NULL WHERE account = ? AND kind = ? AND id = ?",
                       "sss", k->where.scope, CFN_STACK, jx_str(k->stack, "StackId"));
    return rc;
}

/* Loads the stack of run r's job into k, in the job's transaction. ERR_OK with k->stack
 * NULL when there is nothing to do: the stack is gone, or a newer operation took over;
 * ERR_INTERNAL (permanent) for a malformed payload. */
static err_t stk_load(engine_run_t *r, stk_t *k)
{
    app_t *app = r->app;
    *k = (stk_t){.r = r, .app = app, .now = clk_now_ms(&app->clock)};
    cJSON *p = cJSON_Parse(r->payload);
    const char *id = jx_str(p, "stack");
    k->seq = jx_int(p, "seq", -1);
    err_t rc;
    store_tx_t *tx = engine_tx(r, &rc);
    if (tx && !id) {
        engine_fail(r);
        rc = err_fail(r->eb, ERR_INTERNAL, "malformed stack job");
    }
    if (tx && id) {
        cfn_id_where(app, id, &k->where);
        k->s = (cfn_step_t){.app = app,
                            .tx = tx,
                            .arena = r->arena,
                            .eb = r->eb,
                            .as = &k->who,
                            .post = &r->post,
                            .job_id = r->job_id};
        if (cfn_stack_find(tx, k->where.scope, id, false, &k->stack, r->eb) ||
            jx_int(k->stack, "_Seq", -2) != k->seq) {
            cJSON_Delete(k->stack);
            k->stack = NULL;
        }
        k->s.stack = k->stack;
    }
    cJSON_Delete(p);
    return rc;
}

static err_t cfn_stack_step(engine_run_t *r)
{
    stk_t k;
    err_t rc = stk_load(r, &k);
    if (rc || !k.stack) {
        engine_done(r);
        return rc;
    }
    const char *id = jx_str(k.stack, "StackId");
    rc = cfn_resources(k.s.tx, k.where.scope, id, &k.resources, r->eb);
    if (!rc) rc = tpl_parse(span_of(jx_str(k.stack, "_Template")), &k.tpl, r->eb);
    k.ctx = (tpl_ctx_t){.stack_name = jx_str(k.stack, "StackName"),
                        .stack_id = id,
                        .region = k.where.region,
                        .account_id = k.where.account,
                        .partition = "aws",
                        .url_suffix = "amazonaws.com",
                        .params = cJSON_GetObjectItemCaseSensitive(k.stack, "_Params"),
                        .ref = stk_ref,
                        .getatt = stk_getatt,
                        .import = stk_import,
                        .ud = &k};
    if (!rc) rc = tpl_conditions(k.tpl, &k.ctx, &k.conds, r->eb);
    k.ctx.conditions = k.conds;
    if (!rc) {
        rc = stk_principal(&k);
        if (rc == ERR_ACCESS_DENIED) {
            /* CloudFormation could not assume the stack's role: the operation fails */
            char reason[1100];
            snprintf(reason, sizeof(reason), "%s", r->eb->msg);
            const char *op = jx_str(k.stack, "_Op");
            if (!strcmp(op, "update")) stk_restore_previous(&k); /* nothing was changed */
            rc = stk_stack_status(&k,
                                  !strcmp(op, "delete")   ? "DELETE_FAILED"
                                  : !strcmp(op, "update") ? "UPDATE_ROLLBACK_COMPLETE"
                                                          : "ROLLBACK_COMPLETE",
                                  reason);
            engine_done(r);
            goto done;
        }
    }
    if (!rc) rc = stk_step(&k);
    if (!rc) rc = stk_save_stack(&k);
done:
    cJSON_Delete(k.conds);
    tpl_free(k.tpl);
    cJSON_Delete(k.resources);
    cJSON_Delete(k.stack);
    return rc;
}

/* The stack's job is set aside (a step stopped the process each time it ran, or kept failing
 * inside catalogd). The operation fails with the reason as a resource failure would: a
 * create or an update goes on to its rollback (or OnFailure's deletion) in a new job, with
 * attempts of its own; a rollback, a cleanup or a deletion that is set aside ends in
 * ROLLBACK_FAILED / UPDATE_COMPLETE / UPDATE_ROLLBACK_FAILED / DELETE_FAILED, from which
 * the stack can be deleted (or, for UPDATE_COMPLETE, used) again. */
static err_t cfn_stack_giveup(engine_run_t *r, const char *why)
{
    stk_t k;
    err_t rc = stk_load(r, &k);
    if (rc || !k.stack) return rc == ERR_INTERNAL && r->permanent ? ERR_OK : rc;
    const char *reason = arena_printf(r->arena, "The stack operation %s and was set aside.", why);
    const char *op = jx_str(k.stack, "_Op"), *phase = jx_str(k.stack, "_Phase");
    bool create = !strcmp(op, "create"), update = !strcmp(op, "update");
    if ((create && (!phase || !strcmp(phase, "create"))) ||
        (update && phase && !strcmp(phase, "apply"))) {
        rc = stk_fail_op(&k, arena_printf(r->arena, "%s ", reason));
        if (!rc) { /* the rollback (or deletion) runs as a job of its own */
            jx_set_num(k.stack, "_Seq", (double)(k.seq + 1));
            rc = cfn_start(k.app, k.s.tx, k.stack, jx_str(k.stack, "_Op"), r->eb);
            r->post |= API_POST_WAKE_ENGINE;
        }
    } else {
        rc = stk_stack_status(&k,
                              create                                         ? "ROLLBACK_FAILED"
                              : update && phase && !strcmp(phase, "cleanup") ? "UPDATE_COMPLETE"
                              : update ? "UPDATE_ROLLBACK_FAILED"
                                       : "DELETE_FAILED",
                              reason);
    }
    if (!rc) rc = stk_save_stack(&k);
    cJSON_Delete(k.stack);
    return rc;
}

void cfn_register_jobs(app_t *app)
{
    engine_register(app->engine, CFN_JOB, cfn_stack_step, 20, cfn_stack_giveup);
    cfn_register_stackset_jobs(app);
}
