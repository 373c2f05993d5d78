/* ec2.h - what EC2 offers the rest of catalogd beside its operations (which others call
 * through the in-process client): its job kinds, registered at start-up, and the public
 * parameters over its image catalogue (which Parameter Store serves). */
#ifndef CATALOGD_EC2_H
#define CATALOGD_EC2_H

#include "app.h"

/* Registers the job kinds (ec2.transition, ec2.image) with the engine. */
void ec2_register_jobs(app_t *app);

/* Installs, once per account and region, what EC2 gives every account there: the default
 * VPC with a subnet per zone, its main route table and internet gateway (net_int.h). A
 * default VPC deleted later is not installed again. In a transaction of its own. */
err_t ec2_network_install(app_t *app, const char *account, const char *region, errbuf_t *eb);

/* The resource part of the ARN of EC2 id ("vpc/vpc-0a...", "instance/i-0b..."; an id of
 * no known kind is "*"), in arena a: what authorizing CreateTags and DeleteTags names. */
const char *ec2_arn_resource(const char *id, arena_t *a);

/* AWS's public parameters that name images of the catalogue (/aws/service/...), in name
 * order: the i-th one's name, or NULL past the last; id gets the id that image has in
 * region, created (32 bytes) its CreationDate. */
const char *ec2_public_param(size_t i, const char *region, char id[32], char created[32]);

#endif
