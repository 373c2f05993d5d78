"""Start-up refusals: a taken port, an empty or foreign database, a missing or damaged
sealing key, an unwritable data directory, a bad flag. Each exits non-zero with one line on
stderr naming the problem (and the path or port), and creates or changes nothing; only a
first start (no database) creates the database and the key. Also `serve --help`."""

import hashlib
import os
import signal
import socket
import sqlite3
import subprocess
import tempfile

import pytest

from conftest import BIN, POSTGRES, ROOT_KEY, ROOT_SECRET, backend_env, free_port
from helpers import run_bin

ENV = {"CATALOGD_ROOT_ACCESS_KEY_ID": ROOT_KEY, "CATALOGD_ROOT_SECRET_ACCESS_KEY": ROOT_SECRET}


def snapshot(path):
    """{relative path: sha256 of the content (or 'dir')} of everything under path."""
    out = {}
    if not os.path.exists(path):
        return out
    for root, dirs, files in os.walk(path):
        for d in dirs:
            out[os.path.relpath(os.path.join(root, d), path)] = "dir"
        for f in files:
            p = os.path.join(root, f)
            with open(p, "rb") as fh:
                out[os.path.relpath(p, path)] = hashlib.sha256(fh.read()).hexdigest()
    return out


def serve(data_dir, *args, port=None, timeout=20, user=None):
    """Runs `catalogd serve` on data_dir and expects it to refuse: returns (exit status,
    stderr). A daemon that starts instead is stopped and the test fails."""
    cmd = [BIN, "serve", "--listen", "127.0.0.1:%d" % (port or free_port()), "--data-dir",
           data_dir] + list(args)
    if user is not None:
        cmd = ["setpriv", "--reuid=%d" % user, "--regid=%d" % user, "--clear-groups"] + cmd
    env = dict(os.environ)
    env.update(ENV)
    env.update(backend_env(data_dir))
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                         env=env)
    try:
        _, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.send_signal(signal.SIGTERM)
        _, err = p.communicate(timeout=30)
        pytest.fail("catalogd started instead of refusing:\n" + err)
    return p.returncode, err


def one_line(err):
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("catalogd: "), err
    return lines[0]


def refused(data_dir, *args, must_name=(), **kw):
    """Asserts serve refuses on data_dir without changing it; returns the line."""
    before = snapshot(data_dir)
    rc, err = serve(data_dir, *args, **kw)
    assert rc != 0, err
    line = one_line(err)
    for s in must_name:
        assert s in line, line
    assert snapshot(data_dir) == before
    return line


@pytest.fixture
def installed(fresh_daemon):
    """A data directory a daemon has run on and stopped: database, key, sealed secrets."""
    d = fresh_daemon()
    d.client("iam").create_access_key(UserName=d.client("iam").create_user(
        UserName="sealed")["User"]["UserName"])
    assert d.stop() == 0
    return d.data_dir


# ---- the port ----------------------------------------------------------------------------------

def test_port_of_a_running_catalogd_refused(fresh_daemon, tmp_path):
    """No SO_REUSEPORT: a second daemon with another data directory cannot share the port
    (it would answer half the connections from other data)."""
    d = fresh_daemon()
    other = str(tmp_path / "other")
    line = refused(other, port=d.port, must_name=("127.0.0.1:%d" % d.port, "in use"))
    assert "port" in line
    assert not os.path.exists(other)  # nothing created
    assert d.client("sts").get_caller_identity()["Account"]
    assert d.proc.poll() is None


def test_port_taken_by_another_program_refused_before_any_file(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        new = str(tmp_path / "new")
        refused(new, port=port, must_name=("127.0.0.1:%d" % port, "in use"))
        assert not os.path.exists(new)


# ---- the database ------------------------------------------------------------------------------

SQLITE_FILE = "about the SQLite file in the data directory"


@pytest.mark.sqlite_only(SQLITE_FILE)
def test_empty_database_refused(tmp_path):
    open(tmp_path / "catalogd.db", "wb").close()
    refused(str(tmp_path), must_name=(str(tmp_path / "catalogd.db"), "empty"))


@pytest.mark.sqlite_only(SQLITE_FILE)
def test_foreign_sqlite_database_refused(tmp_path):
    db = sqlite3.connect(tmp_path / "catalogd.db")
    db.execute("CREATE TABLE schema_migrations (version TEXT PRIMARY KEY)")
    db.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
    db.commit()
    db.close()
    line = refused(str(tmp_path), must_name=(str(tmp_path / "catalogd.db"),))
    assert "not a catalogd database" in line


@pytest.mark.sqlite_only(SQLITE_FILE)
def test_garbage_database_refused(tmp_path):
    with open(tmp_path / "catalogd.db", "wb") as f:
        f.write(os.urandom(8192))
    line = refused(str(tmp_path), must_name=(str(tmp_path / "catalogd.db"),))
    assert "not a SQLite database" in line


def test_database_from_an_earlier_run_starts(installed, fresh_daemon):
    d = fresh_daemon(data_dir=installed)
    assert [u["UserName"] for u in d.client("iam").list_users()["Users"]] == ["sealed"]


@pytest.mark.sqlite_only("about SQLite's write-ahead log file beside the database")
def test_database_after_a_crash_starts(fresh_daemon):
    """kill -9 leaves the write-ahead log beside the database: the check reads through it
    (the user below may exist only in the log) and the daemon starts."""
    d = fresh_daemon()
    d.client("iam").create_user(UserName="in-the-log")
    d.kill9()
    assert os.path.exists(os.path.join(d.data_dir, "catalogd.db-wal"))
    d2 = fresh_daemon(data_dir=d.data_dir)
    assert [u["UserName"] for u in d2.client("iam").list_users()["Users"]] == ["in-the-log"]


# ---- the sealing key ---------------------------------------------------------------------------

@pytest.mark.parametrize("damage", ["missing", "empty", "short", "long"])
def test_damaged_master_key_refused(installed, damage):
    key = os.path.join(installed, "master.key")
    with open(key, "rb") as f:
        good = f.read()
    if damage == "missing":
        os.unlink(key)
    else:
        with open(key, "wb") as f:
            f.write({"empty": b"", "short": good[:16], "long": good + b"\n"}[damage])
    line = refused(installed, must_name=(key,))
    assert ("missing" if damage == "missing" else "damaged") in line
    assert os.path.exists(key) == (damage != "missing")  # never regenerated


# ---- the data directory ------------------------------------------------------------------------

@pytest.mark.parametrize("has_db", [False, True], ids=["new", "installed"])
def test_unwritable_data_dir_is_not_reported_in_use(fresh_daemon, has_db):
    """Run as nobody against a directory only root may write: a permission problem, named
    as one (it used to read 'in use by another catalogd')."""
    if has_db:
        d = fresh_daemon(data_dir=tempfile.mkdtemp(prefix="catalogd-ro-"))
        assert d.stop() == 0
        data = d.data_dir
    else:
        data = tempfile.mkdtemp(prefix="catalogd-ro-")
    try:
        os.chmod(data, 0o755)
        for f in os.listdir(data):
            os.chmod(os.path.join(data, f), 0o644)
        line = refused(data, user=65534, must_name=(data,))
        assert "not writable" in line, line
        assert "in use" not in line
    finally:
        subprocess.run(["rm", "-rf", data])


# ---- flags -------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "args,text",
    [
        (["--listen", "nope"], "--listen wants HOST:PORT"),
        (["--listen", "localhost:4599"], "(a numeric address)"),
        (["--listen", "127.0.0.1:99999"], "--listen wants HOST:PORT"),
        (["--max-body", "lots"], "invalid value 'lots' for --max-body"),
        (["--header-timeout", "0"], "invalid value '0' for --header-timeout"),
        (["--body-timeout", "-3"], "invalid value '-3' for --body-timeout"),
        (["--max-conns-per-client", "x"], "invalid value 'x' for --max-conns-per-client"),
        (["--max-conns", "1000000"], "open-file limit"),
        (["--log-level", "loud"], "invalid value 'loud' for --log-level"),
        (["--region", "xx-nowhere-1"], "--region must be a region of the aws partition"),
        (["--region", "US-EAST-1"], "--region must be a region of the aws partition"),
        (["--no-such-flag"], "unknown option '--no-such-flag'"),
        (["--sync"], "--sync needs a value"),
        (["--template-dir", "/nonexistent/templates"], "--template-dir /nonexistent/templates is not a directory"),
        (["--console-dir", "/nonexistent/console"], "--console-dir /nonexistent/console is not a directory"),
    ],
)
def test_bad_flag_refused_before_anything_is_created(tmp_path, args, text):
    new = str(tmp_path / "new")
    r = run_bin("serve", "--data-dir", new, *args, env=ENV, cwd=str(tmp_path))
    assert r.returncode == 2, r
    assert text in one_line(r.stderr), r.stderr
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("args", [["serve", "--help"], ["serve", "-h"],
                                  ["serve", "--listen", "127.0.0.1:1", "--help"],
                                  ["--help"], ["help"], ["jobs", "--help"]])
def test_help_prints_usage(tmp_path, args):
    r = run_bin(*args, cwd=str(tmp_path))
    assert r.returncode == 0, r
    assert r.stdout.startswith("usage: catalogd serve")
    for flag in ("--max-conns", "--max-conns-per-client", "--header-timeout", "--body-timeout"):
        assert flag in r.stdout
    assert r.stderr == ""
    assert os.listdir(tmp_path) == []  # no ./catalogd-data


def test_first_start_creates_database_and_key(fresh_daemon):
    d = fresh_daemon(data_dir=os.path.join(tempfile.mkdtemp(prefix="catalogd-first-"), "d"))
    try:
        assert os.path.isfile(os.path.join(d.data_dir, "master.key"))
        # the store: SQLite's file, or on PostgreSQL none (the database holds it)
        assert os.path.isfile(os.path.join(d.data_dir, "catalogd.db")) != POSTGRES
        assert os.path.getsize(os.path.join(d.data_dir, "master.key")) == 32
    finally:
        d.stop()
        subprocess.run(["rm", "-rf", os.path.dirname(d.data_dir)])
