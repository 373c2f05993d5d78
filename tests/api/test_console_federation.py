"""Console sign-in through an OpenID Connect identity provider (issue 14, Deliver 4), with
the authorization-code flow: catalogd redirects the browser to the IdP with state, nonce
and a PKCE challenge; the IdP sends it back with a code; catalogd trades the code for an
ID token, checks its nonce and assumes the configured role with
AssumeRoleWithWebIdentity (which verifies the token against the IdP's keys and the role's
trust policy), and the console page collects the role session once. The IdP is
oidc_idp.IdP on 127.0.0.1 over HTTPS; the browser is a requests.Session with its cookies."""

import urllib.parse

import pytest
import requests

from conftest import ACCOUNT, Daemon
from helpers import allow, policy, serve
from oidc_idp import IdP, web_trust
from oidc_idp import idp  # noqa: F401 (a fixture)

ROLE = "console-users"
ROLE_ARN = "arn:aws:iam::%s:role/%s" % (ACCOUNT, ROLE)


@pytest.fixture(scope="module")
def d(idp):
    daemon = Daemon(
        args=["--fetch-allow", "127.0.0.1/32", "--oidc-issuer", idp.url, "--oidc-client-id", "console",
              "--oidc-role-arn", ROLE_ARN, "--oidc-name", "TestIdP"],
        env={"CATALOGD_OIDC_CLIENT_SECRET": IdP.client_secret},
    )
    yield from serve(daemon)


@pytest.fixture(scope="module")
def world(d, idp):
    iam = d.client("iam")
    arn = iam.create_open_id_connect_provider(Url=idp.url, ClientIDList=["console"], ThumbprintList=[idp.thumbprint])[
        "OpenIDConnectProviderArn"
    ]
    iam.create_role(RoleName=ROLE, AssumeRolePolicyDocument=web_trust(arn, {idp.host + ":aud": "console"}))
    iam.put_role_policy(RoleName=ROLE, PolicyName="p", PolicyDocument=policy(allow("iam:ListRoles")))
    return arn


@pytest.fixture
def idp_ok(idp):
    idp.bad_nonce = idp.bad_signature = False
    yield idp
    idp.bad_nonce = idp.bad_signature = False


def sign_in(d, idp, browser, tamper_state=False):
    """Drives the flow hop by hop; returns the callback's answer."""
    r = browser.get(d.endpoint + "/console/api/federation/start", allow_redirects=False)
    assert r.status_code == 302, r.text
    to_idp = r.headers["Location"]
    assert to_idp.startswith(idp.url + "/authorize?")
    q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(to_idp).query))
    assert q["client_id"] == "console" and q["response_type"] == "code" and "openid" in q["scope"]
    assert q["code_challenge_method"] == "S256" and q["state"] and q["nonce"]
    assert q["redirect_uri"] == d.endpoint + "/console/api/federation/callback"
    r = browser.get(to_idp, allow_redirects=False, verify=idp.cert)
    assert r.status_code == 302
    back = r.headers["Location"]
    if tamper_state:
        back = back.replace("state=", "state=x")
    return browser.get(back, allow_redirects=False)


def collect(d, browser):
    return browser.post(d.endpoint + "/console/api/federation/session", json={})


def test_sign_in_lands_in_the_role_session(d, idp_ok, world):
    hints = requests.get(d.endpoint + "/console/api/signin").json()
    assert hints["Federation"] == {"Name": "TestIdP", "Start": "/console/api/federation/start"}
    idp_ok.login_claims = {"preferred_username": "jane.doe"}
    browser = requests.Session()
    r = sign_in(d, idp_ok, browser)
    assert r.status_code == 302 and r.headers["Location"] == "/console/?federated=1", r.text
    # the code was traded with the PKCE verifier and the client secret (the IdP checks both)
    assert idp_ok.token_requests[-1]["code_verifier"]
    answer = collect(d, browser)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    arn = "arn:aws:sts::%s:assumed-role/%s/jane.doe" % (ACCOUNT, ROLE)
    assert body["Identity"]["Arn"] == arn and body["Identity"]["Type"] == "assumed-role"
    assert body["Identity"]["Account"] == ACCOUNT and body["Region"] == "us-east-1"
    c = body["Credentials"]
    creds = dict(key=c["AccessKeyId"], secret=c["SecretAccessKey"], token=c["SessionToken"])
    assert d.client("sts", **creds).get_caller_identity()["Arn"] == arn
    assert any(r["RoleName"] == ROLE for r in d.client("iam", **creds).list_roles()["Roles"])
    # the ticket is good once
    assert collect(d, browser).status_code == 401


def test_state_must_be_this_browsers(d, idp_ok, world):
    r = sign_in(d, idp_ok, requests.Session(), tamper_state=True)
    assert r.status_code == 400 and "not started here" in r.text
    # a callback in another browser (no state cookie) is refused too
    browser = requests.Session()
    r = browser.get(d.endpoint + "/console/api/federation/start", allow_redirects=False)
    r = browser.get(r.headers["Location"], allow_redirects=False, verify=idp_ok.cert)
    other = requests.Session()
    r = other.get(r.headers["Location"], allow_redirects=False)
    assert r.status_code == 400
    assert collect(d, other).status_code == 401


def test_bad_nonce_is_refused(d, idp_ok, world):
    idp_ok.bad_nonce = True
    browser = requests.Session()
    r = sign_in(d, idp_ok, browser)
    assert r.status_code == 403 and "nonce" in r.text
    assert collect(d, browser).status_code == 401


def test_wrong_signature_is_refused(d, idp_ok, world):
    idp_ok.bad_signature = True
    browser = requests.Session()
    r = sign_in(d, idp_ok, browser)
    assert r.status_code == 403 and "InvalidIdentityToken" in r.text, r.text
    assert collect(d, browser).status_code == 401


def test_not_configured(fresh_daemon):
    g = fresh_daemon()
    assert "Federation" not in requests.get(g.endpoint + "/console/api/signin").json()
    r = requests.get(g.endpoint + "/console/api/federation/start", allow_redirects=False)
    assert r.status_code == 404


def test_a_sign_in_outlives_a_restart(d, idp_ok, world):
    """The sign-ins under way and the tickets are kept in the store, not in the process: the
    identity provider's redirect and the page's collection may reach another node (here the
    same daemon restarted) than the one that started the sign-in."""
    idp_ok.login_claims = {"preferred_username": "restarted"}
    browser = requests.Session()
    r = browser.get(d.endpoint + "/console/api/federation/start", allow_redirects=False)
    assert r.status_code == 302, r.text
    r = browser.get(r.headers["Location"], allow_redirects=False, verify=idp_ok.cert)
    assert r.status_code == 302
    back = urllib.parse.urlsplit(r.headers["Location"])
    old = d.endpoint
    assert d.stop() == 0
    d.start()
    assert back.geturl().startswith(old)
    r = browser.get(d.endpoint + back.path + "?" + back.query, allow_redirects=False)
    assert r.status_code == 302 and r.headers["Location"] == "/console/?federated=1", r.text
    assert d.stop() == 0
    d.start()
    answer = collect(d, browser)
    assert answer.status_code == 200, answer.text
    assert answer.json()["Identity"]["Arn"].endswith(":assumed-role/%s/restarted" % ROLE)
    c = answer.json()["Credentials"]
    sts = d.client("sts", key=c["AccessKeyId"], secret=c["SecretAccessKey"], token=c["SessionToken"])
    assert sts.get_caller_identity()["Arn"].endswith(":assumed-role/%s/restarted" % ROLE)
    assert collect(d, browser).status_code == 401  # still good once
