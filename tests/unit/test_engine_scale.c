/* test_engine_scale.c - the engine's work per job does not grow with the backlog (issue
 * 16). Work is counted, not timed: store_work (SQLite's VM steps) around an operation, at
 * a small and a large queue. A claim that sorted every due job, an idle look that read
 * every ready job, or a signal that walked every waiting job would do about twenty times
 * the work at the large size. */
#include "check.h"

#include "engine/engine.h"
#include "store/store.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define SMALL 100
#define LARGE 2000

static atomic_int runs;

static void nap(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* A step with no effect of its own: the work left is the engine's. */
static err_t noop(engine_run_t *r)
{
    (void)r;
    atomic_fetch_add(&runs, 1);
    return ERR_OK;
}

typedef struct world {
    char dir[64];
    store_t *s;
    ids_t ids;
    clk_t clock;
} world_t;

static void world_open(world_t *w)
{
    snprintf(w->dir, sizeof(w->dir), "/tmp/catalogd-engine-scale-XXXXXX");
    CHECK(mkdtemp(w->dir) != NULL);
    errbuf_t eb = {{0}};
    store_opts_t so = {.data_dir = w->dir, .exclusive = true};
    CHECK(store_open(&so, &w->s, &eb) == ERR_OK);
    ids_init_seeded(&w->ids, 7);
    w->clock = clk_manual(1000000);
}

static void world_close(world_t *w)
{
    store_close(w->s);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", w->dir);
    CHECK(system(cmd) == 0);
}

/* n jobs of kind "noop" due now, and n more waiting an hour, each watching its own topic
 * "t:<i>" (the waiters of a real backlog: executions waiting on instances). */
static void fill(world_t *w, int n)
{
    errbuf_t eb = {{0}};
    store_tx_t *tx;
    int64_t now = clk_now_ms(&w->clock);
    CHECK(store_begin(w->s, true, &tx, &eb) == ERR_OK);
    for (int i = 0; i < n; i++) {
        char id[37], topic[32];
        CHECK(engine_enqueue(tx, &w->ids, "noop", "{}", now, 3, NULL, &eb) == ERR_OK);
        CHECK(engine_enqueue(tx, &w->ids, "noop", "{}", now + 3600000, 3, id, &eb) == ERR_OK);
        snprintf(topic, sizeof(topic), "t:%d", i);
        CHECK(engine_watch(tx, topic, id, &eb) == ERR_OK);
    }
    CHECK(store_commit(tx, &eb) == ERR_OK);
}

/* The store work per job of running the n due jobs of a world filled with n (one worker,
 * from claim to commit, the idle looks included); batch: the kind is batchable (its steps
 * share transactions: group commit). */
static double work_per_job(int n, bool batch)
{
    world_t w;
    world_open(&w);
    fill(&w, n);
    errbuf_t eb = {{0}};
    engine_opts_t eo = {.store = w.s,
                        .clock = &w.clock,
                        .ids = &w.ids,
                        .workers = 1,
                        .lease_ms = 600000,
                        .poll_ms = 50,
                        .reclaim_on_start = true};
    engine_t *e = NULL;
    CHECK(engine_create(&eo, &e, &eb) == ERR_OK);
    engine_register(e, "noop", noop, 3, NULL); /* owns nothing: a test kind */
    if (batch) engine_batchable(e, "noop");
    atomic_store(&runs, 0);
    int64_t before = store_work(w.s);
    CHECK(engine_start(e, &eb) == ERR_OK);
    for (int i = 0; i < 6000 && atomic_load(&runs) < n; i++) nap(10);
    nap(100); /* the last commit, and an idle look */
    engine_stop(e);
    int64_t work = store_work(w.s) - before;
    CHECK_INT(atomic_load(&runs), n);
    engine_stats_t st;
    CHECK(engine_stats(w.s, clk_now_ms(&w.clock), &st, &eb) == ERR_OK);
    CHECK_INT(st.done, n);
    CHECK_INT(st.ready, n); /* the waiters still wait */
    engine_destroy(e);
    world_close(&w);
    return (double)work / n;
}

/* The store work of one engine_signal of a topic with one watcher, among n waiters; the
 * watcher is brought forward and its watch forgotten. */
static int64_t signal_work(int n)
{
    world_t w;
    world_open(&w);
    fill(&w, n);
    errbuf_t eb = {{0}};
    store_tx_t *tx;
    CHECK(store_begin(w.s, true, &tx, &eb) == ERR_OK);
    int64_t before = store_work(w.s);
    CHECK(engine_signal(tx, "t:1", clk_now_ms(&w.clock), &eb) == ERR_OK);
    int64_t work = store_work(w.s) - before;
    store_stmt_t *st;
    bool row = false;
    CHECK(store_query(tx, &eb, &st,
                      "SELECT COUNT(*) FROM jobs WHERE state = 'ready' AND run_at <= ?", "i",
                      clk_now_ms(&w.clock)) == ERR_OK);
    CHECK(store_step(st, &row, &eb) == ERR_OK && row);
    CHECK_INT(store_col_int(st, 0), n + 1); /* the due ones and the woken watcher */
    CHECK(store_step(st, &row, &eb) == ERR_OK);
    CHECK(store_query(tx, &eb, &st, "SELECT COUNT(*) FROM job_watch", "") == ERR_OK);
    CHECK(store_step(st, &row, &eb) == ERR_OK && row);
    CHECK_INT(store_col_int(st, 0), n - 1);
    CHECK(store_step(st, &row, &eb) == ERR_OK);
    store_rollback(tx);
    world_close(&w);
    return work;
}

int main(void)
{
    double small = work_per_job(SMALL, false), large = work_per_job(LARGE, false);
    fprintf(stderr, "work per job: %.1f at %d due, %.1f at %d due\n", small, SMALL, large, LARGE);
    CHECK(small > 0);
    CHECK(large < 1.5 * small);
    /* group commit: a claim of a hand of jobs walks the leases in flight (a hand per
     * worker) once for the hand; the work per job stays flat too, and below one job a
     * transaction's */
    double bsmall = work_per_job(SMALL, true), blarge = work_per_job(LARGE, true);
    fprintf(stderr, "batched: work per job %.1f at %d due, %.1f at %d due\n", bsmall, SMALL, blarge,
            LARGE);
    CHECK(bsmall > 0);
    CHECK(blarge < 1.5 * bsmall);
    CHECK(blarge < large);

    int64_t s1 = signal_work(SMALL), s2 = signal_work(LARGE);
    fprintf(stderr, "work per signal: %lld among %d waiters, %lld among %d\n", (long long)s1, SMALL,
            (long long)s2, LARGE);
    CHECK(s1 > 0);
    CHECK(s2 < 2 * s1);
    return CHECK_DONE();
}
