/* rate.c - token buckets of API rate quotas, one row of `rate_buckets` per scope and
 * quota (schema.c, migration 6): taken in the calling request's write transaction, so
 * every node of one store draws on the same bucket (AWS's quotas are per account and
 * region, not per server), and a restart gives no fresh burst. */
#include "res/res.h"

/* A token in the row's unit: tokens are kept in thousandths, so that a bucket of per_s
 * tokens a second gains exactly per_s of them a millisecond (integers, any backend). */
#define RATE_TOKEN 1000

err_t res_rate_take(store_tx_t *tx, const char *scope, const char *name, int64_t per_s,
                    int64_t now_ms, bool *ok, errbuf_t *eb)
{
    *ok = true;
    if (per_s <= 0) return ERR_OK;
    int64_t full = per_s * RATE_TOKEN, tokens = full, last = now_ms;
    store_stmt_t *st;
    bool row = false;
    err_t rc = store_query(tx, eb, &st,
                           "SELECT milli_tokens, last_ms FROM rate_buckets WHERE scope = ? AND"
                           " name = ?",
                           "ss", scope, name);
    if (!rc) rc = store_step(st, &row, eb);
    if (!rc && row) { /* refilled since; a clock that went back gives nothing meanwhile */
        tokens = store_col_int(st, 0);
        last = store_col_int(st, 1);
        if (now_ms > last) {
            /* a second refills a whole burst (and bounds the product below) */
            tokens = now_ms - last >= 1000 ? full : tokens + (now_ms - last) * per_s;
            last = now_ms;
        }
        if (tokens > full) tokens = full; /* the quota was lowered since */
        rc = store_step(st, &row, eb);
    }
    if (rc) return rc;
    *ok = tokens >= RATE_TOKEN;
    if (*ok) tokens -= RATE_TOKEN;
    int64_t changed = 0;
    rc = store_exec(tx, eb, &changed,
                    "UPDATE rate_buckets SET milli_tokens = ?, last_ms = ? WHERE scope = ? AND"
                    " name = ?",
                    "iiss", tokens, last, scope, name);
    if (!rc && !changed)
        rc = store_exec(tx, eb, NULL,
                        "INSERT INTO rate_buckets (scope, name, milli_tokens, last_ms) VALUES"
                        " (?, ?, ?, ?)",
                        "ssii", scope, name, tokens, last);
    return rc;
}
