"""CloudFormation's AWS::EC2:: resource types (issue 13): VPC, Subnet, InternetGateway,
VPCGatewayAttachment, RouteTable, Route, SubnetRouteTableAssociation, SecurityGroup (with
embedded rules) and SecurityGroupIngress / SecurityGroupEgress, KeyPair, LaunchTemplate,
Instance (subnet, security groups, instance profile, block devices, user data, tags), EIP,
Volume, VolumeAttachment. For each: create, Ref and Fn::GetAtt through Outputs, update in
place and by replacement, delete, and rollback: a resource failing midway undoes exactly
what the stack made or changed. Through boto3 and the AWS CLI.
"""

import base64
import json
import re

import pytest

from cfn_helpers import create, delete, failures, outputs, resources, stack, update
from conftest import Daemon
from helpers import serve

# the AMI as AWS's own templates find it: a public parameter of Parameter Store
AMI = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-6.1-x86_64"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


@pytest.fixture(scope="module")
def d():
    yield from serve(Daemon(args=["--ec2-delay-ms", "0"]))


@pytest.fixture(scope="module")
def cf(d):
    return d.client("cloudformation")


@pytest.fixture(scope="module")
def ec2(d):
    return d.client("ec2")


def network(dns=True, public=False, port=22, desc="web tier", shutdown="stop", data_type="t3.micro",
            egress_port=443, name_tag="net", extra=None, instance_sg="Web"):
    """The template: a VPC with everything around an instance."""
    t = {
        "Parameters": {"Ami": {"Type": "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>", "Default": AMI}},
        "Resources": {
            "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {
                "CidrBlock": "10.20.0.0/16", "EnableDnsSupport": "true", "EnableDnsHostnames": dns,
                "Tags": [{"Key": "Name", "Value": name_tag}]}},
            "Subnet": {"Type": "AWS::EC2::Subnet", "Properties": {
                "VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.20.1.0/24",
                "AvailabilityZone": {"Fn::Select": [0, {"Fn::GetAZs": ""}]}, "MapPublicIpOnLaunch": public}},
            "Gateway": {"Type": "AWS::EC2::InternetGateway", "Properties": {}},
            "Attach": {"Type": "AWS::EC2::VPCGatewayAttachment", "Properties": {
                "VpcId": {"Ref": "Vpc"}, "InternetGatewayId": {"Ref": "Gateway"}}},
            "Routes": {"Type": "AWS::EC2::RouteTable", "Properties": {"VpcId": {"Ref": "Vpc"}}},
            "Default": {"Type": "AWS::EC2::Route", "DependsOn": "Attach", "Properties": {
                "RouteTableId": {"Ref": "Routes"}, "DestinationCidrBlock": "0.0.0.0/0",
                "GatewayId": {"Ref": "Gateway"}}},
            "Assoc": {"Type": "AWS::EC2::SubnetRouteTableAssociation", "Properties": {
                "SubnetId": {"Ref": "Subnet"}, "RouteTableId": {"Ref": "Routes"}}},
            "Web": {"Type": "AWS::EC2::SecurityGroup", "Properties": {
                "GroupDescription": desc, "VpcId": {"Ref": "Vpc"},
                "SecurityGroupIngress": [{"IpProtocol": "tcp", "FromPort": port, "ToPort": str(port),
                                          "CidrIp": "0.0.0.0/0"}],
                "SecurityGroupEgress": [{"IpProtocol": "tcp", "FromPort": egress_port, "ToPort": egress_port,
                                         "CidrIp": "0.0.0.0/0"}]}},
            "Http": {"Type": "AWS::EC2::SecurityGroupIngress", "Properties": {
                "GroupId": {"Ref": "Web"}, "IpProtocol": "tcp", "FromPort": 80, "ToPort": 80,
                "CidrIp": "10.0.0.0/8"}},
            "Dns": {"Type": "AWS::EC2::SecurityGroupEgress", "Properties": {
                "GroupId": {"Fn::GetAtt": ["Web", "GroupId"]}, "IpProtocol": "udp", "FromPort": 53,
                "ToPort": 53, "CidrIp": "10.20.0.2/32"}},
            "Key": {"Type": "AWS::EC2::KeyPair", "Properties": {"KeyName": {"Fn::Sub": "${AWS::StackName}-key"}}},
            "Template": {"Type": "AWS::EC2::LaunchTemplate", "Properties": {
                "LaunchTemplateData": {"InstanceType": data_type}}},
            "Role": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": TRUST}},
            "Profile": {"Type": "AWS::IAM::InstanceProfile", "Properties": {"Roles": [{"Ref": "Role"}]}},
            "Server": {"Type": "AWS::EC2::Instance", "DependsOn": "Default", "Properties": {
                "ImageId": {"Ref": "Ami"}, "InstanceType": "t3.micro", "SubnetId": {"Ref": "Subnet"},
                "SecurityGroupIds": [{"Ref": instance_sg}], "KeyName": {"Ref": "Key"},
                "IamInstanceProfile": {"Ref": "Profile"},
                "InstanceInitiatedShutdownBehavior": shutdown,
                "UserData": {"Fn::Base64": "#!/bin/sh\necho hi\n"},
                "BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": "16",
                                                                            "DeleteOnTermination": "true"}}],
                "Tags": [{"Key": "Name", "Value": "server"}]}},
            "Address": {"Type": "AWS::EC2::EIP", "Properties": {"Domain": "vpc", "InstanceId": {"Ref": "Server"}}},
            "Disk": {"Type": "AWS::EC2::Volume", "Properties": {
                "AvailabilityZone": {"Fn::GetAtt": ["Server", "AvailabilityZone"]}, "Size": 8,
                "Tags": [{"Key": "Name", "Value": "data"}]}},
            "Mount": {"Type": "AWS::EC2::VolumeAttachment", "Properties": {
                "InstanceId": {"Ref": "Server"}, "VolumeId": {"Ref": "Disk"}, "Device": "/dev/sdf"}},
        },
        "Outputs": {
            "Vpc": {"Value": {"Ref": "Vpc"}},
            "VpcCidr": {"Value": {"Fn::GetAtt": ["Vpc", "CidrBlock"]}},
            "Subnet": {"Value": {"Ref": "Subnet"}},
            "SubnetAz": {"Value": {"Fn::GetAtt": ["Subnet", "AvailabilityZone"]}},
            "Gateway": {"Value": {"Ref": "Gateway"}},
            "Routes": {"Value": {"Ref": "Routes"}},
            "Route": {"Value": {"Ref": "Default"}},
            "Assoc": {"Value": {"Ref": "Assoc"}},
            "Web": {"Value": {"Ref": "Web"}},
            "WebId": {"Value": {"Fn::GetAtt": ["Web", "GroupId"]}},
            "WebVpc": {"Value": {"Fn::GetAtt": ["Web", "VpcId"]}},
            "Http": {"Value": {"Ref": "Http"}},
            "Key": {"Value": {"Ref": "Key"}},
            "KeyId": {"Value": {"Fn::GetAtt": ["Key", "KeyPairId"]}},
            "Template": {"Value": {"Ref": "Template"}},
            "TemplateVersion": {"Value": {"Fn::GetAtt": ["Template", "LatestVersionNumber"]}},
            "Server": {"Value": {"Ref": "Server"}},
            "ServerIp": {"Value": {"Fn::GetAtt": ["Server", "PrivateIp"]}},
            "ServerVpc": {"Value": {"Fn::GetAtt": ["Server", "VpcId"]}},
            "Address": {"Value": {"Ref": "Address"}},
            "Allocation": {"Value": {"Fn::GetAtt": ["Address", "AllocationId"]}},
            "Disk": {"Value": {"Ref": "Disk"}},
        },
    }
    if extra:
        t["Resources"].update(extra)
    return json.dumps(t)


def state(ec2, out):
    """What EC2 holds about the stack's network, as a dict to compare."""
    vpc = out["Vpc"]
    v = ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"][0]
    subnet = ec2.describe_subnets(SubnetIds=[out["Subnet"]])["Subnets"][0]
    sg = ec2.describe_security_groups(GroupIds=[out["WebId"]])["SecurityGroups"][0]
    rt = ec2.describe_route_tables(RouteTableIds=[out["Routes"]])["RouteTables"][0]
    inst = ec2.describe_instances(InstanceIds=[out["Server"]])["Reservations"][0]["Instances"][0]
    vol = ec2.describe_volumes(VolumeIds=[out["Disk"]])["Volumes"][0]
    addr = ec2.describe_addresses(PublicIps=[out["Address"]])["Addresses"][0]
    return {
        "dns_hostnames": ec2.describe_vpc_attribute(VpcId=vpc, Attribute="enableDnsHostnames")[
            "EnableDnsHostnames"]["Value"],
        "vpc_tags": {t["Key"]: t["Value"] for t in v.get("Tags", []) if not t["Key"].startswith("aws:")},
        "public": subnet["MapPublicIpOnLaunch"],
        "ingress": sorted((p["IpProtocol"], p.get("FromPort"), [r["CidrIp"] for r in p["IpRanges"]])
                          for p in sg["IpPermissions"]),
        "egress": sorted((p["IpProtocol"], p.get("FromPort"), [r["CidrIp"] for r in p["IpRanges"]])
                         for p in sg["IpPermissionsEgress"]),
        "routes": sorted((r.get("DestinationCidrBlock"), r.get("GatewayId")) for r in rt["Routes"]),
        "assoc": [a["SubnetId"] for a in rt["Associations"] if not a.get("Main")],
        "instance_sgs": [g["GroupId"] for g in inst["SecurityGroups"]],
        "shutdown": ec2.describe_instance_attribute(InstanceId=out["Server"], Attribute="instanceInitiatedShutdownBehavior")[
            "InstanceInitiatedShutdownBehavior"]["Value"],
        "volume": (vol["State"], [(a["InstanceId"], a["Device"]) for a in vol["Attachments"]]),
        "address": addr.get("InstanceId"),
    }


def counts(ec2, iam):
    """How many of each kind the account holds (instances not terminated)."""
    inst = [i for r in ec2.describe_instances()["Reservations"] for i in r["Instances"]
            if i["State"]["Name"] != "terminated"]
    return {
        "vpcs": len(ec2.describe_vpcs()["Vpcs"]),
        "subnets": len(ec2.describe_subnets()["Subnets"]),
        "igws": len(ec2.describe_internet_gateways()["InternetGateways"]),
        "rtbs": len(ec2.describe_route_tables()["RouteTables"]),
        "sgs": len(ec2.describe_security_groups()["SecurityGroups"]),
        "keys": len(ec2.describe_key_pairs()["KeyPairs"]),
        "lts": len(ec2.describe_launch_templates()["LaunchTemplates"]),
        "volumes": len([v for v in ec2.describe_volumes()["Volumes"] if v["State"] != "deleted"]),
        "eips": len(ec2.describe_addresses()["Addresses"]),
        "instances": len(inst),
        "roles": len(iam.list_roles()["Roles"]),
        "profiles": len(iam.list_instance_profiles()["InstanceProfiles"]),
    }


def test_network_stack_create_update_replace_delete(d, cf, ec2):
    iam = d.client("iam")
    before = counts(ec2, iam)
    s = create(cf, "net", network())
    out = outputs(s)
    assert re.fullmatch(r"vpc-[0-9a-f]+", out["Vpc"]) and out["VpcCidr"] == "10.20.0.0/16"
    assert out["Route"] == out["Routes"] + "|0.0.0.0/0"
    assert out["Web"] == out["WebId"] and out["WebVpc"] == out["Vpc"] and out["ServerVpc"] == out["Vpc"]
    assert out["Http"].startswith("sgr-")
    assert out["Key"] == "net-key" and out["KeyId"].startswith("key-")
    assert out["TemplateVersion"] == "1"
    assert out["Allocation"].startswith("eipalloc-")
    assert re.fullmatch(r"\d+\.\d+\.\d+\.\d+", out["ServerIp"]), out["ServerIp"]
    st = state(ec2, out)
    assert st["dns_hostnames"] is True and st["vpc_tags"] == {"Name": "net"}
    assert st["public"] is False
    assert st["ingress"] == [("tcp", 22, ["0.0.0.0/0"]), ("tcp", 80, ["10.0.0.0/8"])]
    assert st["egress"] == [("tcp", 443, ["0.0.0.0/0"]), ("udp", 53, ["10.20.0.2/32"])]
    assert ("0.0.0.0/0", out["Gateway"]) in st["routes"]
    assert st["assoc"] == [out["Subnet"]]
    assert st["instance_sgs"] == [out["WebId"]] and st["shutdown"] == "stop"
    assert st["volume"] == ("in-use", [(out["Server"], "/dev/sdf")]) and st["address"] == out["Server"]
    inst = ec2.describe_instances(InstanceIds=[out["Server"]])["Reservations"][0]["Instances"][0]
    assert inst["SubnetId"] == out["Subnet"] and inst["KeyName"] == "net-key"
    assert inst["IamInstanceProfile"]["Arn"].endswith("/" + resources(cf, "net")["Profile"]["PhysicalResourceId"])
    tags = {t["Key"]: t["Value"] for t in inst["Tags"]}
    assert tags["Name"] == "server" and tags["aws:cloudformation:logical-id"] == "Server"
    # in place: DNS, MapPublicIpOnLaunch, the group's rules, the VPC's tags, the instance's
    # shutdown behaviour, a launch template version
    s = update(cf, "net", network(dns=False, public=True, port=2222, shutdown="terminate", data_type="t3.small",
                                  egress_port=8443, name_tag="net2"))
    out2 = outputs(s)
    for k in ("Vpc", "Subnet", "WebId", "Server", "Disk", "Address", "Template", "Http"):
        assert out2[k] == out[k], k
    st2 = state(ec2, out2)
    assert st2["dns_hostnames"] is False and st2["public"] is True and st2["vpc_tags"] == {"Name": "net2"}
    assert st2["ingress"] == [("tcp", 80, ["10.0.0.0/8"]), ("tcp", 2222, ["0.0.0.0/0"])]
    assert st2["egress"] == [("tcp", 8443, ["0.0.0.0/0"]), ("udp", 53, ["10.20.0.2/32"])]
    assert st2["shutdown"] == "terminate"
    assert out2["TemplateVersion"] == "2"
    lt = ec2.describe_launch_templates(LaunchTemplateIds=[out["Template"]])["LaunchTemplates"][0]
    assert lt["DefaultVersionNumber"] == 2

    # replacement: a new GroupDescription makes a new group; the instance moves to it in
    # place, the rules follow it, and the old group is deleted in the cleanup
    s = update(cf, "net", network(dns=False, public=True, port=2222, shutdown="terminate", data_type="t3.small",
                                  egress_port=8443, name_tag="net2", desc="new tier"))
    out3 = outputs(s)
    assert out3["WebId"] != out["WebId"] and out3["Server"] == out["Server"]
    assert state(ec2, out3)["instance_sgs"] == [out3["WebId"]]
    assert ec2.describe_security_groups(Filters=[{"Name": "group-id", "Values": [out["WebId"]]}])["SecurityGroups"] == []
    assert out3["Http"] != out["Http"]

    delete(cf, "net")
    assert counts(ec2, iam) == before


BREAKER = {"Breaker": {"Type": "AWS::EC2::Route", "DependsOn": ["Mount", "Address", "Http", "Dns"], "Properties": {
    "RouteTableId": {"Ref": "Routes"}, "DestinationCidrBlock": "192.168.0.0/16", "GatewayId": "igw-00000000"}}}


def test_a_failure_midway_rolls_everything_back(d, cf, ec2):
    iam = d.client("iam")
    before = counts(ec2, iam)
    create(cf, "netrb", network(extra=BREAKER), status="ROLLBACK_COMPLETE")
    assert "API: ec2:CreateRoute" in failures(cf, "netrb")["Breaker"]
    assert counts(ec2, iam) == before
    cf.delete_stack(StackName="netrb")


def test_a_failed_update_puts_the_network_back(d, cf, ec2):
    iam = d.client("iam")
    create(cf, "netup", network())
    out = outputs(stack(cf, "netup"))
    st = state(ec2, out)
    n = counts(ec2, iam)
    update(cf, "netup", network(dns=False, public=True, port=2222, shutdown="terminate", egress_port=8443,
                                name_tag="changed", desc="replaced", extra=BREAKER), status="UPDATE_ROLLBACK_COMPLETE")
    assert failures(cf, "netup")["Breaker"].startswith("API: ec2:CreateRoute")
    assert state(ec2, out) == st
    assert counts(ec2, iam) == n
    assert outputs(stack(cf, "netup")) == out
    delete(cf, "netup")


DEFAULT_VPC = """
Parameters:
  Ami:
    Type: AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>
    Default: /aws/service/ami-amazon-linux-latest/al2023-ami-kernel-6.1-x86_64
Resources:
  Ssh:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: ssh from anywhere
      SecurityGroupIngress:
        - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0}
  Box:
    Type: AWS::EC2::Instance
    Properties:
      ImageId: !Ref Ami
      SecurityGroups: [!Ref Ssh]
      Tags: [{Key: Name, Value: %s}]
Outputs:
  Group: {Value: !Ref Ssh}
  GroupId: {Value: !GetAtt Ssh.GroupId}
  Box: {Value: !Ref Box}
"""


def test_default_vpc_group_through_the_cli(d, ec2, tmp_path):
    """Without VpcId a group is in the default VPC and Ref gives its name (what an
    instance's SecurityGroups takes), as the Service Catalog sample templates use it."""
    body = tmp_path / "t.yaml"
    body.write_text(DEFAULT_VPC % "one")
    d.aws("cloudformation", "create-stack", "--stack-name", "dflt", "--template-body", "file://%s" % body, check=True)
    d.aws("cloudformation", "wait", "stack-create-complete", "--stack-name", "dflt", check=True)
    p = d.aws("cloudformation", "describe-stacks", "--stack-name", "dflt", check=True)
    out = {o["OutputKey"]: o["OutputValue"] for o in p.json["Stacks"][0]["Outputs"]}
    assert re.fullmatch(r"dflt-Ssh-[A-Z0-9]{12}", out["Group"]), out
    g = ec2.describe_security_groups(GroupIds=[out["GroupId"]])["SecurityGroups"][0]
    assert g["GroupName"] == out["Group"]
    assert g["VpcId"].startswith("vpc-")
    assert ec2.describe_instances(InstanceIds=[out["Box"]])["Reservations"][0]["Instances"][0]["State"]["Name"] == "running"
    # a tag changes in place: same instance
    body.write_text(DEFAULT_VPC % "two")
    d.aws("cloudformation", "update-stack", "--stack-name", "dflt", "--template-body", "file://%s" % body, check=True)
    d.aws("cloudformation", "wait", "stack-update-complete", "--stack-name", "dflt", check=True)
    inst = ec2.describe_instances(InstanceIds=[out["Box"]])["Reservations"][0]["Instances"][0]
    assert {t["Key"]: t["Value"] for t in inst["Tags"]}["Name"] == "two"
    sid = d.aws("cloudformation", "describe-stacks", "--stack-name", "dflt", check=True).json["Stacks"][0]["StackId"]
    d.aws("cloudformation", "delete-stack", "--stack-name", "dflt", check=True)
    d.aws("cloudformation", "wait", "stack-delete-complete", "--stack-name", sid, check=True)
    assert ec2.describe_security_groups(Filters=[{"Name": "group-id", "Values": [out["GroupId"]]}])["SecurityGroups"] == []


def test_imported_key_and_custom_name(cf, ec2):
    material = base64.b64decode(
        "c3NoLWVkMjU1MTkgQUFBQUMzTnphQzFsWkRJMU5URTVBQUFBSUdXNnFZbm9QR0pLZmdvZGJ0b3RKYXd0cmFYaE1p"
        "dFFFbEJ1bUxnVHR6N0cgdGVzdA=="
    ).decode()
    body = json.dumps({"Resources": {"K": {"Type": "AWS::EC2::KeyPair", "Properties": {
        "KeyName": "imported", "PublicKeyMaterial": material}}}, "Outputs": {
        "Fp": {"Value": {"Fn::GetAtt": ["K", "KeyFingerprint"]}}}})
    s = create(cf, "keys", body)
    k = ec2.describe_key_pairs(KeyNames=["imported"])["KeyPairs"][0]
    assert outputs(s)["Fp"] == k["KeyFingerprint"]
    # a named key cannot be replaced
    update(cf, "keys", body.replace("imported\"", "imported\", \"KeyType\": \"ed25519\""),
           status="UPDATE_ROLLBACK_COMPLETE")
    assert "Rename imported and update the stack again." in failures(cf, "keys")["K"]
    delete(cf, "keys")
    assert ec2.describe_key_pairs(Filters=[{"Name": "key-name", "Values": ["imported"]}])["KeyPairs"] == []
