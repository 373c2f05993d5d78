/* cfn.h - what CloudFormation offers the rest of catalogd beside its operations (which
 * others call through the in-process client): its job kinds, registered at start-up, and
 * the ARN of a stack named in a request (authorization). */
#ifndef CATALOGD_CFN_H
#define CATALOGD_CFN_H

#include "app.h"
#include "core/arena.h"
#include "http/http.h"
#include "store/store.h"

/* Registers the stack job kind with the engine. */
void cfn_register_jobs(app_t *app);

/* The StackId (ARN) of the live stack called name, in arena; NULL when there is none (or
 * it cannot be read). For authorization, which names a stack by its ARN. */
const char *cfn_stack_arn(store_tx_t *tx, const char *account, const char *name, arena_t *arena);

/* The route of wait condition signals: a PUT to a WaitConditionHandle's URL
 * (/_catalogd/cfn-signal/<token>) with {"Status","Reason","UniqueId","Data"}. Returns false
 * when req is not for it; else answers resp (200, or 400/404/405/503 with a message). */
bool cfn_signal_http(app_t *app, const http_request_t *req, http_response_t *resp);

#endif
