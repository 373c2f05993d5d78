#!/usr/bin/python3
"""bench/bench.py - `make bench`: catalogd's HTTP and flow benchmarks with the C load
generator (bench/loadgen), as ratios (issue 16). See bench/README.md, "The C load
generator (bench/loadgen)".

One invocation starts catalogd (zero-delay emulated instances, `--sync full`) and nginx
(the fixed-body ceiling), prepares the tutorial's world with BURST provisioned products
(bench/loadgen_setup.py), then RUNS times in turn:

  reads       signed GetCallerIdentity and ListPortfolios as root, ListPortfolios as the
              end user, at CONNS connections: each loadgen invocation first sends the
              same requests to nginx, then to catalogd; the ratio is catalogd's / nginx's
  flow        executions end to end for DURATION at CONNS connections (execute, then
              DescribeRecord every POLL_MS until SUCCEEDED, again): completed/s
  burst       BURST executions at once, each product once, then every record followed
              to its end: accepted/s, accept p50/p99, completed/s
  automation  AUTOMATION executions of a one-step runbook at once: drained/s

and prints the median (min-max) of every figure. With BEFORE_BIN a second daemon (the
"before" build) gets the same world and the same runs in the same invocation, run by run
next to the first. Every execution record the runs started is then checked: each
SUCCEEDED, each exactly once (bench_world.verify_records). Any error fails (exit 1).

    make bench
    RUNS=5 DURATION=10 BEFORE_BIN=/work/before16/build/catalogd bench/bench.py
    PARTS="reads" CONNS="1 64" bench/bench.py

Variables: CATALOGD_BIN (build/catalogd), LOADGEN (next to it), BEFORE_BIN (none), RUNS (3),
DURATION (5 s), WARMUP (1 s), CONNS (64), THREADS (2), BURST (1000), AUTOMATION (10000),
POLL_MS (2), SYNC (full), PARTS ("reads flow burst automation"), LOG_LEVEL (info).
"""

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "tests", "api"))

from conftest import REGION, ROOT_KEY, ROOT_SECRET, Daemon, free_port  # noqa: E402
import bench_world  # noqa: E402
from bench_world import cpu_idle_pct  # noqa: E402
import loadgen_setup  # noqa: E402

BIN = os.path.abspath(os.environ.get("CATALOGD_BIN", os.path.join(REPO, "build", "catalogd")))
LOADGEN = os.environ.get("LOADGEN", os.path.join(os.path.dirname(BIN), "loadgen"))
BEFORE_BIN = os.environ.get("BEFORE_BIN", "")
RUNS = int(os.environ.get("RUNS", "3"))
DURATION = os.environ.get("DURATION", "5")
WARMUP = os.environ.get("WARMUP", "1")
CONNS = [int(c) for c in os.environ.get("CONNS", "64").split()]
THREADS = os.environ.get("THREADS", "2")
BURST = int(os.environ.get("BURST", "1000"))
AUTOMATION = int(os.environ.get("AUTOMATION", "10000"))
POLL_MS = os.environ.get("POLL_MS", "2")
SYNC = os.environ.get("SYNC", "full")
LOG_LEVEL = os.environ.get("LOG_LEVEL", "info")
PARTS = os.environ.get("PARTS", "reads flow burst automation").split()
NGINX = os.environ.get("NGINX", "/usr/sbin/nginx")
# the reference body run.sh has always used (about 300 bytes of JSON)
BODY = ('{"Account":"123456789012","Arn":"arn:aws:iam::123456789012:root","UserId":"123456789012",'
        '"ResponseMetadata":{"RequestId":"0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0","HTTPStatusCode":200},'
        '"PortfolioDetails":[],"Padding":"catalogd bench ceiling: nginx answers this fixed body from memory '
        'for every request."}')
READS = (("gci", "GetCallerIdentity (root)"), ("lp", "ListPortfolios (root)"),
         ("lp-user", "ListPortfolios (end user)"))


def die(msg):
    print("bench: " + msg, file=sys.stderr)
    sys.exit(1)


def rss_kb(pid, key="VmRSS"):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


class Nginx:
    """nginx from its own prefix, not daemonized: 2 workers, no access log, keep-alive
    without a request limit, `return 200` with the fixed body for any method."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="catalogd-bench-nginx-")
        self.port = free_port()
        os.makedirs(os.path.join(self.dir, "logs"))
        d = self.dir
        conf = """daemon off;
master_process on;
worker_processes 2;
pid %(d)s/nginx.pid;
error_log %(d)s/logs/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path %(d)s/client_body;
    proxy_temp_path %(d)s/proxy;
    fastcgi_temp_path %(d)s/fastcgi;
    uwsgi_temp_path %(d)s/uwsgi;
    scgi_temp_path %(d)s/scgi;
    keepalive_requests 1000000000;
    keepalive_timeout 120s;
    server {
        listen 127.0.0.1:%(port)d;
        default_type application/json;
        location / { return 200 '%(body)s'; }
    }
}
""" % {"d": d, "port": self.port, "body": BODY}
        with open(os.path.join(d, "nginx.conf"), "w") as f:
            f.write(conf)
        self.proc = subprocess.Popen([NGINX, "-e", d + "/logs/error.log", "-p", d, "-c", d + "/nginx.conf"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import urllib.request
        for _ in range(100):
            try:
                with urllib.request.urlopen("http://127.0.0.1:%d/" % self.port, timeout=1) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.05)
        self.stop()
        die("nginx did not start")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(3)  # SIGQUIT: graceful, the master reaps its workers
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


class Target:
    """One catalogd under test with its world, configuration and the ids its runs started."""

    def __init__(self, name, binary, work):
        self.name, self.binary = name, binary
        args = ["--ec2-delay-ms", "0", "--sync", SYNC, "--log-level", LOG_LEVEL,
                "--automation-max-queued", str(max(100000, 2 * AUTOMATION)),
                "--template-dir", os.path.join(REPO, "data", "templates")]
        import conftest
        saved, conftest.BIN = conftest.BIN, binary
        try:
            self.d = Daemon(args=args, env={"CATALOGD_SYNC": SYNC}).start()
        finally:
            conftest.BIN = saved
        time.sleep(1)
        self.rss_start = rss_kb(self.d.proc.pid)
        self.conf = os.path.join(work, name + ".conf")
        self.ids = os.path.join(work, name + ".ids")
        t0 = time.time()
        self.world = loadgen_setup.setup(self.d.endpoint, ROOT_KEY, ROOT_SECRET, max(BURST, max(CONNS)),
                                         self.conf, REGION)
        print("%s: %s, world and %d provisioned products in %.0f s" % (
            name, binary, len(self.world["pps"]), time.time() - t0), flush=True)
        self.results = {}  # figure -> [per-run values]

    def add(self, key, value):
        self.results.setdefault(key, []).append(value)


def loadgen(t, *args, reference=None):
    """Runs the generator against t; returns its RESULT rows by label."""
    cmd = [LOADGEN, "--config", t.conf, "--server-pid", str(t.d.proc.pid), "-t", THREADS] + list(args)
    if reference:
        cmd += ["--reference", "127.0.0.1:%d" % reference.port, "--reference-pid", str(reference.proc.pid)]
    p = subprocess.run(cmd, capture_output=True, text=True)
    rows = {}
    for line in p.stdout.splitlines():
        if line.startswith("RESULT "):
            kv = dict(x.split("=", 1) for x in line.split()[1:])
            rows[kv["label"]] = {k: (v if k in ("label", "scenario") else float(v)) for k, v in kv.items()}
    if p.returncode != 0 or "target" not in rows:
        sys.stdout.write(p.stdout)
        sys.stderr.write(p.stderr)
        die("%s: loadgen %s failed" % (t.name, " ".join(args)))
    return rows


def one_run(t, ng):
    if "reads" in PARTS:
        for c in CONNS:
            for scen, _ in READS:
                r = loadgen(t, "--scenario", scen, "-c", str(c), "-d", DURATION, "-w", WARMUP, reference=ng)
                tgt, ref = r["target"], r["reference"]
                t.add((scen, c, "ratio"), tgt["rps"] / ref["rps"])
                t.add((scen, c, "rps"), tgt["rps"])
                t.add((scen, c, "p99"), tgt["p99_us"] / 1000)
                t.add((scen, c, "cpu"), tgt["server_cpu_us"])
                t.add((scen, c, "client"), tgt["client_cpu_us"])
                t.add(("nginx", c, "rps"), ref["rps"])
                t.add(("nginx", c, "cpu"), ref["server_cpu_us"])
                t.add(("nginx", c, "client"), ref["client_cpu_us"])
    c = max(CONNS)
    if "flow" in PARTS:
        r = loadgen(t, "--scenario", "flow", "-c", str(c), "-d", DURATION, "-w", WARMUP, "--poll-ms", POLL_MS,
                    "--ids", t.ids)["target"]
        t.add(("flow", "completed/s"), r["rps"])
        t.add(("flow", "p50"), r["flow_p50_us"] / 1000)
        t.add(("flow", "p99"), r["flow_p99_us"] / 1000)
        t.add(("flow", "cpu"), r["server_cpu_us"])
        t.add(("flow", "polls"), r["polls"] / max(1, r["flows"]))
    if "burst" in PARTS:
        r = loadgen(t, "--scenario", "execute", "-c", str(c), "-n", str(BURST), "--wait", "--poll-ms", POLL_MS,
                    "--grace", "1800", "--ids", t.ids)["target"]
        t.add(("burst", "accepted/s"), r["rps"])
        t.add(("burst", "p50"), r["p50_us"] / 1000)
        t.add(("burst", "p99"), r["p99_us"] / 1000)
        t.add(("burst", "completed/s"), r["completed_per_s"])
        t.add(("burst", "cpu"), r["server_cpu_us"])
    if "automation" in PARTS:
        r = loadgen(t, "--scenario", "automation", "-c", str(c), "-n", str(AUTOMATION), "--wait", "--poll-ms",
                    POLL_MS, "--grace", "3600")["target"]
        t.add(("automation", "accepted/s"), r["rps"])
        t.add(("automation", "p99"), r["p99_us"] / 1000)
        t.add(("automation", "completed/s"), r["completed_per_s"])
        t.add(("automation", "cpu"), r["server_cpu_us"])


def fmt(vals, unit=""):
    if not vals:
        return "-"
    m = statistics.median(vals)
    spec = "%.3f" if unit == "x" else "%.1f" if abs(m) < 100 else "%.0f"
    s = (spec % m) + unit
    if len(vals) > 1:
        s += " (" + (spec % min(vals)) + "-" + (spec % max(vals)) + ")"
    return s


def report(targets):
    rows = []
    for c in CONNS:
        if "reads" not in PARTS:
            break
        for scen, name in READS:
            rows.append(("%s, %d conns: vs nginx" % (name, c), (scen, c, "ratio"), "x",
                         {"lp": ">= 0.50x", "lp-user": ">= 0.40x"}.get(scen, "") if c == 64 else ""))
            rows.append(("  req/s", (scen, c, "rps"), ""))
            rows.append(("  p99 ms", (scen, c, "p99"), ""))
            rows.append(("  server CPU us/request", (scen, c, "cpu"), ""))
            rows.append(("  loadgen CPU us/request", (scen, c, "client"), ""))
        rows.append(("nginx, %d conns: req/s" % c, ("nginx", c, "rps"), ""))
        rows.append(("  nginx CPU us/request", ("nginx", c, "cpu"), ""))
        rows.append(("  loadgen CPU us/request", ("nginx", c, "client"), ""))
    c = max(CONNS)
    if "flow" in PARTS:
        rows += [("flow (%d conns): executions completed/s" % c, ("flow", "completed/s"), ""),
                 ("  flow p50 ms", ("flow", "p50"), ""), ("  flow p99 ms", ("flow", "p99"), ""),
                 ("  server CPU us/completed", ("flow", "cpu"), ""), ("  polls/flow", ("flow", "polls"), "")]
    if "burst" in PARTS:
        rows += [("burst of %d: executions completed/s" % BURST, ("burst", "completed/s"), "", ">= 1000"),
                 ("  accepted/s", ("burst", "accepted/s"), ""), ("  accept p50 ms", ("burst", "p50"), ""),
                 ("  accept p99 ms", ("burst", "p99"), "", "< 5"), ("  server CPU us/completed", ("burst", "cpu"), "")]
    if "automation" in PARTS:
        rows += [("automation: %d queued drained/s" % AUTOMATION, ("automation", "completed/s"), "", ">= 500"),
                 ("  accepted/s", ("automation", "accepted/s"), ""), ("  accept p99 ms", ("automation", "p99"), ""),
                 ("  server CPU us/completed", ("automation", "cpu"), "")]
    print()
    print("%-48s" % "median (min-max) of %d runs" % RUNS + "".join("%-30s" % t.name for t in targets)
          + "issue 16 target")
    for row in rows:
        label, key, unit = row[:3]
        print("%-48s" % label + "".join("%-30s" % fmt(t.results.get(key, []), unit) for t in targets)
              + (row[3] if len(row) > 3 else ""))


def main():
    for path, what in ((BIN, "catalogd"), (LOADGEN, "loadgen"), (NGINX, "nginx")):
        if not os.access(path, os.X_OK):
            die("no %s at %s (make build; apt-get install nginx-light)" % (what, path))
    work = tempfile.mkdtemp(prefix="catalogd-bench-")
    targets, ng = [], None
    failed = False
    try:
        idle_before = cpu_idle_pct()
        ng = Nginx()
        if BEFORE_BIN:
            targets.append(Target("before", os.path.abspath(BEFORE_BIN), work))
        targets.append(Target("catalogd", BIN, work))
        print("catalogd bench: %d runs of %s, %s s each (%s s warm-up), %s conns, burst %d, automation %d, "
              "--sync %s, %d CPUs; CPU idle before: %.0f%%%s" % (
                  RUNS, " ".join(PARTS), DURATION, WARMUP, " ".join(map(str, CONNS)), BURST, AUTOMATION, SYNC,
                  os.cpu_count(), idle_before, "" if idle_before >= 90 else " (others' load: noisy figures)"),
              flush=True)
        for i in range(RUNS):
            for t in targets:
                t0 = time.time()
                one_run(t, ng)
                print("run %d/%d on %s: %.0f s" % (i + 1, RUNS, t.name, time.time() - t0), flush=True)
        report(targets)
        for t in targets:
            ids = open(t.ids).read().split() if os.path.exists(t.ids) else []
            key, secret = t.world["keys"]["enduser"]
            problems = bench_world.verify_records(t.d.endpoint, REGION, key, secret, ids) if ids else []
            print("%s: %d execution records checked: %s; RSS %d kB at the start, %d kB now (peak %d kB)" % (
                t.name, len(ids), "each SUCCEEDED, exactly once" if not problems else "; ".join(problems[:5]),
                t.rss_start, rss_kb(t.d.proc.pid), rss_kb(t.d.proc.pid, "VmHWM")))
            failed = failed or bool(problems)
        print("CPU idle: %.0f%% before the runs, %.0f%% after (below ~90%%: others' load, noisy figures)" % (
            idle_before, cpu_idle_pct()))
    finally:
        for t in targets:
            rc = t.d.stop()
            bad = []
            with open(t.d.stderr_path, errors="replace") as f:  # large at --log-level info: streamed
                bad = [line.strip()[:300] for line in f if '"level":"warn"' in line or '"level":"error"' in line]
            if bad or rc != 0:
                print("%s: exit %s, %d warnings/errors logged, e.g. %s" % (t.name, rc, len(bad), bad[:2]))
            t.d.cleanup()
        if ng:
            ng.stop()
        shutil.rmtree(work, ignore_errors=True)
    if failed:
        die("FAILED: some execution records did not end exactly once")


if __name__ == "__main__":
    main()
