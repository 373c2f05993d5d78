/* records.c - Service Catalog records: DescribeRecord, ListRecordHistory, and the record
 * job that carries each record out. Provision, update and terminate drive a
 * CloudFormation stack (as the launch role, assumed by servicecatalog.amazonaws.com, or as
 * the caller) and follow it; service-action executions run the pipeline of execute.c.
 * Every record ends SUCCEEDED or FAILED, with the reason in RecordErrors and Outputs. */
#include "svc/servicecatalog/sc_int.h"
#include "core/jx.h"

#include "core/clk.h"
#include "core/ids.h"
#include "core/log.h"
#include "engine/engine.h"
#include "proto/proto.h"

#include <stdio.h>
#include <string.h>

#define SC_POLL_MS 2000 /* fallback: a settled stack wakes its record */

cJSON *sc_record_view(const cJSON *rec)
{
    cJSON *v = cJSON_Duplicate(rec, 1);
    jx_drop_internal(v);
    return v;
}

void sc_record_output(cJSON *rec, const char *key, const char *value, const char *description)
{
    cJSON *outs = cJSON_GetObjectItemCaseSensitive(rec, "_Outputs");
    if (!outs) outs = cJSON_AddArrayToObject(rec, "_Outputs");
    for (cJSON *o = outs->child; o; o = o->next)
        if (!strcmp(jx_str(o, "OutputKey"), key)) {
            jx_set(o, "OutputValue", cJSON_CreateString(value ? value : ""));
            return;
        }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "OutputKey", key);
    cJSON_AddStringToObject(o, "OutputValue", value ? value : "");
    if (description) cJSON_AddStringToObject(o, "Description", description);
    cJSON_AddItemToArray(outs, o);
}

void sc_record_end(cJSON *rec, const char *status, const char *error, double now)
{
    jx_set(rec, "Status", cJSON_CreateString(status));
    jx_set(rec, "UpdatedTime", cJSON_CreateNumber(now));
    if (error) {
        cJSON *errs = cJSON_GetObjectItemCaseSensitive(rec, "RecordErrors");
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "Code", "FAILED");
        cJSON_AddStringToObject(e, "Description", error);
        cJSON_AddItemToArray(errs, e);
        sc_record_output(rec, "ErrorMessage", error, "The reason the record failed");
    }
}

err_t sc_record_start(api_ctx_t *c, cJSON *pp, const char *type, cJSON *work,
                      const char **record_id)
{
    const char *id = sc_new_id(c, "rec-");
    double now = sc_now(c);
    /* a change of properties is done when asked: no job carries it out */
    bool done = !strcmp(type, "UPDATE_PROVISIONED_PRODUCT_PROPERTIES");
    bool provisioning = !done && strcmp(type, "EXECUTE_PROVISIONED_PRODUCT_SERVICE_ACTION");
    cJSON *rec = cJSON_CreateObject();
    cJSON_AddStringToObject(rec, "RecordId", id);
    cJSON_AddStringToObject(rec, "ProvisionedProductName", jx_str(pp, "Name"));
    cJSON_AddStringToObject(rec, "Status", done ? "SUCCEEDED" : "CREATED");
    cJSON_AddNumberToObject(rec, "CreatedTime", now);
    cJSON_AddNumberToObject(rec, "UpdatedTime", now);
    cJSON_AddStringToObject(rec, "ProvisionedProductType", "CFN_STACK");
    cJSON_AddStringToObject(rec, "RecordType", type);
    cJSON_AddStringToObject(rec, "ProvisionedProductId", jx_str(pp, "Id"));
    cJSON_AddStringToObject(rec, "ProductId", jx_str(pp, "ProductId"));
    cJSON_AddStringToObject(rec, "ProvisioningArtifactId", jx_str(pp, "ProvisioningArtifactId"));
    if (jx_str(pp, "_PathId"))
        cJSON_AddStringToObject(rec, "PathId",
                                sc_path_id(c, jx_str(pp, "_PathId"), jx_str(pp, "ProductId")));
    cJSON_AddArrayToObject(rec, "RecordErrors");
    const cJSON *tags = cJSON_GetObjectItemCaseSensitive(pp, "_Tags");
    cJSON *rt = cJSON_AddArrayToObject(rec, "RecordTags");
    for (const cJSON *t = tags ? tags->child : NULL; t; t = t->next)
        cJSON_AddItemToArray(rt, cJSON_Duplicate(t, 1));
    if (jx_str(pp, "LaunchRoleArn"))
        cJSON_AddStringToObject(rec, "LaunchRoleArn", jx_str(pp, "LaunchRoleArn"));
    cJSON_AddStringToObject(rec, "_UserArn", c->caller->arn);
    cJSON_AddItemToObject(rec, "_Caller", auth_principal_to_json(c->caller));
    for (cJSON *w = work ? work->child : NULL; w;) { /* a member of the view replaces pp's */
        cJSON *next = w->next;
        jx_set(rec, w->string, cJSON_DetachItemViaPointer(work, w));
        w = next;
    }
    cJSON_Delete(work);
    res_row_t row = {.parent = jx_str(pp, "Id"),
                     .state = done ? "SUCCEEDED" : "CREATED",
                     .created_ms = (int64_t)(now * 1000)};
    err_t rc = res_insert(c->tx, &(res_key_t){c->scope, SC_RECORD, id}, &row, rec, c->eb);
    char payload[256];
    snprintf(payload, sizeof(payload), "{\"record\":\"%s\",\"account\":\"%s\",\"region\":\"%s\"}",
             id, c->account, c->region);
    if (!rc && !done)
        rc = engine_enqueue(c->tx, &c->app->ids, SC_JOB, payload, clk_now_ms(&c->app->clock),
                            SC_ATTEMPTS, NULL, c->eb);
    if (!rc) {
        jx_set(pp, "LastRecordId", cJSON_CreateString(id));
        if (provisioning) jx_set(pp, "LastProvisioningRecordId", cJSON_CreateString(id));
        cJSON_AddItemToObject(c->out, "RecordDetail", sc_record_view(rec));
        if (!done) c->post |= API_POST_WAKE_ENGINE;
        if (record_id) *record_id = id;
    }
    cJSON_Delete(rec);
    return rc;
}

err_t sc_describe_record(api_ctx_t *c)
{
    cJSON *rec = NULL, *pp = NULL;
    err_t rc = sc_get(c, SC_RECORD, api_in_str(c, "Id"), "Record", &rec);
    if (rc) return rc;
    /* the caller must be able to see its provisioned product (or, once that is gone, have
     * made the record): a previous owner no longer reads its records */
    const char *owner = jx_str(rec, "_UserArn");
    cJSON *live = NULL;
    if (c->caller->kind != AUTH_ROOT)
        rc = sc_find(c, SC_PP, jx_str(rec, "ProvisionedProductId"), &live);
    bool gone = !live;
    cJSON_Delete(live);
    if (!rc && c->caller->kind != AUTH_ROOT && (!gone || !owner || strcmp(owner, c->caller->arn))) {
        rc = sc_pp_find(c, jx_str(rec, "ProvisionedProductId"), NULL, &pp);
        cJSON_Delete(pp);
        if (rc == ERR_SC_NOT_FOUND)
            rc = err_fail(c->eb, ERR_SC_NOT_FOUND, "Record %s not found.", jx_str(rec, "RecordId"));
    }
    if (!rc) {
        cJSON_AddItemToObject(c->out, "RecordDetail", sc_record_view(rec));
        const cJSON *outs = cJSON_GetObjectItemCaseSensitive(rec, "_Outputs");
        cJSON_AddItemToObject(c->out, "RecordOutputs",
                              outs ? cJSON_Duplicate(outs, 1) : cJSON_CreateArray());
    }
    cJSON_Delete(rec);
    return rc;
}

/* Does the caller's access level (AccessLevelFilter: User by default) cover a record or
 * provisioned product made by user_arn? */
static bool sc_level_covers(api_ctx_t *c, const char *user_arn)
{
    const cJSON *alf = cJSON_GetObjectItemCaseSensitive(c->in, "AccessLevelFilter");
    const char *key = jx_str(alf, "Key");
    if (key && !strcmp(key, "Account")) return true;
    if (!user_arn) return false;
    if (key && !strcmp(key, "Role") && c->caller->kind == AUTH_ROLE_SESSION) {
        char prefix[400];
        snprintf(prefix, sizeof(prefix), "arn:aws:sts::%s:assumed-role/%s/", c->caller->account,
                 c->caller->name);
        return !strncmp(user_arn, prefix, strlen(prefix));
    }
    return !strcmp(user_arn, c->caller->arn);
}

/* ListRecordHistory's filters that SQL does not apply: the access level and
 * SearchFilter product (ctx: c). */
static err_t sc_record_keep(void *ctx, const cJSON *r, const res_pkey_t *k, bool *keep)
{
    (void)k;
    api_ctx_t *c = ctx;
    const cJSON *sf = cJSON_GetObjectItemCaseSensitive(c->in, "SearchFilter");
    const char *fkey = jx_str(sf, "Key"), *fval = jx_str(sf, "Value");
    const char *product = jx_str(r, "ProductId");
    *keep = (c->caller->kind == AUTH_ROOT || sc_level_covers(c, jx_str(r, "_UserArn"))) &&
            !(fkey && fval && !strcmp(fkey, "product") && (!product || strcmp(product, fval)));
    return ERR_OK;
}

err_t sc_list_record_history(api_ctx_t *c)
{
    res_page_t p;
    err_t rc = sc_page_in(c, &p, NULL);
    if (rc) return rc;
    /* newest first; SearchFilter provisionedproduct is the records' parent */
    const cJSON *sf = cJSON_GetObjectItemCaseSensitive(c->in, "SearchFilter");
    const char *fkey = jx_str(sf, "Key"), *fval = jx_str(sf, "Value");
    bool by_pp = fkey && fval && !strcmp(fkey, "provisionedproduct");
    res_query_t q = {c->scope, SC_RECORD, by_pp ? fval : NULL, 0, 0};
    cJSON *page = cJSON_CreateArray();
    p.desc = true;
    /* a level that covers the caller's records alone reads them through the owner's keys */
    const char *level = jx_str(cJSON_GetObjectItemCaseSensitive(c->in, "AccessLevelFilter"), "Key");
    bool own = c->caller->kind != AUTH_ROOT && !(level && !strcmp(level, "Account")) &&
               !(level && !strcmp(level, "Role") && c->caller->kind == AUTH_ROLE_SESSION);
    if (own && !by_pp) {
        res_keyed_t k = {q.account, q.kind, NULL, SC_KEY_OWNER, c->caller->arn, false};
        rc = res_keyed_page(c->tx, &k, &p, sc_record_keep, c, page, c->eb);
    } else {
        rc = res_list_page(c->tx, &q, &p, sc_record_keep, c, page, c->eb);
    }
    cJSON *list = cJSON_AddArrayToObject(c->out, "RecordDetails");
    for (cJSON *r = page->child; r; r = r->next) cJSON_AddItemToArray(list, sc_record_view(r));
    cJSON_Delete(page);
    if (!rc) sc_page_out(c, &p);
    return rc;
}

/* ---- the record job */

typedef struct rjob {
    engine_run_t *r;
    app_t *app;
    app_where_t where; /* the record's account and region */
    store_tx_t *tx;
    sc_env_t env;
    cJSON *rec, *pp;
    double now;
} rjob_t;

/* The principal provisioning work runs as: the launch role, or the caller. */
static err_t rjob_principal(rjob_t *j, auth_principal_t *as, char *why, size_t cap, bool *refused)
{
    *refused = false;
    const char *role = jx_str(j->pp, "LaunchRoleArn");
    if (!role) {
        if (!auth_principal_from_json_in(cJSON_GetObjectItemCaseSensitive(j->rec, "_Caller"),
                                         j->where.region, as))
            return err_fail(j->r->eb, ERR_INTERNAL, "record without a caller");
        return ERR_OK;
    }
    *refused = !sc_launch_as(&j->env, role, jx_str(j->rec, "RecordId"), as, why, cap);
    return ERR_OK;
}

cJSON *sc_cfn_params(const cJSON *given)
{
    cJSON *ps = cJSON_CreateArray();
    for (const cJSON *p = given ? given->child : NULL; p; p = p->next) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "ParameterKey", jx_str(p, "Key"));
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(p, "UsePreviousValue")))
            cJSON_AddBoolToObject(e, "UsePreviousValue", true);
        else
            cJSON_AddStringToObject(e, "ParameterValue",
                                    jx_str(p, "Value") ? jx_str(p, "Value") : "");
        cJSON_AddItemToArray(ps, e);
    }
    return ps;
}

static void rjob_fail(rjob_t *j, const char *why, const char *pp_status)
{
    sc_record_end(j->rec, "FAILED", why, j->now);
    if (pp_status) {
        jx_set(j->pp, "Status", cJSON_CreateString(pp_status));
        cJSON_DeleteItemFromObjectCaseSensitive(j->pp, "StatusMessage");
        cJSON_AddStringToObject(j->pp, "StatusMessage", why);
    }
    engine_done(j->r);
}

/* Starts the stack operation of a provision/update/terminate record. */
static err_t rjob_start(rjob_t *j)
{
    const char *type = jx_str(j->rec, "RecordType");
    char why[1400];
    auth_principal_t as;
    bool refused;
    err_t rc = rjob_principal(j, &as, why, sizeof(why), &refused);
    if (rc) return rc;
    if (refused) {
        rjob_fail(j, why, !strcmp(type, "PROVISION_PRODUCT") ? "ERROR" : "TAINTED");
        return ERR_OK;
    }
    cJSON *in = cJSON_CreateObject(), *out = NULL;
    const char *op, *plan = jx_str(j->rec, "_ChangeSet");
    if (plan) { /* a plan's record: its change set, made when the plan was */
        op = "ExecuteChangeSet";
        cJSON_AddStringToObject(in, "ChangeSetName", plan);
    } else if (!strcmp(type, "TERMINATE_PROVISIONED_PRODUCT")) {
        op = "DeleteStack";
        cJSON_AddStringToObject(in, "StackName", jx_str(j->pp, "_Stack"));
    } else {
        op = !strcmp(type, "PROVISION_PRODUCT") ? "CreateStack" : "UpdateStack";
        cJSON_AddStringToObject(in, "StackName",
                                !strcmp(op, "CreateStack") ? jx_str(j->rec, "_StackName")
                                                           : jx_str(j->pp, "_Stack"));
        cJSON_AddStringToObject(in, "TemplateBody", jx_str(j->rec, "_Template"));
        cJSON_AddItemToObject(in, "Parameters",
                              sc_cfn_params(cJSON_GetObjectItemCaseSensitive(j->rec, "_Params")));
        const cJSON *tags = cJSON_GetObjectItemCaseSensitive(j->rec, "_StackTags");
        if (tags) cJSON_AddItemToObject(in, "Tags", cJSON_Duplicate(tags, 1));
        /* as Service Catalog does: a product's IAM resources are acknowledged for the user */
        cJSON *caps = cJSON_AddArrayToObject(in, "Capabilities");
        cJSON_AddItemToArray(caps, cJSON_CreateString("CAPABILITY_IAM"));
        cJSON_AddItemToArray(caps, cJSON_CreateString("CAPABILITY_NAMED_IAM"));
        cJSON_AddItemToArray(caps, cJSON_CreateString("CAPABILITY_AUTO_EXPAND"));
    }
    bool retain = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j->rec, "_Retain"));
    rc = retain ? ERR_OK : sc_call(&j->env, &as, "cloudformation", op, in, &out, why, sizeof(why));
    cJSON_Delete(in);
    if (rc == ERR_VALIDATION && strstr(why, "No updates are to be performed"))
        rc = ERR_OK, retain = true;
    if (rc) {
        cJSON_Delete(out);
        bool ignore = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j->rec, "_IgnoreErrors"));
        if (!strcmp(op, "DeleteStack") && ignore) {
            retain = true;
        } else {
            rjob_fail(j, why, !strcmp(type, "PROVISION_PRODUCT") ? "ERROR" : "TAINTED");
            return ERR_OK;
        }
    }
    if (!strcmp(op, "CreateStack")) {
        cJSON_DeleteItemFromObjectCaseSensitive(j->pp, "_Stack");
        cJSON_AddStringToObject(j->pp, "_Stack", jx_str(out, "StackId"));
    }
    cJSON_Delete(out);
    jx_set(j->rec, "Status", cJSON_CreateString("IN_PROGRESS"));
    jx_set(j->rec, "UpdatedTime", cJSON_CreateNumber(j->now));
    cJSON_DeleteItemFromObjectCaseSensitive(j->rec, "_Phase");
    cJSON_AddStringToObject(j->rec, "_Phase", retain ? "done" : "wait");
    if (!retain) {
        rc = engine_watch(j->tx, arena_printf(j->r->arena, "cfn.stack:%s", jx_str(j->pp, "_Stack")),
                          j->r->job_id, j->r->eb);
        if (rc) return rc;
    }
    engine_again(j->r, j->r->payload, clk_now_ms(&j->app->clock) + (retain ? 0 : SC_POLL_MS));
    return ERR_OK;
}

/* Follows the stack until its operation settles. */
static err_t rjob_wait(rjob_t *j)
{
    const char *type = jx_str(j->rec, "RecordType");
    auth_principal_t svc;
    cJSON *in = cJSON_CreateObject(), *out = NULL;
    cJSON_AddStringToObject(in, "StackName", jx_str(j->pp, "_Stack"));
    char why[1400];
    const char *phase = jx_str(j->rec, "_Phase");
    err_t rc = strcmp(phase, "done")
                   ? sc_call(&j->env, sc_service_principal(&j->env, &svc), "cloudformation",
                             "DescribeStacks", in, &out, why, sizeof(why))
                   : ERR_OK;
    cJSON_Delete(in);
    if (rc) {
        rjob_fail(j, "Internal failure", "ERROR");
        return ERR_OK;
    }
    const cJSON *stack = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(out, "Stacks"), 0);
    const char *st = strcmp(phase, "done") ? jx_str(stack, "StackStatus") : "DONE";
    const char *reason = jx_str(stack, "StackStatusReason");
    bool terminate = !strcmp(type, "TERMINATE_PROVISIONED_PRODUCT");
    /* an import takes the stack as it is, in any of the states ImportAsProvisionedProduct
     * accepted */
    bool imported = !strcmp(type, "IMPORT_PROVISIONED_PRODUCT") &&
                    (!strcmp(st, "UPDATE_ROLLBACK_COMPLETE") || !strcmp(st, "IMPORT_COMPLETE") ||
                     !strcmp(st, "IMPORT_ROLLBACK_COMPLETE"));
    if (!strcmp(st, "CREATE_COMPLETE") || !strcmp(st, "UPDATE_COMPLETE") ||
        !strcmp(st, "DELETE_COMPLETE") || !strcmp(st, "DONE") || imported) {
        sc_record_end(j->rec, "SUCCEEDED", NULL, j->now);
        const cJSON *outs = cJSON_GetObjectItemCaseSensitive(stack, "Outputs");
        for (const cJSON *o = outs ? outs->child : NULL; o; o = o->next)
            sc_record_output(j->rec, jx_str(o, "OutputKey"), jx_str(o, "OutputValue"),
                             jx_str(o, "Description"));
        if (stack)
            jx_set(j->pp, "_Outputs",
                   cJSON_Duplicate(
                       outs ? outs : cJSON_GetObjectItemCaseSensitive(j->rec, "_Outputs"), 1));
        jx_set(j->pp, "Status", cJSON_CreateString(terminate ? "TERMINATED" : "AVAILABLE"));
        cJSON_DeleteItemFromObjectCaseSensitive(j->pp, "StatusMessage");
        jx_set(j->pp, "LastSuccessfulProvisioningRecordId",
               cJSON_CreateString(jx_str(j->rec, "RecordId")));
        if (!strcmp(type, "UPDATE_PROVISIONED_PRODUCT")) {
            jx_set(j->pp, "ProvisioningArtifactId",
                   cJSON_CreateString(jx_str(j->rec, "ProvisioningArtifactId")));
            jx_set(j->pp, "_Params",
                   cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(j->rec, "_Params"), 1));
        }
        engine_done(j->r);
    } else if (!strcmp(st, "ROLLBACK_COMPLETE") || !strcmp(st, "CREATE_FAILED") ||
               !strcmp(st, "ROLLBACK_FAILED") || !strcmp(st, "DELETE_FAILED")) {
        rjob_fail(j, reason ? reason : st, "ERROR");
    } else if (!strcmp(st, "UPDATE_ROLLBACK_COMPLETE") || !strcmp(st, "UPDATE_ROLLBACK_FAILED")) {
        rjob_fail(j, reason ? reason : st, "TAINTED");
    } else {
        /* the stack wakes the record when it settles; the poll is a fallback */
        err_t wr =
            engine_watch(j->tx, arena_printf(j->r->arena, "cfn.stack:%s", jx_str(stack, "StackId")),
                         j->r->job_id, j->r->eb);
        if (wr) {
            cJSON_Delete(out);
            return wr;
        }
        engine_again(j->r, j->r->payload, clk_now_ms(&j->app->clock) + SC_POLL_MS);
    }
    cJSON_Delete(out);
    return ERR_OK;
}

/* One step of a record's work on j (record and provisioned product loaded): dispatch by
 * type and phase, then save both. */
static err_t sc_record_work(rjob_t *j)
{
    engine_run_t *r = j->r;
    err_t rc = ERR_OK;
    const char *type = jx_str(j->rec, "RecordType");
    if (!strcmp(type, "EXECUTE_PROVISIONED_PRODUCT_SERVICE_ACTION")) {
        int64_t again = -1;
        bool finished = false;
        rc = sc_execute_step(&j->env, r->job_id, j->rec, j->pp, &again, &finished, r->eb);
        if (!rc && finished)
            engine_done(r);
        else if (!rc)
            engine_again(r, r->payload, again);
    } else if (!jx_str(j->rec, "_Phase")) {
        rc = rjob_start(j);
    } else {
        rc = rjob_wait(j);
    }
    return rc;
}

/* Saves the record, and the provisioned product (deleted once TERMINATED). */
static err_t sc_record_save(rjob_t *j)
{
    app_t *app = j->app;
    err_t rc =
        res_update(j->tx, &(res_key_t){j->where.scope, SC_RECORD, jx_str(j->rec, "RecordId")},
                   jx_str(j->rec, "Status"), clk_now_ms(&app->clock), j->rec, NULL, j->r->eb);
    if (!rc && j->pp) {
        const char *pst = jx_str(j->pp, "Status");
        res_key_t k = {j->where.scope, SC_PP, jx_str(j->pp, "Id")};
        if (pst && !strcmp(pst, "TERMINATED"))
            rc = res_delete(j->tx, &k, NULL, j->r->eb);
        else
            rc = res_update(j->tx, &k, pst, clk_now_ms(&app->clock), j->pp, NULL, j->r->eb);
    }
    return rc;
}

/* Loads the record and its provisioned product (NULL when gone). */
static err_t sc_record_load(rjob_t *j, const char *id)
{
    err_t rc = res_get(j->tx, &(res_key_t){j->where.scope, SC_RECORD, id}, &j->rec, j->r->eb);
    if (!rc && j->rec)
        rc = res_get(j->tx,
                     &(res_key_t){j->where.scope, SC_PP, jx_str(j->rec, "ProvisionedProductId")},
                     &j->pp, j->r->eb);
    return rc;
}

/* Ends record id FAILED with why (read afresh in the job's transaction, so nothing the
 * failing work wrote is kept): its provisioned product goes back to what it was before an
 * EXECUTE record, or to ERROR (provision) / TAINTED (update, terminate). A record already
 * over, or gone, is left alone. */
static err_t rjob_close(rjob_t *j, const char *id, const char *why)
{
    cJSON_Delete(j->rec);
    cJSON_Delete(j->pp);
    j->rec = j->pp = NULL;
    err_t rc = sc_record_load(j, id);
    const char *status = j->rec ? jx_str(j->rec, "Status") : NULL;
    if (rc || !j->rec || !strcmp(status, "SUCCEEDED") || !strcmp(status, "FAILED")) return rc;
    const char *type = jx_str(j->rec, "RecordType");
    bool execute = !strcmp(type, "EXECUTE_PROVISIONED_PRODUCT_SERVICE_ACTION");
    sc_record_end(j->rec, "FAILED", why, j->now);
    if (j->pp) {
        const char *prior = jx_str(j->rec, "_PriorStatus");
        jx_set_str(j->pp, "Status",
                   execute                              ? (prior && *prior ? prior : "AVAILABLE")
                   : !strcmp(type, "PROVISION_PRODUCT") ? "ERROR"
                                                        : "TAINTED");
    }
    return sc_record_save(j);
}

/* The record job's state for one step or give-up of run r; false when the payload names
 * no record. */
static bool rjob_init(engine_run_t *r, rjob_t *j, char *id, size_t cap, err_t *rc)
{
    app_t *app = r->app;
    *j = (rjob_t){.r = r, .app = app, .now = (double)clk_now_ms(&app->clock) / 1000.0};
    cJSON *p = cJSON_Parse(r->payload);
    snprintf(id, cap, "%s", jx_str(p, "record") ? jx_str(p, "record") : "");
    cJSON_Delete(p);
    j->tx = engine_tx(r, rc);
    app_where_of(app, r->payload, &j->where);
    j->env = (sc_env_t){app,           j->tx, &r->post, r->arena, j->where.account, j->where.region,
                        j->where.scope};
    return j->tx && id[0];
}

static err_t sc_record_step(engine_run_t *r)
{
    rjob_t j;
    char id[128];
    err_t rc;
    if (!rjob_init(r, &j, id, sizeof(id), &rc)) {
        if (!j.tx) return rc;
        engine_fail(r);
        return err_fail(r->eb, ERR_INTERNAL, "malformed record job");
    }
    rc = sc_record_load(&j, id);
    const char *status = j.rec ? jx_str(j.rec, "Status") : NULL;
    if (rc || !j.rec || !strcmp(status, "SUCCEEDED") || !strcmp(status, "FAILED")) {
        cJSON_Delete(j.rec);
        cJSON_Delete(j.pp);
        engine_done(r);
        return rc;
    }
    if (!j.pp) {
        sc_record_end(j.rec, "FAILED", "Internal failure", j.now);
        engine_done(r);
        rc = sc_record_save(&j);
    } else {
        rc = sc_record_work(&j);
        if (!rc) rc = sc_record_save(&j);
    }
    cJSON_Delete(j.pp);
    cJSON_Delete(j.rec);
    return rc;
}

/* The record job is set aside: its step failed inside catalogd SC_ATTEMPTS times (the
 * engine rolled each back and logged the error), stopped the process each time it ran,
 * or could not start. The record ends FAILED "Internal failure: ..." with the reason, and
 * the provisioned product as rjob_close says: a record never hangs. */
static err_t sc_record_giveup(engine_run_t *r, const char *why)
{
    rjob_t j;
    char id[128];
    err_t rc;
    if (!rjob_init(r, &j, id, sizeof(id), &rc)) return j.tx ? ERR_OK : rc;
    rc = rjob_close(
        &j, id,
        arena_printf(r->arena, "Internal failure: the record's work %s and was set aside.", why));
    cJSON_Delete(j.pp);
    cJSON_Delete(j.rec);
    return rc;
}

void sc_register_jobs(app_t *app)
{
    engine_register(app->engine, SC_JOB, sc_record_step, SC_ATTEMPTS, sc_record_giveup);
    /* a step begins with engine_tx (rjob_init) and reads only through it: it may share a
     * batch's transaction */
    engine_batchable(app->engine, SC_JOB);
}
