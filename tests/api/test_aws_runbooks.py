"""The AWS-owned Automation runbooks (issue 12, deliverable 5), each run end to end through
StartAutomationExecution against a real daemon: AWS-StartEC2Instance,
AWS-StopEC2Instance, AWS-RestartEC2Instance, AWS-TerminateEC2Instance (as a role that
allows what AWS's Runbook Reference lists, and as the caller), AWS-CreateImage (the image
exists, is available and launches) and AWS-ResizeInstance (the instance runs with the new
type; a second run with the same type only asserts). Each document is the content AWS
publishes, owned by Amazon (data/ssm-documents/README.md names the sources).
"""

import collections
import json

import pytest

from conftest import Daemon
from helpers import fails, new_role, serve, trust, wait_for

TERMINAL = ("Success", "Failed", "Cancelled", "TimedOut")
IMAGE = "ami-0246838ace3f374fc"


@pytest.fixture(scope="module")
def d():
    """This module's daemon: emulated instances whose transitions take 200 ms."""
    yield from serve(Daemon(args=["--ec2-delay-ms", "200"]))


@pytest.fixture(scope="module")
def ssm(d):
    return d.client("ssm")


@pytest.fixture(scope="module")
def ec2(d):
    return d.client("ec2")


@pytest.fixture(scope="module")
def iam(d):
    return d.client("iam")


def instance_of(ec2, iid):
    return ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]


def state_of(ec2, iid):
    return instance_of(ec2, iid)["State"]["Name"]


def run_instance(ec2, image=IMAGE, type_="t2.micro"):
    iid = ec2.run_instances(ImageId=image, InstanceType=type_, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    wait_for(lambda: state_of(ec2, iid) == "running", 30, "instance %s to run" % iid)
    return iid


def run(ssm, name, **params):
    """Starts runbook name with params and waits for it to end; the execution."""
    eid = ssm.start_automation_execution(
        DocumentName=name, Parameters={k: v if isinstance(v, list) else [v] for k, v in params.items()}
    )["AutomationExecutionId"]

    def done():
        e = ssm.get_automation_execution(AutomationExecutionId=eid)["AutomationExecution"]
        return e if e["AutomationExecutionStatus"] in TERMINAL else None

    return wait_for(done, 60, "execution %s of %s to end" % (eid, name))


def steps(e):
    return [(s["StepName"], s["StepStatus"]) for s in e["StepExecutions"] if s["StepStatus"] != "Pending"]


def role(iam, name, actions):
    return new_role(iam, name, trust("ssm"), actions, exist_ok=True)


def test_the_runbooks_are_amazons_with_their_published_content(ssm):
    owned = {
        i["Name"]: i
        for i in ssm.list_documents(Filters=[{"Key": "Owner", "Values": ["Amazon"]}], MaxResults=50)[
            "DocumentIdentifiers"
        ]
    }
    for name in (
        "AWS-StartEC2Instance",
        "AWS-StopEC2Instance",
        "AWS-RestartEC2Instance",
        "AWS-TerminateEC2Instance",
        "AWS-CreateImage",
        "AWS-ResizeInstance",
    ):
        assert name in owned, name
        assert owned[name]["DocumentType"] == "Automation" and owned[name]["Owner"] == "Amazon"
        assert owned[name]["TargetType"] == "/AWS::EC2::Instance"
    c = json.loads(ssm.get_document(Name="AWS-CreateImage")["Content"])
    assert c["description"] == "Creates a new Amazon Machine Image (AMI) from an Amazon EC2 instance"
    assert sorted(c["parameters"]) == ["AutomationAssumeRole", "InstanceId", "NoReboot"]
    assert c["parameters"]["NoReboot"] == {
        "type": "Boolean",
        "description": "(Optional) Do not reboot the instance before creating the image.",
        "default": False,
    }
    assert c["mainSteps"][0]["action"] == "aws:createImage"
    assert c["mainSteps"][0]["inputs"]["ImageName"] == "{{ InstanceId }}_{{automation:EXECUTION_ID}}"
    assert c["outputs"] == ["createImage.ImageId"]
    c = json.loads(ssm.get_document(Name="AWS-ResizeInstance")["Content"])
    assert [(s["name"], s["action"]) for s in c["mainSteps"]] == [
        ("assertInstanceType", "aws:assertAwsResourceProperty"),
        ("stopInstance", "aws:changeInstanceState"),
        ("resizeInstance", "aws:executeAwsApi"),
        ("wait", "aws:sleep"),
        ("startInstance", "aws:changeInstanceState"),
    ]
    assert c["parameters"]["SleepWait"]["default"] == "PT5S"
    # the published YAML form too
    y = ssm.get_document(Name="AWS-ResizeInstance", DocumentFormat="YAML")["Content"]
    assert "action: aws:assertAwsResourceProperty" in y


# AWS-StopEC2Instance as AWS publishes it (../shared/reference/aws-api.md §4.2), key order too
STOP_PUBLISHED = """{
  "description": "Stop EC2 instances(s)",
  "schemaVersion": "0.3",
  "assumeRole": "{{ AutomationAssumeRole }}",
  "parameters": {
    "InstanceId": {"type": "StringList", "description": "(Required) EC2 Instance(s) to stop"},
    "AutomationAssumeRole": {
      "type": "String",
      "description": "(Optional) The ARN of the role that allows Automation to perform the actions on your behalf.",
      "default": ""
    }
  },
  "mainSteps": [
    {"name": "stopInstances", "action": "aws:changeInstanceState", "onFailure": "Continue",
     "inputs": {"InstanceIds": "{{ InstanceId }}", "DesiredState": "stopped"}},
    {"name": "forceStopInstances", "action": "aws:changeInstanceState",
     "inputs": {"InstanceIds": "{{ InstanceId }}", "CheckStateOnly": false, "DesiredState": "stopped", "Force": true}}
  ]
}"""


def test_stop_ec2_instance_is_the_published_text(ssm):
    ordered = collections.OrderedDict
    got = json.loads(ssm.get_document(Name="AWS-StopEC2Instance")["Content"], object_pairs_hook=ordered)
    assert got == json.loads(STOP_PUBLISHED, object_pairs_hook=ordered)
    assert [list(s) for s in got["mainSteps"]] == [["name", "action", "onFailure", "inputs"],
                                                   ["name", "action", "inputs"]]


def test_stop_start_restart_terminate_as_a_role(ssm, ec2, iam):
    arn = role(
        iam,
        "RunbookStates",
        ["ec2:StopInstances", "ec2:StartInstances", "ec2:TerminateInstances", "ec2:DescribeInstanceStatus"],
    )
    a, b = run_instance(ec2), run_instance(ec2)
    e = run(ssm, "AWS-StopEC2Instance", InstanceId=[a, b], AutomationAssumeRole=arn)
    assert e["AutomationExecutionStatus"] == "Success", e
    assert steps(e) == [("stopInstances", "Success"), ("forceStopInstances", "Success")]
    assert state_of(ec2, a) == state_of(ec2, b) == "stopped"

    e = run(ssm, "AWS-StartEC2Instance", InstanceId=[a, b], AutomationAssumeRole=arn)
    assert e["AutomationExecutionStatus"] == "Success", e
    assert state_of(ec2, a) == state_of(ec2, b) == "running"

    launched = instance_of(ec2, a)["LaunchTime"]
    e = run(ssm, "AWS-RestartEC2Instance", InstanceId=a, AutomationAssumeRole=arn)
    assert e["AutomationExecutionStatus"] == "Success", e
    assert steps(e) == [("stopInstances", "Success"), ("startInstances", "Success")]
    assert state_of(ec2, a) == "running" and instance_of(ec2, a)["LaunchTime"] > launched

    e = run(ssm, "AWS-TerminateEC2Instance", InstanceId=b, AutomationAssumeRole=arn)
    assert e["AutomationExecutionStatus"] == "Success", e
    assert state_of(ec2, b) == "terminated" and state_of(ec2, a) == "running"


def test_create_image(ssm, ec2, iam):
    # the permissions AWS's Runbook Reference lists for AWS-CreateImage
    arn = role(iam, "RunbookCreateImage", ["ec2:CreateImage", "ec2:DescribeImages"])
    iid = run_instance(ec2)
    e = run(ssm, "AWS-CreateImage", InstanceId=iid, NoReboot="true", AutomationAssumeRole=arn)
    assert e["AutomationExecutionStatus"] == "Success", e
    ami = e["Outputs"]["createImage.ImageId"][0]
    assert ami.startswith("ami-") and len(ami) == 21
    s = e["StepExecutions"][0]
    assert s["Outputs"]["ImageState"] == ["available"] and s["Outputs"]["ImageId"] == [ami]
    im = ec2.describe_images(ImageIds=[ami])["Images"][0]
    assert im["State"] == "available"
    assert im["Name"] == "%s_%s" % (iid, e["AutomationExecutionId"])
    assert state_of(ec2, iid) == "running"
    # the image launches
    launched = run_instance(ec2, image=ami)
    assert instance_of(ec2, launched)["ImageId"] == ami

    # NoReboot defaults to false: the instance is rebooted and runs on, as the caller
    e = run(ssm, "AWS-CreateImage", InstanceId=iid)
    assert e["AutomationExecutionStatus"] == "Success", e
    assert ec2.describe_images(ImageIds=e["Outputs"]["createImage.ImageId"])["Images"][0]["State"] == "available"
    assert state_of(ec2, iid) == "running"


def test_create_image_without_permission_fails_the_step(ssm, ec2, iam):
    arn = role(iam, "RunbookNoImage", ["ec2:DescribeImages"])
    iid = run_instance(ec2)
    e = run(ssm, "AWS-CreateImage", InstanceId=iid, NoReboot="true", AutomationAssumeRole=arn)
    assert e["AutomationExecutionStatus"] == "Failed"
    assert "UnauthorizedOperation" in e["StepExecutions"][0]["FailureMessage"]
    assert not ec2.describe_images(Owners=["self"], Filters=[{"Name": "name", "Values": [iid + "_*"]}])["Images"]


def test_resize_instance(ssm, ec2, iam):
    arn = role(
        iam,
        "RunbookResize",
        [
            "ec2:DescribeInstances",
            "ec2:StopInstances",
            "ec2:StartInstances",
            "ec2:DescribeInstanceStatus",
            "ec2:ModifyInstanceAttribute",
        ],
    )
    iid = run_instance(ec2)
    e = run(ssm, "AWS-ResizeInstance", InstanceId=iid, InstanceType="t3.small", SleepWait="PT1S",
            AutomationAssumeRole=arn)
    assert e["AutomationExecutionStatus"] == "Success", e
    assert steps(e) == [
        ("assertInstanceType", "Failed"),
        ("stopInstance", "Success"),
        ("resizeInstance", "Success"),
        ("wait", "Success"),
        ("startInstance", "Success"),
    ]
    inst = instance_of(ec2, iid)
    assert inst["InstanceType"] == "t3.small" and inst["State"]["Name"] == "running"
    assert ec2.describe_instance_attribute(InstanceId=iid, Attribute="instanceType")["InstanceType"] == {
        "Value": "t3.small"
    }

    # already that type: the assertion holds and the runbook ends there
    launched = inst["LaunchTime"]
    e = run(ssm, "AWS-ResizeInstance", InstanceId=iid, InstanceType="t3.small", AutomationAssumeRole=arn)
    assert e["AutomationExecutionStatus"] == "Success", e
    assert steps(e) == [("assertInstanceType", "Success")]
    assert instance_of(ec2, iid)["LaunchTime"] == launched


def test_resize_without_modify_permission_leaves_the_instance_stopped(ssm, ec2, iam):
    arn = role(
        iam,
        "RunbookResizeNoModify",
        ["ec2:DescribeInstances", "ec2:StopInstances", "ec2:StartInstances", "ec2:DescribeInstanceStatus"],
    )
    iid = run_instance(ec2)
    e = run(ssm, "AWS-ResizeInstance", InstanceId=iid, InstanceType="m5.large", SleepWait="PT1S",
            AutomationAssumeRole=arn)
    assert e["AutomationExecutionStatus"] == "Failed"
    assert steps(e)[-1] == ("resizeInstance", "Failed")
    msg = [s for s in e["StepExecutions"] if s["StepName"] == "resizeInstance"][0]["FailureMessage"]
    assert "UnauthorizedOperation" in msg and "ModifyInstanceAttribute" in msg
    assert instance_of(ec2, iid)["InstanceType"] == "t2.micro" and state_of(ec2, iid) == "stopped"


def test_bad_sleep_wait_is_refused_by_the_published_pattern(ssm, ec2):
    code, msg, _ = fails(
        ssm.start_automation_execution,
        DocumentName="AWS-ResizeInstance",
        Parameters={"InstanceId": ["i-0123456789abcdef0"], "InstanceType": ["t3.small"], "SleepWait": ["5 seconds"]},
    )
    assert code == "InvalidAutomationExecutionParametersException", msg
