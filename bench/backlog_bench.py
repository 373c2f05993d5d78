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

Completion is read from `catalogd jobs stats` (no job ready or running) every 0.1 s, then
every execution's status is checked through the API (any that did not succeed fails the
run). The accepting calls are timed too (accepted/s, p50/p99). A size that has not
drained MAX_SECONDS (3600) after its first send reports the rate so far (Automation
scenarios: the executions ended by then). Usage:

    SIZES="100 1000 5000" SCENARIO=automation bench/backlog_bench.py
    SIZES="100 1000" SCENARIO=execute T=16 bench/backlog_bench.py
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
from conftest import BIN, REGION, ROOT_KEY, ROOT_SECRET, Daemon  # noqa: E402
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


SCENARIOS = {
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


def one(n):
    setup, send, check = SCENARIOS[SCENARIO]
    fb._local = threading.local()  # clients of the previous daemon point at its port
    # AWS queues 1,000 executions behind the 100 running and refuses more: the queue is
    # raised so that every size is accepted (the running limit stays AWS's)
    d = Daemon(args=["--ec2-delay-ms", "0", "--sync", SYNC, "--log-level", "warn",
                     "--automation-max-queued", str(max(1000, 2 * n)),
                     "--template-dir", os.path.join(REPO, "data", "templates")],
               env={"CATALOGD_SYNC": SYNC}).start()
    try:
        items = setup(d, n)
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
    print("catalogd backlog benchmark: scenario %s, T=%d client threads, --sync %s, %d cores" % (
        SCENARIO, T, SYNC, os.cpu_count()))
    print("%8s %14s %12s %9s %9s %9s %14s" % ("N", "completed/s", "accepted/s", "p50 ms", "p99 ms", "seconds",
                                             "daemon CPU s"))
    for n in SIZES:
        done, acc, p50, p99, sec, cpu, ended = one(n)
        print("%8d %14.1f %12.1f %9.1f %9.1f %9.1f %14.1f%s" % (
            n, done, acc, p50, p99, sec, cpu / 1000.0,
            "" if ended == n else "  (stopped at MAX_SECONDS: %d of %d ended)" % (ended, n)), flush=True)


if __name__ == "__main__":
    main()
