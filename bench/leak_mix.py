#!/usr/bin/python3
"""Writes the wrk Lua script of the leak check's request mix (bench/leak_check.sh).

usage: leak_mix.py ENDPOINT STATE_DIR OUT.lua

The mix, in turn on every connection: sts GetCallerIdentity (query), servicecatalog
ListPortfolios (JSON 1.1), DescribeRecord of a real record, and a GetCallerIdentity whose
signature is wrong (403 SignatureDoesNotMatch). The fifth kind, ThrottlingException, comes
from the connections leak_check.sh opens past --max-conns-per-client. The first call
builds the demo world (tools/demo_data.py: one provisioned product, whose launch record is
the one described) and keeps the record id in STATE_DIR/record. Requests are signed now:
they stay valid for the daemon's 15-minute skew window. done() prints a BENCH line with wrk's counters and the responses by kind, and
every response that is none of the expected kinds counts as `other`.
"""

import os
import sys

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(REPO, "tools"))
sys.path.insert(0, os.path.dirname(__file__))

from mkreq import lua_str  # noqa: E402

LUA = r"""
local reqs = { %(reqs)s }
local i = 0
n, ok, denied, throttled, other = 0, 0, 0, 0, 0
local threads = {}
function setup(thread) table.insert(threads, thread) end
function request() i = i %% #reqs + 1; return reqs[i] end
function response(status, headers, body)
  n = n + 1
  if status == 200 then ok = ok + 1
  elseif status == 403 and string.find(body, "SignatureDoesNotMatch", 1, true) then denied = denied + 1
  elseif status == 400 and string.find(body, "Throttling", 1, true) then throttled = throttled + 1
  else other = other + 1 end
end
function done(summary, latency, requests)
  local t = { n = 0, ok = 0, denied = 0, throttled = 0, other = 0 }
  for _, th in ipairs(threads) do
    for k, _ in pairs(t) do t[k] = t[k] + th:get(k) end
  end
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%%d seconds=%%.3f rps=%%.1f p99_us=%%d ok=%%d denied=%%d throttled=%%d other=%%d " ..
    "connect_errors=%%d read_errors=%%d write_errors=%%d timeouts=%%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(99), t.ok, t.denied, t.throttled, t.other,
    e.connect, e.read, e.write, e.timeout))
end
"""


def signed(endpoint, service, headers, body, bad=False):
    key = os.environ["CATALOGD_ROOT_ACCESS_KEY_ID"]
    secret = os.environ["CATALOGD_ROOT_SECRET_ACCESS_KEY"]
    region = os.environ.get("CATALOGD_REGION") or "us-east-1"
    req = AWSRequest(method="POST", url="http://%s/" % endpoint, data=body.encode(), headers=headers)
    SigV4Auth(Credentials(key, secret + ("x" if bad else "")), service, region).add_auth(req)
    hdrs = {k: v for k, v in req.headers.items()}
    hdrs.setdefault("Host", endpoint)
    return "wrk.format(\"POST\", \"/\", {%s}, %s)" % (
        ", ".join("[%s] = %s" % (lua_str(k), lua_str(v)) for k, v in hdrs.items()), lua_str(body))


def record_id(endpoint, state):
    path = os.path.join(state, "record")
    if not os.path.exists(path):
        import demo_data
        import boto3
        ids = demo_data.build("http://" + endpoint, os.environ.get("CATALOGD_REGION") or "us-east-1",
                              os.environ["CATALOGD_ROOT_ACCESS_KEY_ID"],
                              os.environ["CATALOGD_ROOT_SECRET_ACCESS_KEY"], os.path.join(state, "creds"))
        sc = boto3.client("servicecatalog", endpoint_url="http://" + endpoint,
                          region_name=os.environ.get("CATALOGD_REGION") or "us-east-1",
                          aws_access_key_id=os.environ["CATALOGD_ROOT_ACCESS_KEY_ID"],
                          aws_secret_access_key=os.environ["CATALOGD_ROOT_SECRET_ACCESS_KEY"])
        pp = sc.describe_provisioned_product(Id=ids["provisioned_product"])["ProvisionedProductDetail"]
        with open(path, "w") as f:
            f.write(pp["LastRecordId"])
    with open(path) as f:
        return f.read().strip()


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    endpoint, state, out = sys.argv[1], sys.argv[2], sys.argv[3]
    form = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    gci = "Action=GetCallerIdentity&Version=2011-06-15"

    def sc(op):
        return {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "AWS242ServiceCatalogService." + op}

    reqs = [
        signed(endpoint, "sts", form, gci),
        signed(endpoint, "servicecatalog", sc("ListPortfolios"), "{}"),
        signed(endpoint, "servicecatalog", sc("DescribeRecord"), '{"Id": "%s"}' % record_id(endpoint, state)),
        signed(endpoint, "sts", form, gci, bad=True),
    ]
    with open(out, "w") as f:
        f.write(LUA % {"reqs": ",\n  ".join(reqs)})


if __name__ == "__main__":
    main()
