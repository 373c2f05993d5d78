/* execute.c - running a self-service action on a provisioned product.
 *
 * ExecuteProvisionedProductServiceAction checks what can be checked at once (the
 * provisioned product is the caller's and stable, the action exists and is associated
 * with its provisioning artifact), marks the product UNDER_CHANGE and creates a record.
 * The record job then runs the pipeline of ../shared/reference/aws-api.md §3.4, each
 * stage a real call through the internal client, and every failure becomes the record's
 * reason in the words of the tutorial's troubleshooting list:
 *   1. the role: LAUNCH_ROLE (the launch constraint's), a role ARN, or none (the caller);
 *      a role is assumed as servicecatalog.amazonaws.com, so its trust policy decides;
 *   2. ssm:DescribeDocument (Name, Version) as that principal; TargetType required;
 *   3. cloudformation:ListStackResources on the product's stack: the TARGET values;
 *   4. the caller's Parameters checked against the definition and the stack;
 *   5. ssm:StartAutomationExecution as that principal (SSM validates the values);
 *   6. the record follows the execution (woken by it when it ends) to SUCCEEDED/FAILED.
 * DescribeServiceActionExecutionParameters answers stages 2-3 for a client. */
#include "svc/servicecatalog/sc_int.h"

#include "core/clk.h"
#include "core/log.h"
#include "svc/ssm/ssm.h"

#include <stdio.h>
#include <string.h>

/* The late look of a record waiting on its execution: a safety net only, as the
 * execution's end signals the record (ssm_exec_watch) in the transaction that ends it.
 * Every look reads the execution, so a short one made thousands of waiting records crowd
 * out the work they wait for (5,000 at once: 3 ended a second with 2 s). */
#define SX_POLL_MS 300000
#define SX_WHY     2048
#define SX_ERR     1200

/* ---- shared by the API handlers and the job */

/* The document's TargetType ("/AWS::EC2::Instance") from DescribeDocument as `as`.
 * Failures are the tutorial's "Document with that name does not exist" / "Failed to
 * describe SSM Automation document" / "TargetType not defined ..." in why; ERR_INTERNAL
 * only for catalogd's own failures. */
static err_t sx_target_type(const sc_env_t *env, const auth_principal_t *as, const cJSON *def,
                            const char **type, char *why, size_t cap)
{
    *type = NULL;
    cJSON *in = cJSON_CreateObject(), *out = NULL;
    cJSON_AddStringToObject(in, "Name", jx_str(def, "Name"));
    const char *version = jx_str(def, "Version");
    if (version) cJSON_AddStringToObject(in, "DocumentVersion", version);
    char err[SX_ERR];
    err_t rc = sc_call(env, as, "ssm", "DescribeDocument", in, &out, err, sizeof(err));
    cJSON_Delete(in);
    if (rc == ERR_SSM_INVALID_DOCUMENT) {
        snprintf(why, cap, "Document with that name does not exist: %s", jx_str(def, "Name"));
    } else if (rc == ERR_INTERNAL) {
        snprintf(why, cap, "Internal failure");
    } else if (rc) {
        snprintf(why, cap, "Failed to describe SSM Automation document %s. %s", jx_str(def, "Name"),
                 err);
    } else {
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(out, "Document");
        const char *t = jx_str(d, "TargetType");
        if (!t || !*t)
            snprintf(why, cap, "TargetType not defined for SSM Automation document %s",
                     jx_str(def, "Name"));
        else
            *type = arena_strdup(env->arena, t);
    }
    cJSON_Delete(out);
    return ERR_OK;
}

/* The physical ids of the stack's resources whose type matches target_type (without its
 * leading "/"; "/" alone matches every type), listed as `as`: a new array. Failures in
 * why, as above. */
static err_t sx_targets(const sc_env_t *env, const auth_principal_t *as, const cJSON *pp,
                        const char *target_type, cJSON **ids, char *why, size_t cap)
{
    *ids = cJSON_CreateArray();
    const char *want = target_type[0] == '/' ? target_type + 1 : target_type;
    const char *stack = jx_str(pp, "_Stack");
    char *token = NULL;
    for (int pages = 0; stack && pages < 100; pages++) {
        cJSON *in = cJSON_CreateObject(), *out = NULL;
        cJSON_AddStringToObject(in, "StackName", stack);
        if (token) cJSON_AddStringToObject(in, "NextToken", token);
        char err[SX_ERR];
        err_t rc =
            sc_call(env, as, "cloudformation", "ListStackResources", in, &out, err, sizeof(err));
        cJSON_Delete(in);
        if (rc) {
            cJSON_Delete(out);
            snprintf(why, cap, "%s", rc == ERR_INTERNAL ? "Internal failure" : err);
            return ERR_OK;
        }
        const cJSON *list = cJSON_GetObjectItemCaseSensitive(out, "StackResourceSummaries");
        for (const cJSON *r = list ? list->child : NULL; r; r = r->next) {
            const char *type = jx_str(r, "ResourceType"), *pid = jx_str(r, "PhysicalResourceId");
            const char *st = jx_str(r, "ResourceStatus");
            if (!pid || !*pid || (st && strstr(st, "DELETE_COMPLETE"))) continue;
            if (!*want || (type && !strcmp(type, want)))
                cJSON_AddItemToArray(*ids, cJSON_CreateString(pid));
        }
        const char *next = jx_str(out, "NextToken");
        token = next ? arena_strdup(env->arena, next) : NULL;
        cJSON_Delete(out);
        if (!token) break;
    }
    if (!(*ids)->child)
        snprintf(why, cap, "Cannot find any resources with type %s in provisioned product %s", want,
                 jx_str(pp, "Id"));
    return ERR_OK;
}

/* The definition's Parameters ([{Name, Type}]) parsed: a new array (empty when absent). */
static cJSON *sx_def_params(const cJSON *def)
{
    const char *text = jx_str(def, "Parameters");
    cJSON *p = text ? cJSON_Parse(text) : NULL;
    if (!cJSON_IsArray(p)) {
        cJSON_Delete(p);
        p = cJSON_CreateArray();
    }
    return p;
}

static const cJSON *sx_def_param(const cJSON *params, const char *name)
{
    for (const cJSON *p = params->child; p; p = p->next)
        if (jx_str(p, "Name") && !strcmp(jx_str(p, "Name"), name)) return p;
    return NULL;
}

/* The provisioned product and action a request names; the action must be associated
 * with the product's provisioning artifact. */
static err_t sx_load(api_ctx_t *c, cJSON **pp, cJSON **action)
{
    *action = NULL;
    err_t rc = sc_pp_find(c, api_in_str(c, "ProvisionedProductId"), NULL, pp);
    if (!rc) rc = sc_get(c, SC_ACTION, api_in_str(c, "ServiceActionId"), "Service action", action);
    if (rc) return rc;
    char key[256];
    snprintf(key, sizeof(key), "%s|%s", jx_str(*pp, "ProductId"),
             jx_str(*pp, "ProvisioningArtifactId"));
    bool linked = false;
    rc = sc_link_exists(c, SC_LINK_ACTION_ARTIFACT, api_in_str(c, "ServiceActionId"), key, &linked);
    if (!rc && !linked)
        rc = err_fail(c->eb, ERR_SC_INVALID_PARAMETERS,
                      "Service action %s is not associated with provisioning artifact %s of "
                      "provisioned product %s.",
                      api_in_str(c, "ServiceActionId"), jx_str(*pp, "ProvisioningArtifactId"),
                      jx_str(*pp, "Id"));
    return rc;
}

/* ---- the API */

err_t sc_describe_service_action_execution_parameters(api_ctx_t *c)
{
    cJSON *pp = NULL, *action = NULL, *params = NULL, *ids = NULL;
    err_t rc = sx_load(c, &pp, &action);
    if (rc) goto out;
    const cJSON *def = cJSON_GetObjectItemCaseSensitive(action, "Definition");
    params = sx_def_params(def);
    cJSON *list = cJSON_AddArrayToObject(c->out, "ServiceActionParameters");
    bool any_target = false;
    for (const cJSON *p = params->child; p; p = p->next)
        any_target |= !strcmp(jx_str(p, "Type") ? jx_str(p, "Type") : "", "TARGET");
    /* Service Catalog looks the targets up itself, as it would when executing */
    if (any_target) {
        auth_principal_t svc;
        sc_env_t env = {c->app, c->tx, &c->post, c->arena, c->account, c->region, c->scope};
        const char *type = NULL;
        char why[SX_WHY] = "";
        rc = sx_target_type(&env, sc_service_principal(&env, &svc), def, &type, why, sizeof(why));
        if (!rc && type) rc = sx_targets(&env, &svc, pp, type, &ids, why, sizeof(why));
        if (!rc && why[0]) rc = err_fail(c->eb, ERR_SC_INVALID_PARAMETERS, "%s", why);
    }
    for (const cJSON *p = params->child; !rc && p; p = p->next) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "Name", jx_str(p, "Name"));
        cJSON_AddStringToObject(e, "Type", jx_str(p, "Type"));
        bool target = !strcmp(jx_str(p, "Type"), "TARGET");
        cJSON *dv = cJSON_AddArrayToObject(e, "DefaultValues");
        int n = 0;
        for (const cJSON *i = target && ids ? ids->child : NULL; i && n < 25; i = i->next, n++)
            cJSON_AddItemToArray(dv, cJSON_CreateString(i->valuestring));
        cJSON_AddItemToArray(list, e);
    }
out:
    cJSON_Delete(ids);
    cJSON_Delete(params);
    cJSON_Delete(pp);
    cJSON_Delete(action);
    return rc;
}

err_t sc_execute_provisioned_product_service_action(api_ctx_t *c)
{
    const char *token = api_in_str(c, "ExecuteToken");
    char scope[200];
    snprintf(scope, sizeof(scope), "sc.Execute|%s|%s", api_in_str(c, "ProvisionedProductId"),
             api_in_str(c, "ServiceActionId"));
    cJSON *prior = NULL, *pp = NULL, *action = NULL;
    err_t rc = sc_token_get(c, scope, token, &prior);
    if (!rc && prior) {
        /* the same token: the same record, as it stands now */
        cJSON *rec = NULL;
        rc = sc_get(c, SC_RECORD, jx_str(prior, "RecordId"), "Record", &rec);
        if (!rc) cJSON_AddItemToObject(c->out, "RecordDetail", sc_record_view(rec));
        cJSON_Delete(rec);
        cJSON_Delete(prior);
        return rc;
    }
    if (!rc) rc = sx_load(c, &pp, &action);
    const char *st = pp ? jx_str(pp, "Status") : "";
    if (!rc && strcmp(st, "AVAILABLE") && strcmp(st, "TAINTED"))
        rc = err_fail(c->eb, ERR_SC_INVALID_STATE,
                      "Provisioned product %s is in state %s; actions run only on AVAILABLE or "
                      "TAINTED products.",
                      jx_str(pp, "Id"), st);
    if (!rc) {
        cJSON *work = cJSON_CreateObject();
        jx_set_str(work, "_ServiceActionId", api_in_str(c, "ServiceActionId"));
        cJSON_AddItemToObject(
            work, "_Definition",
            cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(action, "Definition"), 1));
        const cJSON *given = cJSON_GetObjectItemCaseSensitive(c->in, "Parameters");
        cJSON_AddItemToObject(work, "_Given",
                              given ? cJSON_Duplicate(given, 1) : cJSON_CreateObject());
        cJSON_AddStringToObject(work, "_PriorStatus", st);
        jx_set_str(pp, "Status", "UNDER_CHANGE");
        const char *rid = NULL;
        rc = sc_record_start(c, pp, "EXECUTE_PROVISIONED_PRODUCT_SERVICE_ACTION", work, &rid);
        if (!rc) rc = sc_put(c, SC_PP, jx_str(pp, "Id"), pp);
        if (!rc && token) {
            cJSON *mark = cJSON_CreateObject();
            cJSON_AddStringToObject(mark, "RecordId", rid);
            rc = sc_token_put(c, scope, token, mark);
            cJSON_Delete(mark);
        }
    }
    cJSON_Delete(pp);
    cJSON_Delete(action);
    return rc;
}

/* ---- the record job's pipeline */

typedef struct sx {
    sc_env_t env;
    errbuf_t *eb;
    cJSON *rec, *pp;
    const char *job_id;
    double now;
    char why[SX_WHY];
} sx_t;

/* Stage 1: who the action runs as. Sets x->why when no principal can be had. */
static err_t sx_principal(sx_t *x, const cJSON *def, auth_principal_t *as)
{
    const char *role = jx_str(def, "AssumeRole");
    if (!role || !*role) {
        if (!auth_principal_from_json_in(cJSON_GetObjectItemCaseSensitive(x->rec, "_Caller"),
                                         x->env.region, as))
            return err_fail(x->eb, ERR_INTERNAL, "record %s has no caller",
                            jx_str(x->rec, "RecordId"));
        return ERR_OK;
    }
    if (!strcmp(role, "LAUNCH_ROLE")) {
        role = jx_str(x->pp, "LaunchRoleArn");
        if (!role) {
            snprintf(x->why, sizeof(x->why),
                     "Failed to retrieve credentials for role LAUNCH_ROLE: provisioned product %s "
                     "was launched "
                     "without a launch constraint, so it has no launch role.",
                     jx_str(x->pp, "Id"));
            return ERR_OK;
        }
    }
    /* a role that does not exist cannot give credentials (STS would only say "denied") */
    auth_principal_t svc;
    cJSON *in = cJSON_CreateObject(), *out = NULL;
    const char *slash = strstr(role, ":role/");
    const char *name = slash ? strrchr(slash, '/') + 1 : NULL;
    char acct[32] = "";
    if (!strncmp(role, "arn:aws:iam::", 13))
        snprintf(acct, sizeof(acct), "%.*s", (int)strcspn(role + 13, ":"), role + 13);
    err_t rc = ERR_OK;
    if (!name || strcmp(acct, x->env.account)) {
        snprintf(x->why, sizeof(x->why),
                 "Failed to retrieve credentials for role %s: it is not a role of account %s.",
                 role, x->env.account);
        cJSON_Delete(in);
        return ERR_OK;
    }
    cJSON_AddStringToObject(in, "RoleName", name);
    char err[SX_ERR];
    rc = sc_call(&x->env, sc_service_principal(&x->env, &svc), "iam", "GetRole", in, &out, err,
                 sizeof(err));
    cJSON_Delete(in);
    cJSON_Delete(out);
    if (rc == ERR_INTERNAL) return err_fail(x->eb, ERR_INTERNAL, "%s", err);
    if (rc) {
        snprintf(x->why, sizeof(x->why), "Failed to retrieve credentials for role %s. %s", role,
                 err);
        return ERR_OK;
    }
    errbuf_t seb = {{0}};
    rc = sc_assume_launch_role(&x->env, role, jx_str(x->rec, "RecordId"), as, &seb);
    if (rc == ERR_ACCESS_DENIED) {
        snprintf(x->why, sizeof(x->why),
                 "Access denied while assuming the role %s. Make sure that the "
                 "servicecatalog.amazonaws.com principal "
                 "is allowed in the role's trust policy. %s",
                 role, seb.msg);
        return ERR_OK;
    }
    if (rc == ERR_INTERNAL) return err_fail(x->eb, ERR_INTERNAL, "%s", seb.msg);
    if (rc) {
        snprintf(x->why, sizeof(x->why), "Failed to retrieve credentials for role %s: %s", role,
                 seb.msg);
        return ERR_OK;
    }
    return ERR_OK;
}

/* Stage 4: the automation's parameters from the definition, the caller's values and the
 * stack's targets. A new object (name -> [strings]) or NULL with x->why set. */
static cJSON *sx_parameters(sx_t *x, const cJSON *params, const cJSON *given, const cJSON *targets)
{
    for (const cJSON *g = given ? given->child : NULL; g; g = g->next)
        if (!sx_def_param(params, g->string)) {
            snprintf(x->why, sizeof(x->why),
                     "Parameter is not defined in service action definition: %s. You can only use "
                     "parameters "
                     "defined in the service action definition.",
                     g->string);
            return NULL;
        }
    cJSON *out = cJSON_CreateObject();
    for (const cJSON *p = params->child; p; p = p->next) {
        const char *name = jx_str(p, "Name");
        const cJSON *values = given ? cJSON_GetObjectItemCaseSensitive(given, name) : NULL;
        if (strcmp(jx_str(p, "Type"), "TARGET")) {
            if (values) cJSON_AddItemToObject(out, name, cJSON_Duplicate(values, 1));
            continue;
        }
        if (!values) {
            cJSON_AddItemToObject(out, name, cJSON_Duplicate(targets, 1));
            continue;
        }
        char bad[SX_WHY / 2] = "";
        size_t used = 0;
        for (const cJSON *v = values->child; v; v = v->next) {
            bool in = false;
            for (const cJSON *t = targets->child; t && !in; t = t->next)
                in = !strcmp(t->valuestring, v->valuestring);
            if (!in && used < sizeof(bad) - 2)
                used += (size_t)snprintf(bad + used, sizeof(bad) - used, "%s%s", used ? ", " : "",
                                         v->valuestring);
        }
        if (used) {
            snprintf(x->why, sizeof(x->why),
                     "The following values for the parameter are not allowed because they are not "
                     "in the "
                     "provisioned product: %s",
                     bad);
            cJSON_Delete(out);
            return NULL;
        }
        cJSON_AddItemToObject(out, name, cJSON_Duplicate(values, 1));
    }
    return out;
}

/* Ends the record and gives the provisioned product back its prior status. */
static void sx_end(sx_t *x, const char *status, const char *why)
{
    sc_record_end(x->rec, status, why, x->now);
    const char *prior = jx_str(x->rec, "_PriorStatus");
    jx_set_str(x->pp, "Status", prior && *prior ? prior : "AVAILABLE");
}

/* Stages 1-5, in the job's first step. */
static err_t sx_start(sx_t *x)
{
    const cJSON *def = cJSON_GetObjectItemCaseSensitive(x->rec, "_Definition");
    auth_principal_t as;
    const char *type = NULL;
    cJSON *targets = NULL, *params = sx_def_params(def), *bound = NULL, *in = NULL, *out = NULL;
    err_t rc = sx_principal(x, def, &as);
    if (!rc && !x->why[0]) rc = sx_target_type(&x->env, &as, def, &type, x->why, sizeof(x->why));
    if (!rc && !x->why[0])
        rc = sx_targets(&x->env, &as, x->pp, type, &targets, x->why, sizeof(x->why));
    if (!rc && !x->why[0])
        bound =
            sx_parameters(x, params, cJSON_GetObjectItemCaseSensitive(x->rec, "_Given"), targets);
    if (!rc && !x->why[0]) {
        in = cJSON_CreateObject();
        cJSON_AddStringToObject(in, "DocumentName", jx_str(def, "Name"));
        if (jx_str(def, "Version"))
            cJSON_AddStringToObject(in, "DocumentVersion", jx_str(def, "Version"));
        if (bound->child) cJSON_AddItemToObject(in, "Parameters", bound), bound = NULL;
        char err[SX_ERR];
        err_t sr =
            sc_call(&x->env, &as, "ssm", "StartAutomationExecution", in, &out, err, sizeof(err));
        if (sr == ERR_SSM_INVALID_PARAMETERS || sr == ERR_SSM_DEFINITION_NOT_FOUND)
            snprintf(x->why, sizeof(x->why), "%s", strstr(err, ": ") ? strstr(err, ": ") + 2 : err);
        else if (sr == ERR_INTERNAL)
            snprintf(x->why, sizeof(x->why), "Internal failure");
        else if (sr)
            snprintf(x->why, sizeof(x->why), "%s", err);
        if (sr == ERR_INTERNAL)
            log_warn("sc.execute",
                     "\"record\":\"%s\",\"error\":\"internal failure starting automation\"",
                     jx_str(x->rec, "RecordId"));
    }
    if (!rc && !x->why[0]) {
        const char *exec_id = jx_str(out, "AutomationExecutionId");
        sc_record_output(x->rec, "AutomationExecutionId", exec_id,
                         "The SSM Automation execution of this action");
        jx_set_str(x->rec, "_Execution", exec_id);
        jx_set_str(x->rec, "Status", "IN_PROGRESS");
        jx_set(x->rec, "UpdatedTime", cJSON_CreateNumber(x->now));
        rc = ssm_exec_watch(x->env.tx, exec_id, x->job_id, x->eb);
    } else if (!rc) {
        sx_end(x, "FAILED", x->why);
    }
    cJSON_Delete(out);
    cJSON_Delete(in);
    cJSON_Delete(bound);
    cJSON_Delete(targets);
    cJSON_Delete(params);
    return rc;
}

/* Stage 6: follows the execution; *over when it has ended. */
static err_t sx_follow(sx_t *x, bool *over)
{
    auth_principal_t svc;
    cJSON *in = cJSON_CreateObject(), *out = NULL;
    cJSON_AddStringToObject(in, "AutomationExecutionId", jx_str(x->rec, "_Execution"));
    char err[SX_ERR];
    err_t rc = sc_call(&x->env, sc_service_principal(&x->env, &svc), "ssm",
                       "GetAutomationExecution", in, &out, err, sizeof(err));
    cJSON_Delete(in);
    *over = true;
    if (rc) {
        cJSON_Delete(out);
        if (rc == ERR_INTERNAL) return err_fail(x->eb, ERR_INTERNAL, "%s", err);
        sx_end(x, "FAILED", "Internal failure");
        return ERR_OK;
    }
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(out, "AutomationExecution");
    const char *status = jx_str(e, "AutomationExecutionStatus");
    if (!ssm_status_terminal(status)) {
        *over = false;
    } else if (!strcmp(status, "Success")) {
        const cJSON *outs = cJSON_GetObjectItemCaseSensitive(e, "Outputs");
        for (const cJSON *o = outs ? outs->child : NULL; o; o = o->next) {
            char *v = cJSON_IsArray(o) && cJSON_GetArraySize(o) == 1 && cJSON_IsString(o->child)
                          ? NULL
                          : cJSON_PrintUnformatted(o);
            sc_record_output(x->rec, o->string, v ? v : o->child->valuestring,
                             "An output of the automation");
            cJSON_free(v);
        }
        sx_end(x, "SUCCEEDED", NULL);
    } else {
        const char *msg = jx_str(e, "FailureMessage");
        char why[SX_WHY];
        if (!msg || !*msg)
            snprintf(why, sizeof(why), "The automation execution ended with status %s.", status);
        else
            snprintf(why, sizeof(why), "%s", msg);
        sx_end(x, "FAILED", why);
    }
    cJSON_Delete(out);
    return ERR_OK;
}

err_t sc_execute_step(const sc_env_t *env, const char *job_id, cJSON *rec, cJSON *pp,
                      int64_t *again_ms, bool *finished, errbuf_t *eb)
{
    app_t *app = env->app;
    sx_t x = {.eb = eb,
              .rec = rec,
              .pp = pp,
              .job_id = job_id,
              .now = (double)clk_now_ms(&app->clock) / 1000.0};
    x.env = *env;
    *finished = false;
    err_t rc;
    if (!strcmp(jx_str(rec, "Status"), "CREATED")) {
        rc = sx_start(&x);
        *finished = !rc && x.why[0];
    } else {
        rc = sx_follow(&x, finished);
    }
    *again_ms = clk_now_ms(&app->clock) + SX_POLL_MS;
    return rc;
}
