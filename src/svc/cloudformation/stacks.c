/* stacks.c - CloudFormation operations: CreateStack, UpdateStack, DeleteStack,
 * DescribeStacks, ListStacks, ListStackResources, DescribeStackResources,
 * DescribeStackResource, DescribeStackEvents, GetTemplate, ValidateTemplate. The work
 * itself runs in the stack job (stack_job.c). */
#include "svc/cloudformation/cfn_int.h"
#include "svc/cloudformation/stack_ssm.h"
#include "core/jx.h"

#include "core/clk.h"
#include "core/ids.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

err_t cfn_stack_find(store_tx_t *tx, const char *account, const char *name_or_id, bool live_only,
                     cJSON **out, errbuf_t *eb)
{
    err_t rc;
    *out = NULL;
    if (!strncmp(name_or_id, "arn:", 4)) {
        rc = res_get(tx, &(res_key_t){account, CFN_STACK, name_or_id}, out, eb);
        if (!rc && *out && live_only && !strcmp(jx_str(*out, "StackStatus"), "DELETE_COMPLETE")) {
            cJSON_Delete(*out);
            *out = NULL;
        }
    } else {
        rc = res_get_by_name(tx, account, CFN_STACK, name_or_id, out, eb);
    }
    if (!rc && !*out)
        rc = err_fail(eb, ERR_VALIDATION, "Stack with id %s does not exist", name_or_id);
    return rc;
}

const char *cfn_stack_arn(store_tx_t *tx, const char *account, const char *name, arena_t *arena)
{
    cJSON *s = NULL;
    errbuf_t eb;
    const char *arn = NULL;
    if (!res_get_by_name(tx, account, CFN_STACK, name, &s, &eb) && s)
        arn = jx_str(s, "StackId") ? arena_strdup(arena, jx_str(s, "StackId")) : NULL;
    cJSON_Delete(s);
    return arn;
}

err_t cfn_stack_save(store_tx_t *tx, const char *account, const cJSON *stack, int64_t now_ms,
                     errbuf_t *eb)
{
    res_key_t k = {account, CFN_STACK, jx_str(stack, "StackId")};
    return res_update(tx, &k, jx_str(stack, "StackStatus"), now_ms, stack, NULL, eb);
}

void cfn_set_status(cJSON *stack, const char *status, const char *reason)
{
    jx_set_str(stack, "StackStatus", status);
    if (reason) {
        cJSON_DeleteItemFromObjectCaseSensitive(stack, "StackStatusReason");
        if (*reason) cJSON_AddStringToObject(stack, "StackStatusReason", reason);
    }
}

void cfn_stack_where(const app_t *app, const cJSON *stack, app_where_t *w)
{
    cfn_id_where(app, jx_str(stack, "StackId"), w);
}

void cfn_id_where(const app_t *app, const char *id, app_where_t *w)
{
    /* arn:aws:cloudformation:REGION:ACCOUNT:stack/NAME/UUID */
    const char *p = id ? id : "";
    for (int i = 0; i < 3 && p; i++) p = strchr(p, ':') ? strchr(p, ':') + 1 : NULL;
    const char *q = p ? strchr(p, ':') : NULL;
    size_t rl = q ? (size_t)(q - p) : 0, al = q ? strcspn(q + 1, ":") : 0;
    snprintf(w->region, sizeof(w->region), "%.*s", (int)(rl < 31 ? rl : 31), p ? p : "");
    snprintf(w->account, sizeof(w->account), "%.*s", (int)(al < 15 ? al : 15), q ? q + 1 : "");
    app_scope(app, w->account, w->region, w->scope, sizeof(w->scope));
}

void cfn_ctx_where(const api_ctx_t *c, app_where_t *w)
{
    snprintf(w->account, sizeof(w->account), "%s", c->account);
    snprintf(w->region, sizeof(w->region), "%s", c->region);
    snprintf(w->scope, sizeof(w->scope), "%s", c->scope);
}

err_t cfn_event(app_t *app, store_tx_t *tx, const cJSON *stack, const char *logical_id,
                const char *physical_id, const char *type, const char *status, const char *reason,
                const cJSON *properties, errbuf_t *eb)
{
    char id[37];
    ids_uuid(&app->ids, id);
    int64_t now = clk_now_ms(&app->clock);
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "StackId", jx_str(stack, "StackId"));
    cJSON_AddStringToObject(e, "EventId", id);
    cJSON_AddStringToObject(e, "StackName", jx_str(stack, "StackName"));
    cJSON_AddStringToObject(e, "LogicalResourceId",
                            logical_id ? logical_id : jx_str(stack, "StackName"));
    cJSON_AddStringToObject(e, "PhysicalResourceId",
                            logical_id ? (physical_id ? physical_id : "")
                                       : jx_str(stack, "StackId"));
    cJSON_AddStringToObject(e, "ResourceType", type ? type : "AWS::CloudFormation::Stack");
    cJSON_AddNumberToObject(e, "Timestamp", (double)now / 1000.0);
    cJSON_AddStringToObject(e, "ResourceStatus", status);
    if (reason && *reason) cJSON_AddStringToObject(e, "ResourceStatusReason", reason);
    if (properties) {
        char *text = cJSON_PrintUnformatted(properties);
        cJSON_AddStringToObject(e, "ResourceProperties", text);
        cJSON_free(text);
    }
    const char *token = jx_str(stack, "_Token");
    if (token) cJSON_AddStringToObject(e, "ClientRequestToken", token);
    /* Listing order is (created_ms, key): events of the same millisecond keep the order
     * they happened in through a counter ahead of the uuid in the key. */
    static uint64_t counter;
    char key[64];
    snprintf(key, sizeof(key), "%016llx-%s",
             (unsigned long long)__atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED), id);
    res_row_t row = {.parent = jx_str(stack, "StackId"), .created_ms = now};
    app_where_t w;
    cfn_stack_where(app, stack, &w);
    err_t rc = res_insert(tx, &(res_key_t){w.scope, CFN_EVENT, key}, &row, e, eb);
    cJSON_Delete(e);
    return rc;
}

err_t cfn_resources(store_tx_t *tx, const char *account, const char *stack_id, cJSON **out,
                    errbuf_t *eb)
{
    *out = cJSON_CreateArray();
    bool more;
    res_query_t q = {account, CFN_RESOURCE, stack_id, 0, 0};
    err_t rc = res_list(tx, &q, *out, &more, eb);
    /* creation order is _Index; listing order is insertion time, the same, but be sure */
    return rc;
}

/* A resource record's id: "<stack id>|<logical id>" (out holds 1024 bytes). */
static void cfn_resource_id(const char *stack_id, const char *logical_id, char out[1024])
{
    snprintf(out, 1024, "%s|%s", stack_id, logical_id);
}

err_t cfn_resource_save(store_tx_t *tx, const char *account, const char *stack_id, cJSON *res,
                        int64_t now_ms, bool insert, errbuf_t *eb)
{
    char id[1024];
    cfn_resource_id(stack_id, jx_str(res, "LogicalResourceId"), id);
    res_key_t k = {account, CFN_RESOURCE, id};
    if (insert) {
        res_row_t row = {
            .parent = stack_id, .state = jx_str(res, "ResourceStatus"), .created_ms = now_ms};
        return res_insert(tx, &k, &row, res, eb);
    }
    return res_update(tx, &k, jx_str(res, "ResourceStatus"), now_ms, res, NULL, eb);
}

err_t cfn_resource_delete(store_tx_t *tx, const char *account, const char *stack_id,
                          const char *logical_id, errbuf_t *eb)
{
    char id[1024];
    cfn_resource_id(stack_id, logical_id, id);
    return res_delete(tx, &(res_key_t){account, CFN_RESOURCE, id}, NULL, eb);
}

err_t cfn_template_text(api_ctx_t *c, const char **text)
{
    const char *body = api_in_str(c, "TemplateBody");
    const char *url = api_in_str(c, "TemplateURL");
    if (body && url)
        return err_fail(c->eb, ERR_VALIDATION,
                        "Specify exactly one of TemplateBody or TemplateUrl.");
    if (body) {
        *text = body;
        return ERR_OK;
    }
    if (!url)
        return err_fail(c->eb, ERR_VALIDATION,
                        "Either Template URL or Template Body must be specified.");
    return api_fetch_template(c, url, text);
}

cJSON *cfn_given_params(api_ctx_t *c, const cJSON *previous)
{
    cJSON *o = cJSON_CreateObject();
    const cJSON *ps = cJSON_GetObjectItemCaseSensitive(c->in, "Parameters");
    for (const cJSON *p = ps ? ps->child : NULL; p; p = p->next) {
        const char *k = jx_str(p, "ParameterKey");
        if (!k) continue;
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(p, "UsePreviousValue"))) {
            const char *prev = jx_str(previous, k);
            if (prev) cJSON_AddStringToObject(o, k, prev);
            continue;
        }
        const char *v = jx_str(p, "ParameterValue");
        cJSON_AddStringToObject(o, k, v ? v : "");
    }
    return o;
}

cJSON *cfn_stack_params(const tpl_t *t, const cJSON *bound)
{
    cJSON *list = cJSON_CreateArray();
    for (size_t i = 0; i < tpl_param_count(t); i++) {
        const tpl_param_t *p = tpl_param(t, i);
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "ParameterKey", p->name);
        const char *v = jx_str(bound, p->name);
        cJSON_AddStringToObject(e, "ParameterValue", p->no_echo ? "****" : v ? v : "");
        cJSON_AddItemToArray(list, e);
    }
    return list;
}

/* What CloudFormation rejects before starting: conditions that cannot be evaluated with
 * the bound parameters, a circular dependency between the resources to create, and
 * dependencies on resources whose condition is false (ValidationError at the call). */
err_t cfn_check_order(api_ctx_t *c, const tpl_t *t, const cJSON *bound, const char *name)
{
    tpl_ctx_t ctx = {.stack_name = name,
                     .stack_id = "",
                     .region = c->region,
                     .account_id = c->account,
                     .partition = "aws",
                     .url_suffix = "amazonaws.com",
                     .params = bound};
    cJSON *conds = NULL, *order = NULL;
    err_t rc = tpl_conditions(t, &ctx, &conds, c->eb);
    ctx.conditions = conds;
    if (!rc) rc = tpl_order(t, &ctx, &order, c->eb);
    cJSON_Delete(order);
    cJSON_Delete(conds);
    return rc;
}

err_t cfn_check_name(api_ctx_t *c, const char *name, const char *member)
{
    size_t n = strlen(name);
    bool ok = n >= 1 && n <= 128 && isalpha((unsigned char)name[0]);
    for (size_t i = 1; ok && i < n; i++) ok = isalnum((unsigned char)name[i]) || name[i] == '-';
    if (!ok)
        return err_fail(c->eb, ERR_VALIDATION,
                        "1 validation error detected: Value '%s' at '%s' failed to satisfy "
                        "constraint: Member must satisfy regular expression pattern: "
                        "[a-zA-Z][-a-zA-Z0-9]*|arn:[-a-zA-Z0-9:/._+]*",
                        name, member);
    return ERR_OK;
}

err_t cfn_kickoff(api_ctx_t *c, const cJSON *s, const char *op, const char *status)
{
    err_t rc = cfn_event(c->app, c->tx, s, NULL, NULL, NULL, status, "User Initiated", NULL, c->eb);
    if (!rc) rc = cfn_start(c->app, c->tx, s, op, c->eb);
    if (!rc) c->post |= API_POST_WAKE_ENGINE;
    return rc;
}

const char *const cfn_shown[] = {"Parameters", "Tags", "RoleARN", NULL};

/* A RoleARN given to CreateStack, UpdateStack or DeleteStack is passed to CloudFormation:
 * the caller needs iam:PassRole on it (AccessDenied otherwise). */
static err_t cfn_check_role(api_ctx_t *c)
{
    const char *role = api_in_str(c, "RoleARN");
    return role ? api_check_pass_role(c, role, "cloudformation.amazonaws.com") : ERR_OK;
}

err_t cfn_create_stack(api_ctx_t *c)
{
    return cfn_create_stack_in(c, NULL);
}

err_t cfn_create_stack_in(api_ctx_t *c, cJSON *review)
{
    const char *name = review ? jx_str(review, "StackName") : api_in_str(c, "StackName");
    err_t rc = review ? ERR_OK : cfn_check_name(c, name, "stackName");
    if (!rc) rc = cfn_check_role(c);
    cJSON *existing = NULL;
    if (!rc && !review) rc = res_get_by_name(c->tx, c->scope, CFN_STACK, name, &existing, c->eb);
    const char *token = api_in_str(c, "ClientRequestToken");
    if (!rc && existing) {
        const char *prev = jx_str(existing, "_Token");
        if (token && prev && !strcmp(prev, token)) { /* a retry of the same request */
            cJSON_AddStringToObject(c->out, "StackId", jx_str(existing, "StackId"));
            cJSON_Delete(existing);
            return ERR_OK;
        }
        rc = err_fail(c->eb, ERR_CFN_ALREADY_EXISTS, "Stack [%s] already exists", name);
    }
    cJSON_Delete(existing);
    const char *text = NULL;
    tpl_t *t = NULL;
    cJSON *given = NULL, *bound = NULL, *ssm_names = NULL;
    if (!rc) rc = cfn_template_text(c, &text);
    if (!rc) rc = tpl_parse(span_of(text), &t, c->eb);
    if (!rc) given = cfn_given_params(c, NULL);
    if (!rc) rc = tpl_bind(t, given, &bound, c->eb);
    if (!rc) rc = cfn_ssm_params(c, t, bound, &ssm_names);
    if (!rc) rc = cfn_dynref_check(c, t);
    if (!rc) rc = cfn_check_aws_params(c, t, bound);
    if (!rc) rc = cfn_check_order(c, t, bound, name);
    if (!rc) rc = cfn_check_caps(c, t);
    const char *policy = NULL;
    if (!rc) rc = cfn_stack_policy_in(c, "StackPolicyBody", "StackPolicyURL", t, &policy);
    const char *on_failure = api_in_str(c, "OnFailure");
    if (!rc && on_failure && cJSON_GetObjectItemCaseSensitive(c->in, "DisableRollback"))
        rc = err_fail(c->eb, ERR_VALIDATION,
                      "You cannot specify both DisableRollback and OnFailure.");
    if (!rc) {
        char uuid[37];
        ids_uuid(&c->app->ids, uuid);
        const char *id = review ? arena_strdup(c->arena, jx_str(review, "StackId"))
                                : arena_printf(c->arena, "arn:aws:cloudformation:%s:%s:stack/%s/%s",
                                               c->region, c->account, name, uuid);
        int64_t now = clk_now_ms(&c->app->clock);
        cJSON *s = cJSON_CreateObject();
        cJSON_AddStringToObject(s, "StackId", id);
        cJSON_AddStringToObject(s, "StackName", name);
        if (tpl_description(t)) cJSON_AddStringToObject(s, "Description", tpl_description(t));
        cJSON_AddItemToObject(s, "Parameters", cfn_stack_params(t, bound));
        cfn_ssm_shown(cJSON_GetObjectItemCaseSensitive(s, "Parameters"), t, ssm_names);
        cJSON_AddNumberToObject(s, "CreationTime", (double)now / 1000.0);
        cJSON_AddStringToObject(s, "StackStatus", "CREATE_IN_PROGRESS");
        bool disable = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c->in, "DisableRollback"));
        cJSON_AddBoolToObject(s, "DisableRollback",
                              disable || (on_failure && !strcmp(on_failure, "DO_NOTHING")));
        cJSON_AddArrayToObject(s, "NotificationARNs");
        if (api_in_int(c, "TimeoutInMinutes", 0))
            cJSON_AddNumberToObject(s, "TimeoutInMinutes",
                                    (double)api_in_int(c, "TimeoutInMinutes", 0));
        const cJSON *caps = cJSON_GetObjectItemCaseSensitive(c->in, "Capabilities");
        if (caps) cJSON_AddItemToObject(s, "Capabilities", cJSON_Duplicate(caps, 1));
        if (api_in_str(c, "RoleARN"))
            cJSON_AddStringToObject(s, "RoleARN", api_in_str(c, "RoleARN"));
        const cJSON *tags = cJSON_GetObjectItemCaseSensitive(c->in, "Tags");
        cJSON_AddItemToObject(s, "Tags", tags ? cJSON_Duplicate(tags, 1) : cJSON_CreateArray());
        cJSON_AddBoolToObject(
            s, "EnableTerminationProtection",
            cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c->in, "EnableTerminationProtection")));
        if (policy) cJSON_AddStringToObject(s, "_StackPolicy", policy);
        cJSON *drift = cJSON_AddObjectToObject(s, "DriftInformation");
        cJSON_AddStringToObject(drift, "StackDriftStatus", "NOT_CHECKED");
        /* internal */
        cJSON_AddStringToObject(s, "_Template", text);
        cJSON_AddItemToObject(s, "_Params", bound);
        bound = NULL;
        cJSON_AddItemToObject(s, "_SsmNames", ssm_names);
        ssm_names = NULL;
        cJSON_AddItemToObject(s, "_Principal", auth_principal_to_json(c->caller));
        cJSON_AddStringToObject(s, "_Op", "create");
        cJSON_AddStringToObject(s, "_Phase", "create");
        cJSON_AddStringToObject(s, "_OnFailure",
                                disable      ? "DO_NOTHING"
                                : on_failure ? on_failure
                                             : "ROLLBACK");
        cJSON_AddNumberToObject(s, "_Seq", 1);
        if (token) cJSON_AddStringToObject(s, "_Token", token);
        res_row_t row = {.name = name, .state = "CREATE_IN_PROGRESS", .created_ms = now};
        rc = review ? cfn_stack_save(c->tx, c->scope, s, now, c->eb)
                    : res_insert(c->tx, &(res_key_t){c->scope, CFN_STACK, id}, &row, s, c->eb);
        if (!rc) rc = cfn_kickoff(c, s, "create", "CREATE_IN_PROGRESS");
        if (!rc) cJSON_AddStringToObject(c->out, "StackId", id);
        cJSON_Delete(s);
    }
    cJSON_Delete(bound);
    cJSON_Delete(ssm_names);
    cJSON_Delete(given);
    tpl_free(t);
    return rc;
}

/* Statuses an operation may start from. */
static bool cfn_settled(const char *status)
{
    static const char *const ok[] = {
        "CREATE_COMPLETE",   "UPDATE_COMPLETE",        "UPDATE_ROLLBACK_COMPLETE",
        "ROLLBACK_COMPLETE", "CREATE_FAILED",          "DELETE_FAILED",
        "ROLLBACK_FAILED",   "UPDATE_ROLLBACK_FAILED", NULL};
    for (int i = 0; ok[i]; i++)
        if (!strcmp(ok[i], status)) return true;
    return false;
}

bool cfn_updatable(const char *status)
{
    return cfn_settled(status) && strcmp(status, "ROLLBACK_COMPLETE") &&
           strcmp(status, "CREATE_FAILED") && strcmp(status, "ROLLBACK_FAILED");
}

/* DeleteStack of a stack in REVIEW_IN_PROGRESS (a CREATE change set's, never executed):
 * no resource exists, so it is DELETE_COMPLETE at once, its name freed, its change sets
 * gone with it. */
static err_t cfn_delete_review(api_ctx_t *c, cJSON *s)
{
    int64_t now = clk_now_ms(&c->app->clock);
    jx_set(s, "_Seq", cJSON_CreateNumber((double)(jx_int(s, "_Seq", 0) + 1)));
    cfn_set_status(s, "DELETE_IN_PROGRESS", "");
    err_t rc = cfn_event(c->app, c->tx, s, NULL, NULL, NULL, "DELETE_IN_PROGRESS", "User Initiated",
                         NULL, c->eb);
    jx_set_num(s, "DeletionTime", (double)now / 1000.0);
    cfn_set_status(s, "DELETE_COMPLETE", "");
    if (!rc) rc = cfn_event(c->app, c->tx, s, NULL, NULL, NULL, "DELETE_COMPLETE", "", NULL, c->eb);
    if (!rc) rc = cfn_stack_save(c->tx, c->scope, s, now, c->eb);
    if (!rc) rc = cfn_changesets_obsolete(c->app, c->tx, s, NULL, c->eb);
    if (!rc)
        rc =
            store_exec(c->tx, c->eb, NULL,
                       "UPDATE resources SET name = NULL WHERE account = ? AND kind = ? AND id = ?",
                       "sss", c->scope, CFN_STACK, jx_str(s, "StackId"));
    return rc;
}

err_t cfn_update_stack(api_ctx_t *c)
{
    const char *name = api_in_str(c, "StackName");
    cJSON *s = NULL;
    err_t rc = cfn_stack_find(c->tx, c->scope, name, true, &s, c->eb);
    if (rc) return rc;
    rc = cfn_check_role(c);
    const char *status = jx_str(s, "StackStatus");
    if (!rc && !cfn_updatable(status))
        rc = err_fail(c->eb, ERR_VALIDATION, "Stack:%s is in %s state and can not be updated.",
                      jx_str(s, "StackId"), status);
    const char *text = NULL;
    bool use_prev = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c->in, "UsePreviousTemplate"));
    if (!rc && use_prev)
        text = arena_strdup(c->arena, jx_str(s, "_Template"));
    else if (!rc)
        rc = cfn_template_text(c, &text);
    tpl_t *t = NULL;
    cJSON *given = NULL, *bound = NULL, *ssm_names = NULL, *prev = cfn_ssm_previous(s);
    if (!rc) rc = tpl_parse(span_of(text), &t, c->eb);
    if (!rc) given = cfn_given_params(c, prev);
    if (!rc) rc = tpl_bind(t, given, &bound, c->eb);
    if (!rc) rc = cfn_ssm_params(c, t, bound, &ssm_names);
    if (!rc) rc = cfn_dynref_check(c, t);
    if (!rc) rc = cfn_check_aws_params(c, t, bound);
    if (!rc) rc = cfn_check_order(c, t, bound, jx_str(s, "StackName"));
    if (!rc) rc = cfn_check_caps(c, t);
    const char *policy = NULL, *during = NULL;
    if (!rc) rc = cfn_stack_policy_in(c, "StackPolicyBody", "StackPolicyURL", t, &policy);
    if (!rc)
        rc = cfn_stack_policy_in(c, "StackPolicyDuringUpdateBody", "StackPolicyDuringUpdateURL", t,
                                 &during);
    if (!rc && !strcmp(text, jx_str(s, "_Template")) &&
        cJSON_Compare(bound, cJSON_GetObjectItemCaseSensitive(s, "_Params"), true) &&
        !cJSON_GetObjectItemCaseSensitive(c->in, "Tags"))
        rc = err_fail(c->eb, ERR_VALIDATION, "No updates are to be performed.");
    if (!rc) {
        int64_t now = clk_now_ms(&c->app->clock);
        jx_set(s, "_PrevTemplate",
               cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(s, "_Template"), 1));
        jx_set(s, "_PrevParams",
               cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(s, "_Params"), 1));
        cJSON *shown = cJSON_CreateObject(); /* for a rollback to put back */
        jx_copy(shown, s, cfn_shown);
        jx_set(s, "_PrevShown", shown);
        jx_set(s, "_Template", cJSON_CreateString(text));
        jx_set(s, "_Params", bound);
        bound = NULL;
        jx_set(s, "Parameters",
               cfn_stack_params(t, cJSON_GetObjectItemCaseSensitive(s, "_Params")));
        cfn_ssm_shown(cJSON_GetObjectItemCaseSensitive(s, "Parameters"), t, ssm_names);
        jx_set(s, "_SsmNames", ssm_names);
        ssm_names = NULL;
        jx_set(s, "_Principal", auth_principal_to_json(c->caller));
        jx_set(s, "_Op", cJSON_CreateString("update"));
        jx_set_str(s, "_Phase", "apply");
        jx_set(s, "_Seq", cJSON_CreateNumber((double)(jx_int(s, "_Seq", 0) + 1)));
        cJSON_DeleteItemFromObjectCaseSensitive(s, "_Session");
        /* the policy the update runs under: the temporary one, else the stack's (the new
         * StackPolicyBody governs later updates) */
        const char *rules = during ? during : jx_str(s, "_StackPolicy");
        if (rules)
            jx_set_str(s, "_UpdatePolicy", rules);
        else
            cJSON_DeleteItemFromObjectCaseSensitive(s, "_UpdatePolicy");
        if (policy) jx_set_str(s, "_StackPolicy", policy);
        if (api_in_str(c, "RoleARN")) jx_set_str(s, "RoleARN", api_in_str(c, "RoleARN"));
        const cJSON *tags = cJSON_GetObjectItemCaseSensitive(c->in, "Tags");
        if (tags) jx_set(s, "Tags", cJSON_Duplicate(tags, 1));
        jx_set_num(s, "LastUpdatedTime", (double)now / 1000.0);
        cfn_set_status(s, "UPDATE_IN_PROGRESS", "");
        rc = cfn_stack_save(c->tx, c->scope, s, now, c->eb);
        if (!rc) rc = cfn_kickoff(c, s, "update", "UPDATE_IN_PROGRESS");
        if (!rc) rc = cfn_changesets_obsolete(c->app, c->tx, s, NULL, c->eb);
        if (!rc) cJSON_AddStringToObject(c->out, "StackId", jx_str(s, "StackId"));
    }
    cJSON_Delete(bound);
    cJSON_Delete(ssm_names);
    cJSON_Delete(prev);
    cJSON_Delete(given);
    tpl_free(t);
    cJSON_Delete(s);
    return rc;
}

err_t cfn_delete_stack(api_ctx_t *c)
{
    cJSON *s = NULL;
    err_t rc = cfn_stack_find(c->tx, c->scope, api_in_str(c, "StackName"), true, &s, c->eb);
    if (rc == ERR_VALIDATION) return ERR_OK; /* deleting what does not exist succeeds */
    if (rc) return rc;
    rc = cfn_check_role(c);
    const char *status = jx_str(s, "StackStatus");
    if (!rc && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(s, "EnableTerminationProtection")))
        rc = err_fail(c->eb, ERR_VALIDATION,
                      "Stack [%s] cannot be deleted while TerminationProtection is enabled",
                      jx_str(s, "StackName"));
    if (!rc && !strcmp(status, "DELETE_IN_PROGRESS")) {
        cJSON_Delete(s);
        return ERR_OK;
    }
    if (!rc && !strcmp(status, "REVIEW_IN_PROGRESS")) {
        rc = cfn_delete_review(c, s); /* nothing was created: deleted at once */
        cJSON_Delete(s);
        return rc;
    }
    if (!rc) {
        int64_t now = clk_now_ms(&c->app->clock);
        jx_set(s, "_Op", cJSON_CreateString("delete"));
        jx_set(s, "_Seq", cJSON_CreateNumber((double)(jx_int(s, "_Seq", 0) + 1)));
        jx_set(s, "_Principal", auth_principal_to_json(c->caller));
        cJSON_DeleteItemFromObjectCaseSensitive(s, "_Session");
        if (api_in_str(c, "RoleARN")) jx_set_str(s, "RoleARN", api_in_str(c, "RoleARN"));
        cfn_set_status(s, "DELETE_IN_PROGRESS", "");
        rc = cfn_stack_save(c->tx, c->scope, s, now, c->eb);
        if (!rc) rc = cfn_kickoff(c, s, "delete", "DELETE_IN_PROGRESS");
    }
    cJSON_Delete(s);
    return rc;
}

/* Paging by key (res.h) for the list calls: p starts after NextToken, 100 a page, newest
 * first when desc (ValidationError on a token this operation did not issue). */
static err_t cfn_page(api_ctx_t *c, res_page_t *p, bool desc)
{
    if (!res_page_begin(p, c->op->action, 100, desc, api_in_str(c, "NextToken")))
        return err_fail(c->eb, ERR_VALIDATION, "Invalid NextToken");
    return ERR_OK;
}

/* DescribeStacks without a name: the live stacks. */
static err_t cfn_keep_live(void *ctx, const cJSON *s, const res_pkey_t *k, bool *keep)
{
    (void)k;
    (void)ctx;
    *keep = strcmp(jx_str(s, "StackStatus"), "DELETE_COMPLETE") != 0;
    return ERR_OK;
}

err_t cfn_describe_stacks(api_ctx_t *c)
{
    const char *name = api_in_str(c, "StackName");
    cJSON *list = cJSON_AddArrayToObject(c->out, "Stacks");
    if (name) {
        cJSON *s = NULL;
        err_t rc = cfn_stack_find(c->tx, c->scope, name, false, &s, c->eb);
        if (!rc) cJSON_AddItemToArray(list, s);
        return rc;
    }
    res_page_t p;
    err_t rc = cfn_page(c, &p, true);
    res_query_t q = {c->scope, CFN_STACK, NULL, 0, 0};
    if (!rc) rc = res_list_page(c->tx, &q, &p, cfn_keep_live, c, list, c->eb);
    if (!rc) res_page_out(&p, c->out, "NextToken");
    return rc;
}

/* ListStacks' StackStatusFilter. */
static err_t cfn_keep_status(void *ctx, const cJSON *s, const res_pkey_t *k, bool *keep)
{
    (void)k;
    const cJSON *filter =
        cJSON_GetObjectItemCaseSensitive(((api_ctx_t *)ctx)->in, "StackStatusFilter");
    const char *st = jx_str(s, "StackStatus");
    *keep = !cJSON_GetArraySize(filter);
    for (const cJSON *f = filter ? filter->child : NULL; f && !*keep; f = f->next)
        *keep = !strcmp(f->valuestring, st);
    return ERR_OK;
}

err_t cfn_list_stacks(api_ctx_t *c)
{
    res_page_t p;
    err_t rc = cfn_page(c, &p, true);
    cJSON *page = cJSON_CreateArray();
    res_query_t q = {c->scope, CFN_STACK, NULL, 0, 0};
    if (!rc) rc = res_list_page(c->tx, &q, &p, cfn_keep_status, c, page, c->eb);
    cJSON *list = cJSON_AddArrayToObject(c->out, "StackSummaries");
    for (cJSON *s = page->child; !rc && s; s = s->next) {
        cJSON *sum = cJSON_CreateObject();
        static const char *const copy[] = {"StackId",           "StackName",        "CreationTime",
                                           "LastUpdatedTime",   "DeletionTime",     "StackStatus",
                                           "StackStatusReason", "DriftInformation", NULL};
        jx_copy(sum, s, copy);
        if (jx_str(s, "Description"))
            cJSON_AddStringToObject(sum, "TemplateDescription", jx_str(s, "Description"));
        cJSON_AddItemToArray(list, sum);
    }
    cJSON_Delete(page);
    if (!rc) res_page_out(&p, c->out, "NextToken");
    return rc;
}

/* The stack a resource call names (live or by id), and its resources. */
static err_t cfn_stack_resources(api_ctx_t *c, cJSON **stack, cJSON **resources)
{
    err_t rc = cfn_stack_find(c->tx, c->scope, api_in_str(c, "StackName"), false, stack, c->eb);
    if (!rc) rc = cfn_resources(c->tx, c->scope, jx_str(*stack, "StackId"), resources, c->eb);
    return rc;
}

/* ListStackResources: a deleted resource shows only while its stack is deleted (ctx: the
 * stack). */
static err_t cfn_keep_resource(void *ctx, const cJSON *r, const res_pkey_t *k, bool *keep)
{
    (void)k;
    *keep = strcmp(jx_str(r, "ResourceStatus"), "DELETE_COMPLETE") ||
            !strcmp(jx_str(ctx, "StackStatus"), "DELETE_COMPLETE");
    return ERR_OK;
}

err_t cfn_list_stack_resources(api_ctx_t *c)
{
    res_page_t p;
    cJSON *s = NULL, *page = cJSON_CreateArray();
    err_t rc = cfn_page(c, &p, false);
    if (!rc) rc = cfn_stack_find(c->tx, c->scope, api_in_str(c, "StackName"), false, &s, c->eb);
    res_query_t q = {c->scope, CFN_RESOURCE, s ? jx_str(s, "StackId") : "", 0, 0};
    if (!rc) rc = res_list_page(c->tx, &q, &p, cfn_keep_resource, s, page, c->eb);
    cJSON *list = cJSON_AddArrayToObject(c->out, "StackResourceSummaries");
    for (cJSON *r = page->child; !rc && r; r = r->next) {
        cJSON *sum = cJSON_CreateObject();
        static const char *const copy[] = {"LogicalResourceId",
                                           "PhysicalResourceId",
                                           "ResourceType",
                                           "LastUpdatedTimestamp",
                                           "ResourceStatus",
                                           "ResourceStatusReason",
                                           NULL};
        jx_copy(sum, r, copy);
        cJSON *drift = cJSON_AddObjectToObject(sum, "DriftInformation");
        cJSON_AddStringToObject(drift, "StackResourceDriftStatus", "NOT_CHECKED");
        cJSON_AddItemToArray(list, sum);
    }
    cJSON_Delete(page);
    cJSON_Delete(s);
    if (!rc) res_page_out(&p, c->out, "NextToken");
    return rc;
}

/* A StackResource / StackResourceDetail from a stored resource. */
static cJSON *cfn_resource_view(const cJSON *r, bool detail)
{
    cJSON *o = cJSON_Duplicate(r, 1);
    jx_drop_internal(o);
    if (!detail) {
        const cJSON *ts = cJSON_GetObjectItemCaseSensitive(o, "LastUpdatedTimestamp");
        if (ts) cJSON_AddItemToObject(o, "Timestamp", cJSON_Duplicate(ts, 1));
    }
    cJSON *drift = cJSON_AddObjectToObject(o, "DriftInformation");
    cJSON_AddStringToObject(drift, "StackResourceDriftStatus", "NOT_CHECKED");
    return o;
}

err_t cfn_describe_stack_resources(api_ctx_t *c)
{
    const char *name = api_in_str(c, "StackName");
    const char *logical = api_in_str(c, "LogicalResourceId");
    const char *physical = api_in_str(c, "PhysicalResourceId");
    if (!name && !physical)
        return err_fail(c->eb, ERR_VALIDATION,
                        "Either StackName or PhysicalResourceId must be specified.");
    cJSON *all = cJSON_CreateArray();
    err_t rc = ERR_OK;
    if (name) {
        cJSON *s = NULL, *rs = NULL;
        rc = cfn_stack_resources(c, &s, &rs);
        cJSON_Delete(all);
        all = rs ? rs : cJSON_CreateArray();
        cJSON_Delete(s);
    } else {
        bool more;
        res_query_t q = {c->scope, CFN_RESOURCE, NULL, 0, 0};
        rc = res_list(c->tx, &q, all, &more, c->eb);
    }
    cJSON *list = cJSON_AddArrayToObject(c->out, "StackResources");
    bool found_physical = false;
    for (cJSON *r = all->child; !rc && r; r = r->next) {
        if (logical && strcmp(jx_str(r, "LogicalResourceId"), logical)) continue;
        if (physical &&
            (!jx_str(r, "PhysicalResourceId") || strcmp(jx_str(r, "PhysicalResourceId"), physical)))
            continue;
        if (!strcmp(jx_str(r, "ResourceStatus"), "DELETE_COMPLETE") && physical) continue;
        found_physical = true;
        cJSON_AddItemToArray(list, cfn_resource_view(r, false));
    }
    cJSON_Delete(all);
    if (!rc && physical && !found_physical)
        rc = err_fail(c->eb, ERR_VALIDATION, "Stack for %s does not exist", physical);
    return rc;
}

err_t cfn_describe_stack_resource(api_ctx_t *c)
{
    const char *logical = api_in_str(c, "LogicalResourceId");
    cJSON *s = NULL, *all = NULL;
    err_t rc = cfn_stack_resources(c, &s, &all);
    const cJSON *hit = NULL;
    for (const cJSON *r = all ? all->child : NULL; !rc && r && !hit; r = r->next)
        if (!strcmp(jx_str(r, "LogicalResourceId"), logical)) hit = r;
    if (!rc && !hit)
        rc = err_fail(c->eb, ERR_VALIDATION, "Resource %s does not exist for stack %s", logical,
                      api_in_str(c, "StackName"));
    if (!rc) cJSON_AddItemToObject(c->out, "StackResourceDetail", cfn_resource_view(hit, true));
    cJSON_Delete(all);
    cJSON_Delete(s);
    return rc;
}

err_t cfn_describe_stack_events(api_ctx_t *c)
{
    const char *name = api_in_str(c, "StackName");
    if (!name) return err_fail(c->eb, ERR_VALIDATION, "StackName must be specified");
    res_page_t p;
    cJSON *s = NULL;
    err_t rc = cfn_page(c, &p, true); /* newest first */
    if (!rc) rc = cfn_stack_find(c->tx, c->scope, name, false, &s, c->eb);
    res_query_t q = {c->scope, CFN_EVENT, s ? jx_str(s, "StackId") : "", 0, 0};
    cJSON *list = cJSON_AddArrayToObject(c->out, "StackEvents");
    if (!rc) rc = res_list_page(c->tx, &q, &p, NULL, NULL, list, c->eb);
    cJSON_Delete(s);
    if (!rc) res_page_out(&p, c->out, "NextToken");
    return rc;
}

err_t cfn_get_template(api_ctx_t *c)
{
    const char *name = api_in_str(c, "StackName");
    if (!name) return err_fail(c->eb, ERR_VALIDATION, "StackName must be specified");
    cJSON *s = NULL;
    err_t rc = cfn_stack_find(c->tx, c->scope, name, false, &s, c->eb);
    if (!rc) {
        if (jx_str(s, "_Template")) /* not before a CREATE change set runs */
            cJSON_AddStringToObject(c->out, "TemplateBody", jx_str(s, "_Template"));
        cJSON *stages = cJSON_AddArrayToObject(c->out, "StagesAvailable");
        cJSON_AddItemToArray(stages, cJSON_CreateString("Original"));
        cJSON_AddItemToArray(stages, cJSON_CreateString("Processed"));
    }
    cJSON_Delete(s);
    return rc;
}
