"""HTTP behaviour: keep-alive, request ids, the request log line, request limits (body,
header block, chunked bodies), truncated and idle connections, concurrency."""

import concurrent.futures
import http.client
import re
import socket
import threading
import time
import urllib.request

import pytest

from awsraw import (
    connect,
    gci_params,
    head_bytes,
    json_call,
    json_request,
    query_call,
    query_request,
    raw_exchange,
    read_response,
    send,
    serving,
    wait_closed,
)
from conftest import ACCOUNT

ROOT_ARN = "arn:aws:iam::%s:root" % ACCOUNT
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def log_line(daemon, request_id, timeout=5):
    """The daemon's request log line for request_id (polls: the line may trail the reply)."""
    deadline = time.monotonic() + timeout
    while True:
        for rec in daemon.log():
            if rec.get("msg") == "request" and rec.get("request_id") == request_id:
                return rec
        if time.monotonic() > deadline:
            raise AssertionError("no request log line for %s" % request_id)
        time.sleep(0.02)


# ---- keep-alive and request ids -------------------------------------------------------------

def test_keep_alive(daemon):
    conn = http.client.HTTPConnection("127.0.0.1", daemon.port, timeout=10)
    try:
        statuses, sock = [], None
        reqs = [
            query_request(daemon, "sts", gci_params()),
            json_request(daemon, "servicecatalog", "ListPortfolios", {}),
            json_request(daemon, "ssm", "ListDocuments", {}),
            json_request(daemon, "ssm", "ListDocuments", {"MaxResults": 1000}),  # an error
            query_request(daemon, "sts", gci_params(), key="AKIAUNKNOWNKEY000001"),  # another
            query_request(daemon, "sts", gci_params()),
            json_request(daemon, "servicecatalog", "ListPortfolios", {}),
        ]
        for s in reqs:
            r = send(daemon, s, conn=conn)
            statuses.append(r.status)
            if sock is None:
                sock = conn.sock
            assert conn.sock is sock, "the connection was not kept alive"
            assert r.headers.get("connection", "").lower() != "close"
        assert statuses == [200, 200, 200, 400, 403, 200, 200]
    finally:
        conn.close()


def test_request_id_on_every_response_and_unique(daemon):
    ids = []

    def note(r):
        assert r.request_id, r
        assert UUID.fullmatch(r.request_id), r.request_id
        ids.append(r.request_id)

    for _ in range(3):
        note(query_call(daemon, "sts", gci_params()))
        note(json_call(daemon, "servicecatalog", "ListPortfolios", {}))
        note(json_call(daemon, "servicecatalog", "ListPortfolios", "[]"))
        note(json_call(daemon, "ssm", "NoSuchOp", {}))
        note(query_call(daemon, "sts", {"Action": "Nope", "Version": "2011-06-15"}))
        note(query_call(daemon, "sts", gci_params(), key="AKIAUNKNOWNKEY000001"))
        s = json_request(daemon, "ssm", "ListDocuments", {})
        del s.headers["Authorization"]
        note(send(daemon, s))
        with urllib.request.urlopen(daemon.endpoint + "/_catalogd/health", timeout=10) as resp:
            ids.append(resp.headers["x-amzn-RequestId"])
    assert all(ids)
    assert len(set(ids)) == len(ids), "request ids repeat"


def test_request_log_line_success(daemon):
    r = json_call(daemon, "servicecatalog", "ListPortfolios", {})
    assert r.status == 200
    rec = log_line(daemon, r.request_id)
    assert rec["principal"] == ROOT_ARN
    assert rec["service"] == "servicecatalog"
    assert rec["operation"] == "ListPortfolios"
    assert rec["status"] == 200
    assert rec["error"] == ""
    assert isinstance(rec["latency_ms"], (int, float)) and 0 <= rec["latency_ms"] < 10000
    r = query_call(daemon, "sts", gci_params())
    rec = log_line(daemon, r.request_id)
    assert (rec["principal"], rec["service"], rec["operation"], rec["status"]) == (
        ROOT_ARN, "sts", "GetCallerIdentity", 200)


def test_request_log_line_errors(daemon):
    r = json_call(daemon, "ssm", "ListDocuments", {"MaxResults": 1000})
    rec = log_line(daemon, r.request_id)
    assert (rec["principal"], rec["service"], rec["operation"], rec["status"], rec["error"]) == (
        ROOT_ARN, "ssm", "ListDocuments", 400, "ValidationException")
    assert "latency_ms" in rec
    r = query_call(daemon, "sts", gci_params(), key="AKIAUNKNOWNKEY000001")
    rec = log_line(daemon, r.request_id)
    assert (rec["service"], rec["operation"], rec["status"], rec["error"]) == (
        "sts", "GetCallerIdentity", 403, "InvalidClientTokenId")
    assert rec["principal"] in ("", None)
    # one line per request
    assert sum(1 for x in daemon.log() if x.get("request_id") == r.request_id) == 1


# ---- body limit -------------------------------------------------------------------------------

def _over_limit_head(daemon, signed, length):
    return head_bytes(daemon, signed, extra=[("Content-Length", str(length))])


@pytest.mark.parametrize("proto", ["json", "query"])
def test_body_over_limit_content_length(fresh_daemon, proto):
    d = fresh_daemon(args=["--max-body", "1024"])
    s = (json_request(d, "ssm", "ListDocuments", {}) if proto == "json"
         else query_request(d, "sts", gci_params()))
    # announce 4000 bytes and send none: the daemon answers from the headers alone
    with connect(d) as sock:
        sock.sendall(_over_limit_head(d, s, 4000))
        r = read_response(sock)
    assert r.status == 413
    assert r.request_id
    code, msg = r.error()
    assert code == "RequestEntityTooLarge"
    assert "1024" in msg
    if proto == "json":
        assert r.headers["content-type"] == "application/x-amz-json-1.1"
    else:
        assert r.headers["content-type"].startswith("text/xml")
    # the same with the body sent along
    r = raw_exchange(d, _over_limit_head(d, s, 3000) + b" " * 3000)
    assert (r.status, r.error()[0]) == (413, "RequestEntityTooLarge")
    assert serving(d)


def test_body_over_limit_boto3(fresh_daemon):
    d = fresh_daemon(args=["--max-body", "1024"])
    c = d.client("servicecatalog")
    with pytest.raises(c.exceptions.ClientError) as ei:
        c.list_portfolios(PageToken="p" * 2000)
    e = ei.value.response
    assert e["Error"]["Code"] == "RequestEntityTooLarge"
    assert e["ResponseMetadata"]["HTTPStatusCode"] == 413
    assert c.list_portfolios()["PortfolioDetails"] == []


def test_body_exactly_at_limit(fresh_daemon):
    d = fresh_daemon(args=["--max-body", "1024"])
    at = "{}" + " " * 1022
    assert len(at) == 1024
    assert json_call(d, "ssm", "ListDocuments", at).status == 200
    r = json_call(d, "ssm", "ListDocuments", at + " ")
    assert (r.status, r.error()[0]) == (413, "RequestEntityTooLarge")
    assert serving(d)


def _chunked(body, size):
    out = b""
    for i in range(0, len(body), size):
        part = body[i:i + size]
        out += b"%x\r\n%s\r\n" % (len(part), part)
    return out + b"0\r\n\r\n"


def test_chunked_body_over_limit(fresh_daemon):
    d = fresh_daemon(args=["--max-body", "1024"])
    s = json_request(d, "ssm", "ListDocuments", {})
    head = head_bytes(d, s, extra=[("Transfer-Encoding", "chunked")])
    r = raw_exchange(d, head + _chunked(b"{" + b" " * 3000 + b"}", 500))
    assert r.status == 413
    assert r.error()[0] == "RequestEntityTooLarge"
    assert r.request_id
    assert serving(d)


def test_chunked_body_within_limit(daemon):
    s = json_request(daemon, "ssm", "ListDocuments",
                     {"MaxResults": 5, "Filters": [{"Key": "Owner", "Values": ["Self"]}]})
    head = head_bytes(daemon, s, extra=[("Transfer-Encoding", "chunked")])
    r = raw_exchange(daemon, head + _chunked(s.body, 3))
    assert r.status == 200, r
    assert r.json() == {"DocumentIdentifiers": []}


def test_conflicting_content_length_refused(daemon):
    s = json_request(daemon, "ssm", "ListDocuments", {})
    head = head_bytes(daemon, s, extra=[("Content-Length", "2"), ("Content-Length", "10")])
    r = raw_exchange(daemon, head + b"{}" + b"GET / HTTP")
    assert r.status == 400


# ---- header block limit -------------------------------------------------------------------------

@pytest.mark.parametrize("proto", ["json", "query"])
def test_header_block_over_limit(daemon, proto):
    pad = {"X-Pad": "a" * (20 * 1024)}
    s = (json_request(daemon, "ssm", "ListDocuments", {}, headers=pad) if proto == "json"
         else query_request(daemon, "sts", gci_params(), headers=pad))
    r = send(daemon, s)
    assert r.status == 431, r
    assert r.request_id
    assert r.error()[0] == "RequestHeaderFieldsTooLarge"
    assert serving(daemon)


def test_header_block_just_under_limit(daemon):
    s = json_request(daemon, "ssm", "ListDocuments", {}, headers={"X-Pad": "a" * (12 * 1024)})
    assert send(daemon, s).status == 200


def test_header_block_far_over_limit(daemon):
    """Far past what the HTTP layer buffers: refused without harm to the daemon."""
    s = json_request(daemon, "ssm", "ListDocuments", {})
    head = head_bytes(daemon, s, extra=[("X-Pad-%d" % i, "b" * 8000) for i in range(40)])
    try:
        r = raw_exchange(daemon, head + s.body)
    except (ConnectionResetError, BrokenPipeError):
        r = None  # the daemon may close before the client has read its answer
    assert r is None or r.status == 431, r
    assert serving(daemon)


def test_header_limit_flag(fresh_daemon):
    d = fresh_daemon(args=["--max-header", "2048"])
    s = json_request(d, "ssm", "ListDocuments", {}, headers={"X-Pad": "a" * 3000})
    r = send(d, s)
    assert (r.status, r.error()[0]) == (431, "RequestHeaderFieldsTooLarge")
    assert json_call(d, "ssm", "ListDocuments", {}).status == 200


# ---- broken connections ----------------------------------------------------------------------

def test_truncated_request(daemon):
    s = json_request(daemon, "ssm", "ListDocuments", {})
    head = head_bytes(daemon, s, extra=[("Content-Length", "100")])
    # close outright after 10 of the 100 announced bytes, a few times over
    for _ in range(5):
        with connect(daemon) as sock:
            sock.sendall(head + b"0123456789")
    assert serving(daemon)
    assert daemon.proc.poll() is None


def test_truncated_request_half_closed(fresh_daemon):
    """The client sends 10 of 100 bytes and shuts down its side: the daemon must not keep
    the connection past its idle timeout, and never answers 200."""
    d = fresh_daemon(args=["--timeout", "1"])
    s = json_request(d, "ssm", "ListDocuments", {})
    head = head_bytes(d, s, extra=[("Content-Length", "100")])
    for _ in range(4):
        with connect(d) as sock:
            sock.sendall(head + b"0123456789")
            sock.shutdown(socket.SHUT_WR)
            sock.settimeout(10)
            start = time.monotonic()
            data = b""
            try:
                while True:
                    chunk = sock.recv(65536)
                    if not chunk:
                        break
                    data += chunk
            except ConnectionResetError:
                pass
            except socket.timeout:
                pytest.fail("connection still open 10 s after the client stopped sending")
            assert time.monotonic() - start <= 5, "connection kept past the idle timeout"
            assert not data.startswith(b"HTTP/1.1 200"), data
    assert serving(d)


def test_garbage_request_line(daemon):
    with connect(daemon) as sock:
        sock.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 64 + b"\r\n\r\n")
        wait_closed(sock, 10)
    assert serving(daemon)


def test_idle_connection_closed_after_timeout(fresh_daemon):
    d = fresh_daemon(args=["--timeout", "1"])
    # nothing sent at all
    with connect(d) as sock:
        waited = wait_closed(sock, 10)
    assert waited is not None and 0.5 <= waited <= 5, waited
    # a request line and part of the headers, then silence
    with connect(d) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        waited = wait_closed(sock, 10)
    assert waited is not None and 0.5 <= waited <= 5, waited
    # a kept-alive connection that goes idle after a complete request
    with connect(d) as sock:
        sock.sendall(head_bytes(d, json_request(d, "ssm", "ListDocuments", {}),
                                drop=()) + b"{}")
        assert read_response(sock).status == 200
        waited = wait_closed(sock, 10)
    assert waited is not None and 0.5 <= waited <= 5, waited
    assert serving(d)


# ---- concurrency -----------------------------------------------------------------------------

def test_100_concurrent_requests(daemon):
    n = 100
    makers = [
        lambda: query_request(daemon, "sts", gci_params()),
        lambda: json_request(daemon, "servicecatalog", "ListPortfolios", {}),
        lambda: json_request(daemon, "ssm", "ListDocuments", {}),
    ]
    reqs = [makers[i % 3]() for i in range(n)]
    barrier = threading.Barrier(n)

    def one(s):
        conn = http.client.HTTPConnection("127.0.0.1", daemon.port, timeout=30)
        try:
            conn.connect()
            barrier.wait(timeout=30)
            return send(daemon, s, conn=conn)
        finally:
            conn.close()

    with concurrent.futures.ThreadPoolExecutor(max_workers=n) as pool:
        results = list(pool.map(one, reqs))
    assert [r.status for r in results] == [200] * n, [r for r in results if r.status != 200][:3]
    ids = [r.request_id for r in results]
    assert len(set(ids)) == n
    assert serving(daemon)
