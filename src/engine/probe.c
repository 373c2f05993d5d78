/* probe.c - "engine.probe", the diagnostic job kind that proves the engine's
 * exactly-once claim: each step's effect (a job_probe row) commits with the job's
 * progress, so after any crash every (job, step) pair must appear exactly once. */
#include "engine/engine.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <time.h>

static err_t probe_step(engine_run_t *r)
{
    cJSON *p = cJSON_Parse(r->payload);
    int steps = 1, step = 0, sleep_ms = 0;
    if (p) {
        const cJSON *v;
        if ((v = cJSON_GetObjectItemCaseSensitive(p, "steps")) && cJSON_IsNumber(v))
            steps = v->valueint;
        if ((v = cJSON_GetObjectItemCaseSensitive(p, "step")) && cJSON_IsNumber(v))
            step = v->valueint;
        if ((v = cJSON_GetObjectItemCaseSensitive(p, "sleep_ms")) && cJSON_IsNumber(v))
            sleep_ms = v->valueint;
        cJSON_Delete(p);
    }
    if (sleep_ms > 0) { /* the slow part runs outside the transaction */
        struct timespec ts = {sleep_ms / 1000, (long)(sleep_ms % 1000) * 1000000};
        nanosleep(&ts, NULL);
    }
    err_t rc;
    store_tx_t *tx = engine_tx(r, &rc);
    if (!tx) return rc;
    rc = store_exec(tx, r->eb, NULL,
                    "INSERT INTO job_probe (job_id, step, owner, at_ms) VALUES (?, ?, ?, ?)",
                    "siii", r->job_id, (int64_t)step, (int64_t)r->attempt, r->now_ms);
    if (rc) return rc;
    if (step + 1 < steps) {
        char next[128];
        snprintf(next, sizeof(next), "{\"steps\":%d,\"step\":%d,\"sleep_ms\":%d}", steps, step + 1,
                 sleep_ms);
        engine_again(r, next, r->now_ms);
    } else {
        engine_done(r);
    }
    return ERR_OK;
}

void engine_register_probe(engine_t *e)
{
    /* no give-up: a probe owns nothing but its job_probe rows, and the failed job itself is
     * what a test of the engine looks at */
    engine_register(e, "engine.probe", probe_step, 5, NULL);
    /* its sleep comes before engine_tx, so a probe's sleep may pass inside a batch's
     * transaction begun by earlier steps; a batch takes a step only while it is younger
     * than ENGINE_BATCH_MS, so a diagnostic may: crash tests then kill whole batches */
    engine_batchable(e, "engine.probe");
}

err_t engine_enqueue_probes(store_t *s, ids_t *ids, const clk_t *c, int count, int steps,
                            int sleep_ms, errbuf_t *eb)
{
    store_tx_t *tx;
    err_t rc = store_begin(s, true, &tx, eb);
    char payload[128];
    snprintf(payload, sizeof(payload), "{\"steps\":%d,\"step\":0,\"sleep_ms\":%d}", steps,
             sleep_ms);
    int64_t now = clk_now_ms(c);
    for (int i = 0; !rc && i < count; i++)
        rc = engine_enqueue(tx, ids, "engine.probe", payload, now, 5, NULL, eb);
    if (!rc) return store_commit(tx, eb);
    store_rollback(tx);
    return rc;
}
