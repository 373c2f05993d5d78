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
/* Stops accepting, lets in-flight requests finish, closes connections. NULL is fine. */
void http_stop(http_server_t *s);

#endif
