/* pg_int.h - the PostgreSQL backend's own types, shared by pg.c (connections,
 * transactions, statements) and pg_open.c (checks, opening, migrations, NOTIFY/LISTEN).
 * Only src/store/pg*.c include it. */
#ifndef CATALOGD_PG_INT_H
#define CATALOGD_PG_INT_H

#include "store/store_int.h"

#include <libpq-fe.h>
#include <pthread.h>
#include <stdatomic.h>

#define PG_LOCK_WRITE   0x63617464 /* "catd": the cluster's one writer */
#define PG_LOCK_MIGRATE 0x6d696772
#define PG_CHANNEL      "catalogd_events"
#define PG_CACHE        512   /* statements per connection (open addressing by text hash) */
#define PG_WAIT_MS      10000 /* a transaction waits this long for a free connection */

typedef struct pg_prep {
    char *sig;     /* one char per parameter: 'i' int8, 't' text, 'n' NULL */
    char name[24]; /* server-side statement name; "" when unprepared */
    struct pg_prep *next;
} pg_prep_t;

typedef struct pg_sql {
    char *sql;   /* the portable text */
    char *pgsql; /* with $n */
    int nparams;
    pg_prep_t *preps;
} pg_sql_t;

typedef struct pg_conn {
    PGconn *db;
    pg_sql_t *cache[PG_CACHE];
    int n_cache, n_names;
    bool broken;
    struct pg_conn *next_free;
} pg_conn_t;

typedef struct pg_stmt {
    struct store_stmt head;
    pg_sql_t *q; /* the translation (owned by the connection's cache, or by this statement) */
    bool own_q;
    char **vals;
    char *types; /* per parameter: 'i', 't', 'n' */
    PGresult *res;
    int row, nrows;
    bool ran;
    struct pg_stmt *next;
} pg_stmt_t;

typedef struct pg_tx {
    struct store_tx head;
    pg_conn_t *c;
    pg_stmt_t *stmts;
    int64_t changes;
    bool begun, lazy;
} pg_tx_t;

typedef struct pg_store {
    char *url;
    char safe_url[512]; /* the URL without its password, for messages */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pg_conn_t *free;
    int open, max;
    bool sync_full;
    pg_conn_t *migrate; /* holds PG_LOCK_MIGRATE while store.c migrates */
    _Atomic int64_t work;
    /* the listener */
    pthread_t listener;
    bool listening;
    _Atomic bool stop;
    store_listen_fn fn;
    void *ud;
} pg_store_t;

/* pg.c: url with any password as "***" (messages, logs); libpq's message on one line. */
void pg_redact(const char *url, char *out, size_t cap);
const char *pg_msg(const char *m, char *buf, size_t cap);
/* pg.c: sql's translation for PostgreSQL ('?' -> $n outside quotes; TEXT COLLATE "C" in
 * CREATE/ALTER TABLE), owned by the caller (pg_sql_free; NULL is fine). Fuzzed by
 * tests/fuzz/fuzz_pgsql.c. */
pg_sql_t *pg_translate(const char *sql);
void pg_sql_free(pg_sql_t *s);
/* The error of a failed statement on c (see pg.c): ERR_UNAVAILABLE when the connection
 * was lost (c marked broken), ERR_STORE_BUSY, or ERR_STORE. */
err_t pg_fail(pg_conn_t *c, const PGresult *res, const char *what, errbuf_t *eb);
/* A new connection with catalogd's libpq defaults (timeouts, keepalives), the URL's win. */
PGconn *pg_connect(const char *url);
/* Runs parameterless sql (several statements allowed) on c. */
err_t pg_run(pg_conn_t *c, const char *sql, const char *what, errbuf_t *eb);
void pg_conn_close(pg_conn_t *c); /* NULL is fine */
/* The pool: a free connection (opened when fewer than q->max are), or ERR_STORE_BUSY after
 * waiting; release closes a broken one. */
err_t pg_acquire(pg_store_t *q, pg_conn_t **out, errbuf_t *eb);
void pg_release_conn(pg_store_t *q, pg_conn_t *c);
/* The vtable's transaction and statement functions (store_int.h). */
err_t pg_begin(store_t *s, bool write, bool lazy, store_tx_t **out, errbuf_t *eb);
err_t pg_commit(store_tx_t *tx, errbuf_t *eb);
void pg_rollback(store_tx_t *tx);
err_t pg_prepare(store_tx_t *tx, const char *sql, store_stmt_t **out, errbuf_t *eb);
void pg_bind_text(store_stmt_t *st, int i, const char *p, size_t n);
void pg_bind_int(store_stmt_t *st, int i, int64_t v);
void pg_bind_null(store_stmt_t *st, int i);
err_t pg_step(store_stmt_t *st, bool *row, errbuf_t *eb);
const char *pg_col_text(store_stmt_t *st, int i);
int64_t pg_col_int(store_stmt_t *st, int i);
bool pg_col_null(store_stmt_t *st, int i);
int64_t pg_changes(store_tx_t *tx);
int64_t pg_work(const store_t *s);

#endif
