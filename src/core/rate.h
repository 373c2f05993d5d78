/* rate.h - a token bucket shared by threads: `per_s` tokens a second, a burst of the same
 * size. Used where AWS throttles an API (StartAutomationExecution). */
#ifndef CATALOGD_RATE_H
#define CATALOGD_RATE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct rate {
    pthread_mutex_t mu;
    double tokens;
    int64_t last_ms; /* 0: never used (the bucket starts full) */
} rate_t;

/* A bucket that starts full; it needs no teardown (default mutex attributes). */
void rate_init(rate_t *r);
/* Takes a token at now_ms; false when the bucket is empty. per_s <= 0 never throttles. */
bool rate_take(rate_t *r, int64_t per_s, int64_t now_ms);

#endif
