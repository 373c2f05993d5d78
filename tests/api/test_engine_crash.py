"""The durable engine survives kill -9: every job completes, and every step of every
job commits its effect exactly once (DESIGN §5). Uses the built-in engine.probe job
kind, whose steps record (job, step) in the same transaction as the job's progress."""

import json
import os
import subprocess
import time

from conftest import BIN, SANITIZED, backend_env, store_sql

JOBS = 300
STEPS = 3


def jobs_cli(data_dir, *args):
    p = subprocess.run([BIN, "jobs"] + list(args) + ["--data-dir", data_dir],
                       capture_output=True, text=True, timeout=60, env=dict(os.environ, **backend_env(data_dir)))
    assert p.returncode == 0, p.stderr
    return p.stdout


def stats(data_dir):
    return json.loads(jobs_cli(data_dir, "stats"))


def wait_for(pred, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


def test_kill9_with_jobs_in_flight(fresh_daemon):
    d = fresh_daemon(args=["--workers", "4", "--lease-ms", "1500"])
    sleep_ms = "40" if SANITIZED else "20"
    jobs_cli(d.data_dir, "probe", "--count", str(JOBS), "--steps", str(STEPS), "--sleep-ms", sleep_ms)

    # let the workers get going, then pull the plug mid-flight
    wait_for(lambda: stats(d.data_dir)["done"] >= 20, 60, "the first jobs to finish")
    d.kill9()
    before = stats(d.data_dir)
    assert before["done"] < JOBS, "every job finished before the kill; nothing was in flight"
    leased = int(store_sql(d.data_dir, "SELECT COUNT(*) FROM jobs WHERE state = 'ready' AND lease_owner IS NOT NULL")[0][0])
    assert leased > 0, "no job was leased (in flight) at the moment of the kill"

    # restart on the same data directory: the dead process's leases are reclaimed
    d2 = fresh_daemon(data_dir=d.data_dir, args=["--workers", "4", "--lease-ms", "1500"])
    wait_for(lambda: stats(d2.data_dir)["done"] == JOBS, 180, "all jobs to finish after restart")
    s = stats(d2.data_dir)
    assert s == {"ready": 0, "running": 0, "done": JOBS, "failed": 0}

    rows = [(job, int(step), int(n)) for job, step, n in
            store_sql(d.data_dir, "SELECT job_id, step, COUNT(*) FROM job_probe GROUP BY job_id, step")]
    jobs = {r[0] for r in store_sql(d.data_dir, "SELECT id FROM jobs WHERE kind = 'engine.probe'")}
    assert len(jobs) == JOBS
    dup = [r for r in rows if r[2] != 1]
    assert not dup, "steps committed more than once: %r" % dup[:5]
    per_job = {}
    for job, step, _ in rows:
        per_job.setdefault(job, set()).add(step)
    assert set(per_job) == jobs
    assert all(steps == set(range(STEPS)) for steps in per_job.values())
    assert d2.stop() == 0
