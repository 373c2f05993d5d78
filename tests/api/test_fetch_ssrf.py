"""Outbound fetches (issue 11, Deliver 6): a template URL (CloudFormation TemplateURL in
CreateStack / UpdateStack / ValidateTemplate, Service Catalog LoadTemplateFromURL) never
reaches loopback, link-local (the instance metadata address), private or otherwise refused
addresses, whether named directly, through a host name, in another spelling, or behind a
redirect, unless the operator's allow-list (--fetch-allow / CATALOGD_FETCH_ALLOW) names them.
The caller learns nothing about the remote side: a refused address, a closed port, a port that
never answers, a 404 and a 500 with a body all give the one AWS message (the reason is in the
log, with the request id). A runbook step's fetch goes through the same client. And the fetch
never runs on an HTTP thread: calls whose template server never answers hold up nobody else,
a full fetch queue answers Throttling at once, and a stopping daemon answers the calls still
waiting (ServiceUnavailable).

No test sends traffic to a non-loopback address: every such address is refused before a
socket is opened. Servers here listen on 127.0.0.1 (and 127.0.0.2, also loopback on Linux).
"""

import http.server
import socket
import subprocess
import threading
import time

import pytest
from botocore.exceptions import ClientError

import awsraw

from conftest import BIN, Daemon
from helpers import fails, serve, wait_for

TEMPLATE = b"Resources:\n  H:\n    Type: AWS::CloudFormation::WaitConditionHandle\n"
CFN_MSG = "TemplateURL must reference a valid S3 object to which you have access."
SC_MSG = "LoadTemplateFromURL must reference a template to which you have access."
SECRET = "ami-metadata-secret-0123456789"


class Recorder(http.server.BaseHTTPRequestHandler):
    """Serves TEMPLATE at /t.yaml, a 500 with SECRET in the body at /secret, a redirect to
    the URL after /redirect?, and 404 elsewhere; records every path it is asked for."""

    def do_GET(self):
        self.server.asked.append(self.path)
        if self.path == "/t.yaml":
            self._send(200, TEMPLATE)
        elif self.path == "/secret":
            self._send(500, SECRET.encode())
        elif self.path.startswith("/redirect?"):
            self.send_response(302)
            self.send_header("Location", self.path.split("?", 1)[1])
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            self._send(404, b"no such template: " + SECRET.encode())

    def _send(self, status, body):
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


@pytest.fixture
def web():
    """Yields a function starting a Recorder on host; all stop at the end."""
    servers = []

    def start(host="127.0.0.1"):
        srv = http.server.ThreadingHTTPServer((host, 0), Recorder)
        srv.asked = []
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        servers.append(srv)
        return srv

    yield start
    for srv in servers:
        srv.shutdown()
        srv.server_close()


@pytest.fixture
def silent():
    """A loopback port that accepts connections (the kernel completes the handshake) and
    never answers; yields it, then closes it."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(64)
    yield s
    s.close()


@pytest.fixture(scope="module")
def d():
    """Defaults: nothing refused is allowed."""
    yield from serve(Daemon())


@pytest.fixture(scope="module")
def allowed():
    """The operator allows 127.0.0.1 only (through the environment); two HTTP threads."""
    yield from serve(Daemon(args=["--http-threads", "2"], env={"CATALOGD_FETCH_ALLOW": "127.0.0.1/32"}))


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def refused(call, **kw):
    """(code, message, request id) of a call that must fail."""
    with pytest.raises(ClientError) as e:
        call(**kw)
    r = e.value.response
    return r["Error"]["Code"], r["Error"].get("Message", ""), r["ResponseMetadata"]["RequestId"]


def create_product(sc, url, token):
    return sc.create_product(
        Name="p-" + token, Owner="IT", ProductType="CLOUD_FORMATION_TEMPLATE", IdempotencyToken=token,
        ProvisioningArtifactParameters={"Info": {"LoadTemplateFromURL": url}},
    )


def test_refused_addresses_are_never_fetched(d, web):
    srv = web()
    port = srv.server_address[1]
    cf, sc = d.client("cloudformation"), d.client("servicecatalog")
    urls = [
        "http://127.0.0.1:%d/t.yaml" % port,
        "http://localhost:%d/t.yaml" % port,  # a name that resolves to loopback
        "http://2130706433:%d/t.yaml" % port,  # 127.0.0.1 spelt as one number
        "http://[::1]:%d/t.yaml" % port,
        "http://[::ffff:127.0.0.1]:%d/t.yaml" % port,  # IPv4-mapped IPv6
        "http://0.0.0.0:%d/t.yaml" % port,
        "http://169.254.169.254/latest/meta-data/",  # instance metadata
        "http://[fd00:ec2::254]/latest/meta-data/",
        "http://10.0.0.1/t.yaml",
        "http://172.16.5.4/t.yaml",
        "http://192.168.1.1/t.yaml",
        "http://100.64.0.1/t.yaml",
        "http://224.0.0.1/t.yaml",
    ]
    ids = {}
    for i, url in enumerate(urls):
        code, msg, rid = refused(cf.create_stack, StackName="ssrf%d" % i, TemplateURL=url)
        assert (code, msg) == ("ValidationError", CFN_MSG), url
        ids[rid] = url
        assert refused(cf.validate_template, TemplateURL=url)[:2] == ("ValidationError", CFN_MSG), url
        code, msg, rid = refused(create_product, sc=sc, url=url, token="t%d" % i)
        assert (code, msg) == ("InvalidParametersException", SC_MSG), url
        ids[rid] = url
    assert srv.asked == []  # not one request reached the server
    assert cf.list_stacks()["StackSummaries"] == []
    assert sc.search_products_as_admin()["ProductViewDetails"] == []
    # the operator learns why, by request id
    lines = {l.get("request_id"): l for l in d.log() if l.get("msg") == "template fetch failed"}
    for rid, url in ids.items():
        assert rid in lines, url
        assert "refused" in lines[rid]["reason"], lines[rid]
    assert "loopback" in lines[next(r for r, u in ids.items() if "localhost" in u)]["reason"]
    assert "link-local" in lines[next(r for r, u in ids.items() if "169.254" in u)]["reason"]


def test_an_allowed_loopback_address_serves_templates(allowed, web):
    srv = web()
    url = "http://127.0.0.1:%d/t.yaml" % srv.server_address[1]
    cf = allowed.client("cloudformation")
    cf.validate_template(TemplateURL=url)
    cf.create_stack(StackName="allowed", TemplateURL=url)
    s = wait_for(lambda: [x for x in cf.describe_stacks(StackName="allowed")["Stacks"]
                          if x["StackStatus"] == "CREATE_COMPLETE"], what="the stack")
    assert s
    pid = create_product(allowed.client("servicecatalog"), url, "allowed")["ProductViewDetail"]
    assert pid["ProductViewSummary"]["Name"] == "p-allowed"
    assert srv.asked == ["/t.yaml"] * 3
    # 127.0.0.2 is loopback but not on the allow-list
    other = web("127.0.0.2")
    code, msg, _ = refused(cf.validate_template, TemplateURL="http://127.0.0.2:%d/t.yaml" % other.server_address[1])
    assert (code, msg) == ("ValidationError", CFN_MSG)
    assert other.asked == []


def test_a_redirect_to_a_refused_address_is_not_followed(allowed, web):
    srv = web()
    inner = web("127.0.0.2")
    base = "http://127.0.0.1:%d/redirect?" % srv.server_address[1]
    cf = allowed.client("cloudformation")
    # a redirect between allowed addresses is followed
    cf.validate_template(TemplateURL=base + "/t.yaml")
    for target in ("http://127.0.0.2:%d/t.yaml" % inner.server_address[1],
                   "http://169.254.169.254/latest/meta-data/iam/security-credentials/"):
        code, msg, _ = refused(cf.validate_template, TemplateURL=base + target)
        assert (code, msg) == ("ValidationError", CFN_MSG), target
    assert inner.asked == []
    assert srv.asked.count("/t.yaml") == 1


def test_failures_look_alike_and_never_echo_the_remote(allowed, web, silent):
    srv = web()
    cf = allowed.client("cloudformation")
    sc = allowed.client("servicecatalog")
    base = "http://127.0.0.1:%d" % srv.server_address[1]
    urls = [
        "http://127.0.0.1:%d/t.yaml" % closed_port(),  # connection refused
        "http://127.0.0.1:%d/t.yaml" % silent.getsockname()[1],  # accepted, never answered
        base + "/missing.yaml",  # 404 with a body
        base + "/secret",  # 500 with a body
        "http://10.1.2.3/t.yaml",  # refused before connecting
    ]
    answers = set()
    for i, url in enumerate(urls):
        code, msg, _ = refused(cf.create_stack, StackName="f%d" % i, TemplateURL=url)
        answers.add((code, msg))
        assert SECRET not in msg
        if i != 1:  # (the silent port once is enough: each try waits out the fetch timeout)
            code, msg, _ = refused(create_product, sc=sc, url=url, token="f%d" % i)
            answers.add((code, msg))
    assert answers == {("ValidationError", CFN_MSG), ("InvalidParametersException", SC_MSG)}
    # a URL that is not http(s) at all is another class, as in AWS
    assert refused(cf.validate_template, TemplateURL="gopher://127.0.0.1/x")[:2] == (
        "ValidationError", "TemplateURL must be a supported URL.")


def test_a_silent_template_server_stalls_nobody_else(allowed, silent):
    url = "http://127.0.0.1:%d/t.yaml" % silent.getsockname()[1]
    done = []  # (what, time) in completion order
    clients = [allowed.client("cloudformation") for _ in range(6)]

    def create(i):
        try:
            clients[i].create_stack(StackName="stall%d" % i, TemplateURL=url)
        except ClientError:
            pass
        done.append(("create", time.monotonic()))

    creators = [threading.Thread(target=create, args=(i,), daemon=True) for i in range(6)]
    for t in creators:
        t.start()
    time.sleep(1)  # the creates are in (three times as many as there are HTTP threads)
    assert not done
    sts = allowed.client("sts")
    cf = allowed.client("cloudformation")
    for _ in range(3):
        assert sts.get_caller_identity()["Account"]
        cf.list_stacks()
        done.append(("other", time.monotonic()))
    # every other call answered while every create was still waiting on the silent server
    assert [w for w, _ in done[:3]] == ["other"] * 3, done
    silent.close()  # the waiting connections are reset: the creates end now
    for t in creators:
        t.join(60)
    assert sorted(w for w, _ in done) == ["create"] * 6 + ["other"] * 3


def test_a_full_fetch_queue_answers_throttling(allowed, silent):
    """8 fetch threads and 16 waiting: the 25th call at once is throttled, not queued."""
    url = "http://127.0.0.1:%d/t.yaml" % silent.getsockname()[1]
    clients = [allowed.client("cloudformation") for _ in range(30)]
    results = []

    def create(i):
        try:
            clients[i].create_stack(StackName="full%d" % i, TemplateURL=url)
            results.append(("created", ""))
        except ClientError as e:
            r = e.response
            results.append((r["Error"]["Code"], r["Error"].get("Message", "")))

    threads = [threading.Thread(target=create, args=(i,), daemon=True) for i in range(30)]
    for t in threads:
        t.start()
    wait_for(lambda: len(results) >= 6, timeout=8, what="six calls refused while the rest wait")
    assert sorted(results) == [("Throttling", "Rate exceeded")] * 6, results
    silent.close()
    for t in threads:
        t.join(60)
    assert sorted(results) == [("Throttling", "Rate exceeded")] * 6 + [("ValidationError", CFN_MSG)] * 24


def test_stopping_answers_the_calls_waiting_on_a_fetch(fresh_daemon, silent):
    d = fresh_daemon(env={"CATALOGD_FETCH_ALLOW": "127.0.0.1/32"})
    url = "http://127.0.0.1:%d/t.yaml" % silent.getsockname()[1]
    params = {"Action": "CreateStack", "Version": "2010-05-15", "StackName": "at-stop", "TemplateURL": url}
    result = []  # sent without an SDK: botocore would retry a 503 against the stopped daemon
    t = threading.Thread(target=lambda: result.append(awsraw.query_call(d, "cloudformation", params)), daemon=True)
    t.start()
    time.sleep(1)  # the fetch is waiting on the silent server
    assert not result
    assert d.stop() == 0  # a clean exit, with the request answered rather than dropped
    t.join(10)
    assert result and result[0].status == 503, result  # cancelled, not waited out
    assert b"<Code>ServiceUnavailable</Code>" in result[0].body


RUNBOOK = """\
schemaVersion: '0.3'
parameters:
  Url:
    type: String
mainSteps:
  - name: validate
    action: aws:executeAwsApi
    inputs:
      Service: cloudformation
      Api: ValidateTemplate
      TemplateURL: '{{ Url }}'
"""


def test_a_runbook_step_fetches_through_the_same_client(d, web):
    """An engine step's fetch (no HTTP thread: it may wait there) is refused alike."""
    srv = web()
    ssm = d.client("ssm")
    ssm.create_document(Name="fetch-it", Content=RUNBOOK, DocumentType="Automation", DocumentFormat="YAML")
    for url in ("http://127.0.0.1:%d/t.yaml" % srv.server_address[1], "http://169.254.169.254/latest/meta-data/"):
        eid = ssm.start_automation_execution(DocumentName="fetch-it", Parameters={"Url": [url]})["AutomationExecutionId"]
        e = wait_for(lambda: (lambda x: x if x["AutomationExecutionStatus"] in ("Success", "Failed") else None)(
            ssm.get_automation_execution(AutomationExecutionId=eid)["AutomationExecution"]), what="the execution")
        assert e["AutomationExecutionStatus"] == "Failed", e
        step = e["StepExecutions"][0]
        assert CFN_MSG in step.get("FailureMessage", ""), step
    assert srv.asked == []


def test_a_bad_allow_list_refuses_to_start(tmp_path):
    data = tmp_path / "data"
    for flag in (["--fetch-allow", "10.0.0.0/99"], ["--fetch-allow", "127.0.0.1,intranet"]):
        p = subprocess.run([BIN, "serve", "--listen", "127.0.0.1:0", "--data-dir", str(data)] + flag,
                           capture_output=True, text=True, timeout=30)
        assert p.returncode != 0
        assert "--fetch-allow" in p.stderr and flag[1].split(",")[-1] in p.stderr, p.stderr
        assert not data.exists()  # checked before anything is created
