"""The probes a load balancer uses and the graceful stop (docs/deploy.md): /_catalogd/ready
answers 503 while a SIGTERM'd node drains (--drain-seconds), the node still serves every
call meanwhile and closes each connection after its answer, then stops; /_catalogd/health
stays the liveness answer. Without --drain-seconds a stop is immediate, as before."""

import http.client
import json
import signal
import time

import pytest

from helpers import wait_for


def probe(d, path):
    """(status, headers (lower-cased names), decoded JSON body) of GET path on d."""
    c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=10)
    try:
        c.request("GET", path)
        r = c.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, json.loads(r.read())
    finally:
        c.close()


def exit_within(d, seconds):
    """d's exit status once it has exited, waiting at most seconds."""
    rc = d.proc.wait(timeout=seconds)
    d.stop()  # closes its log and fails on sanitizer reports
    return rc


def test_ready_answers_200_on_a_serving_node(fresh_daemon):
    d = fresh_daemon()
    status, headers, body = probe(d, "/_catalogd/ready")
    assert (status, body) == (200, {"status": "ready"})
    assert headers.get("connection", "").lower() != "close"
    assert probe(d, "/_catalogd/health")[0::2] == (200, {"status": "ok"})


def test_sigterm_drains_then_stops(fresh_daemon):
    d = fresh_daemon(args=["--drain-seconds", "3"])
    sc = d.client("servicecatalog")
    sc.create_portfolio(DisplayName="before", ProviderName="p", IdempotencyToken="t-before")
    t0 = time.monotonic()
    d.proc.send_signal(signal.SIGTERM)
    wait_for(lambda: probe(d, "/_catalogd/ready")[0] == 503, timeout=2, what="ready turns 503")
    status, headers, body = probe(d, "/_catalogd/ready")
    assert body == {"status": "draining"}
    assert headers["connection"].lower() == "close"
    # still alive and serving: liveness, reads and writes all answer
    status, headers, body = probe(d, "/_catalogd/health")
    assert (status, body) == (200, {"status": "ok"})
    assert headers["connection"].lower() == "close"
    made = sc.create_portfolio(DisplayName="during", ProviderName="p", IdempotencyToken="t-during")
    names = {p["DisplayName"] for p in sc.list_portfolios()["PortfolioDetails"]}
    assert names == {"before", "during"}
    assert made["ResponseMetadata"]["HTTPHeaders"]["connection"].lower() == "close"
    assert d.proc.poll() is None
    assert exit_within(d, 15) == 0
    assert time.monotonic() - t0 >= 2.9  # the whole drain period was served
    msgs = [l.get("msg") for l in d.log()]
    assert msgs.index("stopping") < msgs.index("draining") < msgs.index("stopped")
    # what was written during the drain is there after a restart
    d.start()
    names = {p["DisplayName"] for p in d.client("servicecatalog").list_portfolios()["PortfolioDetails"]}
    assert names == {"before", "during"}


def test_second_signal_cuts_the_drain_short(fresh_daemon):
    d = fresh_daemon(args=["--drain-seconds", "60"])
    d.proc.send_signal(signal.SIGTERM)
    wait_for(lambda: probe(d, "/_catalogd/ready")[0] == 503, timeout=2, what="ready turns 503")
    t0 = time.monotonic()
    d.proc.send_signal(signal.SIGINT)
    assert exit_within(d, 10) == 0
    assert time.monotonic() - t0 < 5
    assert "drain cut short" in [l.get("msg") for l in d.log()]


def test_without_drain_seconds_a_stop_is_immediate(fresh_daemon):
    d = fresh_daemon()
    t0 = time.monotonic()
    d.proc.send_signal(signal.SIGTERM)
    assert exit_within(d, 10) == 0
    assert time.monotonic() - t0 < 2
    assert "draining" not in [l.get("msg") for l in d.log()]


@pytest.mark.parametrize("value", ["-1", "3601", "soon"])
def test_bad_drain_seconds_is_refused(fresh_daemon, value):
    from conftest import Daemon

    d = Daemon(args=["--drain-seconds", value])
    with pytest.raises(RuntimeError) as e:
        d.start(timeout=10)
    d.cleanup()
    assert "--drain-seconds" in str(e.value)
