"""IAM policies through boto3 and both CLIs: customer managed policies and their versions
(CreatePolicyVersion --set-as-default is the console's "Edit policy"), AWS managed
policies, attachments to users/groups/roles, inline policies, roles and their trust
policies, the policy simulator. Documents come back URL-decoded as dicts (botocore
decodes `policyDocumentType`); malformed and oversize documents are refused with AWS's
codes and the refused write changes nothing.
"""

import json
import urllib.parse

import pytest

import awsraw
from conftest import ACCOUNT, CLIS, Daemon
from helpers import fails, serve

ARN = "arn:aws:iam::%s:" % ACCOUNT
AWS_MANAGED = [
    "arn:aws:iam::aws:policy/AdministratorAccess",
    "arn:aws:iam::aws:policy/AWSServiceCatalogAdminFullAccess",
    "arn:aws:iam::aws:policy/AWSServiceCatalogEndUserFullAccess",
    "arn:aws:iam::aws:policy/service-role/AmazonSSMAutomationRole",
]


@pytest.fixture(scope="module")
def d():
    yield from serve(Daemon())


@pytest.fixture(scope="module")
def iam(d):
    return d.client("iam")


def doc(*stmts, version="2012-10-17"):
    d = {"Statement": list(stmts)}
    if version:
        d = {"Version": version, **d}
    return d


def allow(action, resource="*", **extra):
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


S3READ = doc(allow("s3:GetObject"))
TRUST_ACCOUNT = doc({"Effect": "Allow", "Principal": {"AWS": ARN + "root"}, "Action": "sts:AssumeRole"})


def pol_arn(name, path="/"):
    return ARN + "policy" + path + name


# ---- managed policies and versions --------------------------------------------------------

# characters that URL-encoding must carry both ways
TRICKY = doc(
    {
        "Sid": "Tricky1",
        "Effect": "Allow",
        "Action": ["s3:GetObject", "s3:PutObject"],
        "Resource": ["arn:aws:s3:::b/a+b&c=d%20e f?g#h", "arn:aws:s3:::b/caf\u00e9/<x>'\""],
        "Condition": {"StringEquals": {"s3:prefix": ["home/", "a;b,c"]}},
    }
)


def test_create_and_read_policy(iam):
    p = iam.create_policy(
        PolicyName="Tricky", Path="/team/", PolicyDocument=json.dumps(TRICKY, indent=2), Description="d1"
    )["Policy"]
    assert p["Arn"] == pol_arn("Tricky", "/team/")
    assert p["PolicyId"].startswith("ANPA")
    assert (p["DefaultVersionId"], p["AttachmentCount"], p["IsAttachable"]) == ("v1", 0, True)
    assert p["Path"] == "/team/"
    got = iam.get_policy(PolicyArn=p["Arn"])["Policy"]
    assert (got["PolicyName"], got["Description"], got["DefaultVersionId"]) == ("Tricky", "d1", "v1")
    v = iam.get_policy_version(PolicyArn=p["Arn"], VersionId="v1")["PolicyVersion"]
    assert v["Document"] == TRICKY  # decoded to a dict, every character intact
    assert (v["VersionId"], v["IsDefaultVersion"]) == ("v1", True)


def test_policy_document_is_url_encoded_on_the_wire(d, iam):
    iam.create_policy(PolicyName="Wire", PolicyDocument=json.dumps(S3READ))
    r = awsraw.query_call(
        d,
        "iam",
        {"Action": "GetPolicyVersion", "Version": "2010-05-08", "PolicyArn": pol_arn("Wire"), "VersionId": "v1"},
    )
    assert r.status == 200
    text = awsraw.strip_ns(r.xml()).find(".//Document").text
    assert "%22" in text and "{" not in text  # encoded, as IAM sends it
    assert json.loads(urllib.parse.unquote(text)) == S3READ


def test_policy_names_unique_without_regard_to_case_or_path(iam):
    iam.create_policy(PolicyName="Dup", PolicyDocument=json.dumps(S3READ))
    code, msg, status = fails(iam.create_policy, PolicyName="dUP", Path="/other/", PolicyDocument=json.dumps(S3READ))
    assert (code, status) == ("EntityAlreadyExists", 409)
    assert "dUP" in msg
    assert fails(iam.get_policy, PolicyArn=pol_arn("dUP", "/other/"))[0] == "NoSuchEntity"


def test_get_missing_policy(iam):
    arn = pol_arn("Nope")
    code, msg, status = fails(iam.get_policy, PolicyArn=arn)
    assert (code, status) == ("NoSuchEntity", 404)
    assert arn in msg
    assert fails(iam.get_policy_version, PolicyArn=arn, VersionId="v1")[::2] == ("NoSuchEntity", 404)
    assert fails(iam.delete_policy, PolicyArn=arn)[::2] == ("NoSuchEntity", 404)
    assert fails(iam.create_policy_version, PolicyArn=arn, PolicyDocument=json.dumps(S3READ))[::2] == (
        "NoSuchEntity",
        404,
    )


def test_edit_policy_versions(iam):
    arn = iam.create_policy(PolicyName="Edited", PolicyDocument=json.dumps(S3READ))["Policy"]["Arn"]
    v2doc = doc(allow(["s3:GetObject", "s3:ListBucket"]))
    v = iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(v2doc), SetAsDefault=True)["PolicyVersion"]
    assert (v["VersionId"], v["IsDefaultVersion"]) == ("v2", True)
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v2"
    vs = {x["VersionId"]: x["IsDefaultVersion"] for x in iam.list_policy_versions(PolicyArn=arn)["Versions"]}
    assert vs == {"v1": False, "v2": True}
    assert iam.get_policy_version(PolicyArn=arn, VersionId="v2")["PolicyVersion"]["Document"] == v2doc
    # a version not set as default leaves the default alone
    v3 = iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(S3READ))["PolicyVersion"]
    assert (v3["VersionId"], v3["IsDefaultVersion"]) == ("v3", False)
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v2"
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v1")
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v1"
    assert iam.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]["IsDefaultVersion"] is True
    assert iam.get_policy_version(PolicyArn=arn, VersionId="v2")["PolicyVersion"]["IsDefaultVersion"] is False
    code, msg, status = fails(iam.delete_policy_version, PolicyArn=arn, VersionId="v1")
    assert (code, msg, status) == ("DeleteConflict", "Cannot delete the default version of a policy.", 409)
    code, _, status = fails(iam.set_default_policy_version, PolicyArn=arn, VersionId="v9")
    assert (code, status) == ("NoSuchEntity", 404)
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v1"
    iam.delete_policy_version(PolicyArn=arn, VersionId="v3")
    assert fails(iam.get_policy_version, PolicyArn=arn, VersionId="v3")[0] == "NoSuchEntity"


def test_sixth_version_is_limit_exceeded(iam):
    arn = iam.create_policy(PolicyName="Five", PolicyDocument=json.dumps(S3READ))["Policy"]["Arn"]
    for i in range(2, 6):
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(doc(allow("s3:Get%d" % i))))
    code, msg, status = fails(
        iam.create_policy_version, PolicyArn=arn, PolicyDocument=json.dumps(doc(allow("s3:Get6"))), SetAsDefault=True
    )
    assert (code, status) == ("LimitExceeded", 409)
    assert "A managed policy can have up to 5 versions" in msg
    versions = iam.list_policy_versions(PolicyArn=arn)["Versions"]
    assert sorted(v["VersionId"] for v in versions) == ["v1", "v2", "v3", "v4", "v5"]
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v1"
    # numbers are never reused: after deleting v2 the next one is v6
    iam.delete_policy_version(PolicyArn=arn, VersionId="v2")
    v = iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(S3READ))["PolicyVersion"]
    assert v["VersionId"] == "v6"
    r = iam.list_policy_versions(PolicyArn=arn, MaxItems=2)
    assert (len(r["Versions"]), r["IsTruncated"]) == (2, True)
    r2 = iam.list_policy_versions(PolicyArn=arn, MaxItems=10, Marker=r["Marker"])
    assert (len(r2["Versions"]), r2["IsTruncated"]) == (3, False)


def test_delete_policy_conflicts(iam):
    arn = iam.create_policy(PolicyName="Busy", PolicyDocument=json.dumps(S3READ))["Policy"]["Arn"]
    iam.create_user(UserName="busy-user")
    iam.attach_user_policy(UserName="busy-user", PolicyArn=arn)
    code, msg, status = fails(iam.delete_policy, PolicyArn=arn)
    assert (code, msg, status) == ("DeleteConflict", "Cannot delete a policy attached to entities.", 409)
    iam.detach_user_policy(UserName="busy-user", PolicyArn=arn)
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(S3READ))
    code, _, status = fails(iam.delete_policy, PolicyArn=arn)
    assert (code, status) == ("DeleteConflict", 409)
    assert iam.get_policy(PolicyArn=arn)["Policy"]["PolicyName"] == "Busy"
    iam.delete_policy_version(PolicyArn=arn, VersionId="v2")
    iam.delete_policy(PolicyArn=arn)
    assert fails(iam.get_policy, PolicyArn=arn)[0] == "NoSuchEntity"
    # the name is free again
    assert iam.create_policy(PolicyName="busy", PolicyDocument=json.dumps(S3READ))["Policy"]["DefaultVersionId"] == "v1"


def test_aws_managed_policies(iam):
    listed = {p["Arn"] for p in iam.list_policies(Scope="AWS")["Policies"]}
    assert set(AWS_MANAGED) <= listed
    assert all(a.startswith("arn:aws:iam::aws:policy/") for a in listed)
    local = {p["Arn"] for p in iam.list_policies(Scope="Local")["Policies"]}
    assert not (local & set(AWS_MANAGED))
    admin = iam.get_policy(PolicyArn=AWS_MANAGED[0])["Policy"]
    assert admin["PolicyName"] == "AdministratorAccess"
    v = iam.get_policy_version(PolicyArn=AWS_MANAGED[0], VersionId=admin["DefaultVersionId"])["PolicyVersion"]
    assert v["Document"]["Statement"][0]["Action"] == "*"
    ssm = iam.get_policy(PolicyArn=AWS_MANAGED[3])["Policy"]
    assert ssm["Path"] == "/service-role/"
    # AWS's policies are not the account's to change
    status = fails(iam.create_policy_version, PolicyArn=AWS_MANAGED[0], PolicyDocument=json.dumps(S3READ))[2]
    assert 400 <= status < 500
    assert iam.get_policy(PolicyArn=AWS_MANAGED[0])["Policy"]["DefaultVersionId"] == admin["DefaultVersionId"]


def test_list_policies_filters_and_pages(iam):
    for i in range(3):
        iam.create_policy(PolicyName="Lp%d" % i, Path="/lp/", PolicyDocument=json.dumps(S3READ))
    iam.create_user(UserName="lp-user")
    iam.attach_user_policy(UserName="lp-user", PolicyArn=pol_arn("Lp1", "/lp/"))
    names = [p["PolicyName"] for p in iam.list_policies(Scope="Local", PathPrefix="/lp/")["Policies"]]
    assert sorted(names) == ["Lp0", "Lp1", "Lp2"]
    only = iam.list_policies(Scope="Local", PathPrefix="/lp/", OnlyAttached=True)["Policies"]
    assert [(p["PolicyName"], p["AttachmentCount"]) for p in only] == [("Lp1", 1)]
    r = iam.list_policies(Scope="Local", PathPrefix="/lp/", MaxItems=2)
    assert (len(r["Policies"]), r["IsTruncated"]) == (2, True)
    r2 = iam.list_policies(Scope="Local", PathPrefix="/lp/", MaxItems=2, Marker=r["Marker"])
    assert (len(r2["Policies"]), r2["IsTruncated"]) == (1, False)
    assert sorted(p["PolicyName"] for p in r["Policies"] + r2["Policies"]) == ["Lp0", "Lp1", "Lp2"]


# ---- malformed and oversize documents -----------------------------------------------------

MALFORMED = [
    ("bad-json", '{"Version": "2012-10-17", "Statement": [', "Syntax errors in policy."),
    ("principal", json.dumps(doc(allow("s3:*", Principal="*"))), "Policy document should not specify a principal."),
    (
        "no-action",
        json.dumps(doc({"Effect": "Allow", "Resource": "*"})),
        "Policy statement must contain actions.",
    ),
    ("bad-effect", json.dumps(doc({"Effect": "Maybe", "Action": "s3:*", "Resource": "*"})), None),
    ("no-vendor", json.dumps(doc(allow("GetObject"))), None),
    ("no-resource", json.dumps(doc({"Effect": "Allow", "Action": "s3:*"})), None),
    ("empty-statement", json.dumps({"Version": "2012-10-17", "Statement": []}), None),
]


@pytest.mark.parametrize("name, text, message", MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_managed_policy(iam, name, text, message):
    code, msg, status = fails(iam.create_policy, PolicyName="Bad-" + name, PolicyDocument=text)
    assert (code, status) == ("MalformedPolicyDocument", 400)
    if message:
        assert msg == message
    assert fails(iam.get_policy, PolicyArn=pol_arn("Bad-" + name))[0] == "NoSuchEntity"


@pytest.mark.parametrize("name, text, message", MALFORMED[:4], ids=[m[0] for m in MALFORMED[:4]])
def test_malformed_version_and_inline_change_nothing(iam, name, text, message):
    arn = iam.create_policy(PolicyName="Keep-" + name, PolicyDocument=json.dumps(S3READ))["Policy"]["Arn"]
    code, _, status = fails(iam.create_policy_version, PolicyArn=arn, PolicyDocument=text, SetAsDefault=True)
    assert (code, status) == ("MalformedPolicyDocument", 400)
    assert [v["VersionId"] for v in iam.list_policy_versions(PolicyArn=arn)["Versions"]] == ["v1"]
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v1"

    user = "keep-" + name
    iam.create_user(UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="p", PolicyDocument=json.dumps(S3READ))
    assert fails(iam.put_user_policy, UserName=user, PolicyName="p", PolicyDocument=text)[0] == (
        "MalformedPolicyDocument"
    )
    assert iam.get_user_policy(UserName=user, PolicyName="p")["PolicyDocument"] == S3READ
    assert fails(iam.put_user_policy, UserName=user, PolicyName="q", PolicyDocument=text)[0] == (
        "MalformedPolicyDocument"
    )
    assert iam.list_user_policies(UserName=user)["PolicyNames"] == ["p"]


def _big_doc(n_actions):
    return json.dumps(doc(allow(["s3:GetObjectVersion%04d" % i for i in range(n_actions)])))


def test_oversize_managed_policy_is_limit_exceeded(iam):
    text = _big_doc(300)  # ~7.8k characters
    code, msg, status = fails(iam.create_policy, PolicyName="Huge", PolicyDocument=text)
    assert (code, msg, status) == ("LimitExceeded", "Cannot exceed quota for PolicySize: 6144.", 409)
    assert fails(iam.get_policy, PolicyArn=pol_arn("Huge"))[0] == "NoSuchEntity"


def test_whitespace_does_not_count_against_the_quota(iam):
    compact = _big_doc(200)  # ~5.2k characters without whitespace
    padded = json.dumps(json.loads(compact), indent=40)
    assert len(padded) > 6144
    p = iam.create_policy(PolicyName="Padded", PolicyDocument=padded)["Policy"]
    assert p["DefaultVersionId"] == "v1"


def test_oversize_inline_policies_are_limit_exceeded(iam):
    iam.create_user(UserName="inl-big")
    iam.put_user_policy(UserName="inl-big", PolicyName="small", PolicyDocument=json.dumps(S3READ))
    code, _, status = fails(iam.put_user_policy, UserName="inl-big", PolicyName="big", PolicyDocument=_big_doc(80))
    assert (code, status) == ("LimitExceeded", 409)
    assert iam.list_user_policies(UserName="inl-big")["PolicyNames"] == ["small"]
    iam.create_role(RoleName="big-trust", AssumeRolePolicyDocument=json.dumps(TRUST_ACCOUNT))
    trust = doc(
        {
            "Effect": "Allow",
            "Principal": {"AWS": [ARN + "user/u%04d" % i for i in range(60)]},
            "Action": "sts:AssumeRole",
        }
    )
    code, msg, status = fails(iam.update_assume_role_policy, RoleName="big-trust", PolicyDocument=json.dumps(trust))
    assert (code, status) == ("LimitExceeded", 409)
    assert "ACLSizePerRole: 2048" in msg
    assert iam.get_role(RoleName="big-trust")["Role"]["AssumeRolePolicyDocument"] == TRUST_ACCOUNT


# ---- attachments --------------------------------------------------------------------------


def _entity(iam, kind, name):
    if kind == "user":
        iam.create_user(UserName=name)
    elif kind == "group":
        iam.create_group(GroupName=name)
    else:
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST_ACCOUNT))


def _call(iam, op, kind, name, **kw):
    title = kind.capitalize()
    fn = getattr(iam, op % kind)
    return fn(**{title + "Name": name}, **kw)


@pytest.mark.parametrize("kind", ["user", "group", "role"])
def test_attach_detach_list(iam, kind):
    name = "att-" + kind
    _entity(iam, kind, name)
    mine = iam.create_policy(PolicyName="Att-" + kind, PolicyDocument=json.dumps(S3READ))["Policy"]["Arn"]
    _call(iam, "attach_%s_policy", kind, name, PolicyArn=mine)
    _call(iam, "attach_%s_policy", kind, name, PolicyArn=AWS_MANAGED[0])
    _call(iam, "attach_%s_policy", kind, name, PolicyArn=mine)  # again: no error, no duplicate
    got = _call(iam, "list_attached_%s_policies", kind, name)["AttachedPolicies"]
    assert sorted((p["PolicyName"], p["PolicyArn"]) for p in got) == sorted(
        [("Att-" + kind, mine), ("AdministratorAccess", AWS_MANAGED[0])]
    )
    assert iam.get_policy(PolicyArn=mine)["Policy"]["AttachmentCount"] == 1
    ents = iam.list_entities_for_policy(PolicyArn=mine)
    key = {"user": "PolicyUsers", "group": "PolicyGroups", "role": "PolicyRoles"}[kind]
    assert [e[kind.capitalize() + "Name"] for e in ents[key]] == [name]
    page = _call(iam, "list_attached_%s_policies", kind, name, MaxItems=1)
    assert (len(page["AttachedPolicies"]), page["IsTruncated"]) == (1, True)
    _call(iam, "detach_%s_policy", kind, name, PolicyArn=mine)
    assert iam.get_policy(PolicyArn=mine)["Policy"]["AttachmentCount"] == 0
    got = _call(iam, "list_attached_%s_policies", kind, name)["AttachedPolicies"]
    assert [p["PolicyArn"] for p in got] == [AWS_MANAGED[0]]
    code, msg, status = fails(getattr(iam, "detach_%s_policy" % kind), **{kind.capitalize() + "Name": name, "PolicyArn": mine})
    assert (code, status) == ("NoSuchEntity", 404)
    assert mine in msg
    code, _, status = fails(
        getattr(iam, "attach_%s_policy" % kind), **{kind.capitalize() + "Name": name, "PolicyArn": pol_arn("Ghost")}
    )
    assert (code, status) == ("NoSuchEntity", 404)
    code, _, status = fails(
        getattr(iam, "attach_%s_policy" % kind), **{kind.capitalize() + "Name": "ghost-" + kind, "PolicyArn": mine}
    )
    assert (code, status) == ("NoSuchEntity", 404)


@pytest.mark.parametrize("kind", ["user", "group", "role"])
def test_eleventh_attachment_is_limit_exceeded(iam, kind):
    name = "ten-" + kind
    _entity(iam, kind, name)
    arns = [
        iam.create_policy(PolicyName="Ten%s%d" % (kind, i), PolicyDocument=json.dumps(S3READ))["Policy"]["Arn"]
        for i in range(11)
    ]
    for a in arns[:10]:
        _call(iam, "attach_%s_policy", kind, name, PolicyArn=a)
    code, msg, status = fails(getattr(iam, "attach_%s_policy" % kind), **{kind.capitalize() + "Name": name, "PolicyArn": arns[10]})
    quota = {"user": "PoliciesPerUser", "group": "PoliciesPerGroup", "role": "PoliciesPerRole"}[kind]
    assert (code, msg, status) == ("LimitExceeded", "Cannot exceed quota for %s: 10." % quota, 409)
    got = _call(iam, "list_attached_%s_policies", kind, name)["AttachedPolicies"]
    assert sorted(p["PolicyArn"] for p in got) == sorted(arns[:10])
    assert iam.get_policy(PolicyArn=arns[10])["Policy"]["AttachmentCount"] == 0


# ---- inline policies ----------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["user", "group", "role"])
def test_inline_policies(iam, kind):
    name = "inl-" + kind
    _entity(iam, kind, name)
    title = kind.capitalize()
    _call(iam, "put_%s_policy", kind, name, PolicyName="Read", PolicyDocument=json.dumps(TRICKY))
    got = _call(iam, "get_%s_policy", kind, name, PolicyName="Read")
    assert got[title + "Name"] == name
    assert got["PolicyName"] == "Read"
    assert got["PolicyDocument"] == TRICKY
    # putting the same name again replaces the document
    _call(iam, "put_%s_policy", kind, name, PolicyName="Read", PolicyDocument=json.dumps(S3READ))
    assert _call(iam, "get_%s_policy", kind, name, PolicyName="Read")["PolicyDocument"] == S3READ
    _call(iam, "put_%s_policy", kind, name, PolicyName="Write", PolicyDocument=json.dumps(doc(allow("s3:PutObject"))))
    assert sorted(_call(iam, "list_%s_policies", kind, name)["PolicyNames"]) == ["Read", "Write"]
    page = _call(iam, "list_%s_policies", kind, name, MaxItems=1)
    assert (len(page["PolicyNames"]), page["IsTruncated"]) == (1, True)
    page2 = _call(iam, "list_%s_policies", kind, name, MaxItems=1, Marker=page["Marker"])
    assert (len(page2["PolicyNames"]), page2["IsTruncated"]) == (1, False)
    _call(iam, "delete_%s_policy", kind, name, PolicyName="Write")
    assert _call(iam, "list_%s_policies", kind, name)["PolicyNames"] == ["Read"]
    code, msg, status = fails(getattr(iam, "get_%s_policy" % kind), **{title + "Name": name, "PolicyName": "Write"})
    assert (code, status) == ("NoSuchEntity", 404)
    assert "Write" in msg
    code, _, status = fails(getattr(iam, "delete_%s_policy" % kind), **{title + "Name": name, "PolicyName": "Write"})
    assert (code, status) == ("NoSuchEntity", 404)
    code, _, status = fails(
        getattr(iam, "put_%s_policy" % kind),
        **{title + "Name": "ghost-" + kind, "PolicyName": "x", "PolicyDocument": json.dumps(S3READ)},
    )
    assert (code, status) == ("NoSuchEntity", 404)


# ---- roles --------------------------------------------------------------------------------


def test_role_lifecycle(iam):
    r = iam.create_role(
        RoleName="Builder", Path="/svc/", AssumeRolePolicyDocument=json.dumps(TRUST_ACCOUNT), Description="builds"
    )["Role"]
    assert r["Arn"] == ARN + "role/svc/Builder"
    assert r["RoleId"].startswith("AROA")
    assert r["AssumeRolePolicyDocument"] == TRUST_ACCOUNT
    got = iam.get_role(RoleName="builder")["Role"]  # found without regard to case
    assert (got["RoleName"], got["MaxSessionDuration"], got["Description"]) == ("Builder", 3600, "builds")
    assert got["AssumeRolePolicyDocument"] == TRUST_ACCOUNT
    assert [x["RoleName"] for x in iam.list_roles(PathPrefix="/svc/")["Roles"]] == ["Builder"]
    code, _, status = fails(iam.create_role, RoleName="BUILDER", AssumeRolePolicyDocument=json.dumps(TRUST_ACCOUNT))
    assert (code, status) == ("EntityAlreadyExists", 409)
    svc = doc({"Effect": "Allow", "Principal": {"Service": "servicecatalog.amazonaws.com"}, "Action": "sts:AssumeRole"})
    iam.update_assume_role_policy(RoleName="Builder", PolicyDocument=json.dumps(svc))
    assert iam.get_role(RoleName="Builder")["Role"]["AssumeRolePolicyDocument"] == svc
    iam.update_role(RoleName="Builder", MaxSessionDuration=7200, Description="still builds")
    got = iam.get_role(RoleName="Builder")["Role"]
    assert (got["MaxSessionDuration"], got["Description"]) == (7200, "still builds")

    iam.attach_role_policy(RoleName="Builder", PolicyArn=AWS_MANAGED[3])
    assert fails(iam.delete_role, RoleName="Builder") == (
        "DeleteConflict",
        "Cannot delete entity, must detach all policies first.",
        409,
    )
    iam.detach_role_policy(RoleName="Builder", PolicyArn=AWS_MANAGED[3])
    iam.put_role_policy(RoleName="Builder", PolicyName="x", PolicyDocument=json.dumps(S3READ))
    assert fails(iam.delete_role, RoleName="Builder") == (
        "DeleteConflict",
        "Cannot delete entity, must delete policies first.",
        409,
    )
    iam.delete_role_policy(RoleName="Builder", PolicyName="x")
    iam.delete_role(RoleName="Builder")
    code, msg, status = fails(iam.get_role, RoleName="Builder")
    assert (code, msg, status) == ("NoSuchEntity", "The role with name Builder cannot be found.", 404)


@pytest.mark.parametrize(
    "trust",
    [
        "{not json",
        json.dumps(doc({"Effect": "Allow", "Action": "sts:AssumeRole"})),  # no Principal
        json.dumps(doc({"Effect": "Allow", "Principal": {"AWS": ARN + "root"}, "Action": "sts:AssumeRole", "Resource": "*"})),
    ],
    ids=["bad-json", "no-principal", "has-resource"],
)
def test_malformed_trust_policy(iam, trust):
    code, _, status = fails(iam.create_role, RoleName="BadTrust", AssumeRolePolicyDocument=trust)
    assert (code, status) == ("MalformedPolicyDocument", 400)
    assert fails(iam.get_role, RoleName="BadTrust")[0] == "NoSuchEntity"


def test_max_session_duration_range(d, iam):
    # botocore checks the range itself, so the request is sent raw
    r = awsraw.query_call(
        d,
        "iam",
        {
            "Action": "CreateRole",
            "Version": "2010-05-08",
            "RoleName": "Short",
            "AssumeRolePolicyDocument": json.dumps(TRUST_ACCOUNT),
            "MaxSessionDuration": "600",
        },
    )
    assert r.status == 400
    code, msg = r.error()
    assert code == "ValidationError"
    assert "at 'maxSessionDuration' failed to satisfy constraint: Member must have value greater than or equal to 3600" in msg
    assert fails(iam.get_role, RoleName="Short")[0] == "NoSuchEntity"


# ---- the simulator ------------------------------------------------------------------------


def test_simulate_principal_policy(iam):
    iam.create_user(UserName="sim-user")
    iam.create_group(GroupName="sim-group")
    iam.add_user_to_group(GroupName="sim-group", UserName="sim-user")
    iam.put_group_policy(GroupName="sim-group", PolicyName="g", PolicyDocument=json.dumps(doc(allow("ssm:*"))))
    iam.put_user_policy(
        UserName="sim-user",
        PolicyName="u",
        PolicyDocument=json.dumps(doc({"Effect": "Deny", "Action": "ssm:DeleteDocument", "Resource": "*"})),
    )
    r = iam.simulate_principal_policy(
        PolicySourceArn=ARN + "user/sim-user",
        ActionNames=["ssm:ListDocuments", "ssm:DeleteDocument", "ec2:StopInstances"],
    )["EvaluationResults"]
    got = {x["EvalActionName"]: x["EvalDecision"] for x in r}
    assert got == {
        "ssm:ListDocuments": "allowed",
        "ssm:DeleteDocument": "explicitDeny",
        "ec2:StopInstances": "implicitDeny",
    }
    code, _, status = fails(
        iam.simulate_principal_policy, PolicySourceArn=ARN + "user/nobody", ActionNames=["ssm:ListDocuments"]
    )
    assert (code, status) == ("NoSuchEntity", 404)


def test_simulate_custom_policy_with_context(iam):
    p = doc(allow("ec2:StopInstances", Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}))
    res = []
    for ip in ("10.1.2.3", "192.168.0.1"):
        r = iam.simulate_custom_policy(
            PolicyInputList=[json.dumps(p)],
            ActionNames=["ec2:StopInstances"],
            ResourceArns=["arn:aws:ec2:us-east-1:%s:instance/i-0123456789abcdef0" % ACCOUNT],
            ContextEntries=[{"ContextKeyName": "aws:SourceIp", "ContextKeyValues": [ip], "ContextKeyType": "ip"}],
        )["EvaluationResults"]
        res.append(r[0]["EvalDecision"])
    assert res == ["allowed", "implicitDeny"]
    code, _, status = fails(iam.simulate_custom_policy, PolicyInputList=["{nope"], ActionNames=["s3:GetObject"])
    assert (code, status) == ("MalformedPolicyDocument", 400)


def test_simulate_custom_policy_honours_the_boundary(iam):
    r = iam.simulate_custom_policy(
        PolicyInputList=[json.dumps(doc(allow("s3:*")))],
        PermissionsBoundaryPolicyInputList=[json.dumps(doc(allow("s3:GetObject")))],
        ActionNames=["s3:GetObject", "s3:PutObject"],
    )["EvaluationResults"]
    assert {x["EvalActionName"]: x["EvalDecision"] for x in r} == {
        "s3:GetObject": "allowed",
        "s3:PutObject": "implicitDeny",
    }


def test_simulate_principal_policy_honours_the_entitys_own_boundary(iam):
    b = iam.create_policy(PolicyName="SimBoundary", PolicyDocument=json.dumps(doc(allow("s3:GetObject"))))
    iam.create_user(UserName="bounded-sim", PermissionsBoundary=b["Policy"]["Arn"])
    iam.put_user_policy(UserName="bounded-sim", PolicyName="p", PolicyDocument=json.dumps(doc(allow("s3:*"))))
    src = ARN + "user/bounded-sim"
    r = iam.simulate_principal_policy(PolicySourceArn=src, ActionNames=["s3:GetObject", "s3:PutObject"])
    got = {x["EvalActionName"]: x for x in r["EvaluationResults"]}
    assert got["s3:GetObject"]["EvalDecision"] == "allowed"
    assert got["s3:PutObject"]["EvalDecision"] == "implicitDeny"
    assert got["s3:PutObject"]["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": False}
    # a boundary given stands in for the entity's own
    r = iam.simulate_principal_policy(
        PolicySourceArn=src,
        ActionNames=["s3:GetObject", "s3:PutObject"],
        PermissionsBoundaryPolicyInputList=[json.dumps(doc(allow("s3:PutObject")))],
    )
    assert {x["EvalActionName"]: x["EvalDecision"] for x in r["EvaluationResults"]} == {
        "s3:GetObject": "implicitDeny",
        "s3:PutObject": "allowed",
    }


def test_simulate_takes_one_boundary_only(iam):
    code, _, status = fails(
        iam.simulate_custom_policy,
        PolicyInputList=[json.dumps(doc(allow("s3:*")))],
        PermissionsBoundaryPolicyInputList=[json.dumps(doc(allow("s3:*")))] * 2,
        ActionNames=["s3:GetObject"],
    )
    assert (code, status) == ("InvalidInput", 400)


# ---- the CLIs -----------------------------------------------------------------------------


@pytest.mark.parametrize("cli", CLIS)
def test_policy_documents_from_the_cli(d, cli, tmp_path):
    tag = "v2" if cli == "/usr/bin/aws" else "v1"
    f = tmp_path / "p.json"
    f.write_text(json.dumps(TRICKY))
    r = d.aws("iam", "create-policy", "--policy-name", "Cli" + tag, "--policy-document", "file://%s" % f, cli=cli, check=True)
    arn = r.json["Policy"]["Arn"]
    r = d.aws("iam", "get-policy-version", "--policy-arn", arn, "--version-id", "v1", cli=cli, check=True)
    assert r.json["PolicyVersion"]["Document"] == TRICKY
    f.write_text("{broken")
    r = d.aws("iam", "create-policy-version", "--policy-arn", arn, "--policy-document", "file://%s" % f, cli=cli)
    assert r.returncode != 0 and "(MalformedPolicyDocument)" in r.stderr
