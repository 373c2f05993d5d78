/* gateways.c - EC2 internet gateways: CreateInternetGateway, DescribeInternetGateways,
 * DeleteInternetGateway, AttachInternetGateway, DetachInternetGateway. A gateway is
 * attached to at most one VPC and a VPC has at most one gateway (Attachments in the
 * model's InternetGateway). */
#include "svc/ec2/net_int.h"
#include "core/jx.h"

#include "core/ids.h"

#include <string.h>

err_t ec2_igw_make(const ec2_net_t *n, const char *vpc_id, const cJSON *tags, cJSON **out)
{
    char id[24];
    ids_chars(n->ids, "igw-", IDS_HEX, 17, id);
    cJSON *g = jx_own(n->arena, cJSON_CreateObject());
    cJSON *att = cJSON_AddArrayToObject(g, "Attachments");
    if (vpc_id) {
        cJSON *a = cJSON_CreateObject();
        cJSON_AddStringToObject(a, "State", "available");
        cJSON_AddStringToObject(a, "VpcId", vpc_id);
        cJSON_AddItemToArray(att, a);
    }
    cJSON_AddStringToObject(g, "InternetGatewayId", id);
    cJSON_AddStringToObject(g, "OwnerId", n->account);
    cJSON_AddItemToObject(g, "Tags", tags ? cJSON_Duplicate(tags, 1) : cJSON_CreateArray());
    cJSON_AddStringToObject(g, "_Region", n->region);
    res_row_t row = {.created_ms = n->now};
    *out = g;
    return res_insert(n->tx, &(res_key_t){n->scope, EC2_IGW, id}, &row, g, n->eb);
}

err_t ec2_create_internet_gateway(api_ctx_t *c)
{
    cJSON *g = NULL;
    err_t rc = ec2_dry_run(c);
    if (!rc) rc = ec2_spec_check(c, "internet-gateway");
    ec2_net_t n = ec2_net_of(c);
    if (!rc)
        rc = ec2_igw_make(&n, NULL,
                          jx_own(c->arena, ec2_spec_tags(c->in, "internet-gateway", false)), &g);
    if (!rc) cJSON_AddItemToObject(c->out, "InternetGateway", cJSON_Duplicate(g, 1));
    return rc;
}

static int ec2_igw_filter(const cJSON *g, const char *name, const char **vals, int cap,
                          char *scratch)
{
    static const ec2_plain_t plain[] = {{"internet-gateway-id", "InternetGatewayId"},
                                        {"owner-id", "OwnerId"}};
    int k = ec2_plain_filter(g, name, plain, sizeof(plain) / sizeof(plain[0]), vals, scratch);
    if (k >= 0) return k;
    if (!strcmp(name, "attachment.state"))
        return ec2_each_filter(g, "Attachments", "State", vals, cap);
    if (!strcmp(name, "attachment.vpc-id"))
        return ec2_each_filter(g, "Attachments", "VpcId", vals, cap);
    return ec2_tag_filter_values(g, name, vals, cap);
}

err_t ec2_describe_internet_gateways(api_ctx_t *c)
{
    ec2_describe_t d = {&ec2_kind_igw, "InternetGatewayIds", "InternetGateways", ec2_igw_filter,
                        1000};
    return ec2_describe(c, &d);
}

/* The VPC the gateway is attached to, or NULL. */
static const char *ec2_igw_vpc(const cJSON *g)
{
    return jx_str(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(g, "Attachments"), 0),
                  "VpcId");
}

err_t ec2_delete_internet_gateway(api_ctx_t *c)
{
    cJSON *g = NULL;
    err_t rc = ec2_dry_run(c);
    if (!rc) rc = ec2_get(c, &ec2_kind_igw, api_in_str(c, "InternetGatewayId"), &g);
    if (rc) return rc;
    const char *id = jx_str(g, "InternetGatewayId");
    if (ec2_igw_vpc(g))
        return err_fail(c->eb, ERR_EC2_DEPENDENCY,
                        "The internetGateway '%s' has dependencies and cannot be deleted.", id);
    return res_delete(c->tx, &(res_key_t){c->scope, EC2_IGW, id}, NULL, c->eb);
}

err_t ec2_attach_internet_gateway(api_ctx_t *c)
{
    cJSON *g = NULL, *vpc = NULL, *all = NULL;
    err_t rc = ec2_dry_run(c);
    if (!rc) rc = ec2_get(c, &ec2_kind_igw, api_in_str(c, "InternetGatewayId"), &g);
    if (!rc) rc = ec2_vpc_get(c, api_in_str(c, "VpcId"), &vpc);
    if (!rc) rc = ec2_all(c, EC2_IGW, NULL, &all);
    if (rc) return rc;
    const char *id = jx_str(g, "InternetGatewayId"), *vpc_id = jx_str(vpc, "VpcId");
    if (ec2_igw_vpc(g))
        return err_fail(c->eb, ERR_EC2_ALREADY_ASSOCIATED,
                        "resource %s is already attached to network %s", id, ec2_igw_vpc(g));
    for (const cJSON *o = all->child; o; o = o->next)
        if (ec2_igw_vpc(o) && !strcmp(ec2_igw_vpc(o), vpc_id))
            return err_fail(c->eb, ERR_EC2_INVALID_PARAMETER,
                            "Network %s already has an internet gateway attached", vpc_id);
    cJSON *a = cJSON_CreateObject();
    cJSON_AddStringToObject(a, "State", "available");
    cJSON_AddStringToObject(a, "VpcId", vpc_id);
    cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(g, "Attachments"), a);
    return ec2_put(c, &ec2_kind_igw, g);
}

err_t ec2_detach_internet_gateway(api_ctx_t *c)
{
    cJSON *g = NULL, *vpc = NULL;
    err_t rc = ec2_dry_run(c);
    if (!rc) rc = ec2_get(c, &ec2_kind_igw, api_in_str(c, "InternetGatewayId"), &g);
    if (!rc) rc = ec2_vpc_get(c, api_in_str(c, "VpcId"), &vpc);
    if (rc) return rc;
    const char *id = jx_str(g, "InternetGatewayId"), *vpc_id = jx_str(vpc, "VpcId");
    if (!ec2_igw_vpc(g) || strcmp(ec2_igw_vpc(g), vpc_id))
        return err_fail(c->eb, ERR_EC2_GATEWAY_NOT_ATTACHED,
                        "resource %s is not attached to network %s", id, vpc_id);
    /* public addresses mapped in the network keep its gateway */
    cJSON *eips = NULL;
    rc = ec2_all(c, EC2_EIP, NULL, &eips);
    for (const cJSON *a = eips ? eips->child : NULL; !rc && a; a = a->next) {
        const char *on = jx_str(a, "InstanceId");
        cJSON *inst = NULL;
        if (on) rc = res_get(c->tx, &(res_key_t){c->scope, EC2_INSTANCE, on}, &inst, c->eb);
        jx_own(c->arena, inst);
        const char *in = inst ? ec2_instance_vpc(c, inst) : NULL;
        if (!rc && in && !strcmp(in, vpc_id))
            return err_fail(c->eb, ERR_EC2_DEPENDENCY,
                            "Network %s has some mapped public address(es). Please unmap those "
                            "public address(es) before detaching the gateway.",
                            vpc_id);
    }
    if (rc) return rc;
    jx_set(g, "Attachments", cJSON_CreateArray());
    return ec2_put(c, &ec2_kind_igw, g);
}
