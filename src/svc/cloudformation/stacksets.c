/* stacksets.c - CloudFormation StackSets with self-managed permissions: one template
 * deployed as stacks into many accounts and regions. A stack set lives in the
 * administrator's account and region; each (account, region) it is deployed to is a stack
 * instance; every change to the instances (create, update, delete) is an operation that the
 * stack set job (stackset_job.c) carries out target by target, as AWS does: CloudFormation
 * assumes the administration role, which assumes the execution role in the target account,
 * which creates, updates or deletes the instance's stack in the target region through the
 * in-process client, so the roles' trust and permissions decide as they do on AWS. One
 * operation at a time per stack set (OperationInProgressException). SERVICE_MANAGED stack
 * sets (through AWS Organizations) are refused. */
#include "svc/cloudformation/ss_int.h"
#include "core/jx.h"
#include "core/regions.h"

#include <stdio.h>
#include <string.h>

/* ---- records */

err_t ss_find(api_ctx_t *c, const char *name_or_id, bool live_only, cJSON **out)
{
    *out = NULL;
    err_t rc = strchr(name_or_id, ':')
                   ? res_get(c->tx, &(res_key_t){c->scope, CFN_STACKSET, name_or_id}, out, c->eb)
                   : res_get_by_name(c->tx, c->scope, CFN_STACKSET, name_or_id, out, c->eb);
    if (!rc && *out && live_only && strcmp(jx_str(*out, "Status"), "ACTIVE")) {
        cJSON_Delete(*out);
        *out = NULL;
    }
    if (!rc && !*out)
        rc = err_fail(c->eb, ERR_CFN_STACKSET_NOT_FOUND, "StackSet %s not found", name_or_id);
    return rc;
}

err_t ss_save(store_tx_t *tx, const char *scope, const cJSON *set, int64_t now, errbuf_t *eb)
{
    return res_update(tx, &(res_key_t){scope, CFN_STACKSET, jx_str(set, "StackSetId")},
                      jx_str(set, "Status"), now, set, NULL, eb);
}

const char *ss_instance_id(const char *set_id, const char *account, const char *region, arena_t *a)
{
    return arena_printf(a, "%s|%s|%s", set_id, account, region);
}

const char *ss_op_id(const char *set_id, const char *op_id, arena_t *a)
{
    return arena_printf(a, "%s|%s", set_id, op_id);
}

/* The running (or stopping) operation of set, or NULL; *out owned by the caller. */
static err_t ss_busy(api_ctx_t *c, const cJSON *set, cJSON **out)
{
    *out = NULL;
    const char *running = jx_str(set, "_Running");
    if (!running) return ERR_OK;
    return res_get(
        c->tx,
        &(res_key_t){c->scope, CFN_SSOP, ss_op_id(jx_str(set, "StackSetId"), running, c->arena)},
        out, c->eb);
}

/* ---- the stack set */

err_t cfn_create_stack_set(api_ctx_t *c)
{
    const char *name = api_in_str(c, "StackSetName");
    const char *model = api_in_str(c, "PermissionModel");
    if (model && !strcmp(model, "SERVICE_MANAGED"))
        return err_fail(c->eb, ERR_VALIDATION,
                        "You must enable organizations access to operate a service managed stack "
                        "set");
    cJSON *existing = NULL;
    err_t rc = res_get_by_name(c->tx, c->scope, CFN_STACKSET, name, &existing, c->eb);
    if (!rc && existing)
        rc = err_fail(c->eb, ERR_CFN_NAME_EXISTS, "StackSet %s already exists", name);
    cJSON_Delete(existing);
    const char *text = NULL;
    tpl_t *t = NULL;
    if (!rc) rc = cfn_template_text(c, &text);
    if (!rc) rc = tpl_parse(span_of(text), &t, c->eb);
    if (!rc) rc = cfn_check_caps(c, t);
    const char *admin = api_in_str(c, "AdministrationRoleARN");
    if (!admin)
        admin = arena_printf(c->arena, "arn:aws:iam::%s:role/%s", c->account, SS_ADMIN_ROLE);
    if (!rc) rc = api_check_pass_role(c, admin, "cloudformation.amazonaws.com");
    if (!rc) {
        char uuid[37];
        ids_uuid(&c->app->ids, uuid);
        const char *id = arena_printf(c->arena, "%s:%s", name, uuid);
        cJSON *s = cJSON_CreateObject();
        cJSON_AddStringToObject(s, "StackSetName", name);
        cJSON_AddStringToObject(s, "StackSetId", id);
        if (api_in_str(c, "Description"))
            cJSON_AddStringToObject(s, "Description", api_in_str(c, "Description"));
        cJSON_AddStringToObject(s, "Status", "ACTIVE");
        cJSON_AddStringToObject(s, "TemplateBody", text);
        static const char *const copied[] = {"Parameters", "Capabilities", "Tags",
                                             "ManagedExecution", NULL};
        jx_copy(s, c->in, copied);
        if (!cJSON_GetObjectItemCaseSensitive(s, "Parameters"))
            cJSON_AddArrayToObject(s, "Parameters");
        if (!cJSON_GetObjectItemCaseSensitive(s, "Tags")) cJSON_AddArrayToObject(s, "Tags");
        cJSON_AddStringToObject(s, "StackSetARN",
                                arena_printf(c->arena, "arn:aws:cloudformation:%s:%s:stackset/%s",
                                             c->region, c->account, id));
        cJSON_AddStringToObject(s, "AdministrationRoleARN", admin);
        const char *exec = api_in_str(c, "ExecutionRoleName");
        cJSON_AddStringToObject(s, "ExecutionRoleName", exec ? exec : SS_EXEC_ROLE);
        cJSON_AddStringToObject(s, "PermissionModel", "SELF_MANAGED");
        res_row_t row = {.name = name, .state = "ACTIVE", .created_ms = clk_now_ms(&c->app->clock)};
        row.updated_ms = row.created_ms;
        rc = res_insert(c->tx, &(res_key_t){c->scope, CFN_STACKSET, id}, &row, s, c->eb);
        if (!rc) cJSON_AddStringToObject(c->out, "StackSetId", id);
        cJSON_Delete(s);
    }
    tpl_free(t);
    return rc;
}

err_t cfn_describe_stack_set(api_ctx_t *c)
{
    cJSON *s = NULL;
    err_t rc = ss_find(c, api_in_str(c, "StackSetName"), false, &s);
    if (!rc) {
        jx_drop_internal(s);
        cJSON_AddItemToObject(c->out, "StackSet", s);
    }
    return rc;
}

static err_t ss_keep_status(void *ctx, const cJSON *s, const res_pkey_t *k, bool *keep)
{
    (void)k;
    const char *want = api_in_str(ctx, "Status");
    *keep = !want || !strcmp(want, jx_str(s, "Status"));
    return ERR_OK;
}

/* p for a list call: MaxResults a page (default 100) after NextToken. */
static err_t ss_page(api_ctx_t *c, res_page_t *p)
{
    if (!res_page_begin(p, c->op->action, api_in_int(c, "MaxResults", 100), false,
                        api_in_str(c, "NextToken")))
        return err_fail(c->eb, ERR_VALIDATION, "Invalid NextToken");
    return ERR_OK;
}

/* Moves the members of each item of list named in keep (NULL-ended) to out[member]. */
static void ss_summaries(cJSON *out, const char *member, cJSON *list, const char *const *keep)
{
    cJSON *dst = cJSON_AddArrayToObject(out, member);
    for (cJSON *e = list->child; e; e = e->next) {
        cJSON *o = cJSON_CreateObject();
        jx_copy(o, e, keep);
        cJSON_AddItemToArray(dst, o);
    }
}

err_t cfn_list_stack_sets(api_ctx_t *c)
{
    res_page_t p;
    cJSON *list = cJSON_CreateArray();
    err_t rc = ss_page(c, &p);
    res_query_t q = {c->scope, CFN_STACKSET, NULL, 0, 0};
    if (!rc) rc = res_list_page(c->tx, &q, &p, ss_keep_status, c, list, c->eb);
    static const char *const keep[] = {
        "StackSetName",    "StackSetId",       "Description", "Status",
        "PermissionModel", "ManagedExecution", NULL};
    if (!rc) {
        ss_summaries(c->out, "Summaries", list, keep);
        res_page_out(&p, c->out, "NextToken");
    }
    cJSON_Delete(list);
    return rc;
}

err_t cfn_delete_stack_set(api_ctx_t *c)
{
    cJSON *s = NULL, *busy = NULL;
    int64_t n = 0;
    err_t rc = ss_find(c, api_in_str(c, "StackSetName"), true, &s);
    if (rc == ERR_CFN_STACKSET_NOT_FOUND) return ERR_OK; /* as DeleteStack: nothing to do */
    if (!rc) rc = ss_busy(c, s, &busy);
    if (!rc && busy)
        rc = err_fail(c->eb, ERR_CFN_OPERATION_IN_PROGRESS,
                      "Another Operation on StackSet %s is in progress", jx_str(s, "StackSetId"));
    res_query_t q = {c->scope, CFN_SSINST, s ? jx_str(s, "StackSetId") : NULL, 0, 1};
    cJSON *one = cJSON_CreateArray();
    bool more = false;
    if (!rc) rc = res_list(c->tx, &q, one, &more, c->eb);
    n = cJSON_GetArraySize(one);
    cJSON_Delete(one);
    if (!rc && n)
        rc = err_fail(c->eb, ERR_CFN_STACKSET_NOT_EMPTY,
                      "StackSet %s cannot be deleted because it still has stack instances",
                      jx_str(s, "StackSetName"));
    if (!rc) {
        jx_set_str(s, "Status", "DELETED");
        rc = ss_save(c->tx, c->scope, s, clk_now_ms(&c->app->clock), c->eb);
    }
    if (!rc)
        rc =
            store_exec(c->tx, c->eb, NULL,
                       "UPDATE resources SET name = NULL WHERE account = ? AND kind = ? AND id = ?",
                       "sss", c->scope, CFN_STACKSET, jx_str(s, "StackSetId"));
    cJSON_Delete(busy);
    cJSON_Delete(s);
    return rc;
}

/* ---- operations: the targets and their start */

/* Adds the targets of the request (Accounts or DeploymentTargets.Accounts, times Regions) to
 * results as PENDING {Account, Region, Status}, with AWS's checks. */
static err_t ss_targets(api_ctx_t *c, cJSON *results)
{
    const cJSON *accts = cJSON_GetObjectItemCaseSensitive(c->in, "Accounts");
    const cJSON *dt = cJSON_GetObjectItemCaseSensitive(c->in, "DeploymentTargets");
    if (dt && cJSON_GetObjectItemCaseSensitive(dt, "OrganizationalUnitIds"))
        return err_fail(c->eb, ERR_VALIDATION,
                        "OrganizationalUnitIds are allowed only for service managed stack sets");
    if (accts && dt)
        return err_fail(c->eb, ERR_VALIDATION,
                        "Accounts and DeploymentTargets cannot be specified together");
    if (!accts) accts = cJSON_GetObjectItemCaseSensitive(dt, "Accounts");
    if (!cJSON_GetArraySize(accts))
        return err_fail(c->eb, ERR_VALIDATION,
                        "Either Accounts or DeploymentTargets must be specified");
    const cJSON *regions = cJSON_GetObjectItemCaseSensitive(c->in, "Regions");
    for (const cJSON *r = regions ? regions->child : NULL; r; r = r->next)
        if (!regions_find(span_of(r->valuestring)))
            return err_fail(c->eb, ERR_VALIDATION, "Region %s is not supported", r->valuestring);
    for (const cJSON *a = accts->child; a; a = a->next)
        for (const cJSON *r = regions ? regions->child : NULL; r; r = r->next) {
            bool dup = false;
            for (const cJSON *x = results->child; x && !dup; x = x->next)
                dup = !strcmp(jx_str(x, "Account"), a->valuestring) &&
                      !strcmp(jx_str(x, "Region"), r->valuestring);
            if (dup) continue;
            cJSON *t = cJSON_CreateObject();
            cJSON_AddStringToObject(t, "Account", a->valuestring);
            cJSON_AddStringToObject(t, "Region", r->valuestring);
            cJSON_AddStringToObject(t, "Status", "PENDING");
            cJSON_AddItemToArray(results, t);
        }
    return ERR_OK;
}

/* Starts operation `action` of set over results: the operation record (RUNNING), the set's
 * _Running mark, and the job. The request's OperationId (or a new one) goes to the output.
 * Takes results in every case (freed when the operation is refused). */
static err_t ss_start(api_ctx_t *c, cJSON *set, const char *action, cJSON *results, bool retain)
{
    const char *set_id = jx_str(set, "StackSetId");
    cJSON *busy = NULL;
    err_t rc = ss_busy(c, set, &busy);
    if (!rc && busy)
        rc = err_fail(c->eb, ERR_CFN_OPERATION_IN_PROGRESS,
                      "Another Operation on StackSet %s is in progress", set_id);
    cJSON_Delete(busy);
    char uuid[37];
    const char *op_id = api_in_str(c, "OperationId");
    if (!op_id) op_id = (ids_uuid(&c->app->ids, uuid), uuid);
    cJSON *dup = NULL;
    if (!rc)
        rc = res_get(c->tx, &(res_key_t){c->scope, CFN_SSOP, ss_op_id(set_id, op_id, c->arena)},
                     &dup, c->eb);
    if (!rc && dup)
        rc = err_fail(c->eb, ERR_CFN_OPERATION_ID_EXISTS, "The operation id %s already exists",
                      op_id);
    cJSON_Delete(dup);
    if (rc) { /* refused: the targets are not kept */
        cJSON_Delete(results);
        return rc;
    }
    int64_t now = clk_now_ms(&c->app->clock);
    cJSON *op = cJSON_CreateObject();
    cJSON_AddStringToObject(op, "OperationId", op_id);
    cJSON_AddStringToObject(op, "StackSetId", set_id);
    cJSON_AddStringToObject(op, "Action", action);
    cJSON_AddStringToObject(op, "Status", "RUNNING");
    const cJSON *prefs = cJSON_GetObjectItemCaseSensitive(c->in, "OperationPreferences");
    cJSON_AddItemToObject(op, "OperationPreferences",
                          prefs ? cJSON_Duplicate(prefs, 1) : cJSON_CreateObject());
    if (!strcmp(action, "DELETE")) cJSON_AddBoolToObject(op, "RetainStacks", retain);
    cJSON_AddStringToObject(op, "AdministrationRoleARN", jx_str(set, "AdministrationRoleARN"));
    cJSON_AddStringToObject(op, "ExecutionRoleName", jx_str(set, "ExecutionRoleName"));
    cJSON_AddNumberToObject(op, "CreationTimestamp", (double)now / 1000.0);
    cJSON_AddItemToObject(op, "_Results", results);
    cJSON_AddItemToObject(op, "_Principal", auth_principal_to_json(c->caller));
    res_row_t row = {.parent = set_id, .state = "RUNNING", .created_ms = now, .updated_ms = now};
    rc = res_insert(c->tx, &(res_key_t){c->scope, CFN_SSOP, ss_op_id(set_id, op_id, c->arena)},
                    &row, op, c->eb);
    cJSON_Delete(op);
    if (!rc) {
        jx_set_str(set, "_Running", op_id);
        rc = ss_save(c->tx, c->scope, set, now, c->eb);
    }
    if (!rc) rc = ss_job_start(c, set_id, op_id);
    if (!rc) cJSON_AddStringToObject(c->out, "OperationId", op_id);
    return rc;
}

/* The instance records of results: created (OUTDATED, PENDING) when create, else they must
 * exist (StackInstanceNotFoundException); ParameterOverrides merged in when given. */
static err_t ss_instances(api_ctx_t *c, const cJSON *set, const cJSON *results, bool create)
{
    const char *set_id = jx_str(set, "StackSetId");
    const cJSON *over = cJSON_GetObjectItemCaseSensitive(c->in, "ParameterOverrides");
    int64_t now = clk_now_ms(&c->app->clock);
    err_t rc = ERR_OK;
    for (const cJSON *t = results->child; !rc && t; t = t->next) {
        const char *acct = jx_str(t, "Account"), *region = jx_str(t, "Region");
        res_key_t k = {c->scope, CFN_SSINST, ss_instance_id(set_id, acct, region, c->arena)};
        cJSON *inst = NULL;
        rc = res_get(c->tx, &k, &inst, c->eb);
        if (!rc && !inst && !create)
            rc = err_fail(c->eb, ERR_CFN_INSTANCE_NOT_FOUND,
                          "Stack instance for account %s in region %s not found in StackSet %s",
                          acct, region, jx_str(set, "StackSetName"));
        bool fresh = !inst;
        if (!rc && fresh) {
            inst = cJSON_CreateObject();
            cJSON_AddStringToObject(inst, "StackSetId", set_id);
            cJSON_AddStringToObject(inst, "Region", region);
            cJSON_AddStringToObject(inst, "Account", acct);
            cJSON_AddArrayToObject(inst, "ParameterOverrides");
            cJSON_AddStringToObject(inst, "Status", "OUTDATED");
            cJSON_AddStringToObject(inst, "StatusReason", "User Initiated");
        }
        if (!rc && over) jx_set(inst, "ParameterOverrides", cJSON_Duplicate(over, 1));
        if (!rc) {
            cJSON *d = cJSON_CreateObject();
            cJSON_AddStringToObject(d, "DetailedStatus", "PENDING");
            jx_set(inst, "StackInstanceStatus", d);
            res_row_t row = {.parent = set_id, .created_ms = now, .updated_ms = now};
            rc = fresh ? res_insert(c->tx, &k, &row, inst, c->eb)
                       : res_update(c->tx, &k, NULL, now, inst, NULL, c->eb);
        }
        cJSON_Delete(inst);
    }
    return rc;
}

/* CreateStackInstances, UpdateStackInstances, DeleteStackInstances: the request's targets
 * (their instances made when action is CREATE, else they must exist) in one operation. */
static err_t ss_instances_op(api_ctx_t *c, const char *action)
{
    cJSON *set = NULL, *results = cJSON_CreateArray();
    err_t rc = ss_find(c, api_in_str(c, "StackSetName"), true, &set);
    if (!rc) rc = ss_targets(c, results);
    if (!rc) rc = ss_instances(c, set, results, !strcmp(action, "CREATE"));
    if (!rc) {
        rc = ss_start(c, set, action, results,
                      cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c->in, "RetainStacks")));
        results = NULL;
    }
    cJSON_Delete(results);
    cJSON_Delete(set);
    return rc;
}

err_t cfn_create_stack_instances(api_ctx_t *c)
{
    return ss_instances_op(c, "CREATE");
}

err_t cfn_update_stack_instances(api_ctx_t *c)
{
    return ss_instances_op(c, "UPDATE");
}

err_t cfn_delete_stack_instances(api_ctx_t *c)
{
    return ss_instances_op(c, "DELETE");
}

err_t cfn_update_stack_set(api_ctx_t *c)
{
    cJSON *set = NULL, *results = cJSON_CreateArray();
    err_t rc = ss_find(c, api_in_str(c, "StackSetName"), true, &set);
    const char *text = NULL;
    tpl_t *t = NULL;
    if (!rc && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c->in, "UsePreviousTemplate")))
        text = arena_strdup(c->arena, jx_str(set, "TemplateBody"));
    else if (!rc)
        rc = cfn_template_text(c, &text);
    if (!rc) rc = tpl_parse(span_of(text), &t, c->eb);
    if (!rc) rc = cfn_check_caps(c, t);
    const char *admin = api_in_str(c, "AdministrationRoleARN");
    if (!rc && admin) rc = api_check_pass_role(c, admin, "cloudformation.amazonaws.com");
    /* which instances: those named, else every one */
    bool named = cJSON_GetObjectItemCaseSensitive(c->in, "Accounts") ||
                 cJSON_GetObjectItemCaseSensitive(c->in, "DeploymentTargets");
    if (!rc && named) rc = ss_targets(c, results);
    if (!rc && named) rc = ss_instances(c, set, results, false);
    if (!rc && !named) {
        cJSON *all = cJSON_CreateArray();
        bool more;
        res_query_t q = {c->scope, CFN_SSINST, jx_str(set, "StackSetId"), 0, 0};
        rc = res_list(c->tx, &q, all, &more, c->eb);
        for (const cJSON *i = all->child; !rc && i; i = i->next) {
            cJSON *tgt = cJSON_CreateObject();
            cJSON_AddStringToObject(tgt, "Account", jx_str(i, "Account"));
            cJSON_AddStringToObject(tgt, "Region", jx_str(i, "Region"));
            cJSON_AddStringToObject(tgt, "Status", "PENDING");
            cJSON_AddItemToArray(results, tgt);
        }
        cJSON_Delete(all);
    }
    if (!rc) {
        jx_set_str(set, "TemplateBody", text);
        static const char *const copied[] = {
            "Description",           "Parameters",        "Capabilities",     "Tags",
            "AdministrationRoleARN", "ExecutionRoleName", "ManagedExecution", NULL};
        for (size_t i = 0; copied[i]; i++) { /* replaced, not added beside the old */
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(c->in, copied[i]);
            if (v) jx_set(set, copied[i], cJSON_Duplicate(v, 1));
        }
        rc = ss_start(c, set, "UPDATE", results, false);
        results = NULL;
    }
    cJSON_Delete(results);
    tpl_free(t);
    cJSON_Delete(set);
    return rc;
}

/* ---- instances and operations, read */

err_t cfn_describe_stack_instance(api_ctx_t *c)
{
    cJSON *set = NULL, *inst = NULL;
    const char *acct = api_in_str(c, "StackInstanceAccount");
    const char *region = api_in_str(c, "StackInstanceRegion");
    err_t rc = ss_find(c, api_in_str(c, "StackSetName"), false, &set);
    if (!rc)
        rc =
            res_get(c->tx,
                    &(res_key_t){c->scope, CFN_SSINST,
                                 ss_instance_id(jx_str(set, "StackSetId"), acct, region, c->arena)},
                    &inst, c->eb);
    if (!rc && !inst)
        rc = err_fail(c->eb, ERR_CFN_INSTANCE_NOT_FOUND,
                      "Stack instance for account %s in region %s not found in StackSet %s", acct,
                      region, api_in_str(c, "StackSetName"));
    if (!rc) {
        jx_drop_internal(inst);
        cJSON_AddItemToObject(c->out, "StackInstance", inst);
        inst = NULL;
    }
    cJSON_Delete(inst);
    cJSON_Delete(set);
    return rc;
}

/* ListStackInstances' StackInstanceAccount, StackInstanceRegion and Filters. */
static err_t ss_keep_instance(void *ctx, const cJSON *i, const res_pkey_t *k, bool *keep)
{
    (void)k;
    api_ctx_t *c = ctx;
    const char *acct = api_in_str(c, "StackInstanceAccount");
    const char *region = api_in_str(c, "StackInstanceRegion");
    *keep = (!acct || !strcmp(acct, jx_str(i, "Account"))) &&
            (!region || !strcmp(region, jx_str(i, "Region")));
    const cJSON *filters = cJSON_GetObjectItemCaseSensitive(c->in, "Filters");
    for (const cJSON *f = filters ? filters->child : NULL; *keep && f; f = f->next) {
        const char *name = jx_str(f, "Name"), *want = jx_str(f, "Values");
        const char *have = !strcmp(name, "DETAILED_STATUS")
                               ? jx_str(cJSON_GetObjectItemCaseSensitive(i, "StackInstanceStatus"),
                                        "DetailedStatus")
                           : !strcmp(name, "LAST_OPERATION_ID") ? jx_str(i, "LastOperationId")
                           : !strcmp(name, "DRIFT_STATUS")      ? "NOT_CHECKED"
                                                                : NULL;
        *keep = have && want && !strcmp(have, want);
    }
    return ERR_OK;
}

/* A page of the request's stack set's children of kind (filtered by keep, NULL: all), each
 * cut to the members in shown, as Summaries. */
static err_t ss_list_children(api_ctx_t *c, const char *kind, res_keep_fn keep,
                              const char *const *shown)
{
    cJSON *set = NULL, *list = cJSON_CreateArray();
    res_page_t p;
    err_t rc = ss_find(c, api_in_str(c, "StackSetName"), false, &set);
    if (!rc) rc = ss_page(c, &p);
    if (!rc) {
        res_query_t q = {c->scope, kind, jx_str(set, "StackSetId"), 0, 0};
        rc = res_list_page(c->tx, &q, &p, keep, c, list, c->eb);
    }
    if (!rc) {
        ss_summaries(c->out, "Summaries", list, shown);
        res_page_out(&p, c->out, "NextToken");
    }
    cJSON_Delete(list);
    cJSON_Delete(set);
    return rc;
}

err_t cfn_list_stack_instances(api_ctx_t *c)
{
    static const char *const shown[] = {
        "StackSetId",          "Region",          "Account", "StackId", "Status", "StatusReason",
        "StackInstanceStatus", "LastOperationId", NULL};
    return ss_list_children(c, CFN_SSINST, ss_keep_instance, shown);
}

/* The operation OperationId of the request's stack set (*set and *op owned by the caller). */
static err_t ss_op_named(api_ctx_t *c, cJSON **set, cJSON **op)
{
    *op = NULL;
    const char *op_id = api_in_str(c, "OperationId");
    err_t rc = ss_find(c, api_in_str(c, "StackSetName"), false, set);
    if (!rc)
        rc = res_get(
            c->tx,
            &(res_key_t){c->scope, CFN_SSOP, ss_op_id(jx_str(*set, "StackSetId"), op_id, c->arena)},
            op, c->eb);
    if (!rc && !*op)
        rc = err_fail(c->eb, ERR_CFN_OPERATION_NOT_FOUND, "Operation %s not found", op_id);
    return rc;
}

err_t cfn_describe_stack_set_operation(api_ctx_t *c)
{
    cJSON *set = NULL, *op = NULL;
    err_t rc = ss_op_named(c, &set, &op);
    if (!rc) {
        jx_drop_internal(op);
        cJSON_AddItemToObject(c->out, "StackSetOperation", op);
        op = NULL;
    }
    cJSON_Delete(op);
    cJSON_Delete(set);
    return rc;
}

err_t cfn_list_stack_set_operations(api_ctx_t *c)
{
    static const char *const shown[] = {"OperationId",
                                        "Action",
                                        "Status",
                                        "CreationTimestamp",
                                        "EndTimestamp",
                                        "StatusReason",
                                        "OperationPreferences",
                                        NULL};
    return ss_list_children(c, CFN_SSOP, NULL, shown);
}

err_t cfn_list_stack_set_operation_results(api_ctx_t *c)
{
    cJSON *set = NULL, *op = NULL;
    err_t rc = ss_op_named(c, &set, &op);
    if (!rc) {
        /* every target of one operation on one page: their number is bounded by the
         * request that made it */
        cJSON *out = cJSON_AddArrayToObject(c->out, "Summaries");
        const cJSON *results = cJSON_GetObjectItemCaseSensitive(op, "_Results");
        for (const cJSON *r = results ? results->child : NULL; r; r = r->next)
            cJSON_AddItemToArray(out, cJSON_Duplicate(r, 1));
    }
    cJSON_Delete(op);
    cJSON_Delete(set);
    return rc;
}

err_t cfn_stop_stack_set_operation(api_ctx_t *c)
{
    cJSON *set = NULL, *op = NULL;
    err_t rc = ss_op_named(c, &set, &op);
    if (!rc && strcmp(jx_str(op, "Status"), "RUNNING"))
        rc = err_fail(c->eb, ERR_CFN_INVALID_OPERATION,
                      "Operation %s cannot be stopped: its status is %s",
                      api_in_str(c, "OperationId"), jx_str(op, "Status"));
    if (!rc) {
        /* the job stops at its next step: what runs finishes, what waits is cancelled */
        jx_set_str(op, "Status", "STOPPING");
        rc = res_update(
            c->tx,
            &(res_key_t){c->scope, CFN_SSOP,
                         ss_op_id(jx_str(set, "StackSetId"), jx_str(op, "OperationId"), c->arena)},
            "STOPPING", clk_now_ms(&c->app->clock), op, NULL, c->eb);
    }
    cJSON_Delete(op);
    cJSON_Delete(set);
    return rc;
}
