#!/usr/bin/python3
"""Sets up an end user of Service Catalog on a running catalogd and prints its access key.

usage: enduser.py ENDPOINT          (root keys from CATALOGD_ROOT_ACCESS_KEY_ID /
                                     CATALOGD_ROOT_SECRET_ACCESS_KEY, region CATALOGD_REGION)

The world is bench_world.tutorial_world's, the one the C load generator's end user works in
(bench/loadgen_setup.py): the demo world's `enduser`, whose access comes only through its
group and three managed policies, so that every call it makes is decided by policy
evaluation (issue 16's end-user scenario). Prints one line: ACCESS_KEY_ID SECRET.
"""

import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_world  # noqa: E402


def main():
    if len(sys.argv) != 2:
        sys.stderr.write(__doc__)
        return 2
    endpoint = "http://" + sys.argv[1]
    region = os.environ.get("CATALOGD_REGION") or "us-east-1"
    with tempfile.TemporaryDirectory() as tmp:
        w = bench_world.tutorial_world(endpoint, region, os.environ["CATALOGD_ROOT_ACCESS_KEY_ID"],
                                       os.environ["CATALOGD_ROOT_SECRET_ACCESS_KEY"],
                                       os.path.join(tmp, "credentials"))
    key, secret = w["keys"]["enduser"]
    print(key, secret)
    return 0


if __name__ == "__main__":
    sys.exit(main())
