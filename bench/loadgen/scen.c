/* scen.c - what each scenario of the load generator sends, and how it reads the answers:
 * the signed reads (one request per thread signed afresh each second, replayed), the
 * asynchronous starts (execute, provision, automation: every request signed with its own
 * token or name) and the follow-up polls (DescribeRecord, GetAutomationExecution) until the
 * work ends, in order of start, with a pause between looks at unfinished work. */
#include "loadgen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SC_TARGET  "AWS242ServiceCatalogService."
#define SSM_TARGET "AmazonSSM."
#define JSON11     "application/x-amz-json-1.1"
#define FORM       "application/x-www-form-urlencoded; charset=utf-8"

static const char *const LG_NAMES[] = {"get",     "gci",  "lp",        "lp-user",
                                       "execute", "flow", "provision", "automation"};

const char *lg_scen_name(lg_scen_t s)
{
    return LG_NAMES[s];
}

bool lg_scen_parse(const char *name, lg_scen_t *out)
{
    for (size_t i = 0; i < sizeof LG_NAMES / sizeof *LG_NAMES; i++)
        if (!strcmp(name, LG_NAMES[i])) {
            *out = (lg_scen_t)i;
            return true;
        }
    return false;
}

bool lg_scen_async(lg_scen_t s)
{
    return s == LG_EXECUTE || s == LG_PROVISION || s == LG_AUTOMATION;
}

/* Refreshes the thread's X-Amz-Date once a second; true when it changed. */
static bool lg_tick(lg_thread_t *t)
{
    long now = (long)time(NULL);
    if (now == t->amz_sec) return false;
    t->amz_sec = now;
    lg_amz_date(t->amz_date);
    return true;
}

/* The read scenarios' request: signed once a second per thread, then replayed. */
static bool lg_read_request(lg_thread_t *t, buf_t *out)
{
    const lg_opts_t *o = t->run->o;
    if (lg_tick(t) || t->cached.len == 0) {
        buf_reset(&t->cached);
        bool ok;
        if (o->scen == LG_GCI)
            ok = lg_sign_request(&t->sg, o->host, t->amz_date, FORM, NULL,
                                 SPAN_LIT("Action=GetCallerIdentity&Version=2011-06-15"),
                                 &t->cached);
        else
            ok = lg_sign_request(&t->sg, o->host, t->amz_date, JSON11, SC_TARGET "ListPortfolios",
                                 SPAN_LIT("{}"), &t->cached);
        if (!ok) return false;
    }
    return buf_addspan(out, buf_span(&t->cached));
}

/* A JSON 1.1 request with this body, signed now. */
static bool lg_json_request(lg_thread_t *t, const char *target, const char *body, buf_t *out)
{
    lg_tick(t);
    return lg_sign_request(&t->sg, t->run->o->host, t->amz_date, JSON11, target, span_of(body),
                           out);
}

/* The next main request of a count-mode or timed asynchronous scenario: its serial, or
 * -1 when there is none left. */
static long lg_take(lg_thread_t *t)
{
    lg_run_t *run = t->run;
    if (atomic_load(&run->phase) == 2) return -1;
    long k = atomic_fetch_add(&run->items, 1);
    if (run->o->count > 0 && k >= run->o->count) return -1;
    return k;
}

static int lg_main_request(lg_thread_t *t, int gconn, lg_item_t *it, buf_t *out)
{
    const lg_opts_t *o = t->run->o;
    const lg_config_t *c = o->cfg;
    char body[1024];
    switch (o->scen) {
    case LG_GET:
        if (atomic_load(&t->run->phase) == 2) return 0;
        return buf_printf(out, "GET / HTTP/1.1\r\nHost: %s\r\n\r\n", o->host) ? 1 : -1;
    case LG_GCI:
    case LG_LP:
    case LG_LP_USER:
        if (atomic_load(&t->run->phase) == 2) return 0;
        return lg_read_request(t, out) ? 1 : -1;
    case LG_FLOW: {
        if (atomic_load(&t->run->phase) == 2) return 0;
        int per = c->n_pps / o->conns; /* its own products: gconn, gconn + conns, ... */
        const char *pp = c->pps[gconn + o->conns * (it->pp_next++ % per)];
        it->serial++;
        it->flow_t0 = lg_now();
        snprintf(body, sizeof body,
                 "{\"ProvisionedProductId\":\"%s\",\"ServiceActionId\":\"%s\",\"ExecuteToken\":"
                 "\"lg%s-%d-%ld\"}",
                 pp, c->action, o->nonce, gconn, it->serial);
        return lg_json_request(t, SC_TARGET "ExecuteProvisionedProductServiceAction", body, out)
                   ? 1
                   : -1;
    }
    case LG_EXECUTE:
    case LG_PROVISION:
    case LG_AUTOMATION:
        break;
    }
    long k = lg_take(t);
    if (k < 0) return 0;
    it->serial = k;
    if (o->scen == LG_EXECUTE) {
        snprintf(body, sizeof body,
                 "{\"ProvisionedProductId\":\"%s\",\"ServiceActionId\":\"%s\",\"ExecuteToken\":"
                 "\"lg%s-%ld\"}",
                 c->pps[k % c->n_pps], c->action, o->nonce, k);
        return lg_json_request(t, SC_TARGET "ExecuteProvisionedProductServiceAction", body, out)
                   ? 1
                   : -1;
    }
    if (o->scen == LG_PROVISION) {
        snprintf(body, sizeof body,
                 "{\"ProductId\":\"%s\",\"ProvisioningArtifactId\":\"%s\","
                 "\"ProvisionedProductName\":\"lg%s-%ld\",\"ProvisionToken\":\"lg%s-%ld\","
                 "\"ProvisioningParameters\":[{\"Key\":\"InstanceType\",\"Value\":\"t3.micro\"}]}",
                 c->product, c->artifact, o->nonce, k, o->nonce, k);
        return lg_json_request(t, SC_TARGET "ProvisionProduct", body, out) ? 1 : -1;
    }
    snprintf(body, sizeof body, "{\"DocumentName\":\"%s\"}", c->document);
    return lg_json_request(t, SSM_TARGET "StartAutomationExecution", body, out) ? 1 : -1;
}

static int lg_poll_request(lg_thread_t *t, const char *id, buf_t *out)
{
    char body[256];
    if (t->run->o->scen == LG_AUTOMATION) {
        snprintf(body, sizeof body, "{\"AutomationExecutionId\":\"%s\"}", id);
        return lg_json_request(t, SSM_TARGET "GetAutomationExecution", body, out) ? 1 : -1;
    }
    snprintf(body, sizeof body, "{\"Id\":\"%s\"}", id);
    return lg_json_request(t, SC_TARGET "DescribeRecord", body, out) ? 1 : -1;
}

int lg_scen_next(lg_thread_t *t, int gconn, lg_item_t *it, buf_t *out)
{
    const lg_opts_t *o = t->run->o;
    buf_reset(out);
    if (it->wake_us && lg_now_us() < it->wake_us) return 2;
    it->wake_us = 0;
    if (it->id[0]) { /* a flow: follow its record */
        it->kind = LG_REQ_POLL;
        return lg_poll_request(t, it->id, out);
    }
    if (!it->sent_all) {
        it->kind = LG_REQ_MAIN;
        int r = lg_main_request(t, gconn, it, out);
        if (r != 0) return r;
        it->sent_all = true;
        t->senders--;
    }
    if (!o->wait || it->local != 0) return 0;
    if (t->head < t->n_pend) { /* the thread's first connection follows its work, in order */
        it->kind = LG_REQ_POLL;
        return lg_poll_request(t, t->pend[t->head], out);
    }
    if (t->senders > 0) {
        it->wake_us = lg_now_us() + 1000;
        return 2;
    }
    return 0;
}

/* The status of the work a poll answer reports: 1 ended well, 0 still going, -1 ended
 * badly (status copied into st). */
static int lg_ended(lg_scen_t s, span_t body, char *st, size_t cap)
{
    if (s == LG_AUTOMATION) {
        if (!lg_json_str(body, "AutomationExecutionStatus", st, cap)) return -1;
        if (!strcmp(st, "Success")) return 1;
        if (!strcmp(st, "Failed") || !strcmp(st, "Cancelled") || !strcmp(st, "TimedOut") ||
            !strcmp(st, "CompletedWithFailure"))
            return -1;
        return 0;
    }
    if (!lg_json_str(body, "Status", st, cap)) return -1;
    if (!strcmp(st, "SUCCEEDED")) return 1;
    if (!strcmp(st, "FAILED")) return -1;
    return 0;
}

/* The pause before the next look at unfinished work: --poll-ms, and for a flow an eighth
 * of its age when that is longer (at most LG_POLL_MAX_MS), so that a long flow is not
 * polled hundreds of times and its end is seen at most an eighth late. */
#define LG_POLL_MAX_MS 100

static void lg_pause(const lg_opts_t *o, lg_item_t *it, double now)
{
    double ms = o->poll_ms;
    if (it->id[0] && (now - it->flow_t0) * 1000 / 8 > ms) ms = (now - it->flow_t0) * 1000 / 8;
    if (ms > LG_POLL_MAX_MS && ms > o->poll_ms)
        ms = o->poll_ms > LG_POLL_MAX_MS ? o->poll_ms : LG_POLL_MAX_MS;
    if (ms > 0) it->wake_us = lg_now_us() + (uint64_t)(ms * 1000);
}

int lg_scen_done(lg_thread_t *t, lg_item_t *it, span_t body, double now)
{
    lg_run_t *run = t->run;
    const lg_opts_t *o = run->o;
    char st[64];
    if (it->kind == LG_REQ_POLL) {
        t->st.polls++;
        const char *id = it->id[0] ? it->id : t->pend[t->head];
        int e = lg_ended(o->scen, body, st, sizeof st);
        if (e < 0) {
            lg_run_error(run, "%s ended %s: %.*s", id, st, (int)(body.n > 400 ? 400 : body.n),
                         body.p);
            return -1;
        }
        if (e == 0) {
            lg_pause(o, it, now);
            return 0;
        }
        t->st.last_end = now;
        if (it->id[0]) { /* a flow ended */
            if (atomic_load(&run->phase) == 1) {
                t->st.flows++;
                lg_hist_add(&t->st.flow, (uint64_t)((now - it->flow_t0) * 1e6));
            }
            it->id[0] = '\0';
        } else {
            t->head++;
            t->st.flows++;
        }
        return 0;
    }
    if (!lg_scen_async(o->scen) && o->scen != LG_FLOW) return 0;
    const char *key = o->scen == LG_AUTOMATION ? "AutomationExecutionId" : "RecordId";
    char id[LG_ID_MAX];
    if (!lg_json_str(body, key, id, sizeof id)) {
        lg_run_error(run, "no %s in the answer: %.*s", key, (int)(body.n > 400 ? 400 : body.n),
                     body.p);
        return -1;
    }
    if (run->ids_fp) {
        pthread_mutex_lock(&run->mu);
        fprintf(run->ids_fp, "%s\n", id);
        pthread_mutex_unlock(&run->mu);
    }
    if (o->scen == LG_FLOW) {
        snprintf(it->id, sizeof it->id, "%s", id);
        lg_pause(o, it, now);
        return 0;
    }
    if (o->wait) {
        if (t->n_pend == t->cap_pend) {
            size_t cap = t->cap_pend ? 2 * t->cap_pend : 1024;
            void *p = realloc(t->pend, cap * sizeof *t->pend);
            if (!p) {
                lg_run_error(run, "out of memory");
                return -1;
            }
            t->pend = p;
            t->cap_pend = cap;
        }
        memcpy(t->pend[t->n_pend++], id, sizeof id);
    }
    return 0;
}
