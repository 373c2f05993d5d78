/* pool.c - the node pool: settings, which instances are managed nodes (node_target_for),
 * the node.h entry points (a connection per call, then the run protocol of wrap.c), and
 * the ping cache with its thread, so DescribeInstanceInformation only reads. */
#include "node/node_int.h"

#include "core/jx.h"
#include "core/log.h"
#include "core/mem.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PING_MAX     1024 /* cached targets */
#define PING_TIMEOUT 3000

typedef struct ping_entry {
    char key[600];
    char id[64], host[256], user[64], key_id[64];
    node_transport_t transport;
    int port;
    bool want, busy;
    int64_t asked_ms;
    node_ping_info_t info;
} ping_entry_t;

struct node_pool {
    char data_dir[1024];
    char seal_key_file[1024];
    char transport[8];
    char local_user[64];
    char ssh_host[256], ssh_user[64], ssh_key[64];
    int ssh_port;
    int64_t ping_ms;
    node_local_t local;
    bool have_local;
    char local_base[1100], recdir[1100];

    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
    bool thread_on, stop;
    ping_entry_t *pings;
    size_t n_pings;
    node_bg_t *bg; /* work on the pool's own threads (bg.c) */
};

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *node_pool_data_dir(const node_pool_t *p)
{
    return p->data_dir;
}

const char *node_pool_seal_key_file(const node_pool_t *p)
{
    return p->seal_key_file;
}

node_bg_t *node_pool_bg(node_pool_t *p)
{
    return p->bg;
}

void node_pool_quiesce(node_pool_t *p)
{
    if (p) node_bg_quiesce(p->bg);
}

err_t node_pool_open(const node_config_t *c, node_pool_t **out, errbuf_t *eb)
{
    *out = NULL;
    node_pool_t *p = xcalloc(1, sizeof(*p));
    snprintf(p->data_dir, sizeof(p->data_dir), "%s", c->data_dir ? c->data_dir : ".");
    snprintf(p->seal_key_file, sizeof(p->seal_key_file), "%s",
             c->seal_key_file ? c->seal_key_file : "");
    snprintf(p->transport, sizeof(p->transport), "%s", c->transport ? c->transport : "");
    snprintf(p->local_user, sizeof(p->local_user), "%s", c->local_user ? c->local_user : "");
    snprintf(p->ssh_host, sizeof(p->ssh_host), "%s", c->ssh_host ? c->ssh_host : "");
    snprintf(p->ssh_user, sizeof(p->ssh_user), "%s", c->ssh_user ? c->ssh_user : "");
    snprintf(p->ssh_key, sizeof(p->ssh_key), "%s",
             c->ssh_key && *c->ssh_key ? c->ssh_key : "default");
    p->ssh_port = c->ssh_port > 0 ? c->ssh_port : 22;
    p->ping_ms = c->ping_ms > 0 ? c->ping_ms : 30000;
    snprintf(p->recdir, sizeof(p->recdir), "%s/node/.started", p->data_dir);
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    p->bg = node_bg_new();
    if (p->transport[0] && strcmp(p->transport, "local") && strcmp(p->transport, "ssh")) {
        node_pool_close(p);
        return err_fail(eb, ERR_VALIDATION, "--node-transport must be local or ssh");
    }
    if (!strcmp(p->transport, "local") && !p->local_user[0]) {
        node_pool_close(p);
        return err_fail(eb, ERR_VALIDATION, "--node-transport local needs --node-user USER");
    }
    if (p->local_user[0]) {
        err_t rc = node_local_init(&p->local, p->local_user, eb);
        if (rc) {
            node_pool_close(p);
            return rc;
        }
        p->have_local = true;
        snprintf(p->local_base, sizeof(p->local_base), "%s/node/%s", p->data_dir, p->local.user);
    }
    *out = p;
    return ERR_OK;
}

void node_pool_close(node_pool_t *p)
{
    if (!p) return;
    node_bg_free(p->bg); /* its threads use the pool: they end first */
    if (p->thread_on) {
        pthread_mutex_lock(&p->mu);
        p->stop = true;
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
        pthread_join(p->thread, NULL);
    }
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p->pings);
    free(p);
}

static const char *tag_value(const cJSON *tags, const char *key)
{
    for (const cJSON *t = tags ? tags->child : NULL; t; t = t->next) {
        const char *k = jx_str(t, "Key");
        if (k && !strcmp(k, key)) return jx_str(t, "Value");
    }
    return NULL;
}

bool node_target_for(const node_pool_t *p, const char *instance_id, const struct cJSON *tags,
                     node_target_t *t)
{
    memset(t, 0, sizeof(*t));
    t->instance_id = instance_id;
    const char *tr = tag_value(tags, "catalogd:node-transport");
    if (!tr) tr = p->transport;
    if (!strcmp(tr, "local") && p->have_local) {
        t->transport = NODE_LOCAL;
        t->user = p->local.user;
        return true;
    }
    if (strcmp(tr, "ssh") != 0) return false;
    const char *host = tag_value(tags, "catalogd:node-host");
    const char *port = tag_value(tags, "catalogd:node-port");
    const char *user = tag_value(tags, "catalogd:node-user");
    const char *key = tag_value(tags, "catalogd:node-key");
    t->host = host && *host ? host : p->ssh_host;
    t->user = user && *user ? user : p->ssh_user;
    t->key_id = key && *key ? key : p->ssh_key;
    long pn = port ? strtol(port, NULL, 10) : 0;
    t->port = pn > 0 && pn < 65536 ? (int)pn : p->ssh_port;
    if (!t->host[0] || !t->user[0]) {
        t->transport = NODE_NONE;
        return false;
    }
    t->transport = NODE_SSH;
    return true;
}

/* A connection for t, or NULL with why in detail (*transient when a later try may
 * connect). */
static node_conn_t *pool_connect(node_pool_t *p, const node_target_t *t, const char **recdir,
                                 char *detail, size_t cap, bool *transient)
{
    *recdir = p->recdir;
    *transient = false;
    switch (t->transport) {
    case NODE_LOCAL:
        if (!p->have_local) {
            snprintf(detail, cap, "no --node-user is configured for local commands");
            return NULL;
        }
        if (t->user && t->user[0] && strcmp(t->user, p->local.user) != 0) {
            snprintf(detail, cap, "local commands run only as %s", p->local.user);
            return NULL;
        }
        return node_conn_local(&p->local, p->local_base);
    case NODE_SSH:
        return node_conn_ssh(p, t, detail, cap, transient);
    default:
        snprintf(detail, cap, "the instance is not a managed node");
        return NULL;
    }
}

err_t node_poll(node_pool_t *p, const node_target_t *t, const node_run_t *r, node_status_t *st,
                errbuf_t *eb)
{
    memset(st, 0, sizeof(*st));
    const char *recdir;
    bool transient;
    node_conn_t *c = pool_connect(p, t, &recdir, st->detail, sizeof(st->detail), &transient);
    if (!c) {
        /* a run this pool started keeps running where it is, unseen for now */
        char path[4400];
        snprintf(path, sizeof(path), "%s/%s", recdir, node_run_id_ok(r->run_id) ? r->run_id : "-");
        st->state = access(path, F_OK) == 0 ? NODE_RUN_RUNNING
                    : transient             ? NODE_RUN_DELAYED
                                            : NODE_RUN_UNDELIVERABLE;
        return ERR_OK;
    }
    err_t rc = node_run_poll(c, recdir, r, st, eb);
    node_conn_close(c);
    return rc;
}

err_t node_cancel(node_pool_t *p, const node_target_t *t, const char *run_id, errbuf_t *eb)
{
    const char *recdir;
    char detail[256];
    bool transient;
    node_conn_t *c = pool_connect(p, t, &recdir, detail, sizeof(detail), &transient);
    if (!c) return err_fail(eb, ERR_UNAVAILABLE, "cannot reach the node: %s", detail);
    err_t rc = node_run_cancel(c, recdir, run_id, eb);
    node_conn_close(c);
    return rc;
}

err_t node_output(node_pool_t *p, const node_target_t *t, const char *run_id, int which,
                  size_t offset, char *buf, size_t cap, size_t *n, size_t *total, errbuf_t *eb)
{
    *n = *total = 0;
    const char *recdir;
    char detail[256];
    bool transient;
    node_conn_t *c = pool_connect(p, t, &recdir, detail, sizeof(detail), &transient);
    if (!c) return err_fail(eb, ERR_UNAVAILABLE, "cannot reach the node: %s", detail);
    err_t rc = node_run_output(c, run_id, which, offset, buf, cap, n, total, eb);
    node_conn_close(c);
    return rc;
}

void node_cleanup(node_pool_t *p, const node_target_t *t, const char *run_id)
{
    const char *recdir;
    char detail[256];
    bool transient;
    node_conn_t *c = pool_connect(p, t, &recdir, detail, sizeof(detail), &transient);
    if (c) node_run_cleanup(c, recdir, run_id);
    node_conn_close(c);
}

/* Reaches t and asks it who it is: info->online, detail, and the node's names. */
static void pool_ping(node_pool_t *p, const node_target_t *t, node_ping_info_t *info)
{
    const char *recdir;
    bool transient;
    info->online = false;
    info->detail[0] = '\0';
    node_conn_t *c = pool_connect(p, t, &recdir, info->detail, sizeof(info->detail), &transient);
    if (!c) return;
    node_shres_t res = {0};
    errbuf_t eb;
    err_t rc = node_conn_sh(c,
                            "uname -n; NAME=Linux; VERSION_ID=; . /etc/os-release 2>/dev/null;"
                            " printf '%s\\n%s\\n' \"$NAME\" \"$VERSION_ID\"",
                            span_of(""), 1024, &res, &eb);
    info->online = !rc && res.reached && res.status == 0;
    if (!info->online)
        snprintf(info->detail, sizeof(info->detail), "%.200s", rc ? eb.msg : res.detail);
    else {
        char *save = NULL, *text = res.out.p ? res.out.p : (char *)"";
        char *lines[3] = {NULL, NULL, NULL};
        for (int i = 0; i < 3; i++) lines[i] = strtok_r(i ? NULL : text, "\n", &save);
        snprintf(info->computer_name, sizeof(info->computer_name), "%s", lines[0] ? lines[0] : "");
        snprintf(info->platform_name, sizeof(info->platform_name), "%s", lines[1] ? lines[1] : "");
        snprintf(info->platform_version, sizeof(info->platform_version), "%s",
                 lines[2] ? lines[2] : "");
    }
    buf_free(&res.out);
    node_conn_close(c);
}

bool node_ping(node_pool_t *p, const node_target_t *t, int64_t timeout_ms, char *detail, size_t cap)
{
    (void)timeout_ms; /* bounded by NODE_CONNECT_TIMEOUT_MS and NODE_CMD_TIMEOUT_MS */
    node_ping_info_t info = {0};
    pool_ping(p, t, &info);
    if (cap) snprintf(detail, cap, "%s", info.detail);
    return info.online;
}

/* --- the ping cache --- */

static void ping_key(const node_target_t *t, char *out, size_t cap)
{
    snprintf(out, cap, "%s|%d|%s|%d|%s|%s", t->instance_id ? t->instance_id : "", (int)t->transport,
             t->host ? t->host : "", t->port, t->user ? t->user : "", t->key_id ? t->key_id : "");
}

static void *ping_thread(void *arg)
{
    node_pool_t *p = arg;
    pthread_mutex_lock(&p->mu);
    while (!p->stop) {
        ping_entry_t *e = NULL;
        for (size_t i = 0; i < p->n_pings && !e; i++)
            if (p->pings[i].want && !p->pings[i].busy) e = &p->pings[i];
        if (!e) {
            pthread_cond_wait(&p->cv, &p->mu);
            continue;
        }
        ping_entry_t copy = *e;
        e->busy = true;
        pthread_mutex_unlock(&p->mu);
        node_target_t t = {.instance_id = copy.id,
                           .transport = copy.transport,
                           .host = copy.host,
                           .port = copy.port,
                           .user = copy.user,
                           .key_id = copy.key_id};
        node_ping_info_t info = copy.info;
        pool_ping(p, &t, &info);
        info.known = true;
        info.at_ms = wall_ms();
        if (info.online) info.last_ok_ms = info.at_ms;
        /* a node that comes or goes (or fails differently) is worth one line */
        if (info.online != copy.info.online || !copy.info.known ||
            strcmp(info.detail, copy.info.detail) != 0) {
            char esc[600];
            if (info.online)
                log_info("managed node online", "\"instance\":\"%s\"", copy.id);
            else
                log_warn("managed node unreachable", "\"instance\":\"%s\",\"detail\":\"%s\"",
                         copy.id, log_escape(esc, sizeof(esc), info.detail));
        }
        pthread_mutex_lock(&p->mu);
        for (size_t i = 0; i < p->n_pings; i++) {
            ping_entry_t *x = &p->pings[i];
            if (strcmp(x->key, copy.key) != 0) continue;
            x->busy = x->want = false;
            x->info = info;
        }
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

void node_ping_cached(node_pool_t *p, const node_target_t *t, node_ping_info_t *out)
{
    memset(out, 0, sizeof(*out));
    char key[600];
    ping_key(t, key, sizeof(key));
    int64_t now = wall_ms();
    pthread_mutex_lock(&p->mu);
    ping_entry_t *e = NULL;
    for (size_t i = 0; i < p->n_pings && !e; i++)
        if (!strcmp(p->pings[i].key, key)) e = &p->pings[i];
    if (!e) {
        if (p->n_pings == PING_MAX) { /* forget the least recently asked */
            size_t old = 0;
            for (size_t i = 1; i < p->n_pings; i++)
                if (!p->pings[i].busy && p->pings[i].asked_ms < p->pings[old].asked_ms) old = i;
            p->pings[old] = p->pings[--p->n_pings];
        }
        if (!p->pings) p->pings = xcalloc(PING_MAX, sizeof(*p->pings));
        e = &p->pings[p->n_pings++];
        memset(e, 0, sizeof(*e));
        snprintf(e->key, sizeof(e->key), "%s", key);
        snprintf(e->id, sizeof(e->id), "%s", t->instance_id ? t->instance_id : "");
        snprintf(e->host, sizeof(e->host), "%s", t->host ? t->host : "");
        snprintf(e->user, sizeof(e->user), "%s", t->user ? t->user : "");
        snprintf(e->key_id, sizeof(e->key_id), "%s", t->key_id ? t->key_id : "");
        e->transport = t->transport;
        e->port = t->port;
    }
    e->asked_ms = now;
    if (!e->info.known || now - e->info.at_ms >= p->ping_ms) {
        e->want = true;
        if (!p->thread_on && pthread_create(&p->thread, NULL, ping_thread, p) == 0)
            p->thread_on = true;
        pthread_cond_signal(&p->cv);
    }
    *out = e->info;
    pthread_mutex_unlock(&p->mu);
}
