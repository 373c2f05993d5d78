"""CloudFormation StackSets with self-managed permissions (issue 14: one catalogd, many
regions and accounts). A stack set in the administrator's account deploys its template as
stacks into (account, region) targets: CloudFormation assumes the administration role, which
assumes the execution role of the target account, which makes the stack in the target
region. Operations run target by target and are read back through DescribeStackSetOperation
and ListStackSetOperationResults; instances show CURRENT or OUTDATED with the reason. Errors
as AWS names them. Through boto3 and the AWS CLI."""

import json

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT, Daemon
from helpers import serve, wait_for

ADMIN = "AWSCloudFormationStackSetAdministrationRole"
EXEC = "AWSCloudFormationStackSetExecutionRole"

TEMPLATE = json.dumps({
    "Parameters": {"Value": {"Type": "String", "Default": "base"}},
    "Resources": {"Param": {"Type": "AWS::SSM::Parameter",
                            "Properties": {"Type": "String", "Value": {"Ref": "Value"}}}},
    "Outputs": {"Name": {"Value": {"Ref": "Param"}}},
})


def trust(principal):
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}]})


def make_roles(iam, account):
    """The two roles AWS's self-managed permissions need, in one account."""
    iam.create_role(RoleName=ADMIN, AssumeRolePolicyDocument=trust({"Service": "cloudformation.amazonaws.com"}))
    iam.put_role_policy(RoleName=ADMIN, PolicyName="assume-exec", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                "Resource": "arn:aws:iam::*:role/" + EXEC}]}))
    make_exec_role(iam, account)


def make_exec_role(iam, admin_account):
    iam.create_role(RoleName=EXEC, AssumeRolePolicyDocument=trust(
        {"AWS": "arn:aws:iam::%s:role/%s" % (admin_account, ADMIN)}))
    iam.attach_role_policy(RoleName=EXEC, PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")


@pytest.fixture(scope="module")
def d():
    daemon = Daemon()
    gen = serve(daemon)
    next(gen)
    make_roles(daemon.client("iam"), ACCOUNT)
    yield daemon
    next(gen, None)


def settle_op(cf, name, op_id):
    return wait_for(lambda: (lambda o: o if o["Status"] not in ("RUNNING", "STOPPING", "QUEUED") else None)(
        cf.describe_stack_set_operation(StackSetName=name, OperationId=op_id)["StackSetOperation"]),
        60, "operation %s" % op_id)


def error(fn, **kw):
    with pytest.raises(ClientError) as e:
        fn(**kw)
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]


def param_in(d, region, cf_stack_id):
    """The value of the SSM parameter the instance's stack made, read in region."""
    cf = d.client("cloudformation", region=region)
    out = {o["OutputKey"]: o["OutputValue"] for o in cf.describe_stacks(StackName=cf_stack_id)["Stacks"][0]["Outputs"]}
    return d.client("ssm", region=region).get_parameter(Name=out["Name"])["Parameter"]["Value"]


def test_deploy_update_and_remove_across_regions(d):
    cf = d.client("cloudformation")
    set_id = cf.create_stack_set(StackSetName="spread", TemplateBody=TEMPLATE, Description="two regions")["StackSetId"]
    assert set_id.startswith("spread:")
    s = cf.describe_stack_set(StackSetName="spread")["StackSet"]
    assert (s["Status"], s["PermissionModel"], s["ExecutionRoleName"]) == ("ACTIVE", "SELF_MANAGED", EXEC)
    assert s["AdministrationRoleARN"] == "arn:aws:iam::%s:role/%s" % (ACCOUNT, ADMIN)
    assert s["StackSetARN"] == "arn:aws:cloudformation:us-east-1:%s:stackset/%s" % (ACCOUNT, set_id)
    assert "spread" in [x["StackSetName"] for x in cf.list_stack_sets(Status="ACTIVE")["Summaries"]]
    code, _ = error(cf.create_stack_set, StackSetName="spread", TemplateBody=TEMPLATE)
    assert code == "NameAlreadyExistsException"

    op = cf.create_stack_instances(StackSetName="spread", Accounts=[ACCOUNT], Regions=["us-east-1", "us-west-2"])
    done = settle_op(cf, "spread", op["OperationId"])
    assert (done["Status"], done["Action"]) == ("SUCCEEDED", "CREATE"), done
    results = cf.list_stack_set_operation_results(StackSetName="spread", OperationId=op["OperationId"])["Summaries"]
    assert sorted((r["Region"], r["Status"]) for r in results) == [("us-east-1", "SUCCEEDED"), ("us-west-2", "SUCCEEDED")]
    insts = cf.list_stack_instances(StackSetName="spread")["Summaries"]
    assert sorted((i["Account"], i["Region"], i["Status"]) for i in insts) == [
        (ACCOUNT, "us-east-1", "CURRENT"), (ACCOUNT, "us-west-2", "CURRENT")]
    west = cf.describe_stack_instance(StackSetName="spread", StackInstanceAccount=ACCOUNT,
                                      StackInstanceRegion="us-west-2")["StackInstance"]
    assert west["StackId"].startswith("arn:aws:cloudformation:us-west-2:%s:stack/StackSet-spread-" % ACCOUNT)
    assert west["StackInstanceStatus"]["DetailedStatus"] == "SUCCEEDED"
    # each stack is in its own region only
    assert param_in(d, "us-west-2", west["StackId"]) == "base"
    with pytest.raises(ClientError):
        d.client("cloudformation", region="us-east-1").describe_stacks(StackName=west["StackId"])

    # an override for one region, then a new value for the set: the override stays
    op = cf.update_stack_instances(StackSetName="spread", Accounts=[ACCOUNT], Regions=["us-west-2"],
                                   ParameterOverrides=[{"ParameterKey": "Value", "ParameterValue": "west"}])
    assert settle_op(cf, "spread", op["OperationId"])["Status"] == "SUCCEEDED"
    assert param_in(d, "us-west-2", west["StackId"]) == "west"
    op = cf.update_stack_set(StackSetName="spread", TemplateBody=TEMPLATE,
                             Parameters=[{"ParameterKey": "Value", "ParameterValue": "second"}])
    assert settle_op(cf, "spread", op["OperationId"])["Status"] == "SUCCEEDED"
    east = cf.describe_stack_instance(StackSetName="spread", StackInstanceAccount=ACCOUNT,
                                      StackInstanceRegion="us-east-1")["StackInstance"]
    assert param_in(d, "us-east-1", east["StackId"]) == "second"
    assert param_in(d, "us-west-2", west["StackId"]) == "west"
    ops = cf.list_stack_set_operations(StackSetName="spread")["Summaries"]
    assert [o["Action"] for o in ops] == ["CREATE", "UPDATE", "UPDATE"]

    code, _ = error(cf.delete_stack_set, StackSetName="spread")
    assert code == "StackSetNotEmptyException"
    r = d.aws("cloudformation", "delete-stack-instances", "--stack-set-name", "spread", "--accounts", ACCOUNT,
              "--regions", "us-east-1", "us-west-2", "--no-retain-stacks")
    assert r.returncode == 0, r.stderr
    assert settle_op(cf, "spread", json.loads(r.stdout)["OperationId"])["Status"] == "SUCCEEDED"
    assert cf.list_stack_instances(StackSetName="spread")["Summaries"] == []
    gone = d.client("cloudformation", region="us-west-2").describe_stacks(StackName=west["StackId"])["Stacks"][0]
    assert gone["StackStatus"] == "DELETE_COMPLETE"
    cf.delete_stack_set(StackSetName="spread")
    assert cf.describe_stack_set(StackSetName=set_id)["StackSet"]["Status"] == "DELETED"
    code, _ = error(cf.describe_stack_set, StackSetName="spread")
    assert code == "StackSetNotFoundException"


def test_a_target_without_the_execution_role_fails_with_awss_reason(d):
    cf = d.client("cloudformation")
    cf.create_stack_set(StackSetName="norole", TemplateBody=TEMPLATE, ExecutionRoleName="NoSuchExecutionRole")
    op = cf.create_stack_instances(StackSetName="norole", Accounts=[ACCOUNT], Regions=["eu-west-1", "us-east-2"])
    done = settle_op(cf, "norole", op["OperationId"])
    assert done["Status"] == "FAILED"
    results = {r["Region"]: r for r in cf.list_stack_set_operation_results(
        StackSetName="norole", OperationId=op["OperationId"])["Summaries"]}
    assert results["eu-west-1"]["Status"] == "FAILED"
    assert results["eu-west-1"]["StatusReason"] == (
        "Account %s should have 'NoSuchExecutionRole' role with trust relationship to Role '%s'." % (ACCOUNT, ADMIN))
    assert results["us-east-2"]["Status"] == "CANCELLED"  # past the failure tolerance (0)
    inst = cf.describe_stack_instance(StackSetName="norole", StackInstanceAccount=ACCOUNT,
                                      StackInstanceRegion="eu-west-1")["StackInstance"]
    assert inst["Status"] == "OUTDATED" and "NoSuchExecutionRole" in inst["StatusReason"]


def test_refusals_change_nothing(d):
    cf = d.client("cloudformation")
    code, msg = error(cf.describe_stack_set, StackSetName="nothere")
    assert (code, msg) == ("StackSetNotFoundException", "StackSet nothere not found")
    code, _ = error(cf.create_stack_set, StackSetName="svc", TemplateBody=TEMPLATE, PermissionModel="SERVICE_MANAGED")
    assert code == "ValidationError"
    cf.create_stack_set(StackSetName="refuse", TemplateBody=TEMPLATE)
    code, _ = error(cf.describe_stack_instance, StackSetName="refuse", StackInstanceAccount=ACCOUNT,
                    StackInstanceRegion="us-east-1")
    assert code == "StackInstanceNotFoundException"
    code, _ = error(cf.update_stack_instances, StackSetName="refuse", Accounts=[ACCOUNT], Regions=["us-east-1"])
    assert code == "StackInstanceNotFoundException"
    code, _ = error(cf.describe_stack_set_operation, StackSetName="refuse", OperationId="no-such-op")
    assert code == "OperationNotFoundException"
    code, _ = error(cf.create_stack_instances, StackSetName="refuse", Accounts=[ACCOUNT], Regions=["mars-north-1"])
    assert code == "ValidationError"
    assert cf.list_stack_instances(StackSetName="refuse")["Summaries"] == []
    assert cf.list_stack_set_operations(StackSetName="refuse")["Summaries"] == []
    # a given OperationId is used once
    op = cf.create_stack_instances(StackSetName="refuse", Accounts=[ACCOUNT], Regions=["us-east-1"],
                                   OperationId="my-op-1")
    assert op["OperationId"] == "my-op-1"
    settle_op(cf, "refuse", "my-op-1")
    code, _ = error(cf.update_stack_instances, StackSetName="refuse", Accounts=[ACCOUNT], Regions=["us-east-1"],
                    OperationId="my-op-1")
    assert code == "OperationIdAlreadyExistsException"
    code, _ = error(cf.stop_stack_set_operation, StackSetName="refuse", OperationId="my-op-1")
    assert code == "InvalidOperationException"
