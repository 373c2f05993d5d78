#!/usr/bin/python3
"""bench/loadgen_setup.py - prepares a running catalogd for bench/loadgen (boto3, the public
API): the tutorial's world (end user in a group with three managed policies, portfolio,
product, launch constraint and role, the AWS-RestartEC2Instance service action associated
with v1.0, the one-step runbook BenchNap) and K provisioned products of the end user, then
writes the configuration file the generator reads (keys, ids, endpoint).

    bench/loadgen_setup.py --endpoint http://127.0.0.1:PORT --products 64 --out lg.conf
    build/loadgen --config lg.conf --scenario flow -c 64 -d 10

The root keys come from --root-key/--root-secret or CATALOGD_ROOT_ACCESS_KEY_ID /
CATALOGD_ROOT_SECRET_ACCESS_KEY. Run it once per data directory (it creates the world).
Start the daemon with --ec2-delay-ms 0 for zero-delay emulated instances.
"""

import argparse
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_world  # noqa: E402


def setup(endpoint, root_key, root_secret, products, out, region="us-east-1", threads=8):
    """The world and the products; writes out; returns the world dict (with "pps")."""
    fd, creds = tempfile.mkstemp(prefix="loadgen-creds-")
    os.close(fd)
    try:
        w = bench_world.tutorial_world(endpoint, region, root_key, root_secret, creds)
    finally:
        os.unlink(creds)
    key, secret = w["keys"]["enduser"]
    w["pps"] = bench_world.provision(endpoint, region, key, secret, w["product"], w["versions"]["v1.0"], products,
                                     threads=threads) if products else []
    bench_world.write_loadgen_config(out, endpoint, region, root_key, root_secret, w, w["pps"])
    return w


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--region", default="us-east-1")
    ap.add_argument("--root-key", default=os.environ.get("CATALOGD_ROOT_ACCESS_KEY_ID"))
    ap.add_argument("--root-secret", default=os.environ.get("CATALOGD_ROOT_SECRET_ACCESS_KEY"))
    ap.add_argument("--products", type=int, default=64, help="provisioned products to make (K)")
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--out", required=True, help="the configuration file to write")
    a = ap.parse_args()
    if not (a.root_key and a.root_secret):
        sys.exit("loadgen_setup: give the root keys (--root-key/--root-secret or CATALOGD_ROOT_*)")
    w = setup(a.endpoint, a.root_key, a.root_secret, a.products, a.out, a.region, a.threads)
    print("loadgen_setup: %s written (%d provisioned products, action %s)" % (a.out, len(w["pps"]), w["action"]))


if __name__ == "__main__":
    main()
