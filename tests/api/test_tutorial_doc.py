"""docs/tutorial.md is kept true: every ```sh block of it runs, in order, in one bash with
`set -euo pipefail`, against a real catalogd, with the AWS CLI v2 as `aws`.

Three substitutions make the blocks run here rather than on the reader's machine: the
endpoint (EP=...) is this test's daemon, `make demo` gets this daemon's data directory, and
$PWD/var/data is that directory. The block that starts catalogd (`# (in another
terminal)`) is skipped: the test started it."""

import os
import re
import subprocess

import pytest

from conftest import CLI_V2, REPO, ROOT_KEY, ROOT_SECRET, Daemon

pytestmark = pytest.mark.skipif(not CLI_V2, reason="needs the Debian AWS CLI v2")


def blocks():
    text = open(os.path.join(REPO, "docs", "tutorial.md"), encoding="utf-8").read()
    return re.findall(r"^```sh\n(.*?)^```", text, flags=re.S | re.M)


def test_the_tutorial_runs_as_written(tmp_path):
    assert len(blocks()) >= 10
    d = Daemon(args=["--ec2-delay-ms", "50", "--template-dir", os.path.join(REPO, "data", "templates")]).start()
    try:
        script = ["set -euo pipefail"]
        for b in blocks():
            if b.startswith("# (in another terminal)"):
                continue
            b = b.replace("EP=http://127.0.0.1:4599", "EP=%s" % d.endpoint)
            b = b.replace("$PWD/var/data", d.data_dir)
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
               "CATALOGD_ROOT_ACCESS_KEY_ID": ROOT_KEY, "CATALOGD_ROOT_SECRET_ACCESS_KEY": ROOT_SECRET}
        p = subprocess.run(["/bin/bash", "-c", "\n".join(script)], cwd=tmp_path, env=env, capture_output=True,
                           text=True, timeout=600)
        assert p.returncode == 0, "tutorial failed:\n%s\n%s" % (p.stdout[-4000:], p.stderr[-4000:])
        out = p.stdout
        assert "SUCCEEDED" in out
        assert "stopInstances" in out and "startInstances" in out
        assert "not in the provisioned product: i-0123456789abcdef0" in out
        assert "MalformedPolicyDocument" in p.stderr
    finally:
        d.stop()
        d.cleanup()
