"""IAM users, groups, membership, access keys and login profiles through boto3 (and the
two CLIs for a listing): every operation's happy path, AWS's error codes and statuses
(NoSuchEntity 404, EntityAlreadyExists 409 with names compared without regard to case,
DeleteConflict 409, LimitExceeded 409, ValidationError 400), MaxItems/Marker/IsTruncated
paging, and that a refused write changed nothing.

The module runs its own daemon so that exact listings are not disturbed by other tests.
"""

import datetime
import re

import pytest

import awsraw
from conftest import ACCOUNT, CLIS, Daemon
from helpers import fails, serve

ARN = "arn:aws:iam::%s:" % ACCOUNT


@pytest.fixture(scope="module")
def d():
    yield from serve(Daemon())


@pytest.fixture(scope="module")
def iam(d):
    return d.client("iam")


def user_names(iam, prefix):
    return sorted(u["UserName"] for u in iam.list_users(PathPrefix=prefix)["Users"])


# ---- users -------------------------------------------------------------------------------


def test_user_lifecycle(iam):
    u = iam.create_user(UserName="ada", Path="/eng/")["User"]
    assert u["UserName"] == "ada"
    assert u["Path"] == "/eng/"
    assert u["Arn"] == ARN + "user/eng/ada"
    assert re.fullmatch(r"AIDA[A-Z0-9]{17}", u["UserId"]), u["UserId"]
    assert isinstance(u["CreateDate"], datetime.datetime)
    got = iam.get_user(UserName="ada")["User"]
    assert {k: got[k] for k in ("UserName", "Path", "Arn", "UserId")} == {
        k: u[k] for k in ("UserName", "Path", "Arn", "UserId")
    }
    assert user_names(iam, "/eng/") == ["ada"]

    iam.update_user(UserName="ada", NewUserName="ada2", NewPath="/ops/")
    moved = iam.get_user(UserName="ada2")["User"]
    assert moved["Arn"] == ARN + "user/ops/ada2"
    assert moved["UserId"] == u["UserId"]
    assert fails(iam.get_user, UserName="ada")[0] == "NoSuchEntity"
    assert user_names(iam, "/eng/") == []
    assert user_names(iam, "/ops/") == ["ada2"]

    iam.delete_user(UserName="ada2")
    code, msg, status = fails(iam.get_user, UserName="ada2")
    assert (code, status) == ("NoSuchEntity", 404)
    assert msg == "The user with name ada2 cannot be found."


def test_get_missing_user_is_no_such_entity(iam):
    code, msg, status = fails(iam.get_user, UserName="nobody")
    assert (code, msg, status) == ("NoSuchEntity", "The user with name nobody cannot be found.", 404)
    for fn, kw in [
        (iam.delete_user, {"UserName": "nobody"}),
        (iam.update_user, {"UserName": "nobody", "NewPath": "/x/"}),
        (iam.list_groups_for_user, {"UserName": "nobody"}),
        (iam.create_access_key, {"UserName": "nobody"}),
        (iam.list_access_keys, {"UserName": "nobody"}),
        (iam.get_login_profile, {"UserName": "nobody"}),
    ]:
        assert fails(fn, **kw)[::2] == ("NoSuchEntity", 404), fn


def test_get_user_without_name_is_the_caller(iam):
    u = iam.get_user()["User"]
    assert u["Arn"] == "arn:aws:iam::%s:root" % ACCOUNT
    assert u["UserId"] == ACCOUNT


def test_user_names_are_unique_without_regard_to_case(iam):
    iam.create_user(UserName="Carol", Path="/case/")
    code, msg, status = fails(iam.create_user, UserName="cAROL", Path="/case2/")
    assert (code, status) == ("EntityAlreadyExists", 409)
    assert "cAROL" in msg
    # the refused create left nothing behind, and the first user is untouched
    assert user_names(iam, "/case2/") == []
    assert user_names(iam, "/case/") == ["Carol"]


def test_rename_onto_an_existing_name_changes_nothing(iam):
    iam.create_user(UserName="ren1", Path="/ren/")
    iam.create_user(UserName="ren2", Path="/ren/")
    code, _, status = fails(iam.update_user, UserName="ren1", NewUserName="REN2", NewPath="/moved/")
    assert (code, status) == ("EntityAlreadyExists", 409)
    assert user_names(iam, "/ren/") == ["ren1", "ren2"]
    assert user_names(iam, "/moved/") == []
    assert iam.get_user(UserName="ren1")["User"]["Arn"] == ARN + "user/ren/ren1"


def test_renamed_user_keeps_its_key_and_shows_its_new_arn(d, iam):
    iam.create_user(UserName="before-rename")
    k = iam.create_access_key(UserName="before-rename")["AccessKey"]
    sts = d.client("sts", key=k["AccessKeyId"], secret=k["SecretAccessKey"])
    assert sts.get_caller_identity()["Arn"] == ARN + "user/before-rename"
    iam.update_user(UserName="before-rename", NewUserName="after-rename", NewPath="/renamed/")
    assert sts.get_caller_identity()["Arn"] == ARN + "user/renamed/after-rename"
    assert [k2["AccessKeyId"] for k2 in iam.list_access_keys(UserName="after-rename")["AccessKeyMetadata"]] == [
        k["AccessKeyId"]
    ]


@pytest.mark.parametrize(
    "name, fragment",
    [
        ("bad name!", "Member must satisfy regular expression pattern: [\\w+=,.@-]+"),
        ("slash/inside", "Member must satisfy regular expression pattern: [\\w+=,.@-]+"),
        ("x" * 65, "Member must have length less than or equal to 64"),
    ],
)
def test_user_name_validation(iam, name, fragment):
    code, msg, status = fails(iam.create_user, UserName=name, Path="/val/")
    assert (code, status) == ("ValidationError", 400)
    assert "at 'userName' failed to satisfy constraint: " + fragment in msg, msg
    assert user_names(iam, "/val/") == []


def test_path_validation_code(iam):
    code, msg, status = fails(iam.create_user, UserName="pathy", Path="nopath")
    assert (code, status) == ("ValidationError", 400)
    assert "Value 'nopath' at 'path' failed to satisfy constraint" in msg
    assert fails(iam.get_user, UserName="pathy")[0] == "NoSuchEntity"


def test_path_validation_message_quotes_the_model_pattern(iam):
    _, msg, _ = fails(iam.create_user, UserName="pathy2", Path="nopath")
    assert msg == (
        "1 validation error detected: Value 'nopath' at 'path' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: "
        "(\\u002F)|(\\u002F[\\u0021-\\u007F]+\\u002F)"
    )


# ---- DeleteUser conflicts, one owned thing at a time --------------------------------------


def _own_key(iam, user):
    iam.create_access_key(UserName=user)


def _drop_key(iam, user):
    for k in iam.list_access_keys(UserName=user)["AccessKeyMetadata"]:
        iam.delete_access_key(UserName=user, AccessKeyId=k["AccessKeyId"])


def _own_login(iam, user):
    iam.create_login_profile(UserName=user, Password="Passw0rd!Passw0rd")


def _drop_login(iam, user):
    iam.delete_login_profile(UserName=user)


def _own_group(iam, user):
    iam.create_group(GroupName="g-" + user)
    iam.add_user_to_group(GroupName="g-" + user, UserName=user)


def _drop_group(iam, user):
    iam.remove_user_from_group(GroupName="g-" + user, UserName=user)
    iam.delete_group(GroupName="g-" + user)


ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"


def _own_attached(iam, user):
    iam.attach_user_policy(UserName=user, PolicyArn=ADMIN)


def _drop_attached(iam, user):
    iam.detach_user_policy(UserName=user, PolicyArn=ADMIN)


DOC = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}'


def _own_inline(iam, user):
    iam.put_user_policy(UserName=user, PolicyName="inl", PolicyDocument=DOC)


def _drop_inline(iam, user):
    iam.delete_user_policy(UserName=user, PolicyName="inl")


@pytest.mark.parametrize(
    "own, drop, message",
    [
        (_own_key, _drop_key, "Cannot delete entity, must delete access keys first."),
        (_own_login, _drop_login, "Cannot delete entity, must delete login profile first."),
        (_own_group, _drop_group, "Cannot delete entity, must remove users from group first."),
        (_own_attached, _drop_attached, "Cannot delete entity, must detach all policies first."),
        (_own_inline, _drop_inline, "Cannot delete entity, must delete policies first."),
    ],
    ids=["access-key", "login-profile", "group", "attached-policy", "inline-policy"],
)
def test_delete_user_conflict(iam, own, drop, message):
    user = "del-" + own.__name__.strip("_")
    iam.create_user(UserName=user)
    own(iam, user)
    code, msg, status = fails(iam.delete_user, UserName=user)
    assert (code, msg, status) == ("DeleteConflict", message, 409)
    assert iam.get_user(UserName=user)["User"]["UserName"] == user  # still there
    drop(iam, user)
    iam.delete_user(UserName=user)
    assert fails(iam.get_user, UserName=user)[0] == "NoSuchEntity"


def test_delete_user_owning_everything_needs_each_thing_removed(iam):
    user = "del-all"
    iam.create_user(UserName=user)
    steps = [
        (_own_key, _drop_key),
        (_own_login, _drop_login),
        (_own_group, _drop_group),
        (_own_attached, _drop_attached),
        (_own_inline, _drop_inline),
    ]
    for own, _ in steps:
        own(iam, user)
    # remove them in reverse order: every intermediate delete is still a conflict
    for _, drop in reversed(steps):
        assert fails(iam.delete_user, UserName=user)[0] == "DeleteConflict"
        drop(iam, user)
    iam.delete_user(UserName=user)


# ---- groups and membership ----------------------------------------------------------------


def test_group_lifecycle_and_membership(iam):
    g = iam.create_group(GroupName="devs", Path="/teams/")["Group"]
    assert g["Arn"] == ARN + "group/teams/devs"
    assert re.fullmatch(r"AGPA[A-Z0-9]{17}", g["GroupId"])
    iam.create_user(UserName="dev1")
    iam.create_user(UserName="dev2")
    iam.add_user_to_group(GroupName="devs", UserName="dev1")
    iam.add_user_to_group(GroupName="DEVS", UserName="dev2")  # names resolve without case
    iam.add_user_to_group(GroupName="devs", UserName="dev1")  # again: no error, no duplicate
    r = iam.get_group(GroupName="devs")
    assert r["Group"]["GroupName"] == "devs"
    assert sorted(u["UserName"] for u in r["Users"]) == ["dev1", "dev2"]
    assert r["IsTruncated"] is False
    assert [x["GroupName"] for x in iam.list_groups_for_user(UserName="dev1")["Groups"]] == ["devs"]
    assert [x["GroupName"] for x in iam.list_groups(PathPrefix="/teams/")["Groups"]] == ["devs"]

    code, msg, status = fails(iam.delete_group, GroupName="devs")
    assert (code, msg, status) == (
        "DeleteConflict",
        "Cannot delete entity, must remove users from group first.",
        409,
    )
    iam.remove_user_from_group(GroupName="devs", UserName="dev1")
    iam.remove_user_from_group(GroupName="devs", UserName="dev2")
    assert iam.get_group(GroupName="devs")["Users"] == []
    assert iam.list_groups_for_user(UserName="dev1")["Groups"] == []
    iam.delete_group(GroupName="devs")
    code, msg, status = fails(iam.get_group, GroupName="devs")
    assert (code, msg, status) == ("NoSuchEntity", "The group with name devs cannot be found.", 404)


def test_group_names_are_unique_without_regard_to_case(iam):
    iam.create_group(GroupName="Admins2", Path="/gcase/")
    code, _, status = fails(iam.create_group, GroupName="admins2", Path="/gcase2/")
    assert (code, status) == ("EntityAlreadyExists", 409)
    assert iam.list_groups(PathPrefix="/gcase2/")["Groups"] == []


def test_membership_errors(iam):
    iam.create_group(GroupName="memb")
    iam.create_user(UserName="memb-u")
    code, msg, status = fails(iam.add_user_to_group, GroupName="nogroup", UserName="memb-u")
    assert (code, msg, status) == ("NoSuchEntity", "The group with name nogroup cannot be found.", 404)
    code, msg, status = fails(iam.add_user_to_group, GroupName="memb", UserName="nouser")
    assert (code, msg, status) == ("NoSuchEntity", "The user with name nouser cannot be found.", 404)
    assert iam.get_group(GroupName="memb")["Users"] == []
    assert fails(iam.remove_user_from_group, GroupName="nogroup", UserName="memb-u")[0] == "NoSuchEntity"


@pytest.mark.parametrize("what", ["attached", "inline"])
def test_delete_group_with_policies_conflicts(iam, what):
    g = "gp-" + what
    iam.create_group(GroupName=g)
    if what == "attached":
        iam.attach_group_policy(GroupName=g, PolicyArn=ADMIN)
        message = "Cannot delete entity, must detach all policies first."
    else:
        iam.put_group_policy(GroupName=g, PolicyName="p", PolicyDocument=DOC)
        message = "Cannot delete entity, must delete policies first."
    assert fails(iam.delete_group, GroupName=g) == ("DeleteConflict", message, 409)
    assert iam.get_group(GroupName=g)["Group"]["GroupName"] == g
    if what == "attached":
        iam.detach_group_policy(GroupName=g, PolicyArn=ADMIN)
    else:
        iam.delete_group_policy(GroupName=g, PolicyName="p")
    iam.delete_group(GroupName=g)
    assert fails(iam.get_group, GroupName=g)[0] == "NoSuchEntity"


# ---- access keys --------------------------------------------------------------------------


def test_access_keys(d, iam):
    iam.create_user(UserName="keyed")
    k1 = iam.create_access_key(UserName="keyed")["AccessKey"]
    assert re.fullmatch(r"AKIA[A-Z0-9]{16}", k1["AccessKeyId"]), k1["AccessKeyId"]
    assert len(k1["SecretAccessKey"]) == 40
    assert (k1["UserName"], k1["Status"]) == ("keyed", "Active")
    k2 = iam.create_access_key(UserName="keyed")["AccessKey"]
    code, msg, status = fails(iam.create_access_key, UserName="keyed")
    assert (code, status) == ("LimitExceeded", 409)
    assert "AccessKeysPerUser: 2" in msg
    listed = iam.list_access_keys(UserName="keyed")["AccessKeyMetadata"]
    assert sorted(k["AccessKeyId"] for k in listed) == sorted([k1["AccessKeyId"], k2["AccessKeyId"]])
    assert all("SecretAccessKey" not in k for k in listed)

    # the key works; made Inactive it no longer authenticates; Active again it does
    own = d.client("sts", key=k1["AccessKeyId"], secret=k1["SecretAccessKey"])
    assert own.get_caller_identity()["Arn"] == ARN + "user/keyed"
    iam.update_access_key(UserName="keyed", AccessKeyId=k1["AccessKeyId"], Status="Inactive")
    st = {k["AccessKeyId"]: k["Status"] for k in iam.list_access_keys(UserName="keyed")["AccessKeyMetadata"]}
    assert st[k1["AccessKeyId"]] == "Inactive"
    code, _, status = fails(own.get_caller_identity)
    assert (code, status) == ("InvalidClientTokenId", 403)
    iam.update_access_key(UserName="keyed", AccessKeyId=k1["AccessKeyId"], Status="Active")
    assert own.get_caller_identity()["Account"] == ACCOUNT

    iam.delete_access_key(UserName="keyed", AccessKeyId=k1["AccessKeyId"])
    assert fails(own.get_caller_identity)[0] == "InvalidClientTokenId"
    assert [k["AccessKeyId"] for k in iam.list_access_keys(UserName="keyed")["AccessKeyMetadata"]] == [
        k2["AccessKeyId"]
    ]
    code, msg, status = fails(iam.delete_access_key, UserName="keyed", AccessKeyId=k1["AccessKeyId"])
    assert (code, status) == ("NoSuchEntity", 404)
    assert k1["AccessKeyId"] in msg
    code, _, status = fails(
        iam.update_access_key, UserName="keyed", AccessKeyId="AKIAAAAAAAAAAAAAAAAA", Status="Inactive"
    )
    assert (code, status) == ("NoSuchEntity", 404)


def test_access_key_status_is_validated(iam):
    iam.create_user(UserName="keyed2")
    k = iam.create_access_key(UserName="keyed2")["AccessKey"]
    # botocore does not check enums client-side: the daemon must
    code, msg, status = fails(
        iam.update_access_key, UserName="keyed2", AccessKeyId=k["AccessKeyId"], Status="Paused"
    )
    assert (code, status) == ("ValidationError", 400)
    assert "Member must satisfy enum value set: [Active, Inactive]" in msg
    assert iam.list_access_keys(UserName="keyed2")["AccessKeyMetadata"][0]["Status"] == "Active"


def test_a_user_manages_its_own_keys_without_a_name(d, iam):
    iam.create_user(UserName="selfkey")
    iam.put_user_policy(
        UserName="selfkey",
        PolicyName="own-keys",
        PolicyDocument='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":'
        '["iam:*AccessKey*"],"Resource":"arn:aws:iam::%s:user/${aws:username}"}]}' % ACCOUNT,
    )
    k = iam.create_access_key(UserName="selfkey")["AccessKey"]
    me = d.client("iam", key=k["AccessKeyId"], secret=k["SecretAccessKey"])
    k2 = me.create_access_key()["AccessKey"]
    assert k2["UserName"] == "selfkey"
    assert len(me.list_access_keys()["AccessKeyMetadata"]) == 2
    me.delete_access_key(AccessKeyId=k2["AccessKeyId"])
    assert len(iam.list_access_keys(UserName="selfkey")["AccessKeyMetadata"]) == 1
    # but not somebody else's
    code, msg, status = fails(me.list_access_keys, UserName="keyed2")
    assert (code, status) == ("AccessDenied", 403)
    assert "iam:ListAccessKeys on resource: " + ARN + "user/keyed2" in msg


# ---- login profiles -----------------------------------------------------------------------


def test_login_profile(iam):
    iam.create_user(UserName="console")
    lp = iam.create_login_profile(UserName="console", Password="Correct-Horse-9", PasswordResetRequired=True)[
        "LoginProfile"
    ]
    assert lp["UserName"] == "console"
    assert lp["PasswordResetRequired"] is True
    assert "Password" not in lp and "PasswordHash" not in lp
    got = iam.get_login_profile(UserName="console")["LoginProfile"]
    assert got["UserName"] == "console" and "PasswordHash" not in got
    code, _, status = fails(iam.create_login_profile, UserName="console", Password="Another-Pass-1")
    assert (code, status) == ("EntityAlreadyExists", 409)
    iam.update_login_profile(UserName="console", Password="Battery-Staple-7", PasswordResetRequired=False)
    assert iam.get_login_profile(UserName="console")["LoginProfile"]["PasswordResetRequired"] is False
    iam.delete_login_profile(UserName="console")
    code, _, status = fails(iam.get_login_profile, UserName="console")
    assert (code, status) == ("NoSuchEntity", 404)
    assert fails(iam.delete_login_profile, UserName="console")[0] == "NoSuchEntity"


def test_weak_password_is_refused_and_creates_nothing(iam):
    iam.create_user(UserName="weakpw")
    code, _, status = fails(iam.create_login_profile, UserName="weakpw", Password="short")
    assert (code, status) == ("PasswordPolicyViolation", 400)
    assert fails(iam.get_login_profile, UserName="weakpw")[0] == "NoSuchEntity"


# ---- paging -------------------------------------------------------------------------------


def test_list_users_pages_with_marker(iam):
    names = ["pg%d" % i for i in range(5)]
    for n in names:
        iam.create_user(UserName=n, Path="/paged/")
    seen, marker, pages = [], None, 0
    while True:
        kw = {"PathPrefix": "/paged/", "MaxItems": 2}
        if marker:
            kw["Marker"] = marker
        r = iam.list_users(**kw)
        pages += 1
        assert len(r["Users"]) <= 2
        seen += [u["UserName"] for u in r["Users"]]
        if not r["IsTruncated"]:
            assert "Marker" not in r
            break
        assert r["Marker"]
        marker = r["Marker"]
    assert pages == 3
    assert sorted(seen) == names
    # boto3's paginator follows the same markers
    pag = iam.get_paginator("list_users").paginate(PathPrefix="/paged/", PaginationConfig={"PageSize": 3})
    sizes = [len(p["Users"]) for p in pag]
    assert sizes == [3, 2]


def test_get_group_and_groups_for_user_page(iam):
    iam.create_user(UserName="pgm")
    for i in range(3):
        iam.create_group(GroupName="pgg%d" % i, Path="/pgg/")
        iam.add_user_to_group(GroupName="pgg%d" % i, UserName="pgm")
        iam.create_user(UserName="pgu%d" % i)
        iam.add_user_to_group(GroupName="pgg0", UserName="pgu%d" % i)
    r = iam.list_groups_for_user(UserName="pgm", MaxItems=2)
    assert (len(r["Groups"]), r["IsTruncated"]) == (2, True)
    r2 = iam.list_groups_for_user(UserName="pgm", MaxItems=2, Marker=r["Marker"])
    assert (len(r2["Groups"]), r2["IsTruncated"]) == (1, False)
    assert sorted(g["GroupName"] for g in r["Groups"] + r2["Groups"]) == ["pgg0", "pgg1", "pgg2"]
    r = iam.get_group(GroupName="pgg0", MaxItems=3)
    assert (len(r["Users"]), r["IsTruncated"]) == (3, True)
    r2 = iam.get_group(GroupName="pgg0", MaxItems=3, Marker=r["Marker"])
    assert (len(r2["Users"]), r2["IsTruncated"]) == (1, False)
    assert sorted(u["UserName"] for u in r["Users"] + r2["Users"]) == ["pgm", "pgu0", "pgu1", "pgu2"]
    r = iam.list_groups(PathPrefix="/pgg/", MaxItems=1)
    assert (len(r["Groups"]), r["IsTruncated"]) == (1, True)


def test_list_access_keys_pages(iam):
    iam.create_user(UserName="pgk")
    iam.create_access_key(UserName="pgk")
    iam.create_access_key(UserName="pgk")
    r = iam.list_access_keys(UserName="pgk", MaxItems=1)
    assert (len(r["AccessKeyMetadata"]), r["IsTruncated"]) == (1, True)
    r2 = iam.list_access_keys(UserName="pgk", MaxItems=1, Marker=r["Marker"])
    assert (len(r2["AccessKeyMetadata"]), r2["IsTruncated"]) == (1, False)
    assert r["AccessKeyMetadata"][0]["AccessKeyId"] != r2["AccessKeyMetadata"][0]["AccessKeyId"]


def test_max_items_out_of_range_is_a_validation_error(d):
    r = awsraw.query_call(
        d, "iam", {"Action": "ListUsers", "Version": "2010-05-08", "MaxItems": "0"}
    )
    assert r.status == 400
    code, msg = r.error()
    assert code == "ValidationError"
    assert "at 'maxItems' failed to satisfy constraint: Member must have value greater than or equal to 1" in msg


# ---- the CLIs -----------------------------------------------------------------------------


@pytest.mark.parametrize("cli", CLIS)
def test_users_and_groups_from_the_cli(d, cli):
    tag = "v2" if cli == "/usr/bin/aws" else "v1"
    u, g = "cli-user-" + tag, "cli-group-" + tag
    r = d.aws("iam", "create-user", "--user-name", u, "--path", "/cli/", cli=cli, check=True)
    assert r.json["User"]["Arn"] == ARN + "user/cli/" + u
    d.aws("iam", "create-group", "--group-name", g, cli=cli, check=True)
    d.aws("iam", "add-user-to-group", "--group-name", g, "--user-name", u, cli=cli, check=True)
    r = d.aws("iam", "get-group", "--group-name", g, cli=cli, check=True)
    assert [x["UserName"] for x in r.json["Users"]] == [u]
    r = d.aws("iam", "create-user", "--user-name", u.upper(), cli=cli)
    assert r.returncode != 0
    assert "EntityAlreadyExists" in r.stderr
    r = d.aws("iam", "get-user", "--user-name", "nobody-" + tag, cli=cli)
    assert r.returncode != 0
    assert "(NoSuchEntity)" in r.stderr and "cannot be found" in r.stderr


# ---- GetAccessKeyLastUsed ----------------------------------------------------------------


def test_access_key_last_used_of_a_fresh_key(iam):
    iam.create_user(UserName="lastused")
    k = iam.create_access_key(UserName="lastused")["AccessKey"]
    r = iam.get_access_key_last_used(AccessKeyId=k["AccessKeyId"])
    assert r["UserName"] == "lastused"
    assert (r["AccessKeyLastUsed"]["ServiceName"], r["AccessKeyLastUsed"]["Region"]) == ("N/A", "N/A")
    code, _, status = fails(iam.get_access_key_last_used, AccessKeyId="AKIAAAAAAAAAAAAAAAAA")
    assert (code, status) == ("NoSuchEntity", 404)


def test_access_key_last_used_records_a_use(d, iam):
    iam.create_user(UserName="lastused2")
    k = iam.create_access_key(UserName="lastused2")["AccessKey"]
    before = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=5)
    d.client("sts", key=k["AccessKeyId"], secret=k["SecretAccessKey"]).get_caller_identity()
    used = iam.get_access_key_last_used(AccessKeyId=k["AccessKeyId"])["AccessKeyLastUsed"]
    assert (used["ServiceName"], used["Region"]) == ("sts", "us-east-1")
    assert used["LastUsedDate"] >= before


def test_access_key_last_used_is_the_latest_use(d, iam):
    """Uses inside the same minute reach the store once, yet the latest is reported."""
    iam.create_user(UserName="lastused3")
    k = iam.create_access_key(UserName="lastused3")["AccessKey"]
    kw = {"key": k["AccessKeyId"], "secret": k["SecretAccessKey"]}
    d.client("sts", **kw).get_caller_identity()
    fails(d.client("ssm", **kw).list_documents)  # refused, but the key did authenticate
    used = iam.get_access_key_last_used(AccessKeyId=k["AccessKeyId"])["AccessKeyLastUsed"]
    assert used["ServiceName"] == "ssm"


def test_access_key_last_used_survives_a_restart(fresh_daemon, tmp_path):
    data = str(tmp_path / "data")
    first = fresh_daemon(data_dir=data)
    iam = first.client("iam")
    iam.create_user(UserName="remembered")
    k = iam.create_access_key(UserName="remembered")["AccessKey"]
    first.client("sts", key=k["AccessKeyId"], secret=k["SecretAccessKey"]).get_caller_identity()
    fails(first.client("ssm", key=k["AccessKeyId"], secret=k["SecretAccessKey"]).list_documents)
    assert first.stop() == 0
    later = fresh_daemon(data_dir=data)
    used = later.client("iam").get_access_key_last_used(AccessKeyId=k["AccessKeyId"])["AccessKeyLastUsed"]
    assert (used["ServiceName"], used["Region"]) == ("ssm", "us-east-1")
    assert "LastUsedDate" in used


def test_unused_access_key_has_no_last_used_date(iam):
    iam.create_user(UserName="neverused")
    k = iam.create_access_key(UserName="neverused")["AccessKey"]
    r = iam.get_access_key_last_used(AccessKeyId=k["AccessKeyId"])["AccessKeyLastUsed"]
    assert "LastUsedDate" not in r
