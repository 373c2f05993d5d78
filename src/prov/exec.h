/* exec.h - running operator commands for providers (the `exec` EC2 provider) so that a
 * command runs exactly once per transition even if catalogd dies meanwhile: the command
 * runs detached under a small shell wrapper that records its pid and, on exit, its status
 * in a run directory (<data-dir>/exec/<run-id>/). Engine steps poll that directory. */
#ifndef CATALOGD_PROV_EXEC_H
#define CATALOGD_PROV_EXEC_H

#include "core/err.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct prov_exec_result {
    bool done;              /* false: still running, poll again */
    int exit_code;          /* when done: the command's status (124 = timed out) */
    char stderr_text[1024]; /* when done: the start of its stderr, trimmed */
} prov_exec_result_t;

/* Starts run_id's command on the first call and reports its progress on later ones; with
 * no_start (the step's engine_run orphaned: another catalogd node may have started it and
 * stopped) a run this node has no record of ends as interrupted (exit 137) instead.
 * command runs under /bin/sh -c with env (NULL-terminated "K=V" strings, added to a
 * minimal PATH/HOME environment) and a timeout of timeout_s seconds. ERR_INTERNAL only
 * when the run directory or the process cannot be created. */
err_t prov_exec_poll(const char *data_dir, const char *run_id, const char *command,
                     const char *const *env, int timeout_s, bool no_start, prov_exec_result_t *out,
                     errbuf_t *eb);

/* Removes run_id's directory (after its result has been committed). */
void prov_exec_cleanup(const char *data_dir, const char *run_id);

#endif
