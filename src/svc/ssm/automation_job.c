/* automation_job.c - running an Automation execution, tick by tick: start
 * (queue behind the concurrency quota, assume the document's role as ssm.amazonaws.com),
 * run the current step's action, retry, branch, fail (onFailure Abort / Continue /
 * step:NAME), time out, cancel (onCancel), finish with the document's outputs. The step's
 * effects and the execution's progress commit together, so a crash replays no tick. */
#include "svc/ssm/ssm_int.h"
#include "svc/ssm/cmd_int.h"
#include "core/jx.h"

#include "core/clk.h"
#include "core/ids.h"
#include "core/log.h"
#include "svc/sts/sts.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* A queued execution's late look for a free slot, should no end of a running one bring
 * it forward (ssm_queue_wake) first. */
#define SSM_QUEUE_RECHECK_MS 30000
/* Ticks one engine step may run back to back while each moves straight on to the next
 * runbook step, and the time after which it stops and lets the engine come back: a
 * runbook of many quick steps neither holds the write lock long nor starves other jobs. */
#define SSM_TICKS_PER_STEP 64
#define SSM_STEP_BUDGET_MS 50

typedef struct xrun {
    engine_run_t *r;
    app_t *app;
    store_tx_t *tx;
    cJSON *e;
    adoc_t *doc;
    auth_principal_t as;
    app_where_t where; /* the execution's account and region */
    int64_t now;
    bool go_on; /* the tick moved on to a step due now: the next tick may run in this step */
} xrun_t;

/* ---- variables of {{ }} */

/* {{ssm:NAME}}: the parameter's value (a String's or StringList's text, as Parameter
 * Store gives it), read as the execution's principal; NULL when it cannot be read (the
 * interpolation then names the variable). */
static cJSON *x_ssm(xrun_t *x, const char *name)
{
    cJSON *in = cJSON_CreateObject(), *out = NULL;
    cJSON_AddStringToObject(in, "Name", name);
    errbuf_t eb;
    err_t rc = api_client_call_tx(x->app, x->tx, &x->r->post, x->r->arena, &x->as, "ssm",
                                  "GetParameter", in, &out, &eb);
    cJSON_Delete(in);
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(out, "Parameter");
    cJSON *v = !rc && jx_str(p, "Value") && strcmp(jx_str(p, "Type"), "SecureString")
                   ? cJSON_CreateString(jx_str(p, "Value"))
                   : NULL;
    cJSON_Delete(out);
    return v;
}

/* A parameter whose value is exactly one {{ssm:NAME}} (a default, or what the caller
 * gave): that parameter's name, else NULL. */
static const char *x_ssm_ref(const cJSON *v, char *name, size_t cap)
{
    const char *s = cJSON_IsString(v) ? v->valuestring : NULL;
    if (!s) return NULL;
    while (*s == ' ') s++;
    if (strncmp(s, "{{", 2)) return NULL;
    s += 2;
    while (*s == ' ') s++;
    if (strncmp(s, "ssm:", 4)) return NULL;
    s += 4;
    size_t n = strcspn(s, " }");
    const char *end = s + n;
    while (*end == ' ') end++;
    if (!n || n >= cap || strcmp(end, "}}")) return NULL;
    memcpy(name, s, n);
    name[n] = '\0';
    return name;
}

static cJSON *x_lookup(void *ud, const char *name)
{
    xrun_t *x = ud;
    const cJSON *p =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(x->e, "_Bound"), name);
    char ref[1100];
    if (p && x_ssm_ref(p, ref, sizeof(ref))) return x_ssm(x, ref);
    if (p) return cJSON_Duplicate(p, 1);
    if (!strncmp(name, "ssm:", 4)) return x_ssm(x, name + 4);
    if (!strcmp(name, "automation:EXECUTION_ID"))
        return cJSON_CreateString(jx_str(x->e, "AutomationExecutionId"));
    if (!strcmp(name, "global:ACCOUNT_ID")) return cJSON_CreateString(x->where.account);
    if (!strcmp(name, "global:REGION")) return cJSON_CreateString(x->where.region);
    if (!strcmp(name, "global:AWS_PARTITION")) return cJSON_CreateString("aws");
    if (!strcmp(name, "global:DATE") || !strcmp(name, "global:DATE_TIME")) {
        time_t t = (time_t)(x->now / 1000);
        struct tm tm;
        gmtime_r(&t, &tm);
        char buf[32];
        strftime(buf, sizeof(buf), name[11] ? "%Y-%m-%d_%H.%M.%S" : "%Y-%m-%d", &tm);
        return cJSON_CreateString(buf);
    }
    /* Step.Output */
    const char *dot = strchr(name, '.');
    if (!dot) return NULL;
    const cJSON *steps = cJSON_GetObjectItemCaseSensitive(x->e, "StepExecutions");
    char inner[130];
    snprintf(inner, sizeof(inner), "%.*s", (int)(dot - name), name);
    for (const cJSON *s = steps ? cJSON_GetArrayItem(steps, cJSON_GetArraySize(steps) - 1) : NULL;
         s; s = s == steps->child ? NULL : s->prev) {
        /* the steps of an aws:loop: what they produced, kept in the loop's state */
        const cJSON *lv = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(
                cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(s, "_Loop"),
                                                 "outs"),
                inner),
            dot + 1);
        if (lv) return cJSON_Duplicate(lv, 1);
        const char *sn = jx_str(s, "StepName");
        if (!sn || strncmp(sn, name, (size_t)(dot - name)) || sn[dot - name]) continue;
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(s, "_Typed"), dot + 1);
        if (v) return cJSON_Duplicate(v, 1);
    }
    return NULL;
}

/* ---- bookkeeping */

static void x_status(xrun_t *x, const char *status)
{
    jx_set(x->e, "AutomationExecutionStatus", cJSON_CreateString(status));
}

/* The StepExecution of step i in its current run (created when absent). */
static cJSON *x_step_exec(xrun_t *x, int i)
{
    const adoc_step_t *d = adoc_step(x->doc, (size_t)i);
    cJSON *steps = cJSON_GetObjectItemCaseSensitive(x->e, "StepExecutions");
    cJSON *last = cJSON_GetArrayItem(steps, cJSON_GetArraySize(steps) - 1);
    if (last && !strcmp(jx_str(last, "StepName"), d->name) &&
        !ssm_status_terminal(jx_str(last, "StepStatus")))
        return last;
    char sid[37];
    ids_uuid(&x->app->ids, sid);
    cJSON *s = ssm_step_shell(d, "InProgress");
    cJSON_AddNumberToObject(s, "ExecutionStartTime", (double)x->now / 1000.0);
    cJSON_AddObjectToObject(s, "Inputs");
    cJSON_AddObjectToObject(s, "Outputs");
    cJSON_AddStringToObject(s, "StepExecutionId", sid);
    cJSON_AddObjectToObject(s, "OverriddenParameters");
    cJSON_AddNumberToObject(s, "_Attempt", 1);
    cJSON_AddNumberToObject(s, "_Started", (double)x->now);
    cJSON_AddItemToArray(steps, s);
    jx_set(x->e, "CurrentStepName", cJSON_CreateString(d->name));
    jx_set(x->e, "CurrentAction", cJSON_CreateString(d->action));
    return s;
}

/* Step Inputs as the API shows them: each value JSON-encoded. */
static void x_show_inputs(cJSON *step, const cJSON *inputs)
{
    cJSON *shown = cJSON_CreateObject();
    for (const cJSON *i = inputs ? inputs->child : NULL; i; i = i->next) {
        char *t = cJSON_PrintUnformatted(i);
        cJSON_AddStringToObject(shown, i->string, t);
        cJSON_free(t);
    }
    jx_set(step, "Inputs", shown);
}

/* Typed outputs to the API's map of string lists. */
static cJSON *x_output_strings(const cJSON *typed)
{
    cJSON *o = cJSON_CreateObject();
    for (const cJSON *v = typed ? typed->child : NULL; v; v = v->next) {
        cJSON *list = cJSON_CreateArray();
        if (cJSON_IsArray(v)) {
            for (const cJSON *i = v->child; i; i = i->next) {
                if (cJSON_IsString(i))
                    cJSON_AddItemToArray(list, cJSON_CreateString(i->valuestring));
                else {
                    char *t = cJSON_PrintUnformatted(i);
                    cJSON_AddItemToArray(list, cJSON_CreateString(t));
                    cJSON_free(t);
                }
            }
        } else if (cJSON_IsString(v)) {
            cJSON_AddItemToArray(list, cJSON_CreateString(v->valuestring));
        } else {
            char *t = cJSON_PrintUnformatted(v);
            cJSON_AddItemToArray(list, cJSON_CreateString(t));
            cJSON_free(t);
        }
        cJSON_AddItemToObject(o, v->string, list);
    }
    return o;
}

/* Ends the execution: Success unless a critical step failed; the document's outputs. */
static void x_finish(xrun_t *x, const char *status, const char *failure)
{
    cJSON *outs = cJSON_CreateObject();
    const cJSON *decl = adoc_outputs(x->doc);
    for (const cJSON *o = decl ? decl->child : NULL; o; o = o->next) {
        if (!cJSON_IsString(o)) continue;
        cJSON *v = x_lookup(x, o->valuestring);
        if (v) {
            cJSON *wrap = cJSON_CreateObject();
            cJSON_AddItemToObject(wrap, o->valuestring, v);
            cJSON *strs = x_output_strings(wrap);
            cJSON_AddItemToObject(
                outs, o->valuestring,
                cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(strs, o->valuestring), 1));
            cJSON_Delete(strs);
            cJSON_Delete(wrap);
        }
    }
    jx_set(x->e, "Outputs", outs);
    x_status(x, status);
    if (failure) jx_set(x->e, "FailureMessage", cJSON_CreateString(failure));
    jx_set(x->e, "ExecutionEndTime", cJSON_CreateNumber((double)x->now / 1000.0));
    cJSON_DeleteItemFromObjectCaseSensitive(x->e, "_Job");
    engine_done(x->r);
}

/* Marks every step after `from` that never ran as Pending is implied: AWS lists only
 * the steps that started; nothing to add. Ends a step with status. */
static void x_step_end(xrun_t *x, cJSON *step, const char *status)
{
    jx_set(step, "StepStatus", cJSON_CreateString(status));
    jx_set(step, "ExecutionEndTime", cJSON_CreateNumber((double)x->now / 1000.0));
}

/* Where execution goes after step i ends (success or a Continue'd failure). */
static void x_advance(xrun_t *x, int i, const char *branch_to, bool failed_continue)
{
    const adoc_step_t *d = adoc_step(x->doc, (size_t)i);
    const char *next = branch_to ? branch_to : (!failed_continue ? d->next_step : NULL);
    int n;
    if (d->is_end && !branch_to)
        n = (int)adoc_step_count(x->doc);
    else if (next)
        n = adoc_step_index(x->doc, next);
    else
        n = i + 1;
    jx_set(x->e, "_Current", cJSON_CreateNumber(n < 0 ? (double)adoc_step_count(x->doc) : n));
    engine_again(x->r, x->r->payload, x->now);
    /* a step that kept state on this node's disk (a script's or a command's run
     * directory, cleaned up after the commit) ends its engine step here */
    x->go_on = strcmp(d->action, "aws:executeScript") && strcmp(d->action, "aws:runCommand");
}

/* The step failed for good (after its attempts): onFailure decides. */
static void x_step_failed(xrun_t *x, int i, cJSON *step, const char *status, const char *message,
                          const char *failure_type)
{
    const adoc_step_t *d = adoc_step(x->doc, (size_t)i);
    char text[1400];
    snprintf(text, sizeof(text),
             "Step fails when it is executing action. %s Please refer to Automation Service "
             "Troubleshooting Guide for more diagnosis details.",
             message);
    x_step_end(x, step, status);
    /* what the action reported before failing (aws:approve's ApprovalStatus Rejected) */
    jx_set(step, "Outputs", x_output_strings(cJSON_GetObjectItemCaseSensitive(step, "_Typed")));
    jx_set(step, "FailureMessage", cJSON_CreateString(text));
    cJSON *fd = cJSON_CreateObject();
    cJSON_AddStringToObject(fd, "FailureStage", "Invocation");
    cJSON_AddStringToObject(fd, "FailureType", failure_type[0] ? failure_type : "Action");
    cJSON *details = cJSON_AddObjectToObject(fd, "Details");
    cJSON *msg = cJSON_AddArrayToObject(details, "ExceptionMessage");
    cJSON_AddItemToArray(msg, cJSON_CreateString(message));
    jx_set(step, "FailureDetails", fd);
    const char *on = d->on_failure ? d->on_failure : "Abort";
    if (!strcmp(on, "Continue")) {
        if (d->is_critical) jx_set(x->e, "_CriticalFailed", cJSON_CreateString(text));
        x_advance(x, i, NULL, true);
    } else if (!strncmp(on, "step:", 5)) {
        if (d->is_critical) jx_set(x->e, "_CriticalFailed", cJSON_CreateString(text));
        x_advance(x, i, on + 5, true);
    } else {
        x_finish(x, !strcmp(status, "TimedOut") ? "TimedOut" : "Failed", text);
    }
}

/* Assumes the document's role, or acts as the caller. */
static err_t x_principal(xrun_t *x, bool *refused)
{
    *refused = false;
    const char *role = jx_str(x->e, "_Role");
    const cJSON *sess = cJSON_GetObjectItemCaseSensitive(x->e, "_Session");
    if (sess && auth_principal_from_json_in(sess, x->where.region, &x->as) &&
        (!role || x->as.expires_ms > clk_now_ms(&x->app->wall) + 300000))
        return ERR_OK;
    if (!role) {
        if (!auth_principal_from_json_in(cJSON_GetObjectItemCaseSensitive(x->e, "_Caller"),
                                         x->where.region, &x->as))
            return err_fail(x->r->eb, ERR_INTERNAL, "execution without a caller");
        jx_set(x->e, "_Session", auth_principal_to_json(&x->as));
        return ERR_OK;
    }
    sts_assume_req_t req = {.service = "ssm.amazonaws.com",
                            .role_arn = role,
                            .session_name = jx_str(x->e, "AutomationExecutionId"),
                            .duration_s = 3600,
                            .account = x->where.account,
                            .region = x->where.region};
    sts_creds_t creds;
    err_t rc = sts_assume(x->app, x->tx, &req, &creds, x->r->arena, x->r->eb);
    if (rc == ERR_ACCESS_DENIED || rc == ERR_VALIDATION) {
        *refused = true;
        return ERR_OK;
    }
    if (rc) return rc;
    x->as = creds.who;
    jx_set(x->e, "_Session", auth_principal_to_json(&x->as));
    return ERR_OK;
}

/* Counts executions running now (for the queue behind the quota). */
static err_t x_tick(xrun_t *x)
{
    const char *status = jx_str(x->e, "AutomationExecutionStatus");
    const char *stop = jx_str(x->e, "_Stop");
    err_t rc = ERR_OK;
    if (!strcmp(status, "Pending")) {
        int64_t running = 0;
        rc = ssm_exec_count(x->tx, x->where.scope, true, &running, x->r->eb);
        if (rc) return rc;
        if (running >= x->app->cfg.automation_max_running && !stop) {
            /* queued: the end of a running execution brings the oldest queued job forward
             * (ssm_exec_save); the late look only covers a wake-up that never came */
            engine_again(x->r, x->r->payload, x->now + SSM_QUEUE_RECHECK_MS);
            return ERR_OK;
        }
        /* it starts; when slots are left (two ended at once), the next queued one looks */
        if (running + 1 < x->app->cfg.automation_max_running && !stop)
            rc = ssm_queue_wake(x->tx, x->where.scope, jx_str(x->e, "AutomationExecutionId"),
                                x->now, x->r->eb);
        if (rc) return rc;
        if (stop) { /* stopped while queued: no step ran */
            x_finish(x, strcmp(stop, "Complete") ? "Cancelled" : "Success", NULL);
            return ERR_OK;
        }
        bool refused;
        rc = x_principal(x, &refused);
        if (rc) return rc;
        if (refused) {
            x_finish(x, "Failed", "The defined assume role is unable to be assumed.");
            return ERR_OK;
        }
        x_status(x, "InProgress");
        engine_again(x->r, x->r->payload, x->now);
        x->go_on = true;
        return ERR_OK;
    }
    bool refused = false;
    rc = x_principal(x, &refused);
    if (rc) return rc;
    if (refused) {
        x_finish(x, "Failed", "The defined assume role is unable to be assumed.");
        return ERR_OK;
    }
    int i = (int)jx_int(x->e, "_Current", 0);
    int n = (int)adoc_step_count(x->doc);
    if (stop && !strcmp(stop, "Complete")) {
        x_finish(x, "Success", NULL);
        return ERR_OK;
    }
    if (i >= n) {
        const char *crit = jx_str(x->e, "_CriticalFailed");
        const char *cancelled = jx_str(x->e, "_Cancelled");
        x_finish(x, cancelled ? "Cancelled" : crit ? "Failed" : "Success", cancelled ? NULL : crit);
        return ERR_OK;
    }
    const adoc_step_t *d = adoc_step(x->doc, (size_t)i);
    cJSON *step = x_step_exec(x, i);

    /* cancellation: the running step is cancelled; onCancel may name a step to run */
    if (stop && !strcmp(stop, "Cancel") && !jx_str(x->e, "_Cancelled")) {
        x_step_end(x, step, "Cancelled");
        jx_set(x->e, "_Cancelled", cJSON_CreateString("yes"));
        x_status(x, "Cancelling");
        if (d->on_cancel && !strncmp(d->on_cancel, "step:", 5)) {
            int j = adoc_step_index(x->doc, d->on_cancel + 5);
            jx_set(x->e, "_Current", cJSON_CreateNumber(j < 0 ? n : j));
            jx_set(x->e, "_CancelStep", cJSON_CreateNumber(j));
            engine_again(x->r, x->r->payload, x->now);
        } else {
            x_finish(x, "Cancelled", NULL);
        }
        return ERR_OK;
    }
    if (jx_str(x->e, "_Cancelled") && jx_int(x->e, "_CancelStep", -1) != i) {
        x_finish(x, "Cancelled", NULL); /* the onCancel step is over */
        return ERR_OK;
    }

    /* timeouts, on the service clock */
    int64_t started = jx_int(step, "_Started", x->now);
    if (d->timeout_s && x->now - started > d->timeout_s * 1000) {
        char msg[200];
        snprintf(msg, sizeof(msg), "Step timed out after %lld seconds.", (long long)d->timeout_s);
        x_step_failed(x, i, step, "TimedOut", msg, "Verification");
        return ERR_OK;
    }

    /* interpolate the inputs, run one tick of the action */
    cJSON *inputs = NULL, *own = NULL;
    adoc_vars_t vars = {x_lookup, x};
    if (d->n_loop_steps) { /* a loop interpolates its Steps and LoopCondition itself */
        own = cJSON_Duplicate(d->inputs, 1);
        cJSON_DeleteItemFromObjectCaseSensitive(own, "Steps");
        cJSON_DeleteItemFromObjectCaseSensitive(own, "LoopCondition");
    }
    adoc_error_t irc = adoc_interpolate(own ? own : d->inputs, &vars, &inputs, x->r->eb);
    cJSON_Delete(own);
    if (irc != ADOC_OK || adoc_step_inputs_check(d, inputs, x->r->eb) != ADOC_OK) {
        cJSON_Delete(inputs);
        char msg[1100];
        snprintf(msg, sizeof(msg), "%s", x->r->eb->msg);
        x_step_failed(x, i, step, "Failed", msg, "Verification");
        return ERR_OK;
    }
    x_show_inputs(step, inputs);
    x_status(x, "InProgress");
    errbuf_t aeb = {{0}};
    ssm_run_t run = {.app = x->app,
                     .run = x->r,
                     .vars = &vars,
                     .job_id = x->r->job_id,
                     .tx = x->tx,
                     .arena = x->r->arena,
                     .eb = &aeb,
                     .post = &x->r->post,
                     .as = &x->as,
                     .exec = x->e,
                     .step = step,
                     .def = d,
                     .inputs = inputs,
                     .now = x->now};
    ssm_tick_t t = ssm_action_tick(&run);
    const char *branch_to = NULL;
    switch (t) {
    case SSM_TICK_DONE:
        if (!strcmp(d->action, "aws:branch")) branch_to = ssm_branch_next(&run);
        jx_set(step, "Outputs", x_output_strings(cJSON_GetObjectItemCaseSensitive(step, "_Typed")));
        x_step_end(x, step, "Success");
        x_advance(x, i, branch_to, false);
        break;
    case SSM_TICK_AGAIN:
        engine_again(x->r, x->r->payload, run.wake_ms > x->now ? run.wake_ms : x->now);
        break;
    case SSM_TICK_WAIT:
        /* what the step knows so far (aws:approve: ApprovalStatus Waiting, the decisions) */
        jx_set(step, "Outputs", x_output_strings(cJSON_GetObjectItemCaseSensitive(step, "_Typed")));
        jx_set(step, "StepStatus", cJSON_CreateString("Waiting"));
        x_status(x, "Waiting");
        if (d->timeout_s) { /* a signal hastens the job; else it wakes to time the step out */
            engine_again(x->r, x->r->payload, started + d->timeout_s * 1000 + 1);
            break;
        }
        cJSON_DeleteItemFromObjectCaseSensitive(x->e, "_Job");
        engine_done(x->r); /* a signal wakes it */
        break;
    case SSM_TICK_FAILED: {
        int attempt = (int)jx_int(step, "_Attempt", 1);
        if (attempt < d->max_attempts) {
            jx_set(step, "_Attempt", cJSON_CreateNumber(attempt + 1));
            cJSON_DeleteItemFromObjectCaseSensitive(step, "_Phase");
            engine_again(x->r, x->r->payload, x->now + 1000);
        } else {
            x_step_failed(x, i, step, "Failed", aeb.msg, run.failure_type);
        }
        break;
    }
    }
    cJSON_Delete(inputs);
    return ERR_OK;
}

static err_t ssm_auto_step(engine_run_t *r)
{
    app_t *app = r->app;
    xrun_t x = {.r = r, .app = app, .now = clk_now_ms(&app->clock)};
    app_where_of(app, r->payload, &x.where);
    cJSON *p = cJSON_Parse(r->payload);
    const char *id = jx_str(p, "id");
    err_t rc;
    x.tx = engine_tx(r, &rc);
    if (!x.tx || !id) {
        cJSON_Delete(p);
        if (x.tx) engine_fail(r);
        return x.tx ? err_fail(r->eb, ERR_INTERNAL, "malformed automation job") : rc;
    }
    rc = ssm_exec_load(x.tx, x.where.scope, id, &x.e, r->eb);
    const char *job = x.e ? jx_str(x.e, "_Job") : NULL;
    if (rc || ssm_status_terminal(jx_str(x.e, "AutomationExecutionStatus")) || !job ||
        strcmp(job, r->job_id)) {
        /* gone, over, or another job chain owns it */
        cJSON_Delete(x.e);
        cJSON_Delete(p);
        engine_done(r);
        return ERR_OK;
    }
    const char *fmt = jx_str(x.e, "_Format");
    if (adoc_parse(span_of(jx_str(x.e, "_Content")),
                   fmt && !strcmp(fmt, "YAML") ? ADOC_YAML : ADOC_JSON, &x.doc, r->eb) != ADOC_OK) {
        x_finish(&x, "Failed", "The document of this execution no longer parses.");
        rc = ssm_exec_save(x.tx, x.where.scope, x.e, x.now, r->eb);
    } else if (cJSON_GetObjectItemCaseSensitive(x.e, "_Rate")) {
        rc = ssm_rate_tick(r, x.tx, x.e, x.doc, x.now);
        if (!rc) rc = ssm_exec_save(x.tx, x.where.scope, x.e, x.now, r->eb);
    } else {
        /* ticks that move straight on to the next step (no wait, no retry) run back to
         * back in this engine step and its one transaction, as many as SSM_TICKS_PER_STEP
         * within SSM_STEP_BUDGET_MS, each on the clock of its own start */
        int64_t began = x.now;
        rc = x_tick(&x);
        for (int k = 1; !rc && x.go_on && k < SSM_TICKS_PER_STEP; k++) {
            x.go_on = false;
            x.now = clk_now_ms(&app->clock);
            if (x.now - began > SSM_STEP_BUDGET_MS) break;
            rc = x_tick(&x);
        }
        if (!rc) rc = ssm_exec_save(x.tx, x.where.scope, x.e, x.now, r->eb);
    }
    adoc_free(x.doc);
    cJSON_Delete(x.e);
    cJSON_Delete(p);
    return rc;
}

/* The execution's job is set aside (a step stopped the process each time it ran, or kept
 * failing inside catalogd): the step it was on and the execution end Failed with the
 * reason, and whoever follows the execution (a Service Catalog record) moves on. No
 * onFailure applies: nothing more of the document runs. */
static err_t ssm_auto_giveup(engine_run_t *r, const char *why)
{
    app_t *app = r->app;
    int64_t now = clk_now_ms(&app->clock);
    cJSON *p = cJSON_Parse(r->payload), *e = NULL;
    const char *id = jx_str(p, "id");
    app_where_t w;
    app_where_of(app, r->payload, &w);
    err_t rc;
    store_tx_t *tx = engine_tx(r, &rc);
    if (tx && id) rc = ssm_exec_load(tx, w.scope, id, &e, r->eb);
    if (rc == ERR_SSM_EXECUTION_NOT_FOUND) rc = ERR_OK;
    const char *job = e ? jx_str(e, "_Job") : NULL;
    if (!rc && e && !ssm_status_terminal(jx_str(e, "AutomationExecutionStatus")) && job &&
        !strcmp(job, r->job_id)) {
        const cJSON *steps = cJSON_GetObjectItemCaseSensitive(e, "StepExecutions");
        cJSON *step = cJSON_GetArrayItem(steps, cJSON_GetArraySize(steps) - 1);
        char text[1600];
        if (step && !ssm_status_terminal(jx_str(step, "StepStatus"))) {
            snprintf(text, sizeof(text), "Step %s %s and was set aside.", jx_str(step, "StepName"),
                     why);
            jx_set_str(step, "StepStatus", "Failed");
            jx_set_num(step, "ExecutionEndTime", (double)now / 1000.0);
            jx_set_str(step, "FailureMessage", text);
        } else {
            snprintf(text, sizeof(text), "The execution %s and was set aside.", why);
        }
        jx_set_str(e, "AutomationExecutionStatus", "Failed");
        jx_set_str(e, "FailureMessage", text);
        jx_set_num(e, "ExecutionEndTime", (double)now / 1000.0);
        cJSON_DeleteItemFromObjectCaseSensitive(e, "_Job");
        rc = ssm_exec_save(tx, w.scope, e, now, r->eb);
    }
    cJSON_Delete(e);
    cJSON_Delete(p);
    return rc;
}

void ssm_register_jobs(app_t *app)
{
    engine_register(app->engine, SSM_JOB, ssm_auto_step, 20, ssm_auto_giveup);
    /* a step begins with engine_tx and reads only through it (a script's or a command's
     * run directory is polled, never waited on): it may share a batch's transaction */
    engine_batchable(app->engine, SSM_JOB);
    ssm_register_keys();
    ssm_register_command_jobs(app);
}
