"""Service Catalog portfolio shares between accounts of one catalogd (the Administrator
Guide's account-to-account sharing): the hub's CreatePortfolioShare, DescribePortfolioShares,
ListPortfolioAccess, UpdatePortfolioShare, DescribePortfolioShareStatus, DeletePortfolioShare
and the spoke's AcceptPortfolioShare, RejectPortfolioShare, ListAcceptedPortfolioShares, with
AWS's errors for what cannot be shared, accepted or deleted.

Two accounts (the management account as the hub, one made with `catalogd account create`
as the spoke) share one daemon. The module runs its own daemons so listings are its own.
"""

import json
import os
import sys

import pytest

from conftest import ACCOUNT, REGION, REPO, Daemon
from helpers import fails, new_account, new_role, serve, wait_for
from sc_world import RESTART_DEFINITION, tutorial_step1_policy

sys.path.insert(0, os.path.join(REPO, "tools"))
import demo_data  # noqa: E402

UNKNOWN = "999999999999"
TEMPLATES = os.path.join(REPO, "data", "templates")
DESKTOP = "file://" + os.path.join(TEMPLATES, "linux-desktop-v1.yaml")


@pytest.fixture(scope="module")
def d():
    yield from serve(Daemon())


@pytest.fixture(scope="module")
def sc(d):
    return d.client("servicecatalog")


@pytest.fixture
def portfolio(sc):
    pid = sc.create_portfolio(DisplayName="Shared", ProviderName="IT")["PortfolioDetail"]["Id"]
    yield pid
    sc.delete_portfolio(Id=pid)


def test_a_portfolio_is_not_shared_with_its_own_account(sc, portfolio):
    code, msg, status = fails(sc.create_portfolio_share, PortfolioId=portfolio, AccountId=ACCOUNT)
    assert (code, status) == ("InvalidParametersException", 400)
    assert "cannot be shared with its own account" in msg
    assert sc.describe_portfolio_shares(PortfolioId=portfolio, Type="ACCOUNT")["PortfolioShareDetails"] == []


def test_an_account_catalogd_does_not_hold_is_refused(sc, portfolio):
    code, msg, _ = fails(sc.create_portfolio_share, PortfolioId=portfolio, AccountId=UNKNOWN)
    assert (code, msg) == ("InvalidParametersException", "Account %s does not exist." % UNKNOWN)
    assert sc.list_portfolio_access(PortfolioId=portfolio)["AccountIds"] == []


def test_exactly_one_recipient_is_named(sc, portfolio):
    code, msg, _ = fails(sc.create_portfolio_share, PortfolioId=portfolio)
    assert (code, msg) == ("InvalidParametersException",
                           "Exactly one of AccountId or OrganizationNode must be specified.")
    code, _, _ = fails(sc.create_portfolio_share, PortfolioId=portfolio, AccountId=UNKNOWN,
                       OrganizationNode={"Type": "ACCOUNT", "Value": UNKNOWN})
    assert code == "InvalidParametersException"


def test_organization_shares_need_organizations_access(sc, portfolio):
    code, msg, _ = fails(sc.create_portfolio_share, PortfolioId=portfolio,
                         OrganizationNode={"Type": "ORGANIZATION", "Value": "o-abcdefghij"})
    assert (code, msg) == ("InvalidStateException", "Portfolio sharing through AWS Organizations is not "
                           "enabled: call EnableAWSOrganizationsAccess first.")
    # only an organization's management account manages the access (this one is in none)
    for call, kw in [(sc.enable_aws_organizations_access, {}), (sc.get_aws_organizations_access_status, {}),
                     (sc.list_organization_portfolio_access,
                      {"PortfolioId": portfolio, "OrganizationNodeType": "ORGANIZATION"})]:
        code, msg, _ = fails(call, **kw)
        assert (code, msg) == ("OperationNotSupportedException", "Only the management account of an "
                               "organization can manage AWS Organizations access for Service Catalog.")


def test_an_unknown_portfolio_is_not_found(sc):
    for call, kw in [
        (sc.create_portfolio_share, {"AccountId": UNKNOWN}),
        (sc.delete_portfolio_share, {"AccountId": UNKNOWN}),
        (sc.update_portfolio_share, {"AccountId": UNKNOWN, "SharePrincipals": True}),
        (sc.describe_portfolio_shares, {"Type": "ACCOUNT"}),
        (sc.list_portfolio_access, {}),
    ]:
        code, msg, status = fails(call, PortfolioId="port-doesnotexist1", **kw)
        assert (code, msg, status) == ("ResourceNotFoundException", "Portfolio port-doesnotexist1 not found.", 400)


def test_a_share_that_does_not_exist(sc, portfolio):
    code, msg, _ = fails(sc.delete_portfolio_share, PortfolioId=portfolio, AccountId=UNKNOWN)
    assert (code, msg) == ("ResourceNotFoundException",
                           "Portfolio %s is not shared with account %s." % (portfolio, UNKNOWN))
    code, _, _ = fails(sc.update_portfolio_share, PortfolioId=portfolio, AccountId=UNKNOWN, ShareTagOptions=True)
    assert code == "ResourceNotFoundException"
    code, msg, _ = fails(sc.update_portfolio_share, PortfolioId=portfolio, AccountId=UNKNOWN)
    assert (code, msg) == ("InvalidParametersException", "Specify ShareTagOptions or SharePrincipals to update.")
    code, msg, _ = fails(sc.describe_portfolio_share_status, PortfolioShareToken="share-nosuchtoken00")
    assert (code, msg) == ("ResourceNotFoundException", "Portfolio share token share-nosuchtoken00 not found.")


def test_nothing_offered_cannot_be_accepted_or_rejected(sc, portfolio):
    for call in (sc.accept_portfolio_share, sc.reject_portfolio_share):
        code, msg, _ = fails(call, PortfolioId=portfolio)
        assert (code, msg) == ("ResourceNotFoundException",
                               "Portfolio %s has not been shared with account %s." % (portfolio, ACCOUNT))
    assert sc.list_accepted_portfolio_shares()["PortfolioDetails"] == []
    assert sc.list_accepted_portfolio_shares(PortfolioShareType="AWS_SERVICECATALOG")["PortfolioDetails"] == []


def test_page_tokens_are_checked(sc, portfolio):
    for call, kw in [
        (sc.describe_portfolio_shares, {"PortfolioId": portfolio, "Type": "ACCOUNT"}),
        (sc.list_portfolio_access, {"PortfolioId": portfolio}),
        (sc.list_accepted_portfolio_shares, {}),
    ]:
        code, msg, _ = fails(call, PageToken="not-a-token", **kw)
        assert (code, msg) == ("InvalidParametersException", "The page token is not valid.")


# ---- two accounts: the hub shares, the spoke imports and launches



@pytest.fixture(scope="module")
def two():
    """A daemon with the management account (the hub) and one more (the spoke)."""
    d = Daemon(args=["--template-dir", TEMPLATES])
    gen = serve(d)
    next(gen)
    spoke, key, secret = new_account(d)
    yield d, spoke, key, secret
    next(gen, None)


def launch_role(iam):
    """The tutorial's SCLaunchRole in an account: trusted by Service Catalog, allowed the stack."""
    new_role(iam, "SCLaunchRole", demo_data.LAUNCH_TRUST, exist_ok=True)
    iam.put_role_policy(RoleName="SCLaunchRole", PolicyName="launch",
                        PolicyDocument=json.dumps(demo_data.LAUNCH_POLICY))


def record_end(sc, rid):
    def ended():
        r = sc.describe_record(Id=rid)["RecordDetail"]
        return r if r["Status"] in ("SUCCEEDED", "FAILED") else None
    return wait_for(ended, 60, "record %s to end" % rid)


def hub_catalog(d, name="Engineering Tools"):
    """The hub's catalog: a portfolio with Linux Desktop, launched as the local
    SCLaunchRole, and the tutorial's restart action on its version. Returns (portfolio
    detail, product id, version id, action id)."""
    hub_sc = d.client("servicecatalog")
    launch_role(d.client("iam"))
    port = hub_sc.create_portfolio(DisplayName=name, ProviderName="IT")["PortfolioDetail"]
    prod = hub_sc.create_product(Name="Linux Desktop", Owner="IT", ProductType="CLOUD_FORMATION_TEMPLATE",
                                 ProvisioningArtifactParameters={"Name": "v1.0", "Info": {"LoadTemplateFromURL": DESKTOP}})
    pid, vid = prod["ProductViewDetail"]["ProductViewSummary"]["ProductId"], prod["ProvisioningArtifactDetail"]["Id"]
    hub_sc.associate_product_with_portfolio(PortfolioId=port["Id"], ProductId=pid)
    hub_sc.create_constraint(PortfolioId=port["Id"], ProductId=pid, Type="LAUNCH",
                             Parameters=json.dumps({"LocalRoleName": "SCLaunchRole"}))
    action = hub_sc.create_service_action(Name="Restart", DefinitionType="SSM_AUTOMATION",
                                          Definition=RESTART_DEFINITION)["ServiceActionDetail"]["ServiceActionSummary"]["Id"]
    hub_sc.associate_service_action_with_provisioning_artifact(ServiceActionId=action, ProductId=pid,
                                                               ProvisioningArtifactId=vid)
    return port, pid, vid, action


def test_share_and_import(two):
    """The share's life between two accounts, and what the spoke may and may not do with it."""
    d, spoke, key, secret = two
    hub_sc, sp_sc = d.client("servicecatalog"), d.client("servicecatalog", key=key, secret=secret)
    port, pid, vid, action = hub_catalog(d)
    # before any share the spoke sees nothing of it, and can import nothing
    code, _, _ = fails(sp_sc.describe_portfolio, Id=port["Id"])
    assert code == "ResourceNotFoundException"
    code, _, _ = fails(sp_sc.accept_portfolio_share, PortfolioId=port["Id"])
    assert code == "ResourceNotFoundException"
    code, _, _ = fails(sp_sc.provision_product, ProductId=pid, ProvisioningArtifactId=vid,
                       ProvisionedProductName="not-mine")
    assert code == "ResourceNotFoundException"
    assert sp_sc.scan_provisioned_products(AccessLevelFilter={"Key": "Account", "Value": "self"})[
        "ProvisionedProducts"] == []

    hub_sc.create_portfolio_share(PortfolioId=port["Id"], AccountId=spoke)
    assert hub_sc.describe_portfolio_shares(PortfolioId=port["Id"], Type="ACCOUNT")["PortfolioShareDetails"] == [
        {"PrincipalId": spoke, "Type": "ACCOUNT", "Accepted": False, "ShareTagOptions": False, "SharePrincipals": False}]
    assert hub_sc.list_portfolio_access(PortfolioId=port["Id"])["AccountIds"] == [spoke]
    code, _, _ = fails(hub_sc.delete_portfolio, Id=port["Id"])
    assert code == "ResourceInUseException"
    # offered, not yet imported: not the spoke's to grant
    code, _, _ = fails(sp_sc.associate_principal_with_portfolio, PortfolioId=port["Id"],
                       PrincipalARN="arn:aws:iam::%s:root" % spoke, PrincipalType="IAM")
    assert code == "ResourceNotFoundException"

    sp_sc.accept_portfolio_share(PortfolioId=port["Id"])
    sp_sc.accept_portfolio_share(PortfolioId=port["Id"], PortfolioShareType="IMPORTED")  # again
    assert hub_sc.describe_portfolio_shares(PortfolioId=port["Id"], Type="ACCOUNT")["PortfolioShareDetails"][0]["Accepted"]
    imported = sp_sc.list_accepted_portfolio_shares()["PortfolioDetails"]
    assert [(p["Id"], p["ARN"], p["DisplayName"]) for p in imported] == [(port["Id"], port["ARN"], "Engineering Tools")]
    assert port["ARN"].startswith("arn:aws:catalog:%s:%s:" % (REGION, ACCOUNT))
    assert sp_sc.list_portfolios()["PortfolioDetails"] == []  # imports are not the spoke's own
    assert sp_sc.describe_portfolio(Id=port["Id"])["PortfolioDetail"]["Id"] == port["Id"]

    # the spoke cannot change the hub's catalog, nor share it on
    for call, kw in [
        (sp_sc.associate_product_with_portfolio, {"PortfolioId": port["Id"], "ProductId": pid}),
        (sp_sc.create_constraint, {"PortfolioId": port["Id"], "ProductId": pid, "Type": "LAUNCH",
                                                  "Parameters": json.dumps({"LocalRoleName": "SCLaunchRole"})}),
        (sp_sc.update_portfolio, {"Id": port["Id"], "DisplayName": "mine"}),
        (sp_sc.delete_portfolio, {"Id": port["Id"]}),
    ]:
        code, _, _ = fails(call, **kw)
        assert code == "ResourceNotFoundException", call
    for call in (sp_sc.create_portfolio_share, sp_sc.delete_portfolio_share):
        code, msg, _ = fails(call, PortfolioId=port["Id"], AccountId=ACCOUNT)
        assert (code, msg) == ("InvalidParametersException", "Portfolio %s is imported: only the account that "
                               "owns a portfolio can share it." % port["Id"])
    assert hub_sc.describe_portfolio(Id=port["Id"])["PortfolioDetail"]["DisplayName"] == "Engineering Tools"

    # the spoke sees the hub's product through the import (its root sees every portfolio it has)
    assert [p["ProductId"] for p in sp_sc.search_products()["ProductViewSummaries"]] == [pid]
    described = sp_sc.describe_product(Id=pid)
    assert described["ProductViewSummary"]["Name"] == "Linux Desktop"
    assert [a["Id"] for a in described["ProvisioningArtifacts"]] == [vid]
    paths = sp_sc.list_launch_paths(ProductId=pid)["LaunchPathSummaries"]
    assert [(p["Name"], p["ConstraintSummaries"]) for p in paths] == [("Engineering Tools", [{"Type": "LAUNCH"}])]
    assert paths[0]["Id"].startswith("lpv3-")  # AWS's launch path id form
    assert described["LaunchPaths"] == [{"Id": paths[0]["Id"], "Name": "Engineering Tools"}]
    params = sp_sc.describe_provisioning_parameters(ProductId=pid, ProvisioningArtifactId=vid, PathId=port["Id"])
    # the hub's LocalRoleName names the role of the account that launches
    assert {"Type": "launchAsRole", "Value": "arn:aws:iam::%s:role/SCLaunchRole" % spoke} in params["UsageInstructions"]
    assert "InstanceType" in [p["ParameterKey"] for p in params["ProvisioningArtifactParameters"]]
    code, _, _ = fails(sp_sc.describe_product_as_admin, Id=pid)  # the hub's to administer
    assert code == "ResourceNotFoundException"

    # the spoke grants its own principals (a pattern: its IAM is its own); the hub's list is the hub's
    pattern = "arn:aws:iam:::user/end*"
    sp_sc.associate_principal_with_portfolio(PortfolioId=port["Id"], PrincipalARN=pattern, PrincipalType="IAM_PATTERN")
    assert sp_sc.list_principals_for_portfolio(PortfolioId=port["Id"])["Principals"] == [
        {"PrincipalARN": pattern, "PrincipalType": "IAM_PATTERN"}]
    assert hub_sc.list_principals_for_portfolio(PortfolioId=port["Id"])["Principals"] == []

    # a rejected import goes (with the spoke's grants) and may be accepted again
    sp_sc.reject_portfolio_share(PortfolioId=port["Id"])
    assert sp_sc.list_accepted_portfolio_shares()["PortfolioDetails"] == []
    assert not hub_sc.describe_portfolio_shares(PortfolioId=port["Id"], Type="ACCOUNT")["PortfolioShareDetails"][0]["Accepted"]
    code, _, _ = fails(sp_sc.list_principals_for_portfolio, PortfolioId=port["Id"])
    assert code == "ResourceNotFoundException"
    sp_sc.accept_portfolio_share(PortfolioId=port["Id"])
    assert sp_sc.list_principals_for_portfolio(PortfolioId=port["Id"])["Principals"] == []

    # the options of the share, and the token UpdatePortfolioShare answers
    up = hub_sc.update_portfolio_share(PortfolioId=port["Id"], AccountId=spoke, SharePrincipals=True)
    assert up["Status"] == "COMPLETED"
    st = hub_sc.describe_portfolio_share_status(PortfolioShareToken=up["PortfolioShareToken"])
    assert (st["PortfolioId"], st["OrganizationNodeValue"], st["Status"], st["ShareDetails"]) == (
        port["Id"], spoke, "COMPLETED", {"SuccessfulShares": [spoke], "ShareErrors": []})
    detail = hub_sc.describe_portfolio_shares(PortfolioId=port["Id"], Type="ACCOUNT")["PortfolioShareDetails"]
    assert detail == [{"PrincipalId": spoke, "Type": "ACCOUNT", "Accepted": True, "ShareTagOptions": False,
                       "SharePrincipals": True}]
    assert hub_sc.describe_portfolio_shares(PortfolioId=port["Id"], Type="ORGANIZATION")["PortfolioShareDetails"] == []
    code, _, _ = fails(sp_sc.describe_portfolio_shares, PortfolioId=port["Id"], Type="ACCOUNT")
    assert code == "InvalidParametersException"  # the spoke's is an import, not its share

    # deleting the share takes the import away; nothing is left to accept
    hub_sc.delete_portfolio_share(PortfolioId=port["Id"], AccountId=spoke)
    assert hub_sc.list_portfolio_access(PortfolioId=port["Id"])["AccountIds"] == []
    assert sp_sc.list_accepted_portfolio_shares()["PortfolioDetails"] == []
    code, _, _ = fails(sp_sc.describe_portfolio, Id=port["Id"])
    assert code == "ResourceNotFoundException"
    code, _, _ = fails(sp_sc.accept_portfolio_share, PortfolioId=port["Id"])
    assert code == "ResourceNotFoundException"
    code, _, _ = fails(hub_sc.delete_portfolio_share, PortfolioId=port["Id"], AccountId=spoke)
    assert code == "ResourceNotFoundException"


def test_hub_and_spoke(two):
    """The issue's check: the hub shares a portfolio with the spoke, the spoke imports it and
    grants its end user (the tutorial's end-user policies), who launches the product in the
    spoke and runs the hub's service action on it; the hub's deleting the share ends new
    launches and leaves what was launched."""
    d, spoke, key, secret = two
    hub_sc, hub_cfn = d.client("servicecatalog"), d.client("cloudformation")
    sp = {s: d.client(s, key=key, secret=secret) for s in ("servicecatalog", "iam", "cloudformation")}
    port, pid, vid, action = hub_catalog(d, "Hub Tools")
    hub_sc.create_portfolio_share(PortfolioId=port["Id"], AccountId=spoke)
    sp["servicecatalog"].accept_portfolio_share(PortfolioId=port["Id"])

    # the spoke's admin: its own launch role, and its end user with the tutorial's policies
    launch_role(sp["iam"])
    user = sp["iam"].create_user(UserName="enduser")["User"]["Arn"]
    assert user == "arn:aws:iam::%s:user/enduser" % spoke
    sp["iam"].put_user_policy(UserName="enduser", PolicyName="enduser",
                              PolicyDocument=json.dumps(demo_data.ENDUSER_POLICY))
    sp["iam"].put_user_policy(UserName="enduser", PolicyName="step1", PolicyDocument=tutorial_step1_policy())
    k = sp["iam"].create_access_key(UserName="enduser")["AccessKey"]
    eu = d.client("servicecatalog", key=k["AccessKeyId"], secret=k["SecretAccessKey"])
    assert eu.search_products()["ProductViewSummaries"] == []
    sp["servicecatalog"].associate_principal_with_portfolio(PortfolioId=port["Id"], PrincipalARN=user,
                                                            PrincipalType="IAM")

    # the spoke's end user sees, launches and acts on the hub's product, in the spoke
    assert [p["ProductId"] for p in eu.search_products()["ProductViewSummaries"]] == [pid]
    path_ids = [p["Id"] for p in eu.list_launch_paths(ProductId=pid)["LaunchPathSummaries"]]
    assert len(path_ids) == 1 and path_ids[0].startswith("lpv3-")
    rec = eu.provision_product(ProductId=pid, ProvisioningArtifactId=vid, PathId=path_ids[0],
                               ProvisionedProductName="desk-spoke")["RecordDetail"]
    done = record_end(eu, rec["RecordId"])
    assert done["Status"] == "SUCCEEDED", done
    pp = eu.describe_provisioned_product(Id=rec["ProvisionedProductId"])["ProvisionedProductDetail"]
    assert (pp["Status"], pp["ProductId"], pp["LaunchRoleArn"]) == (
        "AVAILABLE", pid, "arn:aws:iam::%s:role/SCLaunchRole" % spoke)
    stack = "SC-%s-%s" % (spoke, pp["Id"])
    assert sp["cloudformation"].describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    code, _, _ = fails(hub_cfn.describe_stacks, StackName=stack)
    assert code == "ValidationError"  # the stack is the spoke's, not the hub's
    assert hub_sc.scan_provisioned_products(AccessLevelFilter={"Key": "Account", "Value": "self"})[
        "ProvisionedProducts"] == []
    run = eu.execute_provisioned_product_service_action(ProvisionedProductId=pp["Id"], ServiceActionId=action)
    done = record_end(eu, run["RecordDetail"]["RecordId"])
    assert (done["Status"], done["RecordType"]) == ("SUCCEEDED", "EXECUTE_PROVISIONED_PRODUCT_SERVICE_ACTION"), done

    # the hub deletes the share: the spoke's access goes, what it launched stays
    hub_sc.delete_portfolio_share(PortfolioId=port["Id"], AccountId=spoke)
    assert eu.search_products()["ProductViewSummaries"] == []
    code, _, _ = fails(eu.provision_product, ProductId=pid, ProvisioningArtifactId=vid, PathId=port["Id"],
                       ProvisionedProductName="desk-2")
    assert code == "ResourceNotFoundException"
    assert eu.describe_provisioned_product(Id=pp["Id"])["ProvisionedProductDetail"]["Status"] == "AVAILABLE"


def test_organization_share(two):
    """Sharing through AWS Organizations: the management account enables the access, shares
    with its organization (a token to follow), and a member imports the portfolio as an
    AWS_ORGANIZATIONS share; an account outside the organization is no node of it."""
    d, outsider, _, _ = two
    hub_sc, org = d.client("servicecatalog"), d.client("organizations")
    port, _, _, _ = hub_catalog(d, "Org Tools")
    org_id = org.create_organization(FeatureSet="ALL")["Organization"]["Id"]
    status = org.create_account(AccountName="member", Email="member@example.com")["CreateAccountStatus"]
    member = wait_for(lambda: org.describe_create_account_status(CreateAccountRequestId=status["Id"])[
        "CreateAccountStatus"].get("AccountId"), 30, "the member account")
    # the member, reached as the management account does: OrganizationAccountAccessRole
    iam = d.client("iam")
    iam.create_user(UserName="orgadmin")
    iam.put_user_policy(UserName="orgadmin", PolicyName="assume", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}))
    k = iam.create_access_key(UserName="orgadmin")["AccessKey"]
    creds = d.client("sts", key=k["AccessKeyId"], secret=k["SecretAccessKey"]).assume_role(
        RoleArn="arn:aws:iam::%s:role/OrganizationAccountAccessRole" % member, RoleSessionName="admin")["Credentials"]
    m_sc = d.client("servicecatalog", key=creds["AccessKeyId"], secret=creds["SecretAccessKey"],
                    token=creds["SessionToken"])

    node = {"Type": "ORGANIZATION", "Value": org_id}
    code, _, _ = fails(hub_sc.create_portfolio_share, PortfolioId=port["Id"], OrganizationNode=node)
    assert code == "InvalidStateException"
    assert hub_sc.get_aws_organizations_access_status()["AccessStatus"] == "DISABLED"
    hub_sc.enable_aws_organizations_access()
    assert hub_sc.get_aws_organizations_access_status()["AccessStatus"] == "ENABLED"
    code, _, _ = fails(m_sc.enable_aws_organizations_access)
    assert code == "OperationNotSupportedException"  # a member is not the management account

    token = hub_sc.create_portfolio_share(PortfolioId=port["Id"], OrganizationNode=node)["PortfolioShareToken"]
    st = hub_sc.describe_portfolio_share_status(PortfolioShareToken=token)
    assert (st["Status"], st["OrganizationNodeValue"], st["ShareDetails"]["SuccessfulShares"]) == (
        "COMPLETED", org_id, [member])
    assert hub_sc.describe_portfolio_shares(PortfolioId=port["Id"], Type="ORGANIZATION")["PortfolioShareDetails"] == [
        {"PrincipalId": org_id, "Type": "ORGANIZATION", "Accepted": True, "ShareTagOptions": False,
         "SharePrincipals": False}]
    assert hub_sc.list_organization_portfolio_access(PortfolioId=port["Id"], OrganizationNodeType="ORGANIZATION")[
        "OrganizationNodes"] == [node]
    assert hub_sc.list_portfolio_access(PortfolioId=port["Id"])["AccountIds"] == []  # no account share
    assert hub_sc.list_portfolio_access(PortfolioId=port["Id"], OrganizationParentId=org_id)["AccountIds"] == [member]
    for bad, code in [({"Type": "ACCOUNT", "Value": outsider}, "InvalidParametersException"),
                      ({"Type": "ORGANIZATION", "Value": "o-zzzzzzzzzz"}, "InvalidParametersException"),
                      ({"Type": "ORGANIZATIONAL_UNIT", "Value": "ou-abcd-12345678"}, "ResourceNotFoundException")]:
        assert fails(hub_sc.create_portfolio_share, PortfolioId=port["Id"], OrganizationNode=bad)[0] == code, bad

    # the member imports it as an organization share, not as an account share
    code, _, _ = fails(m_sc.accept_portfolio_share, PortfolioId=port["Id"])
    assert code == "ResourceNotFoundException"
    m_sc.accept_portfolio_share(PortfolioId=port["Id"], PortfolioShareType="AWS_ORGANIZATIONS")
    assert [p["Id"] for p in m_sc.list_accepted_portfolio_shares(PortfolioShareType="AWS_ORGANIZATIONS")[
        "PortfolioDetails"]] == [port["Id"]]
    assert m_sc.list_accepted_portfolio_shares()["PortfolioDetails"] == []

    token = hub_sc.delete_portfolio_share(PortfolioId=port["Id"], OrganizationNode=node)["PortfolioShareToken"]
    assert hub_sc.describe_portfolio_share_status(PortfolioShareToken=token)["Status"] == "COMPLETED"
    assert m_sc.list_accepted_portfolio_shares(PortfolioShareType="AWS_ORGANIZATIONS")["PortfolioDetails"] == []
    assert hub_sc.list_organization_portfolio_access(PortfolioId=port["Id"], OrganizationNodeType="ORGANIZATION")[
        "OrganizationNodes"] == []


def pages(call, member, **kw):
    """Every page of a list at PageSize 1: the items of each page, in order."""
    out, token = [], None
    while True:
        page = call(PageSize=1, **({"PageToken": token} if token else {}), **kw)
        out.append(page[member])
        token = page.get("NextPageToken")
        if not token:
            return out


def test_share_lists_page_by_key(two):
    d, spoke, key, secret = two
    hub_sc, sp_sc = d.client("servicecatalog"), d.client("servicecatalog", key=key, secret=secret)
    others = [new_account(d)[0] for _ in range(2)]
    port, _, _, _ = hub_catalog(d, "Paged")
    for acct in [spoke] + others:
        hub_sc.create_portfolio_share(PortfolioId=port["Id"], AccountId=acct)
    shares = pages(hub_sc.describe_portfolio_shares, "PortfolioShareDetails", PortfolioId=port["Id"], Type="ACCOUNT")
    assert [[s["PrincipalId"] for s in page] for page in shares] == [[spoke], others[:1], others[1:]]
    assert pages(hub_sc.list_portfolio_access, "AccountIds", PortfolioId=port["Id"]) == [[spoke], others[:1], others[1:]]
    second, _, _, _ = hub_catalog(d, "Paged too")
    hub_sc.create_portfolio_share(PortfolioId=second["Id"], AccountId=spoke)
    for p in (port, second):
        sp_sc.accept_portfolio_share(PortfolioId=p["Id"])
    accepted = pages(sp_sc.list_accepted_portfolio_shares, "PortfolioDetails")
    assert [[p["Id"] for p in page] for page in accepted] == [[port["Id"]], [second["Id"]]]
    for p in (port, second):
        for acct in [spoke] + (others if p is port else []):
            hub_sc.delete_portfolio_share(PortfolioId=p["Id"], AccountId=acct)
