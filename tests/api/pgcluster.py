"""A throwaway PostgreSQL cluster of the test run's own.

PgCluster makes a cluster with initdb in a temporary directory, starts `postgres` on a unix
socket directory of its own and a free port on 127.0.0.1, and removes everything at exit.
The postmaster is a child of the test process with PR_SET_PDEATHSIG (SIGINT: a fast
shutdown), in a process group of its own: it stops by itself even when pytest is killed,
and kill() takes the whole server down at once, like a crash of its machine.

initdb and postgres refuse to run as root: when the test runs as uid 0, every server program
runs as the Debian `postgres` user (the `postgresql` package creates it) on directories
chowned to it. Authentication: trust on the unix socket, scram-sha-256 passwords on
127.0.0.1 (the role ROLE, password PASSWORD, owns every database create_db makes).
"""

import atexit
import ctypes
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time

ROLE = "catalogd"
PASSWORD = "catalogd-test-password"

_libc = ctypes.CDLL("libc.so.6", use_errno=True)


def pg_bindir():
    """The directory of the newest installed PostgreSQL server binaries (Debian layout)."""
    dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda d: int(d.split("/")[-2]))
    dirs = [d for d in dirs if os.path.exists(os.path.join(d, "initdb"))]
    if not dirs:
        raise RuntimeError("no PostgreSQL server under /usr/lib/postgresql/*/bin "
                           "(apt-get install postgresql)")
    return dirs[-1]


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop_with_parent():
    _libc.prctl(1, signal.SIGINT)  # PR_SET_PDEATHSIG, set after the uid change


class PgCluster:
    """One PostgreSQL cluster: start(), create_db(), url(), sql(), stop(), restart(), kill()."""

    def __init__(self, fsync=False):
        self.bindir = pg_bindir()
        self.base = tempfile.mkdtemp(prefix="catalogd-pg-")
        self.pgdata = os.path.join(self.base, "data")
        self.sockdir = os.path.join(self.base, "sock")
        self.logpath = os.path.join(self.base, "postgres.log")
        self.port = _free_port()
        self.fsync = fsync
        self.proc = None
        self._log = None
        self._drops = []
        # a root test run hands the server programs to the postgres user
        self.user = "postgres" if os.getuid() == 0 else None
        os.mkdir(self.sockdir, 0o700)
        if self.user:
            pw = pwd.getpwnam(self.user)
            for d in (self.base, self.sockdir):
                os.chown(d, pw.pw_uid, pw.pw_gid)
        os.chmod(self.base, 0o700)
        self._initdb()
        atexit.register(self.cleanup)

    # ---- running server programs
    def _env(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env.update({"LC_ALL": "C", "LANG": "C", "TZ": "UTC"})
        if self.user:
            env["HOME"] = self.base
        return env

    def _as_user(self):
        if not self.user:
            return {}
        return {"user": self.user, "group": pwd.getpwnam(self.user).pw_gid, "extra_groups": []}

    def _run(self, prog, *args, check=True, timeout=120, input=None):
        p = subprocess.run([os.path.join(self.bindir, prog)] + list(args), capture_output=True,
                           text=True, env=self._env(), cwd=self.base, timeout=timeout, input=input, **self._as_user())
        if check and p.returncode != 0:
            raise RuntimeError("%s %s failed (%d):\n%s%s" % (prog, " ".join(args), p.returncode,
                                                             p.stdout, p.stderr))
        return p

    def _initdb(self):
        self._run("initdb", "-D", self.pgdata, "-E", "UTF8", "--locale=C", "-U", "postgres",
                  "--auth-local=trust", "--auth-host=scram-sha-256", "--no-instructions")
        conf = [
            "listen_addresses = '127.0.0.1'",
            "port = %d" % self.port,
            "unix_socket_directories = '%s'" % self.sockdir,
            "max_connections = 400",
            "shared_buffers = 32MB",
            "dynamic_shared_memory_type = mmap",
            "password_encryption = 'scram-sha-256'",
            "log_min_messages = warning",
            "log_min_error_statement = panic",
            "log_line_prefix = '%m [%p] %d '",
            "timezone = 'UTC'",
        ]
        if not self.fsync:  # the test data need not survive a crash of this machine
            conf += ["fsync = off", "full_page_writes = off"]
        with open(os.path.join(self.pgdata, "postgresql.auto.conf"), "a") as f:
            f.write("\n".join(conf) + "\n")

    # ---- server life
    def start(self, timeout=60):
        """Starts the server; returns once it accepts connections (creating ROLE once)."""
        if self.proc and self.proc.poll() is None:
            return self
        self._log = open(self.logpath, "ab")
        if self.user:
            os.chown(self.logpath, pwd.getpwnam(self.user).pw_uid, -1)
        self.proc = subprocess.Popen([os.path.join(self.bindir, "postgres"), "-D", self.pgdata],
                                     stdout=self._log, stderr=self._log, env=self._env(),
                                     cwd=self.base, start_new_session=True,
                                     preexec_fn=_stop_with_parent, **self._as_user())
        deadline = time.time() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError("postgres exited at start (%s):\n%s" % (self.proc.returncode,
                                                                        self.log()[-4000:]))
            if self._ready():
                break
            if time.time() > deadline:
                raise RuntimeError("postgres not ready within %ss:\n%s" % (timeout, self.log()[-4000:]))
            time.sleep(0.05)
        if not self.sql("postgres", "SELECT 1 FROM pg_roles WHERE rolname = '%s'" % ROLE):
            self.sql("postgres", "CREATE ROLE %s LOGIN CREATEDB PASSWORD '%s'" % (ROLE, PASSWORD))
        return self

    def _ready(self):
        # pg_ctl's own test: the status line of postmaster.pid says the server is ready
        try:
            with open(os.path.join(self.pgdata, "postmaster.pid")) as f:
                lines = f.read().splitlines()
        except OSError:
            return False
        return (len(lines) >= 8 and lines[0].strip() == str(self.proc.pid)
                and lines[7].strip() == "ready")

    def running(self):
        return bool(self.proc) and self.proc.poll() is None

    def stop(self, mode="fast", timeout=60):
        """Stops the server: fast (SIGINT: sessions end, a checkpoint), immediate (SIGQUIT)."""
        if not self.running():
            return
        self.proc.send_signal({"fast": signal.SIGINT, "smart": signal.SIGTERM,
                               "immediate": signal.SIGQUIT}[mode])
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
        self._close_log()

    def restart(self, mode="fast"):
        self.stop(mode)
        return self.start()

    def kill(self):
        """SIGKILL to the postmaster and every backend at once (a crash); start() recovers."""
        if not self.proc:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()
        # the group is gone only when its last backend is reaped by init; wait for it
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                os.killpg(self.proc.pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.02)
        self._close_log()

    def _close_log(self):
        if self._log:
            self._log.close()
            self._log = None

    def log(self):
        try:
            with open(self.logpath, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def cleanup(self):
        for p in self._drops:
            p.wait()
        self.stop()
        shutil.rmtree(self.base, ignore_errors=True)

    # ---- databases
    def _psql(self, db, statement):
        return ["psql", "-X", "-q", "-A", "-t", "-F", "\x1f", "-R", "\x1e", "-v", "ON_ERROR_STOP=1",
                "-h", self.sockdir, "-p", str(self.port), "-U", "postgres", "-d", db, "-c", statement]

    def sql(self, db, statement, timeout=60):
        """Runs statement in db as the superuser (psql on the unix socket); returns the rows,
        each a list of column strings (NULL as the empty string)."""
        p = subprocess.run(self._psql(db, statement), capture_output=True, text=True,
                           env=self._env(), timeout=timeout)
        if p.returncode != 0:
            raise RuntimeError("psql %s: %s" % (db, p.stderr.strip()))
        out = p.stdout[:-1] if p.stdout.endswith("\n") else p.stdout
        return [row.split("\x1f") for row in out.split("\x1e") if row != ""]

    def has_db(self, name):
        return bool(self.sql("postgres", "SELECT 1 FROM pg_database WHERE datname = '%s'" % name))

    def create_db(self, name, owner=ROLE):
        """Creates the empty database name owned by owner, unless it exists; returns name.
        (FILE_COPY: a copy of template1's files, faster than WAL_LOG on a small template.)"""
        try:
            self.sql("postgres", 'CREATE DATABASE "%s" OWNER %s STRATEGY FILE_COPY' % (name, owner))
        except RuntimeError as e:
            if "already exists" not in str(e):
                raise
        return name

    def drop_db(self, name, wait=True):
        """Drops name, ending its sessions first; wait=False leaves psql running (reaped at
        the next drop_db and by cleanup)."""
        statement = 'DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % name
        if wait:
            self.sql("postgres", statement)
            return
        self._drops = [p for p in self._drops if p.poll() is None]
        self._drops.append(subprocess.Popen(self._psql("postgres", statement), env=self._env(),
                                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))

    def url(self, db, user=ROLE, password=PASSWORD, socket=False):
        """A postgresql:// URL for db: by password over 127.0.0.1, or (socket=True) through
        the unix socket directory (trust)."""
        if socket:
            return "postgresql://%s@/%s?host=%s&port=%d" % (user, db, self.sockdir, self.port)
        auth = user + (":" + password if password else "")
        return "postgresql://%s@127.0.0.1:%d/%s" % (auth, self.port, db)
