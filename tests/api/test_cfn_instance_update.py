"""CloudFormation updates of an AWS::EC2::Instance whose properties AWS changes with "Some
interruptions" (issue 13): InstanceType, UserData and EbsOptimized. The instance is stopped,
the attributes are set by ModifyInstanceAttribute, it is started again: the same instance,
not a replacement; a failed update puts the old values back on it the same way. And an
AWS::EC2::Volume's Size, VolumeType, Iops ("No interruption"): ModifyVolume on the same
volume. Through boto3 and the AWS CLI."""

import base64
import json

import pytest

from cfn_helpers import create, delete, failures, outputs, resources, stack, update
from conftest import Daemon
from helpers import serve, wait_for

AMI = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-6.1-x86_64"


@pytest.fixture(scope="module")
def d():
    yield from serve(Daemon(args=["--ec2-delay-ms", "0"]))


BREAKER = {"Type": "AWS::EC2::SecurityGroupIngress", "Properties": {
    "GroupId": "sg-0123456789abcdef0", "IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": "0.0.0.0/0"}}


def template(itype, data, ebs, tag="box", breaker=False):
    t = {
        "Parameters": {"Ami": {"Type": "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>", "Default": AMI}},
        "Resources": {"Box": {"Type": "AWS::EC2::Instance", "Properties": {
            "ImageId": {"Ref": "Ami"}, "InstanceType": itype, "UserData": {"Fn::Base64": data},
            "EbsOptimized": ebs, "Tags": [{"Key": "Name", "Value": tag}]}}},
        "Outputs": {"Box": {"Value": {"Ref": "Box"}}},
    }
    if breaker:  # fails after Box has been updated: the update rolls back
        t["Resources"]["Breaker"] = dict(BREAKER, DependsOn="Box")
    return json.dumps(t)


def instance(ec2, iid):
    """(state, type, user data text, EbsOptimized) of the instance, as DescribeInstances and
    DescribeInstanceAttribute show them."""
    inst = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]
    data = ec2.describe_instance_attribute(InstanceId=iid, Attribute="userData")["UserData"].get("Value", "")
    ebs = ec2.describe_instance_attribute(InstanceId=iid, Attribute="ebsOptimized")["EbsOptimized"]["Value"]
    return inst["State"]["Name"], inst["InstanceType"], base64.b64decode(data).decode(), ebs


def box_events(cf, name, logical="Box"):
    """The resource's (status, reason) events, oldest first."""
    evs = cf.describe_stack_events(StackName=name)["StackEvents"]
    return [(e["ResourceStatus"], e.get("ResourceStatusReason", "")) for e in reversed(evs)
            if e["LogicalResourceId"] == logical]


def test_some_interruptions_update_the_same_instance_and_roll_back_on_it(d):
    cf, ec2 = d.client("cloudformation"), d.client("ec2")
    create(cf, "restart", template("t3.micro", "#!/bin/sh\necho one\n", False))
    iid = outputs(stack(cf, "restart"))["Box"]
    assert instance(ec2, iid) == ("running", "t3.micro", "#!/bin/sh\necho one\n", False)
    n = len(box_events(cf, "restart"))

    # a change set shows it as an in-place change
    body = template("t3.small", "#!/bin/sh\necho two\n", True, tag="boxed")
    cf.create_change_set(StackName="restart", ChangeSetName="bigger", TemplateBody=body)
    cs = wait_for(lambda: (lambda c: c if c["Status"] == "CREATE_COMPLETE" else None)(
        cf.describe_change_set(StackName="restart", ChangeSetName="bigger")), what="the change set")
    rc = cs["Changes"][0]["ResourceChange"]
    assert (rc["LogicalResourceId"], rc["Action"], rc["Replacement"]) == ("Box", "Modify", "False")
    cf.delete_change_set(StackName="restart", ChangeSetName="bigger")

    # InstanceType, UserData, EbsOptimized and a tag: stopped, modified, started; same id
    update(cf, "restart", template("t3.small", "#!/bin/sh\necho two\n", True, tag="boxed"))
    assert outputs(stack(cf, "restart"))["Box"] == iid
    assert resources(cf, "restart")["Box"]["PhysicalResourceId"] == iid
    assert instance(ec2, iid) == ("running", "t3.small", "#!/bin/sh\necho two\n", True)
    tags = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]["Tags"]
    assert {t["Key"]: t["Value"] for t in tags}["Name"] == "boxed"
    assert box_events(cf, "restart")[n:] == [("UPDATE_IN_PROGRESS", ""), ("UPDATE_COMPLETE", "")]
    p = d.aws("ec2", "describe-instance-attribute", "--instance-id", iid, "--attribute", "instanceType", check=True)
    assert p.json["InstanceType"]["Value"] == "t3.small"
    assert [r["InstanceId"] for r in ec2.describe_instances(
        Filters=[{"Name": "tag:aws:cloudformation:stack-name", "Values": ["restart"]}])["Reservations"][0]["Instances"]] == [iid]

    # a resource after it fails: the old values go back on the same instance
    n = len(box_events(cf, "restart"))
    update(cf, "restart", template("t3.large", "#!/bin/sh\necho three\n", False, tag="boxed", breaker=True),
           status="UPDATE_ROLLBACK_COMPLETE")
    assert failures(cf, "restart")["Breaker"].startswith("API: ec2:AuthorizeSecurityGroupIngress")
    assert resources(cf, "restart")["Box"]["PhysicalResourceId"] == iid
    assert resources(cf, "restart")["Box"]["ResourceStatus"] == "UPDATE_COMPLETE"
    assert instance(ec2, iid) == ("running", "t3.small", "#!/bin/sh\necho two\n", True)
    assert [s for s, _ in box_events(cf, "restart")[n:]] == ["UPDATE_IN_PROGRESS", "UPDATE_COMPLETE"] * 2

    delete(cf, "restart")
    assert ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]["State"]["Name"] == "terminated"


def volume_template(size, vtype, iops=None, breaker=False):
    props = {"AvailabilityZone": {"Fn::Select": [0, {"Fn::GetAZs": ""}]}, "Size": size, "VolumeType": vtype}
    if iops:
        props["Iops"] = iops
    t = {"Resources": {"Disk": {"Type": "AWS::EC2::Volume", "Properties": props}},
         "Outputs": {"Disk": {"Value": {"Ref": "Disk"}}}}
    if breaker:
        t["Resources"]["Breaker"] = dict(BREAKER, DependsOn="Disk")
    return json.dumps(t)


def test_volume_size_type_and_iops_change_the_same_volume(d):
    cf, ec2 = d.client("cloudformation"), d.client("ec2")

    def vol(vid):
        v = ec2.describe_volumes(VolumeIds=[vid])["Volumes"][0]
        return v["Size"], v["VolumeType"], v.get("Iops")

    create(cf, "disk", volume_template(10, "gp2"))
    vid = outputs(stack(cf, "disk"))["Disk"]
    assert vol(vid) == (10, "gp2", 100)
    n = len(box_events(cf, "disk", "Disk"))
    update(cf, "disk", volume_template("20", "gp3", iops=4000))  # a number as text, as templates write it
    assert outputs(stack(cf, "disk"))["Disk"] == vid
    assert vol(vid) == (20, "gp3", 4000)
    assert box_events(cf, "disk", "Disk")[n:] == [("UPDATE_IN_PROGRESS", ""), ("UPDATE_COMPLETE", "")]
    # a failure later in the update: the IOPS go back on the same volume
    update(cf, "disk", volume_template(20, "gp3", iops=5000, breaker=True), status="UPDATE_ROLLBACK_COMPLETE")
    assert resources(cf, "disk")["Disk"]["PhysicalResourceId"] == vid
    assert vol(vid) == (20, "gp3", 4000)
    delete(cf, "disk")


def test_modify_volume(d):
    ec2 = d.client("ec2")
    vid = ec2.create_volume(AvailabilityZone=ec2.describe_availability_zones()["AvailabilityZones"][0]["ZoneName"],
                            Size=8, VolumeType="gp3")["VolumeId"]
    m = ec2.modify_volume(VolumeId=vid, Size=16, Iops=6000, Throughput=250)["VolumeModification"]
    assert (m["VolumeId"], m["ModificationState"]) == (vid, "modifying")
    assert (m["OriginalSize"], m["TargetSize"], m["OriginalIops"], m["TargetIops"]) == (8, 16, 3000, 6000)
    assert (m["OriginalThroughput"], m["TargetThroughput"], m["TargetVolumeType"]) == (125, 250, "gp3")
    v = ec2.describe_volumes(VolumeIds=[vid])["Volumes"][0]
    assert (v["Size"], v["Iops"], v["Throughput"]) == (16, 6000, 250)
    p = d.aws("ec2", "modify-volume", "--volume-id", vid, "--size", "4")
    assert p.returncode != 0 and "InvalidParameterValue" in p.stderr
    assert "New size cannot be smaller than existing size" in p.stderr
    m = ec2.modify_volume(VolumeId=vid, VolumeType="gp2")["VolumeModification"]
    assert (m["TargetVolumeType"], m["TargetIops"]) == ("gp2", 100) and "TargetThroughput" not in m
    ec2.delete_volume(VolumeId=vid)
