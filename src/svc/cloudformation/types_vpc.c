/* types_vpc.c - the AWS::EC2:: networking types (VPC, Subnet, InternetGateway,
 * VPCGatewayAttachment, RouteTable, Route, SubnetRouteTableAssociation) as rows of the type
 * table (types_int.h). Physical ids as CloudFormation shows them: a route is
 * "<route table>|<destination>", a gateway attachment "<gateway>|<vpc>". */
#include "svc/cloudformation/types_int.h"
#include "core/jx.h"

#include <string.h>

#define EC2 "ec2"
#define M   CFN_P_MUTABLE
#define T   (CFN_P_TAGS | CFN_P_MUTABLE)
#define HM  (CFN_P_HOOK | CFN_P_MUTABLE)

/* Sets boolean attribute `prop` of props (when it changed from old_props) through
 * op {id_member: id, prop: {"Value": v}}, one attribute a call as EC2 wants. */
static err_t set_bools(cfn_step_t *s, const char *op, const char *id_member, const char *id,
                       const cJSON *old_props, const cJSON *props, const char *const *names)
{
    err_t rc = ERR_OK;
    for (; *names && !rc; names++) {
        const char *v = cfn_prop_str(s, props, *names);
        if (!v || !cfn_changed(old_props, props, *names)) continue;
        cJSON *in = cfn_obj1(id_member, id);
        cJSON_AddBoolToObject(cJSON_AddObjectToObject(in, *names), "Value", !strcmp(v, "true"));
        rc = cfn_call(s, EC2, op, in, NULL);
        cJSON_Delete(in);
    }
    return rc;
}

/* ---- AWS::EC2::VPC */

static const char *const vpc_bools[] = {"EnableDnsSupport", "EnableDnsHostnames", NULL};

static err_t vpc_after_create(cfn_step_t *s, const cfn_spec_t *spec, cJSON *res, const cJSON *props,
                              const cJSON *out)
{
    const char *id = jx_str(res, "PhysicalResourceId");
    err_t rc = set_bools(s, "ModifyVpcAttribute", "VpcId", id, NULL, props, vpc_bools);
    /* DefaultSecurityGroup: the group EC2 made with the VPC */
    cJSON *in = cJSON_CreateObject(), *sg = NULL;
    cJSON *filters = cJSON_AddArrayToObject(in, "Filters");
    const char *f[][2] = {{"vpc-id", id}, {"group-name", "default"}};
    for (size_t i = 0; i < 2; i++) {
        cJSON *one = cfn_obj1("Name", f[i][0]);
        cJSON_AddItemToArray(cJSON_AddArrayToObject(one, "Values"), cJSON_CreateString(f[i][1]));
        cJSON_AddItemToArray(filters, one);
    }
    if (!rc) rc = cfn_call(s, EC2, "DescribeSecurityGroups", in, &sg);
    const char *gid = jx_str(
        cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(sg, "SecurityGroups"), 0), "GroupId");
    if (!rc && gid)
        cJSON_AddStringToObject(cJSON_GetObjectItemCaseSensitive(res, "_Attrs"),
                                "DefaultSecurityGroup", gid);
    cJSON_Delete(in);
    cJSON_Delete(sg);
    return rc;
}

static err_t vpc_update(cfn_step_t *s, const cfn_spec_t *spec, cJSON *res, const cJSON *old_props,
                        const cJSON *props)
{
    return set_bools(s, "ModifyVpcAttribute", "VpcId", jx_str(res, "PhysicalResourceId"), old_props,
                     props, vpc_bools);
}

/* ---- AWS::EC2::Subnet */

static const char *const subnet_bools[] = {"MapPublicIpOnLaunch", "AssignIpv6AddressOnCreation",
                                           NULL};

static err_t subnet_after_create(cfn_step_t *s, const cfn_spec_t *spec, cJSON *res,
                                 const cJSON *props, const cJSON *out)
{
    return set_bools(s, "ModifySubnetAttribute", "SubnetId", jx_str(res, "PhysicalResourceId"),
                     NULL, props, subnet_bools);
}

static err_t subnet_update(cfn_step_t *s, const cfn_spec_t *spec, cJSON *res,
                           const cJSON *old_props, const cJSON *props)
{
    return set_bools(s, "ModifySubnetAttribute", "SubnetId", jx_str(res, "PhysicalResourceId"),
                     old_props, props, subnet_bools);
}

/* ---- AWS::EC2::VPCGatewayAttachment: another gateway is detached and attached in place */

static err_t attachment_update(cfn_step_t *s, const cfn_spec_t *spec, cJSON *res,
                               const cJSON *old_props, const cJSON *props)
{
    const char *vpc = cfn_prop_str(s, props, "VpcId");
    const char *was = cfn_prop_str(s, old_props, "InternetGatewayId");
    const char *now = cfn_prop_str(s, props, "InternetGatewayId");
    cJSON *in = cfn_obj1("VpcId", vpc);
    err_t rc = ERR_OK;
    if (was) {
        cJSON_AddStringToObject(in, "InternetGatewayId", was);
        rc = cfn_call_gone(s, EC2, "DetachInternetGateway", in, spec->gone);
    }
    if (!rc && now) {
        jx_set_str(in, "InternetGatewayId", now);
        rc = cfn_call(s, EC2, "AttachInternetGateway", in, NULL);
    }
    if (!rc)
        jx_set_str(res, "PhysicalResourceId", arena_printf(s->arena, "%s|%s", now ? now : "", vpc));
    cJSON_Delete(in);
    return rc;
}

/* ---- AWS::EC2::Route: another target through ReplaceRoute */

static err_t route_update(cfn_step_t *s, const cfn_spec_t *spec, cJSON *res, const cJSON *old_props,
                          const cJSON *props)
{
    cJSON *in = cJSON_CreateObject();
    for (const cJSON *p = props->child; p; p = p->next)
        if (cJSON_IsString(p)) cJSON_AddStringToObject(in, p->string, p->valuestring);
    err_t rc = cfn_call(s, EC2, "ReplaceRoute", in, NULL);
    cJSON_Delete(in);
    return rc;
}

/* ---- AWS::EC2::SubnetRouteTableAssociation: another route table in place */

static err_t assoc_update(cfn_step_t *s, const cfn_spec_t *spec, cJSON *res, const cJSON *old_props,
                          const cJSON *props)
{
    cJSON *in = cfn_obj1("AssociationId", jx_str(res, "PhysicalResourceId")), *out = NULL;
    err_t rc = cfn_call_gone(s, EC2, "DisassociateRouteTable", in, spec->gone);
    cJSON_Delete(in);
    in = cfn_obj1("RouteTableId", cfn_prop_str(s, props, "RouteTableId"));
    cJSON_AddStringToObject(in, "SubnetId", cfn_prop_str(s, props, "SubnetId"));
    if (!rc) rc = cfn_call(s, EC2, "AssociateRouteTable", in, &out);
    if (!rc) cfn_set_result(res, spec, jx_str(out, "AssociationId"), out, in);
    cJSON_Delete(in);
    cJSON_Delete(out);
    return rc;
}

/* ---- the rows */

static const cfn_prop_t vpc_props[] = {{"CidrBlock", NULL, 0},
                                       {"EnableDnsHostnames", NULL, CFN_P_BOOL | HM},
                                       {"EnableDnsSupport", NULL, CFN_P_BOOL | HM},
                                       {"InstanceTenancy", NULL, 0},
                                       {"Ipv4IpamPoolId", NULL, 0},
                                       {"Ipv4NetmaskLength", NULL, CFN_P_INT},
                                       {"Tags", NULL, T},
                                       {0}};
static const cfn_attr_t vpc_attrs[] = {
    {"VpcId", "Vpc.VpcId"},
    {"CidrBlock", "Vpc.CidrBlock"},
    {"CidrBlockAssociations", "Vpc.CidrBlockAssociationSet[].AssociationId"},
    {"Ipv6CidrBlocks", "Vpc.Ipv6CidrBlockAssociationSet[].Ipv6CidrBlock"},
    {0}};

static const cfn_prop_t subnet_props[] = {{"VpcId", NULL, CFN_P_REQ},
                                          {"CidrBlock", NULL, 0},
                                          {"AvailabilityZone", NULL, 0},
                                          {"AvailabilityZoneId", NULL, 0},
                                          {"Ipv6CidrBlock", NULL, 0},
                                          {"Ipv6Native", NULL, CFN_P_BOOL},
                                          {"OutpostArn", NULL, 0},
                                          {"MapPublicIpOnLaunch", NULL, CFN_P_BOOL | HM},
                                          {"AssignIpv6AddressOnCreation", NULL, CFN_P_BOOL | HM},
                                          {"Tags", NULL, T},
                                          {0}};
static const cfn_attr_t subnet_attrs[] = {
    {"SubnetId", "Subnet.SubnetId"},
    {"AvailabilityZone", "Subnet.AvailabilityZone"},
    {"AvailabilityZoneId", "Subnet.AvailabilityZoneId"},
    {"CidrBlock", "Subnet.CidrBlock"},
    {"VpcId", "Subnet.VpcId"},
    {"Ipv6CidrBlocks", "Subnet.Ipv6CidrBlockAssociationSet[].Ipv6CidrBlock"},
    {0}};

static const cfn_prop_t tags_only[] = {{"Tags", NULL, T}, {0}};
static const cfn_attr_t igw_attrs[] = {{"InternetGatewayId", "InternetGateway.InternetGatewayId"},
                                       {0}};

static const cfn_prop_t attachment_props[] = {
    {"VpcId", NULL, CFN_P_REQ}, {"InternetGatewayId", NULL, CFN_P_REQ | M}, {0}};

static const cfn_prop_t rtb_props[] = {{"VpcId", NULL, CFN_P_REQ}, {"Tags", NULL, T}, {0}};
static const cfn_attr_t rtb_attrs[] = {{"RouteTableId", "RouteTable.RouteTableId"}, {0}};

static const cfn_prop_t route_props[] = {{"RouteTableId", NULL, CFN_P_REQ},
                                         {"DestinationCidrBlock", NULL, 0},
                                         {"DestinationIpv6CidrBlock", NULL, 0},
                                         {"DestinationPrefixListId", NULL, 0},
                                         {"GatewayId", NULL, M},
                                         {"NatGatewayId", NULL, M},
                                         {"InstanceId", NULL, M},
                                         {"NetworkInterfaceId", NULL, M},
                                         {"VpcPeeringConnectionId", NULL, M},
                                         {"TransitGatewayId", NULL, M},
                                         {"EgressOnlyInternetGatewayId", NULL, M},
                                         {"VpcEndpointId", NULL, M},
                                         {"CarrierGatewayId", NULL, M},
                                         {"LocalGatewayId", NULL, M},
                                         {"CoreNetworkArn", NULL, M},
                                         {0}};

static const cfn_prop_t assoc_props[] = {
    {"RouteTableId", NULL, CFN_P_REQ | M}, {"SubnetId", NULL, CFN_P_REQ}, {0}};
static const cfn_attr_t assoc_attrs[] = {{"Id", "AssociationId"}, {0}};

const cfn_spec_t cfn_vpc_specs[] = {{.type = "AWS::EC2::VPC",
                                     .service = EC2,
                                     .create_op = "CreateVpc",
                                     .props = vpc_props,
                                     .id_path = "Vpc.VpcId",
                                     .delete_op = "DeleteVpc",
                                     .delete_member = "VpcId",
                                     .gone = "InvalidVpcID.NotFound",
                                     .attrs = vpc_attrs,
                                     .tag_type = "vpc",
                                     .after_create = vpc_after_create,
                                     .update = vpc_update},
                                    {.type = "AWS::EC2::Subnet",
                                     .service = EC2,
                                     .create_op = "CreateSubnet",
                                     .props = subnet_props,
                                     .id_path = "Subnet.SubnetId",
                                     .delete_op = "DeleteSubnet",
                                     .delete_member = "SubnetId",
                                     .gone = "InvalidSubnetID.NotFound",
                                     .attrs = subnet_attrs,
                                     .tag_type = "subnet",
                                     .after_create = subnet_after_create,
                                     .update = subnet_update},
                                    {.type = "AWS::EC2::InternetGateway",
                                     .service = EC2,
                                     .create_op = "CreateInternetGateway",
                                     .props = tags_only,
                                     .id_path = "InternetGateway.InternetGatewayId",
                                     .delete_op = "DeleteInternetGateway",
                                     .delete_member = "InternetGatewayId",
                                     .gone = "InvalidInternetGatewayID.NotFound",
                                     .attrs = igw_attrs,
                                     .tag_type = "internet-gateway"},
                                    {.type = "AWS::EC2::VPCGatewayAttachment",
                                     .service = EC2,
                                     .create_op = "AttachInternetGateway",
                                     .props = attachment_props,
                                     .id_path = "InternetGatewayId|VpcId",
                                     .delete_op = "DetachInternetGateway",
                                     .delete_member = "InternetGatewayId|VpcId",
                                     .gone = "Gateway.NotAttached",
                                     .update = attachment_update},
                                    {.type = "AWS::EC2::RouteTable",
                                     .service = EC2,
                                     .create_op = "CreateRouteTable",
                                     .props = rtb_props,
                                     .id_path = "RouteTable.RouteTableId",
                                     .delete_op = "DeleteRouteTable",
                                     .delete_member = "RouteTableId",
                                     .gone = "InvalidRouteTableID.NotFound",
                                     .attrs = rtb_attrs,
                                     .tag_type = "route-table"},
                                    {.type = "AWS::EC2::Route",
                                     .service = EC2,
                                     .create_op = "CreateRoute",
                                     .props = route_props,
                                     .id_path = "RouteTableId|DestinationCidrBlock",
                                     .delete_op = "DeleteRoute",
                                     .delete_member = "RouteTableId|DestinationCidrBlock",
                                     .gone = "InvalidRoute.NotFound",
                                     .update = route_update},
                                    {.type = "AWS::EC2::SubnetRouteTableAssociation",
                                     .service = EC2,
                                     .create_op = "AssociateRouteTable",
                                     .props = assoc_props,
                                     .id_path = "AssociationId",
                                     .delete_op = "DisassociateRouteTable",
                                     .delete_member = "AssociationId",
                                     .gone = "InvalidAssociationID.NotFound",
                                     .attrs = assoc_attrs,
                                     .update = assoc_update},
                                    {0}};
