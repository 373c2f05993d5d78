"""Federated console sign-in on any node (issue 15): the sign-ins under way (state, nonce,
PKCE verifier) and the tickets of their credentials live in the store's console_pending
table, so behind a load balancer the identity provider's redirect and the page's collection
may reach another node than the one that started the sign-in. Two daemons on one
PostgreSQL database (pgcluster.py, the same master.key) play the nodes; each entry is taken
once, even by two nodes at once; the store holds them sealed, under the hash of their id;
expired ones are refused and swept, and at most 128 of a kind are kept."""

import hashlib
import os
import shutil
import tempfile
import threading
import time
import urllib.parse

import pytest
import requests

from conftest import Daemon, db_name, pg_cluster, store_sql
from oidc_idp import IdP
from oidc_idp import idp  # noqa: F401 (a fixture)
from helpers import allow, policy
from oidc_idp import web_trust
from test_console_federation import ROLE, ROLE_ARN, collect

pytestmark = pytest.mark.own_cluster

MASTER_KEY = "master.key"


def fed_args(idp):
    return ["--fetch-allow", "127.0.0.1/32", "--oidc-issuer", idp.url, "--oidc-client-id", "console",
            "--oidc-role-arn", ROLE_ARN, "--oidc-name", "TestIdP"]


def fed_env():
    return {"CATALOGD_OIDC_CLIENT_SECRET": IdP.client_secret}


def make_world(d, idp):
    """The IAM OIDC provider of the IdP and the role its users assume."""
    iam = d.client("iam")
    arn = iam.create_open_id_connect_provider(Url=idp.url, ClientIDList=["console"],
                                              ThumbprintList=[idp.thumbprint])["OpenIDConnectProviderArn"]
    iam.create_role(RoleName=ROLE, AssumeRolePolicyDocument=web_trust(arn, {idp.host + ":aud": "console"}))
    iam.put_role_policy(RoleName=ROLE, PolicyName="p", PolicyDocument=policy(allow("iam:ListRoles")))


@pytest.fixture(scope="module")
def nodes(idp):
    """Two catalogd nodes on one PostgreSQL database, each with its own data directory and
    the same master.key (node A's, copied before node B starts)."""
    dirs = [tempfile.mkdtemp(prefix="catalogd-fed-%s-" % n) for n in "ab"]
    pg = pg_cluster()
    name = db_name(dirs[0])
    url = pg.url(pg.create_db(name))
    made = []
    try:
        a = Daemon(data_dir=dirs[0], args=fed_args(idp) + ["--database-url", url], env=fed_env())
        made.append(a.start())
        shutil.copyfile(os.path.join(dirs[0], MASTER_KEY), os.path.join(dirs[1], MASTER_KEY))
        os.chmod(os.path.join(dirs[1], MASTER_KEY), 0o600)
        b = Daemon(data_dir=dirs[1], args=fed_args(idp) + ["--database-url", url], env=fed_env())
        made.append(b.start())
        make_world(a, idp)
        yield a, b
    finally:
        for d in made:
            rc = d.stop()
            d.cleanup()
            assert rc == 0, d.stderr()[-4000:]
        pg.drop_db(name)
        for p in dirs:
            shutil.rmtree(p, ignore_errors=True)


def start(d, idp, browser):
    """Starts a sign-in on d and logs in at the IdP; returns the callback URL the IdP sends
    the browser to (on d) and the state."""
    r = browser.get(d.endpoint + "/console/api/federation/start", allow_redirects=False)
    assert r.status_code == 302, r.text
    r = browser.get(r.headers["Location"], allow_redirects=False, verify=idp.cert)
    assert r.status_code == 302
    back = urllib.parse.urlsplit(r.headers["Location"])
    return back, dict(urllib.parse.parse_qsl(back.query))["state"]


def callback_on(d, browser, back):
    """The IdP's redirect, landing on d (as a load balancer may send it)."""
    return browser.get(d.endpoint + back.path + "?" + back.query, allow_redirects=False)


def count(d):
    """Rows of console_pending (psql's text on PostgreSQL)."""
    return int(store_sql(d.data_dir, "SELECT COUNT(*) FROM console_pending")[0][0])


def row_key(kind, ident):
    return "%s:%s" % (kind, hashlib.sha256(ident.encode()).hexdigest())


def test_sign_in_started_on_one_node_ends_on_the_other(nodes, idp):
    a, b = nodes
    idp.login_claims = {"preferred_username": "two.nodes"}
    browser = requests.Session()  # its cookies go to every port of 127.0.0.1, as to a balancer
    back, _ = start(a, idp, browser)
    assert back.geturl().startswith(a.endpoint + "/console/api/federation/callback?")
    r = callback_on(b, browser, back)
    assert r.status_code == 302 and r.headers["Location"] == "/console/?federated=1", r.text
    answer = collect(a, browser)  # the ticket B made, collected on A
    assert answer.status_code == 200, answer.text
    arn = answer.json()["Identity"]["Arn"]
    assert arn.endswith(":assumed-role/%s/two.nodes" % ROLE)
    c = answer.json()["Credentials"]
    creds = dict(key=c["AccessKeyId"], secret=c["SecretAccessKey"], token=c["SessionToken"])
    assert b.client("sts", **creds).get_caller_identity()["Arn"] == arn
    assert a.client("sts", **creds).get_caller_identity()["Arn"] == arn
    # good once, on either node
    assert collect(b, browser).status_code == 401
    assert collect(a, browser).status_code == 401
    assert callback_on(a, browser, back).status_code == 400


def both_at_once(fn_a, fn_b):
    """Runs fn_a and fn_b on two threads released together; returns their answers."""
    gate = threading.Barrier(2)
    out = [None, None]

    def run(i, fn):
        gate.wait()
        out[i] = fn()

    ts = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate((fn_a, fn_b))]
    for t in ts:
        t.start()
    for t in ts:
        t.join(60)
    return out


def test_two_nodes_never_both_take_one(nodes, idp):
    """The same state at both nodes at once, then the same ticket at both at once: each
    time exactly one node takes it (read and delete in one write transaction, writers
    serialized across nodes), the other finds nothing."""
    a, b = nodes
    idp.login_claims = {"preferred_username": "racer"}
    for _ in range(4):
        browser = requests.Session()
        back, _ = start(a, idp, browser)
        cookies = browser.cookies.get_dict()
        ra, rb = both_at_once(lambda: requests.get(a.endpoint + back.path + "?" + back.query, cookies=cookies,
                                                   allow_redirects=False),
                              lambda: requests.get(b.endpoint + back.path + "?" + back.query, cookies=cookies,
                                                   allow_redirects=False))
        codes = sorted([ra.status_code, rb.status_code])
        assert codes == [302, 400], (ra.text, rb.text)
        won, lost = (ra, rb) if ra.status_code == 302 else (rb, ra)
        assert "has expired or was already used" in lost.text
        ticket = won.cookies.get_dict()
        ca, cb = both_at_once(lambda: requests.post(a.endpoint + "/console/api/federation/session", json={},
                                                    cookies=ticket),
                              lambda: requests.post(b.endpoint + "/console/api/federation/session", json={},
                                                    cookies=ticket))
        assert sorted([ca.status_code, cb.status_code]) == [200, 401], (ca.text, cb.text)
        got = ca if ca.status_code == 200 else cb
        assert got.json()["Identity"]["Arn"].endswith(":assumed-role/%s/racer" % ROLE)


@pytest.fixture
def single(fresh_daemon, idp):
    d = fresh_daemon(args=fed_args(idp), env=fed_env())
    make_world(d, idp)
    return d


def test_the_store_holds_them_sealed(single, idp):
    """A row is named by the hash of its state or ticket and holds neither the PKCE verifier
    nor the credentials in clear."""
    d = single
    browser = requests.Session()
    back, state = start(d, idp, browser)
    rows = dict(store_sql(d.data_dir, "SELECT key, body FROM console_pending"))
    assert list(rows) == [row_key("state", state)]
    assert state not in rows[row_key("state", state)] and rows[row_key("state", state)].startswith("v2:")
    r = callback_on(d, browser, back)
    assert r.status_code == 302, r.text
    verifier = idp.token_requests[-1]["code_verifier"]
    ticket = browser.cookies.get("catalogd_fed_ticket")
    rows = dict(store_sql(d.data_dir, "SELECT key, body FROM console_pending"))
    assert list(rows) == [row_key("ticket", ticket)]  # the state was taken
    body = rows[row_key("ticket", ticket)]
    answer = collect(d, browser)
    assert answer.status_code == 200, answer.text
    c = answer.json()["Credentials"]
    for clear in (c["SecretAccessKey"], c["SessionToken"], c["AccessKeyId"], ticket, verifier):
        assert clear not in body
    assert store_sql(d.data_dir, "SELECT key FROM console_pending") == []


def test_expired_ones_are_refused_and_swept(single, idp):
    """An entry past its time is never taken, on any node: here the daemon comes back with a
    clock 11 minutes on (past the sign-in's 10 and the ticket's 2); the next sign-in that
    starts sweeps every expired row."""
    d = single
    with_ticket, waiting = requests.Session(), requests.Session()
    back, _ = start(d, idp, with_ticket)
    assert callback_on(d, with_ticket, back).status_code == 302
    back, _ = start(d, idp, waiting)
    start(d, idp, requests.Session())
    assert count(d) == 3
    assert d.stop() == 0
    d.extra_env["CATALOGD_CLOCK_OFFSET_MS"] = str(11 * 60 * 1000)
    d.start()
    r = callback_on(d, waiting, back)
    assert r.status_code == 400 and "has expired or was already used" in r.text
    assert collect(d, with_ticket).status_code == 401
    assert count(d) == 1  # the third's state
    _, state = start(d, idp, requests.Session())
    assert [k for (k,) in store_sql(d.data_dir, "SELECT key FROM console_pending")] == [row_key("state", state)]


def test_at_most_128_sign_ins_are_kept(single, idp):
    """As the in-memory table did, the store keeps 128 sign-ins under way: one more started
    makes room by dropping the one that expires first. (127 others are written behind the
    daemon's back, expiring after the first: 128 starts through the IdP take a minute on
    a loaded machine.)"""
    d = single
    first = requests.Session()
    back, state = start(d, idp, first)
    later = int(time.time() * 1000) + 20 * 60 * 1000
    store_sql(d.data_dir, "INSERT INTO console_pending (key, body, until_ms) VALUES (?, ?, ?)",
              many=[(row_key("state", "other-%d" % i), "v1:none", later + i) for i in range(127)])
    assert count(d) == 128
    last = requests.Session()
    back_last, _ = start(d, idp, last)
    assert count(d) == 128
    assert store_sql(d.data_dir, "SELECT key FROM console_pending WHERE key = ?", (row_key("state", state),)) == []
    r = callback_on(d, first, back)
    assert r.status_code == 400 and "has expired or was already used" in r.text
    r = callback_on(d, last, back_last)
    assert r.status_code == 302 and r.headers["Location"] == "/console/?federated=1", r.text
    assert collect(d, last).status_code == 200
