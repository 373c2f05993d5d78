"""SigV4 authentication, from real clients and from crafted requests: every refusal in the
code, HTTP status and wording AWS uses for the protocol, and the requests that must pass."""

import datetime
import re

import botocore.exceptions
import pytest

from awsraw import (
    AMZ_DATE,
    gci_params,
    json_call,
    json_request,
    presigned_get,
    query_call,
    query_request,
    send,
    serving,
    utcnow,
)
from conftest import ROOT_KEY

UNKNOWN_KEY = "AKIAUNKNOWNKEY000001"
WRONG_SECRET = "wRoNgSeCrEt00000000000000000000000000000"
INVALID_TOKEN_MSG = "The security token included in the request is invalid."
MISMATCH_MSG = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method."
)

# protocol -> how to make a signed request of it (kwargs go to awsraw.sign), and the codes
# and statuses AWS answers with (src/core/err.h, reference/aws-api.md §6)
PROTOS = {
    "json": {
        "request": lambda d, **kw: json_request(d, "ssm", "ListDocuments", {}, **kw),
        "invalid_token": ("UnrecognizedClientException", 400),
        "mismatch": ("InvalidSignatureException", 400),
        "missing": ("MissingAuthenticationTokenException", 400),
        "incomplete": ("IncompleteSignatureException", 400),
        "ctype": "application/x-amz-json-1.1",
    },
    "query": {
        "request": lambda d, **kw: query_request(d, "sts", gci_params(), **kw),
        "invalid_token": ("InvalidClientTokenId", 403),
        "mismatch": ("SignatureDoesNotMatch", 403),
        "missing": ("MissingAuthenticationToken", 403),
        "incomplete": ("IncompleteSignature", 400),
        "ctype": "text/xml",
    },
}


def refused(r, proto, kind):
    """Asserts r is the protocol's `kind` error; returns its message."""
    code, status = PROTOS[proto][kind]
    assert r.headers["content-type"].startswith(PROTOS[proto]["ctype"]), r
    got_code, msg = r.error()
    assert (got_code, r.status) == (code, status), r
    assert r.request_id
    return msg


def client_error(call):
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        call()
    return ei.value.response


# ---- real clients -------------------------------------------------------------------------

@pytest.mark.parametrize(
    "service,op,code,status",
    [
        ("servicecatalog", "list_portfolios", "UnrecognizedClientException", 400),
        ("ssm", "list_documents", "UnrecognizedClientException", 400),
        ("sts", "get_caller_identity", "InvalidClientTokenId", 403),
    ],
)
def test_unknown_access_key_boto3(daemon, service, op, code, status):
    e = client_error(getattr(daemon.client(service, key=UNKNOWN_KEY), op))
    assert e["Error"]["Code"] == code
    assert e["Error"]["Message"] == INVALID_TOKEN_MSG
    assert e["ResponseMetadata"]["HTTPStatusCode"] == status
    assert e["ResponseMetadata"]["RequestId"]


@pytest.mark.parametrize(
    "service,op,code,status",
    [
        ("servicecatalog", "list_portfolios", "InvalidSignatureException", 400),
        ("ssm", "list_documents", "InvalidSignatureException", 400),
        ("sts", "get_caller_identity", "SignatureDoesNotMatch", 403),
    ],
)
def test_wrong_secret_boto3(daemon, service, op, code, status):
    e = client_error(getattr(daemon.client(service, secret=WRONG_SECRET), op))
    assert e["Error"]["Code"] == code
    assert e["Error"]["Message"].startswith(MISMATCH_MSG)
    assert e["ResponseMetadata"]["HTTPStatusCode"] == status


@pytest.mark.parametrize(
    "service,op,code,status",
    [
        ("ssm", "list_documents", "InvalidSignatureException", 400),
        ("sts", "get_caller_identity", "SignatureDoesNotMatch", 403),
    ],
)
def test_unknown_region_boto3(daemon, service, op, code, status):
    # one endpoint serves every region of the aws partition; a region outside it is refused
    # as AWS refuses a credential scoped to an invalid region
    e = client_error(getattr(daemon.client(service, region="xx-nowhere-9"), op))
    assert e["Error"]["Code"] == code
    assert e["ResponseMetadata"]["HTTPStatusCode"] == status
    assert e["Error"]["Message"] == "Credential should be scoped to a valid region, not 'xx-nowhere-9'. "


# ---- crafted requests ---------------------------------------------------------------------

@pytest.mark.parametrize("proto", PROTOS)
def test_unknown_access_key(daemon, proto):
    r = send(daemon, PROTOS[proto]["request"](daemon, key=UNKNOWN_KEY))
    assert refused(r, proto, "invalid_token") == INVALID_TOKEN_MSG


@pytest.mark.parametrize("proto", PROTOS)
def test_wrong_secret(daemon, proto):
    r = send(daemon, PROTOS[proto]["request"](daemon, secret=WRONG_SECRET))
    assert refused(r, proto, "mismatch").startswith(MISMATCH_MSG)


def test_body_tampered_after_signing_json(daemon):
    s = PROTOS["json"]["request"](daemon)
    s.body = b'{"MaxResults": 5}'
    s.headers["Content-Length"] = str(len(s.body))
    assert refused(send(daemon, s), "json", "mismatch").startswith(MISMATCH_MSG)


def test_body_tampered_after_signing_query(daemon):
    s = PROTOS["query"]["request"](daemon)
    s.body += b"&Extra=1"
    s.headers["Content-Length"] = str(len(s.body))
    assert refused(send(daemon, s), "query", "mismatch").startswith(MISMATCH_MSG)


@pytest.mark.parametrize("proto", PROTOS)
def test_signed_header_tampered_after_signing(daemon, proto):
    s = PROTOS[proto]["request"](daemon)
    when = datetime.datetime.strptime(s.headers["X-Amz-Date"], AMZ_DATE)
    s.headers["X-Amz-Date"] = (when - datetime.timedelta(seconds=1)).strftime(AMZ_DATE)
    assert refused(send(daemon, s), proto, "mismatch").startswith(MISMATCH_MSG)


@pytest.mark.parametrize("proto", PROTOS)
def test_unsigned_header_added_after_signing_is_ignored(daemon, proto):
    s = PROTOS[proto]["request"](daemon)
    s.headers["X-Unsigned-Extra"] = "anything"
    s.headers["User-Agent"] = "changed-after-signing/1.0"
    assert send(daemon, s).status == 200


@pytest.mark.parametrize("proto", ["json", "query"])
def test_missing_authorization(daemon, proto):
    """STS's text and status were captured in amzn/selling-partner-api-docs#3081."""
    s = PROTOS[proto]["request"](daemon)
    del s.headers["Authorization"]
    assert refused(send(daemon, s), proto, "missing") == "Request is missing Authentication Token"


@pytest.mark.parametrize("proto", PROTOS)
def test_missing_authorization_code(daemon, proto):
    """The code (whatever the status) is right in both protocols."""
    s = PROTOS[proto]["request"](daemon)
    del s.headers["Authorization"]
    r = send(daemon, s)
    assert r.error()[0] == PROTOS[proto]["missing"][0]
    assert r.status in (400, 403)
    assert r.request_id


@pytest.mark.parametrize("proto", PROTOS)
@pytest.mark.parametrize(
    "mangle,wording",
    [
        (lambda a: "AWS4-HMAC-SHA256 garbage", "not a valid key=value pair (missing equal-sign)"),
        (lambda a: a.split(", Signature=")[0],
         "Authorization header requires 'Signature' parameter."),
        (lambda a: re.sub(r"SignedHeaders=[^,]*, ", "", a),
         "Authorization header requires 'SignedHeaders' parameter."),
        (lambda a: a.replace("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA1"), "Unsupported AWS 'algorithm'"),
        (lambda a: a.replace("/aws4_request", "/aws5_request"),
         "Credential should be scoped with a valid terminator: 'aws4_request'"),
        (lambda a: a.replace("/us-east-1/", "/"),
         "Credential must have exactly 5 slash-delimited elements"),
        (lambda a: a.replace("SignedHeaders=", "SignedHeaders=x-amz-date;"),
         None),  # still well-formed: must then fail as a mismatch, not parse
    ],
    ids=["garbage", "no-signature", "no-signedheaders", "algorithm", "terminator", "scope-parts",
         "extra-signed-header"],
)
def test_malformed_authorization(daemon, proto, mangle, wording):
    s = PROTOS[proto]["request"](daemon)
    s.headers["Authorization"] = mangle(s.headers["Authorization"])
    r = send(daemon, s)
    if wording is None:
        assert r.status in (400, 403) and r.error()[0] in (
            PROTOS[proto]["mismatch"][0], PROTOS[proto]["incomplete"][0])
        return
    assert wording in refused(r, proto, "incomplete")


@pytest.mark.parametrize("proto", PROTOS)
def test_host_not_signed_is_incomplete(daemon, proto):
    s = PROTOS[proto]["request"](daemon)
    a = s.headers["Authorization"]
    s.headers["Authorization"] = re.sub(
        r"SignedHeaders=([^,]*)", lambda m: "SignedHeaders=" + m.group(1).replace("host;", ""), a)
    assert "'Host'" in refused(send(daemon, s), proto, "incomplete")


@pytest.mark.parametrize("proto", PROTOS)
def test_bad_x_amz_date(daemon, proto):
    s = PROTOS[proto]["request"](daemon)
    s.headers["X-Amz-Date"] = "yesterday"
    msg = refused(send(daemon, s), proto, "incomplete")
    assert "Date must be in ISO-8601 'basic format'" in msg
    s = PROTOS[proto]["request"](daemon)
    del s.headers["X-Amz-Date"]
    assert "'X-Amz-Date' or a 'Date' header" in refused(send(daemon, s), proto, "incomplete")


# ---- time ---------------------------------------------------------------------------------

def _parse(t):
    return datetime.datetime.strptime(t, AMZ_DATE)


@pytest.mark.parametrize("proto", PROTOS)
def test_signature_16_minutes_old_is_expired(daemon, proto):
    sent = utcnow() - datetime.timedelta(minutes=16)
    r = send(daemon, PROTOS[proto]["request"](daemon, when=sent))
    msg = refused(r, proto, "mismatch")
    m = re.fullmatch(
        r"Signature expired: (\w+) is now earlier than (\w+) \((\w+) - 15 min\.\)", msg)
    assert m, msg
    assert m.group(1) == sent.strftime(AMZ_DATE)
    now = _parse(m.group(3))
    assert abs((now - utcnow()).total_seconds()) < 30
    assert _parse(m.group(2)) == now - datetime.timedelta(minutes=15)


@pytest.mark.parametrize("proto", PROTOS)
def test_signature_16_minutes_ahead_is_not_yet_current(daemon, proto):
    sent = utcnow() + datetime.timedelta(minutes=16)
    r = send(daemon, PROTOS[proto]["request"](daemon, when=sent))
    msg = refused(r, proto, "mismatch")
    m = re.fullmatch(
        r"Signature not yet current: (\w+) is still later than (\w+) \((\w+) \+ 15 min\.\)", msg)
    assert m, msg
    assert m.group(1) == sent.strftime(AMZ_DATE)
    now = _parse(m.group(3))
    assert abs((now - utcnow()).total_seconds()) < 30
    assert _parse(m.group(2)) == now + datetime.timedelta(minutes=15)


@pytest.mark.parametrize("proto", PROTOS)
@pytest.mark.parametrize("minutes", [-14, 14])
def test_signature_14_minutes_skew_is_accepted(daemon, proto, minutes):
    sent = utcnow() + datetime.timedelta(minutes=minutes)
    r = send(daemon, PROTOS[proto]["request"](daemon, when=sent))
    assert r.status == 200, r


# ---- credential scope ---------------------------------------------------------------------

@pytest.mark.parametrize("proto", PROTOS)
def test_scope_unknown_region(daemon, proto):
    r = send(daemon, PROTOS[proto]["request"](daemon, region="mars-central-1"))
    assert refused(r, proto, "mismatch") == "Credential should be scoped to a valid region, not 'mars-central-1'. "


def test_scope_wrong_service_json(daemon):
    # an ssm request (X-Amz-Target AmazonSSM.*) signed for servicecatalog
    r = json_call(daemon, "ssm", "ListDocuments", {}, sign_service="servicecatalog")
    msg = refused(r, "json", "mismatch")
    assert msg.startswith("Credential should be scoped to correct service: 'ssm'.")


# ---- presigned URLs -------------------------------------------------------------------------

def test_presigned_url_past_expiry(daemon):
    signed_at = utcnow() - datetime.timedelta(seconds=120)
    r = send(daemon, presigned_get(daemon, "sts", gci_params(), expires=60, when=signed_at))
    msg = refused(r, "query", "mismatch")
    assert "expired" in msg.lower()


def test_presigned_url_within_expiry_signed_earlier(daemon):
    signed_at = utcnow() - datetime.timedelta(seconds=120)
    r = send(daemon, presigned_get(daemon, "sts", gci_params(), expires=600, when=signed_at))
    assert r.status == 200, r


def test_presigned_url_parameter_added_after_signing(daemon):
    s = presigned_get(daemon, "sts", gci_params())
    s.target = s.target.replace("Version=2011-06-15", "Version=2011-06-15&Extra=1")
    assert refused(send(daemon, s), "query", "mismatch").startswith(MISMATCH_MSG)


def test_presigned_url_unknown_key(daemon):
    r = send(daemon, presigned_get(daemon, "sts", gci_params(), key=UNKNOWN_KEY))
    assert refused(r, "query", "invalid_token") == INVALID_TOKEN_MSG


def test_presigned_url_incomplete(daemon):
    s = presigned_get(daemon, "sts", gci_params())
    s.target = re.sub(r"&X-Amz-Date=[^&]*", "", s.target)
    assert "X-Amz-Date" in refused(send(daemon, s), "query", "incomplete")


# ---- session tokens on long-term keys -------------------------------------------------------

@pytest.mark.parametrize("proto", PROTOS)
def test_session_token_with_long_term_key_refused(daemon, proto):
    r = send(daemon, PROTOS[proto]["request"](daemon, key=ROOT_KEY, token="not-a-session-token"))
    assert refused(r, proto, "invalid_token") == INVALID_TOKEN_MSG


def test_daemon_serves_after_auth_failures(daemon):
    for _ in range(3):
        query_call(daemon, "sts", gci_params(), key=UNKNOWN_KEY)
        json_call(daemon, "ssm", "ListDocuments", {}, secret=WRONG_SECRET)
    assert serving(daemon)
