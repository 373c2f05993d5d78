/* keys.c - indexed keys of resources: values a service reads out of a kind's JSON bodies
 * (an owner, a sortable member) kept in `resource_keys` beside the row, written by
 * res_insert / res_update / res_delete, so that lists filter and sort on them in SQL and
 * read only the page they return (docs/internals/store.md). */
#include "res/res.h"

#include "core/buf.h"
#include "core/log.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RES_KEYERS_MAX 64
#define RES_KEY_MAX    4096               /* the longest key value kept (longer ones are cut) */
#define RES_KEYS_MARK  "res_keys.checked" /* meta: "<seq>|<declarations>" of the last pass */

static const res_keyer_t *res_keyers[RES_KEYERS_MAX];
static size_t res_n_keyers;

void res_keys_register(const res_keyer_t *k)
{
    for (size_t i = 0; i < res_n_keyers; i++)
        if (res_keyers[i] == k) return;
    if (res_n_keyers == RES_KEYERS_MAX) abort(); /* a bug: raise RES_KEYERS_MAX */
    res_keyers[res_n_keyers++] = k;
}

static const res_keyer_t *res_keyer_of(const char *kind)
{
    for (size_t i = 0; i < res_n_keyers; i++)
        if (!strcmp(res_keyers[i]->kind, kind)) return res_keyers[i];
    return NULL;
}

bool res_counted(const char *kind)
{
    const res_keyer_t *ky = res_keyer_of(kind);
    return ky && ky->counted;
}

/* Writes every key of resource k (of a keyed kind) from body, replacing any it had
 * (fresh: it has none); the resource row must exist (its created_ms and seq are copied). */
static err_t res_keys_put(store_tx_t *tx, const res_keyer_t *ky, const res_key_t *k,
                          const cJSON *body, bool fresh, errbuf_t *eb)
{
    err_t rc = fresh ? ERR_OK
                     : store_exec(tx, eb, NULL,
                                  "DELETE FROM resource_keys WHERE account = ? AND kind = ? AND"
                                  " id = ?",
                                  "sss", k->account, k->kind, k->id);
    buf_t v;
    buf_init(&v, RES_KEY_MAX);
    for (size_t i = 0; !rc && i < ky->n; i++) {
        buf_reset(&v);
        const res_key_def_t *d = &ky->keys[i];
        const cJSON *m = d->member ? cJSON_GetObjectItemCaseSensitive(body, d->member) : NULL;
        if (cJSON_IsString(m))
            buf_adds(&v, m->valuestring);
        else if (!d->member)
            d->value(body, &v);
        rc = store_exec(tx, eb, NULL,
                        "INSERT INTO resource_keys (account, kind, id, field, value, created_ms,"
                        " seq) SELECT account, kind, id, ?, ?, created_ms, seq FROM resources"
                        " WHERE account = ? AND kind = ? AND id = ?",
                        "sssss", ky->keys[i].field, buf_str(&v), k->account, k->kind, k->id);
    }
    buf_free(&v);
    return rc;
}

err_t res_keys_write(store_tx_t *tx, const res_key_t *k, const cJSON *body, bool fresh,
                     errbuf_t *eb)
{
    const res_keyer_t *ky = res_keyer_of(k->kind);
    return ky ? res_keys_put(tx, ky, k, body, fresh, eb) : ERR_OK;
}

err_t res_keys_drop(store_tx_t *tx, const res_key_t *k, errbuf_t *eb)
{
    if (!res_keyer_of(k->kind)) return ERR_OK;
    return store_exec(tx, eb, NULL,
                      "DELETE FROM resource_keys WHERE account = ? AND kind = ? AND id = ?", "sss",
                      k->account, k->kind, k->id);
}

/* Keys up to 2000 of account's rows of ky's kind that lack its field i, with ids after
 * *from (in id order; advanced to the last one keyed); *n gets how many. */
static err_t res_keys_fill(store_tx_t *tx, const char *account, const res_keyer_t *ky, size_t i,
                           buf_t *from, int64_t *n, errbuf_t *eb)
{
    store_stmt_t *st;
    cJSON *rows = cJSON_CreateArray();
    err_t rc = store_query(tx, eb, &st,
                           "SELECT id, body FROM resources r WHERE account = ? AND kind = ? AND"
                           " id > ? AND NOT EXISTS (SELECT 1 FROM resource_keys k WHERE"
                           " k.account = r.account AND k.kind = r.kind AND k.id = r.id AND"
                           " k.field = ?) ORDER BY id LIMIT 2000",
                           "ssss", account, ky->kind, buf_str(from), ky->keys[i].field);
    bool row;
    while (!rc && !(rc = store_step(st, &row, eb)) && row) {
        cJSON *r = cJSON_CreateArray();
        cJSON_AddItemToArray(r, cJSON_CreateString(store_col_text(st, 0)));
        cJSON *body = cJSON_Parse(store_col_text(st, 1));
        /* a body that is not JSON is keyed as {} (every value ""): reading the row fails
         * later, where it did before, and start-up goes on */
        cJSON_AddItemToArray(r, body ? body : cJSON_CreateObject());
        cJSON_AddItemToArray(rows, r);
    }
    *n = cJSON_GetArraySize(rows);
    for (const cJSON *r = rows->child; !rc && r; r = r->next) {
        const cJSON *body = cJSON_GetArrayItem(r, 1);
        res_key_t k = {account, ky->kind, r->child->valuestring};
        rc = res_keys_put(tx, ky, &k, body, false, eb); /* it may have the others */
        buf_reset(from);
        buf_adds(from, k.id);
    }
    cJSON_Delete(rows);
    return rc;
}

/* The partitions (`account` values: accounts, and "ACCOUNT/REGION" for their regions
 * outside the home one) that hold rows, into out (a JSON array): one index seek each. */
static err_t res_keys_partitions(store_t *s, cJSON *out, errbuf_t *eb)
{
    store_tx_t *tx;
    err_t rc = store_begin(s, false, &tx, eb);
    const char *after = "";
    while (!rc) {
        store_stmt_t *st;
        bool row = false;
        rc = store_query(tx, eb, &st, "SELECT MIN(account) FROM resources WHERE account > ?", "s",
                         after);
        if (!rc) rc = store_step(st, &row, eb);
        if (rc || !row || store_col_null(st, 0)) break;
        cJSON *a = cJSON_CreateString(store_col_text(st, 0));
        cJSON_AddItemToArray(out, a);
        after = a->valuestring;
    }
    store_rollback(tx);
    return rc;
}

/* res_keys_backfill of one partition: every row of every keyed kind is looked at; *keyed
 * (may be NULL) grows by the rows keyed. */
static err_t res_keys_fill_account(store_t *s, const char *account, int64_t *keyed, errbuf_t *eb)
{
    err_t rc = ERR_OK;
    int64_t total = 0;
    for (size_t j = 0; !rc && j < res_n_keyers; j++) {
        for (size_t i = 0; !rc && i < res_keyers[j]->n; i++) {
            int64_t n = 1;
            buf_t from;
            buf_init(&from, RES_KEY_MAX);
            buf_adds(&from, "");
            while (!rc && n > 0) { /* batches, each its own transaction */
                store_tx_t *tx;
                rc = store_begin(s, true, &tx, eb);
                if (rc) break;
                rc = res_keys_fill(tx, account, res_keyers[j], i, &from, &n, eb);
                if (!rc)
                    rc = store_commit(tx, eb);
                else
                    store_rollback(tx);
                total += n;
            }
            buf_free(&from);
        }
    }
    if (!rc && total) log_info("resource keys written", "\"rows\":%" PRId64, total);
    if (keyed) *keyed += total;
    return rc;
}

/* The keys declared now, as text ("kind:field,..."): the mark names the declarations it
 * was taken under, so a new key is written to every row once. */
static void res_keys_signature(buf_t *out)
{
    for (size_t j = 0; j < res_n_keyers; j++)
        for (size_t i = 0; i < res_keyers[j]->n; i++)
            buf_printf(out, "%s:%s,", res_keyers[j]->kind, res_keyers[j]->keys[i].field);
}

/* The mark of the last whole pass: every row with seq <= *seq had its keys under the
 * declarations *sig names (*seq -1 and sig "" when there is none). */
static err_t res_keys_mark_get(store_t *s, int64_t *seq, buf_t *sig, errbuf_t *eb)
{
    store_tx_t *tx;
    store_stmt_t *st;
    bool row = false;
    *seq = -1;
    err_t rc = store_begin(s, false, &tx, eb);
    if (!rc)
        rc = store_query(tx, eb, &st, "SELECT value FROM meta WHERE key = ?", "s", RES_KEYS_MARK);
    if (!rc) rc = store_step(st, &row, eb);
    const char *v = !rc && row ? store_col_text(st, 0) : NULL;
    const char *bar = v ? strchr(v, '|') : NULL;
    if (bar) {
        *seq = strtoll(v, NULL, 10);
        buf_adds(sig, bar + 1);
    }
    store_rollback(tx);
    return rc;
}

/* The highest seq of any resource (0: none) into *hi, and the mark set to (seq, sig). */
static err_t res_keys_mark_hi(store_t *s, int64_t *hi, errbuf_t *eb)
{
    store_tx_t *tx;
    store_stmt_t *st;
    bool row = false;
    *hi = 0;
    err_t rc = store_begin(s, false, &tx, eb);
    if (!rc) rc = store_query(tx, eb, &st, "SELECT COALESCE(MAX(seq), 0) FROM resources", "");
    if (!rc) rc = store_step(st, &row, eb);
    if (!rc && row) *hi = store_col_int(st, 0);
    store_rollback(tx);
    return rc;
}

static err_t res_keys_mark_set(store_t *s, int64_t seq, const char *sig, errbuf_t *eb)
{
    store_tx_t *tx;
    char v[64];
    snprintf(v, sizeof(v), "%" PRId64 "|", seq);
    buf_t b;
    buf_init(&b, 1 << 20);
    buf_adds(&b, v);
    buf_adds(&b, sig);
    err_t rc = store_begin(s, true, &tx, eb);
    if (!rc)
        rc = store_exec(tx, eb, NULL,
                        "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE"
                        " SET value = excluded.value",
                        "ss", RES_KEYS_MARK, buf_str(&b));
    rc = rc ? (store_rollback(tx), rc) : store_commit(tx, eb);
    buf_free(&b);
    return rc;
}

/* The rows with from < seq <= to, in seq order, 2000 a transaction: a row of a keyed kind
 * that lacks one of its keys gets them all. *n: rows keyed. */
static err_t res_keys_fill_since(store_t *s, int64_t from, int64_t to, int64_t *n, errbuf_t *eb)
{
    err_t rc = ERR_OK;
    *n = 0;
    for (bool more = true; !rc && more;) {
        store_tx_t *tx;
        store_stmt_t *st;
        bool row;
        rc = store_begin(s, true, &tx, eb);
        if (rc) break;
        cJSON *rows = cJSON_CreateArray();
        rc = store_query(tx, eb, &st,
                         "SELECT r.account, r.kind, r.id, r.body, r.seq, (SELECT COUNT(*) FROM"
                         " resource_keys k WHERE k.account = r.account AND k.kind = r.kind AND"
                         " k.id = r.id) FROM resources r WHERE r.seq > ? AND r.seq <= ?"
                         " ORDER BY r.seq LIMIT 2000",
                         "ii", from, to);
        int64_t got = 0;
        while (!rc && !(rc = store_step(st, &row, eb)) && row) {
            got++;
            from = store_col_int(st, 4);
            const res_keyer_t *ky = res_keyer_of(store_col_text(st, 1));
            if (!ky || store_col_int(st, 5) == (int64_t)ky->n) continue;
            cJSON *r = cJSON_CreateArray();
            for (int i = 0; i < 3; i++)
                cJSON_AddItemToArray(r, cJSON_CreateString(store_col_text(st, i)));
            cJSON *body = cJSON_Parse(store_col_text(st, 3));
            cJSON_AddItemToArray(r, body ? body : cJSON_CreateObject()); /* as res_keys_fill */
            cJSON_AddItemToArray(rows, r);
        }
        for (const cJSON *r = rows->child; !rc && r; r = r->next) {
            res_key_t k = {cJSON_GetArrayItem(r, 0)->valuestring,
                           cJSON_GetArrayItem(r, 1)->valuestring,
                           cJSON_GetArrayItem(r, 2)->valuestring};
            rc = res_keys_put(tx, res_keyer_of(k.kind), &k, cJSON_GetArrayItem(r, 3), false, eb);
            (*n)++;
        }
        cJSON_Delete(rows);
        rc = rc ? (store_rollback(tx), rc) : store_commit(tx, eb);
        more = got == 2000;
    }
    return rc;
}

/* Counts the rows of every counted kind afresh: rows that lacked their keys were written
 * by something other than res_insert (a tool, an older catalogd), which kept no count. */
static err_t res_keys_recount(store_t *s, errbuf_t *eb)
{
    err_t rc = ERR_OK;
    for (size_t j = 0; !rc && j < res_n_keyers; j++) {
        if (!res_keyers[j]->counted) continue;
        store_tx_t *tx;
        rc = store_begin(s, true, &tx, eb);
        if (rc) break;
        rc = store_exec(tx, eb, NULL, "DELETE FROM resource_counts WHERE kind = ?", "s",
                        res_keyers[j]->kind);
        if (!rc)
            rc = store_exec(tx, eb, NULL,
                            "INSERT INTO resource_counts (account, kind, n) SELECT account, kind,"
                            " COUNT(*) FROM resources WHERE kind = ? GROUP BY account, kind",
                            "s", res_keyers[j]->kind);
        rc = rc ? (store_rollback(tx), rc) : store_commit(tx, eb);
    }
    return rc;
}

err_t res_keys_backfill(store_t *s, const char *account, errbuf_t *eb)
{
    if (account) return res_keys_fill_account(s, account, NULL, eb);
    /* every partition: the rows since the mark of the last whole pass when it was taken
     * under today's declarations (a start-up then reads only what was written since),
     * else every row, one partition at a time; then the mark moves to the highest seq
     * read before the pass (rows written meanwhile are this binary's: keyed) */
    buf_t sig, had;
    buf_init(&sig, 1 << 20);
    buf_init(&had, 1 << 20);
    res_keys_signature(&sig);
    int64_t mark, hi, n = 0;
    err_t rc = res_keys_mark_get(s, &mark, &had, eb);
    if (!rc) rc = res_keys_mark_hi(s, &hi, eb);
    if (!rc && mark >= 0 && !strcmp(buf_str(&had), buf_str(&sig))) {
        rc = res_keys_fill_since(s, mark, hi, &n, eb);
        if (!rc && n) log_info("resource keys written", "\"rows\":%" PRId64, n);
    } else if (!rc) {
        cJSON *parts = cJSON_CreateArray();
        rc = res_keys_partitions(s, parts, eb);
        const cJSON *e;
        cJSON_ArrayForEach(e, parts) if (!rc) rc = res_keys_fill_account(s, e->valuestring, &n, eb);
        cJSON_Delete(parts);
    }
    if (!rc && n) rc = res_keys_recount(s, eb);
    if (!rc && (hi != mark || strcmp(buf_str(&had), buf_str(&sig))))
        rc = res_keys_mark_set(s, hi, buf_str(&sig), eb);
    buf_free(&sig);
    buf_free(&had);
    return rc;
}

/* ---- reads */

err_t res_keyed_count(store_tx_t *tx, const res_keyed_t *q, int64_t *n, errbuf_t *eb)
{
    store_stmt_t *st;
    bool row = false;
    err_t rc;
    if (q->prefix) {
        /* the values that start with the prefix: [prefix, prefix with its last byte + 1) */
        size_t len = strlen(q->value);
        char hi[RES_KEY_MAX];
        if (!len || len >= sizeof(hi)) return err_fail(eb, ERR_INTERNAL, "bad key prefix");
        memcpy(hi, q->value, len + 1);
        hi[len - 1] = (char)((unsigned char)hi[len - 1] + 1); /* ARN prefixes end in ASCII */
        rc = store_query(tx, eb, &st,
                         "SELECT COUNT(*) FROM resource_keys WHERE account = ? AND kind = ? AND"
                         " field = ? AND value >= ? AND value < ?",
                         "sssss", q->account, q->kind, q->field, q->value, hi);
    } else {
        rc = store_query(tx, eb, &st,
                         "SELECT COUNT(*) FROM resource_keys WHERE account = ? AND kind = ? AND"
                         " field = ? AND value = ?",
                         "ssss", q->account, q->kind, q->field, q->value);
    }
    if (!rc) rc = store_step(st, &row, eb);
    *n = !rc && row ? store_col_int(st, 0) : 0;
    return rc;
}

/* Builds the statement of one keyed page read (see res_keyed_page) and binds it. */
static err_t res_keyed_query(store_tx_t *tx, const res_keyed_t *q, const res_page_t *p,
                             store_stmt_t **st, errbuf_t *eb)
{
    const char *lt = p->desc ? "<" : ">", *dir = p->desc ? " DESC" : "";
    buf_t b;
    buf_init(&b, 2048);
    buf_adds(&b, "SELECT r.body, k.created_ms, k.seq, k.value FROM resource_keys k");
    if (q->sort && q->field) buf_adds(&b, " CROSS JOIN resource_keys o");
    buf_adds(&b, " CROSS JOIN resources r WHERE k.account = ? AND k.kind = ? AND k.field = ?");
    if (!q->sort) { /* one value, in creation order */
        buf_printf(&b, " AND k.value = ? AND (k.created_ms, k.seq) %s (?, ?)", lt);
    } else if (p->after || !p->desc) { /* the first ascending page starts above ("", MIN) */
        buf_printf(&b, " AND (k.value, k.created_ms, k.seq) %s (?, ?, ?)", lt);
    }
    if (q->sort && q->field)
        buf_adds(&b, " AND o.account = k.account AND o.kind = k.kind AND o.id = k.id AND"
                     " o.field = ? AND o.value = ?");
    buf_adds(&b, " AND r.account = k.account AND r.kind = k.kind AND r.id = k.id ORDER BY");
    if (q->sort) buf_printf(&b, " k.value%s,", dir);
    buf_printf(&b, " k.created_ms%s, k.seq%s", dir, dir);
    err_t rc = store_prepare(tx, buf_str(&b), st, eb);
    buf_free(&b);
    if (rc) return rc;
    int i = 1;
    store_bind_text(*st, i++, q->account);
    store_bind_text(*st, i++, q->kind);
    store_bind_text(*st, i++, q->sort ? q->sort : q->field);
    if (!q->sort) store_bind_text(*st, i++, q->value);
    if (!q->sort || p->after || !p->desc) {
        if (q->sort) store_bind_text(*st, i++, p->after && p->from.s ? p->from.s : "");
        store_bind_int(*st, i++, p->after ? p->from.n : p->desc ? INT64_MAX : INT64_MIN);
        store_bind_int(*st, i++, p->after ? p->from.seq : p->desc ? INT64_MAX : INT64_MIN);
    }
    if (q->sort && q->field) {
        store_bind_text(*st, i++, q->field);
        store_bind_text(*st, i++, q->value);
    }
    return ERR_OK;
}

err_t res_keyed_page(store_tx_t *tx, const res_keyed_t *q, res_page_t *p, res_keep_fn keep,
                     void *ctx, cJSON *array, errbuf_t *eb)
{
    if (!q->sort && !q->field) {
        res_query_t all = {q->account, q->kind, NULL, 0, 0};
        return res_list_page(tx, &all, p, keep, ctx, array, eb);
    }
    store_stmt_t *st;
    err_t rc = res_keyed_query(tx, q, p, &st, eb);
    return rc ? rc : res_page_rows(st, p, q->sort ? 3 : -1, keep, ctx, array, eb);
}
