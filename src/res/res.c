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
    return rc;
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
    return rc;
}

err_t res_delete(store_tx_t *tx, const res_key_t *k, bool *found, errbuf_t *eb)
{
    int64_t n = 0;
    err_t rc =
        store_exec(tx, eb, &n, "DELETE FROM resources WHERE account = ? AND kind = ? AND id = ?",
                   "sss", k->account, k->kind, k->id);
    if (found) *found = n > 0;
    return rc;
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
    int64_t limit = q->limit > 0 ? q->limit + 1 : -1; /* one extra row tells about "more" */
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

void res_page_token(int64_t offset, char out[64])
{
    char plain[40];
    int n = snprintf(plain, sizeof(plain), "catalogd:%lld", (long long)offset);
    buf_t b;
    buf_init(&b, 63);
    enc_base64(&b, plain, (size_t)n);
    snprintf(out, 64, "%s", buf_str(&b));
    buf_free(&b);
}

void res_page_out(cJSON *out, const char *member, bool more, int64_t next_offset)
{
    if (!more) return;
    char t[64];
    res_page_token(next_offset, t);
    cJSON_AddStringToObject(out, member, t);
}

bool res_page_offset(const char *token, int64_t *offset)
{
    buf_t b;
    buf_init(&b, 64);
    bool ok = token && strlen(token) < 64 && enc_base64_decode(&b, span_of(token)) &&
              span_starts_with(buf_span(&b), SPAN_LIT("catalogd:"));
    if (ok) {
        char *end;
        long long v = strtoll(buf_str(&b) + 9, &end, 10);
        ok = *end == '\0' && end != buf_str(&b) + 9 && v >= 0;
        if (ok) *offset = v;
    }
    buf_free(&b);
    return ok;
}
