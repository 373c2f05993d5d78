"""The smaller IAM operations through boto3 and the AWS CLI: UpdateRoleDescription,
Put/DeleteRolePermissionsBoundary and Put/DeleteUserPermissionsBoundary (held to by the
principal's next calls; the policy's PermissionsBoundaryUsageCount follows), UpdateGroup,
and service-linked roles (CreateServiceLinkedRole with AWS's names and path, DeleteRole
refused with UnmodifiableEntity, DeleteServiceLinkedRole and its deletion status). Errors
with AWS's code and message, nothing changed.
"""

import json

import pytest

from conftest import ACCOUNT, Daemon
from helpers import allow, cli_error, fails, new_user, policy, serve, trust

ARN = "arn:aws:iam::%s:" % ACCOUNT


@pytest.fixture(scope="module")
def d():
    yield from serve(Daemon())


@pytest.fixture(scope="module")
def iam(d):
    return d.client("iam")


def test_update_role_description(d, iam):
    iam.create_role(RoleName="described", AssumeRolePolicyDocument=json.dumps(trust("ec2")), Description="old")
    r = iam.update_role_description(RoleName="described", Description="new words")["Role"]
    assert r["RoleName"] == "described" and r["Description"] == "new words"
    assert iam.get_role(RoleName="described")["Role"]["Description"] == "new words"
    code, msg = cli_error(d.aws("iam", "update-role-description", "--role-name", "ghost", "--description", "x"))
    assert (code, msg) == ("NoSuchEntity", "The role with name ghost cannot be found.")


def test_user_permissions_boundary_limits_the_user(d, iam):
    key, secret = new_user(iam, "bounded", [allow("iam:*")])
    me = d.client("iam", key=key, secret=secret)
    boundary = iam.create_policy(PolicyName="only-list", PolicyDocument=policy(allow("iam:List*")))["Policy"]["Arn"]
    assert me.get_user(UserName="bounded")["User"]["UserName"] == "bounded"
    iam.put_user_permissions_boundary(UserName="bounded", PermissionsBoundary=boundary)
    got = iam.get_user(UserName="bounded")["User"]["PermissionsBoundary"]
    assert got == {"PermissionsBoundaryType": "PermissionsBoundaryPolicy", "PermissionsBoundaryArn": boundary}
    assert iam.get_policy(PolicyArn=boundary)["Policy"]["PermissionsBoundaryUsageCount"] == 1
    code, msg, status = fails(me.get_user, UserName="bounded")
    assert (code, status) == ("AccessDenied", 403)
    assert "because no permissions boundary allows the iam:GetUser action" in msg
    assert me.list_users()["Users"]
    iam.delete_user_permissions_boundary(UserName="bounded")
    assert "PermissionsBoundary" not in iam.get_user(UserName="bounded")["User"]
    assert iam.get_policy(PolicyArn=boundary)["Policy"]["PermissionsBoundaryUsageCount"] == 0
    assert me.get_user(UserName="bounded")["User"]["UserName"] == "bounded"
    missing = ARN + "policy/none"
    code, msg, _ = fails(iam.put_user_permissions_boundary, UserName="bounded", PermissionsBoundary=missing)
    assert (code, msg) == ("NoSuchEntity", "Scope ARN: %s does not exist or is not attachable." % missing)
    assert "PermissionsBoundary" not in iam.get_user(UserName="bounded")["User"]
    # CreateUser and CreateRole hold their boundary to the same rule and count it
    code, msg, _ = fails(iam.create_user, UserName="unbounded", PermissionsBoundary=missing)
    assert (code, msg) == ("NoSuchEntity", "Scope ARN: %s does not exist or is not attachable." % missing)
    assert fails(iam.get_user, UserName="unbounded")[0] == "NoSuchEntity"
    iam.create_role(RoleName="born-bounded", AssumeRolePolicyDocument=json.dumps(trust("ec2")),
                    PermissionsBoundary=boundary)
    assert iam.get_policy(PolicyArn=boundary)["Policy"]["PermissionsBoundaryUsageCount"] == 1
    iam.delete_role(RoleName="born-bounded")
    assert iam.get_policy(PolicyArn=boundary)["Policy"]["PermissionsBoundaryUsageCount"] == 0


def test_role_permissions_boundary(iam):
    iam.create_role(RoleName="boxed", AssumeRolePolicyDocument=json.dumps(trust("ec2")))
    managed = "arn:aws:iam::aws:policy/AmazonSSMFullAccess"
    iam.put_role_permissions_boundary(RoleName="boxed", PermissionsBoundary=managed)
    assert iam.get_role(RoleName="boxed")["Role"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == managed
    iam.delete_role_permissions_boundary(RoleName="boxed")
    assert "PermissionsBoundary" not in iam.get_role(RoleName="boxed")["Role"]
    code, _, _ = fails(iam.put_role_permissions_boundary, RoleName="ghost", PermissionsBoundary=managed)
    assert code == "NoSuchEntity"


def test_update_group(iam):
    iam.create_group(GroupName="ops", Path="/a/")
    iam.create_user(UserName="member")
    iam.add_user_to_group(GroupName="ops", UserName="member")
    iam.create_group(GroupName="taken")
    code, msg, status = fails(iam.update_group, GroupName="ops", NewGroupName="TAKEN")
    assert (code, msg, status) == ("EntityAlreadyExists", "Group with name TAKEN already exists.", 409)
    iam.update_group(GroupName="ops", NewGroupName="operations", NewPath="/b/")
    g = iam.get_group(GroupName="operations")
    assert g["Group"]["Arn"] == ARN + "group/b/operations" and g["Group"]["Path"] == "/b/"
    assert [u["UserName"] for u in g["Users"]] == ["member"]
    assert fails(iam.get_group, GroupName="ops")[0] == "NoSuchEntity"
    assert [x["GroupName"] for x in iam.list_groups_for_user(UserName="member")["Groups"]] == ["operations"]


def test_service_linked_roles(d, iam):
    r = iam.create_service_linked_role(AWSServiceName="autoscaling.amazonaws.com", Description="asg")["Role"]
    assert r["RoleName"] == "AWSServiceRoleForAutoScaling"
    assert r["Path"] == "/aws-service-role/autoscaling.amazonaws.com/"
    assert r["Arn"] == ARN + "role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
    doc = iam.get_role(RoleName=r["RoleName"])["Role"]["AssumeRolePolicyDocument"]
    assert doc["Statement"][0]["Principal"] == {"Service": ["autoscaling.amazonaws.com"]}
    code, _, _ = fails(iam.create_service_linked_role, AWSServiceName="autoscaling.amazonaws.com")
    assert code == "InvalidInput"
    custom = iam.create_service_linked_role(AWSServiceName="autoscaling.amazonaws.com", CustomSuffix="x1")["Role"]
    assert custom["RoleName"] == "AWSServiceRoleForAutoScaling_x1"
    code, msg, _ = fails(iam.delete_role, RoleName=r["RoleName"])
    assert (code, msg) == ("UnmodifiableEntity", "Cannot perform the operation on the protected role "
                           "'AWSServiceRoleForAutoScaling' - this role is only modifiable by AWS")
    assert iam.get_role(RoleName=r["RoleName"])["Role"]["RoleId"] == r["RoleId"]
    iam.create_role(RoleName="plain", AssumeRolePolicyDocument=json.dumps(trust("ec2")))
    assert fails(iam.delete_service_linked_role, RoleName="plain")[0] == "InvalidInput"
    task = iam.delete_service_linked_role(RoleName=r["RoleName"])["DeletionTaskId"]
    assert task.startswith("task/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling/")
    assert iam.get_service_linked_role_deletion_status(DeletionTaskId=task)["Status"] == "SUCCEEDED"
    assert fails(iam.get_role, RoleName=r["RoleName"])[0] == "NoSuchEntity"
    p = d.aws("iam", "get-service-linked-role-deletion-status", "--deletion-task-id", task + "x")
    assert cli_error(p)[0] == "NoSuchEntity"


def test_context_keys(iam):
    doc = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::home/${aws:username}/*",
         "Condition": {"StringEquals": {"aws:PrincipalTag/team": "blue"}, "IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}},
        {"Effect": "Deny", "Action": "*", "Resource": "*",
         "Condition": {"Bool": {"AWS:SecureTransport": "false"}, "StringLike": {"aws:username": "x*"}}},
    ]})
    got = iam.get_context_keys_for_custom_policy(PolicyInputList=[doc])["ContextKeyNames"]
    assert got == ["aws:PrincipalTag/team", "aws:SourceIp", "aws:username", "AWS:SecureTransport"]
    iam.create_user(UserName="keyed")
    iam.put_user_policy(UserName="keyed", PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ec2:*", "Resource": "*",
                                                "Condition": {"StringEquals": {"ec2:Region": "eu-west-1"}}}]}))
    got = iam.get_context_keys_for_principal_policy(PolicySourceArn=ARN + "user/keyed")["ContextKeyNames"]
    assert got == ["ec2:Region"]
    extra = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {"NumericLessThan": {"s3:max-keys": "5"}}}]})
    got = iam.get_context_keys_for_principal_policy(PolicySourceArn=ARN + "user/keyed",
                                                    PolicyInputList=[extra])["ContextKeyNames"]
    assert got == ["ec2:Region", "s3:max-keys"]
    code, _, _ = fails(iam.get_context_keys_for_custom_policy, PolicyInputList=["{not json"])
    assert code == "MalformedPolicyDocument"
    code, msg, _ = fails(iam.get_context_keys_for_principal_policy, PolicySourceArn=ARN + "user/nobody")
    assert (code, msg) == ("NoSuchEntity", "The user with name nobody cannot be found.")


def ssh_key(bits=2048):
    """(OpenSSH line, PEM SubjectPublicKeyInfo) of a new RSA key."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    pub = rsa.generate_private_key(public_exponent=65537, key_size=bits).public_key()
    line = pub.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
    pem = pub.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return line, pem


def test_ssh_public_keys(d, iam):
    import base64
    import hashlib

    iam.create_user(UserName="git")
    line, pem = ssh_key()
    k = iam.upload_ssh_public_key(UserName="git", SSHPublicKeyBody=line + " me@host")["SSHPublicKey"]
    assert k["UserName"] == "git" and k["Status"] == "Active"
    assert k["SSHPublicKeyId"].startswith("APKA") and len(k["SSHPublicKeyId"]) == 20
    md5 = hashlib.md5(base64.b64decode(line.split()[1])).hexdigest()
    assert k["Fingerprint"] == ":".join(md5[i:i + 2] for i in range(0, 32, 2))
    got = iam.get_ssh_public_key(UserName="git", SSHPublicKeyId=k["SSHPublicKeyId"], Encoding="SSH")["SSHPublicKey"]
    assert got["SSHPublicKeyBody"] == line + " me@host"
    got = iam.get_ssh_public_key(UserName="git", SSHPublicKeyId=k["SSHPublicKeyId"], Encoding="PEM")["SSHPublicKey"]
    assert got["SSHPublicKeyBody"] == pem
    # uploaded as PEM, handed out as an OpenSSH line too
    line2, pem2 = ssh_key()
    k2 = iam.upload_ssh_public_key(UserName="git", SSHPublicKeyBody=pem2)["SSHPublicKey"]
    got = iam.get_ssh_public_key(UserName="git", SSHPublicKeyId=k2["SSHPublicKeyId"], Encoding="SSH")["SSHPublicKey"]
    assert got["SSHPublicKeyBody"] == line2
    code, msg, _ = fails(iam.upload_ssh_public_key, UserName="git", SSHPublicKeyBody=line)
    assert (code, msg) == ("DuplicateSSHPublicKey",
                           "The SSH public key is already associated with the specified IAM user.")
    code, _, _ = fails(iam.upload_ssh_public_key, UserName="git", SSHPublicKeyBody="ssh-dss AAAA")
    assert code == "UnrecognizedPublicKeyEncoding"
    code, _, _ = fails(iam.upload_ssh_public_key, UserName="git", SSHPublicKeyBody="ssh-rsa AAAAB3NzaC1yc2E=")
    assert code == "InvalidPublicKey"
    code, _, _ = fails(iam.upload_ssh_public_key, UserName="git", SSHPublicKeyBody=ssh_key(1024)[0])
    assert code == "InvalidPublicKey"
    listed = iam.list_ssh_public_keys(UserName="git")["SSHPublicKeys"]
    assert [x["SSHPublicKeyId"] for x in listed] == [k["SSHPublicKeyId"], k2["SSHPublicKeyId"]]
    assert "SSHPublicKeyBody" not in listed[0]
    iam.update_ssh_public_key(UserName="git", SSHPublicKeyId=k["SSHPublicKeyId"], Status="Inactive")
    assert iam.list_ssh_public_keys(UserName="git")["SSHPublicKeys"][0]["Status"] == "Inactive"
    code, msg, _ = fails(iam.delete_user, UserName="git")
    assert (code, msg) == ("DeleteConflict", "Cannot delete entity, must delete SSH public keys first.")
    iam.create_user(UserName="other-git")
    code, msg, _ = fails(iam.delete_ssh_public_key, UserName="other-git", SSHPublicKeyId=k["SSHPublicKeyId"])
    assert (code, msg) == ("NoSuchEntity", "The Public Key with id %s cannot be found." % k["SSHPublicKeyId"])
    p = d.aws("iam", "delete-ssh-public-key", "--user-name", "git", "--ssh-public-key-id", k["SSHPublicKeyId"])
    assert p.returncode == 0, p.stderr
    iam.delete_ssh_public_key(UserName="git", SSHPublicKeyId=k2["SSHPublicKeyId"])
    iam.delete_user(UserName="git")


def test_service_specific_credentials(d, iam):
    iam.create_user(UserName="coder")
    c = iam.create_service_specific_credential(UserName="coder", ServiceName="codecommit.amazonaws.com")[
        "ServiceSpecificCredential"]
    assert c["ServiceUserName"] == "coder-at-%s" % ACCOUNT
    assert c["Status"] == "Active" and c["ServiceName"] == "codecommit.amazonaws.com"
    assert c["ServiceSpecificCredentialId"].startswith("ACCA") and len(c["ServicePassword"]) == 44
    listed = iam.list_service_specific_credentials(UserName="coder")["ServiceSpecificCredentials"]
    assert [x["ServiceSpecificCredentialId"] for x in listed] == [c["ServiceSpecificCredentialId"]]
    assert "ServicePassword" not in listed[0]
    assert iam.list_service_specific_credentials(UserName="coder", ServiceName="cassandra.amazonaws.com")[
        "ServiceSpecificCredentials"] == []
    again = iam.reset_service_specific_credential(UserName="coder",
                                                  ServiceSpecificCredentialId=c["ServiceSpecificCredentialId"])
    assert again["ServiceSpecificCredential"]["ServicePassword"] != c["ServicePassword"]
    iam.update_service_specific_credential(UserName="coder", ServiceSpecificCredentialId=c["ServiceSpecificCredentialId"],
                                           Status="Inactive")
    assert iam.list_service_specific_credentials(UserName="coder")["ServiceSpecificCredentials"][0]["Status"] == \
        "Inactive"
    code, msg, status = fails(iam.create_service_specific_credential, UserName="coder", ServiceName="s3.amazonaws.com")
    assert (code, msg, status) == ("NotSupportedService", "The specified service is not supported.", 404)
    iam.create_service_specific_credential(UserName="coder", ServiceName="codecommit.amazonaws.com")
    code, msg, _ = fails(iam.create_service_specific_credential, UserName="coder",
                         ServiceName="codecommit.amazonaws.com")
    assert (code, msg) == ("LimitExceeded", "Cannot exceed quota for ServiceSpecificCredentialsPerUserPerService: 2")
    code, msg, _ = fails(iam.delete_user, UserName="coder")
    assert (code, msg) == ("DeleteConflict", "Cannot delete entity, must delete service specific credentials first.")
    for x in iam.list_service_specific_credentials(UserName="coder")["ServiceSpecificCredentials"]:
        iam.delete_service_specific_credential(UserName="coder",
                                               ServiceSpecificCredentialId=x["ServiceSpecificCredentialId"])
    code, _, _ = fails(iam.delete_service_specific_credential, UserName="coder",
                       ServiceSpecificCredentialId=c["ServiceSpecificCredentialId"])
    assert code == "NoSuchEntity"
    iam.delete_user(UserName="coder")


def test_token_version_preference(d, iam):
    assert iam.get_account_summary()["SummaryMap"]["GlobalEndpointTokenVersion"] == 1
    p = d.aws("iam", "set-security-token-service-preferences", "--global-endpoint-token-version", "v2Token")
    assert p.returncode == 0, p.stderr
    assert iam.get_account_summary()["SummaryMap"]["GlobalEndpointTokenVersion"] == 2
    iam.set_security_token_service_preferences(GlobalEndpointTokenVersion="v1Token")
    assert iam.get_account_summary()["SummaryMap"]["GlobalEndpointTokenVersion"] == 1
