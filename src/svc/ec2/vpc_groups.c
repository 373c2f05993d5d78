/* vpc_groups.c - where VPCs and security groups meet: a VPC is created with its default
 * security group and deleted with it, other groups in it keep it from being deleted
 * (DependencyViolation), and a group or a launch finds its VPC (the one named, or the
 * region's default VPC). */
#include "svc/ec2/net_int.h"
#include "core/jx.h"

err_t ec2_vpc_groups_create(const ec2_net_t *n, cJSON *vpc)
{
    char id[32];
    return ec2_sg_create_default(n->ids, n->tx, n->scope, jx_str(vpc, "VpcId"), n->now, id, n->eb);
}

err_t ec2_vpc_groups_delete(const ec2_net_t *n, const cJSON *vpc)
{
    return ec2_sg_delete_vpc_groups(n->tx, n->scope, jx_str(vpc, "VpcId"), n->eb);
}

err_t ec2_vpc_resolve(api_ctx_t *c, const char *given, const char **out)
{
    cJSON *vpc = NULL;
    err_t rc = given ? ec2_vpc_get(c, given, &vpc) : ec2_default_vpc(c, &vpc);
    if (!rc && !vpc) rc = err_fail(c->eb, ERR_EC2_NO_DEFAULT_VPC, "No default VPC for this user");
    *out = rc ? NULL : arena_strdup(c->arena, jx_str(vpc, "VpcId"));
    return rc;
}
