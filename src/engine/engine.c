/* engine.c - the engine's API (kinds, enqueue, watches, a step's transaction and
 * outcome), lease renewal (the heartbeat), start and stop. The workers, claims and steps
 * are in worker.c. */
#include "engine/engine_int.h"

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
        (engine_kind_t){xstrdup(kind), fn, max_attempts < 1 ? 1 : max_attempts, giveup, false};
}

void engine_batchable(engine_t *e, const char *kind)
{
    for (size_t i = 0; i < e->n_kinds; i++)
        if (strcmp(e->kinds[i].name, kind) == 0) e->kinds[i].batchable = true;
}

const engine_kind_t *engine_kind(engine_t *e, const char *name)
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

err_t engine_hasten_waiting(store_tx_t *tx, const char *id, int64_t run_at_ms, bool *moved,
                            errbuf_t *eb)
{
    int64_t n = 0;
    err_t rc = store_exec(tx, eb, &n,
                          "UPDATE jobs SET run_at = ? WHERE id = ? AND state = 'ready' AND"
                          " run_at > ? AND lease_until <= ?",
                          "isii", run_at_ms, id, run_at_ms, run_at_ms);
    *moved = !rc && n > 0;
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
void engine_durable(engine_t *e)
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
    engine_batch_t *b = r->batch;
    if (!r->tx && b && b->tx) { /* earlier steps of the batch wrote in it: a savepoint */
        *rc = store_exec(b->tx, r->eb, NULL, "SAVEPOINT engine_step", "");
        if (*rc) return NULL;
        r->tx = b->tx;
        r->in_batch = true;
    } else if (!r->tx) {
        *rc = store_begin_lazy(r->engine->o.store, &r->tx, r->eb);
        if (*rc) {
            r->tx = NULL;
            return NULL;
        }
        if (b) b->tx = r->tx;
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
    int n = e->o.workers;
    engine_worker_t *copy = xcalloc((size_t)n, sizeof(*copy));
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
        memcpy(copy, e->workers, sizeof(*copy) * (size_t)n);
        pthread_mutex_unlock(&e->mu);
        if (!running) break;
        engine_beat(e);
        for (int i = 0; i < n; i++) { /* one transaction per worker: its hand by key */
            const engine_worker_t *w = &copy[i];
            errbuf_t eb;
            store_tx_t *tx;
            if (!w->n_claims || store_begin(e->o.store, true, &tx, &eb)) continue;
            int64_t until = clk_now_ms(e->o.clock) + e->o.lease_ms;
            err_t rc = ERR_OK;
            for (int j = 0; !rc && j < w->n_claims; j++)
                rc = store_exec(tx, &eb, NULL,
                                "UPDATE jobs SET lease_until = ? WHERE id = ? AND"
                                " lease_owner = ? AND state = 'ready'",
                                "iss", until, w->claim_id[j], w->claim[j]);
            if (!rc)
                store_commit(tx, &eb);
            else
                store_rollback(tx);
        }
    }
    free(copy);
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
    engine_claim_sql(e);
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
    free(e->claim_one);
    free(e->claim_more);
    pthread_mutex_destroy(&e->mu);
    pthread_cond_destroy(&e->cv);
    free(e);
}
