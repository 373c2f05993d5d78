"""EC2 images and instance attributes through real clients (issue 12, the EC2 calls the
AWS-owned runbooks need): CreateImage (pending, then available; InvalidAMIName.Duplicate
and .Malformed; a missing or terminated instance), DescribeImages over the account's own
images and the public catalogue (ImageIds, Owners self / amazon / an account id, Filters
name / state / image-id / tag:), DeregisterImage, RunInstances from a listed image,
ModifyInstanceAttribute and DescribeInstanceAttribute (instanceType on a running instance
is IncorrectInstanceState as in EC2; userData; disableApiTermination stopping
TerminateInstances; instanceInitiatedShutdownBehavior), and the AWS CLI v2.
"""

import base64
import shutil
import tempfile

import pytest

from conftest import ACCOUNT, Daemon
from helpers import AMI, allow, cli_error, fails, new_user, serve, wait_for
from test_engine_poison import drive, failed_jobs, refuse

IMAGE = AMI


@pytest.fixture(scope="module")
def d():
    yield from serve(Daemon(args=["--ec2-delay-ms", "300"]))


@pytest.fixture(scope="module")
def ec2(d):
    return d.client("ec2")


def instance_of(ec2, iid):
    return ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]


def state_of(ec2, iid):
    return instance_of(ec2, iid)["State"]["Name"]


def launch(ec2, image=IMAGE, **kw):
    iid = ec2.run_instances(ImageId=image, InstanceType="t2.micro", MinCount=1, MaxCount=1, **kw)["Instances"][0][
        "InstanceId"
    ]
    wait_for(lambda: state_of(ec2, iid) == "running", 30, "instance %s to run" % iid)
    return iid


def stopped(ec2, iid):
    ec2.stop_instances(InstanceIds=[iid])
    wait_for(lambda: state_of(ec2, iid) == "stopped", 30, "instance %s to stop" % iid)


def image(ec2, ami):
    return ec2.describe_images(ImageIds=[ami])["Images"][0]


# ---------------------------------------------------------------- the public catalogue


def test_public_catalogue(ec2):
    amazon = ec2.describe_images(Owners=["amazon"])["Images"]
    names = sorted(i["Name"] for i in amazon)
    assert any(n.startswith("al2023-ami-2023") for n in names), names
    assert any(n.startswith("amzn2-ami-kernel-5.10-hvm") for n in names), names
    assert all(i["ImageOwnerAlias"] == "amazon" and i["Public"] and i["State"] == "available" for i in amazon)
    ubuntu = ec2.describe_images(Owners=["099720109477"], Filters=[{"Name": "name", "Values": ["*jammy-22.04*"]}])
    assert [i["Name"] for i in ubuntu["Images"]] == ["ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-20241206"]
    debian = ec2.describe_images(Filters=[{"Name": "name", "Values": ["debian-12-*"]}])["Images"]
    assert len(debian) == 1 and debian[0]["OwnerId"] == "136693071363"
    al2023 = ec2.describe_images(Owners=["amazon"], Filters=[{"Name": "name", "Values": ["al2023-ami-*"]}])["Images"][0]
    ami = al2023["ImageId"]
    assert ami.startswith("ami-") and len(ami) == 21
    assert image(ec2, ami)["Name"] == al2023["Name"]
    assert ec2.describe_images(Filters=[{"Name": "image-id", "Values": [ami]}])["Images"] == [al2023]
    # ExecutableUsers: all = the public ones
    assert ec2.describe_images(ExecutableUsers=["all"], Owners=["amazon"])["Images"] == amazon
    assert all(i["Public"] for i in ec2.describe_images(ExecutableUsers=["all"])["Images"])
    # the same catalogue ids on every call; none of it is the account's own
    assert ec2.describe_images(Owners=["amazon"])["Images"] == amazon
    assert all(i["OwnerId"] == ACCOUNT for i in ec2.describe_images(Owners=["self"])["Images"])
    # an instance launches from it, with the image's root device
    iid = launch(ec2, image=ami)
    assert instance_of(ec2, iid)["ImageId"] == ami
    assert instance_of(ec2, iid)["RootDeviceName"] == "/dev/xvda"
    jammy = ubuntu["Images"][0]["ImageId"]
    assert instance_of(ec2, launch(ec2, image=jammy))["RootDeviceName"] == "/dev/sda1"


def test_catalogue_ids_depend_on_the_region(fresh_daemon, ec2):
    other = fresh_daemon(env={"CATALOGD_REGION": "eu-west-1"}).client("ec2", region="eu-west-1")
    here = {i["Name"]: i["ImageId"] for i in ec2.describe_images(Owners=["amazon"])["Images"]}
    there = {i["Name"]: i["ImageId"] for i in other.describe_images(Owners=["amazon"])["Images"]}
    assert sorted(here) == sorted(there)
    assert not set(here.values()) & set(there.values())


def test_the_getting_started_templates_ami(ec2):
    """The Service Catalog getting-started template maps us-east-1 to ami-08842d60 (an Amazon
    Linux AMI of 2014): the catalogue has that id in us-east-1, and it launches."""
    im = image(ec2, "ami-08842d60")
    assert im["Name"] == "amzn-ami-hvm-2014.09.1.x86_64-gp2" and im["OwnerId"] == "137112412989"
    assert im["ImageOwnerAlias"] == "amazon" and im["State"] == "available" and "ImageIds" not in im
    assert instance_of(ec2, launch(ec2, image="ami-08842d60"))["ImageId"] == "ami-08842d60"


# ---------------------------------------------------------------- CreateImage


def test_create_image_pending_then_available(ec2):
    iid = launch(ec2)
    ami = ec2.create_image(
        InstanceId=iid,
        Name="web (v1.0) [2026]",
        Description="my web server",
        NoReboot=True,
        TagSpecifications=[{"ResourceType": "image", "Tags": [{"Key": "team", "Value": "web"}]}],
    )["ImageId"]
    assert ami.startswith("ami-") and len(ami) == 21
    im = image(ec2, ami)
    assert im["State"] == "pending"
    assert im["Name"] == "web (v1.0) [2026]" and im["Description"] == "my web server"
    assert im["OwnerId"] == ACCOUNT and im["Public"] is False and im["ImageType"] == "machine"
    assert im["Tags"] == [{"Key": "team", "Value": "web"}]
    wait_for(lambda: image(ec2, ami)["State"] == "available", 30, "image to be available")
    assert ec2.describe_images(Owners=["self"], Filters=[{"Name": "tag:team", "Values": ["web"]}])["Images"][0][
        "ImageId"
    ] == ami
    assert [i["ImageId"] for i in ec2.describe_images(Filters=[{"Name": "state", "Values": ["available"]},
                                                                {"Name": "name", "Values": ["web (v1.0)*"]}])["Images"]] == [ami]
    assert ec2.describe_images(Owners=["amazon"], Filters=[{"Name": "name", "Values": ["web*"]}])["Images"] == []
    assert ec2.describe_images(ExecutableUsers=["all"], Filters=[{"Name": "name", "Values": ["web*"]}])["Images"] == []
    assert [i["ImageId"] for i in ec2.describe_images(ExecutableUsers=[ACCOUNT],
                                                      Filters=[{"Name": "name", "Values": ["web*"]}])["Images"]] == [ami]
    # boto3's waiter works against it
    ec2.get_waiter("image_available").wait(ImageIds=[ami], WaiterConfig={"Delay": 1, "MaxAttempts": 5})

    # the name is taken while the image exists
    code, msg, status = fails(ec2.create_image, InstanceId=iid, Name="web (v1.0) [2026]")
    assert (code, status) == ("InvalidAMIName.Duplicate", 400)
    assert msg == "AMI name web (v1.0) [2026] is already in use by AMI %s" % ami

    # launch from it, then deregister: gone, the name free again
    child = launch(ec2, image=ami)
    assert instance_of(ec2, child)["ImageId"] == ami
    ec2.deregister_image(ImageId=ami)
    code, msg, _ = fails(ec2.describe_images, ImageIds=[ami])
    assert code == "InvalidAMIID.NotFound" and ami in msg
    code, _, _ = fails(ec2.deregister_image, ImageId=ami)
    assert code == "InvalidAMIID.NotFound"
    again = ec2.create_image(InstanceId=iid, Name="web (v1.0) [2026]", NoReboot=True)["ImageId"]
    assert again != ami


def test_create_image_reboots_unless_no_reboot(ec2):
    iid = launch(ec2)
    ami = ec2.create_image(InstanceId=iid, Name="rebooted-image")["ImageId"]
    wait_for(lambda: image(ec2, ami)["State"] == "available", 30, "image to be available")
    assert state_of(ec2, iid) == "running"
    # from a stopped instance too
    stopped(ec2, iid)
    ami = ec2.create_image(InstanceId=iid, Name="from-stopped")["ImageId"]
    wait_for(lambda: image(ec2, ami)["State"] == "available", 30, "image to be available")
    assert state_of(ec2, iid) == "stopped"


def test_create_image_errors(ec2):
    code, msg, _ = fails(ec2.create_image, InstanceId="i-0123456789abcdef0", Name="nothing")
    assert code == "InvalidInstanceID.NotFound" and "i-0123456789abcdef0" in msg
    iid = launch(ec2)
    for bad in ("ab", "x" * 129, "semi;colon", "star*"):
        code, msg, _ = fails(ec2.create_image, InstanceId=iid, Name=bad)
        assert code == "InvalidAMIName.Malformed", bad
    ec2.terminate_instances(InstanceIds=[iid])
    wait_for(lambda: state_of(ec2, iid) == "terminated", 30, "instance to terminate")
    code, _, _ = fails(ec2.create_image, InstanceId=iid, Name="too-late")
    assert code == "IncorrectInstanceState"
    code, _, status = fails(ec2.create_image, InstanceId=launch(ec2), Name="dry-run-image", DryRun=True)
    assert (code, status) == ("DryRunOperation", 412)
    assert not ec2.describe_images(Filters=[{"Name": "name", "Values": ["dry-run-image", "too-late"]}])["Images"]


def test_describe_and_deregister_errors(ec2):
    code, msg, _ = fails(ec2.describe_images, ImageIds=["ami-0123456789abcdef0", "ami-0fedcba9876543210"])
    assert code == "InvalidAMIID.NotFound"
    assert msg == "The image id '[ami-0123456789abcdef0, ami-0fedcba9876543210]' does not exist"
    code, msg, _ = fails(ec2.describe_images, ImageIds=["image-1"])
    assert code == "InvalidAMIID.Malformed" and "image-1" in msg
    code, msg, _ = fails(ec2.describe_images, Filters=[{"Name": "colour", "Values": ["red"]}])
    assert (code, msg) == ("InvalidParameterValue", "The filter 'colour' is invalid")
    public = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    code, msg, _ = fails(ec2.deregister_image, ImageId=public)
    assert (code, msg) == ("AuthFailure", "Not authorized for image:%s" % public)
    assert image(ec2, public)["State"] == "available"


def test_image_calls_are_authorized(d, ec2):
    iam = d.client("iam")
    key, secret = new_user(iam, "image-reader", [allow(["ec2:DescribeImages", "ec2:DescribeInstances"])])
    reader = d.client("ec2", key=key, secret=secret)
    assert reader.describe_images(Owners=["amazon"])["Images"]
    iid = launch(ec2)
    code, _, _ = fails(reader.create_image, InstanceId=iid, Name="not-mine")
    assert code == "UnauthorizedOperation"
    code, _, _ = fails(reader.modify_instance_attribute, InstanceId=iid, DisableApiTermination={"Value": True})
    assert code == "UnauthorizedOperation"


def test_an_image_whose_job_fails_for_good_ends_failed(fresh_daemon):
    """The store refuses to make an image available (a trigger, as a failing disk would):
    the ec2.image job is set aside after its attempts and its give-up hook ends the image
    `failed` with the reason; AWS-CreateImage waiting on it fails."""
    data_dir = tempfile.mkdtemp(prefix="catalogd-image-")
    kw = dict(data_dir=data_dir, env={"CATALOGD_TEST_CLOCK": "1"}, args=["--ec2-delay-ms", "100"])
    fresh_daemon(**kw).stop()
    refuse(data_dir, "ec2.image", "available")
    d = fresh_daemon(**kw)
    ec2, ssm = d.client("ec2"), d.client("ssm")
    iid = ec2.run_instances(ImageId=IMAGE, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    drive(d, lambda: state_of(ec2, iid) == "running", "the instance to run")
    eid = ssm.start_automation_execution(DocumentName="AWS-CreateImage",
                                         Parameters={"InstanceId": [iid], "NoReboot": ["true"]})["AutomationExecutionId"]

    def ended():
        e = ssm.get_automation_execution(AutomationExecutionId=eid)["AutomationExecution"]
        return e if e["AutomationExecutionStatus"] not in ("Pending", "InProgress") else None

    e = drive(d, ended, "the execution to end")
    [job] = [j for j in failed_jobs(d.data_dir) if j["kind"] == "ec2.image"]
    assert (job["attempts"], job["max_attempts"]) == (10, 10)
    [im] = ec2.describe_images(Owners=["self"])["Images"]
    assert im["State"] == "failed"
    assert im["StateReason"] == {
        "Code": "Server.InternalError",
        "Message": "The image creation failed 10 times with an internal error (job %s) and was set aside."
        % job["id"],
    }
    assert e["AutomationExecutionStatus"] == "Failed", e
    step = e["StepExecutions"][0]
    assert "Image %s is failed, not available." % im["ImageId"] in step["FailureMessage"], step
    assert state_of(ec2, iid) == "running"
    # a failed image cannot be launched
    code, msg, _ = fails(ec2.run_instances, ImageId=im["ImageId"], MinCount=1, MaxCount=1)
    assert (code, msg) == ("InvalidAMIID.Unavailable", "AMI '%s' is failed, and cannot be run" % im["ImageId"])
    shutil.rmtree(data_dir, ignore_errors=True)


# ---------------------------------------------------------------- instance attributes


def test_instance_type_needs_a_stopped_instance(ec2):
    iid = launch(ec2)
    code, msg, _ = fails(ec2.modify_instance_attribute, InstanceId=iid, InstanceType={"Value": "m5.large"})
    assert (code, msg) == ("IncorrectInstanceState", "The instance '%s' is not in the 'stopped' state." % iid)
    assert instance_of(ec2, iid)["InstanceType"] == "t2.micro"
    stopped(ec2, iid)
    ec2.modify_instance_attribute(InstanceId=iid, InstanceType={"Value": "m5.large"})
    assert instance_of(ec2, iid)["InstanceType"] == "m5.large"
    # the older Attribute / Value form
    ec2.modify_instance_attribute(InstanceId=iid, Attribute="instanceType", Value="c5.xlarge")
    got = ec2.describe_instance_attribute(InstanceId=iid, Attribute="instanceType")
    assert got["InstanceId"] == iid and got["InstanceType"] == {"Value": "c5.xlarge"}
    ec2.start_instances(InstanceIds=[iid])
    wait_for(lambda: state_of(ec2, iid) == "running", 30, "instance to run")
    assert instance_of(ec2, iid)["InstanceType"] == "c5.xlarge"


def test_user_data(ec2):
    iid = launch(ec2, UserData="#!/bin/sh\necho one\n")
    got = ec2.describe_instance_attribute(InstanceId=iid, Attribute="userData")["UserData"]
    assert base64.b64decode(got["Value"]) == b"#!/bin/sh\necho one\n"
    code, _, _ = fails(ec2.modify_instance_attribute, InstanceId=iid, UserData={"Value": b"#!/bin/sh\necho two\n"})
    assert code == "IncorrectInstanceState"
    stopped(ec2, iid)
    ec2.modify_instance_attribute(InstanceId=iid, UserData={"Value": b"#!/bin/sh\necho two\n"})
    got = ec2.describe_instance_attribute(InstanceId=iid, Attribute="userData")["UserData"]
    assert base64.b64decode(got["Value"]) == b"#!/bin/sh\necho two\n"


def test_termination_protection_and_shutdown_behavior(ec2):
    iid = launch(ec2)
    attr = lambda a: ec2.describe_instance_attribute(InstanceId=iid, Attribute=a)  # noqa: E731
    assert attr("disableApiTermination")["DisableApiTermination"] == {"Value": False}
    assert attr("instanceInitiatedShutdownBehavior")["InstanceInitiatedShutdownBehavior"] == {"Value": "stop"}
    # running instances take these
    ec2.modify_instance_attribute(InstanceId=iid, DisableApiTermination={"Value": True})
    ec2.modify_instance_attribute(InstanceId=iid, InstanceInitiatedShutdownBehavior={"Value": "terminate"})
    assert attr("disableApiTermination")["DisableApiTermination"] == {"Value": True}
    assert attr("instanceInitiatedShutdownBehavior")["InstanceInitiatedShutdownBehavior"] == {"Value": "terminate"}
    code, msg, _ = fails(ec2.terminate_instances, InstanceIds=[iid])
    assert code == "OperationNotPermitted"
    assert msg == ("The instance '%s' may not be terminated. Modify its 'disableApiTermination' instance "
                   "attribute and try again." % iid)
    assert state_of(ec2, iid) == "running"
    ec2.modify_instance_attribute(InstanceId=iid, Attribute="disableApiTermination", Value="false")
    ec2.terminate_instances(InstanceIds=[iid])
    wait_for(lambda: state_of(ec2, iid) == "terminated", 30, "instance to terminate")
    # RunInstances sets them too
    protected = launch(ec2, DisableApiTermination=True)
    assert ec2.describe_instance_attribute(InstanceId=protected, Attribute="disableApiTermination")[
        "DisableApiTermination"] == {"Value": True}
    assert fails(ec2.terminate_instances, InstanceIds=[protected])[0] == "OperationNotPermitted"


def test_attribute_errors(ec2):
    iid = launch(ec2)
    code, msg, _ = fails(ec2.modify_instance_attribute, InstanceId=iid)
    assert (code, msg) == ("InvalidParameterCombination", "No attributes specified.")
    code, _, _ = fails(ec2.modify_instance_attribute, InstanceId=iid, InstanceType={"Value": "m5.large"},
                       DisableApiTermination={"Value": True})
    assert code == "InvalidParameterCombination"
    code, msg, _ = fails(ec2.modify_instance_attribute, InstanceId=iid,
                         InstanceInitiatedShutdownBehavior={"Value": "hibernate"})
    assert code == "InvalidParameterValue" and "hibernate" in msg
    code, _, _ = fails(ec2.modify_instance_attribute, InstanceId="i-0123456789abcdef0",
                       DisableApiTermination={"Value": True})
    assert code == "InvalidInstanceID.NotFound"
    code, _, _ = fails(ec2.describe_instance_attribute, InstanceId="i-0123456789abcdef0", Attribute="instanceType")
    assert code == "InvalidInstanceID.NotFound"
    code, msg, _ = fails(ec2.describe_instance_attribute, InstanceId=iid, Attribute="colour")
    assert code == "InvalidParameterValue" and "colour" in msg
    # nothing changed
    assert ec2.describe_instance_attribute(InstanceId=iid, Attribute="disableApiTermination")[
        "DisableApiTermination"] == {"Value": False}


# ---------------------------------------------------------------- AWS CLI v2


def test_with_the_cli(d, ec2):
    p = d.aws("ec2", "describe-images", "--owners", "amazon", "--filters", "Name=name,Values=al2023-ami-*-x86_64",
              "--query", "Images[].[ImageId,Name,State]", check=True)
    [[ami, name, state]] = p.json
    assert name.startswith("al2023-ami-") and state == "available"
    iid = launch(ec2, image=ami)
    p = d.aws("ec2", "create-image", "--instance-id", iid, "--name", "cli-image", "--no-reboot", check=True)
    mine = p.json["ImageId"]
    d.aws("ec2", "wait", "image-available", "--image-ids", mine, check=True)
    p = d.aws("ec2", "describe-images", "--owners", "self", "--filters", "Name=name,Values=cli-image", check=True)
    assert [i["ImageId"] for i in p.json["Images"]] == [mine]
    p = d.aws("ec2", "describe-images", "--image-ids", "ami-0123456789abcdef0")
    assert cli_error(p)[0] == "InvalidAMIID.NotFound"
    p = d.aws("ec2", "modify-instance-attribute", "--instance-id", iid, "--instance-type", "Value=m5.large")
    assert cli_error(p)[0] == "IncorrectInstanceState"
    p = d.aws("ec2", "describe-instance-attribute", "--instance-id", iid, "--attribute", "instanceType", check=True)
    assert p.json["InstanceType"] == {"Value": "t2.micro"}
    d.aws("ec2", "deregister-image", "--image-id", mine, check=True)
    p = d.aws("ec2", "describe-images", "--owners", "self", "--filters", "Name=name,Values=cli-image", check=True)
    assert p.json["Images"] == []


def test_run_instances_launches_only_known_images(ec2):
    """RunInstances refuses an id that is neither in the catalogue nor the account's (AWS's
    InvalidAMIID.NotFound), and a malformed one (InvalidAMIID.Malformed)."""
    code, msg, status = fails(ec2.run_instances, ImageId="ami-0abcdef1234567890", MinCount=1, MaxCount=1)
    assert (code, msg, status) == ("InvalidAMIID.NotFound", "The image id '[ami-0abcdef1234567890]' does not exist", 400)
    code, msg, _ = fails(ec2.run_instances, ImageId="ami-12345", MinCount=1, MaxCount=1)
    assert (code, msg) == ("InvalidAMIID.Malformed", 'Invalid id: "ami-12345" (expecting "ami-...")')
    assert not [i for r in ec2.describe_instances()["Reservations"] for i in r["Instances"]
                if i["ImageId"] in ("ami-0abcdef1234567890", "ami-12345")]
    # every catalogue image launches
    images = ec2.describe_images(Owners=["amazon"])["Images"]
    assert {i["ImageId"] for i in images} >= {AMI}
    for im in images:
        iid = ec2.run_instances(ImageId=im["ImageId"], MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
        assert instance_of(ec2, iid)["ImageId"] == im["ImageId"]
