/* vpc_groups.c - the call sites where a VPC's security groups come and go: a VPC is
 * created with its default security group and deleted with it, and other groups in it
 * keep it from being deleted (DependencyViolation). Security groups are built on another
 * branch (h-sg); until it is merged no group is recorded and these do nothing. When it
 * is, they call its functions (creating the "default" group of the VPC, with EC2's
 * default rules, and deleting it); this file is the one place that changes. */
#include "svc/ec2/net_int.h"

err_t ec2_vpc_groups_create(const ec2_net_t *n, cJSON *vpc)
{
    (void)n;
    (void)vpc;
    return ERR_OK;
}

err_t ec2_vpc_groups_delete(const ec2_net_t *n, const cJSON *vpc)
{
    (void)n;
    (void)vpc;
    return ERR_OK;
}
