/* worker.c - the engine's workers: claiming due jobs with a lease, running their steps
 * (several of them in one transaction: engine_batch_t), committing each step's effects
 * with the job's next state, fenced by the lease, retries with backoff, give-ups, and
 * the idle wait. */
#include "engine/engine_int.h"

#include "core/log.h"
#include "core/mem.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void engine_claimed_free(claimed_t *c)
{
    free(c->payload);
    free(c->last_error);
}

static void engine_hand_free(claimed_t *hand, int n)
{
    for (int i = 0; i < n; i++) engine_claimed_free(&hand[i]);
}

/* Publishes the n jobs w has in hand (claimed, not yet stepped) for the heartbeat. */
static void engine_publish(engine_worker_t *w, const claimed_t *hand, int n)
{
    pthread_mutex_lock(&w->e->mu);
    _Static_assert(sizeof(w->claim[0]) == sizeof(hand->owner) &&
                       sizeof(w->claim_id[0]) == sizeof(hand->id),
                   "the slot holds a claim");
    for (int i = 0; i < n; i++) {
        memcpy(w->claim[i], hand[i].owner, sizeof(w->claim[i]));
        memcpy(w->claim_id[i], hand[i].id, sizeof(w->claim_id[i]));
    }
    w->n_claims = n;
    pthread_mutex_unlock(&w->e->mu);
}

/* The claim: an UPDATE of the jobs its subquery picks. The subquery walks the ready rows
 * of index jobs_due in run_at order and stops after LIMIT unleased ones: it reads the rows
 * it takes plus the leases in flight (at most ENGINE_BATCH per worker), however many jobs
 * are due (ORDER BY run_at alone: a second key not in the index would sort every due row
 * first). A job pinned to a node that lives is that node's; one whose node is dead is
 * taken (its step is told: orphaned; its commit moves the pin here). PostgreSQL adds SKIP
 * LOCKED. claim_more takes only kinds marked engine_batchable. */
void engine_claim_sql(engine_t *e)
{
    static const char fmt[] =
        "UPDATE jobs SET lease_owner = ?, lease_until = ?, attempts = attempts + 1,"
        " updated_ms = ? WHERE id IN (SELECT id FROM jobs WHERE state = 'ready' AND"
        " run_at <= ? AND lease_until <= ?%s AND (pin IS NULL OR pin = ? OR NOT EXISTS"
        " (SELECT 1 FROM engine_nodes n WHERE n.id = jobs.pin AND n.seen_ms > ?))"
        " ORDER BY run_at LIMIT ?%s)"
        " RETURNING id, kind, payload, attempts, max_attempts, last_error, pin";
    const char *lock = store_sql_skip_locked(e->o.store);
    size_t cap = sizeof(fmt) + strlen(lock) + 32;
    for (size_t i = 0; i < e->n_kinds; i++) cap += 2 * strlen(e->kinds[i].name) + 4;
    char *kinds = xcalloc(1, cap), *p = kinds;
    for (size_t i = 0; i < e->n_kinds; i++) {
        if (!e->kinds[i].batchable) continue;
        p += snprintf(p, cap - (size_t)(p - kinds), "%s'", p == kinds ? " AND kind IN (" : ", ");
        for (const char *s = e->kinds[i].name; *s; s++) { /* a literal: quotes doubled */
            if (*s == '\'') *p++ = '\'';
            *p++ = *s;
        }
        *p++ = '\'';
    }
    if (p != kinds) *p++ = ')';
    *p = '\0';
    free(e->claim_one);
    free(e->claim_more);
    e->claim_one = xcalloc(1, cap);
    snprintf(e->claim_one, cap, fmt, "", lock);
    e->claim_more = NULL;
    if (*kinds) {
        e->claim_more = xcalloc(1, cap);
        snprintf(e->claim_more, cap, fmt, kinds, lock);
    }
    free(kinds);
}

/* Runs claim statement sql for worker w in tx, taking up to max jobs into hand[*n...]
 * under one new lease owner. */
static err_t engine_claim_rows(engine_worker_t *w, store_tx_t *tx, const char *sql, int max,
                               claimed_t *hand, int *n, errbuf_t *eb)
{
    engine_t *e = w->e;
    int64_t now = clk_now_ms(e->o.clock);
    char tok[9], owner[80];
    ids_chars(e->o.ids, "", IDS_LOWER_ALNUM, 8, tok);
    snprintf(owner, sizeof(owner), "%s/%d/%s", e->node, w->index, tok);
    store_stmt_t *st;
    bool row = false;
    err_t rc = store_query(tx, eb, &st, sql, "siiiisii", owner, now + e->o.lease_ms, now, now, now,
                           e->node_id, now - e->o.lease_ms, (int64_t)max);
    while (!rc && !(rc = store_step(st, &row, eb)) && row) {
        if (*n >= ENGINE_BATCH) continue; /* not reached: max bounds the rows */
        claimed_t *c = &hand[(*n)++];
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
    }
    return rc;
}

/* Claims due jobs for worker w in tx (a write transaction; the claims hold iff tx
 * commits) into hand: the first due job of any kind, and when that one's kind is
 * batchable, up to ENGINE_BATCH - 1 more due jobs of batchable kinds (a worker does not
 * hold jobs of other kinds, whose steps may be slow, while another worker could run
 * them). *n is 0 when nothing is due. Each claim counts the attempt in the same UPDATE
 * that takes the lease, before the step runs: a step that stops the process still counts,
 * and the claim after the last allowed one gives the job up instead of running it. */
static err_t engine_claim_in(engine_worker_t *w, store_tx_t *tx, claimed_t *hand, int *n,
                             errbuf_t *eb)
{
    engine_t *e = w->e;
    *n = 0;
    err_t rc = engine_claim_rows(w, tx, e->claim_one, 1, hand, n, eb);
    const engine_kind_t *k = !rc && *n ? engine_kind(e, hand[0].kind) : NULL;
    if (k && k->batchable && e->claim_more)
        rc = engine_claim_rows(w, tx, e->claim_more, ENGINE_BATCH - 1, hand, n, eb);
    if (rc) {
        engine_hand_free(hand, *n);
        *n = 0;
    }
    return rc;
}

/* Claims due jobs for w in a transaction of its own (when the worker has nothing in hand:
 * at start, after an idle wait, after a step that failed). */
static err_t engine_claim(engine_worker_t *w, claimed_t *hand, int *n, errbuf_t *eb)
{
    store_tx_t *tx;
    *n = 0;
    err_t rc = store_begin_lazy(w->e->o.store, &tx, eb);
    if (rc) return rc;
    rc = engine_claim_in(w, tx, hand, n, eb);
    if (!rc) {
        rc = store_commit(tx, eb);
    } else {
        store_rollback(tx);
    }
    if (rc) {
        engine_hand_free(hand, *n);
        *n = 0;
    }
    if (*n) engine_publish(w, hand, *n);
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
void engine_unclaim(engine_t *e, const claimed_t *c)
{
    errbuf_t eb = {{0}};
    if (engine_unlease(e, c, clk_now_ms(e->o.clock), 1, c->last_error, &eb))
        log_warn("job claim not handed back", "\"job\":\"%s\",\"error\":\"%s\"", c->id, eb.msg);
}

/* Records a failed attempt that is not the last: back off and retry. */
static void engine_retry(engine_worker_t *w, const claimed_t *c, err_t why, const char *msg)
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
static void engine_give_up(engine_worker_t *w, const claimed_t *c, const engine_kind_t *k,
                           err_t why_rc, const char *why, const char *detail)
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
                 " while it ran; earlier ones failed with an internal error) (job %.63s)",
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

/* Claims w's next jobs (into next, *n) in the transaction of the batch that ends, so a
 * worker with work ahead of it commits once per batch, not once for the claim and once
 * for the steps. Under a savepoint: a claim that fails leaves the steps' effects alone and
 * the worker claims on its own afterwards. Nothing is claimed once the engine stops. */
static void engine_claim_next(engine_worker_t *w, store_tx_t *tx, claimed_t *next, int *n)
{
    errbuf_t eb = {{0}};
    *n = 0;
    if (!engine_running(w->e) || store_exec(tx, &eb, NULL, "SAVEPOINT engine_claim", "")) return;
    if (engine_claim_in(w, tx, next, n, &eb) ||
        store_exec(tx, &eb, NULL, "RELEASE SAVEPOINT engine_claim", "")) {
        engine_hand_free(next, *n);
        *n = 0;
        store_exec(tx, &eb, NULL, "ROLLBACK TO SAVEPOINT engine_claim", "");
        store_exec(tx, &eb, NULL, "RELEASE SAVEPOINT engine_claim", "");
    }
}

/* A step of c ended with error rc (its effects undone): a lost lease is only logged; on
 * the last attempt, or after engine_fail (permanent), the job is given up; else it is
 * retried with backoff. Runs its own transactions: no batch may be open on this thread. */
static void engine_step_failed(engine_worker_t *w, const claimed_t *c, const engine_kind_t *k,
                               err_t rc, bool permanent, const char *msg)
{
    char why[1400], detail[2600];
    if (rc == ERR_LEASE_LOST) {
        log_warn("job lease lost; step discarded", "\"job\":\"%s\"", c->id);
    } else if (permanent || c->attempts >= c->max_attempts) {
        /* the owner's users read that it failed inside catalogd and which job; the error
         * itself (store paths, SQL messages) is for the operator: log and last_error */
        if (permanent)
            snprintf(why, sizeof(why), "failed with an internal error (job %s)", c->id);
        else
            snprintf(why, sizeof(why), "failed %d times with an internal error (job %s)",
                     c->attempts, c->id);
        snprintf(detail, sizeof(detail), "%s: %s", why, msg);
        engine_give_up(w, c, k, rc, why, detail);
    } else {
        engine_retry(w, c, rc, msg);
    }
}

/* Ends batch b: commits its transaction, with w's next jobs claimed in it when next is
 * given (*n_next of them), then runs what waits for the commit: the app's after-commit
 * work for the steps' flags, their engine_after_commit functions (after a durable
 * commit: the cleanup undoes what only these commits make moot), and a wake-up of the
 * other workers (the next steps, or jobs the steps enqueued, may be due). When the commit
 * fails, every step of the batch failed with that error. b is empty and reusable after. */
static void engine_batch_end(engine_worker_t *w, engine_batch_t *b, claimed_t *next, int *n_next)
{
    engine_t *e = w->e;
    if (n_next) *n_next = 0;
    if (b->tx) {
        errbuf_t eb = {{0}};
        if (next) engine_claim_next(w, b->tx, next, n_next);
        err_t rc = store_commit(b->tx, &eb);
        b->tx = NULL;
        if (rc) {
            if (next) engine_hand_free(next, *n_next);
            if (n_next) *n_next = 0;
            for (int i = 0; i < b->n; i++)
                engine_step_failed(w, b->steps[i], engine_kind(e, b->steps[i]->kind), rc, false,
                                   eb.msg);
        } else {
            atomic_store(&e->lazy, true);
            if (b->post && e->o.after_commit) e->o.after_commit(e->o.app, b->post);
            if (b->n_after) engine_durable(e);
            for (int i = 0; i < b->n_after; i++) b->after[i].fn(b->after[i].arg);
            if (b->n) engine_notify(e);
        }
    }
    arena_free(&b->arena);
    b->n = b->n_after = 0;
    b->post = 0;
}

/* The step's fenced update of its job in its transaction: engine_again's payload and due
 * time (attempts reset, lease cleared, the pin as the step said), or done (watches
 * deleted). ERR_LEASE_LOST when the claim no longer holds the row. */
static err_t engine_step_commit(engine_run_t *r, const claimed_t *c)
{
    engine_t *e = r->engine;
    int64_t now = clk_now_ms(e->o.clock), changes = 0;
    err_t rc;
    if (r->outcome == OUTCOME_AGAIN)
        rc = store_exec(r->tx, r->eb, &changes,
                        "UPDATE jobs SET payload = ?, run_at = ?, attempts = 0,"
                        " lease_owner = NULL, lease_until = 0, last_error = NULL,"
                        " updated_ms = ?, pin = CASE WHEN ? > 0 OR (? = 0 AND pin IS NOT"
                        " NULL) THEN ? ELSE NULL END WHERE id = ? AND lease_owner = ?",
                        "siiiisss", r->next_payload, r->next_run_at, now, (int64_t)r->pin,
                        (int64_t)r->pin, e->node_id, c->id, c->owner);
    else
        rc = store_exec(r->tx, r->eb, &changes,
                        "UPDATE jobs SET state = 'done', lease_owner = NULL, lease_until = 0,"
                        " last_error = NULL, updated_ms = ? WHERE id = ? AND lease_owner = ?",
                        "iss", now, c->id, c->owner);
    if (!rc && changes != 1) rc = err_fail(r->eb, ERR_LEASE_LOST, "the job's lease was lost");
    if (!rc && r->outcome != OUTCOME_AGAIN)
        rc = store_exec(r->tx, r->eb, NULL, "DELETE FROM job_watch WHERE job = ?", "s", c->id);
    return rc;
}

/* Runs one step of claimed job c in batch b: its effects and the job's next state join
 * b's transaction (under a savepoint when earlier steps are in it) and commit with it. A
 * step that fails is undone alone: the batch so far is committed (engine_batch_end),
 * then the failure is recorded (engine_step_failed). A claim past the job's limit or a
 * kind not registered here gives the job up instead (b is empty then: such a job is run
 * alone). */
static void engine_batch_step(engine_worker_t *w, engine_batch_t *b, const claimed_t *c)
{
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
    engine_run_t r = engine_run_init(w, c, &b->arena, &eb);
    r.batch = b;
    err_t rc = k->fn(&r);
    if (!rc) engine_tx(&r, &rc);
    if (!rc) rc = engine_step_commit(&r, c);
    if (!rc && r.in_batch) rc = store_exec(r.tx, &eb, NULL, "RELEASE SAVEPOINT engine_step", "");
    if (!rc) {
        b->steps[b->n++] = c;
        b->post |= r.post;
        if (r.after) {
            b->after[b->n_after].fn = r.after;
            b->after[b->n_after++].arg = r.after_arg;
        }
        return;
    }
    if (r.in_batch) { /* undo this step alone */
        store_exec(r.tx, &eb, NULL, "ROLLBACK TO SAVEPOINT engine_step", "");
        store_exec(r.tx, &eb, NULL, "RELEASE SAVEPOINT engine_step", "");
    } else if (r.tx) { /* it began the batch's transaction: nothing else is in it */
        store_rollback(r.tx);
        b->tx = NULL;
    }
    char msg[sizeof(eb.msg)];
    memcpy(msg, eb.msg, sizeof(msg));
    bool permanent = r.permanent;
    engine_batch_end(w, b, NULL, NULL); /* the steps before it, and its arena */
    engine_step_failed(w, c, k, rc, permanent, msg);
}

/* Milliseconds since batch b's first step began. */
static int64_t engine_batch_age(const engine_batch_t *b)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)(now.tv_sec - b->t0.tv_sec) * 1000 + (now.tv_nsec - b->t0.tv_nsec) / 1000000;
}

/* Runs the n claimed jobs of hand in batches: consecutive steps of batchable kinds share
 * one transaction until ENGINE_BATCH_MS have passed; a job of another kind, or one whose
 * last claim did not end in a step (attempts > 1: it failed or was interrupted, perhaps
 * stopping the process), runs in a batch of its own, so that it is retried without
 * taking others' steps down with it again. The last batch's commit claims w's next jobs
 * (next, *n_next). */
static void engine_run_hand(engine_worker_t *w, const claimed_t *hand, int n, claimed_t *next,
                            int *n_next)
{
    engine_t *e = w->e;
    engine_batch_t b = {0};
    arena_init(&b.arena);
    for (int i = 0; i < n; i++) {
        const engine_kind_t *k = engine_kind(e, hand[i].kind);
        bool alone = !k || !k->batchable || hand[i].attempts > 1;
        if (b.tx && (alone || engine_batch_age(&b) >= ENGINE_BATCH_MS))
            engine_batch_end(w, &b, NULL, NULL);
        if (!b.tx) clock_gettime(CLOCK_MONOTONIC, &b.t0);
        engine_batch_step(w, &b, &hand[i]);
        if (alone && i + 1 < n) engine_batch_end(w, &b, NULL, NULL);
    }
    engine_batch_end(w, &b, next, n_next);
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

/* A worker: while it has jobs in hand it runs their steps (engine_run_hand), whose last
 * commit claims the next ones, so a backlog is worked through without a transaction or a
 * wait between batches; with nothing in hand it claims on its own, and when nothing is
 * due it sleeps until the next due time or an engine_notify (after-commit wakes). */
void *engine_worker_main(void *arg)
{
    engine_worker_t *w = arg;
    engine_t *e = w->e;
    claimed_t hand[ENGINE_BATCH], next[ENGINE_BATCH];
    int n = 0;
    for (;;) {
        pthread_mutex_lock(&e->mu);
        bool running = e->running;
        uint64_t seen = e->wakeups;
        pthread_mutex_unlock(&e->mu);
        if (!running) {
            for (int i = 0; i < n; i++) engine_unclaim(e, &hand[i]);
            engine_hand_free(hand, n);
            engine_publish(w, NULL, 0);
            break;
        }
        if (n) {
            int n_next = 0;
            engine_run_hand(w, hand, n, next, &n_next);
            engine_hand_free(hand, n);
            memcpy(hand, next, sizeof(*next) * (size_t)n_next);
            n = n_next;
            engine_publish(w, hand, n);
            continue;
        }
        errbuf_t eb;
        err_t rc = engine_claim(w, hand, &n, &eb);
        if (rc && rc != ERR_STORE_BUSY) log_warn("job claim failed", "\"error\":\"%s\"", eb.msg);
        if (n) {
            atomic_store(&e->lazy, true);
            continue;
        }
        engine_durable(e); /* out of due work: the steps so far reach the disk together */
        int64_t wait = rc ? 50 : engine_idle_ms(e);
        if (wait > 0) engine_idle(e, seen, wait);
    }
    return NULL;
}
