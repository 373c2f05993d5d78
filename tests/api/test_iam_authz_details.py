"""GetAccountAuthorizationDetails and credential reports through boto3 and the AWS CLI.

GetAccountAuthorizationDetails: users with inline and attached policies, groups and tags;
groups; roles with their trust policy (IAM sends it URL-encoded; boto3 decodes it),
instance profiles and last use; customer managed policies with every version and the AWS
managed policies attached in the account; Filter by entity type; Marker/MaxItems paging
that returns every entity exactly once.

Credential reports: ReportNotPresent before any, Generate answers STARTED then COMPLETE,
the CSV has AWS's exact columns with the root's row first and one per user (password,
access keys with their last use, signing certificates), and a report older than four
hours is ReportExpired (a daemon restarted with its clock moved on).
"""

import base64
import csv
import datetime
import io
import json

import pytest

import awsraw
from conftest import ACCOUNT, Daemon
from helpers import allow, cli_error, fails, serve, trust

ARN = "arn:aws:iam::%s:" % ACCOUNT
MANAGED = "arn:aws:iam::aws:policy/AmazonSSMFullAccess"
COLUMNS = [
    "user", "arn", "user_creation_time", "password_enabled", "password_last_used", "password_last_changed",
    "password_next_rotation", "mfa_active", "access_key_1_active", "access_key_1_last_rotated",
    "access_key_1_last_used_date", "access_key_1_last_used_region", "access_key_1_last_used_service",
    "access_key_2_active", "access_key_2_last_rotated", "access_key_2_last_used_date",
    "access_key_2_last_used_region", "access_key_2_last_used_service", "cert_1_active", "cert_1_last_rotated",
    "cert_2_active", "cert_2_last_rotated",
]


@pytest.fixture(scope="module")
def d():
    yield from serve(Daemon())


@pytest.fixture(scope="module")
def iam(d):
    return d.client("iam")


def doc(action):
    return {"Version": "2012-10-17", "Statement": [allow(action)]}


@pytest.fixture(scope="module")
def world(iam):
    """A user in a group, a role in a profile, a customer managed policy of two versions."""
    arn = iam.create_policy(PolicyName="local", PolicyDocument=json.dumps(doc("s3:*")))["Policy"]["Arn"]
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(doc("sqs:*")), SetAsDefault=True)
    iam.create_group(GroupName="devs")
    iam.put_group_policy(GroupName="devs", PolicyName="g-inline", PolicyDocument=json.dumps(doc("ec2:*")))
    iam.attach_group_policy(GroupName="devs", PolicyArn=arn)
    iam.create_user(UserName="alice", Tags=[{"Key": "team", "Value": "blue"}])
    iam.add_user_to_group(GroupName="devs", UserName="alice")
    iam.put_user_policy(UserName="alice", PolicyName="u-inline", PolicyDocument=json.dumps(doc("sns:*")))
    iam.attach_user_policy(UserName="alice", PolicyArn=MANAGED)
    iam.create_role(RoleName="worker", AssumeRolePolicyDocument=json.dumps(trust("ec2")),
                    Tags=[{"Key": "env", "Value": "prod"}])
    iam.put_role_policy(RoleName="worker", PolicyName="r-inline", PolicyDocument=json.dumps(doc("logs:*")))
    iam.attach_role_policy(RoleName="worker", PolicyArn=arn)
    iam.create_instance_profile(InstanceProfileName="worker-profile")
    iam.add_role_to_instance_profile(InstanceProfileName="worker-profile", RoleName="worker")
    return arn


def test_details_of_every_entity(iam, world):
    got = iam.get_account_authorization_details()
    assert got["IsTruncated"] is False
    (u,) = got["UserDetailList"]
    assert u["UserName"] == "alice" and u["Arn"] == ARN + "user/alice"
    assert u["UserPolicyList"] == [{"PolicyName": "u-inline", "PolicyDocument": doc("sns:*")}]
    assert u["GroupList"] == ["devs"]
    assert u["AttachedManagedPolicies"] == [{"PolicyName": "AmazonSSMFullAccess", "PolicyArn": MANAGED}]
    assert u["Tags"] == [{"Key": "team", "Value": "blue"}]
    (g,) = got["GroupDetailList"]
    assert g["GroupName"] == "devs"
    assert g["GroupPolicyList"] == [{"PolicyName": "g-inline", "PolicyDocument": doc("ec2:*")}]
    assert g["AttachedManagedPolicies"] == [{"PolicyName": "local", "PolicyArn": world}]
    (r,) = got["RoleDetailList"]
    assert r["RoleName"] == "worker"
    assert r["AssumeRolePolicyDocument"] == trust("ec2")  # URL-encoded on the wire, decoded by boto3
    assert r["RolePolicyList"] == [{"PolicyName": "r-inline", "PolicyDocument": doc("logs:*")}]
    assert r["AttachedManagedPolicies"] == [{"PolicyName": "local", "PolicyArn": world}]
    assert [p["InstanceProfileName"] for p in r["InstanceProfileList"]] == ["worker-profile"]
    assert [x["RoleName"] for x in r["InstanceProfileList"][0]["Roles"]] == ["worker"]
    assert r["Tags"] == [{"Key": "env", "Value": "prod"}]
    assert "RoleLastUsed" in r
    policies = {p["Arn"]: p for p in got["Policies"]}
    assert set(policies) == {world, MANAGED}  # AWS's own only when attached here
    local = policies[world]
    assert local["DefaultVersionId"] == "v2" and local["AttachmentCount"] == 2
    assert [(v["VersionId"], v["IsDefaultVersion"], v["Document"]) for v in local["PolicyVersionList"]] == [
        ("v2", True, doc("sqs:*")), ("v1", False, doc("s3:*"))]
    assert policies[MANAGED]["PolicyVersionList"]


def test_filter_and_paging(d, iam, world):
    only = iam.get_account_authorization_details(Filter=["Role", "LocalManagedPolicy"])
    assert [r["RoleName"] for r in only["RoleDetailList"]] == ["worker"]
    assert only["UserDetailList"] == [] and only["GroupDetailList"] == []
    assert [p["Arn"] for p in only["Policies"]] == [world]
    aws = iam.get_account_authorization_details(Filter=["AWSManagedPolicy"])
    assert [p["Arn"] for p in aws["Policies"]] == [MANAGED]
    # one item a page: every entity exactly once, in users, groups, roles, policies order
    seen, marker = [], None
    while True:
        page = iam.get_account_authorization_details(MaxItems=1, **({"Marker": marker} if marker else {}))
        items = ([u["UserName"] for u in page["UserDetailList"]] + [g["GroupName"] for g in page["GroupDetailList"]]
                 + [r["RoleName"] for r in page["RoleDetailList"]] + [p["PolicyName"] for p in page["Policies"]])
        assert len(items) == 1, page
        seen += items
        if not page["IsTruncated"]:
            break
        marker = page["Marker"]
    assert seen == ["alice", "devs", "worker", "local", "AmazonSSMFullAccess"]
    code, msg, _ = fails(iam.get_account_authorization_details, Marker="nonsense")
    assert (code, msg) == ("InvalidInput", "Invalid Marker.")
    code, _, _ = fails(iam.get_account_authorization_details, Filter=["Nothing"])
    assert code == "ValidationError"
    p = d.aws("iam", "get-account-authorization-details", "--filter", "User")
    assert p.returncode == 0, p.stderr
    assert [u["UserName"] for u in json.loads(p.stdout)["UserDetailList"]] == ["alice"]


def report_rows(iam):
    got = iam.get_credential_report()
    assert got["ReportFormat"] == "text/csv"
    text = got["Content"].decode()
    assert text.splitlines()[0] == ",".join(COLUMNS)
    return list(csv.DictReader(io.StringIO(text)))


def test_credential_report(d, iam, world):
    code, msg, status = fails(iam.get_credential_report)
    assert (code, status) == ("ReportNotPresent", 410)
    assert msg == "Credential report does not exist. Use GenerateCredentialReport to generate a report."
    assert cli_error(d.aws("iam", "get-credential-report"))[0] == "ReportNotPresent"
    iam.create_login_profile(UserName="alice", Password="Alice-Passw0rd")
    key = iam.create_access_key(UserName="alice")["AccessKey"]
    d.client("sts", key=key["AccessKeyId"], secret=key["SecretAccessKey"]).get_caller_identity()  # a use
    iam.create_user(UserName="bob")
    first = iam.generate_credential_report()
    assert first["State"] == "STARTED"
    assert iam.generate_credential_report()["State"] == "COMPLETE"
    rows = report_rows(iam)
    assert [r["user"] for r in rows] == ["<root_account>", "alice", "bob"]
    root, alice, bob = rows
    assert root["arn"] == ARN + "root"
    assert root["password_enabled"] == "not_supported"
    assert root["access_key_1_active"] == "true"  # the key the tests sign with
    assert alice["arn"] == ARN + "user/alice"
    assert alice["password_enabled"] == "true" and alice["password_last_used"] == "no_information"
    assert alice["password_last_changed"].endswith("+00:00")
    assert alice["password_next_rotation"] == "N/A"
    assert alice["mfa_active"] == "false"
    assert alice["access_key_1_active"] == "true"
    assert alice["access_key_1_last_rotated"].endswith("+00:00")
    assert alice["access_key_2_active"] == "false" and alice["access_key_2_last_rotated"] == "N/A"
    assert alice["cert_1_active"] == "false" and alice["cert_1_last_rotated"] == "N/A"
    assert bob["password_enabled"] == "false" and bob["password_last_changed"] == "N/A"
    assert bob["access_key_1_active"] == "false" and bob["access_key_1_last_used_date"] == "N/A"
    created = datetime.datetime.fromisoformat(alice["user_creation_time"])
    assert abs((created - datetime.datetime.now(datetime.timezone.utc)).total_seconds()) < 120


def test_report_last_use_and_expiry(fresh_daemon, tmp_path):
    data = str(tmp_path / "data")
    first = fresh_daemon(data_dir=data)
    iam = first.client("iam")
    iam.create_user(UserName="carol")
    key = iam.create_access_key(UserName="carol")["AccessKey"]
    first.client("sts", key=key["AccessKeyId"], secret=key["SecretAccessKey"]).get_caller_identity()
    assert first.stop() == 0  # the last use is written by the time the daemon stops
    again = fresh_daemon(data_dir=data)
    iam = again.client("iam")
    iam.generate_credential_report()
    carol = report_rows(iam)[1]
    assert carol["user"] == "carol"
    assert carol["access_key_1_last_used_date"].endswith("+00:00")
    assert carol["access_key_1_last_used_service"] == "sts"
    assert carol["access_key_1_last_used_region"] != "N/A"
    assert again.stop() == 0

    offset_s = 5 * 3600
    later = fresh_daemon(data_dir=data, env={"CATALOGD_CLOCK_OFFSET_MS": str(offset_s * 1000)})
    when = awsraw.utcnow() + datetime.timedelta(seconds=offset_s)
    params = {"Action": "GetCredentialReport", "Version": "2010-05-08"}
    q = awsraw.query_call(later, "iam", params, when=when)
    assert (q.status, q.error()[0]) == (410, "ReportExpired"), q
    gen = awsraw.query_call(later, "iam", dict(params, Action="GenerateCredentialReport"), when=when)
    assert gen.status == 200, gen
    assert "<State>STARTED</State>" in gen.body.decode()
    q = awsraw.query_call(later, "iam", params, when=when)
    assert q.status == 200, q
    content = base64.b64decode(awsraw.strip_ns(q.xml()).find(".//Content").text).decode()
    assert content.splitlines()[0] == ",".join(COLUMNS)
