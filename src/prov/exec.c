/* exec.c - detached provider commands with durable results: the exec EC2 provider's
 * commands run through the node module's run protocol (src/node/wrap.c) as catalogd
 * itself, in <data-dir>/exec/<run-id>/. */
#include "prov/exec.h"

#include "node/node.h"

#include <stdio.h>
#include <string.h>

err_t prov_exec_poll(const char *data_dir, const char *run_id, const char *command,
                     const char *const *env, int timeout_s, bool no_start, prov_exec_result_t *out,
                     errbuf_t *eb)
{
    memset(out, 0, sizeof(*out));
    char base[1200];
    snprintf(base, sizeof(base), "%s/exec", data_dir);
    node_run_t r = {.run_id = run_id,
                    .script = command,
                    .script_len = strlen(command),
                    .timeout_ms = (int64_t)(timeout_s > 0 ? timeout_s : 300) * 1000,
                    .env = env,
                    .no_start = no_start};
    node_status_t st;
    err_t rc = node_self_poll(base, &r, &st, eb);
    if (rc || st.state == NODE_RUN_RUNNING) return rc;
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
    else if (node_self_output(base, run_id, 2, 0, buf, sizeof(buf) - 1, &n, &total, &oeb))
        n = 0;
    if (n >= sizeof(buf)) n = sizeof(buf) - 1;
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' ')) n--;
    memcpy(out->stderr_text, buf, n);
    out->stderr_text[n] = '\0';
    return ERR_OK;
}

void prov_exec_cleanup(const char *data_dir, const char *run_id)
{
    char base[1200];
    snprintf(base, sizeof(base), "%s/exec", data_dir);
    node_self_cleanup(base, run_id);
}
