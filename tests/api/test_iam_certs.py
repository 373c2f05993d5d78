"""Server and signing certificates through boto3 and the AWS CLI, with certificates and
keys the test makes with the openssl command.

Server certificates: upload (body, key and chain parsed; Expiration is the certificate's
notAfter; the private key is never returned), get, list with PathPrefix and paging,
update (rename, new path), tags, delete; MalformedCertificate for a body, key or chain that
does not parse, KeyPairMismatch for another key, EntityAlreadyExists, NoSuchEntity, nothing
stored after a refusal. Signing certificates: upload for a user and for the caller,
Status Active then Inactive, DuplicateCertificate, LimitExceeded after two, DeleteUser
refused while one remains, NoSuchEntity for another user's id.
"""

import datetime
import json
import subprocess

import pytest

from conftest import ACCOUNT, Daemon
from helpers import cli_error, fails, new_user, serve

ARN = "arn:aws:iam::%s:" % ACCOUNT


@pytest.fixture(scope="module")
def d():
    yield from serve(Daemon())


@pytest.fixture(scope="module")
def iam(d):
    return d.client("iam")


def make_cert(tmp, name, days=30, key_alg="rsa:2048", ca=None):
    """(certificate PEM, key PEM, notAfter) of a new certificate; signed by ca = (cert
    path, key path) when given, else self-signed."""
    key, cert, csr = tmp / (name + ".key"), tmp / (name + ".crt"), tmp / (name + ".csr")
    if ca:
        subprocess.run(["openssl", "req", "-new", "-newkey", key_alg, "-nodes", "-keyout", key, "-out", csr,
                        "-subj", "/CN=" + name], check=True, capture_output=True)
        subprocess.run(["openssl", "x509", "-req", "-in", csr, "-CA", ca[0], "-CAkey", ca[1], "-CAcreateserial",
                        "-days", str(days), "-out", cert], check=True, capture_output=True)
    else:
        args = ["-newkey", key_alg] if key_alg.startswith("rsa") else [
            "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]
        subprocess.run(["openssl", "req", "-x509", *args, "-nodes", "-keyout", key, "-out", cert,
                        "-days", str(days), "-subj", "/CN=" + name], check=True, capture_output=True)
    end = subprocess.run(["openssl", "x509", "-in", cert, "-noout", "-enddate"], check=True, capture_output=True,
                         text=True).stdout.strip().split("=", 1)[1]
    not_after = datetime.datetime.strptime(end, "%b %d %H:%M:%S %Y %Z").replace(tzinfo=datetime.timezone.utc)
    return cert.read_text(), key.read_text(), not_after


@pytest.fixture(scope="module")
def pems(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("pki")
    ca_cert, ca_key, _ = make_cert(tmp, "ca", days=365)
    site = make_cert(tmp, "site", days=90, ca=(tmp / "ca.crt", tmp / "ca.key"))
    other = make_cert(tmp, "other", key_alg="ec")
    return {"ca": ca_cert, "site": site, "other": other, "third": make_cert(tmp, "third")}


def test_server_certificate_lifecycle(d, iam, pems):
    body, key, not_after = pems["site"]
    up = iam.upload_server_certificate(ServerCertificateName="site", Path="/web/", CertificateBody=body,
                                       PrivateKey=key, CertificateChain=pems["ca"],
                                       Tags=[{"Key": "env", "Value": "prod"}])
    m = up["ServerCertificateMetadata"]
    assert m["ServerCertificateName"] == "site" and m["Path"] == "/web/"
    assert m["Arn"] == ARN + "server-certificate/web/site"
    assert m["ServerCertificateId"].startswith("ASCA") and len(m["ServerCertificateId"]) == 21
    assert m["Expiration"] == not_after
    assert up["Tags"] == [{"Key": "env", "Value": "prod"}]
    got = iam.get_server_certificate(ServerCertificateName="site")["ServerCertificate"]
    assert got["ServerCertificateMetadata"] == m
    assert got["CertificateBody"] == body and got["CertificateChain"] == pems["ca"]
    assert "PrivateKey" not in json.dumps(got, default=str)
    assert got["Tags"] == [{"Key": "env", "Value": "prod"}]

    code, msg, status = fails(iam.upload_server_certificate, ServerCertificateName="SITE", CertificateBody=body,
                              PrivateKey=key)
    assert (code, msg, status) == ("EntityAlreadyExists", "The Server Certificate with name SITE already exists.", 409)

    # an EC certificate without a chain, at the root path
    obody, okey, _ = pems["other"]
    iam.upload_server_certificate(ServerCertificateName="other", CertificateBody=obody, PrivateKey=okey)
    listed = iam.list_server_certificates()["ServerCertificateMetadataList"]
    assert [x["ServerCertificateName"] for x in listed] == ["site", "other"]
    assert [x["ServerCertificateName"] for x in
            iam.list_server_certificates(PathPrefix="/web/")["ServerCertificateMetadataList"]] == ["site"]
    page = iam.list_server_certificates(MaxItems=1)
    assert page["IsTruncated"] is True and len(page["ServerCertificateMetadataList"]) == 1
    rest = iam.list_server_certificates(Marker=page["Marker"])
    assert [x["ServerCertificateName"] for x in rest["ServerCertificateMetadataList"]] == ["other"]

    iam.update_server_certificate(ServerCertificateName="site", NewServerCertificateName="site2", NewPath="/edge/")
    m2 = iam.get_server_certificate(ServerCertificateName="site2")["ServerCertificate"]["ServerCertificateMetadata"]
    assert m2["Arn"] == ARN + "server-certificate/edge/site2"
    assert m2["ServerCertificateId"] == m["ServerCertificateId"]
    code, msg, _ = fails(iam.get_server_certificate, ServerCertificateName="site")
    assert (code, msg) == ("NoSuchEntity", "The Server Certificate with name site cannot be found.")
    code, _, _ = fails(iam.update_server_certificate, ServerCertificateName="site2",
                       NewServerCertificateName="other")
    assert code == "EntityAlreadyExists"

    iam.tag_server_certificate(ServerCertificateName="site2", Tags=[{"Key": "team", "Value": "edge"}])
    assert iam.list_server_certificate_tags(ServerCertificateName="site2")["Tags"] == [
        {"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "edge"}]
    iam.untag_server_certificate(ServerCertificateName="site2", TagKeys=["ENV"])
    assert iam.list_server_certificate_tags(ServerCertificateName="site2")["Tags"] == [
        {"Key": "team", "Value": "edge"}]

    p = d.aws("iam", "delete-server-certificate", "--server-certificate-name", "site2")
    assert p.returncode == 0, p.stderr
    assert cli_error(d.aws("iam", "delete-server-certificate", "--server-certificate-name", "site2")) == (
        "NoSuchEntity", "The Server Certificate with name site2 cannot be found.")
    iam.delete_server_certificate(ServerCertificateName="other")
    assert iam.list_server_certificates()["ServerCertificateMetadataList"] == []


def test_server_certificate_refusals_store_nothing(iam, pems):
    body, key, _ = pems["site"]
    obody, okey, _ = pems["other"]
    cases = [
        (dict(CertificateBody="not a certificate", PrivateKey=key), "MalformedCertificate",
         "Unable to parse certificate. Please ensure the certificate is in PEM format."),
        (dict(CertificateBody=body + body, PrivateKey=key), "MalformedCertificate",
         "Unable to parse certificate. Please ensure the certificate is in PEM format."),
        (dict(CertificateBody=body, PrivateKey="-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"),
         "MalformedCertificate",
         "Unable to parse private key. Please ensure the private key is in PEM format and is not encrypted."),
        (dict(CertificateBody=body, PrivateKey=okey), "KeyPairMismatch",
         "The public key in the certificate does not match the private key."),
        (dict(CertificateBody=body, PrivateKey=key, CertificateChain="garbage"), "MalformedCertificate",
         "Unable to parse certificate chain. Please ensure the certificate chain is in PEM format."),
        (dict(CertificateBody=body, PrivateKey=key, CertificateChain=obody + "trailing"), "MalformedCertificate",
         "Unable to parse certificate chain. Please ensure the certificate chain is in PEM format."),
    ]
    for kw, code, msg in cases:
        assert fails(iam.upload_server_certificate, ServerCertificateName="bad", **kw) == (code, msg, 400), kw
    assert fails(iam.get_server_certificate, ServerCertificateName="bad")[0] == "NoSuchEntity"


def test_signing_certificates(d, iam, pems):
    key, secret = new_user(iam, "signer")
    body, _, _ = pems["site"]
    c = iam.upload_signing_certificate(UserName="signer", CertificateBody=body)["Certificate"]
    assert c["UserName"] == "signer" and c["Status"] == "Active" and c["CertificateBody"] == body
    assert len(c["CertificateId"]) == 24 and c["CertificateId"].isalnum()
    code, msg, status = fails(iam.upload_signing_certificate, UserName="signer", CertificateBody=body)
    assert (code, msg, status) == ("DuplicateCertificate",
                                   "The Certificate with id %s already exists." % c["CertificateId"], 409)
    code, _, _ = fails(iam.upload_signing_certificate, UserName="signer", CertificateBody="junk")
    assert code == "MalformedCertificate"
    code, msg, _ = fails(iam.upload_signing_certificate, UserName="notauser", CertificateBody=body)
    assert (code, msg) == ("NoSuchEntity", "The user with name notauser cannot be found.")
    iam.update_signing_certificate(UserName="signer", CertificateId=c["CertificateId"], Status="Inactive")
    listed = iam.list_signing_certificates(UserName="signer")["Certificates"]
    assert [(x["CertificateId"], x["Status"]) for x in listed] == [(c["CertificateId"], "Inactive")]
    iam.upload_signing_certificate(UserName="signer", CertificateBody=pems["other"][0])
    code, msg, _ = fails(iam.upload_signing_certificate, UserName="signer", CertificateBody=pems["third"][0])
    assert (code, msg) == ("LimitExceeded", "Cannot exceed quota for CertificatesPerUser: 2")
    assert len(iam.list_signing_certificates(UserName="signer")["Certificates"]) == 2
    # another user's id is not found; the user cannot be deleted while certificates remain
    iam.create_user(UserName="bystander")
    code, msg, _ = fails(iam.delete_signing_certificate, UserName="bystander", CertificateId=c["CertificateId"])
    assert (code, msg) == ("NoSuchEntity", "The Certificate with id %s cannot be found." % c["CertificateId"])
    for k in iam.list_access_keys(UserName="signer")["AccessKeyMetadata"]:
        iam.delete_access_key(UserName="signer", AccessKeyId=k["AccessKeyId"])
    code, msg, _ = fails(iam.delete_user, UserName="signer")
    assert (code, msg) == ("DeleteConflict", "Cannot delete entity, must delete signing certificates first.")
    for x in iam.list_signing_certificates(UserName="signer")["Certificates"]:
        iam.delete_signing_certificate(UserName="signer", CertificateId=x["CertificateId"])
    iam.delete_user(UserName="signer")
    # without UserName: the caller's own (here through the CLI as the root)
    p = d.aws("iam", "upload-signing-certificate", "--certificate-body", pems["third"][0])
    assert p.returncode == 0, p.stderr
    mine = iam.list_signing_certificates()["Certificates"]
    assert len(mine) == 1 and mine[0]["CertificateBody"] == pems["third"][0]
    assert iam.get_account_summary()["SummaryMap"]["AccountSigningCertificatesPresent"] == 1
