/* test_engine_batch.c - group commit of engine steps (engine_batchable): the steps of a
 * worker's hand share one transaction, a step that fails is undone alone (the others
 * commit, it is retried), and the after-commit work of every committed step runs, that of
 * the failed one does not; engine_hasten_waiting. A real SQLite store in a temporary directory, one
 * worker. */
#include "check.h"
#include "check_store.h"

#include "engine/engine.h"
#include "store/store.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define JOBS 10

static atomic_int runs, afters, shared;
static atomic_uint posted;

static void nap(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* COUNT(*) of meta rows with value 'b' as tx sees them (tx NULL: a read transaction of
 * its own, which sees only committed rows); -1 on error. */
static int64_t b_rows(store_t *s, store_tx_t *tx)
{
    errbuf_t eb;
    store_tx_t *own = NULL;
    if (!tx && store_begin(s, false, &own, &eb)) return -1;
    store_stmt_t *st;
    bool row = false;
    int64_t n = -1;
    if (!store_query(tx ? tx : own, &eb, &st, "SELECT COUNT(*) FROM meta WHERE value = 'b'", "") &&
        !store_step(st, &row, &eb) && row)
        n = store_col_int(st, 0);
    if (own) store_rollback(own);
    return n;
}

static void after_fn(void *arg)
{
    (void)arg;
    atomic_fetch_add(&afters, 1);
}

/* Writes its row, then notes whether it sees rows that are not committed yet (earlier
 * steps of its batch: the transaction is shared); fails when the payload says so. */
static err_t batchy(engine_run_t *r)
{
    atomic_fetch_add(&runs, 1);
    err_t rc;
    store_tx_t *tx = engine_tx(r, &rc);
    if (!tx) return rc;
    rc = store_exec(tx, r->eb, NULL, "INSERT INTO meta (key, value) VALUES (?, 'b')", "s",
                    r->job_id);
    if (rc) return rc;
    if (b_rows(store_of(tx), tx) > b_rows(store_of(tx), NULL) + 1) atomic_store(&shared, 1);
    r->post |= 2;
    engine_after_commit(r, after_fn, NULL);
    if (strstr(r->payload, "fail")) return err_fail(r->eb, ERR_INTERNAL, "this one fails");
    return ERR_OK;
}

static void on_post(void *app, unsigned post)
{
    (void)app;
    atomic_fetch_or(&posted, post);
}

static const char *job_state(store_t *s, const char *id, char *last_error, size_t cap)
{
    static char state[16];
    errbuf_t eb;
    store_tx_t *tx;
    state[0] = last_error[0] = '\0';
    if (store_begin(s, false, &tx, &eb)) return state;
    store_stmt_t *st;
    bool row = false;
    if (!store_query(tx, &eb, &st, "SELECT state, last_error FROM jobs WHERE id = ?", "s", id) &&
        !store_step(st, &row, &eb) && row) {
        snprintf(state, sizeof(state), "%s", store_col_text(st, 0));
        if (!store_col_null(st, 1)) snprintf(last_error, cap, "%s", store_col_text(st, 1));
    }
    store_rollback(tx);
    return state;
}

int main(void)
{
    char dir[] = "/tmp/catalogd-engine-batch-XXXXXX";
    store_t *s = check_store_open(dir, false);
    errbuf_t eb = {{0}};
    ids_t ids;
    ids_init_seeded(&ids, 11);
    clk_t clock = clk_manual(1000000);

    /* JOBS due jobs, the sixth of which fails, all there before the worker starts: its
     * first claim takes them all */
    char id[JOBS][37];
    store_tx_t *tx;
    CHECK(store_begin(s, true, &tx, &eb) == ERR_OK);
    for (int i = 0; i < JOBS; i++)
        CHECK(engine_enqueue(tx, &ids, "b", i == 5 ? "{\"fail\":1}" : "{}", clk_now_ms(&clock), 3,
                             id[i], &eb) == ERR_OK);
    CHECK(store_commit(tx, &eb) == ERR_OK);

    engine_opts_t eo = {.store = s,
                        .clock = &clock,
                        .ids = &ids,
                        .workers = 1,
                        .lease_ms = 60000,
                        .poll_ms = 20,
                        .reclaim_on_start = true,
                        .after_commit = on_post};
    engine_t *e = NULL;
    CHECK(engine_create(&eo, &e, &eb) == ERR_OK);
    engine_register(e, "b", batchy, 3, NULL); /* owns nothing: a test kind */
    engine_batchable(e, "b");
    CHECK(engine_start(e, &eb) == ERR_OK);
    for (int i = 0; i < 500 && (atomic_load(&runs) < JOBS || atomic_load(&afters) < JOBS - 1); i++)
        nap(10);
    nap(50);
    engine_stop(e);

    CHECK_INT(atomic_load(&runs), JOBS);
    CHECK_INT(atomic_load(&shared), 1);   /* later steps saw earlier ones' uncommitted rows */
    CHECK_INT(b_rows(s, NULL), JOBS - 1); /* the failed step alone was undone */
    CHECK_INT(atomic_load(&afters), JOBS - 1);
    CHECK(atomic_load(&posted) & 2);
    char last[256];
    for (int i = 0; i < JOBS; i++) {
        const char *st = job_state(s, id[i], last, sizeof(last));
        if (i == 5) { /* retried later (the clock stands still), with the error */
            CHECK_STR(st, "ready");
            CHECK_STR(last, "this one fails");
        } else {
            CHECK_STR(st, "done");
        }
    }

    /* engine_hasten_waiting moves a job that waits, and tells a second waker that it is
     * due already (so the waker can wake another) */
    char waiting[37];
    bool moved = false;
    CHECK(store_begin(s, true, &tx, &eb) == ERR_OK);
    CHECK(engine_enqueue(tx, &ids, "b", "{}", clk_now_ms(&clock) + 3600000, 3, waiting, &eb) ==
          ERR_OK);
    CHECK(engine_hasten_waiting(tx, waiting, clk_now_ms(&clock), &moved, &eb) == ERR_OK);
    CHECK(moved);
    CHECK(engine_hasten_waiting(tx, waiting, clk_now_ms(&clock), &moved, &eb) == ERR_OK);
    CHECK(!moved);
    CHECK(engine_hasten_waiting(tx, id[0], clk_now_ms(&clock), &moved, &eb) == ERR_OK);
    CHECK(!moved); /* done */
    CHECK(store_commit(tx, &eb) == ERR_OK);

    engine_destroy(e);
    store_close(s);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
    return CHECK_DONE();
}
