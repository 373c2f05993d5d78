/* accesskeys.c - IAM access keys: CreateAccessKey, ListAccessKeys, UpdateAccessKey,
 * DeleteAccessKey, GetAccessKeyLastUsed. Keys live in the access_keys table (auth/keys.h)
 * with their secrets sealed; a user's key rows name the user by UserId. */
#include "svc/iam/iam_int.h"
#include "core/jx.h"

#include "auth/keys.h"
#include "core/clk.h"

#include <stdio.h>
#include <string.h>

#define IAM_MAX_KEYS 2

/* The user a key call is about: UserName, else the calling user; root when the root
 * calls without a name (*user stays NULL, *principal is "root"). */
static err_t key_owner(api_ctx_t *c, cJSON **user, const char **kind, const char **principal)
{
    const char *name = api_in_str(c, "UserName");
    *user = NULL;
    if (!name && c->caller->kind == AUTH_ROOT) {
        *kind = "root";
        *principal = "root";
        return ERR_OK;
    }
    if (!name && c->caller->kind != AUTH_USER)
        return err_fail(c->eb, ERR_VALIDATION,
                        "Must specify userName when calling with non-User credentials");
    err_t rc = iam_find(c, "user", name ? name : c->caller->name, user);
    if (!rc) {
        *kind = "user";
        *principal = arena_strdup(c->arena, jx_str(*user, "UserId"));
    }
    return rc;
}

err_t iam_create_access_key(api_ctx_t *c)
{
    cJSON *user = NULL;
    const char *kind = NULL, *principal = NULL;
    err_t rc = key_owner(c, &user, &kind, &principal);
    if (rc) return rc;
    store_stmt_t *st;
    bool row = false;
    rc = store_query(
        c->tx, c->eb, &st,
        "SELECT COUNT(*) FROM access_keys WHERE account_id = ? AND kind = ? AND principal = ?",
        "sss", c->account, kind, principal);
    if (!rc) rc = store_step(st, &row, c->eb);
    int64_t n = row ? store_col_int(st, 0) : 0;
    if (!rc && row) rc = store_step(st, &row, c->eb);
    if (!rc && n >= IAM_MAX_KEYS)
        rc = err_fail(c->eb, ERR_IAM_LIMIT_EXCEEDED,
                      "Cannot exceed quota for AccessKeysPerUser: %d", IAM_MAX_KEYS);
    char id[32], secret[64];
    auth_keys_generate(&c->app->ids, "AKIA", id, secret);
    int64_t now = clk_now_ms(&c->app->clock);
    if (!rc)
        rc =
            auth_keys_insert(c->app->keys, c->tx, id, secret, kind, principal, NULL, 0, now, c->eb);
    if (!rc) {
        cJSON *k = cJSON_AddObjectToObject(c->out, "AccessKey");
        cJSON_AddStringToObject(k, "UserName", user ? jx_str(user, "UserName") : "root");
        cJSON_AddStringToObject(k, "AccessKeyId", id);
        cJSON_AddStringToObject(k, "Status", "Active");
        cJSON_AddStringToObject(k, "SecretAccessKey", secret);
        cJSON_AddNumberToObject(k, "CreateDate", (double)now / 1000.0);
    }
    cJSON_Delete(user);
    return rc;
}

err_t iam_list_access_keys(api_ctx_t *c)
{
    res_page_t p;
    cJSON *user = NULL;
    const char *kind = NULL, *principal = NULL;
    err_t rc = iam_page_in(c, &p);
    if (!rc) rc = key_owner(c, &user, &kind, &principal);
    if (rc) return rc;
    store_stmt_t *st;
    rc =
        store_query(c->tx, c->eb, &st,
                    "SELECT access_key_id, status, created_ms FROM access_keys WHERE account_id = ?"
                    " AND kind = ? AND principal = ? AND (created_ms, access_key_id) > (?, ?)"
                    " ORDER BY created_ms, access_key_id",
                    "sssis", c->account, kind, principal, p.after ? p.from.n : INT64_MIN,
                    p.after && p.from.id ? p.from.id : "");
    cJSON *list = cJSON_AddArrayToObject(c->out, "AccessKeyMetadata");
    bool row;
    while (!rc && !(rc = store_step(st, &row, c->eb)) && row) {
        res_pkey_t key = {.n = store_col_int(st, 2), .id = store_col_text(st, 0)};
        if (res_page_offer(&p, &key) == RES_PAGE_FULL) break;
        cJSON *k = cJSON_CreateObject();
        cJSON_AddStringToObject(k, "UserName", user ? jx_str(user, "UserName") : "root");
        cJSON_AddStringToObject(k, "AccessKeyId", store_col_text(st, 0));
        cJSON_AddStringToObject(k, "Status", store_col_text(st, 1));
        cJSON_AddNumberToObject(k, "CreateDate", (double)store_col_int(st, 2) / 1000.0);
        cJSON_AddItemToArray(list, k);
    }
    cJSON_Delete(user);
    if (!rc) iam_page_out(c, &p);
    return rc;
}

/* Runs sql (binding status?, account, id, kind, principal) on the caller's key. */
static err_t key_change(api_ctx_t *c, const char *status)
{
    cJSON *user = NULL;
    const char *kind = NULL, *principal = NULL;
    const char *id = api_in_str(c, "AccessKeyId");
    err_t rc = key_owner(c, &user, &kind, &principal);
    cJSON_Delete(user);
    if (rc) return rc;
    int64_t n = 0;
    if (status)
        rc = store_exec(
            c->tx, c->eb, &n,
            "UPDATE access_keys SET status = ? WHERE account_id = ? AND access_key_id = ?"
            " AND kind = ? AND principal = ?",
            "sssss", status, c->account, id, kind, principal);
    else
        rc = store_exec(
            c->tx, c->eb, &n,
            "DELETE FROM access_keys WHERE account_id = ? AND access_key_id = ? AND kind = ?"
            " AND principal = ?",
            "ssss", c->account, id, kind, principal);
    if (!rc && n == 0)
        rc = err_fail(c->eb, ERR_IAM_NO_SUCH_ENTITY, "The Access Key with id %s cannot be found.",
                      id);
    if (!rc) c->post |= API_POST_AUTH_CHANGED;
    return rc;
}

err_t iam_update_access_key(api_ctx_t *c)
{
    return key_change(c, api_in_str(c, "Status"));
}

err_t iam_delete_access_key(api_ctx_t *c)
{
    return key_change(c, NULL);
}

err_t iam_get_access_key_last_used(api_ctx_t *c)
{
    const char *id = api_in_str(c, "AccessKeyId");
    store_stmt_t *st;
    bool row = false;
    err_t rc =
        store_query(c->tx, c->eb, &st,
                    "SELECT kind, principal, last_used_ms, last_used_service, last_used_region"
                    " FROM access_keys WHERE account_id = ? AND access_key_id = ?",
                    "ss", c->account, id);
    if (!rc) rc = store_step(st, &row, c->eb);
    if (!rc && !row)
        return err_fail(c->eb, ERR_IAM_NO_SUCH_ENTITY, "The Access Key with id %s cannot be found.",
                        id);
    if (rc) return rc;
    const char *kind = arena_strdup(c->arena, store_col_text(st, 0));
    const char *principal = arena_strdup(c->arena, store_col_text(st, 1));
    /* the store has a use at most a minute old; this process may know a later one */
    int64_t used_ms = store_col_null(st, 2) ? 0 : store_col_int(st, 2), mem_ms = 0;
    char service[32], region[32], mem_service[32], mem_region[32];
    snprintf(service, sizeof(service), "%s", used_ms ? store_col_text(st, 3) : "N/A");
    snprintf(region, sizeof(region), "%s", used_ms ? store_col_text(st, 4) : "N/A");
    if (auth_keys_last_use(c->app->keys, id, &mem_ms, mem_service, mem_region) &&
        mem_ms > used_ms) {
        used_ms = mem_ms;
        memcpy(service, mem_service, sizeof(service));
        memcpy(region, mem_region, sizeof(region));
    }
    cJSON *lu = cJSON_AddObjectToObject(c->out, "AccessKeyLastUsed");
    if (used_ms) /* AWS leaves the date out for a key never used */
        cJSON_AddNumberToObject(lu, "LastUsedDate", (double)used_ms / 1000.0);
    cJSON_AddStringToObject(lu, "ServiceName", service);
    cJSON_AddStringToObject(lu, "Region", region);
    rc = store_step(st, &row, c->eb);
    if (!rc && !strcmp(kind, "user")) {
        cJSON *u = NULL;
        rc = res_get(c->tx, &(res_key_t){c->account, IAM_USER, principal}, &u, c->eb);
        if (u) cJSON_AddStringToObject(c->out, "UserName", jx_str(u, "UserName"));
        cJSON_Delete(u);
    }
    return rc;
}
