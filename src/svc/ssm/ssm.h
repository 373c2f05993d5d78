/* ssm.h - what Systems Manager offers the rest of catalogd beside its operations (which
 * others call through the in-process client): start-up (its job kinds, the AWS-owned
 * documents), whose a document is (authorization), watching an execution until it
 * ends (Service Catalog's record job), and the `catalogd command-output` subcommand. */
#ifndef CATALOGD_SSM_H
#define CATALOGD_SSM_H

#include "app.h"
#include "core/arena.h"
#include "core/err.h"
#include "store/store.h"

#include <stdbool.h>
#include <stdint.h>

/* Registers the automation and Run Command job kinds with the engine. */
void ssm_register_jobs(app_t *app);

/* Declares the indexed keys of SSM's records: executions' status, Parameter Store's levels
 * (once, at start-up; again is harmless). */
void ssm_register_keys(void);

/* Installs or refreshes the AWS-owned documents (data/ssm-documents). */
err_t ssm_install_aws_documents(store_t *s, int64_t now_ms, errbuf_t *eb);

/* True when account has its own document called name (false for an AWS-owned one, one
 * that does not exist, or a store error). For authorization: an AWS-owned document's ARN
 * has no account. */
bool ssm_document_owned(store_tx_t *tx, const char *account, const char *name);

/* The ARN of parameter name in region and account (arena text): name may be a parameter's
 * ARN already (returned as is), or carry a ":selector" (dropped); "/a/b" and "a" give
 * ".../parameter/a/b" and ".../parameter/a"; AWS's public parameters (/aws/service/...)
 * have no account in their ARN. */
const char *ssm_param_arn(const char *region, const char *account, const char *name,
                          arena_t *arena);

/* Another job waiting on an execution (Service Catalog's record job) watches it: when
 * the execution ends, that job runs at once (engine_watch, topic "ssm.execution:<id>"). */
err_t ssm_exec_watch(store_tx_t *tx, const char *exec_id, const char *job_id, errbuf_t *eb);

/* True for the final statuses of an execution or step: Success, Failed, Cancelled,
 * TimedOut. */
bool ssm_status_terminal(const char *s);

/* The whole stdout (which 1) or stderr (2) of the plugin named plugin (NULL or "": the
 * first) of command command_id's invocation on instance_id, as the data directory keeps
 * it, appended to out (nothing while the plugin has not ended, or when it never ran);
 * scope: the partition the command is in (app_scope of the caller's account and region).
 * For GET /_catalogd/command-output (src/api/front.c), whose caller has been authorized
 * as GetCommandInvocation with the same ids first. ERR_SSM_INVOCATION_NOT_FOUND,
 * ERR_SSM_INVALID_PLUGIN_NAME as GetCommandInvocation answers them. */
struct buf;
err_t ssm_command_output_read(app_t *app, const char *scope, const char *command_id,
                              const char *instance_id, const char *plugin, int which,
                              struct buf *out, errbuf_t *eb);

/* `catalogd command-output COMMAND_ID INSTANCE_ID [--plugin N] [--stderr]
 * [--data-dir DIR]`, catalogd's extension for reading a Run Command plugin's whole output
 * (the API shows the first 24,000 characters, as AWS does; AWS would put the rest in S3):
 * copies the stdout (or stderr) of plugin N (0, the first, by default) of that invocation,
 * as the node produced it (up to NODE_OUTPUT_CAP bytes), to standard output. DIR defaults
 * to $CATALOGD_DATA_DIR, then ./catalogd-data. Returns the process exit status: 0, 1 when
 * there is no such output (yet), 2 on bad usage. */
int ssm_command_output_main(int argc, char **argv);

#endif
