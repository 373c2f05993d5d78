/* sqlite.c - the embedded SQLite backend: one database file in WAL mode, a pool of
 * connections (one per concurrent transaction), prepared statements cached per
 * connection, BEGIN IMMEDIATE for writers, the data directory locked by the daemon.
 * A reader's BEGIN waits for its first statement, so a transaction that reads nothing
 * costs no SQLite work at all. Under --sync full, commits are made durable in groups:
 * every connection runs synchronous=NORMAL (a commit writes its WAL frames and no fsync),
 * and an ordinary commit then waits, after giving up the write lock, until one fdatasync
 * of the WAL that began after its commit has ended (sq_group_sync): one fsync for every
 * commit made while the previous one ran. A request's commit does not even wait on its
 * thread: store_commit_ticket and store_when_durable hand the wait to a syncer thread. */
#include "store/store_int.h"

#include "core/log.h"
#include "core/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define SQ_CACHE 192

typedef struct sq_stmt {
    struct store_stmt head;
    sqlite3_stmt *st;
    const char *sql; /* the pointer last asked for: a hint only (the text is sqlite3_sql) */
    struct sq_stmt *next_extra; /* uncached statements, freed when the transaction ends */
} sq_stmt_t;

/* The transaction statements every connection keeps prepared (sqlite3_exec would parse
 * them again on every transaction). */
enum { SQ_BEGIN, SQ_BEGIN_IMMEDIATE, SQ_COMMIT, SQ_ROLLBACK, SQ_N_TXSQL };
static const char *const sq_txsql[SQ_N_TXSQL] = {"BEGIN", "BEGIN IMMEDIATE", "COMMIT", "ROLLBACK"};

typedef struct sq_conn {
    sqlite3 *db;
    sqlite3_stmt *txst[SQ_N_TXSQL]; /* sq_txsql, prepared */
    sq_stmt_t cache[SQ_CACHE];
    int n_cache;
    struct sq_conn *next_free;
} sq_conn_t;

typedef struct sq_tx {
    struct store_tx head;
    sq_conn_t *c;
    sq_stmt_t *extra;
    int64_t changes;
    bool begun; /* BEGIN has run (a reader's waits for its first statement) */
    bool lazy;  /* store_begin_lazy: the commit does not wait for the group fsync */
} sq_tx_t;

/* A caller of store_when_durable waiting for its commit's fsync (sq_syncer). */
typedef struct sq_waiter {
    uint64_t ticket;
    store_durable_fn fn;
    void *arg;
    struct sq_waiter *next;
} sq_waiter_t;

typedef struct sq_store {
    char *path;
    pthread_mutex_t mu;
    sq_conn_t *free;
    sq_conn_t **all;
    size_t n_all;
    bool sync_full;
    int busy_ms;
    /* this process's writers queue in arrival order (a ticket lock) instead of meeting in
     * SQLite's busy handler, whose sleep-and-retry starves unlucky writers for seconds */
    pthread_cond_t wcv;
    uint64_t wnext, wserving;
    /* group fsync (sync_full), under mu: committed counts write commits in WAL order (it
     * moves while the committer still holds the write lock), synced is the count known to
     * be on disk, syncing says one thread's fdatasync is under way (the others wait on scv
     * for it, and the first still behind it after it ends runs the next) */
    pthread_cond_t scv;
    uint64_t committed, synced;
    bool syncing;
    int wal_fd; /* the WAL, for fdatasync; only the thread that is syncing touches it */
    /* store_when_durable's waiters, and the syncer thread (started by the first), under mu */
    sq_waiter_t *waiters;
    pthread_cond_t qcv; /* a waiter came, or the store closes */
    pthread_t syncer;
    bool syncer_on, closing;
    _Atomic int64_t work; /* VM steps of every statement stepped (store_work) */
} sq_store_t;

static void sq_writer_enter(sq_store_t *q)
{
    pthread_mutex_lock(&q->mu);
    uint64_t ticket = q->wnext++;
    while (ticket != q->wserving) pthread_cond_wait(&q->wcv, &q->mu);
    pthread_mutex_unlock(&q->mu);
}

static void sq_writer_leave(sq_store_t *q)
{
    pthread_mutex_lock(&q->mu);
    q->wserving++;
    pthread_cond_broadcast(&q->wcv);
    pthread_mutex_unlock(&q->mu);
}

static err_t sq_fail(errbuf_t *eb, sqlite3 *db, int rc, const char *what)
{
    int base = rc & 0xff;
    err_t e = (base == SQLITE_BUSY || base == SQLITE_LOCKED) ? ERR_STORE_BUSY : ERR_STORE;
    return err_fail(eb, e, "sqlite %s: %s", what, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
}

static err_t sq_exec_raw(sqlite3 *db, const char *sql, errbuf_t *eb)
{
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    if (rc == SQLITE_OK) return ERR_OK;
    err_t e = err_fail(eb, (rc & 0xff) == SQLITE_BUSY ? ERR_STORE_BUSY : ERR_STORE, "sqlite %s: %s",
                       sql, msg ? msg : sqlite3_errstr(rc));
    sqlite3_free(msg);
    return e;
}

/* Runs one of the connection's transaction statements. ERR_STORE / ERR_STORE_BUSY with
 * "sqlite <SQL>: <message>" on failure (eb may be NULL). */
static err_t sq_txrun(sq_conn_t *c, int which, errbuf_t *eb)
{
    sqlite3_stmt *st = c->txst[which];
    int rc = sqlite3_step(st);
    err_t e = ERR_OK;
    if (rc != SQLITE_DONE)
        e = err_fail(eb, (rc & 0xff) == SQLITE_BUSY ? ERR_STORE_BUSY : ERR_STORE, "sqlite %s: %s",
                     sq_txsql[which], sqlite3_errmsg(c->db));
    sqlite3_reset(st);
    return e;
}

/* Process-wide SQLite settings, before the library initialises: no memory statistics
 * (catalogd reads none, and keeping them takes a global mutex on every allocation). */
static pthread_once_t sq_config_once = PTHREAD_ONCE_INIT;

static void sq_config(void)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); /* SQLITE_MISUSE if already initialised */
}

static err_t sq_conn_open(sq_store_t *q, sq_conn_t **out, errbuf_t *eb)
{
    pthread_once(&sq_config_once, sq_config);
    sq_conn_t *c = xcalloc(1, sizeof(*c));
    int rc = sqlite3_open_v2(
        q->path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    err_t e = ERR_OK;
    if (rc != SQLITE_OK) e = sq_fail(eb, c->db, rc, "open");
    if (!e) sqlite3_busy_timeout(c->db, q->busy_ms);
    if (!e) e = sq_exec_raw(c->db, "PRAGMA journal_mode=WAL", eb);
    /* NORMAL on every connection: under --sync full, sq_group_sync adds the WAL's fsync */
    if (!e) e = sq_exec_raw(c->db, "PRAGMA synchronous=NORMAL", eb);
    if (!e) e = sq_exec_raw(c->db, "PRAGMA foreign_keys=ON", eb);
    for (int i = 0; !e && i < SQ_N_TXSQL; i++) {
        int rc2 = sqlite3_prepare_v3(c->db, sq_txsql[i], -1, SQLITE_PREPARE_PERSISTENT, &c->txst[i],
                                     NULL);
        if (rc2 != SQLITE_OK) e = sq_fail(eb, c->db, rc2, "prepare");
    }
    if (e) {
        for (int i = 0; i < SQ_N_TXSQL; i++) sqlite3_finalize(c->txst[i]);
        sqlite3_close_v2(c->db);
        free(c);
        return e;
    }
    pthread_mutex_lock(&q->mu);
    q->all = xrealloc(q->all, sizeof(*q->all) * (q->n_all + 1));
    q->all[q->n_all++] = c;
    pthread_mutex_unlock(&q->mu);
    *out = c;
    return ERR_OK;
}

static void sq_conn_close(sq_conn_t *c)
{
    for (int i = 0; i < c->n_cache; i++) sqlite3_finalize(c->cache[i].st);
    for (int i = 0; i < SQ_N_TXSQL; i++) sqlite3_finalize(c->txst[i]);
    sqlite3_close_v2(c->db);
    free(c);
}

/* ---- start-up checks ------------------------------------------------------------------ */

/* Checks that the SQLite database at path (which exists and starts with SQLite's header)
 * holds catalogd's schema: the migrations table and the first migration's tables. Opened
 * read-only; and "immutable" unless a write-ahead log is there to be read (a crash, or a
 * running daemon, whose -wal and -shm files exist already), so that no -wal or -shm file
 * is created beside a database that is then refused. ERR_STORE naming path otherwise. */
static err_t sq_check_schema(const char *path, errbuf_t *eb)
{
    char wal[4200], uri[13000];
    snprintf(wal, sizeof(wal), "%s-wal", path);
    struct stat ws;
    bool has_wal = stat(wal, &ws) == 0;
    size_t n = (size_t)snprintf(uri, sizeof(uri), "file:");
    for (const char *p = path; *p && n + 4 < sizeof(uri); p++) /* URI-escape what SQLite reads */
        n += (size_t)(*p == '%' || *p == '?' || *p == '#'
                          ? snprintf(uri + n, sizeof(uri) - n, "%%%02X", (unsigned char)*p)
                          : snprintf(uri + n, sizeof(uri) - n, "%c", *p));
    snprintf(uri + n, sizeof(uri) - n, "%s", has_wal ? "" : "?immutable=1");
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(db,
                                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND "
                                "name IN ('schema_migrations', 'meta', 'access_keys')",
                                -1, &st, NULL);
    if (rc == SQLITE_OK) rc = sqlite3_step(st);
    int found = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
    err_t e = ERR_OK;
    if (found < 0)
        e = err_fail(eb, ERR_STORE, "cannot read database %s: %s", path,
                     db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    else if (found != 3)
        e = err_fail(eb, ERR_STORE, "database %s is not a catalogd database (no catalogd tables)",
                     path);
    sqlite3_finalize(st);
    sqlite3_close_v2(db);
    return e;
}

static err_t sq_check(const store_opts_t *o, bool *exists, errbuf_t *eb)
{
    return store_check(o->data_dir, exists, eb);
}

err_t store_check(const char *data_dir, bool *exists, errbuf_t *eb)
{
    const char *dir = data_dir && *data_dir ? data_dir : ".";
    char path[4096];
    snprintf(path, sizeof(path), "%s/catalogd.db", dir);
    *exists = false;
    struct stat st;
    if (stat(dir, &st) != 0) {
        if (errno == ENOENT) return ERR_OK; /* first start: created by store_open */
        return err_fail(eb, ERR_STORE, "cannot use data directory %s: %s", dir, strerror(errno));
    }
    if (!S_ISDIR(st.st_mode))
        return err_fail(eb, ERR_STORE, "data directory %s is not a directory", dir);
    if (access(dir, W_OK | X_OK) != 0)
        return err_fail(eb, ERR_STORE, "data directory %s is not writable: %s", dir,
                        strerror(errno));
    if (stat(path, &st) != 0) {
        if (errno == ENOENT) return ERR_OK; /* first start */
        return err_fail(eb, ERR_STORE, "cannot read database %s: %s", path, strerror(errno));
    }
    *exists = true;
    if (!S_ISREG(st.st_mode))
        return err_fail(eb, ERR_STORE, "database %s is not a regular file", path);
    if (st.st_size == 0)
        return err_fail(eb, ERR_STORE,
                        "database %s is empty (0 bytes): restore it from a backup, or remove it "
                        "to start a new installation",
                        path);
    char head[16] = {0};
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return err_fail(eb, ERR_STORE, "cannot read database %s: %s", path, strerror(errno));
    ssize_t n = read(fd, head, sizeof(head));
    close(fd);
    if (n != (ssize_t)sizeof(head) || memcmp(head, "SQLite format 3", 16) != 0)
        return err_fail(eb, ERR_STORE, "database %s is not a SQLite database", path);
    return sq_check_schema(path, eb);
}

static err_t sq_open(store_t *s, const store_opts_t *o, errbuf_t *eb)
{
    const char *dir = o->data_dir && *o->data_dir ? o->data_dir : ".";
    bool exists = false;
    err_t rc0 = store_check(dir, &exists, eb);
    if (rc0) return rc0;
    s->created = !exists;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return err_fail(eb, ERR_STORE, "cannot create data directory %s: %s", dir, strerror(errno));
    sq_store_t *q = xcalloc(1, sizeof(*q));
    size_t n = strlen(dir) + 32;
    q->path = xmalloc(n);
    snprintf(q->path, n, "%s/catalogd.db", dir);
    q->sync_full = o->sync_full;
    q->busy_ms = o->busy_timeout_ms > 0 ? o->busy_timeout_ms : 5000;
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->wcv, NULL);
    pthread_cond_init(&q->scv, NULL);
    pthread_cond_init(&q->qcv, NULL);
    q->wal_fd = -1;
    s->impl = q;
    if (o->exclusive) {
        err_t e = store_lock_dir(s, dir, eb);
        if (e) {
            s->impl = NULL;
            free(q->path);
            free(q);
            return e;
        }
    }
    sq_conn_t *c;
    err_t e = sq_conn_open(q, &c, eb);
    if (e) {
        s->be->close(s);
        s->impl = NULL;
        return e;
    }
    chmod(q->path, 0600);
    c->next_free = q->free;
    q->free = c;
    return ERR_OK;
}

static void sq_close(store_t *s)
{
    sq_store_t *q = s->impl;
    if (!q) return;
    pthread_mutex_lock(&q->mu);
    q->closing = true;
    bool joined = q->syncer_on;
    pthread_cond_broadcast(&q->qcv);
    pthread_mutex_unlock(&q->mu);
    if (joined) pthread_join(q->syncer, NULL); /* it calls every waiter before it ends */
    if (q->wal_fd >= 0) close(q->wal_fd);
    for (size_t i = 0; i < q->n_all; i++) sq_conn_close(q->all[i]);
    free(q->all);
    pthread_mutex_destroy(&q->mu);
    pthread_cond_destroy(&q->wcv);
    pthread_cond_destroy(&q->scv);
    pthread_cond_destroy(&q->qcv);
    free(q->path);
    free(q);
    s->impl = NULL;
}

/* Returns a statement of c's cache for sql, preparing it on first use. Callers mostly
 * pass string literals, so the pointer almost always matches; the text is compared with
 * the statement's own copy (sqlite3_sql), never with a caller's buffer, which may be gone
 * (a query built in a stack buffer leaves only a stale pointer behind). */
static err_t sq_cached(sq_conn_t *c, const char *sql, sq_stmt_t **out, errbuf_t *eb)
{
    for (int i = 0; i < c->n_cache; i++) {
        if (c->cache[i].sql == sql && strcmp(sqlite3_sql(c->cache[i].st), sql) == 0) {
            *out = &c->cache[i];
            return ERR_OK;
        }
    }
    for (int i = 0; i < c->n_cache; i++) {
        if (strcmp(sqlite3_sql(c->cache[i].st), sql) == 0) {
            c->cache[i].sql = sql;
            *out = &c->cache[i];
            return ERR_OK;
        }
    }
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
    if (rc != SQLITE_OK) return sq_fail(eb, c->db, rc, "prepare");
    if (c->n_cache == SQ_CACHE) {
        sqlite3_finalize(st);
        *out = NULL;
        return ERR_OK; /* full: the caller prepares an uncached one */
    }
    sq_stmt_t *w = &c->cache[c->n_cache++];
    w->st = st;
    w->sql = sql;
    *out = w;
    return ERR_OK;
}

static void sq_release(sq_tx_t *t)
{
    sq_conn_t *c = t->c;
    for (int i = 0; i < c->n_cache; i++)
        if (sqlite3_stmt_busy(c->cache[i].st)) sqlite3_reset(c->cache[i].st);
    while (t->extra) {
        sq_stmt_t *x = t->extra;
        t->extra = x->next_extra;
        sqlite3_finalize(x->st);
        free(x);
    }
}

static err_t sq_begin(store_t *s, bool write, bool lazy, store_tx_t **out, errbuf_t *eb)
{
    sq_store_t *q = s->impl;
    pthread_mutex_lock(&q->mu);
    sq_conn_t *c = q->free;
    if (c) q->free = c->next_free;
    pthread_mutex_unlock(&q->mu);
    if (!c) {
        err_t e = sq_conn_open(q, &c, eb);
        if (e) return e;
    }
    sq_tx_t *t = xcalloc(1, sizeof(*t));
    t->head.store = s;
    t->head.write = write;
    t->c = c;
    if (!write) { /* BEGIN (deferred) takes no lock until the first read: nor do we */
        *out = &t->head;
        return ERR_OK;
    }
    t->lazy = lazy;
    sq_writer_enter(q);
    err_t e = sq_txrun(c, SQ_BEGIN_IMMEDIATE, eb);
    if (e) sq_writer_leave(q);
    t->begun = !e;
    if (e) {
        pthread_mutex_lock(&q->mu);
        c->next_free = q->free;
        q->free = c;
        pthread_mutex_unlock(&q->mu);
        free(t);
        return e;
    }
    *out = &t->head;
    return ERR_OK;
}

/* Gives the connection back to the pool and frees t (the write lock is already left). */
static void sq_finish(sq_tx_t *t)
{
    sq_store_t *q = t->head.store->impl;
    pthread_mutex_lock(&q->mu);
    t->c->next_free = q->free;
    q->free = t->c;
    pthread_mutex_unlock(&q->mu);
    free(t);
}

/* fdatasync of the WAL file (any descriptor of the file syncs its data). The descriptor
 * is kept; one whose file was unlinked (SQLite removes the WAL when its last connection
 * closes) is reopened, so the sync always reaches the file SQLite writes. 0, or -1 with
 * errno. Only the syncing thread calls it (q->syncing). */
static int sq_sync_wal(sq_store_t *q)
{
    struct stat st;
    if (q->wal_fd >= 0 && (fstat(q->wal_fd, &st) != 0 || st.st_nlink == 0)) {
        close(q->wal_fd);
        q->wal_fd = -1;
    }
    if (q->wal_fd < 0) {
        char wal[4200];
        snprintf(wal, sizeof(wal), "%s-wal", q->path);
        q->wal_fd = open(wal, O_RDONLY | O_CLOEXEC);
        if (q->wal_fd < 0) return -1;
    }
    return fdatasync(q->wal_fd);
}

/* Returns once write commit number mine (q->committed when it was made) is on disk: the
 * first waiter with no fdatasync under way runs one, covering every commit made before it
 * starts; the others wait for it and go again if it ended before their commit was
 * covered. ERR_STORE when the fdatasync fails (the commit is visible but may not be
 * durable; the next waiter tries again). Called without q->mu. */
static err_t sq_group_sync(sq_store_t *q, uint64_t mine, errbuf_t *eb)
{
    err_t e = ERR_OK;
    pthread_mutex_lock(&q->mu);
    while (q->synced < mine) {
        if (q->syncing) {
            pthread_cond_wait(&q->scv, &q->mu);
            continue;
        }
        q->syncing = true;
        uint64_t upto = q->committed;
        pthread_mutex_unlock(&q->mu);
        int rc = sq_sync_wal(q);
        int err = errno;
        pthread_mutex_lock(&q->mu);
        q->syncing = false;
        if (rc == 0 && upto > q->synced) q->synced = upto;
        pthread_cond_broadcast(&q->scv);
        if (rc != 0) {
            e = err_fail(eb, ERR_STORE, "fsync of %s-wal: %s", q->path, strerror(err));
            break;
        }
    }
    pthread_mutex_unlock(&q->mu);
    return e;
}

/* The syncer thread: while waiters are there, one group fsync for the newest ticket among
 * them, then calls (outside the lock) every waiter it covered, or every waiter with ok
 * false when it failed. At close it empties the list the same way and ends. */
static void *sq_syncer(void *arg)
{
    sq_store_t *q = arg;
    pthread_mutex_lock(&q->mu);
    for (;;) {
        while (!q->waiters && !q->closing) pthread_cond_wait(&q->qcv, &q->mu);
        if (!q->waiters) break;
        uint64_t want = 0;
        for (sq_waiter_t *w = q->waiters; w; w = w->next)
            if (w->ticket > want) want = w->ticket;
        pthread_mutex_unlock(&q->mu);
        errbuf_t eb;
        err_t e = sq_group_sync(q, want, &eb);
        if (e) {
            char m[600];
            log_error("commit not made durable", "\"error\":\"%s\"",
                      log_escape(m, sizeof(m), eb.msg));
        }
        pthread_mutex_lock(&q->mu);
        sq_waiter_t *done = NULL, **pp = &q->waiters;
        while (*pp) {
            sq_waiter_t *w = *pp;
            if (e || w->ticket <= q->synced) {
                *pp = w->next;
                w->next = done;
                done = w;
            } else {
                pp = &w->next;
            }
        }
        pthread_mutex_unlock(&q->mu);
        while (done) {
            sq_waiter_t *w = done;
            done = w->next;
            w->fn(w->arg, !e);
            free(w);
        }
        pthread_mutex_lock(&q->mu);
    }
    pthread_mutex_unlock(&q->mu);
    return NULL;
}

static void sq_when_durable(store_t *s, uint64_t ticket, store_durable_fn fn, void *arg)
{
    sq_store_t *q = s->impl;
    pthread_mutex_lock(&q->mu);
    if (ticket <= q->synced || q->closing) {
        bool ok = ticket <= q->synced;
        pthread_mutex_unlock(&q->mu);
        fn(arg, ok);
        return;
    }
    if (!q->syncer_on) {
        if (pthread_create(&q->syncer, NULL, sq_syncer, q) != 0) abort(); /* house OOM policy */
        q->syncer_on = true;
    }
    sq_waiter_t *w = xcalloc(1, sizeof(*w));
    *w = (sq_waiter_t){ticket, fn, arg, q->waiters};
    q->waiters = w;
    pthread_cond_signal(&q->qcv);
    pthread_mutex_unlock(&q->mu);
}

/* The commit, and the write lock left; *mine is the write commit's number (0: none). */
static err_t sq_commit_only(sq_tx_t *t, uint64_t *mine, errbuf_t *eb)
{
    sq_store_t *q = t->head.store->impl;
    *mine = 0;
    sq_release(t);
    err_t e = t->begun ? sq_txrun(t->c, SQ_COMMIT, eb) : ERR_OK;
    if (e && !sqlite3_get_autocommit(t->c->db)) sq_txrun(t->c, SQ_ROLLBACK, NULL);
    if (!t->head.write) return e;
    if (!e) {
        pthread_mutex_lock(&q->mu);
        *mine = ++q->committed;
        pthread_mutex_unlock(&q->mu);
    }
    sq_writer_leave(q);
    if (!q->sync_full || t->lazy) *mine = 0;
    return e;
}

static err_t sq_commit_ticket(store_tx_t *tx, uint64_t *ticket, errbuf_t *eb)
{
    sq_tx_t *t = (sq_tx_t *)tx;
    err_t e = sq_commit_only(t, ticket, eb);
    sq_finish(t);
    return e;
}

static err_t sq_commit(store_tx_t *tx, errbuf_t *eb)
{
    sq_tx_t *t = (sq_tx_t *)tx;
    uint64_t mine = 0;
    err_t e = sq_commit_only(t, &mine, eb);
    sq_store_t *q = tx->store->impl;
    sq_finish(t);
    if (!e && mine) e = sq_group_sync(q, mine, eb);
    return e;
}

static void sq_rollback(store_tx_t *tx)
{
    sq_tx_t *t = (sq_tx_t *)tx;
    sq_release(t);
    if (t->begun && !sqlite3_get_autocommit(t->c->db)) sq_txrun(t->c, SQ_ROLLBACK, NULL);
    if (tx->write) sq_writer_leave(tx->store->impl);
    sq_finish(t);
}

static err_t sq_prepare(store_tx_t *tx, const char *sql, store_stmt_t **out, errbuf_t *eb)
{
    sq_tx_t *t = (sq_tx_t *)tx;
    sq_stmt_t *w = NULL;
    err_t e = ERR_OK;
    if (!t->begun) { /* a reader's first statement: now the transaction starts */
        e = sq_txrun(t->c, SQ_BEGIN, eb);
        if (e) return e;
        t->begun = true;
    }
    e = sq_cached(t->c, sql, &w, eb);
    if (e) return e;
    if (!w || sqlite3_stmt_busy(w->st)) {
        /* in use by an outer loop of this transaction (or the cache is full) */
        sqlite3_stmt *st;
        int rc = sqlite3_prepare_v2(t->c->db, sql, -1, &st, NULL);
        if (rc != SQLITE_OK) return sq_fail(eb, t->c->db, rc, "prepare");
        w = xcalloc(1, sizeof(*w));
        w->st = st;
        w->sql = sql;
        w->next_extra = t->extra;
        t->extra = w;
    } else {
        sqlite3_reset(w->st);
        sqlite3_clear_bindings(w->st);
    }
    w->head.tx = tx;
    *out = &w->head;
    return ERR_OK;
}

static void sq_bind_text(store_stmt_t *st, int i, const char *p, size_t n)
{
    sqlite3_bind_text(((sq_stmt_t *)st)->st, i, p, (int)n, SQLITE_TRANSIENT);
}

static void sq_bind_int(store_stmt_t *st, int i, int64_t v)
{
    sqlite3_bind_int64(((sq_stmt_t *)st)->st, i, v);
}

static void sq_bind_null(store_stmt_t *st, int i)
{
    sqlite3_bind_null(((sq_stmt_t *)st)->st, i);
}

static err_t sq_step(store_stmt_t *st, bool *row, errbuf_t *eb)
{
    sq_stmt_t *w = (sq_stmt_t *)st;
    sq_tx_t *t = (sq_tx_t *)st->tx;
    int rc = sqlite3_step(w->st);
    atomic_fetch_add_explicit(&((sq_store_t *)t->head.store->impl)->work,
                              sqlite3_stmt_status(w->st, SQLITE_STMTSTATUS_VM_STEP, 1),
                              memory_order_relaxed);
    if (rc == SQLITE_ROW) {
        *row = true;
        return ERR_OK;
    }
    *row = false;
    if (rc == SQLITE_DONE) {
        if (!sqlite3_stmt_readonly(w->st)) t->changes = sqlite3_changes64(t->c->db);
        sqlite3_reset(w->st);
        return ERR_OK;
    }
    err_t e = sq_fail(eb, t->c->db, rc, "step");
    sqlite3_reset(w->st);
    return e;
}

static const char *sq_col_text(store_stmt_t *st, int i)
{
    return (const char *)sqlite3_column_text(((sq_stmt_t *)st)->st, i);
}

static int64_t sq_col_int(store_stmt_t *st, int i)
{
    return sqlite3_column_int64(((sq_stmt_t *)st)->st, i);
}

static bool sq_col_null(store_stmt_t *st, int i)
{
    return sqlite3_column_type(((sq_stmt_t *)st)->st, i) == SQLITE_NULL;
}

static int64_t sq_changes(store_tx_t *tx)
{
    return ((sq_tx_t *)tx)->changes;
}

static int64_t sq_work(const store_t *s)
{
    return atomic_load_explicit(&((sq_store_t *)s->impl)->work, memory_order_relaxed);
}

const store_backend_t store_sqlite_backend = {
    .name = "sqlite",
    .skip_locked = "",
    .check = sq_check,
    .open = sq_open,
    .close = sq_close,
    .begin = sq_begin,
    .commit = sq_commit,
    .commit_ticket = sq_commit_ticket,
    .when_durable = sq_when_durable,
    .rollback = sq_rollback,
    .prepare = sq_prepare,
    .bind_text = sq_bind_text,
    .bind_int = sq_bind_int,
    .bind_null = sq_bind_null,
    .step = sq_step,
    .col_text = sq_col_text,
    .col_int = sq_col_int,
    .col_null = sq_col_null,
    .changes = sq_changes,
    .work = sq_work,
};
