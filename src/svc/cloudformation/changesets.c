/* changesets.c - change sets: CreateChangeSet, DescribeChangeSet, ExecuteChangeSet,
 * DeleteChangeSet, ListChangeSets. A change set is computed in its CreateChangeSet call
 * (changes.c), so it is CREATE_COMPLETE (or FAILED) once the call returns. A CREATE change
 * set makes its stack in REVIEW_IN_PROGRESS, as CloudFormation does. Executing one runs
 * CreateStack's or UpdateStack's work (stacks.c) with the inputs the change set kept; its
 * ExecutionStatus then follows the stack's operation (EXECUTE_IN_PROGRESS, _COMPLETE,
 * _FAILED) and the stack's other change sets become OBSOLETE. */
#include "svc/cloudformation/cfn_int.h"
#include "core/jx.h"
#include "svc/cloudformation/stack_ssm.h"

#include "core/clk.h"
#include "core/ids.h"

#include <stdio.h>
#include <string.h>

#define CS_EMPTY                                                                                   \
    "The submitted information didn't contain changes. Submit different information to create "    \
    "a change set."

/* A change set's record name: unique per stack. */
static const char *cs_name_key(api_ctx_t *c, const char *stack_id, const char *name)
{
    return arena_printf(c->arena, "%s|%s", stack_id, name);
}

/* The ExecutionStatus of an executed change set, from its stack's status now. */
static const char *cs_outcome(const char *stack_status)
{
    if (strstr(stack_status, "IN_PROGRESS")) return "EXECUTE_IN_PROGRESS";
    if (!strcmp(stack_status, "CREATE_COMPLETE") || !strcmp(stack_status, "UPDATE_COMPLETE"))
        return "EXECUTE_COMPLETE";
    return "EXECUTE_FAILED";
}

/* Settles cs's ExecutionStatus when it was executed: what its stack shows now. */
static err_t cs_settle(api_ctx_t *c, cJSON *cs)
{
    if (strcmp(jx_str(cs, "ExecutionStatus"), "EXECUTE_IN_PROGRESS")) return ERR_OK;
    cJSON *s = NULL;
    err_t rc = res_get(c->tx, &(res_key_t){c->scope, CFN_STACK, jx_str(cs, "StackId")}, &s, c->eb);
    if (!rc && s) jx_set_str(cs, "ExecutionStatus", cs_outcome(jx_str(s, "StackStatus")));
    cJSON_Delete(s);
    return rc;
}

/* The change set a request names: ChangeSetName as an ARN, or a name with StackName.
 * ChangeSetNotFound "ChangeSet [X] does not exist" when absent. *out owned by the caller,
 * its ExecutionStatus settled. */
static err_t cs_find(api_ctx_t *c, cJSON **out)
{
    const char *name = api_in_str(c, "ChangeSetName");
    const char *stack = api_in_str(c, "StackName");
    const char *acct = c->scope;
    err_t rc = ERR_OK;
    *out = NULL;
    if (!name) return err_fail(c->eb, ERR_VALIDATION, "ChangeSetName must be specified.");
    if (!strncmp(name, "arn:", 4)) {
        rc = res_get(c->tx, &(res_key_t){acct, CFN_CHANGESET, name}, out, c->eb);
    } else if (!stack) {
        return err_fail(c->eb, ERR_VALIDATION,
                        "StackName must be specified if ChangeSetName is not specified as an ARN.");
    } else {
        cJSON *s = NULL;
        errbuf_t ignored;
        if (!cfn_stack_find(c->tx, acct, stack, false, &s, &ignored))
            rc = res_get_by_name(c->tx, acct, CFN_CHANGESET,
                                 cs_name_key(c, jx_str(s, "StackId"), name), out, c->eb);
        cJSON_Delete(s);
    }
    if (!rc && !*out)
        return err_fail(c->eb, ERR_CFN_CHANGESET_NOT_FOUND, "ChangeSet [%s] does not exist", name);
    if (!rc) rc = cs_settle(c, *out);
    return rc;
}

static err_t cs_save(app_t *app, store_tx_t *tx, const cJSON *cs, errbuf_t *eb)
{
    app_where_t w;
    cfn_stack_where(app, cs, &w); /* a change set's StackId names its stack's */
    res_key_t k = {w.scope, CFN_CHANGESET, jx_str(cs, "ChangeSetId")};
    return res_update(tx, &k, jx_str(cs, "Status"), clk_now_ms(&app->clock), cs, NULL, eb);
}

err_t cfn_changesets_obsolete(app_t *app, store_tx_t *tx, const cJSON *stack, const char *except_id,
                              errbuf_t *eb)
{
    app_where_t w;
    cfn_stack_where(app, stack, &w);
    const char *acct = w.scope;
    bool more, gone = !strcmp(jx_str(stack, "StackStatus"), "DELETE_COMPLETE");
    cJSON *all = cJSON_CreateArray();
    res_query_t q = {acct, CFN_CHANGESET, jx_str(stack, "StackId"), 0, 0};
    err_t rc = res_list(tx, &q, all, &more, eb);
    for (cJSON *cs = all->child; !rc && cs; cs = cs->next) {
        const char *id = jx_str(cs, "ChangeSetId");
        const char *exec = jx_str(cs, "ExecutionStatus");
        if (except_id && !strcmp(id, except_id)) continue;
        if (gone) {
            rc = res_delete(tx, &(res_key_t){acct, CFN_CHANGESET, id}, NULL, eb);
        } else if (!strcmp(exec, "AVAILABLE") || !strcmp(exec, "UNAVAILABLE")) {
            jx_set_str(cs, "ExecutionStatus", "OBSOLETE");
            rc = cs_save(app, tx, cs, eb);
        } else if (!strcmp(exec, "EXECUTE_IN_PROGRESS")) { /* its outcome is the stack's now */
            jx_set_str(cs, "ExecutionStatus", cs_outcome(jx_str(stack, "StackStatus")));
            rc = cs_save(app, tx, cs, eb);
        }
    }
    cJSON_Delete(all);
    return rc;
}

/* A REVIEW_IN_PROGRESS stack for a CREATE change set: no template, no resources, until
 * the change set is executed. *out owned by the caller. */
static err_t cs_review_stack(api_ctx_t *c, const char *name, cJSON **out)
{
    char uuid[37];
    ids_uuid(&c->app->ids, uuid);
    const char *id = arena_printf(c->arena, "arn:aws:cloudformation:%s:%s:stack/%s/%s", c->region,
                                  c->account, name, uuid);
    int64_t now = clk_now_ms(&c->app->clock);
    cJSON *s = cJSON_CreateObject();
    cJSON_AddStringToObject(s, "StackId", id);
    cJSON_AddStringToObject(s, "StackName", name);
    cJSON_AddNumberToObject(s, "CreationTime", (double)now / 1000.0);
    cJSON_AddStringToObject(s, "StackStatus", "REVIEW_IN_PROGRESS");
    cJSON_AddStringToObject(s, "StackStatusReason", "User Initiated");
    cJSON_AddBoolToObject(s, "DisableRollback", false);
    cJSON_AddArrayToObject(s, "NotificationARNs");
    cJSON_AddArrayToObject(s, "Tags");
    cJSON_AddBoolToObject(s, "EnableTerminationProtection", false);
    cJSON *drift = cJSON_AddObjectToObject(s, "DriftInformation");
    cJSON_AddStringToObject(drift, "StackDriftStatus", "NOT_CHECKED");
    cJSON_AddItemToObject(s, "_Principal", auth_principal_to_json(c->caller));
    cJSON_AddNumberToObject(s, "_Seq", 0);
    res_row_t row = {.name = name, .state = "REVIEW_IN_PROGRESS", .created_ms = now};
    err_t rc = res_insert(c->tx, &(res_key_t){c->scope, CFN_STACK, id}, &row, s, c->eb);
    if (!rc)
        rc = cfn_event(c->app, c->tx, s, NULL, NULL, NULL, "REVIEW_IN_PROGRESS", "User Initiated",
                       NULL, c->eb);
    if (rc) {
        cJSON_Delete(s);
        s = NULL;
    }
    *out = s;
    return rc;
}

/* The stack a CreateChangeSet of type names: for CREATE a new one in REVIEW_IN_PROGRESS
 * (or the one a former CREATE change set made), for UPDATE the live stack, which must be
 * updatable. *out owned by the caller. */
static err_t cs_stack_for(api_ctx_t *c, const char *type, const char *cs_name, cJSON **out)
{
    const char *name = api_in_str(c, "StackName");
    const char *acct = c->scope;
    *out = NULL;
    if (!strcmp(type, "UPDATE")) {
        err_t rc = cfn_stack_find(c->tx, acct, name, true, out, c->eb);
        if (rc) return err_fail(c->eb, ERR_VALIDATION, "Stack [%s] does not exist", name);
        const char *status = jx_str(*out, "StackStatus");
        if (!cfn_updatable(status))
            return err_fail(c->eb, ERR_VALIDATION,
                            "Stack:%s is in %s state and can not be updated.",
                            jx_str(*out, "StackId"), status);
        return ERR_OK;
    }
    err_t rc = cfn_check_name(c, name, "stackName");
    if (!rc) rc = res_get_by_name(c->tx, acct, CFN_STACK, name, out, c->eb);
    if (!rc && *out && strcmp(jx_str(*out, "StackStatus"), "REVIEW_IN_PROGRESS"))
        return err_fail(c->eb, ERR_CFN_ALREADY_EXISTS,
                        "Stack [%s] already exists and cannot be created again with the changeSet "
                        "[%s].",
                        name, cs_name);
    if (!rc && !*out) rc = cs_review_stack(c, name, out);
    return rc;
}

/* The inputs ExecuteChangeSet gives CreateStack's or UpdateStack's work (the template
 * text read now, the parameters as bound now). */
static cJSON *cs_input(api_ctx_t *c, const char *text, const cJSON *bound)
{
    cJSON *in = cJSON_CreateObject();
    cJSON_AddStringToObject(in, "TemplateBody", text);
    cJSON *ps = cJSON_AddArrayToObject(in, "Parameters");
    for (const cJSON *p = bound ? bound->child : NULL; p; p = p->next) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "ParameterKey", p->string);
        cJSON_AddStringToObject(e, "ParameterValue", cJSON_IsString(p) ? p->valuestring : "");
        cJSON_AddItemToArray(ps, e);
    }
    static const char *const kept[] = {"Capabilities", "RoleARN", "Tags", "NotificationARNs", NULL};
    jx_copy(in, c->in, kept);
    return in;
}

err_t cfn_create_change_set(api_ctx_t *c)
{
    const char *name = api_in_str(c, "ChangeSetName");
    const char *type = api_in_str(c, "ChangeSetType");
    const char *acct = c->scope;
    if (!type) type = "UPDATE";
    err_t rc = cfn_check_name(c, name, "changeSetName");
    if (!rc && !strcmp(type, "IMPORT"))
        rc = err_fail(c->eb, ERR_VALIDATION,
                      "ChangeSetType IMPORT is not supported: catalogd does not import existing "
                      "resources into stacks.");
    else if (!rc && strcmp(type, "CREATE") && strcmp(type, "UPDATE"))
        rc = err_fail(c->eb, ERR_VALIDATION,
                      "1 validation error detected: Value '%s' at 'changeSetType' failed to "
                      "satisfy constraint: Member must satisfy enum value set: [UPDATE, IMPORT, "
                      "CREATE]",
                      type);
    bool use_prev = jx_true(c->in, "UsePreviousTemplate");
    if (!rc && use_prev && !strcmp(type, "CREATE"))
        rc = err_fail(c->eb, ERR_VALIDATION,
                      "UsePreviousTemplate can only be used with UPDATE type change sets.");
    const char *role = api_in_str(c, "RoleARN");
    if (!rc && role) rc = api_check_pass_role(c, role, "cloudformation.amazonaws.com");
    /* the template and parameters are checked before anything is made */
    const char *text = NULL;
    tpl_t *t = NULL;
    cJSON *s = NULL, *existing = NULL, *given = NULL, *bound = NULL, *changes = NULL;
    cJSON *prev = NULL, *resolved = NULL, *ssm_names = NULL;
    if (!rc && !use_prev) rc = cfn_template_text(c, &text);
    if (!rc && !use_prev) rc = tpl_parse(span_of(text), &t, c->eb);
    if (!rc) rc = cs_stack_for(c, type, name, &s);
    if (!rc && use_prev) {
        text = arena_strdup(c->arena, jx_str(s, "_Template"));
        rc = tpl_parse(span_of(text), &t, c->eb);
    }
    if (!rc) prev = s && jx_str(s, "_Template") ? cfn_ssm_previous(s) : NULL;
    if (!rc) given = cfn_given_params(c, prev);
    if (!rc) rc = tpl_bind(t, given, &bound, c->eb);
    /* the changes compare values: SSM-typed parameters read now (execution reads them again) */
    if (!rc) resolved = cJSON_Duplicate(bound, 1);
    if (!rc) rc = cfn_ssm_params(c, t, resolved, &ssm_names);
    if (!rc) rc = cfn_dynref_check(c, t);
    if (!rc) rc = cfn_check_order(c, t, bound, jx_str(s, "StackName"));
    if (!rc) rc = cfn_check_caps(c, t);
    const char *stack_id = s ? jx_str(s, "StackId") : NULL;
    if (!rc)
        rc = res_get_by_name(c->tx, acct, CFN_CHANGESET, cs_name_key(c, stack_id, name), &existing,
                             c->eb);
    const char *token = api_in_str(c, "ClientToken");
    if (!rc && existing) {
        const char *first = jx_str(existing, "_Token");
        if (token && first && !strcmp(first, token)) { /* a retry of the same request */
            cJSON_AddStringToObject(c->out, "Id", jx_str(existing, "ChangeSetId"));
            cJSON_AddStringToObject(c->out, "StackId", stack_id);
            goto done;
        }
        rc = err_fail(c->eb, ERR_CFN_ALREADY_EXISTS, "ChangeSet [%s] already exists", name);
    }
    if (rc) goto done;
    /* the changes; a template that cannot be evaluated fails the change set, not the call */
    errbuf_t why;
    err_t diff = cfn_changes(c, s, t, resolved, &changes);
    if (diff && diff != ERR_VALIDATION) {
        rc = diff;
        goto done;
    }
    if (diff) snprintf(why.msg, sizeof(why.msg), "%s", c->eb->msg);
    char uuid[37];
    ids_uuid(&c->app->ids, uuid);
    const char *id = arena_printf(c->arena, "arn:aws:cloudformation:%s:%s:changeSet/%s/%s",
                                  c->region, c->account, name, uuid);
    int64_t now = clk_now_ms(&c->app->clock);
    bool empty = !diff && !cJSON_GetArraySize(changes) && !strcmp(type, "UPDATE");
    cJSON *cs = cJSON_CreateObject();
    cJSON_AddStringToObject(cs, "ChangeSetName", name);
    cJSON_AddStringToObject(cs, "ChangeSetId", id);
    cJSON_AddStringToObject(cs, "StackId", stack_id);
    cJSON_AddStringToObject(cs, "StackName", jx_str(s, "StackName"));
    if (api_in_str(c, "Description"))
        cJSON_AddStringToObject(cs, "Description", api_in_str(c, "Description"));
    cJSON *params = cfn_stack_params(t, resolved);
    cfn_ssm_shown(params, t, ssm_names);
    cJSON_AddItemToObject(cs, "Parameters", params);
    cJSON_AddNumberToObject(cs, "CreationTime", (double)now / 1000.0);
    cJSON_AddStringToObject(cs, "ExecutionStatus", diff || empty ? "UNAVAILABLE" : "AVAILABLE");
    cJSON_AddStringToObject(cs, "Status", diff || empty ? "FAILED" : "CREATE_COMPLETE");
    if (diff || empty) cJSON_AddStringToObject(cs, "StatusReason", diff ? why.msg : CS_EMPTY);
    static const char *const shown[] = {"NotificationARNs", "Capabilities", "Tags", NULL};
    jx_copy(cs, c->in, shown);
    if (!cJSON_GetObjectItemCaseSensitive(cs, "NotificationARNs"))
        cJSON_AddArrayToObject(cs, "NotificationARNs");
    cJSON_AddItemToObject(cs, "Changes", changes);
    changes = NULL;
    cJSON_AddBoolToObject(cs, "IncludeNestedStacks", false);
    cJSON_AddStringToObject(cs, "_Type", type);
    cJSON_AddItemToObject(cs, "_Input", cs_input(c, text, bound));
    if (token) cJSON_AddStringToObject(cs, "_Token", token);
    res_row_t row = {.name = cs_name_key(c, stack_id, name),
                     .parent = stack_id,
                     .state = jx_str(cs, "Status"),
                     .created_ms = now};
    rc = res_insert(c->tx, &(res_key_t){acct, CFN_CHANGESET, id}, &row, cs, c->eb);
    cJSON_Delete(cs);
    if (!rc) {
        cJSON_AddStringToObject(c->out, "Id", id);
        cJSON_AddStringToObject(c->out, "StackId", stack_id);
    }
done:
    cJSON_Delete(changes);
    cJSON_Delete(existing);
    cJSON_Delete(bound);
    cJSON_Delete(given);
    cJSON_Delete(prev);
    cJSON_Delete(resolved);
    cJSON_Delete(ssm_names);
    cJSON_Delete(s);
    tpl_free(t);
    return rc;
}

err_t cfn_describe_change_set(api_ctx_t *c)
{
    cJSON *cs = NULL;
    err_t rc = cs_find(c, &cs);
    if (rc) return rc;
    jx_drop_internal(cs);
    for (cJSON *m = cs->child; m; m = m->next)
        cJSON_AddItemToObject(c->out, m->string, cJSON_Duplicate(m, 1));
    cJSON_Delete(cs);
    return ERR_OK;
}

err_t cfn_execute_change_set(api_ctx_t *c)
{
    cJSON *cs = NULL, *s = NULL;
    err_t rc = cs_find(c, &cs);
    if (rc) return rc;
    const char *status = jx_str(cs, "Status"), *exec = jx_str(cs, "ExecutionStatus");
    if (strcmp(status, "CREATE_COMPLETE"))
        rc = err_fail(c->eb, ERR_CFN_INVALID_CHANGESET_STATUS,
                      "ChangeSet [%s] cannot be executed in its current status of [%s]",
                      jx_str(cs, "ChangeSetId"), status);
    else if (strcmp(exec, "AVAILABLE"))
        rc = err_fail(c->eb, ERR_CFN_INVALID_CHANGESET_STATUS,
                      "ChangeSet [%s] cannot be executed in its current execution status of [%s]",
                      jx_str(cs, "ChangeSetId"), exec);
    if (!rc) rc = cfn_stack_find(c->tx, c->scope, jx_str(cs, "StackId"), true, &s, c->eb);
    if (!rc) {
        /* CreateStack's or UpdateStack's work, on the inputs the change set kept */
        cJSON *in = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(cs, "_Input"), 1);
        cJSON_AddStringToObject(in, "StackName", jx_str(s, "StackId"));
        static const char *const passed[] = {"ClientRequestToken", "DisableRollback", NULL};
        jx_copy(in, c->in, passed);
        const cJSON *saved_in = c->in;
        cJSON *saved_out = c->out, *out = cJSON_CreateObject();
        c->in = in;
        c->out = out;
        rc = !strcmp(jx_str(cs, "_Type"), "CREATE") ? cfn_create_stack_in(c, s)
                                                    : cfn_update_stack(c);
        c->in = saved_in;
        c->out = saved_out;
        cJSON_Delete(out);
        cJSON_Delete(in);
    }
    if (!rc) rc = cfn_changesets_obsolete(c->app, c->tx, s, jx_str(cs, "ChangeSetId"), c->eb);
    if (!rc) {
        jx_set_str(cs, "ExecutionStatus", "EXECUTE_IN_PROGRESS");
        rc = cs_save(c->app, c->tx, cs, c->eb);
    }
    cJSON_Delete(s);
    cJSON_Delete(cs);
    return rc;
}

err_t cfn_delete_change_set(api_ctx_t *c)
{
    cJSON *cs = NULL;
    err_t rc = cs_find(c, &cs);
    if (rc) return rc;
    if (!strcmp(jx_str(cs, "ExecutionStatus"), "EXECUTE_IN_PROGRESS"))
        rc = err_fail(c->eb, ERR_CFN_INVALID_CHANGESET_STATUS,
                      "Cannot delete ChangeSet [%s] in its current execution status of "
                      "[EXECUTE_IN_PROGRESS]",
                      jx_str(cs, "ChangeSetId"));
    if (!rc)
        rc = res_delete(c->tx, &(res_key_t){c->scope, CFN_CHANGESET, jx_str(cs, "ChangeSetId")},
                        NULL, c->eb);
    cJSON_Delete(cs);
    return rc;
}

err_t cfn_list_change_sets(api_ctx_t *c)
{
    const char *name = api_in_str(c, "StackName");
    res_page_t p;
    cJSON *s = NULL, *page = cJSON_CreateArray();
    err_t rc = ERR_OK;
    if (!res_page_begin(&p, c->op->action, 100, false, api_in_str(c, "NextToken")))
        rc = err_fail(c->eb, ERR_VALIDATION, "Invalid NextToken");
    if (!rc) rc = cfn_stack_find(c->tx, c->scope, name, false, &s, c->eb);
    res_query_t q = {c->scope, CFN_CHANGESET, s ? jx_str(s, "StackId") : "", 0, 0};
    if (!rc) rc = res_list_page(c->tx, &q, &p, NULL, NULL, page, c->eb);
    cJSON *list = cJSON_AddArrayToObject(c->out, "Summaries");
    for (cJSON *cs = page->child; !rc && cs; cs = cs->next) {
        static const char *const copy[] = {
            "StackId", "StackName",    "ChangeSetId",  "ChangeSetName", "ExecutionStatus",
            "Status",  "StatusReason", "CreationTime", "Description",   "IncludeNestedStacks",
            NULL};
        rc = cs_settle(c, cs);
        cJSON *sum = cJSON_CreateObject();
        jx_copy(sum, cs, copy);
        cJSON_AddItemToArray(list, sum);
    }
    cJSON_Delete(page);
    cJSON_Delete(s);
    if (!rc) res_page_out(&p, c->out, "NextToken");
    return rc;
}
