"""CloudFormation stack policies and termination protection (issue 14): SetStackPolicy,
GetStackPolicy, CreateStack's and UpdateStack's policies (StackPolicyBody,
StackPolicyDuringUpdateBody) and the update they guard: once a stack has a policy every
resource is protected unless a statement allows the update, an explicit Deny wins, and a
denied Update:Modify / Update:Replace / Update:Delete fails the resource and rolls the update
back with nothing changed. UpdateTerminationProtection guards DeleteStack. Through boto3 and
the AWS CLI."""

import json

import pytest
from botocore.exceptions import ClientError

from cfn_helpers import create, failures, stack, update
from conftest import Daemon
from helpers import serve


@pytest.fixture(scope="module")
def d():
    yield from serve(Daemon())


def template(values, names=None):
    """SSM parameters {logical: value}; names: {logical: parameter name} for named ones."""
    res = {}
    for logical, value in values.items():
        props = {"Type": "String", "Value": value}
        if names and logical in names:
            props["Name"] = names[logical]
        res[logical] = {"Type": "AWS::SSM::Parameter", "Properties": props}
    return json.dumps({"Resources": res})


def policy(*statements):
    return json.dumps({"Statement": list(statements)})


ALLOW_ALL = {"Effect": "Allow", "Action": "Update:*", "Principal": "*", "Resource": "*"}


def deny(action, resource):
    return {"Effect": "Deny", "Action": action, "Principal": "*", "Resource": resource}


def param_value(ssm, cf, name, logical):
    phys = cf.describe_stack_resource(StackName=name, LogicalResourceId=logical)
    pid = phys["StackResourceDetail"]["PhysicalResourceId"]
    return ssm.get_parameter(Name=pid)["Parameter"]["Value"]


def test_set_and_get_stack_policy_and_its_validation(d):
    cf = d.client("cloudformation")
    create(cf, "sp-get", template({"A": "1"}))
    assert "StackPolicyBody" not in cf.get_stack_policy(StackName="sp-get")
    body = policy(ALLOW_ALL, deny("Update:Replace", "LogicalResourceId/A"))
    cf.set_stack_policy(StackName="sp-get", StackPolicyBody=body)
    assert json.loads(cf.get_stack_policy(StackName="sp-get")["StackPolicyBody"]) == json.loads(body)
    bad = [
        ("{", "must be a JSON object"),
        (policy(dict(ALLOW_ALL, Effect="Maybe")), "Effect of Allow or Deny"),
        (policy(dict(ALLOW_ALL, Principal="arn:aws:iam::123456789012:root")), 'Principal "*"'),
        (policy(dict(ALLOW_ALL, Action="Update:Rename")), "Update:Modify"),
        (policy(dict(ALLOW_ALL, Resource="LogicalResourceId/Nope")), "Unknown logical id 'LogicalResourceId/Nope'"),
    ]
    for text, words in bad:
        with pytest.raises(ClientError) as e:
            cf.set_stack_policy(StackName="sp-get", StackPolicyBody=text)
        assert e.value.response["Error"]["Code"] == "ValidationError"
        assert words in e.value.response["Error"]["Message"]
    # nothing changed by the refused calls
    assert json.loads(cf.get_stack_policy(StackName="sp-get")["StackPolicyBody"]) == json.loads(body)
    with pytest.raises(ClientError) as e:
        cf.set_stack_policy(StackName="sp-none", StackPolicyBody=body)
    assert e.value.response["Error"]["Code"] == "ValidationError"


def test_a_policy_protects_everything_it_does_not_allow(d):
    cf, ssm = d.client("cloudformation"), d.client("ssm")
    # allows A only: B is protected by default
    only_a = policy({"Effect": "Allow", "Action": "Update:Modify", "Principal": "*", "Resource": "LogicalResourceId/A"})
    create(cf, "sp-default", template({"A": "1", "B": "1"}), StackPolicyBody=only_a)
    update(cf, "sp-default", template({"A": "2", "B": "1"}))
    assert param_value(ssm, cf, "sp-default", "A") == "2"
    update(cf, "sp-default", template({"A": "3", "B": "2"}), status="UPDATE_ROLLBACK_COMPLETE")
    reason = failures(cf, "sp-default")["B"]
    assert reason == ("Action not allowed by stack policy: No statement allows [Update:Modify] for "
                      "resource [LogicalResourceId/B]"), reason
    assert param_value(ssm, cf, "sp-default", "A") == "2"  # rolled back
    assert param_value(ssm, cf, "sp-default", "B") == "1"


def test_explicit_deny_of_replace_and_delete_wins(d):
    cf, ssm = d.client("cloudformation"), d.client("ssm")
    body = policy(ALLOW_ALL, deny("Update:Replace", "LogicalResourceId/Named"),
                  deny("Update:Delete", "LogicalResourceId/Kept*"))
    create(cf, "sp-deny", template({"Named": "1", "Kept1": "1"}, {"Named": "sp-deny-one"}), StackPolicyBody=body)
    # modifying Named in place is allowed
    update(cf, "sp-deny", template({"Named": "2", "Kept1": "1"}, {"Named": "sp-deny-one"}))
    # renaming replaces it: denied by statement 2
    update(cf, "sp-deny", template({"Named": "2", "Kept1": "1"}, {"Named": "sp-deny-two"}),
           status="UPDATE_ROLLBACK_COMPLETE")
    assert failures(cf, "sp-deny")["Named"] == (
        "Action denied by stack policy: Statement [#2] does not allow [Update:Replace] for resource "
        "[LogicalResourceId/Named]")
    assert ssm.get_parameter(Name="sp-deny-one")["Parameter"]["Value"] == "2"
    with pytest.raises(ClientError):
        ssm.get_parameter(Name="sp-deny-two")
    # dropping Kept1 from the template would delete it: denied by statement 3 (a wildcard)
    update(cf, "sp-deny", template({"Named": "2"}, {"Named": "sp-deny-one"}), status="UPDATE_ROLLBACK_COMPLETE")
    assert "Statement [#3] does not allow [Update:Delete]" in failures(cf, "sp-deny")["Kept1"]
    assert param_value(ssm, cf, "sp-deny", "Kept1") == "1"


def test_during_update_policy_overrides_once_and_body_replaces(d):
    cf, ssm = d.client("cloudformation"), d.client("ssm")
    locked = policy(deny("Update:*", "*"))
    create(cf, "sp-during", template({"A": "1"}), StackPolicyBody=locked)
    update(cf, "sp-during", template({"A": "2"}), status="UPDATE_ROLLBACK_COMPLETE")
    # a temporary policy lets this one update through
    update(cf, "sp-during", template({"A": "2"}), StackPolicyDuringUpdateBody=policy(ALLOW_ALL))
    assert param_value(ssm, cf, "sp-during", "A") == "2"
    # and only this one: the stack's policy still holds
    update(cf, "sp-during", template({"A": "3"}), status="UPDATE_ROLLBACK_COMPLETE")
    assert json.loads(cf.get_stack_policy(StackName="sp-during")["StackPolicyBody"]) == json.loads(locked)
    # a new StackPolicyBody governs the updates after this one
    update(cf, "sp-during", template({"A": "3"}), status="UPDATE_ROLLBACK_COMPLETE",
           StackPolicyBody=policy(ALLOW_ALL))
    update(cf, "sp-during", template({"A": "4"}))
    assert param_value(ssm, cf, "sp-during", "A") == "4"


def test_condition_on_resource_type(d):
    cf = d.client("cloudformation")
    body = policy(ALLOW_ALL, {"Effect": "Deny", "Action": "Update:*", "Principal": "*", "Resource": "*",
                              "Condition": {"StringEquals": {"ResourceType": ["AWS::SSM::Parameter"]}}})
    create(cf, "sp-cond", template({"A": "1"}), StackPolicyBody=body)
    update(cf, "sp-cond", template({"A": "2"}), status="UPDATE_ROLLBACK_COMPLETE")
    assert "Statement [#2]" in failures(cf, "sp-cond")["A"]


def test_termination_protection_from_both_clis(d):
    cf = d.client("cloudformation")
    create(cf, "sp-term", template({"A": "1"}))
    sid = stack(cf, "sp-term")["StackId"]
    out = cf.update_termination_protection(StackName="sp-term", EnableTerminationProtection=True)
    assert out["StackId"] == sid
    assert stack(cf, "sp-term")["EnableTerminationProtection"] is True
    with pytest.raises(ClientError) as e:
        cf.delete_stack(StackName="sp-term")
    assert e.value.response["Error"]["Message"] == (
        "Stack [sp-term] cannot be deleted while TerminationProtection is enabled")
    r = d.aws("cloudformation", "update-termination-protection", "--stack-name", "sp-term",
              "--no-enable-termination-protection")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["StackId"] == sid
    assert stack(cf, "sp-term")["EnableTerminationProtection"] is False
    r = d.aws("cloudformation", "get-stack-policy", "--stack-name", "sp-term")
    assert r.returncode == 0 and json.loads(r.stdout or "{}").get("StackPolicyBody") is None
    cf.delete_stack(StackName="sp-term")
    with pytest.raises(ClientError) as e:
        cf.update_termination_protection(StackName="sp-gone", EnableTerminationProtection=True)
    assert e.value.response["Error"]["Code"] == "ValidationError"
