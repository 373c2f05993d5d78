"""Saturation (issue 16, "bad input"): far more callers than catalogd admits. A connection
past --max-conns or --max-conns-per-client is answered AWS's throttling error (JSON 1.1:
ThrottlingException 400; query: Throttling 400; EC2: RequestLimitExceeded 503) and closed,
never left unanswered, reset or timed out; a throttled call changes nothing; every accepted
service-action execution ends exactly once; and an SDK that retries in standard mode gets
through."""

import threading

import boto3
import botocore.config
import pytest
from botocore.exceptions import ClientError

from awsraw import gci_params, json_request, query_request, send
from conftest import REGION, ROOT_KEY, ROOT_SECRET
from helpers import wait_for
from sc_world import RESTART_DEFINITION, World

LIMIT = 3  # --max-conns and --max-conns-per-client of the saturated daemon
N_PP = 12  # provisioned products, one caller each: four times what is admitted
THROTTLED = {  # (code, status) of the throttling error, per protocol
    "json": ("ThrottlingException", 400),
    "query": ("Throttling", 400),
    "ec2": ("RequestLimitExceeded", 503),
}


def client(world, service, retries=None):
    """A client of its own (its own connection pool). retries=None: one attempt, else
    standard mode with that many attempts."""
    r = {"max_attempts": 1} if retries is None else {"mode": "standard", "max_attempts": retries}
    return boto3.client(service, endpoint_url=world.daemon.endpoint, region_name=REGION,
                        aws_access_key_id=ROOT_KEY, aws_secret_access_key=ROOT_SECRET,
                        config=botocore.config.Config(retries=r, connect_timeout=30, read_timeout=60))


@pytest.fixture(scope="module")
def world():
    """The demo world with N_PP provisioned products and the restart action, set up with
    the default limits; then the daemon restarts with --max-conns LIMIT."""
    w = World(extra_args=["--header-timeout", "60"])
    try:
        sc = w.client("servicecatalog")
        w.action = w.new_action(RESTART_DEFINITION, name="restart")
        recs = [sc.provision_product(ProductId=w.ids["product"], ProvisioningArtifactId=w.ids["versions"]["v1.0"],
                                     ProvisionedProductName="sat-%d" % i,
                                     ProvisioningParameters=[{"Key": "InstanceType", "Value": "t3.micro"}])
                ["RecordDetail"]["RecordId"] for i in range(N_PP)]
        w.pps = [wait_record(sc, r)["ProvisionedProductId"] for r in recs]
        w.instances = {pp: w.instance(pp) for pp in w.pps}
        w.daemon.args += ["--max-conns", str(LIMIT), "--max-conns-per-client", str(LIMIT)]
        w.restart()
        yield w
    finally:
        w.stop()


def wait_record(sc, rid, timeout=120):
    def ended():
        d = sc.describe_record(Id=rid)["RecordDetail"]
        return d if d["Status"] in ("SUCCEEDED", "FAILED") else None
    d = wait_for(ended, timeout, "record %s to end" % rid, interval=0.2)
    assert d["Status"] == "SUCCEEDED", d
    return d


class Holders:
    """LIMIT connections that each hold a slot: a request line sent, the headers never
    finished (not idle, so never closed to make room). While they are open, every other
    connection is past the limits."""

    def __init__(self, world):
        import socket
        self.socks = []
        for _ in range(LIMIT):
            s = socket.create_connection(("127.0.0.1", world.daemon.port), timeout=10)
            s.sendall(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            self.socks.append(s)

    def release(self):
        for s in self.socks:
            s.close()
        self.socks = []


def throttled(world, how):
    """The (code, status) boto3 parses from a call made while the slots are held."""
    try:
        how()
    except ClientError as e:
        return e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]
    raise AssertionError("the call was answered although every slot was held")


def executions(sc, pp):
    """The ids of the service-action records of pp."""
    return [r["RecordId"] for r in sc.list_record_history(
        SearchFilter={"Key": "provisionedproduct", "Value": pp}, PageSize=20)["RecordDetails"]
        if r["RecordType"] == "EXECUTE_PROVISIONED_PRODUCT_SERVICE_ACTION"]


def restarts(world, pp):
    """(stops, starts) the instance of pp has had."""
    i = world.instances[pp]
    lines = world.transitions()
    return (sum(1 for t in lines if t == ["stop", i]), sum(1 for t in lines if t == ["start", i]))


def test_past_the_limits_every_protocol_answers_its_throttling_error(world):
    """With every slot held: JSON 1.1, query (STS, IAM) and EC2 calls each get their
    protocol's throttling code and status, as boto3 and the AWS CLI parse them, and a
    throttled write (CreatePortfolio, ExecuteProvisionedProductServiceAction) changes
    nothing."""
    sc, pp = client(world, "servicecatalog"), world.pps[0]
    h = Holders(world)
    try:
        assert throttled(world, lambda: client(world, "servicecatalog").list_portfolios()) == THROTTLED["json"]
        assert throttled(world, lambda: client(world, "sts").get_caller_identity()) == THROTTLED["query"]
        assert throttled(world, lambda: client(world, "iam").list_users()) == THROTTLED["query"]
        assert throttled(world, lambda: client(world, "ec2").describe_instances()) == THROTTLED["ec2"]
        assert throttled(world, lambda: client(world, "servicecatalog").create_portfolio(
            DisplayName="never", ProviderName="p", IdempotencyToken="t-never")) == THROTTLED["json"]
        assert throttled(world, lambda: client(world, "servicecatalog").execute_provisioned_product_service_action(
            ProvisionedProductId=pp, ServiceActionId=world.action)) == THROTTLED["json"]
        p = world.daemon.aws("servicecatalog", "list-portfolios")
        assert p.returncode != 0 and "(ThrottlingException)" in p.stderr, p.stderr
        p = world.daemon.aws("sts", "get-caller-identity")
        assert p.returncode != 0 and "(Throttling)" in p.stderr, p.stderr
        # the raw documents: AWS's shapes, and the connection closed after the answer
        r = send(world.daemon, json_request(world.daemon, "servicecatalog", "ListPortfolios"))
        assert (r.status, r.error()) == (400, ("ThrottlingException", "Rate exceeded")), r
        assert r.headers.get("connection") == "close"
        r = send(world.daemon, query_request(world.daemon, "sts", gci_params()))
        assert (r.status, r.error()) == (400, ("Throttling", "Rate exceeded")), r
    finally:
        h.release()
    wait_for(lambda: ok(lambda: sc.list_portfolios()), 10, "a free slot")
    assert "never" not in [p["DisplayName"] for p in sc.list_portfolios()["PortfolioDetails"]]
    assert executions(sc, pp) == []
    assert restarts(world, pp) == (0, 0)


def ok(call):
    try:
        call()
        return True
    except ClientError:
        return False


def test_standard_retries_get_through_once_a_slot_frees(world):
    """A boto3 client in standard retry mode, throttled while the slots are held, retries
    and succeeds once they are released."""
    def throttled_sts():
        return sum(1 for x in world.daemon.log() if x.get("service") == "sts" and x.get("error") == "Throttling")

    before = throttled_sts()
    h = Holders(world)
    got = {}
    sts = client(world, "sts", retries=20)

    def call():
        try:
            got["ok"] = sts.get_caller_identity()
        except Exception as e:  # reported by the assertion below
            got["error"] = e

    t = threading.Thread(target=call, daemon=True)
    try:
        t.start()
        wait_for(lambda: throttled_sts() > before, 30, "a throttled attempt")
    finally:
        h.release()
    t.join(120)
    assert "error" not in got, got
    assert got["ok"]["Account"] and got["ok"]["ResponseMetadata"]["RetryAttempts"] >= 1


def burst(world, pps, retries):
    """One caller per provisioned product, all at once (each with its own client, made
    beforehand): {pp: record id or (code, status)}; any other outcome fails the test."""
    clients = {pp: client(world, "servicecatalog", retries) for pp in pps}
    out, errors = {}, []
    gate = threading.Barrier(len(pps))

    def run(pp):
        gate.wait()
        try:
            out[pp] = clients[pp].execute_provisioned_product_service_action(
                ProvisionedProductId=pp, ServiceActionId=world.action)["RecordDetail"]["RecordId"]
        except ClientError as e:
            out[pp] = (e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"])
        except Exception as e:  # a time-out, a reset, a closed connection: all failures
            errors.append((pp, repr(e)))

    threads = [threading.Thread(target=run, args=(pp,), daemon=True) for pp in pps]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert errors == []
    assert sorted(out) == sorted(pps)
    return out


def test_burst_of_executions_accepted_or_throttled_and_each_accepted_one_ends_once(world):
    """N_PP callers at once against LIMIT slots, without retries: each gets a record or
    ThrottlingException 400, some of each; every accepted record ends once (one stop and
    one start of its instance), a throttled one left no record and no transition. Then
    the throttled ones again, with standard retries: all get through, and end once."""
    sc = client(world, "servicecatalog", retries=10)
    out = burst(world, world.pps, None)
    accepted = {pp: r for pp, r in out.items() if isinstance(r, str)}
    refused = [pp for pp, r in out.items() if not isinstance(r, str)]
    assert {out[pp] for pp in refused} == {THROTTLED["json"]}, out
    assert accepted and refused, out
    for pp, rid in accepted.items():
        wait_record(sc, rid)
    for pp in world.pps:
        if pp in accepted:
            assert executions(sc, pp) == [accepted[pp]]
            assert restarts(world, pp) == (1, 1), pp
        else:
            assert executions(sc, pp) == []
            assert restarts(world, pp) == (0, 0), pp

    again = burst(world, refused, 30)
    assert all(isinstance(r, str) for r in again.values()), again
    for pp, rid in again.items():
        wait_record(sc, rid)
        assert executions(sc, pp) == [rid]
        assert restarts(world, pp) == (1, 1), pp
