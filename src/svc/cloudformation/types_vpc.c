/* types_vpc.c - the AWS::EC2:: networking types (VPC, Subnet, InternetGateway,
 * VPCGatewayAttachment, RouteTable, Route, SubnetRouteTableAssociation) as rows of the type
 * table (types_int.h). */
#include "svc/cloudformation/types_int.h"
#include "core/jx.h"

const cfn_spec_t cfn_vpc_specs[] = {{NULL}};
