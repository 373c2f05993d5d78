/* probe.c - the two unauthenticated probes: /_catalogd/health (liveness: the process
 * serves) and /_catalogd/ready (what a load balancer asks: 503 while the node drains for
 * a stop, or while its database does not answer a SELECT 1). docs/deploy.md shows the
 * balancer configurations that use them. */
#include "api/api.h"

#include "core/clk.h"
#include "core/log.h"
#include "http/http.h"

#include <stdio.h>
#include <string.h>

/* One database check serves the probes of this long (balancers probe every node about
 * once a second, each of several balancers doing so). */
#define PROBE_CACHE_MS 1000
/* A check that has not answered for this long makes the node not ready (the prober that
 * runs it waits for the store; every other prober is answered at once). */
#define PROBE_TIMEOUT_MS 2000

/* Whether the store answers a SELECT 1 in a read transaction of its own (on PostgreSQL a
 * broken pooled connection is dropped by the failure and reopened by the next check). */
static bool probe_database(app_t *app, errbuf_t *eb)
{
    store_tx_t *tx = NULL;
    store_stmt_t *st = NULL;
    bool row = false;
    err_t rc = store_begin(app->store, false, &tx, eb);
    if (!rc) rc = store_query(tx, eb, &st, "SELECT 1", "");
    if (!rc) rc = store_step(st, &row, eb);
    store_rollback(tx);
    return !rc && row;
}

/* The database's answer, from the cache when it is fresh; else this caller checks, unless
 * another is checking already (then the last answer, or false once that check has taken
 * longer than PROBE_TIMEOUT_MS). A change of answer is logged once. */
static bool probe_database_ok(app_t *app)
{
    struct app_probe *p = &app->probe;
    int64_t now = clk_mono_us() / 1000;
    pthread_mutex_lock(&p->mu);
    bool fresh = p->at_ms && now - p->at_ms < PROBE_CACHE_MS;
    bool ok = p->ok;
    if (!fresh && p->busy_ms) ok = ok && now - p->busy_ms < PROBE_TIMEOUT_MS;
    bool check = !fresh && !p->busy_ms;
    if (check) p->busy_ms = now;
    pthread_mutex_unlock(&p->mu);
    if (!check) return ok;

    errbuf_t eb = {{0}};
    bool now_ok = probe_database(app, &eb);
    pthread_mutex_lock(&p->mu);
    bool was = p->ok;
    p->ok = now_ok;
    p->at_ms = clk_mono_us() / 1000;
    p->busy_ms = 0;
    pthread_mutex_unlock(&p->mu);
    if (was && !now_ok) {
        char em[1100];
        log_warn("not ready: the database does not answer", "\"detail\":\"%s\"",
                 log_escape(em, sizeof(em), eb.msg));
    } else if (!was && now_ok) {
        log_info("ready: the database answers again", NULL);
    }
    return now_ok;
}

bool api_probe_http(app_t *app, const http_request_t *req, http_response_t *resp)
{
    bool health = span_eq_str(req->path, "/_catalogd/health");
    if (!health && !span_eq_str(req->path, "/_catalogd/ready")) return false;
    resp->service = "catalogd";
    resp->content_type = "application/json";
    resp->status = 200;
    if (health) {
        resp->operation = "Health";
        buf_adds(&resp->body, "{\"status\":\"ok\"}");
        return true;
    }
    resp->operation = "Ready";
    const char *status = "ready";
    if (atomic_load(&app->draining))
        status = "draining";
    else if (!probe_database_ok(app))
        status = "database unreachable";
    if (strcmp(status, "ready")) resp->status = 503;
    buf_adds(&resp->body, "{\"status\":\"");
    buf_adds(&resp->body, status);
    buf_adds(&resp->body, "\"}");
    return true;
}
