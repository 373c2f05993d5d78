/* seal_store.c - the check value that ties a database to its key ring, and rotation. */
#include "auth/seal_store.h"

#include "core/mem.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SEAL_CHECK_PLAIN  "catalogd seal check"
#define SEAL_VALUE_MAX    (16 * 1024 * 1024) /* the largest sealed value or body handled */
#define SEAL_NODE_KEY_MAX (256 * 1024)       /* the largest node key file read */

/* The one-line refusal of a key file that does not open the database's secrets; id is the
 * key they are sealed with when the value names it. */
static err_t seal_foreign(const seal_t *seal, const char *id, errbuf_t *eb)
{
    return err_fail(eb, ERR_STORE,
                    "key file %s does not open this database's secrets (sealed with key %s, "
                    "which it does not hold): it belongs to another catalogd, or that key was "
                    "removed before `catalogd seal rotate` ran; copy the key file from a node of "
                    "this cluster, or name it with --seal-key-file",
                    seal->path, id && *id ? id : "of another key file");
}

/* True when seal opens sealed; with want set, into exactly that plaintext. */
static bool seal_opens(const seal_t *seal, const char *sealed, const char *want)
{
    buf_t b;
    buf_init(&b, SEAL_VALUE_MAX);
    bool ok = seal_open_value(seal, span_of(sealed), &b) && (!want || !strcmp(buf_str(&b), want));
    if (b.p) explicit_bzero(b.p, b.len);
    buf_free(&b);
    return ok;
}

/* Read-only: checks seal against the check value or, without one, the oldest root access
 * key's secret (any access key's when there is no root key; nothing when there is none). */
static err_t seal_verify(const seal_t *seal, store_t *s, errbuf_t *eb)
{
    store_tx_t *tx = NULL;
    store_stmt_t *st = NULL;
    bool row = false;
    char id[9] = "";
    err_t rc = store_begin(s, false, &tx, eb);
    if (!rc) rc = store_query(tx, eb, &st, "SELECT value FROM meta WHERE key = 'seal_check'", "");
    if (!rc) rc = store_step(st, &row, eb);
    bool check = row;
    if (!rc && !row)
        rc = store_query(tx, eb, &st,
                         "SELECT secret FROM access_keys ORDER BY CASE WHEN kind = 'root' THEN 0 "
                         "ELSE 1 END, created_ms LIMIT 1",
                         "");
    if (!rc && !check) rc = store_step(st, &row, eb);
    if (!rc && row) {
        const char *v = store_col_text(st, 0);
        if (!seal_value_key_id(span_of(v), id)) id[0] = '\0';
        if (!seal_opens(seal, v, check ? SEAL_CHECK_PLAIN : NULL)) rc = seal_foreign(seal, id, eb);
    }
    store_rollback(tx);
    return rc;
}

err_t seal_store_check(store_t *s, void *ud, errbuf_t *eb)
{
    if (store_created(s)) return ERR_OK; /* a first start: nothing sealed yet */
    const seal_src_t *src = ud;
    seal_t seal;
    err_t rc = seal_open(&seal, src->data_dir, src->key_file, false, src->ids, eb);
    if (!rc) rc = seal_verify(&seal, s, eb);
    explicit_bzero(&seal, sizeof(seal));
    return rc;
}

err_t seal_store_record(const seal_t *seal, store_t *s, ids_t *ids, errbuf_t *eb)
{
    buf_t v;
    buf_init(&v, 256);
    store_tx_t *tx = NULL;
    err_t rc = seal_seal(seal, ids, SPAN_LIT(SEAL_CHECK_PLAIN), &v)
                   ? store_begin(s, true, &tx, eb)
                   : err_fail(eb, ERR_INTERNAL, "cannot seal the check value");
    if (!rc)
        rc = store_exec(tx, eb, NULL,
                        "INSERT INTO meta (key, value) VALUES ('seal_check', ?)"
                        " ON CONFLICT (key) DO NOTHING",
                        "s", buf_str(&v));
    if (!rc)
        rc = store_commit(tx, eb);
    else
        store_rollback(tx);
    buf_free(&v);
    return rc ? rc : seal_verify(seal, s, eb);
}

/* ---- rotation ------------------------------------------------------------------------- */

/* Re-seals sealed under the current key into out; *opened false when no key opens it. */
static bool seal_reseal(const seal_t *seal, ids_t *ids, const char *sealed, buf_t *out,
                        bool *opened)
{
    buf_t plain;
    buf_init(&plain, SEAL_VALUE_MAX);
    *opened = seal_open_value(seal, span_of(sealed), &plain);
    bool ok = *opened && seal_seal(seal, ids, buf_span(&plain), out);
    if (plain.p) explicit_bzero(plain.p, plain.len);
    buf_free(&plain);
    return ok;
}

/* Re-seals, in place, every sealed string in the JSON tree j (strings holding JSON
 * themselves included); counts into r. True when anything changed. */
static bool seal_walk(const seal_t *seal, ids_t *ids, cJSON *j, seal_rotated_t *r)
{
    bool changed = false;
    if (cJSON_IsString(j) && j->valuestring) {
        const char *v = j->valuestring;
        bool opened = false;
        buf_t out;
        buf_init(&out, SEAL_VALUE_MAX);
        if ((!strncmp(v, "v1:", 3) || !strncmp(v, "v2:", 3)) &&
            seal_reseal(seal, ids, v, &out, &opened)) {
            changed = cJSON_SetValuestring(j, buf_str(&out)) != NULL;
            r->values++;
        } else if (!strncmp(v, "v1:", 3) || !strncmp(v, "v2:", 3)) {
            r->unopened++;
        } else if ((v[0] == '{' || v[0] == '[') && (strstr(v, "\"v1:") || strstr(v, "\"v2:"))) {
            cJSON *inner = cJSON_Parse(v);
            char *text =
                inner && seal_walk(seal, ids, inner, r) ? cJSON_PrintUnformatted(inner) : NULL;
            changed = text && cJSON_SetValuestring(j, text) != NULL;
            free(text);
            cJSON_Delete(inner);
        }
        buf_free(&out);
    }
    for (cJSON *c = j ? j->child : NULL; c; c = c->next)
        changed = seal_walk(seal, ids, c, r) || changed;
    return changed;
}

/* One table whose text column may hold sealed strings: its key columns, then the column
 * (select), and the update of that column by key (the column first). */
typedef struct seal_table {
    const char *select, *update;
    int keys;
    bool secret; /* the column is a sealed value itself (access_keys.secret), not a body */
} seal_table_t;

static const seal_table_t seal_tables[] = {
    {"SELECT access_key_id, secret FROM access_keys",
     "UPDATE access_keys SET secret = ? WHERE access_key_id = ?", 1, true},
    {"SELECT account, kind, id, body FROM resources WHERE body LIKE '%\"v_:%'",
     "UPDATE resources SET body = ? WHERE account = ? AND kind = ? AND id = ?", 3, false},
    {"SELECT account, kind, a, b, body FROM links WHERE body LIKE '%\"v_:%'",
     "UPDATE links SET body = ? WHERE account = ? AND kind = ? AND a = ? AND b = ?", 4, false},
    {"SELECT id, payload FROM jobs WHERE payload LIKE '%\"v_:%'",
     "UPDATE jobs SET payload = ? WHERE id = ?", 1, false},
    {"SELECT key, value FROM meta WHERE key = 'seal_check'",
     "UPDATE meta SET value = ? WHERE key = ?", 1, true},
};

/* The updates of one table, gathered before any is made (no write under an open scan). */
typedef struct seal_row {
    char *col[5]; /* the new value, then the key columns */
} seal_row_t;

typedef struct seal_rows {
    seal_row_t *v;
    size_t n, cap;
} seal_rows_t;

static void seal_rows_free(seal_rows_t *rows, int keys)
{
    for (size_t i = 0; i < rows->n; i++)
        for (int k = 0; k <= keys; k++) free(rows->v[i].col[k]);
    free(rows->v);
    *rows = (seal_rows_t){0};
}

/* The new value of the current row's column (NULL: unchanged); ERR_STORE when it is a
 * sealed secret that no key of the ring opens. */
static err_t seal_row_value(const seal_t *seal, ids_t *ids, const seal_table_t *t, store_stmt_t *st,
                            seal_rotated_t *r, char **out, errbuf_t *eb)
{
    const char *v = store_col_text(st, t->keys);
    *out = NULL;
    if (t->secret) {
        buf_t b;
        buf_init(&b, SEAL_VALUE_MAX);
        bool opened = false;
        char id[9] = "";
        if (seal_reseal(seal, ids, v ? v : "", &b, &opened)) {
            *out = buf_take(&b, NULL);
            r->access_keys += strcmp(store_col_text(st, 0), "seal_check") != 0;
        }
        buf_free(&b);
        if (*out) return ERR_OK;
        if (!seal_value_key_id(span_of(v ? v : ""), id)) snprintf(id, sizeof(id), "unknown");
        return err_fail(eb, ERR_STORE,
                        "%s (sealed with key %s) opens with no key of %s: put the key it was "
                        "sealed with back in the file and run `catalogd seal rotate` again",
                        store_col_text(st, 0), id, seal->path);
    }
    cJSON *body = cJSON_Parse(v ? v : "");
    if (body && seal_walk(seal, ids, body, r)) *out = cJSON_PrintUnformatted(body);
    cJSON_Delete(body);
    return ERR_OK;
}

/* Gathers, then applies, the re-sealed values of table t. */
static err_t seal_rotate_table(const seal_t *seal, ids_t *ids, store_tx_t *tx,
                               const seal_table_t *t, seal_rotated_t *r, errbuf_t *eb)
{
    seal_rows_t rows = {0};
    store_stmt_t *st = NULL;
    bool row = false;
    err_t rc = store_prepare(tx, t->select, &st, eb);
    while (!rc && !(rc = store_step(st, &row, eb)) && row) {
        char *value = NULL;
        rc = seal_row_value(seal, ids, t, st, r, &value, eb);
        if (rc || !value) continue;
        if (rows.n == rows.cap) {
            rows.cap = rows.cap ? 2 * rows.cap : 16;
            rows.v = xrealloc(rows.v, rows.cap * sizeof(rows.v[0]));
        }
        seal_row_t *w = &rows.v[rows.n++];
        w->col[0] = value;
        for (int k = 0; k < t->keys; k++) w->col[k + 1] = xstrdup(store_col_text(st, k));
    }
    for (size_t i = 0; !rc && i < rows.n; i++) {
        rc = store_prepare(tx, t->update, &st, eb);
        for (int k = 0; !rc && k <= t->keys; k++) store_bind_text(st, k + 1, rows.v[i].col[k]);
        if (!rc) rc = store_step(st, &row, eb);
    }
    seal_rows_free(&rows, t->keys);
    return rc;
}

/* Re-seals the node key files of data_dir (catalogd node-key import), each replaced
 * whole; a file no key opens is left and counted as unopened. */
static err_t seal_rotate_files(const seal_t *seal, ids_t *ids, const char *data_dir,
                               seal_rotated_t *r, errbuf_t *eb)
{
    char dir[1200];
    snprintf(dir, sizeof(dir), "%s/node-keys", data_dir && *data_dir ? data_dir : ".");
    DIR *d = opendir(dir);
    if (!d) return ERR_OK; /* no node keys */
    err_t rc = ERR_OK;
    char *data = xmalloc(SEAL_NODE_KEY_MAX + 1);
    struct dirent *e;
    while (!rc && (e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n < 8 || strcmp(e->d_name + n - 7, ".sealed")) continue;
        char path[1500], tmp[1600];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        snprintf(tmp, sizeof(tmp), "%s.tmp", path);
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        ssize_t len = 0, got = 0;
        while (fd >= 0 && len < SEAL_NODE_KEY_MAX &&
               (got = read(fd, data + len, (size_t)(SEAL_NODE_KEY_MAX - len))) > 0)
            len += got;
        if (fd >= 0) close(fd);
        if (fd < 0 || got < 0 || len == SEAL_NODE_KEY_MAX) continue; /* not a node key file */
        data[len] = '\0';
        buf_t out;
        buf_init(&out, 2 * SEAL_NODE_KEY_MAX);
        bool opened = false;
        if (seal_reseal(seal, ids, data, &out, &opened)) {
            fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
            bool ok = fd >= 0 && write(fd, out.p, out.len) == (ssize_t)out.len && fsync(fd) == 0;
            if (fd >= 0) close(fd);
            if (ok && rename(tmp, path) == 0)
                r->files++;
            else {
                unlink(tmp);
                rc = err_fail(eb, ERR_STORE, "cannot write %s: %s", path, strerror(errno));
            }
        } else
            r->unopened++;
        explicit_bzero(data, (size_t)len);
        buf_free(&out);
    }
    closedir(d);
    free(data);
    return rc;
}

err_t seal_store_rotate(const seal_t *seal, store_t *s, const char *data_dir, ids_t *ids,
                        seal_rotated_t *out, errbuf_t *eb)
{
    memset(out, 0, sizeof(*out));
    store_tx_t *tx = NULL;
    err_t rc = store_begin(s, true, &tx, eb);
    size_t nt = sizeof(seal_tables) / sizeof(seal_tables[0]);
    for (size_t i = 0; !rc && i < nt; i++)
        rc = seal_rotate_table(seal, ids, tx, &seal_tables[i], out, eb);
    if (!rc)
        rc = store_commit(tx, eb);
    else
        store_rollback(tx);
    if (!rc) rc = seal_store_record(seal, s, ids, eb); /* a database without one gets it */
    if (!rc) rc = seal_rotate_files(seal, ids, data_dir, out, eb);
    return rc;
}
