/* common.c - helpers shared by the IAM handlers. */
#include "svc/iam/iam_int.h"
#include "core/jx.h"

#include "core/clk.h"
#include "core/ids.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

const char *iam_kind(const char *type)
{
    if (!strcmp(type, "user")) return IAM_USER;
    if (!strcmp(type, "group")) return IAM_GROUP;
    return IAM_ROLE;
}

const char *iam_fold(api_ctx_t *c, const char *name)
{
    char *s = arena_strdup(c->arena, name);
    for (char *p = s; *p; p++) *p = (char)tolower((unsigned char)*p);
    return s;
}

err_t iam_find(api_ctx_t *c, const char *type, const char *name, cJSON **out)
{
    err_t rc = res_get_by_name(c->tx, c->account, iam_kind(type), iam_fold(c, name), out, c->eb);
    if (!rc && !*out)
        rc = err_fail(c->eb, ERR_IAM_NO_SUCH_ENTITY, "The %s with name %s cannot be found.", type,
                      name);
    return rc;
}

void iam_new_id(api_ctx_t *c, const char *prefix, char out[32])
{
    ids_chars(&c->app->ids, prefix, IDS_UPPER_ALNUM, 17, out);
}

const char *iam_arn(api_ctx_t *c, const char *type, const char *path, const char *name)
{
    if (!path || !*path) path = "/";
    return arena_printf(c->arena, "arn:aws:iam::%s:%s%s%s", c->account, type, path, name);
}

double iam_now(api_ctx_t *c)
{
    return (double)clk_now_ms(&c->app->clock) / 1000.0;
}

err_t iam_page_in(api_ctx_t *c, res_page_t *p)
{
    if (!res_page_begin(p, c->op->action, api_in_int(c, "MaxItems", 100), false,
                        api_in_str(c, "Marker")))
        return err_fail(c->eb, ERR_IAM_INVALID_INPUT, "Invalid Marker.");
    return ERR_OK;
}

void iam_page_out(api_ctx_t *c, const res_page_t *p)
{
    cJSON_AddBoolToObject(c->out, "IsTruncated", p->more);
    res_page_out(p, c->out, "Marker");
}

err_t iam_keep_path(void *ctx, const cJSON *e, const res_pkey_t *k, bool *keep)
{
    (void)k;
    const char *prefix = api_in_str(ctx, "PathPrefix"), *path = jx_str(e, "Path");
    *keep = !prefix || (path && !strncmp(path, prefix, strlen(prefix)));
    return ERR_OK;
}

err_t iam_links(api_ctx_t *c, const char *kind, bool by_a, const char *key, cJSON *out)
{
    store_stmt_t *st;
    err_t rc = by_a ? store_query(c->tx, c->eb, &st,
                                  "SELECT b FROM links WHERE account = ? AND kind = ? AND a = ?"
                                  " ORDER BY created_ms, seq, b",
                                  "sss", c->account, kind, key)
                    : store_query(c->tx, c->eb, &st,
                                  "SELECT a FROM links WHERE account = ? AND kind = ? AND b = ?"
                                  " ORDER BY created_ms, seq, a",
                                  "sss", c->account, kind, key);
    bool row;
    while (!rc && !(rc = store_step(st, &row, c->eb)) && row)
        cJSON_AddItemToArray(out, cJSON_CreateString(store_col_text(st, 0)));
    return rc;
}

err_t iam_link_add(api_ctx_t *c, const char *kind, const char *a, const char *b, bool *existed)
{
    int64_t n = 0;
    err_t rc =
        store_exec(c->tx, c->eb, &n,
                   "INSERT INTO links (account, kind, a, b, created_ms, seq) VALUES (?, ?, ?, ?, ?,"
                   " (SELECT COALESCE(MAX(seq), 0) + 1 FROM links))"
                   " ON CONFLICT DO NOTHING",
                   "ssssi", c->account, kind, a, b, clk_now_ms(&c->app->clock));
    if (existed) *existed = !rc && n == 0;
    return rc;
}

err_t iam_link_del(api_ctx_t *c, const char *kind, const char *a, const char *b, bool *found)
{
    int64_t n = 0;
    err_t rc = store_exec(c->tx, c->eb, &n,
                          "DELETE FROM links WHERE account = ? AND kind = ? AND a = ? AND b = ?",
                          "ssss", c->account, kind, a, b);
    if (found) *found = n > 0;
    return rc;
}

err_t iam_link_count(api_ctx_t *c, const char *kind, bool by_a, const char *key, int64_t *n)
{
    store_stmt_t *st;
    err_t rc =
        by_a ? store_query(c->tx, c->eb, &st,
                           "SELECT COUNT(*) FROM links WHERE account = ? AND kind = ? AND a = ?",
                           "sss", c->account, kind, key)
             : store_query(c->tx, c->eb, &st,
                           "SELECT COUNT(*) FROM links WHERE account = ? AND kind = ? AND b = ?",
                           "sss", c->account, kind, key);
    bool row = false;
    if (!rc) rc = store_step(st, &row, c->eb);
    *n = row ? store_col_int(st, 0) : 0;
    if (!rc && row) rc = store_step(st, &row, c->eb);
    return rc;
}

/* "User", "Group", "Role" for the member names of type. */
static const char *iam_title(const char *type)
{
    return !strcmp(type, "user") ? "User" : !strcmp(type, "group") ? "Group" : "Role";
}

err_t iam_entity_new(api_ctx_t *c, const char *type, const char *id_prefix, cJSON **out)
{
    const char *title = iam_title(type);
    char member[32];
    snprintf(member, sizeof(member), "%sName", title);
    const char *name = api_in_str(c, member);
    const char *path = api_in_str(c, "Path");
    cJSON *existing = NULL;
    err_t rc =
        res_get_by_name(c->tx, c->account, iam_kind(type), iam_fold(c, name), &existing, c->eb);
    cJSON_Delete(existing);
    if (rc) return rc;
    if (existing)
        return err_fail(c->eb, ERR_IAM_ALREADY_EXISTS, "%s with name %s already exists.", title,
                        name);
    char id[32];
    iam_new_id(c, id_prefix, id);
    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "Path", path ? path : "/");
    cJSON_AddStringToObject(b, member, name);
    snprintf(member, sizeof(member), "%sId", title);
    cJSON_AddStringToObject(b, member, id);
    cJSON_AddStringToObject(b, "Arn", iam_arn(c, type, path, name));
    cJSON_AddNumberToObject(b, "CreateDate", iam_now(c));
    *out = b;
    return ERR_OK;
}

err_t iam_entity_insert(api_ctx_t *c, const char *type, cJSON *body, const char *out_member)
{
    const char *title = iam_title(type);
    char name_m[32], id_m[32];
    snprintf(name_m, sizeof(name_m), "%sName", title);
    snprintf(id_m, sizeof(id_m), "%sId", title);
    res_key_t k = {c->account, iam_kind(type), jx_str(body, id_m)};
    res_row_t row = {.name = iam_fold(c, jx_str(body, name_m)),
                     .created_ms = (int64_t)(iam_now(c) * 1000)};
    err_t rc = res_insert(c->tx, &k, &row, body, c->eb);
    if (!rc && out_member)
        cJSON_AddItemToObject(c->out, out_member, body);
    else
        cJSON_Delete(body);
    return rc;
}

err_t iam_load_ids(api_ctx_t *c, const char *kind, const cJSON *ids, cJSON *out)
{
    err_t rc = ERR_OK;
    for (const cJSON *id = ids->child; !rc && id; id = id->next) {
        cJSON *e = NULL;
        rc = res_get(c->tx, &(res_key_t){c->account, kind, id->valuestring}, &e, c->eb);
        if (e) cJSON_AddItemToArray(out, e);
    }
    return rc;
}

const char *iam_entity_id(const cJSON *e)
{
    const char *id = jx_str(e, "UserId");
    if (!id) id = jx_str(e, "GroupId");
    if (!id) id = jx_str(e, "RoleId");
    return id;
}
