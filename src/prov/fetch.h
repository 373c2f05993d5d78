/* fetch.h - the one outbound client: every document catalogd reads from a URL (CloudFormation
 * TemplateURL, Service Catalog LoadTemplateFromURL, anything later) goes through prov_fetch.
 * http(s) through libcurl: the name is resolved, and every address curl is about to connect
 * to (each resolved address, each redirect hop) is checked at socket open against the
 * refused ranges (loopback, link-local and the metadata address, private, CGNAT, multicast,
 * unspecified, and the IPv4-mapped / NAT64 / 6to4 forms of them) unless the operator's
 * allow-list names it; no proxy from the environment; at most 3 redirects, http(s) only;
 * bounded in size and time. file: URLs only inside the operator's template directory. */
#ifndef CATALOGD_PROV_FETCH_H
#define CATALOGD_PROV_FETCH_H

#include "core/buf.h"
#include "core/err.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <sys/socket.h>

#define PROV_FETCH_MAX_ALLOW 32

/* An address range; IPv4 is held as its IPv4-mapped IPv6 form (::ffff:a.b.c.d). */
typedef struct prov_net {
    unsigned char addr[16];
    int bits; /* prefix length over the 128 bits */
} prov_net_t;

typedef struct prov_fetch_policy {
    prov_net_t allow[PROV_FETCH_MAX_ALLOW]; /* --fetch-allow: refused ranges the operator permits */
    size_t n_allow;
    const char *file_root;     /* the directory file: URLs must resolve inside ("" refuses) */
    int connect_timeout_s;     /* per connection attempt (0: 5) */
    int timeout_s;             /* the whole fetch, redirects included (0: 10) */
    const atomic_bool *cancel; /* when it turns true, running fetches stop (NULL: never) */
} prov_fetch_policy_t;

/* How a fetch ended. Only the class reaches the caller of the API: the reason in eb is
 * the operator's (log it), except for PROV_FETCH_FILE. */
typedef enum prov_fetch_class {
    PROV_FETCH_OK = 0,
    PROV_FETCH_BAD_URL,     /* not a well-formed http, https or file URL */
    PROV_FETCH_UNREACHABLE, /* refused address, unknown name, no connection, timeout, a status
                               other than 200, a broken transfer: deliberately one class */
    PROV_FETCH_TOO_LARGE,   /* past out's cap */
    PROV_FETCH_FILE,        /* a file: URL refused or unreadable: eb is for the caller */
    PROV_FETCH_CANCELLED,   /* policy->cancel turned true (shutdown) */
    PROV_FETCH_UNTRUSTED,   /* https: the server's certificate chain is neither trusted by the
                               system's CAs nor pinned by the request (prov_fetch_req_t.pins) */
} prov_fetch_class_t;

/* Adds "CIDR[,CIDR...]" (IPv4 or IPv6, "/n" optional) to p's allow-list. ERR_VALIDATION
 * naming the bad entry, or past PROV_FETCH_MAX_ALLOW entries. */
err_t prov_fetch_allow_parse(prov_fetch_policy_t *p, const char *list, errbuf_t *eb);

/* NULL when p lets a connection reach sa (AF_INET / AF_INET6), else why not ("loopback",
 * "private", ...). Any other family is refused. */
const char *prov_fetch_refused(const prov_fetch_policy_t *p, const struct sockaddr *sa);

/* Appends the document at url to out (whose cap bounds it). Never waits on the network on
 * a thread marked by prov_fetch_forbid_this_thread (it fails there at once). */
prov_fetch_class_t prov_fetch(const prov_fetch_policy_t *p, const char *url, buf_t *out,
                              errbuf_t *eb);

/* One request with more than a GET: a form POST, an Accept header, certificate pins. */
typedef struct prov_fetch_req {
    const char *url;
    const char *form;   /* POST this application/x-www-form-urlencoded body (NULL: GET) */
    const char *accept; /* the Accept header (NULL: curl's) */
    /* https: a chain the system's CAs do not trust is still accepted when the SHA-1 of the
     * top certificate the server sent (the self-signed one, or the top intermediate: IAM's
     * OIDC provider thumbprint) is one of these 40-hex-digit strings (any case) */
    const char *const *pins;
    size_t n_pins;
    bool want_top_sha1; /* fill top_sha1 even without pins */
    char top_sha1[41];  /* out: that thumbprint, lower-case hex, when a certificate was seen */
} prov_fetch_req_t;

/* prov_fetch for r (r->top_sha1 filled in). PROV_FETCH_UNTRUSTED when the server's
 * certificate fails both the system's CAs and the pins. */
prov_fetch_class_t prov_fetch_req(const prov_fetch_policy_t *p, prov_fetch_req_t *r, buf_t *out,
                                  errbuf_t *eb);

/* Marks the calling thread as one that must never wait on the network (an HTTP thread). */
void prov_fetch_forbid_this_thread(void);

#endif
