"""Black-box harness: starts the real catalogd binary and drives it with real clients.

CATALOGD_BIN names the daemon (default build/catalogd). Every daemon listens on 127.0.0.1,
uses a temporary data directory, and dies with the test process (PR_SET_PDEATHSIG).
Clients: boto3 (Debian python3-boto3), the Debian AWS CLI v2 (/usr/bin/aws), and an AWS
CLI v1 when one is on PATH.
"""

import ctypes
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
