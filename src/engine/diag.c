/* diag.c - the engine's diagnostics: counts of jobs by state and the failed (set aside)
 * jobs, for `catalogd jobs stats|failed` and tests. Read-only. */
#include "engine/engine.h"

#include <string.h>

err_t engine_stats(store_t *s, int64_t now_ms, engine_stats_t *out, errbuf_t *eb)
{
    memset(out, 0, sizeof(*out));
    store_tx_t *tx;
    err_t rc = store_begin(s, false, &tx, eb);
    if (rc) return rc;
    store_stmt_t *st;
    rc = store_query(tx, eb, &st,
                     "SELECT state, CASE WHEN lease_until > ? THEN 1 ELSE 0 END, COUNT(*)"
                     " FROM jobs GROUP BY 1, 2",
                     "i", now_ms);
    bool row;
    while (!rc && !(rc = store_step(st, &row, eb)) && row) {
        const char *state = store_col_text(st, 0);
        int64_t n = store_col_int(st, 2);
        if (!strcmp(state, "done"))
            out->done += n;
        else if (!strcmp(state, "failed"))
            out->failed += n;
        else if (store_col_int(st, 1))
            out->running += n;
        else
            out->ready += n;
    }
    store_rollback(tx);
    return rc;
}

err_t engine_failed_jobs(store_t *s, engine_failed_fn fn, void *ud, errbuf_t *eb)
{
    store_tx_t *tx;
    err_t rc = store_begin(s, false, &tx, eb);
    if (rc) return rc;
    store_stmt_t *st;
    rc = store_query(tx, eb, &st,
                     "SELECT id, kind, attempts, max_attempts, last_error FROM jobs"
                     " WHERE state = 'failed' ORDER BY updated_ms, id",
                     "");
    bool row;
    while (!rc && !(rc = store_step(st, &row, eb)) && row)
        fn(ud, store_col_text(st, 0), store_col_text(st, 1), store_col_int(st, 2),
           store_col_int(st, 3), store_col_null(st, 4) ? NULL : store_col_text(st, 4));
    store_rollback(tx);
    return rc;
}
