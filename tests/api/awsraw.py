"""Exact-bytes AWS requests for the black-box tests: SigV4 signing with botocore's own
signers (at a chosen time when asked), sending over http.client or a raw socket, and
parsing the three AWS error documents without any SDK in between.
"""

import datetime
import http.client
import json
import socket
import time
import urllib.parse
import xml.etree.ElementTree as ET

from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from conftest import REGION, ROOT_KEY, ROOT_SECRET

JSON_TARGETS = {"servicecatalog": "AWS242ServiceCatalogService", "ssm": "AmazonSSM"}
XMLNS = {"sts": "https://sts.amazonaws.com/doc/2011-06-15/"}
JSON_CT = "application/x-amz-json-1.1"
FORM_CT = "application/x-www-form-urlencoded; charset=utf-8"
AMZ_DATE = "%Y%m%dT%H%M%SZ"


def utcnow():
    return datetime.datetime.utcnow().replace(microsecond=0)


class _AtTime:
    """Signs as of self.when (a naive UTC datetime) instead of the current time."""

    when = None

    def add_auth(self, request):
        if self.when is None:
            return super().add_auth(request)
        request.context["timestamp"] = self.when.strftime(AMZ_DATE)
        self._modify_request_before_signing(request)
        canonical = self.canonical_request(request)
        sts = self.string_to_sign(request, canonical)
        self._inject_signature_to_request(request, self.signature(sts, request))


class HeaderSigner(_AtTime, SigV4Auth):
    def __init__(self, creds, service, region, when=None):
        SigV4Auth.__init__(self, creds, service, region)
        self.when = when


class QuerySigner(_AtTime, SigV4QueryAuth):
    def __init__(self, creds, service, region, expires=60, when=None):
        SigV4QueryAuth.__init__(self, creds, service, region, expires=expires)
        self.when = when


class Signed:
    """A signed request, ready to send: method, target (path?query), headers, body."""

    def __init__(self, method, target, headers, body):
        self.method = method
        self.target = target
        self.headers = dict(headers)
        self.body = body


def sign(daemon, service, body=b"", headers=None, method="POST", target="/", key=ROOT_KEY,
         secret=ROOT_SECRET, token=None, region=REGION, when=None, presign=None):
    """Signs a request for daemon with scope (region, service). presign=N makes a presigned
    URL valid N seconds instead of an Authorization header."""
    if isinstance(body, str):
        body = body.encode("utf-8")
    creds = Credentials(key, secret, token)
    req = AWSRequest(method=method, url=daemon.endpoint + target, data=body,
                     headers=dict(headers or {}))
    if presign is not None:
        QuerySigner(creds, service, region, expires=presign, when=when).add_auth(req)
    else:
        HeaderSigner(creds, service, region, when=when).add_auth(req)
    p = req.prepare()
    u = urllib.parse.urlsplit(p.url)
    tgt = u.path + ("?" + u.query if u.query else "")
    hdrs = {k: v for k, v in p.headers.items()}
    return Signed(method, tgt, hdrs, p.body if p.body is not None else b"")


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = {k.lower(): v for k, v in headers}
        self.body = body

    @property
    def request_id(self):
        return self.headers.get("x-amzn-requestid")

    def json(self):
        return json.loads(self.body)

    def xml(self):
        return ET.fromstring(self.body)

    def error(self):
        """(code, message) from a JSON or XML AWS error document."""
        ct = self.headers.get("content-type", "")
        if "json" in ct:
            d = self.json()
            return d.get("__type", "").rsplit("#", 1)[-1], d.get("message", d.get("Message"))
        root = strip_ns(self.xml())
        err = root.find(".//Error")
        return err.findtext("Code"), err.findtext("Message")

    def __repr__(self):
        return "<Response %s %r>" % (self.status, self.body[:300])


def strip_ns(root):
    """Removes XML namespaces from every tag, in place; returns root."""
    for el in root.iter():
        if isinstance(el.tag, str) and el.tag.startswith("{"):
            el.tag = el.tag.split("}", 1)[1]
    return root


def send(daemon, signed, conn=None, timeout=15):
    """Sends one Signed (or (method, target, headers, body) tuple) with http.client."""
    own = conn is None
    if own:
        conn = http.client.HTTPConnection("127.0.0.1", daemon.port, timeout=timeout)
    try:
        conn.request(signed.method, signed.target, body=signed.body or None,
                     headers=signed.headers)
        r = conn.getresponse()
        body = r.read()
        return Response(r.status, r.getheaders(), body)
    finally:
        if own:
            conn.close()


def json_request(daemon, service, op, payload=None, target_prefix=None, sign_service=None,
                 content_type=JSON_CT, **kw):
    """A signed awsJson1_1 request (not sent). payload: dict, str or bytes."""
    if payload is None:
        payload = {}
    if isinstance(payload, (dict, list)):
        payload = json.dumps(payload)
    prefix = JSON_TARGETS[service] if target_prefix is None else target_prefix
    headers = {"Content-Type": content_type, "X-Amz-Target": "%s.%s" % (prefix, op)}
    headers.update(kw.pop("headers", {}))
    return sign(daemon, sign_service or service, body=payload, headers=headers, **kw)


def json_call(daemon, service, op, payload=None, **kw):
    return send(daemon, json_request(daemon, service, op, payload, **kw))


def form(params):
    return params if isinstance(params, (str, bytes)) else urllib.parse.urlencode(params)


def query_request(daemon, service, params, **kw):
    """A signed query-protocol POST (not sent). params: dict or an already-encoded str."""
    headers = {"Content-Type": FORM_CT}
    headers.update(kw.pop("headers", {}))
    return sign(daemon, service, body=form(params), headers=headers, **kw)


def query_call(daemon, service, params, **kw):
    return send(daemon, query_request(daemon, service, params, **kw))


def gci_params():
    return {"Action": "GetCallerIdentity", "Version": "2011-06-15"}


def presigned_get(daemon, service, params, expires=60, when=None, **kw):
    """A presigned GET whose query string carries params and the X-Amz-* parameters."""
    target = "/?" + form(params)
    return sign(daemon, service, method="GET", target=target, presign=expires, when=when, **kw)


# ---- raw sockets -----------------------------------------------------------------------

def connect(daemon, timeout=10):
    s = socket.create_connection(("127.0.0.1", daemon.port), timeout=timeout)
    return s


def read_response(sock, method="POST"):
    """Parses one HTTP response from sock (as http.client would)."""
    r = http.client.HTTPResponse(sock, method=method)
    r.begin()
    body = r.read()
    return Response(r.status, r.getheaders(), body)


def head_bytes(daemon, signed, extra=(), drop=("content-length",)):
    """The request line and header block of a Signed request as bytes, with the Host header
    the signature covers, without the headers named in drop, plus the (name, value) pairs
    of extra. The caller appends whatever body (or none) it wants to send."""
    lines = ["%s %s HTTP/1.1" % (signed.method, signed.target), "Host: 127.0.0.1:%d" % daemon.port]
    for k, v in signed.headers.items():
        if k.lower() in drop or k.lower() == "host":
            continue
        lines.append("%s: %s" % (k, v))
    for k, v in extra:
        lines.append("%s: %s" % (k, v))
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def raw_exchange(daemon, data, method="POST", timeout=10):
    """Sends data on a new connection and reads one response."""
    with connect(daemon, timeout=timeout) as s:
        s.sendall(data)
        return read_response(s, method=method)


def wait_closed(sock, deadline_s):
    """Reads from sock until the peer closes it; returns seconds waited, or None when the
    connection is still open after deadline_s."""
    start = time.monotonic()
    end = start + deadline_s
    while True:
        left = end - time.monotonic()
        if left <= 0:
            return None
        sock.settimeout(left)
        try:
            data = sock.recv(65536)
        except socket.timeout:
            return None
        except ConnectionResetError:
            return time.monotonic() - start
        if not data:
            return time.monotonic() - start


def serving(daemon):
    """True when the daemon answers a signed query request and a signed JSON request with
    200: the check every bad-input test ends with."""
    q = query_call(daemon, "sts", gci_params())
    j = json_call(daemon, "servicecatalog", "ListPortfolios", {})
    return q.status == 200 and j.status == 200 and daemon.proc.poll() is None
