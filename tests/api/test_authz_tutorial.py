"""Authorization end to end, along Step 1 of the service-actions tutorial
(../shared/seed/service-actions-tutorial.txt): the account root creates the group
`endusers`, the user `enduser1` in it, a customer managed policy attached to the group,
then "Edit policy" (CreatePolicyVersion --set-as-default) puts the tutorial's JSON in
force, and an access key is made for the user. With that key, from boto3 and both CLIs:

- each of the ten actions of the policy is authorized. Several of those operations arrive
  with later issues, so "authorized" is checked as "not denied": the call names ids that
  do not exist and any error but AccessDenied / AccessDeniedException /
  UnauthorizedOperation passes. While an operation is not served the daemon answers
  UnknownOperation, and the case is an expected failure (non-strict);
- anything else is denied with AWS's sentence and the protocol's code and status;
- an explicit Deny added to the group wins; policy variables and conditions on
  aws:SourceIp and aws:RequestedRegion behave as on AWS.
"""

import json
import os
import re

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT, CLI_V1, CLI_V2, CLIS, SHARED, Daemon
from helpers import fails, serve

ARN = "arn:aws:iam::%s:" % ACCOUNT
ENDUSER_ARN = ARN + "user/enduser1"

# The tutorial's policy, byte for byte as the seed file prints it (odd last brace included).
TUTORIAL_POLICY = """{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "Stmt1536341175150",
            "Action": [
                "servicecatalog:ListServiceActionsForProvisioningArtifact",
                "servicecatalog:ExecuteprovisionedProductServiceAction",
                "ssm:DescribeDocument",
                "ssm:GetAutomationExecution",
                "ssm:StartAutomationExecution",
                "ssm:StopAutomationExecution",
                "cloudformation:ListStackResources",
                "ec2:DescribeInstanceStatus",
                "ec2:StartInstances",
                "ec2:StopInstances"
            ],
            "Effect": "Allow",
            "Resource": "*"
        }
    ]
   }"""

# What the group's policy held before the edit: the end users' provision/terminate set
# (which includes listing portfolios, so the edit visibly takes that away).
BEFORE_EDIT = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": [
                    "servicecatalog:ListPortfolios",
                    "servicecatalog:ProvisionProduct",
                    "servicecatalog:TerminateProvisionedProduct",
                ],
                "Resource": "*",
            }
        ],
    }
)

TEN_ACTIONS = [
    "servicecatalog:ListServiceActionsForProvisioningArtifact",
    "servicecatalog:ExecuteProvisionedProductServiceAction",
    "ssm:DescribeDocument",
    "ssm:GetAutomationExecution",
    "ssm:StartAutomationExecution",
    "ssm:StopAutomationExecution",
    "cloudformation:ListStackResources",
    "ec2:DescribeInstanceStatus",
    "ec2:StartInstances",
    "ec2:StopInstances",
]

DENIED_CODES = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"}
UNSERVED_CODES = {"UnknownOperationException", "InvalidAction"}
NO_EXEC = "00000000-0000-4000-8000-000000000000"
NO_INSTANCE = "i-0123456789abcdef0"


def test_tutorial_policy_is_the_seed_files():
    path = os.path.join(SHARED, "seed", "service-actions-tutorial.txt")
    if not os.path.exists(path):
        pytest.skip("no ../shared/seed here")
    with open(path, encoding="utf-8") as f:
        text = f.read()
    start = text.index('{\n    "Version": "2012-10-17"')
    assert text[start : start + len(TUTORIAL_POLICY)] == TUTORIAL_POLICY


def cli_error(p):
    """(code, message) from an AWS CLI's 'An error occurred (Code) when calling ...' line."""
    m = re.search(r"An error occurred \(([^)]+)\) when calling the \w+ operation(?: \([^)]*\))?: (.*)", p.stderr)
    assert m, p.stderr
    return m.group(1), m.group(2).strip()


# ---- Step 1, as the administrator (the account root) --------------------------------------


def step1_boto3(d):
    iam = d.client("iam")
    iam.create_group(GroupName="endusers")
    iam.create_user(UserName="enduser1")
    iam.add_user_to_group(GroupName="endusers", UserName="enduser1")
    arn = iam.create_policy(PolicyName="ServiceCatalogEndUsers", PolicyDocument=BEFORE_EDIT)["Policy"]["Arn"]
    iam.attach_group_policy(GroupName="endusers", PolicyArn=arn)
    k = iam.create_access_key(UserName="enduser1")["AccessKey"]
    creds = {"key": k["AccessKeyId"], "secret": k["SecretAccessKey"]}
    return arn, creds


def edit_policy_boto3(d, arn):
    v = d.client("iam").create_policy_version(PolicyArn=arn, PolicyDocument=TUTORIAL_POLICY, SetAsDefault=True)
    return v["PolicyVersion"]


@pytest.fixture(scope="module")
def d():
    yield from serve(Daemon())


@pytest.fixture(scope="module")
def tutorial(d):
    """The daemon after Step 1 (boto3), with enduser1's credentials and a record of what the
    user could do before the edit."""
    arn, creds = step1_boto3(d)
    before = {
        "portfolios": d.client("servicecatalog", **creds).list_portfolios()["PortfolioDetails"],
        "simulated": _simulate(d, TEN_ACTIONS),
    }
    v = edit_policy_boto3(d, arn)
    return {"arn": arn, "creds": creds, "before": before, "version": v}


def _simulate(d, actions):
    r = d.client("iam").simulate_principal_policy(PolicySourceArn=ENDUSER_ARN, ActionNames=actions)
    return {x["EvalActionName"]: x["EvalDecision"] for x in r["EvaluationResults"]}


def test_edit_policy_put_the_tutorial_json_in_force(d, tutorial):
    iam = d.client("iam")
    assert (tutorial["version"]["VersionId"], tutorial["version"]["IsDefaultVersion"]) == ("v2", True)
    p = iam.get_policy(PolicyArn=tutorial["arn"])["Policy"]
    assert (p["DefaultVersionId"], p["AttachmentCount"]) == ("v2", 1)
    doc = iam.get_policy_version(PolicyArn=tutorial["arn"], VersionId="v2")["PolicyVersion"]["Document"]
    assert doc == json.loads(TUTORIAL_POLICY)
    assert "servicecatalog:ExecuteprovisionedProductServiceAction" in doc["Statement"][0]["Action"]
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName="enduser1")["Groups"]] == ["endusers"]
    assert [a["PolicyArn"] for a in iam.list_attached_group_policies(GroupName="endusers")["AttachedPolicies"]] == [
        tutorial["arn"]
    ]
    # before the edit the user could list portfolios and none of the ten actions
    assert isinstance(tutorial["before"]["portfolios"], list)
    assert set(tutorial["before"]["simulated"].values()) == {"implicitDeny"}
    # after it, the ten are allowed (the simulator runs the daemon's own engine) ...
    assert _simulate(d, TEN_ACTIONS) == {a: "allowed" for a in TEN_ACTIONS}
    # ... and what v1 granted is gone
    assert _simulate(d, ["servicecatalog:ListPortfolios", "iam:ListUsers"]) == {
        "servicecatalog:ListPortfolios": "implicitDeny",
        "iam:ListUsers": "implicitDeny",
    }


def test_enduser_identity(d, tutorial):
    me = d.client("sts", **tutorial["creds"]).get_caller_identity()
    assert me["Arn"] == ENDUSER_ARN
    assert me["UserId"].startswith("AIDA")


# ---- the ten actions are authorized -------------------------------------------------------

BOTO3_CALLS = {
    "servicecatalog:ListServiceActionsForProvisioningArtifact": (
        "servicecatalog",
        "list_service_actions_for_provisioning_artifact",
        {"ProductId": "prod-aaaaaaaaaaaaa", "ProvisioningArtifactId": "pa-aaaaaaaaaaaaa"},
    ),
    "servicecatalog:ExecuteProvisionedProductServiceAction": (
        "servicecatalog",
        "execute_provisioned_product_service_action",
        {"ProvisionedProductId": "pp-aaaaaaaaaaaaa", "ServiceActionId": "act-aaaaaaaaaaaaa", "ExecuteToken": "tok-1"},
    ),
    "ssm:DescribeDocument": ("ssm", "describe_document", {"Name": "NoSuchDocument-authz"}),
    "ssm:GetAutomationExecution": ("ssm", "get_automation_execution", {"AutomationExecutionId": NO_EXEC}),
    "ssm:StartAutomationExecution": ("ssm", "start_automation_execution", {"DocumentName": "NoSuchDocument-authz"}),
    "ssm:StopAutomationExecution": ("ssm", "stop_automation_execution", {"AutomationExecutionId": NO_EXEC}),
    "cloudformation:ListStackResources": ("cloudformation", "list_stack_resources", {"StackName": "no-such-stack"}),
    "ec2:DescribeInstanceStatus": ("ec2", "describe_instance_status", {"InstanceIds": [NO_INSTANCE]}),
    "ec2:StartInstances": ("ec2", "start_instances", {"InstanceIds": [NO_INSTANCE]}),
    "ec2:StopInstances": ("ec2", "stop_instances", {"InstanceIds": [NO_INSTANCE]}),
}

CLI_CALLS = {
    "servicecatalog:ListServiceActionsForProvisioningArtifact": [
        "servicecatalog", "list-service-actions-for-provisioning-artifact",
        "--product-id", "prod-aaaaaaaaaaaaa", "--provisioning-artifact-id", "pa-aaaaaaaaaaaaa",
    ],
    "servicecatalog:ExecuteProvisionedProductServiceAction": [
        "servicecatalog", "execute-provisioned-product-service-action",
        "--provisioned-product-id", "pp-aaaaaaaaaaaaa", "--service-action-id", "act-aaaaaaaaaaaaa",
    ],
    "ssm:DescribeDocument": ["ssm", "describe-document", "--name", "NoSuchDocument-authz"],
    "ssm:GetAutomationExecution": ["ssm", "get-automation-execution", "--automation-execution-id", NO_EXEC],
    "ssm:StartAutomationExecution": ["ssm", "start-automation-execution", "--document-name", "NoSuchDocument-authz"],
    "ssm:StopAutomationExecution": ["ssm", "stop-automation-execution", "--automation-execution-id", NO_EXEC],
    "cloudformation:ListStackResources": ["cloudformation", "list-stack-resources", "--stack-name", "no-such-stack"],
    "ec2:DescribeInstanceStatus": ["ec2", "describe-instance-status", "--instance-ids", NO_INSTANCE],
    "ec2:StartInstances": ["ec2", "start-instances", "--instance-ids", NO_INSTANCE],
    "ec2:StopInstances": ["ec2", "stop-instances", "--instance-ids", NO_INSTANCE],
}

CLIENTS = ["boto3"] + [("cli-v2" if c == CLI_V2 else "cli-v1") for c in CLIS]
CLI_PATH = {"cli-v2": CLI_V2, "cli-v1": CLI_V1}


def _call(d, client, action, creds):
    """(code, message) of the call, or (None, None) when it succeeded."""
    if client == "boto3":
        svc, op, kw = BOTO3_CALLS[action]
        try:
            getattr(d.client(svc, **creds), op)(**kw)
        except ClientError as e:
            return e.response["Error"]["Code"], e.response["Error"].get("Message", "")
        return None, None
    p = d.aws(*CLI_CALLS[action], cli=CLI_PATH[client], **creds)
    if p.returncode == 0:
        return None, None
    return cli_error(p)


def _ten_cases():
    out = []
    for action in TEN_ACTIONS:
        for client in CLIENTS:
            out.append(pytest.param(action, client, id="%s-%s" % (action.split(":")[1], client)))
    return out


@pytest.mark.parametrize("action, client", _ten_cases())
def test_tutorial_action_is_authorized(d, tutorial, action, client):
    code, msg = _call(d, client, action, tutorial["creds"])
    assert code not in DENIED_CODES, "%s was denied: %s" % (action, msg)
    assert code not in UNSERVED_CODES, "%s is not served yet: %s" % (action, msg)


def test_no_tutorial_action_is_denied(d, tutorial):
    """Whatever the ten answer today, none of them is ever a denial: a denial would mean the
    policy (with its lower-case 'p' in ExecuteprovisionedProductServiceAction) did not
    match. This part holds for served and unserved operations alike."""
    for action in TEN_ACTIONS:
        code, msg = _call(d, "boto3", action, tutorial["creds"])
        assert code not in DENIED_CODES, (action, code, msg)


# ---- everything else is denied ------------------------------------------------------------


def _denied_sentence(action, resource, explicit=False):
    because = (
        "with an explicit deny in an identity-based policy"
        if explicit
        else "because no identity-based policy allows the %s action" % action
    )
    return "User: %s is not authorized to perform: %s on resource: %s %s" % (ENDUSER_ARN, action, resource, because)


OUTSIDE = [
    # action, boto3 call, CLI args, resource, json protocol?
    ("iam:ListUsers", ("iam", "list_users", {}), ["iam", "list-users"], ARN + "user/", False),
    ("iam:CreateUser", ("iam", "create_user", {"UserName": "sneaky"}), ["iam", "create-user", "--user-name", "sneaky"], ARN + "user/sneaky", False),
    ("iam:GetGroup", ("iam", "get_group", {"GroupName": "endusers"}), ["iam", "get-group", "--group-name", "endusers"], ARN + "group/endusers", False),
    ("servicecatalog:ListPortfolios", ("servicecatalog", "list_portfolios", {}), ["servicecatalog", "list-portfolios"], "*", True),
    ("ssm:ListDocuments", ("ssm", "list_documents", {}), ["ssm", "list-documents"], "*", True),
]


@pytest.mark.parametrize("action, call, args, resource, is_json", OUTSIDE, ids=[o[0].split(":")[1] for o in OUTSIDE])
@pytest.mark.parametrize("client", CLIENTS)
def test_outside_the_policy_is_denied(d, tutorial, client, action, call, args, resource, is_json):
    want_code = "AccessDeniedException" if is_json else "AccessDenied"
    want_msg = _denied_sentence(action, resource)
    if client == "boto3":
        svc, op, kw = call
        code, msg, status = fails(getattr(d.client(svc, **tutorial["creds"]), op), **kw)
        assert (code, status) == (want_code, 400 if is_json else 403)
    else:
        p = d.aws(*args, cli=CLI_PATH[client], **tutorial["creds"])
        assert p.returncode != 0
        code, msg = cli_error(p)
        assert code == want_code
    assert msg == want_msg
    # the refused write left nothing behind
    assert "sneaky" not in [u["UserName"] for u in d.client("iam").list_users()["Users"]]


def test_explicit_deny_on_the_group_wins(d, tutorial):
    iam = d.client("iam")
    creds = tutorial["creds"]
    ssm = d.client("ssm", **creds)
    iam.put_group_policy(
        GroupName="endusers",
        PolicyName="AllowDocs",
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ssm:List*", "Resource": "*"}]}
        ),
    )
    try:
        assert isinstance(ssm.list_documents()["DocumentIdentifiers"], list)
        iam.put_group_policy(
            GroupName="endusers",
            PolicyName="DenyDocs",
            PolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {"Effect": "Deny", "Action": ["ssm:ListDocuments", "ssm:DescribeDocument"], "Resource": "*"}
                    ],
                }
            ),
        )
        code, msg, status = fails(ssm.list_documents)
        assert (code, status) == ("AccessDeniedException", 400)
        assert msg == _denied_sentence("ssm:ListDocuments", "*", explicit=True)
        sim = _simulate(d, ["ssm:DescribeDocument", "ssm:GetAutomationExecution"])
        assert sim == {"ssm:DescribeDocument": "explicitDeny", "ssm:GetAutomationExecution": "allowed"}
        for client in CLIENTS[1:]:
            p = d.aws("ssm", "list-documents", cli=CLI_PATH[client], **creds)
            assert cli_error(p) == ("AccessDeniedException", _denied_sentence("ssm:ListDocuments", "*", explicit=True))
    finally:
        for name in ("DenyDocs", "AllowDocs"):
            try:
                iam.delete_group_policy(GroupName="endusers", PolicyName=name)
            except ClientError:
                pass
    code, msg, _ = fails(ssm.list_documents)
    assert msg == _denied_sentence("ssm:ListDocuments", "*")


# ---- EC2's own wording ---------------------------------------------------------------------


def _decode(d, message):
    blob = message.split("Encoded authorization failure message: ", 1)[1]
    return json.loads(d.client("sts").decode_authorization_message(EncodedMessage=blob)["DecodedMessage"])


def test_ec2_denials_use_ec2_wording(d, tutorial):
    ec2 = d.client("ec2", **tutorial["creds"])
    # a read outside the policy: EC2's sentence, then IAM's without a resource; nothing encoded
    code, msg, status = fails(ec2.describe_instances)
    assert (code, msg, status) == (
        "UnauthorizedOperation",
        "You are not authorized to perform this operation. User: %s is not authorized to perform: "
        "ec2:DescribeInstances because no identity-based policy allows the ec2:DescribeInstances action" % ENDUSER_ARN,
        403,
    )
    # a write outside the policy: both sentences (with the resource), then an encoded message
    code, msg, status = fails(ec2.reboot_instances, InstanceIds=[NO_INSTANCE])
    assert (code, status) == ("UnauthorizedOperation", 403)
    instance_arn = "arn:aws:ec2:us-east-1:%s:instance/%s" % (ACCOUNT, NO_INSTANCE)
    assert msg.startswith(
        "You are not authorized to perform this operation. User: %s is not authorized to perform: "
        "ec2:RebootInstances on resource: %s because no identity-based policy allows the "
        "ec2:RebootInstances action. Encoded authorization failure message: " % (ENDUSER_ARN, instance_arn)
    ), msg
    decoded = _decode(d, msg)
    assert decoded["allowed"] is False and decoded["explicitDeny"] is False
    assert decoded["context"]["principal"] == ENDUSER_ARN
    assert decoded["context"]["action"] == "ec2:RebootInstances"
    assert decoded["context"]["resource"] == "arn:aws:ec2:us-east-1:%s:instance/%s" % (ACCOUNT, NO_INSTANCE)


def test_ec2_explicit_deny_on_the_group(d, tutorial):
    iam = d.client("iam")
    ec2 = d.client("ec2", **tutorial["creds"])
    iam.put_group_policy(
        GroupName="endusers",
        PolicyName="NoStop",
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "ec2:StopInstances", "Resource": "*"}]}
        ),
    )
    try:
        code, msg, status = fails(ec2.stop_instances, InstanceIds=[NO_INSTANCE])
        assert (code, status) == ("UnauthorizedOperation", 403)
        assert "ec2:StopInstances on resource: arn:aws:ec2:us-east-1:%s:instance/%s with an explicit deny in an " \
            "identity-based policy. Encoded authorization failure message: " % (ACCOUNT, NO_INSTANCE) in msg, msg
        assert _decode(d, msg)["explicitDeny"] is True
        # the rest of the tutorial's ec2 actions are untouched
        code, _, _ = fails(ec2.start_instances, InstanceIds=[NO_INSTANCE])
        assert code not in DENIED_CODES
    finally:
        iam.delete_group_policy(GroupName="endusers", PolicyName="NoStop")
    code, _, _ = fails(ec2.stop_instances, InstanceIds=[NO_INSTANCE])
    assert code not in DENIED_CODES


def test_ec2_resource_level_permission(d):
    mine, other = "i-0aaaaaaaaaaaaaaaa", "i-0bbbbbbbbbbbbbbbb"
    creds = _user_with(
        d,
        "one-instance",
        [
            {
                "Effect": "Allow",
                "Action": ["ec2:StopInstances", "ec2:StartInstances"],
                "Resource": "arn:aws:ec2:us-east-1:%s:instance/%s" % (ACCOUNT, mine),
            }
        ],
    )
    ec2 = d.client("ec2", **creds)
    code, msg, _ = fails(ec2.stop_instances, InstanceIds=[mine])
    assert code not in DENIED_CODES, msg  # allowed: the instance just does not exist
    code, msg, status = fails(ec2.stop_instances, InstanceIds=[other])
    assert (code, status) == ("UnauthorizedOperation", 403)
    assert _decode(d, msg)["context"]["resource"] == "arn:aws:ec2:us-east-1:%s:instance/%s" % (ACCOUNT, other)
    # one instance outside the grant spoils the whole call
    code, _, _ = fails(ec2.stop_instances, InstanceIds=[mine, other])
    assert code == "UnauthorizedOperation"


# ---- policy variables and conditions ------------------------------------------------------


def _user_with(d, name, statements, version="2012-10-17"):
    iam = d.client("iam")
    iam.create_user(UserName=name)
    document = {"Version": version, "Statement": statements} if version else {"Statement": statements}
    iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(document))
    k = iam.create_access_key(UserName=name)["AccessKey"]
    return {"key": k["AccessKeyId"], "secret": k["SecretAccessKey"]}


def test_policy_variable_lets_a_user_read_only_itself(d, tutorial):
    iam = d.client("iam")
    iam.create_group(GroupName="selfreaders")
    iam.put_group_policy(
        GroupName="selfreaders",
        PolicyName="ReadSelf",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": "iam:GetUser", "Resource": ARN + "user/${aws:username}"}
                ],
            }
        ),
    )
    iam.add_user_to_group(GroupName="selfreaders", UserName="enduser1")
    iam.create_user(UserName="enduser2")
    try:
        me = d.client("iam", **tutorial["creds"])
        assert me.get_user(UserName="enduser1")["User"]["Arn"] == ENDUSER_ARN
        assert me.get_user()["User"]["Arn"] == ENDUSER_ARN  # no name: the caller
        code, msg, status = fails(me.get_user, UserName="enduser2")
        assert (code, status) == ("AccessDenied", 403)
        assert msg == _denied_sentence("iam:GetUser", ARN + "user/enduser2")
        # and not a user that does not exist either (no existence leak)
        assert fails(me.get_user, UserName="ghost")[0] == "AccessDenied"
    finally:
        iam.remove_user_from_group(GroupName="selfreaders", UserName="enduser1")
    # out of the group, the permission is gone at once
    code, msg, _ = fails(d.client("iam", **tutorial["creds"]).get_user, UserName="enduser1")
    assert (code, msg) == ("AccessDenied", _denied_sentence("iam:GetUser", ENDUSER_ARN))


def test_denial_names_a_user_with_its_path(d):
    d.client("iam").create_user(UserName="pathed", Path="/division/")
    creds = _user_with_key(d, "pathed")
    code, msg, status = fails(d.client("iam", **creds).list_users)
    assert (code, status) == ("AccessDenied", 403)
    assert msg.startswith("User: %suser/division/pathed is not authorized to perform: iam:ListUsers on resource: " % ARN)


def _user_with_key(d, name):
    k = d.client("iam").create_access_key(UserName=name)["AccessKey"]
    return {"key": k["AccessKeyId"], "secret": k["SecretAccessKey"]}


def test_policy_variable_without_version_is_literal(d):
    stmt = [{"Effect": "Allow", "Action": "iam:GetUser", "Resource": ARN + "user/${aws:username}"}]
    creds = _user_with(d, "literal-var", stmt, version=None)
    code, msg, _ = fails(d.client("iam", **creds).get_user, UserName="literal-var")
    assert code == "AccessDenied"
    assert "iam:GetUser on resource: " + ARN + "user/literal-var because" in msg
    # with the Version the same statement is a variable, and the user may read itself
    creds = _user_with(d, "real-var", stmt)
    assert d.client("iam", **creds).get_user(UserName="real-var")["User"]["UserName"] == "real-var"


@pytest.mark.parametrize(
    "cidr, allowed",
    [("127.0.0.1/32", True), ("127.0.0.0/8", True), ("10.0.0.0/8", False), ("::1/128", False)],
)
def test_source_ip_condition(d, cidr, allowed):
    name = "ip-" + re.sub(r"[^0-9a-z]", "-", cidr)
    creds = _user_with(
        d,
        name,
        [{"Effect": "Allow", "Action": "ssm:ListDocuments", "Resource": "*", "Condition": {"IpAddress": {"aws:SourceIp": cidr}}}],
    )
    ssm = d.client("ssm", **creds)
    if allowed:
        assert isinstance(ssm.list_documents()["DocumentIdentifiers"], list)
    else:
        code, msg, _ = fails(ssm.list_documents)
        assert code == "AccessDeniedException"
        assert msg.endswith("because no identity-based policy allows the ssm:ListDocuments action")


def test_not_ip_address_deny(d):
    creds = _user_with(
        d,
        "ip-deny",
        [
            {"Effect": "Allow", "Action": "ssm:ListDocuments", "Resource": "*"},
            {"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}},
        ],
    )
    code, msg, _ = fails(d.client("ssm", **creds).list_documents)
    assert code == "AccessDeniedException"
    assert msg.endswith("with an explicit deny in an identity-based policy")


@pytest.mark.parametrize(
    "op, regions, allowed",
    [
        ("StringEquals", ["us-east-1"], True),
        ("StringEquals", ["eu-west-1"], False),
        ("StringLike", ["us-*"], True),
        ("StringNotEquals", ["us-east-1", "us-west-2"], False),
    ],
)
def test_requested_region_condition(d, op, regions, allowed):
    name = "region-%s-%s" % (op, regions[0].replace("*", "x"))
    creds = _user_with(
        d,
        name,
        [
            {
                "Effect": "Allow",
                "Action": ["ssm:ListDocuments", "servicecatalog:ListPortfolios"],
                "Resource": "*",
                "Condition": {op: {"aws:RequestedRegion": regions}},
            }
        ],
    )
    for svc, fn, key in (("ssm", "list_documents", "DocumentIdentifiers"), ("servicecatalog", "list_portfolios", "PortfolioDetails")):
        c = getattr(d.client(svc, **creds), fn)
        if allowed:
            assert isinstance(c()[key], list)
        else:
            assert fails(c)[0] == "AccessDeniedException"


def test_conditions_also_hold_from_the_cli(d):
    creds = _user_with(
        d,
        "cli-cond",
        [
            {
                "Effect": "Allow",
                "Action": "ssm:ListDocuments",
                "Resource": "*",
                "Condition": {"IpAddress": {"aws:SourceIp": "127.0.0.1/32"}, "StringEquals": {"aws:RequestedRegion": "us-east-1"}},
            }
        ],
    )
    for cli in CLIS:
        p = d.aws("ssm", "list-documents", cli=cli, check=True, **creds)
        assert isinstance(p.json["DocumentIdentifiers"], list)


# ---- Step 1 with each CLI as the administrator --------------------------------------------


@pytest.mark.parametrize("cli", CLIS, ids=["cli-v2" if c == CLI_V2 else "cli-v1" for c in CLIS])
def test_step1_from_the_cli(fresh_daemon, tmp_path, cli):
    dm = fresh_daemon()
    v1 = tmp_path / "before.json"
    v1.write_text(BEFORE_EDIT)
    v2 = tmp_path / "tutorial.json"
    v2.write_text(TUTORIAL_POLICY)
    dm.aws("iam", "create-group", "--group-name", "endusers", cli=cli, check=True)
    dm.aws("iam", "create-user", "--user-name", "enduser1", cli=cli, check=True)
    dm.aws("iam", "add-user-to-group", "--group-name", "endusers", "--user-name", "enduser1", cli=cli, check=True)
    arn = dm.aws(
        "iam", "create-policy", "--policy-name", "ServiceCatalogEndUsers", "--policy-document", "file://%s" % v1,
        cli=cli, check=True,
    ).json["Policy"]["Arn"]
    dm.aws("iam", "attach-group-policy", "--group-name", "endusers", "--policy-arn", arn, cli=cli, check=True)
    key = dm.aws("iam", "create-access-key", "--user-name", "enduser1", cli=cli, check=True).json["AccessKey"]
    creds = {"key": key["AccessKeyId"], "secret": key["SecretAccessKey"]}
    # before the edit: portfolios yes, documents no
    assert isinstance(dm.aws("servicecatalog", "list-portfolios", cli=cli, check=True, **creds).json["PortfolioDetails"], list)
    # Edit policy
    v = dm.aws(
        "iam", "create-policy-version", "--policy-arn", arn, "--policy-document", "file://%s" % v2, "--set-as-default",
        cli=cli, check=True,
    ).json["PolicyVersion"]
    assert (v["VersionId"], v["IsDefaultVersion"]) == ("v2", True)
    got = dm.aws("iam", "get-policy-version", "--policy-arn", arn, "--version-id", "v2", cli=cli, check=True).json
    assert got["PolicyVersion"]["Document"] == json.loads(TUTORIAL_POLICY)
    # after it: portfolios no, and the ten actions simulate as allowed
    p = dm.aws("servicecatalog", "list-portfolios", cli=cli, **creds)
    assert cli_error(p) == (
        "AccessDeniedException",
        _denied_sentence("servicecatalog:ListPortfolios", "*"),
    )
    sim = dm.aws(
        "iam", "simulate-principal-policy", "--policy-source-arn", ENDUSER_ARN, "--action-names", *TEN_ACTIONS,
        cli=cli, check=True,
    ).json
    assert {r["EvalActionName"]: r["EvalDecision"] for r in sim["EvaluationResults"]} == {a: "allowed" for a in TEN_ACTIONS}
    me = dm.aws("sts", "get-caller-identity", cli=cli, check=True, **creds).json
    assert me["Arn"] == ENDUSER_ARN


def test_iam_resource_level_permissions(d):
    creds = _user_with(
        d,
        "team-admin",
        [
            {"Effect": "Allow", "Action": ["iam:CreateUser", "iam:DeleteUser"], "Resource": ARN + "user/team/*"},
            {"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"},
        ],
    )
    me = d.client("iam", **creds)
    assert me.create_user(UserName="t1", Path="/team/")["User"]["Arn"] == ARN + "user/team/t1"
    code, msg, status = fails(me.create_user, UserName="t2")
    assert (code, status) == ("AccessDenied", 403)
    assert msg == "User: %suser/team-admin is not authorized to perform: iam:CreateUser on resource: %suser/t2 " \
        "because no identity-based policy allows the iam:CreateUser action" % (ARN, ARN)
    assert "t2" not in [u["UserName"] for u in me.list_users()["Users"]]
    # the target's stored ARN (with its path) is what the policy is matched against
    me.delete_user(UserName="t1")
    d.client("iam").create_user(UserName="outside-team")
    code, msg, _ = fails(me.delete_user, UserName="outside-team")
    assert code == "AccessDenied"
    assert "iam:DeleteUser on resource: %suser/outside-team because" % ARN in msg
    assert d.client("iam").get_user(UserName="outside-team")["User"]["UserName"] == "outside-team"


def test_permissions_boundary_limits_a_user(d):
    iam = d.client("iam")
    boundary = iam.create_policy(
        PolicyName="BoundarySsmOnly",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": ["ssm:*", "ec2:*"], "Resource": "*"},
                    {"Effect": "Deny", "Action": "ec2:StopInstances", "Resource": "*"},
                ],
            }
        ),
    )["Policy"]["Arn"]
    iam.create_user(UserName="bounded", PermissionsBoundary=boundary)
    got = iam.get_user(UserName="bounded")["User"]["PermissionsBoundary"]
    assert got == {"PermissionsBoundaryType": "PermissionsBoundaryPolicy", "PermissionsBoundaryArn": boundary}
    iam.put_user_policy(
        UserName="bounded",
        PolicyName="broad",
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["ssm:*", "ec2:*", "iam:ListUsers"], "Resource": "*"}]}
        ),
    )
    creds = _user_with_key(d, "bounded")
    assert isinstance(d.client("ssm", **creds).list_documents()["DocumentIdentifiers"], list)
    code, msg, status = fails(d.client("iam", **creds).list_users)
    assert (code, status) == ("AccessDenied", 403)
    assert msg == (
        "User: %suser/bounded is not authorized to perform: iam:ListUsers on resource: %suser/ "
        "because no permissions boundary allows the iam:ListUsers action" % (ARN, ARN)
    )
    ec2 = d.client("ec2", **creds)
    code, _, _ = fails(ec2.start_instances, InstanceIds=[NO_INSTANCE])
    assert code not in DENIED_CODES  # both allow it: the instance just does not exist
    code, msg, _ = fails(ec2.stop_instances, InstanceIds=[NO_INSTANCE])
    assert code == "UnauthorizedOperation"
    assert _decode(d, msg)["explicitDeny"] is True
