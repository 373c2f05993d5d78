"""Process lifecycle: orderly stop on signals, --version/--help, the generated root
credentials file, restarts on the same data directory and the data-directory lock."""

import configparser
import json
import os
import re
import signal
import stat
import subprocess

import boto3
import botocore.config
import botocore.exceptions
import pytest

from conftest import ACCOUNT, CLI_V2, CLIS, REGION, REPO, ROOT_KEY, ROOT_SECRET, free_port
from helpers import run_bin

NO_ENV_KEYS = {"CATALOGD_ROOT_ACCESS_KEY_ID": "", "CATALOGD_ROOT_SECRET_ACCESS_KEY": ""}
ROOT_ARN = "arn:aws:iam::%s:root" % ACCOUNT


def sts_with(d, key, secret):
    return boto3.client(
        "sts", endpoint_url=d.endpoint, aws_access_key_id=key, aws_secret_access_key=secret,
        region_name=REGION, config=botocore.config.Config(retries={"max_attempts": 1}))


def read_credentials(path):
    cp = configparser.ConfigParser()
    with open(path) as f:
        cp.read_file(f)
    return cp["default"]["aws_access_key_id"], cp["default"]["aws_secret_access_key"]


# ---- signals --------------------------------------------------------------------------------

@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_stops_cleanly(fresh_daemon, sig):
    d = fresh_daemon()
    assert d.client("sts").get_caller_identity()["Arn"] == ROOT_ARN
    assert d.stop(sig=sig) == 0
    msgs = [x.get("msg") for x in d.log()]
    assert "started" in msgs
    assert "stopped" in msgs
    assert msgs.index("stopped") > msgs.index("started")
    stopping = [x for x in d.log() if x.get("msg") == "stopping"]
    assert stopping and stopping[0].get("signal") == int(sig)
    assert msgs[-1] == "stopped"


# ---- command line ---------------------------------------------------------------------------

def test_version():
    r = run_bin("--version")
    assert r.returncode == 0
    m = re.fullmatch(r"catalogd (\d+\.\d+\.\d+)\n", r.stdout)
    assert m, r.stdout
    with open(os.path.join(REPO, "CMakeLists.txt")) as f:
        cm = re.search(r"project\([^)]*VERSION\s+(\d+\.\d+\.\d+)", f.read())
    if cm:
        assert m.group(1) == cm.group(1)


def test_help():
    r = run_bin("--help")
    assert r.returncode == 0
    assert r.stdout.startswith("usage: catalogd serve")
    for flag in ("--listen", "--data-dir", "--max-body", "--max-header", "--timeout", "--version"):
        assert flag in r.stdout
    assert "root-credentials" in r.stdout


def test_no_arguments_is_usage_error():
    r = run_bin()
    assert r.returncode == 2
    assert r.stdout == ""
    assert "usage: catalogd" in r.stderr


@pytest.mark.parametrize(
    "args,text",
    [
        (["serve", "--no-such-flag"], "unknown option '--no-such-flag'"),
        (["serve", "--max-body", "lots"], "invalid value 'lots' for --max-body"),
        (["serve", "--account-id", "12"], "--account-id must be 12 digits"),
        (["no-such-command"], "unknown command 'no-such-command'"),
    ],
)
def test_bad_command_line(tmp_path, args, text):
    r = run_bin(*args, "--data-dir", str(tmp_path)) if args[0] == "serve" else run_bin(*args)
    assert r.returncode == 2, r
    assert text in r.stderr
    assert not os.path.exists(os.path.join(tmp_path, "root-credentials"))


# ---- root credentials -------------------------------------------------------------------------

def test_env_root_key_writes_no_credentials_file(daemon):
    assert not os.path.exists(os.path.join(daemon.data_dir, "root-credentials"))


def test_generated_root_credentials(fresh_daemon):
    d = fresh_daemon(env=NO_ENV_KEYS)
    path = os.path.join(d.data_dir, "root-credentials")
    assert os.path.isfile(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    key, secret = read_credentials(path)
    assert re.fullmatch(r"AKIA[A-Z0-9]{16}", key), key
    assert len(secret) == 40
    assert key != ROOT_KEY
    assert sts_with(d, key, secret).get_caller_identity()["Arn"] == ROOT_ARN
    # the test suite's usual key was never created on this daemon
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        sts_with(d, ROOT_KEY, ROOT_SECRET).get_caller_identity()
    assert ei.value.response["Error"]["Code"] == "InvalidClientTokenId"


@pytest.mark.parametrize("cli", CLIS, ids=lambda c: "v2" if c == CLI_V2 else "v1")
def test_generated_credentials_file_used_by_cli(fresh_daemon, cli):
    """The file used as the banner says: AWS_SHARED_CREDENTIALS_FILE=<data-dir>/root-credentials."""
    d = fresh_daemon(env=NO_ENV_KEYS)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/root"),
        "AWS_SHARED_CREDENTIALS_FILE": os.path.join(d.data_dir, "root-credentials"),
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_MAX_ATTEMPTS": "1",
        "AWS_PAGER": "",
    }
    for k in ("PYENV_ROOT", "PYENV_VERSION", "LANG", "LC_ALL"):
        if k in os.environ:
            env[k] = os.environ[k]
    r = subprocess.run([cli, "--endpoint-url", d.endpoint, "--output", "json", "sts",
                        "get-caller-identity"], capture_output=True, text=True, env=env,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["Arn"] == ROOT_ARN


def test_restart_keeps_root_key(fresh_daemon):
    d = fresh_daemon(env=NO_ENV_KEYS)
    path = os.path.join(d.data_dir, "root-credentials")
    with open(path) as f:
        before = f.read()
    key, secret = read_credentials(path)
    assert d.stop() == 0
    d2 = fresh_daemon(data_dir=d.data_dir, env=NO_ENV_KEYS)
    with open(path) as f:
        assert f.read() == before
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert sts_with(d2, key, secret).get_caller_identity()["Arn"] == ROOT_ARN


def test_second_daemon_on_same_data_dir_refused(fresh_daemon):
    d = fresh_daemon(env=NO_ENV_KEYS)
    path = os.path.join(d.data_dir, "root-credentials")
    with open(path) as f:
        before = f.read()
    key, secret = read_credentials(path)
    r = run_bin("serve", "--listen", "127.0.0.1:%d" % free_port(), "--data-dir", d.data_dir,
                env=NO_ENV_KEYS, timeout=30)
    assert r.returncode != 0
    assert "in use" in r.stderr and d.data_dir in r.stderr, r.stderr
    # the running daemon is untouched
    with open(path) as f:
        assert f.read() == before
    assert sts_with(d, key, secret).get_caller_identity()["Arn"] == ROOT_ARN
    assert d.proc.poll() is None
