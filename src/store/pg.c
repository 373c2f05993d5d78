/* pg.c - the PostgreSQL backend (libpq): several catalogd nodes share one database.
 *
 * The store's contract is SQLite's, kept on a server that several processes reach at once:
 * - Writers are serialized cluster-wide: a write transaction's first statement takes one
 *   transaction-scoped advisory lock (PG_LOCK_WRITE), as SQLite's BEGIN IMMEDIATE takes
 *   the database's write lock, so every handler's read-check-write means on PostgreSQL
 *   what it means on SQLite, whichever node runs it. Writers run READ COMMITTED: each
 *   statement sees every commit made before the lock was granted.
 * - Readers take a REPEATABLE READ READ ONLY snapshot at their first statement (SQLite's
 *   deferred BEGIN), and never wait for writers.
 * - Lazy commits (store_begin_lazy) set synchronous_commit off for the transaction; the
 *   next ordinary commit flushes the WAL past them (it is written in order).
 * - Statements are written with '?' placeholders in portable SQL; they are rewritten to
 *   $n once per connection and prepared server-side the first time they run, with the
 *   parameter types of that run's bindings (int8 for integers, left to the server for
 *   text), falling back to text for a parameter the server cannot type ("? IS NULL").
 * - DDL keeps SQLite's bytewise text order: TEXT columns are created COLLATE "C".
 * - A connection that breaks (server restart, failover, network) fails its statement
 *   with ERR_UNAVAILABLE (503 ServiceUnavailable, which SDKs retry) and leaves the pool;
 *   a transaction that has done nothing yet is retried once on a fresh connection.
 * - Migrations run under a session advisory lock (PG_LOCK_MIGRATE), so nodes starting
 *   together apply them once.
 * - store_publish is NOTIFY on channel catalogd_events; store_listen a thread on its own
 *   connection. A trigger on jobs notifies "wake" in the transaction that makes a job
 *   runnable (enqueued, hastened by a signal, or given its next step), so every node's
 *   engine hears of work another node made due. */
#include "store/pg_int.h"

#include "core/log.h"
#include "core/mem.h"

#include <ctype.h>
#include <libpq-fe.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- connections and errors ------------------------------------------------------------ */

/* The URL (or conninfo) with any password replaced by "***", for messages and logs. */
void pg_redact(const char *url, char *out, size_t cap)
{
    snprintf(out, cap, "%s", url);
    char *scheme = strstr(out, "://");
    if (scheme) { /* postgresql://user:password@host */
        char *auth = scheme + 3, *at = strchr(auth, '@'), *slash = strchr(auth, '/');
        char *colon = strchr(auth, ':');
        if (at && (!slash || at < slash) && colon && colon < at) {
            size_t tail = strlen(at) + 1;
            if ((size_t)(colon + 1 - out) + 3 + tail <= cap) {
                memmove(colon + 4, at, tail);
                memcpy(colon + 1, "***", 3);
            }
        }
    }
    for (char *p = strstr(out, "password="); p; p = strstr(p + 1, "password=")) {
        char *v = p + 9, *end = v;
        while (*end && *end != '&' && *end != ' ') end++;
        size_t tail = strlen(end) + 1;
        if ((size_t)(v - out) + 3 + tail <= cap) {
            memmove(v + 3, end, tail);
            memcpy(v, "***", 3);
        }
    }
}

/* libpq's message, on one line (it ends in a newline and may hold several). */
const char *pg_msg(const char *m, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s", m ? m : "");
    for (char *p = buf; *p; p++)
        if (*p == '\n' || *p == '\r') *p = ' ';
    size_t n = strlen(buf);
    while (n && buf[n - 1] == ' ') buf[--n] = '\0';
    return buf;
}

/* True when the failure means the server or the connection went away, not the statement. */
static bool pg_lost(PGconn *db, const char *state)
{
    if (!db || PQstatus(db) == CONNECTION_BAD) return true;
    if (!state) return false;
    return !strncmp(state, "08", 2) || !strcmp(state, "57P01") || !strcmp(state, "57P02") ||
           !strcmp(state, "57P03") || !strcmp(state, "25006"); /* read-only after failover */
}

/* The error for a failed statement on c (res may be NULL): ERR_UNAVAILABLE when the
 * connection was lost (c is marked broken and leaves the pool), ERR_STORE_BUSY for
 * serialization failures and lock timeouts, ERR_STORE otherwise. */
err_t pg_fail(pg_conn_t *c, const PGresult *res, const char *what, errbuf_t *eb)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    char m[600];
    pg_msg(res ? PQresultErrorMessage(res) : PQerrorMessage(c->db), m, sizeof(m));
    if (!*m) pg_msg(PQerrorMessage(c->db), m, sizeof(m));
    if (pg_lost(c->db, state)) {
        c->broken = true;
        log_warn("database connection lost", "\"during\":\"%s\",\"error\":\"%s\"", what, m);
        return err_fail(eb, ERR_UNAVAILABLE,
                        "The service is unavailable (its database cannot be reached). Please "
                        "try again.");
    }
    err_t e =
        state && (!strcmp(state, "40001") || !strcmp(state, "40P01") || !strcmp(state, "55P03"))
            ? ERR_STORE_BUSY
            : ERR_STORE;
    return err_fail(eb, e, "postgres %s: %s (%s)", what, m, state ? state : "-");
}

/* Opens a connection to url: libpq's defaults first (a connect timeout, keepalives that
 * notice a dead server), then everything the URL says, which wins. */
PGconn *pg_connect(const char *url)
{
    const char *const keys[] = {"connect_timeout",
                                "keepalives_idle",
                                "keepalives_interval",
                                "keepalives_count",
                                "application_name",
                                "dbname",
                                NULL};
    const char *const vals[] = {"5", "10", "5", "3", "catalogd", url, NULL};
    return PQconnectdbParams(keys, vals, 1);
}

/* Runs sql (one or more statements, no parameters) on db; ERR_OK when every one worked. */
err_t pg_run(pg_conn_t *c, const char *sql, const char *what, errbuf_t *eb)
{
    PGresult *r = PQexec(c->db, sql);
    ExecStatusType st = PQresultStatus(r);
    err_t e = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? ERR_OK : pg_fail(c, r, what, eb);
    PQclear(r);
    return e;
}

static err_t pg_conn_open(pg_store_t *q, pg_conn_t **out, errbuf_t *eb)
{
    PGconn *db = pg_connect(q->url);
    if (PQstatus(db) != CONNECTION_OK) {
        char m[600];
        log_warn("database connection failed", "\"url\":\"%s\",\"error\":\"%s\"", q->safe_url,
                 pg_msg(PQerrorMessage(db), m, sizeof(m)));
        PQfinish(db);
        return err_fail(eb, ERR_UNAVAILABLE,
                        "The service is unavailable (its database cannot be reached). Please "
                        "try again.");
    }
    pg_conn_t *c = xcalloc(1, sizeof(*c));
    c->db = db;
    err_t e = pg_run(c,
                     q->sync_full ? "SET synchronous_commit = on; SET client_min_messages = warning"
                                  : "SET synchronous_commit = off; SET client_min_messages = "
                                    "warning",
                     "connect", eb);
    if (e) {
        PQfinish(db);
        free(c);
        return e;
    }
    *out = c;
    return ERR_OK;
}

static void pg_sql_free(pg_sql_t *s)
{
    if (!s) return;
    for (pg_prep_t *p = s->preps, *n; p; p = n) {
        n = p->next;
        free(p->sig);
        free(p);
    }
    free(s->sql);
    free(s->pgsql);
    free(s);
}

void pg_conn_close(pg_conn_t *c)
{
    if (!c) return;
    for (int i = 0; i < PG_CACHE; i++) pg_sql_free(c->cache[i]);
    PQfinish(c->db);
    free(c);
}

/* Takes a connection from q's pool, opening one when none is free and fewer than max are
 * open, else waiting up to PG_WAIT_MS (ERR_STORE_BUSY after). */
err_t pg_acquire(pg_store_t *q, pg_conn_t **out, errbuf_t *eb)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += PG_WAIT_MS / 1000;
    pthread_mutex_lock(&q->mu);
    for (;;) {
        if (q->free) {
            pg_conn_t *c = q->free;
            q->free = c->next_free;
            pthread_mutex_unlock(&q->mu);
            *out = c;
            return ERR_OK;
        }
        if (q->open < q->max) {
            q->open++;
            pthread_mutex_unlock(&q->mu);
            err_t e = pg_conn_open(q, out, eb);
            if (e) {
                pthread_mutex_lock(&q->mu);
                q->open--;
                pthread_cond_signal(&q->cv);
                pthread_mutex_unlock(&q->mu);
            }
            return e;
        }
        if (pthread_cond_timedwait(&q->cv, &q->mu, &until) != 0) {
            pthread_mutex_unlock(&q->mu);
            return err_fail(eb, ERR_STORE_BUSY, "all %d database connections stayed in use",
                            q->max);
        }
    }
}

/* Returns c to the pool, or closes it when it broke (a later acquire opens a new one). */
void pg_release_conn(pg_store_t *q, pg_conn_t *c)
{
    if (c->broken || PQstatus(c->db) != CONNECTION_OK ||
        PQtransactionStatus(c->db) != PQTRANS_IDLE) {
        pg_conn_close(c);
        pthread_mutex_lock(&q->mu);
        q->open--;
    } else {
        pthread_mutex_lock(&q->mu);
        c->next_free = q->free;
        q->free = c;
    }
    pthread_cond_signal(&q->cv);
    pthread_mutex_unlock(&q->mu);
}

/* ---- SQL translation and the statement cache ---------------------------------------- */

/* Rewrites portable SQL for PostgreSQL: '?' -> $1, $2, ... (outside quotes), and, in DDL,
 * TEXT columns with the bytewise "C" collation SQLite compares with. */
static pg_sql_t *pg_translate(const char *sql)
{
    pg_sql_t *s = xcalloc(1, sizeof(*s));
    s->sql = xstrdup(sql);
    size_t n = strlen(sql);
    bool ddl = !strncmp(sql, "CREATE TABLE", 12) || !strncmp(sql, "ALTER TABLE", 11);
    size_t cap = n * 2 + 64;
    char *out = xmalloc(cap);
    size_t o = 0;
    char quote = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = sql[i];
        if (o + 32 >= cap) {
            cap *= 2;
            out = xrealloc(out, cap);
        }
        if (quote) {
            out[o++] = ch;
            if (ch == quote) quote = 0;
            continue;
        }
        if (ch == '\'' || ch == '"') {
            quote = ch;
            out[o++] = ch;
        } else if (ch == '?') {
            o += (size_t)snprintf(out + o, cap - o, "$%d", ++s->nparams);
        } else if (ddl && !strncmp(sql + i, " TEXT", 5) &&
                   (sql[i + 5] == ' ' || sql[i + 5] == ',' || sql[i + 5] == ')' ||
                    sql[i + 5] == '\0')) {
            o += (size_t)snprintf(out + o, cap - o, " TEXT COLLATE \"C\"");
            i += 4;
        } else {
            out[o++] = ch;
        }
    }
    out[o] = '\0';
    s->pgsql = out;
    return s;
}

static unsigned pg_hash(const char *s)
{
    unsigned h = 2166136261u;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

/* The translation of sql in c's cache (made on first use). *owned: the caller frees it
 * (the cache is full). */
static pg_sql_t *pg_lookup(pg_conn_t *c, const char *sql, bool *owned)
{
    unsigned h = pg_hash(sql);
    *owned = false;
    for (unsigned i = 0; i < PG_CACHE; i++) {
        pg_sql_t **slot = &c->cache[(h + i) % PG_CACHE];
        if (!*slot) {
            if (c->n_cache >= PG_CACHE * 3 / 4) break;
            *slot = pg_translate(sql);
            c->n_cache++;
            return *slot;
        }
        if (!strcmp((*slot)->sql, sql)) return *slot;
    }
    *owned = true;
    return pg_translate(sql);
}

/* ---- transactions -------------------------------------------------------------------- */

static err_t pg_begin_sql(pg_tx_t *t, errbuf_t *eb)
{
    char sql[200];
    if (t->head.write)
        snprintf(sql, sizeof(sql), "BEGIN;%s SELECT pg_advisory_xact_lock(%d)",
                 t->lazy ? " SET LOCAL synchronous_commit = off;" : "", PG_LOCK_WRITE);
    else
        snprintf(sql, sizeof(sql), "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    return pg_run(t->c, sql, "begin", eb);
}

/* Begins t on its connection; when the connection turns out to be dead (the server
 * restarted while it idled in the pool), once more on a fresh one. */
static err_t pg_start(pg_tx_t *t, errbuf_t *eb)
{
    pg_store_t *q = t->head.store->impl;
    err_t e = pg_begin_sql(t, eb);
    if (e == ERR_UNAVAILABLE) {
        pg_release_conn(q, t->c);
        t->c = NULL;
        e = pg_acquire(q, &t->c, eb);
        if (!e) e = pg_begin_sql(t, eb);
    }
    t->begun = !e;
    return e;
}

err_t pg_begin(store_t *s, bool write, bool lazy, store_tx_t **out, errbuf_t *eb)
{
    pg_store_t *q = s->impl;
    pg_tx_t *t = xcalloc(1, sizeof(*t));
    t->head.store = s;
    t->head.write = write;
    t->lazy = lazy && q->sync_full;
    err_t e = pg_acquire(q, &t->c, eb);
    if (!e && write) e = pg_start(t, eb); /* a reader begins at its first statement */
    if (e) {
        if (t->c) pg_release_conn(q, t->c);
        free(t);
        return e;
    }
    *out = &t->head;
    return ERR_OK;
}

static void pg_stmts_free(pg_tx_t *t)
{
    while (t->stmts) {
        pg_stmt_t *w = t->stmts;
        t->stmts = w->next;
        PQclear(w->res);
        if (w->vals)
            for (int i = 0; i < w->q->nparams; i++) free(w->vals[i]);
        free(w->vals);
        free(w->types);
        if (w->own_q) pg_sql_free(w->q);
        free(w);
    }
}

static void pg_finish(pg_tx_t *t)
{
    pg_stmts_free(t);
    if (t->c) pg_release_conn(t->head.store->impl, t->c);
    free(t);
}

/* Commits t. PostgreSQL answers COMMIT of a transaction in which a statement failed with
 * a rollback (SQLite would have kept the other statements): that is an error here, so no
 * caller believes work is stored that is not. */
err_t pg_commit(store_tx_t *tx, errbuf_t *eb)
{
    pg_tx_t *t = (pg_tx_t *)tx;
    err_t e = ERR_OK;
    if (t->begun) {
        PGresult *r = PQexec(t->c->db, "COMMIT");
        if (PQresultStatus(r) != PGRES_COMMAND_OK)
            e = pg_fail(t->c, r, "commit", eb);
        else if (!strcmp(PQcmdStatus(r), "ROLLBACK"))
            e = err_fail(eb, ERR_STORE,
                         "postgres commit: the transaction was rolled back (a statement in it "
                         "had failed)");
        PQclear(r);
    }
    errbuf_t ignore;
    if (e && !t->c->broken && PQtransactionStatus(t->c->db) != PQTRANS_IDLE)
        pg_run(t->c, "ROLLBACK", "rollback", &ignore);
    pg_finish(t);
    return e;
}

void pg_rollback(store_tx_t *tx)
{
    pg_tx_t *t = (pg_tx_t *)tx;
    errbuf_t ignore;
    if (t->begun && !t->c->broken && PQtransactionStatus(t->c->db) != PQTRANS_IDLE)
        pg_run(t->c, "ROLLBACK", "rollback", &ignore);
    pg_finish(t);
}

/* ---- statements ---------------------------------------------------------------------- */

err_t pg_prepare(store_tx_t *tx, const char *sql, store_stmt_t **out, errbuf_t *eb)
{
    pg_tx_t *t = (pg_tx_t *)tx;
    if (!t->begun) {
        err_t e = pg_start(t, eb);
        if (e) return e;
    }
    pg_stmt_t *w = xcalloc(1, sizeof(*w));
    w->q = pg_lookup(t->c, sql, &w->own_q);
    int n = w->q->nparams;
    w->vals = xcalloc((size_t)(n ? n : 1), sizeof(*w->vals));
    w->types = xcalloc((size_t)n + 1, 1);
    memset(w->types, 'n', (size_t)n);
    w->head.tx = tx;
    w->next = t->stmts;
    t->stmts = w;
    *out = &w->head;
    return ERR_OK;
}

static void pg_set(store_stmt_t *st, int i, char type, char *val)
{
    pg_stmt_t *w = (pg_stmt_t *)st;
    if (i < 1 || i > w->q->nparams) {
        free(val);
        return;
    }
    free(w->vals[i - 1]);
    w->vals[i - 1] = val;
    w->types[i - 1] = type;
}

void pg_bind_text(store_stmt_t *st, int i, const char *p, size_t n)
{
    char *v = xmalloc(n + 1);
    memcpy(v, p, n);
    v[n] = '\0';
    pg_set(st, i, 't', v);
}

void pg_bind_int(store_stmt_t *st, int i, int64_t v)
{
    char buf[32];
    snprintf(buf, sizeof(buf), "%lld", (long long)v);
    pg_set(st, i, 'i', xstrdup(buf));
}

void pg_bind_null(store_stmt_t *st, int i)
{
    pg_set(st, i, 'n', NULL);
}

/* Parameter types for a prepare attempt: 0 lets the server infer from the context, 20 is
 * int8, 25 text. Attempt 0 types the integers; attempt 1 leaves everything to the
 * server; attempt 2 makes what it could not infer ("? IS NULL") text. */
static void pg_types(const char *sig, int n, int attempt, Oid *oids)
{
    for (int i = 0; i < n; i++) {
        char t = sig[i];
        oids[i] = attempt == 1 ? 0 : t == 'i' ? 20 : attempt == 2 ? 25 : 0;
    }
}

/* The server-side statement for w's text and its bindings' types, prepared on first use.
 * A failed attempt is undone with a savepoint so the transaction goes on. */
static err_t pg_prepared(pg_tx_t *t, pg_stmt_t *w, const char **name, errbuf_t *eb)
{
    pg_sql_t *q = w->q;
    for (pg_prep_t *p = q->preps; p; p = p->next)
        if (!strcmp(p->sig, w->types)) {
            *name = p->name;
            return ERR_OK;
        }
    pg_conn_t *c = t->c;
    int n = q->nparams;
    Oid *oids = xcalloc((size_t)(n ? n : 1), sizeof(Oid));
    char pname[24];
    snprintf(pname, sizeof(pname), "c%d", ++c->n_names);
    err_t e = pg_run(c, "SAVEPOINT catalogd_prepare", "prepare", eb);
    for (int attempt = 0; !e; attempt++) {
        pg_types(w->types, n, attempt, oids);
        PGresult *r = PQprepare(c->db, pname, q->pgsql, n, oids);
        if (PQresultStatus(r) == PGRES_COMMAND_OK) {
            PQclear(r);
            break;
        }
        const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
        if (pg_lost(c->db, state)) {
            e = pg_fail(c, r, "prepare", eb);
        } else if (attempt == 2) {
            char m[600];
            e = err_fail(eb, ERR_STORE, "postgres prepare: %s (%s) in: %.300s",
                         pg_msg(PQresultErrorMessage(r), m, sizeof(m)), state ? state : "-",
                         q->sql);
            errbuf_t ignore;
            pg_run(c, "ROLLBACK TO SAVEPOINT catalogd_prepare", "prepare", &ignore);
        } else {
            e = pg_run(c, "ROLLBACK TO SAVEPOINT catalogd_prepare", "prepare", eb);
        }
        PQclear(r);
    }
    free(oids);
    if (!e) e = pg_run(c, "RELEASE SAVEPOINT catalogd_prepare", "prepare", eb);
    if (e) return e;
    pg_prep_t *p = xcalloc(1, sizeof(*p));
    p->sig = xstrdup(w->types);
    snprintf(p->name, sizeof(p->name), "%s", pname);
    p->next = q->preps;
    q->preps = p;
    *name = p->name;
    return ERR_OK;
}

err_t pg_step(store_stmt_t *st, bool *row, errbuf_t *eb)
{
    pg_stmt_t *w = (pg_stmt_t *)st;
    pg_tx_t *t = (pg_tx_t *)st->tx;
    pg_store_t *q = t->head.store->impl;
    *row = false;
    if (!w->ran) {
        if (t->c->broken)
            return err_fail(eb, ERR_UNAVAILABLE,
                            "The service is unavailable (its database cannot be reached). "
                            "Please try again.");
        const char *name = NULL;
        err_t e = pg_prepared(t, w, &name, eb);
        if (e) return e;
        PQclear(w->res);
        w->res = PQexecPrepared(t->c->db, name, w->q->nparams, (const char *const *)w->vals, NULL,
                                NULL, 0);
        ExecStatusType s = PQresultStatus(w->res);
        if (s != PGRES_TUPLES_OK && s != PGRES_COMMAND_OK) {
            e = pg_fail(t->c, w->res, "step", eb);
            PQclear(w->res);
            w->res = NULL;
            return e;
        }
        w->ran = true;
        w->row = -1;
        w->nrows = PQntuples(w->res);
        const char *ct = PQcmdTuples(w->res);
        if (ct && *ct) t->changes = strtoll(ct, NULL, 10);
        atomic_fetch_add_explicit(&q->work, 1 + w->nrows, memory_order_relaxed);
    }
    if (++w->row < w->nrows) {
        *row = true;
        return ERR_OK;
    }
    w->ran = false; /* done: stepping again runs it again, as a reset SQLite statement */
    PQclear(w->res);
    w->res = NULL;
    return ERR_OK;
}

const char *pg_col_text(store_stmt_t *st, int i)
{
    pg_stmt_t *w = (pg_stmt_t *)st;
    if (!w->res || w->row < 0 || w->row >= w->nrows || i >= PQnfields(w->res) ||
        PQgetisnull(w->res, w->row, i))
        return NULL;
    return PQgetvalue(w->res, w->row, i);
}

int64_t pg_col_int(store_stmt_t *st, int i)
{
    const char *v = pg_col_text(st, i);
    if (!v) return 0;
    if (!strcmp(v, "t")) return 1; /* a boolean result, as SQLite's 1 */
    if (!strcmp(v, "f")) return 0;
    return strtoll(v, NULL, 10);
}

bool pg_col_null(store_stmt_t *st, int i)
{
    pg_stmt_t *w = (pg_stmt_t *)st;
    return !w->res || w->row < 0 || w->row >= w->nrows || i >= PQnfields(w->res) ||
           PQgetisnull(w->res, w->row, i);
}

int64_t pg_changes(store_tx_t *tx)
{
    return ((pg_tx_t *)tx)->changes;
}

int64_t pg_work(const store_t *s)
{
    return atomic_load_explicit(&((pg_store_t *)s->impl)->work, memory_order_relaxed);
}
