/* command_job.c - running a command: one engine job per command ("ssm.command") whose
 * every step reads the command and its invocations (a read transaction), looks at the
 * runs in progress on their nodes without waiting on any (node_poll_bg: each poll on a
 * thread of the node pool's, so a node that hangs holds up no other; never starts a run
 * twice, also across a restart; an ended run's whole outputs copied to the data
 * directory), starts pending ones as MaxConcurrency and MaxErrors allow, then writes the
 * new states and the command's aggregate status (AWS's, docs/internals/ssm.md) in the
 * step's transaction and looks again with engine_again. A node that does not answer is
 * Delayed and tried again until the delivery deadline (then DeliveryTimedOut); an
 * instance that is not a managed node, or a node that refuses us, is Undeliverable. */
#include "svc/ssm/cmd_int.h"

#include "core/clk.h"
#include "core/enc.h"
#include "core/log.h"
#include "core/mem.h"
#include "node/node.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CMD_POLL_MS      1000  /* the fallback look: background polls wake the job sooner */
#define CMD_WAIT_MS      5000  /* a background poll of a running run waits this for its end */
#define CMD_RETRY_MAX_MS 30000 /* the longest wait between two tries of a Delayed delivery */

/* ---- the node of an invocation */

/* Where instance inst's commands go (the pool's transport, or its tags at SendCommand);
 * NODE_NONE when it is not a managed node. */
static node_pool_t *cmd_node(app_t *app, const cJSON *inst, node_target_t *t)
{
    const char *id = jx_str(inst, "InstanceId");
    if (!app->nodes ||
        !node_target_for(app->nodes, id, cJSON_GetObjectItemCaseSensitive(inst, "Tags"), t))
        *t = (node_target_t){.instance_id = id, .transport = NODE_NONE};
    return app->nodes;
}

/* The state of instance inst when it is stopped or stopping (nothing can be delivered to
 * it now), else NULL. */
static const char *cmd_down(const cJSON *inst)
{
    const char *state = jx_str(cJSON_GetObjectItemCaseSensitive(inst, "State"), "Name");
    return state && (!strcmp(state, "stopped") || !strcmp(state, "stopping")) ? state : NULL;
}

/* Is invocation v waiting to deliver its current plugin's run to a stopped instance? */
static bool inv_waits_on_stop(const cJSON *v)
{
    const cJSON *p = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(v, "_Plugins"),
                                        (int)jx_int(v, "_Plugin", 0));
    return !cmd_terminal(jx_str(v, "Status")) && !jx_int(p, "_Start", 0) &&
           cmd_down(cJSON_GetObjectItemCaseSensitive(v, "_Instance"));
}

/* The instances that were stopped when last seen, looked at again (ec2:DescribeInstances
 * as Systems Manager itself, in the step's read transaction): one started since gets its
 * command. A failed look keeps what was known. */
static void cmd_refresh(engine_run_t *r, store_tx_t *rtx, cJSON *invs)
{
    cJSON *in = NULL, *ids = NULL, *out = NULL;
    for (const cJSON *v = invs->child; v; v = v->next) {
        if (!inv_waits_on_stop(v)) continue;
        if (!in) {
            in = cJSON_CreateObject();
            ids = cJSON_AddArrayToObject(in, "InstanceIds");
        }
        cJSON_AddItemToArray(ids, cJSON_CreateString(jx_str(v, "InstanceId")));
    }
    if (!in) return;
    app_t *app = r->app;
    app_where_t w;
    app_where_of(app, r->payload, &w);
    auth_principal_t svc;
    auth_service_principal(&svc, "ssm.amazonaws.com", w.account, w.region);
    errbuf_t eb = {0};
    if (!api_client_call_tx(app, rtx, &r->post, r->arena, &svc, "ec2", "DescribeInstances", in,
                            &out, &eb)) {
        const cJSON *rs = cJSON_GetObjectItemCaseSensitive(out, "Reservations");
        for (const cJSON *rv = rs ? rs->child : NULL; rv; rv = rv->next) {
            const cJSON *is = cJSON_GetObjectItemCaseSensitive(rv, "Instances");
            for (const cJSON *i = is ? is->child : NULL; i; i = i->next)
                for (cJSON *v = invs->child; v; v = v->next)
                    if (!strcmp(jx_str(v, "InstanceId"), jx_str(i, "InstanceId"))) {
                        jx_set(v, "_Instance", cJSON_Duplicate(i, 1));
                        if (!cmd_down(i)) /* back: deliver now, not at the next backoff */
                            cJSON_DeleteItemFromObjectCaseSensitive(v, "_NextTry");
                    }
        }
    }
    cJSON_Delete(out);
    cJSON_Delete(in);
}

/* ---- bookkeeping */

bool cmd_terminal(const char *s)
{
    static const char *const live[] = {"Pending", "InProgress", "Delayed", "Cancelling", NULL};
    for (const char *const *l = live; *l; l++)
        if (s && !strcmp(s, *l)) return false;
    return s != NULL;
}

err_t cmd_wake(app_t *app, store_tx_t *tx, cJSON *cmd, int64_t at_ms, errbuf_t *eb)
{
    return ssm_job_wake(app, tx, cmd, SSM_CMD_JOB, jx_str(cmd, "CommandId"), at_ms, eb);
}

static void set_status(cJSON *o, const char *status, const char *details)
{
    jx_set_str(o, "Status", status);
    jx_set_str(o, "StatusDetails", details);
}

bool cmd_is_error(const cJSON *inv)
{
    const char *d = jx_str(inv, "StatusDetails");
    return d && (!strcmp(d, "Failed") || !strcmp(d, "ExecutionTimedOut"));
}

void cmd_aggregate(cJSON *cmd, const cJSON *invs)
{
    int64_t n = 0, done = 0, failed = 0, xto = 0, dto = 0, ok = 0, cancelled = 0, undeliverable = 0;
    int64_t running = 0, delayed = 0;
    bool cancelling = false;
    for (const cJSON *v = invs->child; v; v = v->next) {
        const char *s = jx_str(v, "Status"), *d = jx_str(v, "StatusDetails");
        n++;
        running += !strcmp(s, "InProgress");
        delayed += !strcmp(s, "Delayed");
        cancelling |= !strcmp(s, "Cancelling");
        if (!cmd_terminal(s)) continue;
        done++;
        ok += !strcmp(s, "Success");
        cancelled += !strcmp(s, "Cancelled");
        dto += !strcmp(d, "DeliveryTimedOut");
        undeliverable += !strcmp(d, "Undeliverable");
        /* AWS counts Failed and ExecutionTimedOut against MaxErrors, not delivery
         * timeouts, undeliverable nodes, terminations or cancellations */
        failed += !strcmp(d, "Failed");
        xto += !strcmp(d, "ExecutionTimedOut");
    }
    int64_t errors = failed + xto;
    jx_set_num(cmd, "TargetCount", (double)n);
    jx_set_num(cmd, "CompletedCount", (double)done);
    jx_set_num(cmd, "ErrorCount", (double)errors);
    jx_set_num(cmd, "DeliveryTimedOutCount", (double)dto);
    int64_t max_errors = jx_int(cmd, "_Errors", 0);
    if (done < n) {
        /* Pending: sent to no node yet; Delayed: the system tried and will try again */
        if (cancelling)
            set_status(cmd, "Cancelling", "Cancelling");
        else if (running || done)
            set_status(cmd, "InProgress", delayed && !running ? "Delayed" : "InProgress");
        else
            set_status(cmd, "Pending", delayed ? "Delayed" : "Pending");
        return;
    }
    if (ok == n)
        set_status(cmd, "Success", "Success");
    else if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(cmd, "_Cancel")) && cancelled)
        set_status(cmd, "Cancelled", "Cancelled");
    else if (errors > max_errors && xto > max_errors && failed <= max_errors)
        set_status(cmd, "TimedOut", "ExecutionTimedOut");
    else if (errors > max_errors)
        set_status(cmd, "Failed", "Failed");
    else if (dto > max_errors)
        set_status(cmd, "TimedOut", "DeliveryTimedOut");
    else if (undeliverable == n) /* nothing could be delivered anywhere */
        set_status(cmd, "Failed", "Failed");
    else if (ok + undeliverable == n) /* undeliverable nodes do not make it Incomplete */
        set_status(cmd, "Success", "Success");
    else
        set_status(cmd, "Failed", "Incomplete");
}

/* ---- one invocation */

typedef struct crun {
    engine_run_t *r;
    app_t *app;
    cJSON *cmd;
    int64_t now;
    int64_t deadline; /* of delivery: RequestedDateTime + TimeoutSeconds */
    int64_t next;     /* when the job must look again at the latest */
    cJSON *waiting;   /* run ids whose background polls will wake the job */
    cJSON *cleanup;   /* run ids whose directories go once the step commits */
} crun_t;

/* Is the invocation named for cancellation? */
static bool inv_cancelled(const crun_t *x, const cJSON *inv)
{
    const cJSON *want = cJSON_GetObjectItemCaseSensitive(x->cmd, "_Cancel");
    for (const cJSON *w = want ? want->child : NULL; w; w = w->next)
        if (!strcmp(w->valuestring, "*") || !strcmp(w->valuestring, jx_str(inv, "InstanceId")))
            return true;
    return false;
}

/* The first cap characters of bytes [p, p+n) as valid UTF-8 (other bytes become U+FFFD). */
static char *cmd_text(const char *p, size_t n, size_t cap)
{
    buf_t b;
    buf_init(&b, cap * 4 + 1); /* a character is at most 4 bytes */
    size_t chars = 0;
    for (size_t i = 0; i < n && chars < cap; chars++) {
        unsigned char c = (unsigned char)p[i];
        size_t len = c < 0x80             ? 1
                     : (c & 0xE0) == 0xC0 ? 2
                     : (c & 0xF0) == 0xE0 ? 3
                     : (c & 0xF8) == 0xF0 ? 4
                                          : 0;
        if (len && i + len <= n && enc_utf8_valid((span_t){p + i, len}) && c) {
            buf_add(&b, p + i, len);
            i += len;
        } else {
            buf_adds(&b, c ? "\xEF\xBF\xBD" : "");
            if (!c) chars--;
            i++;
        }
    }
    char *s = xstrdup(buf_str(&b));
    buf_free(&b);
    return s;
}

/* The first CMD_API_OUTPUT characters of the file at path as text ("" when it is not
 * there). */
static char *cmd_file_text(const char *path)
{
    size_t cap = (size_t)CMD_API_OUTPUT * 4, n = 0;
    char *buf = xmalloc(cap);
    int fd = path[0] ? open(path, O_RDONLY | O_CLOEXEC) : -1;
    while (fd >= 0 && n < cap) {
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        n += (size_t)r;
    }
    if (fd >= 0) close(fd);
    char *s = cmd_text(buf, n, CMD_API_OUTPUT);
    free(buf);
    return s;
}

/* The files that keep plugin idx's whole outputs ("" when an id is not plain). */
static void cmd_paths(crun_t *x, const cJSON *inv, int idx, char out[2][1200])
{
    for (int w = 0; w < 2; w++)
        if (!cmd_output_path(x->app->cfg.data_dir, jx_str(inv, "CommandId"),
                             jx_str(inv, "InstanceId"), idx, w + 1, out[w], sizeof(out[w])))
            out[w][0] = '\0';
}

/* What the API shows of plugin idx's outputs, from the files the poll kept. */
static void cmd_collect(crun_t *x, const cJSON *inv, int idx, cJSON *p)
{
    char paths[2][1200];
    cmd_paths(x, inv, idx, paths);
    char *text[2] = {cmd_file_text(paths[0]), cmd_file_text(paths[1])};
    jx_set_str(p, "_Stdout", text[0]);
    jx_set_str(p, "_Stderr", text[1]);
    buf_t o;
    buf_init(&o, 2 * CMD_API_OUTPUT * 4 + 64);
    buf_adds(&o, text[0]);
    if (*text[1]) {
        buf_adds(&o, "\n----------ERROR-------\n");
        buf_adds(&o, text[1]);
    }
    char *out = cmd_text(buf_str(&o), o.len, CMD_LIST_OUTPUT);
    jx_set_str(p, "Output", out);
    free(out);
    buf_free(&o);
    free(text[0]);
    free(text[1]);
}

/* Plugin p has started (its run reached the node), now if not before. */
static void plugin_start(crun_t *x, cJSON *p)
{
    if (jx_int(p, "_Start", 0)) return;
    jx_set_num(p, "_Start", (double)x->now);
    jx_set_num(p, "ResponseStartDateTime", (double)x->now / 1000.0);
    set_status(p, "InProgress", "InProgress");
}

/* Ends plugin p and, with it, the invocation's current run. */
static void plugin_end(crun_t *x, cJSON *p, const char *status, const char *details, int code)
{
    set_status(p, status, details);
    jx_set_num(p, "ResponseCode", code);
    jx_set_num(p, "_End", (double)x->now);
    jx_set_num(p, "ResponseFinishDateTime", (double)x->now / 1000.0);
}

/* Ends the invocation with status (every plugin not yet run too). */
static void inv_end(crun_t *x, cJSON *inv, const char *status, const char *details)
{
    set_status(inv, status, details);
    cJSON *ps = cJSON_GetObjectItemCaseSensitive(inv, "_Plugins");
    for (cJSON *p = ps ? ps->child : NULL; p; p = p->next)
        if (!cmd_terminal(jx_str(p, "Status"))) plugin_end(x, p, status, details, -1);
}

/* A delivery that did not reach the node: Delayed, tried again after a backoff (1 s,
 * doubling, at most CMD_RETRY_MAX_MS), until the delivery deadline. */
static void inv_delay(crun_t *x, cJSON *inv, cJSON *p, const char *why)
{
    int64_t tries = jx_int(inv, "_Tries", 0) + 1;
    int64_t wait = tries > 5 ? CMD_RETRY_MAX_MS : (int64_t)1000 << (tries - 1);
    jx_set_num(inv, "_Tries", (double)tries);
    jx_set_num(inv, "_NextTry",
               (double)(x->now + (wait < CMD_RETRY_MAX_MS ? wait : CMD_RETRY_MAX_MS)));
    jx_set_str(p, "_Why", why);
    set_status(p, "Pending", "Pending");
    set_status(inv, "Delayed", "Delayed");
}

/* The plugin runs that cannot happen on catalogd's nodes: skipped by a precondition, or
 * PowerShell. True when plugin idx is settled without a node (the invocation ended when
 * *over). */
static bool plugin_local(crun_t *x, cJSON *inv, const cJSON *def, cJSON *p, bool *over)
{
    *over = false;
    if (jx_str(def, "Skip") || !strcmp(jx_str(def, "Action"), "aws:runPowerShellScript"))
        plugin_start(x, p);
    if (jx_str(def, "Skip")) {
        plugin_end(x, p, "Success", "Success", 0);
        jx_set_str(p, "_Stdout", jx_str(def, "Skip"));
        jx_set_str(p, "Output", jx_str(def, "Skip"));
        return true;
    }
    if (strcmp(jx_str(def, "Action"), "aws:runPowerShellScript")) return false;
    /* catalogd's nodes are Linux hosts without PowerShell */
    plugin_end(x, p, "Failed", "Failed", 1);
    jx_set_str(p, "_Stderr",
               "failed to run commands: aws:runPowerShellScript is not supported on "
               "this node: its platform is Linux, which runs aws:runShellScript.");
    jx_set_str(p, "Output", jx_str(p, "_Stderr"));
    inv_end(x, inv, "Failed", "Failed");
    *over = true;
    return true;
}

/* Settles plugin p from what its run's poll found (st): true when the invocation moves on
 * to the next plugin. */
static bool plugin_settle(crun_t *x, cJSON *inv, int idx, cJSON *p, const node_status_t *st,
                          const char *run_id, bool cancel)
{
    if (st->state == NODE_RUN_RUNNING) {
        plugin_start(x, p);
        cJSON_DeleteItemFromObjectCaseSensitive(inv, "_Tries");
        if (!cancel) set_status(inv, "InProgress", "InProgress");
        return false;
    }
    if (st->state == NODE_RUN_DELAYED) {
        if (cancel)
            inv_end(x, inv, "Cancelled", "Cancelled");
        else
            inv_delay(x, inv, p, st->detail);
        return false;
    }
    if (st->state == NODE_RUN_UNDELIVERABLE) {
        jx_set_str(p, "_Stderr", st->detail);
        inv_end(x, inv, "Failed", "Undeliverable");
        return false;
    }
    plugin_start(x, p);
    cmd_collect(x, inv, idx, p);
    cJSON_AddItemToArray(x->cleanup, cJSON_CreateString(run_id));
    if (st->state == NODE_RUN_EXITED && st->exit_code == 0) {
        plugin_end(x, p, "Success", "Success", 0);
        return true;
    }
    if (st->state == NODE_RUN_EXITED) {
        plugin_end(x, p, "Failed", "Failed", st->exit_code);
        inv_end(x, inv, "Failed", "Failed");
    } else if (st->state == NODE_RUN_TIMED_OUT) {
        plugin_end(x, p, "TimedOut", "ExecutionTimedOut", -1);
        inv_end(x, inv, "TimedOut", "ExecutionTimedOut");
    } else if (st->state == NODE_RUN_CANCELLED) {
        plugin_end(x, p, "Cancelled", "Cancelled", -1);
        inv_end(x, inv, "Cancelled", "Cancelled");
    } else { /* LOST: as AWS reports an agent that lost its work */
        jx_set_str(p, "_Stderr", st->detail);
        plugin_end(x, p, "Failed", "Failed", -1);
        inv_end(x, inv, "Failed", "Failed");
    }
    return false;
}

/* A background poll of one of the command's runs is done: the command's job (job_id)
 * looks now instead of at its fallback time (a step running meanwhile misses the wake;
 * the fallback look catches it). */
static void cmd_woken(void *ctx, const char *job_id)
{
    app_t *app = ctx;
    errbuf_t eb = {0};
    store_tx_t *tx = NULL;
    bool found = false;
    if (store_begin(app->store, true, &tx, &eb)) return;
    if (engine_hasten(tx, job_id, clk_now_ms(&app->clock), &found, &eb) || !found)
        store_rollback(tx);
    else if (!store_commit(tx, &eb))
        engine_notify(app->engine);
}

/* One look at a started invocation, never waiting on its node: collects what the last
 * background poll of its current plugin's run found and starts the next one (node_poll_bg),
 * moves to the next plugin, or ends. A Delayed one waits for its next try, and ends
 * DeliveryTimedOut at the delivery deadline. */
static err_t inv_poll(crun_t *x, cJSON *inv)
{
    const cJSON *plugins = cJSON_GetObjectItemCaseSensitive(x->cmd, "_Plugins");
    cJSON *ps = cJSON_GetObjectItemCaseSensitive(inv, "_Plugins");
    node_target_t t;
    node_pool_t *pool = cmd_node(x->app, cJSON_GetObjectItemCaseSensitive(inv, "_Instance"), &t);
    bool cancel = inv_cancelled(x, inv);
    for (int idx = (int)jx_int(inv, "_Plugin", 0); idx < cJSON_GetArraySize(ps); idx++) {
        cJSON *p = cJSON_GetArrayItem(ps, idx);
        const cJSON *def = cJSON_GetArrayItem(plugins, idx);
        jx_set_num(inv, "_Plugin", idx);
        const char *run_id = arena_printf(x->r->arena, "%s-%s-%d", jx_str(inv, "CommandId"),
                                          jx_str(inv, "InstanceId"), idx);
        bool delayed = !strcmp(jx_str(inv, "Status"), "Delayed"), over;
        if (delayed && (cancel || x->now >= x->deadline)) {
            /* a try may be on its way to the node: a cancel follows it */
            if (t.transport != NODE_NONE) node_cancel_bg(pool, &t, run_id);
            const char *why = jx_str(p, "_Why");
            if (!cancel && why)
                jx_set_str(p, "_Stderr",
                           arena_printf(x->r->arena, "The node could not be reached: %s", why));
            inv_end(x, inv, cancel ? "Cancelled" : "TimedOut",
                    cancel ? "Cancelled" : "DeliveryTimedOut");
            return ERR_OK;
        }
        if (delayed && x->now < jx_int(inv, "_NextTry", 0)) {
            int64_t at = jx_int(inv, "_NextTry", 0);
            if (at < x->next) x->next = at;
            return ERR_OK;
        }
        if (plugin_local(x, inv, def, p, &over)) {
            if (over) return ERR_OK;
            continue;
        }
        const char *down = jx_int(p, "_Start", 0)
                               ? NULL
                               : cmd_down(cJSON_GetObjectItemCaseSensitive(inv, "_Instance"));
        if (down) { /* AWS: Delayed "because the node was stopped", tried again */
            node_status_t st = {.state = NODE_RUN_DELAYED};
            snprintf(st.detail, sizeof(st.detail), "the instance is %s", down);
            plugin_settle(x, inv, idx, p, &st, run_id, cancel);
            return ERR_OK;
        }
        const char *state = jx_str(cJSON_GetObjectItemCaseSensitive(
                                       cJSON_GetObjectItemCaseSensitive(inv, "_Instance"), "State"),
                                   "Name");
        bool gone = state && (!strcmp(state, "terminated") || !strcmp(state, "shutting-down"));
        if (t.transport == NODE_NONE || (gone && !jx_int(p, "_Start", 0))) {
            /* not a managed node, or terminated while its command waited: it will never
             * get it */
            if (gone) jx_set_str(p, "_Stderr", "the instance was terminated");
            inv_end(x, inv, "Failed", "Undeliverable");
            return ERR_OK;
        }
        const char *wd = jx_str(def, "WorkDir");
        node_run_t run = {.run_id = run_id,
                          .script = jx_str(def, "Script"),
                          .script_len = strlen(jx_str(def, "Script")),
                          .workdir = wd && *wd ? wd : NULL,
                          .timeout_ms = jx_int(def, "TimeoutS", 3600) * 1000,
                          .wait_ms = CMD_WAIT_MS,
                          /* cmd_step pinned the job here. Orphaned, a local run
                           * (the stopped node's machine) is lost with it; an ssh node's
                           * run directory is on that node, which tells whether it was
                           * delivered, so delivery goes on from here */
                          .no_start = x->r->orphaned && t.transport == NODE_LOCAL};
        if (cancel && !jx_true(p, "_CancelSent")) {
            jx_set(p, "_CancelSent", cJSON_CreateTrue());
            set_status(inv, "Cancelling", "Cancelling");
            node_cancel_bg(pool, &t, run_id);
        }
        if (!delayed && !strcmp(jx_str(p, "Status"), "Pending")) /* on its way to the node */
            set_status(p, "InProgress", "InProgress");
        char paths[2][1200];
        cmd_paths(x, inv, idx, paths);
        const char *const out[2] = {paths[0][0] ? paths[0] : NULL, paths[1][0] ? paths[1] : NULL};
        node_status_t st = {0};
        bool ready = false;
        node_wake_t wake = {cmd_woken, x->app, x->r->job_id};
        err_t rc = node_poll_bg(pool, &t, &run, out, &wake, &ready, &st, x->r->eb);
        if (!rc && ready && st.state == NODE_RUN_RUNNING && !st.detail[0]) {
            /* still running: the next (waiting) poll starts at once; not when the node was
             * not reached (a detail says why), or a node that refuses at once would spin */
            plugin_settle(x, inv, idx, p, &st, run_id, cancel);
            rc = node_poll_bg(pool, &t, &run, out, &wake, &ready, &st, x->r->eb);
        }
        if (rc) return rc;
        if (!ready) cJSON_AddItemToArray(x->waiting, cJSON_CreateString(run_id));
        if (!ready || !plugin_settle(x, inv, idx, p, &st, run_id, cancel)) return ERR_OK;
    }
    if (!cmd_terminal(jx_str(inv, "Status")) || !strcmp(jx_str(inv, "Status"), "InProgress"))
        set_status(inv, "Success", "Success");
    return ERR_OK;
}

/* ---- the step */

typedef struct cleanup_arg {
    app_t *app;
    const char *insts; /* {run_id: instance} as JSON text in the step's arena */
} cleanup_arg_t;

static void cmd_cleanup(void *arg)
{
    cleanup_arg_t *a = arg;
    cJSON *insts = cJSON_Parse(a->insts);
    for (const cJSON *r = insts ? insts->child : NULL; r; r = r->next) {
        node_target_t t;
        node_pool_t *pool = cmd_node(a->app, r, &t);
        if (t.transport != NODE_NONE) node_cleanup_bg(pool, &t, r->string);
    }
    cJSON_Delete(insts);
}

/* Drives command cmd's invocations (invs) one tick; true while any is still live. */
static err_t cmd_tick(crun_t *x, cJSON *invs, bool *live)
{
    int64_t running = 0, errors = 0;
    int64_t conc = jx_int(x->cmd, "_Concurrency", 50), max_errors = jx_int(x->cmd, "_Errors", 0);
    for (cJSON *v = invs->child; v; v = v->next) {
        const char *s = jx_str(v, "Status");
        if (!cmd_terminal(s) && strcmp(s, "Pending")) {
            err_t rc = inv_poll(x, v);
            if (rc) return rc;
        }
        s = jx_str(v, "Status");
        running += !cmd_terminal(s) && strcmp(s, "Pending");
        errors += cmd_is_error(v);
    }
    for (cJSON *v = invs->child; v; v = v->next) {
        if (strcmp(jx_str(v, "Status"), "Pending")) continue;
        if (inv_cancelled(x, v)) {
            inv_end(x, v, "Cancelled", "Cancelled");
        } else if (errors > max_errors) {
            /* past MaxErrors the system sends to no more targets */
            inv_end(x, v, "Cancelled", "Terminated");
        } else if (x->now >= x->deadline) {
            inv_end(x, v, "TimedOut", "DeliveryTimedOut");
        } else if (running < conc) {
            set_status(v, "InProgress", "InProgress");
            err_t rc = inv_poll(x, v);
            if (rc) return rc;
            running += !cmd_terminal(jx_str(v, "Status"));
            errors += cmd_is_error(v);
        }
    }
    *live = false;
    for (const cJSON *v = invs->child; v; v = v->next) {
        const char *s = jx_str(v, "Status");
        *live |= !cmd_terminal(s);
        /* not delivered yet: the delivery deadline needs a look */
        if ((!strcmp(s, "Pending") || !strcmp(s, "Delayed")) && x->deadline < x->next)
            x->next = x->deadline;
    }
    return ERR_OK;
}

static err_t cmd_step(engine_run_t *r)
{
    app_t *app = r->app;
    cJSON *p = cJSON_Parse(r->payload);
    const char *id = jx_str(p, "id");
    crun_t x = {.r = r, .app = app, .now = clk_now_ms(&app->clock)};
    cJSON *invs = cJSON_CreateArray(), *fresh = NULL, *before = NULL;
    app_where_t where;
    app_where_of(app, r->payload, &where);
    const char *acct = where.scope;
    /* read and poll outside the write transaction: a node may take a while to answer */
    store_tx_t *rtx = NULL;
    bool more = false, live = false;
    err_t rc = id ? store_begin(app->store, false, &rtx, r->eb)
                  : err_fail(r->eb, ERR_INTERNAL, "malformed command job");
    if (!rc) rc = res_get(rtx, &(res_key_t){acct, SSM_CMD, id}, &x.cmd, r->eb);
    if (!rc && x.cmd)
        rc = res_list(rtx, &(res_query_t){acct, SSM_INV, id, 0, 0}, invs, &more, r->eb);
    if (!rc && x.cmd) cmd_refresh(r, rtx, invs);
    if (rtx) store_rollback(rtx);
    if (!rc && (!x.cmd || cmd_terminal(jx_str(x.cmd, "Status")) ||
                strcmp(jx_str(x.cmd, "_Job") ?: "", r->job_id))) {
        engine_done(r); /* gone, over, or another job chain owns it */
        goto out;
    }
    if (!rc && !engine_pin_first(r)) { /* pinned here before anything is delivered */
        engine_again(r, r->payload, x.now);
        goto out;
    }
    x.cleanup = cJSON_CreateArray();
    x.waiting = cJSON_CreateArray();
    before = cJSON_Duplicate(invs, 1);
    x.next = x.now + CMD_POLL_MS;
    if (!rc) {
        double req =
            cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(x.cmd, "RequestedDateTime"));
        x.deadline = (int64_t)(req * 1000.0) + jx_int(x.cmd, "TimeoutSeconds", 3600) * 1000;
        rc = cmd_tick(&x, invs, &live);
    }
    store_tx_t *tx = !rc ? engine_tx(r, &rc) : NULL;
    /* a poll that ended before this transaction took the write lock woke nobody (the job
     * was running); one that ends from now on wakes it after the commit */
    for (const cJSON *w = tx ? x.waiting->child : NULL; w; w = w->next)
        if (node_poll_bg_done(app->nodes, w->valuestring)) x.next = x.now;
    /* CancelCommand may have written the command meanwhile: keep what it asked */
    if (tx) rc = res_get(tx, &(res_key_t){acct, SSM_CMD, id}, &fresh, r->eb);
    if (tx && !rc && fresh) {
        const cJSON *want = cJSON_GetObjectItemCaseSensitive(fresh, "_Cancel");
        bool newer = cJSON_GetArraySize(want) !=
                     cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(x.cmd, "_Cancel"));
        if (want) jx_set(x.cmd, "_Cancel", cJSON_Duplicate(want, 1));
        live |= newer; /* look again at once */
        if (newer) x.next = x.now;
    }
    /* only what changed is written: most looks at a running command change nothing */
    const cJSON *old = before ? before->child : NULL;
    for (cJSON *v = invs->child; tx && !rc && v; v = v->next, old = old ? old->next : NULL) {
        if (old && cJSON_Compare(old, v, true)) continue;
        const char *key = arena_printf(r->arena, "%s:%s", id, jx_str(v, "InstanceId"));
        rc = res_update(tx, &(res_key_t){acct, SSM_INV, key}, NULL, x.now, v, NULL, r->eb);
    }
    if (tx && !rc) {
        cmd_aggregate(x.cmd, invs);
        if (live && cmd_terminal(jx_str(x.cmd, "Status")))
            set_status(x.cmd, "InProgress", "InProgress");
        if (!fresh || !cJSON_Compare(fresh, x.cmd, true))
            rc = res_update(tx, &(res_key_t){acct, SSM_CMD, id}, NULL, x.now, x.cmd, NULL, r->eb);
    }
    if (!rc && cJSON_GetArraySize(x.cleanup)) {
        cleanup_arg_t *a = arena_alloc(r->arena, sizeof(*a));
        a->app = app;
        cJSON *insts = cJSON_CreateObject();
        for (const cJSON *c = x.cleanup->child; c; c = c->next)
            for (const cJSON *v = invs->child; v; v = v->next)
                if (strstr(c->valuestring, jx_str(v, "InstanceId")))
                    cJSON_AddItemToObject(
                        insts, c->valuestring,
                        cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(v, "_Instance"), 1));
        char *text = cJSON_PrintUnformatted(insts);
        a->insts = arena_strdup(r->arena, text);
        cJSON_free(text);
        cJSON_Delete(insts);
        engine_after_commit(r, cmd_cleanup, a);
    }
    if (!rc && live)
        engine_again(r, r->payload, x.next > x.now ? x.next : x.now);
    else if (!rc)
        engine_done(r);
out:
    cJSON_Delete(before);
    cJSON_Delete(x.waiting);
    cJSON_Delete(x.cleanup);
    cJSON_Delete(fresh);
    cJSON_Delete(invs);
    cJSON_Delete(x.cmd);
    cJSON_Delete(p);
    return rc;
}

/* The job failed for good inside catalogd: every invocation still live ends Failed with
 * the reason in its plugin's StandardErrorContent, and the command with them. */
static err_t cmd_giveup(engine_run_t *r, const char *why)
{
    app_t *app = r->app;
    cJSON *p = cJSON_Parse(r->payload), *cmd = NULL, *invs = cJSON_CreateArray();
    app_where_t w;
    app_where_of(app, r->payload, &w);
    const char *id = jx_str(p, "id"), *acct = w.scope;
    crun_t x = {.r = r, .app = app, .now = clk_now_ms(&app->clock)};
    bool more;
    err_t rc;
    store_tx_t *tx = engine_tx(r, &rc);
    if (tx && id) rc = res_get(tx, &(res_key_t){acct, SSM_CMD, id}, &cmd, r->eb);
    if (tx && !rc && cmd && !strcmp(jx_str(cmd, "_Job") ?: "", r->job_id))
        rc = res_list(tx, &(res_query_t){acct, SSM_INV, id, 0, 0}, invs, &more, r->eb);
    for (cJSON *v = invs->child; !rc && v; v = v->next) {
        if (cmd_terminal(jx_str(v, "Status"))) continue;
        cJSON *pl = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(v, "_Plugins"),
                                       (int)jx_int(v, "_Plugin", 0));
        if (pl)
            jx_set_str(pl, "_Stderr",
                       arena_printf(r->arena, "The command's job %s and was set aside.", why));
        inv_end(&x, v, "Failed", "Failed");
        rc = res_update(tx,
                        &(res_key_t){acct, SSM_INV,
                                     arena_printf(r->arena, "%s:%s", id, jx_str(v, "InstanceId"))},
                        NULL, x.now, v, NULL, r->eb);
    }
    if (!rc && cmd && cJSON_GetArraySize(invs)) {
        cmd_aggregate(cmd, invs);
        rc = res_update(tx, &(res_key_t){acct, SSM_CMD, id}, NULL, x.now, cmd, NULL, r->eb);
    }
    cJSON_Delete(invs);
    cJSON_Delete(cmd);
    cJSON_Delete(p);
    return rc;
}

void ssm_register_command_jobs(app_t *app)
{
    engine_register(app->engine, SSM_CMD_JOB, cmd_step, 10, cmd_giveup);
}
