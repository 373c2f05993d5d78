/* app.c - building and tearing down the daemon's components in dependency order. */
#include "app.h"

#include "api/api.h"
#include "auth/seal_store.h"
#include "iam/grants.h"
#include "iam/identity.h"
#include "iam/managed.h"
#include "svc/cloudformation/cfn.h"
#include "svc/ec2/ec2.h"
#include "svc/organizations/org.h"
#include "svc/servicecatalog/sc.h"
#include "svc/ssm/ssm.h"
#include "proto/proto.h"
#include "res/res.h"
#include "core/mem.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>

/* The fetch threads: template URLs read at once, and how many more may wait for one (past
 * that a request is answered with the service's throttling error). */
#define APP_FETCH_THREADS 8
#define APP_FETCH_QUEUE   16
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void app_config_defaults(app_config_t *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    snprintf(cfg->listen, sizeof(cfg->listen), "127.0.0.1:4599");
    snprintf(cfg->data_dir, sizeof(cfg->data_dir), "./catalogd-data");
    snprintf(cfg->account_id, sizeof(cfg->account_id), "123456789012");
    snprintf(cfg->region, sizeof(cfg->region), "us-east-1");
    cfg->log_level = LOG_INFO;
    cfg->http_threads = 2;
    cfg->workers = 2;
    cfg->max_body = 8 * 1024 * 1024;
    cfg->max_header = 16 * 1024;
    cfg->timeout_s = 60;
    /* max_conns (main.c), per-client limit, header and body deadlines: 0, the defaults
     * in src/http/server.c */
    cfg->lease_ms = 30000;
    cfg->sync_full = true;
    snprintf(cfg->ec2_provider, sizeof(cfg->ec2_provider), "emulated");
    cfg->ec2_delay_ms = 2000;
    cfg->ec2_exec_timeout_s = 300;
    cfg->automation_max_running = 100;
    cfg->automation_max_queued = 1000;
    cfg->sc_max_actions = 200;
    cfg->sc_max_actions_per_artifact = 25;
    cfg->node_ssh_port = 22;
    snprintf(cfg->node_ssh_key, sizeof(cfg->node_ssh_key), "default");
    cfg->node_ping_ms = 30000;
}

/* The engine's after-commit hook: a step's in-process calls ask for exactly the work a
 * request's handlers do, and it runs the same way. */
static void app_post_commit(void *app, unsigned post)
{
    api_post_commit(app, post);
}

/* What another node (or this one) published after a commit (store_publish): the same
 * work api_post_commit does here, for changes this process did not make. "*": messages
 * may have been lost (the listener reconnected), so all of it. */
static void app_on_event(void *ud, const char *msg)
{
    app_t *app = ud;
    bool all = !strcmp(msg, "*");
    if (all || !strcmp(msg, "auth")) auth_keys_invalidate(app->keys);
    if (all || !strcmp(msg, "wake")) engine_notify(app->engine);
}

/* Reads the store's home region from `meta`, recording cfg->region there at the first
 * start (a store from before regions records it too: its rows are where the home region's
 * are looked for). */
static err_t app_home_region(app_t *app, errbuf_t *eb)
{
    store_tx_t *tx;
    store_stmt_t *st;
    bool row = false;
    err_t rc = store_begin(app->store, true, &tx, eb);
    if (rc) return rc;
    rc = store_exec(tx, eb, NULL,
                    "INSERT INTO meta (key, value) VALUES ('home_region', ?)"
                    " ON CONFLICT (key) DO NOTHING",
                    "s", app->cfg.region);
    if (!rc) rc = store_query(tx, eb, &st, "SELECT value FROM meta WHERE key = 'home_region'", "");
    if (!rc) rc = store_step(st, &row, eb);
    if (!rc && !row) rc = err_fail(eb, ERR_STORE, "the store's home region is not recorded");
    if (!rc) snprintf(app->home_region, sizeof(app->home_region), "%s", store_col_text(st, 0));
    if (!rc)
        rc = store_commit(tx, eb);
    else
        store_rollback(tx);
    return rc;
}

const char *app_scope(const app_t *app, const char *account, const char *region, char *out,
                      size_t cap)
{
    if (!strcmp(region, app->home_region))
        snprintf(out, cap, "%s", account);
    else
        snprintf(out, cap, "%s/%s", account, region);
    return out;
}

void app_where_of(const app_t *app, const char *payload, app_where_t *w)
{
    cJSON *p = cJSON_Parse(payload);
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(p, "account");
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(p, "region");
    bool named = cJSON_IsString(a) && cJSON_IsString(r);
    /* the default account in the home region: the one place a job without them acted */
    snprintf(w->account, sizeof(w->account), "%s", named ? a->valuestring : app->cfg.account_id);
    snprintf(w->region, sizeof(w->region), "%s", named ? r->valuestring : app->home_region);
    app_scope(app, w->account, w->region, w->scope, sizeof(w->scope));
    cJSON_Delete(p);
}

const char *app_scope_account(const char *scope, char out[16])
{
    size_t n = strcspn(scope, "/");
    snprintf(out, 16, "%.*s", (int)(n < 15 ? n : 15), scope);
    return out;
}

err_t app_region_ready(app_t *app, const char *account, const char *region, errbuf_t *eb)
{
    char scope[64];
    app_scope(app, account, region, scope, sizeof(scope));
    pthread_mutex_lock(&app->regions_mu);
    bool ready = false;
    for (size_t i = 0; i < app->ready.n && !ready; i++) ready = !strcmp(app->ready.v[i], scope);
    pthread_mutex_unlock(&app->regions_mu);
    if (ready) return ERR_OK;
    /* idempotent (ec2_network_install looks for its own record first), so two first calls
     * racing here both succeed and one of them installs */
    err_t rc = ec2_network_install(app, account, region, eb);
    if (rc) return rc;
    pthread_mutex_lock(&app->regions_mu);
    if (app->ready.n == app->ready.cap) {
        app->ready.cap = app->ready.cap ? 2 * app->ready.cap : 16;
        app->ready.v = xrealloc(app->ready.v, app->ready.cap * sizeof(app->ready.v[0]));
    }
    snprintf(app->ready.v[app->ready.n++], sizeof(app->ready.v[0]), "%s", scope);
    pthread_mutex_unlock(&app->regions_mu);
    return ERR_OK;
}

/* This node's id, kept in DATA_DIR/node-id (made at the first start: 16 random hex
 * characters), so a node restarted on its data directory is the same node to the engine's
 * pins (engine_pin) and finds the runs it left there. */
static err_t app_node_id(app_t *app, errbuf_t *eb)
{
    char path[1100];
    snprintf(path, sizeof(path), "%s/node-id", app->cfg.data_dir);
    FILE *f = fopen(path, "r");
    if (f) {
        char line[64] = "";
        bool ok = fgets(line, sizeof(line), f) != NULL;
        fclose(f);
        line[strcspn(line, "\r\n")] = '\0';
        ok = ok && strlen(line) == 16 && strspn(line, "0123456789abcdef") == 16;
        if (!ok)
            return err_fail(eb, ERR_STORE, "%s is damaged: remove it (a new id is made)", path);
        snprintf(app->node_id, sizeof(app->node_id), "%.16s", line);
        return ERR_OK;
    }
    ids_chars(&app->ids, "", "0123456789abcdef", 16, app->node_id);
    char tmp[1200];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    f = fopen(tmp, "w");
    bool ok = f && fprintf(f, "%s\n", app->node_id) > 0;
    if (f) ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, path) != 0)
        return err_fail(eb, ERR_STORE, "cannot write %s: %s", path, strerror(errno));
    return ERR_OK;
}

err_t app_open(app_t *app, const app_config_t *cfg, errbuf_t *eb)
{
    memset(app, 0, sizeof(*app));
    app->cfg = *cfg;
    pthread_mutex_init(&app->regions_mu, NULL);
    pthread_mutex_init(&app->probe.mu, NULL);
    app->probe.ok = true; /* until a check says otherwise (store_open has just succeeded) */
    app->clock = clk_system(cfg->clock_offset_ms);
    app->wall = clk_system(cfg->clock_offset_ms);
    ids_init_system(&app->ids);
    proto_patterns_init();
    app->fetch.file_root = app->cfg.template_dir;
    app->fetch.cancel = &app->fetch_cancel;
    err_t rc = prov_fetch_allow_parse(&app->fetch, cfg->fetch_allow, eb);
    if (rc) return rc; /* a bad flag: nothing created yet */

    /* refusals first, before anything is created or changed (docs/internals/store.md) */
    bool exists = false;
    /* the key file must open this database's secrets before a migration changes it */
    seal_src_t src = {.data_dir = cfg->data_dir, .key_file = cfg->seal_key_file, .ids = &app->ids};
    store_opts_t so = {.data_dir = cfg->data_dir,
                       .url = cfg->database_url,
                       .pool = cfg->db_pool,
                       .exclusive = true,
                       .sync_full = cfg->sync_full,
                       .before_migrate = seal_store_check,
                       .before_ud = &src};
    rc = store_check_opts(&so, &exists, eb);
    if (!rc && so.url[0]) rc = store_check(cfg->data_dir, &(bool){false}, eb); /* key, runs */
    seal_t probe;
    if (!rc && exists)
        rc = seal_open(&probe, cfg->data_dir, cfg->seal_key_file, false, &app->ids, eb);
    explicit_bzero(&probe, sizeof(probe));
    if (rc) return rc;
    node_config_t nc = {.data_dir = cfg->data_dir,
                        .seal_key_file = cfg->seal_key_file,
                        .transport = cfg->node_transport,
                        .local_user = cfg->node_user,
                        .ssh_host = cfg->node_ssh_host,
                        .ssh_port = cfg->node_ssh_port,
                        .ssh_user = cfg->node_ssh_user,
                        .ssh_key = cfg->node_ssh_key,
                        .ping_ms = cfg->node_ping_ms};
    rc = node_pool_open(&nc, &app->nodes, eb);
    if (rc) return rc;
    rc = store_open(&so, &app->store, eb);
    /* other nodes change keys too: a lookup cached here is read again after a second even
     * when their "auth" notification is lost (docs/internals/cluster.md) */
    auth_keys_opts_t ko = {.store = app->store,
                           .data_dir = cfg->data_dir,
                           .seal_key_file = cfg->seal_key_file,
                           .account = cfg->account_id,
                           .ids = &app->ids,
                           .max_age_ms = !rc && store_shared(app->store) ? 1000 : 0};
    if (!rc) rc = auth_keys_open(&ko, &app->keys, eb);
    if (!rc) auth_keys_set_resolver(app->keys, iam_identity_resolve, NULL);
    if (!rc) app->grants = iam_grants_cache_new(ko.max_age_ms); /* same safety net */
    if (!rc) rc = seal_store_record(auth_keys_seal(app->keys), app->store, &app->ids, eb);
    if (!rc) rc = app_node_id(app, eb);
    if (!rc) rc = app_home_region(app, eb);
    if (!rc) rc = iam_managed_install(app->store, clk_now_ms(&app->clock), eb);
    if (!rc)
        rc = auth_bootstrap_root(app->keys, cfg->root_key_id, cfg->root_secret,
                                 &app->root_generated, app->root_key_id, eb);
    engine_opts_t eo = {.store = app->store,
                        .clock = &app->clock,
                        .ids = &app->ids,
                        .app = app,
                        .workers = cfg->workers,
                        .lease_ms = cfg->lease_ms,
                        /* a shared store's leases may be other nodes': they expire */
                        .reclaim_on_start = app->store && !store_shared(app->store),
                        .node_id = app->node_id,
                        .after_commit = app_post_commit};
    if (!rc) rc = engine_create(&eo, &app->engine, eb);
    if (!rc) engine_register_probe(app->engine);
    if (!rc) ec2_register_jobs(app);
    if (!rc) cfn_register_jobs(app);
    if (!rc) ssm_register_jobs(app);
    if (!rc) sc_register_jobs(app);
    if (!rc) org_register_jobs(app);
    if (!rc) sc_register_keys();
    if (!rc) ssm_register_keys();
    if (!rc) rc = org_install(app->store, cfg->account_id, clk_now_ms(&app->wall), eb);
    if (!rc) rc = res_keys_backfill(app->store, NULL, eb); /* every account and region */
    if (!rc) rc = ssm_install_aws_documents(app->store, clk_now_ms(&app->clock), eb);
    /* the default account's defaults in the default region now; any other (account, region)
     * gets its own before its first call acts (app_region_ready, from api_invoke) */
    if (!rc) rc = app_region_ready(app, cfg->account_id, cfg->region, eb);
    if (rc) app_close(app);
    return rc;
}

bool app_split_listen(const char *listen, char *host, size_t cap, int *port)
{
    const char *colon = strrchr(listen, ':');
    if (!colon || colon == listen) return false;
    const char *h = listen;
    size_t n = (size_t)(colon - listen);
    if (h[0] == '[' && n >= 2 && h[n - 1] == ']') h++, n -= 2;
    if (n == 0 || n >= cap) return false;
    memcpy(host, h, n);
    host[n] = '\0';
    char *end;
    long p = strtol(colon + 1, &end, 10);
    if (*end || end == colon + 1 || p < 0 || p > 65535) return false;
    *port = (int)p;
    return true;
}

err_t app_start(app_t *app, int listen_fd, errbuf_t *eb)
{
    char host[128];
    int port;
    if (!app_split_listen(app->cfg.listen, host, sizeof(host), &port)) {
        close(listen_fd);
        return err_fail(eb, ERR_INTERNAL, "--listen wants HOST:PORT, got '%s'", app->cfg.listen);
    }
    err_t rc = engine_start(app->engine, eb);
    if (!rc) rc = store_listen(app->store, app_on_event, app, eb); /* other nodes' commits */
    if (!rc) rc = workq_start(APP_FETCH_THREADS, APP_FETCH_QUEUE, &app->fetchq, eb);
    http_opts_t ho = {.host = host,
                      .port = port,
                      .threads = app->cfg.http_threads,
                      .max_body = app->cfg.max_body,
                      .max_header = app->cfg.max_header,
                      .timeout_s = app->cfg.timeout_s,
                      .max_conns = app->cfg.max_conns,
                      .max_conns_per_client = app->cfg.max_conns_per_client,
                      .header_timeout_s = app->cfg.header_timeout_s,
                      .body_timeout_s = app->cfg.body_timeout_s,
                      .listen_fd = listen_fd,
                      .handler = api_http_handle,
                      .ud = app,
                      .ids = &app->ids};
    if (!rc) return http_start(&ho, &app->http, eb);
    close(listen_fd);
    return rc;
}

void app_drain(app_t *app)
{
    atomic_store(&app->draining, true);
    http_drain(app->http);
}

void app_close(app_t *app)
{
    /* fetches first: each resumes its deferred request, and the HTTP server stops only with
     * none left waiting (a request that comes meanwhile is told ServiceUnavailable) */
    atomic_store(&app->fetch_cancel, true);
    workq_stop(app->fetchq);
    http_stop(app->http);
    workq_free(app->fetchq);
    app->fetchq = NULL;
    app->http = NULL;
    node_pool_quiesce(app->nodes); /* its threads' wakes use the engine and the store */
    if (app->store) store_unlisten(app->store); /* its calls use the engine and the keys */
    engine_destroy(app->engine);
    app->engine = NULL;
    auth_keys_close(app->keys);
    app->keys = NULL;
    iam_grants_cache_free(app->grants);
    app->grants = NULL;
    store_close(app->store);
    app->store = NULL;
    node_pool_close(app->nodes);
    app->nodes = NULL;
    free(app->ready.v);
    app->ready = (struct app_ready){0};
}
