"""CloudFormation's AWS::IAM:: resource types (issue 13): Role, InstanceProfile, Policy,
ManagedPolicy, User, Group, AccessKey. For each: create (names generated as AWS does,
<stack>-<logical>-<RANDOM>), Ref and Fn::GetAtt through Outputs, update in place (same
physical resource, changed through IAM's own operations) and by replacement (a new one made,
the old one deleted in the cleanup), delete, and rollback: a resource failing midway undoes
exactly what the stack had made or changed. Through boto3 and the AWS CLI.
"""

import json
import re

import pytest

from cfn_helpers import create, delete, failures, outputs, resources, settle, stack, update
from conftest import ACCOUNT, Daemon
from helpers import serve

ARN = "arn:aws:iam::%s:" % ACCOUNT
TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    }
)
READ_ONLY = "arn:aws:iam::aws:policy/service-role/AmazonSSMAutomationRole"


@pytest.fixture(scope="module")
def d():
    yield from serve(Daemon())


@pytest.fixture(scope="module")
def cf(d):
    return d.client("cloudformation")


@pytest.fixture(scope="module")
def iam(d):
    return d.client("iam")


def doc(action):
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}]}


def role_template(inline="s3:GetObject", managed=(READ_ONLY,), path="/app/", desc="first", doc2="ec2:Describe*",
                  mdoc="sqs:*", extra=None):
    t = {
        "Resources": {
            "Role": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "AssumeRolePolicyDocument": json.loads(TRUST),
                    "Path": path,
                    "Description": desc,
                    "ManagedPolicyArns": list(managed),
                    "Policies": [{"PolicyName": "inline", "PolicyDocument": doc(inline)}],
                },
            },
            "Profile": {"Type": "AWS::IAM::InstanceProfile", "Properties": {"Roles": [{"Ref": "Role"}]}},
            "Extra": {
                "Type": "AWS::IAM::Policy",
                "Properties": {"PolicyName": "extra", "PolicyDocument": doc(doc2), "Roles": [{"Ref": "Role"}]},
            },
            "Managed": {
                "Type": "AWS::IAM::ManagedPolicy",
                "Properties": {"PolicyDocument": doc(mdoc), "Roles": [{"Ref": "Role"}]},
            },
        },
        "Outputs": {
            "RoleName": {"Value": {"Ref": "Role"}},
            "RoleArn": {"Value": {"Fn::GetAtt": ["Role", "Arn"]}},
            "RoleId": {"Value": {"Fn::GetAtt": ["Role", "RoleId"]}},
            "ProfileName": {"Value": {"Ref": "Profile"}},
            "ProfileArn": {"Value": {"Fn::GetAtt": ["Profile", "Arn"]}},
            "PolicyRef": {"Value": {"Ref": "Extra"}},
            "ManagedArn": {"Value": {"Ref": "Managed"}},
            "ManagedVersion": {"Value": {"Fn::GetAtt": ["Managed", "DefaultVersionId"]}},
        },
    }
    if extra:
        t["Resources"].update(extra)
    return json.dumps(t)


def role_state(iam, name):
    """What IAM holds about role name: its path, description, inline documents, managed
    policies and instance profiles."""
    r = iam.get_role(RoleName=name)["Role"]
    inline = {
        p: iam.get_role_policy(RoleName=name, PolicyName=p)["PolicyDocument"]
        for p in iam.list_role_policies(RoleName=name)["PolicyNames"]
    }
    return {
        "RoleId": r["RoleId"],
        "Path": r["Path"],
        "Description": r.get("Description"),
        "inline": inline,
        "managed": sorted(p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]),
        "profiles": [p["InstanceProfileName"] for p in iam.list_instance_profiles_for_role(RoleName=name)["InstanceProfiles"]],
    }


def policy_doc(iam, arn):
    p = iam.get_policy(PolicyArn=arn)["Policy"]
    return p["DefaultVersionId"], iam.get_policy_version(PolicyArn=arn, VersionId=p["DefaultVersionId"])["PolicyVersion"]["Document"]


def gone(fn, **kw):
    try:
        fn(**kw)
    except iam_error() as e:
        return e.response["Error"]["Code"] == "NoSuchEntity"
    return False


def iam_error():
    from botocore.exceptions import ClientError

    return ClientError


def test_role_profile_and_policies_create_update_replace_delete(cf, iam):
    s = create(cf, "rp", role_template())
    out = outputs(s)
    name = out["RoleName"]
    assert re.fullmatch(r"rp-Role-[A-Z0-9]{12}", name), name
    assert out["RoleArn"] == ARN + "role/app/" + name
    st = role_state(iam, name)
    assert out["RoleId"] == st["RoleId"]
    assert st["Path"] == "/app/" and st["Description"] == "first"
    assert st["inline"] == {"inline": doc("s3:GetObject"), "extra": doc("ec2:Describe*")}
    assert st["managed"] == sorted([READ_ONLY, out["ManagedArn"]])
    assert st["profiles"] == [out["ProfileName"]]
    assert re.fullmatch(r"rp-Profile-[A-Z0-9]{12}", out["ProfileName"])
    assert out["ProfileArn"] == ARN + "instance-profile/" + out["ProfileName"]
    assert re.fullmatch(r"rp-Extra-[A-Z0-9]{12}", out["PolicyRef"])
    assert re.fullmatch(ARN.replace(":", r"\:") + r"policy/rp-Managed-[A-Z0-9]{12}", out["ManagedArn"])
    assert policy_doc(iam, out["ManagedArn"]) == ("v1", doc("sqs:*"))
    assert out["ManagedVersion"] == "v1"
    phys = {k: v["PhysicalResourceId"] for k, v in resources(cf, "rp").items()}
    assert phys == {"Role": name, "Profile": out["ProfileName"], "Extra": out["PolicyRef"], "Managed": out["ManagedArn"]}

    # in place: the role's inline document, managed list and description; the Policy's
    # and the ManagedPolicy's documents (a new default version)
    s = update(cf, "rp", role_template(inline="s3:PutObject", managed=(), desc="second", doc2="ec2:RunInstances",
                                       mdoc="sns:*"))
    out2 = outputs(s)
    assert out2["RoleName"] == name and out2["RoleId"] == st["RoleId"]
    st2 = role_state(iam, name)
    assert st2["Description"] == "second"
    assert st2["inline"] == {"inline": doc("s3:PutObject"), "extra": doc("ec2:RunInstances")}
    assert st2["managed"] == [out["ManagedArn"]]
    assert policy_doc(iam, out["ManagedArn"]) == ("v2", doc("sns:*"))
    assert out2["ManagedVersion"] == "v2"
    assert {r["ResourceStatus"] for r in resources(cf, "rp").values()} == {"UPDATE_COMPLETE"} | (
        {"CREATE_COMPLETE"} if out2["ProfileName"] == out["ProfileName"] else set()
    )

    # replacement: a new Path makes a new role; the profile, policy and managed policy
    # follow it in place, and the old role is deleted in the cleanup
    s = update(cf, "rp", role_template(inline="s3:PutObject", managed=(), desc="second", doc2="ec2:RunInstances",
                                       mdoc="sns:*", path="/moved/"))
    out3 = outputs(s)
    new = out3["RoleName"]
    assert new != name and re.fullmatch(r"rp-Role-[A-Z0-9]{12}", new)
    assert out3["RoleArn"] == ARN + "role/moved/" + new
    assert gone(iam.get_role, RoleName=name)
    st3 = role_state(iam, new)
    assert st3["RoleId"] != st["RoleId"]
    assert st3["inline"] == {"inline": doc("s3:PutObject"), "extra": doc("ec2:RunInstances")}
    assert st3["managed"] == [out["ManagedArn"]]
    assert st3["profiles"] == [out["ProfileName"]]
    assert out3["ProfileName"] == out["ProfileName"] and out3["ManagedArn"] == out["ManagedArn"]

    delete(cf, "rp")
    assert gone(iam.get_role, RoleName=new)
    assert gone(iam.get_instance_profile, InstanceProfileName=out["ProfileName"])
    assert gone(iam.get_policy, PolicyArn=out["ManagedArn"])


USERS = """
Resources:
  Team:
    Type: AWS::IAM::Group
    Properties:
      GroupName: %(group)s
      Path: /teams/
      ManagedPolicyArns: [arn:aws:iam::aws:policy/AdministratorAccess]
      Policies:
        - PolicyName: team
          PolicyDocument: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "sts:GetCallerIdentity", Resource: "*"}]}
  Person:
    Type: AWS::IAM::User
    Properties:
      Path: %(path)s
      Groups: [!Ref Team]
      LoginProfile: {Password: "Correct-Horse-1", PasswordResetRequired: false}
      Policies:
        - PolicyName: own
          PolicyDocument: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "iam:GetUser", Resource: "*"}]}
  Key:
    Type: AWS::IAM::AccessKey
    Properties:
      UserName: !Ref Person
      Status: %(status)s
Outputs:
  User: {Value: !Ref Person}
  UserArn: {Value: !GetAtt Person.Arn}
  Group: {Value: !Ref Team}
  GroupArn: {Value: !GetAtt Team.Arn}
  KeyId: {Value: !Ref Key}
  Secret: {Value: !GetAtt Key.SecretAccessKey}
"""


def test_user_group_and_access_key(d, cf, iam):
    s = create(cf, "ug", USERS % {"group": "crew", "path": "/people/", "status": "Active"})
    out = outputs(s)
    user = out["User"]
    assert re.fullmatch(r"ug-Person-[A-Z0-9]{12}", user)
    assert out["UserArn"] == ARN + "user/people/" + user
    assert out["Group"] == "crew" and out["GroupArn"] == ARN + "group/teams/crew"
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName=user)["Groups"]] == ["crew"]
    assert iam.list_user_policies(UserName=user)["PolicyNames"] == ["own"]
    assert iam.get_login_profile(UserName=user)["LoginProfile"]["UserName"] == user
    assert [p["PolicyArn"] for p in iam.list_attached_group_policies(GroupName="crew")["AttachedPolicies"]] == ["arn:aws:iam::aws:policy/AdministratorAccess"]
    keys = iam.list_access_keys(UserName=user)["AccessKeyMetadata"]
    assert [(k["AccessKeyId"], k["Status"]) for k in keys] == [(out["KeyId"], "Active")]
    # the key works: its secret came through GetAtt
    me = d.client("sts", key=out["KeyId"], secret=out["Secret"]).get_caller_identity()
    assert me["Arn"] == out["UserArn"]

    # in place: the key's Status, the user's Path (its ARN follows)
    s = update(cf, "ug", USERS % {"group": "crew", "path": "/staff/", "status": "Inactive"})
    out2 = outputs(s)
    assert out2["User"] == user and out2["KeyId"] == out["KeyId"]
    assert out2["UserArn"] == ARN + "user/staff/" + user
    assert iam.list_access_keys(UserName=user)["AccessKeyMetadata"][0]["Status"] == "Inactive"

    # replacement: a new GroupName; the user moves to the new group, the old one goes
    s = update(cf, "ug", USERS % {"group": "crew2", "path": "/staff/", "status": "Inactive"})
    out3 = outputs(s)
    assert out3["Group"] == "crew2"
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName=user)["Groups"]] == ["crew2"]
    assert gone(iam.get_group, GroupName="crew")

    # the AWS CLI sees the same stack, and deletes it
    p = d.aws("cloudformation", "describe-stacks", "--stack-name", "ug", check=True)
    assert {o["OutputKey"]: o["OutputValue"] for o in p.json["Stacks"][0]["Outputs"]}["User"] == user
    d.aws("cloudformation", "delete-stack", "--stack-name", "ug", check=True)
    d.aws("cloudformation", "wait", "stack-delete-complete", "--stack-name", s["StackId"], check=True)
    assert gone(iam.get_user, UserName=user)
    assert gone(iam.get_group, GroupName="crew2")
    assert iam.list_access_keys()["AccessKeyMetadata"] == [] or all(
        k["AccessKeyId"] != out["KeyId"] for k in iam.list_access_keys()["AccessKeyMetadata"]
    )


BREAKER = {
    "Breaker": {
        "Type": "AWS::IAM::Group",
        "DependsOn": ["Role", "Profile", "Extra", "Managed"],
        "Properties": {"ManagedPolicyArns": ["arn:aws:iam::aws:policy/NoSuchPolicyAnywhere"]},
    }
}


def iam_names(iam):
    return {
        "roles": sorted(r["RoleName"] for r in iam.list_roles()["Roles"]),
        "profiles": sorted(p["InstanceProfileName"] for p in iam.list_instance_profiles()["InstanceProfiles"]),
        "policies": sorted(p["Arn"] for p in iam.list_policies(Scope="Local")["Policies"]),
        "groups": sorted(g["GroupName"] for g in iam.list_groups()["Groups"]),
        "users": sorted(u["UserName"] for u in iam.list_users()["Users"]),
    }


def test_a_failure_midway_rolls_the_creation_back(cf, iam):
    before = iam_names(iam)
    s = create(cf, "rb", role_template(extra=BREAKER), status="ROLLBACK_COMPLETE")
    reason = failures(cf, "rb")["Breaker"]
    assert "NoSuchPolicyAnywhere" in reason, reason
    assert {r["ResourceStatus"] for r in resources(cf, "rb").values()} <= {"DELETE_COMPLETE"}
    assert iam_names(iam) == before
    cf.delete_stack(StackName="rb")
    settle(cf, s["StackId"])


def test_a_failed_update_puts_back_exactly_what_was_there(cf, iam):
    create(cf, "ru", role_template())
    out = outputs(stack(cf, "ru"))
    name = out["RoleName"]
    st = role_state(iam, name)
    managed = policy_doc(iam, out["ManagedArn"])
    names = iam_names(iam)
    # in-place changes, then the new Breaker fails
    update(cf, "ru", role_template(inline="s3:PutObject", managed=(), desc="changed", doc2="ec2:RunInstances",
                                   mdoc="sns:*", extra=BREAKER), status="UPDATE_ROLLBACK_COMPLETE")
    after = role_state(iam, name)
    assert after == st
    assert policy_doc(iam, out["ManagedArn"])[1] == managed[1]
    assert iam_names(iam) == names
    assert outputs(stack(cf, "ru")) == out
    # a replacement (new Path) undone: the new role deleted, the old one still in use
    update(cf, "ru", role_template(path="/other/", extra=BREAKER), status="UPDATE_ROLLBACK_COMPLETE")
    assert role_state(iam, name) == st
    assert iam_names(iam) == names
    assert outputs(stack(cf, "ru"))["RoleArn"] == out["RoleArn"]
    # and the stack still knows the old role's attributes: a later update reads them
    s = update(cf, "ru", role_template(desc="later"))
    later = outputs(s)
    assert later.pop("ManagedVersion") == "v3"  # the rollback's own version of the document
    assert later == {k: v for k, v in out.items() if k != "ManagedVersion"}
    assert role_state(iam, name)["Description"] == "later"
    delete(cf, "ru")


def test_a_named_resource_cannot_be_replaced(cf, iam):
    body = json.dumps({"Resources": {"R": {"Type": "AWS::IAM::Role", "Properties": {
        "RoleName": "fixed-name", "Path": "%s", "AssumeRolePolicyDocument": json.loads(TRUST)}}}})
    create(cf, "named", body.replace("%s", "/a/"))
    rid = iam.get_role(RoleName="fixed-name")["Role"]["RoleId"]
    update(cf, "named", body.replace("%s", "/b/"), status="UPDATE_ROLLBACK_COMPLETE")
    assert failures(cf, "named")["R"] == (
        "CloudFormation cannot update a stack when a custom-named resource requires replacing. "
        "Rename fixed-name and update the stack again."
    )
    r = iam.get_role(RoleName="fixed-name")["Role"]
    assert (r["RoleId"], r["Path"]) == (rid, "/a/")
    delete(cf, "named")
    assert gone(iam.get_role, RoleName="fixed-name")


def test_bad_properties_fail_in_cloudformations_words(cf, iam):
    body = json.dumps({"Resources": {"R": {"Type": "AWS::IAM::Role", "Properties": {
        "AssumeRolePolicyDocument": json.loads(TRUST), "Bogus": 1}}}})
    s = create(cf, "bogus", body, status="ROLLBACK_COMPLETE")
    assert failures(cf, "bogus")["R"] == "Encountered unsupported property Bogus"
    body = json.dumps({"Resources": {"P": {"Type": "AWS::IAM::InstanceProfile", "Properties": {}}}})
    create(cf, "empty", body, status="ROLLBACK_COMPLETE")
    assert failures(cf, "empty")["P"] == "Property Roles cannot be empty."
    for n in ("bogus", "empty"):
        cf.delete_stack(StackName=n)
    assert s["StackStatus"] == "ROLLBACK_COMPLETE"


def test_resources_deleted_by_hand_still_let_the_stack_go(cf, iam):
    create(cf, "byhand", role_template())
    out = outputs(stack(cf, "byhand"))
    iam.remove_role_from_instance_profile(InstanceProfileName=out["ProfileName"], RoleName=out["RoleName"])
    iam.delete_instance_profile(InstanceProfileName=out["ProfileName"])
    iam.delete_role_policy(RoleName=out["RoleName"], PolicyName="extra")
    delete(cf, "byhand")
    assert gone(iam.get_role, RoleName=out["RoleName"])
