/* test_engine.c - the durable engine against a real SQLite store in a temporary
 * directory, with a manual clock: due times, multi-step jobs, retries with backoff,
 * permanent failure and the kind's give-up (by errors, by interrupted claims, by
 * engine_fail, a give-up that fails once), the after-commit hook, and lease fencing (a step
 * whose lease was lost commits nothing). */
#include "check.h"
#include "check_store.h"

#include "engine/engine.h"
#include "store/store.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static atomic_int runs_a, runs_flaky, runs_thief, runs_crashy, giveups, giveup_fails;
static atomic_uint posted;

static void nap(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

static err_t count_a(engine_run_t *r)
{
    atomic_fetch_add(&runs_a, 1);
    err_t rc;
    store_tx_t *tx = engine_tx(r, &rc);
    if (!tx) return rc;
    return store_exec(tx, r->eb, NULL, "INSERT INTO meta (key, value) VALUES (?, 'a')", "s",
                      r->job_id);
}

/* Fails its first two attempts. */
static err_t flaky(engine_run_t *r)
{
    atomic_fetch_add(&runs_flaky, 1);
    if (r->attempt < 3) return err_fail(r->eb, ERR_INTERNAL, "attempt %d fails", r->attempt);
    return ERR_OK;
}

static err_t always_fails(engine_run_t *r)
{
    return err_fail(r->eb, ERR_INTERNAL, "never works");
}

/* Never runs in this test: its claims were counted by a process that "died" in the step. */
static err_t crashy(engine_run_t *r)
{
    atomic_fetch_add(&runs_crashy, 1);
    return err_fail(r->eb, ERR_INTERNAL, "should not run");
}

/* A permanent error on the first attempt. */
static err_t hopeless(engine_run_t *r)
{
    engine_fail(r);
    return err_fail(r->eb, ERR_INTERNAL, "malformed");
}

/* Asks for after-commit work 4; fails (so nothing commits) when the payload says so. */
static err_t poster(engine_run_t *r)
{
    r->post |= 4;
    if (strstr(r->payload, "fail")) return err_fail(r->eb, ERR_INTERNAL, "no");
    return ERR_OK;
}

static void on_post(void *app, unsigned post)
{
    (void)app;
    atomic_fetch_or(&posted, post);
}

/* The give-up: records (job, why) in the transaction that fails the job, and asks for
 * after-commit work 8. With giveup_fails > 0 it fails that many times first. */
static err_t record_giveup(engine_run_t *r, const char *why)
{
    atomic_fetch_add(&giveups, 1);
    if (atomic_load(&giveup_fails) > 0) {
        atomic_fetch_sub(&giveup_fails, 1);
        return err_fail(r->eb, ERR_INTERNAL, "owner not reachable");
    }
    err_t rc;
    store_tx_t *tx = engine_tx(r, &rc);
    if (!tx) return rc;
    r->post |= 8;
    return store_exec(tx, r->eb, NULL, "INSERT INTO meta (key, value) VALUES (?, ?)", "ss",
                      r->job_id, why);
}

/* The text sql (one ? for id) selects, "" when none; valid until the next call. */
static const char *one_text(store_t *s, const char *sql, const char *id)
{
    static char text[512];
    errbuf_t eb;
    store_tx_t *tx;
    text[0] = '\0';
    if (store_begin(s, false, &tx, &eb)) return text;
    store_stmt_t *st;
    bool row = false;
    if (!store_query(tx, &eb, &st, sql, "s", id) && !store_step(st, &row, &eb) && row &&
        !store_col_null(st, 0))
        snprintf(text, sizeof(text), "%s", store_col_text(st, 0));
    store_rollback(tx);
    return text;
}

/* The give-up's record of job id, and the job's last_error. */
#define giveup_why(s, id) one_text(s, "SELECT value FROM meta WHERE key = ?", id)
#define last_error(s, id) one_text(s, "SELECT last_error FROM jobs WHERE id = ?", id)

/* Moves the clock on until job id is in state want (true) or 300 rounds passed. */
static bool drive_to(store_t *s, clk_t *clock, engine_t *e, const char *id, const char *want);

/* Writes an effect, then loses its lease before the engine commits. */
static err_t thief(engine_run_t *r)
{
    atomic_fetch_add(&runs_thief, 1);
    err_t rc;
    store_tx_t *tx = engine_tx(r, &rc);
    if (!tx) return rc;
    rc = store_exec(tx, r->eb, NULL, "INSERT INTO meta (key, value) VALUES ('thief', 'x')", "");
    if (!rc)
        rc =
            store_exec(tx, r->eb, NULL, "UPDATE jobs SET lease_owner = 'someone-else' WHERE id = ?",
                       "s", r->job_id);
    return rc;
}

static const char *job_state(store_t *s, const char *id, int64_t *attempts)
{
    static char state[32];
    errbuf_t eb;
    store_tx_t *tx;
    state[0] = '\0';
    if (store_begin(s, false, &tx, &eb)) return state;
    store_stmt_t *st;
    bool row = false;
    if (!store_query(tx, &eb, &st, "SELECT state, attempts FROM jobs WHERE id = ?", "s", id) &&
        !store_step(st, &row, &eb) && row) {
        snprintf(state, sizeof(state), "%s", store_col_text(st, 0));
        if (attempts) *attempts = store_col_int(st, 1);
    }
    store_rollback(tx);
    return state;
}

static bool wait_state(store_t *s, const char *id, const char *want, int ms)
{
    for (int i = 0; i < ms / 10; i++) {
        if (strcmp(job_state(s, id, NULL), want) == 0) return true;
        nap(10);
    }
    return false;
}

static bool drive_to(store_t *s, clk_t *clock, engine_t *e, const char *id, const char *want)
{
    for (int i = 0; i < 300 && strcmp(job_state(s, id, NULL), want); i++) {
        clk_set(clock, clk_now_ms(clock) + 1000);
        engine_notify(e);
        nap(10);
    }
    return strcmp(job_state(s, id, NULL), want) == 0;
}

static void enqueue(store_t *s, ids_t *ids, const char *kind, int64_t at, int max, char id[37])
{
    errbuf_t eb;
    store_tx_t *tx;
    CHECK(store_begin(s, true, &tx, &eb) == ERR_OK);
    CHECK(engine_enqueue(tx, ids, kind, "{}", at, max, id, &eb) == ERR_OK);
    CHECK(store_commit(tx, &eb) == ERR_OK);
}

int main(void)
{
    char dir[] = "/tmp/catalogd-engine-XXXXXX";
    store_t *s = check_store_open(dir, false);
    errbuf_t eb = {{0}};
    ids_t ids;
    ids_init_seeded(&ids, 42);
    clk_t clock = clk_manual(1000000);
    engine_opts_t eo = {.store = s,
                        .clock = &clock,
                        .ids = &ids,
                        .workers = 2,
                        .lease_ms = 60000,
                        .poll_ms = 20,
                        .reclaim_on_start = true,
                        .after_commit = on_post};
    engine_t *e = NULL;
    CHECK(engine_create(&eo, &e, &eb) == ERR_OK);
    engine_register(e, "a", count_a, 3, NULL);
    engine_register(e, "flaky", flaky, 5, NULL);
    engine_register(e, "broken", always_fails, 2, record_giveup);
    engine_register(e, "thief", thief, 1, NULL);
    engine_register(e, "crashy", crashy, 2, record_giveup);
    engine_register(e, "hopeless", hopeless, 5, record_giveup);
    engine_register(e, "poster", poster, 1, NULL);
    engine_register_probe(e);
    CHECK(engine_start(e, &eb) == ERR_OK);
    store_tx_t *tx;

    /* a job due in the future waits for the clock, not for wall time */
    char later[37];
    enqueue(s, &ids, "a", 1000000 + 5000, 3, later);
    engine_notify(e);
    nap(150);
    CHECK_INT(atomic_load(&runs_a), 0);
    CHECK_STR(job_state(s, later, NULL), "ready");
    clk_set(&clock, 1000000 + 5000);
    engine_notify(e);
    CHECK(wait_state(s, later, "done", 3000));
    CHECK_INT(atomic_load(&runs_a), 1);

    /* retries back off on the clock and succeed on the third attempt */
    char fl[37];
    enqueue(s, &ids, "flaky", clk_now_ms(&clock), 5, fl);
    engine_notify(e);
    for (int i = 0; i < 300 && strcmp(job_state(s, fl, NULL), "done"); i++) {
        clk_set(&clock, clk_now_ms(&clock) + 1000); /* backoff is 1 s, then 2 s */
        engine_notify(e);
        nap(10);
    }
    int64_t attempts = -1;
    CHECK_STR(job_state(s, fl, &attempts), "done");
    CHECK_INT(atomic_load(&runs_flaky), 3);

    /* a job that never works ends failed after max_attempts */
    char br[37];
    enqueue(s, &ids, "broken", clk_now_ms(&clock), 2, br);
    engine_notify(e);
    for (int i = 0; i < 300 && strcmp(job_state(s, br, NULL), "failed"); i++) {
        clk_set(&clock, clk_now_ms(&clock) + 1000);
        engine_notify(e);
        nap(10);
    }
    CHECK_STR(job_state(s, br, &attempts), "failed");
    CHECK_INT(attempts, 2);
    /* ... and its give-up closed the owner in the same transaction, then ran its post */
    char want[256];
    snprintf(want, sizeof(want), "failed 2 times with an internal error (job %s)", br);
    CHECK_STR(giveup_why(s, br), want); /* the owner's users see no internal error text */
    snprintf(want + strlen(want), sizeof(want) - strlen(want), ": never works");
    CHECK_STR(last_error(s, br), want); /* the operator does */
    CHECK(atomic_load(&posted) & 8);

    /* a step that stopped the process: its claims were counted before it ran, so the claim
     * past the limit gives it up without running it */
    char cr[37];
    enqueue(s, &ids, "crashy", clk_now_ms(&clock) + 3600000, 2, cr);
    CHECK(store_begin(s, true, &tx, &eb) == ERR_OK);
    CHECK(store_exec(tx, &eb, NULL,
                     "UPDATE jobs SET attempts = 2, lease_owner = 'dead/0/x', lease_until = 0,"
                     " run_at = ? WHERE id = ?",
                     "is", clk_now_ms(&clock), cr) == ERR_OK);
    CHECK(store_commit(tx, &eb) == ERR_OK);
    engine_notify(e);
    CHECK(drive_to(s, &clock, e, cr, "failed"));
    CHECK_INT(atomic_load(&runs_crashy), 0);
    CHECK_STR(giveup_why(s, cr), "was interrupted 2 times (the process stopped while it ran)");

    /* a permanent error gives up at once; a give-up that fails is tried again */
    char ho[37];
    atomic_store(&giveup_fails, 1);
    int before = atomic_load(&giveups);
    enqueue(s, &ids, "hopeless", clk_now_ms(&clock), 5, ho);
    engine_notify(e);
    CHECK(drive_to(s, &clock, e, ho, "failed"));
    CHECK_INT(atomic_load(&giveups) - before, 2);
    snprintf(want, sizeof(want), "failed with an internal error (job %s)", ho);
    CHECK_STR(giveup_why(s, ho), want);

    /* after-commit work runs only when the step committed */
    atomic_store(&posted, 0);
    char pf[37], pk[37];
    CHECK(store_begin(s, true, &tx, &eb) == ERR_OK);
    CHECK(engine_enqueue(tx, &ids, "poster", "{\"fail\":1}", clk_now_ms(&clock), 1, pf, &eb) ==
          ERR_OK);
    CHECK(store_commit(tx, &eb) == ERR_OK);
    engine_notify(e);
    CHECK(drive_to(s, &clock, e, pf, "failed"));
    CHECK_INT(atomic_load(&posted), 0);
    enqueue(s, &ids, "poster", clk_now_ms(&clock), 1, pk);
    engine_notify(e);
    CHECK(drive_to(s, &clock, e, pk, "done"));
    CHECK_INT(atomic_load(&posted), 4);

    /* lease fencing: the step's effect is discarded when the lease is gone */
    char th[37];
    enqueue(s, &ids, "thief", clk_now_ms(&clock), 1, th);
    engine_notify(e);
    for (int i = 0; i < 300 && atomic_load(&runs_thief) == 0; i++) nap(10);
    nap(100);
    CHECK(atomic_load(&runs_thief) >= 1);
    CHECK(store_begin(s, false, &tx, &eb) == ERR_OK);
    store_stmt_t *st;
    bool row = true;
    CHECK(store_query(tx, &eb, &st, "SELECT value FROM meta WHERE key = 'thief'", "") == ERR_OK);
    CHECK(store_step(st, &row, &eb) == ERR_OK);
    CHECK(!row); /* the effect did not commit */
    store_rollback(tx);
    CHECK_STR(job_state(s, th, NULL), "ready"); /* nor did the job's completion */

    /* multi-step probes: every step exactly once */
    CHECK(engine_enqueue_probes(s, &ids, &clock, 20, 4, 0, &eb) == ERR_OK);
    engine_notify(e);
    engine_stats_t stt = {0};
    for (int i = 0; i < 500; i++) {
        CHECK(engine_stats(s, clk_now_ms(&clock), &stt, &eb) == ERR_OK);
        if (stt.done >= 20 + 3) break; /* 20 probes + a, flaky, poster ... */
        nap(10);
    }
    CHECK(store_begin(s, false, &tx, &eb) == ERR_OK);
    CHECK(store_query(tx, &eb, &st,
                      "SELECT COUNT(*), COUNT(DISTINCT job_id || ':' || step) FROM job_probe",
                      "") == ERR_OK);
    CHECK(store_step(st, &row, &eb) == ERR_OK && row);
    CHECK_INT(store_col_int(st, 0), 80);
    CHECK_INT(store_col_int(st, 1), 80);
    store_rollback(tx);

    engine_destroy(e);
    store_close(s);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
    return CHECK_DONE();
}
