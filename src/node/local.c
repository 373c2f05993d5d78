/* local.c - the `local` transport: protocol commands run under /bin/sh on the catalogd
 * host, in a base directory, as the configured node user (privileges dropped in the
 * child when catalogd runs as root) or as catalogd itself. */
#include "node/node_int.h"

#include "core/clk.h"
#include "core/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

err_t node_local_init(node_local_t *l, const char *user, errbuf_t *eb)
{
    memset(l, 0, sizeof(*l));
    struct passwd pw, *res = NULL;
    char pwbuf[4096];
    uid_t me = geteuid();
    if (!user || !user[0]) {
        if (getpwuid_r(me, &pw, pwbuf, sizeof(pwbuf), &res) == 0 && res) {
            snprintf(l->user, sizeof(l->user), "%s", pw.pw_name);
            snprintf(l->home, sizeof(l->home), "%s", pw.pw_dir);
        }
        l->uid = me;
        l->gid = getegid();
        return ERR_OK;
    }
    if (getpwnam_r(user, &pw, pwbuf, sizeof(pwbuf), &res) != 0 || !res)
        return err_fail(eb, ERR_VALIDATION, "--node-user %s: no such user", user);
    if (pw.pw_uid == 0)
        return err_fail(eb, ERR_VALIDATION,
                        "--node-user %s is root: commands run as an unprivileged user", user);
    if (me != 0 && pw.pw_uid != me)
        return err_fail(eb, ERR_VALIDATION,
                        "--node-user %s: catalogd runs as another user and is not root, so it "
                        "cannot run commands as %s",
                        user, user);
    snprintf(l->user, sizeof(l->user), "%s", pw.pw_name);
    snprintf(l->home, sizeof(l->home), "%s", pw.pw_dir);
    l->uid = pw.pw_uid;
    l->gid = pw.pw_gid;
    l->switch_user = me == 0;
    if (l->switch_user) {
        int n = (int)(sizeof(l->groups) / sizeof(l->groups[0]));
        if (getgrouplist(pw.pw_name, pw.pw_gid, l->groups, &n) < 0) n = 0;
        l->ngroups = n;
    }
    return ERR_OK;
}

/* The child's side: a group of its own (a timeout kills all of it), the base directory
 * entered before privileges drop (so it need not be reachable by the user), then the
 * user's identity, pipes on 0 and 1, nothing else open. Only async-signal-safe calls. */
static void local_child(const node_local_t *l, const char *base, int in_fd, int out_fd,
                        char *const argv[], char *const envp[])
{
    setpgid(0, 0);
    if (chdir(base) != 0) _exit(126);
    if (l->switch_user) {
        if (setgroups((size_t)l->ngroups, l->groups) != 0 || setgid(l->gid) != 0 ||
            setuid(l->uid) != 0)
            _exit(126);
        if (setuid(0) == 0) _exit(126); /* privileges must be gone for good */
    }
    int devnull = open("/dev/null", O_WRONLY);
    dup2(in_fd, 0);
    dup2(out_fd, 1);
    dup2(devnull >= 0 ? devnull : out_fd, 2);
    if (close_range(3, ~0U, 0) != 0) /* a kernel before 5.9 */
        for (int fd = 3; fd < 65536; fd++) close(fd);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);
    umask(077);
    execve("/bin/sh", argv, envp);
    _exit(127);
}

err_t node_local_sh(const node_local_t *l, const char *base, const char *cmd, span_t in,
                    size_t out_cap, int64_t timeout_ms, node_shres_t *r, errbuf_t *eb)
{
    memset(r, 0, sizeof(*r));
    buf_init(&r->out, out_cap);
    char path[4200], home[600], user[100], logname[100];
    const char *cur = getenv("PATH");
    snprintf(path, sizeof(path), "PATH=%s",
             !l->switch_user && cur ? cur : "/usr/local/bin:/usr/bin:/bin");
    snprintf(home, sizeof(home), "HOME=%s", l->home[0] ? l->home : "/");
    snprintf(user, sizeof(user), "USER=%s", l->user);
    snprintf(logname, sizeof(logname), "LOGNAME=%s", l->user);
    char *envp[] = {path, home, user, logname, "SHELL=/bin/sh", NULL};
    char *argv[] = {"sh", "-c", (char *)cmd, NULL};
    int pin[2], pout[2];
    if (pipe2(pin, O_CLOEXEC) != 0) return err_fail(eb, ERR_INTERNAL, "pipe: %s", strerror(errno));
    if (pipe2(pout, O_CLOEXEC) != 0) {
        close(pin[0]);
        close(pin[1]);
        return err_fail(eb, ERR_INTERNAL, "pipe: %s", strerror(errno));
    }
    pid_t pid = fork();
    if (pid == 0) local_child(l, base, pin[0], pout[1], argv, envp);
    close(pin[0]);
    close(pout[1]);
    if (pid < 0) {
        close(pin[1]);
        close(pout[0]);
        return err_fail(eb, ERR_INTERNAL, "fork: %s", strerror(errno));
    }
    fcntl(pin[1], F_SETFL, O_NONBLOCK);
    size_t sent = 0;
    if (in.n == 0) {
        close(pin[1]);
        pin[1] = -1;
    }
    int64_t deadline = clk_mono_us() / 1000 + timeout_ms;
    bool timed_out = false;
    char chunk[16384];
    for (;;) {
        struct pollfd fds[2] = {{.fd = pout[0], .events = POLLIN},
                                {.fd = pin[1], .events = POLLOUT}};
        int64_t left = deadline - clk_mono_us() / 1000;
        if (left <= 0) {
            timed_out = true;
            break;
        }
        int pr = poll(fds, pin[1] >= 0 ? 2 : 1, (int)(left > 1000 ? 1000 : left));
        if (pr < 0 && errno != EINTR) break;
        if (pr <= 0) continue;
        if (pin[1] >= 0 && (fds[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
            ssize_t w = write(pin[1], in.p + sent, in.n - sent);
            if (w > 0) sent += (size_t)w;
            if (w < 0 && errno != EAGAIN && errno != EINTR) sent = in.n; /* reader gone */
            if (sent >= in.n) {
                close(pin[1]);
                pin[1] = -1;
            }
        }
        if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = read(pout[0], chunk, sizeof(chunk));
            if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) break;
            if (n > 0) {
                size_t room = r->out.max - r->out.len;
                buf_add(&r->out, chunk, (size_t)n < room ? (size_t)n : room);
            }
        }
    }
    if (pin[1] >= 0) close(pin[1]);
    close(pout[0]);
    if (timed_out) kill(-pid, SIGKILL);
    int ws = 0;
    while (waitpid(pid, &ws, 0) < 0 && errno == EINTR) {
    }
    if (timed_out) {
        snprintf(r->detail, sizeof(r->detail), "a command on the node took over %lld ms",
                 (long long)timeout_ms);
        return ERR_OK;
    }
    if (WIFEXITED(ws) && WEXITSTATUS(ws) == 126) {
        snprintf(r->detail, sizeof(r->detail), "cannot run commands as %s in %s", l->user, base);
        return ERR_OK;
    }
    r->reached = true;
    r->status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + (WIFSIGNALED(ws) ? WTERMSIG(ws) : 0);
    return ERR_OK;
}

typedef struct local_conn {
    node_conn_t base;
    node_local_t local;
    char dir[4096];
} local_conn_t;

static err_t local_conn_sh(node_conn_t *c, const char *cmd, span_t in, size_t out_cap,
                           node_shres_t *r, errbuf_t *eb)
{
    local_conn_t *lc = (local_conn_t *)c;
    return node_local_sh(&lc->local, lc->dir, cmd, in, out_cap, NODE_CMD_TIMEOUT_MS, r, eb);
}

static void local_conn_close(node_conn_t *c)
{
    free(c);
}

node_conn_t *node_conn_local(const node_local_t *l, const char *base)
{
    local_conn_t *lc = xcalloc(1, sizeof(*lc));
    lc->base.sh = local_conn_sh;
    lc->base.close = local_conn_close;
    lc->local = *l;
    snprintf(lc->dir, sizeof(lc->dir), "%s", base);
    /* the parent (catalogd's, 0700) then the base, owned by the user */
    char parent[4096];
    snprintf(parent, sizeof(parent), "%s", base);
    char *slash = strrchr(parent, '/');
    if (slash && slash != parent) {
        *slash = '\0';
        mkdir(parent, 0700);
    }
    if (mkdir(base, 0700) == 0 && l->switch_user && chown(base, l->uid, l->gid) != 0) rmdir(base);
    return &lc->base;
}

err_t node_conn_sh(node_conn_t *c, const char *cmd, span_t in, size_t out_cap, node_shres_t *r,
                   errbuf_t *eb)
{
    return c->sh(c, cmd, in, out_cap, r, eb);
}

void node_conn_close(node_conn_t *c)
{
    if (c) c->close(c);
}

/* A connection as catalogd itself in base, and the record directory beside the runs. */
static node_conn_t *self_conn(const char *base, char *rec, size_t cap, errbuf_t *eb)
{
    node_local_t self;
    if (node_local_init(&self, NULL, eb)) return NULL;
    snprintf(rec, cap, "%s/.started", base);
    return node_conn_local(&self, base);
}

err_t node_self_poll(const char *base, const node_run_t *r, node_status_t *st, errbuf_t *eb)
{
    char rec[4200];
    node_conn_t *c = self_conn(base, rec, sizeof(rec), eb);
    if (!c) return ERR_INTERNAL;
    err_t rc = node_run_poll(c, rec, r, st, eb);
    node_conn_close(c);
    return rc;
}

err_t node_self_output(const char *base, const char *run_id, int which, size_t offset, char *buf,
                       size_t cap, size_t *n, size_t *total, errbuf_t *eb)
{
    char rec[4200];
    *n = *total = 0;
    node_conn_t *c = self_conn(base, rec, sizeof(rec), eb);
    if (!c) return ERR_INTERNAL;
    err_t rc = node_run_output(c, run_id, which, offset, buf, cap, n, total, eb);
    node_conn_close(c);
    return rc;
}

void node_self_cleanup(const char *base, const char *run_id)
{
    char rec[4200];
    errbuf_t eb;
    node_conn_t *c = self_conn(base, rec, sizeof(rec), &eb);
    if (c) node_run_cleanup(c, rec, run_id);
    node_conn_close(c);
}
