/* server.c - libmicrohttpd glue: per-request state, body accumulation under a cap,
 * header collection in arrival order, response queueing and the request log line. */
#include "http/http.h"

#include "http/guard.h"

#include "core/arena.h"
#include "core/clk.h"
#include "core/log.h"
#include "core/mem.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

/* MHD's per-connection memory pool is max_header plus this: room for the request line, MHD's
 * bookkeeping of each header and the response head, so that a header block up to a few KiB
 * past max_header is still read whole and answered with the AWS error (larger ones get
 * MHD's own 431). MHD zeroes the whole pool after every request (and half of it once more
 * when the response starts), so every KiB here costs on each keep-alive request. */
#define HTTP_POOL_SLACK (8 * 1024)

/* Connection limits when http_opts leaves them 0 (docs/architecture.md, HTTP) */
#define HTTP_DEFAULT_MAX_CONNS            1024
#define HTTP_DEFAULT_MAX_CONNS_PER_CLIENT 256
#define HTTP_DEFAULT_HEADER_TIMEOUT_S     10
#define HTTP_DEFAULT_BODY_TIMEOUT_S       60

struct http_server {
    http_opts_t o;
    struct MHD_Daemon *d;
    http_guard_t *guard; /* header and body deadlines */
    int port;
    atomic_int deferred; /* exchanges that were deferred and have not completed yet */
    atomic_int inflight; /* requests from their handler call until their answer is sent */
    atomic_bool closing; /* http_drain: every answer closes its connection */
};

/* Everything one request owns, from the request line to the completion callback. */
typedef struct http_state {
    http_server_t *srv;
    arena_t arena;
    char *raw_uri;
    char request_id[37];
    int64_t start_us;
    bool started;
    err_t limit;
    buf_t body;
    /* a deferred answer (http_defer / http_resume), under mu */
    pthread_mutex_t mu;
    struct MHD_Connection *conn;
    enum { HTTP_LIVE, HTTP_DEFERRED, HTTP_SUSPENDED, HTTP_RESUMED } phase;
    void *deferred;
    void (*drop)(void *state);
    bool counted;   /* in srv->deferred until the exchange completes */
    bool answering; /* in srv->inflight: the handler was called, the exchange not complete */
} http_state_t;

span_t http_header(const http_request_t *r, const char *name)
{
    span_t want = span_of(name);
    for (size_t i = 0; i < r->n_headers; i++)
        if (span_eq_nocase(r->headers[i].name, want)) return r->headers[i].value;
    return (span_t){NULL, 0};
}

static void *http_uri_cb(void *cls, const char *uri, struct MHD_Connection *c)
{
    http_server_t *srv = cls;
    http_state_t *st = xcalloc(1, sizeof(*st));
    st->srv = srv;
    arena_init(&st->arena);
    st->raw_uri = arena_strdup(&st->arena, uri ? uri : "/");
    st->start_us = clk_mono_us();
    ids_uuid(srv->o.ids, st->request_id);
    buf_init(&st->body, srv->o.max_body);
    pthread_mutex_init(&st->mu, NULL);
    st->conn = c;
    return st;
}

static void http_completed_cb(void *cls, struct MHD_Connection *c, void **con_cls,
                              enum MHD_RequestTerminationCode toe)
{
    http_state_t *st = *con_cls;
    if (!st) return;
    http_guard_phase(st->srv->guard, c, HTTP_PHASE_KEEPALIVE);
    if (st->deferred && st->drop) st->drop(st->deferred); /* never resumed into the handler */
    if (st->counted) atomic_fetch_sub(&st->srv->deferred, 1);
    if (st->answering) atomic_fetch_sub(&st->srv->inflight, 1);
    pthread_mutex_destroy(&st->mu);
    buf_free(&st->body);
    arena_free(&st->arena);
    free(st);
    *con_cls = NULL;
}

typedef struct hdr_collect {
    arena_t *arena;
    http_header_t *v;
    size_t n, cap, bytes;
} hdr_collect_t;

static enum MHD_Result http_hdr_cb(void *cls, enum MHD_ValueKind kind, const char *key,
                                   size_t key_size, const char *value, size_t value_size)
{
    hdr_collect_t *h = cls;
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 32;
        http_header_t *nv = arena_alloc(h->arena, sizeof(*nv) * cap);
        if (h->n) memcpy(nv, h->v, sizeof(*nv) * h->n);
        h->v = nv;
        h->cap = cap;
    }
    h->v[h->n].name = span_make(key, key_size);
    h->v[h->n].value = span_make(value ? value : "", value ? value_size : 0);
    h->n++;
    h->bytes += key_size + value_size + 4;
    return MHD_YES;
}

/* Writes the dotted quad of a (network order) into out, which has room for 16 bytes
 * (inet_ntop formats through the printf machinery, once per request). */
static void http_ipv4(const struct in_addr *a, char *out)
{
    const unsigned char *b = (const unsigned char *)&a->s_addr;
    for (int i = 0; i < 4; i++) {
        unsigned v = b[i];
        if (v >= 100) *out++ = (char)('0' + v / 100);
        if (v >= 10) *out++ = (char)('0' + v / 10 % 10);
        *out++ = (char)('0' + v % 10);
        *out++ = i < 3 ? '.' : '\0';
    }
}

void http_client_ip(struct MHD_Connection *c, char *out, size_t cap)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;
    if (sa && sa->sa_family == AF_INET && cap >= INET_ADDRSTRLEN) {
        http_ipv4(&((const struct sockaddr_in *)(const void *)sa)->sin_addr, out);
        return;
    }
    if (sa && sa->sa_family == AF_INET6 &&
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out,
                  (socklen_t)cap))
        return;
    snprintf(out, cap, "unknown");
}

/* ---- deferred answers (http.h): the handler defers, the connection is suspended once the
 * handler has returned, and a resume (which may come before that return) has the handler
 * called again. The phase is kept under st->mu so that a resume racing the suspend is never
 * lost: a resume during the handler call is taken by the loop in http_respond. */

http_token_t *http_defer(const http_request_t *req, void *state, void (*drop)(void *state))
{
    http_state_t *st = req->server_;
    pthread_mutex_lock(&st->mu);
    st->phase = HTTP_DEFERRED;
    st->deferred = state;
    st->drop = drop;
    if (!st->counted) atomic_fetch_add(&st->srv->deferred, 1);
    st->counted = true;
    pthread_mutex_unlock(&st->mu);
    return st;
}

void http_defer_cancel(http_token_t *st)
{
    pthread_mutex_lock(&st->mu);
    if (st->counted) atomic_fetch_sub(&st->srv->deferred, 1);
    st->counted = false;
    st->phase = HTTP_LIVE;
    st->deferred = NULL;
    st->drop = NULL;
    pthread_mutex_unlock(&st->mu);
}

void http_resume(http_token_t *st)
{
    pthread_mutex_lock(&st->mu);
    if (st->phase == HTTP_SUSPENDED) MHD_resume_connection(st->conn);
    if (st->phase == HTTP_SUSPENDED || st->phase == HTTP_DEFERRED) st->phase = HTTP_RESUMED;
    pthread_mutex_unlock(&st->mu);
}

/* After a handler call: true when the request waits (the connection is now suspended);
 * false when the handler answered, or is to be called again at once (*again). */
static bool http_after_handler(http_state_t *st, struct MHD_Connection *c, bool *again)
{
    pthread_mutex_lock(&st->mu);
    bool wait = st->phase == HTTP_DEFERRED;
    if (wait) {
        MHD_suspend_connection(c);
        st->phase = HTTP_SUSPENDED;
    }
    *again = st->phase == HTTP_RESUMED;
    pthread_mutex_unlock(&st->mu);
    return wait;
}

/* Before a handler call: the state of a resumed request (handed to the handler, which now
 * owns it), else NULL. */
static void *http_take_resumed(http_state_t *st)
{
    pthread_mutex_lock(&st->mu);
    void *state = NULL;
    if (st->phase == HTTP_RESUMED) {
        state = st->deferred;
        st->phase = HTTP_LIVE;
        st->deferred = NULL;
        st->drop = NULL;
    }
    pthread_mutex_unlock(&st->mu);
    return state;
}

/* Builds the request view, calls the handler, queues its response, logs the line. */
static enum MHD_Result http_respond(http_state_t *st, struct MHD_Connection *c, const char *method)
{
    http_server_t *srv = st->srv;
    http_guard_phase(srv->guard, c, HTTP_PHASE_BUSY);
    if (!st->answering) atomic_fetch_add(&srv->inflight, 1);
    st->answering = true;
    hdr_collect_t h = {.arena = &st->arena};
    MHD_get_connection_values_n(c, MHD_HEADER_KIND, http_hdr_cb, &h);
    char ip[INET6_ADDRSTRLEN + 1];
    http_client_ip(c, ip, sizeof(ip));
    http_request_t req = {
        .method = span_of(method),
        .raw_uri = span_of(st->raw_uri),
        .headers = h.v,
        .n_headers = h.n,
        .body = buf_span(&st->body),
        .client_ip = ip,
        .request_id = st->request_id,
        .limit = st->limit,
        .max_body = srv->o.max_body,
        .max_header = srv->o.max_header,
    };
    span_t q = span_split(req.raw_uri, '?', &req.path);
    req.query = q.p ? q : span_make("", 0);
    if (!req.limit && h.bytes > srv->o.max_header) req.limit = ERR_HEADERS_TOO_LARGE;

    req.server_ = st;
    /* accepted past the connection limits (guard.h): throttled, and the connection closed */
    bool over = http_guard_over(c);
    if (over && !req.limit) req.limit = ERR_THROTTLING;

    http_response_t resp;
    bool again;
    do {
        resp = (http_response_t){.status = 500, .content_type = "text/plain"};
        buf_init(&resp.body, 64 * 1024 * 1024);
        req.resumed = http_take_resumed(st);
        srv->o.handler(srv->o.ud, &req, &resp);
        if (http_after_handler(st, c, &again)) {
            buf_free(&resp.body);
            return MHD_YES; /* deferred: no response yet; a resume calls us again */
        }
        if (again) buf_free(&resp.body);
    } while (again);

    size_t len;
    char *body = buf_take(&resp.body, &len);
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header(r, "Content-Type", resp.content_type);
    MHD_add_response_header(r, "x-amzn-RequestId", st->request_id);
    for (int i = 0; i < resp.n_extra; i++)
        MHD_add_response_header(r, resp.extra[i][0], resp.extra[i][1]);
    /* draining: the client (a balancer's pool) keeps no idle connection to a node that is
     * about to close it, so no request of its is ever sent into a closing socket */
    if (over || atomic_load(&srv->closing)) MHD_add_response_header(r, "Connection", "close");
    enum MHD_Result ok = MHD_queue_response(c, (unsigned)resp.status, r);
    MHD_destroy_response(r);

    if (log_enabled(LOG_INFO)) {
        log_line_t l;
        log_line_start(&l, LOG_INFO, "request");
        log_line_str(&l, "request_id", st->request_id);
        log_line_str(&l, "principal", resp.principal);
        log_line_str(&l, "service", resp.service);
        log_line_str(&l, "operation", resp.operation);
        log_line_int(&l, "status", resp.status);
        log_line_str(&l, "error", resp.error_code);
        log_line_milli(&l, "latency_ms", clk_mono_us() - st->start_us);
        log_line_str(&l, "client", ip);
        log_line_str(&l, "method", method);
        log_line_end(&l);
    }
    return ok;
}

typedef struct framing {
    const char *cl; /* the first Content-Length */
    int n_te;       /* Transfer-Encoding headers */
    bool bad;
} framing_t;

static enum MHD_Result http_framing_cb(void *cls, enum MHD_ValueKind kind, const char *key,
                                       const char *value)
{
    framing_t *f = cls;
    if (!value) return MHD_YES;
    if (strcasecmp(key, "Content-Length") == 0) {
        if (f->cl && strcmp(value, f->cl) != 0) f->bad = true;
        if (!f->cl) f->cl = value;
    } else if (strcasecmp(key, "Transfer-Encoding") == 0) {
        span_t v = span_trim(span_of(value));
        if (++f->n_te > 1 || !span_eq_nocase(v, SPAN_LIT("chunked"))) f->bad = true;
    }
    return MHD_YES;
}

/* True when the request's body length is ambiguous, guards against request smuggling
 * (RFC 9112 §6.1, §6.3): Content-Length headers that differ, a Content-Length beside a
 * Transfer-Encoding (which a sender must never send), or a Transfer-Encoding other than
 * one plain "chunked" (chunked not last, twice, or a coding catalogd does not decode). */
static bool http_framing_bad(struct MHD_Connection *c)
{
    framing_t f = {0};
    MHD_get_connection_values(c, MHD_HEADER_KIND, http_framing_cb, &f);
    return f.bad || (f.cl && f.n_te);
}

static enum MHD_Result http_access_cb(void *cls, struct MHD_Connection *c, const char *url,
                                      const char *method, const char *version,
                                      const char *upload_data, size_t *upload_data_size,
                                      void **con_cls)
{
    http_state_t *st = *con_cls;
    if (!st) return MHD_NO; /* cannot happen: the URI callback always sets it */
    if (!st->started) {
        st->started = true;
        http_guard_phase(st->srv->guard, c, HTTP_PHASE_BODY);
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
        if (http_framing_bad(c)) {
            st->limit = ERR_BAD_HTTP;
            return http_respond(st, c, method);
        }
        if (cl) {
            char *end;
            unsigned long long n = strtoull(cl, &end, 10);
            if (*end || n > st->srv->o.max_body) {
                /* answer now; MHD closes the connection rather than read the body */
                st->limit = ERR_BODY_TOO_LARGE;
                return http_respond(st, c, method);
            }
        }
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (!st->limit && !buf_add(&st->body, upload_data, *upload_data_size))
            st->limit = ERR_BODY_TOO_LARGE; /* chunked body past the cap: drain, then answer */
        *upload_data_size = 0;
        return MHD_YES;
    }
    return http_respond(st, c, method);
}

static void http_mhd_log(void *cls, const char *fm, va_list ap)
{
    char msg[512];
    vsnprintf(msg, sizeof(msg), fm, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r')) msg[--n] = '\0';
    char em[600];
    log_debug("libmicrohttpd", "\"detail\":\"%s\"", log_escape(em, sizeof(em), msg));
}

/* ---- listening socket and connection limits ------------------------------------------ */

err_t http_listen(const char *host, int port, int *fd, errbuf_t *eb)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    socklen_t len;
    if (inet_pton(AF_INET, host, &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        a->sin_port = htons((uint16_t)port);
        len = sizeof(*a);
    } else if (inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)port);
        len = sizeof(*a);
    } else {
        return err_fail(eb, ERR_INTERNAL, "listen address %s is not a numeric IP address", host);
    }
    int s = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s < 0)
        return err_fail(eb, ERR_INTERNAL, "cannot listen on %s:%d: %s", host, port,
                        strerror(errno));
    /* SO_REUSEADDR only lets a restart bind past its predecessor's TIME_WAIT connections;
     * no SO_REUSEPORT, so a second process can never share the port */
    int one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (ss.ss_family == AF_INET6) setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    if (bind(s, (struct sockaddr *)&ss, len) != 0 || listen(s, SOMAXCONN) != 0) {
        int e = errno;
        close(s);
        return err_fail(eb, ERR_INTERNAL, "cannot listen on %s:%d: %s", host, port,
                        e == EADDRINUSE ? "the port is in use by another process" : strerror(e));
    }
    *fd = s;
    return ERR_OK;
}

/* The port socket fd is bound to, or fallback. */
static int http_bound_port(int fd, int fallback)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0) return fallback;
    if (ss.ss_family == AF_INET) return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    if (ss.ss_family == AF_INET6) return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return fallback;
}

static unsigned http_or(int v, int dflt)
{
    return (unsigned)(v > 0 ? v : dflt);
}

err_t http_start(const http_opts_t *o, http_server_t **out, errbuf_t *eb)
{
    int fd = o->listen_fd;
    err_t rc = fd >= 0 ? ERR_OK : http_listen(o->host, o->port, &fd, eb);
    if (rc) return rc;
    http_server_t *s = xcalloc(1, sizeof(*s));
    s->o = *o;
    unsigned idle = http_or(o->timeout_s, 60);
    rc = http_guard_start(http_or(o->header_timeout_s, HTTP_DEFAULT_HEADER_TIMEOUT_S),
                          http_or(o->body_timeout_s, HTTP_DEFAULT_BODY_TIMEOUT_S), (int)idle,
                          &s->guard, eb);
    if (rc) {
        close(fd);
        free(s);
        return rc;
    }
    /* the limits are the guard's (it answers ThrottlingException past them); MHD's own
     * limit sits above them, with room for the connections being answered so: past it,
     * connections wait in the listen backlog rather than being closed unanswered */
    unsigned max_conns = http_or(o->max_conns, HTTP_DEFAULT_MAX_CONNS);
    http_guard_limits(s->guard, (int)max_conns,
                      (int)http_or(o->max_conns_per_client, HTTP_DEFAULT_MAX_CONNS_PER_CLIENT));
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG | MHD_USE_ITC;
    flags |= MHD_ALLOW_SUSPEND_RESUME; /* deferred answers (http_defer) */
    s->d = MHD_start_daemon(
        flags, 0, NULL, NULL, http_access_cb, s, MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
        MHD_OPTION_THREAD_POOL_SIZE, http_or(o->threads, 2), MHD_OPTION_CONNECTION_TIMEOUT, idle,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(o->max_header + HTTP_POOL_SLACK),
        MHD_OPTION_URI_LOG_CALLBACK, http_uri_cb, s, MHD_OPTION_NOTIFY_COMPLETED, http_completed_cb,
        s, MHD_OPTION_EXTERNAL_LOGGER, http_mhd_log, s,
        /* connection limits: see guard.h and docs/architecture.md (HTTP) */
        MHD_OPTION_CONNECTION_LIMIT, max_conns + http_or((int)max_conns / 2, 16),
        MHD_OPTION_NOTIFY_CONNECTION, http_guard_notify, s->guard, MHD_OPTION_END);
    if (!s->d) {
        http_guard_stop(s->guard); /* fd: MHD may have closed it; the process is ending */
        free(s);
        return err_fail(eb, ERR_INTERNAL, "cannot serve on %s:%d", o->host, o->port);
    }
    s->port = http_bound_port(fd, o->port);
    *out = s;
    return ERR_OK;
}

int http_port(const http_server_t *s)
{
    return s->port;
}

void http_drain(http_server_t *s)
{
    if (s) atomic_store(&s->closing, true);
}

void http_stop(http_server_t *s)
{
    if (!s) return;
    atomic_store(&s->closing, true);
    MHD_socket fd = MHD_quiesce_daemon(s->d); /* no new connections */
    /* and none left waiting in the backlog: connections there are reset and new ones
     * refused now, so a client or balancer retries them elsewhere at once instead of
     * waiting for the close below (the descriptor stays open until MHD is done with it) */
    if (fd != MHD_INVALID_SOCKET) shutdown(fd, SHUT_RD);
    /* requests being answered (deferred ones all resumed by now: see http.h) get to send
     * their answers; a client that never reads its answer is not waited for past 15 s.
     * Requests still arriving (slow headers or body) are not waited for: they are cut. */
    for (int i = 0; i < 1500 && atomic_load(&s->inflight) > 0; i++) usleep(10 * 1000);
    MHD_stop_daemon(s->d); /* joins the pool: running handlers finish */
    if (fd != MHD_INVALID_SOCKET) close(fd);
    http_guard_stop(s->guard);
    free(s);
}
