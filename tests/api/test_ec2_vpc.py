"""EC2 networking (issue 13): the default VPC every account has in its region, VPCs,
subnets, route tables and routes, internet gateways, Elastic IPs, availability zones and
regions, tags on all of them, through boto3 and the AWS CLI, with EC2's errors for the
bad inputs (CIDR ranges, overlapping subnets, dependencies, unknown ids)."""

import ipaddress

import pytest

from conftest import ACCOUNT, Daemon
from helpers import AMI, allow, cli_error, fails, new_user, serve



@pytest.fixture(scope="module")
def d():
    yield from serve(Daemon(args=["--ec2-delay-ms", "0"]))


@pytest.fixture(scope="module")
def ec2(d):
    return d.client("ec2")


def tags(**kv):
    return [{"Key": k, "Value": v} for k, v in kv.items()]


def spec(rtype, **kv):
    return [{"ResourceType": rtype, "Tags": tags(**kv)}]


def default_vpc(ec2):
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"]
    assert len(vpcs) == 1
    return vpcs[0]


def new_vpc(ec2, cidr="10.0.0.0/16", **kv):
    return ec2.create_vpc(CidrBlock=cidr, TagSpecifications=spec("vpc", **kv) if kv else [])["Vpc"]


def main_table(ec2, vpc_id):
    rts = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_id]},
                                             {"Name": "association.main", "Values": ["true"]}])["RouteTables"]
    assert len(rts) == 1
    return rts[0]


# ---- the default VPC


def test_default_vpc_as_ec2_creates_it(ec2):
    vpc = default_vpc(ec2)
    vid = vpc["VpcId"]
    assert vpc["CidrBlock"] == "172.31.0.0/16" and vpc["IsDefault"] is True and vpc["State"] == "available"
    assert vpc["OwnerId"] == ACCOUNT and vpc["InstanceTenancy"] == "default"
    assert len(vid) == len("vpc-") + 17 and vpc["DhcpOptionsId"].startswith("dopt-")
    assert vpc["CidrBlockAssociationSet"][0]["CidrBlockState"]["State"] == "associated"

    # a default subnet (/20, public addresses on launch) in every zone of the region
    zones = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]]
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vid]}])["Subnets"]
    assert sorted(s["AvailabilityZone"] for s in subnets) == sorted(zones) == ["us-east-1" + c for c in "abcdef"]
    assert sorted(s["CidrBlock"] for s in subnets) == sorted("172.31.%d.0/20" % (16 * i) for i in range(6))
    for s in subnets:
        assert s["DefaultForAz"] is True and s["MapPublicIpOnLaunch"] is True
        assert s["AvailableIpAddressCount"] == 4091 and s["State"] == "available"
        assert s["SubnetArn"] == "arn:aws:ec2:us-east-1:%s:subnet/%s" % (ACCOUNT, s["SubnetId"])
        assert s["AvailabilityZoneId"].startswith("use1-az")
    by_az = ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]},
                                          {"Name": "availability-zone", "Values": ["us-east-1c"]}])["Subnets"]
    assert [s["CidrBlock"] for s in by_az] == ["172.31.32.0/20"]

    # an internet gateway attached, and the main route table's default route to it
    igws = ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [vid]}])["InternetGateways"]
    assert len(igws) == 1 and igws[0]["Attachments"] == [{"State": "available", "VpcId": vid}]
    main = main_table(ec2, vid)
    routes = {r["DestinationCidrBlock"]: r for r in main["Routes"]}
    assert routes["172.31.0.0/16"]["GatewayId"] == "local"
    assert routes["0.0.0.0/0"]["GatewayId"] == igws[0]["InternetGatewayId"]
    assert all(r["State"] == "active" for r in main["Routes"])
    assert [a["Main"] for a in main["Associations"]] == [True]

    # its default security group
    groups = [g for g in ec2.describe_security_groups()["SecurityGroups"] if g["VpcId"] == vid]
    assert [g["GroupName"] for g in groups] == ["default"]

    # DNS hostnames are on in a default VPC
    assert ec2.describe_vpc_attribute(VpcId=vid, Attribute="enableDnsHostnames")["EnableDnsHostnames"] == {"Value": True}
    assert ec2.describe_vpc_attribute(VpcId=vid, Attribute="enableDnsSupport")["EnableDnsSupport"] == {"Value": True}


def test_default_vpc_is_installed_once(fresh_daemon):
    d = fresh_daemon()
    ec2 = d.client("ec2")
    vid = default_vpc(ec2)["VpcId"]
    # what depends on it keeps it
    code, msg, _ = fails(ec2.delete_vpc, VpcId=vid)
    assert (code, msg) == ("DependencyViolation", "The vpc '%s' has dependencies and cannot be deleted." % vid)
    d.stop()
    d.start()
    ec2 = d.client("ec2")  # (a new port)
    assert default_vpc(ec2)["VpcId"] == vid  # the same one after a restart

    # deleted, it stays deleted (EC2 does not make it again)
    for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vid]}])["Subnets"]:
        ec2.delete_subnet(SubnetId=s["SubnetId"])
    for g in ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [vid]}])["InternetGateways"]:
        ec2.detach_internet_gateway(InternetGatewayId=g["InternetGatewayId"], VpcId=vid)
        ec2.delete_internet_gateway(InternetGatewayId=g["InternetGatewayId"])
    ec2.delete_vpc(VpcId=vid)
    assert ec2.describe_vpcs()["Vpcs"] == []
    assert ec2.describe_route_tables()["RouteTables"] == []
    assert [g for g in ec2.describe_security_groups()["SecurityGroups"] if g["VpcId"] == vid] == []
    d.stop()
    d.start()
    ec2 = d.client("ec2")
    assert ec2.describe_vpcs()["Vpcs"] == []
    # security groups then need a VPC named
    code, _, _ = fails(ec2.create_security_group, GroupName="g", Description="d")
    assert code == "VPCIdNotSpecified"

    # CreateDefaultVpc makes a new one, as EC2 first did
    vpc = ec2.create_default_vpc()["Vpc"]
    assert vpc["VpcId"] != vid and vpc["IsDefault"] is True and vpc["CidrBlock"] == "172.31.0.0/16"
    assert default_vpc(ec2)["VpcId"] == vpc["VpcId"]
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["Subnets"]
    assert len(subnets) == 6 and all(s["DefaultForAz"] for s in subnets)
    assert main_table(ec2, vpc["VpcId"])["Routes"][1]["DestinationCidrBlock"] == "0.0.0.0/0"
    code, msg, _ = fails(ec2.create_default_vpc)
    assert (code, msg) == ("DefaultVpcAlreadyExists", "A Default VPC already exists for this account in this region.")
    ec2.create_security_group(GroupName="g", Description="d")


# ---- VPCs


def test_create_vpc_cidr_rules(ec2):
    vpc = new_vpc(ec2, "10.20.30.40/16", Name="canon")
    assert vpc["CidrBlock"] == "10.20.0.0/16"  # EC2 keeps the canonical form
    assert vpc["IsDefault"] is False and vpc["State"] == "available"
    assert vpc["Tags"] == [{"Key": "Name", "Value": "canon"}]
    assert ec2.describe_vpc_attribute(VpcId=vpc["VpcId"], Attribute="enableDnsHostnames")["EnableDnsHostnames"] == {"Value": False}
    # its own main route table, with the local route
    main = main_table(ec2, vpc["VpcId"])
    assert [(r["DestinationCidrBlock"], r["GatewayId"], r["Origin"]) for r in main["Routes"]] == [
        ("10.20.0.0/16", "local", "CreateRouteTable")]

    for cidr in ("10.0.0.0/15", "10.0.0.0/29", "10.0.0.0/8"):
        code, msg, _ = fails(ec2.create_vpc, CidrBlock=cidr)
        assert (code, msg) == ("InvalidVpc.Range", "The CIDR '%s' is invalid." % cidr)
    for bad in ("10.0.0.0", "300.0.0.0/16", "ten/16", "10.0.0.0/33"):
        code, msg, _ = fails(ec2.create_vpc, CidrBlock=bad)
        assert code == "InvalidParameterValue"
        assert msg == "Value (%s) for parameter cidrBlock is invalid. This is not a valid CIDR block." % bad
    code, _, _ = fails(ec2.create_vpc)
    assert code == "MissingParameter"
    # tags only for what the call creates
    code, msg, _ = fails(ec2.create_vpc, CidrBlock="10.9.0.0/16", TagSpecifications=spec("subnet", a="b"))
    assert (code, msg) == ("InvalidParameterValue", "'subnet' is not a valid taggable resource type for this operation.")
    code, msg, _ = fails(ec2.create_internet_gateway, TagSpecifications=[{"Tags": tags(a="b")}])
    assert (code, msg) == ("InvalidParameterValue", "Tag specification resource type must have a value")
    code, _, _ = fails(ec2.allocate_address, TagSpecifications=spec("vpc", a="b"))
    assert code == "InvalidParameterValue"
    code, _, status = fails(ec2.create_vpc, CidrBlock="10.9.0.0/16", DryRun=True)
    assert (code, status) == ("DryRunOperation", 412)
    assert ec2.describe_vpcs(Filters=[{"Name": "cidr", "Values": ["10.9.0.0/16"]}])["Vpcs"] == []


def test_describe_vpcs_ids_filters_and_errors(ec2):
    a = new_vpc(ec2, "10.1.0.0/16", Name="alpha", team="x")
    b = new_vpc(ec2, "10.2.0.0/16", Name="beta")
    ids = [v["VpcId"] for v in ec2.describe_vpcs(VpcIds=[b["VpcId"], a["VpcId"]])["Vpcs"]]
    assert sorted(ids) == sorted([a["VpcId"], b["VpcId"]])

    def find(*filters):
        return sorted(v["VpcId"] for v in ec2.describe_vpcs(Filters=list(filters))["Vpcs"])

    assert find({"Name": "tag:Name", "Values": ["alpha", "beta"]}) == sorted([a["VpcId"], b["VpcId"]])
    assert find({"Name": "tag:Name", "Values": ["al*"]}) == [a["VpcId"]]
    assert find({"Name": "tag-key", "Values": ["team"]}) == [a["VpcId"]]
    assert find({"Name": "cidr-block-association.cidr-block", "Values": ["10.2.0.0/16"]}) == [b["VpcId"]]
    assert find({"Name": "vpc-id", "Values": [b["VpcId"]]}, {"Name": "state", "Values": ["available"]}) == [b["VpcId"]]
    assert find({"Name": "is-default", "Values": ["false"]}, {"Name": "tag:Name", "Values": ["beta"]}) == [b["VpcId"]]

    code, msg, _ = fails(ec2.describe_vpcs, VpcIds=["vpc-0123456789abcdef0"])
    assert (code, msg) == ("InvalidVpcID.NotFound", "The vpc ID 'vpc-0123456789abcdef0' does not exist")
    code, msg, _ = fails(ec2.describe_vpcs, VpcIds=["vpc-0123456789abcdef0", "vpc-0123456789abcdef1"])
    assert (code, msg) == ("InvalidVpcID.NotFound",
                           "The vpc IDs 'vpc-0123456789abcdef0, vpc-0123456789abcdef1' do not exist")
    code, msg, _ = fails(ec2.describe_vpcs, VpcIds=["vpc-nothex"])
    assert (code, msg) == ("InvalidVpcID.Malformed", 'Invalid id: "vpc-nothex"')
    code, msg, _ = fails(ec2.describe_vpcs, Filters=[{"Name": "colour", "Values": ["x"]}])
    assert (code, msg) == ("InvalidParameterValue", "The filter 'colour' is invalid")
    code, _, _ = fails(ec2.delete_vpc, VpcId="vpc-0123456789abcdef0")
    assert code == "InvalidVpcID.NotFound"


def test_modify_vpc_attribute(ec2):
    vid = new_vpc(ec2, "10.3.0.0/16")["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vid, EnableDnsHostnames={"Value": True})
    assert ec2.describe_vpc_attribute(VpcId=vid, Attribute="enableDnsHostnames")["EnableDnsHostnames"] == {"Value": True}
    ec2.modify_vpc_attribute(VpcId=vid, EnableDnsHostnames={"Value": False})
    ec2.modify_vpc_attribute(VpcId=vid, EnableDnsSupport={"Value": False})
    out = ec2.describe_vpc_attribute(VpcId=vid, Attribute="enableDnsSupport")
    assert out["VpcId"] == vid and out["EnableDnsSupport"] == {"Value": False}
    code, _, _ = fails(ec2.modify_vpc_attribute, VpcId=vid, EnableDnsHostnames={"Value": True})
    assert code == "InvalidParameterValue"  # hostnames need DNS resolution
    code, _, _ = fails(ec2.modify_vpc_attribute, VpcId=vid, EnableDnsSupport={"Value": True},
                       EnableDnsHostnames={"Value": True})
    assert code == "InvalidParameterCombination"
    code, _, _ = fails(ec2.modify_vpc_attribute, VpcId=vid)
    assert code == "InvalidParameterCombination"
    code, _, _ = fails(ec2.describe_vpc_attribute, VpcId="vpc-0123456789abcdef0", Attribute="enableDnsSupport")
    assert code == "InvalidVpcID.NotFound"


def test_delete_vpc_dependencies(ec2):
    vid = new_vpc(ec2, "10.4.0.0/16")["VpcId"]
    sid = ec2.create_subnet(VpcId=vid, CidrBlock="10.4.1.0/24")["Subnet"]["SubnetId"]
    gid = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=gid, VpcId=vid)
    rtb = ec2.create_route_table(VpcId=vid)["RouteTable"]["RouteTableId"]
    sg = ec2.create_security_group(GroupName="web", Description="web", VpcId=vid)["GroupId"]
    dependency = ("DependencyViolation", "The vpc '%s' has dependencies and cannot be deleted." % vid)

    def refused():
        code, msg, _ = fails(ec2.delete_vpc, VpcId=vid)
        return (code, msg) == dependency

    assert refused()
    ec2.delete_subnet(SubnetId=sid)
    assert refused()  # the gateway
    ec2.detach_internet_gateway(InternetGatewayId=gid, VpcId=vid)
    assert refused()  # a route table of its own
    ec2.delete_route_table(RouteTableId=rtb)
    assert refused()  # a security group beside the default one
    ec2.delete_security_group(GroupId=sg)
    main = main_table(ec2, vid)["RouteTableId"]
    ec2.delete_vpc(VpcId=vid)
    # the main route table and the default group went with it; the gateway stays
    code, _, _ = fails(ec2.describe_route_tables, RouteTableIds=[main])
    assert code == "InvalidRouteTableID.NotFound"
    assert [g for g in ec2.describe_security_groups()["SecurityGroups"] if g["VpcId"] == vid] == []
    assert ec2.describe_internet_gateways(InternetGatewayIds=[gid])["InternetGateways"][0]["Attachments"] == []
    ec2.delete_internet_gateway(InternetGatewayId=gid)


# ---- subnets


def test_subnets(ec2):
    vid = new_vpc(ec2, "10.5.0.0/16")["VpcId"]
    s = ec2.create_subnet(VpcId=vid, CidrBlock="10.5.1.9/24", AvailabilityZone="us-east-1b",
                          TagSpecifications=spec("subnet", Name="one"))["Subnet"]
    assert s["CidrBlock"] == "10.5.1.0/24" and s["AvailabilityZone"] == "us-east-1b"
    assert s["AvailabilityZoneId"] == "use1-az2" and s["AvailableIpAddressCount"] == 251
    assert s["DefaultForAz"] is False and s["MapPublicIpOnLaunch"] is False and s["VpcId"] == vid
    assert s["Tags"] == [{"Key": "Name", "Value": "one"}]
    t = ec2.create_subnet(VpcId=vid, CidrBlock="10.5.2.0/28", AvailabilityZoneId="use1-az4")["Subnet"]
    assert t["AvailabilityZone"] == "us-east-1d" and t["AvailableIpAddressCount"] == 11

    code, msg, _ = fails(ec2.create_subnet, VpcId=vid, CidrBlock="10.5.1.128/25")
    assert (code, msg) == ("InvalidSubnet.Conflict", "The CIDR '10.5.1.128/25' conflicts with another subnet")
    code, msg, _ = fails(ec2.create_subnet, VpcId=vid, CidrBlock="10.5.0.0/16")
    assert code == "InvalidSubnet.Conflict"
    for bad in ("10.6.0.0/24", "10.5.3.0/29", "10.4.0.0/15"):
        code, msg, _ = fails(ec2.create_subnet, VpcId=vid, CidrBlock=bad)
        assert (code, msg) == ("InvalidSubnet.Range", "The CIDR '%s' is invalid." % bad)
    code, msg, _ = fails(ec2.create_subnet, VpcId=vid, CidrBlock="10.5.9.0/24", AvailabilityZone="us-east-1z")
    assert code == "InvalidParameterValue"
    assert msg == ("Value (us-east-1z) for parameter availabilityZone is invalid. Subnets can currently only be "
                   "created in the following availability zones: us-east-1a, us-east-1b, us-east-1c, us-east-1d, "
                   "us-east-1e, us-east-1f.")
    code, msg, _ = fails(ec2.create_subnet, VpcId="vpc-0123456789abcdef0", CidrBlock="10.5.9.0/24")
    assert (code, msg) == ("InvalidVpcID.NotFound", "The vpc ID 'vpc-0123456789abcdef0' does not exist")

    def find(*filters):
        return sorted(x["SubnetId"] for x in ec2.describe_subnets(Filters=list(filters))["Subnets"])

    assert find({"Name": "vpc-id", "Values": [vid]}) == sorted([s["SubnetId"], t["SubnetId"]])
    assert find({"Name": "vpc-id", "Values": [vid]}, {"Name": "cidr-block", "Values": ["10.5.2.0/28"]}) == [t["SubnetId"]]
    assert find({"Name": "tag:Name", "Values": ["one"]}) == [s["SubnetId"]]
    assert find({"Name": "availability-zone-id", "Values": ["use1-az4"]}, {"Name": "vpc-id", "Values": [vid]}) == [t["SubnetId"]]

    ec2.modify_subnet_attribute(SubnetId=s["SubnetId"], MapPublicIpOnLaunch={"Value": True})
    got = ec2.describe_subnets(SubnetIds=[s["SubnetId"]])["Subnets"][0]
    assert got["MapPublicIpOnLaunch"] is True
    assert find({"Name": "map-public-ip-on-launch", "Values": ["true"]}, {"Name": "vpc-id", "Values": [vid]}) == [s["SubnetId"]]
    code, _, _ = fails(ec2.modify_subnet_attribute, SubnetId=s["SubnetId"], MapPublicIpOnLaunch={"Value": True},
                       EnableDns64={"Value": True})
    assert code == "InvalidParameterCombination"

    ec2.delete_subnet(SubnetId=t["SubnetId"])
    code, msg, _ = fails(ec2.describe_subnets, SubnetIds=[t["SubnetId"]])
    assert (code, msg) == ("InvalidSubnetID.NotFound", "The subnet ID '%s' does not exist" % t["SubnetId"])
    code, _, _ = fails(ec2.delete_subnet, SubnetId="subnet-xyz")
    assert code == "InvalidSubnetID.Malformed"
    # the range is free again
    ec2.create_subnet(VpcId=vid, CidrBlock="10.5.2.0/24")


def test_subnet_with_an_instance_cannot_go(ec2):
    vid = new_vpc(ec2, "10.7.0.0/16")["VpcId"]
    sid = ec2.create_subnet(VpcId=vid, CidrBlock="10.7.0.0/24")["Subnet"]["SubnetId"]
    iid = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, SubnetId=sid)["Instances"][0]["InstanceId"]
    code, msg, _ = fails(ec2.delete_subnet, SubnetId=sid)
    assert (code, msg) == ("DependencyViolation", "The subnet '%s' has dependencies and cannot be deleted." % sid)
    ec2.terminate_instances(InstanceIds=[iid])
    ec2.get_waiter("instance_terminated").wait(InstanceIds=[iid], WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    ec2.delete_subnet(SubnetId=sid)


# ---- route tables and routes


def test_routes_and_associations(ec2):
    vid = new_vpc(ec2, "10.8.0.0/16")["VpcId"]
    sid = ec2.create_subnet(VpcId=vid, CidrBlock="10.8.1.0/24")["Subnet"]["SubnetId"]
    rt = ec2.create_route_table(VpcId=vid, TagSpecifications=spec("route-table", Name="public"))["RouteTable"]
    rid = rt["RouteTableId"]
    assert rt["VpcId"] == vid and rt["Associations"] == [] and rt["Tags"] == tags(Name="public")
    gid = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]

    code, msg, _ = fails(ec2.create_route, RouteTableId=rid, DestinationCidrBlock="0.0.0.0/0", GatewayId=gid)
    assert (code, msg) == ("InvalidParameterValue",
                           "route table %s and network gateway %s belong to different networks" % (rid, gid))
    ec2.attach_internet_gateway(InternetGatewayId=gid, VpcId=vid)
    assert ec2.create_route(RouteTableId=rid, DestinationCidrBlock="0.0.0.0/0", GatewayId=gid)["Return"] is True
    code, msg, _ = fails(ec2.create_route, RouteTableId=rid, DestinationCidrBlock="0.0.0.0/0", GatewayId=gid)
    assert (code, msg) == ("RouteAlreadyExists", "The route identified by 0.0.0.0/0 already exists.")
    code, _, _ = fails(ec2.create_route, RouteTableId=rid, DestinationCidrBlock="10.8.5.0/24", GatewayId=gid)
    assert code == "InvalidParameterValue"  # inside the VPC: only an instance or an interface
    code, msg, _ = fails(ec2.create_route, RouteTableId=rid, DestinationCidrBlock="1.2.3.0/24",
                         GatewayId="igw-0123456789abcdef0")
    assert (code, msg) == ("InvalidGatewayID.NotFound", "The gateway ID 'igw-0123456789abcdef0' does not exist")
    code, _, _ = fails(ec2.create_route, RouteTableId=rid, DestinationCidrBlock="1.2.3.0/24")
    assert code == "InvalidParameterCombination"
    code, msg, _ = fails(ec2.create_route, RouteTableId="rtb-0123456789abcdef0", DestinationCidrBlock="1.2.3.0/24",
                         GatewayId=gid)
    assert (code, msg) == ("InvalidRouteTableID.NotFound", "The routeTable ID 'rtb-0123456789abcdef0' does not exist")

    # a route to an instance, then replaced by one to the gateway
    iid = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, SubnetId=sid)["Instances"][0]["InstanceId"]
    ec2.create_route(RouteTableId=rid, DestinationCidrBlock="192.168.0.0/16", InstanceId=iid)
    routes = {r["DestinationCidrBlock"]: r for r in ec2.describe_route_tables(RouteTableIds=[rid])["RouteTables"][0]["Routes"]}
    assert routes["192.168.0.0/16"]["InstanceId"] == iid and routes["192.168.0.0/16"]["InstanceOwnerId"] == ACCOUNT
    ec2.replace_route(RouteTableId=rid, DestinationCidrBlock="192.168.0.0/16", GatewayId=gid)
    found = ec2.describe_route_tables(Filters=[{"Name": "route.destination-cidr-block", "Values": ["192.168.0.0/16"]},
                                               {"Name": "route.gateway-id", "Values": [gid]}])["RouteTables"]
    assert [r["RouteTableId"] for r in found] == [rid]
    code, msg, _ = fails(ec2.replace_route, RouteTableId=rid, DestinationCidrBlock="172.16.0.0/12", GatewayId=gid)
    assert code == "InvalidParameterValue" and "There is no route defined for '172.16.0.0/12'" in msg
    ec2.delete_route(RouteTableId=rid, DestinationCidrBlock="192.168.0.0/16")
    code, msg, _ = fails(ec2.delete_route, RouteTableId=rid, DestinationCidrBlock="192.168.0.0/16")
    assert (code, msg) == ("InvalidRoute.NotFound",
                           "no route with destination-cidr-block 192.168.0.0/16 in route table %s" % rid)
    code, msg, _ = fails(ec2.delete_route, RouteTableId=rid, DestinationCidrBlock="10.8.0.0/16")
    assert (code, msg) == ("InvalidParameterValue", "cannot remove local route 10.8.0.0/16 in route table %s" % rid)

    # associations
    aid = ec2.associate_route_table(RouteTableId=rid, SubnetId=sid)
    assert aid["AssociationState"] == {"State": "associated"}
    aid = aid["AssociationId"]
    assert aid.startswith("rtbassoc-")
    code, _, _ = fails(ec2.associate_route_table, RouteTableId=main_table(ec2, vid)["RouteTableId"], SubnetId=sid)
    assert code == "Resource.AlreadyAssociated"
    other = ec2.create_subnet(VpcId=default_vpc(ec2)["VpcId"], CidrBlock="172.31.96.0/20")["Subnet"]["SubnetId"]
    code, msg, _ = fails(ec2.associate_route_table, RouteTableId=rid, SubnetId=other)
    assert (code, msg) == ("InvalidParameterValue", "Route table %s and subnet %s belong to different networks" % (rid, other))
    ec2.delete_subnet(SubnetId=other)
    found = ec2.describe_route_tables(Filters=[{"Name": "association.subnet-id", "Values": [sid]}])["RouteTables"]
    assert [r["RouteTableId"] for r in found] == [rid]
    code, msg, _ = fails(ec2.delete_route_table, RouteTableId=rid)
    assert (code, msg) == ("DependencyViolation", "The routeTable '%s' has dependencies and cannot be deleted." % rid)
    main = main_table(ec2, vid)
    code, _, _ = fails(ec2.delete_route_table, RouteTableId=main["RouteTableId"])
    assert code == "DependencyViolation"
    code, _, _ = fails(ec2.disassociate_route_table, AssociationId=main["Associations"][0]["RouteTableAssociationId"])
    assert code == "InvalidParameterValue"
    ec2.disassociate_route_table(AssociationId=aid)
    code, msg, _ = fails(ec2.disassociate_route_table, AssociationId=aid)
    assert (code, msg) == ("InvalidAssociationID.NotFound", "The association ID '%s' does not exist" % aid)
    ec2.delete_route_table(RouteTableId=rid)
    code, msg, _ = fails(ec2.delete_route_table, RouteTableId=rid)
    assert (code, msg) == ("InvalidRouteTableID.NotFound", "The routeTable ID '%s' does not exist" % rid)
    code, _, _ = fails(ec2.describe_route_tables, RouteTableIds=["rtb-bad"])
    assert code == "InvalidRouteTableID.Malformed"
    ec2.terminate_instances(InstanceIds=[iid])


# ---- internet gateways


def test_internet_gateways(ec2):
    a = new_vpc(ec2, "10.10.0.0/16")["VpcId"]
    b = new_vpc(ec2, "10.11.0.0/16")["VpcId"]
    g = ec2.create_internet_gateway(TagSpecifications=spec("internet-gateway", Name="gw"))["InternetGateway"]
    gid = g["InternetGatewayId"]
    assert g["Attachments"] == [] and g["OwnerId"] == ACCOUNT and g["Tags"] == tags(Name="gw")
    assert len(gid) == len("igw-") + 17
    ec2.attach_internet_gateway(InternetGatewayId=gid, VpcId=a)
    code, msg, _ = fails(ec2.attach_internet_gateway, InternetGatewayId=gid, VpcId=b)
    assert (code, msg) == ("Resource.AlreadyAssociated", "resource %s is already attached to network %s" % (gid, a))
    h = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    code, msg, _ = fails(ec2.attach_internet_gateway, InternetGatewayId=h, VpcId=a)
    assert (code, msg) == ("InvalidParameterValue", "Network %s already has an internet gateway attached" % a)
    code, msg, _ = fails(ec2.delete_internet_gateway, InternetGatewayId=gid)
    assert (code, msg) == ("DependencyViolation",
                           "The internetGateway '%s' has dependencies and cannot be deleted." % gid)
    code, msg, _ = fails(ec2.detach_internet_gateway, InternetGatewayId=gid, VpcId=b)
    assert (code, msg) == ("Gateway.NotAttached", "resource %s is not attached to network %s" % (gid, b))
    found = ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [a]},
                                                    {"Name": "attachment.state", "Values": ["available"]}])
    assert [x["InternetGatewayId"] for x in found["InternetGateways"]] == [gid]
    assert [x["InternetGatewayId"] for x in ec2.describe_internet_gateways(
        Filters=[{"Name": "tag:Name", "Values": ["gw"]}])["InternetGateways"]] == [gid]
    ec2.detach_internet_gateway(InternetGatewayId=gid, VpcId=a)
    ec2.delete_internet_gateway(InternetGatewayId=gid)
    ec2.delete_internet_gateway(InternetGatewayId=h)
    code, msg, _ = fails(ec2.describe_internet_gateways, InternetGatewayIds=[gid])
    assert (code, msg) == ("InvalidInternetGatewayID.NotFound", "The internetGateway ID '%s' does not exist" % gid)
    code, _, _ = fails(ec2.attach_internet_gateway, InternetGatewayId="igw-0123456789abcdef0", VpcId=a)
    assert code == "InvalidInternetGatewayID.NotFound"


# ---- Elastic IPs


def test_elastic_ips(ec2):
    x = ec2.allocate_address(Domain="vpc", TagSpecifications=spec("elastic-ip", Name="eip"))
    ip, alloc = x["PublicIp"], x["AllocationId"]
    assert alloc.startswith("eipalloc-") and len(alloc) == len("eipalloc-") + 17
    assert x["Domain"] == "vpc" and x["PublicIpv4Pool"] == "amazon" and x["NetworkBorderGroup"] == "us-east-1"
    net = ipaddress.ip_address(ip)
    assert net in ipaddress.ip_network("198.51.100.0/24") or net in ipaddress.ip_network("203.0.113.0/24")
    y = ec2.allocate_address()
    assert y["PublicIp"] != ip

    got = ec2.describe_addresses(AllocationIds=[alloc])["Addresses"]
    assert [(a["PublicIp"], a["Tags"]) for a in got] == [(ip, tags(Name="eip"))]
    assert [a["AllocationId"] for a in ec2.describe_addresses(PublicIps=[ip])["Addresses"]] == [alloc]
    assert [a["AllocationId"] for a in ec2.describe_addresses(
        Filters=[{"Name": "public-ip", "Values": [ip]}])["Addresses"]] == [alloc]

    i1, i2 = [i["InstanceId"] for i in ec2.run_instances(ImageId=AMI, MinCount=2, MaxCount=2)["Instances"]]
    assoc = ec2.associate_address(AllocationId=alloc, InstanceId=i1)["AssociationId"]
    assert assoc.startswith("eipassoc-")
    inst = ec2.describe_instances(InstanceIds=[i1])["Reservations"][0]["Instances"][0]
    assert inst["PublicIpAddress"] == ip
    assert inst["PublicDnsName"] == "ec2-%s.compute-1.amazonaws.com" % ip.replace(".", "-")
    a = ec2.describe_addresses(Filters=[{"Name": "instance-id", "Values": [i1]}])["Addresses"]
    assert [(e["AllocationId"], e["AssociationId"], e["PrivateIpAddress"]) for e in a] == [
        (alloc, assoc, inst["PrivateIpAddress"])]

    code, msg, _ = fails(ec2.associate_address, AllocationId=alloc, InstanceId=i2)
    assert (code, msg) == ("Resource.AlreadyAssociated",
                           "resource %s is already associated with associate-id %s" % (alloc, assoc))
    code, _, _ = fails(ec2.release_address, AllocationId=alloc)
    assert code == "InvalidIPAddress.InUse"
    assoc2 = ec2.associate_address(AllocationId=alloc, InstanceId=i2, AllowReassociation=True)["AssociationId"]
    assert "PublicIpAddress" not in ec2.describe_instances(InstanceIds=[i1])["Reservations"][0]["Instances"][0]
    assert ec2.describe_instances(InstanceIds=[i2])["Reservations"][0]["Instances"][0]["PublicIpAddress"] == ip

    ec2.disassociate_address(AssociationId=assoc2)
    assert "PublicIpAddress" not in ec2.describe_instances(InstanceIds=[i2])["Reservations"][0]["Instances"][0]
    assert "AssociationId" not in ec2.describe_addresses(AllocationIds=[alloc])["Addresses"][0]
    code, msg, _ = fails(ec2.disassociate_address, AssociationId=assoc2)
    assert (code, msg) == ("InvalidAssociationID.NotFound", "The association ID '%s' does not exist" % assoc2)
    code, _, _ = fails(ec2.associate_address, AllocationId=y["AllocationId"], InstanceId="i-0123456789abcdef0")
    assert code == "InvalidInstanceID.NotFound"
    code, msg, _ = fails(ec2.associate_address, AllocationId=y["AllocationId"], NetworkInterfaceId="eni-0123456789abcdef0")
    assert (code, msg) == ("InvalidNetworkInterfaceID.NotFound", "The networkInterface ID 'eni-0123456789abcdef0' does not exist")
    code, _, _ = fails(ec2.associate_address, AllocationId=y["AllocationId"])
    assert code == "MissingParameter"

    ec2.release_address(AllocationId=alloc)
    code, msg, _ = fails(ec2.release_address, PublicIp=y["PublicIp"])
    assert (code, msg) == ("InvalidParameterValue",
                           "You must specify an allocation id when releasing a VPC elastic IP address")
    ec2.release_address(AllocationId=y["AllocationId"])
    code, msg, _ = fails(ec2.release_address, AllocationId=alloc)
    assert (code, msg) == ("InvalidAllocationID.NotFound", "The allocation ID '%s' does not exist" % alloc)
    code, _, _ = fails(ec2.describe_addresses, PublicIps=[ip])
    assert code == "InvalidAddress.NotFound"
    ec2.terminate_instances(InstanceIds=[i1, i2])


def test_elastic_ip_and_the_gateway(ec2):
    vid = new_vpc(ec2, "10.13.0.0/16")["VpcId"]
    sid = ec2.create_subnet(VpcId=vid, CidrBlock="10.13.0.0/24")["Subnet"]["SubnetId"]
    iid = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, SubnetId=sid)["Instances"][0]["InstanceId"]
    alloc = ec2.allocate_address()["AllocationId"]
    code, msg, _ = fails(ec2.associate_address, AllocationId=alloc, InstanceId=iid)
    assert (code, msg) == ("Gateway.NotAttached", "Network %s is not attached to any internet gateway" % vid)
    gid = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=gid, VpcId=vid)
    ec2.associate_address(AllocationId=alloc, InstanceId=iid)
    code, msg, _ = fails(ec2.detach_internet_gateway, InternetGatewayId=gid, VpcId=vid)
    assert (code, msg) == ("DependencyViolation", "Network %s has some mapped public address(es). Please unmap "
                                                  "those public address(es) before detaching the gateway." % vid)
    # a terminated instance gives its address back
    ec2.terminate_instances(InstanceIds=[iid])
    ec2.get_waiter("instance_terminated").wait(InstanceIds=[iid], WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    assert "AssociationId" not in ec2.describe_addresses(AllocationIds=[alloc])["Addresses"][0]
    assert "PublicIpAddress" not in ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]
    ec2.detach_internet_gateway(InternetGatewayId=gid, VpcId=vid)
    ec2.release_address(AllocationId=alloc)


# ---- zones and regions


def test_zones_and_regions(ec2):
    zones = ec2.describe_availability_zones()["AvailabilityZones"]
    assert [(z["ZoneName"], z["ZoneId"]) for z in zones] == [("us-east-1" + c, "use1-az%d" % (i + 1))
                                                             for i, c in enumerate("abcdef")]
    for z in zones:
        assert z["State"] == "available" and z["RegionName"] == "us-east-1" and z["ZoneType"] == "availability-zone"
        assert z["OptInStatus"] == "opt-in-not-required" and z["GroupName"] == "us-east-1"
    got = ec2.describe_availability_zones(ZoneNames=["us-east-1b"])["AvailabilityZones"]
    assert [z["ZoneId"] for z in got] == ["use1-az2"]
    got = ec2.describe_availability_zones(Filters=[{"Name": "zone-id", "Values": ["use1-az3", "use1-az5"]}])
    assert [z["ZoneName"] for z in got["AvailabilityZones"]] == ["us-east-1c", "us-east-1e"]
    code, msg, _ = fails(ec2.describe_availability_zones, ZoneNames=["us-east-1z"])
    assert (code, msg) == ("InvalidParameterValue", "Invalid availability zone: [us-east-1z]")

    regions = {r["RegionName"]: r for r in ec2.describe_regions()["Regions"]}
    assert regions["us-east-1"] == {"Endpoint": "ec2.us-east-1.amazonaws.com", "RegionName": "us-east-1",
                                    "OptInStatus": "opt-in-not-required"}
    assert "eu-west-1" in regions and "af-south-1" not in regions  # opt-in regions only with AllRegions
    every = {r["RegionName"]: r for r in ec2.describe_regions(AllRegions=True)["Regions"]}
    assert every["af-south-1"]["OptInStatus"] == "not-opted-in"
    got = ec2.describe_regions(RegionNames=["eu-west-1"])["Regions"]
    assert [r["RegionName"] for r in got] == ["eu-west-1"]
    got = ec2.describe_regions(Filters=[{"Name": "endpoint", "Values": ["*.us-west-2.*"]}])["Regions"]
    assert [r["RegionName"] for r in got] == ["us-west-2"]
    code, _, _ = fails(ec2.describe_regions, RegionNames=["mars-north-1"])
    assert code == "InvalidParameterValue"


def test_zones_of_another_region(fresh_daemon):
    d = fresh_daemon(args=["--region", "eu-west-2"])
    ec2 = d.client("ec2", region="eu-west-2")
    zones = ec2.describe_availability_zones()["AvailabilityZones"]
    assert [(z["ZoneName"], z["ZoneId"]) for z in zones] == [("eu-west-2a", "euw2-az1"), ("eu-west-2b", "euw2-az2"),
                                                             ("eu-west-2c", "euw2-az3")]
    subnets = ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"]
    assert sorted(s["AvailabilityZone"] for s in subnets) == ["eu-west-2a", "eu-west-2b", "eu-west-2c"]
    assert all(s["SubnetArn"].startswith("arn:aws:ec2:eu-west-2:") for s in subnets)


# ---- tags and paging


def test_tags_on_network_resources(ec2):
    vid = new_vpc(ec2, "10.12.0.0/16")["VpcId"]
    sid = ec2.create_subnet(VpcId=vid, CidrBlock="10.12.0.0/24")["Subnet"]["SubnetId"]
    rid = ec2.create_route_table(VpcId=vid)["RouteTable"]["RouteTableId"]
    gid = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    alloc = ec2.allocate_address()["AllocationId"]
    ids = [vid, sid, rid, gid, alloc]
    ec2.create_tags(Resources=ids, Tags=tags(project="net", Name="n"))
    got = ec2.describe_tags(Filters=[{"Name": "key", "Values": ["project"]}])["Tags"]
    assert sorted((t["ResourceId"], t["ResourceType"]) for t in got) == sorted(
        [(vid, "vpc"), (sid, "subnet"), (rid, "route-table"), (gid, "internet-gateway"), (alloc, "elastic-ip")])
    got = ec2.describe_tags(Filters=[{"Name": "resource-type", "Values": ["subnet"]},
                                     {"Name": "resource-id", "Values": [sid]}])["Tags"]
    assert sorted((t["Key"], t["Value"]) for t in got) == [("Name", "n"), ("project", "net")]
    assert [v["VpcId"] for v in ec2.describe_vpcs(Filters=[{"Name": "tag:project", "Values": ["net"]}])["Vpcs"]] == [vid]

    # every tag once, a page at a time, across the kinds
    seen, token = [], None
    while True:
        kw = {"MaxResults": 5, "Filters": [{"Name": "value", "Values": ["net", "n"]}]}
        if token:
            kw["NextToken"] = token
        page = ec2.describe_tags(**kw)
        assert len(page["Tags"]) <= 5
        seen += [(t["ResourceId"], t["Key"]) for t in page["Tags"]]
        token = page.get("NextToken")
        if not token:
            break
    assert sorted(seen) == sorted((i, k) for i in ids for k in ("Name", "project"))

    ec2.delete_tags(Resources=[sid, gid], Tags=[{"Key": "project"}])
    got = ec2.describe_tags(Filters=[{"Name": "key", "Values": ["project"]}])["Tags"]
    assert sorted(t["ResourceId"] for t in got) == sorted([vid, rid, alloc])
    code, msg, _ = fails(ec2.create_tags, Resources=["vpc-0123456789abcdef0"], Tags=tags(a="b"))
    assert (code, msg) == ("InvalidVpcID.NotFound", "The vpc ID 'vpc-0123456789abcdef0' does not exist")
    code, msg, _ = fails(ec2.create_tags, Resources=["nope-123"], Tags=tags(a="b"))
    assert (code, msg) == ("InvalidID", "The ID 'nope-123' is not valid")


def test_describe_subnets_pages(d, ec2):
    every = [s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]]
    assert len(every) >= 6
    seen, token = [], None
    while True:
        page = ec2.describe_subnets(MaxResults=5, **({"NextToken": token} if token else {}))
        assert len(page["Subnets"]) <= 5
        seen += [s["SubnetId"] for s in page["Subnets"]]
        token = page.get("NextToken")
        if not token:
            break
    assert seen == every
    raw = d.client("ec2", parameter_validation=False)
    code, _, _ = fails(raw.describe_subnets, MaxResults=4)
    assert code == "InvalidParameterValue"
    code, _, _ = fails(raw.describe_route_tables, MaxResults=101)  # (5 to 100 for route tables)
    assert code == "InvalidParameterValue"
    token = ec2.describe_subnets(MaxResults=5)["NextToken"]  # (6 default subnets at least)
    code, msg, _ = fails(ec2.describe_vpcs, MaxResults=5, NextToken=token)
    assert (code, msg) == ("InvalidParameterValue", "The token '%s' is invalid." % token)


# ---- the AWS CLI and IAM


def test_with_the_cli(d):
    p = d.aws("ec2", "create-vpc", "--cidr-block", "10.30.0.0/16", "--tag-specifications",
              "ResourceType=vpc,Tags=[{Key=Name,Value=cli}]", check=True)
    vid = p.json["Vpc"]["VpcId"]
    p = d.aws("ec2", "create-subnet", "--vpc-id", vid, "--cidr-block", "10.30.1.0/24",
              "--availability-zone", "us-east-1a", check=True)
    sid = p.json["Subnet"]["SubnetId"]
    # the CLI's waiters read the states and the NotFound errors
    d.aws("ec2", "wait", "vpc-exists", "--vpc-ids", vid, check=True)
    d.aws("ec2", "wait", "vpc-available", "--vpc-ids", vid, check=True)
    d.aws("ec2", "wait", "subnet-available", "--subnet-ids", sid, check=True)
    p = d.aws("ec2", "describe-subnets", "--filters", "Name=vpc-id,Values=" + vid, check=True)
    assert [s["SubnetId"] for s in p.json["Subnets"]] == [sid]
    p = d.aws("ec2", "create-subnet", "--vpc-id", vid, "--cidr-block", "10.30.1.0/25")
    assert cli_error(p) == ("InvalidSubnet.Conflict", "The CIDR '10.30.1.0/25' conflicts with another subnet")
    p = d.aws("ec2", "create-vpc", "--cidr-block", "10.0.0.0/29")
    assert cli_error(p) == ("InvalidVpc.Range", "The CIDR '10.0.0.0/29' is invalid.")
    p = d.aws("ec2", "describe-availability-zones", "--query", "AvailabilityZones[].ZoneName", check=True)
    assert p.json == ["us-east-1" + c for c in "abcdef"]
    p = d.aws("ec2", "allocate-address", "--domain", "vpc", check=True)
    d.aws("ec2", "release-address", "--allocation-id", p.json["AllocationId"], check=True)
    d.aws("ec2", "delete-subnet", "--subnet-id", sid, check=True)
    d.aws("ec2", "delete-vpc", "--vpc-id", vid, check=True)
    p = d.aws("ec2", "delete-vpc", "--vpc-id", vid)
    assert cli_error(p) == ("InvalidVpcID.NotFound", "The vpc ID '%s' does not exist" % vid)


def test_iam_authorizes_by_resource(d, ec2):
    iam = d.client("iam")
    vid = new_vpc(ec2, "10.31.0.0/16")["VpcId"]
    sid = ec2.create_subnet(VpcId=vid, CidrBlock="10.31.0.0/24")["Subnet"]["SubnetId"]
    key, secret = new_user(iam, "vpc-tagger", [allow(["ec2:Describe*"]),
                                              allow(["ec2:CreateTags"], "arn:aws:ec2:us-east-1:%s:vpc/*" % ACCOUNT)])
    user = d.client("ec2", key=key, secret=secret)
    assert user.describe_vpcs(VpcIds=[vid])["Vpcs"][0]["VpcId"] == vid
    user.create_tags(Resources=[vid], Tags=tags(by="user"))
    code, msg, status = fails(user.create_tags, Resources=[sid], Tags=tags(by="user"))
    assert (code, status) == ("UnauthorizedOperation", 403)
    # each resource is authorized by its own kind's ARN
    assert ("ec2:CreateTags on resource: arn:aws:ec2:us-east-1:%s:subnet/%s because" % (ACCOUNT, sid)) in msg, msg
    code, _, _ = fails(user.create_vpc, CidrBlock="10.32.0.0/16")
    assert code == "UnauthorizedOperation"
    code, _, _ = fails(user.delete_subnet, SubnetId=sid)
    assert code == "UnauthorizedOperation"
    assert "Tags" not in ec2.describe_subnets(SubnetIds=[sid])["Subnets"][0]
    assert ec2.describe_vpcs(VpcIds=[vid])["Vpcs"][0]["Tags"] == tags(by="user")
