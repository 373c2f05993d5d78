"""docs/tutorial.md is kept true: every ```sh block of it runs, in order, in one bash with
`set -euo pipefail`, against a real catalogd, with the AWS CLI v2 as `aws`.

Four substitutions make the blocks run here rather than on the reader's machine: the
endpoint (EP=...) is this test's daemon, `make demo` gets this daemon's data directory, and
$PWD/var/data is that directory, and the web server of Step 6 (WEB=...) listens on a free
port. The blocks that start catalogd (`# (in another terminal)`) are skipped: the test
started it, with Step 6's managed nodes (`--node-transport local`, the tests' node user)."""

import os
import re
import shutil
import signal
import subprocess
import urllib.request

import pytest

from conftest import CLI_V2, REPO, ROOT_KEY, ROOT_SECRET, Daemon, free_port
from sshd import node_user

pytestmark = pytest.mark.skipif(not CLI_V2, reason="needs the Debian AWS CLI v2")


def blocks():
    text = open(os.path.join(REPO, "docs", "tutorial.md"), encoding="utf-8").read()
    return re.findall(r"^```sh\n(.*?)^```", text, flags=re.S | re.M)


def stop_web_server(port):
    """Ends the Step 6 web server answering on port, if one does (it says its pid)."""
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/" % port, timeout=5) as r:
            m = re.search(r"pid (\d+)", r.read().decode())
    except OSError:
        return
    if not m:
        return
    os.kill(int(m.group(1)), signal.SIGTERM)
    # and its directory in the node user's home (the one whose pid file names it)
    home = os.path.join(os.path.expanduser("~" + node_user()), ".catalogd-demo")
    for inst in os.listdir(home) if os.path.isdir(home) else ():
        try:
            same = open(os.path.join(home, inst, "web.pid")).read().strip() == m.group(1)
        except OSError:
            same = False
        if same:
            shutil.rmtree(os.path.join(home, inst), ignore_errors=True)


def test_the_tutorial_runs_as_written(tmp_path):
    assert len(blocks()) >= 10
    web_port = free_port()
    d = Daemon(args=["--ec2-delay-ms", "50", "--template-dir", os.path.join(REPO, "data", "templates"),
                     "--node-transport", "local", "--node-user", node_user()]).start()
    try:
        script = ["set -euo pipefail"]
        for b in blocks():
            if b.startswith("# (in another terminal)"):
                continue
            b = b.replace("EP=http://127.0.0.1:4599", "EP=%s" % d.endpoint)
            b = b.replace("$PWD/var/data", d.data_dir)
            b = b.replace("WEB=http://127.0.0.1:8080", "WEB=http://127.0.0.1:%d" % web_port)
            b = b.replace("make demo", "CATALOGD_ENDPOINT=%s make -s -C %s demo DATA_DIR=%s" % (
                d.endpoint, REPO, d.data_dir))
            script.append(b)
        bindir = tmp_path / "bin"
        bindir.mkdir()
        os.symlink(CLI_V2, bindir / "aws")
        os.symlink("/usr/bin/python3", bindir / "python3")
        env = {"PATH": "%s:/usr/bin:/bin" % bindir, "HOME": str(tmp_path), "AWS_PAGER": "",
               "AWS_CONFIG_FILE": "/dev/null", "LANG": "C.UTF-8",
               # the daemon was given its root key rather than writing root-credentials
               "CATALOGD_ROOT_ACCESS_KEY_ID": ROOT_KEY, "CATALOGD_ROOT_SECRET_ACCESS_KEY": ROOT_SECRET,
               "CATALOGD_DEMO_WEB_PORT": str(web_port)}
        p = subprocess.run(["/bin/bash", "-c", "\n".join(script)], cwd=tmp_path, env=env, capture_output=True,
                           text=True, timeout=600)
        assert p.returncode == 0, "tutorial failed:\n%s\n%s" % (p.stdout[-4000:], p.stderr[-4000:])
        out = p.stdout
        assert "SUCCEEDED" in out
        assert "stopInstances" in out and "startInstances" in out
        assert "not in the provisioned product: i-0123456789abcdef0" in out
        assert "MalformedPolicyDocument" in p.stderr
        # Step 6: two runs of the web server's restart, two pids, and the command's output
        pids = re.findall(r"^(?:before|after): +linux-desktop web server, pid (\d+)$", out, flags=re.M)
        assert len(pids) == 2 and pids[0] != pids[1], out
        assert "stopped the web server (pid %s)" % pids[0] in out
        assert "started the web server (pid %s) on 127.0.0.1:%d" % (pids[1], web_port) in out
        assert re.search(r"^i-[0-9a-f]{17}\tSuccess\t0$", out, flags=re.M), out
    finally:
        stop_web_server(web_port)
        d.stop()
        d.cleanup()
