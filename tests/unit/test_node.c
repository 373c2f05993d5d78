/* test_node.c - managed-node runs through node.h with the local transport (as the current
 * user, or as a dedicated catalogd-node user when the test runs as root): exit codes, output caps
 * and binary output, timeouts and cancellation killing the process group, parameters that are never
 * re-interpreted, and a run never started twice across a "restart" (a new pool). With an
 * sshd on the machine, the same runs over the ssh transport (test_ssh, see below). */
#include "check.h"

#include "core/clk.h"
#include "core/jx.h"
#include "node/node.h"
#include "node/node_int.h"

#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char data_dir[256];
static const char *node_user;

static node_pool_t *open_pool(const char *transport, const char *host, int port, const char *user)
{
    node_config_t c = {.data_dir = data_dir,
                       .transport = transport,
                       .local_user = node_user,
                       .ssh_host = host,
                       .ssh_port = port,
                       .ssh_user = user,
                       .ping_ms = 1000};
    node_pool_t *p = NULL;
    errbuf_t eb = {{0}};
    err_t rc = node_pool_open(&c, &p, &eb);
    if (rc) fprintf(stderr, "node_pool_open: %s\n", eb.msg);
    CHECK_INT(rc, ERR_OK);
    return p;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Polls run r on t until it leaves RUNNING (or limit_ms passes); returns the status. */
static node_status_t run_until_done(node_pool_t *p, const node_target_t *t, const node_run_t *r,
                                    int limit_ms)
{
    node_status_t st = {0};
    int64_t end = clk_mono_us() / 1000 + limit_ms;
    do {
        errbuf_t eb = {{0}};
        err_t rc = node_poll(p, t, r, &st, &eb);
        if (rc) fprintf(stderr, "node_poll: %s\n", eb.msg);
        CHECK_INT(rc, ERR_OK);
        if (st.state != NODE_RUN_RUNNING) break;
        sleep_ms(50);
    } while (clk_mono_us() / 1000 < end);
    if (st.detail[0])
        fprintf(stderr, "run %s: state %d: %s\n", r->run_id, (int)st.state, st.detail);
    return st;
}

/* The whole of which's output (1 stdout, 2 stderr) into buf; returns its length. */
static size_t output(node_pool_t *p, const node_target_t *t, const char *id, int which, char *buf,
                     size_t cap, size_t *total)
{
    size_t got = 0, n = 0;
    errbuf_t eb = {{0}};
    do {
        CHECK_INT(node_output(p, t, id, which, got, buf + got, cap - got, &n, total, &eb), ERR_OK);
        got += n;
    } while (n > 0 && got < cap && got < *total);
    return got;
}

static node_run_t run_of(const char *id, const char *script, int64_t timeout_ms)
{
    return (node_run_t){
        .run_id = id, .script = script, .script_len = strlen(script), .timeout_ms = timeout_ms};
}

/* Runs r to its end on t and checks it exited with code and printed want (want_len
 * bytes) on stdout; removes the run after. */
static void expect_run(node_pool_t *p, const node_target_t *t, const node_run_t *r, int code,
                       const char *want, size_t want_len)
{
    char buf[256];
    size_t total = 0;
    node_status_t st = run_until_done(p, t, r, 10000);
    CHECK_INT(st.state, NODE_RUN_EXITED);
    CHECK_INT(st.exit_code, code);
    size_t n = output(p, t, r->run_id, 1, buf, sizeof(buf), &total);
    CHECK_INT(n, want_len);
    CHECK_INT(total, want_len);
    CHECK(n == want_len && memcmp(buf, want, want_len) == 0);
    node_cleanup(p, t, r->run_id);
}

static void test_basics(node_pool_t *p, const node_target_t *t, const char *tag)
{
    char id[128], buf[256];
    size_t total = 0;

    snprintf(id, sizeof(id), "%s-echo", tag);
    node_run_t r = run_of(id, "echo hello; echo oops >&2", 10000);
    node_status_t st = run_until_done(p, t, &r, 10000);
    CHECK_INT(st.state, NODE_RUN_EXITED);
    size_t n = output(p, t, id, 2, buf, sizeof(buf), &total);
    CHECK_INT(n, 5);
    CHECK(memcmp(buf, "oops\n", 5) == 0);
    /* polling again reports the same outcome and does not run it again */
    expect_run(p, t, &r, 0, "hello\n", 6);

    snprintf(id, sizeof(id), "%s-exit3", tag);
    r = run_of(id, "echo before; exit 3", 10000);
    expect_run(p, t, &r, 3, "before\n", 7);

    /* binary output arrives byte for byte */
    snprintf(id, sizeof(id), "%s-binary", tag);
    r = run_of(id, "printf '\\000\\001\\377abc\\000'", 10000);
    expect_run(p, t, &r, 0, "\0\1\377abc\0", 7);

    /* a parameter full of shell metacharacters reaches the script as it is */
    snprintf(id, sizeof(id), "%s-meta", tag);
    const char *nasty = "$(touch /tmp/catalogd-node-pwned) `id` 'q' \"d\" ; | & \\ \n *";
    char envv[256];
    snprintf(envv, sizeof(envv), "CATALOGD_P=%s", nasty);
    const char *env[] = {envv, NULL};
    r = run_of(id, "printf '%s' \"$CATALOGD_P\"", 10000);
    r.env = env;
    unlink("/tmp/catalogd-node-pwned");
    expect_run(p, t, &r, 0, nasty, strlen(nasty));
    CHECK(access("/tmp/catalogd-node-pwned", F_OK) != 0);

    /* a working directory */
    snprintf(id, sizeof(id), "%s-workdir", tag);
    r = run_of(id, "pwd", 10000);
    r.workdir = "/";
    expect_run(p, t, &r, 0, "/\n", 2);
}

static void test_big_output(node_pool_t *p, const node_target_t *t, const char *tag)
{
    char id[128];
    snprintf(id, sizeof(id), "%s-big", tag);
    node_run_t r =
        run_of(id, "i=0; while [ $i -lt 1024 ]; do printf '%099d\\n' $i; i=$((i+1)); done", 20000);
    node_status_t st = run_until_done(p, t, &r, 20000);
    CHECK_INT(st.state, NODE_RUN_EXITED);
    static char big[200000];
    size_t total = 0;
    size_t n = output(p, t, id, 1, big, sizeof(big), &total);
    CHECK_INT(total, 102400);
    CHECK_INT(n, 102400);
    CHECK(memcmp(big + 102300, "0000", 4) == 0 && big[102399] == '\n');
    /* a window in the middle */
    char win[100];
    size_t wn = 0;
    errbuf_t eb = {{0}};
    CHECK_INT(node_output(p, t, id, 1, 500 * 100, win, sizeof(win), &wn, &total, &eb), ERR_OK);
    CHECK_INT(wn, 100);
    CHECK(memcmp(win + 95, "0500\n", 5) == 0);
    node_cleanup(p, t, id);
}

/* Whether any process of run id's group is alive (the group id is in its pid file). */
static bool group_alive(const char *base, const char *id)
{
    char path[512], buf[32] = "";
    snprintf(path, sizeof(path), "%s/%s/pid", base, id);
    FILE *f = fopen(path, "r");
    if (!f) return false;
    bool ok = fgets(buf, sizeof(buf), f) != NULL;
    fclose(f);
    long pid = ok ? strtol(buf, NULL, 10) : 0;
    return pid > 1 && kill((pid_t)-pid, 0) == 0;
}

static void test_timeout_cancel(node_pool_t *p, const node_target_t *t, const char *tag,
                                const char *base)
{
    char id[128];
    snprintf(id, sizeof(id), "%s-timeout", tag);
    node_run_t r = run_of(id, "echo started; sleep 60 & sleep 60; echo never", 1000);
    int64_t t0 = clk_mono_us();
    node_status_t st = run_until_done(p, t, &r, 15000);
    int64_t took_ms = (clk_mono_us() - t0) / 1000;
    CHECK_INT(st.state, NODE_RUN_TIMED_OUT);
    CHECK(took_ms >= 900 && took_ms < 8000);
    char buf[64];
    size_t total = 0;
    size_t n = output(p, t, id, 1, buf, sizeof(buf), &total);
    CHECK_INT(n, 8);
    /* the background sleep dies with the group (KILL follows TERM within 5 s) */
    for (int i = 0; i < 80 && base && group_alive(base, id); i++) sleep_ms(100);
    if (base) CHECK(!group_alive(base, id));
    node_cleanup(p, t, id);

    snprintf(id, sizeof(id), "%s-cancel", tag);
    r = run_of(id, "sleep 60", 60000);
    st = run_until_done(p, t, &r, 500);
    CHECK_INT(st.state, NODE_RUN_RUNNING);
    errbuf_t eb = {{0}};
    CHECK_INT(node_cancel(p, t, id, &eb), ERR_OK);
    st = run_until_done(p, t, &r, 8000);
    CHECK_INT(st.state, NODE_RUN_CANCELLED);
    for (int i = 0; i < 80 && base && group_alive(base, id); i++) sleep_ms(100);
    if (base) CHECK(!group_alive(base, id));
    node_cleanup(p, t, id);

    /* cancelled before it was ever delivered: never runs */
    snprintf(id, sizeof(id), "%s-cancel-early", tag);
    CHECK_INT(node_cancel(p, t, id, &eb), ERR_OK);
    r = run_of(id, "echo should-not-run", 10000);
    st = run_until_done(p, t, &r, 2000);
    CHECK_INT(st.state, NODE_RUN_CANCELLED);
    node_cleanup(p, t, id);
}

/* A catalogd that dies and starts again polls with a new pool: the run continues, is not
 * started again, and its outcome is there; a run whose process vanished is LOST. */
static void test_restart(const char *tag, const char *transport, const char *host, int port,
                         const char *user, const char *base)
{
    char id[128], buf[64];
    snprintf(id, sizeof(id), "%s-restart", tag);
    node_run_t r = run_of(id, "echo run; sleep 1", 10000);
    node_pool_t *p1 = open_pool(transport, host, port, user);
    node_target_t t1, t2, *t = &t2; /* a target borrows from its pool */
    CHECK(node_target_for(p1, "i-0123456789abcdef0", NULL, &t1));
    node_status_t st = run_until_done(p1, &t1, &r, 300);
    CHECK_INT(st.state, NODE_RUN_RUNNING);
    node_pool_close(p1);
    node_pool_t *p2 = open_pool(transport, host, port, user);
    CHECK(node_target_for(p2, "i-0123456789abcdef0", NULL, &t2));
    st = run_until_done(p2, t, &r, 10000);
    CHECK_INT(st.state, NODE_RUN_EXITED);
    size_t total = 0;
    size_t n = output(p2, t, id, 1, buf, sizeof(buf), &total);
    CHECK_INT(n, 4); /* "run\n" once */

    /* catalogd died after delivering and recording a run but before starting it: the
     * next poll starts it (from a copy of this run's delivered files) */
    if (base) {
        char cmd[2000], rec[600];
        snprintf(cmd, sizeof(cmd),
                 "cd '%s' && mkdir %s-crash.tmp && cp -a %s/script %s/wrap %s-crash.tmp/ && "
                 "chown --reference=%s %s-crash.tmp",
                 base, tag, id, id, tag, id, tag);
        CHECK_INT(system(cmd), 0);
        snprintf(rec, sizeof(rec), "%s/node/.started/%s-crash", data_dir, tag);
        FILE *f = fopen(rec, "w");
        CHECK(f != NULL);
        if (f) {
            fputs("started", f);
            fclose(f);
        }
        char crash[140];
        snprintf(crash, sizeof(crash), "%s-crash", tag);
        node_run_t rc = run_of(crash, "echo never-delivered", 10000);
        st = run_until_done(p2, t, &rc, 10000);
        CHECK_INT(st.state, NODE_RUN_EXITED);
        n = output(p2, t, crash, 1, buf, sizeof(buf), &total);
        CHECK_INT(n, 4);
        CHECK(memcmp(buf, "run\n", 4) == 0); /* what was delivered, not redelivered */
        node_cleanup(p2, t, crash);
    }
    node_cleanup(p2, t, id);

    if (base) {
        snprintf(id, sizeof(id), "%s-lost", tag);
        r = run_of(id, "sleep 60", 60000);
        st = run_until_done(p2, t, &r, 300);
        CHECK_INT(st.state, NODE_RUN_RUNNING);
        char path[512], pid[32] = "";
        snprintf(path, sizeof(path), "%s/%s/pid", base, id);
        /* the wrapper writes the pid file after the run starts: on a loaded machine the
         * file may come a moment after the state says running */
        FILE *f = NULL;
        for (int i = 0; i < 500 && !(f = fopen(path, "r")); i++) usleep(10000);
        CHECK(f != NULL);
        if (f) {
            CHECK(fgets(pid, sizeof(pid), f) != NULL);
            fclose(f);
            kill((pid_t)-strtol(pid, NULL, 10), SIGKILL); /* as a reboot would */
        }
        st = run_until_done(p2, t, &r, 5000);
        CHECK_INT(st.state, NODE_RUN_LOST);
        node_cleanup(p2, t, id);

        /* the run directory vanished after the start */
        snprintf(id, sizeof(id), "%s-gone", tag);
        r = run_of(id, "exit 0", 10000);
        st = run_until_done(p2, t, &r, 5000);
        CHECK_INT(st.state, NODE_RUN_EXITED);
        char cmd[600];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s/%s'", base, id);
        CHECK_INT(system(cmd), 0);
        st = run_until_done(p2, t, &r, 5000);
        CHECK_INT(st.state, NODE_RUN_LOST);
        node_cleanup(p2, t, id);
    }
    node_pool_close(p2);
}

static void test_local(void)
{
    node_pool_t *p = open_pool("local", NULL, 0, NULL);
    if (!p) return;
    node_target_t t;
    CHECK(node_target_for(p, "i-0123456789abcdef0", NULL, &t));
    CHECK_INT(t.transport, NODE_LOCAL);
    char base[512], detail[256];
    snprintf(base, sizeof(base), "%s/node/%s", data_dir, node_user);
    CHECK(node_ping(p, &t, 3000, detail, sizeof(detail)));
    test_basics(p, &t, "local");
    test_big_output(p, &t, "local");
    test_timeout_cancel(p, &t, "local", base);
    node_pool_close(p);
    test_restart("local", "local", NULL, 0, NULL, base);

    /* the run directory belongs to the node user, and so do the processes */
    p = open_pool("local", NULL, 0, NULL);
    CHECK(node_target_for(p, "i-0123456789abcdef0", NULL, &t));
    node_run_t r = run_of("local-whoami", "id -un", 10000);
    node_status_t st = run_until_done(p, &t, &r, 10000);
    CHECK_INT(st.state, NODE_RUN_EXITED);
    char buf[128] = "";
    size_t total = 0;
    size_t n = output(p, &t, "local-whoami", 1, buf, sizeof(buf) - 1, &total);
    buf[n] = '\0';
    char want[80];
    snprintf(want, sizeof(want), "%s\n", node_user);
    CHECK_STR(buf, want);
    node_cleanup(p, &t, "local-whoami");
    node_pool_close(p);
}

/* Background polls: the first call starts, the wake says when to collect, a waiting poll
 * comes back when the run ends (not after its whole wait), the outputs land in the files
 * asked for, and a quiesced pool starts nothing. */
static int wakes;
static char woke_key[64];
static void on_wake(void *ctx, const char *key)
{
    (void)ctx;
    __atomic_add_fetch(&wakes, 1, __ATOMIC_SEQ_CST);
    snprintf(woke_key, sizeof(woke_key), "%s", key);
}

static node_status_t bg_until_ready(node_pool_t *p, const node_target_t *t, const node_run_t *r,
                                    const char *const out[2])
{
    node_wake_t w = {on_wake, NULL, "job-1"};
    node_status_t st = {0};
    bool ready = false;
    errbuf_t eb = {{0}};
    for (int i = 0; i < 400 && !ready; i++) {
        CHECK_INT(node_poll_bg(p, t, r, out, &w, &ready, &st, &eb), ERR_OK);
        if (!ready) sleep_ms(25);
    }
    CHECK(ready);
    return st;
}

static void test_background(void)
{
    node_pool_t *p = open_pool("local", NULL, 0, NULL);
    if (!p) return;
    node_target_t t;
    CHECK(node_target_for(p, "i-0123456789abcdef0", NULL, &t));
    char out0[512], out1[512];
    snprintf(out0, sizeof(out0), "%s/bg/out/0.stdout", data_dir);
    snprintf(out1, sizeof(out1), "%s/bg/out/0.stderr", data_dir);
    const char *const out[2] = {out0, out1};
    node_run_t r = run_of("local-bg", "sleep 1; echo done; echo warn >&2", 10000);
    r.wait_ms = 5000;
    node_status_t st = bg_until_ready(p, &t, &r, out); /* delivered and started */
    CHECK_INT(st.state, NODE_RUN_RUNNING);
    CHECK(wakes >= 1);
    CHECK_STR(woke_key, "job-1");
    int64_t t0 = clk_mono_us();
    st = bg_until_ready(p, &t, &r, out); /* one waiting poll sees the end */
    int64_t ms = (clk_mono_us() - t0) / 1000;
    if (st.state == NODE_RUN_RUNNING) st = bg_until_ready(p, &t, &r, out); /* started late */
    CHECK_INT(st.state, NODE_RUN_EXITED);
    CHECK(ms < 4000); /* back at the run's end, not after the whole wait */
    char buf[64] = "";
    FILE *f = fopen(out0, "r");
    CHECK(f != NULL);
    if (f) {
        CHECK(fgets(buf, sizeof(buf), f) != NULL);
        fclose(f);
    }
    CHECK_STR(buf, "done\n");
    CHECK(access(out1, F_OK) == 0);
    CHECK(!node_poll_bg_done(p, "local-bg")); /* collected: forgotten */
    node_cleanup_bg(p, &t, "local-bg");
    node_pool_quiesce(p); /* waits for the cleanup */
    char dir[512];
    snprintf(dir, sizeof(dir), "%s/node/%s/local-bg", data_dir, node_user);
    CHECK(access(dir, F_OK) != 0);
    node_run_t r2 = run_of("local-bg-late", "true", 10000);
    bool ready = true;
    errbuf_t eb = {{0}};
    CHECK_INT(node_poll_bg(p, &t, &r2, NULL, NULL, &ready, &st, &eb), ERR_OK);
    CHECK(!ready); /* a quiesced pool starts nothing */
    node_pool_close(p);
}

/* Tags choose the transport; an instance without one is not a managed node. */
static void test_targets(void)
{
    node_pool_t *p = open_pool("", "10.0.0.9", 2222, "ops");
    node_target_t t;
    CHECK(!node_target_for(p, "i-1", NULL, &t));
    CHECK_INT(t.transport, NODE_NONE);
    cJSON *tags = cJSON_Parse("[{\"Key\":\"catalogd:node-transport\",\"Value\":\"ssh\"},"
                              "{\"Key\":\"catalogd:node-port\",\"Value\":\"2200\"}]");
    CHECK(node_target_for(p, "i-1", tags, &t));
    CHECK_INT(t.transport, NODE_SSH);
    CHECK_STR(t.host, "10.0.0.9");
    CHECK_INT(t.port, 2200);
    CHECK_STR(t.user, "ops");
    CHECK_STR(t.key_id, "default");
    cJSON_Delete(tags);
    /* catalogd:node-user never changes who local commands run as */
    tags = cJSON_Parse("[{\"Key\":\"catalogd:node-transport\",\"Value\":\"local\"},"
                       "{\"Key\":\"catalogd:node-user\",\"Value\":\"root\"}]");
    CHECK(node_target_for(p, "i-1", tags, &t));
    CHECK_STR(t.user, node_user);
    cJSON_Delete(tags);
    node_pool_close(p);
    node_config_t c = {.data_dir = data_dir, .transport = "local", .local_user = "root"};
    errbuf_t eb = {{0}};
    CHECK_INT(node_pool_open(&c, &p, &eb), ERR_VALIDATION);
    c.local_user = "no-such-user-catalogd";
    CHECK_INT(node_pool_open(&c, &p, &eb), ERR_VALIDATION);
}

#include "test_node_ssh.inc"

int main(void)
{
    snprintf(data_dir, sizeof(data_dir), "/tmp/catalogd-test-node-%d", (int)getpid());
    CHECK_INT(mkdir(data_dir, 0700), 0);
    struct passwd *pw = getpwuid(geteuid());
    node_user = pw ? pw->pw_name : "";
    if (geteuid() == 0) { /* a dedicated unprivileged user that can log in over ssh */
        node_user = "catalogd-node";
        if (!getpwnam(node_user) && system("useradd -m -s /bin/sh catalogd-node") != 0)
            fprintf(stderr, "cannot create the user catalogd-node\n");
        /* no password, but not locked ("!"): sshd refuses locked accounts */
        if (system("usermod -p '*' catalogd-node") != 0) fprintf(stderr, "usermod failed\n");
    }
    test_targets();
    test_local();
    test_background();
    test_ssh();
    char cmd[400];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", data_dir);
    if (system(cmd) != 0) fprintf(stderr, "cannot remove %s\n", data_dir);
    return CHECK_DONE();
}
