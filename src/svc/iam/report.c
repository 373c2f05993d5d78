/* report.c - credential reports: GenerateCredentialReport writes the report (AWS's CSV:
 * the root account's row, then one per IAM user, with passwords, access keys and their
 * last use, signing certificates) and GetCredentialReport hands it out base64-encoded, as
 * the blob it is. A report counts as fresh for four hours: Generate within them answers
 * COMPLETE and keeps it; after them Get answers ReportExpired and Generate makes a new one. */
#include "svc/iam/iam_int.h"
#include "core/jx.h"

#include "core/buf.h"
#include "core/enc.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define IAM_REPORT   "iam.credential_report" /* id = "report" */
#define REPORT_FRESH (4 * 3600 * 1000LL)
#define REPORT_HEADER                                                                              \
    "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,"       \
    "password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,"             \
    "access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,"    \
    "access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,"                   \
    "access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,"                  \
    "cert_1_last_rotated,cert_2_active,cert_2_last_rotated\n"

/* The number member m of o (timestamps are seconds with a fraction), 0 when absent. */
static double num_of(const cJSON *o, const char *m)
{
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(o, m);
    return cJSON_IsNumber(n) ? n->valuedouble : 0;
}

/* A time in the report's form, "2024-05-01T12:00:00+00:00", in the request arena. */
static const char *report_time(api_ctx_t *c, int64_t ms)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    char out[40];
    strftime(out, sizeof(out), "%Y-%m-%dT%H:%M:%S+00:00", &tm);
    return arena_strdup(c->arena, out);
}

/* The access-key columns of principal (kind "root" or "user"): two keys, oldest first. */
static err_t report_keys(api_ctx_t *c, const char *kind, const char *principal, buf_t *b)
{
    store_stmt_t *st;
    err_t rc = store_query(c->tx, c->eb, &st,
                           "SELECT status, created_ms, last_used_ms, last_used_region,"
                           " last_used_service FROM access_keys WHERE account_id = ? AND kind = ?"
                           " AND principal = ? ORDER BY created_ms, access_key_id LIMIT 2",
                           "sss", c->account, kind, principal);
    bool row = false;
    int n = 0;
    while (!rc && !(rc = store_step(st, &row, c->eb)) && row) {
        bool used = !store_col_null(st, 2);
        buf_printf(b, ",%s,%s,%s,%s,%s",
                   !strcmp(store_col_text(st, 0), "Active") ? "true" : "false",
                   report_time(c, store_col_int(st, 1)),
                   used ? report_time(c, store_col_int(st, 2)) : "N/A",
                   used && store_col_text(st, 3) ? store_col_text(st, 3) : "N/A",
                   used && store_col_text(st, 4) ? store_col_text(st, 4) : "N/A");
        n++;
    }
    for (; n < 2; n++) buf_adds(b, ",false,N/A,N/A,N/A,N/A");
    return rc;
}

/* The signing-certificate columns of owner ("root" or a UserId): two, oldest first. */
static err_t report_certs(api_ctx_t *c, const char *owner, buf_t *b)
{
    cJSON *certs = cJSON_CreateArray();
    bool more;
    res_query_t q = {c->account, IAM_SIGNING_CERT, owner, 0, 2};
    err_t rc = res_list(c->tx, &q, certs, &more, c->eb);
    int n = 0;
    for (const cJSON *e = certs->child; e; e = e->next, n++)
        buf_printf(b, ",%s,%s", !strcmp(jx_str(e, "Status"), "Active") ? "true" : "false",
                   report_time(c, (int64_t)(num_of(e, "UploadDate") * 1000)));
    for (; n < 2; n++) buf_adds(b, ",false,N/A");
    cJSON_Delete(certs);
    return rc;
}

/* One user's row. max_age: the password policy's MaxPasswordAge in days (0: none). */
static err_t report_user(api_ctx_t *c, const cJSON *u, int64_t max_age, buf_t *b)
{
    const char *id = jx_str(u, "UserId");
    cJSON *lp = NULL;
    err_t rc = res_get(c->tx, &(res_key_t){c->account, IAM_LOGIN, id}, &lp, c->eb);
    buf_printf(b, "%s,%s,%s", jx_str(u, "UserName"), jx_str(u, "Arn"),
               report_time(c, (int64_t)(num_of(u, "CreateDate") * 1000)));
    if (lp) {
        double changed = num_of(lp, "PasswordChanged");
        if (changed == 0) changed = num_of(lp, "CreateDate");
        int64_t ms = (int64_t)(changed * 1000);
        buf_printf(b, ",true,no_information,%s,%s", report_time(c, ms),
                   max_age ? report_time(c, ms + max_age * 86400000LL) : "N/A");
    } else {
        buf_adds(b, ",false,N/A,N/A,N/A");
    }
    buf_adds(b, ",false");
    cJSON_Delete(lp);
    if (!rc) rc = report_keys(c, "user", id, b);
    if (!rc) rc = report_certs(c, id, b);
    buf_adds(b, "\n");
    return rc;
}

/* Writes a new report as of now. */
static err_t report_make(api_ctx_t *c, int64_t now)
{
    buf_t b;
    buf_init(&b, 64 * 1024 * 1024);
    buf_adds(&b, REPORT_HEADER);
    /* the root: created with the account's first key, password sign-in not offered */
    store_stmt_t *st;
    bool row = false;
    err_t rc = store_query(c->tx, c->eb, &st,
                           "SELECT MIN(created_ms) FROM access_keys WHERE account_id = ? AND"
                           " kind = 'root'",
                           "s", c->account);
    if (!rc) rc = store_step(st, &row, c->eb);
    int64_t root_ms = row && !store_col_null(st, 0) ? store_col_int(st, 0) : now;
    if (!rc && row) rc = store_step(st, &row, c->eb);
    buf_printf(&b,
               "<root_account>,arn:aws:iam::%s:root,%s,not_supported,no_information,"
               "not_supported,not_supported,false",
               c->account, report_time(c, root_ms));
    if (!rc) rc = report_keys(c, "root", "root", &b);
    if (!rc) rc = report_certs(c, "root", &b);
    buf_adds(&b, "\n");
    cJSON *pp = NULL;
    if (!rc)
        rc = res_get(c->tx, &(res_key_t){c->account, "iam.password_policy", "policy"}, &pp, c->eb);
    int64_t max_age = (int64_t)num_of(pp, "MaxPasswordAge");
    cJSON_Delete(pp);
    cJSON *users = cJSON_CreateArray();
    bool more;
    res_query_t q = {c->account, IAM_USER, NULL, 0, 0};
    if (!rc) rc = res_list(c->tx, &q, users, &more, c->eb);
    for (const cJSON *u = users->child; !rc && u; u = u->next) rc = report_user(c, u, max_age, &b);
    cJSON_Delete(users);
    buf_t enc;
    buf_init(&enc, 128 * 1024 * 1024);
    if (!rc && !enc_base64(&enc, b.p, b.len))
        rc = err_fail(c->eb, ERR_INTERNAL, "credential report too large");
    cJSON *body = cJSON_CreateObject();
    cJSON_AddNumberToObject(body, "GeneratedTime", (double)now / 1000.0);
    cJSON_AddStringToObject(body, "Content", rc ? "" : buf_str(&enc));
    if (!rc) rc = iam_put_setting(c, IAM_REPORT, "report", body);
    cJSON_Delete(body);
    buf_free(&enc);
    buf_free(&b);
    return rc;
}

err_t iam_generate_credential_report(api_ctx_t *c)
{
    int64_t now = (int64_t)(iam_now(c) * 1000);
    cJSON *r = NULL;
    err_t rc = res_get(c->tx, &(res_key_t){c->account, IAM_REPORT, "report"}, &r, c->eb);
    bool fresh = r && now - (int64_t)(num_of(r, "GeneratedTime") * 1000) < REPORT_FRESH;
    cJSON_Delete(r);
    if (!rc && !fresh) rc = report_make(c, now);
    if (rc) return rc;
    cJSON_AddStringToObject(c->out, "State", fresh ? "COMPLETE" : "STARTED");
    cJSON_AddStringToObject(c->out, "Description",
                            fresh ? "Report generation complete"
                                  : "No report exists. Starting a new report generation task");
    return ERR_OK;
}

err_t iam_get_credential_report(api_ctx_t *c)
{
    cJSON *r = NULL;
    err_t rc = res_get(c->tx, &(res_key_t){c->account, IAM_REPORT, "report"}, &r, c->eb);
    if (rc) return rc;
    if (!r)
        return err_fail(c->eb, ERR_IAM_REPORT_NOT_PRESENT,
                        "Credential report does not exist. Use GenerateCredentialReport to "
                        "generate a report.");
    int64_t at = (int64_t)(num_of(r, "GeneratedTime") * 1000);
    if ((int64_t)(iam_now(c) * 1000) - at >= REPORT_FRESH) {
        cJSON_Delete(r);
        return err_fail(c->eb, ERR_IAM_REPORT_EXPIRED,
                        "The credential report has expired. Use GenerateCredentialReport to "
                        "generate a new report.");
    }
    cJSON_AddStringToObject(c->out, "Content", jx_str(r, "Content"));
    cJSON_AddStringToObject(c->out, "ReportFormat", "text/csv");
    cJSON_AddNumberToObject(c->out, "GeneratedTime", num_of(r, "GeneratedTime"));
    cJSON_Delete(r);
    return ERR_OK;
}
