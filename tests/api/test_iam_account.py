"""Settings of the account as a whole, through boto3 and the AWS CLI: the account alias
(one per account, a new one replaces it, AWS's pattern, NoSuchEntity for another), the
password policy (AWS's defaults for members left out, NoSuchEntity without one, enforced on
CreateLoginProfile, UpdateLoginProfile and ChangePassword with PasswordPolicyViolation),
ChangePassword (IAM users only, the old password checked, AllowUsersToChangePassword or
iam:ChangePassword, PasswordReusePrevention) and GetAccountSummary's real counts.

The module runs its own daemon: the settings are the account's.
"""

import json

import pytest

from conftest import ACCOUNT, Daemon
from helpers import allow, cli_error, fails, new_user, serve, trust


@pytest.fixture(scope="module")
def d():
    yield from serve(Daemon())


@pytest.fixture(scope="module")
def iam(d):
    return d.client("iam")


def test_account_alias(d, iam):
    assert iam.list_account_aliases()["AccountAliases"] == []
    iam.create_account_alias(AccountAlias="my-company")
    assert iam.list_account_aliases()["AccountAliases"] == ["my-company"]
    iam.create_account_alias(AccountAlias="my-company")  # the same again: nothing changes
    assert iam.list_account_aliases()["AccountAliases"] == ["my-company"]
    # one per account: a new one replaces it
    iam.create_account_alias(AccountAlias="other-name")
    got = iam.list_account_aliases()
    assert got["AccountAliases"] == ["other-name"]
    assert got["IsTruncated"] is False
    code, msg, status = fails(iam.delete_account_alias, AccountAlias="my-company")
    assert (code, msg, status) == ("NoSuchEntity", "The account alias my-company cannot be found.", 404)
    for bad in ("Upper-Case", "-leading", "under_score", "double--dash"):
        code, msg, _ = fails(iam.create_account_alias, AccountAlias=bad)
        assert code == "ValidationError", (bad, code, msg)
    assert iam.list_account_aliases()["AccountAliases"] == ["other-name"]
    p = d.aws("iam", "list-account-aliases")
    assert json.loads(p.stdout)["AccountAliases"] == ["other-name"]
    p = d.aws("iam", "delete-account-alias", "--account-alias", "other-name")
    assert p.returncode == 0, p.stderr
    assert iam.list_account_aliases()["AccountAliases"] == []


def test_password_policy_lifecycle(d, iam):
    msg_none = "The Password Policy with domain name %s cannot be found." % ACCOUNT
    assert fails(iam.get_account_password_policy) == ("NoSuchEntity", msg_none, 404)
    assert fails(iam.delete_account_password_policy)[:2] == ("NoSuchEntity", msg_none)
    iam.update_account_password_policy()
    assert iam.get_account_password_policy()["PasswordPolicy"] == {
        "MinimumPasswordLength": 6,
        "RequireSymbols": False,
        "RequireNumbers": False,
        "RequireUppercaseCharacters": False,
        "RequireLowercaseCharacters": False,
        "AllowUsersToChangePassword": False,
        "ExpirePasswords": False,
    }
    iam.update_account_password_policy(MinimumPasswordLength=12, RequireNumbers=True, MaxPasswordAge=90,
                                       PasswordReusePrevention=3, HardExpiry=False)
    got = iam.get_account_password_policy()["PasswordPolicy"]
    assert got["MinimumPasswordLength"] == 12 and got["RequireNumbers"] is True
    assert got["ExpirePasswords"] is True and got["MaxPasswordAge"] == 90
    assert got["PasswordReusePrevention"] == 3 and got["HardExpiry"] is False
    code, _, _ = fails(iam.update_account_password_policy, MinimumPasswordLength=200)
    assert code == "ValidationError"
    assert iam.get_account_password_policy()["PasswordPolicy"]["MinimumPasswordLength"] == 12
    p = d.aws("iam", "get-account-password-policy")
    assert json.loads(p.stdout)["PasswordPolicy"]["MaxPasswordAge"] == 90
    iam.delete_account_password_policy()
    assert cli_error(d.aws("iam", "get-account-password-policy")) == ("NoSuchEntity", msg_none)


def test_password_policy_is_enforced(iam):
    iam.create_user(UserName="pw-user")
    iam.update_account_password_policy(MinimumPasswordLength=10, RequireSymbols=True, RequireNumbers=True,
                                       RequireUppercaseCharacters=True, RequireLowercaseCharacters=True)
    try:
        cases = [
            ("Sh0rt!", "Password should have a minimum length of 10"),
            ("alllowercase1!", "Password should have at least one uppercase letter"),
            ("ALLUPPERCASE1!", "Password should have at least one lowercase letter"),
            ("NoNumbersHere!", "Password should have at least one number"),
            ("NoSymbols12345", "Password should have at least one symbol"),
        ]
        for pw, msg in cases:
            assert fails(iam.create_login_profile, UserName="pw-user", Password=pw) == (
                "PasswordPolicyViolation", msg, 400)
        assert fails(iam.get_login_profile, UserName="pw-user")[0] == "NoSuchEntity"
        iam.create_login_profile(UserName="pw-user", Password="Good-Passw0rd")
        code, msg, _ = fails(iam.update_login_profile, UserName="pw-user", Password="weak")
        assert (code, msg) == ("PasswordPolicyViolation", "Password should have a minimum length of 10")
    finally:
        iam.delete_account_password_policy()
    # without a policy, catalogd asks for 8 characters
    code, msg, _ = fails(iam.update_login_profile, UserName="pw-user", Password="short")
    assert (code, msg) == ("PasswordPolicyViolation", "Password should have a minimum length of 8")
    iam.update_login_profile(UserName="pw-user", Password="longenough")


def test_change_password(d, iam):
    key, secret = new_user(iam, "changer")
    iam.create_login_profile(UserName="changer", Password="First-Passw0rd", PasswordResetRequired=True)
    me = d.client("iam", key=key, secret=secret)
    # neither the policy nor the user's permissions let them
    code, msg, status = fails(me.change_password, OldPassword="First-Passw0rd", NewPassword="Second-Passw0rd")
    assert (code, status) == ("AccessDenied", 403)
    assert "iam:ChangePassword" in msg
    iam.update_account_password_policy(AllowUsersToChangePassword=True, PasswordReusePrevention=2,
                                       MinimumPasswordLength=10)
    try:
        code, msg, _ = fails(me.change_password, OldPassword="wrong-password", NewPassword="Second-Passw0rd")
        assert (code, msg) == ("AccessDenied", "The old password is incorrect.")
        code, msg, _ = fails(me.change_password, OldPassword="First-Passw0rd", NewPassword="short")
        assert (code, msg) == ("PasswordPolicyViolation", "Password should have a minimum length of 10")
        code, _, _ = fails(me.change_password, OldPassword="First-Passw0rd", NewPassword="First-Passw0rd")
        assert code == "PasswordPolicyViolation"
        me.change_password(OldPassword="First-Passw0rd", NewPassword="Second-Passw0rd")
        assert iam.get_login_profile(UserName="changer")["LoginProfile"]["PasswordResetRequired"] is False
        # the old one no longer works; the one before the current is still remembered
        code, _, _ = fails(me.change_password, OldPassword="First-Passw0rd", NewPassword="Third-Passw0rd")
        assert code == "AccessDenied"
        code, _, _ = fails(me.change_password, OldPassword="Second-Passw0rd", NewPassword="First-Passw0rd")
        assert code == "PasswordPolicyViolation"
        me.change_password(OldPassword="Second-Passw0rd", NewPassword="Third-Passw0rd")
    finally:
        iam.delete_account_password_policy()
    # with iam:ChangePassword of their own, without the account's leave
    iam.put_user_policy(UserName="changer", PolicyName="pw",
                        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
                            allow("iam:ChangePassword", "arn:aws:iam::%s:user/changer" % ACCOUNT)]}))
    me.change_password(OldPassword="Third-Passw0rd", NewPassword="Fourth-Passw0rd")
    # the root is no IAM user
    code, msg, _ = fails(iam.change_password, OldPassword="x", NewPassword="y")
    assert (code, msg) == ("InvalidUserType", "Only IAM Users can change their own password.")


def test_account_summary_counts(iam):
    before = iam.get_account_summary()["SummaryMap"]
    assert before["UsersQuota"] == 5000 and before["AccessKeysPerUserQuota"] == 2
    assert before["AccountAccessKeysPresent"] == 1  # the root's key the tests sign with
    iam.create_user(UserName="summary-user")
    iam.create_group(GroupName="summary-group")
    iam.create_role(RoleName="summary-role", AssumeRolePolicyDocument=json.dumps(trust("ec2")))
    iam.create_instance_profile(InstanceProfileName="summary-profile")
    doc = json.dumps({"Version": "2012-10-17", "Statement": [allow("s3:*")]})
    arn = iam.create_policy(PolicyName="summary-policy", PolicyDocument=doc)["Policy"]["Arn"]
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=doc)
    iam.attach_role_policy(RoleName="summary-role", PolicyArn="arn:aws:iam::aws:policy/AmazonSSMFullAccess")
    after = iam.get_account_summary()["SummaryMap"]
    for k in ("Users", "Groups", "Roles", "InstanceProfiles", "Policies"):
        assert after[k] == before[k] + 1, k
    assert after["PolicyVersionsInUse"] == before["PolicyVersionsInUse"] + 3
