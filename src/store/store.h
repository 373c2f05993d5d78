/* store.h - the storage interface. SQLite (embedded, WAL) for one machine; PostgreSQL
 * (libpq, pg.c) for several catalogd nodes sharing one database. Both implement the vtable
 * of store_int.h.
 * SQL given to the store is portable: '?' placeholders, BIGINT/TEXT columns, no
 * backend-specific syntax (backend quirks live in the backend's file).
 * A request is one transaction: store_begin .. store_commit/rollback. */
#ifndef CATALOGD_STORE_H
#define CATALOGD_STORE_H

#include "core/err.h"
#include "core/span.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct store store_t;
typedef struct store_tx store_tx_t;
typedef struct store_stmt store_stmt_t;

typedef struct store_opts {
    const char *data_dir; /* SQLite: <data_dir>/catalogd.db */
    const char *url;      /* postgresql://... or a libpq conninfo: PostgreSQL ("" or NULL:
                             SQLite in data_dir) */
    int pool;             /* PostgreSQL: connections at most (default 16) */
    bool exclusive;       /* hold the data directory's lock (the daemon); tools share */
    bool sync_full;       /* fsync every commit (default on: no acknowledged write is lost) */
    int busy_timeout_ms;  /* how long a writer waits for another (default 5000) */
    /* Called by store_open once the backend has opened the database, before any migration
     * runs: a refusal here leaves the database as it was (auth/seal_store.h's
     * seal_store_check). NULL: none. */
    err_t (*before_migrate)(store_t *s, void *ud, errbuf_t *eb);
    void *before_ud;
} store_opts_t;

/* Opens the store and applies pending migrations. ERR_STORE with a message on failure
 * (unwritable directory, directory locked by another daemon, corrupt database). */
err_t store_open(const store_opts_t *o, store_t **out, errbuf_t *eb);
/* Read-only start-up checks of a data directory, before anything is created or changed:
 * *exists tells whether it holds a database (false: a first start, which store_open
 * creates). ERR_STORE with one line naming the path when the directory is not a writable
 * directory, or the database is empty (0 bytes), not SQLite, or not catalogd's. store_open
 * runs them too. */
err_t store_check(const char *data_dir, bool *exists, errbuf_t *eb);
/* store_check for the backend o names: PostgreSQL (o->url set) connects and checks that
 * the server is a writable primary and the database empty or catalogd's, changing nothing
 * (*exists: it holds catalogd's schema); otherwise store_check(o->data_dir). One line
 * naming the problem on failure (the URL's password never appears in it). */
err_t store_check_opts(const store_opts_t *o, bool *exists, errbuf_t *eb);
/* True when other catalogd processes may share the store (PostgreSQL): caches must expire
 * or hear store_publish, and leases of other processes are not this one's to reclaim. */
bool store_shared(const store_t *s);
/* Tells every process sharing the store (this one too) msg, a short ASCII word ("auth",
 * "wake"), after the commit that makes it true: PostgreSQL NOTIFY; nothing on SQLite.
 * Best effort (a lost message is covered by the listeners' polling and cache ages). */
void store_publish(store_t *s, const char *msg);
/* Starts a thread that calls fn(ud, msg) for every store_publish of any process sharing
 * the store (PostgreSQL LISTEN), and fn(ud, "*") after reconnecting (messages may have
 * been missed). Nothing on SQLite. Stopped by store_close. */
typedef void (*store_listen_fn)(void *ud, const char *msg);
err_t store_listen(store_t *s, store_listen_fn fn, void *ud, errbuf_t *eb);
/* Stops store_listen's thread (fn is not called once this returns). Idempotent. */
void store_unlisten(store_t *s);

/* True when store_open created the database (a first start). */
bool store_created(const store_t *s);
/* Closes every connection; no transaction may be open. NULL is fine. */
void store_close(store_t *s);
/* Applied schema version, for diagnostics. */
int store_schema_version(store_t *s);
/* The backend's name: "sqlite" or "postgres". */
const char *store_backend(const store_t *s);

/* Starts a transaction on a pooled connection. write=true takes the write lock up front
 * (SQLite BEGIN IMMEDIATE) so the transaction cannot fail later for lock upgrades.
 * ERR_STORE_BUSY when the lock stays taken past the busy timeout. */
err_t store_begin(store_t *s, bool write, store_tx_t **out, errbuf_t *eb);
/* A write transaction whose commit need not be on disk when it returns: with --sync full
 * it is durable with the next commit that is (any store_begin writer's: the log is written
 * in order, SQLite's WAL fsynced whole), not by itself. A process that dies (kill -9) loses
 * nothing of it, as with any commit; a power loss or OS crash may lose the latest such
 * commits whole, never part of one. For work nobody was told is durable (engine steps,
 * which run again after such a loss); PostgreSQL: SET LOCAL synchronous_commit = off. */
err_t store_begin_lazy(store_t *s, store_tx_t **out, errbuf_t *eb);
/* Commits and releases tx (whatever the outcome). On failure the work is rolled back. */
err_t store_commit(store_tx_t *tx, errbuf_t *eb);
/* store_commit, except that an ordinary write's wait for its durability is the caller's:
 * *ticket gets a number for store_when_durable, or 0 when there is nothing to wait for
 * (a reader, --sync normal, a lazy writer, PostgreSQL, whose commit returns durable). The
 * commit is visible to other transactions at once; nobody may be told of it before it is
 * durable (a request's answer waits: front.c). */
err_t store_commit_ticket(store_tx_t *tx, uint64_t *ticket, errbuf_t *eb);
/* Calls fn(arg, ok) once commit ticket is on disk (ok false: the fsync failed, the commit
 * may not be): at once on this thread when it already is (or ticket is 0), else on the
 * store's syncer thread, which must not be held up (resume something, do not work). At
 * store_close every waiter is called. */
typedef void (*store_durable_fn)(void *arg, bool ok);
void store_when_durable(store_t *s, uint64_t ticket, store_durable_fn fn, void *arg);
/* Rolls back and releases tx. NULL is fine. */
void store_rollback(store_tx_t *tx);
/* Nested units of work inside a transaction (SQL savepoints; they nest): mark, then
 * either keep (release) or undo (rollback_to) what was done since the mark. */
err_t store_savepoint(store_tx_t *tx, errbuf_t *eb);
err_t store_release(store_tx_t *tx, errbuf_t *eb);
void store_rollback_to(store_tx_t *tx);

/* The store a transaction belongs to. */
store_t *store_of(store_tx_t *tx);

/* Prepares sql on tx's connection (cached per connection by the sql text: pass string
 * literals). The statement is reset and unbound; it belongs to the connection and stays
 * valid until the transaction ends. */
err_t store_prepare(store_tx_t *tx, const char *sql, store_stmt_t **out, errbuf_t *eb);
/* Binders take 1-based indexes. Text is copied. A NULL string binds SQL NULL. */
void store_bind_text(store_stmt_t *st, int i, const char *s);
void store_bind_span(store_stmt_t *st, int i, span_t s);
void store_bind_int(store_stmt_t *st, int i, int64_t v);
void store_bind_null(store_stmt_t *st, int i);
/* Advances: *row is true while a row is available. */
err_t store_step(store_stmt_t *st, bool *row, errbuf_t *eb);
/* Column accessors for the current row (0-based). Text stays valid until the next step;
 * NULL text reads as NULL. */
const char *store_col_text(store_stmt_t *st, int i);
int64_t store_col_int(store_stmt_t *st, int i);
bool store_col_null(store_stmt_t *st, int i);
/* Rows changed by the last completed write statement of this transaction. */
int64_t store_changes(store_tx_t *tx);

/* Prepares sql and binds arguments described by types, one char each:
 * 's' const char * (NULL -> SQL NULL), 'S' span_t, 'i' int64_t, 'b' bool (int), 'n' NULL
 * (no argument). The caller steps it. */
err_t store_query(store_tx_t *tx, errbuf_t *eb, store_stmt_t **out, const char *sql,
                  const char *types, ...);
/* Runs a statement that returns no rows; *changes (may be NULL) gets the rows changed. */
err_t store_exec(store_tx_t *tx, errbuf_t *eb, int64_t *changes, const char *sql, const char *types,
                 ...);

/* Backend-specific SQL fragments for the few places portable SQL cannot say it:
 * the row-locking suffix for a claim subquery ("" for SQLite, " FOR UPDATE SKIP LOCKED"
 * for PostgreSQL). */
const char *store_sql_skip_locked(const store_t *s);

/* How much work the store's statements have done so far, in the backend's own unit
 * (SQLite: virtual machine steps, which grow with every row or index entry a statement
 * visits). Monotonic. For tests that show a query reads what it returns and not a whole
 * table: compare the work of one operation at two table sizes (no timing). */
int64_t store_work(const store_t *s);

#endif
