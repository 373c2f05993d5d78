"""The PostgreSQL harness itself (pgcluster.py, conftest's postgres pass): a cluster of the
test's own that takes passwords over 127.0.0.1, keeps committed data over a restart and a
crash, and stops by itself when its test process dies; and, on the postgres pass, daemons
that really run on it."""

import os
import signal
import subprocess
import sys
import time

import pytest

from conftest import POSTGRES, db_name, pg_cluster, store_sql
from pgcluster import PASSWORD, ROLE, PgCluster

HERE = os.path.dirname(os.path.abspath(__file__))


def psql(url, statement):
    return subprocess.run(["psql", "-X", "-A", "-t", url, "-c", statement], capture_output=True,
                          text=True, timeout=60)


@pytest.fixture(scope="module")
def cluster():
    c = PgCluster().start()
    yield c
    c.cleanup()
    assert not os.path.exists(c.base)


def test_password_over_tcp_trust_on_the_socket(cluster):
    cluster.create_db("harness")
    assert cluster.create_db("harness") == "harness"  # a second time: still there, no error
    p = psql(cluster.url("harness"), "SELECT current_user || ' ' || current_database()")
    assert (p.returncode, p.stdout.strip()) == (0, "%s harness" % ROLE), p.stderr
    p = psql(cluster.url("harness", password="wrong-" + PASSWORD), "SELECT 1")
    assert p.returncode != 0 and "password authentication failed" in p.stderr, p.stderr
    p = psql(cluster.url("harness", password=None), "SELECT 1")
    assert p.returncode != 0
    p = psql(cluster.url("harness", socket=True), "SELECT current_user")
    assert (p.returncode, p.stdout.strip()) == (0, ROLE), p.stderr
    assert cluster.url("harness").startswith("postgresql://%s:" % ROLE)


def test_sql_rows_keep_newlines_and_separators(cluster):
    cluster.create_db("rows")
    rows = cluster.sql("rows", "SELECT 'a' || chr(10) || 'b', NULL::text UNION ALL SELECT 'c|d', 'e'")
    assert rows == [["a\nb", ""], ["c|d", "e"]]
    with pytest.raises(RuntimeError, match="no_such_table"):
        cluster.sql("rows", "SELECT * FROM no_such_table")


def test_committed_data_survives_restart_and_kill(cluster):
    cluster.create_db("durable")
    url = cluster.url("durable")
    assert psql(url, "CREATE TABLE t (v int); INSERT INTO t VALUES (1)").returncode == 0
    port = cluster.port
    cluster.restart()
    assert psql(url, "INSERT INTO t VALUES (2)").returncode == 0
    pid = cluster.proc.pid
    cluster.kill()
    with pytest.raises(ProcessLookupError):
        os.killpg(pid, 0)  # the postmaster and every backend gone at once
    assert psql(url, "SELECT 1").returncode != 0
    cluster.start()
    assert cluster.port == port
    assert cluster.sql("durable", "SELECT v FROM t ORDER BY v") == [["1"], ["2"]]
    cluster.drop_db("durable")
    assert not cluster.has_db("durable")


def test_cluster_stops_when_its_test_process_is_killed():
    """pytest killed with SIGKILL: its atexit never runs, yet the server stops."""
    code = ("import sys, time; sys.path.insert(0, %r); from pgcluster import PgCluster; "
            "c = PgCluster().start(); print(c.proc.pid, c.port, c.base, flush=True); time.sleep(600)" % HERE)
    owner = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        pid, port, base = owner.stdout.readline().split()
        os.kill(int(pid), 0)
    finally:
        owner.kill()
        owner.wait()
    try:
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                os.killpg(int(pid), 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        else:
            os.killpg(int(pid), signal.SIGKILL)
            raise AssertionError("postgres outlived its test process")
    finally:
        subprocess.run(["rm", "-rf", base])


def test_daemons_run_on_the_backend_under_test(fresh_daemon):
    """On the postgres pass each data directory has a database of its own, found again by a
    restart, and no SQLite file; on the SQLite pass, the file."""
    d = fresh_daemon()
    started = [e for e in d.log() if e.get("msg") == "started"]
    assert started and started[0]["store"] == ("postgres" if POSTGRES else "sqlite"), started
    d.client("iam").create_user(UserName="in-the-store")
    rows = store_sql(d.data_dir, "SELECT COUNT(*) FROM resources WHERE body LIKE '%in-the-store%'")
    assert [tuple(str(v) for v in r) for r in rows] == [("1",)]
    assert os.path.exists(os.path.join(d.data_dir, "catalogd.db")) != POSTGRES
    assert d.stop() == 0
    d2 = fresh_daemon(data_dir=d.data_dir)
    assert [u["UserName"] for u in d2.client("iam").list_users()["Users"]] == ["in-the-store"]
    other = fresh_daemon()
    assert other.client("iam").list_users()["Users"] == []
    if POSTGRES:
        assert db_name(other.data_dir) != db_name(d.data_dir)
        assert pg_cluster().has_db(db_name(d.data_dir))
