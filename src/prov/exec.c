/* exec.c - detached provider commands with durable results. */
#include "prov/exec.h"

#include "core/mem.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Runs in the run directory: records the wrapper's pid, runs the command with a
 * timeout, records its status; both records appear atomically (rename). */
static const char exec_script[] =
    "echo $$ > pid.tmp && mv pid.tmp pid\n"
    "timeout -k 5 \"$CATALOGD_EXEC_TIMEOUT\" /bin/sh -c \"$CATALOGD_EXEC_COMMAND\""
    " </dev/null >stdout 2>stderr\n"
    "echo $? > status.tmp && mv status.tmp status\n";

static void exec_path(char *out, size_t cap, const char *data_dir, const char *run_id,
                      const char *file)
{
    snprintf(out, cap, "%s/exec/%s%s%s", data_dir, run_id, file ? "/" : "", file ? file : "");
}

static bool exec_read(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    ssize_t n = read(fd, buf, cap - 1);
    close(fd);
    if (n < 0) n = 0;
    buf[n] = '\0';
    return true;
}

/* Forks a session leader that forks the wrapper and exits, so the wrapper belongs to no
 * one here (it outlives catalogd). Only async-signal-safe calls happen after fork. */
static err_t exec_spawn(const char *dir, const char *command, const char *const *env, int timeout_s,
                        errbuf_t *eb)
{
    size_t n_env = 0;
    while (env && env[n_env]) n_env++;
    char **envp = xcalloc(n_env + 5, sizeof(*envp));
    size_t k = 0;
    const char *path = getenv("PATH");
    char tmo[48];
    snprintf(tmo, sizeof(tmo), "CATALOGD_EXEC_TIMEOUT=%d", timeout_s > 0 ? timeout_s : 300);
    size_t cl = strlen(command) + 32;
    char *cmd = xmalloc(cl);
    snprintf(cmd, cl, "CATALOGD_EXEC_COMMAND=%s", command);
    char pathv[4096];
    snprintf(pathv, sizeof(pathv), "PATH=%s", path ? path : "/usr/local/bin:/usr/bin:/bin");
    envp[k++] = pathv;
    envp[k++] = tmo;
    envp[k++] = cmd;
    for (size_t i = 0; i < n_env; i++) envp[k++] = (char *)env[i];
    envp[k] = NULL;
    char *argv[] = {"/bin/sh", "-c", (char *)exec_script, NULL};

    pid_t child = fork();
    if (child < 0) {
        free(cmd);
        free(envp);
        return err_fail(eb, ERR_INTERNAL, "fork: %s", strerror(errno));
    }
    if (child == 0) {
        setsid();
        pid_t g = fork();
        if (g == 0) {
            if (chdir(dir) != 0) _exit(127);
            int devnull = open("/dev/null", O_RDWR);
            if (devnull >= 0) {
                dup2(devnull, 0);
                dup2(devnull, 1);
                dup2(devnull, 2);
            }
            for (int fd = 3; fd < 1024; fd++) close(fd);
            sigset_t none;
            sigemptyset(&none);
            sigprocmask(SIG_SETMASK, &none, NULL);
            signal(SIGPIPE, SIG_DFL);
            execve("/bin/sh", argv, envp);
            _exit(127);
        }
        _exit(g < 0 ? 1 : 0);
    }
    int st;
    while (waitpid(child, &st, 0) < 0 && errno == EINTR) {
    }
    free(cmd);
    free(envp);
    return ERR_OK;
}

err_t prov_exec_poll(const char *data_dir, const char *run_id, const char *command,
                     const char *const *env, int timeout_s, prov_exec_result_t *out, errbuf_t *eb)
{
    char dir[4096], file[4200], buf[1100];
    memset(out, 0, sizeof(*out));
    snprintf(dir, sizeof(dir), "%s/exec", data_dir);
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return err_fail(eb, ERR_INTERNAL, "cannot create %s: %s", dir, strerror(errno));
    exec_path(dir, sizeof(dir), data_dir, run_id, NULL);

    exec_path(file, sizeof(file), data_dir, run_id, "status");
    if (exec_read(file, buf, sizeof(buf))) {
        out->done = true;
        out->exit_code = (int)strtol(buf, NULL, 10);
        exec_path(file, sizeof(file), data_dir, run_id, "stderr");
        if (exec_read(file, buf, sizeof(out->stderr_text))) {
            size_t len = strlen(buf);
            while (len && (buf[len - 1] == '\n' || buf[len - 1] == ' ')) buf[--len] = '\0';
            memcpy(out->stderr_text, buf,
                   len + 1 < sizeof(out->stderr_text) ? len + 1 : sizeof(out->stderr_text));
            out->stderr_text[sizeof(out->stderr_text) - 1] = '\0';
        }
        return ERR_OK;
    }
    struct stat sb;
    if (stat(dir, &sb) == 0) {
        exec_path(file, sizeof(file), data_dir, run_id, "pid");
        if (exec_read(file, buf, sizeof(buf))) {
            pid_t pid = (pid_t)strtol(buf, NULL, 10);
            if (pid > 0 && (kill(pid, 0) == 0 || errno == EPERM)) return ERR_OK; /* running */
            /* the wrapper died without a status: the machine restarted, or it was killed */
            out->done = true;
            out->exit_code = 137;
            snprintf(out->stderr_text, sizeof(out->stderr_text),
                     "the provider command was interrupted before it finished");
            return ERR_OK;
        }
        /* started but no pid yet: the wrapper writes it at once, so after a few seconds
         * the spawn never happened (we died between mkdir and fork) */
        if (time(NULL) - sb.st_mtime < 5) return ERR_OK;
        prov_exec_cleanup(data_dir, run_id);
    }
    if (mkdir(dir, 0700) != 0)
        return err_fail(eb, ERR_INTERNAL, "cannot create %s: %s", dir, strerror(errno));
    return exec_spawn(dir, command, env, timeout_s, eb);
}

void prov_exec_cleanup(const char *data_dir, const char *run_id)
{
    char dir[4096], file[4400];
    exec_path(dir, sizeof(dir), data_dir, run_id, NULL);
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        snprintf(file, sizeof(file), "%s/%s", dir, e->d_name);
        unlink(file);
    }
    closedir(d);
    rmdir(dir);
}
