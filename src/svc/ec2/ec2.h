/* ec2.h - what EC2 offers the rest of catalogd beside its operations (which others call
 * through the in-process client): its job kinds, registered at start-up. */
#ifndef CATALOGD_EC2_H
#define CATALOGD_EC2_H

#include "app.h"

/* Registers the job kinds (ec2.transition, ec2.image) with the engine. */
void ec2_register_jobs(app_t *app);

#endif
