/* vpc_groups.c - where VPCs and security groups meet: a VPC is created with its default
 * security group and deleted with it, other groups in it keep it from being deleted
 * (DependencyViolation); and the VPC a group or a launch goes in (ec2_vpc_resolve). */
#include "svc/ec2/net_int.h"
#include "core/jx.h"

#include <string.h>

err_t ec2_vpc_groups_create(const ec2_net_t *n, cJSON *vpc)
{
    char id[32];
    return ec2_sg_create_default(n->app, n->tx, n->account, jx_str(vpc, "VpcId"), id, n->eb);
}

err_t ec2_vpc_groups_delete(const ec2_net_t *n, const cJSON *vpc)
{
    cJSON *all = jx_own(n->arena, cJSON_CreateArray());
    bool more;
    const char *vpc_id = jx_str(vpc, "VpcId");
    err_t rc = res_list(n->tx, &(res_query_t){n->account, EC2_SG, NULL, 0, 0}, all, &more, n->eb);
    for (const cJSON *g = all->child; !rc && g; g = g->next)
        if (!strcmp(jx_str(g, "VpcId"), vpc_id) && strcmp(jx_str(g, "GroupName"), "default"))
            return err_fail(n->eb, ERR_EC2_DEPENDENCY,
                            "The vpc '%s' has dependencies and cannot be deleted.", vpc_id);
    for (const cJSON *g = all->child; !rc && g; g = g->next)
        if (!strcmp(jx_str(g, "VpcId"), vpc_id))
            rc = res_delete(n->tx, &(res_key_t){n->account, EC2_SG, jx_str(g, "GroupId")}, NULL,
                            n->eb);
    return rc;
}

err_t ec2_vpc_resolve(api_ctx_t *c, const char *given, const char **out)
{
    cJSON *vpc = NULL;
    err_t rc = given ? ec2_vpc_get(c, given, &vpc) : ec2_default_vpc(c, &vpc);
    if (!rc && !vpc) rc = err_fail(c->eb, ERR_EC2_NO_DEFAULT_VPC, "No default VPC for this user");
    *out = rc ? NULL : arena_strdup(c->arena, jx_str(vpc, "VpcId"));
    return rc;
}
