/* ssh.c - the `ssh` transport (libssh): a session to host:port as user with a private key
 * sealed at rest in the data directory, the node's host key pinned on first use in
 * <data-dir>/node-known_hosts (a changed one is refused), and each protocol command on
 * its own exec channel, run in ~/.catalogd/runs. */
#include "node/node_int.h"

#include "auth/seal.h"
#include "core/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <libssh/libssh.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define KEY_MAX (64 * 1024)

/* known_hosts is read and appended by every session: one at a time */
static pthread_mutex_t ssh_hosts_mu = PTHREAD_MUTEX_INITIALIZER;

static bool key_id_ok(const char *id)
{
    size_t n = id ? strlen(id) : 0;
    return n > 0 && n <= 64 && id[0] != '.' &&
           strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

/* Reads at most max bytes of path into b; false when it cannot. */
static bool read_file(const char *path, buf_t *b, size_t max)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return false;
    char chunk[4096];
    ssize_t n;
    bool ok = true;
    while ((n = read(fd, chunk, sizeof(chunk))) > 0)
        if (b->len + (size_t)n > max || !buf_add(b, chunk, (size_t)n)) ok = false;
    close(fd);
    return ok && n == 0;
}

err_t node_key_import(const char *data_dir, const char *seal_key_file, const char *id,
                      const char *file, errbuf_t *eb)
{
    if (!key_id_ok(id))
        return err_fail(eb, ERR_VALIDATION, "--id wants letters, digits, '.', '_' or '-'");
    buf_t pem, sealed;
    buf_init(&pem, KEY_MAX);
    buf_init(&sealed, KEY_MAX * 2);
    seal_t seal;
    ids_t ids;
    ids_init_system(&ids);
    ssh_key key = NULL;
    char dir[1200], path[1400], tmp[1500];
    err_t rc = ERR_OK;
    if (!read_file(file, &pem, KEY_MAX)) {
        rc = err_fail(eb, ERR_VALIDATION, "cannot read %s", file);
        goto done;
    }
    if (ssh_pki_import_privkey_base64(buf_str(&pem), NULL, NULL, NULL, &key) != SSH_OK) {
        rc = err_fail(eb, ERR_VALIDATION,
                      "%s is not an unencrypted private key (OpenSSH or PEM format)", file);
        goto done;
    }
    mkdir(data_dir, 0700);
    rc = seal_open(&seal, data_dir, seal_key_file, true, &ids, eb);
    if (rc) goto done;
    if (!seal_seal(&seal, &ids, buf_span(&pem), &sealed)) {
        rc = err_fail(eb, ERR_INTERNAL, "cannot seal the key");
        goto done;
    }
    snprintf(dir, sizeof(dir), "%s/node-keys", data_dir);
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        rc = err_fail(eb, ERR_INTERNAL, "cannot create %s: %s", dir, strerror(errno));
        goto done;
    }
    snprintf(path, sizeof(path), "%s/%s.sealed", dir, id);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    bool ok = fd >= 0 && write(fd, sealed.p, sealed.len) == (ssize_t)sealed.len && fsync(fd) == 0;
    if (fd >= 0) close(fd);
    if (!ok || rename(tmp, path) != 0) {
        unlink(tmp);
        rc = err_fail(eb, ERR_INTERNAL, "cannot write %s", path);
    }
done:
    ssh_key_free(key);
    explicit_bzero(&seal, sizeof(seal));
    if (pem.p) explicit_bzero(pem.p, pem.len);
    buf_free(&pem);
    buf_free(&sealed);
    return rc;
}

/* The private key key_id, unsealed; NULL with detail when it is missing or unreadable. */
static ssh_key ssh_load_key(const char *data_dir, const char *seal_key_file, const char *key_id,
                            char *detail, size_t cap)
{
    if (!key_id_ok(key_id)) {
        snprintf(detail, cap, "invalid ssh key id");
        return NULL;
    }
    char path[1400];
    snprintf(path, sizeof(path), "%s/node-keys/%s.sealed", data_dir, key_id);
    buf_t sealed, pem;
    buf_init(&sealed, KEY_MAX * 2);
    buf_init(&pem, KEY_MAX);
    seal_t seal;
    ids_t ids;
    ids_init_system(&ids);
    errbuf_t eb;
    ssh_key key = NULL;
    if (!read_file(path, &sealed, KEY_MAX * 2))
        snprintf(detail, cap, "no ssh key '%s' (catalogd node-key import)", key_id);
    else if (seal_open(&seal, data_dir, seal_key_file, false, &ids, &eb) != ERR_OK ||
             !seal_open_value(&seal, buf_span(&sealed), &pem))
        snprintf(detail, cap, "the ssh key '%s' cannot be unsealed", key_id);
    else if (ssh_pki_import_privkey_base64(buf_str(&pem), NULL, NULL, NULL, &key) != SSH_OK)
        snprintf(detail, cap, "the ssh key '%s' is not a usable private key", key_id);
    explicit_bzero(&seal, sizeof(seal));
    if (pem.p) explicit_bzero(pem.p, pem.len);
    buf_free(&pem);
    buf_free(&sealed);
    return key;
}

typedef struct ssh_conn {
    node_conn_t base;
    ssh_session s;
} ssh_conn_t;

static err_t ssh_conn_sh(node_conn_t *c, const char *cmd, span_t in, size_t out_cap,
                         node_shres_t *r, errbuf_t *eb)
{
    ssh_conn_t *sc = (ssh_conn_t *)c;
    memset(r, 0, sizeof(*r));
    buf_init(&r->out, out_cap);
    buf_t line;
    buf_init(&line, strlen(cmd) + 256);
    buf_printf(
        &line,
        "umask 077; mkdir -p \"$HOME/.catalogd/runs\" && cd \"$HOME/.catalogd/runs\" || exit "
        "111\n{\n%s\n} 2>/dev/null\n",
        cmd);
    ssh_channel ch = ssh_channel_new(sc->s);
    bool ok = ch && ssh_channel_open_session(ch) == SSH_OK &&
              ssh_channel_request_exec(ch, buf_str(&line)) == SSH_OK;
    for (size_t sent = 0; ok && sent < in.n;) {
        int w = ssh_channel_write(ch, in.p + sent,
                                  (uint32_t)(in.n - sent > 32768 ? 32768 : in.n - sent));
        if (w <= 0)
            ok = false;
        else
            sent += (size_t)w;
    }
    if (ok) ssh_channel_send_eof(ch);
    char chunk[16384];
    while (ok) {
        int n = ssh_channel_read_timeout(ch, chunk, sizeof(chunk), 0, NODE_CMD_TIMEOUT_MS);
        if (n < 0) ok = false;
        if (n <= 0) break;
        size_t room = r->out.max - r->out.len;
        buf_add(&r->out, chunk, (size_t)n < room ? (size_t)n : room);
    }
    int status = ok ? ssh_channel_get_exit_status(ch) : -1;
    if (!ok || status < 0) {
        snprintf(r->detail, sizeof(r->detail), "ssh: %s", ssh_get_error(sc->s));
        r->transient = true; /* the session broke: the node may answer a later try */
    } else {
        r->reached = true;
        r->status = status;
        if (status == 111) {
            r->reached = false;
            snprintf(r->detail, sizeof(r->detail), "cannot create ~/.catalogd/runs on the node");
        }
    }
    if (ch) {
        ssh_channel_close(ch);
        ssh_channel_free(ch);
    }
    buf_free(&line);
    (void)eb;
    return ERR_OK;
}

static void ssh_conn_close(node_conn_t *c)
{
    ssh_conn_t *sc = (ssh_conn_t *)c;
    ssh_disconnect(sc->s);
    ssh_free(sc->s);
    free(sc);
}

/* Checks the server's key against the pinned one, pinning it when the host is new. */
static bool ssh_check_host(ssh_session s, const node_target_t *t, char *detail, size_t cap)
{
    pthread_mutex_lock(&ssh_hosts_mu);
    enum ssh_known_hosts_e k = ssh_session_is_known_server(s);
    bool ok = k == SSH_KNOWN_HOSTS_OK;
    if (k == SSH_KNOWN_HOSTS_UNKNOWN || k == SSH_KNOWN_HOSTS_NOT_FOUND)
        ok = ssh_session_update_known_hosts(s) == SSH_OK;
    pthread_mutex_unlock(&ssh_hosts_mu);
    if (k == SSH_KNOWN_HOSTS_CHANGED || k == SSH_KNOWN_HOSTS_OTHER)
        snprintf(detail, cap, "host key for %s changed", t->host);
    else if (!ok)
        snprintf(detail, cap, "cannot check the host key of %s: %s", t->host, ssh_get_error(s));
    return ok;
}

node_conn_t *node_conn_ssh(node_pool_t *p, const node_target_t *t, char *detail, size_t cap,
                           bool *transient)
{
    *transient = false;
    const char *dd = node_pool_data_dir(p);
    char known[1200];
    snprintf(known, sizeof(known), "%s/node-known_hosts", dd);
    ssh_session s = ssh_new();
    if (!s) {
        snprintf(detail, cap, "ssh: cannot create a session");
        return NULL;
    }
    unsigned int port = (unsigned)(t->port > 0 ? t->port : 22);
    long timeout_s = NODE_CONNECT_TIMEOUT_MS / 1000;
    bool no = false;
    int strict = 1;
    ssh_options_set(s, SSH_OPTIONS_PROCESS_CONFIG, &no);
    ssh_options_set(s, SSH_OPTIONS_HOST, t->host);
    ssh_options_set(s, SSH_OPTIONS_PORT, &port);
    ssh_options_set(s, SSH_OPTIONS_USER, t->user);
    ssh_options_set(s, SSH_OPTIONS_TIMEOUT, &timeout_s);
    ssh_options_set(s, SSH_OPTIONS_KNOWNHOSTS, known);
    ssh_options_set(s, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, "/dev/null");
    ssh_options_set(s, SSH_OPTIONS_STRICTHOSTKEYCHECK, &strict);
    ssh_key key = NULL;
    if (ssh_connect(s) != SSH_OK) {
        snprintf(detail, cap, "cannot connect to %s:%u: %s", t->host, port, ssh_get_error(s));
        *transient = true; /* refused, unreachable or silent: worth another try */
        goto fail;
    }
    if (!ssh_check_host(s, t, detail, cap)) goto fail;
    key = ssh_load_key(dd, node_pool_seal_key_file(p), t->key_id ? t->key_id : "default", detail,
                       cap);
    if (!key) goto fail;
    if (ssh_userauth_publickey(s, NULL, key) != SSH_AUTH_SUCCESS) {
        snprintf(detail, cap, "%s@%s refused the ssh key '%s'", t->user, t->host,
                 t->key_id ? t->key_id : "default");
        goto fail;
    }
    ssh_key_free(key);
    ssh_conn_t *sc = xcalloc(1, sizeof(*sc));
    sc->base.sh = ssh_conn_sh;
    sc->base.close = ssh_conn_close;
    sc->s = s;
    return &sc->base;
fail:
    ssh_key_free(key);
    ssh_disconnect(s);
    ssh_free(s);
    return NULL;
}
