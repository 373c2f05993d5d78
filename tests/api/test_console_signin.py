"""The console's sign-in endpoint (POST /console/api/signin) over plain HTTP: right and
wrong passwords, and the lock that stops password guessing (five failures for one user
name from one source address within five minutes lock that name for that source for a
minute, then twice as long each time, whether or not the user exists; other sources
are never locked out by them)."""

import http.client
import json
import urllib.error
import urllib.parse
import urllib.request

import pytest

from conftest import ACCOUNT, Daemon
from helpers import serve
from test_iam_mfa import now_step, totp

ROOT_PASSWORD = "Root-Console-Passw0rd"


@pytest.fixture(scope="module")
def d():
    yield from serve(Daemon(env={"CATALOGD_TEST_CLOCK": "1", "CATALOGD_ROOT_PASSWORD": ROOT_PASSWORD}))


def advance(d, ms):
    req = urllib.request.Request(d.endpoint + "/_catalogd/test/clock?advance_ms=%d" % ms, data=b"", method="POST")
    urllib.request.urlopen(req, timeout=10).read()


def sign_in(d, user, password, account=ACCOUNT, source="127.0.0.1", mfa=None):
    """(HTTP status, JSON body) of one sign-in (with an MFA code when given), sent from the
    loopback address source."""
    fields = {"account": account, "user": user, "password": password}
    if mfa:
        fields["mfaCode"] = mfa
    body = json.dumps(fields).encode()
    url = urllib.parse.urlsplit(d.endpoint)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30, source_address=(source, 0))
    try:
        conn.request("POST", "/console/api/signin", body=body, headers={"Content-Type": "application/json"})
        r = conn.getresponse()
        return r.status, json.loads(r.read())
    finally:
        conn.close()


def test_right_and_wrong_password(d):
    status, out = sign_in(d, "root", ROOT_PASSWORD)
    assert status == 200 and out["Identity"]["Type"] == "root"
    assert out["Credentials"]["AccessKeyId"].startswith("ASIA")
    status, out = sign_in(d, "root", "not-it")
    assert status == 401 and out["code"] == "SignInFailed"


def test_five_failures_lock_the_name_for_a_minute(d):
    iam = d.client("iam")
    iam.create_user(UserName="guessed")
    iam.create_login_profile(UserName="guessed", Password="Right-Passw0rd!")
    for _ in range(5):
        assert sign_in(d, "guessed", "wrong")[0] == 401
    # locked from here: even the right password is refused, unheard, and so is any other case of it
    status, out = sign_in(d, "Guessed", "Right-Passw0rd!")
    assert status == 429 and out["code"] == "TooManySignInAttempts"
    assert "Try again in 60 seconds" in out["message"]
    # a name that does not exist locks the same way (the lock tells nothing)
    for _ in range(5):
        assert sign_in(d, "nobody-here", "wrong")[0] == 401
    assert sign_in(d, "nobody-here", "wrong")[0] == 429
    # other names are not affected
    assert sign_in(d, "root", ROOT_PASSWORD)[0] == 200
    # a minute later the right password works, and a success forgets the failures
    advance(d, 61 * 1000)
    assert sign_in(d, "guessed", "Right-Passw0rd!")[0] == 200
    for _ in range(4):
        assert sign_in(d, "guessed", "wrong")[0] == 401
    assert sign_in(d, "guessed", "Right-Passw0rd!")[0] == 200


def test_failures_spread_over_more_than_five_minutes_do_not_lock(d):
    d.client("iam").create_user(UserName="slow-typist")
    d.client("iam").create_login_profile(UserName="slow-typist", Password="Right-Passw0rd!")
    for _ in range(4):
        assert sign_in(d, "slow-typist", "wrong")[0] == 401
    advance(d, 5 * 60 * 1000 + 1000)
    for _ in range(4):
        assert sign_in(d, "slow-typist", "wrong")[0] == 401
    assert sign_in(d, "slow-typist", "Right-Passw0rd!")[0] == 200


def test_a_guesser_elsewhere_cannot_lock_the_owner_out(d):
    iam = d.client("iam")
    iam.create_user(UserName="admin-owner")
    iam.create_login_profile(UserName="admin-owner", Password="Owners-Passw0rd!")
    attacker, owner = "127.0.0.2", "127.0.0.1"
    for _ in range(5):
        assert sign_in(d, "admin-owner", "guess", source=attacker)[0] == 401
    # the guesser is refused unheard, even when he guesses right
    status, out = sign_in(d, "admin-owner", "Owners-Passw0rd!", source=attacker)
    assert (status, out["code"]) == (429, "TooManySignInAttempts")
    assert "Try again in 60 seconds" in out["message"]
    # the owner, elsewhere, signs in all the while
    status, out = sign_in(d, "admin-owner", "Owners-Passw0rd!", source=owner)
    assert status == 200 and out["Identity"]["UserName"] == "admin-owner"
    # the guesser keeps going: each lock is twice the one before
    advance(d, 61 * 1000)
    for _ in range(5):
        assert sign_in(d, "admin-owner", "guess", source=attacker)[0] == 401
    status, out = sign_in(d, "admin-owner", "guess", source=attacker)
    assert status == 429 and "Try again in 120 seconds" in out["message"], out
    assert sign_in(d, "admin-owner", "Owners-Passw0rd!", source=owner)[0] == 200
    advance(d, 121 * 1000)
    for _ in range(5):
        assert sign_in(d, "admin-owner", "guess", source=attacker)[0] == 401
    status, out = sign_in(d, "admin-owner", "guess", source=attacker)
    assert status == 429 and "Try again in 240 seconds" in out["message"], out


def test_user_with_mfa_device_needs_a_code(d):
    """As AWS's console: an IAM user with an MFA device signs in with the password and then
    a current code of the device; the session carries MFA (an MFA-only policy allows it)."""
    iam = d.client("iam")
    iam.create_user(UserName="mfa-console")
    iam.create_login_profile(UserName="mfa-console", Password="Mfa-Console-Passw0rd")
    only_mfa = {
        "Effect": "Allow",
        "Action": "ssm:DescribeParameters",
        "Resource": "*",
        "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
    }
    iam.put_user_policy(UserName="mfa-console", PolicyName="p", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [only_mfa]}))
    v = iam.create_virtual_mfa_device(VirtualMFADeviceName="mfa-console")["VirtualMFADevice"]
    serial, seed = v["SerialNumber"], v["Base32StringSeed"].decode()
    s = now_step()
    iam.enable_mfa_device(
        UserName="mfa-console", SerialNumber=serial, AuthenticationCode1=totp(seed, s - 1), AuthenticationCode2=totp(seed, s)
    )
    status, out = sign_in(d, "mfa-console", "Mfa-Console-Passw0rd")
    assert (status, out["code"]) == (401, "MFARequired")
    status, out = sign_in(d, "mfa-console", "wrong-password", mfa=totp(seed, s + 1))
    assert (status, out["code"]) == (401, "SignInFailed")
    status, out = sign_in(d, "mfa-console", "Mfa-Console-Passw0rd", mfa="000000")
    assert (status, out["code"]) == (401, "SignInFailed")
    status, out = sign_in(d, "mfa-console", "Mfa-Console-Passw0rd", mfa=totp(seed, s + 1))
    assert status == 200 and out["Identity"]["UserName"] == "mfa-console"
    c = out["Credentials"]
    ssm = d.client("ssm", key=c["AccessKeyId"], secret=c["SecretAccessKey"], token=c["SessionToken"])
    assert "Parameters" in ssm.describe_parameters()
    # the code is spent
    status, out = sign_in(d, "mfa-console", "Mfa-Console-Passw0rd", mfa=totp(seed, s + 1))
    assert (status, out["code"]) == (401, "SignInFailed")


def test_a_lock_is_forgotten_an_hour_after_it_ends(d):
    """The guard keeps a lock's count (each lock twice the one before) until an hour after
    the last lock ended; after that a guesser starts again from a one-minute lock."""
    for _ in range(5):
        assert sign_in(d, "forgotten-guesser", "guess")[0] == 401
    advance(d, 61 * 1000)
    for _ in range(5):
        assert sign_in(d, "forgotten-guesser", "guess")[0] == 401
    status, out = sign_in(d, "forgotten-guesser", "guess")
    assert status == 429 and "Try again in 120 seconds" in out["message"], out
    advance(d, 121 * 1000 + 60 * 60 * 1000 + 1000)
    for _ in range(5):
        assert sign_in(d, "forgotten-guesser", "guess")[0] == 401
    status, out = sign_in(d, "forgotten-guesser", "guess")
    assert status == 429 and "Try again in 60 seconds" in out["message"], out


def test_a_lock_survives_a_restart(fresh_daemon):
    """The lock lives in the store, not in the process: a restarted daemon (or another node
    on the same database) keeps refusing the guesser, and forgets nothing else."""
    d = fresh_daemon(env={"CATALOGD_ROOT_PASSWORD": ROOT_PASSWORD})
    for _ in range(5):
        assert sign_in(d, "root", "guess")[0] == 401
    assert sign_in(d, "root", ROOT_PASSWORD)[0] == 429
    assert d.stop() == 0
    d.start()
    status, out = sign_in(d, "root", ROOT_PASSWORD)
    assert (status, out["code"]) == (429, "TooManySignInAttempts"), out
    wait = int(out["message"].split("Try again in ")[1].split(" ")[0])
    assert 0 < wait <= 60, out
    # other sources were never locked, before or after
    assert sign_in(d, "root", ROOT_PASSWORD, source="127.0.0.2")[0] == 200
