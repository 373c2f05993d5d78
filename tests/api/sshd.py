"""A private sshd for managed-node tests: Debian's openssh-server started as its own
`sshd -D -e` on 127.0.0.1 (a free port), with its host key, a generated client key and
authorized_keys in a temporary directory, logging in as node_user() (a dedicated
unprivileged `catalogd-node` when the tests run as root, else the current user).

    with Sshd() as s:           # started
        s.port, s.user, s.client_key
        s.stop(); s.start()     # unreachable, then back
        s.new_host_key()        # the next start presents a different host key
"""

import getpass
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time

from conftest import _die_with_parent, free_port

SSHD = "/usr/sbin/sshd"
NODE_USER = "catalogd-node"


def node_user():
    """The unprivileged user node commands run as (created, unlocked, when root)."""
    if os.geteuid() != 0:
        return getpass.getuser()
    try:
        pwd.getpwnam(NODE_USER)
    except KeyError:
        subprocess.run(["useradd", "-m", "-s", "/bin/sh", NODE_USER], check=True)
    # no password, but not locked: sshd refuses a locked account even with a key
    subprocess.run(["usermod", "-p", "*", NODE_USER], check=True)
    return NODE_USER


def _keygen(path):
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", path], check=True)


class Sshd:
    def __init__(self, user=None):
        self.user = user or node_user()
        self.dir = tempfile.mkdtemp(prefix="catalogd-sshd-")
        os.chmod(self.dir, 0o755)  # sshd reads authorized_keys as the user
        self.port = free_port()
        self.proc = None
        self.host_key = os.path.join(self.dir, "host_key")
        self.client_key = os.path.join(self.dir, "client_key")
        _keygen(self.host_key)
        _keygen(self.client_key)
        shutil.copy(self.client_key + ".pub", os.path.join(self.dir, "authorized_keys"))
        os.chmod(os.path.join(self.dir, "authorized_keys"), 0o644)
        with open(os.path.join(self.dir, "sshd_config"), "w") as f:
            f.write(
                "Port %d\nListenAddress 127.0.0.1\nHostKey %s\nAuthorizedKeysFile %s/authorized_keys\n"
                "StrictModes no\nUsePAM no\nPasswordAuthentication no\n"
                "KbdInteractiveAuthentication no\nPermitRootLogin no\nPidFile %s/sshd.pid\n"
                % (self.port, self.host_key, self.dir, self.dir)
            )
        if os.geteuid() == 0:
            os.makedirs("/run/sshd", exist_ok=True)  # sshd's privilege separation directory

    def start(self, timeout=10):
        self.log = open(os.path.join(self.dir, "sshd.log"), "ab")
        self.proc = subprocess.Popen(
            [SSHD, "-D", "-e", "-f", os.path.join(self.dir, "sshd_config")],
            stdout=subprocess.DEVNULL,
            stderr=self.log,
            preexec_fn=_die_with_parent,
        )
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.05)
        raise RuntimeError("sshd did not start: " + open(os.path.join(self.dir, "sshd.log")).read())

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.proc = None

    def new_host_key(self):
        """The host key is replaced (as a reinstalled machine's would be); the old one is
        kept beside it so restore_host_key() can bring it back."""
        shutil.copy(self.host_key, self.host_key + ".old")
        os.unlink(self.host_key)
        os.unlink(self.host_key + ".pub")
        _keygen(self.host_key)

    def restore_host_key(self):
        shutil.copy(self.host_key + ".old", self.host_key)

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.cleanup()
