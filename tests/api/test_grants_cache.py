"""A principal's policies are read and parsed once per IAM change, not on every call
(iam/grants.h): these tests hold catalogd to "the next call after an IAM change is
decided by the new policies", for every way an end user's permissions reach it.

The end user is set up as bench/enduser.py does (issue 16): a user in a group with three
managed policies (AWS's AWSServiceCatalogEndUserFullAccess and two customer managed ones),
so ListPortfolios is allowed only by the third. Each case first calls (so the user's grants
are cached), then changes IAM as root, then checks the very next call, both ways.
"""

import json
import threading
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT, REGION, Daemon
from helpers import serve

END_USER_ARN = "arn:aws:iam::aws:policy/AWSServiceCatalogEndUserFullAccess"


def doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action, **extra):
    return dict({"Effect": "Allow", "Action": action, "Resource": "*"}, **extra)


READS = doc(
    allow(
        ["servicecatalog:List*", "servicecatalog:Describe*"],
        Condition={"StringEquals": {"aws:RequestedRegion": REGION}},
    )
)
NO_READS = doc(allow("servicecatalog:DescribePortfolio"))


@pytest.fixture(scope="module")
def cd():
    yield from serve(Daemon())


class EndUser:
    """A user whose access comes through a group and three managed policies."""

    def __init__(self, cd):
        sfx = uuid.uuid4().hex[:8]
        self.cd = cd
        self.iam = cd.client("iam")
        self.group = "g-" + sfx
        self.user = "u-" + sfx
        self.iam.create_group(GroupName=self.group)
        tutorial = doc(allow(["ssm:DescribeDocument", "ec2:StopInstances"]))
        self.tutorial = self.iam.create_policy(PolicyName="t-" + sfx, PolicyDocument=tutorial)
        self.reads = self.iam.create_policy(PolicyName="r-" + sfx, PolicyDocument=READS)
        self.reads_arn = self.reads["Policy"]["Arn"]
        for arn in (END_USER_ARN, self.tutorial["Policy"]["Arn"], self.reads_arn):
            self.iam.attach_group_policy(GroupName=self.group, PolicyArn=arn)
        self.iam.create_user(UserName=self.user)
        self.iam.add_user_to_group(GroupName=self.group, UserName=self.user)
        key = self.iam.create_access_key(UserName=self.user)["AccessKey"]
        self.sc = cd.client("servicecatalog", key=key["AccessKeyId"],
                            secret=key["SecretAccessKey"])

    def may_list(self):
        """True when ListPortfolios is allowed, False when AccessDenied; else raises."""
        try:
            self.sc.list_portfolios()
            return True
        except ClientError as e:
            if e.response["Error"]["Code"] != "AccessDeniedException":
                raise
            return False


def test_policy_version_takes_effect_on_the_next_call(cd):
    u = EndUser(cd)
    assert u.may_list()
    v2 = u.iam.create_policy_version(PolicyArn=u.reads_arn, PolicyDocument=NO_READS,
                                     SetAsDefault=True)["PolicyVersion"]["VersionId"]
    assert v2 == "v2"
    assert not u.may_list()
    u.iam.set_default_policy_version(PolicyArn=u.reads_arn, VersionId="v1")
    assert u.may_list()


def test_detach_and_attach_take_effect_on_the_next_call(cd):
    u = EndUser(cd)
    assert u.may_list()
    u.iam.detach_group_policy(GroupName=u.group, PolicyArn=u.reads_arn)
    assert not u.may_list()
    u.iam.attach_group_policy(GroupName=u.group, PolicyArn=u.reads_arn)
    assert u.may_list()


def test_group_membership_takes_effect_on_the_next_call(cd):
    u = EndUser(cd)
    assert u.may_list()
    u.iam.remove_user_from_group(GroupName=u.group, UserName=u.user)
    assert not u.may_list()
    u.iam.add_user_to_group(GroupName=u.group, UserName=u.user)
    assert u.may_list()


def test_inline_deny_on_the_group_takes_effect_on_the_next_call(cd):
    u = EndUser(cd)
    assert u.may_list()
    deny = doc({"Effect": "Deny", "Action": "servicecatalog:ListPortfolios", "Resource": "*"})
    u.iam.put_group_policy(GroupName=u.group, PolicyName="deny", PolicyDocument=deny)
    with pytest.raises(ClientError) as e:
        u.sc.list_portfolios()
    assert "with an explicit deny in an identity-based policy" in e.value.response["Error"]["Message"]
    u.iam.delete_group_policy(GroupName=u.group, PolicyName="deny")
    assert u.may_list()


def test_user_tags_take_effect_on_the_next_call(cd):
    """aws:PrincipalTag is read from the cached grants: a tag change is an IAM change."""
    u = EndUser(cd)
    tagged = doc(allow("servicecatalog:ListPortfolios",
                       Condition={"StringEquals": {"aws:PrincipalTag/team": "blue"}}))
    u.iam.create_policy_version(PolicyArn=u.reads_arn, PolicyDocument=tagged, SetAsDefault=True)
    assert not u.may_list()
    u.iam.tag_user(UserName=u.user, Tags=[{"Key": "team", "Value": "blue"}])
    assert u.may_list()
    u.iam.tag_user(UserName=u.user, Tags=[{"Key": "team", "Value": "red"}])
    assert not u.may_list()
    u.iam.untag_user(UserName=u.user, TagKeys=["team"])
    assert not u.may_list()


def test_permissions_boundary_takes_effect_on_the_next_call(cd):
    u = EndUser(cd)
    assert u.may_list()
    u.iam.put_user_permissions_boundary(UserName=u.user,
                                        PermissionsBoundary=u.tutorial["Policy"]["Arn"])
    assert not u.may_list()
    u.iam.delete_user_permissions_boundary(UserName=u.user)
    assert u.may_list()


def test_role_session_sees_its_role_policy_change_on_the_next_call(cd):
    sfx = uuid.uuid4().hex[:8]
    iam = cd.client("iam")
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::%s:root" % ACCOUNT},
        "Action": "sts:AssumeRole"}]})
    role = iam.create_role(RoleName="r-" + sfx, AssumeRolePolicyDocument=trust)["Role"]
    pol = iam.create_policy(PolicyName="rp-" + sfx, PolicyDocument=READS)["Policy"]["Arn"]
    iam.attach_role_policy(RoleName=role["RoleName"], PolicyArn=pol)
    iam.create_user(UserName="a-" + sfx)  # root may not assume roles: a user does
    iam.put_user_policy(UserName="a-" + sfx, PolicyName="assume",
                        PolicyDocument=doc(allow("sts:AssumeRole")))
    key = iam.create_access_key(UserName="a-" + sfx)["AccessKey"]
    sts = cd.client("sts", key=key["AccessKeyId"], secret=key["SecretAccessKey"])
    creds = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="bench")["Credentials"]
    sc = cd.client("servicecatalog", key=creds["AccessKeyId"], secret=creds["SecretAccessKey"],
                   token=creds["SessionToken"])
    sc.list_portfolios()
    iam.detach_role_policy(RoleName=role["RoleName"], PolicyArn=pol)
    with pytest.raises(ClientError) as e:
        sc.list_portfolios()
    assert e.value.response["Error"]["Code"] == "AccessDeniedException"
    iam.attach_role_policy(RoleName=role["RoleName"], PolicyArn=pol)
    sc.list_portfolios()


def test_changes_under_concurrent_calls_take_effect_on_the_next_call(cd):
    """Calls of the same user run all the while (each may load and cache the user's grants
    from a snapshot taken just before a change commits); after each change has answered,
    the next call is decided by it, twenty times over."""
    u = EndUser(cd)
    assert u.may_list()
    stop = threading.Event()
    errors = []
    calls = [0]

    def hammer():
        sc = cd.client("servicecatalog", key=u.sc._request_signer._credentials.access_key,
                       secret=u.sc._request_signer._credentials.secret_key)
        while not stop.is_set():
            try:
                sc.list_portfolios()
            except ClientError as e:
                if e.response["Error"]["Code"] != "AccessDeniedException":
                    errors.append(e)
            calls[0] += 1

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        for i in range(20):
            if i % 2 == 0:
                u.iam.detach_group_policy(GroupName=u.group, PolicyArn=u.reads_arn)
                assert not u.may_list(), "round %d: detached, yet allowed" % i
            else:
                u.iam.attach_group_policy(GroupName=u.group, PolicyArn=u.reads_arn)
                assert u.may_list(), "round %d: attached, yet denied" % i
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not errors, errors[:3]
    assert calls[0] > 20
