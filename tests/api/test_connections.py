"""Connections an attacker holds or shapes: slow header and body trickles (slowloris) end at
their deadlines however often a byte arrives, one client cannot take every connection,
Content-Length beside Transfer-Encoding is refused (RFC 9112 §6.1), and every x-amz-*
header a request carries must be signed."""

import http.client
import socket
import threading
import time

import pytest

from awsraw import (
    connect,
    gci_params,
    head_bytes,
    json_request,
    query_request,
    raw_exchange,
    send,
    serving,
    sign,
)

NOT_SIGNED = "There were headers present in the request which were not signed: "


def trickle(sock, chunks, every, stop_after):
    """Sends chunks one at a time, every `every` seconds, until the peer closes the
    connection or stop_after seconds pass; returns seconds until the close, or None."""
    start = time.monotonic()
    for c in chunks:
        if time.monotonic() - start > stop_after:
            return None
        try:
            sock.sendall(c)
        except (BrokenPipeError, ConnectionResetError):
            return time.monotonic() - start
        sock.settimeout(every)
        try:
            if sock.recv(4096) == b"":
                return time.monotonic() - start
        except socket.timeout:
            pass
        except ConnectionResetError:
            return time.monotonic() - start
    return None


def header_trickle():
    """A request line, then one short header line after another, forever."""
    yield b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    i = 0
    while True:
        yield b"X-Slow-%d: a\r\n" % i
        i += 1


def byte_trickle():
    yield b"P"
    while True:
        yield b"O"  # never a whole request line


def signed_sts(d, source="127.0.0.1", timeout=10):
    conn = http.client.HTTPConnection("127.0.0.1", d.port, timeout=timeout,
                                      source_address=(source, 0))
    try:
        return send(d, query_request(d, "sts", gci_params()), conn=conn)
    finally:
        conn.close()


# ---- header and body deadlines (slowloris) -------------------------------------------------------

@pytest.mark.parametrize("chunks", [header_trickle, byte_trickle], ids=["header-lines", "request-line"])
def test_trickled_headers_closed_at_header_deadline(fresh_daemon, chunks):
    """Each byte resets MHD's idle timeout (60 s here); the header deadline does not move."""
    d = fresh_daemon(args=["--header-timeout", "2", "--timeout", "60"])
    with connect(d) as sock:
        waited = trickle(sock, chunks(), 0.4, 15)
    assert waited is not None and 1.5 <= waited <= 8, waited
    assert serving(d)
    assert {"msg": "connection deadline passed", "phase": "header", "client": "127.0.0.1"}.items() \
        <= next(r for r in d.log() if r.get("msg") == "connection deadline passed").items()


def test_trickled_body_closed_at_body_deadline(fresh_daemon):
    d = fresh_daemon(args=["--body-timeout", "2", "--header-timeout", "30", "--timeout", "60"])
    s = json_request(d, "ssm", "ListDocuments", {})
    head = head_bytes(d, s, extra=[("Content-Length", "4096")])

    def chunks():
        yield head
        while True:
            yield b" "

    with connect(d) as sock:
        waited = trickle(sock, chunks(), 0.4, 15)
    assert waited is not None and 1.5 <= waited <= 8, waited
    assert serving(d)


def test_complete_requests_on_a_kept_alive_connection_are_not_cut(fresh_daemon):
    """The deadlines bound each request, not the connection: a kept-alive connection serves
    requests for longer than the header and body deadlines together."""
    d = fresh_daemon(args=["--header-timeout", "1", "--body-timeout", "1"])
    conn = http.client.HTTPConnection("127.0.0.1", d.port, timeout=10)
    try:
        for _ in range(6):
            assert send(d, query_request(d, "sts", gci_params()), conn=conn).status == 200
            time.sleep(0.5)
    finally:
        conn.close()


# ---- connection limits ---------------------------------------------------------------------------

def test_one_client_cannot_take_every_connection(fresh_daemon):
    """Slow connections from 127.0.0.1 beyond the per-client limit are closed within 2 s
    (a request that arrived whole by then would be answered ThrottlingException:
    test_saturation.py); a client from another address (127.0.0.2) is answered meanwhile;
    the slow ones that were let in end at the header deadline, and then 127.0.0.1 is
    served again."""
    d = fresh_daemon(args=["--max-conns-per-client", "8", "--header-timeout", "6"])
    socks = []
    try:
        for _ in range(40):
            s = socket.create_connection(("127.0.0.1", d.port), timeout=5)
            try:
                s.sendall(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            except (BrokenPipeError, ConnectionResetError):
                pass
            socks.append(s)
        time.sleep(0.5)
        start = time.monotonic()
        r = signed_sts(d, source="127.0.0.2")
        assert r.status == 200, r
        assert time.monotonic() - start < 4  # not held up until the deadline sweeps them

        # the connections past the limit were closed by the daemon within 2 s
        time.sleep(2.5)

        def closed_now(s):
            s.settimeout(0.2)
            try:
                return s.recv(1) == b""
            except socket.timeout:
                return False
            except ConnectionResetError:
                return True

        closed = [closed_now(s) for s in socks]
        assert closed.count(False) <= 8, closed
        assert closed.count(True) >= 32, closed

        # the admitted slow ones end at the header deadline, however long they trickle
        def still_open(s):
            s.settimeout(0.05)
            try:
                s.sendall(b"X-More: a\r\n")
                return s.recv(1) != b""
            except socket.timeout:
                return True
            except (BrokenPipeError, ConnectionResetError):
                return False

        end = time.monotonic() + 15
        while time.monotonic() < end and any(still_open(s) for s in socks):
            time.sleep(0.3)
        assert not any(still_open(s) for s in socks)

        # and 127.0.0.1 is served again (the daemon frees a closed connection's slot just
        # after the close the client sees: allow it a moment)
        def served():
            try:
                return signed_sts(d).status == 200
            except (BrokenPipeError, ConnectionResetError):
                return False

        end = time.monotonic() + 3
        while not served() and time.monotonic() < end:
            time.sleep(0.1)
        assert served()
    finally:
        for s in socks:
            s.close()


def test_many_clients_in_parallel_within_limits(fresh_daemon):
    """The per-client limit counts open connections, not requests: 8 addresses with 8
    kept-alive connections each, two requests on each, all answered."""
    d = fresh_daemon(args=["--max-conns-per-client", "8"])
    results = []
    lock = threading.Lock()

    def client(addr):
        conn = http.client.HTTPConnection("127.0.0.1", d.port, timeout=30,
                                          source_address=(addr, 0))
        try:
            for _ in range(2):  # one kept-alive connection each
                r = send(d, query_request(d, "sts", gci_params()), conn=conn)
                with lock:
                    results.append(r.status)
        finally:
            conn.close()

    threads = [threading.Thread(target=client, args=("127.0.0.%d" % (1 + i // 8),))
               for i in range(64)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert results == [200] * 128


def test_stop_with_slow_connections_open(fresh_daemon):
    """SIGTERM while slow connections are mid-header: a clean, prompt stop (the sweeper
    and the connection registry go down after MHD has closed every connection)."""
    d = fresh_daemon(args=["--header-timeout", "30"])
    socks = [connect(d) for _ in range(10)]
    try:
        for s in socks:
            s.sendall(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        time.sleep(0.3)
        start = time.monotonic()
        assert d.stop() == 0
        assert time.monotonic() - start < 10
    finally:
        for s in socks:
            s.close()


# ---- request smuggling ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    "extra",
    [
        [("Content-Length", "2"), ("Transfer-Encoding", "chunked")],
        [("Transfer-Encoding", "chunked"), ("Content-Length", "2")],
        [("Content-Length", "2"), ("Transfer-Encoding", "gzip, chunked")],
        [("Transfer-Encoding", "chunked, gzip")],  # chunked not the final coding
        [("Transfer-Encoding", "gzip")],  # no length at all: read until close
        [("Transfer-Encoding", "chunked"), ("Transfer-Encoding", "chunked")],
    ],
    ids=["cl-then-te", "te-then-cl", "cl-te-gzip-chunked", "chunked-not-last", "gzip-only",
         "chunked-twice"],
)
def test_ambiguous_body_length_refused(daemon, extra):
    """RFC 9112 §6.1: a sender must not send Content-Length with Transfer-Encoding, and a
    request whose final coding is not chunked has no reliable length; the server answers
    400 and closes the connection, so nothing after it is read as another request."""
    s = json_request(daemon, "ssm", "ListDocuments", {})
    head = head_bytes(daemon, s, extra=extra)
    with connect(daemon) as sock:
        sock.sendall(head + b"2\r\n{}\r\n0\r\n\r\n")
        r = http.client.HTTPResponse(sock, method="POST")
        r.begin()
        body = r.read()
        assert r.status == 400, body
        assert b"BadRequest" in body
        sock.settimeout(5)
        try:
            rest = sock.recv(1)
        except ConnectionResetError:
            rest = b""
        assert rest == b""  # closed: nothing after it is read as another request
    assert serving(daemon)


# ---- every x-amz-* header signed -----------------------------------------------------------------

def _json_signed_over_host(d, op="ListDocuments", extra=None):
    """An SSM request signed with no X-Amz-Target and no Content-Type (host and x-amz-date
    only), which the headers are then added to, unsigned."""
    s = sign(d, "ssm", body="{}", headers={})
    s.headers["Content-Type"] = "application/x-amz-json-1.1"
    s.headers["X-Amz-Target"] = "AmazonSSM." + op
    for k, v in (extra or {}).items():
        s.headers[k] = v
    return s


def _query_with_unsigned_header(d):
    s = query_request(d, "sts", gci_params())
    s.headers["X-Amz-Meta-Anything"] = "added after signing"
    return s


@pytest.mark.parametrize(
    "make,status,code,names",
    [
        (_json_signed_over_host, 400, "InvalidSignatureException", "x-amz-target"),
        (_query_with_unsigned_header, 403, "SignatureDoesNotMatch", "x-amz-meta-anything"),
    ],
    ids=["json-target", "query-extra-header"],
)
def test_unsigned_x_amz_header_refused(daemon, make, status, code, names):
    s = make(daemon)
    assert names not in s.headers["Authorization"].lower()
    r = send(daemon, s)
    assert (r.status, r.error()) == (status, (code, NOT_SIGNED + names)), r


def test_swapped_x_amz_target_cannot_replay(daemon):
    """The same captured request with another operation in X-Amz-Target: refused too."""
    s = _json_signed_over_host(daemon, op="DeleteDocument")
    r = send(daemon, s)
    assert (r.status, r.error()[0]) == (400, "InvalidSignatureException"), r


def test_unsigned_headers_outside_x_amz_still_ignored(daemon):
    s = query_request(daemon, "sts", gci_params())
    s.headers["X-Amzn-Trace-Id"] = "Root=1-5759e988-bd862e3fe1be46a994272793"
    s.headers["User-Agent"] = "changed/1.0"
    assert send(daemon, s).status == 200


def test_unsigned_session_token_header_accepted(daemon):
    """AWS's signers may add X-Amz-Security-Token after signing (the SigV4 suite's
    post-sts-header-after): it is tied to the access key, so it need not be signed."""
    c = daemon.client("sts").get_session_token(DurationSeconds=900)["Credentials"]
    s = query_request(daemon, "sts", gci_params(), key=c["AccessKeyId"],
                      secret=c["SecretAccessKey"])
    s.headers["X-Amz-Security-Token"] = c["SessionToken"]
    r = send(daemon, s)
    assert r.status == 200, r
    assert ":root" in r.body.decode() or "arn:aws:" in r.body.decode()
