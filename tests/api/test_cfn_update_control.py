"""Steering CloudFormation updates (issue 14): CancelUpdateStack stops an update under way
and rolls it back ("User Initiated"); ContinueUpdateRollback resumes a rollback that failed
(UPDATE_ROLLBACK_FAILED), either once the cause is gone or skipping the resource
(ResourcesToSkip), which is then left as it is. Each refused in the wrong state with AWS's
ValidationError and nothing changed. Through boto3 and the AWS CLI."""

import json
import time

import pytest
from botocore.exceptions import ClientError

from cfn_helpers import create, failures, settle, stack
from conftest import Daemon
from helpers import AMI, serve, wait_for

TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


def template(extra=False, timeout="30", role=None):
    """A parameter; with extra, a role (named role), a security group and a wait condition
    after them that nobody signals, so the update fails after timeout seconds, with both made."""
    res = {"Param": {"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String", "Value": "one"}}}
    if extra:
        res["Role"] = {"Type": "AWS::IAM::Role", "Properties": {"RoleName": role, "AssumeRolePolicyDocument": TRUST}}
        res["Group"] = {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "made by the update"}}
        res["Handle"] = {"Type": "AWS::CloudFormation::WaitConditionHandle"}
        res["Wait"] = {"Type": "AWS::CloudFormation::WaitCondition", "DependsOn": ["Role", "Group"],
                       "Properties": {"Handle": {"Ref": "Handle"}, "Timeout": timeout}}
    return json.dumps({"Resources": res})


@pytest.fixture(scope="module")
def d():
    yield from serve(Daemon(args=["--ec2-delay-ms", "0"]))


def error(fn, **kw):
    with pytest.raises(ClientError) as e:
        fn(**kw)
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]


def resource_status(cf, name, logical):
    return cf.describe_stack_resource(StackName=name, LogicalResourceId=logical)["StackResourceDetail"]["ResourceStatus"]


def test_cancel_update_stack_rolls_back(d):
    cf, iam = d.client("cloudformation"), d.client("iam")
    create(cf, "ctl-cancel", template())
    code, msg = error(cf.cancel_update_stack, StackName="ctl-cancel")
    assert (code, msg) == ("ValidationError", "CancelUpdateStack cannot be called from current stack status")
    cf.update_stack(StackName="ctl-cancel", TemplateBody=template(True, role="ctl-cancel-role"),
                    Capabilities=["CAPABILITY_NAMED_IAM"])
    # wait until the update is waiting on its condition (the role exists)
    wait_for(lambda: any(r["LogicalResourceId"] == "Wait" for r in
                         cf.list_stack_resources(StackName="ctl-cancel")["StackResourceSummaries"]),
             20, "the update to reach the wait condition")
    r = d.aws("cloudformation", "cancel-update-stack", "--stack-name", "ctl-cancel")
    assert r.returncode == 0, r.stderr
    s = settle(cf, "ctl-cancel")
    assert s["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE", (s, failures(cf, "ctl-cancel"))
    reasons = [e.get("ResourceStatusReason") for e in cf.describe_stack_events(StackName="ctl-cancel")["StackEvents"]
               if e["LogicalResourceId"] == "ctl-cancel" and e["ResourceStatus"] == "UPDATE_ROLLBACK_IN_PROGRESS"]
    assert reasons and reasons[0] == "User Initiated"
    with pytest.raises(ClientError):  # what the update made is gone
        iam.get_role(RoleName="ctl-cancel-role")


def fail_rollback(cf, ec2, name, role):
    """Drives stack name into UPDATE_ROLLBACK_FAILED: the update makes a security group, an
    instance is launched into it from outside while the update waits, so the rollback cannot
    delete the group (DependencyViolation). Returns (group name, instance id)."""
    create(cf, name, template())
    cf.update_stack(StackName=name, TemplateBody=template(True, timeout="4", role=role),
                    Capabilities=["CAPABILITY_NAMED_IAM"])
    group = wait_for(lambda: next((r["PhysicalResourceId"] for r in
                                 cf.list_stack_resources(StackName=name)["StackResourceSummaries"]
                                 if r["LogicalResourceId"] == "Group" and r.get("PhysicalResourceId")), None),
                   20, "the group")
    iid = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, InstanceType="t3.micro",
                            SecurityGroups=[group])["Instances"][0]["InstanceId"]
    s = settle(cf, name, timeout=60)
    assert s["StackStatus"] == "UPDATE_ROLLBACK_FAILED", (s, failures(cf, name))
    assert "DependencyViolation" in failures(cf, name)["Group"] or "dependent" in failures(cf, name)["Group"]
    return group, iid


def test_continue_update_rollback_after_the_cause_is_gone(d):
    cf, iam = d.client("cloudformation"), d.client("iam")
    code, msg = error(cf.continue_update_rollback, StackName="ctl-none")
    assert code == "ValidationError"
    create(cf, "ctl-ok", template())
    code, msg = error(cf.continue_update_rollback, StackName="ctl-ok")
    assert code == "ValidationError" and "UPDATE_ROLLBACK_FAILED" in msg
    ec2 = d.client("ec2")
    group, iid = fail_rollback(cf, ec2, "ctl-resume", "ctl-resume-role")
    ec2.terminate_instances(InstanceIds=[iid])
    wait_for(lambda: ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]["State"]["Name"]
             == "terminated", 20, "the instance to end")
    r = d.aws("cloudformation", "continue-update-rollback", "--stack-name", "ctl-resume")
    assert r.returncode == 0, r.stderr
    s = settle(cf, "ctl-resume", timeout=60)
    assert s["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE", (s, failures(cf, "ctl-resume"))
    with pytest.raises(ClientError):
        iam.get_role(RoleName="ctl-resume-role")
    with pytest.raises(ClientError):
        ec2.describe_security_groups(GroupNames=[group])


def test_continue_update_rollback_skipping_a_resource(d):
    cf, iam = d.client("cloudformation"), d.client("iam")
    ec2 = d.client("ec2")
    group, _ = fail_rollback(cf, ec2, "ctl-skip", "ctl-skip-role")
    code, msg = error(cf.continue_update_rollback, StackName="ctl-skip", ResourcesToSkip=["Param"])
    assert code == "ValidationError" and "Param" in msg
    assert stack(cf, "ctl-skip")["StackStatus"] == "UPDATE_ROLLBACK_FAILED"  # unchanged
    cf.continue_update_rollback(StackName="ctl-skip", ResourcesToSkip=["Group"])
    s = settle(cf, "ctl-skip", timeout=60)
    assert s["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE", (s, failures(cf, "ctl-skip"))
    assert ec2.describe_security_groups(GroupNames=[group])["SecurityGroups"][0]["GroupName"] == group  # left
    with pytest.raises(ClientError):  # the rest of the update is undone
        iam.get_role(RoleName="ctl-skip-role")
