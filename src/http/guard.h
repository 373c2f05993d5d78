/* guard.h - connection deadlines for the HTTP front end (internal to src/http): the whole
 * header block must arrive within a deadline and the body within another, however slowly
 * the bytes trickle in (MHD's own timeout is an idle timeout, which every byte resets, so
 * it cannot stop a slowloris). A sweeper thread shuts down the sockets that overstay. */
#ifndef CATALOGD_HTTP_GUARD_H
#define CATALOGD_HTTP_GUARD_H

#include "core/err.h"

#include <microhttpd.h>
#include <stdbool.h>

typedef struct http_guard http_guard_t;

typedef enum http_phase {
    HTTP_PHASE_HEAD,      /* reading the request line and headers */
    HTTP_PHASE_BODY,      /* headers complete, reading the body */
    HTTP_PHASE_BUSY,      /* the handler runs or the response is being sent: no deadline */
    HTTP_PHASE_KEEPALIVE, /* waiting for the next request on a kept-alive connection */
} http_phase_t;

/* Starts the sweeper. header_s / body_s are the deadlines of the two reading phases;
 * idle_s is MHD's idle timeout, which a kept-alive connection may spend waiting before
 * its next request's header deadline starts. ERR_INTERNAL when the thread cannot start. */
err_t http_guard_start(int header_s, int body_s, int idle_s, http_guard_t **out, errbuf_t *eb);
/* Stops the sweeper and frees the guard; call after MHD_stop_daemon (every connection has
 * been reported closed). NULL is fine. */
void http_guard_stop(http_guard_t *g);
/* MHD_OPTION_NOTIFY_CONNECTION callback (cls: the guard): tracks each connection from
 * accept (header deadline running) until MHD reports it closed (before its socket is). */
void http_guard_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                       enum MHD_ConnectionNotificationCode code);
/* The client's address of c as text into out (cap >= INET6_ADDRSTRLEN + 1), or "unknown"
 * (server.c). */
void http_client_ip(struct MHD_Connection *c, char *out, size_t cap);
/* Admission: at most max_conns connections counted against the limits, at most
 * max_per_client of them from one client address (0, 0: no limits). A connection past
 * them is not refused (a closed connection tells an SDK nothing): it is marked over, its
 * request is answered ThrottlingException (http_guard_over) and the connection closed,
 * and if the whole request does not arrive within 2 s it is cut (not while bytes it sent
 * wait unread: then the server is behind, not the client). Past
 * max_conns, a kept-alive connection idle for a second or more is closed to make room
 * first. Call once, before serving. */
void http_guard_limits(http_guard_t *g, int max_conns, int max_per_client);
/* True when c was accepted past the limits (its request is to be answered
 * ThrottlingException, and c closed). Read on c's own thread: set before its first
 * request callback and never changed. */
bool http_guard_over(struct MHD_Connection *c);
/* Moves connection c into phase p, starting that phase's deadline (if it has one). */
void http_guard_phase(http_guard_t *g, struct MHD_Connection *c, http_phase_t p);

#endif
