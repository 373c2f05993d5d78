/* bg.c - node work on the pool's own threads, for callers that must never wait on a node
 * (an engine step polling many runs: one node that hangs on connect must not hold up the
 * others). A poll is a task keyed by its run id: the first node_poll_bg starts it on a
 * thread, later calls find it running or collect what it found; an ended run's outputs
 * are copied to files by the same thread. Cancels and cleanups run the same way without
 * a result. Every thread is counted, and the pool's close waits for them. */
#include "node/node_int.h"

#include "core/log.h"
#include "core/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BG_KEEP_MS (10 * 60 * 1000) /* an uncollected result is forgotten after this */
#define BG_CHUNK   (1024 * 1024)    /* output copied in pieces of this */

typedef enum bg_kind { BG_POLL, BG_CANCEL, BG_CLEANUP } bg_kind_t;

typedef struct bg_task {
    struct bg_task *next;
    node_bg_t *bg;
    node_pool_t *pool;
    bg_kind_t kind;
    char run_id[200];
    /* the target and the run, owned copies */
    node_target_t t;
    char id[64], host[256], user[64], key_id[64];
    node_run_t r;
    char *script, *workdir, **env;
    char *out_path[2];
    void (*wake)(void *ctx, const char *key);
    void *wake_ctx;
    char wake_key[200];
    /* what it found (BG_POLL) */
    bool done;
    int64_t done_ms;
    err_t rc;
    node_status_t st;
} bg_task_t;

struct node_bg {
    pthread_mutex_t mu;
    pthread_cond_t idle;
    int running;
    bool closing;
    bg_task_t *polls; /* running or awaiting collection */
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

node_bg_t *node_bg_new(void)
{
    node_bg_t *bg = xcalloc(1, sizeof(*bg));
    pthread_mutex_init(&bg->mu, NULL);
    pthread_cond_init(&bg->idle, NULL);
    return bg;
}

static void task_free(bg_task_t *k)
{
    free(k->script);
    free(k->workdir);
    for (char **e = k->env; e && *e; e++) free(*e);
    free(k->env);
    free(k->out_path[0]);
    free(k->out_path[1]);
    free(k);
}

void node_bg_quiesce(node_bg_t *bg)
{
    if (!bg) return;
    pthread_mutex_lock(&bg->mu);
    bg->closing = true;
    while (bg->running) pthread_cond_wait(&bg->idle, &bg->mu);
    pthread_mutex_unlock(&bg->mu);
}

void node_bg_free(node_bg_t *bg)
{
    if (!bg) return;
    node_bg_quiesce(bg);
    for (bg_task_t *k = bg->polls, *next; k; k = next) {
        next = k->next;
        task_free(k);
    }
    pthread_mutex_destroy(&bg->mu);
    pthread_cond_destroy(&bg->idle);
    free(bg);
}

/* Copies run_id's stream which (1 stdout, 2 stderr) whole to path (directories made,
 * written to path.tmp, fsynced, renamed); an unreadable output leaves what was read. */
static void bg_save(bg_task_t *k, int which, const char *path)
{
    char dir[1200];
    snprintf(dir, sizeof(dir), "%s", path);
    for (char *s = strchr(dir + 1, '/'); s; s = strchr(s + 1, '/')) {
        *s = '\0';
        (void)mkdir(dir, 0700);
        *s = '/';
    }
    char tmp[1300];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        log_warn("cannot keep a command's output", "\"path\":\"%s\"", tmp);
        return;
    }
    char *buf = xmalloc(BG_CHUNK);
    size_t off = 0, total = 0, got = 0;
    bool ok = true;
    do {
        errbuf_t eb = {0};
        got = 0;
        if (node_output(k->pool, &k->t, k->run_id, which, off, buf, BG_CHUNK, &got, &total, &eb))
            break;
        for (size_t w = 0; ok && w < got;) {
            ssize_t n = write(fd, buf + w, got - w);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) ok = false;
            if (n > 0) w += (size_t)n;
        }
        off += got;
    } while (ok && got && off < total && off < NODE_OUTPUT_CAP);
    free(buf);
    ok = ok && fsync(fd) == 0;
    close(fd);
    if (!ok || rename(tmp, path) != 0) unlink(tmp);
}

static void *bg_main(void *arg)
{
    bg_task_t *k = arg;
    node_bg_t *bg = k->bg;
    errbuf_t eb = {0};
    if (k->kind == BG_POLL) {
        node_status_t st;
        err_t rc = node_poll(k->pool, &k->t, &k->r, &st, &eb);
        bool ended = !rc && st.state != NODE_RUN_RUNNING && st.state != NODE_RUN_DELAYED &&
                     st.state != NODE_RUN_UNDELIVERABLE;
        for (int w = 0; ended && w < 2; w++)
            if (k->out_path[w]) bg_save(k, w + 1, k->out_path[w]);
        if (rc) snprintf(st.detail, sizeof(st.detail), "%.200s", eb.msg);
        void (*wake)(void *, const char *) = k->wake;
        void *ctx = k->wake_ctx;
        char key[sizeof(k->wake_key)];
        memcpy(key, k->wake_key, sizeof(key));
        pthread_mutex_lock(&bg->mu);
        k->st = st;
        k->rc = rc;
        k->done = true;
        k->done_ms = mono_ms();
        pthread_mutex_unlock(&bg->mu);
        if (wake) wake(ctx, key); /* k may be collected and freed from here on */
        pthread_mutex_lock(&bg->mu);
    } else {
        if (k->kind == BG_CANCEL && node_cancel(k->pool, &k->t, k->run_id, &eb)) {
            char esc[600];
            log_warn("cancel of a command's run failed", "\"run\":\"%s\",\"detail\":\"%s\"",
                     k->run_id, log_escape(esc, sizeof(esc), eb.msg));
        }
        if (k->kind == BG_CLEANUP) node_cleanup(k->pool, &k->t, k->run_id);
        task_free(k);
        pthread_mutex_lock(&bg->mu);
    }
    if (--bg->running == 0) pthread_cond_broadcast(&bg->idle);
    pthread_mutex_unlock(&bg->mu);
    return NULL;
}

/* A task for t and run_id with owned copies (the run's parts only when r is given). */
static bg_task_t *task_new(node_pool_t *p, bg_kind_t kind, const node_target_t *t,
                           const char *run_id, const node_run_t *r, const char *const *paths)
{
    bg_task_t *k = xcalloc(1, sizeof(*k));
    k->pool = p;
    k->bg = node_pool_bg(p);
    k->kind = kind;
    snprintf(k->run_id, sizeof(k->run_id), "%s", run_id);
    snprintf(k->id, sizeof(k->id), "%s", t->instance_id ? t->instance_id : "");
    snprintf(k->host, sizeof(k->host), "%s", t->host ? t->host : "");
    snprintf(k->user, sizeof(k->user), "%s", t->user ? t->user : "");
    snprintf(k->key_id, sizeof(k->key_id), "%s", t->key_id ? t->key_id : "");
    k->t = (node_target_t){.instance_id = k->id,
                           .transport = t->transport,
                           .host = k->host,
                           .port = t->port,
                           .user = k->user,
                           .key_id = t->key_id ? k->key_id : NULL};
    if (r) {
        k->script = xmalloc(r->script_len + 1);
        if (r->script_len) memcpy(k->script, r->script, r->script_len);
        k->script[r->script_len] = '\0';
        k->workdir = r->workdir ? xstrdup(r->workdir) : NULL;
        size_t n = 0;
        while (r->env && r->env[n]) n++;
        k->env = r->env ? xcalloc(n + 1, sizeof(char *)) : NULL;
        for (size_t i = 0; i < n; i++) k->env[i] = xstrdup(r->env[i]);
        k->r = (node_run_t){.run_id = k->run_id,
                            .script = k->script,
                            .script_len = r->script_len,
                            .workdir = k->workdir,
                            .timeout_ms = r->timeout_ms,
                            .env = (const char *const *)k->env,
                            .wait_ms = r->wait_ms,
                            .no_start = r->no_start};
    }
    for (int w = 0; paths && w < 2; w++) k->out_path[w] = paths[w] ? xstrdup(paths[w]) : NULL;
    return k;
}

/* Starts k's thread (bg->mu held); false, k not taken, when the pool is closing, at its
 * limit, or a thread cannot be made. */
static bool bg_start(node_bg_t *bg, bg_task_t *k)
{
    if (bg->closing || bg->running >= NODE_BG_MAX) return false;
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    pthread_t th;
    bool ok = pthread_create(&th, &at, bg_main, k) == 0;
    pthread_attr_destroy(&at);
    if (ok) bg->running++;
    return ok;
}

err_t node_poll_bg(node_pool_t *p, const node_target_t *t, const node_run_t *r,
                   const char *const out_paths[2], const node_wake_t *wake, bool *ready,
                   node_status_t *st, errbuf_t *eb)
{
    *ready = false;
    memset(st, 0, sizeof(*st));
    if (!node_run_id_ok(r->run_id))
        return err_fail(eb, ERR_INTERNAL, "invalid run id '%.80s'", r->run_id);
    node_bg_t *bg = node_pool_bg(p);
    int64_t now = mono_ms();
    err_t rc = ERR_OK;
    pthread_mutex_lock(&bg->mu);
    bg_task_t **at = &bg->polls, *k = NULL;
    while (*at) {
        bg_task_t *x = *at;
        if (!strcmp(x->run_id, r->run_id)) {
            k = x;
            break;
        }
        if (x->done && now - x->done_ms > BG_KEEP_MS) { /* nobody came for it */
            *at = x->next;
            task_free(x);
            continue;
        }
        at = &x->next;
    }
    if (k && k->done) {
        *at = k->next;
        *ready = true;
        *st = k->st;
        if (k->rc) rc = err_fail(eb, k->rc, "%s", k->st.detail);
        task_free(k);
    } else if (!k) {
        k = task_new(p, BG_POLL, t, r->run_id, r, out_paths);
        if (wake && wake->fn) {
            k->wake = wake->fn;
            k->wake_ctx = wake->ctx;
            snprintf(k->wake_key, sizeof(k->wake_key), "%s", wake->key ? wake->key : "");
        }
        if (bg_start(bg, k)) {
            k->next = bg->polls;
            bg->polls = k;
        } else {
            task_free(k);
        }
    }
    pthread_mutex_unlock(&bg->mu);
    return rc;
}

bool node_poll_bg_done(node_pool_t *p, const char *run_id)
{
    node_bg_t *bg = node_pool_bg(p);
    bool done = false;
    pthread_mutex_lock(&bg->mu);
    for (const bg_task_t *k = bg->polls; k && !done; k = k->next)
        done = k->done && !strcmp(k->run_id, run_id);
    pthread_mutex_unlock(&bg->mu);
    return done;
}

/* Runs a cancel or a cleanup of run_id on a thread, not waiting for it. */
static void bg_fire(node_pool_t *p, bg_kind_t kind, const node_target_t *t, const char *run_id)
{
    if (!node_run_id_ok(run_id)) return;
    node_bg_t *bg = node_pool_bg(p);
    bg_task_t *k = task_new(p, kind, t, run_id, NULL, NULL);
    pthread_mutex_lock(&bg->mu);
    bool started = bg_start(bg, k);
    pthread_mutex_unlock(&bg->mu);
    if (!started) {
        log_warn("node work not started (the pool is busy or closing)", "\"run\":\"%s\"", run_id);
        task_free(k);
    }
}

void node_cancel_bg(node_pool_t *p, const node_target_t *t, const char *run_id)
{
    bg_fire(p, BG_CANCEL, t, run_id);
}

void node_cleanup_bg(node_pool_t *p, const node_target_t *t, const char *run_id)
{
    bg_fire(p, BG_CLEANUP, t, run_id);
}
