#!/usr/bin/python3
"""Signs one catalogd request with botocore and writes a wrk Lua script replaying it.

usage: mkreq.py TARGET ENDPOINT OUT.lua      TARGET: gci | lp | lpu | nginx

gci    sts GetCallerIdentity (query protocol, form body, scope service sts)
lp     servicecatalog ListPortfolios (JSON 1.1, X-Amz-Target, body {})
lpu    the same ListPortfolios signed with an end user's key (CATALOGD_BENCH_USER_KEY:
       "ACCESS_KEY_ID SECRET", as bench/enduser.py prints it)
nginx  a plain GET / (the ceiling); no signature, no check

For gci and lp the request is sent once first (http.client, the exact method, headers
and body the script will replay) and must answer HTTP 200, else the exit status is 1.
A SigV4 signature stays valid for the daemon's skew window (15 minutes), so run.sh signs
afresh before every wrk run. Keys and region come from CATALOGD_ROOT_ACCESS_KEY_ID,
CATALOGD_ROOT_SECRET_ACCESS_KEY and CATALOGD_REGION (default us-east-1).
"""

import http.client
import os
import sys

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

# Printed by wrk once, after the run, from the merged statistics of all threads.
# summary.errors.status counts responses with a status above 399 (wrk's own rule).
DONE_HOOK = r"""
function done(summary, latency, requests)
  local e = summary.errors
  local secs = summary.duration / 1e6
  io.write(string.format(
    "BENCH requests=%d seconds=%.3f rps=%.1f p50_us=%d p90_us=%d p99_us=%d max_us=%d " ..
    "status_errors=%d connect_errors=%d read_errors=%d write_errors=%d timeouts=%d\n",
    summary.requests, secs, summary.requests / secs,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    e.status, e.connect, e.read, e.write, e.timeout))
end
"""


def lua_str(s):
    out = []
    for ch in s.encode("utf-8"):
        c = chr(ch)
        if c in '\\"':
            out.append("\\" + c)
        elif 32 <= ch < 127:
            out.append(c)
        else:
            out.append("\\%03d" % ch)
    return '"' + "".join(out) + '"'


def signed(target, endpoint):
    if target == "lpu":
        key, secret = os.environ["CATALOGD_BENCH_USER_KEY"].split()
    else:
        key = os.environ["CATALOGD_ROOT_ACCESS_KEY_ID"]
        secret = os.environ["CATALOGD_ROOT_SECRET_ACCESS_KEY"]
    region = os.environ.get("CATALOGD_REGION") or "us-east-1"
    if target == "gci":
        service = "sts"
        headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
        body = "Action=GetCallerIdentity&Version=2011-06-15"
    else:
        service = "servicecatalog"
        headers = {
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "AWS242ServiceCatalogService.ListPortfolios",
        }
        body = "{}"
    req = AWSRequest(method="POST", url="http://%s/" % endpoint, data=body.encode(), headers=headers)
    SigV4Auth(Credentials(key, secret), service, region).add_auth(req)
    hdrs = {k: v for k, v in req.headers.items()}
    hdrs.setdefault("Host", endpoint)  # SigV4Auth signs host from the URL; send the same
    return "POST", "/", hdrs, body


def check(endpoint, method, path, hdrs, body):
    host, port = endpoint.rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
    for k, v in hdrs.items():
        conn.putheader(k, v)
    conn.putheader("Content-Length", str(len(body.encode())))
    conn.endheaders(body.encode())
    r = conn.getresponse()
    data = r.read()
    conn.close()
    if r.status != 200:
        sys.stderr.write("bench: the signed request answered HTTP %d, not 200:\n%s\n"
                         % (r.status, data.decode("utf-8", "replace")[:2000]))
        return False
    return True


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("gci", "lp", "lpu", "nginx"):
        sys.stderr.write(__doc__)
        return 2
    target, endpoint, out = sys.argv[1:]
    lines = []
    if target == "nginx":
        lines.append('wrk.method = "GET"')
    else:
        method, path, hdrs, body = signed(target, endpoint)
        if not check(endpoint, method, path, hdrs, body):
            return 1
        lines.append("wrk.method = %s" % lua_str(method))
        lines.append("wrk.path = %s" % lua_str(path))
        lines.append("wrk.body = %s" % lua_str(body))  # wrk adds Content-Length
        for k, v in hdrs.items():
            lines.append("wrk.headers[%s] = %s" % (lua_str(k), lua_str(v)))
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n" + DONE_HOOK)
    return 0


if __name__ == "__main__":
    sys.exit(main())
