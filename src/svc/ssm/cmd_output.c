/* cmd_output.c - the whole outputs of Run Command plugins: where the command job keeps
 * them in the data directory, and the two ways to read one back: signed, through GET
 * /_catalogd/command-output (ssm_command_output_read), and the `catalogd command-output`
 * subcommand on the catalogd host (ssm.h). */
#include "svc/ssm/cmd_int.h"
#include "svc/ssm/ssm.h"

#include "node/node.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* True for a non-empty name of [A-Za-z0-9._-] not starting with '.'. */
static bool cmd_plain(const char *s)
{
    if (!*s || *s == '.') return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '-' || *s == '_' || *s == '.'))
            return false;
    return true;
}

bool cmd_output_path(const char *data_dir, const char *command_id, const char *instance_id,
                     int plugin, int which, char *out, size_t cap)
{
    if (!cmd_plain(command_id) || !cmd_plain(instance_id) || plugin < 0) return false;
    int n = snprintf(out, cap, "%s/commands/%s/%s/%d.%s", data_dir, command_id, instance_id, plugin,
                     which == 1 ? "stdout" : "stderr");
    return n > 0 && (size_t)n < cap;
}

/* Appends the file at path (at most NODE_OUTPUT_CAP bytes) to out; a missing file adds
 * nothing. False when it cannot be read. */
static bool cmd_read_file(const char *path, buf_t *out)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno == ENOENT;
    char chunk[65536];
    size_t total = 0;
    bool ok = true;
    while (ok && total < NODE_OUTPUT_CAP) {
        ssize_t r = read(fd, chunk, sizeof(chunk));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) {
            ok = r == 0;
            break;
        }
        ok = buf_add(out, chunk, (size_t)r);
        total += (size_t)r;
    }
    close(fd);
    return ok;
}

err_t ssm_command_output_read(app_t *app, const char *scope, const char *command_id,
                              const char *instance_id, const char *plugin, int which, buf_t *out,
                              errbuf_t *eb)
{
    store_tx_t *tx = NULL;
    cJSON *inv = NULL;
    char key[256], path[1200];
    snprintf(key, sizeof(key), "%s:%s", command_id, instance_id);
    err_t rc = store_begin(app->store, false, &tx, eb);
    if (!rc) rc = res_get(tx, &(res_key_t){scope, SSM_INV, key}, &inv, eb);
    if (tx) store_rollback(tx);
    if (!rc && !inv)
        rc = err_fail(eb, ERR_SSM_INVOCATION_NOT_FOUND,
                      "Command %s has no invocation on instance %s.", command_id, instance_id);
    int idx = 0;
    const cJSON *ps = inv ? cJSON_GetObjectItemCaseSensitive(inv, "_Plugins") : NULL;
    const cJSON *p = ps ? ps->child : NULL;
    for (; !rc && plugin && *plugin && p && strcmp(jx_str(p, "Name"), plugin); p = p->next) idx++;
    if (!rc && !p)
        rc = err_fail(eb, ERR_SSM_INVALID_PLUGIN_NAME,
                      "The plugin name %s is not valid for this command.", plugin ? plugin : "");
    if (!rc && !cmd_output_path(app->cfg.data_dir, command_id, instance_id, idx, which, path,
                                sizeof(path)))
        rc = err_fail(eb, ERR_SSM_INVOCATION_NOT_FOUND,
                      "Command %s has no invocation on instance %s.", command_id, instance_id);
    if (!rc && !cmd_read_file(path, out))
        rc = err_fail(eb, ERR_INTERNAL, "cannot read the output kept in %s", path);
    cJSON_Delete(inv);
    return rc;
}

int ssm_command_output_main(int argc, char **argv)
{
    const char *ids[2] = {NULL, NULL}, *dir = getenv("CATALOGD_DATA_DIR");
    int plugin = 0, which = 1, n = 0;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--stderr")) {
            which = 2;
        } else if (!strcmp(argv[i], "--plugin") && i + 1 < argc) {
            char *end;
            long v = strtol(argv[++i], &end, 10);
            if (*end || v < 0 || v > 1000) n = 9;
            plugin = (int)v;
        } else if (!strcmp(argv[i], "--data-dir") && i + 1 < argc) {
            dir = argv[++i];
        } else if (argv[i][0] != '-' && n < 2) {
            ids[n++] = argv[i];
        } else {
            n = 9;
        }
    }
    if (n != 2) {
        fputs("usage: catalogd command-output COMMAND_ID INSTANCE_ID [--plugin N] [--stderr] "
              "[--data-dir DIR]\n",
              stderr);
        return 2;
    }
    char path[1200];
    if (!cmd_output_path(dir && *dir ? dir : "./catalogd-data", ids[0], ids[1], plugin, which, path,
                         sizeof(path))) {
        fprintf(stderr, "catalogd: %s / %s is not a command id and an instance id\n", ids[0],
                ids[1]);
        return 2;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr,
                "catalogd: no output of plugin %d of command %s on %s (%s): the invocation "
                "has not finished, or the plugin did not run\n",
                plugin, ids[0], ids[1], strerror(errno));
        return 1;
    }
    char buf[65536];
    ssize_t r;
    int rc = 0;
    while ((r = read(fd, buf, sizeof(buf))) != 0) {
        if (r < 0 && errno == EINTR) continue;
        if (r < 0 || fwrite(buf, 1, (size_t)r, stdout) != (size_t)r) {
            rc = 1;
            break;
        }
    }
    close(fd);
    return fflush(stdout) ? 1 : rc;
}
