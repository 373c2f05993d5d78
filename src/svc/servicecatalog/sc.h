/* sc.h - what Service Catalog offers the rest of catalogd beside its operations: its job
 * kinds and indexed resource keys, registered at start-up. */
#ifndef CATALOGD_SC_H
#define CATALOGD_SC_H

#include "app.h"

/* Registers the record job kinds with the engine. */
void sc_register_jobs(app_t *app);
/* Declares the indexed keys of Service Catalog's kinds (res_keys_register). */
void sc_register_keys(void);

#endif
