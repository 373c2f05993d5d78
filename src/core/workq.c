/* workq.c - threads behind a ring of waiting items, under one mutex. */
#include "core/workq.h"

#include "core/mem.h"

#include <pthread.h>
#include <stdlib.h>

typedef struct workq_item {
    workq_fn fn;
    void *arg;
} workq_item_t;

struct workq {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    workq_item_t *ring;
    size_t cap, head, n;
    bool stopping, joined;
    pthread_t *threads;
    int n_threads;
};

static void *workq_main(void *ud)
{
    workq_t *q = ud;
    pthread_mutex_lock(&q->mu);
    for (;;) {
        while (!q->n && !q->stopping) pthread_cond_wait(&q->cv, &q->mu);
        if (!q->n) break; /* stopping, and nothing left */
        workq_item_t it = q->ring[q->head];
        q->head = (q->head + 1) % q->cap;
        q->n--;
        pthread_mutex_unlock(&q->mu);
        it.fn(it.arg);
        pthread_mutex_lock(&q->mu);
    }
    pthread_mutex_unlock(&q->mu);
    return NULL;
}

err_t workq_start(int threads, size_t cap, workq_t **out, errbuf_t *eb)
{
    workq_t *q = xcalloc(1, sizeof(*q));
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->cv, NULL);
    q->cap = cap ? cap : 1;
    q->ring = xcalloc(q->cap, sizeof(*q->ring));
    q->threads = xcalloc((size_t)(threads > 0 ? threads : 1), sizeof(*q->threads));
    for (int i = 0; i < (threads > 0 ? threads : 1); i++) {
        if (pthread_create(&q->threads[i], NULL, workq_main, q) != 0) {
            workq_free(q);
            return err_fail(eb, ERR_INTERNAL, "cannot start a worker thread");
        }
        q->n_threads++;
    }
    *out = q;
    return ERR_OK;
}

bool workq_submit(workq_t *q, workq_fn fn, void *arg)
{
    pthread_mutex_lock(&q->mu);
    bool ok = !q->stopping && q->n < q->cap;
    if (ok) {
        q->ring[(q->head + q->n) % q->cap] = (workq_item_t){fn, arg};
        q->n++;
        pthread_cond_signal(&q->cv);
    }
    pthread_mutex_unlock(&q->mu);
    return ok;
}

void workq_stop(workq_t *q)
{
    if (!q || q->joined) return;
    pthread_mutex_lock(&q->mu);
    q->stopping = true;
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
    for (int i = 0; i < q->n_threads; i++) pthread_join(q->threads[i], NULL);
    q->joined = true;
}

void workq_free(workq_t *q)
{
    if (!q) return;
    workq_stop(q);
    pthread_cond_destroy(&q->cv);
    pthread_mutex_destroy(&q->mu);
    free(q->threads);
    free(q->ring);
    free(q);
}
