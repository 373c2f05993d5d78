/* engine_int.h - what engine.c (the API, start/stop, heartbeat) and worker.c (claims,
 * steps in batches, give-ups, the worker loop) share. Private to src/engine. */
#ifndef CATALOGD_ENGINE_INT_H
#define CATALOGD_ENGINE_INT_H

#include "engine/engine.h"

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

/* A worker claims up to ENGINE_BATCH due jobs at once (the first of any kind, the others
 * of kinds marked engine_batchable) and runs the steps of the batchable ones in one write
 * transaction, each under a savepoint, until ENGINE_BATCH_MS have passed since the
 * batch's first step began: one commit for the batch. */
#define ENGINE_BATCH    16
#define ENGINE_BATCH_MS 20

enum { OUTCOME_DONE, OUTCOME_AGAIN };

typedef struct engine_kind {
    char *name;
    engine_fn fn;
    int max_attempts;
    engine_giveup_fn giveup;
    bool batchable; /* engine_batchable */
} engine_kind_t;

typedef struct engine_worker {
    struct engine *e;
    pthread_t th;
    int index;
    /* the jobs in hand and their lease owners, for the heartbeat (e->mu) */
    int n_claims;
    char claim[ENGINE_BATCH][80];
    char claim_id[ENGINE_BATCH][64];
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
    /* the claim statements, made once at start (a stable text: the store's statement
     * cache finds it by address): one job of any kind; more of the batchable kinds */
    char *claim_one, *claim_more;
};

/* A claimed job: the row as the claim returned it. */
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

/* The steps that share one write transaction (engine_tx begins it for the first one and
 * takes a savepoint on it for each later one), and what waits for its commit. */
typedef struct engine_batch {
    store_tx_t *tx; /* NULL until a step begins it */
    int n;          /* steps in it, whose effects wait for the commit */
    const claimed_t *steps[ENGINE_BATCH];
    struct {
        void (*fn)(void *arg);
        void *arg;
    } after[ENGINE_BATCH]; /* engine_after_commit of its steps */
    int n_after;
    unsigned post; /* the OR of its steps' after-commit flags */
    arena_t arena; /* its steps' arenas: freed after the commit and the after-commit work */
    struct timespec t0;
} engine_batch_t;

const engine_kind_t *engine_kind(engine_t *e, const char *name);
/* Makes every commit so far durable (engine.c). */
void engine_durable(engine_t *e);
/* Builds e->claim_one / claim_more once the kinds are registered (worker.c). */
void engine_claim_sql(engine_t *e);
/* A worker thread (worker.c). */
void *engine_worker_main(void *arg);
/* Hands back claim c untaken (the engine stops before its step runs). */
void engine_unclaim(engine_t *e, const claimed_t *c);

#endif
