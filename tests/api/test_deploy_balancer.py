"""docs/deploy.md in practice: three catalogd nodes on one PostgreSQL of the test's own
behind a real HAProxy (Debian's haproxy) running the shipped deploy/haproxy.cfg (its
global section replaced by a test one, its addresses by the test's ports; everything else
as shipped), and behind nginx running the shipped deploy/nginx.conf. A steady stream of
boto3 calls (writes and reads, no SDK retries) goes through the balancer while every node
is restarted in turn with SIGTERM (draining, --drain-seconds 5 as the document
recommends): not one call fails, every acknowledged write is there at the end, and behind
HAProxy no request even needed a retry. And a node whose database is gone answers 503 on
/_catalogd/ready (and again 200 when it is back), so the balancer takes it out."""

import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import urllib.request
import time

import boto3
import botocore.config
import pytest

from conftest import REGION, REPO, ROOT_KEY, ROOT_SECRET, Daemon, _die_with_parent, free_port
from helpers import wait_for

pytestmark = pytest.mark.own_cluster

HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"
SHIPPED = os.path.join(REPO, "deploy", "haproxy.cfg")
DRAIN_SECONDS = 5  # docs/deploy.md's recommendation for the shipped check timing


def addresses(text, listen_re, listen_port, server_re, node_ports):
    """text with the one line listen_re matches listening on 127.0.0.1:listen_port and the
    lines server_re matches pointing at 127.0.0.1 and node_ports in order (each pattern's
    group 1 is kept); fails unless the shipped file has exactly those lines, so the test
    always runs what is shipped."""
    body, n = re.subn("(?m)^" + listen_re, lambda m: "%s127.0.0.1:%d" % (m.group(1), listen_port), text)
    assert n == 1, "expected one line matching %r in the shipped configuration" % listen_re
    ports = iter(node_ports)
    body, n = re.subn("(?m)^" + server_re, lambda m: "%s127.0.0.1:%d" % (m.group(1), next(ports)), body)
    assert n == len(node_ports), "expected %d server lines in the shipped configuration" % len(node_ports)
    return body


def balancer_config(shipped, listen_port, node_ports, where):
    """The shipped configuration for this test: its global section replaced (no chroot, no
    user switch, no syslog: a stats socket in the directory where), the frontend's bind address and the
    three server addresses replaced by the test's. Fails when the shipped file does not
    have exactly those lines, so the test always runs what is shipped."""
    head, sep, rest = shipped.partition("\ndefaults\n")
    assert sep and "\nglobal\n" in "\n" + head, "deploy/haproxy.cfg: no global/defaults sections"
    glob = (
        "global\n"
        "    stats socket %s/admin.sock mode 600 level admin\n"
        "    log stderr format raw local0 info\n" % where
    )
    body = addresses(rest, r"(\s*bind\s+)\S*:4599\b", listen_port, r"(\s*server\s+node\d\s+)\S+:4599\b", node_ports)
    return glob + "\ndefaults\n" + body


def listening(port):
    """True once something accepts connections on 127.0.0.1:port."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def run_dir(name, shipped_path, make_config, node_ports):
    """(a new directory, a free port, the path of the configuration make_config made in it
    from the shipped file for that port and node_ports)."""
    d = tempfile.mkdtemp(prefix="catalogd-%s-" % name)
    port = free_port()
    with open(shipped_path) as f:
        cfg = make_config(f.read(), port, node_ports, d)
    path = os.path.join(d, name + ".conf")
    with open(path, "w") as f:
        f.write(cfg)
    return d, port, path


class Balancer:
    """A foreground haproxy on 127.0.0.1 with the shipped configuration."""

    def __init__(self, node_ports):
        self.dir, self.port, self.cfg_path = run_dir("haproxy", SHIPPED, balancer_config, node_ports)
        check = subprocess.run([HAPROXY, "-c", "-f", self.cfg_path], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
        self.log_path = os.path.join(self.dir, "haproxy.log")
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [HAPROXY, "-db", "-f", self.cfg_path],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,
        )
        wait_for(lambda: listening(self.port), timeout=10, what="haproxy listens")

    @property
    def endpoint(self):
        return "http://127.0.0.1:%d" % self.port

    def admin(self, command):
        """The stats socket's answer to command."""
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(5)
            s.connect(os.path.join(self.dir, "admin.sock"))
            s.sendall(command.encode() + b"\n")
            out = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    return out.decode()
                out += chunk

    def states(self):
        """{server name: status} of the backend (UP, DOWN, ...), {} before the socket is."""
        try:
            csv = self.admin("show stat")
        except OSError:
            return {}
        lines = csv.splitlines()
        if not lines or not lines[0].startswith("# "):
            return {}
        cols = lines[0][2:].split(",")
        out = {}
        for line in lines[1:]:
            row = dict(zip(cols, line.split(",")))
            if row.get("pxname") == "catalogd_nodes" and row.get("svname", "").startswith("node"):
                out[row["svname"]] = row["status"].split()[0]
        return out

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
SHIPPED_NGINX = os.path.join(REPO, "deploy", "nginx.conf")


def nginx_config(shipped, listen_port, node_ports, where):
    """The shipped nginx.conf (an upstream and a server of the http context) inside a main
    configuration of the test's (no user switch, files in the directory where), its listen port and
    the three server addresses replaced; fails unless the shipped file has those lines."""
    body = addresses(shipped, r"(\s*listen\s+)4599\b", listen_port, r"(\s*server\s+)\S+:4599\b", node_ports)
    return (
        "daemon off;\nmaster_process on;\nworker_processes 1;\npid {d}/nginx.pid;\n"
        "error_log {d}/error.log notice;\nevents {{ worker_connections 256; }}\n"
        "http {{\n access_log {d}/access.log;\n client_body_temp_path {d}/body;\n"
        " proxy_temp_path {d}/proxy;\n fastcgi_temp_path {d}/fastcgi;\n uwsgi_temp_path {d}/uwsgi;\n"
        " scgi_temp_path {d}/scgi;\n{body}\n}}\n"
    ).format(d=where, body=body)


class NginxBalancer:
    """A foreground nginx on 127.0.0.1 with the shipped configuration (passive checks only)."""

    def __init__(self, node_ports):
        self.dir, self.port, self.cfg_path = run_dir("nginx", SHIPPED_NGINX, nginx_config, node_ports)
        args = [NGINX, "-p", self.dir, "-c", self.cfg_path]
        check = subprocess.run(args + ["-t"], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=_die_with_parent)
        wait_for(lambda: listening(self.port), timeout=10, what="nginx listens")

    @property
    def endpoint(self):
        return "http://127.0.0.1:%d" % self.port

    def access_log(self):
        with open(os.path.join(self.dir, "access.log")) as f:
            return f.read()

    def close(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def client(endpoint, service="servicecatalog"):
    """A boto3 client without SDK retries: every failure the balancer lets through shows."""
    return boto3.client(
        service,
        endpoint_url=endpoint,
        aws_access_key_id=ROOT_KEY,
        aws_secret_access_key=ROOT_SECRET,
        region_name=REGION,
        config=botocore.config.Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=30),
    )


class Load:
    """Threads writing a parameter then reading it back (PutParameter, GetParameter:
    likely through another node) through the balancer until stopped; every failure, wrong
    read and acknowledged write is recorded."""

    def __init__(self, endpoint, threads=2):
        self.endpoint = endpoint
        self.stop_flag = threading.Event()
        self.lock = threading.Lock()
        self.acked, self.failures, self.calls = {}, [], 0
        self.threads = [threading.Thread(target=self.run, args=(i,), daemon=True) for i in range(threads)]

    def record(self, what, name, fn):
        try:
            out = fn()
        except Exception as e:  # noqa: BLE001 - every failure is the test's finding
            with self.lock:
                self.failures.append("%.3f %s %s: %r" % (time.time(), what, name, e))
            return None
        with self.lock:
            self.calls += 1
        return out

    def run(self, k):
        ssm = client(self.endpoint, "ssm")
        i = 0
        while not self.stop_flag.is_set():
            i += 1
            name, value = "/rolling/t%d/p%d" % (k, i), "v%d-%d" % (k, i)
            put = self.record("PutParameter", name, lambda: ssm.put_parameter(Name=name, Value=value, Type="String"))
            if put is None:
                continue
            with self.lock:
                self.acked[name] = value
            got = self.record("GetParameter", name, lambda: ssm.get_parameter(Name=name))
            if got is not None and got["Parameter"]["Value"] != value:
                with self.lock:
                    self.failures.append("GetParameter %s read %r" % (name, got["Parameter"]["Value"]))
            time.sleep(0.02)

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop_flag.set()
        for t in self.threads:
            t.join(timeout=60)

    def count(self):
        with self.lock:
            return self.calls


def ready(port):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        c.request("GET", "/_catalogd/ready")
        r = c.getresponse()
        return r.status, r.read().decode()
    finally:
        c.close()


def wait_states(lb, want, timeout=30):
    wait_for(lambda: lb.states() == want, timeout=timeout, what="haproxy sees %s (has %s)" % (want, lb.states()), interval=0.1)


def rolling_restart(nodes, lb, load):
    """Restarts each node in turn as docs/deploy.md says: SIGTERM (the node drains: HAProxy
    takes it out on its failing readiness check while its requests are still served), wait
    for it to exit, start it again, wait until the balancer has it back (HAProxy: its
    checks pass; nginx, which has no checks: its fail_timeout has passed)."""
    names = ["node%d" % (i + 1) for i in range(len(nodes))]
    active = isinstance(lb, Balancer)
    if active:
        wait_states(lb, {n: "UP" for n in names})
    for i, d in enumerate(nodes):
        before = load.count()
        t0 = time.monotonic()
        d.proc.send_signal(signal.SIGTERM)
        if active:
            others = {n: "UP" for n in names}
            others[names[i]] = "DOWN"
            # out of the balancer while it is still draining (serving), not by failing calls
            wait_states(lb, others, timeout=DRAIN_SECONDS)
            assert d.proc.poll() is None, "the node stopped before the balancer took it out"
        assert d.proc.wait(timeout=DRAIN_SECONDS + 20) == 0
        assert time.monotonic() - t0 >= DRAIN_SECONDS - 0.5
        assert d.stop() == 0  # closes its log; fails on sanitizer reports
        msgs = [l.get("msg") for l in d.log()]
        assert msgs.index("stopping") < msgs.index("draining") < msgs.index("stopped")
        d.start()
        if active:
            wait_states(lb, {n: "UP" for n in names})
        else:
            time.sleep(6)  # deploy/nginx.conf: fail_timeout=5s
        assert load.count() > before, "no call went through while %s restarted" % names[i]


@pytest.fixture
def pg():
    from pgcluster import PgCluster

    cluster = PgCluster().start()
    yield cluster
    cluster.cleanup()


def start_nodes(url, n=3, drain=DRAIN_SECONDS):
    """n nodes on the database url, each its own data directory and fixed port. The first
    starts alone (it creates the schema); the others join it."""
    nodes = []
    for i in range(n):
        d = Daemon(port=free_port(), args=["--database-url", url, "--drain-seconds", str(drain)])
        if i:
            # the data directories share the sealing key, as docs/deploy.md says
            os.makedirs(d.data_dir, exist_ok=True)
            shutil.copy2(os.path.join(nodes[0].data_dir, "master.key"), os.path.join(d.data_dir, "master.key"))
        nodes.append(d.start())
    return nodes


def stop_nodes(nodes):
    """Stops the nodes together (their drains overlap); each must exit cleanly."""
    live = [d for d in nodes if d.proc and d.proc.poll() is None]
    for d in live:
        d.proc.send_signal(signal.SIGTERM)
    codes = [d.stop() for d in live]
    for d in nodes:
        d.cleanup()
    assert codes == [0] * len(live)


def all_parameters(endpoint):
    ssm = client(endpoint, "ssm")
    out = {}
    for page in ssm.get_paginator("get_parameters_by_path").paginate(Path="/rolling", Recursive=True):
        out.update({p["Name"]: p["Value"] for p in page["Parameters"]})
    return out


@pytest.mark.parametrize("kind", ["haproxy", "nginx"])
def test_rolling_restart_fails_no_call(pg, kind):
    nodes = start_nodes(pg.url(pg.create_db("deploy")))
    lb = (Balancer if kind == "haproxy" else NginxBalancer)([d.port for d in nodes])
    try:
        with Load(lb.endpoint) as load:
            rolling_restart(nodes, lb, load)
            n = load.count()
            wait_for(lambda: load.count() > n + 20, what="calls after the last restart")
        assert load.failures == [], "\n".join(load.failures[:20])
        assert len(load.acked) >= 50, "too little traffic to mean anything: %d writes" % len(load.acked)
        # every acknowledged write is in the database, as acknowledged, whichever node asked
        assert all_parameters(lb.endpoint) == load.acked
        if kind == "haproxy":
            # the drain did it, not the balancer's retries: no request met a closing node
            stat = lb.admin("show stat").splitlines()
            cols = stat[0][2:].split(",")
            backend = [dict(zip(cols, l.split(","))) for l in stat[1:] if l.startswith("catalogd_nodes,BACKEND,")][0]
            counters = {k: backend[k] for k in ("econ", "eresp", "wretr", "wredis")}
            assert counters == {"econ": "0", "eresp": "0", "wretr": "0", "wredis": "0"}
    finally:
        lb.close()
        stop_nodes(nodes)


def test_ready_is_503_while_the_database_is_unreachable(pg):
    # the URL form docs/deploy.md gives for failover: every host, the writable one wanted
    # (the first host here has no server at all)
    url = pg.url(pg.create_db("deploy")).replace("@127.0.0.1:", "@127.0.0.1:%d,127.0.0.1:" % free_port())
    nodes = start_nodes(url + "?target_session_attrs=read-write&connect_timeout=2", n=1, drain=0)
    d = nodes[0]
    try:
        assert ready(d.port) == (200, '{"status":"ready"}')
        pg.stop(mode="immediate")
        wait_for(lambda: ready(d.port)[0] == 503, timeout=10, what="ready turns 503 without the database")
        assert ready(d.port) == (503, '{"status":"database unreachable"}')
        # the process itself is alive: liveness stays 200 (the balancer, not systemd, acts)
        with urllib.request.urlopen(d.endpoint + "/_catalogd/health", timeout=5) as r:
            assert r.status == 200
        pg.start()
        wait_for(lambda: ready(d.port)[0] == 200, timeout=15, what="ready again once the database is back")
        # and it serves again
        client(d.endpoint, "ssm").put_parameter(Name="/back/again", Value="yes", Type="String")
        msgs = [l.get("msg") for l in d.log()]
        assert "not ready: the database does not answer" in msgs
        assert "ready: the database answers again" in msgs
    finally:
        stop_nodes(nodes)
