"""bench/loadgen (the C load generator of issue 16) against a real daemon: its requests are
answered (SigV4 with catalogd's own code, as root and as the tutorial's end user), and
under its load every service-action execution it starts ends exactly once, SUCCEEDED. No
timing is asserted: speed is the benchmark's business (make bench)."""

import os
import subprocess
import sys

import pytest

from conftest import BIN, REGION, REPO, ROOT_KEY, ROOT_SECRET, Daemon

sys.path.insert(0, os.path.join(REPO, "bench"))
import bench_world  # noqa: E402
import loadgen_setup  # noqa: E402

LOADGEN = os.path.join(os.path.dirname(BIN), "loadgen")


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    if not os.path.exists(LOADGEN):
        pytest.fail("no load generator next to the daemon: %s (cmake --build builds it)" % LOADGEN)
    d = Daemon(args=["--ec2-delay-ms", "0", "--template-dir", os.path.join(REPO, "data", "templates")]).start()
    conf = str(tmp_path_factory.mktemp("loadgen") / "lg.conf")
    w = loadgen_setup.setup(d.endpoint, ROOT_KEY, ROOT_SECRET, 6, conf, REGION, threads=3)
    yield d, w, conf
    rc = d.stop()
    d.cleanup()
    assert rc == 0


def loadgen(conf, *args):
    p = subprocess.run([LOADGEN, "--config", conf] + list(args), capture_output=True, text=True, timeout=300)
    rows = [dict(kv.split("=", 1) for kv in line.split()[1:]) for line in p.stdout.splitlines()
            if line.startswith("RESULT ")]
    return p, rows


def test_signed_reads_as_root_and_as_the_end_user_all_succeed(world):
    d, _, conf = world
    for scenario in ("gci", "lp", "lp-user"):
        p, rows = loadgen(conf, "--scenario", scenario, "-c", "4", "-d", "1", "-w", "0",
                          "--server-pid", str(d.proc.pid))
        assert p.returncode == 0, p.stdout + p.stderr
        assert len(rows) == 1 and rows[0]["errors"] == "0", p.stdout
        assert int(rows[0]["reqs"]) > 0, p.stdout


def test_a_refused_request_fails_the_run_with_its_body(world, tmp_path):
    d, _, conf = world
    bad = tmp_path / "bad.conf"
    bad.write_text(open(conf).read().replace("root_secret=", "root_secret=x"))
    p, rows = loadgen(str(bad), "--scenario", "lp", "-c", "2", "-d", "1", "-w", "0")
    assert p.returncode == 1, p.stdout + p.stderr
    assert "HTTP 400" in p.stderr and "InvalidSignatureException" in p.stderr, p.stderr
    assert rows and rows[0]["errors"] != "0"


def test_flows_under_load_end_exactly_once(world, tmp_path):
    d, w, conf = world
    ids = tmp_path / "ids"
    p, rows = loadgen(conf, "--scenario", "flow", "-c", "6", "-t", "2", "-d", "2", "-w", "0", "--poll-ms", "1",
                      "--ids", str(ids), "--server-pid", str(d.proc.pid))
    assert p.returncode == 0, p.stdout + p.stderr
    assert rows[0]["errors"] == "0" and int(rows[0]["flows"]) > 0, p.stdout
    # then a burst: each product once, followed until every record ended
    p, rows = loadgen(conf, "--scenario", "execute", "-c", "3", "--wait", "--ids", str(ids))
    assert p.returncode == 0, p.stdout + p.stderr
    assert rows[0]["flows"] == "6" and rows[0]["reqs"] == "6", p.stdout
    started = ids.read_text().split()
    assert len(started) >= int(rows[0]["flows"]) + 6
    key, secret = w["keys"]["enduser"]
    assert bench_world.verify_records(d.endpoint, REGION, key, secret, started) == []
    # and every product is usable again
    sc = d.client("servicecatalog", key=key, secret=secret)
    for pp in w["pps"]:
        assert sc.describe_provisioned_product(Id=pp)["ProvisionedProductDetail"]["Status"] == "AVAILABLE"
