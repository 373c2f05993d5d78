"""Sharing Systems Manager documents (issue 14): ModifyDocumentPermission and
DescribeDocumentPermission. The owner shares with account ids or with "All", removes them
again, picks the version shared; "All" and account ids do not mix (DocumentPermissionLimit),
malformed ids and versions are refused by the model's patterns, an unknown document is
InvalidDocument, and a refused call changes nothing. Through boto3 and the AWS CLI."""

import json

import pytest
from botocore.exceptions import ClientError

from conftest import Daemon
from helpers import serve

A, B, C = "111111111111", "222222222222", "333333333333"


@pytest.fixture(scope="module")
def d():
    yield from serve(Daemon())


@pytest.fixture(scope="module")
def ssm(d):
    return d.client("ssm")


def make(ssm, name):
    content = {"schemaVersion": "2.2", "description": "share me", "mainSteps": [
        {"action": "aws:runShellScript", "name": "hello", "inputs": {"runCommand": ["echo hi"]}}]}
    ssm.create_document(Name=name, Content=json.dumps(content), DocumentType="Command")


def shared(ssm, name, **kw):
    r = ssm.describe_document_permission(Name=name, PermissionType="Share", **kw)
    return r["AccountIds"], r["AccountSharingInfoList"], r.get("NextToken")


def error(fn, **kw):
    with pytest.raises(ClientError) as e:
        fn(**kw)
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]


def test_share_with_accounts_and_remove_them(ssm):
    make(ssm, "ShareDoc")
    assert shared(ssm, "ShareDoc") == ([], [], None)
    ssm.modify_document_permission(Name="ShareDoc", PermissionType="Share", AccountIdsToAdd=[C, A])
    ssm.modify_document_permission(Name="ShareDoc", PermissionType="Share", AccountIdsToAdd=[B],
                                   SharedDocumentVersion="$LATEST")
    ids, info, token = shared(ssm, "ShareDoc")
    assert ids == [A, B, C] and token is None
    assert info == [{"AccountId": A, "SharedDocumentVersion": "$DEFAULT"},
                    {"AccountId": B, "SharedDocumentVersion": "$LATEST"},
                    {"AccountId": C, "SharedDocumentVersion": "$DEFAULT"}]
    # pages continue after the last id given
    ids1, _, token = shared(ssm, "ShareDoc", MaxResults=2)
    assert ids1 == [A, B] and token
    ids2, _, token2 = shared(ssm, "ShareDoc", MaxResults=2, NextToken=token)
    assert ids2 == [C] and token2 is None
    ssm.modify_document_permission(Name="ShareDoc", PermissionType="Share", AccountIdsToRemove=[A, C])
    assert shared(ssm, "ShareDoc")[0] == [B]


def test_share_with_everyone_and_the_mixing_rule(d, ssm):
    make(ssm, "PublicDoc")
    r = d.aws("ssm", "modify-document-permission", "--name", "PublicDoc", "--permission-type", "Share",
              "--account-ids-to-add", "All")
    assert r.returncode == 0, r.stderr
    assert shared(ssm, "PublicDoc")[0] == ["All"]
    code, msg = error(ssm.modify_document_permission, Name="PublicDoc", PermissionType="Share",
                      AccountIdsToAdd=[A])
    assert (code, msg) == ("DocumentPermissionLimit", "Accounts can either be all or a group of AWS accounts")
    code, msg = error(ssm.modify_document_permission, Name="PublicDoc", PermissionType="Share",
                      AccountIdsToAdd=["all", A])
    assert code == "DocumentPermissionLimit"
    assert shared(ssm, "PublicDoc")[0] == ["All"]  # unchanged
    ssm.modify_document_permission(Name="PublicDoc", PermissionType="Share", AccountIdsToRemove=["all"])
    assert shared(ssm, "PublicDoc")[0] == []


@pytest.mark.parametrize("bad", ["alll", "1234", "1234123412341234", "account_id"])
def test_malformed_account_ids_are_refused(ssm, bad):
    make(ssm, "BadIds-" + bad)
    for member in ("AccountIdsToAdd", "AccountIdsToRemove"):
        code, msg = error(ssm.modify_document_permission, Name="BadIds-" + bad, PermissionType="Share",
                          **{member: [bad]})
        assert code == "ValidationException" and "Member must satisfy regular expression pattern" in msg
    assert shared(ssm, "BadIds-" + bad)[0] == []


def test_unknown_documents_versions_and_types(ssm):
    make(ssm, "Versions")
    code, msg = error(ssm.describe_document_permission, Name="NoSuchDoc", PermissionType="Share")
    assert (code, msg) == ("InvalidDocument", "The specified document does not exist.")
    code, _ = error(ssm.modify_document_permission, Name="NoSuchDoc", PermissionType="Share", AccountIdsToAdd=[A])
    assert code == "InvalidDocument"
    code, msg = error(ssm.modify_document_permission, Name="Versions", PermissionType="Share",
                      SharedDocumentVersion="unknown", AccountIdsToAdd=[A])
    assert code == "ValidationException" and "regular expression pattern" in msg
    code, msg = error(ssm.modify_document_permission, Name="Versions", PermissionType="Public",
                      AccountIdsToAdd=[A])
    assert code == "ValidationException" and "enum value set: [Share]" in msg
    # AWS's own documents cannot be shared by a customer
    code, _ = error(ssm.modify_document_permission, Name="AWS-RestartEC2Instance", PermissionType="Share",
                    AccountIdsToAdd=[A])
    assert code == "InvalidDocumentOperation"
    assert shared(ssm, "Versions")[0] == []
