"""EC2 security groups and key pairs through real clients (issue 13, the EC2 API under the
CloudFormation resources): CreateSecurityGroup (the default allow-all egress rule, tags,
InvalidGroup.Duplicate, bad names, an unknown VPC), the default group every VPC gets,
Authorize/Revoke ingress and egress (InvalidPermission.Duplicate with EC2's sentence,
InvalidPermission.NotFound, bad ports, protocols and CIDRs, referenced groups),
DescribeSecurityGroups and DescribeSecurityGroupRules (ids, filters, paging),
DeleteSecurityGroup (CannotDelete, DependencyViolation, InvalidGroup.NotFound); key pairs:
CreateKeyPair (a real RSA PEM or ED25519 OpenSSH key, EC2's fingerprint, the private key
never shown again), ImportKeyPair (fingerprints as EC2 computes them, InvalidKeyPair.Format),
DescribeKeyPairs (filters, IncludePublicKey, InvalidKeyPair.NotFound), DeleteKeyPair; IAM
authorization of the new calls; and the AWS CLI v2.
"""

import base64
import hashlib
import os
import re
import subprocess
import tempfile

import pytest

from conftest import ACCOUNT, Daemon
from helpers import AMI, allow, cli_error, fails, new_user, serve


@pytest.fixture(scope="module")
def d():
    yield from serve(Daemon(args=["--ec2-delay-ms", "200"]))


@pytest.fixture(scope="module")
def ec2(d):
    return d.client("ec2")


def group(ec2, gid):
    return ec2.describe_security_groups(GroupIds=[gid])["SecurityGroups"][0]


def default_vpc(ec2):
    return ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]


SSH = {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.0.0.0/8", "Description": "ssh"}]}


# ---------------------------------------------------------------- groups


def test_create_group_has_default_egress_and_tags(ec2):
    r = ec2.create_security_group(
        GroupName="web-a",
        Description="web servers",
        TagSpecifications=[{"ResourceType": "security-group", "Tags": [{"Key": "team", "Value": "blue"}]}],
    )
    gid = r["GroupId"]
    assert re.fullmatch(r"sg-[0-9a-f]{17}", gid)
    assert r["Tags"] == [{"Key": "team", "Value": "blue"}]
    g = group(ec2, gid)
    assert g["GroupName"] == "web-a" and g["Description"] == "web servers"
    assert g["OwnerId"] == ACCOUNT and g["VpcId"] == default_vpc(ec2)
    assert g["IpPermissions"] == []
    assert g["IpPermissionsEgress"] == [
        {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}], "Ipv6Ranges": [], "PrefixListIds": [], "UserIdGroupPairs": []}
    ]
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [gid]}])["SecurityGroupRules"]
    assert len(rules) == 1
    assert rules[0]["IsEgress"] is True and rules[0]["IpProtocol"] == "-1" and rules[0]["CidrIpv4"] == "0.0.0.0/0"
    assert rules[0]["FromPort"] == -1 and rules[0]["ToPort"] == -1
    assert re.fullmatch(r"sgr-[0-9a-f]{17}", rules[0]["SecurityGroupRuleId"])


def test_create_group_bad_input(ec2):
    ec2.create_security_group(GroupName="dup-a", Description="x")
    code, msg, _ = fails(ec2.create_security_group, GroupName="dup-a", Description="y")
    assert code == "InvalidGroup.Duplicate"
    assert msg == "The security group 'dup-a' already exists for VPC '%s'" % default_vpc(ec2)
    code, msg, _ = fails(ec2.create_security_group, GroupName="sg-abc", Description="y")
    assert (code, msg) == ("InvalidParameterValue", "Group names may not be in the format sg-*.")
    code, _, _ = fails(ec2.create_security_group, GroupName="caf\u00e9", Description="y")
    assert code == "InvalidParameterValue"
    code, msg, _ = fails(ec2.create_security_group, GroupName="x1", Description="y", VpcId="vpc-0123456789abcdef0")
    assert code == "InvalidVpcID.NotFound"
    code, _, _ = fails(ec2.create_security_group, GroupName="default", Description="y")
    assert code == "InvalidGroup.Duplicate"  # every VPC has its default group


def test_every_vpc_gets_a_default_group(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    gs = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["SecurityGroups"]
    assert [g["GroupName"] for g in gs] == ["default"]
    g = gs[0]
    assert g["Description"] == "default VPC security group"
    assert g["IpPermissions"][0]["IpProtocol"] == "-1"
    assert g["IpPermissions"][0]["UserIdGroupPairs"] == [{"GroupId": g["GroupId"], "UserId": ACCOUNT}]
    code, msg, _ = fails(ec2.delete_security_group, GroupId=g["GroupId"])
    assert code == "CannotDelete"
    assert msg == 'the specified group: "%s" name: "default" cannot be deleted by a user' % g["GroupId"]
    other = ec2.create_security_group(GroupName="app", Description="app", VpcId=vpc)["GroupId"]
    code, msg, _ = fails(ec2.delete_vpc, VpcId=vpc)
    assert code == "DependencyViolation"
    ec2.delete_security_group(GroupId=other)
    ec2.delete_vpc(VpcId=vpc)  # its default group goes with it
    assert ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["SecurityGroups"] == []


def test_authorize_and_revoke_ingress(ec2):
    gid = ec2.create_security_group(GroupName="web-b", Description="web")["GroupId"]
    r = ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=[SSH])
    assert r["Return"] is True
    (rule,) = r["SecurityGroupRules"]
    assert rule["GroupId"] == gid and rule["IsEgress"] is False and rule["IpProtocol"] == "tcp"
    assert (rule["FromPort"], rule["ToPort"], rule["CidrIpv4"], rule["Description"]) == (22, 22, "10.0.0.0/8", "ssh")
    assert group(ec2, gid)["IpPermissions"] == [
        {
            "FromPort": 22,
            "IpProtocol": "tcp",
            "IpRanges": [{"CidrIp": "10.0.0.0/8", "Description": "ssh"}],
            "Ipv6Ranges": [],
            "PrefixListIds": [],
            "ToPort": 22,
            "UserIdGroupPairs": [],
        }
    ]
    # the same rule again, in the flat form: EC2's sentence
    code, msg, _ = fails(
        ec2.authorize_security_group_ingress, GroupId=gid, IpProtocol="tcp", FromPort=22, ToPort=22, CidrIp="10.0.0.0/8"
    )
    assert code == "InvalidPermission.Duplicate"
    assert msg == 'the specified rule "peer: 10.0.0.0/8, TCP, from port: 22, to port: 22, ALLOW" already exists'
    # a second CIDR on the same ports joins the same permission
    ec2.authorize_security_group_ingress(
        GroupId=gid, IpPermissions=[{"IpProtocol": "6", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "192.168.0.0/16"}]}]
    )
    perms = group(ec2, gid)["IpPermissions"]
    assert len(perms) == 1 and [x["CidrIp"] for x in perms[0]["IpRanges"]] == ["10.0.0.0/8", "192.168.0.0/16"]
    # revoke one; revoking it again is InvalidPermission.NotFound
    ec2.revoke_security_group_ingress(GroupId=gid, IpPermissions=[SSH])
    assert [x["CidrIp"] for x in group(ec2, gid)["IpPermissions"][0]["IpRanges"]] == ["192.168.0.0/16"]
    code, msg, _ = fails(ec2.revoke_security_group_ingress, GroupId=gid, IpPermissions=[SSH])
    assert (code, msg) == ("InvalidPermission.NotFound", "The specified rule does not exist in this security group.")
    # some known, some not: the known go, the others come back
    r = ec2.revoke_security_group_ingress(
        GroupId=gid,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
                        "IpRanges": [{"CidrIp": "192.168.0.0/16"}, {"CidrIp": "172.16.0.0/12"}]}],
    )
    assert r["Return"] is True
    assert [x["CidrIp"] for x in r["UnknownIpPermissions"][0]["IpRanges"]] == ["172.16.0.0/12"]
    assert group(ec2, gid)["IpPermissions"] == []
    ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=[SSH])
    # by rule id
    rid = ec2.describe_security_group_rules(
        Filters=[{"Name": "group-id", "Values": [gid]}]
    )["SecurityGroupRules"]
    ingress = [x["SecurityGroupRuleId"] for x in rid if not x["IsEgress"]]
    ec2.revoke_security_group_ingress(GroupId=gid, SecurityGroupRuleIds=ingress)
    assert group(ec2, gid)["IpPermissions"] == []


def test_egress_and_group_references(ec2):
    a = ec2.create_security_group(GroupName="tier-a", Description="a")["GroupId"]
    b = ec2.create_security_group(GroupName="tier-b", Description="b")["GroupId"]
    ec2.revoke_security_group_egress(
        GroupId=a, IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
    )
    assert group(ec2, a)["IpPermissionsEgress"] == []
    ec2.authorize_security_group_egress(
        GroupId=a, IpPermissions=[{"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "UserIdGroupPairs": [{"GroupId": b}]}]
    )
    eg = group(ec2, a)["IpPermissionsEgress"]
    assert eg[0]["UserIdGroupPairs"] == [{"GroupId": b, "UserId": ACCOUNT}]
    # b is referenced by a's rule: it cannot go
    code, msg, _ = fails(ec2.delete_security_group, GroupId=b)
    assert (code, msg) == ("DependencyViolation", "resource %s has a dependent object" % b)
    code, msg, _ = fails(
        ec2.authorize_security_group_ingress,
        GroupId=a,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 1, "ToPort": 2, "UserIdGroupPairs": [{"GroupId": "sg-0123456789abcdef0"}]}],
    )
    assert (code, msg) == ("InvalidGroup.NotFound", "The security group 'sg-0123456789abcdef0' does not exist")
    ec2.revoke_security_group_egress(
        GroupId=a, IpPermissions=[{"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "UserIdGroupPairs": [{"GroupId": b}]}]
    )
    ec2.delete_security_group(GroupId=b)
    ec2.delete_security_group(GroupName="tier-a")
    code, msg, _ = fails(ec2.describe_security_groups, GroupIds=[a])
    assert (code, msg) == ("InvalidGroup.NotFound", "The security group '%s' does not exist" % a)


@pytest.mark.parametrize(
    "perm,code,text",
    [
        ({"IpProtocol": "tcp", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}, "InvalidParameterValue", "Must specify both from and to ports"),
        ({"IpProtocol": "tcp", "FromPort": 80, "ToPort": 70000, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}, "InvalidParameterValue", "portRange"),
        ({"IpProtocol": "tcp", "FromPort": 90, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}, "InvalidParameterValue", "portRange"),
        ({"IpProtocol": "bogus", "FromPort": 1, "ToPort": 2, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}, "InvalidParameterValue", "Unknown protocol"),
        ({"IpProtocol": "tcp", "FromPort": 1, "ToPort": 2, "IpRanges": [{"CidrIp": "10.0.0.0/33"}]}, "InvalidParameterValue", "CIDR block 10.0.0.0/33 is malformed"),
        ({"IpProtocol": "tcp", "FromPort": 1, "ToPort": 2, "IpRanges": [{"CidrIp": "300.1.1.1/8"}]}, "InvalidParameterValue", "malformed"),
        ({"IpProtocol": "tcp", "FromPort": 1, "ToPort": 2, "Ipv6Ranges": [{"CidrIpv6": "zz::/64"}]}, "InvalidParameterValue", "malformed"),
        ({"IpProtocol": "tcp", "FromPort": 1, "ToPort": 2}, "MissingParameter", "ipRanges"),
        (
            {"IpProtocol": "tcp", "FromPort": 1, "ToPort": 2, "IpRanges": [{"CidrIp": "1.2.3.0/24"}, {"CidrIp": "1.2.3.0/24"}]},
            "InvalidParameterValue",
            "The same permission must not appear multiple times",
        ),
    ],
)
def test_authorize_bad_permissions(ec2, perm, code, text):
    gid = ec2.create_security_group(GroupName="bad-%s" % abs(hash(str(perm))), Description="x")["GroupId"]
    got, msg, _ = fails(ec2.authorize_security_group_ingress, GroupId=gid, IpPermissions=[perm])
    assert got == code and text in msg
    assert group(ec2, gid)["IpPermissions"] == []  # nothing partial


def test_unknown_groups(ec2):
    code, msg, _ = fails(ec2.authorize_security_group_ingress, GroupId="sg-0000000000000000a", IpPermissions=[SSH])
    assert code == "InvalidGroup.NotFound"
    code, msg, _ = fails(ec2.describe_security_groups, GroupIds=["sg-zz"])
    assert code == "InvalidGroupId.Malformed"
    code, msg, _ = fails(ec2.delete_security_group, GroupName="nobody-has-this")
    assert (code, msg) == ("InvalidGroup.NotFound",
                           "The security group 'nobody-has-this' does not exist in default VPC '%s'" % default_vpc(ec2))


def test_describe_filters_and_paging(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
    made = []
    for i in range(7):
        gid = ec2.create_security_group(
            GroupName="page-%d" % i,
            Description="p",
            VpcId=vpc,
            TagSpecifications=[{"ResourceType": "security-group", "Tags": [{"Key": "n", "Value": str(i % 2)}]}],
        )["GroupId"]
        made.append(gid)
    # the port filters see every rule of a group (here the third)
    ec2.authorize_security_group_ingress(
        GroupId=made[3],
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": p, "ToPort": p, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
                       for p in (80, 8080, 443)],
    )
    inv = [{"Name": "vpc-id", "Values": [vpc]}]
    names = sorted(g["GroupName"] for g in ec2.describe_security_groups(Filters=inv)["SecurityGroups"])
    assert names == ["default"] + ["page-%d" % i for i in range(7)]
    odd = ec2.describe_security_groups(Filters=inv + [{"Name": "tag:n", "Values": ["1"]}])["SecurityGroups"]
    assert sorted(g["GroupId"] for g in odd) == sorted(made[1::2])
    web = ec2.describe_security_groups(Filters=inv + [{"Name": "ip-permission.from-port", "Values": ["443"]}])["SecurityGroups"]
    assert [g["GroupId"] for g in web] == [made[3]]
    web = ec2.describe_security_groups(Filters=inv + [{"Name": "ip-permission.to-port", "Values": ["8080"]}])["SecurityGroups"]
    assert [g["GroupId"] for g in web] == [made[3]]
    star = ec2.describe_security_groups(Filters=inv + [{"Name": "group-name", "Values": ["page-?"]}])["SecurityGroups"]
    assert len(star) == 7
    # keyset paging: every group once
    seen, kw = [], {"Filters": inv, "MaxResults": 5}
    while True:
        page = ec2.describe_security_groups(**kw)
        seen += [g["GroupId"] for g in page["SecurityGroups"]]
        if not page.get("NextToken"):
            break
        kw["NextToken"] = page["NextToken"]
    assert len(seen) == 8 and set(made) <= set(seen)
    code, msg, _ = fails(ec2.describe_security_groups, GroupIds=[made[0]], MaxResults=5)
    assert code == "InvalidParameterCombination"
    code, msg, _ = fails(ec2.describe_security_groups, Filters=[{"Name": "colour", "Values": ["x"]}])
    assert (code, msg) == ("InvalidParameterValue", "The filter 'colour' is invalid")
    code, _, _ = fails(ec2.describe_security_groups, NextToken="garbage")
    assert code == "InvalidParameterValue"
    # rules page too
    rules, kw = [], {"Filters": [{"Name": "group-id", "Values": made}], "MaxResults": 5}
    while True:
        page = ec2.describe_security_group_rules(**kw)
        rules += page["SecurityGroupRules"]
        if not page.get("NextToken"):
            break
        kw["NextToken"] = page["NextToken"]
    assert len(rules) == 10 and len({r["SecurityGroupRuleId"] for r in rules}) == 10
    one = ec2.describe_security_group_rules(SecurityGroupRuleIds=[rules[0]["SecurityGroupRuleId"]])["SecurityGroupRules"]
    assert one == [rules[0]]
    code, msg, _ = fails(ec2.describe_security_group_rules,
                         SecurityGroupRuleIds=[rules[0]["SecurityGroupRuleId"], "sgr-0123456789abcdef0"])
    assert (code, msg) == ("InvalidSecurityGroupRuleId.NotFound",
                           "The security group rule ID 'sgr-0123456789abcdef0' does not exist")


def test_group_in_use_by_instance(ec2):
    gid = ec2.create_security_group(GroupName="used", Description="used")["GroupId"]
    iid = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, SecurityGroupIds=[gid])["Instances"][0]["InstanceId"]
    code, msg, _ = fails(ec2.delete_security_group, GroupId=gid)
    assert (code, msg) == ("DependencyViolation", "resource %s has a dependent object" % gid)
    # ModifyInstanceAttribute Groups: each must exist
    code, msg, _ = fails(ec2.modify_instance_attribute, InstanceId=iid, Groups=["sg-0123456789abcdef0"])
    assert (code, msg) == ("InvalidGroup.NotFound", "The security group 'sg-0123456789abcdef0' does not exist")
    other = ec2.create_security_group(GroupName="used-2", Description="x")["GroupId"]
    ec2.modify_instance_attribute(InstanceId=iid, Groups=[other])
    got = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]["SecurityGroups"]
    assert got == [{"GroupName": "used-2", "GroupId": other}]
    eni = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]["NetworkInterfaces"][0]
    assert eni["Groups"] == got
    ec2.delete_security_group(GroupId=gid)  # no longer used
    ec2.terminate_instances(InstanceIds=[iid])


def test_security_groups_need_permission(d):
    key, secret = new_user(d.client("iam"), "sg-reader", [allow("ec2:DescribeSecurityGroups")])
    user = d.client("ec2", key=key, secret=secret)
    user.describe_security_groups()
    code, _, status = fails(user.create_security_group, GroupName="nope", Description="x")
    assert (code, status) == ("UnauthorizedOperation", 403)
    code, _, _ = fails(user.create_key_pair, KeyName="nope")
    assert code == "UnauthorizedOperation"


def test_security_groups_through_the_cli(d):
    p = d.aws("ec2", "create-security-group", "--group-name", "cli-web", "--description", "from the cli", check=True)
    gid = p.json["GroupId"]
    d.aws("ec2", "authorize-security-group-ingress", "--group-id", gid, "--protocol", "tcp", "--port", "80",
          "--cidr", "0.0.0.0/0", check=True)
    p = d.aws("ec2", "describe-security-groups", "--group-ids", gid, check=True)
    perm = p.json["SecurityGroups"][0]["IpPermissions"][0]
    assert (perm["FromPort"], perm["ToPort"], perm["IpRanges"][0]["CidrIp"]) == (80, 80, "0.0.0.0/0")
    p = d.aws("ec2", "authorize-security-group-ingress", "--group-id", gid, "--protocol", "tcp", "--port", "80",
              "--cidr", "0.0.0.0/0")
    assert cli_error(p)[0] == "InvalidPermission.Duplicate"
    d.aws("ec2", "delete-security-group", "--group-id", gid, check=True)


# ---------------------------------------------------------------- key pairs


def _openssl(*args, data=None):
    return subprocess.run(["openssl"] + list(args), input=data, capture_output=True, check=True).stdout


def test_create_rsa_key_pair(ec2, tmp_path):
    k = ec2.create_key_pair(KeyName="rsa-1", TagSpecifications=[{"ResourceType": "key-pair", "Tags": [{"Key": "a", "Value": "b"}]}])
    assert re.fullmatch(r"key-[0-9a-f]{17}", k["KeyPairId"])
    assert k["KeyMaterial"].startswith("-----BEGIN RSA PRIVATE KEY-----")
    assert k["Tags"] == [{"Key": "a", "Value": "b"}]
    pem = tmp_path / "k.pem"
    pem.write_text(k["KeyMaterial"])
    # a real key: openssl reads it, and EC2's fingerprint is the SHA-1 of its PKCS#8 DER form
    der = _openssl("pkcs8", "-topk8", "-nocrypt", "-outform", "DER", "-in", str(pem))
    assert k["KeyFingerprint"] == ":".join("%02x" % b for b in hashlib.sha1(der).digest())
    info = ec2.describe_key_pairs(KeyNames=["rsa-1"])["KeyPairs"][0]
    assert info["KeyType"] == "rsa" and info["KeyFingerprint"] == k["KeyFingerprint"]
    assert "KeyMaterial" not in info and "PublicKey" not in info
    # IncludePublicKey shows the public half, which matches the private key
    pub = ec2.describe_key_pairs(KeyNames=["rsa-1"], IncludePublicKey=True)["KeyPairs"][0]["PublicKey"]
    os.chmod(pem, 0o600)
    derived = subprocess.run(["ssh-keygen", "-y", "-f", str(pem)], capture_output=True, text=True, check=True).stdout
    assert pub.split()[:2] == derived.split()[:2]


def test_create_ed25519_key_pair(ec2, tmp_path):
    k = ec2.create_key_pair(KeyName="ed-1", KeyType="ed25519")
    assert k["KeyMaterial"].startswith("-----BEGIN OPENSSH PRIVATE KEY-----")
    pem = tmp_path / "ed"
    pem.write_text(k["KeyMaterial"])
    os.chmod(pem, 0o600)
    pub = subprocess.run(["ssh-keygen", "-y", "-f", str(pem)], capture_output=True, text=True, check=True).stdout
    blob = base64.b64decode(pub.split()[1])
    assert k["KeyFingerprint"] == base64.b64encode(hashlib.sha256(blob).digest()).decode()
    assert ec2.describe_key_pairs(KeyNames=["ed-1"])["KeyPairs"][0]["KeyType"] == "ed25519"


def test_import_key_pair(ec2, tmp_path):
    key = tmp_path / "id_rsa"
    subprocess.run(["ssh-keygen", "-q", "-t", "rsa", "-b", "2048", "-N", "", "-f", str(key)], check=True)
    pub = (tmp_path / "id_rsa.pub").read_bytes()
    r = ec2.import_key_pair(KeyName="imported", PublicKeyMaterial=pub)
    # EC2's fingerprint of an imported RSA key: MD5 of the DER public key
    pkcs8 = subprocess.run(["ssh-keygen", "-e", "-m", "PKCS8", "-f", str(key) + ".pub"], capture_output=True, check=True).stdout
    der = _openssl("pkey", "-pubin", "-outform", "DER", data=pkcs8)
    assert r["KeyFingerprint"] == ":".join("%02x" % b for b in hashlib.md5(der).digest())
    assert r["KeyName"] == "imported" and r["KeyPairId"].startswith("key-")
    # RFC 4716 form of the same key
    rfc = subprocess.run(["ssh-keygen", "-e", "-f", str(key) + ".pub"], capture_output=True, check=True).stdout
    r2 = ec2.import_key_pair(KeyName="imported-rfc", PublicKeyMaterial=rfc)
    assert r2["KeyFingerprint"] == r["KeyFingerprint"]
    ed = tmp_path / "id_ed"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(ed)], check=True)
    r3 = ec2.import_key_pair(KeyName="imported-ed", PublicKeyMaterial=(tmp_path / "id_ed.pub").read_bytes())
    blob = base64.b64decode((tmp_path / "id_ed.pub").read_text().split()[1])
    assert r3["KeyFingerprint"] == base64.b64encode(hashlib.sha256(blob).digest()).decode()
    filt = ec2.describe_key_pairs(Filters=[{"Name": "key-name", "Values": ["imported*"]}])["KeyPairs"]
    assert sorted(x["KeyName"] for x in filt) == ["imported", "imported-ed", "imported-rfc"]


@pytest.mark.parametrize(
    "material",
    [b"not a key", b"ssh-rsa AAAAnotbase64!!", b"ssh-dss AAAAB3NzaC1kc3MAAACBAP", b"ecdsa-sha2-nistp256 AAAAE2VjZHNh"],
)
def test_import_key_pair_bad_format(ec2, material):
    code, msg, _ = fails(ec2.import_key_pair, KeyName="bad-key", PublicKeyMaterial=material)
    assert (code, msg) == ("InvalidKeyPair.Format", "Key is not in valid OpenSSH public key format")
    code, _, _ = fails(ec2.describe_key_pairs, KeyNames=["bad-key"])
    assert code == "InvalidKeyPair.NotFound"


def test_key_pair_errors_and_delete(ec2):
    ec2.create_key_pair(KeyName="twice")
    code, msg, _ = fails(ec2.create_key_pair, KeyName="twice")
    assert (code, msg) == ("InvalidKeyPair.Duplicate", "The keypair 'twice' already exists.")
    code, msg, _ = fails(ec2.describe_key_pairs, KeyNames=["twice", "nobody"])
    assert (code, msg) == ("InvalidKeyPair.NotFound", "The key pair 'nobody' does not exist")
    code, _, _ = fails(ec2.create_key_pair, KeyName="x", KeyType="dsa")
    assert code == "InvalidParameterValue"
    ec2.delete_key_pair(KeyName="twice")
    ec2.delete_key_pair(KeyName="twice")  # already gone: still succeeds, as in EC2
    assert ec2.describe_key_pairs(Filters=[{"Name": "key-name", "Values": ["twice"]}])["KeyPairs"] == []
    # the name is free again, with a new key
    ec2.create_key_pair(KeyName="twice")


def test_key_pairs_through_the_cli(d, tmp_path):
    p = d.aws("ec2", "create-key-pair", "--key-name", "cli-key", "--key-type", "ed25519", "--query", "KeyMaterial",
              "--output", "text", check=True)
    assert p.stdout.startswith("-----BEGIN OPENSSH PRIVATE KEY-----")
    p = d.aws("ec2", "describe-key-pairs", "--key-names", "cli-key", check=True)
    assert p.json["KeyPairs"][0]["KeyType"] == "ed25519"
    p = d.aws("ec2", "describe-key-pairs", "--key-names", "no-such-key")
    assert cli_error(p)[0] == "InvalidKeyPair.NotFound"
    d.aws("ec2", "delete-key-pair", "--key-name", "cli-key", check=True)
