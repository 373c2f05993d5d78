/* exec.c - detached provider commands with durable results: the exec EC2 provider's
 * commands run through the node module's local runner and run protocol (src/node/wrap.c),
 * as catalogd itself, in <data-dir>/exec/<run-id>/. */
#include "prov/exec.h"

#include "node/node_int.h"

#include <stdio.h>
#include <string.h>

/* The base directory of the runs and catalogd's record of the started ones. */
static void exec_dirs(const char *data_dir, char *base, char *rec, size_t cap)
{
    snprintf(base, cap, "%s/exec", data_dir);
    snprintf(rec, cap, "%s/exec/.started", data_dir);
}

err_t prov_exec_poll(const char *data_dir, const char *run_id, const char *command,
                     const char *const *env, int timeout_s, prov_exec_result_t *out, errbuf_t *eb)
{
    memset(out, 0, sizeof(*out));
    node_local_t self;
    err_t rc = node_local_init(&self, NULL, eb);
    if (rc) return rc;
    char base[1200], rec[1200];
    exec_dirs(data_dir, base, rec, sizeof(base));
    node_conn_t *c = node_conn_local(&self, base);
    node_run_t r = {.run_id = run_id,
                    .script = command,
                    .script_len = strlen(command),
                    .timeout_ms = (int64_t)(timeout_s > 0 ? timeout_s : 300) * 1000,
                    .env = env};
    node_status_t st;
    rc = node_run_poll(c, rec, &r, &st, eb);
    if (!rc && st.state != NODE_RUN_RUNNING) {
        out->done = true;
        switch (st.state) {
        case NODE_RUN_EXITED:
            out->exit_code = st.exit_code;
            break;
        case NODE_RUN_TIMED_OUT:
            out->exit_code = 124;
            break;
        case NODE_RUN_UNDELIVERABLE:
            out->exit_code = 127;
            break;
        default:
            out->exit_code = 137;
            snprintf(st.detail, sizeof(st.detail),
                     "the provider command was interrupted before it finished");
        }
        char buf[sizeof(out->stderr_text)];
        size_t n = 0, total = 0;
        errbuf_t oeb;
        if (st.detail[0])
            n = (size_t)snprintf(buf, sizeof(buf), "%s", st.detail);
        else if (node_run_output(c, run_id, 2, 0, buf, sizeof(buf) - 1, &n, &total, &oeb))
            n = 0;
        while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' ')) n--;
        memcpy(out->stderr_text, buf, n);
        out->stderr_text[n] = '\0';
    }
    node_conn_close(c);
    return rc;
}

void prov_exec_cleanup(const char *data_dir, const char *run_id)
{
    node_local_t self;
    errbuf_t eb;
    if (node_local_init(&self, NULL, &eb)) return;
    char base[1200], rec[1200];
    exec_dirs(data_dir, base, rec, sizeof(base));
    node_conn_t *c = node_conn_local(&self, base);
    node_run_cleanup(c, rec, run_id);
    node_conn_close(c);
}
