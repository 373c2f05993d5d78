/* automation.c - Automation executions: StartAutomationExecution, GetAutomationExecution,
 * StopAutomationExecution, DescribeAutomationExecutions, DescribeAutomationStepExecutions,
 * SendAutomationSignal. The execution runs in the automation job (automation_job.c). */
#include "svc/ssm/ssm_int.h"
#include "core/jx.h"

#include "core/clk.h"
#include "core/enc.h"
#include "core/ids.h"
#include "iam/policy.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

bool ssm_status_terminal(const char *s)
{
    return s && (!strcmp(s, "Success") || !strcmp(s, "Failed") || !strcmp(s, "Cancelled") ||
                 !strcmp(s, "TimedOut"));
}

/* An execution's status as an indexed key (res/keys.c), so the concurrency quota counts
 * the running or queued ones and finds the oldest queued one in index order, reading only
 * those rows, not every execution the account ever ran. */
static const res_key_def_t ssm_exec_keys[] = {{SSM_KEY_STATUS, "AutomationExecutionStatus", NULL}};
static const res_keyer_t ssm_exec_keyer = {SSM_EXEC, ssm_exec_keys, 1, false};

void ssm_register_keys(void)
{
    res_keys_register(&ssm_exec_keyer);
    ssm_param_register_keys();
}

err_t ssm_exec_count(store_tx_t *tx, const char *account, bool running, int64_t *n, errbuf_t *eb)
{
    store_stmt_t *st;
    bool row = false;
    err_t rc = store_query(tx, eb, &st,
                           running ? "SELECT COUNT(*) FROM resource_keys WHERE account = ? AND"
                                     " kind = ? AND field = ? AND value IN ('InProgress',"
                                     " 'Waiting', 'Cancelling')"
                                   : "SELECT COUNT(*) FROM resource_keys WHERE account = ? AND"
                                     " kind = ? AND field = ? AND value = 'Pending'",
                           "sss", account, SSM_EXEC, SSM_KEY_STATUS);
    if (!rc) rc = store_step(st, &row, eb);
    *n = row ? store_col_int(st, 0) : 0;
    if (!rc && row) rc = store_step(st, &row, eb);
    return rc;
}

err_t ssm_queue_wake(store_tx_t *tx, const char *account, const char *except, int64_t now_ms,
                     errbuf_t *eb)
{
    store_stmt_t *st;
    bool row = false;
    char ids[64][128];
    int n = 0;
    err_t rc = store_query(tx, eb, &st,
                           "SELECT id FROM resource_keys WHERE account = ? AND kind = ? AND"
                           " field = ? AND value = 'Pending' AND id <> ? ORDER BY created_ms, seq"
                           " LIMIT 64",
                           "ssss", account, SSM_EXEC, SSM_KEY_STATUS, except ? except : "");
    while (!rc && !(rc = store_step(st, &row, eb)) && row)
        snprintf(ids[n++], sizeof(ids[0]), "%s", store_col_text(st, 0));
    bool moved = false;
    for (int i = 0; !rc && !moved && i < n; i++) {
        cJSON *e = NULL;
        rc = res_get(tx, &(res_key_t){account, SSM_EXEC, ids[i]}, &e, eb);
        const char *job = e ? jx_str(e, "_Job") : NULL;
        if (!rc && job) rc = engine_hasten_waiting(tx, job, now_ms, &moved, eb);
        cJSON_Delete(e);
    }
    return rc;
}

err_t ssm_exec_save(store_tx_t *tx, const char *account, const cJSON *e, int64_t now_ms,
                    errbuf_t *eb)
{
    res_key_t k = {account, SSM_EXEC, jx_str(e, "AutomationExecutionId")};
    err_t rc = res_update(tx, &k, jx_str(e, "AutomationExecutionStatus"), now_ms, e, NULL, eb);
    if (!rc && ssm_status_terminal(jx_str(e, "AutomationExecutionStatus"))) {
        char topic[128];
        snprintf(topic, sizeof(topic), "ssm.execution:%s", k.id);
        rc = engine_signal(tx, topic, now_ms, eb);
        if (!rc) rc = ssm_queue_wake(tx, account, NULL, now_ms, eb); /* a slot is free */
    }
    return rc;
}

err_t ssm_exec_load(store_tx_t *tx, const char *account, const char *id, cJSON **out, errbuf_t *eb)
{
    err_t rc = res_get(tx, &(res_key_t){account, SSM_EXEC, id}, out, eb);
    if (!rc && !*out)
        rc = err_fail(eb, ERR_SSM_EXECUTION_NOT_FOUND, "Automation execution %s does not exist.",
                      id);
    return rc;
}

void ssm_where_set(cJSON *o, const char *account, const char *region)
{
    jx_set_str(o, "_Account", account);
    jx_set_str(o, "_Region", region);
}

err_t ssm_job_wake(app_t *app, store_tx_t *tx, cJSON *o, const char *kind, const char *id,
                   int64_t at_ms, errbuf_t *eb)
{
    const char *job = jx_str(o, "_Job");
    bool found = false;
    err_t rc = job ? engine_hasten(tx, job, at_ms, &found, eb) : ERR_OK;
    if (rc || found) return rc;
    char payload[256], jid[37];
    if (jx_str(o, "_Account") && jx_str(o, "_Region"))
        snprintf(payload, sizeof(payload), "{\"id\":\"%s\",\"account\":\"%s\",\"region\":\"%s\"}",
                 id, jx_str(o, "_Account"), jx_str(o, "_Region"));
    else /* made before regions: the job's default where (app_where_of) */
        snprintf(payload, sizeof(payload), "{\"id\":\"%s\"}", id);
    rc = engine_enqueue(tx, &app->ids, kind, payload, at_ms, 20, jid, eb);
    if (!rc) jx_set_str(o, "_Job", jid);
    return rc;
}

err_t ssm_exec_wake(app_t *app, store_tx_t *tx, cJSON *e, int64_t at_ms, errbuf_t *eb)
{
    return ssm_job_wake(app, tx, e, SSM_JOB, jx_str(e, "AutomationExecutionId"), at_ms, eb);
}

err_t ssm_exec_watch(store_tx_t *tx, const char *exec_id, const char *job_id, errbuf_t *eb)
{
    char topic[128];
    snprintf(topic, sizeof(topic), "ssm.execution:%s", exec_id);
    return engine_watch(tx, topic, job_id, eb);
}

/* The API's view of bound parameters: every value a list of strings. */
cJSON *ssm_param_strings(const cJSON *bound)
{
    cJSON *o = cJSON_CreateObject();
    for (const cJSON *p = bound ? bound->child : NULL; p; p = p->next) {
        cJSON *list = cJSON_CreateArray();
        if (cJSON_IsArray(p) && (!p->child || cJSON_IsString(p->child))) {
            for (const cJSON *v = p->child; v; v = v->next)
                cJSON_AddItemToArray(list, cJSON_CreateString(v->valuestring));
        } else if (cJSON_IsString(p)) {
            cJSON_AddItemToArray(list, cJSON_CreateString(p->valuestring));
        } else if (cJSON_IsBool(p)) {
            cJSON_AddItemToArray(list, cJSON_CreateString(cJSON_IsTrue(p) ? "true" : "false"));
        } else {
            char *t = cJSON_PrintUnformatted(p);
            if (cJSON_IsNumber(p) && p->valuedouble == (double)(long long)p->valuedouble) {
                cJSON_free(t);
                char n[32];
                snprintf(n, sizeof(n), "%lld", (long long)p->valuedouble);
                cJSON_AddItemToArray(list, cJSON_CreateString(n));
            } else {
                cJSON_AddItemToArray(list, cJSON_CreateString(t));
                cJSON_free(t);
            }
        }
        cJSON_AddItemToObject(o, p->string, list);
    }
    return o;
}

/* Variables the assumeRole expression may use at start: parameters and globals. */
typedef struct start_vars {
    const cJSON *bound;
    const char *account, *region;
} start_vars_t;

static cJSON *start_lookup(void *ud, const char *name)
{
    start_vars_t *v = ud;
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(v->bound, name);
    if (p) return cJSON_Duplicate(p, 1);
    if (!strcmp(name, "global:ACCOUNT_ID")) return cJSON_CreateString(v->account);
    if (!strcmp(name, "global:REGION")) return cJSON_CreateString(v->region);
    if (!strcmp(name, "global:AWS_PARTITION")) return cJSON_CreateString("aws");
    return NULL;
}

err_t ssm_start_automation_execution(api_ctx_t *c)
{
    const char *name = api_in_str(c, "DocumentName");
    const char *version = api_in_str(c, "DocumentVersion");
    /* ClientToken is case-insensitive: kept and compared in lower case */
    char *token =
        api_in_str(c, "ClientToken") ? arena_strdup(c->arena, api_in_str(c, "ClientToken")) : NULL;
    for (char *t = token; t && *t; t++) *t = (char)tolower((unsigned char)*t);
    cJSON *doc = NULL, *ver = NULL, *bound = NULL;
    adoc_t *a = NULL;
    bool aws;
    /* the API's rate quota comes first: a throttled call has checked nothing. A bucket of
     * the account and region in the store (every node draws on it) */
    bool ok = true;
    err_t rc =
        res_rate_take(c->tx, c->scope, "ssm.StartAutomationExecution",
                      c->app->cfg.automation_start_rate, clk_now_ms(&c->app->wall), &ok, c->eb);
    if (!rc && !ok) rc = err_fail(c->eb, ERR_THROTTLING, "Rate exceeded");
    if (rc) return rc;
    rc = ssm_doc_load(c->tx, c->scope, name, version, NULL, &doc, &ver, &aws, c->eb);
    if (rc == ERR_SSM_INVALID_DOCUMENT)
        rc = err_fail(c->eb, ERR_SSM_DEFINITION_NOT_FOUND, "Document %s does not exist.", name);
    else if (rc == ERR_SSM_INVALID_VERSION)
        rc = err_fail(c->eb, ERR_SSM_DEFINITION_VERSION_NOT_FOUND,
                      "Document %s version %s does not exist.", name,
                      version ? version : "$DEFAULT");
    if (!rc && strcmp(jx_str(doc, "DocumentType"), "Automation"))
        rc = err_fail(c->eb, ERR_SSM_DEFINITION_NOT_FOUND,
                      "Document %s is not an Automation document.", name);
    if (!rc && adoc_parse(span_of(jx_str(ver, "Content")),
                          !strcmp(jx_str(ver, "DocumentFormat"), "YAML") ? ADOC_YAML : ADOC_JSON,
                          &a, c->eb))
        rc = err_fail(c->eb, ERR_INTERNAL, "stored document %s no longer parses: %s", name,
                      c->eb->msg);
    /* Targets / TargetMaps: a parent of one child per target, bound like its first child */
    cJSON *rate = NULL;
    if (!rc) rc = ssm_rate_plan(c, a, &rate);
    const cJSON *params =
        rate ? cJSON_GetObjectItemCaseSensitive(
                   cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(rate, "children"), 0),
                   "params")
             : cJSON_GetObjectItemCaseSensitive(c->in, "Parameters");
    if (!rc && adoc_bind(a, params, &bound, c->eb)) rc = ERR_SSM_INVALID_PARAMETERS;

    /* a retried start returns the same execution; a different one under the same token is refused
     */
    if (!rc && token) {
        store_stmt_t *st;
        bool row = false;
        rc = store_query(c->tx, c->eb, &st,
                         "SELECT body FROM resources WHERE account = ? AND kind = ? AND name = ?",
                         "sss", c->scope, SSM_EXEC, token);
        if (!rc) rc = store_step(st, &row, c->eb);
        if (!rc && row) {
            cJSON *prev = cJSON_Parse(store_col_text(st, 0));
            bool same =
                prev && !strcmp(jx_str(prev, "DocumentName"), jx_str(doc, "Name")) &&
                cJSON_Compare(cJSON_GetObjectItemCaseSensitive(prev, "_Bound"), bound, true);
            if (same)
                cJSON_AddStringToObject(c->out, "AutomationExecutionId",
                                        jx_str(prev, "AutomationExecutionId"));
            else
                rc = err_fail(c->eb, ERR_SSM_IDEMPOTENT_MISMATCH,
                              "Error: Request with client token %s is not idempotent.", token);
            cJSON_Delete(prev);
            if (!rc) {
                store_step(st, &row, c->eb);
                goto done;
            }
        }
    }
    /* the concurrency quota: a queue behind the running ones, refused past both */
    int64_t running = 0, queued = 0;
    if (!rc) rc = ssm_exec_count(c->tx, c->scope, true, &running, c->eb);
    if (!rc) rc = ssm_exec_count(c->tx, c->scope, false, &queued, c->eb);
    if (!rc && running + queued >=
                   (int64_t)c->app->cfg.automation_max_running + c->app->cfg.automation_max_queued)
        rc = err_fail(
            c->eb, ERR_SSM_EXECUTION_LIMIT,
            "The number of concurrent automation executions has reached the account's limit of "
            "%d running and %d queued. Try again later.",
            c->app->cfg.automation_max_running, c->app->cfg.automation_max_queued);

    /* passing a role to Automation needs iam:PassRole on it */
    const char *role = NULL;
    if (!rc && adoc_assume_role(a)) {
        cJSON *raw = cJSON_CreateString(adoc_assume_role(a)), *res = NULL;
        start_vars_t sv = {bound, c->account, c->region};
        adoc_vars_t vars = {start_lookup, &sv};
        if (adoc_interpolate(raw, &vars, &res, c->eb) == ADOC_OK && cJSON_IsString(res) &&
            res->valuestring[0])
            role = arena_strdup(c->arena, res->valuestring);
        cJSON_Delete(raw);
        cJSON_Delete(res);
    }
    if (!rc && role) rc = api_check_pass_role(c, role, "ssm.amazonaws.com");

    if (!rc) {
        char id[37];
        ids_uuid(&c->app->ids, id);
        int64_t now = clk_now_ms(&c->app->clock);
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "AutomationExecutionId", id);
        cJSON_AddStringToObject(e, "DocumentName", jx_str(doc, "Name"));
        cJSON_AddStringToObject(e, "DocumentVersion", jx_str(ver, "DocumentVersion"));
        cJSON_AddNumberToObject(e, "ExecutionStartTime", (double)now / 1000.0);
        cJSON_AddStringToObject(e, "AutomationExecutionStatus", "Pending");
        cJSON_AddArrayToObject(e, "StepExecutions");
        cJSON_AddBoolToObject(e, "StepExecutionsTruncated", false);
        cJSON_AddItemToObject(e, "Parameters", ssm_param_strings(bound));
        cJSON_AddObjectToObject(e, "Outputs");
        const char *mode = api_in_str(c, "Mode");
        cJSON_AddStringToObject(e, "Mode", mode ? mode : "Auto");
        cJSON_AddStringToObject(e, "ExecutedBy", c->caller->arn);
        if (rate) {
            cJSON *pub = cJSON_DetachItemFromObjectCaseSensitive(rate, "public");
            for (cJSON *f = pub->child; f; f = f->next)
                cJSON_AddItemToObject(e, f->string, cJSON_Duplicate(f, 1));
            cJSON_Delete(pub);
        } else {
            cJSON_AddArrayToObject(e, "Targets");
            cJSON *rt = cJSON_AddObjectToObject(e, "ResolvedTargets");
            cJSON_AddArrayToObject(rt, "ParameterValues");
            cJSON_AddBoolToObject(rt, "Truncated", false);
        }
        const cJSON *tags = cJSON_GetObjectItemCaseSensitive(c->in, "Tags");
        if (tags) cJSON_AddItemToObject(e, "_Tags", cJSON_Duplicate(tags, 1));
        /* internal */
        cJSON_AddStringToObject(e, "_Content", jx_str(ver, "Content"));
        cJSON_AddStringToObject(e, "_Format", jx_str(ver, "DocumentFormat"));
        /* every step as a Pending StepExecution, for listing the ones not run yet */
        cJSON *plan = rate ? NULL : cJSON_AddArrayToObject(e, "_Plan");
        for (size_t i = 0; plan && i < adoc_step_count(a); i++)
            cJSON_AddItemToArray(plan, ssm_step_shell(adoc_step(a, i), "Pending"));
        if (rate) { /* the parent runs no step: its job starts the children */
            cJSON_AddItemToObject(e, "_Rate", rate);
            rate = NULL;
        }
        cJSON_AddItemToObject(e, "_Bound", bound);
        bound = NULL;
        cJSON_AddItemToObject(e, "_Caller", auth_principal_to_json(c->caller));
        ssm_where_set(e, c->account, c->region);
        if (role) cJSON_AddStringToObject(e, "_Role", role);
        cJSON_AddNumberToObject(e, "_Current", 0);
        res_row_t row = {.name = token, .state = "Pending", .created_ms = now};
        rc = ssm_exec_wake(c->app, c->tx, e, now, c->eb);
        if (!rc) rc = res_insert(c->tx, &(res_key_t){c->scope, SSM_EXEC, id}, &row, e, c->eb);
        if (!rc) {
            cJSON_AddStringToObject(c->out, "AutomationExecutionId", id);
            c->post |= API_POST_WAKE_ENGINE;
        }
        cJSON_Delete(e);
    }
done:
    cJSON_Delete(rate);
    adoc_free(a);
    cJSON_Delete(bound);
    cJSON_Delete(doc);
    cJSON_Delete(ver);
    return rc;
}

/* The public view of an execution or a step: without the internal "_" members. */
static cJSON *ssm_public(const cJSON *o)
{
    cJSON *c = cJSON_Duplicate(o, 1);
    jx_drop_internal(c);
    cJSON *steps = cJSON_GetObjectItemCaseSensitive(c, "StepExecutions");
    for (cJSON *s = steps ? steps->child : NULL; s; s = s->next) jx_drop_internal(s);
    return c;
}

cJSON *ssm_step_shell(const adoc_step_t *d, const char *status)
{
    cJSON *s = cJSON_CreateObject();
    cJSON_AddStringToObject(s, "StepName", d->name);
    cJSON_AddStringToObject(s, "Action", d->action);
    if (d->timeout_s) cJSON_AddNumberToObject(s, "TimeoutSeconds", (double)d->timeout_s);
    cJSON_AddStringToObject(s, "OnFailure", d->on_failure ? d->on_failure : "Abort");
    cJSON_AddNumberToObject(s, "MaxAttempts", d->max_attempts);
    cJSON_AddStringToObject(s, "StepStatus", status);
    cJSON_AddBoolToObject(s, "IsEnd", d->is_end);
    if (d->next_step) cJSON_AddStringToObject(s, "NextStep", d->next_step);
    cJSON_AddBoolToObject(s, "IsCritical", d->is_critical);
    return s;
}

/* While an execution runs, GetAutomationExecution lists every step of its document: the
 * ones not run yet follow, in document order, as Pending (no start time, no id), from the
 * plan recorded when it started. Once it has ended only the steps that ran are listed. */
static void ssm_add_pending_steps(const cJSON *e, cJSON *view)
{
    const cJSON *plan = cJSON_GetObjectItemCaseSensitive(e, "_Plan");
    if (!plan || ssm_status_terminal(jx_str(e, "AutomationExecutionStatus"))) return;
    cJSON *steps = cJSON_GetObjectItemCaseSensitive(view, "StepExecutions");
    if (!steps) steps = cJSON_AddArrayToObject(view, "StepExecutions");
    for (const cJSON *p = plan->child; p; p = p->next) {
        bool seen = false;
        for (const cJSON *s = steps->child; s && !seen; s = s->next)
            seen = !strcmp(jx_str(s, "StepName"), jx_str(p, "StepName"));
        if (!seen) cJSON_AddItemToArray(steps, cJSON_Duplicate(p, 1));
    }
}

err_t ssm_get_automation_execution(api_ctx_t *c)
{
    cJSON *e = NULL;
    err_t rc = ssm_exec_load(c->tx, c->scope, api_in_str(c, "AutomationExecutionId"), &e, c->eb);
    if (!rc) {
        cJSON *view = ssm_public(e);
        ssm_add_pending_steps(e, view);
        cJSON_AddItemToObject(c->out, "AutomationExecution", view);
    }
    cJSON_Delete(e);
    return rc;
}

err_t ssm_stop_automation_execution(api_ctx_t *c)
{
    const char *id = api_in_str(c, "AutomationExecutionId");
    const char *type = api_in_str(c, "Type");
    cJSON *e = NULL;
    err_t rc = ssm_exec_load(c->tx, c->scope, id, &e, c->eb);
    const char *status = e ? jx_str(e, "AutomationExecutionStatus") : NULL;
    if (!rc && (ssm_status_terminal(status) || !strcmp(status, "Cancelling")))
        rc = err_fail(c->eb, ERR_SSM_INVALID_STATUS_UPDATE,
                      "The specified execution %s is not in a valid state to be stopped: %s.", id,
                      status);
    if (!rc) {
        int64_t now = clk_now_ms(&c->app->clock);
        bool complete = type && !strcmp(type, "Complete");
        /* status points into the member replaced below */
        bool pending = !strcmp(status, "Pending");
        jx_set_str(e, "_Stop", complete ? "Complete" : "Cancel");
        /* a queued execution stays Pending (and out of the running count) until its job,
         * woken now, ends it without running a step */
        jx_set_str(e, "AutomationExecutionStatus",
                   pending    ? "Pending"
                   : complete ? "InProgress"
                              : "Cancelling");
        rc = ssm_exec_wake(c->app, c->tx, e, now, c->eb);
        if (!rc) rc = ssm_exec_save(c->tx, c->scope, e, now, c->eb);
        c->post |= API_POST_WAKE_ENGINE;
    }
    cJSON_Delete(e);
    return rc;
}

/* Does execution e pass the DescribeAutomationExecutions filters? */
static err_t ssm_exec_match(api_ctx_t *c, const cJSON *e, bool *ok)
{
    const cJSON *filters = cJSON_GetObjectItemCaseSensitive(c->in, "Filters");
    *ok = true;
    for (const cJSON *f = filters ? filters->child : NULL; f && *ok; f = f->next) {
        const char *key = jx_str(f, "Key");
        const cJSON *vals = cJSON_GetObjectItemCaseSensitive(f, "Values");
        bool any = false;
        for (const cJSON *v = vals ? vals->child : NULL; v && !any; v = v->next) {
            const char *w = v->valuestring;
            if (!strcmp(key, "DocumentNamePrefix"))
                any = !strncmp(jx_str(e, "DocumentName"), w, strlen(w));
            else if (!strcmp(key, "ExecutionStatus"))
                any = !strcmp(jx_str(e, "AutomationExecutionStatus"), w);
            else if (!strcmp(key, "ExecutionId"))
                any = !strcmp(jx_str(e, "AutomationExecutionId"), w);
            else if (!strcmp(key, "CurrentAction"))
                any = jx_str(e, "CurrentAction") && !strcmp(jx_str(e, "CurrentAction"), w);
            else if (!strcmp(key, "AutomationType"))
                any = !strcmp(w, "Local");
            else if (!strcmp(key, "StartTimeBefore") || !strcmp(key, "StartTimeAfter")) {
                int64_t ms;
                if (!enc_parse_iso8601(span_of(w), &ms))
                    return err_fail(c->eb, ERR_SSM_INVALID_FILTER_VALUE,
                                    "The filter value %s is not valid.", w);
                double t = (double)ms / 1000.0, st = (double)jx_int(e, "ExecutionStartTime", 0);
                any = key[9] == 'B' ? st < t : st > t;
            } else if (!strcmp(key, "TagKey")) {
                const cJSON *tags = cJSON_GetObjectItemCaseSensitive(e, "_Tags");
                for (const cJSON *t = tags ? tags->child : NULL; t && !any; t = t->next)
                    any = jx_str(t, "Key") && !strcmp(jx_str(t, "Key"), w);
            } else if (!strcmp(key, "ParentExecutionId")) {
                const char *parent = jx_str(e, "ParentAutomationExecutionId");
                any = parent && !strcmp(parent, w);
            } else {
                any = false; /* TargetResourceGroup, ...: none here */
            }
        }
        *ok = any;
    }
    return ERR_OK;
}

/* DescribeAutomationExecutions' filters, as a res_keep_fn. */
static err_t ssm_exec_keep(void *ctx, const cJSON *e, const res_pkey_t *k, bool *keep)
{
    (void)k;
    return ssm_exec_match(ctx, e, keep);
}

err_t ssm_describe_automation_executions(api_ctx_t *c)
{
    res_page_t p;
    err_t rc = ssm_page_in(c, &p);
    if (rc) return rc;
    cJSON *page = cJSON_CreateArray();
    res_query_t q = {c->scope, SSM_EXEC, NULL, 0, 0};
    p.desc = true; /* newest first */
    rc = res_list_page(c->tx, &q, &p, ssm_exec_keep, c, page, c->eb);
    cJSON *list = cJSON_AddArrayToObject(c->out, "AutomationExecutionMetadataList");
    for (cJSON *e = page->child; !rc && e; e = e->next) {
        cJSON *m = cJSON_CreateObject();
        static const char *const copy[] = {"AutomationExecutionId",
                                           "DocumentName",
                                           "DocumentVersion",
                                           "AutomationExecutionStatus",
                                           "ExecutionStartTime",
                                           "ExecutionEndTime",
                                           "ExecutedBy",
                                           "Outputs",
                                           "Mode",
                                           "CurrentStepName",
                                           "CurrentAction",
                                           "FailureMessage",
                                           "Targets",
                                           "TargetMaps",
                                           "ResolvedTargets",
                                           "TargetParameterName",
                                           "MaxConcurrency",
                                           "MaxErrors",
                                           "Target",
                                           "ParentAutomationExecutionId",
                                           NULL};
        jx_copy(m, e, copy);
        cJSON_AddStringToObject(m, "LogFile", "");
        cJSON_AddStringToObject(m, "AutomationType", "Local");
        cJSON_AddItemToArray(list, m);
    }
    cJSON_Delete(page);
    if (!rc) ssm_page_out(c, &p);
    return rc;
}

err_t ssm_describe_automation_step_executions(api_ctx_t *c)
{
    res_page_t p;
    err_t rc = ssm_page_in(c, &p);
    if (rc) return rc;
    cJSON *e = NULL;
    rc = ssm_exec_load(c->tx, c->scope, api_in_str(c, "AutomationExecutionId"), &e, c->eb);
    if (rc) return rc;
    cJSON *pub = ssm_public(e);
    cJSON_Delete(e);
    cJSON *steps = cJSON_GetObjectItemCaseSensitive(pub, "StepExecutions");
    const cJSON *filters = cJSON_GetObjectItemCaseSensitive(c->in, "Filters");
    bool reverse = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c->in, "ReverseOrder"));
    cJSON *list = cJSON_AddArrayToObject(c->out, "StepExecutions");
    int n = cJSON_GetArraySize(steps);
    p.desc = reverse; /* the key is the step's position: steps are only ever appended */
    for (int i = 0; i < n; i++) {
        const cJSON *s = cJSON_GetArrayItem(steps, reverse ? n - 1 - i : i);
        bool ok = true;
        for (const cJSON *f = filters ? filters->child : NULL; f && ok; f = f->next) {
            const char *key = jx_str(f, "Key");
            const char *field = !strcmp(key, "StepExecutionStatus") ? "StepStatus"
                                : !strcmp(key, "StepExecutionId")   ? "StepExecutionId"
                                : !strcmp(key, "StepName")          ? "StepName"
                                : !strcmp(key, "Action")            ? "Action"
                                                                    : NULL;
            bool any = false;
            const cJSON *vals = cJSON_GetObjectItemCaseSensitive(f, "Values");
            for (const cJSON *v = vals ? vals->child : NULL; v && !any; v = v->next)
                any = field ? jx_str(s, field) && !strcmp(jx_str(s, field), v->valuestring) : true;
            ok = any;
        }
        if (!ok) continue;
        res_offer_t o = res_page_offer(&p, &(res_pkey_t){.n = reverse ? n - 1 - i : i});
        if (o == RES_PAGE_TAKE) cJSON_AddItemToArray(list, cJSON_Duplicate(s, 1));
        if (o == RES_PAGE_FULL) break;
    }
    cJSON_Delete(pub);
    ssm_page_out(c, &p);
    return ERR_OK;
}

/* Is the caller one of the step's approvers (user names, user or role ARNs)? */
static bool ssm_is_approver(const cJSON *approvers, const auth_principal_t *who)
{
    for (const cJSON *a = approvers ? approvers->child : NULL; a; a = a->next) {
        if (!cJSON_IsString(a)) continue;
        if (!strcmp(a->valuestring, who->arn) ||
            (who->role_arn[0] && !strcmp(a->valuestring, who->role_arn)) ||
            (who->kind == AUTH_USER && !strcmp(a->valuestring, who->name)) ||
            (who->kind == AUTH_ROOT && !strcmp(a->valuestring, who->account)))
            return true;
    }
    return false;
}

err_t ssm_send_automation_signal(api_ctx_t *c)
{
    const char *id = api_in_str(c, "AutomationExecutionId");
    const char *type = api_in_str(c, "SignalType");
    cJSON *e = NULL;
    err_t rc = ssm_exec_load(c->tx, c->scope, id, &e, c->eb);
    if (rc) return rc;
    cJSON *steps = cJSON_GetObjectItemCaseSensitive(e, "StepExecutions");
    cJSON *waiting = NULL;
    for (cJSON *s = steps ? steps->child : NULL; s; s = s->next)
        if (!strcmp(jx_str(s, "StepStatus"), "Waiting")) waiting = s;
    bool is_approve = !strcmp(type, "Approve") || !strcmp(type, "Reject");
    bool is_resume = !strcmp(type, "Resume");
    const char *action = waiting ? jx_str(waiting, "Action") : NULL;
    if (!waiting || (is_approve && strcmp(action, "aws:approve")) ||
        (is_resume && strcmp(action, "aws:pause")) || (!is_approve && !is_resume)) {
        cJSON_Delete(e);
        return err_fail(c->eb, ERR_SSM_INVALID_SIGNAL,
                        "Signal %s is not valid for the current step of execution %s.", type, id);
    }
    if (is_approve &&
        !ssm_is_approver(cJSON_GetObjectItemCaseSensitive(waiting, "_Approvers"), c->caller)) {
        cJSON_Delete(e);
        return err_fail(c->eb, ERR_SSM_INVALID_SIGNAL, "%s is not an approver of execution %s.",
                        c->caller->arn, id);
    }
    /* record the decision; the job applies it */
    cJSON *decisions = cJSON_GetObjectItemCaseSensitive(waiting, "_Decisions");
    if (!decisions) decisions = cJSON_AddArrayToObject(waiting, "_Decisions");
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "Type", type);
    cJSON_AddStringToObject(d, "Approver", c->caller->arn);
    const cJSON *payload = cJSON_GetObjectItemCaseSensitive(c->in, "Payload");
    const cJSON *comment =
        cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(payload, "Comment"), 0);
    if (cJSON_IsString(comment)) cJSON_AddStringToObject(d, "Comment", comment->valuestring);
    cJSON_AddItemToArray(decisions, d);
    int64_t now = clk_now_ms(&c->app->clock);
    rc = ssm_exec_wake(c->app, c->tx, e, now, c->eb);
    if (!rc) rc = ssm_exec_save(c->tx, c->scope, e, now, c->eb);
    c->post |= API_POST_WAKE_ENGINE;
    cJSON_Delete(e);
    return rc;
}
