#!/usr/bin/python3
"""bench/flow_bench.py - throughput of catalogd's long-running work (issues 4, 5, 6).

One invocation starts a fresh daemon (zero-delay emulated instances, the default durable
`--sync full` unless SYNC=normal) and measures, with the same client concurrency:

  reference     sts:GetCallerIdentity calls/s (a signed no-op: the pipeline's ceiling)
  stacks        CloudFormation stacks of one AWS::EC2::Instance created/s (CreateStack to
                CREATE_COMPLETE)
  transitions   instance transitions/s (StopInstances + StartInstances on every instance,
                until all are stopped, then running)
  automation    AWS-RestartEC2Instance executions completed/s, and the median time from
                StartAutomationExecution to Success
  provision     Service Catalog ProvisionProduct records completed/s
  execute       ExecuteProvisionedProductServiceAction accepted/s (with p50/p99 of the
                accepting call), and completed/s end to end (record SUCCEEDED)

Each figure is also given as a ratio to the reference, so runs on different machines
compare. Usage:

    make build && bench/flow_bench.py            # N=100 items, T=8 client threads
    N=200 T=16 SYNC=normal bench/flow_bench.py
    PARTS="provision execute" bench/flow_bench.py   # only those (and the reference)
    DATABASE_URL=postgresql://... NODES=2 bench/flow_bench.py

DATABASE_URL puts the daemon on that (empty) PostgreSQL database instead of SQLite in its
data directory; NODES=2 starts two daemons on it (the second with the first's master.key,
as every node of one database must have) and spreads the client threads over them, thread
by thread. RESULTS=FILE also writes the figures there as JSON (bench/pg_bench.py reads it).
"""

import concurrent.futures as cf
import itertools
import json
import os
import shutil
import statistics
import sys
import threading
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(REPO, "tests", "api"))
sys.path.insert(0, os.path.join(REPO, "tools"))

from conftest import REGION, ROOT_KEY, ROOT_SECRET, Daemon  # noqa: E402
import demo_data  # noqa: E402
from bench_world import provisioned_product_ids, restart_action  # noqa: E402,F401 (backlog_bench)

N = int(os.environ.get("N", "100"))
T = int(os.environ.get("T", "8"))
SYNC = os.environ.get("SYNC", "full")
DATABASE_URL = os.environ.get("DATABASE_URL", "")
NODES = int(os.environ.get("NODES", "1"))
ALL_PARTS = ("stacks", "transitions", "automation", "provision", "execute")
PARTS = os.environ.get("PARTS", " ".join(ALL_PARTS)).split()
RESULTS = os.environ.get("RESULTS", "")

TEMPLATE = """
Resources:
  Box:
    Type: AWS::EC2::Instance
    Properties:
      ImageId: ami-0abcdef1234567890
      InstanceType: t3.micro
"""

_local = threading.local()
_make = threading.Lock()  # boto3's default session does not create clients concurrently
_turn = itertools.count()  # the next thread's node, when d is a list of nodes


def client(d, service, key=ROOT_KEY, secret=ROOT_SECRET):
    """One boto3 client per thread and service (boto3 clients are not shared safely).
    d is one daemon, or a list of nodes: each thread keeps the node it is first given, in
    turn, so T threads spread evenly over the nodes."""
    cache = getattr(_local, "clients", None)
    if cache is None:
        cache = _local.clients = {}
    if isinstance(d, list):
        if not hasattr(_local, "node"):
            _local.node = next(_turn)
        d = d[_local.node % len(d)]
    k = (d.port, service, key)
    if k not in cache:
        with _make:
            cache[k] = d.client(service, key=key, secret=secret, max_pool_connections=2)
    return cache[k]


def run_all(fn, items):
    """fn over items on T threads; returns (results, seconds)."""
    t0 = time.perf_counter()
    with cf.ThreadPoolExecutor(T) as ex:
        out = list(ex.map(fn, items))
    return out, time.perf_counter() - t0


def wait_until(pred, timeout=600, every=0.05):
    deadline = time.time() + timeout
    while not pred():
        if time.time() > deadline:
            raise RuntimeError("timed out")
        time.sleep(every)


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]


def start_nodes():
    """NODES daemons on one store (DATABASE_URL, or SQLite when there is one node); every
    node after the first gets the first's master.key before it starts."""
    if NODES > 1 and not DATABASE_URL:
        raise SystemExit("flow_bench: NODES > 1 needs DATABASE_URL (nodes share a PostgreSQL database)")
    args = ["--ec2-delay-ms", "0", "--sync", SYNC, "--log-level", "warn",
            "--template-dir", os.path.join(REPO, "data", "templates")]
    if DATABASE_URL:
        args += ["--database-url", DATABASE_URL]
    nodes = [Daemon(args=args, env={"CATALOGD_SYNC": SYNC}).start()]
    try:
        for _ in range(NODES - 1):
            n = Daemon(args=args, env={"CATALOGD_SYNC": SYNC})
            shutil.copy2(os.path.join(nodes[0].data_dir, "master.key"), os.path.join(n.data_dir, "master.key"))
            nodes.append(n.start())
    except BaseException:
        stop_nodes(nodes)
        raise
    return nodes


def stop_nodes(nodes):
    """Stops the nodes; prints any warning or error they logged (a benchmark of failing work
    is worthless), then removes their data directories."""
    for i, n in enumerate(nodes):
        n.stop()
        bad = [x for x in n.log() if x.get("level") in ("warn", "error")]
        if bad:
            print("node %d logged %d warnings/errors, e.g.:" % (i + 1, len(bad)))
            for x in bad[:5]:
                print("  " + json.dumps(x)[:400])
        n.cleanup()


def rss_mib(n):
    try:
        with open("/proc/%d/status" % n.proc.pid) as f:
            return [int(line.split()[1]) for line in f if line.startswith("VmRSS")][0] / 1024.0
    except (OSError, IndexError):
        return 0.0


def measure(d):
    """The parts in PARTS on the nodes d (a list); returns [(key, label, per second, note)]."""
    rows = []
    d0 = d[0]
    # reference: the signed no-op
    calls = max(2000, 20 * N)
    _, sec = run_all(lambda i: client(d, "sts").get_caller_identity(), range(calls))
    rows.append(("reference", "reference  GetCallerIdentity calls/s", calls / sec, ""))

    if "stacks" in PARTS:
        def create(i):
            return client(d, "cloudformation").create_stack(StackName="b%d" % i, TemplateBody=TEMPLATE)["StackId"]

        t0 = time.perf_counter()
        run_all(create, range(N))
        cfn = client(d, "cloudformation")

        def stacks_done():
            pages = cfn.get_paginator("list_stacks").paginate(StackStatusFilter=["CREATE_COMPLETE"])
            return sum(len(p["StackSummaries"]) for p in pages) >= N

        wait_until(stacks_done)
        sec = time.perf_counter() - t0
        rows.append(("stacks", "stacks     created/s (1 instance each)", N / sec, ""))

    ec2 = client(d, "ec2")
    ids = [i["InstanceId"] for r in ec2.describe_instances()["Reservations"] for i in r["Instances"]]
    if "transitions" in PARTS:
        assert len(ids) == N, "transitions need the stacks part (%d instances)" % len(ids)

        def state_count(name):
            f = [{"Name": "instance-state-name", "Values": [name]}]
            return sum(len(r["Instances"]) for p in ec2.get_paginator("describe_instances").paginate(Filters=f)
                       for r in p["Reservations"])

        t0 = time.perf_counter()
        run_all(lambda i: client(d, "ec2").stop_instances(InstanceIds=[i]), ids)
        wait_until(lambda: state_count("stopped") == N)
        run_all(lambda i: client(d, "ec2").start_instances(InstanceIds=[i]), ids)
        wait_until(lambda: state_count("running") == N)
        sec = time.perf_counter() - t0
        rows.append(("transitions", "instances  transitions/s (stop, then start)", 2 * N / sec, ""))

    if "automation" in PARTS:
        assert len(ids) == N, "automation needs the stacks part (%d instances)" % len(ids)

        def start(i):
            return client(d, "ssm").start_automation_execution(
                DocumentName="AWS-RestartEC2Instance", Parameters={"InstanceId": [i]})["AutomationExecutionId"]

        t0 = time.perf_counter()
        execs, _ = run_all(start, ids)
        ssm = client(d, "ssm")

        def automation_done():
            f = [{"Key": "ExecutionStatus", "Values": ["Success"]}]
            n = sum(len(p["AutomationExecutionMetadataList"])
                    for p in ssm.get_paginator("describe_automation_executions").paginate(Filters=f))
            return n >= N

        wait_until(automation_done)
        sec = time.perf_counter() - t0
        spans = []
        for e in execs:
            x = ssm.get_automation_execution(AutomationExecutionId=e)["AutomationExecution"]
            assert x["AutomationExecutionStatus"] == "Success", x
            spans.append((x["ExecutionEndTime"] - x["ExecutionStartTime"]).total_seconds() * 1000)
        rows.append(("automation", "automation executions completed/s (Restart)", N / sec,
                     "median start->Success %.0f ms" % statistics.median(spans)))

    if "provision" not in PARTS and "execute" not in PARTS:
        return rows
    # Service Catalog: the demo world, N provisioned products, one action
    w = demo_data.build(d0.endpoint, REGION, ROOT_KEY, ROOT_SECRET, os.path.join(d0.data_dir, "demo-credentials"),
                        provision=False)
    key, secret = w["keys"]["enduser"]
    v1 = w["versions"]["v1.0"]

    def provision(i):
        return client(d, "servicecatalog", key, secret).provision_product(
            ProductId=w["product"], ProvisioningArtifactId=v1, ProvisionedProductName="pp-%d" % i,
            ProvisioningParameters=[{"Key": "InstanceType", "Value": "t3.micro"}])["RecordDetail"]["RecordId"]

    esc = client(d, "servicecatalog", key, secret)

    def records_done(recs):
        def done():
            left = [r for r in recs if r not in finished]
            for r in left[:50]:
                st = esc.describe_record(Id=r)["RecordDetail"]["Status"]
                if st == "FAILED":
                    raise RuntimeError("record %s failed: %s" % (r, esc.describe_record(Id=r)))
                if st == "SUCCEEDED":
                    finished.add(r)
            return len(finished) == len(recs)
        finished = set()
        return done

    t0 = time.perf_counter()
    recs, _ = run_all(provision, range(N))
    wait_until(records_done(recs))
    sec = time.perf_counter() - t0
    if "provision" in PARTS:
        rows.append(("provision", "sc         provisioned products/s", N / sec, ""))
    if "execute" not in PARTS:
        return rows

    aid = restart_action(client(d, "servicecatalog"), w["product"], v1)
    pps = provisioned_product_ids(esc)
    assert len(pps) == N, len(pps)
    lat = []

    def execute(pp):
        t = time.perf_counter()
        r = client(d, "servicecatalog", key, secret).execute_provisioned_product_service_action(
            ProvisionedProductId=pp, ServiceActionId=aid)["RecordDetail"]["RecordId"]
        lat.append((time.perf_counter() - t) * 1000)
        return r

    t0 = time.perf_counter()
    recs, accept_sec = run_all(execute, pps)
    wait_until(records_done(recs))
    sec = time.perf_counter() - t0
    rows.append(("accepted", "sc         executions accepted/s", N / accept_sec,
                 "accept p50 %.1f ms, p99 %.1f ms" % (pct(lat, 50), pct(lat, 99))))
    rows.append(("completed", "sc         executions completed/s (end to end)", N / sec, ""))
    rows.append(("accept_p50_ms", None, pct(lat, 50), ""))
    rows.append(("accept_p99_ms", None, pct(lat, 99), ""))
    return rows


def main():
    bad = [p for p in PARTS if p not in ALL_PARTS]
    if bad:
        raise SystemExit("flow_bench: unknown PARTS %s (known: %s)" % (" ".join(bad), " ".join(ALL_PARTS)))
    nodes = start_nodes()
    rss = []
    try:
        rows = measure(nodes)
    finally:
        rss = [rss_mib(n) for n in nodes]
        stop_nodes(nodes)

    ref = rows[0][2]
    print("catalogd flow benchmark: N=%d items, T=%d client threads, --sync %s, %s, %d node%s, %d cores" % (
        N, T, SYNC, "PostgreSQL" if DATABASE_URL else "SQLite", NODES, "s" if NODES > 1 else "",
        os.cpu_count()))
    print("%-48s %10s %8s  %s" % ("what", "per second", "÷ ref", ""))
    for _, name, v, note in rows:
        if name:
            print("%-48s %10.1f %8.3f  %s" % (name, v, v / ref, note))
    print("daemon RSS at the end: %s MiB" % ", ".join("%.1f" % r for r in rss))
    if RESULTS:
        with open(RESULTS, "w") as f:
            json.dump({"rows": {k: v for k, _, v, _ in rows}, "rss_mib": rss, "nodes": NODES,
                       "backend": "postgres" if DATABASE_URL else "sqlite"}, f)


if __name__ == "__main__":
    main()
