/* wrap.c - the run protocol: a detached wrapper that keeps a run's record in its run
 * directory, and the shell snippets that deliver, read, cancel and remove it. Every step
 * is a fixed command line (only the validated run id and numbers are spliced into it);
 * the script and its environment travel as stdin into files. See docs/internals/node.md. */
#include "node/node_int.h"

#include "core/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Runs in the run directory as a session (and process group) leader. Claims the run
 * (mkdir is atomic: a second wrapper started for the same run exits at once), records
 * its pid and the boot, runs the script with stdout/stderr capped through FIFOs (the
 * rest is read and dropped, so the script never blocks or dies on a full pipe; the
 * readers outlive a TERM of the group so what was written is flushed), and
 * records the status once the output is complete. Only relative paths: a local run
 * directory need not be reachable by its user from / (catalogd enters it first). A watchdog in the
 * group marks `timedout` and kills the group (TERM, then KILL 5 s later); node_run_cancel marks
 * `cancelled` and does the same from outside. No status then: the markers say why. */
static const char wrap_body[] =
    "mkdir claim 2>/dev/null || exit 0\n"
    "[ -f cancelled ] && exit 0\n"
    "echo $$ > pid.tmp && mv -f pid.tmp pid\n"
    "cat /proc/sys/kernel/random/boot_id > boot.tmp 2>/dev/null && mv -f boot.tmp boot\n"
    "rm -f o e w\n"
    "mkfifo o e w || { echo 127 > status.tmp; mv -f status.tmp status; exit 0; }\n"
    "( trap '' TERM; head -c \"$CATALOGD_RUN_CAP\" > stdout; : > stdout.done\n"
    "  exec cat > /dev/null ) < o &\n"
    "r1=$!\n"
    "( trap '' TERM; head -c \"$CATALOGD_RUN_CAP\" > stderr; : > stderr.done\n"
    "  exec cat > /dev/null ) < e &\n"
    "r2=$!\n"
    "( trap '' TERM; sleep \"$CATALOGD_RUN_TIMEOUT\" & echo $! > w; wait $! || exit 0\n"
    "  : > timedout; kill -15 0; sleep 5; kill -9 0 ) </dev/null >/dev/null 2>&1 &\n"
    "read s < w\n"
    "( catalogd_env\n"
    "  if [ -n \"${CATALOGD_RUN_WORKDIR:-}\" ]; then\n"
    "    exec 3<./script; cd \"$CATALOGD_RUN_WORKDIR\" && exec /bin/sh /dev/fd/3\n"
    "  fi\n"
    "  exec /bin/sh ./script ) </dev/null >o 2>e\n"
    "rc=$?\n"
    "kill -9 \"$s\" 2>/dev/null\n"
    "wait \"$r1\" \"$r2\"\n"
    "rm -f o e w\n"
    "echo \"$rc\" > status.tmp && mv -f status.tmp status\n";

/* Reads a run directory (first the group's liveness, then the status: a wrapper that
 * wrote its status and exited between the two is never taken for a lost one). */
static const char probe_fmt[] =
    "cd -P '%s' 2>/dev/null || { [ -d '%s.tmp' ] && echo tmp || echo none; exit 0; }\n"
    /* a waiting poll: up to N looks 0.1 s apart while the group lives (or has no pid yet:
     * the wrapper is starting) and nothing ended */
    "i=%d\n"
    "while [ \"$i\" -gt 0 ] && [ ! -f status ] && [ ! -f timedout ] && [ ! -f cancelled ]; do\n"
    "  q=$(cat pid 2>/dev/null); case $q in ''|*[!0-9]*|0|1) q=;; esac\n"
    "  [ -z \"$q\" ] || kill -0 -\"$q\" 2>/dev/null || break\n"
    "  sleep 0.1 2>/dev/null || sleep 1; i=$((i-1))\n"
    "done\n"
    "p=-; [ -f pid ] && p=$(cat pid); case $p in ''|*[!0-9]*|0|1) p=-;; esac\n"
    "a=0; [ \"$p\" != - ] && kill -0 -\"$p\" 2>/dev/null && a=1\n"
    "s=-; [ -f status ] && s=$(cat status); case $s in ''|*[!0-9]*) s=-;; esac\n"
    "t=0; [ -f timedout ] && t=1\n"
    "c=0; [ -f cancelled ] && c=1\n"
    "b=0; f=/proc/sys/kernel/random/boot_id\n"
    "[ -s boot ] && [ -r $f ] && [ \"$(cat boot)\" != \"$(cat $f)\" ] && b=1\n"
    "k=0; [ -d claim ] && k=1\n"
    "o=0; [ -f stdout.done ] && [ -f stderr.done ] && o=1\n"
    "g=$(( $(date +%%s) - $(stat -c %%Y .) ))\n"
    "echo \"run $a $s $t $c $b $k $g $p $o\"\n";

static const char start_fmt[] =
    "command -v setsid >/dev/null || { echo 'setsid not found on the node'; exit 0; }\n"
    "{ [ -d '%s' ] || mv '%s.tmp' '%s'; } && cd -P '%s' &&"
    " { setsid /bin/sh ./wrap </dev/null >/dev/null 2>&1 & } && echo started\n";

bool node_run_id_ok(const char *id)
{
    size_t n = id ? strlen(id) : 0;
    if (n == 0 || n > 160 || id[0] == '.' || id[0] == '-') return false;
    return strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:@+-") == n;
}

static bool env_key_ok(const char *k, size_t n)
{
    if (n == 0 || (k[0] >= '0' && k[0] <= '9')) return false;
    for (size_t i = 0; i < n; i++)
        if (!(k[i] == '_' || (k[i] >= 'A' && k[i] <= 'Z') || (k[i] >= 'a' && k[i] <= 'z') ||
              (k[i] >= '0' && k[i] <= '9')))
            return false;
    return true;
}

/* Appends s single-quoted: inside single quotes the shell reads every byte literally,
 * so only the quote itself needs its '\'' dance. */
static void add_quoted(buf_t *b, const char *s)
{
    buf_addc(b, '\'');
    for (; *s; s++)
        if (*s == '\'')
            buf_adds(b, "'\\''");
        else
            buf_addc(b, *s);
    buf_addc(b, '\'');
}

/* The wrapper file: its settings, the run's environment as a function the script's
 * subshell calls (so the wrapper's own commands never see it), then the fixed body. */
static err_t wrap_text(const node_run_t *r, buf_t *b, errbuf_t *eb)
{
    int64_t secs = r->timeout_ms > 0 ? (r->timeout_ms + 999) / 1000 : 3600;
    buf_printf(b, "CATALOGD_RUN_CAP=%d\nCATALOGD_RUN_TIMEOUT=%lld\n", NODE_OUTPUT_CAP,
               (long long)secs);
    if (r->workdir && r->workdir[0]) {
        buf_adds(b, "CATALOGD_RUN_WORKDIR=");
        add_quoted(b, r->workdir);
        buf_addc(b, '\n');
    }
    buf_adds(b, "catalogd_env() {\n:\n");
    for (const char *const *e = r->env; e && *e; e++) {
        const char *eq = strchr(*e, '=');
        if (!eq || !env_key_ok(*e, (size_t)(eq - *e)))
            return err_fail(eb, ERR_VALIDATION, "invalid environment entry for run %s", r->run_id);
        buf_printf(b, "export %.*s=", (int)(eq - *e), *e);
        add_quoted(b, eq + 1);
        buf_addc(b, '\n');
    }
    buf_adds(b, "}\n");
    buf_adds(b, wrap_body);
    return ERR_OK;
}

/* recdir/<run_id>: "started" or "cancelled", written durably before the start command. */
static void rec_path(char *out, size_t cap, const char *recdir, const char *run_id)
{
    snprintf(out, cap, "%s/%s", recdir, run_id);
}

static bool rec_read(const char *recdir, const char *run_id, char *buf, size_t cap)
{
    char path[4400];
    rec_path(path, sizeof(path), recdir, run_id);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return false;
    ssize_t n = read(fd, buf, cap - 1);
    close(fd);
    buf[n > 0 ? n : 0] = '\0';
    return true;
}

static err_t rec_write(const char *recdir, const char *run_id, const char *what, errbuf_t *eb)
{
    char path[4400], tmp[4500];
    /* its parent (DATA_DIR/node) too: with only the ssh transport nothing else makes it */
    snprintf(path, sizeof(path), "%s", recdir);
    char *slash = strrchr(path, '/');
    if (slash && slash != path) {
        *slash = '\0';
        (void)mkdir(path, 0700);
    }
    if (mkdir(recdir, 0700) != 0 && errno != EEXIST)
        return err_fail(eb, ERR_INTERNAL, "cannot create %s: %s", recdir, strerror(errno));
    rec_path(path, sizeof(path), recdir, run_id);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) return err_fail(eb, ERR_INTERNAL, "cannot create %s: %s", tmp, strerror(errno));
    bool ok = write(fd, what, strlen(what)) == (ssize_t)strlen(what) && fsync(fd) == 0;
    close(fd);
    if (!ok || rename(tmp, path) != 0) {
        unlink(tmp);
        return err_fail(eb, ERR_INTERNAL, "cannot write %s", path);
    }
    return ERR_OK;
}

static void set_status(node_status_t *st, node_state_t s, int code, const char *detail)
{
    st->state = s;
    st->exit_code = code;
    snprintf(st->detail, sizeof(st->detail), "%s", detail ? detail : "");
}

/* Runs one protocol command; an unreachable node fills detail and returns reached false. */
static err_t run_sh(node_conn_t *c, const char *cmd, span_t in, node_shres_t *res, errbuf_t *eb)
{
    err_t rc = node_conn_sh(c, cmd, in, 4096, res, eb);
    if (!rc && res->reached && res->status != 0) {
        res->reached = false;
        snprintf(res->detail, sizeof(res->detail),
                 "the node refused the command (status %d): %.120s", res->status,
                 buf_str(&res->out));
    }
    return rc;
}

/* Uploads the script and the wrapper into <id>.tmp, records the start, and starts it. */
static err_t run_deliver(node_conn_t *c, const char *recdir, const node_run_t *r, node_status_t *st,
                         errbuf_t *eb)
{
    const char *id = r->run_id;
    char cmd[1200];
    buf_t wrap;
    buf_init(&wrap, 1 << 20);
    node_shres_t res = {0};
    err_t rc = wrap_text(r, &wrap, eb);
    if (!rc) {
        snprintf(cmd, sizeof(cmd), "rm -rf '%s.tmp' && mkdir '%s.tmp' && cat > '%s.tmp/script'", id,
                 id, id);
        rc = run_sh(c, cmd, span_make(r->script ? r->script : "", r->script_len), &res, eb);
    }
    if (!rc && res.reached) {
        buf_free(&res.out);
        snprintf(cmd, sizeof(cmd), "cat > '%s.tmp/wrap'", id);
        rc = run_sh(c, cmd, buf_span(&wrap), &res, eb);
    }
    if (!rc && res.reached) rc = rec_write(recdir, id, "started", eb);
    if (!rc && res.reached) {
        buf_free(&res.out);
        snprintf(cmd, sizeof(cmd), start_fmt, id, id, id, id);
        rc = run_sh(c, cmd, span_of(""), &res, eb);
        if (!rc && res.reached && strncmp(buf_str(&res.out), "started", 7) != 0) {
            res.reached = false;
            snprintf(res.detail, sizeof(res.detail), "%.200s", buf_str(&res.out));
        }
    }
    if (!rc && res.reached) set_status(st, NODE_RUN_RUNNING, 0, NULL);
    if (!rc && !res.reached) {
        /* not started: a later poll delivers it again */
        char path[4400];
        rec_path(path, sizeof(path), recdir, id);
        unlink(path);
        set_status(st, res.transient ? NODE_RUN_DELAYED : NODE_RUN_UNDELIVERABLE, 0, res.detail);
    }
    buf_free(&res.out);
    buf_free(&wrap);
    return rc;
}

err_t node_run_poll(node_conn_t *c, const char *recdir, const node_run_t *r, node_status_t *st,
                    errbuf_t *eb)
{
    memset(st, 0, sizeof(*st));
    if (!node_run_id_ok(r->run_id))
        return err_fail(eb, ERR_INTERNAL, "invalid run id '%.80s'", r->run_id);
    char cmd[2000], rec[32];
    int64_t wait = r->wait_ms > NODE_CMD_TIMEOUT_MS / 2 ? NODE_CMD_TIMEOUT_MS / 2 : r->wait_ms;
    snprintf(cmd, sizeof(cmd), probe_fmt, r->run_id, r->run_id, wait > 0 ? (int)(wait / 100) : 0);
    node_shres_t res = {0};
    err_t rc = run_sh(c, cmd, span_of(""), &res, eb);
    bool started = rec_read(recdir, r->run_id, rec, sizeof(rec));
    if (rc || !res.reached) {
        if (!rc && started) /* it runs (or ran) there; we just cannot see it now */
            set_status(st, NODE_RUN_RUNNING, 0, res.detail);
        else if (!rc)
            set_status(st, res.transient ? NODE_RUN_DELAYED : NODE_RUN_UNDELIVERABLE, 0,
                       res.detail);
        buf_free(&res.out);
        return rc;
    }
    const char *out = buf_str(&res.out);
    if (!strncmp(out, "tmp", 3) && started && !strncmp(rec, "started", 7)) {
        /* delivered and recorded, but catalogd died before the start: start it now */
        buf_free(&res.out);
        snprintf(cmd, sizeof(cmd), start_fmt, r->run_id, r->run_id, r->run_id, r->run_id);
        rc = run_sh(c, cmd, span_of(""), &res, eb);
        buf_free(&res.out);
        set_status(st, NODE_RUN_RUNNING, 0, res.reached ? NULL : res.detail);
        return rc;
    }
    if (!strncmp(out, "none", 4) || !strncmp(out, "tmp", 3)) {
        buf_free(&res.out);
        if (started && !strncmp(rec, "cancelled", 9))
            set_status(st, NODE_RUN_CANCELLED, 0, NULL);
        else if (started)
            set_status(st, NODE_RUN_LOST, 0, "the run directory is gone from the node");
        else if (r->no_start)
            set_status(st, NODE_RUN_LOST, 0,
                       "the catalogd node that started it stopped before it finished");
        else
            return run_deliver(c, recdir, r, st, eb);
        return ERR_OK;
    }
    int alive = 0, timed = 0, cancelled = 0, rebooted = 0, claimed = 0, drained = 0;
    long long age = 0;
    char status[16] = "-", pid[16] = "-";
    int got = sscanf(out, "run %d %15s %d %d %d %d %lld %15s %d", &alive, status, &timed,
                     &cancelled, &rebooted, &claimed, &age, pid, &drained);
    buf_free(&res.out);
    /* killed (timeout, cancel): done once the output is complete or the group is gone */
    bool over = drained || !alive;
    if (got != 9) {
        set_status(st, NODE_RUN_RUNNING, 0, "the node's answer was not understood");
        return ERR_OK;
    }
    bool have_status = strcmp(status, "-") != 0;
    if (timed)
        set_status(st, over ? NODE_RUN_TIMED_OUT : NODE_RUN_RUNNING, 124, NULL);
    else if (cancelled)
        set_status(st, over ? NODE_RUN_CANCELLED : NODE_RUN_RUNNING, 0, NULL);
    else if (have_status)
        set_status(st, NODE_RUN_EXITED, (int)strtol(status, NULL, 10), NULL);
    else if (rebooted)
        set_status(st, NODE_RUN_LOST, 0, "the node restarted while the command ran");
    else if (alive)
        set_status(st, NODE_RUN_RUNNING, 0, NULL);
    else if (strcmp(pid, "-") != 0)
        set_status(st, NODE_RUN_LOST, 0, "the command's process ended without an exit status");
    else if (claimed && age < 30)
        set_status(st, NODE_RUN_RUNNING, 0, NULL); /* claimed, its pid on the way */
    else if (claimed)
        set_status(st, NODE_RUN_LOST, 0, "the command's process ended without an exit status");
    else if (age < 2)
        set_status(st, NODE_RUN_RUNNING, 0, NULL);
    else {
        /* delivered but never started (we died between the two): start it now; the
         * wrapper's claim keeps it to one run if the first start was only slow */
        snprintf(cmd, sizeof(cmd), start_fmt, r->run_id, r->run_id, r->run_id, r->run_id);
        rc = run_sh(c, cmd, span_of(""), &res, eb);
        buf_free(&res.out);
        set_status(st, NODE_RUN_RUNNING, 0, NULL);
    }
    return rc;
}

err_t node_run_cancel(node_conn_t *c, const char *recdir, const char *run_id, errbuf_t *eb)
{
    if (!node_run_id_ok(run_id)) return err_fail(eb, ERR_INTERNAL, "invalid run id");
    char cmd[1200];
    snprintf(cmd, sizeof(cmd),
             "cd -P '%s' 2>/dev/null || { echo none; exit 0; }\n"
             "[ -f status ] && exit 0\n"
             ": > cancelled\n"
             "p=$(cat pid 2>/dev/null); case $p in ''|*[!0-9]*|0|1) exit 0;; esac\n"
             "kill -15 -\"$p\" 2>/dev/null\n"
             "( sleep 5; kill -9 -\"$p\" ) </dev/null >/dev/null 2>&1 &\n",
             run_id);
    node_shres_t res = {0};
    err_t rc = run_sh(c, cmd, span_of(""), &res, eb);
    char rec[32];
    if (!rc && res.reached && !strncmp(buf_str(&res.out), "none", 4) &&
        !rec_read(recdir, run_id, rec, sizeof(rec)))
        rc = rec_write(recdir, run_id, "cancelled", eb); /* never delivered: never will be */
    buf_free(&res.out);
    return rc;
}

err_t node_run_output(node_conn_t *c, const char *run_id, int which, size_t offset, char *buf,
                      size_t cap, size_t *n, size_t *total, errbuf_t *eb)
{
    *n = 0;
    *total = 0;
    if (!node_run_id_ok(run_id)) return err_fail(eb, ERR_INTERNAL, "invalid run id");
    if (cap > NODE_OUTPUT_CAP) cap = NODE_OUTPUT_CAP;
    const char *f = which == 2 ? "stderr" : "stdout";
    char cmd[1200];
    snprintf(cmd, sizeof(cmd),
             "cd -P '%s' 2>/dev/null && [ -f %s ] || { echo 0; exit 0; }\n"
             "wc -c < %s; tail -c +%zu %s | head -c %zu\n",
             run_id, f, f, offset + 1, f, cap);
    node_shres_t res = {0};
    err_t rc = node_conn_sh(c, cmd, span_of(""), cap + 64, &res, eb);
    if (!rc && !res.reached)
        rc = err_fail(eb, ERR_UNAVAILABLE, "cannot read the output: %s", res.detail);
    if (!rc) {
        const char *p = buf_str(&res.out);
        const char *nl = memchr(p, '\n', res.out.len);
        if (nl) {
            *total = (size_t)strtoull(p, NULL, 10);
            size_t len = res.out.len - (size_t)(nl + 1 - p);
            if (len > cap) len = cap;
            memcpy(buf, nl + 1, len);
            *n = len;
        }
    }
    buf_free(&res.out);
    return rc;
}

void node_run_cleanup(node_conn_t *c, const char *recdir, const char *run_id)
{
    if (!node_run_id_ok(run_id)) return;
    char cmd[1200], path[4400];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s.tmp'", run_id, run_id);
    node_shres_t res = {0};
    errbuf_t eb;
    node_conn_sh(c, cmd, span_of(""), 256, &res, &eb);
    buf_free(&res.out);
    rec_path(path, sizeof(path), recdir, run_id);
    unlink(path);
}
