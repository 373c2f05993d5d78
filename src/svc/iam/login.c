/* login.c - console passwords: Create/Get/Update/DeleteLoginProfile. Passwords are kept
 * only as Argon2id hashes (the console's sign-in checks them with iam_login_verify). */
#include "svc/iam/iam_int.h"
#include "core/jx.h"

#include <argon2.h>
#include <string.h>

#define LOGIN_T_COST  2
#define LOGIN_M_COST  19456 /* KiB */
#define LOGIN_MIN_LEN 8

static err_t login_hash(api_ctx_t *c, const char *password, char out[128])
{
    if (strlen(password) < LOGIN_MIN_LEN)
        return err_fail(c->eb, ERR_IAM_PASSWORD_POLICY,
                        "Password should have a minimum length of %d", LOGIN_MIN_LEN);
    unsigned char salt[16];
    c->app->ids.fill(&c->app->ids, salt, sizeof(salt));
    int rc = argon2id_hash_encoded(LOGIN_T_COST, LOGIN_M_COST, 1, password, strlen(password), salt,
                                   sizeof(salt), 32, out, 128);
    if (rc != ARGON2_OK)
        return err_fail(c->eb, ERR_INTERNAL, "argon2: %s", argon2_error_message(rc));
    return ERR_OK;
}

static res_key_t login_key(api_ctx_t *c, const cJSON *user)
{
    return (res_key_t){c->account, IAM_LOGIN, jx_str(user, "UserId")};
}

err_t iam_create_login_profile(api_ctx_t *c)
{
    cJSON *u = NULL, *lp = NULL;
    err_t rc = iam_find(c, "user", api_in_str(c, "UserName"), &u);
    if (!rc) {
        res_key_t k = login_key(c, u);
        rc = res_get(c->tx, &k, &lp, c->eb);
    }
    if (!rc && lp)
        rc = err_fail(c->eb, ERR_IAM_ALREADY_EXISTS, "Login Profile for user %s already exists.",
                      jx_str(u, "UserName"));
    char hash[128];
    if (!rc) rc = login_hash(c, api_in_str(c, "Password"), hash);
    if (!rc) {
        bool reset = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c->in, "PasswordResetRequired"));
        cJSON *body = cJSON_CreateObject();
        cJSON_AddStringToObject(body, "UserName", jx_str(u, "UserName"));
        cJSON_AddNumberToObject(body, "CreateDate", iam_now(c));
        cJSON_AddBoolToObject(body, "PasswordResetRequired", reset);
        cJSON_AddStringToObject(body, "PasswordHash", hash);
        res_key_t k = login_key(c, u);
        res_row_t row = {.created_ms = (int64_t)(iam_now(c) * 1000)};
        rc = res_insert(c->tx, &k, &row, body, c->eb);
        cJSON_DeleteItemFromObjectCaseSensitive(body, "PasswordHash");
        if (!rc)
            cJSON_AddItemToObject(c->out, "LoginProfile", body);
        else
            cJSON_Delete(body);
    }
    cJSON_Delete(lp);
    cJSON_Delete(u);
    return rc;
}

/* Loads the user and their login profile (NoSuchEntity in IAM's words when absent). */
static err_t login_load(api_ctx_t *c, cJSON **u, cJSON **lp)
{
    err_t rc = iam_find(c, "user", api_in_str(c, "UserName"), u);
    if (!rc) {
        res_key_t k = login_key(c, *u);
        rc = res_get(c->tx, &k, lp, c->eb);
    }
    if (!rc && !*lp)
        rc = err_fail(c->eb, ERR_IAM_NO_SUCH_ENTITY, "Login Profile for User %s cannot be found.",
                      api_in_str(c, "UserName"));
    return rc;
}

err_t iam_get_login_profile(api_ctx_t *c)
{
    cJSON *u = NULL, *lp = NULL;
    err_t rc = login_load(c, &u, &lp);
    if (!rc) {
        cJSON_DeleteItemFromObjectCaseSensitive(lp, "PasswordHash");
        cJSON_AddItemToObject(c->out, "LoginProfile", lp);
        lp = NULL;
    }
    cJSON_Delete(lp);
    cJSON_Delete(u);
    return rc;
}

err_t iam_update_login_profile(api_ctx_t *c)
{
    cJSON *u = NULL, *lp = NULL;
    err_t rc = login_load(c, &u, &lp);
    const char *pw = api_in_str(c, "Password");
    char hash[128];
    if (!rc && pw) {
        rc = login_hash(c, pw, hash);
        if (!rc) jx_set(lp, "PasswordHash", cJSON_CreateString(hash));
    }
    const cJSON *reset = cJSON_GetObjectItemCaseSensitive(c->in, "PasswordResetRequired");
    if (!rc && cJSON_IsBool(reset))
        jx_set(lp, "PasswordResetRequired", cJSON_CreateBool(cJSON_IsTrue(reset)));
    if (!rc) {
        res_key_t k = login_key(c, u);
        rc = res_update(c->tx, &k, NULL, (int64_t)(iam_now(c) * 1000), lp, NULL, c->eb);
    }
    cJSON_Delete(lp);
    cJSON_Delete(u);
    return rc;
}

err_t iam_delete_login_profile(api_ctx_t *c)
{
    cJSON *u = NULL, *lp = NULL;
    err_t rc = login_load(c, &u, &lp);
    if (!rc) {
        res_key_t k = login_key(c, u);
        rc = res_delete(c->tx, &k, NULL, c->eb);
    }
    cJSON_Delete(lp);
    cJSON_Delete(u);
    return rc;
}
