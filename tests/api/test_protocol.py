"""Protocol and routing: awsJson1_1 and query on one port, success documents as SDKs parse
them, and each protocol's answer to a request it cannot route."""

import urllib.request

from awsraw import (
    XMLNS,
    gci_params,
    json_call,
    presigned_get,
    query_call,
    send,
    serving,
    sign,
    strip_ns,
)
from conftest import ACCOUNT

ROOT_ARN = "arn:aws:iam::%s:root" % ACCOUNT


def test_json_success_parses_with_request_id(daemon):
    for svc, op, key, kw in (
        ("servicecatalog", "list_portfolios", "PortfolioDetails", {}),
        ("ssm", "list_documents", "DocumentIdentifiers", {"Filters": [{"Key": "Owner", "Values": ["Self"]}]}),
    ):
        r = getattr(daemon.client(svc), op)(**kw)
        assert r[key] == []
        md = r["ResponseMetadata"]
        assert md["HTTPStatusCode"] == 200
        assert md["RequestId"]
        assert md["RequestId"] == md["HTTPHeaders"]["x-amzn-requestid"]
        assert md["HTTPHeaders"]["content-type"] == "application/x-amz-json-1.1"


def test_query_success_parses_with_request_id(daemon):
    r = daemon.client("sts").get_caller_identity()
    md = r["ResponseMetadata"]
    assert md["HTTPStatusCode"] == 200
    # botocore takes the query protocol's request id from the XML body
    assert md["RequestId"] == md["HTTPHeaders"]["x-amzn-requestid"]
    assert r["Arn"] == ROOT_ARN


def test_query_xml_document(daemon):
    r = query_call(daemon, "sts", gci_params())
    assert r.status == 200
    assert r.headers["content-type"].startswith("text/xml")
    root = r.xml()
    ns = "{%s}" % XMLNS["sts"]
    assert root.tag == ns + "GetCallerIdentityResponse"
    result = root.find(ns + "GetCallerIdentityResult")
    assert result is not None
    assert result.findtext(ns + "Arn") == ROOT_ARN
    assert result.findtext(ns + "Account") == ACCOUNT
    assert result.findtext(ns + "UserId") == ACCOUNT
    assert root.findtext("%sResponseMetadata/%sRequestId" % (ns, ns)) == r.request_id
    assert r.request_id


def test_json_unknown_operation(daemon):
    r = json_call(daemon, "servicecatalog", "NoSuchOperation", {})
    assert r.status == 400
    assert r.headers["content-type"] == "application/x-amz-json-1.1"
    assert r.error()[0] == "UnknownOperationException"
    r = json_call(daemon, "ssm", "NoSuchOperation", {})
    assert (r.status, r.error()[0]) == (400, "UnknownOperationException")
    assert serving(daemon)


def test_query_unknown_action(daemon):
    r = query_call(daemon, "sts", {"Action": "NoSuchAction", "Version": "2011-06-15"})
    assert r.status == 400
    assert r.headers["content-type"].startswith("text/xml")
    code, msg = r.error()
    assert code == "InvalidAction"
    assert "NoSuchAction" in msg
    root = strip_ns(r.xml())
    assert root.tag == "ErrorResponse"
    assert root.findtext("Error/Type") == "Sender"
    assert root.findtext("RequestId") == r.request_id


def test_unknown_target_prefix(daemon):
    r = json_call(daemon, "servicecatalog", "ListPortfolios", {},
                  target_prefix="NoSuchService20240101")
    assert r.status == 400
    assert r.error()[0] == "UnknownOperationException"
    r = json_call(daemon, "servicecatalog", "ListPortfolios", {}, target_prefix="")
    assert (r.status, r.error()[0]) == (400, "UnknownOperationException")
    assert serving(daemon)


def test_target_without_operation(daemon):
    s = sign(daemon, "ssm", body="{}", headers={"Content-Type": "application/x-amz-json-1.1",
                                                "X-Amz-Target": "AmazonSSM"})
    r = send(daemon, s)
    assert (r.status, r.error()[0]) == (400, "UnknownOperationException")


def test_query_missing_action(daemon):
    r = query_call(daemon, "sts", {"Version": "2011-06-15"})
    assert r.status == 400
    assert r.error()[0] == "MissingAction"
    assert strip_ns(r.xml()).findtext("RequestId") == r.request_id
    r = query_call(daemon, "sts", "")
    assert (r.status, r.error()[0]) == (400, "MissingAction")
    assert serving(daemon)


def test_get_with_query_string_header_signed(daemon):
    s = sign(daemon, "sts", method="GET", target="/?Action=GetCallerIdentity&Version=2011-06-15")
    r = send(daemon, s)
    assert r.status == 200, r
    ns = "{%s}" % XMLNS["sts"]
    assert r.xml().findtext("%sGetCallerIdentityResult/%sArn" % (ns, ns)) == ROOT_ARN


def test_presigned_get_own_signer(daemon):
    r = send(daemon, presigned_get(daemon, "sts", gci_params(), expires=60))
    assert r.status == 200, r
    ns = "{%s}" % XMLNS["sts"]
    assert r.xml().findtext("%sGetCallerIdentityResult/%sArn" % (ns, ns)) == ROOT_ARN


def test_presigned_get_botocore_presigner(daemon):
    """The URL botocore's presigner makes (what EKS-style token schemes send)."""
    url = daemon.client("sts").generate_presigned_url(
        "get_caller_identity", ExpiresIn=60, HttpMethod="GET"
    )
    assert "X-Amz-Signature=" in url and "Action=GetCallerIdentity" in url
    with urllib.request.urlopen(url, timeout=10) as resp:
        assert resp.status == 200
        body = resp.read()
        rid = resp.headers["x-amzn-RequestId"]
    assert b"<GetCallerIdentityResult>" in body
    assert ("<RequestId>%s</RequestId>" % rid).encode() in body


def test_health(daemon):
    with urllib.request.urlopen(daemon.endpoint + "/_catalogd/health", timeout=10) as resp:
        assert resp.status == 200
        assert resp.read().strip() == b'{"status":"ok"}'
        assert resp.headers["x-amzn-RequestId"]
