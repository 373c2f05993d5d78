"""`catalogd node-key import` seals keys of every common size (the sealing once stopped at
512 bytes, so only an ed25519 key fitted): an RSA 4096 key in PEM, about 3 KB, is taken,
sealed, and not readable in clear in the data directory."""

import os
import subprocess

from helpers import run_bin


def test_node_key_import_takes_a_large_rsa_key(tmp_path):
    key = tmp_path / "rsa"
    subprocess.run(["ssh-keygen", "-q", "-t", "rsa", "-b", "4096", "-m", "PEM", "-N", "", "-f", str(key)], check=True)
    pem = key.read_text()
    assert len(pem) > 3000
    data = str(tmp_path / "d")
    p = run_bin("node-key", "import", "--data-dir", data, "--id", "big", "--file", str(key))
    assert p.returncode == 0, p.stderr
    sealed = open(os.path.join(data, "node-keys", "big.sealed")).read()
    assert sealed.startswith("v2:") and pem.splitlines()[1] not in sealed  # docs/internals/seal.md
