"""The whole output of a Run Command plugin through a signed, authorized path (catalogd's
extension; AWS would put it in S3): GetCommandInvocation keeps AWS's 24,000 characters,
and GET /_catalogd/command-output, signed with SigV4 for ssm, answers every byte to a
caller allowed ssm:GetCommandInvocation, and AccessDeniedException to one who is not."""

import json
import subprocess
import urllib.error
import urllib.parse
import urllib.request

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from conftest import REGION, ROOT_KEY, ROOT_SECRET, Daemon
from helpers import allow, new_user, serve, wait_for
from test_run_command import node_args, run_instance, send

LINE = "0123456789abcdefghi\n"
WHOLE = (LINE * (102400 // len(LINE) + 1))[:102400]


@pytest.fixture(scope="module")
def d():
    yield from serve(Daemon(args=node_args()))


@pytest.fixture(scope="module")
def big(d):
    """A finished command that printed 100 kB on stdout and a line on stderr."""
    ssm, ec2 = d.client("ssm"), d.client("ec2")
    iid = run_instance(ec2)
    cid = send(ssm, [iid], ["yes 0123456789abcdefghi | head -c 102400", "echo warn >&2"])
    wait_for(lambda: ssm.get_command_invocation(CommandId=cid, InstanceId=iid)["Status"] == "Success",
             what="the command to succeed")
    return cid, iid


def fetch(d, query, key=ROOT_KEY, secret=ROOT_SECRET, method="GET", sign=True):
    """(HTTP status, body bytes, content type) of a request to /_catalogd/command-output."""
    url = d.endpoint + "/_catalogd/command-output?" + urllib.parse.urlencode(query)
    headers = {}
    if sign:
        req = AWSRequest(method=method, url=url)
        SigV4Auth(Credentials(key, secret), "ssm", REGION).add_auth(req)
        headers = dict(req.headers.items())
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers, method=method), timeout=30) as r:
            return r.status, r.read(), r.headers.get("Content-Type")
    except urllib.error.HTTPError as e:
        return e.code, e.read(), e.headers.get("Content-Type")


def error_code(body):
    return json.loads(body)["__type"].split("#")[-1]


def test_the_api_keeps_aws_truncation(d, big):
    cid, iid = big
    g = d.client("ssm").get_command_invocation(CommandId=cid, InstanceId=iid)
    assert g["StandardOutputContent"] == WHOLE[:24000]


def test_an_allowed_caller_reads_the_whole_output(d, big):
    cid, iid = big
    key, secret = new_user(d.client("iam"), "reader", [allow(["ssm:GetCommandInvocation"])])
    status, body, ctype = fetch(d, {"CommandId": cid, "InstanceId": iid}, key, secret)
    assert (status, ctype) == (200, "application/octet-stream")
    assert body == WHOLE.encode()
    status, body, _ = fetch(d, {"CommandId": cid, "InstanceId": iid, "PluginName": "aws:runShellScript",
                                "Stream": "stderr"}, key, secret)
    assert (status, body) == (200, b"warn\n")


def test_curl_reads_it_with_its_own_sigv4(d, big):
    cid, iid = big
    url = d.endpoint + "/_catalogd/command-output?" + urllib.parse.urlencode({"CommandId": cid, "InstanceId": iid})
    p = subprocess.run(["curl", "-sS", "--fail-with-body", "--aws-sigv4", "aws:amz:%s:ssm" % REGION,
                        "--user", "%s:%s" % (ROOT_KEY, ROOT_SECRET), url], capture_output=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert p.stdout == WHOLE.encode()


def test_a_caller_without_the_permission_is_denied(d, big):
    cid, iid = big
    key, secret = new_user(d.client("iam"), "lister", [allow(["ssm:ListCommands"])])
    status, body, _ = fetch(d, {"CommandId": cid, "InstanceId": iid}, key, secret)
    assert status == 400 and error_code(body) == "AccessDeniedException", body
    assert b"ssm:GetCommandInvocation" in body and b"0123456789" not in body


def test_unsigned_bad_and_unknown_requests_are_refused(d, big):
    cid, iid = big
    status, body, _ = fetch(d, {"CommandId": cid, "InstanceId": iid}, sign=False)
    assert status in (400, 403) and error_code(body) == "MissingAuthenticationTokenException", body
    status, body, _ = fetch(d, {"CommandId": cid, "InstanceId": iid}, secret="wrong" + ROOT_SECRET[5:])
    assert (status, error_code(body)) == (400, "InvalidSignatureException"), body
    status, body, _ = fetch(d, {"CommandId": cid, "InstanceId": "i-0000000000000000a"})
    assert error_code(body) == "InvocationDoesNotExist", body
    status, body, _ = fetch(d, {"CommandId": cid, "InstanceId": iid, "PluginName": "nope"})
    assert error_code(body) == "InvalidPluginName", body
    status, body, _ = fetch(d, {"CommandId": cid, "InstanceId": iid, "Stream": "both"})
    assert status == 400, body
    status, body, _ = fetch(d, {"InstanceId": iid})
    assert status == 400 and error_code(body) == "ValidationException", body
