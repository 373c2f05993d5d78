"""IAM SAML providers and sts:AssumeRoleWithSAML with real XML signatures: the test is its
own identity provider (an RSA key and self-signed certificate from python3-cryptography,
metadata naming it, responses signed by the xmlsec1 command: enveloped signature,
exclusive C14N, RSA-SHA256). A valid assertion yields working credentials; unsigned,
foreign-signed, tampered, wrapped, expired, misaddressed and misattributed ones are each
refused with AWS's error and no session is issued; from boto3 and the AWS CLI."""

import base64
import datetime
import json
import os
import subprocess
import uuid

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from conftest import ACCOUNT, Daemon, store_sql
from helpers import allow, cli_error, fails, policy, serve

ISSUER = "https://idp.example.test/saml"
SIGNIN = "https://signin.aws.amazon.com/saml"
PROVIDER = "arn:aws:iam::%s:saml-provider/TestIdP" % ACCOUNT
OTHER_PROVIDER = "arn:aws:iam::%s:saml-provider/OtherIdP" % ACCOUNT
ROLE = "arn:aws:iam::%s:role/saml-dev" % ACCOUNT


def keypair(tmp, name):
    """(private key PEM path, base64 DER certificate) of a new self-signed RSA identity."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.utcnow()
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    path = os.path.join(tmp, name + ".pem")
    with open(path, "wb") as f:
        f.write(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
            )
        )
    return path, base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()


def metadata(cert, entity=ISSUER):
    """IdP metadata naming cert as its signing certificate (over IAM's 1000-character minimum)."""
    formats = "".join(
        "<md:NameIDFormat>urn:oasis:names:tc:SAML:%s</md:NameIDFormat>" % f
        for f in ("2.0:nameid-format:persistent", "2.0:nameid-format:transient", "1.1:nameid-format:emailAddress")
    )
    return (
        '<?xml version="1.0"?>\n'
        '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="%s">'
        '<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
        '<md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">'
        "<ds:X509Data><ds:X509Certificate>%s</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
        "%s"
        '<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="%s/sso"/>'
        "</md:IDPSSODescriptor></md:EntityDescriptor>\n" % (entity, cert, formats, entity)
    )


SIG_TEMPLATE = (
    '<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>'
    '<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>'
    '<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>'
    '<ds:Reference URI="#%s"><ds:Transforms>'
    '<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>'
    '<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms>'
    '<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue/></ds:Reference>'
    "</ds:SignedInfo><ds:SignatureValue/></ds:Signature>"
)


def iso(delta_s):
    t = datetime.datetime.utcnow() + datetime.timedelta(seconds=delta_s)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def assertion(
    aid,
    roles=(ROLE + "," + PROVIDER,),
    session="alice@example.test",
    audience="urn:amazon:webservices",
    recipient=SIGNIN,
    expires_s=300,
    subject="alice",
    signature=True,
    session_s=None,
    extra=(),
):
    attrs = '<saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/Role">%s</saml:Attribute>' % "".join(
        "<saml:AttributeValue>%s</saml:AttributeValue>" % r for r in roles
    )
    for name, values in extra:
        attrs += '<saml:Attribute Name="%s">%s</saml:Attribute>' % (
            name,
            "".join("<saml:AttributeValue>%s</saml:AttributeValue>" % v for v in values),
        )
    if session:
        attrs += (
            '<saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/RoleSessionName">'
            "<saml:AttributeValue>%s</saml:AttributeValue></saml:Attribute>" % session
        )
    return (
        '<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="%(id)s" Version="2.0" IssueInstant="%(now)s">'
        "<saml:Issuer>%(iss)s</saml:Issuer>%(sig)s"
        '<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">%(sub)s</saml:NameID>'
        '<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">'
        '<saml:SubjectConfirmationData NotOnOrAfter="%(until)s" Recipient="%(rcpt)s"/></saml:SubjectConfirmation></saml:Subject>'
        '<saml:Conditions NotBefore="%(before)s" NotOnOrAfter="%(until)s"><saml:AudienceRestriction>'
        "<saml:Audience>%(aud)s</saml:Audience></saml:AudienceRestriction></saml:Conditions>"
        '<saml:AuthnStatement AuthnInstant="%(now)s"%(session)s><saml:AuthnContext><saml:AuthnContextClassRef>'
        "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>"
        "<saml:AttributeStatement>%(attrs)s</saml:AttributeStatement></saml:Assertion>"
        % {
            "id": aid,
            "now": iso(0),
            "before": iso(-60),
            "until": iso(expires_s),
            "iss": ISSUER,
            "sig": SIG_TEMPLATE % aid if signature else "",
            "sub": subject,
            "rcpt": recipient,
            "aud": audience,
            "attrs": attrs,
            "session": ' SessionNotOnOrAfter="%s"' % iso(session_s) if session_s else "",
        }
    )


def response(body, destination=SIGNIN):
    return (
        '<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="r%s" Version="2.0" '
        'IssueInstant="%s" Destination="%s"><saml:Issuer xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">%s</saml:Issuer>'
        '<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>%s'
        "</samlp:Response>" % (uuid.uuid4().hex, iso(0), destination, ISSUER, body)
    )


def sign(tmp, key, xml):
    """xml signed by key with the xmlsec1 command (the assertion's template filled in)."""
    src = os.path.join(tmp, "unsigned-%s.xml" % uuid.uuid4().hex)
    with open(src, "w") as f:
        f.write(xml)
    p = subprocess.run(
        ["xmlsec1", "--sign", "--privkey-pem", key, "--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:assertion:Assertion", src],
        capture_output=True,
        text=True,
        check=True,
    )
    return p.stdout


def b64(xml):
    return base64.b64encode(xml.encode()).decode()


def new_id():
    return "_" + uuid.uuid4().hex


@pytest.fixture(scope="module")
def d():
    yield from serve(Daemon())


@pytest.fixture(scope="module")
def iam(d):
    return d.client("iam")


def saml_trust(condition):
    """A trust policy (JSON) letting TestIdP's users assume the role under condition."""
    stmt = {"Effect": "Allow", "Principal": {"Federated": PROVIDER}, "Action": "sts:AssumeRoleWithSAML"}
    return json.dumps({"Version": "2012-10-17", "Statement": [dict(stmt, Condition=condition)]})


@pytest.fixture(scope="module")
def idp(d, iam, tmp_path_factory):
    """The test's IdP registered as TestIdP (and another as OtherIdP), and the role it
    federates into: (key path, other key path, tmp dir)."""
    tmp = str(tmp_path_factory.mktemp("saml"))
    key, cert = keypair(tmp, "idp")
    other_key, other_cert = keypair(tmp, "other")
    iam.create_saml_provider(Name="TestIdP", SAMLMetadataDocument=metadata(cert))
    iam.create_saml_provider(Name="OtherIdP", SAMLMetadataDocument=metadata(other_cert, "https://other.example.test"))
    trust = saml_trust({"StringEquals": {"SAML:aud": SIGNIN, "saml:iss": ISSUER}})
    iam.create_role(RoleName="saml-dev", AssumeRolePolicyDocument=trust)
    iam.put_role_policy(RoleName="saml-dev", PolicyName="p", PolicyDocument=policy(allow("ssm:DescribeParameters")))
    return key, other_key, tmp


def sessions(d):
    return int(store_sql(d.data_dir, "SELECT COUNT(*) FROM access_keys WHERE kind = 'session'")[0][0])


def refused(d, sts, xml, role=ROLE, provider=PROVIDER):
    """The (code, message, status) of an AssumeRoleWithSAML that must fail, having issued
    no session."""
    before = sessions(d)
    r = fails(sts.assume_role_with_saml, RoleArn=role, PrincipalArn=provider, SAMLAssertion=b64(xml))
    assert sessions(d) == before
    return r


def test_saml_provider_crud(iam, tmp_path):
    _, cert = keypair(str(tmp_path), "crud")
    doc = metadata(cert, "https://crud.example.test")
    arn = iam.create_saml_provider(Name="Crud", SAMLMetadataDocument=doc, Tags=[{"Key": "k", "Value": "v"}])[
        "SAMLProviderArn"
    ]
    assert arn == "arn:aws:iam::%s:saml-provider/Crud" % ACCOUNT
    got = iam.get_saml_provider(SAMLProviderArn=arn)
    assert got["SAMLMetadataDocument"] == doc and got["ValidUntil"] > got["CreateDate"]
    assert got["Tags"] == [{"Key": "k", "Value": "v"}]
    assert arn in [p["Arn"] for p in iam.list_saml_providers()["SAMLProviderList"]]
    code, _, status = fails(iam.create_saml_provider, Name="Crud", SAMLMetadataDocument=doc)
    assert (code, status) == ("EntityAlreadyExists", 409)
    junk = "<x>" + "a" * 1200 + "</x>"
    code, msg, status = fails(iam.create_saml_provider, Name="Junk", SAMLMetadataDocument=junk)
    assert (code, status) == ("InvalidInput", 400) and "metadata" in msg
    xxe = '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>' + doc.split("?>", 1)[1]
    code, _, _ = fails(iam.create_saml_provider, Name="Xxe", SAMLMetadataDocument=xxe)
    assert code == "InvalidInput"
    code, _, _ = fails(iam.update_saml_provider, SAMLProviderArn=arn, SAMLMetadataDocument=junk)
    assert code == "InvalidInput"
    _, cert2 = keypair(str(tmp_path), "crud2")
    doc2 = metadata(cert2, "https://crud.example.test")
    assert iam.update_saml_provider(SAMLProviderArn=arn, SAMLMetadataDocument=doc2)["SAMLProviderArn"] == arn
    assert iam.get_saml_provider(SAMLProviderArn=arn)["SAMLMetadataDocument"] == doc2
    iam.tag_saml_provider(SAMLProviderArn=arn, Tags=[{"Key": "team", "Value": "x"}])
    iam.untag_saml_provider(SAMLProviderArn=arn, TagKeys=["k"])
    assert iam.list_saml_provider_tags(SAMLProviderArn=arn)["Tags"] == [{"Key": "team", "Value": "x"}]
    iam.delete_saml_provider(SAMLProviderArn=arn)
    code, _, status = fails(iam.get_saml_provider, SAMLProviderArn=arn)
    assert (code, status) == ("NoSuchEntity", 404)
    code, _, _ = fails(iam.delete_saml_provider, SAMLProviderArn=arn)
    assert code == "NoSuchEntity"
    code, _, _ = fails(iam.get_saml_provider, SAMLProviderArn="arn:aws:iam::%s:role/Crud" % ACCOUNT)
    assert code == "InvalidInput"


def test_valid_assertion_yields_working_credentials(d, idp):
    key, _, tmp = idp
    xml = sign(tmp, key, response(assertion(new_id())))
    before = sessions(d)
    r = d.client("sts").assume_role_with_saml(RoleArn=ROLE, PrincipalArn=PROVIDER, SAMLAssertion=b64(xml))
    assert sessions(d) == before + 1
    assert r["AssumedRoleUser"]["Arn"] == "arn:aws:sts::%s:assumed-role/saml-dev/alice@example.test" % ACCOUNT
    assert (r["Subject"], r["SubjectType"], r["Issuer"], r["Audience"]) == ("alice", "persistent", ISSUER, SIGNIN)
    assert r["NameQualifier"]
    c = r["Credentials"]
    creds = dict(key=c["AccessKeyId"], secret=c["SecretAccessKey"], token=c["SessionToken"])
    who = d.client("sts", **creds).get_caller_identity()
    assert who["Arn"] == r["AssumedRoleUser"]["Arn"]
    assert "Parameters" in d.client("ssm", **creds).describe_parameters()
    code, _, _ = fails(d.client("iam", **creds).list_users)
    assert code == "AccessDenied"


def test_session_ends_with_the_idp_session(d, idp):
    key, _, tmp = idp
    xml = sign(tmp, key, response(assertion(new_id(), session_s=1200)))
    r = d.client("sts").assume_role_with_saml(RoleArn=ROLE, PrincipalArn=PROVIDER, SAMLAssertion=b64(xml))
    left = (r["Credentials"]["Expiration"] - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
    assert 1100 < left <= 1200


def test_role_pair_in_either_order_and_from_the_cli(d, idp):
    key, _, tmp = idp
    xml = sign(tmp, key, response(assertion(new_id(), roles=(PROVIDER + "," + ROLE,))))
    p = d.aws(
        "sts", "assume-role-with-saml", "--role-arn", ROLE, "--principal-arn", PROVIDER, "--saml-assertion", b64(xml),
        check=True,
    )
    assert p.json["AssumedRoleUser"]["Arn"].endswith(":assumed-role/saml-dev/alice@example.test")


def test_unsigned_foreign_and_tampered_assertions_are_refused(d, idp):
    key, other_key, tmp = idp
    sts = d.client("sts")
    unsigned = response(assertion(new_id(), signature=False))
    code, _, status = refused(d, sts, unsigned)
    assert (code, status) == ("InvalidIdentityToken", 400)
    foreign = sign(tmp, other_key, response(assertion(new_id())))
    assert refused(d, sts, foreign)[0] == "InvalidIdentityToken"
    good = sign(tmp, key, response(assertion(new_id())))
    for before, after in [(">alice<", ">admin<"), ("alice@example.test", "mallory@example.test")]:
        tampered = good.replace(before, after)
        assert tampered != good
        assert refused(d, sts, tampered)[0] == "InvalidIdentityToken"
    # SHA-1 (RSA-SHA1 over a SHA-1 digest) is not accepted, however well signed
    sha1 = sign(
        tmp,
        key,
        response(assertion(new_id()))
        .replace("http://www.w3.org/2001/04/xmldsig-more#rsa-sha256", "http://www.w3.org/2000/09/xmldsig#rsa-sha1")
        .replace("http://www.w3.org/2001/04/xmlenc#sha256", "http://www.w3.org/2000/09/xmldsig#sha1"),
    )
    assert "rsa-sha1" in sha1
    assert refused(d, sts, sha1)[0] == "InvalidIdentityToken"
    # a DTD (entities, external fetches) is never read
    xxe = '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY e "x">]>' + good.split("?>", 1)[1]
    assert refused(d, sts, xxe)[0] == "InvalidIdentityToken"


def test_wrapped_assertions_are_refused(d, idp):
    key, _, tmp = idp
    sts = d.client("sts")
    evil = assertion(new_id(), subject="admin", signature=False)
    signed = sign(tmp, key, response(assertion(new_id())))
    # a second, unsigned assertion beside the signed one, before or after it
    for wrapped in [
        signed.replace("</samlp:Status>", "</samlp:Status>" + evil, 1),
        signed.replace("</samlp:Response>", evil + "</samlp:Response>"),
    ]:
        assert wrapped.count("<saml:Assertion ") == 2
        assert refused(d, sts, wrapped)[0] == "InvalidIdentityToken"
    # the signed assertion hidden in an extension, an unsigned one in its place
    start, end = signed.index("<saml:Assertion "), signed.index("</saml:Assertion>") + len("</saml:Assertion>")
    hidden = (
        signed[:start]
        + evil
        + '<samlp:Extensions>%s</samlp:Extensions>' % signed[start:end]
        + signed[end:]
    )
    assert refused(d, sts, hidden)[0] == "InvalidIdentityToken"


def test_expired_and_misaddressed_assertions_are_refused(d, idp):
    key, _, tmp = idp
    sts = d.client("sts")
    expired = sign(tmp, key, response(assertion(new_id(), expires_s=-5)))
    code, _, status = refused(d, sts, expired)
    assert (code, status) == ("ExpiredTokenException", 400)
    for xml in [
        response(assertion(new_id(), audience="urn:other:sp")),
        response(assertion(new_id(), recipient="https://sp.example.test/acs")),
        response(assertion(new_id()), destination="https://sp.example.test/acs"),
    ]:
        assert refused(d, sts, sign(tmp, key, xml))[0] == "InvalidIdentityToken"
    no_session = sign(tmp, key, response(assertion(new_id(), session=None)))
    assert refused(d, sts, no_session)[0] == "InvalidIdentityToken"


def test_role_attribute_and_trust_decide(d, iam, idp):
    key, other_key, tmp = idp
    sts = d.client("sts")
    # the Role attribute names another provider, or another role
    for roles in [(ROLE + "," + OTHER_PROVIDER,), ("arn:aws:iam::%s:role/other,%s" % (ACCOUNT, PROVIDER),)]:
        code, msg, status = refused(d, sts, sign(tmp, key, response(assertion(new_id(), roles=roles))))
        assert (code, msg, status) == ("AccessDenied", "Not authorized to perform sts:AssumeRoleWithSAML", 403)
    # OtherIdP's own valid assertion for a role that trusts only TestIdP
    xml = response(assertion(new_id(), roles=(ROLE + "," + OTHER_PROVIDER,))).replace(ISSUER, "https://other.example.test")
    code, msg, _ = refused(d, sts, sign(tmp, other_key, xml), provider=OTHER_PROVIDER)
    assert (code, msg) == ("AccessDenied", "Not authorized to perform sts:AssumeRoleWithSAML")
    # an issuer other than the provider's entity id
    xml = response(assertion(new_id())).replace(ISSUER, "https://impostor.example.test")
    assert refused(d, sts, sign(tmp, key, xml))[0] == "InvalidIdentityToken"
    # a provider that does not exist
    code, _, _ = refused(d, sts, sign(tmp, key, response(assertion(new_id()))), provider=PROVIDER + "x")
    assert code == "InvalidIdentityToken"


AFFILIATION = "urn:oid:1.3.6.1.4.1.5923.1.1.1.1"


def test_trust_conditions_on_assertion_attributes(d, iam, idp):
    """saml:doc names the provider; eduPersonAffiliation's values are saml:edupersonaffiliation."""
    key, _, tmp = idp
    role = "arn:aws:iam::%s:role/saml-staff" % ACCOUNT
    trust = saml_trust(
        {
            "StringEquals": {"saml:doc": "%s/TestIdP" % ACCOUNT},
            "ForAnyValue:StringEquals": {"saml:edupersonaffiliation": "staff"},
        }
    )
    iam.create_role(RoleName="saml-staff", AssumeRolePolicyDocument=trust)
    pair = (role + "," + PROVIDER,)
    staff = sign(tmp, key, response(assertion(new_id(), roles=pair, extra=[(AFFILIATION, ["member", "staff"])])))
    r = d.client("sts").assume_role_with_saml(RoleArn=role, PrincipalArn=PROVIDER, SAMLAssertion=b64(staff))
    assert r["AssumedRoleUser"]["Arn"].endswith(":assumed-role/saml-staff/alice@example.test")
    student = sign(tmp, key, response(assertion(new_id(), roles=pair, extra=[(AFFILIATION, ["student"])])))
    code, msg, _ = refused(d, d.client("sts"), student, role=role)
    assert (code, msg) == ("AccessDenied", "Not authorized to perform sts:AssumeRoleWithSAML")


def test_provider_quota(fresh_daemon, tmp_path):
    """An account holds at most 100 SAML providers (LimitExceeded past that)."""
    iam = fresh_daemon().client("iam")
    _, cert = keypair(str(tmp_path), "quota")
    doc = metadata(cert)
    for i in range(100):
        iam.create_saml_provider(Name="p%d" % i, SAMLMetadataDocument=doc)
    code, msg, status = fails(iam.create_saml_provider, Name="p100", SAMLMetadataDocument=doc)
    assert (code, status) == ("LimitExceeded", 409) and "100" in msg
    iam.delete_saml_provider(SAMLProviderArn="arn:aws:iam::%s:saml-provider/p0" % ACCOUNT)
    iam.create_saml_provider(Name="p100", SAMLMetadataDocument=doc)
