"""State two catalogd nodes on one PostgreSQL database must agree on (issue 15, Deliver 3;
docs/internals/cluster.md): a console sign-in lock earned through node A holds on node B,
and the Automation start rate is the account's, not a node's. And a console sign-in while
the database is away answers 503 ServiceUnavailable (retry), never a wrong answer. The
cluster is the test's own (pgcluster.py), on either pass of the suite."""

import os
import shutil
import tempfile

import pytest
from botocore.exceptions import ClientError

from conftest import Daemon
from helpers import error_of
from pgcluster import PgCluster
from test_console_signin import ROOT_PASSWORD, sign_in
from test_ssm_automation import LISTING_DOC, create_doc, start, throttled_or_id, wait_for

pytestmark = pytest.mark.own_cluster


@pytest.fixture(scope="module")
def cluster():
    c = PgCluster().start()
    yield c
    c.cleanup()


@pytest.fixture
def two_nodes(cluster, request):
    """Nodes a and b on one new database, b with a's sealing key (as a deployment shares it)."""
    url = cluster.url(cluster.create_db("two_" + request.node.name[-40:].lower()))
    args = ["--database-url", url, "--automation-start-rate", "1"]
    env = {"CATALOGD_ROOT_PASSWORD": ROOT_PASSWORD}
    a = Daemon(args=args, env=env).start()
    b_dir = tempfile.mkdtemp(prefix="catalogd-test-")
    shutil.copy(os.path.join(a.data_dir, "master.key"), b_dir)
    b = Daemon(data_dir=b_dir, args=args, env=env).start()
    yield a, b
    for d in (a, b):
        assert d.stop() == 0
        d.cleanup()
    shutil.rmtree(b_dir, ignore_errors=True)


def test_a_lock_earned_on_one_node_holds_on_the_other(two_nodes):
    a, b = two_nodes
    for node in (a, b, a, b, a):  # the failures count together, wherever they land
        assert sign_in(node, "root", "guess")[0] == 401
    for node in (b, a):
        status, out = sign_in(node, "root", ROOT_PASSWORD)
        assert (status, out["code"]) == (429, "TooManySignInAttempts"), out
    assert sign_in(b, "root", ROOT_PASSWORD, source="127.0.0.2")[0] == 200


def test_the_start_rate_is_the_accounts(two_nodes):
    a, b = two_nodes
    # b's clock 30 s behind a's: however long passes between the two calls below on a
    # loaded machine, the shared bucket gains no token meanwhile
    assert b.stop() == 0
    b.extra_env["CATALOGD_CLOCK_OFFSET_MS"] = "-30000"
    b.start()
    on_a, on_b = a.client("ssm"), b.client("ssm")
    create_doc(on_a, "quick", LISTING_DOC)
    assert wait_for(lambda: throttled_or_id(on_a), 10, "a start on node a", interval=0.2)
    # the burst of one is spent on a: b refuses too (a bucket per node would accept)
    for _ in range(3):
        with pytest.raises(ClientError) as e:
            start(on_b, "quick")
        assert error_of(e) == ("ThrottlingException", "Rate exceeded")


def test_sign_in_while_the_database_is_away_is_retryable(cluster):
    url = cluster.url(cluster.create_db("away"))
    d = Daemon(args=["--database-url", url], env={"CATALOGD_ROOT_PASSWORD": ROOT_PASSWORD}).start()
    try:
        assert sign_in(d, "root", ROOT_PASSWORD)[0] == 200
        cluster.stop()
        try:
            status, out = sign_in(d, "root", ROOT_PASSWORD)
            assert (status, out["code"]) == (503, "ServiceUnavailable"), out
        finally:
            cluster.start()
        status, out = wait_for(lambda: (lambda r: r if r[0] == 200 else None)(sign_in(d, "root", ROOT_PASSWORD)),
                               30, "sign-in after the database is back", interval=0.5)
        assert out["Identity"]["Type"] == "root"
    finally:
        assert d.stop() == 0
        d.cleanup()
