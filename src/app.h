/* app.h - the daemon's context: configuration and every long-lived component, passed
 * to whatever needs it (never a global). Built by app_open, torn down by app_close. */
#ifndef CATALOGD_APP_H
#define CATALOGD_APP_H

#include "auth/keys.h"
#include "core/clk.h"
#include "core/ids.h"
#include "core/log.h"
#include "core/workq.h"
#include "engine/engine.h"
#include "http/http.h"
#include "node/node.h"
#include "prov/fetch.h"
#include "store/store.h"

#include <pthread.h>
#include <stddef.h>

typedef struct app_config {
    char listen[128]; /* HOST:PORT */
    char data_dir[1024];
    char seal_key_file[1024]; /* --seal-key-file: "" is <data_dir>/master.key (auth/seal.h) */
    char database_url[1024];  /* postgresql://...: the shared PostgreSQL store ("": SQLite) */
    int db_pool;              /* PostgreSQL connections at most (0: 16) */
    char account_id[16];
    char region[32];
    log_level_t log_level;
    int http_threads;
    int workers;
    size_t max_body;
    size_t max_header;
    int timeout_s;
    int max_conns;            /* open HTTP connections in all (0: automatic, see main.c) */
    int max_conns_per_client; /* open HTTP connections from one client address (0: default) */
    int header_timeout_s;     /* a request's line and headers must arrive within this */
    int body_timeout_s;       /* its body within this, once the headers have */
    int64_t lease_ms;
    bool sync_full;
    int64_t clock_offset_ms; /* CATALOGD_CLOCK_OFFSET_MS: shifts the clocks (tests, drills) */
    bool test_clock;         /* CATALOGD_TEST_CLOCK=1: POST /_catalogd/test/clock advances time */
    char ec2_provider[16];   /* default provider: "emulated" | "exec" */
    int64_t ec2_delay_ms;    /* emulated transitions take this long */
    char ec2_exec[5][1024];  /* exec commands: launch, start, stop, reboot, terminate */
    int ec2_exec_timeout_s;
    char template_dir[1024];       /* file: template URLs must resolve inside it ("" = refused) */
    char fetch_allow[1024];        /* CIDRs outbound fetches may reach though refused by default */
    int automation_max_running;    /* concurrent executions per account (AWS: 100) */
    int automation_max_queued;     /* waiting behind them (AWS: 1000) */
    int64_t automation_start_rate; /* StartAutomationExecution calls per second (0: no limit) */
    int sc_max_actions;            /* service actions per account (AWS: 200) */
    int sc_max_actions_per_artifact; /* associations per product version (AWS: 25) */
    char root_key_id[64];            /* from CATALOGD_ROOT_ACCESS_KEY_ID, or "" */
    char root_secret[128];           /* from CATALOGD_ROOT_SECRET_ACCESS_KEY, or "" */
    char console_dir[1024];  /* the web console's built assets ("": <dir of the binary>/console) */
    char root_password[128]; /* CATALOGD_ROOT_PASSWORD: the root user's console password, or "" */
    /* the console's sign-in through an OpenID Connect identity provider (docs/federation.md):
     * on when issuer, client id and role are set */
    char oidc_issuer[512];        /* https://idp.example.com/realms/x (an IAM OIDC provider) */
    char oidc_client_id[256];     /* the console's client at the IdP */
    char oidc_client_secret[256]; /* CATALOGD_OIDC_CLIENT_SECRET only (never a flag) */
    char oidc_role_arn[320];      /* the role its users assume (trusting the IAM provider) */
    char oidc_name[64];           /* shown as "Sign in with NAME" */
    char oidc_redirect_uri[512];  /* the callback the IdP knows ("": from the request's Host) */
    char node_transport[8];  /* managed nodes (src/node): "" | "local" | "ssh" for every instance */
    char node_user[64];      /* local commands run as this user */
    char node_ssh_host[256]; /* ssh defaults (an instance's catalogd:node-* tags override them) */
    int node_ssh_port;
    char node_ssh_user[64];
    char node_ssh_key[64]; /* key id under DATA_DIR/node-keys ("default") */
    int64_t node_ping_ms;  /* DescribeInstanceInformation reuses a ping this long */
    int64_t drain_s;       /* SIGTERM: report not-ready this long, still serving, then stop */
} app_config_t;

typedef struct app {
    app_config_t cfg;
    clk_t clock; /* service time: jobs, timestamps, sleeps (advanced by the test clock) */
    clk_t wall;  /* signature and credential time: always the real clock (+ offset) */
    ids_t ids;
    store_t *store;
    engine_t *engine;
    auth_keys_t *keys;
    struct iam_grants_cache *grants; /* principals' parsed policies (iam/grants.h) */
    http_server_t *http;
    char root_key_id[32];
    bool root_generated;
    char node_id[40]; /* this node, stable per data directory (DATA_DIR/node-id; engine pins) */
    prov_fetch_policy_t fetch; /* every outbound fetch: allow-list, file root, limits */
    atomic_bool fetch_cancel;  /* set at stop: running fetches end */
    workq_t *fetchq;           /* the fetch threads (template URLs off the HTTP threads) */
    node_pool_t *nodes;        /* managed nodes: transports and the ping cache */
    /* The store's home region: the --region of its first start, kept in `meta`
     * ('home_region'). Regional rows of an account in it are stored under the bare account
     * id (as before regions: no migration), in any other region under "ACCOUNT/REGION"
     * (app_scope). */
    char home_region[32];
    pthread_mutex_t regions_mu; /* guards ready */
    struct app_ready {          /* the scopes whose defaults exist (app_region_ready) */
        size_t n, cap;
        char (*v)[64];
    } ready;
    /* what /_catalogd/ready tells a balancer (api/probe.c) */
    atomic_bool draining;   /* app_drain: not ready, still serving */
    struct app_probe {      /* the cached database check */
        pthread_mutex_t mu; /* guards the rest */
        int64_t at_ms;      /* monotonic time of the last answer (0: none yet) */
        int64_t busy_ms;    /* when the check under way began (0: none) */
        bool ok;            /* the last answer */
    } probe;
} app_t;

/* The `account` column value under which account's REGIONAL resources in region are
 * stored (Service Catalog, CloudFormation, SSM, EC2): account itself in the store's home
 * region, "ACCOUNT/REGION" elsewhere. Written into out (cap >= 64). IAM and STS rows, which
 * are global, are stored under the bare account whatever the region. */
const char *app_scope(const app_t *app, const char *account, const char *region, char *out,
                      size_t cap);
/* Where a job acts: its payload's "account" and "region" members (every job is enqueued
 * with the account and region of the request that started it), and their scope. A payload
 * from before regions names neither: the default account in the home region, where such a
 * job's rows are. */
typedef struct app_where {
    char account[16], region[32], scope[64];
} app_where_t;
void app_where_of(const app_t *app, const char *payload, app_where_t *w);

/* The account a scope belongs to (the part before '/'), into out. */
const char *app_scope_account(const char *scope, char out[16]);
/* Makes sure the per-(account, region) defaults exist (the default VPC, its subnets, its
 * internet gateway and security group: ec2_network_install) before a call acts in region,
 * in a transaction of its own; remembered in memory afterwards, so it costs one lookup per
 * call. Must not be called inside a transaction. */
err_t app_region_ready(app_t *app, const char *account, const char *region, errbuf_t *eb);

/* Fills cfg with the defaults (127.0.0.1:4599, ./catalogd-data, 123456789012, us-east-1). */
void app_config_defaults(app_config_t *cfg);
/* Splits "HOST:PORT" / "[V6]:PORT" into host (cap bytes) and port; false when malformed. */
bool app_split_listen(const char *listen, char *host, size_t cap, int *port);
/* Checks the data directory without changing anything (store_check, then the sealing key
 * when a database exists), then opens the store (migrating it), the key store
 * (bootstrapping root), and the engine; does not start serving. */
err_t app_open(app_t *app, const app_config_t *cfg, errbuf_t *eb);
/* Starts the engine workers and the HTTP server on listen_fd (from http_listen; taken
 * over, closed on failure). */
err_t app_start(app_t *app, int listen_fd, errbuf_t *eb);
/* The first step of a graceful stop: /_catalogd/ready answers 503 from now on, so that
 * balancers send nothing new, and every answer closes its connection; requests are still
 * served. app_close follows (main.c waits --drain-seconds in between). */
void app_drain(app_t *app);
/* Stops serving (in-flight requests finish), stops the engine, closes the store. */
void app_close(app_t *app);

#endif
