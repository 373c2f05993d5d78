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
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>

#define GUARD_SWEEP_MS 200
/* a connection past the limits must deliver its whole request within this to be answered
 * (ThrottlingException); a slowloris past them is cut as soon as this passes */
#define GUARD_OVER_MS 2000
/* a kept-alive connection idle this long may be closed for a new one past --max-conns */
#define GUARD_REUSE_IDLE_MS 1000

typedef struct guard_conn {
    struct guard_conn *prev, *next;
    MHD_socket fd;
    int64_t deadline_us; /* 0: none (busy, or already shut down) */
    http_phase_t phase;
    int64_t phase_us;                  /* when the current phase began */
    bool over;                         /* past the limits: answered ThrottlingException */
    int64_t over_deadline_us;          /* with over: the whole request must be in by then */
    char client[INET6_ADDRSTRLEN + 1]; /* for the log line and the per-client limit */
} guard_conn_t;

struct http_guard {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t sweeper;
    bool stopping;
    guard_conn_t *head;
    int64_t header_us, body_us, idle_us;
    /* admission (http_guard_limits): connections counted against the limits (not over) */
    int max_conns, max_per_client, n_admitted;
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
        int unread = 0; /* a connection past the limits whose bytes wait on our reading:
                           the server is behind, not the client; it gets another term */
        if (c->over && ioctl(c->fd, FIONREAD, &unread) == 0 && unread > 0) {
            c->deadline_us = now_us + (int64_t)GUARD_OVER_MS * 1000;
            continue;
        }
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

void http_guard_limits(http_guard_t *g, int max_conns, int max_per_client)
{
    pthread_mutex_lock(&g->mu);
    g->max_conns = max_conns;
    g->max_per_client = max_per_client;
    pthread_mutex_unlock(&g->mu);
}

/* Admits the new connection n (not yet in the registry) or marks it over (guard.h,
 * http_guard_limits). Past --max-conns, the kept-alive connection idle the longest (at
 * least GUARD_REUSE_IDLE_MS, so never one whose request is being answered) is shut down to
 * make room, as a client may close an idle connection at any time and reopens one when it
 * needs it. Called with mu held. */
static void guard_admit_locked(http_guard_t *g, guard_conn_t *n, int64_t now_us)
{
    if (!g->max_conns) return;
    int same = 0;
    guard_conn_t *idle = NULL;
    for (guard_conn_t *c = g->head; c; c = c->next) {
        if (c->over) continue;
        if (strcmp(c->client, n->client) == 0) same++;
        if (c->phase == HTTP_PHASE_KEEPALIVE && c->deadline_us &&
            now_us - c->phase_us >= (int64_t)GUARD_REUSE_IDLE_MS * 1000 &&
            (!idle || c->phase_us < idle->phase_us))
            idle = c;
    }
    bool full = g->n_admitted >= g->max_conns;
    if (full && idle &&
        (!g->max_per_client || same < g->max_per_client || strcmp(idle->client, n->client) == 0)) {
        idle->deadline_us = 0;
        shutdown(idle->fd, SHUT_RDWR);
        full = false; /* the idle one still counts until MHD reports it closed */
    }
    if (full || (g->max_per_client && same >= g->max_per_client)) {
        n->over = true;
        n->over_deadline_us = now_us + (int64_t)GUARD_OVER_MS * 1000;
        n->deadline_us = n->over_deadline_us;
        return;
    }
    g->n_admitted++;
}

bool http_guard_over(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    const guard_conn_t *n = ci ? ci->socket_context : NULL;
    return n && n->over;
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
        n->phase_us = clk_mono_us();
        n->deadline_us = guard_deadline(g, HTTP_PHASE_HEAD, n->phase_us);
        pthread_mutex_lock(&g->mu);
        guard_admit_locked(g, n, n->phase_us);
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
    if (!n->over && g->max_conns) g->n_admitted--;
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
    int64_t now = clk_mono_us();
    int64_t d = guard_deadline(g, p, now);
    if (n->over && p != HTTP_PHASE_BUSY) d = n->over_deadline_us; /* no longer than that */
    pthread_mutex_lock(&g->mu);
    n->phase = p;
    n->phase_us = now;
    n->deadline_us = d;
    pthread_mutex_unlock(&g->mu);
}
