#!/usr/bin/python3
"""bench/pg_bench.py - catalogd on PostgreSQL next to SQLite, one node next to two (issue 15).

One invocation makes a PostgreSQL cluster of its own (tests/api/pgcluster.py: initdb in a
temporary directory, its own socket directory and 127.0.0.1 port, fsync on like SQLite's
`--sync full`, stopped and removed at exit; as root the server programs run as the Debian
`postgres` user) and then, RUNS times in turn:

  http    bench/run.sh (wrk: signed GetCallerIdentity and ListPortfolios, nginx the
          ceiling) on SQLite, then on a fresh PostgreSQL database (DB_PID given, so the
          server's CPU per request is counted too)
  flow    bench/flow_bench.py (PARTS: by default Service Catalog provisioning and
          service-action executions end to end) on SQLite, on a fresh PostgreSQL database
          with one node, and on another with two nodes (clients spread over both)

It prints every run's figures and, over the runs, the median with (min-max) of each
figure, PostgreSQL / SQLite and two nodes / one node. The CPU idle share of the machine
is read for 1 s before and after (others' load makes the figures noisy). Exits non-zero
when a run failed. Usage:

    make bench-pg                      (builds, then this)
    RUNS=3 DURATION=5s N=100 T=8 bench/pg_bench.py
    PARTS="stacks transitions automation provision execute" bench/pg_bench.py
    SKIP_HTTP=1 bench/pg_bench.py      (only the flow benchmark)
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(REPO, "tests", "api"))
from pgcluster import PgCluster  # noqa: E402
from bench_world import cpu_idle_pct  # noqa: E402

RUNS = int(os.environ.get("RUNS", "3"))
PARTS = os.environ.get("PARTS", "provision execute")
SKIP_HTTP = os.environ.get("SKIP_HTTP", "") == "1"
HTTP_DEFAULTS = {"DURATION": "5s", "WARMUP": "2s", "CONNECTIONS": "1 64"}
FLOW_KEYS = ("reference", "stacks", "transitions", "automation", "provision", "accepted", "completed",
             "accept_p50_ms", "accept_p99_ms")
FLOW_LABEL = {
    "reference": "GetCallerIdentity calls/s (boto3)",
    "stacks": "stacks created/s",
    "transitions": "instance transitions/s",
    "automation": "Automation executions/s",
    "provision": "products provisioned/s",
    "accepted": "service actions accepted/s",
    "completed": "service actions completed/s",
    "accept_p50_ms": "accepting call p50 ms",
    "accept_p99_ms": "accepting call p99 ms",
}
HTTP_LABEL = {"gci": "GetCallerIdentity", "lp": "ListPortfolios", "lpu": "ListPortfolios (user)",
              "nginx": "nginx"}


def http_run(tag, env):
    """bench/run.sh with env added; returns {"rows": {(tgt, conns): {...}}, ...}."""
    fd, out = tempfile.mkstemp(prefix="catalogd-pgbench-", suffix=".tsv")
    os.close(fd)
    e = dict(os.environ)
    for k, v in HTTP_DEFAULTS.items():
        e.setdefault(k, v)
    e.update(env, RESULTS=out)
    print("== http %s" % tag, flush=True)
    rc = subprocess.run([os.path.join(REPO, "bench", "run.sh")], env=e).returncode
    res = {"rows": {}, "rc": rc}
    with open(out) as f:
        for line in f:
            c = line.rstrip("\n").split("\t")
            if c[0] == "row":
                res["rows"][(c[1], c[2])] = {"rps": float(c[3]), "p50": float(c[4]), "p99": float(c[5]),
                                             "cpu": float(c[6]), "dbcpu": float(c[7] or 0), "rest": float(c[8])}
            elif len(c) == 2:
                res[c[0]] = c[1]
    os.unlink(out)
    return res


def flow_run(tag, env):
    """bench/flow_bench.py with env added; returns its RESULTS (rows by key)."""
    fd, out = tempfile.mkstemp(prefix="catalogd-pgbench-", suffix=".json")
    os.close(fd)
    e = dict(os.environ, PARTS=PARTS, RESULTS=out)
    e.update(env)
    print("== flow %s" % tag, flush=True)
    rc = subprocess.run([sys.executable, os.path.join(REPO, "bench", "flow_bench.py")], env=e).returncode
    try:
        with open(out) as f:
            res = json.load(f) if rc == 0 else {"rows": {}}
    except ValueError:
        res = {"rows": {}}
    os.unlink(out)
    res["rc"] = rc
    return res


def med(vals):
    """'median (min-max)' of vals, or '-'."""
    vals = [v for v in vals if v is not None]
    if not vals:
        return "-"
    fmt = "%.0f" if max(vals) >= 100 else "%.1f" if max(vals) >= 10 else "%.2f"
    if len(vals) == 1:
        return fmt % vals[0]
    return (fmt + " (" + fmt + "-" + fmt + ")") % (statistics.median(vals), min(vals), max(vals))


def ratio(a, b):
    return a / b if a is not None and b else None


def main():
    idle0 = cpu_idle_pct()
    print("catalogd PostgreSQL benchmark: %d runs, %d cores, CPU idle before: %.0f%%%s" % (
        RUNS, os.cpu_count(), idle0, "" if idle0 >= 90 else " (other load on the machine: noisy figures)"),
          flush=True)
    pg = PgCluster(fsync=True).start()
    print("PostgreSQL: %s, port %d, data %s" % (pg.bindir, pg.port, pg.pgdata), flush=True)
    http, flow, failed, db = [], [], [], [0]

    def fresh_db():
        db[0] += 1
        return pg.url(pg.create_db("bench_%d" % db[0]))

    try:
        for r in range(RUNS):
            print("\n#### run %d of %d (%s UTC)" % (r + 1, RUNS, time.strftime("%H:%M:%S", time.gmtime())),
                  flush=True)
            h = {}
            if not SKIP_HTTP:
                h["sqlite"] = http_run("sqlite", {})
                h["postgres"] = http_run("postgres", {"DATABASE_URL": fresh_db(), "DB_PID": str(pg.proc.pid)})
            http.append(h)
            f = {"sqlite": flow_run("sqlite", {}),
                 "pg1": flow_run("postgres, 1 node", {"DATABASE_URL": fresh_db(), "NODES": "1"}),
                 "pg2": flow_run("postgres, 2 nodes", {"DATABASE_URL": fresh_db(), "NODES": "2"})}
            flow.append(f)
            failed += ["run %d http %s" % (r + 1, k) for k, v in h.items() if v["rc"] != 0]
            failed += ["run %d flow %s" % (r + 1, k) for k, v in f.items() if v["rc"] != 0]
    finally:
        pg_log = pg.log()
        pg.cleanup()
    idle1 = cpu_idle_pct()

    print("\n#### summary: median (min-max) over %d runs" % RUNS)
    if not SKIP_HTTP:
        print("\nHTTP (bench/run.sh, %s per run): req/s, and CPU us per request (catalogd + PostgreSQL)" %
              os.environ.get("DURATION", HTTP_DEFAULTS["DURATION"]))
        print("%-18s %5s %24s %24s %18s %22s %22s" % ("target", "conns", "SQLite req/s", "PostgreSQL req/s",
                                                    "PG / SQLite", "SQLite CPU us", "PG CPU us (cd+db)"))
        keys = sorted({k for h in http for v in h.values() for k in v["rows"]}, key=lambda k: (int(k[1]), k[0]))
        for k in keys:
            if k[0] == "nginx":
                continue

            def get(b, f):
                return [h[b]["rows"][k][f] if k in h[b]["rows"] else None for h in http]
            s_rps, p_rps = get("sqlite", "rps"), get("postgres", "rps")
            rat = [ratio(a, b) for a, b in zip(p_rps, s_rps)]
            s_cpu = get("sqlite", "cpu")
            p_cpu = [a + b if a is not None else None for a, b in zip(get("postgres", "cpu"), get("postgres", "dbcpu"))]
            print("%-18s %5s %24s %24s %18s %22s %22s" % (HTTP_LABEL[k[0]], k[1], med(s_rps), med(p_rps), med(rat),
                                                        med(s_cpu), med(p_cpu)))
        rests = [v["rows"][k]["rest"] for h in http for v in h.values() for k in v["rows"]]
        print("rest (other busy CPUs during a wrk run): median %.2f, max %.2f" % (
            statistics.median(rests), max(rests)) if rests else "")

    print("\nflow (bench/flow_bench.py, N=%s, T=%s, PARTS=%s)" % (os.environ.get("N", "100"),
                                                                os.environ.get("T", "8"), PARTS))
    print("%-30s %20s %20s %20s %14s %14s" % ("what", "SQLite", "PG 1 node", "PG 2 nodes", "PG1 / SQLite",
                                            "PG2 / PG1"))
    for k in FLOW_KEYS:
        def get(b):
            return [f[b]["rows"].get(k) for f in flow]
        s, p1, p2 = get("sqlite"), get("pg1"), get("pg2")
        if all(v is None for v in s + p1 + p2):
            continue
        print("%-30s %20s %20s %20s %14s %14s" % (FLOW_LABEL[k], med(s), med(p1), med(p2),
                                                med([ratio(a, b) for a, b in zip(p1, s)]),
                                                med([ratio(a, b) for a, b in zip(p2, p1)])))
    print("\nCPU idle: %.0f%% before, %.0f%% after (below ~90%%: others' load, noisy figures)" % (idle0, idle1))
    errors = [line for line in pg_log.splitlines() if " ERROR: " in line or " FATAL: " in line
              or " PANIC: " in line]
    print("PostgreSQL log: %d ERROR/FATAL/PANIC lines%s" % (len(errors), "".join("\n  " + e for e in errors[:5])))
    if failed:
        print("FAILED: " + ", ".join(failed))
        sys.exit(1)


if __name__ == "__main__":
    main()
