/* conn.c - one thread of the load generator: its keep-alive connections on one epoll
 * instance, each a closed loop (send, read the whole answer, send the next), non-blocking
 * sockets with TCP_NODELAY. Any connection error or non-2xx answer is a run error: it is
 * recorded (with the first answers' bodies) and stops the run from sending more. */
#include "loadgen.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct lg_conn {
    int fd;
    int gconn;
    bool busy; /* a request is in flight */
    bool done; /* nothing more to send */
    bool wantout;
    buf_t out;
    size_t off;
    lg_resp_t in;
    lg_item_t it;
    uint64_t sent_us;
} lg_conn_t;

void lg_run_error(lg_run_t *run, const char *fmt, ...)
{
    atomic_fetch_add(&run->errors, 1);
    atomic_store(&run->phase, 2); /* one error fails the run: stop sending */
    pthread_mutex_lock(&run->mu);
    if (run->n_errs < LG_ERRS) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(run->errs[run->n_errs++], sizeof run->errs[0], fmt, ap);
        va_end(ap);
    }
    pthread_mutex_unlock(&run->mu);
}

/* A connected non-blocking socket to the target, registered with ep; -1 after an error. */
static int lg_connect(lg_run_t *run, int ep, lg_conn_t *c)
{
    char host[128];
    snprintf(host, sizeof host, "%s", run->o->host);
    char *colon = strrchr(host, ':');
    if (!colon) {
        lg_run_error(run, "bad target %s (want HOST:PORT)", run->o->host);
        return -1;
    }
    *colon = '\0';
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *ai = NULL;
    if (getaddrinfo(host, colon + 1, &hints, &ai) != 0 || !ai) {
        lg_run_error(run, "cannot resolve %s", run->o->host);
        return -1;
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int rc = fd < 0 ? -1 : connect(fd, ai->ai_addr, ai->ai_addrlen);
    freeaddrinfo(ai);
    if (rc != 0) {
        lg_run_error(run, "connect to %s: %s", run->o->host, strerror(errno));
        if (fd >= 0) close(fd);
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
        lg_run_error(run, "epoll_ctl: %s", strerror(errno));
        close(fd);
        return -1;
    }
    c->fd = fd;
    c->wantout = false;
    return 0;
}

static void lg_close(lg_conn_t *c)
{
    if (c->fd >= 0) close(c->fd); /* also leaves the epoll set */
    c->fd = -1;
    c->busy = false;
    c->in.len = 0;
    lg_resp_consume(&c->in);
}

static void lg_want_out(int ep, lg_conn_t *c, bool on)
{
    if (c->wantout == on) return;
    struct epoll_event ev = {.events = EPOLLIN | (on ? EPOLLOUT : 0u), .data.ptr = c};
    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
    c->wantout = on;
}

/* Writes what is left of the request; -1 on a connection error. */
static int lg_flush(lg_run_t *run, int ep, lg_conn_t *c)
{
    while (c->off < c->out.len) {
        ssize_t n = send(c->fd, c->out.p + c->off, c->out.len - c->off, MSG_NOSIGNAL);
        if (n > 0) {
            c->off += (size_t)n;
        } else if (n < 0 && errno == EAGAIN) {
            lg_want_out(ep, c, true);
            return 0;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else {
            lg_run_error(run, "send: %s", strerror(errno));
            return -1;
        }
    }
    lg_want_out(ep, c, false);
    return 0;
}

/* Asks the scenario for the connection's next request and sends it. */
static void lg_kick(lg_thread_t *t, int ep, lg_conn_t *c)
{
    if (c->done || c->busy) return;
    int r = lg_scen_next(t, c->gconn, &c->it, &c->out);
    if (r == 2) { /* asleep until it.wake_us */
        if (c->it.wake_us < t->scan_at) t->scan_at = c->it.wake_us;
        return;
    }
    if (r <= 0) {
        if (r < 0) lg_run_error(t->run, "could not build a request");
        c->done = true;
        return;
    }
    if (c->fd < 0 && lg_connect(t->run, ep, c) != 0) {
        c->done = true;
        return;
    }
    c->off = 0;
    c->busy = true;
    c->sent_us = lg_now_us();
    if (t->st.first_send == 0) t->st.first_send = lg_now();
    if (lg_flush(t->run, ep, c) != 0) {
        lg_close(c);
        c->done = true;
    }
}

/* A whole answer is in: check it, let the scenario read it, send the next. */
static void lg_answered(lg_thread_t *t, int ep, lg_conn_t *c)
{
    lg_run_t *run = t->run;
    uint64_t now_us = lg_now_us();
    double now = lg_now();
    lg_resp_t *r = &c->in;
    span_t body = span_make(r->p + r->body_off, r->body_len);
    c->busy = false;
    if (r->status < 200 || r->status > 299) {
        lg_run_error(run, "HTTP %d: %.*s", r->status, (int)(body.n > 500 ? 500 : body.n), body.p);
        c->done = true;
    } else {
        if (c->it.kind == LG_REQ_MAIN) {
            int phase = atomic_load(&run->phase);
            if (phase == 1 || (phase == 2 && run->o->count > 0)) {
                lg_hist_add(&t->st.lat, now_us - c->sent_us);
                t->st.reqs++;
                t->st.last_main = now;
            }
        }
        if (lg_scen_done(t, &c->it, body, now) != 0) c->done = true;
    }
    bool close_it = r->close;
    lg_resp_consume(r);
    if (r->len) {
        lg_run_error(run, "bytes after the answer on a connection with one request in flight");
        close_it = c->done = true;
    }
    if (close_it) lg_close(c);
    lg_kick(t, ep, c);
}

/* Reads what arrived; -1 on a connection error. */
static int lg_read(lg_thread_t *t, int ep, lg_conn_t *c)
{
    for (;;) {
        if (!lg_resp_room(&c->in, 16384)) {
            lg_run_error(t->run, "an answer larger than %u bytes", LG_RESP_MAX);
            return -1;
        }
        ssize_t n = recv(c->fd, c->in.p + c->in.len, c->in.cap - c->in.len - 1, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) return 0;
        if (n <= 0) {
            if (c->busy || n < 0)
                lg_run_error(t->run, "connection %s while waiting for an answer",
                             n == 0 ? "closed" : strerror(errno));
            else
                lg_close(c); /* an idle keep-alive connection the server ended */
            return c->busy || n < 0 ? -1 : 1;
        }
        c->in.len += (size_t)n;
        int p = lg_resp_parse(&c->in);
        if (p < 0) {
            lg_run_error(t->run, "malformed answer: %.200s", c->in.p);
            return -1;
        }
        if (p == 0) continue;
        if (!c->busy) {
            lg_run_error(t->run, "an answer to no request");
            return -1;
        }
        lg_answered(t, ep, c);
        return c->fd < 0 ? 1 : 0;
    }
}

void *lg_thread_main(void *arg)
{
    lg_thread_t *t = arg;
    lg_run_t *run = t->run;
    int ep = epoll_create1(EPOLL_CLOEXEC);
    lg_conn_t *cs = calloc((size_t)t->n_conns, sizeof *cs);
    if (ep < 0 || !cs) {
        lg_run_error(run, "out of resources");
        free(cs);
        if (ep >= 0) close(ep);
        return NULL;
    }
    t->senders = t->n_conns;
    for (int i = 0; i < t->n_conns; i++) {
        cs[i].fd = -1;
        cs[i].gconn = t->first_conn + i;
        cs[i].it.local = i;
        buf_init(&cs[i].out, 64 * 1024);
        lg_resp_init(&cs[i].in);
        if (lg_connect(run, ep, &cs[i]) != 0) cs[i].done = true;
    }
    for (int i = 0; i < t->n_conns; i++) lg_kick(t, ep, &cs[i]);
    double stop_at = 0;
    uint64_t wake = 0;
    t->scan_at = 0; /* the next look at sleeping and idle connections */
    struct epoll_event evs[64];
    for (;;) {
        uint64_t now_us = lg_now_us();
        if (now_us >= t->scan_at) {
            int live = 0;
            wake = 0;
            for (int i = 0; i < t->n_conns; i++) {
                lg_conn_t *c = &cs[i];
                if (!c->done && !c->busy && (!c->it.wake_us || c->it.wake_us <= now_us))
                    lg_kick(t, ep, c); /* due, or the phase may have changed its work */
                if (c->done) continue;
                live++;
                if (!c->busy && c->it.wake_us && (!wake || c->it.wake_us < wake))
                    wake = c->it.wake_us;
            }
            if (!live) break;
            if (now_us + 10000 < t->scan_at || t->scan_at <= now_us) t->scan_at = now_us + 10000;
            if (wake && wake < t->scan_at) t->scan_at = wake;
        }
        if (atomic_load(&run->phase) == 2) {
            double now = lg_now();
            if (stop_at == 0) stop_at = now;
            if (now - stop_at > run->o->grace) {
                lg_run_error(run, "work still running %.0f s after the end", run->o->grace);
                break;
            }
        }
        int timeout = t->scan_at > now_us ? (int)((t->scan_at - now_us + 999) / 1000) : 0;
        int n = epoll_wait(ep, evs, 64, timeout);
        for (int i = 0; i < n; i++) {
            lg_conn_t *c = evs[i].data.ptr;
            if (c->fd < 0) continue;
            if ((evs[i].events & EPOLLOUT) && c->busy && lg_flush(run, ep, c) != 0) {
                lg_close(c);
                c->done = true;
                continue;
            }
            if (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
                int r = lg_read(t, ep, c);
                if (r < 0) {
                    lg_close(c);
                    c->done = true;
                }
            }
        }
    }
    for (int i = 0; i < t->n_conns; i++) {
        lg_close(&cs[i]);
        buf_free(&cs[i].out);
        lg_resp_free(&cs[i].in);
    }
    free(cs);
    close(ep);
    return NULL;
}
