#!/usr/bin/python3
"""bench/flow_cost.py - what one service-action execution costs, counted (issue 16).

For each binary in BINS (default: $CATALOGD_BIN, else build/catalogd), a fresh daemon
(zero-delay emulated instances, `--sync full`) gets N provisioned products (not counted),
then N ExecuteProvisionedProductServiceAction calls (AWS-RestartEC2Instance through the
launch role) are sent and every record is waited for. Meanwhile `perf stat` counts, in
the daemon only, with uprobes on the binary and its libraries:

  *_steps       engine steps of each kind: sc.record, ssm.automation, ec2.transition
  commits       write transactions committed (store_commit: requests, steps, claims)
  statements    SQL statements run (store_prepare: each use of a cached statement)
  fsyncs        fdatasync + fsync system calls
  client calls  in-process API calls (api_client_call_tx: validation + authorization each)
  policy evals  policy documents evaluated (policy_eval)
  JSON parses   cJSON parses (libcjson's cJSON_ParseWithLengthOpts)
  doc parses    runbook parses (adoc_parse)

and prints each divided by N. Counts, not time: they do not depend on a quiet machine.
With PROFILE=path, each run is instead sampled (`perf record --call-graph dwarf`) into
path.<index>, and only the fsyncs are counted (uprobes would weigh on the profile).
Needs root (uprobes) and perf. Usage:

    BINS="/work/before16/build/catalogd build/catalogd" N=100 bench/flow_cost.py
"""

import os
import re
import signal
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import flow_bench as fb  # noqa: E402
from flow_bench import REPO, run_all, wait_until  # noqa: E402
import conftest  # noqa: E402
from conftest import Daemon  # noqa: E402
import backlog_bench as bb  # noqa: E402

N = int(os.environ.get("N", "100"))
PROFILE = os.environ.get("PROFILE")  # also `perf record` each run into PROFILE.<index>
BINS = os.environ.get("BINS", os.environ.get("CATALOGD_BIN", os.path.join(REPO, "build", "catalogd"))).split()

CJSON = "/lib/x86_64-linux-gnu/libcjson.so.1"
PROBES = [  # (name, library or None for the binary, function)
    ("record_steps", None, "sc_record_step"),
    ("auto_steps", None, "ssm_auto_step"),
    ("ec2_steps", None, "ec2_transition_step"),
    ("commits", None, "store_commit"),
    ("statements", None, "store_prepare"),
    ("client_calls", None, "api_client_call_tx"),
    ("policy_evals", None, "policy_eval"),
    ("doc_parses", None, "adoc_parse"),
    ("json_parses", CJSON, "cJSON_ParseWithLengthOpts"),
]
SYSCALLS = ["syscalls:sys_enter_fdatasync", "syscalls:sys_enter_fsync"]


def add_probes(group, binary):
    subprocess.run(["perf", "probe", "-q", "-d", group + ":*"], capture_output=True)
    events = []
    for name, lib, fn in PROBES:
        target = lib or binary
        p = subprocess.run(["perf", "probe", "-q", "-x", target, "-a", "%s:%s=%s" % (group, name, fn)],
                           capture_output=True, text=True)
        if p.returncode != 0:
            raise RuntimeError("perf probe %s in %s: %s" % (fn, target, p.stderr))
        events.append("%s:%s" % (group, name))
    return events


def count(binary, idx):
    fb._local = threading.local()
    bb.BIN = conftest.BIN = binary
    d = Daemon(args=["--ec2-delay-ms", "0", "--sync", "full", "--log-level", "warn",
                     "--automation-max-queued", str(max(1000, 2 * N)),
                     "--template-dir", os.path.join(REPO, "data", "templates")],
               env={"CATALOGD_SYNC": "full"}).start()
    group = "flowcost%d" % idx
    try:
        pps = bb.setup_execute(d, N)
        # uprobes trap on every hit: a profile is taken without them (system calls only)
        events = (add_probes(group, binary) if not PROFILE else []) + SYSCALLS
        out = "/tmp/flow_cost_%d_%d.txt" % (os.getpid(), idx)
        perf = subprocess.Popen(["perf", "stat", "-x", ",", "-o", out, "-e", ",".join(events),
                                 "-p", str(d.proc.pid)])
        rec = None
        if PROFILE:  # a profile of the same run, for `perf report -i PROFILE.<idx>`
            rec = subprocess.Popen(["perf", "record", "-q", "-F", "999", "--call-graph", "dwarf,16384",
                                    "-o", "%s.%d" % (PROFILE, idx), "-p", str(d.proc.pid)])
        ids, _ = run_all(lambda pp: bb.send_execute(d, pp), pps)
        wait_until(lambda: bb.engine_idle(d), timeout=3600, every=0.2)
        for p in (perf, rec):
            if p:
                p.send_signal(signal.SIGINT)
                p.wait()
        bb.records_ok(d, ids)
        counts = {}
        with open(out) as f:
            for line in f:
                parts = line.strip().split(",")
                if len(parts) > 2 and re.match(r"^\d+$", parts[0]):
                    counts[parts[2].split(":")[-1].replace("sys_enter_", "")] = int(parts[0])
        os.unlink(out)
        counts["fsyncs"] = counts.pop("fdatasync", 0) + counts.pop("fsync", 0)
        return counts
    finally:
        subprocess.run(["perf", "probe", "-q", "-d", group + ":*"], capture_output=True)
        d.stop()
        d.cleanup()


def main():
    names = ["steps"] + [p[0] for p in PROBES] + ["fsyncs"]
    rows = [(b, count(b, i)) for i, b in enumerate(BINS)]
    for _, c in rows:
        c["steps"] = c.get("record_steps", 0) + c.get("auto_steps", 0) + c.get("ec2_steps", 0)
    print("per execution (N=%d; accept to record SUCCEEDED, everything the daemon did meanwhile)" % N)
    print("%-14s" % "" + "".join("%14s" % os.path.basename(b)[-13:] for b, _ in rows))
    for n in names:
        print("%-14s" % n + "".join("%14.1f" % (c.get(n, 0) / N) for _, c in rows))


if __name__ == "__main__":
    main()
