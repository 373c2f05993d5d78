/* engine.c - job claiming, step execution with lease fencing, retries with backoff,
 * lease renewal, and the worker threads. */
#include "engine/engine.h"

#include "core/log.h"
#include "core/mem.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { OUTCOME_DONE, OUTCOME_AGAIN };

typedef struct engine_kind {
    char *name;
    engine_fn fn;
    int max_attempts;
    engine_giveup_fn giveup;
} engine_kind_t;

typedef struct engine_worker {
    engine_t *e;
    pthread_t th;
    int index;
    /* the job in flight and its lease owner, for the heartbeat ("" when idle; e->mu) */
    char claim[80];
    char claim_id[64];
} engine_worker_t;

struct engine {
    engine_opts_t o;
    char node[48];    /* this process (lease owners) */
    char node_id[64]; /* this node, stable across restarts (pins) */
    engine_kind_t *kinds;
    size_t n_kinds;
    engine_worker_t *workers;
    pthread_t heartbeat;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool running, started;
    uint64_t wakeups; /* bumped by engine_notify */
    atomic_bool lazy; /* lazy commits since the last durable one (engine_durable) */
};

err_t engine_create(const engine_opts_t *o, engine_t **out, errbuf_t *eb)
{
    engine_t *e = xcalloc(1, sizeof(*e));
    e->o = *o;
    if (e->o.workers <= 0) e->o.workers = 2;
    if (e->o.lease_ms <= 0) e->o.lease_ms = 30000;
    if (e->o.poll_ms <= 0) e->o.poll_ms = 1000;
    char rnd[9];
    ids_chars(o->ids, "", IDS_LOWER_ALNUM, 8, rnd);
    snprintf(e->node, sizeof(e->node), "%ld-%s", (long)getpid(), rnd);
    snprintf(e->node_id, sizeof(e->node_id), "%s",
             o->node_id && *o->node_id ? o->node_id : e->node);
    e->o.node_id = e->node_id;
    pthread_mutex_init(&e->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&e->cv, &ca);
    pthread_condattr_destroy(&ca);
    *out = e;
    return ERR_OK;
}

void engine_register(engine_t *e, const char *kind, engine_fn fn, int max_attempts,
                     engine_giveup_fn giveup)
{
    e->kinds = xrealloc(e->kinds, sizeof(*e->kinds) * (e->n_kinds + 1));
    e->kinds[e->n_kinds++] =
        (engine_kind_t){xstrdup(kind), fn, max_attempts < 1 ? 1 : max_attempts, giveup};
}

static const engine_kind_t *engine_kind(engine_t *e, const char *name)
{
    for (size_t i = 0; i < e->n_kinds; i++)
        if (strcmp(e->kinds[i].name, name) == 0) return &e->kinds[i];
    return NULL;
}

err_t engine_enqueue(store_tx_t *tx, ids_t *ids, const char *kind, const char *payload,
                     int64_t run_at_ms, int max_attempts, char *id_out, errbuf_t *eb)
{
    char id[37];
    ids_uuid(ids, id);
    err_t rc = store_exec(tx, eb, NULL,
                          "INSERT INTO jobs (id, kind, payload, state, run_at, attempts,"
                          " max_attempts, lease_owner, lease_until, last_error, created_ms,"
                          " updated_ms) VALUES (?, ?, ?, 'ready', ?, 0, ?, NULL, 0, NULL, ?, ?)",
                          "sssiiii", id, kind, payload, run_at_ms,
                          (int64_t)(max_attempts < 1 ? 1 : max_attempts), run_at_ms, run_at_ms);
    if (!rc && id_out) memcpy(id_out, id, sizeof(id));
    return rc;
}

err_t engine_hasten(store_tx_t *tx, const char *id, int64_t run_at_ms, bool *found, errbuf_t *eb)
{
    int64_t n = 0;
    err_t rc = store_exec(tx, eb, &n,
                          "UPDATE jobs SET run_at = CASE WHEN run_at > ? THEN ? ELSE run_at END"
                          " WHERE id = ? AND state = 'ready'",
                          "iis", run_at_ms, run_at_ms, id);
    *found = !rc && n > 0;
    return rc;
}

err_t engine_watch(store_tx_t *tx, const char *topic, const char *job_id, errbuf_t *eb)
{
    return store_exec(tx, eb, NULL,
                      "INSERT INTO job_watch (topic, job) VALUES (?, ?) ON CONFLICT DO NOTHING",
                      "ss", topic, job_id);
}

err_t engine_signal(store_tx_t *tx, const char *topic, int64_t now_ms, errbuf_t *eb)
{
    /* by key: the topic's watches, then each watcher's row by id. The state and run_at
     * tests sit in the CASE, not the WHERE, so no plan can walk index jobs_due (every
     * waiting job) instead: a signal reads only its own watchers. */
    err_t rc = store_exec(tx, eb, NULL,
                          "UPDATE jobs SET run_at = CASE WHEN state = 'ready' AND run_at > ?"
                          " THEN ? ELSE run_at END WHERE id IN"
                          " (SELECT job FROM job_watch WHERE topic = ?)",
                          "iis", now_ms, now_ms, topic);
    if (!rc) rc = store_exec(tx, eb, NULL, "DELETE FROM job_watch WHERE topic = ?", "s", topic);
    return rc;
}

void engine_notify(engine_t *e)
{
    if (!e) return;
    pthread_mutex_lock(&e->mu);
    e->wakeups++;
    pthread_cond_broadcast(&e->cv);
    pthread_mutex_unlock(&e->mu);
}

/* Makes every commit so far durable, when a lazy one (store_begin_lazy) may not be yet:
 * one small write with a durable commit (the log is written in order, so it carries the
 * lazy ones). Failures are logged: the next durable commit of anyone does the same. */
static void engine_durable(engine_t *e)
{
    if (!atomic_exchange(&e->lazy, false)) return;
    errbuf_t eb = {{0}};
    store_tx_t *tx;
    char now[24];
    snprintf(now, sizeof(now), "%lld", (long long)clk_now_ms(e->o.clock));
    err_t rc = store_begin(e->o.store, true, &tx, &eb);
    if (!rc)
        rc = store_exec(tx, &eb, NULL,
                        "INSERT INTO meta (key, value) VALUES ('engine.durable', ?)"
                        " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                        "s", now);
    if (!rc)
        rc = store_commit(tx, &eb);
    else
        store_rollback(tx);
    if (rc) log_warn("job steps not made durable", "\"error\":\"%s\"", eb.msg);
}

store_tx_t *engine_tx(engine_run_t *r, err_t *rc)
{
    if (!r->tx) {
        *rc = store_begin_lazy(r->engine->o.store, &r->tx, r->eb);
        if (*rc) {
            r->tx = NULL;
            return NULL;
        }
    }
    *rc = ERR_OK;
    return r->tx;
}

void engine_done(engine_run_t *r)
{
    r->outcome = OUTCOME_DONE;
}

void engine_again(engine_run_t *r, const char *payload, int64_t run_at_ms)
{
    r->outcome = OUTCOME_AGAIN;
    r->next_payload = arena_strdup(r->arena, payload);
    r->next_run_at = run_at_ms;
}

void engine_fail(engine_run_t *r)
{
    r->permanent = true;
}

void engine_after_commit(engine_run_t *r, void (*fn)(void *arg), void *arg)
{
    r->after = fn;
    r->after_arg = arg;
}

typedef struct claimed {
    char id[64];
    char owner[80]; /* the claim's lease owner: the fence of everything done for it */
    char kind[128];
    char *payload;
    char *last_error; /* NULL when the step has not failed since its last success */
    int attempts, max_attempts;
    bool orphaned; /* pinned to another node, which stopped (engine_pin) */
    bool pinned;   /* pinned to this node */
} claimed_t;

static void engine_claimed_free(claimed_t *c)
{
    free(c->payload);
    free(c->last_error);
}

/* Publishes the job w has in flight (c; NULL: none) for the heartbeat. */
static void engine_publish(engine_worker_t *w, const claimed_t *c)
{
    pthread_mutex_lock(&w->e->mu);
    _Static_assert(sizeof(w->claim) == sizeof(c->owner) && sizeof(w->claim_id) == sizeof(c->id),
                   "the slot holds a claim");
    if (c) {
        memcpy(w->claim, c->owner, sizeof(w->claim));
        memcpy(w->claim_id, c->id, sizeof(w->claim_id));
    } else {
        w->claim[0] = w->claim_id[0] = '\0';
    }
    pthread_mutex_unlock(&w->e->mu);
}

/* Claims the next due job for worker w in tx (a write transaction; the claim holds iff tx
 * commits). *got is false when nothing is due. The claim counts the attempt in the same
 * UPDATE that takes the lease, before the step runs: a step that stops the process still
 * counts, and the claim after the last allowed one gives the job up instead of running it
 * (engine_step). The subquery walks the ready rows of index jobs_due in run_at order and
 * stops at the first unleased one: it reads the row it takes plus the leases in flight
 * (at most one per worker), however many jobs are due (ORDER BY run_at alone: a second
 * key not in the index would sort every due row first). PostgreSQL adds SKIP LOCKED. */
static err_t engine_claim_in(engine_worker_t *w, store_tx_t *tx, claimed_t *c, bool *got,
                             errbuf_t *eb)
{
    engine_t *e = w->e;
    int64_t now = clk_now_ms(e->o.clock);
    char tok[9];
    ids_chars(e->o.ids, "", IDS_LOWER_ALNUM, 8, tok);
    *got = false;
    /* a job pinned to a node that lives is that node's; one whose node is dead is taken
     * (its step is told: orphaned; its commit moves the pin here) */
    char sql[1024];
    snprintf(sql, sizeof(sql),
             "UPDATE jobs SET lease_owner = ?, lease_until = ?, attempts = attempts + 1,"
             " updated_ms = ? WHERE id = (SELECT id FROM jobs WHERE state = 'ready' AND"
             " run_at <= ? AND lease_until <= ? AND (pin IS NULL OR pin = ? OR NOT EXISTS"
             " (SELECT 1 FROM engine_nodes n WHERE n.id = jobs.pin AND n.seen_ms > ?))"
             " ORDER BY run_at LIMIT 1%s)"
             " RETURNING id, kind, payload, attempts, max_attempts, last_error, pin",
             store_sql_skip_locked(e->o.store));
    char owner[80];
    snprintf(owner, sizeof(owner), "%s/%d/%s", e->node, w->index, tok);
    store_stmt_t *st;
    bool row = false;
    err_t rc = store_query(tx, eb, &st, sql, "siiiisi", owner, now + e->o.lease_ms, now, now, now,
                           e->node_id, now - e->o.lease_ms);
    if (!rc) rc = store_step(st, &row, eb);
    if (!rc && row) {
        snprintf(c->id, sizeof(c->id), "%s", store_col_text(st, 0));
        snprintf(c->owner, sizeof(c->owner), "%s", owner);
        snprintf(c->kind, sizeof(c->kind), "%s", store_col_text(st, 1));
        c->payload = xstrdup(store_col_text(st, 2) ? store_col_text(st, 2) : "{}");
        c->attempts = (int)store_col_int(st, 3);
        c->max_attempts = (int)store_col_int(st, 4);
        c->last_error = store_col_null(st, 5) ? NULL : xstrdup(store_col_text(st, 5));
        const char *was = store_col_text(st, 6);
        c->orphaned = was && strcmp(was, e->node_id) != 0;
        c->pinned = was && !c->orphaned;
        bool more;
        rc = store_step(st, &more, eb); /* finish the statement */
        if (rc) engine_claimed_free(c);
    }
    *got = !rc && row;
    return rc;
}

/* Claims the next due job for w in a transaction of its own (when the worker has nothing
 * in hand: at start, after an idle wait, after a step that failed). */
static err_t engine_claim(engine_worker_t *w, claimed_t *c, bool *got, errbuf_t *eb)
{
    store_tx_t *tx;
    *got = false;
    err_t rc = store_begin_lazy(w->e->o.store, &tx, eb);
    if (rc) return rc;
    rc = engine_claim_in(w, tx, c, got, eb);
    if (!rc) {
        rc = store_commit(tx, eb);
    } else {
        store_rollback(tx);
    }
    if (rc && *got) engine_claimed_free(c);
    *got = *got && !rc;
    if (*got) engine_publish(w, c);
    return rc;
}

/* Ends claim c's lease without a step's commit, in a transaction of its own: the job is
 * due again at run_at with last_error, and uncount (0 or 1) takes back the attempt the
 * claim counted. Fenced by the claim like a step. */
static err_t engine_unlease(engine_t *e, const claimed_t *c, int64_t run_at, int64_t uncount,
                            const char *last_error, errbuf_t *eb)
{
    store_tx_t *tx;
    err_t rc = store_begin(e->o.store, true, &tx, eb);
    if (!rc)
        rc = store_exec(tx, eb, NULL,
                        "UPDATE jobs SET run_at = ?, lease_owner = NULL, lease_until = 0,"
                        " attempts = attempts - ?, last_error = ?, updated_ms = ?"
                        " WHERE id = ? AND lease_owner = ?",
                        "iisiss", run_at, uncount, last_error, clk_now_ms(e->o.clock), c->id,
                        c->owner);
    if (!rc)
        rc = store_commit(tx, eb);
    else
        store_rollback(tx);
    return rc;
}

/* Hands back claim c untaken (the engine stops before its step runs): due now (it was
 * due when claimed), and the attempt the claim counted is uncounted. */
static void engine_unclaim(engine_t *e, const claimed_t *c)
{
    errbuf_t eb = {{0}};
    if (engine_unlease(e, c, clk_now_ms(e->o.clock), 1, c->last_error, &eb))
        log_warn("job claim not handed back", "\"job\":\"%s\",\"error\":\"%s\"", c->id, eb.msg);
}

/* Records a failed attempt that is not the last: back off and retry. */
static void engine_retry(engine_worker_t *w, claimed_t *c, err_t why, const char *msg)
{
    engine_t *e = w->e;
    errbuf_t eb = {{0}};
    int64_t now = clk_now_ms(e->o.clock);
    int64_t backoff = 1000LL << (c->attempts < 10 ? c->attempts - 1 : 9);
    err_t rc = engine_unlease(e, c, now + backoff, 0, msg, &eb);
    char em[512];
    log_warn("job attempt failed",
             "\"job\":\"%s\",\"kind\":\"%s\",\"attempt\":%d,\"error\":\"%s\",\"detail\":\"%s\"",
             c->id, c->kind, c->attempts, err_name(why), log_escape(em, sizeof(em), msg));
    if (rc) log_warn("job failure not recorded", "\"job\":\"%s\",\"error\":\"%s\"", c->id, eb.msg);
}

/* A step's run of claimed job c, with arena and eb for it. */
static engine_run_t engine_run_init(engine_worker_t *w, const claimed_t *c, arena_t *arena,
                                    errbuf_t *eb)
{
    engine_t *e = w->e;
    return (engine_run_t){.job_id = c->id,
                          .kind = c->kind,
                          .payload = c->payload,
                          .attempt = c->attempts,
                          .now_ms = clk_now_ms(e->o.clock),
                          .app = e->o.app,
                          .engine = e,
                          .arena = arena,
                          .eb = eb,
                          .outcome = OUTCOME_DONE,
                          .orphaned = c->orphaned,
                          .pinned = c->pinned};
}

/* Commits r's transaction when rc is ERR_OK (else rolls it back), then runs what waits for
 * the commit: the app's after-commit work for r->post, and engine_after_commit's fn. The
 * one place a step's or a give-up's transaction ends, so both run the same work a request
 * runs after its commit. */
static err_t engine_end_tx(engine_run_t *r, err_t rc)
{
    engine_t *e = r->engine;
    if (!rc) {
        store_tx_t *tx = r->tx;
        r->tx = NULL;
        rc = store_commit(tx, r->eb);
    }
    store_rollback(r->tx);
    r->tx = NULL;
    if (rc) return rc;
    atomic_store(&e->lazy, true);
    if (r->post && e->o.after_commit) e->o.after_commit(e->o.app, r->post);
    if (r->after) {
        engine_durable(e); /* the cleanup undoes what only this commit makes moot */
        r->after(r->after_arg);
    }
    return ERR_OK;
}

/* Sets job c aside: the kind's give-up (k may be NULL: no kind, or none registered) closes
 * the owner with why (what the owner's users may read), and the job becomes `failed` with
 * last_error = detail (why and the internal error, for the operator), in one transaction
 * fenced by the claim. When that cannot commit, the job comes back in a second with
 * attempts past the limit (so the next claim gives up again, with last_error = why); after
 * ENGINE_GIVEUP_TRIES such tries it is marked failed without the give-up. */
static void engine_give_up(engine_worker_t *w, claimed_t *c, const engine_kind_t *k, err_t why_rc,
                           const char *why, const char *detail)
{
    engine_t *e = w->e;
    errbuf_t eb = {{0}};
    arena_t arena;
    arena_init(&arena);
    engine_run_t r = engine_run_init(w, c, &arena, &eb);
    bool hook = k && k->giveup && c->attempts <= c->max_attempts + ENGINE_GIVEUP_TRIES;
    err_t rc = hook ? k->giveup(&r, why) : ERR_OK;
    if (!rc) engine_tx(&r, &rc);
    int64_t now = clk_now_ms(e->o.clock), changes = 0;
    if (!rc)
        rc = store_exec(r.tx, &eb, &changes,
                        "UPDATE jobs SET state = 'failed', lease_owner = NULL, lease_until = 0,"
                        " last_error = ?, updated_ms = ? WHERE id = ? AND lease_owner = ?",
                        "siss", detail, now, c->id, c->owner);
    if (!rc && changes != 1) rc = err_fail(&eb, ERR_LEASE_LOST, "the job's lease was lost");
    if (!rc) rc = store_exec(r.tx, &eb, NULL, "DELETE FROM job_watch WHERE job = ?", "s", c->id);
    rc = engine_end_tx(&r, rc);
    arena_free(&arena);
    char em[512];
    if (!rc) {
        log_write(
            LOG_ERROR, "job failed",
            "\"job\":\"%s\",\"kind\":\"%s\",\"attempt\":%d,\"error\":\"%s\",\"detail\":\"%s\","
            "\"owner_closed\":%s",
            c->id, c->kind, c->attempts, err_name(why_rc), log_escape(em, sizeof(em), detail),
            hook ? "true" : "false");
        engine_notify(e); /* the owner's watchers may be due */
        return;
    }
    if (rc == ERR_LEASE_LOST) {
        log_warn("job lease lost; step discarded", "\"job\":\"%s\"", c->id);
        return;
    }
    log_error("job give-up failed", "\"job\":\"%s\",\"kind\":\"%s\",\"error\":\"%s\"", c->id,
              c->kind, log_escape(em, sizeof(em), eb.msg));
    store_tx_t *tx;
    errbuf_t eb2 = {{0}};
    rc = store_begin(e->o.store, true, &tx, &eb2);
    if (!rc)
        rc = store_exec(tx, &eb2, NULL,
                        "UPDATE jobs SET run_at = ?, lease_owner = NULL, lease_until = 0,"
                        " attempts = CASE WHEN attempts > max_attempts THEN attempts"
                        " ELSE max_attempts + 1 END, last_error = ?, updated_ms = ?"
                        " WHERE id = ? AND lease_owner = ?",
                        "isiss", now + 1000, why, now, c->id, c->owner);
    if (!rc)
        rc = store_commit(tx, &eb2);
    else
        store_rollback(tx);
    if (rc) log_warn("job failure not recorded", "\"job\":\"%s\",\"error\":\"%s\"", c->id, eb2.msg);
}

/* Why a job whose claim counted past its limit is given up without running (its last
 * attempt never finished), for the owner's users (why) and for the operator (detail, with
 * the error an earlier attempt failed with). A later claim of a job whose give-up failed
 * keeps the reason that give-up had (last_error). */
static void engine_why_interrupted(const claimed_t *c, char why[1400], char detail[2600])
{
    size_t cap = 1400;
    if (c->attempts > c->max_attempts + 1 && c->last_error)
        snprintf(why, cap, "%s", c->last_error);
    else if (c->last_error)
        snprintf(why, cap,
                 "did not finish in %d attempts (the last was interrupted: the process stopped"
                 " while it ran; earlier ones failed with an internal error) (job %s)",
                 c->max_attempts, c->id);
    else
        snprintf(why, cap, "was interrupted %d times (the process stopped while it ran)",
                 c->max_attempts);
    if (c->attempts == c->max_attempts + 1 && c->last_error)
        snprintf(detail, 2600, "%s: %.1100s", why, c->last_error);
    else
        snprintf(detail, 2600, "%s", why);
}

static bool engine_running(engine_t *e)
{
    pthread_mutex_lock(&e->mu);
    bool running = e->running;
    pthread_mutex_unlock(&e->mu);
    return running;
}

/* Claims w's next job (into next, *got) in the transaction of the step that ends, so a
 * worker with work ahead of it commits once per step, not once for the claim and once
 * for the step. Under a savepoint: a claim that fails leaves the step's effects alone and
 * the worker claims on its own afterwards. Nothing is claimed once the engine stops. */
static void engine_claim_next(engine_worker_t *w, store_tx_t *tx, claimed_t *next, bool *got)
{
    errbuf_t eb = {{0}};
    *got = false;
    if (!engine_running(w->e) || store_savepoint(tx, &eb)) return;
    if (engine_claim_in(w, tx, next, got, &eb) || store_release(tx, &eb)) {
        if (*got) engine_claimed_free(next);
        *got = false;
        store_rollback_to(tx);
        store_release(tx, &eb);
    }
}

/* Runs one step of a claimed job and commits its effects with the job's next state. A
 * claim past the job's limit, an error on the last attempt and a permanent error
 * (engine_fail) give the job up instead. When the step commits, w's next job is claimed
 * in its transaction (*got_next: next holds it). */
static void engine_step(engine_worker_t *w, claimed_t *c, claimed_t *next, bool *got_next)
{
    *got_next = false;
    engine_t *e = w->e;
    const engine_kind_t *k = engine_kind(e, c->kind);
    char why[1400], detail[2600];
    if (!k) { /* nobody here can run it: fail it now */
        static const char none[] = "failed (no handler registered for this kind)";
        engine_give_up(w, c, NULL, ERR_INTERNAL, none, none);
        return;
    }
    if (c->attempts > c->max_attempts) {
        engine_why_interrupted(c, why, detail);
        engine_give_up(w, c, k, ERR_INTERNAL, why, detail);
        return;
    }
    errbuf_t eb = {{0}};
    arena_t arena;
    arena_init(&arena);
    engine_run_t r = engine_run_init(w, c, &arena, &eb);
    err_t rc = k->fn(&r);
    if (!rc) engine_tx(&r, &rc);
    int64_t changes = 0;
    if (!rc) {
        int64_t now = clk_now_ms(e->o.clock);
        if (r.outcome == OUTCOME_AGAIN)
            rc = store_exec(r.tx, &eb, &changes,
                            "UPDATE jobs SET payload = ?, run_at = ?, attempts = 0,"
                            " lease_owner = NULL, lease_until = 0, last_error = NULL,"
                            " updated_ms = ?, pin = CASE WHEN ? > 0 OR (? = 0 AND pin IS NOT"
                            " NULL) THEN ? ELSE NULL END WHERE id = ? AND lease_owner = ?",
                            "siiiisss", r.next_payload, r.next_run_at, now, (int64_t)r.pin,
                            (int64_t)r.pin, e->node_id, c->id, c->owner);
        else
            rc = store_exec(r.tx, &eb, &changes,
                            "UPDATE jobs SET state = 'done', lease_owner = NULL, lease_until = 0,"
                            " last_error = NULL, updated_ms = ? WHERE id = ? AND lease_owner = ?",
                            "iss", now, c->id, c->owner);
        if (!rc && changes != 1) rc = err_fail(&eb, ERR_LEASE_LOST, "the job's lease was lost");
        if (!rc && r.outcome != OUTCOME_AGAIN)
            rc = store_exec(r.tx, &eb, NULL, "DELETE FROM job_watch WHERE job = ?", "s", c->id);
        if (!rc) engine_claim_next(w, r.tx, next, got_next);
    }
    rc = engine_end_tx(&r, rc);
    if (rc && *got_next) { /* rolled back with the step */
        engine_claimed_free(next);
        *got_next = false;
    }
    bool permanent = r.permanent;
    arena_free(&arena);
    if (rc == ERR_LEASE_LOST) {
        log_warn("job lease lost; step discarded", "\"job\":\"%s\"", c->id);
    } else if (rc && (permanent || c->attempts >= c->max_attempts)) {
        /* the owner's users read that it failed inside catalogd and which job; the error
         * itself (store paths, SQL messages) is for the operator: log and last_error */
        if (permanent)
            snprintf(why, sizeof(why), "failed with an internal error (job %s)", c->id);
        else
            snprintf(why, sizeof(why), "failed %d times with an internal error (job %s)",
                     c->attempts, c->id);
        snprintf(detail, sizeof(detail), "%s: %s", why, eb.msg);
        engine_give_up(w, c, k, rc, why, detail);
    } else if (rc) {
        engine_retry(w, c, rc, eb.msg);
    } else {
        engine_notify(e); /* the next step, or jobs the step enqueued, may be due */
    }
}

/* Milliseconds until the next ready job is due (capped at poll_ms): the first unleased
 * ready row of index jobs_due, so the look reads the leases in flight and one row more. A
 * lease that runs out (its worker gone) is seen by the poll_ms re-check. */
static int64_t engine_idle_ms(engine_t *e)
{
    errbuf_t eb;
    store_tx_t *tx;
    int64_t wait = e->o.poll_ms, now = clk_now_ms(e->o.clock);
    if (store_begin(e->o.store, false, &tx, &eb)) return wait;
    store_stmt_t *st;
    bool row = false;
    if (!store_query(tx, &eb, &st,
                     "SELECT run_at FROM jobs WHERE state = 'ready' AND lease_until <= ?"
                     " ORDER BY run_at LIMIT 1",
                     "i", now) &&
        !store_step(st, &row, &eb) && row) {
        int64_t due = store_col_int(st, 0) - now;
        if (due < wait) wait = due < 0 ? 0 : due;
    }
    store_rollback(tx);
    return wait;
}

/* Waits until wait_ms have passed, an engine_notify after seen, or the engine stops. */
static void engine_idle(engine_t *e, uint64_t seen, int64_t wait_ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += wait_ms / 1000;
    ts.tv_nsec += (wait_ms % 1000) * 1000000;
    if (ts.tv_nsec >= 1000000000) ts.tv_sec++, ts.tv_nsec -= 1000000000;
    pthread_mutex_lock(&e->mu);
    while (e->running && e->wakeups == seen)
        if (pthread_cond_timedwait(&e->cv, &e->mu, &ts) != 0) break;
    pthread_mutex_unlock(&e->mu);
}

/* A worker: while it has a job in hand it runs the step, whose commit claims the next
 * one (engine_step), so a backlog is worked through without a transaction or a wait
 * between jobs; with nothing in hand it claims on its own, and when nothing is due it
 * sleeps until the next due time or an engine_notify (after-commit wakes). */
static void *engine_worker_main(void *arg)
{
    engine_worker_t *w = arg;
    engine_t *e = w->e;
    claimed_t c;
    bool got = false;
    for (;;) {
        pthread_mutex_lock(&e->mu);
        bool running = e->running;
        uint64_t seen = e->wakeups;
        pthread_mutex_unlock(&e->mu);
        if (!running) {
            if (got) {
                engine_unclaim(e, &c);
                engine_claimed_free(&c);
                engine_publish(w, NULL);
            }
            break;
        }
        if (got) {
            claimed_t next;
            bool got_next = false;
            engine_step(w, &c, &next, &got_next);
            engine_claimed_free(&c);
            engine_publish(w, got_next ? &next : NULL);
            if (got_next) c = next;
            got = got_next;
            continue;
        }
        errbuf_t eb;
        err_t rc = engine_claim(w, &c, &got, &eb);
        if (rc && rc != ERR_STORE_BUSY) log_warn("job claim failed", "\"error\":\"%s\"", eb.msg);
        if (got) {
            atomic_store(&e->lazy, true);
            continue;
        }
        engine_durable(e); /* out of due work: the steps so far reach the disk together */
        int64_t wait = rc ? 50 : engine_idle_ms(e);
        if (wait > 0) engine_idle(e, seen, wait);
    }
    return NULL;
}

/* Records that this node lives (engine_nodes), for the claims of other nodes: a job pinned
 * here is not theirs while this is younger than a lease. */
static void engine_beat(engine_t *e)
{
    errbuf_t eb;
    store_tx_t *tx;
    if (store_begin_lazy(e->o.store, &tx, &eb)) return;
    if (!store_exec(tx, &eb, NULL,
                    "INSERT INTO engine_nodes (id, seen_ms) VALUES (?, ?) ON CONFLICT (id)"
                    " DO UPDATE SET seen_ms = excluded.seen_ms",
                    "si", e->node_id, clk_now_ms(e->o.clock)))
        store_commit(tx, &eb);
    else
        store_rollback(tx);
}

/* Renews the leases of in-flight steps, and the node's own heartbeat, every lease/3. */
static void *engine_heartbeat_main(void *arg)
{
    engine_t *e = arg;
    for (;;) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        int64_t period = e->o.lease_ms / 3;
        ts.tv_sec += period / 1000;
        ts.tv_nsec += (period % 1000) * 1000000;
        if (ts.tv_nsec >= 1000000000) ts.tv_sec++, ts.tv_nsec -= 1000000000;
        pthread_mutex_lock(&e->mu);
        while (e->running) /* notifies wake us too: sleep on until the period ends */
            if (pthread_cond_timedwait(&e->cv, &e->mu, &ts) == ETIMEDOUT) break;
        bool running = e->running;
        int n = e->o.workers;
        char(*claims)[80] = xcalloc((size_t)n, sizeof(*claims));
        char(*ids)[64] = xcalloc((size_t)n, sizeof(*ids));
        for (int i = 0; i < n; i++) {
            memcpy(claims[i], e->workers[i].claim, 80);
            memcpy(ids[i], e->workers[i].claim_id, 64);
        }
        pthread_mutex_unlock(&e->mu);
        if (!running) {
            free(claims);
            free(ids);
            break;
        }
        engine_beat(e);
        for (int i = 0; i < n; i++) {
            if (!claims[i][0]) continue;
            errbuf_t eb;
            store_tx_t *tx;
            if (store_begin(e->o.store, true, &tx, &eb)) continue;
            int64_t until = clk_now_ms(e->o.clock) + e->o.lease_ms;
            if (!store_exec(tx, &eb, NULL,
                            "UPDATE jobs SET lease_until = ? WHERE id = ? AND"
                            " lease_owner = ? AND state = 'ready'",
                            "iss", until, ids[i], claims[i]))
                store_commit(tx, &eb);
            else
                store_rollback(tx);
        }
        free(claims);
        free(ids);
    }
    return NULL;
}

err_t engine_start(engine_t *e, errbuf_t *eb)
{
    /* leases of a previous process die with it: every lease on a single-node store; on a
     * shared one only this node's own (its data directory is locked, so no other live
     * process has its id), others' run out */
    store_tx_t *tx;
    err_t rc = store_begin(e->o.store, true, &tx, eb);
    int64_t n = 0;
    char prefix[72];
    snprintf(prefix, sizeof(prefix), "%s.", e->node_id);
    if (!rc)
        rc = store_exec(tx, eb, &n,
                        "UPDATE jobs SET lease_owner = NULL, lease_until = 0 WHERE"
                        " state = 'ready' AND lease_owner IS NOT NULL AND (? = 1 OR"
                        " substr(lease_owner, 1, ?) = ?)",
                        "bis", e->o.reclaim_on_start, (int64_t)strlen(prefix), prefix);
    if (!rc)
        rc = store_commit(tx, eb);
    else
        store_rollback(tx);
    if (rc) return rc;
    if (n) log_info("reclaimed jobs of a previous run", "\"jobs\":%lld", (long long)n);
    engine_beat(e);
    e->running = true;
    e->started = true;
    e->workers = xcalloc((size_t)e->o.workers, sizeof(*e->workers));
    for (int i = 0; i < e->o.workers; i++) {
        e->workers[i].e = e;
        e->workers[i].index = i;
        pthread_create(&e->workers[i].th, NULL, engine_worker_main, &e->workers[i]);
    }
    pthread_create(&e->heartbeat, NULL, engine_heartbeat_main, e);
    return ERR_OK;
}

void engine_stop(engine_t *e)
{
    if (!e || !e->started) return;
    pthread_mutex_lock(&e->mu);
    e->running = false;
    pthread_cond_broadcast(&e->cv);
    pthread_mutex_unlock(&e->mu);
    for (int i = 0; i < e->o.workers; i++) pthread_join(e->workers[i].th, NULL);
    pthread_join(e->heartbeat, NULL);
    engine_durable(e);
    e->started = false;
}

void engine_destroy(engine_t *e)
{
    if (!e) return;
    engine_stop(e);
    for (size_t i = 0; i < e->n_kinds; i++) free(e->kinds[i].name);
    free(e->kinds);
    free(e->workers);
    pthread_mutex_destroy(&e->mu);
    pthread_cond_destroy(&e->cv);
    free(e);
}
