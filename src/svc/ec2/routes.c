/* routes.c - EC2 route tables: CreateRouteTable, DescribeRouteTables, DeleteRouteTable,
 * CreateRoute, DeleteRoute, ReplaceRoute, AssociateRouteTable, DisassociateRouteTable.
 * A route table belongs to one VPC (row parent); its routes and associations live in its
 * body (the model's RouteTable). Every VPC has a main route table made with it. */
#include "svc/ec2/net_int.h"
#include "core/jx.h"

#include "core/ids.h"

#include <stdio.h>
#include <string.h>

/* A new association of rtb_id (subnet_id or gateway_id NULL for the other). */
static cJSON *ec2_assoc(const ec2_net_t *n, const char *rtb_id, bool main, const char *subnet_id,
                        const char *gateway_id)
{
    char id[32];
    ids_chars(n->ids, "rtbassoc-", IDS_HEX, 17, id);
    cJSON *a = cJSON_CreateObject();
    cJSON_AddBoolToObject(a, "Main", main);
    cJSON_AddStringToObject(a, "RouteTableAssociationId", id);
    cJSON_AddStringToObject(a, "RouteTableId", rtb_id);
    if (subnet_id) cJSON_AddStringToObject(a, "SubnetId", subnet_id);
    if (gateway_id) cJSON_AddStringToObject(a, "GatewayId", gateway_id);
    cJSON_AddStringToObject(cJSON_AddObjectToObject(a, "AssociationState"), "State", "associated");
    return a;
}

err_t ec2_rtb_make(const ec2_net_t *n, const cJSON *vpc, bool main, const cJSON *tags, cJSON **out)
{
    char id[24];
    ids_chars(n->ids, "rtb-", IDS_HEX, 17, id);
    const char *vpc_id = jx_str(vpc, "VpcId");
    cJSON *rtb = jx_own(n->arena, cJSON_CreateObject());
    cJSON *assocs = cJSON_AddArrayToObject(rtb, "Associations");
    if (main) cJSON_AddItemToArray(assocs, ec2_assoc(n, id, true, NULL, NULL));
    cJSON_AddArrayToObject(rtb, "PropagatingVgws");
    cJSON_AddStringToObject(rtb, "RouteTableId", id);
    cJSON *routes = cJSON_AddArrayToObject(rtb, "Routes");
    cJSON *local = cJSON_CreateObject();
    cJSON_AddStringToObject(local, "DestinationCidrBlock", jx_str(vpc, "CidrBlock"));
    cJSON_AddStringToObject(local, "GatewayId", "local");
    cJSON_AddStringToObject(local, "Origin", "CreateRouteTable");
    cJSON_AddStringToObject(local, "State", "active");
    cJSON_AddItemToArray(routes, local);
    cJSON_AddItemToObject(rtb, "Tags", tags ? cJSON_Duplicate(tags, 1) : cJSON_CreateArray());
    cJSON_AddStringToObject(rtb, "VpcId", vpc_id);
    cJSON_AddStringToObject(rtb, "OwnerId", n->account);
    cJSON_AddStringToObject(rtb, "_Region", n->region);
    res_row_t row = {.parent = vpc_id, .created_ms = n->now};
    *out = rtb;
    return res_insert(n->tx, &(res_key_t){n->scope, EC2_RTB, id}, &row, rtb, n->eb);
}

static cJSON *ec2_route(const char *cidr, const char *target_member, const char *target)
{
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "DestinationCidrBlock", cidr);
    cJSON_AddStringToObject(r, target_member, target);
    cJSON_AddStringToObject(r, "Origin", "CreateRoute");
    cJSON_AddStringToObject(r, "State", "active");
    return r;
}

err_t ec2_rtb_route_add(const ec2_net_t *n, const char *rtb_id, const char *cidr,
                        const char *target_member, const char *target)
{
    cJSON *rtb = NULL;
    res_key_t k = {n->scope, EC2_RTB, rtb_id};
    err_t rc = res_get(n->tx, &k, &rtb, n->eb);
    if (!rc && !rtb) rc = err_fail(n->eb, ERR_INTERNAL, "route table %s is missing", rtb_id);
    if (!rc) {
        cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(rtb, "Routes"),
                             ec2_route(cidr, target_member, target));
        rc = res_update(n->tx, &k, NULL, n->now, rtb, NULL, n->eb);
    }
    cJSON_Delete(rtb);
    return rc;
}

err_t ec2_create_route_table(api_ctx_t *c)
{
    cJSON *vpc = NULL, *rtb = NULL;
    err_t rc = ec2_dry_run(c);
    if (!rc) rc = ec2_spec_check(c, "route-table");
    if (!rc) rc = ec2_vpc_get(c, api_in_str(c, "VpcId"), &vpc);
    ec2_net_t n = ec2_net_of(c);
    if (!rc)
        rc = ec2_rtb_make(&n, vpc, false,
                          jx_own(c->arena, ec2_spec_tags(c->in, "route-table", false)), &rtb);
    if (!rc) cJSON_AddItemToObject(c->out, "RouteTable", cJSON_Duplicate(rtb, 1));
    return rc;
}

static int ec2_rtb_filter(const cJSON *rtb, const char *name, const char **vals, int cap,
                          char *scratch)
{
    static const ec2_plain_t plain[] = {
        {"route-table-id", "RouteTableId"}, {"vpc-id", "VpcId"}, {"owner-id", "OwnerId"}};
    static const ec2_plain_t each[] = {
        {"association.route-table-association-id", "RouteTableAssociationId"},
        {"association.route-table-id", "RouteTableId"},
        {"association.subnet-id", "SubnetId"},
        {"association.gateway-id", "GatewayId"},
        {"association.main", "Main"},
        {"route.destination-cidr-block", "DestinationCidrBlock"},
        {"route.destination-ipv6-cidr-block", "DestinationIpv6CidrBlock"},
        {"route.destination-prefix-list-id", "DestinationPrefixListId"},
        {"route.egress-only-internet-gateway-id", "EgressOnlyInternetGatewayId"},
        {"route.gateway-id", "GatewayId"},
        {"route.instance-id", "InstanceId"},
        {"route.nat-gateway-id", "NatGatewayId"},
        {"route.transit-gateway-id", "TransitGatewayId"},
        {"route.origin", "Origin"},
        {"route.state", "State"},
        {"route.vpc-peering-connection-id", "VpcPeeringConnectionId"}};
    int k = ec2_plain_filter(rtb, name, plain, sizeof(plain) / sizeof(plain[0]), vals, scratch);
    if (k >= 0) return k;
    for (size_t i = 0; i < sizeof(each) / sizeof(each[0]); i++)
        if (!strcmp(name, each[i].filter))
            return ec2_each_filter(rtb, name[0] == 'a' ? "Associations" : "Routes", each[i].member,
                                   vals, cap);
    return ec2_tag_filter_values(rtb, name, vals, cap);
}

err_t ec2_describe_route_tables(api_ctx_t *c)
{
    ec2_describe_t d = {&ec2_kind_rtb, "RouteTableIds", "RouteTables", ec2_rtb_filter, 100};
    return ec2_describe(c, &d);
}

err_t ec2_delete_route_table(api_ctx_t *c)
{
    cJSON *rtb = NULL;
    err_t rc = ec2_dry_run(c);
    if (!rc) rc = ec2_get(c, &ec2_kind_rtb, api_in_str(c, "RouteTableId"), &rtb);
    if (rc) return rc;
    const char *id = jx_str(rtb, "RouteTableId");
    if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(rtb, "Associations")))
        return err_fail(c->eb, ERR_EC2_DEPENDENCY,
                        "The routeTable '%s' has dependencies and cannot be deleted.", id);
    return res_delete(c->tx, &(res_key_t){c->scope, EC2_RTB, id}, NULL, c->eb);
}

/* ---- routes */

/* The route of rtb to cidr (the DestinationCidrBlock of the request), or NULL. */
static cJSON *ec2_route_find(const cJSON *rtb, const char *member, const char *dest)
{
    cJSON *routes = cJSON_GetObjectItemCaseSensitive(rtb, "Routes");
    for (cJSON *r = routes ? routes->child : NULL; r; r = r->next) {
        const char *d = jx_str(r, member);
        if (d && !strcmp(d, dest)) return r;
    }
    return NULL;
}

/* The route's destination from the request: member (DestinationCidrBlock, canonical, or
 * the IPv6 one or the prefix list as given) and value. */
static err_t ec2_route_dest(api_ctx_t *c, const char **member, const char **dest)
{
    static const char *const members[] = {"DestinationCidrBlock", "DestinationIpv6CidrBlock",
                                          "DestinationPrefixListId"};
    *member = NULL;
    for (int i = 0; i < 3 && !*member; i++)
        if (api_in_str(c, members[i])) *member = members[i], *dest = api_in_str(c, members[i]);
    if (!*member)
        return err_fail(c->eb, ERR_MISSING_PARAMETER,
                        "The request must contain the parameter destinationCidrBlock or "
                        "destinationIpv6CidrBlock or destinationPrefixListId");
    if (strcmp(*member, "DestinationCidrBlock")) return ERR_OK;
    ec2_cidr_t cidr;
    if (!ec2_cidr_parse(*dest, &cidr))
        return err_fail(c->eb, ERR_EC2_INVALID_PARAMETER,
                        "Value (%s) for parameter destinationCidrBlock is invalid. This is not a "
                        "valid CIDR block.",
                        *dest);
    char canon[20];
    ec2_cidr_text(&cidr, canon);
    *dest = arena_strdup(c->arena, canon);
    return ERR_OK;
}

/* The target members of a route, as the request and the Route shape name them. */
static const char *const ec2_targets[] = {"GatewayId",
                                          "InstanceId",
                                          "NatGatewayId",
                                          "NetworkInterfaceId",
                                          "VpcPeeringConnectionId",
                                          "TransitGatewayId",
                                          "EgressOnlyInternetGatewayId",
                                          "LocalGatewayId",
                                          "CarrierGatewayId",
                                          "CoreNetworkArn",
                                          "VpcEndpointId"};
#define EC2_N_TARGETS (sizeof(ec2_targets) / sizeof(ec2_targets[0]))

/* Builds the route to dest from the request's one target, checked: an internet gateway
 * must exist and be attached to rtb's VPC, an instance must exist; a route inside the
 * VPC's range may only target an instance or an interface. */
static err_t ec2_route_build(api_ctx_t *c, const cJSON *rtb, const char *member, const char *dest,
                             cJSON **out)
{
    *out = NULL;
    int which = -1, count = 0;
    for (size_t i = 0; i < EC2_N_TARGETS; i++)
        if (api_in_str(c, ec2_targets[i])) which = (int)i, count++;
    if (count != 1)
        return err_fail(c->eb, ERR_EC2_INVALID_COMBINATION,
                        count ? "More than one target specified for the route."
                              : "No route target specified.");
    const char *target = api_in_str(c, ec2_targets[which]);
    const char *vpc_id = jx_str(rtb, "VpcId");
    err_t rc = ERR_OK;
    cJSON *vpc = NULL;
    rc = ec2_vpc_get(c, vpc_id, &vpc);
    ec2_cidr_t d, v;
    if (!rc && !strcmp(member, "DestinationCidrBlock") && ec2_cidr_parse(dest, &d) &&
        ec2_cidr_parse(jx_str(vpc, "CidrBlock"), &v) && ec2_cidr_within(&d, &v) &&
        strcmp(ec2_targets[which], "InstanceId") &&
        strcmp(ec2_targets[which], "NetworkInterfaceId"))
        return err_fail(c->eb, ERR_EC2_INVALID_PARAMETER,
                        "The destination CIDR block %s is equal to or more specific than one of "
                        "this VPC's CIDR blocks. This route can target only an interface or an "
                        "instance.",
                        dest);
    cJSON *route = cJSON_CreateObject();
    cJSON_AddStringToObject(route, member, dest);
    cJSON_AddStringToObject(route, ec2_targets[which], target);
    if (!rc && !strcmp(ec2_targets[which], "GatewayId") && !strncmp(target, "igw-", 4)) {
        cJSON *igw = NULL;
        rc = ec2_get(c, &ec2_kind_igw, target, &igw);
        if (rc == ERR_EC2_IGW_NOT_FOUND)
            rc = err_fail(c->eb, ERR_EC2_GATEWAY_NOT_FOUND, "The gateway ID '%s' does not exist",
                          target);
        const cJSON *att =
            cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(igw, "Attachments"), 0);
        if (!rc && (!att || strcmp(jx_str(att, "VpcId"), vpc_id)))
            rc = err_fail(c->eb, ERR_EC2_INVALID_PARAMETER,
                          "route table %s and network gateway %s belong to different networks",
                          jx_str(rtb, "RouteTableId"), target);
    }
    if (!rc && !strcmp(ec2_targets[which], "InstanceId")) {
        cJSON *ids = jx_own(c->arena, cJSON_CreateArray()), *insts = NULL;
        cJSON_AddItemToArray(ids, cJSON_CreateString(target));
        rc = ec2_load(c, ids, &insts);
        cJSON_Delete(insts);
        cJSON_AddStringToObject(route, "InstanceOwnerId", c->account);
    }
    if (!rc && !strcmp(ec2_targets[which], "VpcEndpointId")) { /* shown as its gateway */
        cJSON_DeleteItemFromObjectCaseSensitive(route, "VpcEndpointId");
        cJSON_AddStringToObject(route, "GatewayId", target);
    }
    cJSON_AddStringToObject(route, "Origin", "CreateRoute");
    cJSON_AddStringToObject(route, "State", "active");
    if (rc)
        cJSON_Delete(route);
    else
        *out = route;
    return rc;
}

err_t ec2_create_route(api_ctx_t *c)
{
    cJSON *rtb = NULL, *route = NULL;
    const char *member = NULL, *dest = NULL;
    err_t rc = ec2_dry_run(c);
    if (!rc) rc = ec2_get(c, &ec2_kind_rtb, api_in_str(c, "RouteTableId"), &rtb);
    if (!rc) rc = ec2_route_dest(c, &member, &dest);
    if (!rc && ec2_route_find(rtb, member, dest))
        rc = err_fail(c->eb, ERR_EC2_ROUTE_EXISTS, "The route identified by %s already exists.",
                      dest);
    if (!rc) rc = ec2_route_build(c, rtb, member, dest, &route);
    if (rc) return rc;
    cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(rtb, "Routes"), route);
    rc = ec2_put(c, &ec2_kind_rtb, rtb);
    if (!rc) cJSON_AddBoolToObject(c->out, "Return", true);
    return rc;
}

/* The route DeleteRoute and ReplaceRoute name: it must exist and not be the local one. */
static err_t ec2_route_named(api_ctx_t *c, cJSON **rtb, const char **member, const char **dest,
                             cJSON **route, bool replace)
{
    err_t rc = ec2_dry_run(c);
    if (!rc) rc = ec2_get(c, &ec2_kind_rtb, api_in_str(c, "RouteTableId"), rtb);
    if (!rc) rc = ec2_route_dest(c, member, dest);
    if (rc) return rc;
    const char *id = jx_str(*rtb, "RouteTableId");
    *route = ec2_route_find(*rtb, *member, *dest);
    if (!*route && replace)
        return err_fail(c->eb, ERR_EC2_INVALID_PARAMETER,
                        "There is no route defined for '%s' in the route table. Use CreateRoute "
                        "instead.",
                        *dest);
    if (!*route)
        return err_fail(c->eb, ERR_EC2_ROUTE_NOT_FOUND,
                        "no route with destination-cidr-block %s in route table %s", *dest, id);
    const char *gw = jx_str(*route, "GatewayId");
    if (gw && !strcmp(gw, "local") && !replace)
        return err_fail(c->eb, ERR_EC2_INVALID_PARAMETER,
                        "cannot remove local route %s in route table %s", *dest, id);
    if (gw && !strcmp(gw, "local"))
        return err_fail(c->eb, ERR_EC2_INVALID_PARAMETER,
                        "cannot replace local route %s in route table %s", *dest, id);
    return ERR_OK;
}

err_t ec2_delete_route(api_ctx_t *c)
{
    cJSON *rtb = NULL, *route = NULL;
    const char *member, *dest;
    err_t rc = ec2_route_named(c, &rtb, &member, &dest, &route, false);
    if (rc) return rc;
    cJSON_Delete(
        cJSON_DetachItemViaPointer(cJSON_GetObjectItemCaseSensitive(rtb, "Routes"), route));
    return ec2_put(c, &ec2_kind_rtb, rtb);
}

err_t ec2_replace_route(api_ctx_t *c)
{
    cJSON *rtb = NULL, *route = NULL, *with = NULL;
    const char *member, *dest;
    err_t rc = ec2_route_named(c, &rtb, &member, &dest, &route, true);
    if (!rc) rc = ec2_route_build(c, rtb, member, dest, &with);
    if (rc) return rc;
    cJSON_ReplaceItemViaPointer(cJSON_GetObjectItemCaseSensitive(rtb, "Routes"), route, with);
    return ec2_put(c, &ec2_kind_rtb, rtb);
}

/* ---- associations */

/* The association assoc_id among the region's route tables: *rtb and *assoc (NULL when
 * none). */
static err_t ec2_assoc_find(api_ctx_t *c, const char *vpc_id, const char *member, const char *value,
                            cJSON **rtb, cJSON **assoc)
{
    cJSON *all = NULL;
    *rtb = *assoc = NULL;
    err_t rc = ec2_all(c, EC2_RTB, vpc_id, &all);
    for (cJSON *r = all ? all->child : NULL; !rc && r && !*assoc; r = r->next) {
        cJSON *as = cJSON_GetObjectItemCaseSensitive(r, "Associations");
        for (cJSON *a = as ? as->child : NULL; a && !*assoc; a = a->next) {
            const char *v = jx_str(a, member);
            if (v && !strcmp(v, value)) *rtb = r, *assoc = a;
        }
    }
    return rc;
}

err_t ec2_associate_route_table(api_ctx_t *c)
{
    cJSON *rtb = NULL, *target = NULL, *other = NULL, *assoc = NULL;
    err_t rc = ec2_dry_run(c);
    if (!rc) rc = ec2_get(c, &ec2_kind_rtb, api_in_str(c, "RouteTableId"), &rtb);
    if (rc) return rc;
    const char *subnet = api_in_str(c, "SubnetId"), *gateway = api_in_str(c, "GatewayId");
    const char *id = jx_str(rtb, "RouteTableId");
    if (!subnet == !gateway)
        return err_fail(c->eb, ERR_EC2_INVALID_COMBINATION,
                        subnet ? "Only one of subnetId or gatewayId may be specified."
                               : "Either subnetId or gatewayId must be specified.");
    rc = subnet ? ec2_subnet_get(c, subnet, &target) : ec2_get(c, &ec2_kind_igw, gateway, &target);
    if (rc) return rc;
    const cJSON *att =
        cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(target, "Attachments"), 0);
    const char *net = subnet ? jx_str(target, "VpcId") : jx_str(att, "VpcId");
    if (!net || strcmp(net, jx_str(rtb, "VpcId")))
        return err_fail(c->eb, ERR_EC2_INVALID_PARAMETER,
                        subnet ? "Route table %s and subnet %s belong to different networks"
                               : "Route table %s and gateway %s belong to different networks",
                        id, subnet ? subnet : gateway);
    rc = ec2_assoc_find(c, jx_str(rtb, "VpcId"), subnet ? "SubnetId" : "GatewayId",
                        subnet ? subnet : gateway, &other, &assoc);
    if (!rc && assoc)
        return err_fail(c->eb, ERR_EC2_ALREADY_ASSOCIATED,
                        "the specified association for route table %s conflicts with an existing "
                        "association",
                        id);
    ec2_net_t n = ec2_net_of(c);
    cJSON *a = ec2_assoc(&n, id, false, subnet, gateway);
    cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(rtb, "Associations"), a);
    if (!rc) rc = ec2_put(c, &ec2_kind_rtb, rtb);
    if (rc) return rc;
    cJSON_AddStringToObject(c->out, "AssociationId", jx_str(a, "RouteTableAssociationId"));
    cJSON_AddStringToObject(cJSON_AddObjectToObject(c->out, "AssociationState"), "State",
                            "associated");
    return ERR_OK;
}

err_t ec2_disassociate_route_table(api_ctx_t *c)
{
    cJSON *rtb = NULL, *assoc = NULL;
    const char *id = api_in_str(c, "AssociationId");
    err_t rc = ec2_dry_run(c);
    if (!rc) rc = ec2_assoc_find(c, NULL, "RouteTableAssociationId", id, &rtb, &assoc);
    if (!rc && !assoc)
        rc = err_fail(c->eb, ERR_EC2_ASSOCIATION_NOT_FOUND,
                      "The association ID '%s' does not exist", id);
    if (!rc && jx_true(assoc, "Main"))
        rc = err_fail(c->eb, ERR_EC2_INVALID_PARAMETER,
                      "cannot disassociate the main route table association %s", id);
    if (rc) return rc;
    cJSON_Delete(
        cJSON_DetachItemViaPointer(cJSON_GetObjectItemCaseSensitive(rtb, "Associations"), assoc));
    return ec2_put(c, &ec2_kind_rtb, rtb);
}

err_t ec2_rtb_forget_subnet(api_ctx_t *c, const char *vpc_id, const char *subnet_id)
{
    cJSON *rtb = NULL, *assoc = NULL;
    err_t rc = ec2_assoc_find(c, vpc_id, "SubnetId", subnet_id, &rtb, &assoc);
    if (rc || !assoc) return rc;
    cJSON_Delete(
        cJSON_DetachItemViaPointer(cJSON_GetObjectItemCaseSensitive(rtb, "Associations"), assoc));
    return ec2_put(c, &ec2_kind_rtb, rtb);
}
