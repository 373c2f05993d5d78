"""AWS::EC2::KeyPair's private key in Parameter Store (issue 13): when CloudFormation
creates a new key pair (no PublicKeyMaterial), it saves the private key as the SecureString
parameter /ec2/keypair/<KeyPairId>, and deletes that parameter with the key pair, as AWS's
AWS::EC2::KeyPair resource page says. An imported pair has no such parameter. Through boto3.
"""

import hashlib
import json
import os
import subprocess

import pytest
from cryptography.hazmat.primitives import serialization

from cfn_helpers import create, delete, failures, outputs
from conftest import Daemon, store_sql
from helpers import fails, new_role, serve, trust


@pytest.fixture(scope="module")
def d():
    yield from serve(Daemon(args=["--ec2-delay-ms", "0"]))


def key_template(**props):
    return json.dumps({
        "Resources": {"Key": {"Type": "AWS::EC2::KeyPair", "Properties": dict({"KeyName": {"Fn::Sub": "${AWS::StackName}-key"}}, **props)}},
        "Outputs": {"KeyId": {"Value": {"Fn::GetAtt": ["Key", "KeyPairId"]}},
                    "Fingerprint": {"Value": {"Fn::GetAtt": ["Key", "KeyFingerprint"]}}},
    })


def test_created_key_pair_private_key_in_parameter_store(d, tmp_path):
    cf, ssm, ec2 = d.client("cloudformation"), d.client("ssm"), d.client("ec2")
    out = outputs(create(cf, "kpsecret", key_template()))
    name = "/ec2/keypair/" + out["KeyId"]
    p = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]
    assert p["Type"] == "SecureString"
    pem = p["Value"]
    assert pem.startswith("-----BEGIN RSA PRIVATE KEY-----") or pem.startswith("-----BEGIN PRIVATE KEY-----")
    # the key EC2 made: its fingerprint is the SHA-1 of the PKCS#8 DER private key
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    fp = ":".join("%02x" % b for b in hashlib.sha1(der).digest())
    kp = ec2.describe_key_pairs(KeyPairIds=[out["KeyId"]])["KeyPairs"][0]
    assert fp == kp["KeyFingerprint"] == out["Fingerprint"]
    # OpenSSH takes it
    f = tmp_path / "k.pem"
    f.write_text(pem)
    os.chmod(f, 0o600)
    pub = subprocess.run(["ssh-keygen", "-y", "-f", str(f)], capture_output=True, text=True, check=True).stdout
    assert pub.startswith("ssh-rsa ")
    # sealed at rest, and not shown without WithDecryption
    assert ssm.get_parameter(Name=name)["Parameter"]["Value"] != pem
    body = pem.splitlines()[1]
    rows = store_sql(d.data_dir, "SELECT body FROM resources")
    assert not any(body in r[0] for r in rows)
    # the parameter goes with the stack's key pair
    delete(cf, "kpsecret")
    assert fails(ssm.get_parameter, Name=name)[0] == "ParameterNotFound"
    assert ec2.describe_key_pairs(Filters=[{"Name": "key-pair-id", "Values": [out["KeyId"]]}])["KeyPairs"] == []


def test_imported_key_pair_has_no_parameter(d, tmp_path):
    cf, ssm = d.client("cloudformation"), d.client("ssm")
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "k")], check=True)
    material = (tmp_path / "k.pub").read_text().strip()
    out = outputs(create(cf, "kpimported", key_template(PublicKeyMaterial=material)))
    assert fails(ssm.get_parameter, Name="/ec2/keypair/" + out["KeyId"])[0] == "ParameterNotFound"
    delete(cf, "kpimported")


def test_a_role_that_cannot_put_the_parameter_leaves_no_key_pair(d):
    """Saving the private key is part of creating the pair: a stack role without
    ssm:PutParameter fails the KeyPair, and the rollback leaves no key pair behind."""
    cf, ec2 = d.client("cloudformation"), d.client("ec2")
    role = new_role(d.client("iam"), "cfn-kp-no-ssm", trust("cloudformation"), "ec2:*")
    before = ec2.describe_key_pairs()["KeyPairs"]
    create(cf, "kpnossm", key_template(), status="ROLLBACK_COMPLETE", RoleARN=role)
    reason = failures(cf, "kpnossm")["Key"]
    assert "ssm:PutParameter" in reason, reason
    assert ec2.describe_key_pairs()["KeyPairs"] == before
