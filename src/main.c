/* main.c - the catalogd command line: flags and environment into a configuration,
 * start-up, the banner, and an orderly stop on SIGTERM/SIGINT. Also the small admin
 * commands that work on a data directory (jobs, account). */
#include "app.h"
#include "core/regions.h"
#include "svc/organizations/org.h"
#include "svc/ssm/ssm.h"

#include "console/console.h"
#include "core/mem.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage[] =
    "usage: catalogd serve [options]       run the daemon\n"
    "       catalogd jobs stats [options]  job counts of a data directory (JSON)\n"
    "       catalogd jobs failed [options] the jobs set aside, one JSON object a line\n"
    "       catalogd jobs probe --count N [--steps S] [--sleep-ms MS] [options]\n"
    "                                      enqueue diagnostic probe jobs\n"
    "       catalogd command-output COMMAND_ID INSTANCE_ID [--plugin N] [--stderr]\n"
    "                              [--data-dir DIR]\n"
    "                                      a Run Command plugin's whole output (the API\n"
    "                                      shows its first 24,000 characters)\n"
    "       catalogd node-key import --id ID --file KEY [--data-dir DIR]\n"
    "                                      seal an ssh private key for managed nodes\n"
    "       catalogd account create --name NAME --email EMAIL [--data-dir DIR]\n"
    "                                      a new account: prints its id and root access key\n"
    "       catalogd account list [--data-dir DIR]\n"
    "                                      every account, one JSON object a line\n"
    "       catalogd --version | --help        (also: catalogd serve --help)\n"
    "\n"
    "options (each also read from the environment variable in brackets):\n"
    "  --listen HOST:PORT    address to serve on [CATALOGD_LISTEN] (127.0.0.1:4599)\n"
    "  --data-dir DIR        SQLite database, key file, root credentials [CATALOGD_DATA_DIR]\n"
    "                        (./catalogd-data)\n"
    "  --database-url URL    postgresql://USER:PASSWORD@HOST:PORT/DB: several catalogd\n"
    "                        nodes share this PostgreSQL database (docs/deploy.md)\n"
    "                        [CATALOGD_DATABASE_URL] (none: SQLite in the data directory)\n"
    "  --db-pool N           PostgreSQL connections at most [CATALOGD_DB_POOL] (16)\n"
    "  --account-id ID       12-digit AWS account id [CATALOGD_ACCOUNT_ID] (123456789012)\n"
    "  --region REGION       default region (any is served) [CATALOGD_REGION] (us-east-1)\n"
    "  --log-level LEVEL     debug|info|warn|error|off [CATALOGD_LOG_LEVEL] (info)\n"
    "  --http-threads N      HTTP worker threads [CATALOGD_HTTP_THREADS] (2)\n"
    "  --workers N           job engine workers [CATALOGD_WORKERS] (2)\n"
    "  --max-body BYTES      largest request body [CATALOGD_MAX_BODY] (8388608)\n"
    "  --max-header BYTES    largest request header block [CATALOGD_MAX_HEADER] (16384)\n"
    "  --timeout SECONDS     idle connection timeout [CATALOGD_TIMEOUT] (60)\n"
    "  --header-timeout S    a request's line and headers must arrive within S seconds,\n"
    "                        however slowly they trickle [CATALOGD_HEADER_TIMEOUT] (10)\n"
    "  --body-timeout S      and its body within S seconds of the headers\n"
    "                        [CATALOGD_BODY_TIMEOUT] (60)\n"
    "  --max-conns N         open connections in all [CATALOGD_MAX_CONNS]\n"
    "                        (1024, at most half the open-file limit)\n"
    "  --max-conns-per-client N   open connections from one client address\n"
    "                        [CATALOGD_MAX_CONNS_PER_CLIENT] (256)\n"
    "  --lease-ms MS         job lease [CATALOGD_LEASE_MS] (30000)\n"
    "  --sync full|normal    fsync each commit, or leave it to WAL checkpoints\n"
    "                        [CATALOGD_SYNC] (full)\n"
    "  --ec2-provider emulated|exec   how instances change state, unless an instance's\n"
    "                        catalogd:provider tag says otherwise [CATALOGD_EC2_PROVIDER]\n"
    "  --ec2-delay-ms MS     emulated transitions take this long [CATALOGD_EC2_DELAY_MS] (2000)\n"
    "  --ec2-exec-launch|-start|-stop|-reboot|-terminate CMD\n"
    "                        exec provider: the shell command for each transition\n"
    "                        [CATALOGD_EC2_EXEC_LAUNCH, ...]; see docs/providers.md\n"
    "  --ec2-exec-timeout S  exec provider command timeout [CATALOGD_EC2_EXEC_TIMEOUT] (300)\n"
    "  --template-dir DIR    file: template URLs may point inside DIR [CATALOGD_TEMPLATE_DIR]\n"
    "                        (unset: file: URLs are refused)\n"
    "  --fetch-allow CIDR[,CIDR...]  address ranges http(s) template URLs may reach although\n"
    "                        loopback, private, link-local or otherwise refused, e.g.\n"
    "                        10.20.0.0/16 [CATALOGD_FETCH_ALLOW] (none)\n"
    "  --automation-max-running N / --automation-max-queued N\n"
    "                        Automation executions running at once, and waiting behind them\n"
    "                        [CATALOGD_AUTOMATION_MAX_RUNNING, _QUEUED] (100, 1000)\n"
    "  --automation-start-rate N   StartAutomationExecution calls a second before\n"
    "                        ThrottlingException [CATALOGD_AUTOMATION_START_RATE] (0: no limit)\n"
    "  --sc-max-actions N / --sc-max-actions-per-artifact N\n"
    "                        service-action quotas [CATALOGD_SC_MAX_ACTIONS, ...] (200, 25)\n"
    "  --node-transport local|ssh   makes every instance a managed node (Run Command)\n"
    "                        reached this way [CATALOGD_NODE_TRANSPORT] (none; an instance's\n"
    "                        catalogd:node-transport tag overrides it); see docs/providers.md\n"
    "  --node-user USER      local transport: commands run on this host as USER, never root\n"
    "                        [CATALOGD_NODE_USER]\n"
    "  --node-ssh-host H / --node-ssh-port P / --node-ssh-user U / --node-ssh-key ID\n"
    "                        ssh transport defaults [CATALOGD_NODE_SSH_HOST, ...] (port 22,\n"
    "                        key default); tags catalogd:node-host|-port|-user|-key override\n"
    "  --node-ping-ms MS     DescribeInstanceInformation reuses a node's ping this long\n"
    "                        [CATALOGD_NODE_PING_MS] (30000)\n"
    "  --console-dir DIR     the web console's built assets, served at /console\n"
    "                        [CATALOGD_CONSOLE_DIR] (console/ beside the catalogd binary)\n"
    "  --oidc-issuer URL --oidc-client-id ID --oidc-role-arn ARN [--oidc-name NAME]\n"
    "                        console sign-in through an OpenID Connect identity provider (an\n"
    "                        IAM OIDC provider the role trusts); the client secret comes from\n"
    "                        CATALOGD_OIDC_CLIENT_SECRET [CATALOGD_OIDC_ISSUER, ...]; see\n"
    "                        docs/federation.md\n"
    "  --oidc-redirect-uri URL   the console's callback as registered at the IdP\n"
    "                        [CATALOGD_OIDC_REDIRECT_URI] "
    "(http://HOST/console/api/federation/callback)\n"
    "The first start creates the account's root access key, from\n"
    "CATALOGD_ROOT_ACCESS_KEY_ID / CATALOGD_ROOT_SECRET_ACCESS_KEY when both are set,\n"
    "otherwise generated into DATA_DIR/root-credentials (mode 0600).\n"
    "The root user signs in to the console with CATALOGD_ROOT_PASSWORD when it is set,\n"
    "otherwise with the password generated into DATA_DIR/root-console-password (0600).\n"
    "CATALOGD_CLOCK_OFFSET_MS shifts catalogd's clock by that many milliseconds (tests).\n"
    "CATALOGD_TEST_CLOCK=1 lets POST /_catalogd/test/clock?advance_ms=N move service time\n"
    "forward (sleeps, timeouts, schedules; never signature checks). For tests only.\n";

typedef struct opt_spec {
    const char *flag, *env;
    char kind; /* s: string into buf, i: int, z: size, l: int64, L: log level, y: sync */
    size_t off, cap;
} opt_spec_t;

#define OPT_S(flag, env, field)                                                                    \
    {                                                                                              \
        flag, env, 's', offsetof(app_config_t, field), sizeof(((app_config_t *)0)->field)          \
    }
#define OPT_X(flag, env, kind, field)                                                              \
    {                                                                                              \
        flag, env, kind, offsetof(app_config_t, field), 0                                          \
    }

static const opt_spec_t opts[] = {
    OPT_S("--listen", "CATALOGD_LISTEN", listen),
    OPT_S("--data-dir", "CATALOGD_DATA_DIR", data_dir),
    OPT_S("--database-url", "CATALOGD_DATABASE_URL", database_url),
    OPT_X("--db-pool", "CATALOGD_DB_POOL", 'i', db_pool),
    OPT_S("--account-id", "CATALOGD_ACCOUNT_ID", account_id),
    OPT_S("--region", "CATALOGD_REGION", region),
    OPT_X("--log-level", "CATALOGD_LOG_LEVEL", 'L', log_level),
    OPT_X("--http-threads", "CATALOGD_HTTP_THREADS", 'i', http_threads),
    OPT_X("--workers", "CATALOGD_WORKERS", 'i', workers),
    OPT_X("--max-body", "CATALOGD_MAX_BODY", 'z', max_body),
    OPT_X("--max-header", "CATALOGD_MAX_HEADER", 'z', max_header),
    OPT_X("--timeout", "CATALOGD_TIMEOUT", 'i', timeout_s),
    OPT_X("--header-timeout", "CATALOGD_HEADER_TIMEOUT", 'i', header_timeout_s),
    OPT_X("--body-timeout", "CATALOGD_BODY_TIMEOUT", 'i', body_timeout_s),
    OPT_X("--max-conns", "CATALOGD_MAX_CONNS", 'i', max_conns),
    OPT_X("--max-conns-per-client", "CATALOGD_MAX_CONNS_PER_CLIENT", 'i', max_conns_per_client),
    OPT_X("--lease-ms", "CATALOGD_LEASE_MS", 'l', lease_ms),
    OPT_X("--sync", "CATALOGD_SYNC", 'y', sync_full),
    OPT_S("--ec2-provider", "CATALOGD_EC2_PROVIDER", ec2_provider),
    OPT_X("--ec2-delay-ms", "CATALOGD_EC2_DELAY_MS", 'l', ec2_delay_ms),
    OPT_S("--ec2-exec-launch", "CATALOGD_EC2_EXEC_LAUNCH", ec2_exec[0]),
    OPT_S("--ec2-exec-start", "CATALOGD_EC2_EXEC_START", ec2_exec[1]),
    OPT_S("--ec2-exec-stop", "CATALOGD_EC2_EXEC_STOP", ec2_exec[2]),
    OPT_S("--ec2-exec-reboot", "CATALOGD_EC2_EXEC_REBOOT", ec2_exec[3]),
    OPT_S("--ec2-exec-terminate", "CATALOGD_EC2_EXEC_TERMINATE", ec2_exec[4]),
    OPT_X("--ec2-exec-timeout", "CATALOGD_EC2_EXEC_TIMEOUT", 'i', ec2_exec_timeout_s),
    OPT_S("--template-dir", "CATALOGD_TEMPLATE_DIR", template_dir),
    OPT_S("--fetch-allow", "CATALOGD_FETCH_ALLOW", fetch_allow),
    OPT_X("--automation-max-running", "CATALOGD_AUTOMATION_MAX_RUNNING", 'i',
          automation_max_running),
    OPT_X("--automation-max-queued", "CATALOGD_AUTOMATION_MAX_QUEUED", 'i', automation_max_queued),
    OPT_X("--automation-start-rate", "CATALOGD_AUTOMATION_START_RATE", 'l', automation_start_rate),
    OPT_X("--sc-max-actions", "CATALOGD_SC_MAX_ACTIONS", 'i', sc_max_actions),
    OPT_X("--sc-max-actions-per-artifact", "CATALOGD_SC_MAX_ACTIONS_PER_ARTIFACT", 'i',
          sc_max_actions_per_artifact),
    OPT_S("--console-dir", "CATALOGD_CONSOLE_DIR", console_dir),
    OPT_S("--oidc-issuer", "CATALOGD_OIDC_ISSUER", oidc_issuer),
    OPT_S("--oidc-client-id", "CATALOGD_OIDC_CLIENT_ID", oidc_client_id),
    OPT_S("--oidc-role-arn", "CATALOGD_OIDC_ROLE_ARN", oidc_role_arn),
    OPT_S("--oidc-name", "CATALOGD_OIDC_NAME", oidc_name),
    OPT_S("--oidc-redirect-uri", "CATALOGD_OIDC_REDIRECT_URI", oidc_redirect_uri),
    OPT_S("--node-transport", "CATALOGD_NODE_TRANSPORT", node_transport),
    OPT_S("--node-user", "CATALOGD_NODE_USER", node_user),
    OPT_S("--node-ssh-host", "CATALOGD_NODE_SSH_HOST", node_ssh_host),
    OPT_X("--node-ssh-port", "CATALOGD_NODE_SSH_PORT", 'i', node_ssh_port),
    OPT_S("--node-ssh-user", "CATALOGD_NODE_SSH_USER", node_ssh_user),
    OPT_S("--node-ssh-key", "CATALOGD_NODE_SSH_KEY", node_ssh_key),
    OPT_X("--node-ping-ms", "CATALOGD_NODE_PING_MS", 'l', node_ping_ms),
};

/* Stores value into the field opt describes; false (with a message) when it is invalid. */
static bool opt_set(app_config_t *cfg, const opt_spec_t *o, const char *value)
{
    char *field = (char *)cfg + o->off;
    char *end;
    long long n;
    switch (o->kind) {
    case 's':
        if (strlen(value) >= o->cap) break;
        snprintf(field, o->cap, "%s", value);
        return true;
    case 'L':
        if (log_parse_level(value, (log_level_t *)(void *)field)) return true;
        break;
    case 'y':
        if (!strcmp(value, "full") || !strcmp(value, "normal")) {
            *(bool *)(void *)field = !strcmp(value, "full");
            return true;
        }
        break;
    default:
        errno = 0;
        n = strtoll(value, &end, 10);
        if (*end || end == value || errno || n < 0 || (n == 0 && o->kind != 'l') ||
            n > 0x7fffffffLL * 1024)
            break;
        if (o->kind == 'i')
            *(int *)(void *)field = (int)(n > 1 << 20 ? 1 << 20 : n);
        else if (o->kind == 'z')
            *(size_t *)(void *)field = (size_t)n;
        else
            *(int64_t *)(void *)field = (int64_t)n;
        return true;
    }
    fprintf(stderr, "catalogd: invalid value '%s' for %s\n", value, o->flag);
    return false;
}

/* Raises the open-file limit to its hard limit (connections, the database and job
 * processes all take descriptors) and settles --max-conns against it: by default 1024 or
 * half the limit, whichever is less; a larger explicit value is refused, so the listener
 * never runs out of descriptors and stops accepting for everyone. */
static bool config_conns(app_config_t *cfg)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return true;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    long long fds = rl.rlim_cur == RLIM_INFINITY ? 1LL << 20 : (long long)rl.rlim_cur;
    long long half = fds / 2;
    if (!cfg->max_conns) {
        cfg->max_conns = (int)(half < 1024 ? half : 1024);
        return true;
    }
    if (cfg->max_conns > half) {
        fprintf(stderr,
                "catalogd: --max-conns %d is more than half the open-file limit (%lld); "
                "raise the limit (ulimit -n) or lower --max-conns\n",
                cfg->max_conns, fds);
        return false;
    }
    return true;
}

static bool config_check(const app_config_t *cfg)
{
    size_t n = strlen(cfg->account_id);
    bool ok = n == 12 && strspn(cfg->account_id, "0123456789") == 12;
    if (!ok) fprintf(stderr, "catalogd: --account-id must be 12 digits\n");
    bool region_ok = regions_find(span_of(cfg->region)) != NULL;
    if (!region_ok)
        fprintf(stderr, "catalogd: --region must be a region of the aws partition (us-east-1)\n");
    bool prov_ok = !strcmp(cfg->ec2_provider, "emulated") || !strcmp(cfg->ec2_provider, "exec");
    if (!prov_ok) fprintf(stderr, "catalogd: --ec2-provider must be emulated or exec\n");
    const char *nt = cfg->node_transport;
    if (nt[0] && strcmp(nt, "local") && strcmp(nt, "ssh")) {
        fprintf(stderr, "catalogd: --node-transport must be local or ssh\n");
        prov_ok = false;
    }
    char host[128];
    int port;
    unsigned char addr[sizeof(struct in6_addr)];
    bool listen_ok = app_split_listen(cfg->listen, host, sizeof(host), &port) &&
                     (inet_pton(AF_INET, host, addr) == 1 || inet_pton(AF_INET6, host, addr) == 1);
    if (!listen_ok)
        fprintf(stderr, "catalogd: --listen wants HOST:PORT (a numeric address), got '%s'\n",
                cfg->listen);
    bool dir_ok = cfg->data_dir[0] != '\0';
    if (!dir_ok) fprintf(stderr, "catalogd: --data-dir must not be empty\n");
    if (cfg->db_pool < 0 || cfg->db_pool > 1000) {
        fprintf(stderr, "catalogd: --db-pool must be 1 to 1000\n");
        dir_ok = false;
    }
    const char *dirs[][2] = {{"--template-dir", cfg->template_dir},
                             {"--console-dir", cfg->console_dir}};
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        struct stat st;
        if (!dirs[i][1][0] || (stat(dirs[i][1], &st) == 0 && S_ISDIR(st.st_mode))) continue;
        fprintf(stderr, "catalogd: %s %s is not a directory\n", dirs[i][0], dirs[i][1]);
        dir_ok = false;
    }
    return ok && region_ok && prov_ok && listen_ok && dir_ok;
}

/* Environment first, then flags over it. argv[first..] are the options. Extra numeric
 * options of the jobs command (--count, --steps, --sleep-ms) land in the int pointers. */
static bool config_parse(app_config_t *cfg, int argc, char **argv, int first, int *count,
                         int *steps, int *sleep_ms)
{
    app_config_defaults(cfg);
    for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
        const char *v = getenv(opts[i].env);
        if (v && *v && !opt_set(cfg, &opts[i], v)) return false;
    }
    const char *off = getenv("CATALOGD_CLOCK_OFFSET_MS");
    if (off && *off) {
        char *end;
        long long v = strtoll(off, &end, 10);
        if (*end) {
            fprintf(stderr, "catalogd: CATALOGD_CLOCK_OFFSET_MS wants a number\n");
            return false;
        }
        cfg->clock_offset_ms = v;
    }
    const char *tc = getenv("CATALOGD_TEST_CLOCK");
    cfg->test_clock = tc && !strcmp(tc, "1");
    const char *kid = getenv("CATALOGD_ROOT_ACCESS_KEY_ID");
    const char *sec = getenv("CATALOGD_ROOT_SECRET_ACCESS_KEY");
    if (kid && sec) {
        snprintf(cfg->root_key_id, sizeof(cfg->root_key_id), "%s", kid);
        snprintf(cfg->root_secret, sizeof(cfg->root_secret), "%s", sec);
    }
    const char *ocs = getenv("CATALOGD_OIDC_CLIENT_SECRET");
    if (ocs && strlen(ocs) >= sizeof(cfg->oidc_client_secret)) {
        fprintf(stderr, "catalogd: CATALOGD_OIDC_CLIENT_SECRET is longer than %zu characters\n",
                sizeof(cfg->oidc_client_secret) - 1);
        return false;
    }
    if (ocs) snprintf(cfg->oidc_client_secret, sizeof(cfg->oidc_client_secret), "%s", ocs);
    const char *rpw = getenv("CATALOGD_ROOT_PASSWORD");
    if (rpw && *rpw) {
        if (strlen(rpw) >= sizeof(cfg->root_password)) {
            fprintf(stderr, "catalogd: CATALOGD_ROOT_PASSWORD is longer than %zu characters\n",
                    sizeof(cfg->root_password) - 1);
            return false;
        }
        snprintf(cfg->root_password, sizeof(cfg->root_password), "%s", rpw);
    }
    for (int i = first; i < argc; i++) {
        const char *a = argv[i];
        const char *eq = strchr(a, '=');
        size_t alen = eq ? (size_t)(eq - a) : strlen(a);
        bool matched = false;
        for (size_t k = 0; k < sizeof(opts) / sizeof(opts[0]) && !matched; k++) {
            if (strlen(opts[k].flag) != alen || strncmp(a, opts[k].flag, alen) != 0) continue;
            const char *v = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
            if (!v) {
                fprintf(stderr, "catalogd: %s needs a value\n", opts[k].flag);
                return false;
            }
            if (!opt_set(cfg, &opts[k], v)) return false;
            matched = true;
        }
        int *extra = !strcmp(a, "--count")      ? count
                     : !strcmp(a, "--steps")    ? steps
                     : !strcmp(a, "--sleep-ms") ? sleep_ms
                                                : NULL;
        if (!matched && extra) {
            char *end;
            long v = i + 1 < argc ? strtol(argv[i + 1], &end, 10) : -1;
            if (i + 1 >= argc || *end || v < 0 || v > 1000000) {
                fprintf(stderr, "catalogd: %s wants a number\n", a);
                return false;
            }
            *extra = (int)v;
            i++;
            matched = true;
        }
        if (!matched) {
            fprintf(stderr, "catalogd: unknown option '%s' (catalogd --help lists them)\n", a);
            return false;
        }
    }
    return config_check(cfg);
}

static void banner(const app_t *app)
{
    char creds[PATH_MAX + 32], dir[PATH_MAX];
    /* an absolute path, so the export works from any directory */
    snprintf(creds, sizeof(creds), "%s/root-credentials",
             realpath(app->cfg.data_dir, dir) ? dir : app->cfg.data_dir);
    bool have_file = access(creds, R_OK) == 0;
    char url[200];
    snprintf(url, sizeof(url), "http://%s", app->cfg.listen);
    printf("catalogd %s listening on %s (account %s, region %s, data %s)\n", CATALOGD_VERSION, url,
           app->cfg.account_id, app->cfg.region, app->cfg.data_dir);
    printf("Root access key: %s%s\n", app->root_key_id,
           app->root_generated ? " (generated now)" : "");
    printf("Point the AWS CLI or an SDK at it:\n");
    if (have_file && !app->cfg.root_key_id[0])
        printf("  export AWS_SHARED_CREDENTIALS_FILE=%s\n", creds);
    else
        printf("  export AWS_ACCESS_KEY_ID=%s "
               "AWS_SECRET_ACCESS_KEY=<CATALOGD_ROOT_SECRET_ACCESS_KEY>\n",
               app->root_key_id);
    printf("  export AWS_DEFAULT_REGION=%s\n", app->cfg.region);
    printf("  aws --endpoint-url %s sts get-caller-identity\n", url);
    console_banner(app, url, stdout);
    printf("New here? 'make demo' creates the service-actions tutorial's users, portfolio and\n"
           "product; then follow docs/tutorial.md.\n");
    fflush(stdout);
}

/* True when argv[first..] asks for help (then the usage is printed on stdout). */
static bool wants_help(int argc, char **argv, int first)
{
    for (int i = first; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(usage, stdout);
            return true;
        }
    return false;
}

static int cmd_serve(int argc, char **argv)
{
    app_config_t cfg;
    int unused = 0;
    if (wants_help(argc, argv, 2)) return 0;
    if (!config_parse(&cfg, argc, argv, 2, &unused, &unused, &unused) || !config_conns(&cfg))
        return 2;
    log_setup(cfg.log_level, 2);
    /* the port first: a taken port is refused before the data directory is touched */
    char host[128];
    int port = 0, listen_fd = -1;
    app_split_listen(cfg.listen, host, sizeof(host), &port);
    errbuf_t leb = {{0}};
    if (http_listen(host, port, &listen_fd, &leb)) {
        fprintf(stderr, "catalogd: %s\n", leb.msg);
        return 1;
    }
    /* Signals are taken by sigwait below; every thread created after this inherits the mask. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    app_t app;
    errbuf_t eb = {{0}};
    err_t rc = app_open(&app, &cfg, &eb);
    if (!rc) rc = console_prepare(&app, &eb);
    if (rc)
        close(listen_fd);
    else
        rc = app_start(&app, listen_fd, &eb);
    if (rc) {
        fprintf(stderr, "catalogd: %s\n", eb.msg);
        app_close(&app);
        return 1;
    }
    log_info("started", "\"listen\":\"%s\",\"data_dir\":\"%s\",\"store\":\"%s\",\"schema\":%d",
             cfg.listen, cfg.data_dir, store_backend(app.store), store_schema_version(app.store));
    banner(&app);
    int sig = 0;
    sigwait(&set, &sig);
    log_info("stopping", "\"signal\":%d", sig);
    app_close(&app);
    log_info("stopped", NULL);
    return 0;
}

/* One line of `catalogd jobs failed`. */
static void print_failed_job(void *ud, const char *id, const char *kind, int64_t attempts,
                             int64_t max_attempts, const char *last_error)
{
    (void)ud;
    char why[2048];
    printf("{\"id\":\"%s\",\"kind\":\"%s\",\"attempts\":%lld,\"max_attempts\":%lld,"
           "\"last_error\":\"%s\"}\n",
           id, kind, (long long)attempts, (long long)max_attempts,
           log_escape(why, sizeof(why), last_error ? last_error : ""));
}

static int cmd_jobs(int argc, char **argv)
{
    if (wants_help(argc, argv, 2)) return 0;
    if (argc < 3 ||
        (strcmp(argv[2], "stats") && strcmp(argv[2], "probe") && strcmp(argv[2], "failed"))) {
        fputs(usage, stderr);
        return 2;
    }
    app_config_t cfg;
    int count = 0, steps = 1, sleep_ms = 0;
    if (!config_parse(&cfg, argc, argv, 3, &count, &steps, &sleep_ms)) return 2;
    log_setup(LOG_WARN, 2);
    ids_t ids;
    ids_init_system(&ids);
    clk_t clock = clk_system(0);
    store_opts_t so = {.data_dir = cfg.data_dir,
                       .url = cfg.database_url,
                       .pool = 2,
                       .exclusive = false,
                       .sync_full = true};
    store_t *store = NULL;
    errbuf_t eb = {{0}};
    err_t rc = store_open(&so, &store, &eb);
    if (!rc && !strcmp(argv[2], "probe"))
        rc =
            engine_enqueue_probes(store, &ids, &clock, count, steps < 1 ? 1 : steps, sleep_ms, &eb);
    if (!rc && !strcmp(argv[2], "stats")) {
        engine_stats_t s;
        rc = engine_stats(store, clk_now_ms(&clock), &s, &eb);
        if (!rc)
            printf("{\"ready\":%lld,\"running\":%lld,\"done\":%lld,\"failed\":%lld}\n",
                   (long long)s.ready, (long long)s.running, (long long)s.done,
                   (long long)s.failed);
    }
    if (!rc && !strcmp(argv[2], "failed"))
        rc = engine_failed_jobs(store, print_failed_job, NULL, &eb);
    store_close(store);
    if (rc) {
        fprintf(stderr, "catalogd: %s\n", eb.msg);
        return 1;
    }
    return 0;
}

/* The options of a subcommand (catalogd CMD SUB ...): its own two flags flag_a and flag_b
 * (values into *a and *b; absent: NULL) taken out, the rest parsed as the daemon's options
 * into cfg. False when those do not parse. */
static bool sub_options(int argc, char **argv, const char *flag_a, const char **a,
                        const char *flag_b, const char **b, app_config_t *cfg)
{
    *a = *b = NULL;
    char **rest = xcalloc((size_t)argc + 1, sizeof(*rest));
    int n = 0;
    for (int i = 0; i < argc; i++) {
        const char **slot = !strcmp(argv[i], flag_a) ? a : !strcmp(argv[i], flag_b) ? b : NULL;
        if (slot && i >= 3 && i + 1 < argc)
            *slot = argv[++i];
        else
            rest[n++] = argv[i];
    }
    int unused = 0;
    bool ok = config_parse(cfg, n, rest, 3, &unused, &unused, &unused);
    free(rest);
    return ok;
}

/* catalogd node-key import --id ID --file KEY [--data-dir DIR]: seals an ssh private key
 * for managed nodes into DIR/node-keys/ID.sealed (the key is never printed). */
static int cmd_node_key(int argc, char **argv)
{
    if (wants_help(argc, argv, 2)) return 0;
    if (argc < 3 || strcmp(argv[2], "import")) {
        fputs(usage, stderr);
        return 2;
    }
    const char *id, *file;
    app_config_t cfg;
    bool ok = sub_options(argc, argv, "--id", &id, "--file", &file, &cfg) && id && file;
    if (!ok) {
        if (!id || !file) fprintf(stderr, "catalogd: node-key import needs --id ID --file KEY\n");
        return 2;
    }
    errbuf_t eb = {{0}};
    if (node_key_import(cfg.data_dir, id, file, &eb)) {
        fprintf(stderr, "catalogd: %s\n", eb.msg);
        return 1;
    }
    printf("sealed ssh key '%s' into %s/node-keys/%s.sealed\n", id, cfg.data_dir, id);
    return 0;
}

/* catalogd account create --name N --email E | account list [options]: the accounts of a
 * data directory (svc/organizations/org.h), the daemon running or not. */
static int cmd_account(int argc, char **argv)
{
    if (wants_help(argc, argv, 2)) return 0;
    if (argc < 3 || (strcmp(argv[2], "create") && strcmp(argv[2], "list"))) {
        fputs(usage, stderr);
        return 2;
    }
    const char *name, *email;
    app_config_t cfg;
    bool ok = sub_options(argc, argv, "--name", &name, "--email", &email, &cfg);
    if (!ok) return 2;
    log_setup(LOG_WARN, 2);
    return org_account_main(&cfg, argv[2], name, email);
}

int main(int argc, char **argv)
{
    mem_init();
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
        !strcmp(argv[1], "help")) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
        printf("catalogd %s\n", CATALOGD_VERSION);
        return 0;
    }
    if (!strcmp(argv[1], "serve")) return cmd_serve(argc, argv);
    if (!strcmp(argv[1], "jobs")) return cmd_jobs(argc, argv);
    if (!strcmp(argv[1], "command-output")) return ssm_command_output_main(argc, argv);
    if (!strcmp(argv[1], "node-key")) return cmd_node_key(argc, argv);
    if (!strcmp(argv[1], "account")) return cmd_account(argc, argv);
    fprintf(stderr, "catalogd: unknown command '%s' (catalogd --help lists them)\n", argv[1]);
    return 2;
}
