/* pg_open.c - the PostgreSQL backend's start and its messages between nodes: the checks
 * made before anything changes, opening the pool, the migrations' lock and the jobs
 * trigger, store_publish (NOTIFY) and store_listen (a LISTEN thread). See pg.c's head. */
#include "store/pg_int.h"

#include "core/log.h"
#include "core/mem.h"

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static err_t pg_listen(store_t *s, store_listen_fn fn, void *ud, errbuf_t *eb);

/* ---- opening, checks, migrations ------------------------------------------------------ */

/* libpq's message m about url on one line, into buf, with the password kept out of it:
 * the URL quoted whole becomes safe (the URL without its password); any other quoted
 * fragment of the URL that safe does not hold becomes "***" (libpq quotes a token it
 * cannot decode, which may be the password); runs of white space become one space. */
static const char *pg_scrub(const char *m, const char *url, const char *safe, char *buf, size_t cap)
{
    size_t o = 0;
    buf[0] = '\0';
    for (const char *p = m ? m : ""; *p && o + 1 < cap;) {
        const char *end = *p == '"' ? strchr(p + 1, '"') : NULL;
        if (end) {
            char *frag = xstrndup(p + 1, (size_t)(end - p - 1));
            const char *say = !strcmp(frag, url)                                  ? safe
                              : *frag && strstr(url, frag) && !strstr(safe, frag) ? "***"
                                                                                  : frag;
            o += (size_t)snprintf(buf + o, cap - o, "\"%s\"", say);
            free(frag);
            p = end + 1;
        } else if (isspace((unsigned char)*p)) {
            if (o > 0 && buf[o - 1] != ' ') buf[o++] = ' ';
            p++;
        } else {
            buf[o++] = *p++;
        }
        if (o >= cap) o = cap - 1; /* snprintf truncated */
        buf[o] = '\0';
    }
    while (o > 0 && buf[o - 1] == ' ') buf[--o] = '\0';
    return buf;
}

/* Connects to url (safe: the same without its password, for messages) and checks,
 * changing nothing, that it names a writable primary whose database is empty or
 * catalogd's, of a schema this catalogd knows. *exists: catalogd's schema is there.
 * *out: the connection (also on failure: the caller PQfinish-es it; NULL when the URL
 * was refused before connecting). */
static err_t pg_check_conn(const char *url, const char *safe, PGconn **out, bool *exists,
                           errbuf_t *eb)
{
    char m[1200];
    *out = NULL;
    *exists = false;
    /* libpq takes a string that is neither a URL nor key=value as a database name */
    if (strncmp(url, "postgresql://", 13) && strncmp(url, "postgres://", 11) && !strchr(url, '='))
        return err_fail(eb, ERR_STORE, /* not quoted: where its password is is unknown */
                        "the database URL (--database-url, CATALOGD_DATABASE_URL) is not a "
                        "PostgreSQL URL: give postgresql://USER:PASSWORD@HOST:PORT/DATABASE");
    PGconn *db = *out = pg_connect(url);
    if (PQstatus(db) != CONNECTION_OK)
        return err_fail(eb, ERR_STORE, "cannot connect to the database %s: %s", safe,
                        pg_scrub(PQerrorMessage(db), url, safe, m, sizeof(m)));
    PGresult *r = PQexec(db, "SELECT pg_is_in_recovery(), current_setting('transaction_read_only'),"
                             " to_regclass('schema_migrations') IS NOT NULL,"
                             " to_regclass('meta') IS NOT NULL,"
                             " to_regclass('access_keys') IS NOT NULL,"
                             " (SELECT COUNT(*) FROM pg_catalog.pg_tables WHERE schemaname ="
                             " current_schema())");
    err_t e = ERR_OK;
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
        e = err_fail(eb, ERR_STORE, "cannot read the database %s: %s", safe,
                     pg_scrub(PQresultErrorMessage(r), url, safe, m, sizeof(m)));
    } else if (!strcmp(PQgetvalue(r, 0, 0), "t")) {
        e = err_fail(eb, ERR_STORE,
                     "the database %s is a read-only replica (in recovery): give the primary's "
                     "URL (or target_session_attrs=read-write)",
                     safe);
    } else if (!strcmp(PQgetvalue(r, 0, 1), "on")) {
        e = err_fail(eb, ERR_STORE,
                     "the database %s is read-only (default_transaction_read_only): catalogd "
                     "needs a writable primary",
                     safe);
    } else {
        int have = !strcmp(PQgetvalue(r, 0, 2), "t") + !strcmp(PQgetvalue(r, 0, 3), "t") +
                   !strcmp(PQgetvalue(r, 0, 4), "t");
        long tables = strtol(PQgetvalue(r, 0, 5), NULL, 10);
        *exists = have == 3;
        if (have != 3 && tables > 0)
            e = err_fail(eb, ERR_STORE,
                         "the database %s is not a catalogd database (it holds %ld table%s, not "
                         "catalogd's): give an empty database or catalogd's own",
                         safe, tables, tables == 1 ? "" : "s");
    }
    PQclear(r);
    if (!e && *exists) { /* a newer catalogd's: this one would misread it */
        r = PQexec(db, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
        long v = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1
                     ? strtol(PQgetvalue(r, 0, 0), NULL, 10)
                     : 0;
        if (v > store_n_migrations)
            e = err_fail(eb, ERR_STORE,
                         "the database %s has schema version %ld, newer than this catalogd (%d): "
                         "run the catalogd release that wrote it, or a newer one",
                         safe, v, store_n_migrations);
        PQclear(r);
    }
    return e;
}

static err_t pg_check(const store_opts_t *o, bool *exists, errbuf_t *eb)
{
    char safe[512];
    pg_redact(o->url, safe, sizeof(safe));
    PGconn *db;
    err_t e = pg_check_conn(o->url, safe, &db, exists, eb);
    PQfinish(db);
    return e;
}

/* The trigger that tells every node's engine of jobs made runnable (see the file's head).
 * Created after the migrations, idempotently; backend-specific, so not a migration. */
static const char pg_setup_sql[] =
    "CREATE OR REPLACE FUNCTION catalogd_jobs_wake() RETURNS trigger LANGUAGE plpgsql AS $$"
    " BEGIN PERFORM pg_notify('" PG_CHANNEL "', 'wake'); RETURN NULL; END $$;"
    " CREATE OR REPLACE TRIGGER catalogd_jobs_wake AFTER INSERT OR UPDATE OF run_at ON jobs"
    " FOR EACH ROW WHEN (NEW.state = 'ready' AND NEW.lease_owner IS NULL)"
    " EXECUTE FUNCTION catalogd_jobs_wake()";

static err_t pg_open(store_t *s, const store_opts_t *o, errbuf_t *eb)
{
    pg_store_t *q = xcalloc(1, sizeof(*q));
    q->url = xstrdup(o->url);
    pg_redact(o->url, q->safe_url, sizeof(q->safe_url));
    q->max = o->pool > 0 ? o->pool : 16;
    q->sync_full = o->sync_full;
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->cv, NULL);
    s->impl = q;
    /* the node's own files (master.key, node-id, run directories) are one process's */
    const char *dir = o->data_dir && *o->data_dir ? o->data_dir : ".";
    if (o->exclusive && mkdir(dir, 0700) != 0 && errno != EEXIST) {
        err_t e =
            err_fail(eb, ERR_STORE, "cannot create data directory %s: %s", dir, strerror(errno));
        s->be->close(s);
        return e;
    }
    if (o->exclusive) {
        err_t e = store_lock_dir(s, dir, eb);
        if (e) {
            s->be->close(s);
            return e;
        }
    }
    bool exists = false;
    PGconn *db;
    err_t e = pg_check_conn(q->url, q->safe_url, &db, &exists, eb);
    if (e) {
        PQfinish(db);
        s->be->close(s);
        return e;
    }
    q->migrate = xcalloc(1, sizeof(*q->migrate));
    q->migrate->db = db;
    char sql[96];
    snprintf(sql, sizeof(sql), "SELECT pg_advisory_lock(%d)", PG_LOCK_MIGRATE);
    e = pg_run(q->migrate, sql, "migration lock", eb);
    if (!e) { /* another node may have created it while we waited */
        PGresult *r = PQexec(db, "SELECT to_regclass('schema_migrations') IS NOT NULL");
        s->created = PQresultStatus(r) == PGRES_TUPLES_OK && !strcmp(PQgetvalue(r, 0, 0), "f");
        PQclear(r);
    }
    if (e) {
        s->be->close(s);
        return e;
    }
    return ERR_OK;
}

static err_t pg_migrated(store_t *s, err_t rc, errbuf_t *eb)
{
    pg_store_t *q = s->impl;
    if (!rc) rc = pg_run(q->migrate, pg_setup_sql, "set-up", eb);
    char sql[96];
    snprintf(sql, sizeof(sql), "SELECT pg_advisory_unlock(%d)", PG_LOCK_MIGRATE);
    errbuf_t ignore;
    pg_run(q->migrate, sql, "migration unlock", &ignore);
    pg_conn_close(q->migrate);
    q->migrate = NULL;
    return rc;
}

static void pg_close(store_t *s)
{
    pg_store_t *q = s->impl;
    if (!q) return;
    errbuf_t ignore;
    pg_listen(s, NULL, NULL, &ignore);
    while (q->free) {
        pg_conn_t *c = q->free;
        q->free = c->next_free;
        pg_conn_close(c);
    }
    pg_conn_close(q->migrate);
    pthread_mutex_destroy(&q->mu);
    pthread_cond_destroy(&q->cv);
    free(q->url);
    free(q);
    s->impl = NULL;
}

/* ---- publish and listen ---------------------------------------------------------------- */

static void pg_publish(store_t *s, const char *msg)
{
    pg_store_t *q = s->impl;
    pg_conn_t *c;
    errbuf_t eb;
    if (pg_acquire(q, &c, &eb)) return; /* best effort: the listeners poll too */
    const char *vals[1] = {msg};
    PGresult *r =
        PQexecParams(c->db, "SELECT pg_notify('" PG_CHANNEL "', $1)", 1, NULL, vals, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) pg_fail(c, r, "notify", &eb);
    PQclear(r);
    pg_release_conn(q, c);
}

/* The listener thread: LISTEN on a connection of its own, each notification to fn; when
 * the connection breaks, reconnects every second and tells fn "*" (it may have missed
 * messages). Stops when q->stop is set (within 200 ms). */
static void *pg_listen_main(void *arg)
{
    pg_store_t *q = arg;
    PGconn *db = NULL;
    bool missed = false;
    while (!atomic_load(&q->stop)) {
        if (!db || PQstatus(db) != CONNECTION_OK) {
            PQfinish(db);
            db = pg_connect(q->url);
            PGresult *r = PQstatus(db) == CONNECTION_OK ? PQexec(db, "LISTEN " PG_CHANNEL) : NULL;
            bool ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;
            PQclear(r);
            if (!ok) {
                PQfinish(db);
                db = NULL;
                missed = true;
                for (int i = 0; i < 5 && !atomic_load(&q->stop); i++) usleep(200 * 1000);
                continue;
            }
            if (missed) q->fn(q->ud, "*");
            missed = false;
        }
        struct pollfd pfd = {.fd = PQsocket(db), .events = POLLIN};
        if (poll(&pfd, 1, 200) < 0) continue;
        if (!PQconsumeInput(db)) {
            missed = true;
            continue;
        }
        PGnotify *n;
        while ((n = PQnotifies(db)) != NULL) {
            q->fn(q->ud, n->extra);
            PQfreemem(n);
        }
    }
    PQfinish(db);
    return NULL;
}

static err_t pg_listen(store_t *s, store_listen_fn fn, void *ud, errbuf_t *eb)
{
    pg_store_t *q = s->impl;
    if (!fn) { /* store_unlisten */
        if (q->listening) {
            atomic_store(&q->stop, true);
            pthread_join(q->listener, NULL);
            q->listening = false;
            atomic_store(&q->stop, false);
        }
        return ERR_OK;
    }
    if (q->listening) return err_fail(eb, ERR_INTERNAL, "the store already has a listener");
    q->fn = fn;
    q->ud = ud;
    if (pthread_create(&q->listener, NULL, pg_listen_main, q) != 0)
        return err_fail(eb, ERR_INTERNAL, "cannot start the database listener");
    q->listening = true;
    return ERR_OK;
}

const store_backend_t store_pg_backend = {
    .name = "postgres",
    .skip_locked = " FOR UPDATE SKIP LOCKED",
    .shared = true,
    .check = pg_check,
    .open = pg_open,
    .migrated = pg_migrated,
    .publish = pg_publish,
    .listen = pg_listen,
    .close = pg_close,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .prepare = pg_prepare,
    .bind_text = pg_bind_text,
    .bind_int = pg_bind_int,
    .bind_null = pg_bind_null,
    .step = pg_step,
    .col_text = pg_col_text,
    .col_int = pg_col_int,
    .col_null = pg_col_null,
    .changes = pg_changes,
    .work = pg_work,
};
