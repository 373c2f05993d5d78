/* cfn.h - what CloudFormation offers the rest of catalogd beside its operations (which
 * others call through the in-process client): its job kinds, registered at start-up. */
#ifndef CATALOGD_CFN_H
#define CATALOGD_CFN_H

#include "app.h"

/* Registers the stack job kind with the engine. */
void cfn_register_jobs(app_t *app);

#endif
