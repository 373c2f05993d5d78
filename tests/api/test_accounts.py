"""Several accounts in one catalogd: Organizations (CreateOrganization, CreateAccount and
its status, DescribeAccount, ListAccounts) and its errors, the `catalogd account` admin
command, cross-account AssumeRole (both accounts must grant it, as in AWS), and the
separation of accounts: what one account's principals create is theirs, and ids of
another account's resources are not found (nothing changes).
"""

import json

import pytest

from conftest import ACCOUNT, ROOT_KEY, Daemon
from helpers import AMI, allow, fails, new_account, new_user, policy, run_bin, serve, trust, wait_for

ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"


@pytest.fixture(scope="module")
def d():
    yield from serve(Daemon())


@pytest.fixture(scope="module")
def org(d):
    """The organization of d's management account (created once)."""
    return d.client("organizations").create_organization(FeatureSet="ALL")["Organization"]


def settle(orgs, car_id):
    """The create-account status of car_id once it is no longer IN_PROGRESS."""
    return wait_for(
        lambda: (s := orgs.describe_create_account_status(CreateAccountRequestId=car_id)["CreateAccountStatus"])["State"]
        != "IN_PROGRESS"
        and s,
        what="the account creation to end",
    )


@pytest.fixture(scope="module")
def member(d, org):
    """An account created through Organizations: (account id, email)."""
    orgs = d.client("organizations")
    st = orgs.create_account(Email="member@example.com", AccountName="Member")["CreateAccountStatus"]
    done = settle(orgs, st["Id"])
    assert done["State"] == "SUCCEEDED", done
    return done["AccountId"], "member@example.com"


@pytest.fixture(scope="module")
def operator(d):
    """An IAM user of the management account with AdministratorAccess: (key, secret)."""
    return new_user(d.client("iam"), "operator", managed=[ADMIN])


def assume(d, key, secret, role_arn, name="s"):
    c = d.client("sts", key=key, secret=secret).assume_role(RoleArn=role_arn, RoleSessionName=name)["Credentials"]
    return c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"]


# ---- Organizations


def test_no_organization_until_created(fresh_daemon):
    d = fresh_daemon()
    orgs = d.client("organizations")
    for call in (orgs.describe_organization, orgs.list_accounts, orgs.list_create_account_status):
        code, msg, status = fails(call)
        assert (code, status) == ("AWSOrganizationsNotInUseException", 400)
        assert msg == "Your account is not a member of an organization."
    code, _, _ = fails(orgs.create_account, Email="x@example.com", AccountName="X")
    assert code == "AWSOrganizationsNotInUseException"
    o = orgs.create_organization()["Organization"]
    assert o["FeatureSet"] == "ALL" and o["MasterAccountId"] == ACCOUNT
    assert o["Arn"] == "arn:aws:organizations::%s:organization/%s" % (ACCOUNT, o["Id"])
    code, msg, _ = fails(orgs.create_organization)
    assert (code, msg) == ("AlreadyInOrganizationException", "The AWS account is already a member of an organization.")
    assert orgs.describe_organization()["Organization"] == o
    # the management account is the organization's first account
    (acct,) = orgs.list_accounts()["Accounts"]
    assert acct["Id"] == ACCOUNT and acct["JoinedMethod"] == "INVITED" and acct["Status"] == "ACTIVE"


def test_create_account_flow(d, org):
    orgs = d.client("organizations")
    st = orgs.create_account(Email="dev@example.com", AccountName="Dev")["CreateAccountStatus"]
    assert st["State"] == "IN_PROGRESS" and st["AccountName"] == "Dev"
    assert st["Id"].startswith("car-") and "AccountId" not in st
    done = settle(orgs, st["Id"])
    assert done["State"] == "SUCCEEDED" and len(done["AccountId"]) == 12
    new = done["AccountId"]
    a = orgs.describe_account(AccountId=new)["Account"]
    assert a == {
        "Id": new,
        "Arn": "arn:aws:organizations::%s:account/%s/%s" % (ACCOUNT, org["Id"], new),
        "Email": "dev@example.com",
        "Name": "Dev",
        "Status": "ACTIVE",
        "JoinedMethod": "CREATED",
        "JoinedTimestamp": a["JoinedTimestamp"],
    }
    ids = [x["Id"] for x in orgs.get_paginator("list_accounts").paginate(PaginationConfig={"PageSize": 1}).build_full_result()["Accounts"]]
    assert ACCOUNT in ids and new in ids and len(ids) == len(set(ids))
    statuses = orgs.list_create_account_status(States=["SUCCEEDED"])["CreateAccountStatuses"]
    assert st["Id"] in [s["Id"] for s in statuses]
    # the AWS CLI sees the same
    p = d.aws("organizations", "describe-account", "--account-id", new, check=True)
    assert p.json["Account"]["Email"] == "dev@example.com"


def test_duplicate_email_fails_the_request(d, org, member):
    orgs = d.client("organizations")
    before = {a["Id"] for a in orgs.list_accounts()["Accounts"]}
    st = orgs.create_account(Email="MEMBER@example.com", AccountName="Again")["CreateAccountStatus"]
    done = settle(orgs, st["Id"])
    assert done["State"] == "FAILED" and done["FailureReason"] == "EMAIL_ALREADY_EXISTS"
    assert "AccountId" not in done
    assert {a["Id"] for a in orgs.list_accounts()["Accounts"]} == before
    failed = orgs.list_create_account_status(States=["FAILED"])["CreateAccountStatuses"]
    assert [s["Id"] for s in failed] == [st["Id"]]


def test_organizations_errors(d, org):
    orgs = d.client("organizations")
    code, msg, _ = fails(orgs.describe_account, AccountId="999999999999")
    assert (code, msg) == ("AccountNotFoundException", "You specified an account that doesn't exist.")
    code, _, _ = fails(orgs.describe_create_account_status, CreateAccountRequestId="car-0123456789abcdef")
    assert code == "CreateAccountStatusNotFoundException"
    code, _, _ = fails(orgs.list_accounts, NextToken="not-a-token")
    assert code == "InvalidInputException"
    # an IAM user of the management account needs the permission
    key, secret = new_user(d.client("iam"), "no-orgs", [allow("sts:GetCallerIdentity")])
    code, msg, _ = fails(d.client("organizations", key=key, secret=secret).list_accounts)
    assert code == "AccessDeniedException"
    assert msg.startswith(
        "User: arn:aws:iam::%s:user/no-orgs is not authorized to perform: organizations:ListAccounts" % ACCOUNT
    )


def test_standalone_account_is_in_no_organization(d, org):
    acct, key, secret = new_account(d)
    orgs = d.client("organizations", key=key, secret=secret)
    code, _, _ = fails(orgs.describe_organization)
    assert code == "AWSOrganizationsNotInUseException"
    code, _, _ = fails(orgs.list_accounts)
    assert code == "AWSOrganizationsNotInUseException"
    # and the management account does not list it
    assert acct not in [a["Id"] for a in d.client("organizations").list_accounts()["Accounts"]]
    code, _, _ = fails(d.client("organizations").describe_account, AccountId=acct)
    assert code == "AccountNotFoundException"


# ---- the admin command


def test_admin_command_account_and_root_key(d):
    acct, key, secret = new_account(d, name="Spoke", email="spoke@example.com")
    who = d.client("sts", key=key, secret=secret).get_caller_identity()
    assert who["Account"] == acct and who["Arn"] == "arn:aws:iam::%s:root" % acct and who["UserId"] == acct
    p = d.aws("sts", "get-caller-identity", key=key, secret=secret, check=True)
    assert p.json["Account"] == acct
    # GetAccessKeyInfo tells a key's account to anyone allowed to ask
    assert d.client("sts").get_access_key_info(AccessKeyId=key)["Account"] == acct
    assert d.client("sts", key=key, secret=secret).get_access_key_info(AccessKeyId=ROOT_KEY)["Account"] == ACCOUNT
    code, _, _ = fails(d.client("sts").get_access_key_info, AccessKeyId="AKIANEVERISSUEDHERE0")
    assert code == "ValidationError"
    # list shows it with its root key; the same email again is refused and changes nothing
    rows = [json.loads(line) for line in run_bin("account", "list", "--data-dir", d.data_dir).stdout.splitlines()]
    mine = [r for r in rows if r["Id"] == acct]
    assert mine == [
        {
            "Id": acct,
            "Name": "Spoke",
            "Email": "spoke@example.com",
            "Status": "ACTIVE",
            "Organization": None,
            "Management": False,
            "RootAccessKeyIds": [key],
        }
    ]
    assert [r["Id"] for r in rows if r["Management"]] == [ACCOUNT]
    p = run_bin("account", "create", "--name", "Other", "--email", "Spoke@Example.com", "--data-dir", d.data_dir)
    assert p.returncode == 1 and "already has the email" in p.stderr
    assert len(run_bin("account", "list", "--data-dir", d.data_dir).stdout.splitlines()) == len(rows)
    p = run_bin("account", "create", "--name", "Bad", "--email", "not-an-email", "--data-dir", d.data_dir)
    assert p.returncode == 2


def test_accounts_are_separate(d):
    a_iam, a_sc = d.client("iam"), d.client("servicecatalog")
    acct, key, secret = new_account(d)
    b_iam = d.client("iam", key=key, secret=secret)
    b_sc = d.client("servicecatalog", key=key, secret=secret)
    # IAM users of the same name in both accounts, each in its own
    a_iam.create_user(UserName="same-name")
    u = b_iam.create_user(UserName="same-name")["User"]
    assert u["Arn"] == "arn:aws:iam::%s:user/same-name" % acct
    assert a_iam.get_user(UserName="same-name")["User"]["Arn"] == "arn:aws:iam::%s:user/same-name" % ACCOUNT
    b_key = b_iam.create_access_key(UserName="same-name")["AccessKey"]
    who = d.client("sts", key=b_key["AccessKeyId"], secret=b_key["SecretAccessKey"]).get_caller_identity()
    assert who["Account"] == acct and who["Arn"] == u["Arn"]
    assert [x["UserName"] for x in b_iam.list_users()["Users"]] == ["same-name"]
    # portfolios
    pa = a_sc.create_portfolio(DisplayName="A's", ProviderName="IT")["PortfolioDetail"]
    pb = b_sc.create_portfolio(DisplayName="B's", ProviderName="IT")["PortfolioDetail"]
    assert acct in pb["ARN"] and ACCOUNT in pa["ARN"]
    assert [p["Id"] for p in b_sc.list_portfolios()["PortfolioDetails"]] == [pb["Id"]]
    assert pb["Id"] not in [p["Id"] for p in a_sc.list_portfolios()["PortfolioDetails"]]


def test_other_accounts_resources_are_not_found(d):
    """Account B names account A's portfolio, stack and instance by id: AWS's not-found
    errors, and A's resources are unchanged."""
    acct, key, secret = new_account(d)
    a_sc, a_cf, a_ec2 = d.client("servicecatalog"), d.client("cloudformation"), d.client("ec2")
    b_sc = d.client("servicecatalog", key=key, secret=secret)
    b_cf = d.client("cloudformation", key=key, secret=secret)
    b_ec2 = d.client("ec2", key=key, secret=secret)
    port = a_sc.create_portfolio(DisplayName="mine", ProviderName="IT")["PortfolioDetail"]["Id"]
    for call, kw in (
        (b_sc.describe_portfolio, {"Id": port}),
        (b_sc.update_portfolio, {"Id": port, "DisplayName": "stolen"}),
        (b_sc.delete_portfolio, {"Id": port}),
    ):
        code, _, _ = fails(call, **kw)
        assert code == "ResourceNotFoundException"
    assert a_sc.describe_portfolio(Id=port)["PortfolioDetail"]["DisplayName"] == "mine"

    body = json.dumps({"Resources": {"P": {"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String", "Value": "v"}}}})
    stack = a_cf.create_stack(StackName="a-stack", TemplateBody=body)["StackId"]
    wait_for(lambda: a_cf.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE")
    for name in (stack, "a-stack"):
        code, msg, _ = fails(b_cf.describe_stacks, StackName=name)
        assert (code, msg) == ("ValidationError", "Stack with id %s does not exist" % name)
    code, _, _ = fails(b_cf.update_stack, StackName=stack, TemplateBody=body)
    assert code == "ValidationError"
    assert a_cf.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"

    iid = a_ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]

    def state():
        return a_ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]["State"]["Name"]

    wait_for(lambda: state() == "running", what="the instance to run")
    for call in (b_ec2.describe_instances, b_ec2.stop_instances, b_ec2.terminate_instances):
        code, msg, _ = fails(call, InstanceIds=[iid])
        assert (code, msg) == ("InvalidInstanceID.NotFound", "The instance ID '%s' does not exist" % iid)
    assert state() == "running"
    assert b_ec2.describe_instances()["Reservations"] == []


# ---- cross-account AssumeRole


def test_assume_organization_access_role(d, member, operator):
    acct, _ = member
    role = "arn:aws:iam::%s:role/OrganizationAccountAccessRole" % acct
    key, secret, token = assume(d, *operator, role, name="ops")
    sts = d.client("sts", key=key, secret=secret, token=token)
    who = sts.get_caller_identity()
    assert who["Account"] == acct
    assert who["Arn"] == "arn:aws:sts::%s:assumed-role/OrganizationAccountAccessRole/ops" % acct
    # it administers the new account: what it creates is the new account's
    iam = d.client("iam", key=key, secret=secret, token=token)
    assert iam.get_role(RoleName="OrganizationAccountAccessRole")["Role"]["Arn"] == role
    attached = iam.list_attached_role_policies(RoleName="OrganizationAccountAccessRole")["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == [ADMIN]
    user = iam.create_user(UserName="made-by-ops")["User"]
    assert user["Arn"] == "arn:aws:iam::%s:user/made-by-ops" % acct
    names = [u["UserName"] for u in d.client("iam").list_users()["Users"]]
    assert "made-by-ops" not in names
    sc = d.client("servicecatalog", key=key, secret=secret, token=token)
    pid = sc.create_portfolio(DisplayName="member's", ProviderName="IT")["PortfolioDetail"]["Id"]
    assert pid not in [p["Id"] for p in d.client("servicecatalog").list_portfolios()["PortfolioDetails"]]
    # a member account may describe its organization, not list its accounts
    orgs = d.client("organizations", key=key, secret=secret, token=token)
    assert orgs.describe_organization()["Organization"]["MasterAccountId"] == ACCOUNT
    code, msg, _ = fails(orgs.list_accounts)
    assert (code, msg) == ("AccessDeniedException", "You don't have permissions to access this resource.")
    # the AWS CLI assumes it too
    p = d.aws("sts", "assume-role", "--role-arn", role, "--role-session-name", "cli", key=operator[0], secret=operator[1], check=True)
    assert p.json["AssumedRoleUser"]["Arn"] == "arn:aws:sts::%s:assumed-role/OrganizationAccountAccessRole/cli" % acct


def test_root_may_not_assume_roles(d, member):
    role = "arn:aws:iam::%s:role/OrganizationAccountAccessRole" % member[0]
    code, msg, _ = fails(d.client("sts").assume_role, RoleArn=role, RoleSessionName="xx")
    assert (code, msg) == ("AccessDenied", "Roles may not be assumed by root accounts.")


def test_trust_not_naming_the_caller_refuses(d, operator):
    """A role of account B trusting account C: a user of the management account, allowed
    sts:AssumeRole on everything, is refused with AWS's sentence; no session is made."""
    b, b_key, b_secret = new_account(d)
    c, _, _ = new_account(d)
    b_iam = d.client("iam", key=b_key, secret=b_secret)
    trust_c = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::%s:root" % c}, "Action": "sts:AssumeRole"}]}
    role = b_iam.create_role(RoleName="for-c", AssumeRolePolicyDocument=json.dumps(trust_c))["Role"]["Arn"]
    code, msg, status = fails(d.client("sts", key=operator[0], secret=operator[1]).assume_role, RoleArn=role, RoleSessionName="xx")
    assert (code, status) == ("AccessDenied", 403)
    assert msg == "User: arn:aws:iam::%s:user/operator is not authorized to perform: sts:AssumeRole on resource: %s" % (ACCOUNT, role)
    # a role of the same name in the caller's own account is not the one named
    d.client("iam").create_role(RoleName="for-c", AssumeRolePolicyDocument=json.dumps(trust_c))
    code, _, _ = fails(d.client("sts", key=operator[0], secret=operator[1]).assume_role, RoleArn=role, RoleSessionName="xx")
    assert code == "AccessDenied"


def test_cross_account_needs_the_callers_own_allow(d):
    """The trust policy names the user's very ARN (enough within one account), but the
    user's own policies allow sts:AssumeRole only on its own account's roles: refused."""
    iam = d.client("iam")
    key, secret = new_user(iam, "own-roles-only", [allow("sts:AssumeRole", "arn:aws:iam::%s:role/*" % ACCOUNT)])
    b, b_key, b_secret = new_account(d)
    user_arn = "arn:aws:iam::%s:user/own-roles-only" % ACCOUNT
    trust_user = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": user_arn}, "Action": "sts:AssumeRole"}]}
    role = d.client("iam", key=b_key, secret=b_secret).create_role(
        RoleName="trusts-user", AssumeRolePolicyDocument=json.dumps(trust_user)
    )["Role"]["Arn"]
    sts = d.client("sts", key=key, secret=secret)
    code, msg, _ = fails(sts.assume_role, RoleArn=role, RoleSessionName="xx")
    assert (code, msg) == ("AccessDenied", "User: %s is not authorized to perform: sts:AssumeRole on resource: %s" % (user_arn, role))
    # once its own account allows it too, the same call works and acts in account B
    iam.put_user_policy(UserName="own-roles-only", PolicyName="p", PolicyDocument=policy(allow("sts:AssumeRole", role)))
    c = sts.assume_role(RoleArn=role, RoleSessionName="xx")["Credentials"]
    who = d.client("sts", key=c["AccessKeyId"], secret=c["SecretAccessKey"], token=c["SessionToken"]).get_caller_identity()
    assert who["Account"] == b


def test_iam_sees_only_the_callers_account(d):
    iam = d.client("iam")
    iam.create_policy(PolicyName="a-only", PolicyDocument=policy(allow("s3:GetObject")))
    iam.create_role(RoleName="a-role", AssumeRolePolicyDocument=json.dumps(trust("ec2")))
    b, key, secret = new_account(d)
    b_iam = d.client("iam", key=key, secret=secret)
    b_iam.create_role(RoleName="b-role", AssumeRolePolicyDocument=json.dumps(trust("ec2")))
    a_policy = "arn:aws:iam::%s:policy/a-only" % ACCOUNT
    code, msg, _ = fails(b_iam.attach_role_policy, RoleName="b-role", PolicyArn=a_policy)
    assert (code, msg) == ("NoSuchEntity", "Policy %s does not exist or is not attachable." % a_policy)
    assert b_iam.list_attached_role_policies(RoleName="b-role")["AttachedPolicies"] == []
    code, _, _ = fails(b_iam.get_role, RoleName="a-role")
    assert code == "NoSuchEntity"
    code, _, _ = fails(b_iam.get_policy, PolicyArn=a_policy)
    assert code == "NoSuchEntity"


# ---- STS: federation tokens


def test_get_federation_token(d):
    iam = d.client("iam")
    key, secret = new_user(
        iam, "fed-asker", [allow(["sts:GetFederationToken", "servicecatalog:ListPortfolios", "servicecatalog:DescribePortfolio"])]
    )
    sts = d.client("sts", key=key, secret=secret)
    out = sts.get_federation_token(Name="bob", Policy=policy(allow(["servicecatalog:ListPortfolios", "servicecatalog:CreatePortfolio"])))
    assert out["FederatedUser"] == {
        "FederatedUserId": "%s:bob" % ACCOUNT,
        "Arn": "arn:aws:sts::%s:federated-user/bob" % ACCOUNT,
    }
    assert out["PackedPolicySize"] >= 0
    c = out["Credentials"]
    creds = {"key": c["AccessKeyId"], "secret": c["SecretAccessKey"], "token": c["SessionToken"]}
    who = d.client("sts", **creds).get_caller_identity()
    assert who == {"UserId": "%s:bob" % ACCOUNT, "Account": ACCOUNT, "Arn": "arn:aws:sts::%s:federated-user/bob" % ACCOUNT, "ResponseMetadata": who["ResponseMetadata"]}
    sc = d.client("servicecatalog", **creds)
    assert "PortfolioDetails" in sc.list_portfolios()
    # the session policy alone grants nothing the user lacks
    code, msg, _ = fails(sc.create_portfolio, DisplayName="x", ProviderName="IT")
    assert code == "AccessDeniedException"
    assert msg.startswith("User: arn:aws:sts::%s:federated-user/bob is not authorized to perform: servicecatalog:CreatePortfolio" % ACCOUNT)
    # and the user's permissions beyond the session policy are not the federated user's
    code, _, _ = fails(sc.describe_portfolio, Id="port-0000000000000")
    assert code == "AccessDeniedException"
    # nor may it call IAM, or ask for another federation token
    code, _, _ = fails(d.client("iam", **creds).list_users)
    assert code == "AccessDenied"
    code, msg, _ = fails(d.client("sts", **creds).get_federation_token, Name="eve")
    assert code == "AccessDenied"
    # without a session policy a federated user may do nothing
    c = sts.get_federation_token(Name="nobody")["Credentials"]
    code, _, _ = fails(d.client("servicecatalog", key=c["AccessKeyId"], secret=c["SecretAccessKey"], token=c["SessionToken"]).list_portfolios)
    assert code == "AccessDeniedException"
    # the AWS CLI gets one too; a user without the permission is refused
    p = d.aws("sts", "get-federation-token", "--name", "carol", key=key, secret=secret, check=True)
    assert p.json["FederatedUser"]["Arn"] == "arn:aws:sts::%s:federated-user/carol" % ACCOUNT
    k2, s2 = new_user(iam, "no-fed", [allow("sts:GetCallerIdentity")])
    code, msg, _ = fails(d.client("sts", key=k2, secret=s2).get_federation_token, Name="x1")
    assert (code, msg) == (
        "AccessDenied",
        "User: arn:aws:iam::%s:user/no-fed is not authorized to perform: sts:GetFederationToken on resource: arn:aws:sts::%s:federated-user/x1 because no identity-based policy allows the sts:GetFederationToken action" % (ACCOUNT, ACCOUNT),
    )


def test_session_policy_arn_that_does_not_exist_allows_nothing(d):
    """A session policy ARN naming no policy still limits the session: to nothing (the
    stand-in policy did not parse, so such a session had all the role's permissions)."""
    iam = d.client("iam")
    user = "arn:aws:iam::%s:user/sess-asker" % ACCOUNT
    key, secret = new_user(iam, "sess-asker", [allow("sts:AssumeRole")])
    tr = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": user}, "Action": "sts:AssumeRole"}]}
    role = iam.create_role(RoleName="wide", AssumeRolePolicyDocument=json.dumps(tr))["Role"]["Arn"]
    iam.put_role_policy(RoleName="wide", PolicyName="p", PolicyDocument=policy(allow("servicecatalog:ListPortfolios")))
    sts = d.client("sts", key=key, secret=secret)
    c = sts.assume_role(RoleArn=role, RoleSessionName="ok")["Credentials"]
    creds = {"key": c["AccessKeyId"], "secret": c["SecretAccessKey"], "token": c["SessionToken"]}
    assert "PortfolioDetails" in d.client("servicecatalog", **creds).list_portfolios()
    missing = "arn:aws:iam::%s:policy/no-such-policy" % ACCOUNT
    c = sts.assume_role(RoleArn=role, RoleSessionName="narrow", PolicyArns=[{"arn": missing}])["Credentials"]
    creds = {"key": c["AccessKeyId"], "secret": c["SecretAccessKey"], "token": c["SessionToken"]}
    code, _, _ = fails(d.client("servicecatalog", **creds).list_portfolios)
    assert code == "AccessDeniedException"


def test_console_sign_in_of_another_accounts_user(d):
    """An IAM user of another account signs in to the console with that account's id (and
    not with the default account's); the session is that account's."""
    import urllib.error
    import urllib.request

    acct, key, secret = new_account(d)
    b_iam = d.client("iam", key=key, secret=secret)
    b_iam.create_user(UserName="console-b")
    b_iam.create_login_profile(UserName="console-b", Password="Console-B-Passw0rd!")

    def sign_in(account):
        body = json.dumps({"account": account, "user": "console-b", "password": "Console-B-Passw0rd!"}).encode()
        req = urllib.request.Request(d.endpoint + "/console/api/signin", data=body, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    status, out = sign_in(acct)
    assert status == 200, out
    assert out["Identity"] == {"Arn": "arn:aws:iam::%s:user/console-b" % acct, "Account": acct, "UserName": "console-b", "Type": "user"}
    c = out["Credentials"]
    who = d.client("sts", key=c["AccessKeyId"], secret=c["SecretAccessKey"], token=c["SessionToken"]).get_caller_identity()
    assert who["Account"] == acct
    status, out = sign_in(ACCOUNT)
    assert (status, out["code"]) == (401, "SignInFailed")


def test_data_directory_served_under_another_account_id(fresh_daemon):
    """A restart with another --account-id starts (its management record is its own) and
    the new default account is the management account from then on."""
    first = fresh_daemon()
    first.stop()
    again = fresh_daemon(data_dir=first.data_dir, env={"CATALOGD_ACCOUNT_ID": "210987654321"})
    assert again.client("sts").get_caller_identity()["Account"] == "210987654321"
    o = again.client("organizations").create_organization()["Organization"]
    assert o["MasterAccountId"] == "210987654321"
    rows = [json.loads(line) for line in run_bin("account", "list", "--data-dir", again.data_dir).stdout.splitlines()]
    assert sorted((r["Id"], r["Management"]) for r in rows) == [(ACCOUNT, True), ("210987654321", True)]
