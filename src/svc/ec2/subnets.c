/* subnets.c - EC2 subnets: CreateSubnet, DescribeSubnets, DeleteSubnet,
 * ModifySubnetAttribute. A subnet is a range of its VPC's block in one zone (row parent =
 * its VPC); subnets of a VPC never overlap. */
#include "svc/ec2/net_int.h"
#include "core/jx.h"

#include "core/ids.h"

#include <stdio.h>
#include <string.h>

err_t ec2_subnet_make(const ec2_net_t *n, const cJSON *vpc, const char *az, const char *cidr,
                      bool default_for_az, const cJSON *tags, cJSON **out)
{
    char id[32];
    ids_chars(n->ids, "subnet-", IDS_HEX, 17, id);
    ec2_cidr_t block = {0, 32};
    ec2_cidr_parse(cidr, &block);
    cJSON *s = jx_own(n->arena, cJSON_CreateObject());
    cJSON_AddStringToObject(s, "AvailabilityZone", az);
    const char *zid = ec2_zone_id(n->region, az, n->arena);
    cJSON_AddStringToObject(s, "AvailabilityZoneId", zid ? zid : "");
    /* EC2 keeps 5 addresses of every subnet (network, router, DNS, future, broadcast) */
    cJSON_AddNumberToObject(s, "AvailableIpAddressCount", (double)((1ull << (32 - block.len)) - 5));
    cJSON_AddStringToObject(s, "CidrBlock", cidr);
    cJSON_AddBoolToObject(s, "DefaultForAz", default_for_az);
    cJSON_AddBoolToObject(s, "MapPublicIpOnLaunch", default_for_az);
    cJSON_AddBoolToObject(s, "MapCustomerOwnedIpOnLaunch", false);
    cJSON_AddStringToObject(s, "State", "available");
    cJSON_AddStringToObject(s, "SubnetId", id);
    cJSON_AddStringToObject(s, "VpcId", jx_str(vpc, "VpcId"));
    cJSON_AddStringToObject(s, "OwnerId", n->account);
    cJSON_AddBoolToObject(s, "AssignIpv6AddressOnCreation", false);
    cJSON_AddArrayToObject(s, "Ipv6CidrBlockAssociationSet");
    if (cJSON_GetArraySize(tags)) cJSON_AddItemToObject(s, "Tags", cJSON_Duplicate(tags, 1));
    cJSON_AddStringToObject(
        s, "SubnetArn",
        arena_printf(n->arena, "arn:aws:ec2:%s:%s:subnet/%s", n->region, n->account, id));
    cJSON_AddBoolToObject(s, "EnableDns64", false);
    cJSON_AddBoolToObject(s, "Ipv6Native", false);
    cJSON *dns = cJSON_AddObjectToObject(s, "PrivateDnsNameOptionsOnLaunch");
    cJSON_AddStringToObject(dns, "HostnameType", "ip-name");
    cJSON_AddBoolToObject(dns, "EnableResourceNameDnsARecord", false);
    cJSON_AddBoolToObject(dns, "EnableResourceNameDnsAAAARecord", false);
    cJSON_AddStringToObject(s, "_Region", n->region);
    res_row_t row = {.parent = jx_str(vpc, "VpcId"), .state = "available", .created_ms = n->now};
    *out = s;
    return res_insert(n->tx, &(res_key_t){n->scope, EC2_SUBNET, id}, &row, s, n->eb);
}

/* The zone CreateSubnet puts the subnet in: AvailabilityZone or AvailabilityZoneId, which
 * must be the region's, else one of the region's zones in turn (placed: how many subnets
 * the VPC has). */
static err_t ec2_subnet_zone(api_ctx_t *c, int placed, const char **az)
{
    const char *zones[16];
    int nz = ec2_zone_names(ec2_region(c), zones, 16, c->arena);
    const char *want = api_in_str(c, "AvailabilityZone"),
               *want_id = api_in_str(c, "AvailabilityZoneId");
    *az = NULL;
    for (int i = 0; i < nz && !*az; i++) {
        const char *zid = ec2_zone_id(ec2_region(c), zones[i], c->arena);
        if ((want && !strcmp(want, zones[i])) || (!want && want_id && !strcmp(want_id, zid)))
            *az = zones[i];
    }
    if (!want && !want_id) *az = zones[placed % (nz ? nz : 1)];
    if (*az) return ERR_OK;
    buf_t list;
    buf_init(&list, 512);
    for (int i = 0; i < nz; i++) buf_printf(&list, "%s%s", i ? ", " : "", zones[i]);
    err_t rc = err_fail(c->eb, ERR_EC2_INVALID_PARAMETER,
                        "Value (%s) for parameter %s is invalid. Subnets can currently only be "
                        "created in the following availability zones: %s.",
                        want ? want : want_id, want ? "availabilityZone" : "availabilityZoneId",
                        buf_str(&list));
    buf_free(&list);
    return rc;
}

err_t ec2_create_subnet(api_ctx_t *c)
{
    cJSON *vpc = NULL, *siblings = NULL, *subnet = NULL;
    err_t rc = ec2_dry_run(c);
    if (!rc) rc = ec2_spec_check(c, "subnet");
    if (!rc) rc = ec2_vpc_get(c, api_in_str(c, "VpcId"), &vpc);
    if (rc) return rc;
    const char *text = api_in_str(c, "CidrBlock");
    ec2_cidr_t cidr, range;
    if (!text)
        return err_fail(c->eb, ERR_MISSING_PARAMETER,
                        "The request must contain the parameter cidrBlock");
    if (!ec2_cidr_parse(text, &cidr))
        return err_fail(c->eb, ERR_EC2_INVALID_PARAMETER,
                        "Value (%s) for parameter cidrBlock is invalid. This is not a valid CIDR "
                        "block.",
                        text);
    ec2_cidr_parse(jx_str(vpc, "CidrBlock"), &range);
    if (cidr.len < 16 || cidr.len > 28 || !ec2_cidr_within(&cidr, &range))
        return err_fail(c->eb, ERR_EC2_SUBNET_RANGE, "The CIDR '%s' is invalid.", text);
    rc = ec2_all(c, EC2_SUBNET, jx_str(vpc, "VpcId"), &siblings);
    for (const cJSON *s = siblings ? siblings->child : NULL; !rc && s; s = s->next) {
        ec2_cidr_t other;
        if (ec2_cidr_parse(jx_str(s, "CidrBlock"), &other) && ec2_cidr_overlaps(&cidr, &other))
            rc = err_fail(c->eb, ERR_EC2_SUBNET_CONFLICT,
                          "The CIDR '%s' conflicts with another subnet", text);
    }
    const char *az = NULL;
    if (!rc) rc = ec2_subnet_zone(c, cJSON_GetArraySize(siblings), &az);
    if (rc) return rc;
    char canon[20];
    ec2_cidr_text(&cidr, canon);
    ec2_net_t n = ec2_net_of(c);
    rc = ec2_subnet_make(&n, vpc, az, canon, false,
                         jx_own(c->arena, ec2_spec_tags(c->in, "subnet", false)), &subnet);
    if (!rc) cJSON_AddItemToObject(c->out, "Subnet", cJSON_Duplicate(subnet, 1));
    return rc;
}

static int ec2_subnet_filter(const cJSON *s, const char *name, const char **vals, int cap,
                             char *scratch)
{
    static const ec2_plain_t plain[] = {{"availability-zone", "AvailabilityZone"},
                                        {"availabilityZone", "AvailabilityZone"},
                                        {"availability-zone-id", "AvailabilityZoneId"},
                                        {"available-ip-address-count", "AvailableIpAddressCount"},
                                        {"availableIpAddressCount", "AvailableIpAddressCount"},
                                        {"cidr-block", "CidrBlock"},
                                        {"cidr", "CidrBlock"},
                                        {"cidrBlock", "CidrBlock"},
                                        {"default-for-az", "DefaultForAz"},
                                        {"defaultForAz", "DefaultForAz"},
                                        {"map-public-ip-on-launch", "MapPublicIpOnLaunch"},
                                        {"ipv6-native", "Ipv6Native"},
                                        {"owner-id", "OwnerId"},
                                        {"state", "State"},
                                        {"subnet-arn", "SubnetArn"},
                                        {"subnet-id", "SubnetId"},
                                        {"vpc-id", "VpcId"}};
    int k = ec2_plain_filter(s, name, plain, sizeof(plain) / sizeof(plain[0]), vals, scratch);
    return k >= 0 ? k : ec2_tag_filter_values(s, name, vals, cap);
}

err_t ec2_describe_subnets(api_ctx_t *c)
{
    ec2_describe_t d = {&ec2_kind_subnet, "SubnetIds", "Subnets", ec2_subnet_filter, 1000};
    return ec2_describe(c, &d);
}

err_t ec2_delete_subnet(api_ctx_t *c)
{
    cJSON *subnet = NULL, *insts = NULL;
    err_t rc = ec2_dry_run(c);
    if (!rc) rc = ec2_subnet_get(c, api_in_str(c, "SubnetId"), &subnet);
    if (!rc) rc = ec2_all(c, EC2_INSTANCE, NULL, &insts);
    if (rc) return rc;
    const char *id = jx_str(subnet, "SubnetId");
    for (const cJSON *i = insts->child; i; i = i->next) {
        const char *in = jx_str(i, "SubnetId");
        if (in && !strcmp(in, id) && ec2_state(i) != EC2_TERMINATED)
            return err_fail(c->eb, ERR_EC2_DEPENDENCY,
                            "The subnet '%s' has dependencies and cannot be deleted.", id);
    }
    rc = ec2_rtb_forget_subnet(c, jx_str(subnet, "VpcId"), id);
    if (!rc) rc = res_delete(c->tx, &(res_key_t){c->scope, EC2_SUBNET, id}, NULL, c->eb);
    return rc;
}

err_t ec2_modify_subnet_attribute(api_ctx_t *c)
{
    static const struct {
        const char *member, *dns; /* dns: a member of PrivateDnsNameOptionsOnLaunch */
    } attrs[] = {{"MapPublicIpOnLaunch", NULL},
                 {"AssignIpv6AddressOnCreation", NULL},
                 {"MapCustomerOwnedIpOnLaunch", NULL},
                 {"EnableDns64", NULL},
                 {"EnableResourceNameDnsARecordOnLaunch", "EnableResourceNameDnsARecord"},
                 {"EnableResourceNameDnsAAAARecordOnLaunch", "EnableResourceNameDnsAAAARecord"},
                 {"PrivateDnsHostnameTypeOnLaunch", "HostnameType"}};
    cJSON *subnet = NULL;
    err_t rc = ec2_subnet_get(c, api_in_str(c, "SubnetId"), &subnet);
    if (rc) return rc;
    int which = -1, count = 0;
    for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++)
        if (cJSON_GetObjectItemCaseSensitive(c->in, attrs[i].member)) which = (int)i, count++;
    if (count != 1)
        return err_fail(c->eb, ERR_EC2_INVALID_COMBINATION,
                        count ? "Only one attribute can be modified at a time."
                              : "No attributes specified.");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(c->in, attrs[which].member);
    cJSON *to = cJSON_IsString(v) ? cJSON_CreateString(v->valuestring)
                                  : cJSON_CreateBool(jx_true(v, "Value"));
    if (cJSON_IsString(v) && strcmp(v->valuestring, "ip-name") &&
        strcmp(v->valuestring, "resource-name")) {
        cJSON_Delete(to);
        return err_fail(c->eb, ERR_EC2_INVALID_PARAMETER,
                        "Value (%s) for parameter privateDnsHostnameTypeOnLaunch is invalid.",
                        v->valuestring);
    }
    if (attrs[which].dns)
        jx_set(cJSON_GetObjectItemCaseSensitive(subnet, "PrivateDnsNameOptionsOnLaunch"),
               attrs[which].dns, to);
    else
        jx_set(subnet, attrs[which].member, to);
    return ec2_put(c, &ec2_kind_subnet, subnet);
}
