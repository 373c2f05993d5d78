/* guard.c - connection deadlines (see guard.h): a registry of open connections, each with
 * the moment its current phase must end, and a sweeper thread that shuts down the socket
 * of any connection past it. shutdown(2) rather than close: MHD sees end-of-file, closes
 * the connection itself and reports it closed (before closing the socket, and under the
 * registry's lock, so the sweeper never touches a descriptor number MHD has reused). */
#include "http/guard.h"

#include "core/clk.h"
#include "core/log.h"
#include "core/mem.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#define GUARD_SWEEP_MS 200

typedef struct guard_conn {
    struct guard_conn *prev, *next;
    MHD_socket fd;
    int64_t deadline_us; /* 0: none (busy, or already shut down) */
    http_phase_t phase;
    char client[INET6_ADDRSTRLEN + 1]; /* for the log line */
} guard_conn_t;

struct http_guard {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t sweeper;
    bool stopping;
    guard_conn_t *head;
    int64_t header_us, body_us, idle_us;
};

/* The deadline of a connection entering phase p at now_us (0: none). */
static int64_t guard_deadline(const http_guard_t *g, http_phase_t p, int64_t now_us)
{
    switch (p) {
    case HTTP_PHASE_HEAD:
        return now_us + g->header_us;
    case HTTP_PHASE_BODY:
        return now_us + g->body_us;
    case HTTP_PHASE_KEEPALIVE:
        return now_us + g->idle_us + g->header_us;
    case HTTP_PHASE_BUSY:
        break;
    }
    return 0;
}

/* Shuts down every connection past its deadline; returns how many. Called with mu held. */
static int guard_sweep_locked(http_guard_t *g, int64_t now_us)
{
    int n = 0;
    for (guard_conn_t *c = g->head; c; c = c->next) {
        if (!c->deadline_us || now_us < c->deadline_us) continue;
        c->deadline_us = 0;
        shutdown(c->fd, SHUT_RDWR);
        log_info("connection deadline passed", "\"phase\":\"%s\",\"client\":\"%s\"",
                 c->phase == HTTP_PHASE_BODY ? "body" : "header", c->client);
        n++;
    }
    return n;
}

static void *guard_sweeper(void *arg)
{
    http_guard_t *g = arg;
    pthread_mutex_lock(&g->mu);
    while (!g->stopping) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_nsec += GUARD_SWEEP_MS * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        int rc = pthread_cond_timedwait(&g->cv, &g->mu, &ts);
        if (rc == ETIMEDOUT || rc == 0) guard_sweep_locked(g, clk_mono_us());
    }
    pthread_mutex_unlock(&g->mu);
    return NULL;
}

err_t http_guard_start(int header_s, int body_s, int idle_s, http_guard_t **out, errbuf_t *eb)
{
    http_guard_t *g = xcalloc(1, sizeof(*g));
    g->header_us = (int64_t)(header_s > 0 ? header_s : 10) * 1000000;
    g->body_us = (int64_t)(body_s > 0 ? body_s : 60) * 1000000;
    g->idle_us = (int64_t)(idle_s > 0 ? idle_s : 60) * 1000000;
    pthread_mutex_init(&g->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&g->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&g->sweeper, NULL, guard_sweeper, g) != 0) {
        pthread_cond_destroy(&g->cv);
        pthread_mutex_destroy(&g->mu);
        free(g);
        return err_fail(eb, ERR_INTERNAL, "cannot start the HTTP connection sweeper");
    }
    *out = g;
    return ERR_OK;
}

void http_guard_stop(http_guard_t *g)
{
    if (!g) return;
    pthread_mutex_lock(&g->mu);
    g->stopping = true;
    pthread_cond_signal(&g->cv);
    pthread_mutex_unlock(&g->mu);
    pthread_join(g->sweeper, NULL);
    while (g->head) { /* none once MHD has stopped; defensive */
        guard_conn_t *c = g->head;
        g->head = c->next;
        free(c);
    }
    pthread_cond_destroy(&g->cv);
    pthread_mutex_destroy(&g->mu);
    free(g);
}

void http_guard_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                       enum MHD_ConnectionNotificationCode code)
{
    http_guard_t *g = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        if (!ci) return;
        guard_conn_t *n = xcalloc(1, sizeof(*n));
        n->fd = ci->connect_fd;
        http_client_ip(c, n->client, sizeof(n->client));
        n->phase = HTTP_PHASE_HEAD;
        n->deadline_us = guard_deadline(g, HTTP_PHASE_HEAD, clk_mono_us());
        pthread_mutex_lock(&g->mu);
        n->next = g->head;
        if (g->head) g->head->prev = n;
        g->head = n;
        pthread_mutex_unlock(&g->mu);
        *socket_context = n;
        return;
    }
    guard_conn_t *n = *socket_context;
    if (!n) return;
    pthread_mutex_lock(&g->mu);
    if (n->prev)
        n->prev->next = n->next;
    else
        g->head = n->next;
    if (n->next) n->next->prev = n->prev;
    pthread_mutex_unlock(&g->mu);
    free(n);
    *socket_context = NULL;
}

void http_guard_phase(http_guard_t *g, struct MHD_Connection *c, http_phase_t p)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    guard_conn_t *n = ci ? ci->socket_context : NULL;
    if (!n) return;
    int64_t d = guard_deadline(g, p, clk_mono_us());
    pthread_mutex_lock(&g->mu);
    n->phase = p;
    n->deadline_us = d;
    pthread_mutex_unlock(&g->mu);
}
