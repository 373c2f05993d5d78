"""IAM instance profiles through boto3 and the AWS CLI: CreateInstanceProfile,
GetInstanceProfile, DeleteInstanceProfile, AddRoleToInstanceProfile,
RemoveRoleFromInstanceProfile, ListInstanceProfiles (PathPrefix), ListInstanceProfilesForRole,
with AWS's errors (EntityAlreadyExists, NoSuchEntity, LimitExceeded for a second role,
DeleteConflict while a role is in the profile, for the profile and for DeleteRole), Marker
paging, and iam:PassRole required to put a role in a profile.

The module runs its own daemon so that exact listings are not disturbed by other tests.
"""

import json
import re

import pytest

from conftest import ACCOUNT, Daemon
from helpers import allow, cli_error, fails, new_user, policy, serve, trust

ARN = "arn:aws:iam::%s:" % ACCOUNT


@pytest.fixture(scope="module")
def d():
    yield from serve(Daemon())


@pytest.fixture(scope="module")
def iam(d):
    return d.client("iam")


def role(iam, name):
    return iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust("ec2")))["Role"]


def test_profile_lifecycle_with_a_role(iam):
    p = iam.create_instance_profile(InstanceProfileName="web", Path="/app/")["InstanceProfile"]
    assert p["InstanceProfileName"] == "web"
    assert p["Path"] == "/app/"
    assert p["Arn"] == ARN + "instance-profile/app/web"
    assert re.fullmatch(r"AIPA[A-Z0-9]{17}", p["InstanceProfileId"]), p["InstanceProfileId"]
    assert p["Roles"] == []
    code, msg, status = fails(iam.create_instance_profile, InstanceProfileName="WEB")
    assert (code, status) == ("EntityAlreadyExists", 409)
    assert msg == "Instance Profile WEB already exists."

    r = role(iam, "web-role")
    iam.add_role_to_instance_profile(InstanceProfileName="web", RoleName="web-role")
    got = iam.get_instance_profile(InstanceProfileName="web")["InstanceProfile"]
    assert [x["RoleName"] for x in got["Roles"]] == ["web-role"]
    assert got["Roles"][0]["Arn"] == r["Arn"]
    assert got["InstanceProfileId"] == p["InstanceProfileId"]

    role(iam, "other-role")
    code, msg, status = fails(iam.add_role_to_instance_profile, InstanceProfileName="web", RoleName="other-role")
    assert (code, status) == ("LimitExceeded", 409)
    assert msg == "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1"

    code, msg, status = fails(iam.delete_instance_profile, InstanceProfileName="web")
    assert (code, status) == ("DeleteConflict", 409)
    assert msg == "Cannot delete entity, must remove roles from instance profile first."
    code, msg, status = fails(iam.delete_role, RoleName="web-role")
    assert (code, status) == ("DeleteConflict", 409)
    assert msg == "Cannot delete entity, must remove roles from instance profile first."
    assert iam.get_role(RoleName="web-role")["Role"]["RoleId"] == r["RoleId"]

    for_role = iam.list_instance_profiles_for_role(RoleName="web-role")
    assert [x["InstanceProfileName"] for x in for_role["InstanceProfiles"]] == ["web"]
    assert for_role["IsTruncated"] is False
    assert iam.list_instance_profiles_for_role(RoleName="other-role")["InstanceProfiles"] == []

    code, _, _ = fails(iam.remove_role_from_instance_profile, InstanceProfileName="web", RoleName="other-role")
    assert code == "NoSuchEntity"
    iam.remove_role_from_instance_profile(InstanceProfileName="web", RoleName="web-role")
    assert iam.get_instance_profile(InstanceProfileName="web")["InstanceProfile"]["Roles"] == []
    iam.delete_role(RoleName="web-role")
    iam.delete_role(RoleName="other-role")
    iam.delete_instance_profile(InstanceProfileName="web")
    code, msg, status = fails(iam.get_instance_profile, InstanceProfileName="web")
    assert (code, status) == ("NoSuchEntity", 404)
    assert msg == "Instance Profile web cannot be found."
    assert fails(iam.delete_instance_profile, InstanceProfileName="web")[0] == "NoSuchEntity"


def test_unknown_names(iam):
    iam.create_instance_profile(InstanceProfileName="lonely")
    code, msg, _ = fails(iam.add_role_to_instance_profile, InstanceProfileName="lonely", RoleName="nobody")
    assert (code, msg) == ("NoSuchEntity", "The role with name nobody cannot be found.")
    code, _, _ = fails(iam.add_role_to_instance_profile, InstanceProfileName="nothing", RoleName="nobody")
    assert code == "NoSuchEntity"
    code, _, _ = fails(iam.list_instance_profiles_for_role, RoleName="nobody")
    assert code == "NoSuchEntity"
    iam.delete_instance_profile(InstanceProfileName="lonely")


def test_list_paging_and_path_prefix(iam, d):
    names = ["pg-%02d" % i for i in range(5)]
    for n in names:
        iam.create_instance_profile(InstanceProfileName=n, Path="/paged/")
    iam.create_instance_profile(InstanceProfileName="elsewhere", Path="/other/")
    seen, marker = [], None
    while True:
        kw = {"PathPrefix": "/paged/", "MaxItems": 2}
        if marker:
            kw["Marker"] = marker
        page = iam.list_instance_profiles(**kw)
        assert len(page["InstanceProfiles"]) <= 2
        seen += [p["InstanceProfileName"] for p in page["InstanceProfiles"]]
        if not page["IsTruncated"]:
            break
        marker = page["Marker"]
    assert seen == names
    assert fails(iam.list_instance_profiles, Marker="garbage")[0] == "InvalidInput"

    # the AWS CLI pages through them itself
    p = d.aws("iam", "list-instance-profiles", "--path-prefix", "/paged/", "--page-size", "2", check=True)
    assert [x["InstanceProfileName"] for x in p.json["InstanceProfiles"]] == names
    p = d.aws("iam", "get-instance-profile", "--instance-profile-name", "nope")
    assert cli_error(p) == ("NoSuchEntity", "Instance Profile nope cannot be found.")
    for n in names + ["elsewhere"]:
        iam.delete_instance_profile(InstanceProfileName=n)


def test_adding_a_role_needs_pass_role(d, iam):
    role(iam, "passed")
    iam.create_instance_profile(InstanceProfileName="guarded")
    key, secret = new_user(
        iam,
        "profile-admin",
        [allow(["iam:AddRoleToInstanceProfile", "iam:RemoveRoleFromInstanceProfile"])],
    )
    mine = d.client("iam", key=key, secret=secret)
    code, msg, status = fails(mine.add_role_to_instance_profile, InstanceProfileName="guarded", RoleName="passed")
    assert (code, status) == ("AccessDenied", 403)
    assert "iam:PassRole" in msg
    assert iam.get_instance_profile(InstanceProfileName="guarded")["InstanceProfile"]["Roles"] == []
    iam.put_user_policy(
        UserName="profile-admin", PolicyName="pass", PolicyDocument=policy(allow("iam:PassRole", ARN + "role/passed"))
    )
    mine.add_role_to_instance_profile(InstanceProfileName="guarded", RoleName="passed")
    assert [r["RoleName"] for r in iam.get_instance_profile(InstanceProfileName="guarded")["InstanceProfile"]["Roles"]] == [
        "passed"
    ]
