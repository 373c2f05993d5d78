/* rate.c - the token bucket. */
#include "core/rate.h"

void rate_init(rate_t *r)
{
    pthread_mutex_init(&r->mu, NULL);
    r->tokens = 0;
    r->last_ms = 0;
}

bool rate_take(rate_t *r, int64_t per_s, int64_t now_ms)
{
    if (per_s <= 0) return true;
    pthread_mutex_lock(&r->mu);
    if (r->last_ms == 0) {
        r->tokens = (double)per_s;
    } else if (now_ms > r->last_ms) {
        r->tokens += (double)(now_ms - r->last_ms) * (double)per_s / 1000.0;
        if (r->tokens > (double)per_s) r->tokens = (double)per_s;
    }
    if (now_ms > r->last_ms || r->last_ms == 0) r->last_ms = now_ms;
    bool ok = r->tokens >= 1.0;
    if (ok) r->tokens -= 1.0;
    pthread_mutex_unlock(&r->mu);
    return ok;
}
