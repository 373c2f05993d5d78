/* commands.c - Run Command's API: SendCommand (document and parameters checked, targets
 * resolved through ec2:DescribeInstances as the caller and each instance authorized, the
 * plugins' scripts built from the document, one invocation per instance), ListCommands,
 * ListCommandInvocations (Details), GetCommandInvocation and CancelCommand. The command's
 * engine job (command_job.c) does the running. */
#include "svc/ssm/cmd_int.h"

#include "core/clk.h"
#include "core/enc.h"
#include "core/ids.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- targets */

/* "50" or "10%" of n targets (a percentage rounded down, at least min); false when
 * malformed. */
static bool cmd_count(const char *s, int64_t n, int64_t min, int64_t *out)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    if (end == s || v < 0) return false;
    if (*end == '%') {
        if (end[1] || v > 100) return false;
        v = v * n / 100;
    } else if (*end) {
        return false;
    }
    *out = v < min ? min : v;
    return true;
}

/* The instances a SendCommand names (InstanceIds, or Targets by InstanceIds / tag:Key),
 * as ec2:DescribeInstances shows them to the caller, into *out (an array). */
static err_t cmd_instances(api_ctx_t *c, cJSON **out)
{
    *out = cJSON_CreateArray();
    const cJSON *ids = cJSON_GetObjectItemCaseSensitive(c->in, "InstanceIds");
    const cJSON *targets = cJSON_GetObjectItemCaseSensitive(c->in, "Targets");
    if (!!cJSON_GetArraySize(ids) == !!cJSON_GetArraySize(targets))
        return err_fail(c->eb, ERR_SSM_INVALID_CMD_PARAMETERS,
                        "Specify either InstanceIds or Targets, not both and not neither.");
    cJSON *in = cJSON_CreateObject();
    if (ids) {
        cJSON_AddItemToObject(in, "InstanceIds", cJSON_Duplicate(ids, 1));
        for (const cJSON *a = ids->child; a; a = a->next)
            for (const cJSON *b = a->next; b; b = b->next)
                if (!strcmp(a->valuestring, b->valuestring)) {
                    cJSON_Delete(in);
                    return err_fail(c->eb, ERR_SSM_DUPLICATE_INSTANCE_ID,
                                    "Instance %s is named more than once.", a->valuestring);
                }
    }
    cJSON *filters = NULL;
    for (const cJSON *t = targets ? targets->child : NULL; t; t = t->next) {
        const char *key = jx_str(t, "Key");
        const cJSON *vals = cJSON_GetObjectItemCaseSensitive(t, "Values");
        if (key && !strcmp(key, "InstanceIds")) {
            jx_set(in, "InstanceIds", cJSON_Duplicate(vals, 1));
        } else if (key && !strncmp(key, "tag:", 4) && key[4]) {
            if (!filters) filters = cJSON_AddArrayToObject(in, "Filters");
            cJSON *f = cJSON_CreateObject();
            cJSON_AddStringToObject(f, "Name", key);
            cJSON_AddItemToObject(f, "Values", cJSON_Duplicate(vals, 1));
            cJSON_AddItemToArray(filters, f);
        } else {
            cJSON_Delete(in);
            return err_fail(c->eb, ERR_SSM_INVALID_CMD_PARAMETERS,
                            "Target key %s is not supported: use InstanceIds or tag:<key>.",
                            key ? key : "(none)");
        }
    }
    cJSON *res = NULL;
    err_t rc = api_client_call(c, c->caller, "ec2", "DescribeInstances", in, &res, c->eb);
    cJSON_Delete(in);
    if (rc == ERR_ACCESS_DENIED) return rc;
    if (rc) {
        /* an unknown instance: SSM's own error, not EC2's */
        char list[512] = "";
        for (const cJSON *i = ids ? ids->child : NULL; i; i = i->next)
            snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
                     i == ids->child ? "" : ", ", i->valuestring);
        return err_fail(c->eb, ERR_SSM_INVALID_INSTANCE_ID,
                        "Instances [[%s]] not in a valid state for account %s", list, c->account);
    }
    const cJSON *rs = cJSON_GetObjectItemCaseSensitive(res, "Reservations");
    for (const cJSON *r = rs ? rs->child : NULL; r; r = r->next) {
        const cJSON *is = cJSON_GetObjectItemCaseSensitive(r, "Instances");
        for (const cJSON *i = is ? is->child : NULL; i; i = i->next) {
            const char *state = jx_str(cJSON_GetObjectItemCaseSensitive(i, "State"), "Name");
            if (state && (!strcmp(state, "terminated") || !strcmp(state, "shutting-down"))) {
                if (!ids) continue; /* a tag target skips instances that are gone */
                rc = err_fail(c->eb, ERR_SSM_INVALID_INSTANCE_ID,
                              "Instances [[%s]] not in a valid state for account %s",
                              jx_str(i, "InstanceId"), c->account);
                break;
            }
            cJSON_AddItemToArray(*out, cJSON_Duplicate(i, 1));
        }
    }
    cJSON_Delete(res);
    return rc;
}

/* ---- the plugins of a command */

static cJSON *cmd_lookup(void *ud, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive((const cJSON *)ud, name);
    return v ? cJSON_Duplicate(v, 1) : NULL;
}

/* A precondition catalogd's Linux nodes do not meet: the text AWS's agent reports for the
 * skipped step, or NULL when it runs. */
static const char *cmd_skip(api_ctx_t *c, const cJSON *step, const char *name)
{
    const cJSON *pre = cJSON_GetObjectItemCaseSensitive(step, "precondition");
    const cJSON *eq = cJSON_GetObjectItemCaseSensitive(pre, "StringEquals");
    const cJSON *a = cJSON_GetArrayItem(eq, 0), *b = cJSON_GetArrayItem(eq, 1);
    if (!cJSON_IsString(a) || !cJSON_IsString(b) || strcmp(a->valuestring, "platformType") ||
        !strcmp(b->valuestring, "Linux"))
        return NULL;
    return arena_printf(c->arena,
                        "Step execution skipped due to unsatisfied preconditions: "
                        "'\"StringEquals\": [platformType, %s]'. Step name: %s\n",
                        b->valuestring, name);
}

/* The plugins of document a with parameters bound, as the job runs them:
 * [{Name, Action, Script, WorkDir, TimeoutS, Skip}]. MaxDocumentSizeExceeded when the
 * scripts come to more than a document may hold. */
static err_t cmd_plugins(api_ctx_t *c, const adoc_t *a, const cJSON *bound, cJSON **out)
{
    *out = cJSON_CreateArray();
    adoc_vars_t vars = {cmd_lookup, (void *)bound};
    size_t total = 0;
    const cJSON *steps = cJSON_GetObjectItemCaseSensitive(adoc_json(a), "mainSteps");
    for (size_t i = 0; i < adoc_step_count(a); i++) {
        const adoc_step_t *s = adoc_step(a, i);
        cJSON *in = NULL;
        if (adoc_interpolate(s->inputs, &vars, &in, c->eb) != ADOC_OK)
            return err_fail(c->eb, ERR_SSM_INVALID_CMD_PARAMETERS, "%s", c->eb->msg);
        buf_t script; /* past the limit below: refused whole, never cut */
        buf_init(&script, (size_t)SSM_MAX_BYTES + 1);
        bool fits = true;
        const cJSON *rc = cJSON_GetObjectItemCaseSensitive(in, "runCommand");
        if (cJSON_IsString(rc)) fits &= buf_adds(&script, rc->valuestring);
        for (const cJSON *l = cJSON_IsArray(rc) ? rc->child : NULL; l; l = l->next)
            fits &= buf_adds(&script, cJSON_IsString(l) ? l->valuestring : "") &&
                    buf_adds(&script, "\n");
        total += fits ? script.len : (size_t)SSM_MAX_BYTES + 1;
        const char *ts = jx_str(in, "timeoutSeconds");
        int64_t timeout = ts && *ts ? strtoll(ts, NULL, 10) : jx_int(in, "timeoutSeconds", 3600);
        cJSON *p = cJSON_CreateObject();
        cJSON_AddStringToObject(p, "Name", s->name);
        cJSON_AddStringToObject(p, "Action", s->action);
        cJSON_AddStringToObject(p, "Script", buf_str(&script));
        cJSON_AddStringToObject(p, "WorkDir", jx_str(in, "workingDirectory") ?: "");
        cJSON_AddNumberToObject(p, "TimeoutS", (double)(timeout > 0 ? timeout : 3600));
        const char *skip = cmd_skip(c, cJSON_GetArrayItem(steps, (int)i), s->name);
        if (skip) cJSON_AddStringToObject(p, "Skip", skip);
        cJSON_AddItemToArray(*out, p);
        buf_free(&script);
        cJSON_Delete(in);
    }
    if (total > SSM_MAX_BYTES)
        return err_fail(c->eb, ERR_SSM_MAX_SIZE,
                        "The size limit of a document is 64 KB: the command's scripts come to "
                        "more than %d bytes.",
                        SSM_MAX_BYTES);
    return ERR_OK;
}

/* The command's parameters as the API shows them: each a list of strings. */
static cJSON *cmd_param_strings(const cJSON *bound)
{
    cJSON *o = cJSON_CreateObject();
    for (const cJSON *p = bound ? bound->child : NULL; p; p = p->next) {
        cJSON *list = cJSON_AddArrayToObject(o, p->string);
        const cJSON *v = cJSON_IsArray(p) ? p->child : p;
        for (; v; v = cJSON_IsArray(p) ? v->next : NULL) {
            char *t = cJSON_IsString(v) ? NULL : cJSON_PrintUnformatted(v);
            cJSON_AddItemToArray(list, cJSON_CreateString(t ? t : v->valuestring));
            cJSON_free(t);
        }
    }
    return o;
}

/* The API's view of a command or an invocation: internal members dropped. */
static cJSON *cmd_public(const cJSON *rec)
{
    cJSON *o = cJSON_Duplicate(rec, 1);
    jx_drop_internal(o);
    return o;
}

/* ---- SendCommand */

/* The document a SendCommand names, parsed; InvalidDocument for a runbook. */
static err_t cmd_document(api_ctx_t *c, cJSON **doc, cJSON **ver, adoc_t **a)
{
    bool aws;
    err_t rc = ssm_doc_load(c->tx, c->scope, api_in_str(c, "DocumentName"),
                            api_in_str(c, "DocumentVersion"), NULL, doc, ver, &aws, c->eb);
    if (!rc && strcmp(jx_str(*doc, "DocumentType"), "Command"))
        rc = err_fail(c->eb, ERR_SSM_INVALID_DOCUMENT,
                      "Document %s is of type %s: SendCommand runs Command documents.",
                      jx_str(*doc, "Name"), jx_str(*doc, "DocumentType"));
    const char *fmt = !rc ? jx_str(*ver, "DocumentFormat") : NULL;
    if (!rc && adoc_parse_command(span_of(jx_str(*ver, "Content")),
                                  fmt && !strcmp(fmt, "YAML") ? ADOC_YAML : ADOC_JSON, true, a,
                                  c->eb) != ADOC_OK)
        rc = err_fail(c->eb, ERR_SSM_INVALID_DOCUMENT, "The document no longer parses: %s",
                      c->eb->msg);
    return rc;
}

/* ssm:SendCommand on every target instance (the row authorized the document). */
static err_t cmd_authorize_instances(api_ctx_t *c, const cJSON *insts)
{
    err_t rc = ERR_OK;
    for (const cJSON *i = insts->child; !rc && i; i = i->next)
        rc = api_check_action(c, "ssm:SendCommand",
                              arena_printf(c->arena, "arn:aws:ec2:%s:%s:instance/%s", c->region,
                                           c->account, jx_str(i, "InstanceId")),
                              NULL, NULL);
    return rc;
}

/* The Command record of a SendCommand. */
static cJSON *cmd_record(api_ctx_t *c, const char *id, const cJSON *doc, const cJSON *ver,
                         const cJSON *bound, const cJSON *insts, int64_t now, int64_t timeout_s)
{
    cJSON *cmd = cJSON_CreateObject();
    cJSON_AddStringToObject(cmd, "CommandId", id);
    cJSON_AddStringToObject(cmd, "DocumentName", jx_str(doc, "Name"));
    cJSON_AddStringToObject(cmd, "DocumentVersion", jx_str(ver, "DocumentVersion"));
    cJSON_AddStringToObject(cmd, "Comment", api_in_str(c, "Comment") ?: "");
    cJSON_AddNumberToObject(cmd, "ExpiresAfter", (double)(now + timeout_s * 1000) / 1000.0);
    cJSON_AddItemToObject(cmd, "Parameters", cmd_param_strings(bound));
    cJSON *ids = cJSON_AddArrayToObject(cmd, "InstanceIds");
    for (const cJSON *i = insts->child; i; i = i->next)
        cJSON_AddItemToArray(ids, cJSON_CreateString(jx_str(i, "InstanceId")));
    const cJSON *targets = cJSON_GetObjectItemCaseSensitive(c->in, "Targets");
    cJSON_AddItemToObject(cmd, "Targets",
                          targets ? cJSON_Duplicate(targets, 1) : cJSON_CreateArray());
    cJSON_AddNumberToObject(cmd, "RequestedDateTime", (double)now / 1000.0);
    cJSON_AddStringToObject(cmd, "Status", "Pending");
    cJSON_AddStringToObject(cmd, "StatusDetails", "Pending");
    static const char *const copied[] = {"OutputS3Region", "OutputS3BucketName",
                                         "OutputS3KeyPrefix", "ServiceRoleArn", NULL};
    for (const char *const *k = copied; *k; k++)
        if (api_in_str(c, *k))
            cJSON_AddStringToObject(cmd, !strcmp(*k, "ServiceRoleArn") ? "ServiceRole" : *k,
                                    api_in_str(c, *k));
    cJSON_AddStringToObject(cmd, "MaxConcurrency", api_in_str(c, "MaxConcurrency") ?: "50");
    cJSON_AddStringToObject(cmd, "MaxErrors", api_in_str(c, "MaxErrors") ?: "0");
    cJSON_AddNumberToObject(cmd, "TargetCount", cJSON_GetArraySize(insts));
    cJSON_AddNumberToObject(cmd, "CompletedCount", 0);
    cJSON_AddNumberToObject(cmd, "ErrorCount", 0);
    cJSON_AddNumberToObject(cmd, "DeliveryTimedOutCount", 0);
    const cJSON *cw = cJSON_GetObjectItemCaseSensitive(c->in, "CloudWatchOutputConfig");
    cJSON_AddItemToObject(cmd, "CloudWatchOutputConfig",
                          cw ? cJSON_Duplicate(cw, 1) : cJSON_CreateObject());
    cJSON_AddNumberToObject(cmd, "TimeoutSeconds", (double)timeout_s);
    return cmd;
}

/* The Invocation record of instance inst in command cmd. */
static cJSON *cmd_invocation(const cJSON *cmd, const cJSON *inst, const cJSON *plugins)
{
    cJSON *v = cJSON_CreateObject();
    static const char *const copied[] = {"CommandId",       "Comment",           "DocumentName",
                                         "DocumentVersion", "RequestedDateTime", NULL};
    jx_copy(v, cmd, copied);
    cJSON_AddStringToObject(v, "InstanceId", jx_str(inst, "InstanceId"));
    cJSON_AddStringToObject(v, "InstanceName", "");
    cJSON_AddStringToObject(v, "Status", "Pending");
    cJSON_AddStringToObject(v, "StatusDetails", "Pending");
    cJSON_AddStringToObject(v, "TraceOutput", "");
    cJSON_AddStringToObject(v, "StandardOutputUrl", "");
    cJSON_AddStringToObject(v, "StandardErrorUrl", "");
    cJSON *ps = cJSON_AddArrayToObject(v, "_Plugins");
    for (const cJSON *p = plugins->child; p; p = p->next) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "Name", jx_str(p, "Name"));
        cJSON_AddStringToObject(e, "Status", "Pending");
        cJSON_AddStringToObject(e, "StatusDetails", "Pending");
        cJSON_AddNumberToObject(e, "ResponseCode", -1);
        cJSON_AddItemToArray(ps, e);
    }
    cJSON_AddItemToObject(v, "_Instance", cJSON_Duplicate(inst, 1));
    return v;
}

err_t ssm_send_command(api_ctx_t *c)
{
    cJSON *doc = NULL, *ver = NULL, *bound = NULL, *insts = NULL, *plugins = NULL, *cmd = NULL;
    adoc_t *a = NULL;
    int64_t now = clk_now_ms(&c->app->clock), conc = 0, errs = 0;
    int64_t timeout_s = api_in_int(c, "TimeoutSeconds", 3600);
    err_t rc = cmd_document(c, &doc, &ver, &a);
    if (!rc && adoc_bind(a, cJSON_GetObjectItemCaseSensitive(c->in, "Parameters"), &bound, c->eb) !=
                   ADOC_OK)
        rc = err_fail(c->eb, ERR_SSM_INVALID_CMD_PARAMETERS, "%s", c->eb->msg);
    if (!rc) rc = cmd_plugins(c, a, bound, &plugins);
    if (!rc) rc = cmd_instances(c, &insts);
    if (!rc) rc = cmd_authorize_instances(c, insts);
    int64_t n = insts ? cJSON_GetArraySize(insts) : 0;
    if (!rc && (!cmd_count(api_in_str(c, "MaxConcurrency") ?: "50", n, 1, &conc) ||
                !cmd_count(api_in_str(c, "MaxErrors") ?: "0", n, 0, &errs)))
        rc = err_fail(c->eb, ERR_SSM_INVALID_CMD_PARAMETERS,
                      "MaxConcurrency and MaxErrors are a number or a percentage (\"10%%\").");
    char id[37];
    ids_uuid(&c->app->ids, id);
    if (!rc) {
        cmd = cmd_record(c, id, doc, ver, bound, insts, now, timeout_s);
        cJSON_AddItemToObject(cmd, "_Plugins", plugins);
        plugins = NULL;
        cJSON_AddNumberToObject(cmd, "_Concurrency", (double)conc);
        cJSON_AddNumberToObject(cmd, "_Errors", (double)errs);
        if (!n) {
            jx_set_str(cmd, "Status", "Success");
            jx_set_str(cmd, "StatusDetails", "Success");
        }
    }
    for (const cJSON *i = insts && !rc ? insts->child : NULL; !rc && i; i = i->next) {
        cJSON *inv = cmd_invocation(cmd, i, cJSON_GetObjectItemCaseSensitive(cmd, "_Plugins"));
        const char *key = arena_printf(c->arena, "%s:%s", id, jx_str(i, "InstanceId"));
        res_row_t row = {.parent = id, .created_ms = now};
        rc = res_insert(c->tx, &(res_key_t){c->scope, SSM_INV, key}, &row, inv, c->eb);
        cJSON_Delete(inv);
    }
    ssm_where_set(cmd, c->account, c->region);
    if (!rc && n) rc = cmd_wake(c->app, c->tx, cmd, now, c->eb);
    if (!rc) {
        res_row_t row = {.created_ms = now};
        rc = res_insert(c->tx, &(res_key_t){c->scope, SSM_CMD, id}, &row, cmd, c->eb);
        c->post |= API_POST_WAKE_ENGINE;
    }
    if (!rc) cJSON_AddItemToObject(c->out, "Command", cmd_public(cmd));
    cJSON_Delete(cmd);
    cJSON_Delete(plugins);
    cJSON_Delete(insts);
    cJSON_Delete(bound);
    adoc_free(a);
    cJSON_Delete(doc);
    cJSON_Delete(ver);
    return rc;
}

/* ---- reading */

static err_t cmd_load(api_ctx_t *c, const char *id, cJSON **cmd)
{
    err_t rc = res_get(c->tx, &(res_key_t){c->scope, SSM_CMD, id}, cmd, c->eb);
    if (!rc && !*cmd) rc = err_fail(c->eb, ERR_SSM_INVALID_COMMAND_ID, "Invalid command id.");
    return rc;
}

/* Does command or invocation rec pass the request's Filters? */
static err_t cmd_filtered(api_ctx_t *c, const cJSON *rec, bool *ok)
{
    *ok = true;
    const cJSON *fs = cJSON_GetObjectItemCaseSensitive(c->in, "Filters");
    for (const cJSON *f = fs ? fs->child : NULL; f && *ok; f = f->next) {
        const char *key = jx_str(f, "key"), *val = jx_str(f, "value");
        if (!key || !val) continue;
        if (!strcmp(key, "InvokedAfter") || !strcmp(key, "InvokedBefore")) {
            int64_t ms;
            if (!enc_parse_iso8601(span_of(val), &ms))
                return err_fail(c->eb, ERR_SSM_INVALID_FILTER_VALUE,
                                "The filter value %s is not a valid date and time.", val);
            double at =
                cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(rec, "RequestedDateTime"));
            *ok = key[7] == 'A' ? at * 1000.0 >= (double)ms : at * 1000.0 <= (double)ms;
        } else if (!strcmp(key, "Status")) {
            /* a status or a detailed one: "TimedOut", "DeliveryTimedOut", "Delayed" */
            *ok = !strcmp(jx_str(rec, "Status"), val) || !strcmp(jx_str(rec, "StatusDetails"), val);
        } else if (!strcmp(key, "DocumentName")) {
            *ok = !strcmp(jx_str(rec, "DocumentName"), val);
        } else if (!strcmp(key, "ExecutionStage")) {
            bool done = cmd_terminal(jx_str(rec, "Status"));
            *ok = !strcmp(val, "Complete") ? done : !done;
        } else {
            return err_fail(c->eb, ERR_SSM_INVALID_FILTER_KEY,
                            "The specified filter key %s is not valid.", key);
        }
    }
    return ERR_OK;
}

typedef struct cmd_keep_ctx {
    api_ctx_t *c;
    const char *instance; /* only records about it, or NULL */
} cmd_keep_ctx_t;

/* res_keep_fn: a command or invocation about the instance asked for, passing the filters. */
static err_t cmd_keep(void *ctx, const cJSON *r, const res_pkey_t *k, bool *keep)
{
    (void)k;
    cmd_keep_ctx_t *x = ctx;
    const cJSON *ids = cJSON_GetObjectItemCaseSensitive(r, "InstanceIds");
    *keep =
        !x->instance || (jx_str(r, "InstanceId") && !strcmp(jx_str(r, "InstanceId"), x->instance));
    for (const cJSON *i = ids ? ids->child : NULL; x->instance && !*keep && i; i = i->next)
        *keep = !strcmp(i->valuestring, x->instance);
    return *keep ? cmd_filtered(x->c, r, keep) : ERR_OK;
}

/* One page of query q's records that pass the filters (newest first when desc) onto list,
 * as the API shows them (invocations with their CommandPlugins when details); NextToken
 * set. */
static err_t cmd_page(api_ctx_t *c, const res_query_t *q, bool desc, const char *instance,
                      bool details, cJSON *list)
{
    res_page_t p;
    err_t rc = ssm_page_in(c, &p);
    if (rc) return rc;
    p.desc = desc;
    cJSON *page = cJSON_CreateArray();
    cmd_keep_ctx_t x = {c, instance};
    rc = res_list_page(c->tx, q, &p, cmd_keep, &x, page, c->eb);
    for (cJSON *r = page->child; !rc && r; r = r->next) {
        cJSON *o = cmd_public(r);
        if (!strcmp(q->kind, SSM_INV)) {
            cJSON *ps = cJSON_AddArrayToObject(o, "CommandPlugins");
            const cJSON *pl = cJSON_GetObjectItemCaseSensitive(r, "_Plugins");
            for (const cJSON *pi = details && pl ? pl->child : NULL; pi; pi = pi->next) {
                cJSON *e = cmd_public(pi);
                if (!cJSON_GetObjectItemCaseSensitive(e, "Output"))
                    cJSON_AddStringToObject(e, "Output", "");
                cJSON_AddStringToObject(e, "StandardOutputUrl", "");
                cJSON_AddStringToObject(e, "StandardErrorUrl", "");
                cJSON_AddItemToArray(ps, e);
            }
        }
        cJSON_AddItemToArray(list, o);
    }
    cJSON_Delete(page);
    if (!rc) ssm_page_out(c, &p);
    return rc;
}

err_t ssm_list_commands(api_ctx_t *c)
{
    const char *id = api_in_str(c, "CommandId");
    cJSON *list = cJSON_AddArrayToObject(c->out, "Commands");
    if (id) {
        cJSON *cmd = NULL;
        err_t rc = cmd_load(c, id, &cmd);
        bool ok = false;
        if (!rc) rc = cmd_filtered(c, cmd, &ok);
        if (!rc && ok) cJSON_AddItemToArray(list, cmd_public(cmd));
        cJSON_Delete(cmd);
        return rc;
    }
    res_query_t q = {c->scope, SSM_CMD, NULL, 0, 0};
    return cmd_page(c, &q, true, api_in_str(c, "InstanceId"), false, list);
}

err_t ssm_list_command_invocations(api_ctx_t *c)
{
    const char *id = api_in_str(c, "CommandId");
    cJSON *cmd = NULL;
    err_t rc = id ? cmd_load(c, id, &cmd) : ERR_OK;
    cJSON_Delete(cmd);
    if (rc) return rc;
    cJSON *list = cJSON_AddArrayToObject(c->out, "CommandInvocations");
    res_query_t q = {c->scope, SSM_INV, id, 0, 0};
    return cmd_page(c, &q, false, api_in_str(c, "InstanceId"), jx_true(c->in, "Details"), list);
}

/* ISO 8601 text of a millisecond time ("" for none), as GetCommandInvocation shows it. */
static const char *cmd_time(api_ctx_t *c, int64_t ms)
{
    if (ms <= 0) return "";
    char t[32];
    enc_iso8601(ms, t);
    return arena_strdup(c->arena, t);
}

err_t ssm_get_command_invocation(api_ctx_t *c)
{
    const char *id = api_in_str(c, "CommandId"), *iid = api_in_str(c, "InstanceId");
    const char *plugin = api_in_str(c, "PluginName");
    cJSON *cmd = NULL, *inv = NULL;
    err_t rc = cmd_load(c, id, &cmd);
    if (!rc)
        rc = res_get(c->tx,
                     &(res_key_t){c->scope, SSM_INV, arena_printf(c->arena, "%s:%s", id, iid)},
                     &inv, c->eb);
    if (!rc && !inv)
        rc = err_fail(c->eb, ERR_SSM_INVOCATION_NOT_FOUND,
                      "Command %s has no invocation on instance %s.", id, iid);
    const cJSON *ps = inv ? cJSON_GetObjectItemCaseSensitive(inv, "_Plugins") : NULL;
    const cJSON *p = ps ? ps->child : NULL;
    if (!rc && plugin) {
        while (p && strcmp(jx_str(p, "Name"), plugin)) p = p->next;
        if (!p)
            rc = err_fail(c->eb, ERR_SSM_INVALID_PLUGIN_NAME,
                          "The plugin name %s is not valid for this command.", plugin);
    } else if (!rc && cJSON_GetArraySize(ps) > 1) {
        /* "If the document contains more than one plugin, you must specify the name" */
        rc = err_fail(c->eb, ERR_SSM_INVALID_PLUGIN_NAME,
                      "The document of command %s has more than one plugin: name one in "
                      "PluginName.",
                      id);
    }
    if (!rc) {
        static const char *const copied[] = {"CommandId",    "InstanceId",      "Comment",
                                             "DocumentName", "DocumentVersion", NULL};
        jx_copy(c->out, inv, copied);
        /* the plugin's status, but Delayed (a plugin has none) is the invocation's */
        const cJSON *src = p && strcmp(jx_str(inv, "Status"), "Delayed") ? p : inv;
        cJSON_AddStringToObject(c->out, "PluginName", p ? jx_str(p, "Name") : "");
        cJSON_AddNumberToObject(c->out, "ResponseCode", (double)jx_int(p, "ResponseCode", -1));
        int64_t start = jx_int(p, "_Start", 0), end = jx_int(p, "_End", 0);
        cJSON_AddStringToObject(c->out, "ExecutionStartDateTime", cmd_time(c, start));
        cJSON_AddStringToObject(c->out, "ExecutionEndDateTime", cmd_time(c, end));
        cJSON_AddStringToObject(c->out, "ExecutionElapsedTime",
                                start > 0 && end >= start
                                    ? arena_printf(c->arena, "PT%lld.%03lldS",
                                                   (long long)((end - start) / 1000),
                                                   (long long)((end - start) % 1000))
                                    : "");
        cJSON_AddStringToObject(c->out, "Status", jx_str(src, "Status"));
        cJSON_AddStringToObject(c->out, "StatusDetails", jx_str(src, "StatusDetails"));
        cJSON_AddStringToObject(c->out, "StandardOutputContent",
                                p ? jx_str(p, "_Stdout") ?: "" : "");
        cJSON_AddStringToObject(c->out, "StandardOutputUrl", "");
        cJSON_AddStringToObject(c->out, "StandardErrorContent",
                                p ? jx_str(p, "_Stderr") ?: "" : "");
        cJSON_AddStringToObject(c->out, "StandardErrorUrl", "");
        const cJSON *cw = cJSON_GetObjectItemCaseSensitive(cmd, "CloudWatchOutputConfig");
        cJSON_AddItemToObject(c->out, "CloudWatchOutputConfig",
                              cw ? cJSON_Duplicate(cw, 1) : cJSON_CreateObject());
    }
    cJSON_Delete(inv);
    cJSON_Delete(cmd);
    return rc;
}

err_t ssm_cancel_command(api_ctx_t *c)
{
    cJSON *cmd = NULL;
    err_t rc = cmd_load(c, api_in_str(c, "CommandId"), &cmd);
    const cJSON *ids = cJSON_GetObjectItemCaseSensitive(c->in, "InstanceIds");
    for (const cJSON *i = ids && !rc ? ids->child : NULL; !rc && i; i = i->next) {
        cJSON *inv = NULL;
        rc = res_get(
            c->tx,
            &(res_key_t){c->scope, SSM_INV,
                         arena_printf(c->arena, "%s:%s", jx_str(cmd, "CommandId"), i->valuestring)},
            &inv, c->eb);
        if (!rc && !inv)
            rc = err_fail(c->eb, ERR_SSM_INVALID_INSTANCE_ID,
                          "Instance %s is not a target of command %s.", i->valuestring,
                          jx_str(cmd, "CommandId"));
        cJSON_Delete(inv);
    }
    if (!rc && !cmd_terminal(jx_str(cmd, "Status"))) {
        /* the job marks the invocations Cancelling and stops their runs */
        cJSON *want = cJSON_GetObjectItemCaseSensitive(cmd, "_Cancel");
        if (!want) want = cJSON_AddArrayToObject(cmd, "_Cancel");
        if (!cJSON_GetArraySize(ids)) cJSON_AddItemToArray(want, cJSON_CreateString("*"));
        for (const cJSON *i = ids ? ids->child : NULL; i; i = i->next)
            cJSON_AddItemToArray(want, cJSON_CreateString(i->valuestring));
        int64_t now = clk_now_ms(&c->app->clock);
        rc = cmd_wake(c->app, c->tx, cmd, now, c->eb);
        if (!rc)
            rc = res_update(c->tx, &(res_key_t){c->scope, SSM_CMD, jx_str(cmd, "CommandId")}, NULL,
                            now, cmd, NULL, c->eb);
        c->post |= API_POST_WAKE_ENGINE;
    }
    cJSON_Delete(cmd);
    return rc;
}
