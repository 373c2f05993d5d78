/* vpcs.c - EC2 VPCs: CreateVpc, DescribeVpcs, DeleteVpc, ModifyVpcAttribute,
 * DescribeVpcAttribute, and the default VPC every account has in every region
 * (172.31.0.0/16, a /20 subnet per zone, a main route table to an attached internet
 * gateway), installed once per account and region as EC2 creates it. */
#include "svc/ec2/net_int.h"
#include "core/jx.h"

#include "core/clk.h"
#include "core/ids.h"

#include <stdio.h>
#include <string.h>

/* The account's DHCP options set in region: dopt- and 17 hex digits of FNV-1a hashes. */
static const char *ec2_dhcp_options(const ec2_net_t *n)
{
    char key[128];
    snprintf(key, sizeof(key), "%s/%s/dopt", n->account, n->region);
    uint32_t a = span_fnv1a(SPAN_FNV_BASIS, span_of(key));
    uint32_t b = span_fnv1a(a ^ 0x9e3779b9u, span_of(key));
    return arena_printf(n->arena, "dopt-0%08x%08x", a, b);
}

err_t ec2_vpc_make(const ec2_net_t *n, const char *cidr, bool is_default, const cJSON *tags,
                   cJSON **out)
{
    char id[24], assoc[40];
    ids_chars(n->ids, "vpc-", IDS_HEX, 17, id);
    ids_chars(n->ids, "vpc-cidr-assoc-", IDS_HEX, 17, assoc);
    cJSON *vpc = jx_own(n->arena, cJSON_CreateObject());
    cJSON_AddStringToObject(vpc, "CidrBlock", cidr);
    cJSON_AddStringToObject(vpc, "DhcpOptionsId", ec2_dhcp_options(n));
    cJSON_AddStringToObject(vpc, "State", "available");
    cJSON_AddStringToObject(vpc, "VpcId", id);
    cJSON_AddStringToObject(vpc, "OwnerId", n->account);
    cJSON_AddStringToObject(vpc, "InstanceTenancy", "default");
    cJSON *set = cJSON_AddArrayToObject(vpc, "CidrBlockAssociationSet");
    cJSON *a = cJSON_CreateObject();
    cJSON_AddStringToObject(a, "AssociationId", assoc);
    cJSON_AddStringToObject(a, "CidrBlock", cidr);
    cJSON_AddStringToObject(cJSON_AddObjectToObject(a, "CidrBlockState"), "State", "associated");
    cJSON_AddItemToArray(set, a);
    cJSON_AddBoolToObject(vpc, "IsDefault", is_default);
    if (cJSON_GetArraySize(tags)) cJSON_AddItemToObject(vpc, "Tags", cJSON_Duplicate(tags, 1));
    cJSON_AddStringToObject(vpc, "_Region", n->region);
    cJSON_AddBoolToObject(vpc, "_EnableDnsSupport", true);
    cJSON_AddBoolToObject(vpc, "_EnableDnsHostnames", is_default);
    cJSON_AddBoolToObject(vpc, "_EnableNetworkAddressUsageMetrics", false);
    cJSON *rtb = NULL;
    err_t rc = ec2_rtb_make(n, vpc, true, NULL, &rtb);
    if (!rc) cJSON_AddStringToObject(vpc, "_MainRouteTable", jx_str(rtb, "RouteTableId"));
    if (!rc) rc = ec2_vpc_groups_create(n, vpc);
    res_row_t row = {.name = is_default ? arena_printf(n->arena, "default:%s", n->region) : NULL,
                     .state = "available",
                     .created_ms = n->now};
    if (!rc) rc = res_insert(n->tx, &(res_key_t){n->scope, EC2_VPC, id}, &row, vpc, n->eb);
    *out = vpc;
    return rc;
}

const char *ec2_main_rtb(const cJSON *vpc)
{
    const char *r = jx_str(vpc, "_MainRouteTable");
    return r ? r : "";
}

/* ---- the default VPC */

/* Creates the default VPC of n's account and region: 172.31.0.0/16, a default subnet
 * 172.31.(16 i).0/20 per zone (public addresses on launch), an internet gateway attached
 * and the main route table's 0.0.0.0/0 route to it. */
static err_t ec2_default_vpc_make(const ec2_net_t *n, const char **vpc_id)
{
    cJSON *vpc = NULL, *igw = NULL;
    err_t rc = ec2_vpc_make(n, "172.31.0.0/16", true, NULL, &vpc);
    const char *zones[16];
    int nz = rc ? 0 : ec2_zone_names(n->region, zones, 16, n->arena);
    for (int i = 0; !rc && i < nz; i++) {
        cJSON *subnet = NULL;
        char cidr[24];
        snprintf(cidr, sizeof(cidr), "172.31.%d.0/20", 16 * i);
        rc = ec2_subnet_make(n, vpc, zones[i], cidr, true, NULL, &subnet);
    }
    if (!rc) rc = ec2_igw_make(n, jx_str(vpc, "VpcId"), NULL, &igw);
    if (!rc)
        rc = ec2_rtb_route_add(n, ec2_main_rtb(vpc), "0.0.0.0/0", "GatewayId",
                               jx_str(igw, "InternetGatewayId"));
    *vpc_id = rc ? NULL : jx_str(vpc, "VpcId");
    return rc;
}

err_t ec2_network_install(app_t *app, const char *account, const char *region, errbuf_t *eb)
{
    arena_t arena;
    arena_init(&arena);
    store_tx_t *tx;
    err_t rc = store_begin(app->store, true, &tx, eb);
    if (rc) {
        arena_free(&arena);
        return rc;
    }
    char scope[64];
    ec2_net_t n = {app,
                   tx,
                   &app->ids,
                   &arena,
                   account,
                   region,
                   app_scope(app, account, region, scope, sizeof(scope)),
                   clk_now_ms(&app->clock),
                   eb};
    cJSON *done = NULL;
    rc = res_get(tx, &(res_key_t){scope, EC2_REGION, region}, &done, eb);
    jx_own(&arena, done);
    if (!rc && !done) { /* once: a default VPC deleted later stays deleted, as in EC2 */
        const char *vpc_id = NULL;
        rc = ec2_default_vpc_make(&n, &vpc_id);
        cJSON *rec = jx_own(&arena, cJSON_CreateObject());
        cJSON_AddStringToObject(rec, "Region", region);
        if (vpc_id) cJSON_AddStringToObject(rec, "DefaultVpcId", vpc_id);
        res_row_t row = {.created_ms = n.now};
        if (!rc) rc = res_insert(tx, &(res_key_t){scope, EC2_REGION, region}, &row, rec, eb);
    }
    if (!rc)
        rc = store_commit(tx, eb);
    else
        store_rollback(tx);
    arena_free(&arena);
    return rc;
}

/* ---- the operations */

err_t ec2_create_default_vpc(api_ctx_t *c)
{
    cJSON *have = NULL, *vpc = NULL;
    const char *id = NULL;
    err_t rc = ec2_dry_run(c);
    if (!rc) rc = ec2_default_vpc(c, &have);
    if (!rc && have)
        rc = err_fail(c->eb, ERR_EC2_DEFAULT_VPC_EXISTS,
                      "A Default VPC already exists for this account in this region.");
    ec2_net_t n = ec2_net_of(c);
    if (!rc) rc = ec2_default_vpc_make(&n, &id);
    if (!rc) rc = ec2_vpc_get(c, id, &vpc);
    if (!rc) cJSON_AddItemToObject(c->out, "Vpc", cJSON_Duplicate(vpc, 1));
    return rc;
}

err_t ec2_create_vpc(api_ctx_t *c)
{
    err_t rc = ec2_dry_run(c);
    if (!rc) rc = ec2_spec_check(c, "vpc");
    if (rc) return rc;
    const char *text = api_in_str(c, "CidrBlock");
    ec2_cidr_t cidr;
    if (!text)
        return err_fail(c->eb, ERR_MISSING_PARAMETER,
                        "Either 'cidrBlock' or 'ipv4IpamPoolId' should be provided.");
    if (!ec2_cidr_parse(text, &cidr))
        return err_fail(c->eb, ERR_EC2_INVALID_PARAMETER,
                        "Value (%s) for parameter cidrBlock is invalid. This is not a valid CIDR "
                        "block.",
                        text);
    if (cidr.len < 16 || cidr.len > 28)
        return err_fail(c->eb, ERR_EC2_VPC_RANGE, "The CIDR '%s' is invalid.", text);
    const char *tenancy = api_in_str(c, "InstanceTenancy");
    if (tenancy && strcmp(tenancy, "default") && strcmp(tenancy, "dedicated"))
        return err_fail(c->eb, ERR_EC2_INVALID_PARAMETER,
                        "Value (%s) for parameter instanceTenancy is invalid.", tenancy);
    char canon[20];
    ec2_cidr_text(&cidr, canon);
    ec2_net_t n = ec2_net_of(c);
    cJSON *tags = jx_own(c->arena, ec2_spec_tags(c->in, "vpc", false)), *vpc = NULL;
    rc = ec2_vpc_make(&n, canon, false, tags, &vpc);
    if (!rc && tenancy && strcmp(tenancy, "default")) {
        jx_set_str(vpc, "InstanceTenancy", tenancy);
        rc = ec2_put(c, &ec2_kind_vpc, vpc);
    }
    if (!rc) cJSON_AddItemToObject(c->out, "Vpc", cJSON_Duplicate(vpc, 1));
    return rc;
}

static int ec2_vpc_filter(const cJSON *vpc, const char *name, const char **vals, int cap,
                          char *scratch)
{
    static const ec2_plain_t plain[] = {{"vpc-id", "VpcId"},
                                        {"cidr", "CidrBlock"},
                                        {"cidr-block-association.cidr-block", "CidrBlock"},
                                        {"dhcp-options-id", "DhcpOptionsId"},
                                        {"is-default", "IsDefault"},
                                        {"owner-id", "OwnerId"},
                                        {"state", "State"}};
    int k = ec2_plain_filter(vpc, name, plain, sizeof(plain) / sizeof(plain[0]), vals, scratch);
    if (k >= 0) return k;
    const cJSON *a =
        cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(vpc, "CidrBlockAssociationSet"), 0);
    if (!strcmp(name, "cidr-block-association.association-id"))
        return vals[0] = jx_str(a, "AssociationId"), vals[0] ? 1 : 0;
    if (!strcmp(name, "cidr-block-association.state"))
        return vals[0] = jx_str(cJSON_GetObjectItemCaseSensitive(a, "CidrBlockState"), "State"),
               vals[0] ? 1 : 0;
    return ec2_tag_filter_values(vpc, name, vals, cap);
}

err_t ec2_describe_vpcs(api_ctx_t *c)
{
    ec2_describe_t d = {&ec2_kind_vpc, "VpcIds", "Vpcs", ec2_vpc_filter, 1000};
    return ec2_describe(c, &d);
}

err_t ec2_delete_vpc(api_ctx_t *c)
{
    cJSON *vpc = NULL, *subnets = NULL, *rtbs = NULL, *igws = NULL;
    err_t rc = ec2_dry_run(c);
    if (!rc) rc = ec2_vpc_get(c, api_in_str(c, "VpcId"), &vpc);
    const char *id = vpc ? jx_str(vpc, "VpcId") : "";
    if (!rc) rc = ec2_all(c, EC2_SUBNET, id, &subnets);
    if (!rc) rc = ec2_all(c, EC2_RTB, id, &rtbs);
    if (!rc) rc = ec2_all(c, EC2_IGW, NULL, &igws);
    /* subnets, gateways attached and route tables of its own keep a VPC */
    bool busy = !rc && (cJSON_GetArraySize(subnets) > 0 || cJSON_GetArraySize(rtbs) > 1);
    for (const cJSON *g = igws ? igws->child : NULL; !rc && g && !busy; g = g->next) {
        const cJSON *att = cJSON_GetObjectItemCaseSensitive(g, "Attachments");
        for (const cJSON *a = att ? att->child : NULL; a && !busy; a = a->next)
            busy = !strcmp(jx_str(a, "VpcId"), id);
    }
    if (busy)
        return err_fail(c->eb, ERR_EC2_DEPENDENCY,
                        "The vpc '%s' has dependencies and cannot be deleted.", id);
    ec2_net_t n = ec2_net_of(c);
    if (!rc) rc = ec2_vpc_groups_delete(&n, vpc);
    for (const cJSON *r = rtbs ? rtbs->child : NULL; !rc && r; r = r->next)
        rc = res_delete(c->tx, &(res_key_t){c->scope, EC2_RTB, jx_str(r, "RouteTableId")}, NULL,
                        c->eb);
    if (!rc) rc = res_delete(c->tx, &(res_key_t){c->scope, EC2_VPC, id}, NULL, c->eb);
    return rc;
}

/* The attributes: request member, internal member, DescribeVpcAttribute's name. */
static const struct {
    const char *member, *internal, *attribute;
} ec2_vpc_attrs[] = {
    {"EnableDnsSupport", "_EnableDnsSupport", "enableDnsSupport"},
    {"EnableDnsHostnames", "_EnableDnsHostnames", "enableDnsHostnames"},
    {"EnableNetworkAddressUsageMetrics", "_EnableNetworkAddressUsageMetrics",
     "enableNetworkAddressUsageMetrics"},
};
#define EC2_N_VPC_ATTRS (sizeof(ec2_vpc_attrs) / sizeof(ec2_vpc_attrs[0]))

err_t ec2_modify_vpc_attribute(api_ctx_t *c)
{
    cJSON *vpc = NULL;
    err_t rc = ec2_vpc_get(c, api_in_str(c, "VpcId"), &vpc);
    if (rc) return rc;
    int which = -1, count = 0;
    for (size_t i = 0; i < EC2_N_VPC_ATTRS; i++)
        if (cJSON_GetObjectItemCaseSensitive(c->in, ec2_vpc_attrs[i].member))
            which = (int)i, count++;
    if (!count) return err_fail(c->eb, ERR_EC2_INVALID_COMBINATION, "No attributes specified.");
    if (count > 1)
        return err_fail(c->eb, ERR_EC2_INVALID_COMBINATION,
                        "Only one attribute can be modified at a time.");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(c->in, ec2_vpc_attrs[which].member);
    bool on = jx_true(v, "Value");
    if (!cJSON_GetObjectItemCaseSensitive(v, "Value"))
        return err_fail(c->eb, ERR_MISSING_PARAMETER,
                        "The request must contain the parameter %s.Value",
                        ec2_vpc_attrs[which].attribute);
    if (which == 1 && on && !jx_true(vpc, "_EnableDnsSupport"))
        return err_fail(c->eb, ERR_EC2_INVALID_PARAMETER,
                        "Cannot enable DNS hostnames when DNS resolution is disabled for the VPC.");
    jx_set(vpc, ec2_vpc_attrs[which].internal, cJSON_CreateBool(on));
    return ec2_put(c, &ec2_kind_vpc, vpc);
}

err_t ec2_describe_vpc_attribute(api_ctx_t *c)
{
    cJSON *vpc = NULL;
    err_t rc = ec2_dry_run(c);
    if (!rc) rc = ec2_vpc_get(c, api_in_str(c, "VpcId"), &vpc);
    if (rc) return rc;
    const char *attr = api_in_str(c, "Attribute");
    for (size_t i = 0; i < EC2_N_VPC_ATTRS; i++) {
        if (strcmp(attr, ec2_vpc_attrs[i].attribute)) continue;
        cJSON_AddStringToObject(c->out, "VpcId", jx_str(vpc, "VpcId"));
        cJSON *v = cJSON_AddObjectToObject(c->out, ec2_vpc_attrs[i].member);
        cJSON_AddBoolToObject(v, "Value", jx_true(vpc, ec2_vpc_attrs[i].internal));
        return ERR_OK;
    }
    return err_fail(c->eb, ERR_EC2_INVALID_PARAMETER,
                    "Value (%s) for parameter attribute is invalid. Unknown attribute.", attr);
}
