"""PostgreSQL restarted under load (issue 15 §1, §4): a stream of boto3 calls (portfolio
writes, reads of them) against two nodes while the database server stops for three
seconds and starts again. During the outage requests fail retryably (503
ServiceUnavailable, seen by boto3 with retries off); after it they succeed again without
restarting the nodes; every CreatePortfolio that was answered 200 is there at the end."""

import threading
import time
import uuid

import botocore.exceptions
import pytest
from botocore.exceptions import ClientError

from cluster import Cluster

pytestmark = pytest.mark.own_cluster

# one region per thread: a region holds at most 100 portfolios (AWS's quota, which
# catalogd keeps), and each thread paces itself to stay below it
REGIONS = ("us-east-1", "us-west-2", "eu-west-1", "ap-southeast-2")
THREADS = len(REGIONS)
PACE_S = 0.1  # between two calls of a thread
MAX_WRITES = 90  # per thread (region)
BEFORE_S = 2.0  # load before the stop
OUTAGE_S = 3.0  # the server is down this long
AFTER_S = 6.0  # load after the start
GRACE_S = 3.0  # after the start, connections the restart broke may still fail once each


@pytest.fixture
def c():
    cl = Cluster(2)
    try:
        yield cl.start()
    finally:
        rcs = cl.stop()
    assert rcs == [0, 0]


class Load:
    """THREADS threads (one per region) sending CreatePortfolio and reads of what they
    wrote to the nodes in turn until stop(); every call is one entry of .calls: (start,
    end, node, op, outcome, detail) with outcome "ok", an error code, or "transport" (no
    HTTP answer), and detail the portfolio id of a write answered 200 / the HTTP status of
    an error. .acked[region] lists the portfolios created with a 200."""

    def __init__(self, nodes):
        self.clients = [[n.client("servicecatalog", region=r, read_timeout=30, connect_timeout=5) for n in nodes]
                        for r in REGIONS]
        self.calls = []
        self.acked = {r: [] for r in REGIONS}
        self.mu = threading.Lock()
        self.done = threading.Event()
        self.threads = [threading.Thread(target=self.run, args=(i,)) for i in range(THREADS)]

    def start(self):
        for t in self.threads:
            t.start()
        return self

    def stop(self):
        self.done.set()
        for t in self.threads:
            t.join(60)

    def run(self, k):
        i = 0
        acked = self.acked[REGIONS[k]]
        while not self.done.wait(PACE_S):
            node = (k + i) % len(self.clients[k])
            sc = self.clients[k][node]
            op = "write" if i % 2 == 0 and len(acked) < MAX_WRITES else "read"
            t0 = time.monotonic()
            detail = None
            try:
                if op == "write":
                    pid = sc.create_portfolio(DisplayName="load-%d-%d" % (k, i), ProviderName="load",
                                              IdempotencyToken=uuid.uuid4().hex)["PortfolioDetail"]["Id"]
                    detail = pid
                    acked.append(pid)
                elif acked:
                    sc.describe_portfolio(Id=acked[-1])  # often written through the other node
                else:
                    sc.list_portfolios(PageSize=5)
                outcome = "ok"
            except ClientError as e:
                outcome = e.response["Error"]["Code"]
                detail = e.response["ResponseMetadata"]["HTTPStatusCode"]
            except botocore.exceptions.BotoCoreError as e:
                outcome, detail = "transport", repr(e)
            with self.mu:
                self.calls.append((t0, time.monotonic(), node, op, outcome, detail))
            i += 1


def listed(sc):
    out, token = set(), None
    while True:
        kw = {"PageToken": token} if token else {}
        page = sc.list_portfolios(PageSize=20, **kw)
        out |= {p["Id"] for p in page["PortfolioDetails"]}
        token = page.get("NextPageToken")
        if not token:
            return out


def test_postgresql_restarted_under_load(c):
    pids = [n.proc.pid for n in c.nodes]
    load = Load(c.nodes).start()
    time.sleep(BEFORE_S)
    t_stop = time.monotonic()
    c.pg.stop()
    t_down = time.monotonic()
    time.sleep(OUTAGE_S)
    t_start = time.monotonic()
    c.pg.start()
    t_up = time.monotonic()
    time.sleep(AFTER_S)
    load.stop()
    calls = list(load.calls)

    # no call failed any other way than 503 ServiceUnavailable
    failures = [x for x in calls if x[4] != "ok"]
    assert [x for x in failures if (x[4], x[5]) != ("ServiceUnavailable", 503)] == []
    # calls made while the server was down all failed that way, and there were some
    inside = [x for x in calls if x[0] >= t_down and x[1] <= t_start]
    assert len(inside) >= THREADS, "too few calls during the outage: %d" % len(inside)
    assert [x for x in inside if x[4] != "ServiceUnavailable"] == []
    # failures only from the stop until shortly after the start
    assert [x for x in failures if x[1] < t_stop or x[0] > t_up + GRACE_S] == []
    # after it, both nodes (the same processes) answer again: the last seconds are all successes
    late = [x for x in calls if x[0] > t_up + GRACE_S]
    assert late and all(x[4] == "ok" for x in late)
    assert {x[2] for x in late if x[3] == "write"} == {0, 1}
    assert {x[2] for x in late if x[3] == "read"} == {0, 1}
    assert [n.proc.pid for n in c.nodes] == pids and all(n.proc.poll() is None for n in c.nodes)

    # no acknowledged write was lost: each is listed by both nodes
    for region, ids in load.acked.items():
        acked = set(ids)
        assert len(acked) == len(ids) > 0
        for n in c.nodes:
            assert acked - listed(n.client("servicecatalog", region=region)) == set()
