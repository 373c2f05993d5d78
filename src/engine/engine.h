/* engine.h - the durable work engine (DESIGN §5). Everything that takes time is a job
 * row in the store. Workers claim due jobs with a lease, run one step, and commit the
 * step's effects together with the job's next state in one transaction, fenced by the
 * lease: a step whose lease was lost commits nothing. After a crash, expired leases are
 * claimed again, so no job is lost and no step's effects are committed twice. */
#ifndef CATALOGD_ENGINE_H
#define CATALOGD_ENGINE_H

#include "core/arena.h"
#include "core/clk.h"
#include "core/err.h"
#include "core/ids.h"
#include "store/store.h"

#include <stdint.h>

typedef struct engine engine_t;
typedef struct engine_run engine_run_t;

/* A job kind's step function. It reads r->payload, may do slow work outside any
 * transaction, then calls engine_tx(r) to get the step's transaction, writes its effects
 * there, and says what comes next with engine_done or engine_again (no call = done).
 * Returning an error rolls the step back and counts a failed attempt: the job is retried
 * with backoff until max_attempts, then marked failed. Steps must not commit tx. */
typedef err_t (*engine_fn)(engine_run_t *r);

/* A kind's give-up: the job fails for good. It is called for every way that happens: the
 * attempts of one step ran out through errors, the step was interrupted (the process
 * stopped while it ran) until the claims counted past max_attempts, or a step called
 * engine_fail. It runs in the transaction that marks the job failed (engine_tx(r)), so the
 * job is set aside iff its owner (execution, record, stack, instance) is closed: it writes
 * the owner's failed state with `why`, a phrase that follows a subject ("was interrupted 10
 * times (the process stopped while it ran)", "failed 20 times (last error: ...)"), and
 * signals the owner's watchers. engine_again / engine_done mean nothing here. An error rolls
 * it back and the engine tries again a little later, up to ENGINE_GIVEUP_TRIES times, then
 * sets the job aside without it (logged). */
typedef err_t (*engine_giveup_fn)(engine_run_t *r, const char *why);
#define ENGINE_GIVEUP_TRIES 3

/* The app's work after a commit of a step or a give-up (key cache invalidation, wake-ups):
 * post is the union of the flags the step's in-process calls ORed into r->post (the same
 * flags a request's handler sets; opaque to the engine). app.c wires it to the request
 * pipeline's own after-commit function, so requests and steps run the same work. */
typedef void (*engine_post_fn)(void *app, unsigned post);

typedef struct engine_opts {
    store_t *store;
    const clk_t *clock;
    ids_t *ids;
    void *app;                   /* handed to every step */
    int workers;                 /* worker threads (default 2) */
    int64_t lease_ms;            /* claim lease (default 30000), renewed while a step runs */
    int64_t poll_ms;             /* idle re-check interval (default 1000) */
    bool reclaim_on_start;       /* single-node store: every lease of a previous process dies with
                                    it (false: only this node_id's own, engine_start) */
    const char *node_id;         /* this node's stable id (the same after a restart on the same data
                                    directory: engine_pin), NULL: one drawn for this process */
    engine_post_fn after_commit; /* NULL: no app work after commits */
} engine_opts_t;

struct engine_run {
    const char *job_id;
    const char *kind;
    const char *payload;
    int attempt; /* 1 for the first attempt of this step */
    int64_t now_ms;
    void *app;
    engine_t *engine;
    arena_t *arena; /* freed after the step */
    errbuf_t *eb;
    unsigned post; /* after-commit flags: in-process calls made with the step's tx OR theirs in */
    /* private to the engine */
    void (*after)(void *arg); /* engine_after_commit */
    void *after_arg;
    store_tx_t *tx;
    int outcome;
    const char *next_payload;
    int64_t next_run_at;
    bool permanent; /* engine_fail */
    int pin;        /* engine_pin / engine_unpin: 1 pin, -1 unpin, 0 as it was */
    void *batch;    /* the worker's batch this step joins (engine_batchable), or NULL */
    bool in_batch;  /* tx is the batch's, under this step's savepoint */
    /* public again: true when the job was pinned (engine_pin) to another node, which
     * stopped: whatever that node kept locally for the job (a command's run directory) is
     * not here, and must not be taken as "never started" */
    bool orphaned;
    bool pinned; /* public: an earlier step's commit pinned the job to this node */
};

err_t engine_create(const engine_opts_t *o, engine_t **out, errbuf_t *eb);
/* Registers a kind before engine_start. max_attempts >= 1 (the row's own limit, set at
 * enqueue, is the one a claim checks). giveup closes the job's owner when the job fails for
 * good; NULL only for a kind that owns nothing (say why where it is registered). */
void engine_register(engine_t *e, const char *kind, engine_fn fn, int max_attempts,
                     engine_giveup_fn giveup);
/* Marks kind (registered) as batchable: its step calls engine_tx before any slow work and
 * reads nothing outside that transaction (no store_begin of its own), so a worker may run
 * several such steps, of this kind and other batchable ones, in one write transaction,
 * each under its own savepoint (a step that fails is undone alone), with one commit for
 * them all (group commit: docs/internals/engine.md). Its engine_tx may then return a
 * transaction that earlier steps wrote in; those writes are the step's to see. A kind that
 * sleeps or waits before engine_tx must not be batchable. Call before engine_start. */
void engine_batchable(engine_t *e, const char *kind);
err_t engine_start(engine_t *e, errbuf_t *eb);
/* Stops claiming, lets in-flight steps finish, joins the workers. Idempotent. */
void engine_stop(engine_t *e);
void engine_destroy(engine_t *e); /* NULL is fine; stops first */
/* Wakes idle workers: new work may be due (call after committing an enqueue). */
void engine_notify(engine_t *e);

/* Adds a job in the caller's transaction, so it exists iff the caller's effects do.
 * id_out (37 bytes, may be NULL) receives the job id. */
err_t engine_enqueue(store_tx_t *tx, ids_t *ids, const char *kind, const char *payload,
                     int64_t run_at_ms, int max_attempts, char *id_out, errbuf_t *eb);

/* Brings job id forward to run_at_ms (never later) if it is still waiting to run, in the
 * caller's transaction. *found is false when the job is done, failed or unknown. */
err_t engine_hasten(store_tx_t *tx, const char *id, int64_t run_at_ms, bool *found, errbuf_t *eb);
/* As engine_hasten, but *moved is true only when the job was waiting past run_at_ms and now
 * is due then: false when it is due already (another wake-up came first), running, done,
 * failed or unknown. For a waker that must wake a job that still waits (the next queued
 * execution) rather than one that is about to run anyway. */
err_t engine_hasten_waiting(store_tx_t *tx, const char *id, int64_t run_at_ms, bool *moved,
                            errbuf_t *eb);

/* Watches: job job_id (usually the running step's r->job_id, which then schedules a
 * fallback look with engine_again) wants to run as soon as topic is signalled. Topics are
 * "<kind>:<id>" strings of the thing that changes ("ec2.instance:i-0abc",
 * "ssm.execution:<uuid>", "cfn.stack:<arn>"). Both calls work in the caller's transaction;
 * a signal brings every watcher forward to now_ms and forgets the watches. */
err_t engine_watch(store_tx_t *tx, const char *topic, const char *job_id, errbuf_t *eb);
err_t engine_signal(store_tx_t *tx, const char *topic, int64_t now_ms, errbuf_t *eb);

/* The step's write transaction, begun on first call. NULL with *rc set on failure. It
 * commits lazily (store_begin_lazy): durable with the engine's next durable commit, made
 * when a worker runs out of due work, before an engine_after_commit function, and at
 * stop; a kill -9 loses nothing of it. */
store_tx_t *engine_tx(engine_run_t *r, err_t *rc);
/* The job is complete after this step. */
void engine_done(engine_run_t *r);
/* The job continues with another step: payload (copied) at run_at_ms. */
void engine_again(engine_run_t *r, const char *payload, int64_t run_at_ms);

/* Pins the job to this node from this step on, until engine_unpin or its end: for steps
 * that keep state on the node's own disk between steps (a command's run directory). Other
 * nodes do not claim a pinned job while this node lives (its heartbeat, every lease/3, is
 * younger than a lease); once it is dead they may, and their step sees r->orphaned (the
 * pin then moves to the node that claimed it). On a single node a pin changes nothing. */
void engine_pin(engine_run_t *r);
void engine_unpin(engine_run_t *r);
/* For a step about to start something on this node's disk (a command): true when it may
 * start now, because the job is pinned here by an earlier commit, or was orphaned (the
 * step then must not start anything its run has no record of: see r->orphaned). False
 * after engine_pin: the caller ends the step at once with engine_again(now) and starts in
 * the next one, so that no other node can take the job between the start and the pin. */
bool engine_pin_first(engine_run_t *r);

/* The error this step returns is final: no retry; the kind's give-up runs at once. For
 * errors no later attempt can cure (a malformed payload). */
void engine_fail(engine_run_t *r);

/* Runs fn(arg) once the step's transaction has committed (not when it rolls back):
 * for cleaning up outside state, such as a provider's run directory, only after the
 * result that depends on it is durable. arg must outlive the step (use r->arena). */
void engine_after_commit(engine_run_t *r, void (*fn)(void *arg), void *arg);

/* Counts of jobs by state, for diagnostics and tests. */
typedef struct engine_stats {
    int64_t ready, running, done, failed;
} engine_stats_t;
err_t engine_stats(store_t *s, int64_t now_ms, engine_stats_t *out, errbuf_t *eb);

/* The failed (set aside) jobs, oldest first: fn once per job with its id, kind, attempts
 * (claims of its last step), max_attempts and last_error (the reason it was set aside). */
typedef void (*engine_failed_fn)(void *ud, const char *id, const char *kind, int64_t attempts,
                                 int64_t max_attempts, const char *last_error);
err_t engine_failed_jobs(store_t *s, engine_failed_fn fn, void *ud, errbuf_t *eb);

/* The built-in diagnostic job kind "engine.probe" (probe.c): payload
 * {"steps":N,"step":k,"sleep_ms":X}; each step sleeps X ms outside the transaction,
 * then records (job, step) in job_probe within it. Used to prove exactly-once. */
void engine_register_probe(engine_t *e);
err_t engine_enqueue_probes(store_t *s, ids_t *ids, const clk_t *c, int count, int steps,
                            int sleep_ms, errbuf_t *eb);

#endif
