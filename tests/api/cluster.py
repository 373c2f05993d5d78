"""Several catalogd nodes on one PostgreSQL database (issue 15), for the multi-node tests.

    c = Cluster(3, args=[...]).start()   # a PostgreSQL of its own, then three nodes
    c.nodes[0].client("iam")             # each node is a conftest.Daemon
    c.rr("servicecatalog")               # clients of every node, taken in turn
    c.kill9(1)                           # pulls one node's plug
    c.jobs("stats")                      # `catalogd jobs ...` on the shared database
    c.pg                                 # the PgCluster (stop(), start(), sql(...))
    c.stop()                             # nodes (a clean exit each), then PostgreSQL

Every node runs `catalogd serve --database-url URL` with its own --data-dir, as
docs/deploy.md describes: the data directories hold the same master.key (the first
node's, copied before the others start), so every node unseals what another sealed.
PostgreSQL is tests/api/pgcluster.py's (initdb in a temporary directory, its own port on
127.0.0.1, stopped by the test)."""

import itertools
import json
import os
import shutil
import subprocess
import tempfile
import threading

from conftest import BIN, Daemon
from pgcluster import PgCluster


class RoundRobin:
    """Clients of one service, one per node, handed out in turn (thread-safe)."""

    def __init__(self, clients):
        self.clients = list(clients)
        self._next = itertools.cycle(range(len(self.clients)))
        self._mu = threading.Lock()

    def __call__(self):
        with self._mu:
            return self.clients[next(self._next)]


class Cluster:
    """A PostgreSQL cluster of the test's own and n catalogd nodes on one database."""

    def __init__(self, n, args=(), env=None, lease_ms=3000, prepare=None):
        self.n = n
        self.prepare = prepare
        self.args = list(args)
        self.env = dict(env or {})
        self.lease_ms = lease_ms
        self.pg = None
        self.url = None
        self.nodes = []
        self.dirs = []

    def node_args(self):
        return ["--database-url", self.url, "--lease-ms", str(self.lease_ms)] + self.args

    def start(self):
        """Starts PostgreSQL, makes the database, then the nodes: the first alone (it
        runs the migrations and writes master.key), the others with that key. prepare,
        when given, is called with each node's data directory before the node starts (on
        the others once master.key is there)."""
        self.pg = PgCluster().start()
        self.url = self.pg.url(self.pg.create_db("catalogd"))
        for i in range(self.n):
            self.dirs.append(tempfile.mkdtemp(prefix="catalogd-node%d-" % i))
        if self.prepare:
            self.prepare(self.dirs[0])
        first = Daemon(data_dir=self.dirs[0], args=self.node_args(), env=self.env)
        self.nodes.append(first.start())
        key = os.path.join(self.dirs[0], "master.key")
        for d in self.dirs[1:]:
            shutil.copy2(key, os.path.join(d, "master.key"))
            os.chmod(os.path.join(d, "master.key"), 0o600)
            if self.prepare:
                self.prepare(d)
            self.nodes.append(Daemon(data_dir=d, args=self.node_args(), env=self.env).start())
        return self

    def live(self):
        """The nodes still running."""
        return [d for d in self.nodes if d.proc and d.proc.poll() is None]

    def clients(self, service, **kw):
        """One client of service per live node."""
        return [d.client(service, **kw) for d in self.live()]

    def rr(self, service, **kw):
        """A RoundRobin of clients of service over the live nodes."""
        return RoundRobin(self.clients(service, **kw))

    def kill9(self, i):
        self.nodes[i].kill9()

    def jobs(self, *args):
        """`catalogd jobs ARGS` on the shared database; its standard output."""
        env = dict(os.environ, CATALOGD_DATABASE_URL=self.url)
        p = subprocess.run([BIN, "jobs"] + list(args) + ["--data-dir", self.dirs[0]], env=env,
                           capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, p.stderr
        return p.stdout

    def stats(self):
        return json.loads(self.jobs("stats"))

    def stop(self):
        """Stops every live node (each must exit 0 on SIGTERM), then PostgreSQL, and
        removes the data directories. Returns the nodes' exit statuses."""
        rcs = []
        try:
            for d in self.nodes:
                if d.proc and d.proc.poll() is None:
                    rcs.append(d.stop())
        finally:
            if self.pg:
                self.pg.stop()
                self.pg.cleanup()
            for d in self.nodes:
                d.cleanup()
            for d in self.dirs:
                shutil.rmtree(d, ignore_errors=True)
        return rcs
