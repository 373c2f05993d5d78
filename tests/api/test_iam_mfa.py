"""IAM virtual MFA devices (RFC 6238 TOTP: SHA-1, 30-second steps, 6 digits) and the
sessions they unlock: CreateVirtualMFADevice, EnableMFADevice with two consecutive codes,
Resync/Deactivate/DeleteVirtualMFADevice and their errors, the device tags, then
sts:GetSessionToken and sts:AssumeRole with SerialNumber + TokenCode, a code good once,
and policies and trust policies that require aws:MultiFactorAuthPresent; from boto3 and
the AWS CLI."""

import base64
import hashlib
import hmac
import json
import os
import struct
import time

import pytest

from conftest import ACCOUNT, Daemon
from helpers import allow, cli_error, fails, new_user, policy, serve

STEP = 30


def totp(seed, step):
    """The 6-digit RFC 6238 code of base32 seed at time step `step`."""
    key = base64.b32decode(seed)
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    off = mac[-1] & 0x0F
    return "%06d" % ((struct.unpack(">I", mac[off : off + 4])[0] & 0x7FFFFFFF) % 1000000)


def now_step():
    return int(time.time()) // STEP


@pytest.fixture(scope="module")
def d():
    yield from serve(Daemon())


@pytest.fixture(scope="module")
def iam(d):
    return d.client("iam")


def device(iam, name):
    """A new virtual MFA device: (serial, base32 seed)."""
    v = iam.create_virtual_mfa_device(VirtualMFADeviceName=name)["VirtualMFADevice"]
    return v["SerialNumber"], v["Base32StringSeed"].decode()


def enabled_user(iam, name, statements=()):
    """A user with an access key and an enabled MFA device: (key, secret, serial, seed).
    The device has accepted the codes of the current step and the one before."""
    key, secret = new_user(iam, name, statements)
    serial, seed = device(iam, name + "-mfa")
    s = now_step()
    iam.enable_mfa_device(
        UserName=name, SerialNumber=serial, AuthenticationCode1=totp(seed, s - 1), AuthenticationCode2=totp(seed, s)
    )
    return key, secret, serial, seed


def test_create_virtual_device_returns_seed_and_qr_code(iam):
    v = iam.create_virtual_mfa_device(VirtualMFADeviceName="phone", Path="/team/")["VirtualMFADevice"]
    assert v["SerialNumber"] == "arn:aws:iam::%s:mfa/team/phone" % ACCOUNT
    seed = v["Base32StringSeed"].decode()
    assert len(seed) == 64 and len(base64.b32decode(seed)) == 40
    assert v["QRCodePNG"].startswith(b"\x89PNG\r\n\x1a\n")
    code, msg, status = fails(iam.create_virtual_mfa_device, VirtualMFADeviceName="phone")
    assert (code, status) == ("EntityAlreadyExists", 409)
    listed = iam.list_virtual_mfa_devices(AssignmentStatus="Unassigned")["VirtualMFADevices"]
    assert v["SerialNumber"] in [x["SerialNumber"] for x in listed]
    assert "Base32StringSeed" not in json.dumps([list(x) for x in listed])


def test_enable_needs_two_consecutive_codes(iam):
    alice_key, _ = new_user(iam, "alice")
    serial, seed = device(iam, "alice-phone")
    s = now_step()
    for c1, c2 in [("000000", "000000"), (totp(seed, s), totp(seed, s - 1)), (totp(seed, s - 1), totp(seed, s + 5))]:
        code, msg, status = fails(
            iam.enable_mfa_device, UserName="alice", SerialNumber=serial, AuthenticationCode1=c1, AuthenticationCode2=c2
        )
        assert (code, msg, status) == ("InvalidAuthenticationCode", "Authentication code for device is not valid.", 403)
    assert iam.list_mfa_devices(UserName="alice")["MFADevices"] == []
    iam.enable_mfa_device(
        UserName="alice", SerialNumber=serial, AuthenticationCode1=totp(seed, s - 1), AuthenticationCode2=totp(seed, s)
    )
    [m] = iam.list_mfa_devices(UserName="alice")["MFADevices"]
    assert (m["UserName"], m["SerialNumber"]) == ("alice", serial)
    assigned = iam.list_virtual_mfa_devices(AssignmentStatus="Assigned")["VirtualMFADevices"]
    [a] = [x for x in assigned if x["SerialNumber"] == serial]
    assert a["User"]["UserName"] == "alice" and "EnableDate" in a
    unassigned = iam.list_virtual_mfa_devices(AssignmentStatus="Unassigned")["VirtualMFADevices"]
    assert serial not in [x["SerialNumber"] for x in unassigned]
    # the device is taken, and cannot go while it is
    new_user(iam, "bob")
    code, _, _ = fails(
        iam.enable_mfa_device,
        UserName="bob",
        SerialNumber=serial,
        AuthenticationCode1=totp(seed, s),
        AuthenticationCode2=totp(seed, s + 1),
    )
    assert code == "EntityAlreadyExists"
    code, _, status = fails(iam.delete_virtual_mfa_device, SerialNumber=serial)
    assert (code, status) == ("DeleteConflict", 409)
    # deactivate, then delete; both only once
    code, _, _ = fails(iam.deactivate_mfa_device, UserName="bob", SerialNumber=serial)
    assert code == "NoSuchEntity"
    iam.delete_access_key(UserName="alice", AccessKeyId=alice_key)
    code, msg, status = fails(iam.delete_user, UserName="alice")
    assert (code, msg, status) == ("DeleteConflict", "Cannot delete entity, must remove MFA device first.", 409)
    iam.deactivate_mfa_device(UserName="alice", SerialNumber=serial)
    assert iam.list_mfa_devices(UserName="alice")["MFADevices"] == []
    code, _, _ = fails(iam.deactivate_mfa_device, UserName="alice", SerialNumber=serial)
    assert code == "NoSuchEntity"
    iam.delete_virtual_mfa_device(SerialNumber=serial)
    code, msg, status = fails(iam.delete_virtual_mfa_device, SerialNumber=serial)
    assert (code, status) == ("NoSuchEntity", 404) and serial in msg
    code, _, _ = fails(
        iam.enable_mfa_device,
        UserName="alice",
        SerialNumber=serial,
        AuthenticationCode1=totp(seed, s),
        AuthenticationCode2=totp(seed, s + 1),
    )
    assert code == "NoSuchEntity"


def test_resync_and_tags(iam):
    key, secret, serial, seed = enabled_user(iam, "carol")
    s = now_step()
    code, _, _ = fails(
        iam.resync_mfa_device, UserName="carol", SerialNumber=serial, AuthenticationCode1="123456", AuthenticationCode2="654321"
    )
    assert code == "InvalidAuthenticationCode"
    # codes already accepted when enabling are not accepted again
    code, _, _ = fails(
        iam.resync_mfa_device,
        UserName="carol",
        SerialNumber=serial,
        AuthenticationCode1=totp(seed, s - 1),
        AuthenticationCode2=totp(seed, s),
    )
    assert code == "InvalidAuthenticationCode"
    iam.resync_mfa_device(
        UserName="carol", SerialNumber=serial, AuthenticationCode1=totp(seed, s), AuthenticationCode2=totp(seed, s + 1)
    )
    iam.tag_mfa_device(SerialNumber=serial, Tags=[{"Key": "team", "Value": "a"}, {"Key": "env", "Value": "dev"}])
    iam.tag_mfa_device(SerialNumber=serial, Tags=[{"Key": "team", "Value": "b"}])
    iam.untag_mfa_device(SerialNumber=serial, TagKeys=["env"])
    assert iam.list_mfa_device_tags(SerialNumber=serial)["Tags"] == [{"Key": "team", "Value": "b"}]
    code, _, _ = fails(iam.list_mfa_device_tags, SerialNumber="arn:aws:iam::%s:mfa/none" % ACCOUNT)
    assert code == "NoSuchEntity"


MFA_ONLY = {
    "Effect": "Allow",
    "Action": "ssm:DescribeParameters",
    "Resource": "*",
    "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}, "NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}},
}


def test_get_session_token_with_mfa_unlocks_mfa_only_policy(d, iam):
    key, secret, serial, seed = enabled_user(iam, "dave", [MFA_ONLY])
    sts = d.client("sts", key=key, secret=secret)
    # long-term keys and a session without MFA are refused
    code, _, _ = fails(d.client("ssm", key=key, secret=secret).describe_parameters)
    assert code == "AccessDeniedException"
    plain = sts.get_session_token()["Credentials"]
    ssm = d.client("ssm", key=plain["AccessKeyId"], secret=plain["SecretAccessKey"], token=plain["SessionToken"])
    code, _, _ = fails(ssm.describe_parameters)
    assert code == "AccessDeniedException"
    # wrong serial, wrong code: refused, and no session
    code, msg, status = fails(
        sts.get_session_token, SerialNumber="arn:aws:iam::%s:mfa/other" % ACCOUNT, TokenCode=totp(seed, now_step() + 1)
    )
    assert (code, status) == ("AccessDenied", 403) and "unable to validate MFA code" in msg
    code, msg, _ = fails(sts.get_session_token, SerialNumber=serial, TokenCode="000000")
    assert (code, msg.strip()) == ("AccessDenied", "MultiFactorAuthentication failed with invalid MFA one time pass code.")
    good = totp(seed, now_step() + 1)
    c = sts.get_session_token(SerialNumber=serial, TokenCode=good)["Credentials"]
    ssm = d.client("ssm", key=c["AccessKeyId"], secret=c["SecretAccessKey"], token=c["SessionToken"])
    assert "Parameters" in ssm.describe_parameters()
    # with MFA, GetSessionToken's credentials may call IAM
    iam_mfa = d.client("iam", key=c["AccessKeyId"], secret=c["SecretAccessKey"], token=c["SessionToken"])
    code, _, _ = fails(iam_mfa.list_users)
    assert code == "AccessDenied"  # by the user's policy, not by the token's limits
    # the same code is good once
    code, msg, _ = fails(sts.get_session_token, SerialNumber=serial, TokenCode=good)
    assert code == "AccessDenied" and "invalid MFA one time pass code" in msg


def test_assume_role_whose_trust_requires_mfa(d, iam):
    key, secret, serial, seed = enabled_user(iam, "erin", [allow("sts:AssumeRole")])
    user_arn = "arn:aws:iam::%s:user/erin" % ACCOUNT
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": user_arn},
                "Action": "sts:AssumeRole",
                "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
            }
        ],
    }
    arn = iam.create_role(RoleName="mfa-admin", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    iam.put_role_policy(RoleName="mfa-admin", PolicyName="p", PolicyDocument=policy(MFA_ONLY))
    sts = d.client("sts", key=key, secret=secret)
    code, msg, _ = fails(sts.assume_role, RoleArn=arn, RoleSessionName="s1")
    assert code == "AccessDenied" and "sts:AssumeRole" in msg
    code, _, _ = fails(sts.assume_role, RoleArn=arn, RoleSessionName="s1", SerialNumber=serial, TokenCode="999999")
    assert code == "AccessDenied"
    good = totp(seed, now_step() + 1)
    c = sts.assume_role(RoleArn=arn, RoleSessionName="s1", SerialNumber=serial, TokenCode=good)["Credentials"]
    ssm = d.client("ssm", key=c["AccessKeyId"], secret=c["SecretAccessKey"], token=c["SessionToken"])
    assert "Parameters" in ssm.describe_parameters()
    code, _, _ = fails(sts.assume_role, RoleArn=arn, RoleSessionName="s2", SerialNumber=serial, TokenCode=good)
    assert code == "AccessDenied"


def test_cli_writes_qr_code_png(d, tmp_path):
    out = tmp_path / "qr.png"
    p = d.aws(
        "iam", "create-virtual-mfa-device", "--virtual-mfa-device-name", "cli-phone",
        "--outfile", str(out), "--bootstrap-method", "QRCodePNG", check=True,
    )
    assert p.json["VirtualMFADevice"]["SerialNumber"] == "arn:aws:iam::%s:mfa/cli-phone" % ACCOUNT
    assert out.read_bytes().startswith(b"\x89PNG") and os.path.getsize(out) > 200
    p = d.aws("iam", "list-virtual-mfa-devices", "--assignment-status", "Unassigned", check=True)
    assert "arn:aws:iam::%s:mfa/cli-phone" % ACCOUNT in [v["SerialNumber"] for v in p.json["VirtualMFADevices"]]


def test_cli_get_session_token_with_mfa_may_call_iam(d, iam):
    """GetSessionToken's credentials may call IAM only when issued with MFA (as on AWS)."""
    key, secret, serial, seed = enabled_user(iam, "frank", [allow("iam:ListMFADevices")])
    plain = d.aws("sts", "get-session-token", key=key, secret=secret, check=True).json["Credentials"]
    p = d.aws("iam", "list-mfa-devices", key=plain["AccessKeyId"], secret=plain["SecretAccessKey"], token=plain["SessionToken"])
    code, msg = cli_error(p)
    assert code == "AccessDenied" and "without MFA" in msg
    args = ("sts", "get-session-token", "--serial-number", serial, "--token-code", totp(seed, now_step() + 1))
    c = d.aws(*args, key=key, secret=secret, check=True).json["Credentials"]
    p = d.aws("iam", "list-mfa-devices", key=c["AccessKeyId"], secret=c["SecretAccessKey"], token=c["SessionToken"], check=True)
    assert [m["SerialNumber"] for m in p.json["MFADevices"]] == [serial]
    code, msg = cli_error(d.aws(*args, key=key, secret=secret))
    assert (code, msg.strip()) == ("AccessDenied", "MultiFactorAuthentication failed with invalid MFA one time pass code.")
