/* targets.c - Automation rate control: StartAutomationExecution with Targets (and
 * TargetParameterName) or TargetMaps makes a parent execution that runs one child
 * execution per target, at most MaxConcurrency at a time, and stops starting new ones
 * once more than MaxErrors children have failed. The plan is made at start (targets
 * resolved then: `tag:<key>` through ec2:DescribeInstances as the caller, or
 * ParameterValues) and kept in the parent's "_Rate": {"children": [{"params", "target",
 * "id"}], "conc", "errs"}. The parent's job (ssm_rate_tick) starts children, watches
 * them, and ends the parent when none runs: Success, or Failed once errors exceed
 * MaxErrors (children not started then never start). StopAutomationExecution (Cancel) on
 * the parent stops starting children and cancels the running ones. */
#include "svc/ssm/ssm_int.h"

#include "core/ids.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RATE_MAX_TARGETS 1000
#define RATE_SHOWN       100 /* ResolvedTargets.ParameterValues lists at most this many */
#define RATE_POLL_MS     1000

/* "N" or "N%" of n (percentages round up for concurrency, down for errors). */
static int64_t rate_count(const char *v, int64_t n, bool up)
{
    char *end;
    long long x = strtoll(v, &end, 10);
    if (*end != '%') return x;
    int64_t c = up ? (x * n + 99) / 100 : x * n / 100;
    return up && c < 1 ? 1 : c;
}

/* The instance ids tagged tag:<key> with one of values, as the caller sees them. */
static err_t rate_tagged(api_ctx_t *c, const char *key, const cJSON *values, cJSON *out)
{
    const char *token = NULL;
    err_t rc = ERR_OK;
    do {
        cJSON *in = cJSON_CreateObject(), *resp = NULL;
        cJSON *filters = cJSON_AddArrayToObject(in, "Filters");
        cJSON *f = cJSON_CreateObject();
        cJSON_AddStringToObject(f, "Name", key);
        cJSON_AddItemToObject(f, "Values", cJSON_Duplicate(values, 1));
        cJSON_AddItemToArray(filters, f);
        f = cJSON_CreateObject();
        cJSON_AddStringToObject(f, "Name", "instance-state-name");
        cJSON *states = cJSON_AddArrayToObject(f, "Values");
        static const char *const live[] = {"pending", "running", "stopping", "stopped"};
        for (size_t i = 0; i < 4; i++) cJSON_AddItemToArray(states, cJSON_CreateString(live[i]));
        cJSON_AddItemToArray(filters, f);
        if (token) cJSON_AddStringToObject(in, "NextToken", token);
        rc = api_client_call_tx(c->app, c->tx, &c->post, c->arena, c->caller, "ec2",
                                "DescribeInstances", in, &resp, c->eb);
        cJSON_Delete(in);
        const cJSON *res = cJSON_GetObjectItemCaseSensitive(resp, "Reservations");
        for (const cJSON *r = res ? res->child : NULL; !rc && r; r = r->next) {
            const cJSON *insts = cJSON_GetObjectItemCaseSensitive(r, "Instances");
            for (const cJSON *i = insts ? insts->child : NULL; i; i = i->next)
                if (jx_str(i, "InstanceId"))
                    cJSON_AddItemToArray(out, cJSON_CreateString(jx_str(i, "InstanceId")));
        }
        token = !rc && jx_str(resp, "NextToken") ? arena_strdup(c->arena, jx_str(resp, "NextToken"))
                                                 : NULL;
        cJSON_Delete(resp);
    } while (token && cJSON_GetArraySize(out) <= RATE_MAX_TARGETS);
    return rc;
}

/* The values Targets resolve to (ParameterValues, tag:<key>). */
static err_t rate_resolve(api_ctx_t *c, const cJSON *targets, cJSON *out)
{
    for (const cJSON *t = targets->child; t; t = t->next) {
        const char *key = jx_str(t, "Key");
        const cJSON *vals = cJSON_GetObjectItemCaseSensitive(t, "Values");
        if (!key || !cJSON_IsArray(vals))
            return err_fail(c->eb, ERR_SSM_INVALID_TARGET, "Each target needs a Key and Values.");
        if (!strcmp(key, "ParameterValues")) {
            for (const cJSON *v = vals->child; v; v = v->next)
                cJSON_AddItemToArray(out, cJSON_Duplicate(v, 1));
        } else if (!strncmp(key, "tag:", 4) && key[4]) {
            err_t rc = rate_tagged(c, key, vals, out);
            if (rc) return rc;
        } else {
            return err_fail(c->eb, ERR_SSM_INVALID_TARGET,
                            "Target key %s is not supported by catalogd: use ParameterValues or "
                            "tag:<key>.",
                            key);
        }
    }
    return ERR_OK;
}

/* The request's Parameters with name set to [value] (a new object). */
static cJSON *rate_params(const cJSON *params, const char *name, const cJSON *value)
{
    cJSON *p = params ? cJSON_Duplicate(params, 1) : cJSON_CreateObject();
    cJSON *list = cJSON_IsArray(value) ? cJSON_Duplicate(value, 1) : cJSON_CreateArray();
    if (!cJSON_IsArray(value)) cJSON_AddItemToArray(list, cJSON_Duplicate(value, 1));
    jx_set(p, name, list);
    return p;
}

err_t ssm_rate_plan(api_ctx_t *c, const adoc_t *a, cJSON **rate)
{
    *rate = NULL;
    const cJSON *targets = cJSON_GetObjectItemCaseSensitive(c->in, "Targets");
    const cJSON *maps = cJSON_GetObjectItemCaseSensitive(c->in, "TargetMaps");
    const cJSON *params = cJSON_GetObjectItemCaseSensitive(c->in, "Parameters");
    const char *tpn = api_in_str(c, "TargetParameterName");
    if (!cJSON_GetArraySize(targets) && !cJSON_GetArraySize(maps)) return ERR_OK;
    if (cJSON_GetArraySize(targets) && cJSON_GetArraySize(maps))
        return err_fail(c->eb, ERR_SSM_INVALID_PARAMETERS,
                        "Targets and TargetMaps cannot both be specified.");
    bool named = false;
    for (size_t i = 0; tpn && i < adoc_param_count(a); i++)
        named |= !strcmp(adoc_param(a, i)->name, tpn);
    if (cJSON_GetArraySize(targets) && !tpn)
        return err_fail(c->eb, ERR_SSM_INVALID_PARAMETERS,
                        "TargetParameterName must be specified with Targets.");
    if (tpn && !named)
        return err_fail(c->eb, ERR_SSM_INVALID_PARAMETERS,
                        "TargetParameterName %s is not a parameter of the document.", tpn);
    cJSON *plan = cJSON_CreateObject(), *children = cJSON_AddArrayToObject(plan, "children");
    cJSON *values = cJSON_CreateArray();
    err_t rc = ERR_OK;
    if (cJSON_GetArraySize(targets)) {
        rc = rate_resolve(c, targets, values);
        for (const cJSON *v = values->child; !rc && v; v = v->next) {
            cJSON *ch = cJSON_CreateObject();
            cJSON_AddItemToObject(ch, "params", rate_params(params, tpn, v));
            cJSON_AddItemToObject(ch, "target", cJSON_Duplicate(v, 1));
            cJSON_AddItemToArray(children, ch);
        }
    } else {
        for (const cJSON *m = maps->child; m; m = m->next) {
            cJSON *p = params ? cJSON_Duplicate(params, 1) : cJSON_CreateObject();
            for (const cJSON *kv = m->child; kv; kv = kv->next) {
                jx_set(p, kv->string, cJSON_Duplicate(kv, 1));
                if (tpn && !strcmp(kv->string, tpn) && cJSON_IsArray(kv) && kv->child)
                    cJSON_AddItemToArray(values, cJSON_Duplicate(kv->child, 1));
            }
            cJSON *ch = cJSON_CreateObject();
            cJSON_AddItemToObject(ch, "params", p);
            cJSON_AddItemToArray(children, ch);
        }
    }
    int64_t n = cJSON_GetArraySize(children);
    if (!rc && !n)
        rc = err_fail(c->eb, ERR_SSM_INVALID_TARGET,
                      "The specified targets did not resolve to any resource.");
    if (!rc && n > RATE_MAX_TARGETS)
        rc = err_fail(c->eb, ERR_SSM_INVALID_TARGET,
                      "The specified targets resolve to more than %d resources.", RATE_MAX_TARGETS);
    if (rc) {
        cJSON_Delete(values);
        cJSON_Delete(plan);
        return rc;
    }
    const char *mc = api_in_str(c, "MaxConcurrency"), *me = api_in_str(c, "MaxErrors");
    cJSON_AddNumberToObject(plan, "conc", (double)rate_count(mc ? mc : "10", n, true));
    cJSON_AddNumberToObject(plan, "errs", (double)rate_count(me ? me : "0", n, false));
    /* the public fields of the parent */
    cJSON *pub = cJSON_AddObjectToObject(plan, "public");
    cJSON_AddStringToObject(pub, "MaxConcurrency", mc ? mc : "10");
    cJSON_AddStringToObject(pub, "MaxErrors", me ? me : "0");
    if (tpn) cJSON_AddStringToObject(pub, "TargetParameterName", tpn);
    if (targets) cJSON_AddItemToObject(pub, "Targets", cJSON_Duplicate(targets, 1));
    if (maps) cJSON_AddItemToObject(pub, "TargetMaps", cJSON_Duplicate(maps, 1));
    cJSON *rt = cJSON_AddObjectToObject(pub, "ResolvedTargets");
    cJSON *pv = cJSON_AddArrayToObject(rt, "ParameterValues");
    int shown = 0;
    for (const cJSON *v = values->child; v && shown < RATE_SHOWN; v = v->next, shown++)
        cJSON_AddItemToArray(pv,
                             cJSON_IsString(v) ? cJSON_Duplicate(v, 1) : cJSON_CreateString(""));
    cJSON_AddBoolToObject(rt, "Truncated", cJSON_GetArraySize(values) > RATE_SHOWN);
    cJSON_Delete(values);
    *rate = plan;
    return ERR_OK;
}

/* Starts child ch of parent e (a copy of the parent's record bound to the child's
 * parameters), watched by the parent's job. */
static err_t rate_start_child(engine_run_t *r, store_tx_t *tx, cJSON *e, const adoc_t *doc,
                              cJSON *ch, int64_t now)
{
    app_t *app = r->app;
    cJSON *bound = NULL;
    if (adoc_bind(doc, cJSON_GetObjectItemCaseSensitive(ch, "params"), &bound, r->eb) != ADOC_OK)
        return ERR_SSM_INVALID_PARAMETERS; /* the child ends Failed below */
    char id[37];
    ids_uuid(&app->ids, id);
    cJSON *k = cJSON_Duplicate(e, 1);
    static const char *const parent_only[] = {"_Rate",
                                              "_Job",
                                              "_Stop",
                                              "Targets",
                                              "TargetMaps",
                                              "ResolvedTargets",
                                              "MaxErrors",
                                              "_Session",
                                              "MaxConcurrency",
                                              "FailureMessage",
                                              "TargetParameterName"};
    for (size_t i = 0; i < sizeof(parent_only) / sizeof(parent_only[0]); i++)
        cJSON_DeleteItemFromObjectCaseSensitive(k, parent_only[i]);
    jx_set_str(k, "AutomationExecutionId", id);
    jx_set_str(k, "AutomationExecutionStatus", "Pending");
    jx_set_str(k, "ParentAutomationExecutionId", jx_str(e, "AutomationExecutionId"));
    jx_set_num(k, "ExecutionStartTime", (double)now / 1000.0);
    const cJSON *target = cJSON_GetObjectItemCaseSensitive(ch, "target");
    if (cJSON_IsString(target)) jx_set_str(k, "Target", target->valuestring);
    jx_set(k, "Parameters", ssm_param_strings(bound));
    jx_set(k, "_Bound", bound);
    jx_set(k, "_Current", cJSON_CreateNumber(0));
    cJSON *plan = cJSON_CreateArray();
    for (size_t i = 0; i < adoc_step_count(doc); i++)
        cJSON_AddItemToArray(plan, ssm_step_shell(adoc_step(doc, i), "Pending"));
    jx_set(k, "_Plan", plan);
    res_row_t row = {.state = "Pending", .created_ms = now};
    app_where_t w; /* the parent's (the child's body carries its _Account and _Region too) */
    app_where_of(app, r->payload, &w);
    err_t rc = ssm_exec_wake(app, tx, k, now, r->eb);
    if (!rc) rc = res_insert(tx, &(res_key_t){w.scope, SSM_EXEC, id}, &row, k, r->eb);
    if (!rc) rc = ssm_exec_watch(tx, id, r->job_id, r->eb);
    if (!rc) jx_set_str(ch, "id", id);
    cJSON_Delete(k);
    return rc;
}

err_t ssm_rate_tick(engine_run_t *r, store_tx_t *tx, cJSON *e, const adoc_t *doc, int64_t now)
{
    app_t *app = r->app;
    cJSON *rate = cJSON_GetObjectItemCaseSensitive(e, "_Rate");
    cJSON *children = cJSON_GetObjectItemCaseSensitive(rate, "children");
    int64_t conc = jx_int(rate, "conc", 1), max_errs = jx_int(rate, "errs", 0);
    int64_t running = 0, errors = 0;
    const char *stop = jx_str(e, "_Stop");
    app_where_t w;
    app_where_of(app, r->payload, &w);
    for (cJSON *ch = children ? children->child : NULL; ch; ch = ch->next) {
        const char *id = jx_str(ch, "id");
        if (!id) continue;
        cJSON *k = NULL;
        err_t rc = ssm_exec_load(tx, w.scope, id, &k, r->eb);
        if (rc == ERR_SSM_EXECUTION_NOT_FOUND) rc = ERR_OK;
        if (rc) return rc;
        const char *st = k ? jx_str(k, "AutomationExecutionStatus") : "Failed";
        if (!ssm_status_terminal(st))
            running++;
        else if (strcmp(st, "Success"))
            errors++;
        if (!rc && stop && !strcmp(stop, "Cancel") && !ssm_status_terminal(st) &&
            !jx_str(k, "_Stop")) { /* stopping the parent stops its running children */
            jx_set_str(k, "_Stop", "Cancel");
            if (strcmp(st, "Pending")) jx_set_str(k, "AutomationExecutionStatus", "Cancelling");
            rc = ssm_exec_wake(app, tx, k, now, r->eb);
            if (!rc) rc = ssm_exec_save(tx, w.scope, k, now, r->eb);
            r->post |= API_POST_WAKE_ENGINE;
        }
        cJSON_Delete(k);
        if (rc) return rc;
    }
    if (!strcmp(jx_str(e, "AutomationExecutionStatus"), "Pending"))
        jx_set_str(e, "AutomationExecutionStatus", "InProgress");
    bool exceeded = errors > max_errs, left = false;
    for (cJSON *ch = children ? children->child : NULL; ch; ch = ch->next) {
        if (jx_str(ch, "id")) continue;
        if (exceeded || stop || running >= conc) {
            left = true;
            continue;
        }
        err_t rc = rate_start_child(r, tx, e, doc, ch, now);
        if (rc == ERR_SSM_INVALID_PARAMETERS) { /* this target's parameters do not bind */
            jx_set_str(ch, "id", "");
            errors++;
            exceeded = errors > max_errs;
            continue;
        }
        if (rc) return rc;
        running++;
        r->post |= API_POST_WAKE_ENGINE;
    }
    if (running || (left && !exceeded && !stop)) {
        engine_again(r, r->payload, now + RATE_POLL_MS); /* a child's end wakes it sooner */
        return ERR_OK;
    }
    const char *status = stop && strcmp(stop, "Complete") ? "Cancelled"
                         : exceeded                       ? "Failed"
                                                          : "Success";
    jx_set_str(e, "AutomationExecutionStatus", status);
    if (exceeded)
        jx_set_str(e, "FailureMessage",
                   arena_printf(r->arena,
                                "%lld of the child executions failed, more than MaxErrors (%lld) "
                                "allows.",
                                (long long)errors, (long long)max_errs));
    jx_set_num(e, "ExecutionEndTime", (double)now / 1000.0);
    cJSON_DeleteItemFromObjectCaseSensitive(e, "_Job");
    engine_done(r);
    return ERR_OK;
}
