"""One after-commit contract for requests and job steps (issue 11, Deliver 4).

A change a runbook makes through aws:executeAwsApi commits in the Automation job's step
transaction; what must happen after that commit (dropping cached key lookups, waking the
engine) is the same work a request's commit triggers. Before the fix, a key deactivated or
deleted by a runbook kept signing requests from the lookup cache.
"""

import json

import pytest

from conftest import Daemon
from helpers import allow, fails, new_role, new_user, trust, wait_for

DENY_ALL = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]})


def api_runbook(service, api, params=(), **inputs):
    """A runbook (JSON) of one aws:executeAwsApi step calling service:api with inputs, run as
    the role {{ AutomationAssumeRole }}, with String parameters params."""
    return json.dumps({
        "schemaVersion": "0.3",
        "assumeRole": "{{ AutomationAssumeRole }}",
        "parameters": {p: {"type": "String"} for p in ("AutomationAssumeRole",) + tuple(params)},
        "mainSteps": [{"name": "call", "action": "aws:executeAwsApi",
                       "inputs": dict(Service=service, Api=api, **inputs)}],
    })


@pytest.fixture(scope="module")
def d():
    daemon = Daemon().start()
    # The first role session of a process also purges expired session keys, which empties
    # the key cache as a side effect; have it happen now, so that what the tests see is the
    # after-commit work of their own runbooks and nothing else.
    e = run(daemon, "warm-up", api_runbook("sts", "GetCallerIdentity"), AutomationAssumeRole=admin_role(daemon.client("iam")))
    assert e["AutomationExecutionStatus"] == "Success", e
    yield daemon
    rc = daemon.stop()
    daemon.cleanup()
    assert rc == 0


def run(d, name, content, **params):
    """Creates runbook name, runs it with params and returns the ended execution."""
    ssm = d.client("ssm")
    ssm.create_document(Name=name, Content=content, DocumentType="Automation", DocumentFormat="JSON")
    eid = ssm.start_automation_execution(
        DocumentName=name, Parameters={k: [v] for k, v in params.items()}
    )["AutomationExecutionId"]

    def ended():
        e = ssm.get_automation_execution(AutomationExecutionId=eid)["AutomationExecution"]
        return e if e["AutomationExecutionStatus"] in ("Success", "Failed", "Cancelled", "TimedOut") else None

    return wait_for(ended, 30, "execution %s to end" % eid)


def admin_role(iam):
    return new_role(iam, "key-admin", trust("ssm"),
                    ["iam:UpdateAccessKey", "iam:DeleteAccessKey", "iam:PutUserPolicy"], exist_ok=True)


@pytest.mark.parametrize("api,extra", [("UpdateAccessKey", {"Status": "Inactive"}), ("DeleteAccessKey", {})],
                         ids=["UpdateAccessKey", "DeleteAccessKey"])
def test_a_key_a_runbook_disables_stops_signing_at_once(d, api, extra):
    iam = d.client("iam")
    role = admin_role(iam)
    user = "runbook-" + api.lower()
    key, secret = new_user(iam, user, [allow("sts:GetCallerIdentity")])
    own = d.client("sts", key=key, secret=secret)
    # the key signs (and its lookup is now cached)
    assert own.get_caller_identity()["Arn"].endswith(":user/" + user)
    assert own.get_caller_identity()["Arn"].endswith(":user/" + user)

    doc = api_runbook("iam", api, ("UserName", "AccessKeyId"), UserName="{{ UserName }}",
                      AccessKeyId="{{ AccessKeyId }}", **extra)
    e = run(d, "change-key-" + api, doc, AutomationAssumeRole=role, UserName=user, AccessKeyId=key)
    assert e["AutomationExecutionStatus"] == "Success", e

    # exactly as after the same call over the API: refused with the next request
    code, _, status = fails(own.get_caller_identity)
    assert (code, status) == ("InvalidClientTokenId", 403)
    keys = iam.list_access_keys(UserName=user)["AccessKeyMetadata"]
    if api == "DeleteAccessKey":
        assert keys == []
    else:
        assert [k["Status"] for k in keys] == ["Inactive"]


def test_a_policy_a_runbook_writes_applies_to_the_next_request(d):
    iam = d.client("iam")
    role = admin_role(iam)
    key, secret = new_user(iam, "runbook-policy", [allow("iam:ListUsers")])
    own = d.client("iam", key=key, secret=secret)
    own.list_users()
    doc = api_runbook("iam", "PutUserPolicy", ("UserName",), UserName="{{ UserName }}", PolicyName="deny-all",
                      PolicyDocument=DENY_ALL)
    e = run(d, "deny-user", doc, AutomationAssumeRole=role, UserName="runbook-policy")
    assert e["AutomationExecutionStatus"] == "Success", e
    code, msg, status = fails(own.list_users)
    assert (code, status) == ("AccessDenied", 403)
    assert "with an explicit deny in an identity-based policy" in msg, msg
