/* isolate.c - yaml_load, in-process or in a forked child. libfyaml 0.7.12/0.8 has crashed
 * (and looped) on hostile input that the textual guards in yaml.c did not foresee; the
 * request path therefore parses in a child that sends back the converted tree as JSON
 * text. The hooks of yaml_opts_t run in the child: they must not keep state (neither
 * caller's does). */
#include "yaml/yaml_int.h"

#include "core/buf.h"
#include "core/crypto.h"
#include "core/log.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ISOLATE_MAX_REPLY (256u * 1024 * 1024) /* bytes of JSON a child may send back */

static _Thread_local bool isolate_on;

/* Texts a child has parsed without dying, by SHA-256: the parser is deterministic, so the
 * same bytes are parsed in-process afterwards (stored documents and templates are read
 * again and again: every StartAutomationExecution, every ProvisionProduct). Fixed size,
 * oldest replaced first. */
#define ISOLATE_KNOWN 512

static pthread_mutex_t isolate_mu = PTHREAD_MUTEX_INITIALIZER;
static unsigned char isolate_known[ISOLATE_KNOWN][CRYPTO_SHA256_LEN];
static size_t isolate_n_known, isolate_next;

static bool isolate_is_known(const unsigned char h[CRYPTO_SHA256_LEN])
{
    pthread_mutex_lock(&isolate_mu);
    bool found = false;
    for (size_t i = 0; i < isolate_n_known && !found; i++)
        found = memcmp(isolate_known[i], h, CRYPTO_SHA256_LEN) == 0;
    pthread_mutex_unlock(&isolate_mu);
    return found;
}

static void isolate_remember(const unsigned char h[CRYPTO_SHA256_LEN])
{
    pthread_mutex_lock(&isolate_mu);
    memcpy(isolate_known[isolate_next], h, CRYPTO_SHA256_LEN);
    isolate_next = (isolate_next + 1) % ISOLATE_KNOWN;
    if (isolate_n_known < ISOLATE_KNOWN) isolate_n_known++;
    pthread_mutex_unlock(&isolate_mu);
}

void yaml_isolate_this_thread(bool on)
{
    isolate_on = on;
}

/* The reply frame: yaml_error_t as is, then the JSON text of the tree (YAML_OK only). */
typedef struct isolate_head {
    yaml_error_t err;
    uint64_t json_len;
} isolate_head_t;

/* Writes all of p, retrying short writes; false on failure. */
static bool isolate_write(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        ssize_t w = write(fd, c, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return false;
        c += w;
        n -= (size_t)w;
    }
    return true;
}

/* The child: parse, send the frame, leave without running exit handlers. */
static _Noreturn void isolate_child(int fd, span_t text, const yaml_opts_t *opts)
{
    /* fault injection for the tests: text holding CATALOGD_TEST_YAML_FAULT crashes the
     * child as a libfyaml bug would */
    const char *fault = getenv("CATALOGD_TEST_YAML_FAULT");
    if (fault && *fault && memmem(text.p, text.n, fault, strlen(fault))) {
        signal(SIGSEGV, SIG_DFL); /* a plain death, also under a sanitizer's handler */
        raise(SIGSEGV);
    }
    isolate_head_t h = {0};
    cJSON *tree = NULL;
    char *json = NULL;
    if (yaml__load_here(text, opts, &tree, &h.err) == YAML_OK) {
        json = cJSON_PrintUnformatted(tree);
        if (!json) _exit(3);
        h.json_len = strlen(json);
    }
    bool ok = isolate_write(fd, &h, sizeof h) && (!json || isolate_write(fd, json, h.json_len));
    _exit(ok ? 0 : 4);
}

/* Milliseconds on the monotonic clock. */
static int64_t isolate_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads the child's whole reply into b by the deadline; false on timeout, error or a
 * reply over the cap. */
static bool isolate_read(int fd, buf_t *b, int64_t deadline_ms)
{
    char chunk[65536];
    for (;;) {
        int64_t left = deadline_ms - isolate_now_ms();
        if (left <= 0) return false;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int r = poll(&p, 1, (int)(left > 1000 ? 1000 : left));
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return false;
        if (r == 0) continue;
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return false;
        if (n == 0) return true;
        if (!buf_add(b, chunk, (size_t)n)) return false;
    }
}

/* What the caller hears when the child did not answer properly. */
static yaml_status_t isolate_failed(yaml_error_t *err, const char *why)
{
    *err = (yaml_error_t){YAML_E_SYNTAX, 1, 1, ""};
    snprintf(err->msg, sizeof(err->msg), "the YAML parser failed on this input (%s)", why);
    return YAML_E_SYNTAX;
}

static yaml_status_t isolate_load(span_t text, const yaml_opts_t *opts, cJSON **out,
                                  yaml_error_t *err)
{
    unsigned char digest[CRYPTO_SHA256_LEN];
    crypto_sha256(text.n ? text.p : "", text.n, digest);
    if (isolate_is_known(digest)) return yaml__load_here(text, opts, out, err);
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        log_warn("yaml isolation unavailable, parsing in-process", "\"errno\":%d", errno);
        return yaml__load_here(text, opts, out, err);
    }
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        log_warn("yaml isolation unavailable, parsing in-process", "\"errno\":%d", errno);
        return yaml__load_here(text, opts, out, err);
    }
    if (pid == 0) {
        close(fds[0]);
        isolate_child(fds[1], text, opts);
    }
    close(fds[1]);
    buf_t b;
    buf_init(&b, ISOLATE_MAX_REPLY);
    bool read_all = isolate_read(fds[0], &b, isolate_now_ms() + YAML_ISOLATED_TIMEOUT_S * 1000);
    close(fds[0]);
    if (!read_all) kill(pid, SIGKILL);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    yaml_status_t rc;
    isolate_head_t h;
    if (!read_all) {
        rc = isolate_failed(err, "it took too long");
    } else if (WIFSIGNALED(status)) {
        log_warn("yaml parser child died", "\"signal\":%d,\"bytes\":%zu", WTERMSIG(status), text.n);
        rc = isolate_failed(err, "the parser crashed");
    } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || b.len < sizeof h) {
        rc = isolate_failed(err, "no answer from the parser");
    } else {
        isolate_remember(digest); /* it came through: safe in-process from now on */
        memcpy(&h, b.p, sizeof h);
        *err = h.err;
        err->msg[sizeof(err->msg) - 1] = '\0';
        rc = h.err.status;
        if (rc == YAML_OK) {
            cJSON *tree = b.len - sizeof h == h.json_len
                              ? cJSON_ParseWithLength(b.p + sizeof h, (size_t)h.json_len)
                              : NULL;
            if (tree)
                *out = tree;
            else
                rc = isolate_failed(err, "a garbled answer");
        }
    }
    buf_free(&b);
    return rc;
}

yaml_status_t yaml_load(span_t text, const yaml_opts_t *opts, cJSON **out, yaml_error_t *err)
{
    return isolate_on ? isolate_load(text, opts, out, err) : yaml__load_here(text, opts, out, err);
}
