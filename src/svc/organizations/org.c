/* org.c - the Organizations operations: CreateOrganization, DescribeOrganization,
 * CreateAccount (asynchronous: a job makes the account), DescribeCreateAccountStatus,
 * ListCreateAccountStatus, DescribeAccount, ListAccounts. catalogd keeps at most one
 * organization, whose management account is the configured default account. */
#include "svc/organizations/org_int.h"

#include "api/gen/ops_gen.h"
#include "core/clk.h"
#include "core/jx.h"
#include "core/log.h"
#include "res/res.h"

#include <stdio.h>
#include <string.h>

#define ORG_NOT_IN_USE_MSG "Your account is not a member of an organization."
#define ORG_DENIED_MSG     "You don't have permissions to access this resource."

/* The caller's organization: its account's record and the organization's into *acct and
 * *org (both the caller's to free). ERR_ORG_NOT_IN_USE when its account belongs to none;
 * with management, ERR_ACCESS_DENIED unless it is the management account (member accounts
 * may only describe the organization). */
static err_t org_of_caller(api_ctx_t *c, bool management, cJSON **acct, cJSON **org)
{
    *acct = *org = NULL;
    err_t rc = res_get(c->tx, &(res_key_t){ORG_PART, ORG_K_ACCOUNT, c->account}, acct, c->eb);
    const char *org_id = jx_str(*acct, "_Organization");
    if (!rc && org_id) rc = res_get(c->tx, &(res_key_t){ORG_PART, ORG_K_ORG, org_id}, org, c->eb);
    if (!rc && !*org) rc = err_fail(c->eb, ERR_ORG_NOT_IN_USE, ORG_NOT_IN_USE_MSG);
    if (!rc && management && !jx_true(*acct, "_Management"))
        rc = err_fail(c->eb, ERR_ACCESS_DENIED, ORG_DENIED_MSG);
    return rc;
}

/* An account record as the API's Account shape, added to parent (array: appended). */
static void org_put_account(cJSON *parent, const char *name, const cJSON *a)
{
    cJSON *o = cJSON_Duplicate(a, true);
    jx_drop_internal(o);
    if (cJSON_IsArray(parent))
        cJSON_AddItemToArray(parent, o);
    else
        cJSON_AddItemToObject(parent, name, o);
}

err_t org_create_organization(api_ctx_t *c)
{
    cJSON *acct = NULL, *org = NULL;
    err_t rc = org_of_caller(c, false, &acct, &org);
    if (rc == ERR_ORG_NOT_IN_USE) rc = ERR_OK;
    if (!rc && org)
        rc = err_fail(c->eb, ERR_ORG_ALREADY_IN_ORGANIZATION,
                      "The AWS account is already a member of an organization.");
    /* one organization per catalogd: only its management account may create it */
    if (!rc && !jx_true(acct, "_Management"))
        rc = err_fail(c->eb, ERR_ACCESS_DENIED, ORG_DENIED_MSG);
    const char *features = api_in_str(c, "FeatureSet");
    int64_t now = clk_now_ms(&c->app->wall);
    char id[16], arn[160], mgmt_arn[160];
    ids_chars(&c->app->ids, "o-", IDS_LOWER_ALNUM, 10, id);
    snprintf(arn, sizeof(arn), "arn:aws:organizations::%s:organization/%s", c->account, id);
    snprintf(mgmt_arn, sizeof(mgmt_arn), "arn:aws:organizations::%s:account/%s/%s", c->account, id,
             c->account);
    if (!rc) {
        org = cJSON_CreateObject();
        jx_set_str(org, "Id", id);
        jx_set_str(org, "Arn", arn);
        jx_set_str(org, "FeatureSet", features ? features : "ALL");
        jx_set_str(org, "MasterAccountArn", mgmt_arn);
        jx_set_str(org, "MasterAccountId", c->account);
        jx_set_str(org, "MasterAccountEmail", jx_str(acct, "Email"));
        jx_set(org, "AvailablePolicyTypes", cJSON_CreateArray()); /* no policies here */
        res_row_t row = {.created_ms = now, .updated_ms = now};
        rc = res_insert(c->tx, &(res_key_t){ORG_PART, ORG_K_ORG, id}, &row, org, c->eb);
    }
    if (!rc) { /* the management account joins its organization */
        jx_set_str(acct, "Arn", mgmt_arn);
        jx_set_str(acct, "JoinedMethod", "INVITED");
        jx_set_num(acct, "JoinedTimestamp", (double)now / 1000.0);
        jx_set_str(acct, "_Organization", id);
        bool found = false;
        rc = res_update(c->tx, &(res_key_t){ORG_PART, ORG_K_ACCOUNT, c->account}, NULL, now, acct,
                        &found, c->eb);
    }
    if (!rc) cJSON_AddItemToObject(c->out, "Organization", cJSON_Duplicate(org, true));
    cJSON_Delete(acct);
    cJSON_Delete(org);
    return rc;
}

err_t org_describe_organization(api_ctx_t *c)
{
    cJSON *acct = NULL, *org = NULL;
    err_t rc = org_of_caller(c, false, &acct, &org);
    if (!rc) {
        cJSON_AddItemToObject(c->out, "Organization", org);
        org = NULL;
    }
    cJSON_Delete(acct);
    cJSON_Delete(org);
    return rc;
}

/* ---- CreateAccount and its status */

/* A create-account status as the API shows it, added to parent. */
static void org_put_status(cJSON *parent, const char *name, const cJSON *s)
{
    org_put_account(parent, name, s); /* the same: a copy without the internal members */
}

err_t org_create_account(api_ctx_t *c)
{
    cJSON *acct = NULL, *org = NULL;
    err_t rc = org_of_caller(c, true, &acct, &org);
    const char *role = api_in_str(c, "RoleName");
    int64_t now = clk_now_ms(&c->app->wall);
    char id[40];
    ids_chars(&c->app->ids, "car-", IDS_LOWER_ALNUM, 32, id);
    cJSON *s = cJSON_CreateObject();
    jx_set_str(s, "Id", id);
    jx_set_str(s, "AccountName", api_in_str(c, "AccountName"));
    jx_set_str(s, "State", "IN_PROGRESS");
    jx_set_num(s, "RequestedTimestamp", (double)now / 1000.0);
    jx_set_str(s, "_Email", api_in_str(c, "Email"));
    jx_set_str(s, "_RoleName", role ? role : "OrganizationAccountAccessRole");
    jx_set_str(s, "_Organization", jx_str(org, "Id"));
    jx_set_str(s, "_Region", c->region); /* where the job's calls act (IAM is global) */
    res_row_t row = {.state = "IN_PROGRESS", .created_ms = now, .updated_ms = now};
    if (!rc) rc = res_insert(c->tx, &(res_key_t){ORG_PART, ORG_K_CAR, id}, &row, s, c->eb);
    char payload[80];
    snprintf(payload, sizeof(payload), "{\"car\":\"%s\"}", id);
    if (!rc) rc = engine_enqueue(c->tx, &c->app->ids, ORG_JOB, payload, now, 5, NULL, c->eb);
    if (!rc) {
        c->post |= API_POST_WAKE_ENGINE;
        org_put_status(c->out, "CreateAccountStatus", s);
    }
    cJSON_Delete(s);
    cJSON_Delete(acct);
    cJSON_Delete(org);
    return rc;
}

err_t org_describe_create_account_status(api_ctx_t *c)
{
    cJSON *acct = NULL, *org = NULL, *s = NULL;
    err_t rc = org_of_caller(c, true, &acct, &org);
    const char *id = api_in_str(c, "CreateAccountRequestId");
    if (!rc) rc = res_get(c->tx, &(res_key_t){ORG_PART, ORG_K_CAR, id}, &s, c->eb);
    if (!rc && (!s || strcmp(jx_str(s, "_Organization"), jx_str(org, "Id"))))
        rc = err_fail(c->eb, ERR_ORG_CREATE_STATUS_NOT_FOUND,
                      "We can't find an create account request with the CreateAccountRequestId "
                      "that you specified.");
    if (!rc) org_put_status(c->out, "CreateAccountStatus", s);
    cJSON_Delete(s);
    cJSON_Delete(acct);
    cJSON_Delete(org);
    return rc;
}

/* Paging by key for the list calls: MaxResults (default and at most 20) a page. */
static err_t org_page(api_ctx_t *c, res_page_t *p)
{
    if (!res_page_begin(p, c->op->action, api_in_int(c, "MaxResults", 20), false,
                        api_in_str(c, "NextToken")))
        return err_fail(c->eb, ERR_ORG_INVALID_INPUT, "The specified NextToken is invalid.");
    return ERR_OK;
}

typedef struct org_filter {
    const char *org_id;
    const cJSON *states; /* ListCreateAccountStatus' States, or NULL */
} org_filter_t;

/* Keeps the rows of the caller's organization (and, given States, of those states). */
static err_t org_keep(void *ctx, const cJSON *body, const res_pkey_t *k, bool *keep)
{
    (void)k;
    const org_filter_t *f = ctx;
    const char *org = jx_str(body, "_Organization");
    *keep = org && !strcmp(org, f->org_id);
    if (*keep && cJSON_GetArraySize(f->states)) {
        bool in = false;
        for (const cJSON *v = f->states->child; v && !in; v = v->next)
            in = cJSON_IsString(v) && !strcmp(v->valuestring, jx_str(body, "State"));
        *keep = in;
    }
    return ERR_OK;
}

/* Lists kind's rows of the caller's organization under member, without their internal
 * members. */
static err_t org_list(api_ctx_t *c, const char *kind, const char *member, const cJSON *states)
{
    cJSON *acct = NULL, *org = NULL;
    res_page_t p;
    err_t rc = org_of_caller(c, true, &acct, &org);
    if (!rc) rc = org_page(c, &p);
    org_filter_t f = {jx_str(org, "Id"), states};
    cJSON *list = cJSON_AddArrayToObject(c->out, member);
    res_query_t q = {ORG_PART, kind, NULL, 0, 0};
    if (!rc) rc = res_list_page(c->tx, &q, &p, org_keep, &f, list, c->eb);
    for (cJSON *o = list->child; !rc && o; o = o->next) jx_drop_internal(o);
    if (!rc) res_page_out(&p, c->out, "NextToken");
    cJSON_Delete(acct);
    cJSON_Delete(org);
    return rc;
}

err_t org_list_create_account_status(api_ctx_t *c)
{
    return org_list(c, ORG_K_CAR, "CreateAccountStatuses",
                    cJSON_GetObjectItemCaseSensitive(c->in, "States"));
}

err_t org_list_accounts(api_ctx_t *c)
{
    return org_list(c, ORG_K_ACCOUNT, "Accounts", NULL);
}

err_t org_describe_account(api_ctx_t *c)
{
    cJSON *acct = NULL, *org = NULL, *a = NULL;
    err_t rc = org_of_caller(c, true, &acct, &org);
    const char *id = api_in_str(c, "AccountId");
    if (!rc) rc = res_get(c->tx, &(res_key_t){ORG_PART, ORG_K_ACCOUNT, id}, &a, c->eb);
    const char *in = jx_str(a, "_Organization");
    if (!rc && (!in || strcmp(in, jx_str(org, "Id"))))
        rc = err_fail(c->eb, ERR_ORG_ACCOUNT_NOT_FOUND,
                      "You specified an account that doesn't "
                      "exist.");
    if (!rc) org_put_account(c->out, "Account", a);
    cJSON_Delete(a);
    cJSON_Delete(acct);
    cJSON_Delete(org);
    return rc;
}

/* ---- the job that makes the account */

/* Sets status s (a stored create-account status) to state, with the new account's id or
 * the failure reason, and saves it in tx. */
static err_t org_finish(store_tx_t *tx, cJSON *s, const char *state, const char *account,
                        const char *reason, int64_t now, errbuf_t *eb)
{
    jx_set_str(s, "State", state);
    jx_set_num(s, "CompletedTimestamp", (double)now / 1000.0);
    if (account) jx_set_str(s, "AccountId", account);
    if (reason) jx_set_str(s, "FailureReason", reason);
    bool found = false;
    return res_update(tx, &(res_key_t){ORG_PART, ORG_K_CAR, jx_str(s, "Id")}, state, now, s, &found,
                      eb);
}

/* In the new account, as its root user: the role the management account assumes to
 * administer it (trusting the management account, with AdministratorAccess), as AWS makes
 * it. */
static err_t org_access_role(engine_run_t *r, store_tx_t *tx, const char *account,
                             const char *region, const char *role, const char *management)
{
    auth_principal_t root = {.kind = AUTH_ROOT};
    snprintf(root.account, sizeof(root.account), "%s", account);
    snprintf(root.region, sizeof(root.region), "%s", region);
    snprintf(root.arn, sizeof(root.arn), "arn:aws:iam::%s:root", account);
    snprintf(root.user_id, sizeof(root.user_id), "%s", account);
    snprintf(root.name, sizeof(root.name), "root");
    snprintf(root.path, sizeof(root.path), "/");
    char trust[400];
    snprintf(trust, sizeof(trust),
             "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":"
             "{\"AWS\":\"arn:aws:iam::%s:root\"},\"Action\":\"sts:AssumeRole\"}]}",
             management);
    cJSON *in = cJSON_CreateObject(), *out = NULL;
    jx_set_str(in, "RoleName", role);
    jx_set_str(in, "AssumeRolePolicyDocument", trust);
    err_t rc = api_client_call_tx(r->app, tx, &r->post, r->arena, &root, "iam", "CreateRole", in,
                                  &out, r->eb);
    cJSON_Delete(in);
    cJSON_Delete(out);
    out = NULL;
    in = cJSON_CreateObject();
    jx_set_str(in, "RoleName", role);
    jx_set_str(in, "PolicyArn", "arn:aws:iam::aws:policy/AdministratorAccess");
    if (!rc)
        rc = api_client_call_tx(r->app, tx, &r->post, r->arena, &root, "iam", "AttachRolePolicy",
                                in, &out, r->eb);
    cJSON_Delete(in);
    cJSON_Delete(out);
    return rc;
}

/* One step: the account of create-account request {"car": id} is made (its record, root
 * key and access role) or the request fails (EMAIL_ALREADY_EXISTS), in one transaction. */
static err_t org_create_step(engine_run_t *r)
{
    app_t *app = r->app;
    cJSON *p = cJSON_Parse(r->payload), *s = NULL, *dup = NULL, *org = NULL;
    err_t rc = ERR_OK;
    store_tx_t *tx = engine_tx(r, &rc);
    const char *id = jx_str(p, "car");
    if (!rc && !id) {
        engine_fail(r);
        rc = err_fail(r->eb, ERR_INTERNAL, "malformed create-account job");
    }
    if (!rc) rc = res_get(tx, &(res_key_t){ORG_PART, ORG_K_CAR, id}, &s, r->eb);
    bool pending = !rc && s && !strcmp(jx_str(s, "State"), "IN_PROGRESS");
    const char *org_id = jx_str(s, "_Organization");
    if (pending) rc = res_get(tx, &(res_key_t){ORG_PART, ORG_K_ORG, org_id}, &org, r->eb);
    if (pending && !rc) rc = org_account_by_email(tx, jx_str(s, "_Email"), &dup, r->eb);
    int64_t now = clk_now_ms(&app->wall);
    if (pending && !rc && (dup || !org)) {
        rc = org_finish(tx, s, "FAILED", NULL, dup ? "EMAIL_ALREADY_EXISTS" : "INTERNAL_FAILURE",
                        now, r->eb);
        pending = false;
    }
    org_new_account_t made;
    const char *mgmt = jx_str(org, "MasterAccountId");
    org_account_spec_t spec = {.name = jx_str(s, "AccountName"),
                               .email = jx_str(s, "_Email"),
                               .org_id = org_id,
                               .management = mgmt};
    if (pending && !rc) rc = org_account_add(tx, app->keys, &app->ids, &spec, now, &made, r->eb);
    if (pending && !rc)
        rc = org_access_role(r, tx, made.id, jx_str(s, "_Region"), jx_str(s, "_RoleName"), mgmt);
    if (pending && !rc) rc = org_finish(tx, s, "SUCCEEDED", made.id, NULL, now, r->eb);
    if (pending && !rc)
        log_info("account created", "\"account\":\"%s\",\"request\":\"%s\"", made.id, id);
    if (pending) explicit_bzero(made.secret, sizeof(made.secret)); /* shown to nobody */
    cJSON_Delete(p);
    cJSON_Delete(s);
    cJSON_Delete(dup);
    cJSON_Delete(org);
    return rc;
}

/* Give-up: the request fails with INTERNAL_FAILURE (nothing of the account was kept: its
 * step rolled back). */
static err_t org_create_giveup(engine_run_t *r, const char *why)
{
    cJSON *p = cJSON_Parse(r->payload), *s = NULL;
    err_t rc = ERR_OK;
    store_tx_t *tx = engine_tx(r, &rc);
    const char *id = jx_str(p, "car");
    if (!rc && id) rc = res_get(tx, &(res_key_t){ORG_PART, ORG_K_CAR, id}, &s, r->eb);
    if (!rc && s && !strcmp(jx_str(s, "State"), "IN_PROGRESS")) {
        char em[600];
        log_warn("account not created", "\"request\":\"%s\",\"why\":\"%s\"", id,
                 log_escape(em, sizeof(em), why));
        rc = org_finish(tx, s, "FAILED", NULL, "INTERNAL_FAILURE", r->now_ms, r->eb);
    }
    cJSON_Delete(p);
    cJSON_Delete(s);
    return rc;
}

void org_register_jobs(app_t *app)
{
    engine_register(app->engine, ORG_JOB, org_create_step, 5, org_create_giveup);
}
