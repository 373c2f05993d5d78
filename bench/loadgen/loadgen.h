/* loadgen.h - the C load generator of bench/ (issue 16): keep-alive HTTP/1.1 connections
 * on epoll, one closed loop per connection, requests signed with catalogd's own SigV4
 * (src/auth/sigv4.c). See bench/README.md, "The C load generator (bench/loadgen)".
 *
 * Files: main.c (options, runs, report), conn.c (the epoll loop and the connections),
 * http.c (the bounded response parser), scen.c (what each scenario sends and how it
 * reads the answers), sign.c (request bytes and their signature), stats.c (latency
 * histogram, CPU readings). */
#ifndef CATALOGD_LOADGEN_H
#define CATALOGD_LOADGEN_H

#include "core/buf.h"
#include "core/span.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- stats.c: latency histogram (log buckets, ~0.2% resolution), CPU readings */
#define LG_HIST_SUB     512
#define LG_HIST_BUCKETS (1024 + 40 * LG_HIST_SUB)

typedef struct lg_hist {
    uint64_t n, max_us, sum_us;
    uint32_t c[LG_HIST_BUCKETS];
} lg_hist_t;

void lg_hist_add(lg_hist_t *h, uint64_t us);
void lg_hist_merge(lg_hist_t *into, const lg_hist_t *from);
uint64_t lg_hist_pct(const lg_hist_t *h, double p); /* microseconds; 0 when empty */

double lg_now(void);                              /* CLOCK_MONOTONIC, seconds */
uint64_t lg_now_us(void);                         /* CLOCK_MONOTONIC, microseconds */
double lg_proc_cpu_s(const int *pids, int npids); /* utime+stime of the processes, seconds */
double lg_self_cpu_s(void);                       /* getrusage(RUSAGE_SELF) user+sys */

/* ---- http.c: one response at a time on a keep-alive connection */
#define LG_RESP_MAX (4u << 20) /* a response past this is an error, not a reallocation */

typedef struct lg_resp {
    char *p;
    size_t len, cap;
    size_t head_len; /* bytes up to and including the blank line; 0 until seen */
    int status;      /* HTTP status */
    long long clen;  /* Content-Length, or -1 */
    bool chunked;    /* Transfer-Encoding: chunked */
    bool close;      /* Connection: close */
    size_t body_off; /* the body: p[body_off..body_off+body_len) once complete */
    size_t body_len; /* (chunked bodies are decoded in place) */
    size_t total;    /* bytes of this response on the wire once complete */
} lg_resp_t;

void lg_resp_init(lg_resp_t *r);
void lg_resp_free(lg_resp_t *r);
/* Room for at least want more bytes at p + len; false past LG_RESP_MAX. */
bool lg_resp_room(lg_resp_t *r, size_t want);
/* After bytes were appended: 1 when a whole response is in (status, body set), 0 when
 * more is needed, -1 when the bytes are not an HTTP/1.1 response this parser accepts
 * (malformed status line or headers, bad chunk sizes, a body past LG_RESP_MAX). */
int lg_resp_parse(lg_resp_t *r);
/* Drops the response just parsed, keeping any bytes that followed it. */
void lg_resp_consume(lg_resp_t *r);
/* The string value of the first "key":"value" in the body (JSON, no escapes in value);
 * false when absent or longer than cap - 1. */
bool lg_json_str(span_t body, const char *key, char *out, size_t cap);

/* ---- sign.c: SigV4-signed request bytes */
typedef struct lg_signer {
    char access_key[128], secret[128], region[32], service[32];
    char key_date[9]; /* the day the memoised signing key is for */
    unsigned char key[32];
} lg_signer_t;

void lg_signer_init(lg_signer_t *s, const char *key, const char *secret, const char *region,
                    const char *service);
/* Appends the whole request (POST / HTTP/1.1, Host, X-Amz-Date, Content-Type,
 * X-Amz-Target when target is non-NULL, Authorization, Content-Length, body) to out,
 * signed as of amz_date ("20261207T180000Z"); false when out's cap would be passed or the
 * canonical request could not be built. signer NULL: the same request unsigned. */
bool lg_sign_request(lg_signer_t *s, const char *host, const char *amz_date, const char *ctype,
                     const char *target, span_t body, buf_t *out);
void lg_amz_date(char out[17]); /* now, UTC, basic format */

/* ---- scen.c / conn.c / main.c: scenarios, connections, runs */
typedef enum lg_scen {
    LG_GET,        /* GET / unsigned: a fixed-body server's floor */
    LG_GCI,        /* sts GetCallerIdentity as root (query protocol) */
    LG_LP,         /* servicecatalog ListPortfolios as root (JSON 1.1) */
    LG_LP_USER,    /* ListPortfolios as the end user (group + three managed policies) */
    LG_EXECUTE,    /* ExecuteProvisionedProductServiceAction, each product once */
    LG_FLOW,       /* execute, then DescribeRecord until the record ends; again */
    LG_PROVISION,  /* ProvisionProduct, a new name each */
    LG_AUTOMATION, /* ssm StartAutomationExecution of the config's runbook */
} lg_scen_t;

typedef struct lg_config {
    char endpoint[128];
    char region[32];
    char root_key[128], root_secret[128];
    char user_key[128], user_secret[128];
    char product[64], artifact[64], action[64], document[128];
    char **pps; /* provisioned product ids */
    int n_pps;
} lg_config_t;

/* The options of one run (main.c fills them). */
typedef struct lg_opts {
    lg_scen_t scen;
    const lg_config_t *cfg;
    char host[128]; /* host:port sent to */
    int conns, threads;
    double duration, warmup; /* timed scenarios */
    long count;              /* count mode: this many main requests in all (0: timed) */
    bool wait;               /* count mode: then poll until every started item ended */
    int poll_ms;             /* pause before polling a record/execution again */
    double grace;            /* seconds allowed after the end for items still running */
    const char *ids_out;     /* write every started record/execution id there */
    char nonce[32];          /* makes tokens and names unique to this run */
} lg_opts_t;

#define LG_ID_MAX 96
#define LG_ERRS   3

/* What one thread gathered; merged by main.c. */
typedef struct lg_tstats {
    lg_hist_t lat;  /* main requests (measured phase) */
    lg_hist_t flow; /* flows: first send to terminal status seen */
    uint64_t reqs, polls, flows, errors;
    double first_send, last_main, last_end; /* lg_now() seconds */
} lg_tstats_t;

/* State shared by the threads of one run. */
typedef struct lg_run {
    const lg_opts_t *o;
    atomic_int phase;  /* 0 warm-up, 1 measured, 2 stop sending */
    atomic_long items; /* count mode: main requests handed out so far */
    atomic_long errors;
    pthread_mutex_t mu; /* guards errs and ids_fp */
    char errs[LG_ERRS][600];
    int n_errs;
    FILE *ids_fp;
} lg_run_t;

void lg_run_error(lg_run_t *run, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* One thread's connections and loop (conn.c): returns when its work is done. */
typedef struct lg_thread {
    lg_run_t *run;
    int index, first_conn, n_conns; /* its connections: first_conn .. + n_conns - 1 */
    lg_tstats_t st;
    lg_signer_t sg;
    char (*pend)[LG_ID_MAX]; /* ids started by this thread, to be followed to their end */
    size_t n_pend, cap_pend, head;
    int senders;      /* its connections still sending main requests */
    buf_t cached;     /* read scenarios: the request signed this second */
    long amz_sec;     /* the second amz_date and cached are for */
    uint64_t scan_at; /* conn.c: next look at idle and sleeping connections */
    char amz_date[17];
} lg_thread_t;

void *lg_thread_main(void *arg);

/* What a connection is doing, for the scenarios (scen.c). */
typedef struct lg_item {
    int kind;           /* LG_REQ_* of the request in flight */
    char id[LG_ID_MAX]; /* record or execution id being followed */
    long serial;        /* count-mode item number / per-connection sequence */
    int pp_next;        /* flow: the next of its products */
    double flow_t0;     /* flow: when its execute was sent */
    uint64_t wake_us;   /* sleeping until then (poll pause) */
    int local;          /* the connection's index in its thread */
    bool sent_all;      /* no main request left for it */
} lg_item_t;

enum { LG_REQ_MAIN = 1, LG_REQ_POLL = 2 };

/* Builds the request the connection sends next into out (reset first); returns 1 when
 * there is one, 2 when there will be one at it->wake_us, 0 when this connection has
 * nothing more to send. gconn is the connection's index over the whole run. */
int lg_scen_next(lg_thread_t *t, int gconn, lg_item_t *it, buf_t *out);
/* Reads a 2xx answer to the request in flight; returns 0, or -1 after lg_run_error when
 * the answer says the work failed (a record FAILED) or lacks what the scenario needs. */
int lg_scen_done(lg_thread_t *t, lg_item_t *it, span_t body, double now);
const char *lg_scen_name(lg_scen_t s);
bool lg_scen_parse(const char *name, lg_scen_t *out);
bool lg_scen_async(lg_scen_t s); /* starts work that a poll follows */

#endif
