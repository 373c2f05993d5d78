/* ssm.h - what Systems Manager offers the rest of catalogd beside its operations (which
 * others call through the in-process client): start-up (its job kinds, the AWS-owned
 * documents), whose a document is (authorization), and watching an execution until it
 * ends (Service Catalog's record job). */
#ifndef CATALOGD_SSM_H
#define CATALOGD_SSM_H

#include "app.h"
#include "core/err.h"
#include "store/store.h"

#include <stdbool.h>
#include <stdint.h>

/* Registers the automation job kinds with the engine. */
void ssm_register_jobs(app_t *app);

/* Installs or refreshes the AWS-owned documents (data/ssm-documents). */
err_t ssm_install_aws_documents(store_t *s, int64_t now_ms, errbuf_t *eb);

/* True when account has its own document called name (false for an AWS-owned one, one
 * that does not exist, or a store error). For authorization: an AWS-owned document's ARN
 * has no account. */
bool ssm_document_owned(store_tx_t *tx, const char *account, const char *name);

/* Another job waiting on an execution (Service Catalog's record job) watches it: when
 * the execution ends, that job runs at once (engine_watch, topic "ssm.execution:<id>"). */
err_t ssm_exec_watch(store_tx_t *tx, const char *exec_id, const char *job_id, errbuf_t *eb);

/* True for the final statuses of an execution or step: Success, Failed, Cancelled,
 * TimedOut. */
bool ssm_status_terminal(const char *s);

#endif
