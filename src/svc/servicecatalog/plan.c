/* plan.c - provisioned product plans: CreateProvisionedProductPlan,
 * DescribeProvisionedProductPlan, ExecuteProvisionedProductPlan, ListProvisionedProductPlans,
 * DeleteProvisionedProductPlan. A plan is a CloudFormation change set (CREATE for a new
 * provisioned product, UPDATE for an existing one) made through the in-process client as
 * the launch role or the caller, exactly as a launch would act; executing it starts a
 * PROVISION_PRODUCT or UPDATE_PROVISIONED_PRODUCT record whose job executes the change set
 * (records.c) and ends like any launch. */
#include "svc/servicecatalog/sc_int.h"

#include "core/clk.h"
#include "core/jx.h"

#include <stdio.h>
#include <string.h>

/* The provisioned product named name that is not TERMINATED, or NULL (*out owned). */
static err_t plan_pp_named(api_ctx_t *c, const char *name, cJSON **out)
{
    *out = NULL;
    cJSON *all = cJSON_CreateArray();
    bool more;
    res_query_t q = {c->scope, SC_PP, NULL, 0, 0};
    err_t rc = res_list(c->tx, &q, all, &more, c->eb);
    for (cJSON *p = all->child; !rc && p && !*out; p = p->next)
        if (!strcmp(jx_str(p, "Name"), name) && strcmp(jx_str(p, "Status"), "TERMINATED"))
            *out = cJSON_DetachItemViaPointer(all, p);
    cJSON_Delete(all);
    return rc;
}

/* Every plan body, oldest first (*out owned). */
static err_t plan_all(api_ctx_t *c, cJSON **out)
{
    *out = cJSON_CreateArray();
    bool more;
    res_query_t q = {c->scope, SC_PLAN, NULL, 0, 0};
    return res_list(c->tx, &q, *out, &more, c->eb);
}

/* Settles a plan's Status from its record once executed: the record's end is the plan's. */
static err_t plan_settle(api_ctx_t *c, cJSON *plan)
{
    const char *rid = jx_str(plan, "_Record");
    if (!rid) return ERR_OK;
    cJSON *rec = NULL;
    err_t rc = res_get(c->tx, &(res_key_t){c->scope, SC_RECORD, rid}, &rec, c->eb);
    const char *st = rec ? jx_str(rec, "Status") : NULL;
    if (st && !strcmp(st, "SUCCEEDED")) {
        jx_set_str(plan, "Status", "EXECUTE_SUCCESS");
    } else if (st && !strcmp(st, "FAILED")) {
        jx_set_str(plan, "Status", "EXECUTE_FAILED");
        const cJSON *e =
            cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(rec, "RecordErrors"), 0);
        if (jx_str(e, "Description")) jx_set_str(plan, "StatusMessage", jx_str(e, "Description"));
    }
    cJSON_Delete(rec);
    return rc;
}

/* The plan a request names by PlanId, if the caller may see it (its own, or others' when
 * its policies allow the operation at role or account level), its Status settled;
 * ResourceNotFoundException otherwise. *out owned by the caller. */
static err_t plan_find(api_ctx_t *c, cJSON **out)
{
    const char *id = api_in_str(c, "PlanId");
    err_t rc = res_get(c->tx, &(res_key_t){c->scope, SC_PLAN, id}, out, c->eb);
    if (!rc && *out && !sc_pp_owned(c, *out)) {
        cJSON_Delete(*out);
        *out = NULL;
    }
    if (!rc && !*out) return err_fail(c->eb, ERR_SC_NOT_FOUND, "Plan %s not found.", id);
    if (!rc) rc = plan_settle(c, *out);
    return rc;
}

/* The principal the plan's CloudFormation work runs as: the launch role's session (named
 * by the plan's id), or the caller. false with the reason in why when the role cannot be
 * assumed. */
static bool plan_principal(api_ctx_t *c, const char *role, const char *plan_id,
                           auth_principal_t *as, char *why, size_t cap)
{
    if (!role) {
        *as = *c->caller;
        return true;
    }
    sc_env_t env = sc_env_of(c);
    return sc_launch_as(&env, role, plan_id, as, why, cap);
}

/* Calls cloudformation:op as `as` inside the request; why gets botocore's sentence. */
static err_t plan_cfn(api_ctx_t *c, const auth_principal_t *as, const char *op, cJSON *in,
                      cJSON **out, char *why, size_t cap)
{
    sc_env_t env = sc_env_of(c);
    return sc_call(&env, as, "cloudformation", op, in, out, why, cap);
}

/* Makes the plan's change set as its principal: Status CREATE_SUCCESS, or CREATE_FAILED
 * with StatusMessage (the role refused, CloudFormation refused, or the change set failed). */
static void plan_change_set(api_ctx_t *c, cJSON *plan, const char *stack_name)
{
    char why[1400];
    auth_principal_t as;
    const char *type = jx_str(plan, "_Type");
    if (!plan_principal(c, jx_str(plan, "_LaunchRole"), jx_str(plan, "PlanId"), &as, why,
                        sizeof(why))) {
        jx_set_str(plan, "Status", "CREATE_FAILED");
        jx_set_str(plan, "StatusMessage", why);
        return;
    }
    cJSON *in = jx_own(c->arena, cJSON_CreateObject()), *out = NULL;
    cJSON_AddStringToObject(in, "StackName", stack_name);
    cJSON_AddStringToObject(in, "ChangeSetName", jx_str(plan, "PlanId"));
    cJSON_AddStringToObject(in, "ChangeSetType", type);
    cJSON_AddStringToObject(in, "TemplateBody", jx_str(plan, "_Template"));
    cJSON_AddItemToObject(in, "Parameters",
                          sc_cfn_params(cJSON_GetObjectItemCaseSensitive(plan, "_Params")));
    const cJSON *tags = cJSON_GetObjectItemCaseSensitive(plan, "_StackTags");
    if (tags) cJSON_AddItemToObject(in, "Tags", cJSON_Duplicate(tags, 1));
    const cJSON *sns = cJSON_GetObjectItemCaseSensitive(plan, "NotificationArns");
    if (cJSON_GetArraySize(sns))
        cJSON_AddItemToObject(in, "NotificationARNs", cJSON_Duplicate(sns, 1));
    cJSON *caps = cJSON_AddArrayToObject(in, "Capabilities"); /* as a launch acknowledges them */
    cJSON_AddItemToArray(caps, cJSON_CreateString("CAPABILITY_IAM"));
    cJSON_AddItemToArray(caps, cJSON_CreateString("CAPABILITY_NAMED_IAM"));
    cJSON_AddItemToArray(caps, cJSON_CreateString("CAPABILITY_AUTO_EXPAND"));
    err_t rc = plan_cfn(c, &as, "CreateChangeSet", in, &out, why, sizeof(why));
    jx_own(c->arena, out);
    if (rc) {
        jx_set_str(plan, "Status", "CREATE_FAILED");
        jx_set_str(plan, "StatusMessage", why);
        return;
    }
    jx_set_str(plan, "_ChangeSet", jx_str(out, "Id"));
    jx_set_str(plan, "_StackId", jx_str(out, "StackId"));
    /* a change set CloudFormation could not compute (no changes, a template that does not
     * evaluate) fails the plan with its reason */
    cJSON *din = jx_own(c->arena, cJSON_CreateObject()), *d = NULL;
    cJSON_AddStringToObject(din, "ChangeSetName", jx_str(out, "Id"));
    rc = plan_cfn(c, &as, "DescribeChangeSet", din, &d, why, sizeof(why));
    jx_own(c->arena, d);
    if (!rc && !strcmp(jx_str(d, "Status") ? jx_str(d, "Status") : "", "FAILED")) {
        jx_set_str(plan, "Status", "CREATE_FAILED");
        jx_set_str(plan, "StatusMessage",
                   jx_str(d, "StatusReason") ? jx_str(d, "StatusReason") : "");
        return;
    }
    jx_set_str(plan, "Status", "CREATE_SUCCESS");
}

/* The CreateProvisionedProductPlan output of plan. */
static void plan_created_out(api_ctx_t *c, const cJSON *plan)
{
    static const char *const keep[] = {"PlanName", "PlanId", "ProvisionProductId",
                                       "ProvisioningArtifactId", NULL};
    jx_copy(c->out, plan, keep);
    cJSON_AddStringToObject(c->out, "ProvisionedProductName", jx_str(plan, "ProvisionProductName"));
}

/* What a plan would change: for a new name a provisioned product of its own (the id it will
 * have), for an existing one that product, which must be the caller's, of the same product
 * and stable, and without another plan waiting. Sets the plan's _Type, ProvisionProductId
 * and _Params (UsePreviousValue resolved against the product's); *pp the existing one. */
static err_t plan_target(api_ctx_t *c, cJSON *plan, cJSON **pp)
{
    const char *name = jx_str(plan, "ProvisionProductName");
    const cJSON *given = cJSON_GetObjectItemCaseSensitive(c->in, "ProvisioningParameters");
    err_t rc = plan_pp_named(c, name, pp);
    if (!rc && *pp && !sc_pp_owned(c, *pp))
        rc = err_fail(c->eb, ERR_SC_INVALID_PARAMETERS,
                      "A provisioned product with the name %s already exists.", name);
    if (!rc && *pp && strcmp(jx_str(*pp, "ProductId"), jx_str(plan, "ProductId")))
        rc = err_fail(c->eb, ERR_SC_INVALID_PARAMETERS,
                      "Provisioned product %s is a provisioned product of product %s, not %s.",
                      name, jx_str(*pp, "ProductId"), jx_str(plan, "ProductId"));
    const char *st = *pp ? jx_str(*pp, "Status") : NULL;
    if (!rc && st && strcmp(st, "AVAILABLE") && strcmp(st, "TAINTED"))
        rc = err_fail(c->eb, ERR_SC_INVALID_STATE,
                      "Provisioned product %s is in state %s: a plan needs it AVAILABLE or "
                      "TAINTED.",
                      jx_str(*pp, "Id"), st);
    if (rc) return rc;
    jx_set_str(plan, "_Type", *pp ? "UPDATE" : "CREATE");
    jx_set_str(plan, "ProvisionProductId", *pp ? jx_str(*pp, "Id") : sc_new_id(c, "pp-"));
    jx_set(plan, "_Params",
           *pp ? sc_resolve_previous(given, cJSON_GetObjectItemCaseSensitive(*pp, "_Params"))
               : cJSON_Duplicate(given ? given : jx_own(c->arena, cJSON_CreateArray()), 1));
    /* one plan for each provisioned product until it is executed */
    cJSON *all = NULL;
    rc = plan_all(c, &all);
    for (const cJSON *o = all->child; !rc && o; o = o->next)
        if (!jx_str(o, "_Record") && !strcmp(jx_str(o, "ProvisionProductName"), name))
            rc = err_fail(c->eb, ERR_SC_INVALID_STATE,
                          "Provisioned product %s already has plan %s: execute or delete it first.",
                          name, jx_str(o, "PlanId"));
    cJSON_Delete(all);
    return rc;
}

err_t sc_create_provisioned_product_plan(api_ctx_t *c)
{
    const char *token = api_in_str(c, "IdempotencyToken");
    const char *pid = api_in_str(c, "ProductId");
    /* PlanType is CLOUDFORMATION: the model's enum, checked before any handler runs */
    /* a retried request returns the plan it made */
    cJSON *all = NULL, *prod = NULL, *pa = NULL, *pp = NULL, *plan = NULL;
    err_t rc = plan_all(c, &all);
    for (const cJSON *o = all->child; !rc && o; o = o->next)
        if (!strcmp(jx_str(o, "_Token"), token) && !strcmp(jx_str(o, "_UserArn"), c->caller->arn)) {
            plan_created_out(c, o);
            cJSON_Delete(all);
            return ERR_OK;
        }
    cJSON_Delete(all);
    const char *path = NULL, *role = NULL;
    if (!rc) rc = sc_product_find(c, pid, NULL, true, &prod);
    if (!rc) rc = sc_path_for(c, pid, &path);
    if (!rc) rc = sc_artifact_named(c, pid, api_in_str(c, "ProvisioningArtifactId"), NULL, &pa);
    if (!rc) rc = sc_launch_role(c, path, pid, &role);
    if (rc) goto done;
    const char *id = sc_new_id(c, "plan-");
    double now = sc_now(c);
    plan = cJSON_CreateObject();
    cJSON_AddNumberToObject(plan, "CreatedTime", now);
    cJSON_AddStringToObject(plan, "PathId", sc_path_id(c, path, pid));
    cJSON_AddStringToObject(plan, "_PathId", path);
    cJSON_AddStringToObject(plan, "ProductId", pid);
    cJSON_AddStringToObject(plan, "PlanName", api_in_str(c, "PlanName"));
    cJSON_AddStringToObject(plan, "PlanId", id);
    cJSON_AddStringToObject(plan, "ProvisionProductName", api_in_str(c, "ProvisionedProductName"));
    cJSON_AddStringToObject(plan, "PlanType", "CLOUDFORMATION");
    cJSON_AddStringToObject(plan, "ProvisioningArtifactId", jx_str(pa, "Id"));
    cJSON_AddStringToObject(plan, "Status", "CREATE_IN_PROGRESS");
    cJSON_AddNumberToObject(plan, "UpdatedTime", now);
    static const char *const kept[] = {"NotificationArns", "ProvisioningParameters", "Tags", NULL};
    jx_copy(plan, c->in, kept);
    if (!cJSON_GetObjectItemCaseSensitive(plan, "NotificationArns"))
        cJSON_AddArrayToObject(plan, "NotificationArns");
    if (!cJSON_GetObjectItemCaseSensitive(plan, "ProvisioningParameters"))
        cJSON_AddArrayToObject(plan, "ProvisioningParameters");
    if (!cJSON_GetObjectItemCaseSensitive(plan, "Tags")) cJSON_AddArrayToObject(plan, "Tags");
    cJSON_AddStringToObject(plan, "_UserArn", c->caller->arn);
    cJSON_AddStringToObject(plan, "_Token", token);
    cJSON_AddStringToObject(plan, "_Template", jx_str(pa, "_Template"));
    if (role) cJSON_AddStringToObject(plan, "_LaunchRole", role);
    rc = plan_target(c, plan, &pp);
    if (!rc)
        rc = sc_check_params(c, jx_str(pa, "_Template"),
                             cJSON_GetObjectItemCaseSensitive(plan, "_Params"));
    if (rc) goto done;
    const char *ppid = jx_str(plan, "ProvisionProductId");
    const char *stack =
        pp ? jx_str(pp, "_Stack") : arena_printf(c->arena, "SC-%s-%s", c->account, ppid);
    cJSON *tags = NULL; /* the request's, with what the TagOptions add (a launch's) */
    if (!pp)
        rc =
            sc_tagoption_tags(c, path, pid, cJSON_GetObjectItemCaseSensitive(c->in, "Tags"), &tags);
    if (!rc && !pp) { /* a new provisioned product's stack is tagged as a launch tags it */
        const char *arn =
            arena_printf(c->arena, "arn:aws:servicecatalog:%s:%s:stack/%s/%s", c->region,
                         c->account, jx_str(plan, "ProvisionProductName"), ppid);
        cJSON *who = jx_own(c->arena, cJSON_CreateObject());
        cJSON_AddStringToObject(who, "Arn", arn);
        cJSON_AddStringToObject(who, "ProductId", pid);
        cJSON_AddStringToObject(who, "_PathId", path);
        cJSON_AddStringToObject(who, "_UserArn", c->caller->arn);
        jx_set_str(plan, "_Arn", arn);
        jx_set(plan, "_StackTags", sc_stack_tags(c, who, tags));
        jx_set(plan, "_PPTags", tags);
        tags = NULL;
    }
    cJSON_Delete(tags);
    if (!stack)
        rc = err_fail(c->eb, ERR_SC_INVALID_STATE,
                      "Provisioned product %s has no stack to plan on.", ppid);
    if (!rc) plan_change_set(c, plan, stack);
    res_row_t row = {
        .parent = ppid, .state = jx_str(plan, "Status"), .created_ms = clk_now_ms(&c->app->clock)};
    if (!rc) rc = res_insert(c->tx, &(res_key_t){c->scope, SC_PLAN, id}, &row, plan, c->eb);
    if (!rc) plan_created_out(c, plan);
done:
    cJSON_Delete(plan);
    cJSON_Delete(pp);
    cJSON_Delete(pa);
    cJSON_Delete(prod);
    return rc;
}

/* Upper-cases a CloudFormation word ("Modify", "True", "Properties") into buf: Service
 * Catalog's enums are CloudFormation's in capitals. */
static const char *plan_upper(const char *s, char *buf, size_t cap)
{
    size_t i = 0;
    for (; s && s[i] && i + 1 < cap; i++)
        buf[i] = (char)(s[i] >= 'a' && s[i] <= 'z' ? s[i] - 32 : s[i]);
    buf[i] = '\0';
    return buf;
}

/* A ResourceChange of the plan from a change set's ResourceChange. New object. */
static cJSON *plan_change(const cJSON *rc)
{
    char b[64];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "Action", plan_upper(jx_str(rc, "Action"), b, sizeof(b)));
    cJSON_AddStringToObject(o, "LogicalResourceId", jx_str(rc, "LogicalResourceId"));
    if (jx_str(rc, "PhysicalResourceId"))
        cJSON_AddStringToObject(o, "PhysicalResourceId", jx_str(rc, "PhysicalResourceId"));
    cJSON_AddStringToObject(o, "ResourceType", jx_str(rc, "ResourceType"));
    if (jx_str(rc, "Replacement"))
        cJSON_AddStringToObject(o, "Replacement",
                                plan_upper(jx_str(rc, "Replacement"), b, sizeof(b)));
    cJSON *scope = cJSON_AddArrayToObject(o, "Scope");
    const cJSON *sc = cJSON_GetObjectItemCaseSensitive(rc, "Scope");
    for (const cJSON *s = sc ? sc->child : NULL; s; s = s->next)
        if (cJSON_IsString(s))
            cJSON_AddItemToArray(scope,
                                 cJSON_CreateString(plan_upper(s->valuestring, b, sizeof(b))));
    cJSON *details = cJSON_AddArrayToObject(o, "Details");
    const cJSON *ds = cJSON_GetObjectItemCaseSensitive(rc, "Details");
    for (const cJSON *d = ds ? ds->child : NULL; d; d = d->next) {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(d, "Target");
        cJSON *e = cJSON_CreateObject(), *target = cJSON_AddObjectToObject(e, "Target");
        cJSON_AddStringToObject(target, "Attribute",
                                plan_upper(jx_str(t, "Attribute"), b, sizeof(b)));
        if (jx_str(t, "Name")) cJSON_AddStringToObject(target, "Name", jx_str(t, "Name"));
        cJSON_AddStringToObject(target, "RequiresRecreation",
                                plan_upper(jx_str(t, "RequiresRecreation"), b, sizeof(b)));
        cJSON_AddStringToObject(e, "Evaluation", plan_upper(jx_str(d, "Evaluation"), b, sizeof(b)));
        if (jx_str(d, "CausingEntity"))
            cJSON_AddStringToObject(e, "CausingEntity", jx_str(d, "CausingEntity"));
        cJSON_AddItemToArray(details, e);
    }
    return o;
}

err_t sc_describe_provisioned_product_plan(api_ctx_t *c)
{
    res_page_t p;
    cJSON *plan = NULL, *out = NULL;
    err_t rc = sc_page_in(c, &p, NULL);
    if (!rc) rc = plan_find(c, &plan);
    if (rc) return rc;
    /* the change set as CloudFormation shows it now (gone: no changes) */
    const char *cs = jx_str(plan, "_ChangeSet");
    if (cs) {
        auth_principal_t svc;
        char why[1400];
        cJSON *in = jx_own(c->arena, cJSON_CreateObject());
        cJSON_AddStringToObject(in, "ChangeSetName", cs);
        sc_env_t env = sc_env_of(c);
        if (plan_cfn(c, sc_service_principal(&env, &svc), "DescribeChangeSet", in, &out, why,
                     sizeof(why)))
            out = NULL;
    }
    /* a page of the changes, by logical id */
    res_sort_t sort = {0};
    const cJSON *changes = cJSON_GetObjectItemCaseSensitive(out, "Changes");
    for (const cJSON *ch = changes ? changes->child : NULL; ch; ch = ch->next) {
        const cJSON *r = cJSON_GetObjectItemCaseSensitive(ch, "ResourceChange");
        if (r)
            res_sort_add(&sort, plan_change(r), &(res_pkey_t){.s = jx_str(r, "LogicalResourceId")});
    }
    cJSON *list = cJSON_CreateArray();
    res_sort_page(&sort, &p, list);
    jx_drop_internal(plan);
    cJSON_AddItemToObject(c->out, "ProvisionedProductPlanDetails", plan);
    cJSON_AddItemToObject(c->out, "ResourceChanges", list);
    sc_page_out(c, &p);
    cJSON_Delete(out);
    return ERR_OK;
}

/* The provisioned product a CREATE plan makes when executed: UNDER_CHANGE, its stack the
 * change set's (in REVIEW_IN_PROGRESS until the change set runs). New body. */
static cJSON *plan_new_pp(api_ctx_t *c, const cJSON *plan, const char *token)
{
    cJSON *pp = cJSON_CreateObject();
    cJSON_AddStringToObject(pp, "Name", jx_str(plan, "ProvisionProductName"));
    cJSON_AddStringToObject(pp, "Arn", jx_str(plan, "_Arn"));
    cJSON_AddStringToObject(pp, "Type", "CFN_STACK");
    cJSON_AddStringToObject(pp, "Id", jx_str(plan, "ProvisionProductId"));
    cJSON_AddStringToObject(pp, "Status", "UNDER_CHANGE");
    cJSON_AddNumberToObject(pp, "CreatedTime", sc_now(c));
    cJSON_AddStringToObject(pp, "IdempotencyToken", token);
    cJSON_AddStringToObject(pp, "LastRecordId", "");
    cJSON_AddStringToObject(pp, "LastProvisioningRecordId", "");
    cJSON_AddStringToObject(pp, "ProductId", jx_str(plan, "ProductId"));
    cJSON_AddStringToObject(pp, "ProvisioningArtifactId", jx_str(plan, "ProvisioningArtifactId"));
    if (jx_str(plan, "_LaunchRole"))
        cJSON_AddStringToObject(pp, "LaunchRoleArn", jx_str(plan, "_LaunchRole"));
    cJSON_AddStringToObject(pp, "_UserArn", c->caller->arn);
    cJSON_AddStringToObject(pp, "_PathId", jx_str(plan, "_PathId"));
    cJSON_AddStringToObject(pp, "_Stack", jx_str(plan, "_StackId"));
    cJSON_AddItemToObject(pp, "_Tags",
                          cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(plan, "_PPTags"), 1));
    cJSON_AddItemToObject(pp, "_Params",
                          cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(plan, "_Params"), 1));
    return pp;
}

err_t sc_execute_provisioned_product_plan(api_ctx_t *c)
{
    const char *token = api_in_str(c, "IdempotencyToken");
    cJSON *plan = NULL, *pp = NULL, *other = NULL;
    err_t rc = plan_find(c, &plan);
    if (rc) return rc;
    const char *rid = jx_str(plan, "_Record");
    if (rid && !strcmp(jx_str(plan, "_ExecToken"), token)) { /* a retry: its record */
        cJSON *rec = NULL;
        rc = sc_get(c, SC_RECORD, rid, "Record", &rec);
        if (!rc) cJSON_AddItemToObject(c->out, "RecordDetail", sc_record_view(rec));
        cJSON_Delete(rec);
        cJSON_Delete(plan);
        return rc;
    }
    const char *st = jx_str(plan, "Status");
    if (strcmp(st, "CREATE_SUCCESS"))
        rc = err_fail(c->eb, ERR_SC_INVALID_STATE,
                      "Plan %s is in status %s and cannot be executed: only a plan in "
                      "CREATE_SUCCESS can.",
                      jx_str(plan, "PlanId"), st);
    const char *ppid = jx_str(plan, "ProvisionProductId");
    bool create = !strcmp(jx_str(plan, "_Type"), "CREATE");
    if (!rc && create) {
        rc = plan_pp_named(c, jx_str(plan, "ProvisionProductName"), &other);
        if (!rc && other)
            rc = err_fail(c->eb, ERR_SC_INVALID_STATE,
                          "A provisioned product with the name %s already exists.",
                          jx_str(plan, "ProvisionProductName"));
        if (!rc) {
            pp = plan_new_pp(c, plan, token);
            res_row_t row = {.state = "UNDER_CHANGE", .created_ms = clk_now_ms(&c->app->clock)};
            rc = res_insert(c->tx, &(res_key_t){c->scope, SC_PP, ppid}, &row, pp, c->eb);
        }
    } else if (!rc) {
        rc = sc_pp_find(c, ppid, NULL, &pp);
        const char *pst = pp ? jx_str(pp, "Status") : "";
        if (!rc && strcmp(pst, "AVAILABLE") && strcmp(pst, "TAINTED"))
            rc = err_fail(c->eb, ERR_SC_INVALID_STATE,
                          "Provisioned product %s is in state %s and cannot be changed now.", ppid,
                          pst);
        if (!rc) jx_set_str(pp, "Status", "UNDER_CHANGE");
    }
    if (!rc) {
        /* the record's job executes the change set as the launch role or the caller */
        cJSON *work = cJSON_CreateObject();
        cJSON_AddStringToObject(work, "_ChangeSet", jx_str(plan, "_ChangeSet"));
        cJSON_AddStringToObject(work, "_Template", jx_str(plan, "_Template"));
        cJSON_AddItemToObject(
            work, "_Params", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(plan, "_Params"), 1));
        cJSON_AddStringToObject(work, "ProvisioningArtifactId",
                                jx_str(plan, "ProvisioningArtifactId"));
        cJSON_AddStringToObject(work, "_Plan", jx_str(plan, "PlanId"));
        const char *rec_id = NULL;
        rc = sc_record_start(c, pp, create ? "PROVISION_PRODUCT" : "UPDATE_PROVISIONED_PRODUCT",
                             work, &rec_id);
        if (!rc) rc = sc_put(c, SC_PP, ppid, pp);
        if (!rc) {
            jx_set_str(plan, "_Record", rec_id);
            jx_set_str(plan, "_ExecToken", token);
            jx_set_str(plan, "Status", "EXECUTE_IN_PROGRESS");
            jx_set_num(plan, "UpdatedTime", sc_now(c));
            rc = res_update(c->tx, &(res_key_t){c->scope, SC_PLAN, jx_str(plan, "PlanId")},
                            "EXECUTE_IN_PROGRESS", clk_now_ms(&c->app->clock), plan, NULL, c->eb);
        }
    }
    cJSON_Delete(other);
    cJSON_Delete(pp);
    cJSON_Delete(plan);
    return rc;
}

/* ListProvisionedProductPlans: the access level's plans, of ProvisionProductId when given. */
static err_t plan_keep(void *ctx, const cJSON *plan, const res_pkey_t *k, bool *keep)
{
    (void)k;
    api_ctx_t *c = ctx;
    const char *pp = api_in_str(c, "ProvisionProductId");
    *keep = sc_pp_visible(c, plan) && (!pp || !strcmp(jx_str(plan, "ProvisionProductId"), pp));
    return ERR_OK;
}

/* The ProvisionedProductPlanSummary view. */
static cJSON *plan_summary(const cJSON *plan)
{
    static const char *const keep[] = {"PlanName",
                                       "PlanId",
                                       "ProvisionProductId",
                                       "ProvisionProductName",
                                       "PlanType",
                                       "ProvisioningArtifactId",
                                       NULL};
    cJSON *s = cJSON_CreateObject();
    jx_copy(s, plan, keep);
    return s;
}

err_t sc_list_provisioned_product_plans(api_ctx_t *c)
{
    return sc_list_kind(c, SC_PLAN, plan_keep, c, plan_summary, "ProvisionedProductPlans");
}

/* Removes what a plan that was never executed made in CloudFormation, as its principal: the
 * change set, and for a new provisioned product the stack still in REVIEW_IN_PROGRESS. A
 * failure is InvalidParametersException with CloudFormation's sentence, unless ignored. */
static err_t plan_undo(api_ctx_t *c, const cJSON *plan, bool ignore)
{
    char why[1400];
    auth_principal_t as;
    if (!plan_principal(c, jx_str(plan, "_LaunchRole"), jx_str(plan, "PlanId"), &as, why,
                        sizeof(why)))
        return ignore ? ERR_OK : err_fail(c->eb, ERR_SC_INVALID_PARAMETERS, "%s", why);
    cJSON *in = jx_own(c->arena, cJSON_CreateObject()), *out = NULL;
    cJSON_AddStringToObject(in, "ChangeSetName", jx_str(plan, "_ChangeSet"));
    err_t rc = plan_cfn(c, &as, "DeleteChangeSet", in, &out, why, sizeof(why));
    cJSON_Delete(out);
    out = NULL;
    if (rc == ERR_CFN_CHANGESET_NOT_FOUND) rc = ERR_OK; /* already gone */
    if (!rc && !strcmp(jx_str(plan, "_Type"), "CREATE")) {
        cJSON *din = jx_own(c->arena, cJSON_CreateObject());
        cJSON_AddStringToObject(din, "StackName", jx_str(plan, "_StackId"));
        rc = plan_cfn(c, &as, "DescribeStacks", din, &out, why, sizeof(why));
        const cJSON *s = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(out, "Stacks"), 0);
        bool review = !rc && !strcmp(jx_str(s, "StackStatus") ? jx_str(s, "StackStatus") : "",
                                     "REVIEW_IN_PROGRESS");
        cJSON_Delete(out);
        out = NULL;
        if (rc == ERR_VALIDATION) rc = ERR_OK; /* the stack is gone */
        if (review) rc = plan_cfn(c, &as, "DeleteStack", din, &out, why, sizeof(why));
        cJSON_Delete(out);
    }
    if (rc && !ignore) return err_fail(c->eb, ERR_SC_INVALID_PARAMETERS, "%s", why);
    return ERR_OK;
}

err_t sc_delete_provisioned_product_plan(api_ctx_t *c)
{
    cJSON *plan = NULL;
    err_t rc = plan_find(c, &plan);
    if (!rc && !jx_str(plan, "_Record") && jx_str(plan, "_ChangeSet"))
        rc = plan_undo(c, plan, jx_true(c->in, "IgnoreErrors"));
    if (!rc)
        rc =
            res_delete(c->tx, &(res_key_t){c->scope, SC_PLAN, jx_str(plan, "PlanId")}, NULL, c->eb);
    cJSON_Delete(plan);
    return rc;
}
