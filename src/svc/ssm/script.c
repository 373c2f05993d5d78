/* script.c - aws:executeScript: the step's Python 3 Script runs in a child process as an
 * unprivileged user, with time, memory and output limits, and never blocks an engine
 * worker. The child is started through prov/exec (a detached wrapper that records its
 * status in <data-dir>/exec/<run-id>/), so it runs once per attempt even if catalogd dies
 * meanwhile; each tick of the step polls that directory. The child's environment holds
 * nothing of catalogd's (env -i: PATH and LANG only), its stdin is the input file
 * (Script, Handler, InputPayload as JSON), and its stdout one JSON answer written by the
 * bootstrap: {"payload": <the handler's return value>} or {"error": "<the last line of
 * the traceback>", "trace": ...}, with "log" (what the script printed, capped). */
#include "svc/ssm/ssm_int.h"

#include "core/mem.h"
#include "prov/exec.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SCRIPT_MAX_S       600     /* AWS's cap on one aws:executeScript step */
#define SCRIPT_MEM_KB      524288  /* RLIMIT_AS of the child: 512 MiB */
#define SCRIPT_FILE_BLOCKS 16384   /* RLIMIT_FSIZE in 512-byte blocks: 8 MiB */
#define SCRIPT_ANSWER_MAX  1048576 /* the answer read back; larger fails the step */
#define SCRIPT_LOG_MAX     "65536" /* characters of printed output kept */
#define SCRIPT_POLL_MS     200

/* Reads the input from stdin, points fds 1 and 2 at /dev/null (printing goes to a capped
 * buffer), runs the script's top level, calls the handler with (events, context) and
 * writes one JSON answer to the original stdout. */
static const char script_boot[] =
    "import io, json, os, sys, traceback\n"
    "d = json.load(sys.stdin)\n"
    "res = os.dup(1)\n"
    "nul = os.open(os.devnull, os.O_WRONLY)\n"
    "os.dup2(nul, 1)\n"
    "os.dup2(nul, 2)\n"
    "class Log(io.TextIOBase):\n"
    "    cap = " SCRIPT_LOG_MAX "\n"
    "    def __init__(self):\n"
    "        self.parts, self.n, self.cut = [], 0, False\n"
    "    def writable(self):\n"
    "        return True\n"
    "    def write(self, t):\n"
    "        t = str(t)\n"
    "        room = self.cap - self.n\n"
    "        if len(t) > room:\n"
    "            self.cut = True\n"
    "        k = t[:max(room, 0)]\n"
    "        self.parts.append(k)\n"
    "        self.n += len(k)\n"
    "        return len(t)\n"
    "log = Log()\n"
    "sys.stdout = sys.stderr = log\n"
    "out = {}\n"
    "try:\n"
    "    g = {'__name__': 'script', '__builtins__': __builtins__}\n"
    "    exec(compile(d['Script'], 'script', 'exec'), g)\n"
    "    h = g.get(d['Handler'])\n"
    "    if not callable(h):\n"
    "        raise NameError('The handler %s is not a function of the script.' % d['Handler'])\n"
    "    p = h(d.get('InputPayload', {}), {})\n"
    "    json.dumps(p)\n"
    "    out['payload'] = p\n"
    "except BaseException as e:\n"
    "    last = traceback.format_exception_only(type(e), e)[-1].strip()\n"
    "    out = {'error': last, 'trace': traceback.format_exc()[-8000:]}\n"
    "out['log'] = ''.join(log.parts) + ('\\n[output truncated]' if log.cut else '')\n"
    "with os.fdopen(res, 'w') as f:\n"
    "    json.dump(out, f)\n";

static void script_cleanup(void *arg)
{
    const char **a = arg; /* {data_dir, run_id, input} */
    prov_exec_cleanup(a[0], a[1]);
    unlink(a[2]);
}

/* The shell command the exec wrapper runs: limits, then python3 as an unprivileged user
 * when catalogd is root: --node-user when set, else nobody. */
static const char *script_command(ssm_run_t *r)
{
    char drop[160] = "";
    if (geteuid() == 0) {
        const char *user = r->app->cfg.node_user[0] ? r->app->cfg.node_user : "nobody";
        const struct passwd *pw = getpwnam(user);
        unsigned uid = pw ? (unsigned)pw->pw_uid : 65534, gid = pw ? (unsigned)pw->pw_gid : 65534;
        snprintf(drop, sizeof(drop), "setpriv --reuid=%u --regid=%u --clear-groups ", uid, gid);
    }
    return arena_printf(
        r->arena,
        "cd / && ulimit -v %d && ulimit -f %d && b=$CATALOGD_SCRIPT_BOOT && "
        "i=$CATALOGD_SCRIPT_INPUT && exec %senv -i PATH=/usr/local/bin:/usr/bin:/bin "
        "LANG=C.UTF-8 /usr/bin/python3 -I -c \"$b\" < \"$i\"",
        SCRIPT_MEM_KB, SCRIPT_FILE_BLOCKS, drop);
}

/* Writes the input file once per attempt (0600, read by the wrapper's shell before it
 * drops privileges). */
static err_t script_input(ssm_run_t *r, const char *path)
{
    struct stat sb;
    if (stat(path, &sb) == 0) return ERR_OK;
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s/exec", r->app->cfg.data_dir);
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return err_fail(r->eb, ERR_INTERNAL, "cannot create %s: %s", dir, strerror(errno));
    cJSON *in = cJSON_CreateObject();
    const char *keys[] = {"Script", "Handler", "InputPayload"};
    for (size_t i = 0; i < 3; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(r->inputs, keys[i]);
        if (v) cJSON_AddItemToObject(in, keys[i], cJSON_Duplicate(v, 1));
    }
    char *text = cJSON_PrintUnformatted(in);
    cJSON_Delete(in);
    char tmp[4200];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    size_t n = text ? strlen(text) : 0, done = 0;
    while (fd >= 0 && done < n) {
        ssize_t w = write(fd, text + done, n - done);
        if (w <= 0) break;
        done += (size_t)w;
    }
    cJSON_free(text);
    bool ok = fd >= 0 && done == n && fsync(fd) == 0;
    if (fd >= 0) close(fd);
    if (!ok || rename(tmp, path) != 0) {
        unlink(tmp);
        return err_fail(r->eb, ERR_INTERNAL, "cannot write %s", path);
    }
    return ERR_OK;
}

/* The child's answer (at most SCRIPT_ANSWER_MAX bytes; *too_big when it had more). */
static cJSON *script_answer(const char *path, bool *too_big)
{
    *too_big = false;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return NULL;
    char *buf = xmalloc(SCRIPT_ANSWER_MAX + 2);
    size_t n = 0;
    ssize_t got;
    while (n <= SCRIPT_ANSWER_MAX && (got = read(fd, buf + n, SCRIPT_ANSWER_MAX + 1 - n)) > 0)
        n += (size_t)got;
    close(fd);
    cJSON *v = NULL;
    if (n > SCRIPT_ANSWER_MAX)
        *too_big = true;
    else
        v = cJSON_ParseWithLength(buf, n);
    free(buf);
    return v;
}

/* Turns the answer into outputs (Payload, OutputPayload, ExecutionLog and the declared
 * outputs, selected from {"Payload": ...}) or a failure. */
static ssm_tick_t script_result(ssm_run_t *r, cJSON *ans)
{
    const char *log = jx_str(ans, "log");
    const char *error = jx_str(ans, "error");
    if (error) {
        const char *trace = jx_str(ans, "trace");
        ssm_act_set(
            r, "ExecutionLog",
            cJSON_CreateString(arena_printf(r->arena, "%s%s", log ? log : "", trace ? trace : "")));
        return ssm_act_fail(r, "Action", "%s", error);
    }
    if (log && log[0]) ssm_act_set(r, "ExecutionLog", cJSON_CreateString(log));
    cJSON *p = cJSON_GetObjectItemCaseSensitive(ans, "payload");
    cJSON *wrap = cJSON_CreateObject();
    cJSON_AddItemToObject(wrap, "Payload", p ? cJSON_Duplicate(p, 1) : cJSON_CreateNull());
    char *text = cJSON_PrintUnformatted(wrap);
    ssm_act_set(r, "OutputPayload", cJSON_CreateString(text ? text : "{}"));
    cJSON_free(text);
    if (p && !cJSON_IsNull(p)) ssm_act_set(r, "Payload", cJSON_Duplicate(p, 1));
    ssm_act_outputs(r, wrap);
    cJSON_Delete(wrap);
    return SSM_TICK_DONE;
}

ssm_tick_t ssm_act_script(ssm_run_t *r)
{
    const char *data_dir = r->app->cfg.data_dir;
    const char *run_id =
        arena_printf(r->arena, "script-%s-%lld", jx_str(r->step, "StepExecutionId"),
                     (long long)jx_int(r->step, "_Attempt", 1));
    const char *input = arena_printf(r->arena, "%s/exec/%s.in", data_dir, run_id);
    if (script_input(r, input)) return ssm_act_fail(r, "Action", "%s", r->eb->msg);
    int64_t limit =
        r->def->timeout_s && r->def->timeout_s < SCRIPT_MAX_S ? r->def->timeout_s : SCRIPT_MAX_S;
    const char *env[] = {arena_printf(r->arena, "CATALOGD_SCRIPT_INPUT=%s", input),
                         arena_printf(r->arena, "CATALOGD_SCRIPT_BOOT=%s", script_boot), NULL};
    if (!engine_pin_first(r->run)) { /* pinned here before the script starts */
        r->wake_ms = r->now;
        return SSM_TICK_AGAIN;
    }
    prov_exec_result_t res;
    if (prov_exec_poll(data_dir, run_id, script_command(r), env, (int)limit, r->run->orphaned, &res,
                       r->eb))
        return ssm_act_fail(r, "Action", "The script could not be started: %s", r->eb->msg);
    if (!res.done) { /* the run directory is on this node's disk: pinned */
        r->wake_ms = r->now + SCRIPT_POLL_MS;
        return SSM_TICK_AGAIN;
    }
    const char **arg = arena_alloc(r->arena, sizeof(*arg) * 3);
    arg[0] = data_dir;
    arg[1] = run_id;
    arg[2] = input;
    engine_after_commit(r->run, script_cleanup, arg);
    if (res.exit_code == 124 || res.exit_code == 137)
        return ssm_act_fail(r, "Action", "The script did not finish within %lld seconds.",
                            (long long)limit);
    bool too_big;
    cJSON *ans =
        script_answer(arena_printf(r->arena, "%s/exec/%s/stdout", data_dir, run_id), &too_big);
    if (!cJSON_IsObject(ans)) {
        cJSON_Delete(ans);
        if (too_big)
            return ssm_act_fail(r, "Action", "The script's output is larger than %d bytes.",
                                SCRIPT_ANSWER_MAX);
        return ssm_act_fail(r, "Action", "The script ended without a result (exit status %d)%s%s",
                            res.exit_code, res.stderr_text[0] ? ": " : ".", res.stderr_text);
    }
    ssm_tick_t t = script_result(r, ans);
    cJSON_Delete(ans);
    return t;
}
