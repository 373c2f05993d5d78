/* stackset_job.c - the job that carries out a stack set operation, one target (account,
 * region) at a time: CloudFormation assumes the stack set's administration role, which
 * assumes the execution role in the target account; as that session it creates, updates
 * or deletes the instance's stack in the target region through the in-process client, then
 * follows the stack until it settles. A target that fails ends FAILED with the reason;
 * past the operation's FailureToleranceCount (default 0) the targets still waiting are
 * CANCELLED and the operation FAILED; StopStackSetOperation cancels what waits and ends the
 * operation STOPPED once the target under way settles. */
#include "svc/cloudformation/ss_int.h"
#include "core/jx.h"
#include "svc/sts/sts.h"

#include <stdio.h>
#include <string.h>

/* One step's view of the operation. */
typedef struct ssj {
    engine_run_t *r;
    app_t *app;
    store_tx_t *tx;
    app_where_t w;
    cJSON *set, *op, *results;
    int64_t now;
} ssj_t;

err_t ss_job_start(api_ctx_t *c, const char *set_id, const char *op_id)
{
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "account", c->account);
    cJSON_AddStringToObject(p, "region", c->region);
    cJSON_AddStringToObject(p, "set", set_id);
    cJSON_AddStringToObject(p, "op", op_id);
    char *text = cJSON_PrintUnformatted(p);
    err_t rc = engine_enqueue(c->tx, &c->app->ids, CFN_SSJOB, text, clk_now_ms(&c->app->clock), 20,
                              NULL, c->eb);
    cJSON_free(text);
    cJSON_Delete(p);
    if (!rc) c->post |= API_POST_WAKE_ENGINE;
    return rc;
}

static res_key_t ssj_op_key(ssj_t *j)
{
    return (res_key_t){
        j->w.scope, CFN_SSOP,
        ss_op_id(jx_str(j->set, "StackSetId"), jx_str(j->op, "OperationId"), j->r->arena)};
}

/* The instance record of target t (*out NULL when gone). */
static err_t ssj_instance(ssj_t *j, const cJSON *t, cJSON **out)
{
    res_key_t k = {j->w.scope, CFN_SSINST,
                   ss_instance_id(jx_str(j->set, "StackSetId"), jx_str(t, "Account"),
                                  jx_str(t, "Region"), j->r->arena)};
    return res_get(j->tx, &k, out, j->r->eb);
}

/* Sets target t's Status (and reason), and its instance's status to match: detailed
 * status `detailed`; Status CURRENT when it SUCCEEDED, else OUTDATED (a deleted one's
 * record goes). */
static err_t ssj_mark(ssj_t *j, cJSON *t, const char *status, const char *reason)
{
    jx_set_str(t, "Status", status);
    if (reason && *reason)
        jx_set_str(t, "StatusReason", reason);
    else
        cJSON_DeleteItemFromObjectCaseSensitive(t, "StatusReason");
    cJSON *inst = NULL;
    err_t rc = ssj_instance(j, t, &inst);
    if (rc || !inst) return rc;
    res_key_t k = {j->w.scope, CFN_SSINST,
                   ss_instance_id(jx_str(j->set, "StackSetId"), jx_str(t, "Account"),
                                  jx_str(t, "Region"), j->r->arena)};
    bool deleting = !strcmp(jx_str(j->op, "Action"), "DELETE");
    if (deleting && !strcmp(status, "SUCCEEDED")) {
        cJSON_Delete(inst);
        return res_delete(j->tx, &k, NULL, j->r->eb);
    }
    const char *detailed = !strcmp(status, "PENDING") ? "PENDING" : status;
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "DetailedStatus", detailed);
    jx_set(inst, "StackInstanceStatus", d);
    jx_set_str(inst, "LastOperationId", jx_str(j->op, "OperationId"));
    if (jx_str(t, "_StackId")) jx_set_str(inst, "StackId", jx_str(t, "_StackId"));
    if (!strcmp(status, "SUCCEEDED")) {
        jx_set_str(inst, "Status", "CURRENT");
        cJSON_DeleteItemFromObjectCaseSensitive(inst, "StatusReason");
    } else if (strcmp(status, "RUNNING")) {
        jx_set_str(inst, "Status", "OUTDATED");
        jx_set_str(inst, "StatusReason", reason && *reason ? reason : status);
    }
    rc = res_update(j->tx, &k, NULL, j->now, inst, NULL, j->r->eb);
    cJSON_Delete(inst);
    return rc;
}

/* Ends the operation with status (and its set's _Running mark). */
static err_t ssj_finish(ssj_t *j, const char *status, const char *reason)
{
    int failed = 0;
    for (const cJSON *t = j->results->child; t; t = t->next)
        failed += !strcmp(jx_str(t, "Status"), "FAILED");
    jx_set_str(j->op, "Status", status);
    if (reason) jx_set_str(j->op, "StatusReason", reason);
    jx_set_num(j->op, "EndTimestamp", (double)j->now / 1000.0);
    cJSON *d = cJSON_CreateObject();
    cJSON_AddNumberToObject(d, "FailedStackInstancesCount", failed);
    jx_set(j->op, "StatusDetails", d);
    const char *running = jx_str(j->set, "_Running");
    err_t rc = ERR_OK;
    if (running && !strcmp(running, jx_str(j->op, "OperationId"))) {
        cJSON_DeleteItemFromObjectCaseSensitive(j->set, "_Running");
        rc = ss_save(j->tx, j->w.scope, j->set, j->now, j->r->eb);
    }
    engine_done(j->r);
    return rc;
}

/* Cancels every target still PENDING. */
static err_t ssj_cancel_pending(ssj_t *j)
{
    err_t rc = ERR_OK;
    for (cJSON *t = j->results->child; !rc && t; t = t->next)
        if (!strcmp(jx_str(t, "Status"), "PENDING"))
            rc = ssj_mark(j, t, "CANCELLED", "Cancelled since failure tolerance has exceeded");
    return rc;
}

/* The execution role's session in target t's account, acting in its region: CloudFormation
 * assumes the administration role, which assumes the execution role. *why says what failed
 * (the target's StatusReason) when it returns false. */
static bool ssj_session(ssj_t *j, const cJSON *t, auth_principal_t *as, char *why, size_t cap)
{
    const char *admin = jx_str(j->op, "AdministrationRoleARN");
    const char *exec_name = jx_str(j->op, "ExecutionRoleName");
    const char *acct = jx_str(t, "Account");
    const char *session =
        arena_printf(j->r->arena, "stacksets-%.40s", jx_str(j->op, "OperationId"));
    sts_assume_req_t req = {.service = "cloudformation.amazonaws.com",
                            .role_arn = admin,
                            .session_name = session,
                            .duration_s = 3600,
                            .account = j->w.account,
                            .region = j->w.region};
    sts_creds_t admin_creds, exec_creds;
    errbuf_t eb = {0};
    if (sts_assume(j->app, j->tx, &req, &admin_creds, j->r->arena, &eb)) {
        snprintf(why, cap, "Could not assume the administration role %s: %s", admin, eb.msg);
        return false;
    }
    const char *admin_name = strrchr(admin, '/') ? strrchr(admin, '/') + 1 : admin;
    sts_assume_req_t ex = {
        .caller = &admin_creds.who,
        .role_arn = arena_printf(j->r->arena, "arn:aws:iam::%s:role/%s", acct, exec_name),
        .session_name = session,
        .duration_s = 3600,
        .account = acct,
        .region = jx_str(t, "Region")};
    if (sts_assume(j->app, j->tx, &ex, &exec_creds, j->r->arena, &eb)) {
        snprintf(why, cap, "Account %s should have '%s' role with trust relationship to Role '%s'.",
                 acct, exec_name, admin_name);
        return false;
    }
    *as = exec_creds.who;
    snprintf(as->region, sizeof(as->region), "%s", jx_str(t, "Region"));
    return true;
}

/* The set's Parameters with the instance's ParameterOverrides in place (new array). */
static cJSON *ssj_params(const cJSON *set, const cJSON *inst)
{
    cJSON *out = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(set, "Parameters"), 1);
    if (!out) out = cJSON_CreateArray();
    const cJSON *over = cJSON_GetObjectItemCaseSensitive(inst, "ParameterOverrides");
    for (const cJSON *o = over ? over->child : NULL; o; o = o->next) {
        const char *key = jx_str(o, "ParameterKey");
        cJSON *hit = NULL;
        for (cJSON *p = out->child; p && !hit; p = p->next)
            if (!strcmp(jx_str(p, "ParameterKey"), key)) hit = p;
        if (hit) cJSON_Delete(cJSON_DetachItemViaPointer(out, hit));
        cJSON_AddItemToArray(out, cJSON_Duplicate(o, 1));
    }
    return out;
}

/* Starts target t: its stack created, updated or deleted as the execution role. */
static err_t ssj_begin(ssj_t *j, cJSON *t)
{
    cJSON *inst = NULL;
    err_t rc = ssj_instance(j, t, &inst);
    if (rc) return rc;
    const char *action = jx_str(j->op, "Action");
    const char *stack_id = jx_str(inst, "StackId"); /* outlives inst: copied */
    if (stack_id) stack_id = arena_strdup(j->r->arena, stack_id);
    bool deleting = !strcmp(action, "DELETE");
    if (deleting && (!stack_id || jx_true(j->op, "RetainStacks"))) {
        cJSON_Delete(inst);
        return ssj_mark(j, t, "SUCCEEDED", NULL); /* nothing to delete, or kept */
    }
    auth_principal_t as;
    char why[1200];
    if (!ssj_session(j, t, &as, why, sizeof why)) {
        cJSON_Delete(inst);
        return ssj_mark(j, t, "FAILED", why);
    }
    cJSON *in = cJSON_CreateObject(), *out = NULL;
    const char *call;
    if (deleting) {
        call = "DeleteStack";
        cJSON_AddStringToObject(in, "StackName", stack_id);
    } else {
        call = stack_id ? "UpdateStack" : "CreateStack";
        char uuid[37];
        ids_uuid(&j->app->ids, uuid);
        cJSON_AddStringToObject(in, "StackName",
                                stack_id ? stack_id
                                         : arena_printf(j->r->arena, "StackSet-%s-%s",
                                                        jx_str(j->set, "StackSetName"), uuid));
        cJSON_AddStringToObject(in, "TemplateBody", jx_str(j->set, "TemplateBody"));
        cJSON_AddItemToObject(in, "Parameters", ssj_params(j->set, inst));
        static const char *const passed[] = {"Capabilities", "Tags", NULL};
        jx_copy(in, j->set, passed);
    }
    errbuf_t eb = {0};
    err_t crc = api_client_call_tx(j->app, j->tx, &j->r->post, j->r->arena, &as, "cloudformation",
                                   call, in, &out, &eb);
    cJSON_Delete(in);
    if (!crc && !deleting && !stack_id)
        stack_id = arena_strdup(j->r->arena, jx_str(out, "StackId"));
    cJSON_Delete(out);
    cJSON_Delete(inst);
    if (crc == ERR_VALIDATION && !strcmp(eb.msg, "No updates are to be performed."))
        return ssj_mark(j, t, "SUCCEEDED", NULL);
    if (crc) {
        char text[1300];
        api_client_error_text(crc, "cloudformation", call, eb.msg, text, sizeof text);
        return ssj_mark(j, t, "FAILED", text);
    }
    jx_set_str(t, "_StackId", stack_id);
    return ssj_mark(j, t, "RUNNING", NULL);
}

/* Follows the stack of running target t: *settled once it has. */
static err_t ssj_follow(ssj_t *j, cJSON *t, bool *settled)
{
    char scope[64];
    app_scope(j->app, jx_str(t, "Account"), jx_str(t, "Region"), scope, sizeof scope);
    cJSON *s = NULL;
    err_t rc = cfn_stack_find(j->tx, scope, jx_str(t, "_StackId"), false, &s, j->r->eb);
    if (rc == ERR_VALIDATION) { /* gone entirely: deleted */
        *settled = true;
        return ssj_mark(j, t, "SUCCEEDED", NULL);
    }
    if (rc) return rc;
    const char *st = jx_str(s, "StackStatus");
    size_t n = strlen(st);
    *settled = n < 12 || strcmp(st + n - 12, "_IN_PROGRESS");
    if (*settled) {
        bool ok = !strcmp(st, "CREATE_COMPLETE") || !strcmp(st, "UPDATE_COMPLETE") ||
                  !strcmp(st, "DELETE_COMPLETE");
        const char *why = jx_str(s, "StackStatusReason");
        rc = ssj_mark(j, t, ok ? "SUCCEEDED" : "FAILED",
                      ok ? NULL
                         : arena_printf(j->r->arena,
                                        "ResourceLogicalId:%s, ResourceType:"
                                        "AWS::CloudFormation::Stack, "
                                        "ResourceStatusReason:%s.",
                                        jx_str(s, "StackName"), why && *why ? why : st));
    }
    cJSON_Delete(s);
    return rc;
}

/* One step: follow the target under way, else start the next, else end. */
static err_t ssj_run(ssj_t *j)
{
    for (cJSON *t = j->results->child; t; t = t->next)
        if (!strcmp(jx_str(t, "Status"), "RUNNING")) {
            bool settled = false;
            err_t rc = ssj_follow(j, t, &settled);
            if (rc || !settled) {
                engine_again(j->r, j->r->payload, j->now + SS_POLL_MS);
                return rc;
            }
        }
    const cJSON *prefs = cJSON_GetObjectItemCaseSensitive(j->op, "OperationPreferences");
    int64_t tolerance = jx_int(prefs, "FailureToleranceCount", 0);
    int64_t failed = 0;
    for (const cJSON *t = j->results->child; t; t = t->next)
        failed += !strcmp(jx_str(t, "Status"), "FAILED");
    if (!strcmp(jx_str(j->op, "Status"), "STOPPING")) {
        err_t rc = ERR_OK;
        for (cJSON *t = j->results->child; !rc && t; t = t->next)
            if (!strcmp(jx_str(t, "Status"), "PENDING"))
                rc = ssj_mark(j, t, "CANCELLED", "Cancelled since the operation was stopped");
        return rc ? rc : ssj_finish(j, "STOPPED", NULL);
    }
    if (failed > tolerance) {
        err_t rc = ssj_cancel_pending(j);
        return rc ? rc
                  : ssj_finish(j, "FAILED",
                               "The Operation failed because failure tolerance "
                               "was exceeded");
    }
    for (cJSON *t = j->results->child; t; t = t->next)
        if (!strcmp(jx_str(t, "Status"), "PENDING")) {
            err_t rc = ssj_begin(j, t);
            engine_again(j->r, j->r->payload, j->now);
            return rc;
        }
    return ssj_finish(j, failed ? "FAILED" : "SUCCEEDED", NULL);
}

/* Loads the step's operation and set into j; ERR_OK with j->op NULL when there is nothing
 * to do (gone, or already ended). */
static err_t ssj_load(engine_run_t *r, ssj_t *j)
{
    app_t *app = r->app;
    *j = (ssj_t){.r = r, .app = app, .now = clk_now_ms(&app->clock)};
    err_t rc;
    j->tx = engine_tx(r, &rc);
    if (!j->tx) return rc;
    app_where_of(app, r->payload, &j->w);
    cJSON *p = cJSON_Parse(r->payload);
    const char *set_id = jx_str(p, "set"), *op_id = jx_str(p, "op");
    if (!set_id || !op_id) {
        cJSON_Delete(p);
        engine_fail(r);
        return err_fail(r->eb, ERR_INTERNAL, "malformed stack set job");
    }
    rc = res_get(j->tx, &(res_key_t){j->w.scope, CFN_STACKSET, set_id}, &j->set, r->eb);
    if (!rc && j->set)
        rc = res_get(j->tx, &(res_key_t){j->w.scope, CFN_SSOP, ss_op_id(set_id, op_id, r->arena)},
                     &j->op, r->eb);
    cJSON_Delete(p);
    const char *st = j->op ? jx_str(j->op, "Status") : "";
    if (!rc && (!j->op || (strcmp(st, "RUNNING") && strcmp(st, "STOPPING")))) {
        cJSON_Delete(j->op);
        j->op = NULL;
    }
    if (j->op) j->results = cJSON_GetObjectItemCaseSensitive(j->op, "_Results");
    return rc;
}

static err_t ssj_step(engine_run_t *r)
{
    ssj_t j;
    err_t rc = ssj_load(r, &j);
    if (!rc && !j.op) engine_done(r);
    if (!rc && j.op) rc = ssj_run(&j);
    if (!rc && j.op) {
        res_key_t k = ssj_op_key(&j);
        rc = res_update(j.tx, &k, jx_str(j.op, "Status"), j.now, j.op, NULL, r->eb);
    }
    cJSON_Delete(j.op);
    cJSON_Delete(j.set);
    return rc;
}

/* Set aside: the operation fails with the reason, its waiting targets cancelled. */
static err_t ssj_giveup(engine_run_t *r, const char *why)
{
    ssj_t j;
    err_t rc = ssj_load(r, &j);
    if (!rc && j.op) rc = ssj_cancel_pending(&j);
    if (!rc && j.op)
        rc = ssj_finish(&j, "FAILED",
                        arena_printf(r->arena, "The operation %s and was set aside.", why));
    if (!rc && j.op) {
        res_key_t k = ssj_op_key(&j);
        rc = res_update(j.tx, &k, "FAILED", j.now, j.op, NULL, r->eb);
    }
    cJSON_Delete(j.op);
    cJSON_Delete(j.set);
    return rc;
}

void cfn_register_stackset_jobs(app_t *app)
{
    engine_register(app->engine, CFN_SSJOB, ssj_step, 20, ssj_giveup);
}
