"""Tags on IAM roles, users, customer managed policies and instance profiles through boto3
and the AWS CLI: Tag<Type> merges (a key equal to a present one without regard to case
replaces it), Untag<Type> drops (absent keys are no error), List<Type>Tags pages by Marker
and MaxItems; Get<Type> shows the tags and the List operations leave them out, as AWS
documents. Errors with AWS's code and message and nothing changed: NoSuchEntity, duplicate
keys in one request, more than 50 tags, the model's limits, an AWS managed policy. Then
CloudFormation's AWS::IAM::Role and AWS::IAM::User change their Tags in place.

The module runs its own daemon so that exact listings are not disturbed by other tests.
"""

import json

import pytest

from cfn_helpers import create, delete, outputs, update
from conftest import ACCOUNT, Daemon
from helpers import cli_error, fails, serve, trust

ARN = "arn:aws:iam::%s:" % ACCOUNT


@pytest.fixture(scope="module")
def d():
    yield from serve(Daemon())


@pytest.fixture(scope="module")
def iam(d):
    return d.client("iam")


def tags(*pairs):
    return [{"Key": k, "Value": v} for k, v in pairs]


def all_tags(list_fn, **kw):
    out, marker = [], None
    while True:
        page = list_fn(**kw, **({"Marker": marker} if marker else {}), MaxItems=2)
        out += page["Tags"]
        if not page["IsTruncated"]:
            assert "Marker" not in page
            return out
        marker = page["Marker"]


def check_kind(iam, name_kw, tag_fn, untag_fn, list_fn, get_fn, member):
    tag_fn(**name_kw, Tags=tags(("team", "blue"), ("Stage", "dev")))
    assert list_fn(**name_kw)["Tags"] == tags(("Stage", "dev"), ("team", "blue"))
    # a key equal without regard to case replaces the tag; case of the new one is kept
    tag_fn(**name_kw, Tags=tags(("TEAM", "red"), ("cost", "")))
    got = list_fn(**name_kw)
    assert got["Tags"] == tags(("cost", ""), ("Stage", "dev"), ("TEAM", "red"))
    assert got["IsTruncated"] is False
    assert sorted(t["Key"] for t in get_fn(**name_kw)[member]["Tags"]) == ["Stage", "TEAM", "cost"]
    # paging: every tag exactly once, in key order
    page = list_fn(**name_kw, MaxItems=1)
    assert page["Tags"] == tags(("cost", ""))
    assert page["IsTruncated"] is True
    assert all_tags(list_fn, **name_kw) == tags(("cost", ""), ("Stage", "dev"), ("TEAM", "red"))
    # untag: keys compared without regard to case; an absent one is no error
    untag_fn(**name_kw, TagKeys=["team", "nothing"])
    assert list_fn(**name_kw)["Tags"] == tags(("cost", ""), ("Stage", "dev"))
    # errors change nothing
    code, msg, status = fails(tag_fn, **name_kw, Tags=tags(("a", "1"), ("A", "2")))
    assert (code, msg, status) == (
        "InvalidInput",
        "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
        400,
    )
    many = tags(*[("k%02d" % i, "v") for i in range(49)])
    code, msg, status = fails(tag_fn, **name_kw, Tags=many)
    assert (code, status) == ("LimitExceeded", 409)
    assert msg.startswith("Cannot exceed quota for TagsPer") and msg.endswith(": 50.")
    code, msg, _ = fails(tag_fn, **name_kw, Tags=tags(*[("k%02d" % i, "v") for i in range(51)]))
    assert code == "ValidationError"
    assert "Member must have length less than or equal to 50" in msg
    code, msg, _ = fails(tag_fn, **name_kw, Tags=tags(("bad#key", "v")))
    assert code == "ValidationError"
    assert list_fn(**name_kw)["Tags"] == tags(("cost", ""), ("Stage", "dev"))
    # 48 more make exactly 50
    tag_fn(**name_kw, Tags=tags(*[("k%02d" % i, "v") for i in range(48)]))
    assert len(all_tags(list_fn, **name_kw)) == 50
    untag_fn(**name_kw, TagKeys=["k%02d" % i for i in range(48)] + ["cost", "stage"])
    assert list_fn(**name_kw)["Tags"] == []
    assert "Tags" not in get_fn(**name_kw)[member]


def test_role_tags(iam):
    iam.create_role(RoleName="tagged", AssumeRolePolicyDocument=json.dumps(trust("ec2")),
                    Tags=tags(("keep", "me")))
    iam.untag_role(RoleName="tagged", TagKeys=["keep"])
    check_kind(iam, {"RoleName": "tagged"}, iam.tag_role, iam.untag_role, iam.list_role_tags, iam.get_role, "Role")
    iam.tag_role(RoleName="tagged", Tags=tags(("x", "y")))
    assert all("Tags" not in r for r in iam.list_roles()["Roles"])
    code, msg, status = fails(iam.tag_role, RoleName="nobody", Tags=tags(("a", "b")))
    assert (code, msg, status) == ("NoSuchEntity", "The role with name nobody cannot be found.", 404)
    code, msg, _ = fails(iam.list_role_tags, RoleName="nobody")
    assert (code, msg) == ("NoSuchEntity", "The role with name nobody cannot be found.")
    code, msg, _ = fails(iam.list_role_tags, RoleName="tagged", Marker="garbage")
    assert (code, msg) == ("InvalidInput", "Invalid Marker.")


def test_create_with_duplicate_tag_keys_creates_nothing(iam):
    code, msg, _ = fails(iam.create_user, UserName="dup", Tags=tags(("a", "1"), ("A", "2")))
    assert code == "InvalidInput"
    assert fails(iam.get_user, UserName="dup")[0] == "NoSuchEntity"
    code, _, _ = fails(iam.create_role, RoleName="dup", AssumeRolePolicyDocument=json.dumps(trust("ec2")),
                       Tags=tags(("a", "1"), ("A", "2")))
    assert code == "InvalidInput"
    assert fails(iam.get_role, RoleName="dup")[0] == "NoSuchEntity"


def test_user_tags(iam):
    iam.create_user(UserName="tagged-user")
    check_kind(iam, {"UserName": "tagged-user"}, iam.tag_user, iam.untag_user, iam.list_user_tags, iam.get_user,
               "User")
    iam.tag_user(UserName="tagged-user", Tags=tags(("x", "y")))
    assert all("Tags" not in u for u in iam.list_users()["Users"])
    code, msg, _ = fails(iam.untag_user, UserName="nobody", TagKeys=["a"])
    assert (code, msg) == ("NoSuchEntity", "The user with name nobody cannot be found.")


def test_policy_tags(iam):
    doc = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})
    arn = iam.create_policy(PolicyName="tagged-policy", PolicyDocument=doc)["Policy"]["Arn"]
    check_kind(iam, {"PolicyArn": arn}, iam.tag_policy, iam.untag_policy, iam.list_policy_tags, iam.get_policy,
               "Policy")
    iam.tag_policy(PolicyArn=arn, Tags=tags(("x", "y")))
    assert all("Tags" not in p for p in iam.list_policies(Scope="Local")["Policies"])
    code, msg, _ = fails(iam.tag_policy, PolicyArn=ARN + "policy/none", Tags=tags(("a", "b")))
    assert (code, msg) == ("NoSuchEntity", "Policy %spolicy/none does not exist or is not attachable." % ARN)
    managed = "arn:aws:iam::aws:policy/AmazonSSMFullAccess"
    code, _, _ = fails(iam.tag_policy, PolicyArn=managed, Tags=tags(("a", "b")))
    assert code == "InvalidInput"
    assert iam.list_policy_tags(PolicyArn=managed)["Tags"] == []


def test_instance_profile_tags(iam):
    iam.create_instance_profile(InstanceProfileName="tagged-profile")
    check_kind(iam, {"InstanceProfileName": "tagged-profile"}, iam.tag_instance_profile, iam.untag_instance_profile,
               iam.list_instance_profile_tags, iam.get_instance_profile, "InstanceProfile")
    iam.tag_instance_profile(InstanceProfileName="tagged-profile", Tags=tags(("x", "y")))
    assert all("Tags" not in p for p in iam.list_instance_profiles()["InstanceProfiles"])
    code, msg, _ = fails(iam.list_instance_profile_tags, InstanceProfileName="none")
    assert (code, msg) == ("NoSuchEntity", "Instance Profile none cannot be found.")


def test_tags_through_the_cli(d, iam):
    iam.create_role(RoleName="cli-tagged", AssumeRolePolicyDocument=json.dumps(trust("ec2")))
    p = d.aws("iam", "tag-role", "--role-name", "cli-tagged", "--tags", "Key=env,Value=prod", "Key=owner,Value=ops")
    assert p.returncode == 0, p.stderr
    p = d.aws("iam", "list-role-tags", "--role-name", "cli-tagged")
    assert json.loads(p.stdout)["Tags"] == tags(("env", "prod"), ("owner", "ops"))
    p = d.aws("iam", "untag-role", "--role-name", "cli-tagged", "--tag-keys", "ENV")
    assert p.returncode == 0, p.stderr
    assert iam.list_role_tags(RoleName="cli-tagged")["Tags"] == tags(("owner", "ops"))
    code, msg = cli_error(d.aws("iam", "tag-user", "--user-name", "ghost", "--tags", "Key=a,Value=b"))
    assert (code, msg) == ("NoSuchEntity", "The user with name ghost cannot be found.")


def test_cloudformation_changes_role_and_user_tags_in_place(d, iam):
    cf = d.client("cloudformation")

    def body(role_tags, user_tags):
        return json.dumps({
            "Resources": {
                "Role": {"Type": "AWS::IAM::Role",
                         "Properties": {"AssumeRolePolicyDocument": trust("ec2"), "Tags": role_tags}},
                "User": {"Type": "AWS::IAM::User", "Properties": {"Tags": user_tags}},
            },
            "Outputs": {"Role": {"Value": {"Ref": "Role"}}, "RoleId": {"Value": {"Fn::GetAtt": ["Role", "RoleId"]}},
                        "User": {"Value": {"Ref": "User"}}},
        })

    out = outputs(create(cf, "tagstack", body(tags(("a", "1"), ("b", "2")), tags(("u", "1")))))
    assert iam.list_role_tags(RoleName=out["Role"])["Tags"] == tags(("a", "1"), ("b", "2"))
    user_id = iam.get_user(UserName=out["User"])["User"]["UserId"]
    out2 = outputs(update(cf, "tagstack", body(tags(("b", "3"), ("c", "4")), tags(("v", "2")))))
    # the same role and user, their tags changed through TagRole/UntagRole, TagUser/UntagUser
    assert out2 == out
    assert iam.get_role(RoleName=out["Role"])["Role"]["RoleId"] == out["RoleId"]
    assert iam.get_user(UserName=out["User"])["User"]["UserId"] == user_id
    assert iam.list_role_tags(RoleName=out["Role"])["Tags"] == tags(("b", "3"), ("c", "4"))
    assert iam.list_user_tags(UserName=out["User"])["Tags"] == tags(("v", "2"))
    delete(cf, "tagstack")


def test_request_tag_conditions(d, iam):
    """aws:RequestTag/<key> and aws:TagKeys are in the request context of a tagging call."""
    from helpers import new_user

    iam.create_role(RoleName="cond-tagged", AssumeRolePolicyDocument=json.dumps(trust("ec2")))
    key, secret = new_user(iam, "tagger", [
        {"Effect": "Allow", "Action": "iam:TagRole", "Resource": "*",
         "Condition": {"StringEquals": {"aws:RequestTag/team": "blue"},
                       "ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}}},
        {"Effect": "Allow", "Action": "iam:UntagRole", "Resource": "*",
         "Condition": {"ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}}},
    ])
    me = d.client("iam", key=key, secret=secret)
    me.tag_role(RoleName="cond-tagged", Tags=tags(("team", "blue")))
    for bad in (tags(("team", "red")), tags(("team", "blue"), ("cost", "1"))):
        code, msg, status = fails(me.tag_role, RoleName="cond-tagged", Tags=bad)
        assert (code, status) == ("AccessDenied", 403), msg
    iam.tag_role(RoleName="cond-tagged", Tags=tags(("cost", "1")))
    assert fails(me.untag_role, RoleName="cond-tagged", TagKeys=["cost"])[0] == "AccessDenied"
    me.untag_role(RoleName="cond-tagged", TagKeys=["team"])
    assert iam.list_role_tags(RoleName="cond-tagged")["Tags"] == tags(("cost", "1"))
