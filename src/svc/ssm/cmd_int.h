/* cmd_int.h - Run Command inside svc/ssm: command records (kind "ssm.command", id the
 * CommandId) and invocation records (kind "ssm.invocation", id "<CommandId>:<InstanceId>",
 * parent the CommandId), written by SendCommand (commands.c) and driven by one engine job
 * per command (command_job.c) that starts each invocation on its node (src/node/node.h)
 * and follows it through background polls that wake the job, retries Delayed deliveries,
 * honours MaxConcurrency / MaxErrors / the delivery timeout / cancellation, and
 * aggregates the command's status as AWS does. Whole outputs are kept as files under the
 * data directory (cmd_output_path), read back by cmd_output.c; the records keep what the
 * API shows. */
#ifndef CATALOGD_SSM_CMD_INT_H
#define CATALOGD_SSM_CMD_INT_H

#include "svc/ssm/ssm_int.h"

#define SSM_CMD     "ssm.command"
#define SSM_INV     "ssm.invocation"
#define SSM_CMD_JOB "ssm.command"

#define CMD_API_OUTPUT  24000 /* characters of StandardOutput/ErrorContent */
#define CMD_LIST_OUTPUT 2500  /* characters of a CommandPlugin's Output */

/* Starts (or brings forward) the job of command cmd (its "_Job" is set; the caller saves
 * cmd). */
err_t cmd_wake(app_t *app, store_tx_t *tx, cJSON *cmd, int64_t at_ms, errbuf_t *eb);

/* Is an invocation or command status terminal? */
bool cmd_terminal(const char *status);

/* The file holding the whole stdout (which 1) or stderr (2) of plugin index plugin of
 * invocation (command_id, instance_id), into out (cap bytes). False when an id is not a
 * plain name (letters, digits, '-', '.', '_'). */
bool cmd_output_path(const char *data_dir, const char *command_id, const char *instance_id,
                     int plugin, int which, char *out, size_t cap);

/* Does an ended invocation count against MaxErrors (Failed, ExecutionTimedOut)? */
bool cmd_is_error(const cJSON *inv);

/* The command's status, StatusDetails and counts from its invocations (an array). */
void cmd_aggregate(cJSON *cmd, const cJSON *invocations);

void ssm_register_command_jobs(app_t *app);

#endif
