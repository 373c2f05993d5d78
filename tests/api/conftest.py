"""Black-box harness: starts the real catalogd binary and drives it with real clients.

CATALOGD_BIN names the daemon (default build/catalogd). Every daemon listens on 127.0.0.1,
uses a temporary data directory, and dies with the test process (PR_SET_PDEATHSIG).
Clients: boto3 (Debian python3-boto3), the Debian AWS CLI v2 (/usr/bin/aws), and an AWS
CLI v1 when one is on PATH.

CATALOGD_TEST_BACKEND=postgres runs every daemon on PostgreSQL: the test process starts a
cluster of its own (pgcluster.py; one per xdist worker), and each data directory gets a
database of its own (the same directory, restarted, finds its database again), given to the
daemon with --database-url and to the offline subcommands as CATALOGD_DATABASE_URL
(backend_env). Tests about SQLite's files carry @pytest.mark.sqlite_only and are left out of
that pass only.
"""

import ctypes
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request

import boto3
import botocore.config
import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.environ.get("CATALOGD_BIN", os.path.join(REPO, "build", "catalogd"))
SANITIZED = os.environ.get("CATALOGD_SANITIZED") == "1"
ACCOUNT = "123456789012"
REGION = "us-east-1"
ROOT_KEY = "AKIACATALOGDTEST0001"
ROOT_SECRET = "catalogdTestSecretKey0000000000000000001"
SHARED = os.path.abspath(os.path.join(REPO, "..", "shared"))
BACKEND = os.environ.get("CATALOGD_TEST_BACKEND", "sqlite")
if BACKEND not in ("sqlite", "postgres"):
    raise RuntimeError("CATALOGD_TEST_BACKEND must be sqlite or postgres, not %r" % BACKEND)
POSTGRES = BACKEND == "postgres"

_libc = ctypes.CDLL("libc.so.6", use_errno=True)


def _die_with_parent():
    _libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: never outlive the test run


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def find_cli_v1():
    """An AWS CLI v1 on PATH other than Debian's v2, or None."""
    for d in os.environ.get("PATH", "").split(os.pathsep):
        p = os.path.join(d, "aws")
        if os.path.realpath(p) == "/usr/bin/aws" or not os.access(p, os.X_OK):
            continue
        try:
            out = subprocess.run([p, "--version"], capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if (out.stdout + out.stderr).startswith("aws-cli/1."):
            return p
    return None


_pg = None


def pg_cluster():
    """The test process's PostgreSQL cluster, started on first use (postgres pass only)."""
    global _pg
    if _pg is None:
        from pgcluster import PgCluster

        _pg = PgCluster().start()
    return _pg


def db_name(data_dir):
    """The PostgreSQL database of data_dir: named after its real path."""
    return "cd_" + hashlib.sha1(os.path.realpath(data_dir).encode()).hexdigest()[:24]


def database_url(data_dir):
    """On the postgres pass, the URL of data_dir's database (created when new); else None."""
    if not POSTGRES:
        return None
    pg = pg_cluster()
    return pg.url(pg.create_db(db_name(data_dir)))


def backend_env(data_dir):
    """The environment a catalogd subcommand needs beside --data-dir data_dir to open the
    same store as that directory's daemon (CATALOGD_DATABASE_URL on the postgres pass)."""
    return {"CATALOGD_DATABASE_URL": database_url(data_dir)} if POSTGRES else {}


def _pg_literal(v):
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, (int, float)):
        return repr(v)
    return "'" + str(v).replace("'", "''") + "'"


def store_sql(data_dir, statement, params=(), many=None):
    """Runs statement on data_dir's store behind catalogd's back, committed: SQLite's file,
    or its PostgreSQL database (there psql's values come back as text, and ? placeholders
    are filled in as SQL literals). many: a list of parameter tuples, one run each, all in
    one transaction. Returns the rows as tuples (of the last run)."""
    if not POSTGRES:
        import sqlite3

        con = sqlite3.connect(os.path.join(data_dir, "catalogd.db"))
        try:
            if many is not None:
                con.executemany(statement, many)
                rows = []
            else:
                rows = con.execute(statement, params).fetchall()
            con.commit()
        finally:
            con.close()
        return [tuple(r) for r in rows]
    parts = statement.split("?")
    text = []
    for ps in (many if many is not None else [params]):
        assert len(ps) == len(parts) - 1, "store_sql: %d placeholders, %d values" % (len(parts) - 1, len(ps))
        text.append("".join(p + (_pg_literal(ps[i]) if i < len(ps) else "") for i, p in enumerate(parts)))
    sql = ";\n".join(text)
    if len(text) > 1:
        sql = "BEGIN;\n" + sql + ";\nCOMMIT"
    return [tuple(r) for r in pg_cluster().sql(db_name(data_dir), sql)]


def pytest_configure(config):
    config.addinivalue_line("markers", "sqlite_only(reason): about SQLite's own files; "
                            "left out of the CATALOGD_TEST_BACKEND=postgres pass")
    config.addinivalue_line("markers", "own_cluster: starts PostgreSQL clusters of its own whatever "
                            "the backend, so it runs the same in every pass: left out of the "
                            "CATALOGD_TEST_BACKEND=postgres pass (it runs in the SQLite and ASan passes)")


def pytest_collection_modifyitems(config, items):
    if not POSTGRES:
        return
    kept, left = [], []
    for item in items:
        out = item.get_closest_marker("sqlite_only") or item.get_closest_marker("own_cluster")
        (left if out else kept).append(item)
    if left:
        config.hook.pytest_deselected(items=left)
        items[:] = kept


CLI_V2 = "/usr/bin/aws" if os.path.exists("/usr/bin/aws") else None
CLI_V1 = find_cli_v1()
CLIS = [c for c in (CLI_V2, CLI_V1) if c]


class Daemon:
    """One catalogd process with its own data directory."""

    def __init__(self, data_dir=None, args=(), env=None, port=None):
        self.own_dir = data_dir is None
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="catalogd-test-")
        self.args = list(args)
        self.extra_env = dict(env or {})
        self.proc = None
        self.port = None
        self.fixed_port = port  # every start listens here (a balancer's server line)
        self.stderr_path = None

    @property
    def endpoint(self):
        return "http://127.0.0.1:%d" % self.port

    def start(self, timeout=30):
        self.port = self.fixed_port or free_port()
        env = dict(os.environ)
        env.update(
            {
                "CATALOGD_ROOT_ACCESS_KEY_ID": ROOT_KEY,
                "CATALOGD_ROOT_SECRET_ACCESS_KEY": ROOT_SECRET,
                "CATALOGD_ACCOUNT_ID": ACCOUNT,
                "CATALOGD_REGION": REGION,
                "CATALOGD_SYNC": "normal",
            }
        )
        env.update(self.extra_env)
        fd, self.stderr_path = tempfile.mkstemp(prefix="catalogd-stderr-", suffix=".log")
        os.close(fd)
        self._stderr = open(self.stderr_path, "ab")
        cmd = [BIN, "serve", "--listen", "127.0.0.1:%d" % self.port, "--data-dir", self.data_dir]
        if POSTGRES:
            cmd += ["--database-url", database_url(self.data_dir)]
        self.proc = subprocess.Popen(
            cmd + self.args,
            stdout=subprocess.DEVNULL,
            stderr=self._stderr,
            env=env,
            preexec_fn=_die_with_parent,
        )
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("catalogd exited at start:\n" + self.stderr())
            try:
                with urllib.request.urlopen(self.endpoint + "/_catalogd/health", timeout=1) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("catalogd did not answer within %ss:\n%s" % (timeout, self.stderr()))

    def stderr(self):
        with open(self.stderr_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def log(self):
        """The daemon's structured log lines, parsed."""
        out = []
        for line in self.stderr().splitlines():
            if line.startswith("{"):
                try:
                    out.append(json.loads(line))
                except ValueError:
                    pass
        return out

    def stop(self, sig=signal.SIGTERM, timeout=30):
        """Stops the daemon; returns its exit status. Sanitizer reports fail the test."""
        if not self.proc or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("catalogd did not stop within %ss after signal %s" % (timeout, sig))
        self._stderr.close()
        text = self.stderr()
        assert "ERROR: AddressSanitizer" not in text, text[-4000:]
        assert "ERROR: LeakSanitizer" not in text, text[-4000:]
        assert "runtime error:" not in text, text[-4000:]
        return rc

    def kill9(self):
        self.proc.kill()
        self.proc.wait()
        self._stderr.close()

    def cleanup(self):
        if self.own_dir:
            if POSTGRES:
                pg_cluster().drop_db(db_name(self.data_dir), wait=False)
            shutil.rmtree(self.data_dir, ignore_errors=True)
        if self.stderr_path and os.path.exists(self.stderr_path):
            os.unlink(self.stderr_path)

    # ---- clients
    def client(self, service, key=ROOT_KEY, secret=ROOT_SECRET, token=None, region=REGION, **cfg):
        config = botocore.config.Config(retries={"max_attempts": 1}, **cfg)
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            aws_access_key_id=key,
            aws_secret_access_key=secret,
            aws_session_token=token,
            region_name=region,
            config=config,
        )

    def aws(self, *args, cli=CLI_V2, key=ROOT_KEY, secret=ROOT_SECRET, token=None, region=REGION, check=False):
        """Runs an AWS CLI; returns CompletedProcess. JSON output is in .json when parsable."""
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": os.environ.get("HOME", "/root"),
            "AWS_ACCESS_KEY_ID": key,
            "AWS_SECRET_ACCESS_KEY": secret,
            "AWS_DEFAULT_REGION": region,
            "AWS_CONFIG_FILE": "/dev/null",
            "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
            "AWS_PAGER": "",
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_MAX_ATTEMPTS": "1",
        }
        for k in ("PYENV_ROOT", "PYENV_VERSION", "LANG", "LC_ALL"):
            if k in os.environ:
                env[k] = os.environ[k]
        if token:
            env["AWS_SESSION_TOKEN"] = token
        p = subprocess.run(
            [cli, "--endpoint-url", self.endpoint, "--output", "json"] + list(args),
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        p.json = None
        if p.stdout.strip():
            try:
                p.json = json.loads(p.stdout)
            except ValueError:
                pass
        if check and p.returncode != 0:
            raise AssertionError("aws %s failed (%d): %s" % (" ".join(args), p.returncode, p.stderr))
        return p


@pytest.fixture(scope="session")
def daemon():
    """One daemon shared by the tests that leave no state others depend on."""
    d = Daemon().start()
    yield d
    rc = d.stop()
    d.cleanup()
    assert rc == 0, "catalogd exited with %s on SIGTERM" % rc


@pytest.fixture
def fresh_daemon():
    """A daemon of the test's own (for tests that restart, kill or fill it)."""
    made = []

    def make(**kw):
        d = Daemon(**kw).start()
        made.append(d)
        return d

    yield make
    for d in made:
        if d.proc and d.proc.poll() is None:
            d.stop()
        d.cleanup()
