/* store.c - backend-independent half of the store: dispatch, argument binding helpers
 * and the migration runner. */
#include "store/store_int.h"

#include "core/clk.h"
#include "core/log.h"
#include "core/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

/* Applies every migration above the recorded version, each in its own transaction. */
static err_t store_migrate(store_t *s, errbuf_t *eb)
{
    store_tx_t *tx = NULL;
    err_t rc = store_begin(s, true, &tx, eb);
    if (!rc)
        rc = store_exec(tx, eb, NULL,
                        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY,"
                        " applied_ms BIGINT NOT NULL)",
                        "");
    store_stmt_t *st = NULL;
    bool row = false;
    if (!rc) rc = store_query(tx, eb, &st, "SELECT MAX(version) FROM schema_migrations", "");
    if (!rc) rc = store_step(st, &row, eb);
    int have = (!rc && row && !store_col_null(st, 0)) ? (int)store_col_int(st, 0) : 0;
    if (!rc)
        rc = store_commit(tx, eb);
    else
        store_rollback(tx);
    if (rc) return rc;
    if (have > store_n_migrations)
        return err_fail(eb, ERR_STORE,
                        "the database has schema version %d, newer than this catalogd (%d)", have,
                        store_n_migrations);
    for (int v = have + 1; v <= store_n_migrations; v++) {
        rc = store_begin(s, true, &tx, eb);
        for (const char *const *sql = store_migrations[v - 1]; !rc && *sql; sql++)
            rc = store_exec(tx, eb, NULL, *sql, "");
        clk_t c = clk_system(0);
        if (!rc)
            rc = store_exec(tx, eb, NULL,
                            "INSERT INTO schema_migrations (version, applied_ms) VALUES (?, ?)",
                            "ii", (int64_t)v, clk_now_ms(&c));
        if (!rc)
            rc = store_commit(tx, eb);
        else
            store_rollback(tx);
        if (rc) return rc;
        log_info("store migrated", "\"version\":%d", v);
    }
    s->schema_version = store_n_migrations;
    return ERR_OK;
}

/* Releases the data directory's lock; refused: the open failed, so a lock file it made
 * goes too (a refused start leaves the directory as it was). */
static void store_unlock(store_t *s, bool refused)
{
    if (refused && s->lock_made) unlink(s->lock_made);
    if (s->lock_fd >= 0) close(s->lock_fd);
    s->lock_fd = -1;
    free(s->lock_made);
    s->lock_made = NULL;
}

static const store_backend_t *store_backend_for(const store_opts_t *o)
{
    return o->url && *o->url ? &store_pg_backend : &store_sqlite_backend;
}

err_t store_check_opts(const store_opts_t *o, bool *exists, errbuf_t *eb)
{
    return store_backend_for(o)->check(o, exists, eb);
}

err_t store_open(const store_opts_t *o, store_t **out, errbuf_t *eb)
{
    store_t *s = xcalloc(1, sizeof(*s));
    s->be = store_backend_for(o);
    s->lock_fd = -1;
    err_t rc = s->be->open(s, o, eb);
    if (rc) {
        store_unlock(s, true);
        free(s);
        return rc;
    }
    if (o->before_migrate) rc = o->before_migrate(s, o->before_ud, eb);
    if (!rc) rc = store_migrate(s, eb);
    if (s->be->migrated) rc = s->be->migrated(s, rc, eb);
    if (rc) {
        s->be->close(s);
        store_unlock(s, true);
        free(s);
        return rc;
    }
    if (s->lock_fd >= 0) { /* informational: who holds the data directory */
        char pid[32];
        int pn = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
        if (ftruncate(s->lock_fd, 0) == 0 && write(s->lock_fd, pid, (size_t)pn) < 0) {
            /* nothing to do: the lock itself holds */
        }
    }
    *out = s;
    return ERR_OK;
}

void store_close(store_t *s)
{
    if (!s) return;
    s->be->close(s);
    store_unlock(s, false);
    free(s);
}

bool store_created(const store_t *s)
{
    return s->created;
}

int store_schema_version(store_t *s)
{
    return s->schema_version;
}

const char *store_backend(const store_t *s)
{
    return s->be->name;
}

err_t store_lock_dir(store_t *s, const char *dir, errbuf_t *eb)
{
    char lock[4096];
    snprintf(lock, sizeof(lock), "%s/catalogd.lock", dir);
    int *fd = &s->lock_fd;
    bool made = access(lock, F_OK) != 0;
    *fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (*fd < 0)
        return err_fail(eb, ERR_STORE, "cannot create lock file %s: %s", lock, strerror(errno));
    if (flock(*fd, LOCK_EX | LOCK_NB) != 0) {
        close(*fd);
        *fd = -1;
        return err_fail(eb, ERR_STORE, "data directory %s is in use by another catalogd (lock %s)",
                        dir, lock);
    }
    if (made) s->lock_made = xstrdup(lock);
    return ERR_OK;
}

bool store_shared(const store_t *s)
{
    return s->be->shared;
}

void store_publish(store_t *s, const char *msg)
{
    if (s->be->publish) s->be->publish(s, msg);
}

err_t store_listen(store_t *s, store_listen_fn fn, void *ud, errbuf_t *eb)
{
    if (!fn) return err_fail(eb, ERR_INTERNAL, "store_listen needs a function");
    return s->be->listen ? s->be->listen(s, fn, ud, eb) : ERR_OK;
}

void store_unlisten(store_t *s)
{
    errbuf_t ignore;
    if (s && s->be->listen) s->be->listen(s, NULL, NULL, &ignore);
}

const char *store_sql_skip_locked(const store_t *s)
{
    return s->be->skip_locked;
}

int64_t store_work(const store_t *s)
{
    return s->be->work(s);
}

err_t store_begin(store_t *s, bool write, store_tx_t **out, errbuf_t *eb)
{
    return s->be->begin(s, write, false, out, eb);
}

err_t store_begin_lazy(store_t *s, store_tx_t **out, errbuf_t *eb)
{
    return s->be->begin(s, true, true, out, eb);
}

err_t store_commit(store_tx_t *tx, errbuf_t *eb)
{
    return tx->store->be->commit(tx, eb);
}

err_t store_commit_ticket(store_tx_t *tx, uint64_t *ticket, errbuf_t *eb)
{
    *ticket = 0;
    const store_backend_t *be = tx->store->be;
    return be->commit_ticket ? be->commit_ticket(tx, ticket, eb) : be->commit(tx, eb);
}

void store_when_durable(store_t *s, uint64_t ticket, store_durable_fn fn, void *arg)
{
    if (ticket && s->be->when_durable)
        s->be->when_durable(s, ticket, fn, arg);
    else
        fn(arg, true);
}

void store_rollback(store_tx_t *tx)
{
    if (tx) tx->store->be->rollback(tx);
}

err_t store_savepoint(store_tx_t *tx, errbuf_t *eb)
{
    return store_exec(tx, eb, NULL, "SAVEPOINT catalogd_nested", "");
}

err_t store_release(store_tx_t *tx, errbuf_t *eb)
{
    return store_exec(tx, eb, NULL, "RELEASE SAVEPOINT catalogd_nested", "");
}

void store_rollback_to(store_tx_t *tx)
{
    errbuf_t ignore;
    if (!store_exec(tx, &ignore, NULL, "ROLLBACK TO SAVEPOINT catalogd_nested", ""))
        store_exec(tx, &ignore, NULL, "RELEASE SAVEPOINT catalogd_nested", "");
}

store_t *store_of(store_tx_t *tx)
{
    return tx->store;
}

err_t store_prepare(store_tx_t *tx, const char *sql, store_stmt_t **out, errbuf_t *eb)
{
    return tx->store->be->prepare(tx, sql, out, eb);
}

void store_bind_text(store_stmt_t *st, int i, const char *s)
{
    if (s)
        st->tx->store->be->bind_text(st, i, s, strlen(s));
    else
        st->tx->store->be->bind_null(st, i);
}

void store_bind_span(store_stmt_t *st, int i, span_t s)
{
    st->tx->store->be->bind_text(st, i, s.p ? s.p : "", s.n);
}

void store_bind_int(store_stmt_t *st, int i, int64_t v)
{
    st->tx->store->be->bind_int(st, i, v);
}

void store_bind_null(store_stmt_t *st, int i)
{
    st->tx->store->be->bind_null(st, i);
}

err_t store_step(store_stmt_t *st, bool *row, errbuf_t *eb)
{
    return st->tx->store->be->step(st, row, eb);
}

const char *store_col_text(store_stmt_t *st, int i)
{
    return st->tx->store->be->col_text(st, i);
}

int64_t store_col_int(store_stmt_t *st, int i)
{
    return st->tx->store->be->col_int(st, i);
}

bool store_col_null(store_stmt_t *st, int i)
{
    return st->tx->store->be->col_null(st, i);
}

int64_t store_changes(store_tx_t *tx)
{
    return tx->store->be->changes(tx);
}

static void store_vbind(store_stmt_t *st, const char *types, va_list ap)
{
    int i = 1;
    for (const char *t = types; *t; t++, i++) {
        switch (*t) {
        case 's':
            store_bind_text(st, i, va_arg(ap, const char *));
            break;
        case 'S':
            store_bind_span(st, i, va_arg(ap, span_t));
            break;
        case 'i':
            store_bind_int(st, i, va_arg(ap, int64_t));
            break;
        case 'b':
            store_bind_int(st, i, va_arg(ap, int) ? 1 : 0);
            break;
        case 'n':
            store_bind_null(st, i);
            break;
        default:
            abort(); /* a bug in the caller's type string */
        }
    }
}

err_t store_query(store_tx_t *tx, errbuf_t *eb, store_stmt_t **out, const char *sql,
                  const char *types, ...)
{
    err_t rc = store_prepare(tx, sql, out, eb);
    if (rc) return rc;
    va_list ap;
    va_start(ap, types);
    store_vbind(*out, types, ap);
    va_end(ap);
    return ERR_OK;
}

err_t store_exec(store_tx_t *tx, errbuf_t *eb, int64_t *changes, const char *sql, const char *types,
                 ...)
{
    store_stmt_t *st;
    err_t rc = store_prepare(tx, sql, &st, eb);
    if (rc) return rc;
    va_list ap;
    va_start(ap, types);
    store_vbind(st, types, ap);
    va_end(ap);
    bool row;
    do rc = store_step(st, &row, eb);
    while (!rc && row);
    if (!rc && changes) *changes = store_changes(tx);
    return rc;
}
