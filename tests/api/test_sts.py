"""STS: AssumeRole against trust policies and the caller's identity policies, the session
it yields (its identity, its permissions = the role's policies narrowed by session
policies, its duration, its death with the role or by expiry), GetSessionToken and
DecodeAuthorizationMessage; from boto3 and both AWS CLIs.
"""

import base64
import datetime
import json
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


def doc(*stmts):
    return json.dumps({"Version": "2012-10-17", "Statement": list(stmts)})


def allow(action, resource="*", **extra):
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def trust(principal, **extra):
    return doc({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole", **extra})


def make_user(iam, name, *statements):
    iam.create_user(UserName=name)
    if statements:
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=doc(*statements))
    k = iam.create_access_key(UserName=name)["AccessKey"]
    return {"key": k["AccessKeyId"], "secret": k["SecretAccessKey"]}


def make_role(iam, name, trust_doc, *statements, **kw):
    r = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust_doc, **kw)["Role"]
    if statements:
        iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=doc(*statements))
    return r


def session(d, creds):
    c = creds["Credentials"]
    return {"key": c["AccessKeyId"], "secret": c["SecretAccessKey"], "token": c["SessionToken"]}


def refused_message(who, role_arn):
    return "User: %s is not authorized to perform: sts:AssumeRole on resource: %s" % (who, role_arn)


# ---- AssumeRole: who may ------------------------------------------------------------------


@pytest.mark.parametrize("form", ["root-arn", "account-id"])
def test_account_trust_needs_identity_permission(d, iam, form):
    principal = {"AWS": ARN + "root" if form == "root-arn" else ACCOUNT}
    role = make_role(iam, "Acct-" + form, trust(principal), allow("iam:ListRoles"))
    who = make_user(iam, "acct-" + form)
    sts = d.client("sts", **who)
    code, msg, status = fails(sts.assume_role, RoleArn=role["Arn"], RoleSessionName="s1")
    assert (code, status) == ("AccessDenied", 403)
    assert msg.startswith(refused_message(ARN + "user/acct-" + form, role["Arn"])), msg

    iam.put_user_policy(UserName="acct-" + form, PolicyName="assume", PolicyDocument=doc(allow("sts:AssumeRole", role["Arn"])))
    before = datetime.datetime.now(datetime.timezone.utc)
    r = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="s1")
    c = r["Credentials"]
    assert re.fullmatch(r"ASIA[A-Z0-9]{16}", c["AccessKeyId"]), c["AccessKeyId"]
    assert len(c["SecretAccessKey"]) == 40 and len(c["SessionToken"]) > 40
    left = (c["Expiration"] - before).total_seconds()
    assert 3500 < left < 3700, left  # the default is one hour
    assert r["AssumedRoleUser"] == {
        "Arn": "arn:aws:sts::%s:assumed-role/Acct-%s/s1" % (ACCOUNT, form),
        "AssumedRoleId": role["RoleId"] + ":s1",
    }


def test_trust_naming_the_user_needs_no_identity_permission(d, iam):
    who = make_user(iam, "named")
    role = make_role(iam, "NamesUser", trust({"AWS": ARN + "user/named"}), allow("iam:ListRoles"))
    r = d.client("sts", **who).assume_role(RoleArn=role["Arn"], RoleSessionName="direct")
    assert r["AssumedRoleUser"]["Arn"] == "arn:aws:sts::%s:assumed-role/NamesUser/direct" % ACCOUNT


def test_trust_naming_the_user_with_identity_permission(d, iam):
    who = make_user(iam, "named2", allow("sts:AssumeRole"))
    role = make_role(iam, "NamesUser2", trust({"AWS": ARN + "user/named2"}))
    r = d.client("sts", **who).assume_role(RoleArn=role["Arn"], RoleSessionName="direct")
    assert r["AssumedRoleUser"]["AssumedRoleId"] == role["RoleId"] + ":direct"


def test_explicit_deny_beats_a_trust_policy_naming_the_user(d, iam):
    who = make_user(iam, "denied-assumer", {"Effect": "Deny", "Action": "sts:AssumeRole", "Resource": "*"})
    role = make_role(iam, "NamesDenied", trust({"AWS": ARN + "user/denied-assumer"}))
    code, msg, status = fails(d.client("sts", **who).assume_role, RoleArn=role["Arn"], RoleSessionName="x1")
    assert (code, status) == ("AccessDenied", 403)
    assert msg.startswith(refused_message(ARN + "user/denied-assumer", role["Arn"]))


def test_trust_naming_someone_else_is_refused(d, iam):
    who = make_user(iam, "outsider", allow("sts:AssumeRole"))
    iam.create_user(UserName="insider")
    role = make_role(iam, "ForInsider", trust({"AWS": ARN + "user/insider"}))
    code, msg, status = fails(d.client("sts", **who).assume_role, RoleArn=role["Arn"], RoleSessionName="x1")
    assert (code, status) == ("AccessDenied", 403)
    assert msg.startswith(refused_message(ARN + "user/outsider", role["Arn"]))


def test_service_role_cannot_be_assumed_by_a_user(d, iam):
    who = make_user(iam, "not-a-service", allow("sts:AssumeRole"))
    role = make_role(iam, "SCLaunch", trust({"Service": "servicecatalog.amazonaws.com"}))
    code, msg, status = fails(d.client("sts", **who).assume_role, RoleArn=role["Arn"], RoleSessionName="x1")
    assert (code, status) == ("AccessDenied", 403)
    assert msg.startswith(refused_message(ARN + "user/not-a-service", role["Arn"]))


def test_missing_role_is_access_denied_not_no_such_entity(d, iam):
    who = make_user(iam, "seeker", allow("sts:AssumeRole"))
    ghost = ARN + "role/NoSuchRole"
    code, msg, status = fails(d.client("sts", **who).assume_role, RoleArn=ghost, RoleSessionName="x1")
    assert (code, status) == ("AccessDenied", 403)
    assert msg.startswith(refused_message(ARN + "user/seeker", ghost))


def test_root_cannot_assume_a_role(d, iam):
    role = make_role(iam, "NotForRoot", trust({"AWS": ARN + "root"}))
    code, _, status = fails(d.client("sts").assume_role, RoleArn=role["Arn"], RoleSessionName="r1")
    assert (code, status) == ("AccessDenied", 403)


def test_trust_condition_on_external_id(d, iam):
    who = make_user(iam, "ext", allow("sts:AssumeRole"))
    role = make_role(
        iam, "WithExtId", trust({"AWS": ARN + "root"}, Condition={"StringEquals": {"sts:ExternalId": "s3cr3t-42"}})
    )
    sts = d.client("sts", **who)
    assert fails(sts.assume_role, RoleArn=role["Arn"], RoleSessionName="e1")[0] == "AccessDenied"
    assert fails(sts.assume_role, RoleArn=role["Arn"], RoleSessionName="e1", ExternalId="wrong-id")[0] == "AccessDenied"
    r = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="e1", ExternalId="s3cr3t-42")
    assert r["AssumedRoleUser"]["Arn"].endswith(":assumed-role/WithExtId/e1")


def test_identity_permission_to_assume_may_carry_conditions(d, iam):
    who = make_user(
        iam, "cond-assumer", allow("sts:AssumeRole", Condition={"IpAddress": {"aws:SourceIp": "127.0.0.1/32"}})
    )
    role = make_role(iam, "CondTarget", trust({"AWS": ARN + "root"}))
    r = d.client("sts", **who).assume_role(RoleArn=role["Arn"], RoleSessionName="c1")
    assert r["AssumedRoleUser"]["Arn"].endswith(":assumed-role/CondTarget/c1")


def test_trust_naming_the_user_among_others_needs_no_identity_permission(d, iam):
    """Naming the user is what counts, even beside its account."""
    who = make_user(iam, "named3")
    role = make_role(iam, "NamesUser3", trust({"AWS": [ARN + "root", ARN + "user/named3"]}))
    r = d.client("sts", **who).assume_role(RoleArn=role["Arn"], RoleSessionName="direct")
    assert r["AssumedRoleUser"]["Arn"].endswith(":assumed-role/NamesUser3/direct")


def test_trust_naming_a_role_does_not_spare_its_sessions_the_identity_permission(d, iam):
    """A trust policy naming a role grants its sessions nothing on its own (the role's
    policies must allow sts:AssumeRole); naming one session's ARN does."""
    who = make_user(iam, "hopper", allow("sts:AssumeRole"))
    first = make_role(iam, "HopFirst", trust({"AWS": ARN + "root"}), allow("iam:ListRoles"))
    s = session(d, d.client("sts", **who).assume_role(RoleArn=first["Arn"], RoleSessionName="hop"))
    by_role = make_role(iam, "HopByRole", trust({"AWS": first["Arn"]}))
    code, msg, _ = fails(d.client("sts", **s).assume_role, RoleArn=by_role["Arn"], RoleSessionName="x1")
    assert code == "AccessDenied"
    assert msg.startswith(refused_message("arn:aws:sts::%s:assumed-role/HopFirst/hop" % ACCOUNT, by_role["Arn"]))
    by_session = make_role(iam, "HopBySession", trust({"AWS": "arn:aws:sts::%s:assumed-role/HopFirst/hop" % ACCOUNT}))
    r = d.client("sts", **s).assume_role(RoleArn=by_session["Arn"], RoleSessionName="x2")
    assert r["AssumedRoleUser"]["Arn"].endswith(":assumed-role/HopBySession/x2")


def test_trust_policy_conditions_see_the_request_context(d, iam):
    who = make_user(iam, "from-localhost", allow("sts:AssumeRole"))
    here = make_role(
        iam, "FromHere", trust({"AWS": ARN + "root"}, Condition={"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}})
    )
    elsewhere = make_role(
        iam, "FromElsewhere", trust({"AWS": ARN + "root"}, Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})
    )
    sts = d.client("sts", **who)
    assert sts.assume_role(RoleArn=here["Arn"], RoleSessionName="c1")["AssumedRoleUser"]
    assert fails(sts.assume_role, RoleArn=elsewhere["Arn"], RoleSessionName="c2")[0] == "AccessDenied"


def test_identity_conditions_that_fail_refuse(d, iam):
    who = make_user(
        iam, "cond-assumer2", allow("sts:AssumeRole", Condition={"StringEquals": {"aws:username": "somebody-else"}})
    )
    role = make_role(iam, "CondTarget2", trust({"AWS": ARN + "root"}))
    code, _, _ = fails(d.client("sts", **who).assume_role, RoleArn=role["Arn"], RoleSessionName="c1")
    assert code == "AccessDenied"


def test_request_validation(d, iam):
    who = make_user(iam, "validator", allow("sts:AssumeRole"))
    role = make_role(iam, "Validated", trust({"AWS": ARN + "root"}))
    r = awsraw.query_call(
        d,
        "sts",
        {"Action": "AssumeRole", "Version": "2011-06-15", "RoleArn": role["Arn"], "RoleSessionName": "bad name!"},
        key=who["key"],
        secret=who["secret"],
    )
    assert r.status == 400
    code, msg = r.error()
    assert code == "ValidationError"
    assert "roleSessionName" in msg


# ---- the session --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def reader(d, iam):
    """A user allowed iam:ListUsers and iam:ListGroups and to assume Reader, a role allowed
    only iam:ListRoles and iam:ListUsers."""
    creds = make_user(iam, "reader-user", allow(["iam:ListUsers", "iam:ListGroups", "sts:AssumeRole"]))
    role = make_role(iam, "Reader", trust({"AWS": ARN + "root"}), allow(["iam:ListRoles", "iam:ListUsers"]))
    return creds, role


def test_session_identity(d, reader):
    creds, role = reader
    s = session(d, d.client("sts", **creds).assume_role(RoleArn=role["Arn"], RoleSessionName="who-am-i"))
    me = d.client("sts", **s).get_caller_identity()
    assert me["Arn"] == "arn:aws:sts::%s:assumed-role/Reader/who-am-i" % ACCOUNT
    assert me["UserId"] == role["RoleId"] + ":who-am-i"
    assert re.fullmatch(r"AROA[A-Z0-9]{17}:who-am-i", me["UserId"])
    assert me["Account"] == ACCOUNT


def test_session_has_the_roles_permissions_not_the_users(d, reader):
    creds, role = reader
    s = session(d, d.client("sts", **creds).assume_role(RoleArn=role["Arn"], RoleSessionName="limited"))
    sess = d.client("iam", **s)
    assert any(r["RoleName"] == "Reader" for r in sess.list_roles()["Roles"])  # the role's
    assert "Users" in sess.list_users()  # both have it
    code, msg, status = fails(sess.list_groups)  # the user's only
    assert (code, status) == ("AccessDenied", 403)
    assert msg == (
        "User: arn:aws:sts::%s:assumed-role/Reader/limited is not authorized to perform: iam:ListGroups "
        "on resource: %sgroup/ because no identity-based policy allows the iam:ListGroups action" % (ACCOUNT, ARN)
    )
    # and the user itself still cannot list roles
    assert fails(d.client("iam", **creds).list_roles)[0] == "AccessDenied"


def test_inline_session_policy_narrows_the_session(d, reader):
    creds, role = reader
    pol = doc(allow(["iam:ListRoles", "iam:ListGroups"]))  # ListGroups: the role lacks it anyway
    r = d.client("sts", **creds).assume_role(RoleArn=role["Arn"], RoleSessionName="narrow", Policy=pol)
    assert isinstance(r.get("PackedPolicySize"), int)
    sess = d.client("iam", **session(d, r))
    assert "Roles" in sess.list_roles()
    code, msg, status = fails(sess.list_users)
    assert (code, status) == ("AccessDenied", 403)
    assert msg.startswith(
        "User: arn:aws:sts::%s:assumed-role/Reader/narrow is not authorized to perform: iam:ListUsers" % ACCOUNT
    )
    assert msg.endswith("because no session policy allows the iam:ListUsers action"), msg
    # a session policy never widens what the role may do
    code, msg, _ = fails(sess.list_groups)
    assert code == "AccessDenied"
    assert msg.endswith("because no identity-based policy allows the iam:ListGroups action"), msg


def test_managed_session_policy_narrows_the_session(d, iam, reader):
    creds, role = reader
    arn = iam.create_policy(PolicyName="OnlyListUsers", PolicyDocument=doc(allow("iam:ListUsers")))["Policy"]["Arn"]
    r = d.client("sts", **creds).assume_role(RoleArn=role["Arn"], RoleSessionName="narrow2", PolicyArns=[{"arn": arn}])
    sess = d.client("iam", **session(d, r))
    assert "Users" in sess.list_users()
    assert fails(sess.list_roles)[0] == "AccessDenied"


def test_inline_and_managed_session_policies_combine(d, iam, reader):
    """Inline and managed session policies together form the session policy: an action
    either of them allows (and the role allows) is allowed."""
    creds, role = reader
    arn = iam.create_policy(PolicyName="SessListUsers", PolicyDocument=doc(allow("iam:ListUsers")))["Policy"]["Arn"]
    r = d.client("sts", **creds).assume_role(
        RoleArn=role["Arn"], RoleSessionName="both", Policy=doc(allow("iam:ListRoles")), PolicyArns=[{"arn": arn}]
    )
    sess = d.client("iam", **session(d, r))
    assert "Roles" in sess.list_roles()
    assert "Users" in sess.list_users()
    assert fails(sess.list_groups)[0] == "AccessDenied"


def test_updated_trust_policy_takes_effect(d, iam):
    who = make_user(iam, "trust-flip", allow("sts:AssumeRole"))
    role = make_role(iam, "Flipped", trust({"AWS": ARN + "root"}))
    sts = d.client("sts", **who)
    assert sts.assume_role(RoleArn=role["Arn"], RoleSessionName="f1")["AssumedRoleUser"]
    iam.update_assume_role_policy(RoleName="Flipped", PolicyDocument=trust({"Service": "ssm.amazonaws.com"}))
    assert fails(sts.assume_role, RoleArn=role["Arn"], RoleSessionName="f2")[0] == "AccessDenied"


def test_session_policy_deny_is_explicit(d, reader):
    creds, role = reader
    pol = doc(allow("iam:*"), {"Effect": "Deny", "Action": "iam:ListUsers", "Resource": "*"})
    r = d.client("sts", **creds).assume_role(RoleArn=role["Arn"], RoleSessionName="denyer", Policy=pol)
    code, msg, _ = fails(d.client("iam", **session(d, r)).list_users)
    assert code == "AccessDenied"
    assert msg.endswith("with an explicit deny in a session policy"), msg


def test_malformed_session_policy(d, reader):
    creds, role = reader
    code, _, status = fails(
        d.client("sts", **creds).assume_role, RoleArn=role["Arn"], RoleSessionName="bad", Policy="{not json"
    )
    assert (code, status) == ("MalformedPolicyDocument", 400)


def test_duration_is_capped_by_max_session_duration(d, iam):
    who = make_user(iam, "long-sessions", allow("sts:AssumeRole"))
    role = make_role(iam, "Hourly", trust({"AWS": ARN + "root"}))
    sts = d.client("sts", **who)
    code, msg, status = fails(sts.assume_role, RoleArn=role["Arn"], RoleSessionName="l1", DurationSeconds=7200)
    assert (code, status) == ("ValidationError", 400)
    assert msg == "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
    iam.update_role(RoleName="Hourly", MaxSessionDuration=7200)
    before = datetime.datetime.now(datetime.timezone.utc)
    c = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="l1", DurationSeconds=7200)["Credentials"]
    assert 7100 < (c["Expiration"] - before).total_seconds() < 7300
    c = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="l1", DurationSeconds=900)["Credentials"]
    assert 800 < (c["Expiration"] - before).total_seconds() < 1000


def test_role_chaining(d, iam):
    who = make_user(iam, "chainer", allow("sts:AssumeRole"))
    first = make_role(iam, "ChainFirst", trust({"AWS": ARN + "root"}), allow("sts:AssumeRole"), MaxSessionDuration=43200)
    second = make_role(iam, "ChainSecond", trust({"AWS": ARN + "root"}), Path="/chain/", MaxSessionDuration=43200)
    s = session(d, d.client("sts", **who).assume_role(RoleArn=first["Arn"], RoleSessionName="hop1"))
    r = d.client("sts", **s).assume_role(RoleArn=second["Arn"], RoleSessionName="hop2")
    assert r["AssumedRoleUser"]["Arn"] == "arn:aws:sts::%s:assumed-role/ChainSecond/hop2" % ACCOUNT
    # the role's ARN carries its path: without it there is no such role
    code, _, _ = fails(d.client("sts", **who).assume_role, RoleArn=ARN + "role/ChainSecond", RoleSessionName="x1")
    assert code == "AccessDenied"


def test_role_chaining_is_capped_at_one_hour(d, iam):
    who = make_user(iam, "chainer2", allow("sts:AssumeRole"))
    first = make_role(iam, "Chain2First", trust({"AWS": ARN + "root"}), allow("sts:AssumeRole"), MaxSessionDuration=43200)
    second = make_role(iam, "Chain2Second", trust({"AWS": ARN + "root"}), MaxSessionDuration=43200)
    s = session(d, d.client("sts", **who).assume_role(RoleArn=first["Arn"], RoleSessionName="hop1"))
    code, msg, status = fails(
        d.client("sts", **s).assume_role, RoleArn=second["Arn"], RoleSessionName="hop2", DurationSeconds=7200
    )
    assert (code, status) == ("ValidationError", 400)
    assert "role chaining" in msg


@pytest.mark.parametrize("cli", CLIS)
def test_session_credentials_from_the_cli(d, reader, cli):
    creds, role = reader
    r = d.aws(
        "sts", "assume-role", "--role-arn", role["Arn"], "--role-session-name", "cli-sess",
        cli=cli, key=creds["key"], secret=creds["secret"], check=True,
    )
    c = r.json["Credentials"]
    kw = {"key": c["AccessKeyId"], "secret": c["SecretAccessKey"], "token": c["SessionToken"]}
    r = d.aws("sts", "get-caller-identity", cli=cli, check=True, **kw)
    assert r.json["Arn"] == "arn:aws:sts::%s:assumed-role/Reader/cli-sess" % ACCOUNT
    r = d.aws("iam", "list-roles", cli=cli, check=True, **kw)
    assert any(x["RoleName"] == "Reader" for x in r.json["Roles"])
    r = d.aws("iam", "list-groups", cli=cli, **kw)
    assert r.returncode != 0
    assert "(AccessDenied)" in r.stderr
    assert "assumed-role/Reader/cli-sess is not authorized to perform: iam:ListGroups" in r.stderr
    # without the token the session key is not a key at all
    r = d.aws("sts", "get-caller-identity", cli=cli, key=c["AccessKeyId"], secret=c["SecretAccessKey"])
    assert r.returncode != 0 and "InvalidClientTokenId" in r.stderr


def test_deleting_the_role_kills_its_sessions(d, iam):
    who = make_user(iam, "orphan-maker", allow("sts:AssumeRole"))
    role = make_role(iam, "Doomed", trust({"AWS": ARN + "root"}), allow("iam:ListRoles"))
    s = session(d, d.client("sts", **who).assume_role(RoleArn=role["Arn"], RoleSessionName="doomed"))
    sts = d.client("sts", **s)
    assert sts.get_caller_identity()["Arn"].endswith("assumed-role/Doomed/doomed")
    iam.delete_role_policy(RoleName="Doomed", PolicyName="p")
    iam.delete_role(RoleName="Doomed")
    code, msg, status = fails(sts.get_caller_identity)
    assert (code, status) == ("InvalidClientTokenId", 403)
    assert msg == "The security token included in the request is invalid."
    assert fails(d.client("iam", **s).list_roles)[0] == "InvalidClientTokenId"
    # a new role of the same name does not bring the old sessions back
    make_role(iam, "Doomed", trust({"AWS": ARN + "root"}), allow("iam:ListRoles"))
    assert fails(sts.get_caller_identity)[0] == "InvalidClientTokenId"


def test_expired_session(fresh_daemon, tmp_path):
    """A 900-second session, then the daemon restarted with its clock 16 minutes ahead."""
    data = str(tmp_path / "data")
    first = fresh_daemon(data_dir=data)
    iam = first.client("iam")
    who = make_user(iam, "shortlived", allow(["sts:AssumeRole", "iam:ListRoles", "ssm:ListDocuments"]))
    role = make_role(iam, "Brief", trust({"AWS": ARN + "root"}), allow(["iam:ListRoles", "ssm:ListDocuments"]))
    s = session(first, first.client("sts", **who).assume_role(RoleArn=role["Arn"], RoleSessionName="brief", DurationSeconds=900))
    assert "Roles" in first.client("iam", **s).list_roles()
    assert first.stop() == 0

    offset_s = 16 * 60
    later = fresh_daemon(data_dir=data, env={"CATALOGD_CLOCK_OFFSET_MS": str(offset_s * 1000)})
    when = awsraw.utcnow() + datetime.timedelta(seconds=offset_s)  # sign in the daemon's time
    # the long-term keys still work at that time: the clock moved, nothing else
    ok = awsraw.query_call(later, "sts", awsraw.gci_params(), key=who["key"], secret=who["secret"], when=when)
    assert ok.status == 200, ok
    q = awsraw.query_call(later, "sts", awsraw.gci_params(), key=s["key"], secret=s["secret"], token=s["token"], when=when)
    assert q.error()[0] == "ExpiredToken", q
    assert "expired" in q.error()[1]
    j = awsraw.json_call(later, "ssm", "ListDocuments", {}, key=s["key"], secret=s["secret"], token=s["token"], when=when)
    assert (j.status, j.error()[0]) == (400, "ExpiredTokenException"), j
    assert later.stop() == 0

    # a day on, the next session made purges the expired one: its key is simply unknown now
    offset_s = 25 * 3600
    day_on = fresh_daemon(data_dir=data, env={"CATALOGD_CLOCK_OFFSET_MS": str(offset_s * 1000)})
    when = awsraw.utcnow() + datetime.timedelta(seconds=offset_s)
    q = awsraw.query_call(day_on, "sts", awsraw.gci_params(), key=s["key"], secret=s["secret"], token=s["token"],
                          when=when)
    assert q.error()[0] == "ExpiredToken", q  # still known until a session is made
    assume = {"Action": "AssumeRole", "Version": "2011-06-15", "RoleArn": role["Arn"], "RoleSessionName": "next"}
    r = awsraw.query_call(day_on, "sts", assume, key=who["key"], secret=who["secret"], when=when)
    assert r.status == 200, r
    q = awsraw.query_call(day_on, "sts", awsraw.gci_params(), key=s["key"], secret=s["secret"], token=s["token"],
                          when=when)
    assert q.error()[0] == "InvalidClientTokenId", q


# ---- GetSessionToken ----------------------------------------------------------------------


def test_get_session_token_for_a_user(d, iam):
    who = make_user(iam, "gst-user", allow(["sts:GetSessionToken", "ssm:ListDocuments"]))
    before = datetime.datetime.now(datetime.timezone.utc)
    c = d.client("sts", **who).get_session_token()["Credentials"]
    assert c["AccessKeyId"].startswith("ASIA")
    assert 43000 < (c["Expiration"] - before).total_seconds() < 43400  # 12 hours for users
    s = {"key": c["AccessKeyId"], "secret": c["SecretAccessKey"], "token": c["SessionToken"]}
    me = d.client("sts", **s).get_caller_identity()
    assert me["Arn"] == ARN + "user/gst-user"
    # the user's permissions, no more
    assert isinstance(d.client("ssm", **s).list_documents()["DocumentIdentifiers"], list)
    code, _, status = fails(d.client("servicecatalog", **s).list_portfolios)
    assert (code, status) == ("AccessDeniedException", 400)
    c = d.client("sts", **who).get_session_token(DurationSeconds=900)["Credentials"]
    assert 800 < (c["Expiration"] - before).total_seconds() < 1000


def test_get_session_token_for_root_is_capped_at_an_hour(d):
    before = datetime.datetime.now(datetime.timezone.utc)
    c = d.client("sts").get_session_token(DurationSeconds=7200)["Credentials"]
    assert (c["Expiration"] - before).total_seconds() < 3700
    s = d.client("sts", key=c["AccessKeyId"], secret=c["SecretAccessKey"], token=c["SessionToken"])
    assert s.get_caller_identity()["Arn"] == "arn:aws:iam::%s:root" % ACCOUNT


def test_role_session_cannot_get_a_session_token(d, reader):
    creds, role = reader
    s = session(d, d.client("sts", **creds).assume_role(RoleArn=role["Arn"], RoleSessionName="nogst"))
    code, _, status = fails(d.client("sts", **s).get_session_token)
    assert (code, status) == ("AccessDenied", 403)


def test_get_session_token_needs_no_permission(d, iam):
    who = make_user(iam, "gst-bare")
    c = d.client("sts", **who).get_session_token()["Credentials"]
    assert c["AccessKeyId"].startswith("ASIA")


def test_get_session_token_wants_long_term_credentials(d, iam):
    who = make_user(iam, "gst-twice", allow("sts:GetSessionToken"))
    c = d.client("sts", **who).get_session_token()["Credentials"]
    s = d.client("sts", key=c["AccessKeyId"], secret=c["SecretAccessKey"], token=c["SessionToken"])
    code, _, _ = fails(s.get_session_token)
    assert code == "AccessDenied"


def test_get_session_token_credentials_cannot_call_iam_without_mfa(d, iam):
    who = make_user(iam, "gst-iam", allow(["sts:GetSessionToken", "iam:ListUsers"]))
    c = d.client("sts", **who).get_session_token()["Credentials"]
    s = d.client("iam", key=c["AccessKeyId"], secret=c["SecretAccessKey"], token=c["SessionToken"])
    code, _, _ = fails(s.list_users)
    assert code in ("AccessDenied", "InvalidClientTokenId")


def test_get_session_token_credentials_may_assume_a_role_but_not_decode(d, iam):
    who = make_user(iam, "gst-assumer", allow(["sts:AssumeRole", "sts:DecodeAuthorizationMessage"]))
    role = make_role(iam, "AfterGst", trust({"AWS": ARN + "root"}), allow("iam:ListRoles"))
    c = d.client("sts", **who).get_session_token()["Credentials"]
    s = d.client("sts", key=c["AccessKeyId"], secret=c["SecretAccessKey"], token=c["SessionToken"])
    assert s.get_caller_identity()["Arn"] == ARN + "user/gst-assumer"
    r = s.assume_role(RoleArn=role["Arn"], RoleSessionName="after-gst")
    assert "Roles" in d.client("iam", **session(d, r)).list_roles()  # a role session may call IAM
    code, _, _ = fails(s.decode_authorization_message, EncodedMessage=base64.b64encode(b"{}").decode())
    assert code == "AccessDenied"


def test_get_session_token_with_an_mfa_code_is_refused(d, iam):
    """catalogd has no MFA devices, so no code can be validated."""
    who = make_user(iam, "gst-mfa")
    code, msg, status = fails(
        d.client("sts", **who).get_session_token, SerialNumber=ARN + "mfa/gst-mfa", TokenCode="123456"
    )
    assert (code, status) == ("AccessDenied", 403)
    assert "MFA" in msg


# ---- DecodeAuthorizationMessage -----------------------------------------------------------


def test_decode_authorization_message_round_trip(d, iam):
    who = make_user(iam, "decoder", allow("sts:DecodeAuthorizationMessage"))
    ec2 = d.client("ec2", **who)
    code, msg, status = fails(ec2.start_instances, InstanceIds=["i-0123456789abcdef0"])
    assert (code, status) == ("UnauthorizedOperation", 403), (code, msg)
    blob = msg.split("Encoded authorization failure message: ", 1)[1]
    decoded = json.loads(d.client("sts", **who).decode_authorization_message(EncodedMessage=blob)["DecodedMessage"])
    assert decoded["allowed"] is False and decoded["explicitDeny"] is False
    assert decoded["context"]["principal"] == ARN + "user/decoder"
    assert decoded["context"]["action"] == "ec2:StartInstances"


def test_decode_authorization_message_shape(d, iam):
    """What the daemon's EC2 denials carry (authz.c) decodes back to itself."""
    payload = {"allowed": False, "explicitDeny": True, "context": {"principal": ARN + "user/x", "action": "ec2:StopInstances", "resource": "*"}}
    blob = base64.b64encode(json.dumps(payload).encode()).decode()
    who = make_user(iam, "decoder2", allow("sts:DecodeAuthorizationMessage"))
    out = d.client("sts", **who).decode_authorization_message(EncodedMessage=blob)["DecodedMessage"]
    assert json.loads(out) == payload
    # decoding is itself an action that needs permission
    nobody = make_user(iam, "decoder3")
    code, msg, status = fails(d.client("sts", **nobody).decode_authorization_message, EncodedMessage=blob)
    assert (code, status) == ("AccessDenied", 403)
    assert "sts:DecodeAuthorizationMessage" in msg


def test_decode_garbage_is_invalid_authorization_message(d):
    code, _, status = fails(d.client("sts").decode_authorization_message, EncodedMessage="not-a-message")
    assert (code, status) == ("InvalidAuthorizationMessageException", 400)
