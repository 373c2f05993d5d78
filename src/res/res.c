/* res.c - typed access to the generic resources table. */
#include "res/res.h"

#include "core/buf.h"
#include "core/enc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static err_t res_body_text(const cJSON *body, char **out, errbuf_t *eb)
{
    *out = cJSON_PrintUnformatted(body);
    return *out ? ERR_OK : err_fail(eb, ERR_INTERNAL, "cannot serialise a resource body");
}

/* Adds d to the count of k's partition and kind, when the kind is counted. */
static err_t res_count_add(store_tx_t *tx, const res_key_t *k, int64_t d, errbuf_t *eb)
{
    if (!res_counted(k->kind)) return ERR_OK;
    return store_exec(tx, eb, NULL,
                      "INSERT INTO resource_counts (account, kind, n) VALUES (?, ?, ?)"
                      " ON CONFLICT (account, kind) DO UPDATE SET n = resource_counts.n + ?",
                      "ssii", k->account, k->kind, d, d);
}

err_t res_insert(store_tx_t *tx, const res_key_t *k, const res_row_t *row, const cJSON *body,
                 errbuf_t *eb)
{
    char *text;
    err_t rc = res_body_text(body, &text, eb);
    if (rc) return rc;
    rc = store_exec(tx, eb, NULL,
                    "INSERT INTO resources (account, kind, id, name, parent, state, created_ms,"
                    " updated_ms, body, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?,"
                    " (SELECT COALESCE(MAX(seq), 0) + 1 FROM resources))",
                    "ssssssiis", k->account, k->kind, k->id, row->name, row->parent, row->state,
                    row->created_ms, row->updated_ms ? row->updated_ms : row->created_ms, text);
    cJSON_free(text);
    if (!rc) rc = res_count_add(tx, k, 1, eb);
    return rc ? rc : res_keys_write(tx, k, body, true, eb);
}

err_t res_update(store_tx_t *tx, const res_key_t *k, const char *state, int64_t updated_ms,
                 const cJSON *body, bool *found, errbuf_t *eb)
{
    char *text;
    err_t rc = res_body_text(body, &text, eb);
    if (rc) return rc;
    int64_t n = 0;
    rc = store_exec(tx, eb, &n,
                    "UPDATE resources SET body = ?, state = ?, updated_ms = ? WHERE account = ?"
                    " AND kind = ? AND id = ?",
                    "ssisss", text, state, updated_ms, k->account, k->kind, k->id);
    cJSON_free(text);
    if (found) *found = n > 0;
    return rc || !n ? rc : res_keys_write(tx, k, body, false, eb);
}

err_t res_delete(store_tx_t *tx, const res_key_t *k, bool *found, errbuf_t *eb)
{
    int64_t n = 0;
    err_t rc =
        store_exec(tx, eb, &n, "DELETE FROM resources WHERE account = ? AND kind = ? AND id = ?",
                   "sss", k->account, k->kind, k->id);
    if (found) *found = n > 0;
    if (!rc && n) rc = res_count_add(tx, k, -1, eb);
    return rc || !n ? rc : res_keys_drop(tx, k, eb);
}

static err_t res_get_one(store_stmt_t *st, cJSON **out, errbuf_t *eb)
{
    bool row = false;
    err_t rc = store_step(st, &row, eb);
    *out = NULL;
    if (rc || !row) return rc;
    *out = cJSON_Parse(store_col_text(st, 0));
    rc = store_step(st, &row, eb);
    if (!*out) return err_fail(eb, ERR_INTERNAL, "a stored resource body is not JSON");
    return rc;
}

err_t res_get(store_tx_t *tx, const res_key_t *k, cJSON **out, errbuf_t *eb)
{
    store_stmt_t *st;
    err_t rc = store_query(tx, eb, &st,
                           "SELECT body FROM resources WHERE account = ? AND kind = ? AND id = ?",
                           "sss", k->account, k->kind, k->id);
    return rc ? rc : res_get_one(st, out, eb);
}

err_t res_get_by_name(store_tx_t *tx, const char *account, const char *kind, const char *name,
                      cJSON **out, errbuf_t *eb)
{
    store_stmt_t *st;
    err_t rc = store_query(tx, eb, &st,
                           "SELECT body FROM resources WHERE account = ? AND kind = ? AND name = ?",
                           "sss", account, kind, name);
    return rc ? rc : res_get_one(st, out, eb);
}

err_t res_list(store_tx_t *tx, const res_query_t *q, cJSON *array, bool *more, errbuf_t *eb)
{
    store_stmt_t *st;
    /* one extra row tells about "more"; no limit: the largest (portable: PostgreSQL refuses
     * SQLite's LIMIT -1) */
    int64_t limit = q->limit > 0 ? q->limit + 1 : INT64_MAX;
    err_t rc = q->parent
                   ? store_query(tx, eb, &st,
                                 "SELECT body FROM resources WHERE account = ? AND kind = ?"
                                 " AND parent = ? ORDER BY created_ms, seq, id LIMIT ? OFFSET ?",
                                 "sssii", q->account, q->kind, q->parent, limit, q->offset)
                   : store_query(tx, eb, &st,
                                 "SELECT body FROM resources WHERE account = ? AND kind = ?"
                                 " ORDER BY created_ms, seq, id LIMIT ? OFFSET ?",
                                 "ssii", q->account, q->kind, limit, q->offset);
    bool row;
    int64_t n = 0;
    *more = false;
    while (!rc && !(rc = store_step(st, &row, eb)) && row) {
        if (q->limit > 0 && n == q->limit) {
            *more = true;
            continue;
        }
        cJSON *b = cJSON_Parse(store_col_text(st, 0));
        if (!b)
            rc = err_fail(eb, ERR_INTERNAL, "a stored resource body is not JSON");
        else
            cJSON_AddItemToArray(array, b);
        n++;
    }
    return rc;
}

err_t res_count(store_tx_t *tx, const res_query_t *q, int64_t *n, errbuf_t *eb)
{
    store_stmt_t *st;
    bool row = false;
    err_t rc = res_counted(q->kind)
                   ? store_query(tx, eb, &st,
                                 "SELECT n FROM resource_counts WHERE account = ? AND kind = ?",
                                 "ss", q->account, q->kind)
                   : store_query(tx, eb, &st,
                                 "SELECT COUNT(*) FROM resources WHERE account = ? AND kind = ?",
                                 "ss", q->account, q->kind);
    if (!rc) rc = store_step(st, &row, eb);
    *n = !rc && row ? store_col_int(st, 0) : 0;
    return rc;
}
