/* workq.h - a small pool of threads with a bounded queue, for work that must not run on the
 * threads that asked for it (outbound fetches off the HTTP threads). A full queue refuses
 * at once rather than make the submitter wait. */
#ifndef CATALOGD_WORKQ_H
#define CATALOGD_WORKQ_H

#include "core/err.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct workq workq_t;
typedef void (*workq_fn)(void *arg);

/* Starts threads workers behind a queue of at most cap waiting items. ERR_INTERNAL when a
 * thread cannot be created. */
err_t workq_start(int threads, size_t cap, workq_t **out, errbuf_t *eb);
/* Queues fn(arg) for a worker. false, and nothing queued, when cap items are waiting
 * already or the pool is stopping. */
bool workq_submit(workq_t *q, workq_fn fn, void *arg);
/* Refuses new items from now on (workq_submit answers false), lets the workers run every
 * queued item and joins them. q stays valid for workq_submit until workq_free. NULL is
 * fine; a second call does nothing. */
void workq_stop(workq_t *q);
/* Stops q if need be and frees it (NULL is fine). */
void workq_free(workq_t *q);

#endif
