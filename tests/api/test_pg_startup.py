"""Start-up refusals on a bad PostgreSQL database (issue 15, "Bad input"): a wrong URL
(unparsable, an unknown host, nothing listening), a refused password, a database of a newer
schema than the binary, a read-only replica given as the primary (a real hot standby, and a
database with default_transaction_read_only), a database of other tables, and two clusters
pointed at each other's databases. Each: catalogd exits non-zero with one line on stderr
naming the problem, never prints the password, and changes nothing: the database's dump and
the data directory are the same after (a data directory that was not there is not made).
Also `catalogd jobs stats` and `catalogd account list` with --database-url.

Every test here runs on a PostgreSQL cluster of this module's own (pgcluster.py), on either
pass of the suite (CATALOGD_TEST_BACKEND)."""

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

from conftest import BIN, ROOT_KEY, ROOT_SECRET, Daemon, free_port
from pgcluster import PASSWORD, ROLE, PgCluster
from test_startup_safety import one_line, snapshot

pytestmark = pytest.mark.own_cluster


class Standby(PgCluster):
    """A hot standby of primary: pg_basebackup -R of it, on a port and socket of its own,
    streaming from it (read-only: pg_is_in_recovery() is true)."""

    def __init__(self, primary):
        self.primary = primary
        super().__init__()

    def _initdb(self):
        p = self.primary
        self._run("pg_basebackup", "-D", self.pgdata, "-h", p.sockdir, "-p", str(p.port), "-U",
                  "postgres", "-R", "-X", "stream", "-c", "fast")
        with open(os.path.join(self.pgdata, "postgresql.auto.conf"), "a") as f:
            f.write("port = %d\nunix_socket_directories = '%s'\n" % (self.port, self.sockdir))


@pytest.fixture(scope="module")
def cluster():
    c = PgCluster().start()
    yield c
    c.cleanup()


def dump(cluster, db):
    """pg_dump of db (schema and rows, as the superuser): equal before and after means
    nothing changed."""
    p = subprocess.run([os.path.join(cluster.bindir, "pg_dump"), "-h", cluster.sockdir, "-p",
                        str(cluster.port), "-U", "postgres", "-d", db], capture_output=True,
                       text=True, timeout=120, env=cluster._env())
    assert p.returncode == 0, p.stderr
    # \restrict and \unrestrict carry a random key of each run
    return "\n".join(ln for ln in p.stdout.splitlines() if "restrict " not in ln)


def install(cluster, name):
    """A database and data directory a catalogd has run on and stopped (a user made in it).
    Returns (data_dir, url)."""
    cluster.create_db(name)
    url = cluster.url(name)
    data_dir = os.path.join(temp_dir(), "d")
    d = Daemon(data_dir=data_dir, args=["--database-url", url]).start()
    try:
        d.client("iam").create_user(UserName="before-" + name)
    finally:
        assert d.stop() == 0
        d.cleanup()
    return data_dir, url


def serve(data_dir, url, timeout=30, wrap=()):
    """Runs `catalogd serve --database-url url` on data_dir, expecting a refusal: returns
    (exit status, stderr). A daemon that starts instead is stopped and the test fails."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CATALOGD_")}
    env.update({"CATALOGD_ROOT_ACCESS_KEY_ID": ROOT_KEY,
                "CATALOGD_ROOT_SECRET_ACCESS_KEY": ROOT_SECRET})
    cmd = list(wrap) + [BIN, "serve", "--listen", "127.0.0.1:%d" % free_port(), "--data-dir",
                        data_dir, "--database-url", url]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=30)
        pytest.fail("catalogd started instead of refusing:\n" + err)
    return p.returncode, out + err


def refused(data_dir, url, must=(), secrets=(PASSWORD,), **kw):
    """Asserts serve refuses url on data_dir with one line holding every string of must and
    none of secrets, leaving data_dir as it was (absent stays absent); returns the line."""
    before = snapshot(data_dir)
    existed = os.path.exists(data_dir)
    rc, err = serve(data_dir, url, **kw)
    assert rc != 0, err
    for s in secrets:
        assert s not in err, err
    line = one_line(err)
    for s in must:
        assert s in line, line
    assert os.path.exists(data_dir) == existed, data_dir
    assert snapshot(data_dir) == before
    return line


_made = []  # the temporary directories of this module's tests, removed at its end


def temp_dir():
    _made.append(tempfile.mkdtemp(prefix="catalogd-pgstart-"))
    return _made[-1]


def new_dir():
    """A data directory path that does not exist (a refusal must not make it)."""
    return os.path.join(temp_dir(), "never-made")


def no_network():
    """A wrapper that runs a command in a network namespace of its own, so that a name
    lookup fails on this machine and sends nothing out (unshare; a user namespace too
    when not root)."""
    return ["unshare", "--net"] if os.getuid() == 0 else ["unshare", "--user", "--map-root-user",
                                                          "--net"]


# ---- a wrong URL -------------------------------------------------------------------------------

@pytest.mark.parametrize("url, must", [
    # libpq quotes the URI it cannot parse: the password must not come with it
    ("postgresql://%s:%s@[::1:5432/db" % (ROLE, PASSWORD),
     ("matching \"]\"", "postgresql://%s:***@[::1:5432/db" % ROLE)),
    # a token libpq cannot decode is quoted too: here, the password itself
    ("postgresql://%s:%s%%zz@127.0.0.1:5432/db" % (ROLE, PASSWORD),
     ("invalid percent-encoded token", "\"***\"")),
    ("postgresql://%s:%s@127.0.0.1:5432/db?sslmode=sometimes" % (ROLE, PASSWORD),
     ("invalid sslmode value: \"sometimes\"",)),
    # not a URL at all: libpq would take it for a database name on the local socket
    ("%s:%s@127.0.0.1:5432/db" % (ROLE, PASSWORD), ("is not a PostgreSQL URL",
                                                    "postgresql://USER:PASSWORD@HOST")),
    ("postgresql:/%s:%s@127.0.0.1/db" % (ROLE, PASSWORD), ("is not a PostgreSQL URL",)),
])
def test_unparsable_url_refused(url, must):
    d = new_dir()
    line = refused(d, url, must=must)
    assert "database" in line


def test_unknown_host_refused(cluster):
    d = new_dir()
    url = "postgresql://%s:%s@no-such-host.invalid:%d/db" % (ROLE, PASSWORD, cluster.port)
    line = refused(d, url, wrap=no_network(),
                   must=("could not translate host name \"no-such-host.invalid\"",
                         "postgresql://%s:***@no-such-host.invalid" % ROLE))
    assert line.startswith("catalogd: cannot connect to the database "), line


def test_nothing_listening_refused(cluster):
    data_dir, url = install(cluster, "listening")
    before = dump(cluster, "listening")
    port = free_port()  # nobody listens there
    wrong = url.replace(":%d/" % cluster.port, ":%d/" % port)
    refused(data_dir, wrong, must=("cannot connect to the database",
                                   "127.0.0.1:%d" % port, "Connection refused"))
    refused(new_dir(), wrong, must=("Connection refused",))
    assert dump(cluster, "listening") == before


def test_key_value_settings_keep_their_password(cluster):
    """libpq key=value settings: a quoted password with spaces (and spaces around '='), not
    one word of it printed; the settings' other values are."""
    port = free_port()
    secret = "quoted pass phrase %s" % PASSWORD
    settings = "host=127.0.0.1 port=%d dbname=kv user=%s password = '%s'" % (port, ROLE, secret)
    line = refused(new_dir(), settings, secrets=("quoted", "phrase", PASSWORD),
                   must=("host=127.0.0.1 port=%d" % port, "password = ***",
                         "Connection refused"))
    assert "pass " not in line, line


# ---- a refused password ------------------------------------------------------------------------

def test_refused_password_refused(cluster):
    data_dir, url = install(cluster, "password")
    before = dump(cluster, "password")
    wrong = "wrong-" + PASSWORD
    bad = cluster.url("password", password=wrong)
    for d in (data_dir, new_dir()):
        line = refused(d, bad, secrets=(wrong, PASSWORD),
                       must=("postgresql://%s:***@127.0.0.1:%d/password" % (ROLE, cluster.port),
                             "password authentication failed for user \"%s\"" % ROLE))
        assert "  " not in line and "\t" not in line, line  # libpq's layout on one line
    assert dump(cluster, "password") == before
    # the right password still works: the refusal was the password's
    d = Daemon(data_dir=data_dir, args=["--database-url", url]).start()
    try:
        assert [u["UserName"] for u in d.client("iam").list_users()["Users"]] == ["before-password"]
    finally:
        assert d.stop() == 0


# ---- a newer schema ----------------------------------------------------------------------------

def test_newer_schema_refused(cluster):
    data_dir, url = install(cluster, "newer")
    have = int(cluster.sql("newer", "SELECT MAX(version) FROM schema_migrations")[0][0])
    cluster.sql("newer", "INSERT INTO schema_migrations (version, applied_ms) VALUES (%d, 0)"
                % (have + 1))
    before = dump(cluster, "newer")
    for d in (data_dir, new_dir()):
        refused(d, url, must=("postgresql://%s:***@" % ROLE,
                              "has schema version %d, newer than this catalogd (%d)"
                              % (have + 1, have)))
    assert dump(cluster, "newer") == before


# ---- a read-only replica -----------------------------------------------------------------------

def test_hot_standby_refused(cluster):
    data_dir, _ = install(cluster, "replicated")
    before = dump(cluster, "replicated")
    standby = Standby(cluster).start()
    try:
        assert standby.sql("replicated", "SELECT pg_is_in_recovery()") == [["t"]]
        url = standby.url("replicated")
        for d in (data_dir, new_dir()):
            refused(d, url, must=("127.0.0.1:%d/replicated" % standby.port,
                                  "is a read-only replica (in recovery)", "primary"))
        # an empty database on the standby: refused as well, not taken for a first start
        cluster.create_db("empty_replicated")
        deadline = time.time() + 60
        while not standby.has_db("empty_replicated") and time.time() < deadline:
            time.sleep(0.1)
        refused(new_dir(), standby.url("empty_replicated"),
                must=("is a read-only replica (in recovery)",))
        assert dump(standby, "replicated") == before
    finally:
        standby.cleanup()
    assert dump(cluster, "replicated") == before


def test_read_only_database_refused(cluster):
    data_dir, url = install(cluster, "readonly")
    cluster.sql("postgres", "ALTER DATABASE readonly SET default_transaction_read_only = on")
    before = dump(cluster, "readonly")
    for d in (data_dir, new_dir()):
        refused(d, url, must=("127.0.0.1:%d/readonly" % cluster.port,
                              "is read-only (default_transaction_read_only)",
                              "writable primary"))
    assert dump(cluster, "readonly") == before
    cluster.sql("postgres", "ALTER DATABASE readonly RESET default_transaction_read_only")
    Daemon(data_dir=data_dir, args=["--database-url", url]).start().stop()


# ---- another program's database ----------------------------------------------------------------

def test_database_of_other_tables_refused(cluster):
    cluster.create_db("invoicing")
    cluster.sql("invoicing", "CREATE TABLE invoices (id int PRIMARY KEY, total numeric);"
                             " INSERT INTO invoices VALUES (1, 9.5), (2, 12)")
    url = cluster.url("invoicing")
    before = dump(cluster, "invoicing")
    line = refused(new_dir(), url, must=("127.0.0.1:%d/invoicing" % cluster.port,
                                         "is not a catalogd database",
                                         "it holds 1 table, not catalogd's"))
    assert dump(cluster, "invoicing") == before
    cluster.sql("invoicing", "CREATE TABLE meta (key text PRIMARY KEY, value text)")
    line = refused(new_dir(), url, must=("is not a catalogd database", "it holds 2 tables"))
    assert "catalogd's own" in line
    assert cluster.sql("invoicing", "SELECT COUNT(*) FROM invoices") == [["2"]]


# ---- two clusters pointed at each other's databases --------------------------------------------

def test_two_clusters_crossed_refused(cluster):
    """Cluster A's node (its key file) given cluster B's database, and the other way round:
    the key file does not open that database's secrets (h-seal's check value)."""
    a_dir, a_url = install(cluster, "cluster_a")
    b_dir, b_url = install(cluster, "cluster_b")
    a_before, b_before = dump(cluster, "cluster_a"), dump(cluster, "cluster_b")
    for data_dir, url in ((a_dir, b_url), (b_dir, a_url)):
        refused(data_dir, url, must=(os.path.join(data_dir, "master.key"),
                                     "does not open this database's secrets"))
    assert (dump(cluster, "cluster_a"), dump(cluster, "cluster_b")) == (a_before, b_before)


# ---- the offline commands ----------------------------------------------------------------------

def offline(*args, url):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CATALOGD_")}
    return subprocess.run([BIN] + list(args) + ["--database-url", url], capture_output=True,
                          text=True, env=env, timeout=120)


def test_jobs_and_account_commands_on_postgres(cluster):
    data_dir, url = install(cluster, "offline")
    p = offline("jobs", "stats", "--data-dir", data_dir, url=url)
    assert p.returncode == 0, p.stderr
    stats = json.loads(p.stdout)
    assert set(stats) == {"ready", "running", "done", "failed"} and stats["failed"] == 0
    p = offline("jobs", "failed", "--data-dir", data_dir, url=url)
    assert (p.returncode, p.stdout) == (0, ""), p.stderr
    made = offline("account", "create", "--name", "Offline", "--email", "offline@example.com",
                   "--data-dir", data_dir, url=url)
    assert made.returncode == 0, made.stderr
    p = offline("account", "list", "--data-dir", data_dir, url=url)
    assert p.returncode == 0, p.stderr
    assert "offline@example.com" in p.stdout
    # they worked on the database (the data directory holds no SQLite store): the daemon
    # serves the new account's root key
    assert not os.path.exists(os.path.join(data_dir, "catalogd.db"))
    account = re.search(r"Account (\d{12}) created", made.stdout).group(1)
    key, secret = re.search(r"AWS_ACCESS_KEY_ID=(\S+) AWS_SECRET_ACCESS_KEY=(\S+)",
                            made.stdout).groups()
    d = Daemon(data_dir=data_dir, args=["--database-url", url]).start()
    try:
        assert d.client("sts", key=key, secret=secret).get_caller_identity()["Account"] == account
    finally:
        assert d.stop() == 0
    # and a wrong password: refused with one line, no password, nothing changed
    before = dump(cluster, "offline")
    wrong = cluster.url("offline", password="wrong-" + PASSWORD)
    for args in (("jobs", "stats"), ("account", "list")):
        p = offline(*args, "--data-dir", data_dir, url=wrong)
        assert p.returncode != 0 and PASSWORD not in p.stdout + p.stderr, p.stderr
        line = one_line(p.stderr)
        assert "password authentication failed" in line, line
    assert dump(cluster, "offline") == before


def teardown_module():
    for d in _made:
        shutil.rmtree(d, ignore_errors=True)
