/* http.h - the HTTP/1.1 front end on libmicrohttpd: keep-alive, limits on header and body
 * size, timeouts, a request id on every exchange and one structured log line per request.
 * It knows nothing of AWS: a complete request is handed to one handler callback, which
 * fills the response (including the AWS error for a request that broke a limit). */
#ifndef CATALOGD_HTTP_H
#define CATALOGD_HTTP_H

#include "core/buf.h"
#include "core/err.h"
#include "core/ids.h"
#include "core/span.h"

#include <stdint.h>

typedef struct http_header {
    span_t name, value; /* as received */
} http_header_t;

typedef struct http_request {
    span_t method;
    span_t raw_uri; /* request-target as received (path and query, not decoded) */
    span_t path, query;
    const http_header_t *headers;
    size_t n_headers;
    span_t body;
    const char *client_ip;
    const char *request_id; /* uuid, also sent as x-amzn-RequestId */
    err_t limit;            /* ERR_BODY_TOO_LARGE / ERR_HEADERS_TOO_LARGE, else ERR_OK */
    size_t max_body, max_header;
    void *resumed;              /* a deferred request's second call: the handler's state */
    struct http_state *server_; /* the server's own (http_defer) */
} http_request_t;

#define HTTP_MAX_EXTRA_HEADERS 8

typedef struct http_response {
    int status;
    const char *content_type;
    buf_t body;
    const char *extra[HTTP_MAX_EXTRA_HEADERS][2];
    int n_extra;
    /* for the request log line */
    char principal[320];
    const char *service;
    const char *operation;
    const char *error_code;
} http_response_t;

/* The value of header name (case-insensitive; the first one), or a span with p == NULL. */
span_t http_header(const http_request_t *r, const char *name);

typedef void (*http_handler_fn)(void *ud, const http_request_t *req, http_response_t *resp);

/* ---- deferred answers: a handler that must wait for slow work (an outbound fetch) never
 * waits on its HTTP thread. Inside the handler it calls http_defer, hands the token to the
 * work, and returns without filling resp; the connection leaves its thread (libmicrohttpd
 * suspend) and the thread serves others. When the work calls http_resume(token), from any
 * thread, the handler is called again for the same request, on an HTTP thread, with
 * req->resumed == state, and answers as usual (or defers again). If the connection ends
 * without that call (the server stopping), drop(state) runs instead. Every deferred
 * request must be resumed before http_stop. */
typedef struct http_state http_token_t;

/* From inside the handler: the answer is deferred; returns the token for http_resume. */
http_token_t *http_defer(const http_request_t *req, void *state, void (*drop)(void *state));
/* From inside the same handler call, when the work could not be handed off after all: the
 * handler answers now (drop is not called; the handler keeps its state). */
void http_defer_cancel(http_token_t *t);
/* The work is done: the handler is to be called again. Any thread, once per http_defer. */
void http_resume(http_token_t *t);

typedef struct http_opts {
    const char *host; /* numeric IPv4/IPv6 address to bind */
    int port;         /* 0 = any free port (see http_port) */
    int threads;      /* epoll thread pool size */
    size_t max_body;
    size_t max_header;
    int timeout_s; /* idle connection timeout */
    /* connection limits (0: the defaults in server.c) */
    int max_conns;            /* open connections in all */
    int max_conns_per_client; /* open connections from one client address */
    int header_timeout_s;     /* the request line and headers must arrive within this */
    int body_timeout_s;       /* the body must arrive within this once the headers have */
    int listen_fd;            /* a socket from http_listen (taken over), or -1: bind host:port */
    http_handler_fn handler;
    void *ud;
    ids_t *ids;
} http_opts_t;

typedef struct http_server http_server_t;

/* Binds host:port exclusively (no address or port sharing with another process) and
 * listens; *fd is the listening socket, for http_opts.listen_fd. ERR_INTERNAL with one line
 * naming the address and the reason (in use, not a numeric address, permission). */
err_t http_listen(const char *host, int port, int *fd, errbuf_t *eb);
/* Starts serving on o->listen_fd (closed by http_stop, or here on failure), or binds
 * o->host:o->port itself when it is -1. ERR_INTERNAL with a message. */
err_t http_start(const http_opts_t *o, http_server_t **out, errbuf_t *eb);
/* The bound port. */
int http_port(const http_server_t *s);
/* Draining before a stop: from now on every answer carries "Connection: close", so
 * clients and balancers keep no idle connection to this server. Still accepts and serves.
 * NULL is fine. */
void http_drain(http_server_t *s);
/* Stops accepting, lets the requests being answered (their handler called) finish and send
 * their answers (deferred ones included; for up to 15 s in all), then closes every other
 * connection (idle, or a request still arriving). NULL is fine. */
void http_stop(http_server_t *s);

#endif
