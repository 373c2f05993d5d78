"""Service Catalog portfolio shares between accounts of one catalogd (the Administrator
Guide's account-to-account sharing): the hub's CreatePortfolioShare, DescribePortfolioShares,
ListPortfolioAccess, UpdatePortfolioShare, DescribePortfolioShareStatus, DeletePortfolioShare
and the spoke's AcceptPortfolioShare, RejectPortfolioShare, ListAcceptedPortfolioShares, with
AWS's errors for what cannot be shared, accepted or deleted.

The module runs its own daemon so listings are its own.
"""

import pytest

from conftest import ACCOUNT, Daemon
from helpers import fails, serve

UNKNOWN = "999999999999"


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
    assert code == "OperationNotSupportedException"
    assert "AWS Organizations access" in msg
    assert sc.list_organization_portfolio_access(
        PortfolioId=portfolio, OrganizationNodeType="ORGANIZATION")["OrganizationNodes"] == []


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
