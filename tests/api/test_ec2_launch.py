"""EC2 volumes, launch templates, instance types and what RunInstances launches with,
through real clients (issue 13): CreateVolume (sizes and types as EC2 checks them, a zone
of another region), Attach/DetachVolume (VolumeInUse, IncorrectState, a zone mismatch, a
device in use), DeleteVolume, DescribeVolumes filters and paging; launch templates (create,
versions from a source version, $Latest / $Default, ModifyLaunchTemplate, Describe* with
filters, the AlreadyExists / NotFound / Malformed errors, delete) and RunInstances from one;
DescribeInstanceTypes (AWS's figures, filters, paging, InvalidInstanceType); RunInstances
honouring SubnetId, SecurityGroupIds / SecurityGroups, KeyName, UserData, BlockDeviceMappings
(DeleteOnTermination) and IamInstanceProfile (which must exist, iam:PassRole on its role);
and the AWS CLI v2.
"""

import base64
import json

import pytest

from conftest import ACCOUNT, Daemon
from helpers import AMI, allow, cli_error, fails, new_user, serve, trust, wait_for



@pytest.fixture(scope="module")
def d():
    yield from serve(Daemon(args=["--ec2-delay-ms", "200"]))


@pytest.fixture(scope="module")
def ec2(d):
    return d.client("ec2")


def instance(ec2, iid):
    return ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]


def running(ec2, iid):
    wait_for(lambda: instance(ec2, iid)["State"]["Name"] == "running", 30, "instance %s to run" % iid)
    return instance(ec2, iid)


def launch(ec2, **kw):
    kw.setdefault("ImageId", AMI)
    return ec2.run_instances(MinCount=1, MaxCount=1, **kw)["Instances"][0]


# ---------------------------------------------------------------- volumes


def test_volume_lifecycle(ec2):
    v = ec2.create_volume(AvailabilityZone="us-east-1a", Size=20, VolumeType="gp3",
                          TagSpecifications=[{"ResourceType": "volume", "Tags": [{"Key": "Name", "Value": "data"}]}])
    vid = v["VolumeId"]
    assert v["State"] == "creating" and v["Size"] == 20 and v["Iops"] == 3000 and v["Throughput"] == 125
    assert v["Tags"] == [{"Key": "Name", "Value": "data"}] and v["Encrypted"] is False
    enc = ec2.create_volume(AvailabilityZone="us-east-1a", Size=1, Encrypted=True, KmsKeyId="alias/mine")
    assert (enc["Encrypted"], enc["KmsKeyId"]) == (True, "alias/mine")
    ec2.get_waiter("volume_available").wait(VolumeIds=[vid], WaiterConfig={"Delay": 1, "MaxAttempts": 10})
    iid = running(ec2, launch(ec2, Placement={"AvailabilityZone": "us-east-1a"})["InstanceId"])["InstanceId"]
    a = ec2.attach_volume(VolumeId=vid, InstanceId=iid, Device="/dev/sdf")
    assert (a["State"], a["Device"], a["InstanceId"]) == ("attaching", "/dev/sdf", iid)
    got = ec2.describe_volumes(VolumeIds=[vid])["Volumes"][0]
    assert got["State"] == "in-use" and got["Attachments"][0]["State"] == "attached"
    devs = {m["DeviceName"]: m["Ebs"]["VolumeId"] for m in instance(ec2, iid)["BlockDeviceMappings"]}
    assert devs["/dev/sdf"] == vid and "/dev/xvda" in devs  # and its root volume
    code, msg, _ = fails(ec2.attach_volume, VolumeId=vid, InstanceId=iid, Device="/dev/sdg")
    assert (code, msg) == ("VolumeInUse", "%s is already attached to an instance" % vid)
    code, msg, _ = fails(ec2.delete_volume, VolumeId=vid)
    assert (code, msg) == ("VolumeInUse", "Volume %s is currently attached to %s" % (vid, iid))
    by_inst = ec2.describe_volumes(Filters=[{"Name": "attachment.instance-id", "Values": [iid]}])["Volumes"]
    assert sorted(x["VolumeId"] for x in by_inst) == sorted(devs.values())
    assert ec2.detach_volume(VolumeId=vid)["State"] == "detaching"
    assert ec2.describe_volumes(VolumeIds=[vid])["Volumes"][0]["State"] == "available"
    code, msg, _ = fails(ec2.detach_volume, VolumeId=vid)
    assert (code, msg) == ("IncorrectState", "Volume '%s' is in the 'available' state." % vid)
    ec2.delete_volume(VolumeId=vid)
    code, msg, _ = fails(ec2.describe_volumes, VolumeIds=[vid])
    assert (code, msg) == ("InvalidVolume.NotFound", "The volume '%s' does not exist." % vid)


@pytest.mark.parametrize(
    "kw,code,text",
    [
        ({"Size": 20000}, "InvalidParameterValue", "too large"),
        ({"Size": 10, "VolumeType": "st1"}, "InvalidParameterValue", "too small"),
        ({"Size": 10, "VolumeType": "io1"}, "MissingParameter", "iops"),
        ({"Size": 10, "VolumeType": "gp2", "Iops": 300}, "InvalidParameterCombination", "iops"),
        ({"Size": 10, "AvailabilityZone": "eu-west-1a"}, "InvalidParameterValue", "Invalid availability zone: [eu-west-1a]"),
        ({}, "MissingParameter", "size"),
        ({"SnapshotId": "snap-0123456789abcdef0"}, "InvalidSnapshot.NotFound", "snap-0123456789abcdef0"),
        ({"Size": 1, "KmsKeyId": "alias/mine"}, "InvalidParameterDependency",
         "The parameter KmsKeyId requires the parameter Encrypted to be set."),
    ],
)
def test_create_volume_bad_input(ec2, kw, code, text):
    kw.setdefault("AvailabilityZone", "us-east-1b")
    got, msg, _ = fails(ec2.create_volume, **kw)
    assert got == code and text in msg


def test_attach_errors(ec2):
    vid = ec2.create_volume(AvailabilityZone="us-east-1b", Size=1)["VolumeId"]
    iid = running(ec2, launch(ec2, Placement={"AvailabilityZone": "us-east-1a"})["InstanceId"])["InstanceId"]
    code, msg, _ = fails(ec2.attach_volume, VolumeId=vid, InstanceId=iid, Device="/dev/sdf")
    assert (code, msg) == ("InvalidVolume.ZoneMismatch",
                           "The volume '%s' is not in the same availability zone as instance '%s'" % (vid, iid))
    v2 = ec2.create_volume(AvailabilityZone="us-east-1a", Size=1)["VolumeId"]
    code, msg, _ = fails(ec2.attach_volume, VolumeId=v2, InstanceId=iid, Device="/dev/xvda")
    assert code == "InvalidParameterValue" and "already in use" in msg
    code, msg, _ = fails(ec2.attach_volume, VolumeId=v2, InstanceId=iid, Device="sdf")
    assert code == "InvalidParameterValue" and "not a valid EBS device name" in msg
    code, _, _ = fails(ec2.attach_volume, VolumeId=v2, InstanceId="i-0123456789abcdef0", Device="/dev/sdf")
    assert code == "InvalidInstanceID.NotFound"
    code, _, _ = fails(ec2.attach_volume, VolumeId="vol-nothex", InstanceId=iid, Device="/dev/sdf")
    assert code == "InvalidVolumeID.Malformed"


def test_volumes_paging(ec2):
    made = [ec2.create_volume(AvailabilityZone="us-east-1c", Size=1, VolumeType="standard")["VolumeId"] for _ in range(6)]
    seen, kw = [], {"Filters": [{"Name": "volume-type", "Values": ["standard"]}], "MaxResults": 5}
    while True:
        page = ec2.describe_volumes(**kw)
        seen += [v["VolumeId"] for v in page["Volumes"]]
        if not page.get("NextToken"):
            break
        kw["NextToken"] = page["NextToken"]
    assert seen == made
    code, _, _ = fails(ec2.describe_volumes, VolumeIds=made[:1], MaxResults=5)
    assert code == "InvalidParameterCombination"


# ---------------------------------------------------------------- RunInstances


def test_run_instances_block_devices_and_termination(ec2):
    i = launch(
        ec2,
        BlockDeviceMappings=[
            {"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 30, "VolumeType": "gp3"}},
            {"DeviceName": "/dev/sdb", "Ebs": {"VolumeSize": 5, "DeleteOnTermination": False}},
        ],
        TagSpecifications=[{"ResourceType": "volume", "Tags": [{"Key": "owner", "Value": "run"}]}],
    )
    iid = i["InstanceId"]
    maps = {m["DeviceName"]: m["Ebs"] for m in running(ec2, iid)["BlockDeviceMappings"]}
    assert maps["/dev/xvda"]["DeleteOnTermination"] is True and maps["/dev/sdb"]["DeleteOnTermination"] is False
    vols = {v["VolumeId"]: v for v in ec2.describe_volumes(VolumeIds=[m["VolumeId"] for m in maps.values()])["Volumes"]}
    root, data = vols[maps["/dev/xvda"]["VolumeId"]], vols[maps["/dev/sdb"]["VolumeId"]]
    assert (root["Size"], root["VolumeType"], data["Size"]) == (30, "gp3", 5)
    assert root["Tags"] == [{"Key": "owner", "Value": "run"}]
    ec2.terminate_instances(InstanceIds=[iid])
    wait_for(lambda: instance(ec2, iid)["State"]["Name"] == "terminated", 30, "termination")
    # the root volume goes with the instance; the other is left available
    left = ec2.describe_volumes(Filters=[{"Name": "volume-id", "Values": [root["VolumeId"], data["VolumeId"]]}])["Volumes"]
    assert [(v["VolumeId"], v["State"]) for v in left] == [(data["VolumeId"], "available")]
    code, _, _ = fails(launch, ec2, BlockDeviceMappings=[{"DeviceName": "/dev/sdc", "Ebs": {"VolumeSize": 99999}}])
    assert code == "InvalidParameterValue"


def test_run_instances_in_a_subnet_with_groups_and_key(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.50.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.50.1.0/24", AvailabilityZone="us-east-1b")["Subnet"]["SubnetId"]
    sg = ec2.create_security_group(GroupName="app", Description="app", VpcId=vpc)["GroupId"]
    ec2.create_key_pair(KeyName="launch-key")
    # boto3 sends UserData base64-encoded, as the AWS CLI does
    i = launch(ec2, SubnetId=subnet, SecurityGroupIds=[sg], KeyName="launch-key", UserData="#!/bin/sh\necho hi\n")
    assert (i["SubnetId"], i["VpcId"], i["Placement"]["AvailabilityZone"]) == (subnet, vpc, "us-east-1b")
    assert i["PrivateIpAddress"].startswith("10.50.1.")
    assert i["SecurityGroups"] == [{"GroupName": "app", "GroupId": sg}]
    (eni,) = i["NetworkInterfaces"]
    assert eni["NetworkInterfaceId"].startswith("eni-") and eni["Attachment"]["DeviceIndex"] == 0
    assert (eni["SubnetId"], eni["VpcId"], eni["PrivateIpAddress"]) == (subnet, vpc, i["PrivateIpAddress"])
    assert eni["Groups"] == i["SecurityGroups"] and eni["Status"] == "in-use"
    assert i["KeyName"] == "launch-key"
    ud = ec2.describe_instance_attribute(InstanceId=i["InstanceId"], Attribute="userData")["UserData"]["Value"]
    assert base64.b64decode(ud) == b"#!/bin/sh\necho hi\n"
    # a subnet's instance without groups gets the VPC's default group
    j = launch(ec2, SubnetId=subnet)
    assert [g["GroupName"] for g in j["SecurityGroups"]] == ["default"]
    found = ec2.describe_instances(Filters=[{"Name": "key-name", "Values": ["launch-key"]}])["Reservations"]
    assert [r["Instances"][0]["InstanceId"] for r in found] == [i["InstanceId"]]
    for name, value, want in [("vpc-id", vpc, 2), ("subnet-id", subnet, 2), ("instance.group-id", sg, 1),
                              ("instance.group-name", "app", 1)]:
        found = ec2.describe_instances(Filters=[{"Name": name, "Values": [value]}])["Reservations"]
        assert len(found) == want, name


@pytest.mark.parametrize(
    "kw,code,text",
    [
        ({"SubnetId": "subnet-0123456789abcdef0"}, "InvalidSubnetID.NotFound", "subnet-0123456789abcdef0"),
        ({"SecurityGroupIds": ["sg-0123456789abcdef0"]}, "InvalidGroup.NotFound",
         "The security group 'sg-0123456789abcdef0' does not exist"),
        ({"SecurityGroups": ["no-such-group"]}, "InvalidGroup.NotFound", "no-such-group"),
        ({"KeyName": "no-such-key"}, "InvalidKeyPair.NotFound", "The key pair 'no-such-key' does not exist"),
        ({"UserData": "x" * 16385}, "InvalidParameterValue", "User data is limited to 16384 bytes"),
        ({"Placement": {"AvailabilityZone": "us-east-1z"}}, "InvalidParameterValue", "us-east-1z"),
        ({"IamInstanceProfile": {"Name": "no-such-profile"}}, "InvalidParameterValue", "iamInstanceProfile.name"),
    ],
)
def test_run_instances_bad_references(ec2, kw, code, text):
    before = len(ec2.describe_instances()["Reservations"])
    got, msg, _ = fails(launch, ec2, **kw)
    assert got == code and text in msg
    assert len(ec2.describe_instances()["Reservations"]) == before  # nothing launched


def test_security_group_of_another_vpc(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.60.0.0/16")["Vpc"]["VpcId"]
    sg = ec2.create_security_group(GroupName="elsewhere", Description="x", VpcId=vpc)["GroupId"]
    code, msg, _ = fails(launch, ec2, SecurityGroupIds=[sg])
    assert code == "InvalidParameter" and "belong to different networks" in msg


def test_instance_profile_and_pass_role(d, ec2):
    iam = d.client("iam")
    iam.create_role(RoleName="web-role", AssumeRolePolicyDocument=json.dumps(trust("ec2")))
    iam.create_instance_profile(InstanceProfileName="web-profile")
    iam.add_role_to_instance_profile(InstanceProfileName="web-profile", RoleName="web-role")
    prof = iam.get_instance_profile(InstanceProfileName="web-profile")["InstanceProfile"]
    i = launch(ec2, IamInstanceProfile={"Name": "web-profile"})
    assert i["IamInstanceProfile"] == {"Arn": prof["Arn"], "Id": prof["InstanceProfileId"]}
    # a user who may launch but not pass the role is refused
    key, secret = new_user(iam, "launcher", [allow("ec2:RunInstances")])
    user = d.client("ec2", key=key, secret=secret)
    code, msg, _ = fails(launch, user, IamInstanceProfile={"Arn": prof["Arn"]})
    assert code == "UnauthorizedOperation" and "iam:PassRole" in msg
    iam.put_user_policy(UserName="launcher", PolicyName="pass",
                        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [allow("iam:PassRole", prof["Roles"][0]["Arn"])]}))
    assert launch(user, IamInstanceProfile={"Arn": prof["Arn"]})["IamInstanceProfile"]["Arn"] == prof["Arn"]


# ---------------------------------------------------------------- launch templates


def test_launch_template_versions_and_run(ec2):
    sg = ec2.create_security_group(GroupName="lt-web", Description="lt")["GroupId"]
    lt = ec2.create_launch_template(
        LaunchTemplateName="web-template",
        VersionDescription="first",
        LaunchTemplateData={"ImageId": AMI, "InstanceType": "t3.micro", "SecurityGroupIds": [sg],
                            "TagSpecifications": [{"ResourceType": "instance", "Tags": [{"Key": "from", "Value": "lt"}]}]},
        TagSpecifications=[{"ResourceType": "launch-template", "Tags": [{"Key": "env", "Value": "dev"}]}],
    )["LaunchTemplate"]
    ltid = lt["LaunchTemplateId"]
    assert lt["DefaultVersionNumber"] == 1 and lt["LatestVersionNumber"] == 1
    assert lt["CreatedBy"] == "arn:aws:iam::%s:root" % ACCOUNT and lt["Tags"] == [{"Key": "env", "Value": "dev"}]
    v2 = ec2.create_launch_template_version(LaunchTemplateId=ltid, SourceVersion="1",
                                            LaunchTemplateData={"InstanceType": "m5.large"})["LaunchTemplateVersion"]
    assert v2["VersionNumber"] == 2 and v2["DefaultVersion"] is False
    assert v2["LaunchTemplateData"]["ImageId"] == AMI and v2["LaunchTemplateData"]["InstanceType"] == "m5.large"
    # the default version is 1 until modified
    i = ec2.run_instances(MinCount=1, MaxCount=1, LaunchTemplate={"LaunchTemplateId": ltid})["Instances"][0]
    assert i["InstanceType"] == "t3.micro" and i["SecurityGroups"][0]["GroupId"] == sg
    tags = {t["Key"]: t["Value"] for t in i["Tags"]}
    assert tags == {"from": "lt", "aws:ec2launchtemplate:id": ltid, "aws:ec2launchtemplate:version": "1"}
    j = ec2.run_instances(MinCount=1, MaxCount=1, InstanceType="c5.large",
                          LaunchTemplate={"LaunchTemplateName": "web-template", "Version": "$Latest"})["Instances"][0]
    assert j["InstanceType"] == "c5.large"  # the request's own members win
    ec2.modify_launch_template(LaunchTemplateId=ltid, DefaultVersion="2")
    vs = ec2.describe_launch_template_versions(LaunchTemplateId=ltid)["LaunchTemplateVersions"]
    assert [(v["VersionNumber"], v["DefaultVersion"]) for v in vs] == [(1, False), (2, True)]
    assert [v["VersionNumber"] for v in ec2.describe_launch_template_versions(LaunchTemplateId=ltid, Versions=["$Default"])["LaunchTemplateVersions"]] == [2]
    code, msg, _ = fails(ec2.describe_launch_template_versions, LaunchTemplateId=ltid, Versions=["9"])
    assert code == "InvalidLaunchTemplateId.VersionNotFound"
    code, _, _ = fails(ec2.modify_launch_template, LaunchTemplateId=ltid, DefaultVersion="9")
    assert code == "InvalidLaunchTemplateId.VersionNotFound"
    got = ec2.describe_launch_templates(Filters=[{"Name": "tag:env", "Values": ["dev"]}])["LaunchTemplates"]
    assert [(x["LaunchTemplateId"], x["DefaultVersionNumber"], x["LatestVersionNumber"]) for x in got] == [(ltid, 2, 2)]
    assert ec2.delete_launch_template(LaunchTemplateName="web-template")["LaunchTemplate"]["LaunchTemplateId"] == ltid
    code, msg, _ = fails(ec2.describe_launch_templates, LaunchTemplateIds=[ltid])
    assert (code, msg) == ("InvalidLaunchTemplateId.NotFound",
                           "The specified launch template, with template ID %s, does not exist." % ltid)


def test_launch_template_bad_input(ec2):
    ec2.create_launch_template(LaunchTemplateName="taken", LaunchTemplateData={"ImageId": AMI})
    code, msg, _ = fails(ec2.create_launch_template, LaunchTemplateName="taken", LaunchTemplateData={"ImageId": AMI})
    assert (code, msg) == ("InvalidLaunchTemplateName.AlreadyExistsException", "Launch template name already in use.")
    # the model's pattern for names refuses it before the handler does
    code, msg, _ = fails(ec2.create_launch_template, LaunchTemplateName="bad name!", LaunchTemplateData={"ImageId": AMI})
    assert code == "InvalidParameterValue" and "bad name!" in msg
    code, _, _ = fails(ec2.describe_launch_templates, LaunchTemplateNames=["missing"])
    assert code == "InvalidLaunchTemplateName.NotFoundException"
    code, _, _ = fails(ec2.describe_launch_templates, LaunchTemplateIds=["lt-123"])
    assert code == "InvalidLaunchTemplateId.Malformed"
    code, _, _ = fails(ec2.run_instances, MinCount=1, MaxCount=1, LaunchTemplate={"LaunchTemplateName": "missing"})
    assert code == "InvalidLaunchTemplateName.NotFoundException"
    code, _, _ = fails(ec2.create_launch_template_version, LaunchTemplateName="taken", SourceVersion="4",
                       LaunchTemplateData={"InstanceType": "t3.nano"})
    assert code == "InvalidLaunchTemplateId.VersionNotFound"


def test_launch_templates_through_the_cli(d):
    p = d.aws("ec2", "create-launch-template", "--launch-template-name", "cli-lt", "--launch-template-data",
              json.dumps({"ImageId": AMI, "InstanceType": "t2.micro"}), check=True)
    ltid = p.json["LaunchTemplate"]["LaunchTemplateId"]
    p = d.aws("ec2", "run-instances", "--launch-template", "LaunchTemplateId=%s" % ltid, check=True)
    assert p.json["Instances"][0]["InstanceType"] == "t2.micro"
    p = d.aws("ec2", "create-launch-template", "--launch-template-name", "cli-lt", "--launch-template-data",
              json.dumps({"ImageId": AMI}))
    assert cli_error(p)[0] == "InvalidLaunchTemplateName.AlreadyExistsException"


# ---------------------------------------------------------------- instance types


def test_describe_instance_types(ec2):
    got = {t["InstanceType"]: t for t in ec2.describe_instance_types(InstanceTypes=["t2.micro", "m5.xlarge", "r5.large"])["InstanceTypes"]}
    assert set(got) == {"t2.micro", "m5.xlarge", "r5.large"}
    t2 = got["t2.micro"]
    assert t2["VCpuInfo"]["DefaultVCpus"] == 1 and t2["MemoryInfo"]["SizeInMiB"] == 1024
    assert t2["ProcessorInfo"]["SupportedArchitectures"] == ["i386", "x86_64"]
    assert t2["Hypervisor"] == "xen" and t2["BurstablePerformanceSupported"] is True and t2["FreeTierEligible"] is True
    assert (got["m5.xlarge"]["VCpuInfo"]["DefaultVCpus"], got["m5.xlarge"]["MemoryInfo"]["SizeInMiB"]) == (4, 16384)
    assert (got["r5.large"]["VCpuInfo"]["DefaultCores"], got["r5.large"]["MemoryInfo"]["SizeInMiB"]) == (1, 16384)
    big = ec2.describe_instance_types(Filters=[{"Name": "vcpu-info.default-vcpus", "Values": ["96"]}])["InstanceTypes"]
    assert sorted(t["InstanceType"] for t in big) == ["c5.24xlarge", "m5.24xlarge", "r5.24xlarge"]
    fams = ec2.describe_instance_types(Filters=[{"Name": "instance-type", "Values": ["t3a.*"]}])["InstanceTypes"]
    assert len(fams) == 7
    pages = list(ec2.get_paginator("describe_instance_types").paginate(PaginationConfig={"PageSize": 10}))
    names = [t["InstanceType"] for p in pages for t in p["InstanceTypes"]]
    assert len(names) == len(set(names)) == 45 and len(pages) == 5
    code, msg, _ = fails(ec2.describe_instance_types, InstanceTypes=["x1e.32xlarge"])
    assert (code, msg) == ("InvalidInstanceType", "The following supplied instance types do not exist: [x1e.32xlarge]")
    code, _, _ = fails(ec2.describe_instance_types, Filters=[{"Name": "flavour", "Values": ["x"]}])
    assert code == "InvalidParameterValue"


def test_instance_types_through_the_cli(d):
    p = d.aws("ec2", "describe-instance-types", "--instance-types", "c5.large", check=True)
    t = p.json["InstanceTypes"][0]
    assert (t["VCpuInfo"]["DefaultVCpus"], t["MemoryInfo"]["SizeInMiB"]) == (2, 4096)
