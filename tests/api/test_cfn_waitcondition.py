"""AWS::CloudFormation::WaitCondition and WaitConditionHandle (issue 13 item 1): the handle's
URL is on catalogd itself and takes signals as cfn-signal sends them (a PUT of
{"Status","Reason","UniqueId","Data"}); the condition completes after Count SUCCESS
signals (GetAtt Data: their Data by UniqueId), fails on a FAILURE signal or after Timeout
seconds, with CloudFormation's wording; bad signals are refused."""

import json
import urllib.error
import urllib.request

import pytest

from cfn_helpers import failures, settle, stack
from conftest import Daemon
from helpers import serve, wait_for

TEMPLATE = """\
Parameters:
  Count: {Type: String, Default: "2"}
  Timeout: {Type: String, Default: "60"}
Resources:
  Handle:
    Type: AWS::CloudFormation::WaitConditionHandle
  Wait:
    Type: AWS::CloudFormation::WaitCondition
    Properties:
      Handle: !Ref Handle
      Timeout: !Ref Timeout
      Count: !Ref Count
Outputs:
  Data:
    Value: !GetAtt Wait.Data
  Url:
    Value: !Ref Handle
"""


@pytest.fixture(scope="module")
def d():
    yield from serve(Daemon(args=["--ec2-delay-ms", "0"]))


@pytest.fixture(scope="module")
def cf(d):
    return d.client("cloudformation")




def handle_url(cf, name):
    """The handle's URL once the wait condition is waiting on it."""
    def waiting():
        rs = {r["LogicalResourceId"]: r for r in cf.list_stack_resources(StackName=name)["StackResourceSummaries"]}
        if rs.get("Wait", {}).get("ResourceStatus") == "CREATE_IN_PROGRESS":
            return rs["Handle"]["PhysicalResourceId"]
        return None
    return wait_for(waiting, 20, "the wait condition of %s to wait" % name)


def put(url, body, method="PUT"):
    """(HTTP status, body) of a request to url; body a dict (JSON) or bytes."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": ""})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()



def test_signals_complete_the_condition(d, cf):
    cf.create_stack(StackName="wc-ok", TemplateBody=TEMPLATE)
    url = handle_url(cf, "wc-ok")
    assert url.startswith("http://127.0.0.1:%d/_catalogd/cfn-signal/" % d.port)
    assert put(url, {"Status": "SUCCESS", "Reason": "first", "UniqueId": "a", "Data": "one"}) == (200, b"")
    # the same UniqueId again replaces, it does not count twice
    assert put(url, {"Status": "SUCCESS", "Reason": "again", "UniqueId": "a", "Data": "uno"})[0] == 200
    assert stack(cf, "wc-ok")["StackStatus"] == "CREATE_IN_PROGRESS"
    assert put(url, {"Status": "SUCCESS", "Reason": "second", "UniqueId": "b", "Data": "two"})[0] == 200
    s = settle(cf, "wc-ok")
    assert s["StackStatus"] == "CREATE_COMPLETE"
    out = {o["OutputKey"]: o["OutputValue"] for o in s["Outputs"]}
    assert json.loads(out["Data"]) == {"a": "uno", "b": "two"} and out["Url"] == url
    # the handle goes with its stack: its URL no longer takes signals
    sid = s["StackId"]
    cf.delete_stack(StackName="wc-ok")
    assert settle(cf, sid)["StackStatus"] == "DELETE_COMPLETE"
    assert put(url, {"Status": "SUCCESS", "UniqueId": "c"})[0] == 404


def test_failure_signal_rolls_back(cf):
    cf.create_stack(StackName="wc-fail", TemplateBody=TEMPLATE)
    url = handle_url(cf, "wc-fail")
    assert put(url, {"Status": "FAILURE", "Reason": "install failed", "UniqueId": "web1", "Data": ""})[0] == 200
    s = settle(cf, "wc-fail")
    assert s["StackStatus"] == "ROLLBACK_COMPLETE"
    assert failures(cf, "wc-fail")["Wait"] == "WaitCondition received failed message: 'install failed' for " \
                                                   "uniqueId: web1"


def test_timeout(cf):
    cf.create_stack(StackName="wc-late", TemplateBody=TEMPLATE,
                    Parameters=[{"ParameterKey": "Timeout", "ParameterValue": "1"}])
    url = handle_url(cf, "wc-late")
    assert put(url, {"Status": "SUCCESS", "UniqueId": "only", "Data": "x"})[0] == 200
    s = settle(cf, "wc-late")
    assert s["StackStatus"] == "ROLLBACK_COMPLETE"
    assert failures(cf, "wc-late")["Wait"] == "WaitCondition timed out. Received 1 conditions when expecting 2"


@pytest.mark.parametrize("params,reason", [
    ([{"ParameterKey": "Timeout", "ParameterValue": "soon"}], "Timeout must be a number of seconds"),
    ([{"ParameterKey": "Timeout", "ParameterValue": "43201"}], "Timeout must be a number of seconds"),
    ([{"ParameterKey": "Count", "ParameterValue": "0"}], "Count must be a positive integer"),
])
def test_bad_properties(cf, params, reason):
    name = "wc-bad-" + params[0]["ParameterValue"]
    cf.create_stack(StackName=name, TemplateBody=TEMPLATE, Parameters=params)
    assert settle(cf, name)["StackStatus"] == "ROLLBACK_COMPLETE"
    assert failures(cf, name)["Wait"].startswith(reason)


def test_handle_must_be_a_handle(cf):
    body = TEMPLATE.replace("Handle: !Ref Handle", "Handle: https://example.com/not-a-handle")
    cf.create_stack(StackName="wc-nohandle", TemplateBody=body)
    assert settle(cf, "wc-nohandle")["StackStatus"] == "ROLLBACK_COMPLETE"
    assert "Handle must be the URL of an AWS::CloudFormation::WaitConditionHandle" in failures(cf, "wc-nohandle")["Wait"]


def test_bad_signals(d, cf):
    cf.create_stack(StackName="wc-sig", TemplateBody=TEMPLATE)
    url = handle_url(cf, "wc-sig")
    base = url.rsplit("/", 1)[0]
    for body, status in (
        (b"not json", 400),
        ({"Status": "MAYBE", "UniqueId": "x"}, 400),
        ({"Status": "SUCCESS"}, 400),
        ({"Status": "SUCCESS", "UniqueId": ""}, 400),
        ({"Status": "SUCCESS", "UniqueId": "x", "Data": "d" * 5000}, 400),
    ):
        code, text = put(url, body)
        assert code == status, (body, code, text)
        assert json.loads(text)["message"]
    assert put(url, {"Status": "SUCCESS", "UniqueId": "x"}, method="POST")[0] == 405
    assert put(base + "/" + "0" * 32, {"Status": "SUCCESS", "UniqueId": "x"})[0] == 404
    assert put(base + "/nothex", {"Status": "SUCCESS", "UniqueId": "x"})[0] == 404
    # none of them counted
    assert stack(cf, "wc-sig")["StackStatus"] == "CREATE_IN_PROGRESS"
    cf.delete_stack(StackName="wc-sig")
