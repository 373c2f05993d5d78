/* main.c - the load generator's options, runs and report (bench/README.md, "The C load
 * generator (bench/loadgen)").
 *
 *   loadgen --config FILE --scenario NAME [options]
 *
 * A timed scenario warms up, then measures for --duration seconds; a count scenario
 * (--count N: execute, provision, automation) sends N requests as fast as the connections
 * go, then with --wait follows every started record or execution to its end. With
 * --reference HOST:PORT the same requests go to that server first (nginx answering a fixed
 * body), and the report gives the target's rate as a share of the reference's. Exit 1 on
 * any error: a non-2xx answer, a connection error, work that ended other than well. */
#include "loadgen.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct lg_result {
    const char *label;
    double seconds, accept_seconds, rps;
    lg_hist_t *lat, *flow;
    uint64_t reqs, polls, flows;
    double server_cpu, client_cpu;
    long errors;
} lg_result_t;

static void lg_usage(void)
{
    fprintf(stderr,
            "usage: loadgen --config FILE --scenario NAME [options]\n"
            "scenarios: get gci lp lp-user execute flow provision automation\n"
            "  -c, --connections N     keep-alive connections (default 64)\n"
            "  -t, --threads N         threads, 1 or 2 (default 2; 1 when -c 1)\n"
            "  -d, --duration S        measured seconds of a timed run (default 10)\n"
            "  -w, --warmup S          unmeasured seconds first (default 2)\n"
            "  -n, --count N           count mode: N requests in all (execute: default every\n"
            "                          provisioned product of the config, each once)\n"
            "      --wait              count mode: follow every record/execution to its end\n"
            "      --poll-ms MS        pause before looking at unfinished work again (default 2;\n"
            "                          a flow: an eighth of its age when longer, up to 100)\n"
            "      --grace S           time allowed for running work after the end (default 120)\n"
            "      --target HOST:PORT  instead of the config's endpoint\n"
            "      --server-pid P[,P]  the server's processes (and their children): CPU/request\n"
            "      --reference HOST:PORT   the same requests to that server first (nginx)\n"
            "      --reference-pid P[,P]   its processes\n"
            "      --ids FILE          write every started record/execution id there\n");
}

static char *lg_trim(char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ')) s[--n] = '\0';
    return s;
}

/* key=value lines (bench/loadgen_setup.py writes them); "pp" repeats. */
static int lg_load_config(const char *path, lg_config_t *c)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "loadgen: %s: %s\n", path, strerror(errno));
        return -1;
    }
    memset(c, 0, sizeof *c);
    snprintf(c->region, sizeof c->region, "us-east-1");
    char line[512];
    int cap = 0;
    while (fgets(line, sizeof line, f)) {
        char *s = lg_trim(line), *eq = strchr(s, '=');
        if (!*s || *s == '#' || !eq) continue;
        *eq = '\0';
        const char *k = lg_trim(s), *v = lg_trim(eq + 1);
        struct {
            const char *k;
            char *dst;
            size_t cap;
        } fields[] = {
            {"endpoint", c->endpoint, sizeof c->endpoint},
            {"region", c->region, sizeof c->region},
            {"root_key", c->root_key, sizeof c->root_key},
            {"root_secret", c->root_secret, sizeof c->root_secret},
            {"user_key", c->user_key, sizeof c->user_key},
            {"user_secret", c->user_secret, sizeof c->user_secret},
            {"product", c->product, sizeof c->product},
            {"artifact", c->artifact, sizeof c->artifact},
            {"action", c->action, sizeof c->action},
            {"document", c->document, sizeof c->document},
        };
        if (!strcmp(k, "pp")) {
            if (c->n_pps == cap) {
                cap = cap ? 2 * cap : 256;
                char **p = realloc(c->pps, (size_t)cap * sizeof *p);
                if (!p) break;
                c->pps = p;
            }
            c->pps[c->n_pps++] = strdup(v);
            continue;
        }
        for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
            if (!strcmp(k, fields[i].k)) snprintf(fields[i].dst, fields[i].cap, "%s", v);
    }
    fclose(f);
    return 0;
}

static int lg_pids(const char *s, int *out, int cap)
{
    int n = 0;
    while (s && *s && n < cap) {
        char *end;
        long v = strtol(s, &end, 10);
        if (end == s || v <= 0) break;
        out[n++] = (int)v;
        s = *end == ',' ? end + 1 : end;
    }
    return n;
}

static void lg_sleep(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* One run of the scenario against o->host; fills res. */
static void lg_run_once(const lg_opts_t *o, const int *pids, int npids, lg_result_t *res)
{
    lg_run_t run = {.o = o};
    pthread_mutex_init(&run.mu, NULL);
    if (o->ids_out && (lg_scen_async(o->scen) || o->scen == LG_FLOW)) {
        run.ids_fp = fopen(o->ids_out, "a");
        if (!run.ids_fp) fprintf(stderr, "loadgen: %s: %s\n", o->ids_out, strerror(errno));
    }
    const lg_config_t *c = o->cfg;
    lg_thread_t *ts = calloc((size_t)o->threads, sizeof *ts);
    pthread_t *tid = calloc((size_t)o->threads, sizeof *tid);
    bool user = o->scen == LG_LP_USER || o->scen == LG_EXECUTE || o->scen == LG_FLOW ||
                o->scen == LG_PROVISION;
    const char *svc = o->scen == LG_GCI          ? "sts"
                      : o->scen == LG_AUTOMATION ? "ssm"
                                                 : "servicecatalog";
    bool count_mode = o->count > 0;
    atomic_store(&run.phase, count_mode || o->warmup <= 0 ? 1 : 0);
    double t0 = lg_now(), cpu0 = lg_proc_cpu_s(pids, npids), self0 = lg_self_cpu_s();
    for (int i = 0, first = 0; i < o->threads; i++) {
        lg_thread_t *t = &ts[i];
        t->run = &run;
        t->index = i;
        t->first_conn = first;
        t->n_conns = o->conns / o->threads + (i < o->conns % o->threads);
        first += t->n_conns;
        lg_signer_init(&t->sg, user ? c->user_key : c->root_key,
                       user ? c->user_secret : c->root_secret, c->region, svc);
        buf_init(&t->cached, 64 * 1024);
        pthread_create(&tid[i], NULL, lg_thread_main, t);
    }
    if (!count_mode) {
        if (o->warmup > 0) {
            lg_sleep(o->warmup);
            t0 = lg_now();
            cpu0 = lg_proc_cpu_s(pids, npids);
            self0 = lg_self_cpu_s();
            int warm = 0; /* unless an error already stopped the run */
            atomic_compare_exchange_strong(&run.phase, &warm, 1);
        }
        double end = t0 + o->duration;
        while (atomic_load(&run.phase) == 1 && lg_now() < end) lg_sleep(0.01);
        atomic_store(&run.phase, 2);
    }
    double t1 = lg_now(), cpu1 = 0, self1 = 0;
    if (!count_mode) {
        cpu1 = lg_proc_cpu_s(pids, npids);
        self1 = lg_self_cpu_s();
    }
    memset(res, 0, sizeof *res);
    res->lat = calloc(1, sizeof *res->lat);
    res->flow = calloc(1, sizeof *res->flow);
    double last_main = 0, last_end = 0;
    for (int i = 0; i < o->threads; i++) {
        pthread_join(tid[i], NULL);
        lg_tstats_t *s = &ts[i].st;
        lg_hist_merge(res->lat, &s->lat);
        lg_hist_merge(res->flow, &s->flow);
        res->reqs += s->reqs;
        res->polls += s->polls;
        res->flows += s->flows;
        if (s->last_main > last_main) last_main = s->last_main;
        if (s->last_end > last_end) last_end = s->last_end;
        buf_free(&ts[i].cached);
        free(ts[i].pend);
    }
    if (count_mode) { /* from the start to the last answer or end seen */
        cpu1 = lg_proc_cpu_s(pids, npids);
        self1 = lg_self_cpu_s();
        res->accept_seconds = last_main > t0 ? last_main - t0 : 0;
        t1 = o->wait && last_end > last_main ? last_end : last_main;
    }
    res->seconds = t1 - t0;
    uint64_t units = o->scen == LG_FLOW || (count_mode && o->wait) ? res->flows : res->reqs;
    double span = count_mode ? res->accept_seconds : res->seconds;
    res->rps = span > 0 ? (double)(o->scen == LG_FLOW ? res->flows : res->reqs) / span : 0;
    res->server_cpu = units ? (cpu1 - cpu0) * 1e6 / (double)units : 0;
    res->client_cpu =
        res->reqs + res->polls ? (self1 - self0) * 1e6 / (double)(res->reqs + res->polls) : 0;
    res->errors = atomic_load(&run.errors);
    for (int i = 0; i < run.n_errs; i++) fprintf(stderr, "loadgen: error: %s\n", run.errs[i]);
    if (run.ids_fp) fclose(run.ids_fp);
    pthread_mutex_destroy(&run.mu);
    free(ts);
    free(tid);
}

static void lg_report(const lg_opts_t *o, const lg_result_t *r, const lg_result_t *ref)
{
    bool count_mode = o->count > 0;
    const char *what = o->scen == LG_FLOW ? "flows" : "requests";
    printf("%-10s %-22s %8.2f s %9llu %s %10.1f/s  p50 %7.3f ms  p99 %7.3f ms  max %8.3f ms\n",
           r->label, o->host, count_mode ? r->accept_seconds : r->seconds,
           (unsigned long long)(o->scen == LG_FLOW ? r->flows : r->reqs), what, r->rps,
           (double)lg_hist_pct(r->lat, 50) / 1000, (double)lg_hist_pct(r->lat, 99) / 1000,
           (double)r->lat->max_us / 1000);
    if (o->scen == LG_FLOW)
        printf("%-10s flow latency: p50 %.3f ms  p99 %.3f ms  max %.3f ms; %.1f polls/flow\n",
               r->label, (double)lg_hist_pct(r->flow, 50) / 1000,
               (double)lg_hist_pct(r->flow, 99) / 1000, (double)r->flow->max_us / 1000,
               r->flows ? (double)r->polls / (double)r->flows : 0);
    if (count_mode && o->wait)
        printf("%-10s all %llu ended in %.2f s: %.1f completed/s (%llu polls)\n", r->label,
               (unsigned long long)r->flows, r->seconds,
               r->seconds > 0 ? (double)r->flows / r->seconds : 0, (unsigned long long)r->polls);
    printf("%-10s server CPU %.1f us/%s, client CPU %.1f us/request, errors %ld", r->label,
           r->server_cpu, o->scen == LG_FLOW || (count_mode && o->wait) ? "completed" : "request",
           r->client_cpu, r->errors);
    if (ref && ref->rps > 0) printf(", %.3fx the reference", r->rps / ref->rps);
    printf("\n");
    /* one machine-readable line (bench/bench.py reads it) */
    printf("RESULT label=%s scenario=%s conns=%d rps=%.1f seconds=%.3f accept_seconds=%.3f "
           "reqs=%llu polls=%llu flows=%llu completed_per_s=%.1f p50_us=%llu p99_us=%llu "
           "max_us=%llu flow_p50_us=%llu flow_p99_us=%llu flow_max_us=%llu server_cpu_us=%.2f "
           "client_cpu_us=%.2f errors=%ld\n",
           r->label, lg_scen_name(o->scen), o->conns, r->rps, r->seconds, r->accept_seconds,
           (unsigned long long)r->reqs, (unsigned long long)r->polls, (unsigned long long)r->flows,
           r->seconds > 0 ? (double)r->flows / r->seconds : 0,
           (unsigned long long)lg_hist_pct(r->lat, 50), (unsigned long long)lg_hist_pct(r->lat, 99),
           (unsigned long long)r->lat->max_us, (unsigned long long)lg_hist_pct(r->flow, 50),
           (unsigned long long)lg_hist_pct(r->flow, 99), (unsigned long long)r->flow->max_us,
           r->server_cpu, r->client_cpu, r->errors);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    static const struct option longs[] = {{"config", 1, 0, 'f'},
                                          {"scenario", 1, 0, 's'},
                                          {"connections", 1, 0, 'c'},
                                          {"threads", 1, 0, 't'},
                                          {"duration", 1, 0, 'd'},
                                          {"warmup", 1, 0, 'w'},
                                          {"count", 1, 0, 'n'},
                                          {"wait", 0, 0, 'W'},
                                          {"poll-ms", 1, 0, 'P'},
                                          {"grace", 1, 0, 'g'},
                                          {"target", 1, 0, 'T'},
                                          {"server-pid", 1, 0, 'p'},
                                          {"reference", 1, 0, 'R'},
                                          {"reference-pid", 1, 0, 'r'},
                                          {"ids", 1, 0, 'i'},
                                          {"help", 0, 0, 'h'},
                                          {0, 0, 0, 0}};
    const char *config = NULL, *scen = NULL, *target = NULL, *ref = NULL;
    const char *spids = NULL, *rpids = NULL;
    lg_opts_t o = {
        .conns = 64, .threads = 0, .duration = 10, .warmup = 2, .poll_ms = 2, .grace = 120};
    int ch;
    while ((ch = getopt_long(argc, argv, "f:s:c:t:d:w:n:h", longs, NULL)) != -1) {
        switch (ch) {
        case 'f':
            config = optarg;
            break;
        case 's':
            scen = optarg;
            break;
        case 'c':
            o.conns = (int)strtol(optarg, NULL, 10);
            break;
        case 't':
            o.threads = (int)strtol(optarg, NULL, 10);
            break;
        case 'd':
            o.duration = strtod(optarg, NULL);
            break;
        case 'w':
            o.warmup = strtod(optarg, NULL);
            break;
        case 'n':
            o.count = strtol(optarg, NULL, 10);
            break;
        case 'W':
            o.wait = true;
            break;
        case 'P':
            o.poll_ms = (int)strtol(optarg, NULL, 10);
            break;
        case 'g':
            o.grace = strtod(optarg, NULL);
            break;
        case 'T':
            target = optarg;
            break;
        case 'p':
            spids = optarg;
            break;
        case 'R':
            ref = optarg;
            break;
        case 'r':
            rpids = optarg;
            break;
        case 'i':
            o.ids_out = optarg;
            break;
        default:
            lg_usage();
            return 2;
        }
    }
    lg_config_t cfg = {0};
    if (!scen || !lg_scen_parse(scen, &o.scen) || (!config && o.scen != LG_GET) ||
        (config && lg_load_config(config, &cfg) != 0)) {
        lg_usage();
        return 2;
    }
    o.cfg = &cfg;
    if (o.conns < 1 || o.conns > 10000) o.conns = 64;
    if (o.threads < 1) o.threads = o.conns < 2 ? 1 : 2;
    if (o.threads > o.conns) o.threads = o.conns;
    if (o.scen == LG_EXECUTE && o.count <= 0) o.count = cfg.n_pps;
    if (o.scen == LG_EXECUTE && (o.count <= 0 || o.count > cfg.n_pps)) {
        fprintf(stderr,
                "loadgen: execute runs each provisioned product once: --count %ld but "
                "%d products in the config\n",
                o.count, cfg.n_pps);
        return 2;
    }
    if (o.scen == LG_FLOW && cfg.n_pps < o.conns) {
        fprintf(stderr, "loadgen: flow needs a provisioned product per connection (%d < %d)\n",
                cfg.n_pps, o.conns);
        return 2;
    }
    if (o.count > 0 && !lg_scen_async(o.scen)) {
        fprintf(stderr, "loadgen: --count is for execute, provision and automation\n");
        return 2;
    }
    if (ref && (lg_scen_async(o.scen) || o.scen == LG_FLOW)) {
        fprintf(stderr, "loadgen: --reference is for the read scenarios (get gci lp lp-user)\n");
        return 2;
    }
    snprintf(o.host, sizeof o.host, "%s", target ? target : cfg.endpoint);
    snprintf(o.nonce, sizeof o.nonce, "%lx%x", (long)time(NULL), (unsigned)getpid());
    signal(SIGPIPE, SIG_IGN);
    int sp[16], rp[16];
    int nsp = lg_pids(spids, sp, 16), nrp = lg_pids(rpids, rp, 16);
    printf("loadgen: scenario %s, %d connections on %d threads, %s\n", lg_scen_name(o.scen),
           o.conns, o.threads, o.count > 0 ? "count mode" : "timed");
    lg_result_t rref = {0}, rt = {0};
    int rc = 0;
    if (ref) {
        lg_opts_t ro = o;
        snprintf(ro.host, sizeof ro.host, "%s", ref);
        ro.ids_out = NULL;
        lg_run_once(&ro, rp, nrp, &rref);
        rref.label = "reference";
        lg_report(&ro, &rref, NULL);
        if (rref.errors) rc = 1;
    }
    lg_run_once(&o, sp, nsp, &rt);
    rt.label = "target";
    lg_report(&o, &rt, ref ? &rref : NULL);
    if (rt.errors) rc = 1;
    if (rc) fprintf(stderr, "loadgen: FAILED: some requests did not succeed\n");
    free(rref.lat);
    free(rref.flow);
    free(rt.lat);
    free(rt.flow);
    for (int i = 0; i < cfg.n_pps; i++) free(cfg.pps[i]);
    free(cfg.pps);
    return rc;
}
