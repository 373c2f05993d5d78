#!/usr/bin/python3
"""bench/backlog_bench.py - does the durable engine's rate hold as the backlog grows? (issue 16)

For each N in SIZES, a fresh daemon (zero-delay emulated instances, `--sync full` unless
SYNC=normal) is sent N executions at once from T client threads, and the figure is
N / (seconds from the first send until every execution has ended). Scenarios (SCENARIO):

  automation  StartAutomationExecution of a one-step runbook (aws:sleep PT0S): one job per
              execution, no watches; what claiming and stepping cost per job
  restart     AWS-RestartEC2Instance on N instances (made by RunInstances beforehand): an
              execution job that starts stop/start transitions and waits on them through
              watches, so claiming, watching and waking all count
  execute     ExecuteProvisionedProductServiceAction (AWS-RestartEC2Instance through the
              product's launch role) on N provisioned products (provisioned beforehand,
              not timed): the record job, its Automation execution and the transitions
  probe       the engine alone: `catalogd jobs probe --count N --steps PROBE_STEPS` (3)
              enqueues N engine.probe jobs in one transaction (no API call); each step
              records one row. Timed from the enqueue until no job is ready or running
              (the daemon finds them within its 1 s idle look: not notified)

SENDER=loadgen sends the automation scenario with the C load generator (bench/loadgen,
LOADGEN=build/loadgen, 64 connections, `-n N`: the burst as fast as catalogd accepts it)
instead of T boto3 threads, which limit the rate to what they send (150-450 calls/s
here); its world comes from bench/loadgen_setup.py (the BenchNap runbook is the same).

QUEUED=1 (SENDER=loadgen) times the drain of a queue that is there: the executions are
sent to a daemon whose one running slot (--automation-max-running 1) an hour-long
execution holds, so all N stay queued; then a daemon with AWS's limit starts on the same
data directory (the hold is cancelled); the figure is N / (seconds from its start until
no job is ready or running), the sending left out.

Completion is read from `catalogd jobs stats` (no job ready or running) every 0.1 s, then
every execution's status is checked through the API (any that did not succeed fails the
run). The accepting calls are timed too (accepted/s, p50/p99). A size that has not
drained MAX_SECONDS (3600) after its first send reports the rate so far (Automation
scenarios: the executions ended by then). Usage:

    SIZES="100 1000 5000" SCENARIO=automation bench/backlog_bench.py
    SIZES="100 1000" SCENARIO=execute T=16 bench/backlog_bench.py
    SIZES="10000" SCENARIO=automation SENDER=loadgen bench/backlog_bench.py
"""

import json
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import flow_bench as fb  # noqa: E402
from flow_bench import REPO, client, pct, run_all, wait_until  # noqa: E402
from conftest import BIN, REGION, ROOT_KEY, ROOT_SECRET, Daemon, store_sql  # noqa: E402
import demo_data  # noqa: E402
import bench_world  # noqa: E402

SIZES = [int(x) for x in os.environ.get("SIZES", "100 1000 5000").split()]
SCENARIO = os.environ.get("SCENARIO", "automation")
SYNC = os.environ.get("SYNC", "full")
T = fb.T
MAX_SECONDS = float(os.environ.get("MAX_SECONDS", "3600"))

RUNBOOK = bench_world.NAP_RUNBOOK


def engine_idle(d):
    """No job ready or running (`catalogd jobs stats`; one that finds the store busy is
    asked again at the next look)."""
    p = subprocess.run([BIN, "jobs", "stats", "--data-dir", d.data_dir], capture_output=True, text=True)
    if p.returncode != 0:
        return False
    s = json.loads(p.stdout)
    return s["ready"] == 0 and s["running"] == 0


def automation_ids_ok(d, ids):
    ssm = client(d, "ssm")
    for e in ids:
        x = ssm.get_automation_execution(AutomationExecutionId=e)["AutomationExecution"]
        if x["AutomationExecutionStatus"] != "Success":
            raise RuntimeError("execution %s ended %s" % (e, x["AutomationExecutionStatus"]))


def setup_automation(d, n):
    client(d, "ssm").create_document(Name="BenchNap", DocumentType="Automation", DocumentFormat="JSON",
                                     Content=json.dumps(RUNBOOK))
    return list(range(n))


def send_automation(d, i):
    return client(d, "ssm").start_automation_execution(DocumentName="BenchNap")["AutomationExecutionId"]


def setup_restart(d, n):
    def launch(k):  # 20 at a time: RunInstances' per-call limit
        r = client(d, "ec2").run_instances(ImageId="ami-0abcdef1234567890", InstanceType="t3.micro",
                                           MinCount=k, MaxCount=k)
        return [i["InstanceId"] for i in r["Instances"]]

    ids = [i for batch in run_all(launch, [20] * (n // 20) + ([n % 20] if n % 20 else []))[0] for i in batch]
    wait_until(lambda: engine_idle(d), every=0.2)
    return ids


def send_restart(d, iid):
    return client(d, "ssm").start_automation_execution(
        DocumentName="AWS-RestartEC2Instance", Parameters={"InstanceId": [iid]})["AutomationExecutionId"]


_world = {}


def setup_execute(d, n):
    w = demo_data.build(d.endpoint, REGION, ROOT_KEY, ROOT_SECRET, os.path.join(d.data_dir, "demo-credentials"),
                        provision=False)
    key, secret = w["keys"]["enduser"]
    v1 = w["versions"]["v1.0"]
    _world.update(key=key, secret=secret)
    run_all(lambda i: client(d, "servicecatalog", key, secret).provision_product(
        ProductId=w["product"], ProvisioningArtifactId=v1, ProvisionedProductName="pp-%d" % i,
        ProvisioningParameters=[{"Key": "InstanceType", "Value": "t3.micro"}]), range(n))
    wait_until(lambda: engine_idle(d), timeout=3600, every=0.5)
    _world["action"] = fb.restart_action(client(d, "servicecatalog"), w["product"], v1)
    pps = fb.provisioned_product_ids(client(d, "servicecatalog", key, secret))
    assert len(pps) == n, len(pps)
    return pps


def send_execute(d, pp):
    return client(d, "servicecatalog", _world["key"], _world["secret"]).execute_provisioned_product_service_action(
        ProvisionedProductId=pp, ServiceActionId=_world["action"])["RecordDetail"]["RecordId"]


def records_ok(d, ids):
    esc = client(d, "servicecatalog", _world["key"], _world["secret"])
    for r in ids:
        st = esc.describe_record(Id=r)["RecordDetail"]["Status"]
        if st != "SUCCEEDED":
            raise RuntimeError("record %s ended %s" % (r, st))


SENDER = os.environ.get("SENDER", "boto3")
LOADGEN = os.environ.get("LOADGEN", os.path.join(REPO, "build", "loadgen"))
_lg = {}


def setup_automation_lg(d, n):
    import loadgen_setup  # bench/loadgen_setup.py (the load generator's world)

    _lg["conf"] = os.path.join(d.data_dir, "lg.conf")
    _lg["ids"] = os.path.join(d.data_dir, "lg.ids")
    loadgen_setup.setup(d.endpoint, ROOT_KEY, ROOT_SECRET, 0, _lg["conf"], region=REGION)
    return [n]  # one "send": the whole burst from the load generator


def send_automation_lg(d, n):
    p = subprocess.run([LOADGEN, "--config", _lg["conf"], "--scenario", "automation", "-c", "64", "-n", str(n),
                        "--ids", _lg["ids"], "--server-pid", str(d.proc.pid)], capture_output=True, text=True)
    sys.stderr.write(p.stdout)
    if p.returncode != 0:
        raise RuntimeError("loadgen failed: %s%s" % (p.stdout, p.stderr))
    with open(_lg["ids"]) as f:
        return [x.strip() for x in f if x.strip()]


def automation_lg_ok(d, idss, extra=None):
    """Every execution the generator started ended Success (read from the store: asking
    10,000 times through boto3 takes minutes), and no job failed."""
    ids = [i for ids in idss for i in ids]
    if len(ids) != len(set(ids)):
        raise RuntimeError("duplicate execution ids")
    rows = store_sql(d.data_dir, "SELECT value, COUNT(*) FROM resource_keys WHERE kind = 'ssm.execution' AND"
                     " field = 'status' GROUP BY value")
    failed = store_sql(d.data_dir, "SELECT COUNT(*) FROM jobs WHERE state = 'failed'")
    if dict((r[0], int(r[1])) for r in rows) != dict({"Success": len(ids)}, **(extra or {})) or int(failed[0][0]):
        raise RuntimeError("executions by status %r (want %d Success), failed jobs %r" % (rows, len(ids), failed))


PROBE_STEPS = int(os.environ.get("PROBE_STEPS", "3"))


def setup_probe(d, n):
    return [n]  # one "send": the whole backlog in one transaction


def send_probe(d, n):
    p = subprocess.run([BIN, "jobs", "probe", "--data-dir", d.data_dir, "--count", str(n), "--steps",
                        str(PROBE_STEPS)], capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(p.stderr)
    return n


def probes_ok(d, ns):
    """Every (job, step) recorded exactly once, and no job failed."""
    rows = store_sql(d.data_dir, "SELECT COUNT(*), COUNT(DISTINCT job_id || '/' || step) FROM job_probe")
    failed = store_sql(d.data_dir, "SELECT COUNT(*) FROM jobs WHERE state <> 'done'")
    want = ns[0] * PROBE_STEPS
    if tuple(rows[0]) != (want, want) or failed[0][0]:
        raise RuntimeError("probe rows %r (want %d each), jobs not done %r" % (rows, want, failed))


SCENARIOS = {
    "probe": (setup_probe, send_probe, probes_ok),
    "automation": (setup_automation, send_automation, automation_ids_ok),
    "restart": (setup_restart, send_restart, automation_ids_ok),
    "execute": (setup_execute, send_execute, records_ok),
}


def ended_automations(d):
    """How many Automation executions have ended (any terminal status)."""
    ssm = client(d, "ssm")
    f = [{"Key": "ExecutionStatus", "Values": ["Success", "Failed", "Cancelled", "TimedOut"]}]
    return sum(len(p["AutomationExecutionMetadataList"])
               for p in ssm.get_paginator("describe_automation_executions").paginate(Filters=f))


def cpu_ms(d):
    """The daemon's CPU time so far (user + system, all threads)."""
    with open("/proc/%d/stat" % d.proc.pid) as f:
        ticks = sum(int(x) for x in f.read().rsplit(")", 1)[1].split()[11:13])
    return ticks * 1000.0 / os.sysconf("SC_CLK_TCK")


QUEUED = os.environ.get("QUEUED") == "1"


HOLD = {
    "schemaVersion": "0.3",
    "description": "backlog bench: holds the one running slot (QUEUED=1)",
    "mainSteps": [{"name": "hold", "action": "aws:sleep", "inputs": {"Duration": "PT1H"}}],
}


def queued_count(d):
    return int(store_sql(d.data_dir, "SELECT COUNT(*) FROM resource_keys WHERE kind = 'ssm.execution' AND"
                         " field = 'status' AND value = 'Pending'")[0][0])


def one_queued(d, args, n, items, send, check):
    """QUEUED=1 (Automation scenarios): the drain of a queue that is there, without the
    sending. d runs with --automation-max-running 1, and one execution of a runbook that
    sleeps an hour holds that slot: every execution sent stays Pending (its job looks again
    30 s later). 31 s after the last send d stops and a daemon with AWS's limit (100
    running) starts on the same data directory, every queued job due; the hold is stopped
    (Cancel) at once. The figure is N / (seconds from that start until no job is ready or
    running)."""
    ssm = client(d, "ssm")
    ssm.create_document(Name="BenchHold", DocumentType="Automation", DocumentFormat="JSON", Content=json.dumps(HOLD))
    hold = ssm.start_automation_execution(DocumentName="BenchHold")["AutomationExecutionId"]
    wait_until(lambda: ssm.get_automation_execution(AutomationExecutionId=hold)["AutomationExecution"]
               ["AutomationExecutionStatus"] == "InProgress", every=0.1)
    ids, accept_sec = run_all(lambda x: send(d, x), items)
    time.sleep(31)
    d.stop()
    q = queued_count(d)
    if q != n:
        raise RuntimeError("%d of %d executions queued at the restart" % (q, n))
    d2 = Daemon(data_dir=d.data_dir, args=args, env={"CATALOGD_SYNC": SYNC})
    fb._local = threading.local()
    t0 = time.perf_counter()
    d2.start()
    try:
        client(d2, "ssm").stop_automation_execution(AutomationExecutionId=hold, Type="Cancel")
        wait_until(lambda: engine_idle(d2), timeout=MAX_SECONDS, every=0.1)
        sec = time.perf_counter() - t0
        cpu = cpu_ms(d2)
        check(d2, ids, extra={"Cancelled": 1})
        return n / sec, n / accept_sec, 0.0, 0.0, sec, cpu, n
    finally:
        d2.stop()


def one(n):
    setup, send, check = SCENARIOS[SCENARIO]
    if SENDER == "loadgen":
        if SCENARIO != "automation":
            raise SystemExit("SENDER=loadgen: only the automation scenario")
        setup, send, check = setup_automation_lg, send_automation_lg, automation_lg_ok
    fb._local = threading.local()  # clients of the previous daemon point at its port
    # AWS queues 1,000 executions behind the 100 running and refuses more: the queue is
    # raised so that every size is accepted (the running limit stays AWS's)
    args = ["--ec2-delay-ms", "0", "--sync", SYNC, "--log-level", "warn",
            "--automation-max-queued", str(max(1000, 2 * n)),
            "--template-dir", os.path.join(REPO, "data", "templates")]
    d = Daemon(args=args + (["--automation-max-running", "1"] if QUEUED else []),
               env={"CATALOGD_SYNC": SYNC}).start()
    try:
        items = setup(d, n)
        if QUEUED:
            return one_queued(d, args, n, items, send, check)
        lat = []

        def timed(x):
            t = time.perf_counter()
            r = send(d, x)
            lat.append((time.perf_counter() - t) * 1000)
            return r

        cpu0 = cpu_ms(d)
        t0 = time.perf_counter()
        ids, accept_sec = run_all(timed, items)
        try:
            wait_until(lambda: engine_idle(d), timeout=max(1, MAX_SECONDS - (time.perf_counter() - t0)), every=0.1)
        except RuntimeError:  # too slow to wait for: the rate so far
            sec = time.perf_counter() - t0
            ended = ended_automations(d)
            return ended / sec, n / accept_sec, pct(lat, 50), pct(lat, 99), sec, cpu_ms(d) - cpu0, ended
        sec = time.perf_counter() - t0
        cpu = cpu_ms(d) - cpu0
        check(d, ids)
        return n / sec, n / accept_sec, pct(lat, 50), pct(lat, 99), sec, cpu, n
    finally:
        d.stop()
        d.cleanup()


def main():
    print("catalogd backlog benchmark: scenario %s, %s, --sync %s, %d cores" % (
        SCENARIO, "the C load generator (64 connections)" if SENDER == "loadgen" else "T=%d boto3 threads" % T,
        SYNC, os.cpu_count()))
    print("%8s %14s %12s %9s %9s %9s %14s" % ("N", "completed/s", "accepted/s", "p50 ms", "p99 ms", "seconds",
                                             "daemon CPU s"))
    for n in SIZES:
        done, acc, p50, p99, sec, cpu, ended = one(n)
        print("%8d %14.1f %12.1f %9.1f %9.1f %9.1f %14.1f%s" % (
            n, done, acc, p50, p99, sec, cpu / 1000.0,
            "" if ended == n else "  (stopped at MAX_SECONDS: %d of %d ended)" % (ended, n)), flush=True)


if __name__ == "__main__":
    main()
