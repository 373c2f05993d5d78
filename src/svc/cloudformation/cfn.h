/* cfn.h - what CloudFormation offers the rest of catalogd beside its operations (which
 * others call through the in-process client): its job kinds, registered at start-up, and
 * the ARN of a stack named in a request (authorization). */
#ifndef CATALOGD_CFN_H
#define CATALOGD_CFN_H

#include "app.h"
#include "core/arena.h"
#include "store/store.h"

/* Registers the stack job kind with the engine. */
void cfn_register_jobs(app_t *app);

/* The StackId (ARN) of the live stack called name, in arena; NULL when there is none (or
 * it cannot be read). For authorization, which names a stack by its ARN. */
const char *cfn_stack_arn(store_tx_t *tx, const char *account, const char *name, arena_t *arena);

#endif
