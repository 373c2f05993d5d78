"""IAM OpenID Connect providers and sts:AssumeRoleWithWebIdentity (issue 14, Deliver 3):
the token's signature is checked against the keys the identity provider publishes (found
through its discovery document, read over HTTPS with the provider's thumbprint as the
certificate pin), then its times and audience, then the role's trust policy with the
token's claims as condition keys. The identity provider is oidc_idp.IdP: a self-signed
HTTPS server on 127.0.0.1 that catalogd may reach only because the daemon is started
with --fetch-allow 127.0.0.1/32."""


import urllib.error
import urllib.parse
import urllib.request

import pytest

from conftest import ACCOUNT, Daemon
from helpers import allow, cli_error, fails, policy, serve
from oidc_idp import IdP, jwk, rsa_key
from oidc_idp import idp  # noqa: F401 (a fixture)
from oidc_idp import web_trust as trust_of

ROLE = "web-app"


@pytest.fixture(scope="module")
def d():
    yield from serve(Daemon(args=["--fetch-allow", "127.0.0.1/32"], env={"CATALOGD_TEST_CLOCK": "1"}))


def web_trust(provider_arn, host, sub="alice", aud="client-1"):
    return trust_of(provider_arn, {host + ":aud": aud, host + ":sub": sub})


@pytest.fixture(scope="module")
def world(d, idp):
    """The provider (via the AWS CLI) and a role trusting it for alice; returns
    (provider ARN, role ARN)."""
    p = d.aws(
        "iam", "create-open-id-connect-provider", "--url", idp.url, "--client-id-list", "client-1",
        "--thumbprint-list", idp.thumbprint, check=True,
    )
    arn = p.json["OpenIDConnectProviderArn"]
    assert arn == "arn:aws:iam::%s:oidc-provider/%s" % (ACCOUNT, idp.host)
    iam = d.client("iam")
    role = iam.create_role(RoleName=ROLE, AssumeRolePolicyDocument=web_trust(arn, idp.host))["Role"]["Arn"]
    iam.put_role_policy(RoleName=ROLE, PolicyName="p", PolicyDocument=policy(allow("iam:ListRoles")))
    return arn, role


def assume(d, role, token, session="s1", **kw):
    return d.client("sts").assume_role_with_web_identity(RoleArn=role, RoleSessionName=session, WebIdentityToken=token, **kw)


def test_provider_lifecycle(d, idp):
    iam = d.client("iam")
    url = "https://login.example.com/tenant-7/"
    arn = iam.create_open_id_connect_provider(
        Url=url, ClientIDList=["a", "b", "a"], ThumbprintList=["A" * 40], Tags=[{"Key": "team", "Value": "x"}]
    )["OpenIDConnectProviderArn"]
    assert arn == "arn:aws:iam::%s:oidc-provider/login.example.com/tenant-7" % ACCOUNT
    code, msg, status = fails(iam.create_open_id_connect_provider, Url=url, ThumbprintList=["a" * 40])
    assert (code, status) == ("EntityAlreadyExists", 409), msg
    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert got["Url"] == "login.example.com/tenant-7"
    assert got["ClientIDList"] == ["a", "b"] and got["ThumbprintList"] == ["A" * 40]
    assert got["Tags"] == [{"Key": "team", "Value": "x"}]
    assert {"Arn": arn} in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]

    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="c")
    iam.remove_client_id_from_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="a")
    iam.update_open_id_connect_provider_thumbprint(OpenIDConnectProviderArn=arn, ThumbprintList=["b" * 40, "c" * 40])
    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert got["ClientIDList"] == ["b", "c"] and got["ThumbprintList"] == ["b" * 40, "c" * 40]

    iam.tag_open_id_connect_provider(OpenIDConnectProviderArn=arn, Tags=[{"Key": "env", "Value": "dev"}])
    iam.untag_open_id_connect_provider(OpenIDConnectProviderArn=arn, TagKeys=["team"])
    tags = iam.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=arn)
    assert tags["Tags"] == [{"Key": "env", "Value": "dev"}] and tags["IsTruncated"] is False

    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    code, msg, status = fails(iam.get_open_id_connect_provider, OpenIDConnectProviderArn=arn)
    assert (code, status) == ("NoSuchEntity", 404) and arn in msg
    assert {"Arn": arn} not in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]


def test_provider_bad_input(d):
    iam = d.client("iam")
    for url in ("http://idp.example.com", "https://idp.example.com/?q=1", "idp.example.com"):
        code, msg, _ = fails(iam.create_open_id_connect_provider, Url=url, ThumbprintList=["a" * 40])
        assert code == "InvalidInput", (url, msg)
    code, _, _ = fails(iam.create_open_id_connect_provider, Url="https://t.example.com", ThumbprintList=["g" * 40])
    assert code == "InvalidInput"
    code, _, _ = fails(
        iam.create_open_id_connect_provider, Url="https://t.example.com", ThumbprintList=["%040d" % i for i in range(6)]
    )
    assert code == "LimitExceeded"
    p = d.aws("iam", "get-open-id-connect-provider", "--open-id-connect-provider-arn",
              "arn:aws:iam::%s:oidc-provider/nobody.example.com" % ACCOUNT)
    assert cli_error(p)[0] == "NoSuchEntity"
    assert not any("t.example.com" in p["Arn"] for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"])


def test_valid_token_gives_the_role_session(d, idp, world):
    provider, role = world
    out = assume(d, role, idp.token(amr=["pwd"]), session="alice-session")
    assert out["SubjectFromWebIdentityToken"] == "alice"
    assert out["Provider"] == idp.url and out["Audience"] == "client-1"
    assumed = "arn:aws:sts::%s:assumed-role/%s/alice-session" % (ACCOUNT, ROLE)
    assert out["AssumedRoleUser"]["Arn"] == assumed
    c = out["Credentials"]
    creds = dict(key=c["AccessKeyId"], secret=c["SecretAccessKey"], token=c["SessionToken"])
    assert d.client("sts", **creds).get_caller_identity()["Arn"] == assumed
    # the session has the role's permissions and no others
    assert any(r["RoleName"] == ROLE for r in d.client("iam", **creds).list_roles()["Roles"])
    assert fails(d.client("iam", **creds).list_users)[0] == "AccessDenied"


def test_es256_token_and_the_cli(d, idp, world):
    _, role = world
    tok = idp.token(key=idp.ec, kid="ec-1")
    p = d.aws("sts", "assume-role-with-web-identity", "--role-arn", role, "--role-session-name", "cli",
              "--web-identity-token", tok, check=True)
    assert p.json["AssumedRoleUser"]["Arn"].endswith(":assumed-role/%s/cli" % ROLE)


def test_keys_are_kept_between_calls(d, idp, world):
    _, role = world
    assume(d, role, idp.token())
    before = len(idp.asked)
    assume(d, role, idp.token())
    assert len(idp.asked) == before


def advance(d, ms):
    req = urllib.request.Request(d.endpoint + "/_catalogd/test/clock?advance_ms=%d" % ms, data=b"", method="POST")
    urllib.request.urlopen(req).read()


def test_rotated_key_is_fetched_again(d, idp, world):
    """A kid the kept keys do not know reads the key set again, at most every 30 s (of
    service time, which the test clock moves)."""
    _, role = world
    advance(d, 3601 * 1000)  # past what is kept: the keys are read afresh, and kept
    asked = len(idp.asked)
    assume(d, role, idp.token())
    assert "/jwks" in idp.asked[asked:]
    new = rsa_key()
    idp.published.append(jwk(new, "rsa-2"))
    try:
        asked = len(idp.asked)
        code, msg, _ = fails(assume, d, role, idp.token(key=new, kid="rsa-2"))
        assert code == "InvalidIdentityToken" and "kid rsa-2" in msg
        assert len(idp.asked) == asked  # read less than 30 s ago: not again
        advance(d, 31 * 1000)
        assert assume(d, role, idp.token(key=new, kid="rsa-2"))["SubjectFromWebIdentityToken"] == "alice"
        assert "/jwks" in idp.asked[asked:]
    finally:
        idp.published.pop()


@pytest.mark.parametrize(
    "case, code, text",
    [
        ("expired", "ExpiredTokenException", "Token expired: current date/time "),
        ("other key", "InvalidIdentityToken", "could not be validated"),
        ("wrong audience", "IDPRejectedClaim", "Incorrect token audience"),
        ("wrong issuer", "InvalidIdentityToken", "No OpenIDConnect provider found in your account for https://elsewhere.example.com"),
        ("unknown kid", "InvalidIdentityToken", "kid nobody"),
        ("sub condition", "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity"),
        ("garbage", "InvalidIdentityToken", "could not be validated"),
    ],
)
def test_refused_tokens(d, idp, world, case, code, text):
    _, role = world
    tok = {
        "expired": lambda: idp.token(lifetime=-5),
        "other key": lambda: idp.token(key=idp.other_key),
        "wrong audience": lambda: idp.token(aud="client-2"),
        "wrong issuer": lambda: idp.token(iss="https://elsewhere.example.com"),
        "unknown kid": lambda: idp.token(kid="nobody"),
        "sub condition": lambda: idp.token(sub="mallory"),
        "garbage": lambda: "not.a.token",
    }[case]()
    got, msg, status = fails(assume, d, role, tok)
    assert got == code and text in msg, (got, msg)
    assert status == {"AccessDenied": 403, "IDPRejectedClaim": 403}.get(code, 400)


def test_role_trusting_another_provider(d, idp, world):
    other = "arn:aws:iam::%s:oidc-provider/other.example.com" % ACCOUNT
    arn = d.client("iam").create_role(RoleName="other-trust", AssumeRolePolicyDocument=web_trust(other, "other.example.com"))["Role"]["Arn"]
    code, msg, _ = fails(assume, d, arn, idp.token())
    assert (code, msg) == ("AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity")


def test_session_policy_and_duration(d, idp, world):
    _, role = world
    code, _, _ = fails(assume, d, role, idp.token(), Policy="{not json")
    assert code == "MalformedPolicyDocument"
    code, msg, _ = fails(assume, d, role, idp.token(), DurationSeconds=7 * 3600)
    assert code == "ValidationError", msg


def test_wrong_thumbprint_is_refused(d, idp, world):
    provider, role = world
    iam = d.client("iam")
    iam.update_open_id_connect_provider_thumbprint(OpenIDConnectProviderArn=provider, ThumbprintList=["0" * 40])
    try:
        code, msg, _ = fails(assume, d, role, idp.token())
        assert code == "InvalidIdentityToken" and "thumbprint" in msg, msg
    finally:
        iam.update_open_id_connect_provider_thumbprint(OpenIDConnectProviderArn=provider, ThumbprintList=[idp.thumbprint])
    assert assume(d, role, idp.token())["SubjectFromWebIdentityToken"] == "alice"


def test_provider_without_thumbprint_gets_the_idps(d):
    """AWS: without ThumbprintList IAM retrieves the thumbprint of the top certificate the
    IdP serves; tokens are then verified with that pin."""
    other = IdP()
    try:
        iam = d.client("iam", parameter_validation=False)  # this botocore still requires it
        arn = iam.create_open_id_connect_provider(Url=other.url, ClientIDList=["client-1"])["OpenIDConnectProviderArn"]
        assert iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)["ThumbprintList"] == [other.thumbprint]
        role = iam.create_role(RoleName="no-thumbprint", AssumeRolePolicyDocument=web_trust(arn, other.host))["Role"]["Arn"]
        assert assume(d, role, other.token())["Provider"] == other.url
    finally:
        other.close()


def test_loopback_needs_fetch_allow(fresh_daemon, idp):
    """Without --fetch-allow the same provider cannot be reached: the SSRF guard holds."""
    g = fresh_daemon()
    iam = g.client("iam")
    arn = iam.create_open_id_connect_provider(Url=idp.url, ClientIDList=["client-1"], ThumbprintList=[idp.thumbprint])[
        "OpenIDConnectProviderArn"
    ]
    role = iam.create_role(RoleName=ROLE, AssumeRolePolicyDocument=web_trust(arn, idp.host))["Role"]["Arn"]
    before = len(idp.asked)
    code, msg, _ = fails(assume, g, role, idp.token())
    assert code == "IDPCommunicationError", msg
    # nor is its certificate read for a provider created without a thumbprint
    other = g.client("iam", parameter_validation=False).create_open_id_connect_provider(Url=idp.url + "/other", ClientIDList=["x"])
    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=other["OpenIDConnectProviderArn"])
    assert got.get("ThumbprintList", []) == []
    assert len(idp.asked) == before


def test_only_web_identity_goes_unsigned(d, idp, world):
    """The unsigned door opens for AssumeRoleWithWebIdentity alone: AssumeRole (or an IAM
    call) without a signature is still refused before anything else."""
    _, role = world

    def post(action, **params):
        body = urllib.parse.urlencode(dict(Action=action, Version="2011-06-15", **params)).encode()
        req = urllib.request.Request(d.endpoint + "/", data=body, method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
        try:
            with urllib.request.urlopen(req) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    status, text = post("AssumeRole", RoleArn=role, RoleSessionName="s1")
    assert status == 403 and "<Code>MissingAuthenticationToken</Code>" in text
    status, text = post("AssumeRoleWithWebIdentity", RoleArn=role, RoleSessionName="s1", WebIdentityToken=idp.token())
    assert status == 200 and "<SubjectFromWebIdentityToken>alice</SubjectFromWebIdentityToken>" in text


def test_role_arn_naming_no_account(d, idp, world):
    code, msg, status = fails(assume, d, "arn:aws:iam::not-an-account:role/web-app", idp.token())
    assert (code, status) == ("AccessDenied", 403), msg
