/* svccreds.c - service-specific credentials (a user name and password for CodeCommit's
 * HTTPS Git, Amazon Keyspaces, Bedrock): Create/List/Reset/Update/
 * DeleteServiceSpecificCredential. The password is shown once, when made or reset, and not
 * kept: nothing in catalogd signs in with it. Also SetSecurityTokenServicePreferences,
 * whose choice GetAccountSummary reports. */
#include "svc/iam/iam_int.h"
#include "core/jx.h"

#include "core/buf.h"
#include "core/enc.h"
#include "core/ids.h"

#include <string.h>

#define IAM_SVC_CRED_MAX 2 /* per user and service */

static bool svc_supported(const char *service)
{
    static const char *const ok[] = {"codecommit.amazonaws.com", "cassandra.amazonaws.com",
                                     "bedrock.amazonaws.com"};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        if (!strcmp(ok[i], service)) return true;
    return false;
}

static err_t svc_not_supported(api_ctx_t *c)
{
    return err_fail(c->eb, ERR_IAM_SERVICE_NOT_SUPPORTED,
                    "The specified service is not supported.");
}

/* A new password into out: 32 random bytes, base64 (44 characters). */
static void svc_password(api_ctx_t *c, buf_t *out)
{
    unsigned char raw[32];
    c->app->ids.fill(&c->app->ids, raw, sizeof(raw));
    enc_base64(out, raw, sizeof(raw));
}

err_t iam_create_service_specific_credential(api_ctx_t *c)
{
    const char *service = api_in_str(c, "ServiceName");
    cJSON *u = NULL;
    err_t rc = iam_find(c, "user", api_in_str(c, "UserName"), &u);
    if (!rc && !svc_supported(service)) rc = svc_not_supported(c);
    cJSON *all = cJSON_CreateArray();
    bool more;
    if (!rc)
        rc = res_list(c->tx, &(res_query_t){c->account, IAM_SVC_CRED, jx_str(u, "UserId"), 0, 0},
                      all, &more, c->eb);
    int n = 0;
    for (const cJSON *e = all->child; e; e = e->next)
        n += !strcmp(jx_str(e, "ServiceName"), service);
    cJSON_Delete(all);
    if (!rc && n >= IAM_SVC_CRED_MAX)
        rc = err_fail(c->eb, ERR_IAM_LIMIT_EXCEEDED,
                      "Cannot exceed quota for ServiceSpecificCredentialsPerUserPerService: %d",
                      IAM_SVC_CRED_MAX);
    if (rc) {
        cJSON_Delete(u);
        return rc;
    }
    char id[32];
    iam_new_id(c, "ACCA", id);
    cJSON *b = cJSON_CreateObject();
    cJSON_AddNumberToObject(b, "CreateDate", iam_now(c));
    cJSON_AddStringToObject(b, "ServiceName", service);
    cJSON_AddStringToObject(b, "ServiceUserName",
                            arena_printf(c->arena, "%s-at-%s", jx_str(u, "UserName"), c->account));
    cJSON_AddStringToObject(b, "ServiceSpecificCredentialId", id);
    cJSON_AddStringToObject(b, "UserName", jx_str(u, "UserName"));
    cJSON_AddStringToObject(b, "Status", "Active");
    res_row_t row = {.parent = jx_str(u, "UserId"), .created_ms = (int64_t)(iam_now(c) * 1000)};
    rc = res_insert(c->tx, &(res_key_t){c->account, IAM_SVC_CRED, id}, &row, b, c->eb);
    buf_t pw;
    buf_init(&pw, 128);
    svc_password(c, &pw);
    cJSON_AddStringToObject(b, "ServicePassword", buf_str(&pw));
    buf_free(&pw);
    if (!rc)
        cJSON_AddItemToObject(c->out, "ServiceSpecificCredential", b);
    else
        cJSON_Delete(b);
    cJSON_Delete(u);
    return rc;
}

/* The user the request names (UserName, else the calling IAM user). */
static err_t svc_user(api_ctx_t *c, cJSON **u)
{
    const char *kind = NULL, *owner = NULL;
    err_t rc = iam_key_owner(c, u, &kind, &owner);
    if (!rc && !*u)
        rc = err_fail(c->eb, ERR_VALIDATION,
                      "Must specify userName when calling with non-User credentials");
    return rc;
}

err_t iam_list_service_specific_credentials(api_ctx_t *c)
{
    const char *service = api_in_str(c, "ServiceName");
    cJSON *u = NULL;
    err_t rc = svc_user(c, &u);
    if (!rc && service && !svc_supported(service)) rc = svc_not_supported(c);
    cJSON *all = cJSON_CreateArray();
    bool more;
    if (!rc)
        rc = res_list(c->tx, &(res_query_t){c->account, IAM_SVC_CRED, jx_str(u, "UserId"), 0, 0},
                      all, &more, c->eb);
    cJSON *out = cJSON_AddArrayToObject(c->out, "ServiceSpecificCredentials");
    while (!rc && cJSON_GetArraySize(all)) {
        cJSON *e = cJSON_DetachItemFromArray(all, 0);
        if (!service || !strcmp(jx_str(e, "ServiceName"), service))
            cJSON_AddItemToArray(out, e);
        else
            cJSON_Delete(e);
    }
    cJSON_Delete(all);
    cJSON_Delete(u);
    return rc;
}

/* The credential ServiceSpecificCredentialId of the request's user (NoSuchEntity else). */
static err_t svc_find(api_ctx_t *c, cJSON **out)
{
    const char *id = api_in_str(c, "ServiceSpecificCredentialId");
    cJSON *u = NULL;
    err_t rc = svc_user(c, &u);
    if (!rc) rc = res_get(c->tx, &(res_key_t){c->account, IAM_SVC_CRED, id}, out, c->eb);
    if (!rc && *out && strcmp(jx_str(*out, "UserName"), jx_str(u, "UserName"))) {
        cJSON_Delete(*out);
        *out = NULL;
    }
    if (!rc && !*out)
        rc = err_fail(c->eb, ERR_IAM_NO_SUCH_ENTITY, "No such credential %s exists for user %s", id,
                      u ? jx_str(u, "UserName") : "");
    cJSON_Delete(u);
    return rc;
}

err_t iam_reset_service_specific_credential(api_ctx_t *c)
{
    cJSON *b = NULL;
    err_t rc = svc_find(c, &b);
    if (rc) return rc;
    buf_t pw;
    buf_init(&pw, 128);
    svc_password(c, &pw);
    cJSON_AddStringToObject(b, "ServicePassword", buf_str(&pw));
    buf_free(&pw);
    cJSON_AddItemToObject(c->out, "ServiceSpecificCredential", b);
    return ERR_OK;
}

err_t iam_update_service_specific_credential(api_ctx_t *c)
{
    cJSON *b = NULL;
    err_t rc = svc_find(c, &b);
    if (!rc) {
        jx_set_str(b, "Status", api_in_str(c, "Status"));
        res_key_t k = {c->account, IAM_SVC_CRED, jx_str(b, "ServiceSpecificCredentialId")};
        rc = res_update(c->tx, &k, NULL, (int64_t)(iam_now(c) * 1000), b, NULL, c->eb);
    }
    cJSON_Delete(b);
    return rc;
}

err_t iam_delete_service_specific_credential(api_ctx_t *c)
{
    cJSON *b = NULL;
    err_t rc = svc_find(c, &b);
    if (!rc)
        rc = res_delete(
            c->tx, &(res_key_t){c->account, IAM_SVC_CRED, jx_str(b, "ServiceSpecificCredentialId")},
            NULL, c->eb);
    cJSON_Delete(b);
    return rc;
}

/* ---- the STS token version */

#define IAM_STS_PREFS "iam.sts_preferences" /* id = "prefs" */

err_t iam_set_security_token_service_preferences(api_ctx_t *c)
{
    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "GlobalEndpointTokenVersion",
                            api_in_str(c, "GlobalEndpointTokenVersion"));
    err_t rc = iam_put_setting(c, IAM_STS_PREFS, "prefs", b);
    cJSON_Delete(b);
    return rc;
}

err_t iam_token_version(api_ctx_t *c, int *version)
{
    cJSON *b = NULL;
    err_t rc = res_get(c->tx, &(res_key_t){c->account, IAM_STS_PREFS, "prefs"}, &b, c->eb);
    const char *v = jx_str(b, "GlobalEndpointTokenVersion");
    *version = v && !strcmp(v, "v2Token") ? 2 : 1;
    cJSON_Delete(b);
    return rc;
}
