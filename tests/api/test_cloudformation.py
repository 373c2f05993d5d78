"""CloudFormation stacks that create EC2 instances (issue 4), end to end through the AWS
CLI v2 (the issue's CLI items: create-stack, wait stack-create-complete,
list-stack-resources, delete-stack) and boto3: a YAML template with short-form tags,
parameters, Mappings and Conditions; Outputs, events and the template kept; TemplateURL
(file: confined to --template-dir, http); UpdateStack in place and by replacement;
DeleteStack; failure and OnFailure; RoleARN under IAM; ValidationError at CreateStack; and
kill -9 in the middle of a creation.

Instances tagged catalogd:provider=exec run a shell hook (written into a temporary
directory) that records each transition, and its environment, in files.
"""

import base64
import functools
import http.server
import json
import os
import threading

import pytest

from conftest import ACCOUNT, Daemon
from helpers import allow, exec_hook_args, fails, hook_records, new_role, new_user, serve, trust, wait_for

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Description: A parameterised development instance
Parameters:
  InstanceType:
    Type: String
    Default: t2.micro
    AllowedValues: [t2.micro, t2.small, t3.medium]
    Description: EC2 instance type
  Env:
    Type: String
    Default: dev
    AllowedValues: [dev, prod]
  Owner:
    Type: String
    AllowedPattern: "[a-z]+"
  Secret:
    Type: String
    Default: hunter2
    NoEcho: true
Mappings:
  RegionMap:
    us-east-1:
      Ami: ami-0246838ace3f374fc
    eu-west-1:
      Ami: ami-0fedcba9876543210
Conditions:
  IsProd: !Equals [!Ref Env, prod]
Resources:
  Web:
    Type: AWS::EC2::Instance
    Properties:
      ImageId: !FindInMap [RegionMap, !Ref "AWS::Region", Ami]
      InstanceType: !Ref InstanceType
      UserData:
        Fn::Base64: !Sub "owner=${Owner} stack=${AWS::StackName}"
      Tags:
        - Key: Name
          Value: !Sub "${AWS::StackName}-web"
        - Key: Tier
          Value: !If [IsProd, production, development]
        - Key: Owner
          Value: !Ref Owner
        - Key: catalogd:provider
          Value: exec
  Handle:
    Type: AWS::CloudFormation::WaitConditionHandle
    DependsOn: Web
Outputs:
  InstanceId:
    Description: The instance
    Value: !Ref Web
  PrivateIp:
    Value: !GetAtt Web.PrivateIp
  Az:
    Value: !GetAtt [Web, AvailabilityZone]
  Label:
    Value: !Join ["-", [!Ref Env, !Select [0, !Split [".", !Ref InstanceType]]]]
  ProdOnly:
    Condition: IsProd
    Value: yes-prod
"""

HOOK = r"""#!/bin/sh
dir='%(dir)s'
t="$CATALOGD_TRANSITION"
id="$CATALOGD_INSTANCE_ID"
echo "$CATALOGD_TRANSITION_ID $id $t" >> "$dir/$t.attempts"
env | grep '^CATALOGD_' | sort > "$dir/env-$id-$t"
if [ "$CATALOGD_TAG_HOOK_SLEEP" = "$t" ]; then
    touch "$dir/started-$t-$CATALOGD_TAG_AWS_CLOUDFORMATION_STACK_NAME"
    sleep 2
fi
if [ "$CATALOGD_TAG_HOOK_FAIL" = "$t" ]; then
    echo "hook refused to $t $id" >&2
    exit 3
fi
echo "$CATALOGD_TRANSITION_ID $id $t" >> "$dir/$t.log"
"""

UNSUPPORTED = """\
Resources:
  Box:
    Type: AWS::EC2::Instance
    Properties:
      ImageId: ami-0246838ace3f374fc
      Tags: [{Key: suite, Value: %(tag)s}]
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Ref Box
"""

SUPPORTED = ("AWS::IAM::Role", "AWS::EC2::Instance", "AWS::SSM::Document", "AWS::CloudFormation::WaitConditionHandle")


def stack(cf, name):
    return cf.describe_stacks(StackName=name)["Stacks"][0]


def settle(cf, name, timeout=20):
    """Polls until the stack's status no longer ends in _IN_PROGRESS; returns the stack."""
    seen = []

    def done():
        s = stack(cf, name)
        seen.append(s["StackStatus"])
        return s if not s["StackStatus"].endswith("_IN_PROGRESS") else None

    try:
        return wait_for(done, timeout, "stack %s to settle" % name)
    except AssertionError as e:
        raise AssertionError("%s (statuses seen: %s)" % (e, sorted(set(seen))))


def events(cf, name):
    out, token = [], None
    while True:
        page = cf.describe_stack_events(StackName=name, **({"NextToken": token} if token else {}))
        out += page["StackEvents"]
        token = page.get("NextToken")
        if not token:
            return out


def resources(cf, name):
    return {r["LogicalResourceId"]: r for r in cf.list_stack_resources(StackName=name)["StackResourceSummaries"]}


def instance(ec2, iid):
    return ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]


def tags_of(inst):
    return {t["Key"]: t["Value"] for t in inst.get("Tags", [])}


def instances_tagged(ec2, key, value):
    r = ec2.describe_instances(Filters=[{"Name": "tag:" + key, "Values": [value]}])["Reservations"]
    return [i for x in r for i in x["Instances"]]


def outputs_of(s):
    return {o["OutputKey"]: o["OutputValue"] for o in s.get("Outputs", [])}


@pytest.fixture(scope="module")
def tdir(tmp_path_factory):
    """--template-dir, with the template in it."""
    p = tmp_path_factory.mktemp("templates")
    (p / "instance.yaml").write_text(TEMPLATE)
    return str(p)


@pytest.fixture(scope="module")
def hooks(tmp_path_factory):
    return str(tmp_path_factory.mktemp("cfn-hooks"))


@pytest.fixture(scope="module")
def d(tdir, hooks):
    yield from serve(Daemon(args=["--ec2-delay-ms", "0", "--template-dir", tdir, "--fetch-allow", "127.0.0.0/8"]
                            + exec_hook_args(hooks, HOOK)))


@pytest.fixture(scope="module")
def cf(d):
    return d.client("cloudformation")


@pytest.fixture(scope="module")
def ec2(d):
    return d.client("ec2")


# ---- the CLI walk-through


def test_yaml_stack_with_the_cli(d, cf, ec2, tdir, hooks):
    path = os.path.join(tdir, "instance.yaml")
    p = d.aws("cloudformation", "create-stack", "--stack-name", "dev-box", "--template-body", "file://" + path,
              "--parameters", "ParameterKey=Owner,ParameterValue=alice", "ParameterKey=InstanceType,ParameterValue=t2.small",
              "--tags", "Key=project,Value=catalogd", check=True)
    stack_id = p.json["StackId"]
    assert stack_id.startswith("arn:aws:cloudformation:us-east-1:%s:stack/dev-box/" % ACCOUNT)
    d.aws("cloudformation", "wait", "stack-create-complete", "--stack-name", "dev-box", check=True)

    p = d.aws("cloudformation", "list-stack-resources", "--stack-name", "dev-box", check=True)
    summaries = {r["LogicalResourceId"]: r for r in p.json["StackResourceSummaries"]}
    assert set(summaries) == {"Web", "Handle"}
    web = summaries["Web"]
    assert web["ResourceType"] == "AWS::EC2::Instance" and web["ResourceStatus"] == "CREATE_COMPLETE"
    iid = web["PhysicalResourceId"]
    assert iid.startswith("i-")
    assert summaries["Handle"]["ResourceStatus"] == "CREATE_COMPLETE"

    # EC2 finds that instance, running, as the template described it
    inst = instance(ec2, iid)
    assert inst["State"]["Name"] == "running"
    assert inst["ImageId"] == "ami-0246838ace3f374fc"  # !FindInMap with AWS::Region
    assert inst["InstanceType"] == "t2.small"  # !Ref of a parameter
    tags = tags_of(inst)
    assert tags["Name"] == "dev-box-web"  # !Sub with a pseudo parameter
    assert tags["Tier"] == "development"  # !If on a false condition
    assert tags["Owner"] == "alice"
    assert tags["aws:cloudformation:stack-name"] == "dev-box"
    assert tags["aws:cloudformation:stack-id"] == stack_id
    assert tags["aws:cloudformation:logical-id"] == "Web"
    assert [i["InstanceId"] for i in instances_tagged(ec2, "aws:cloudformation:stack-name", "dev-box")] == [iid]
    # the UserData (Fn::Base64 of a !Sub) reached the instance: the exec provider saw it
    with open(os.path.join(hooks, "env-%s-launch" % iid)) as f:
        env = dict(line.rstrip("\n").split("=", 1) for line in f if "=" in line)
    assert base64.b64decode(env["CATALOGD_USER_DATA"]) == b"owner=alice stack=dev-box"
    assert [l[1] for l in hook_records(hooks, "launch")].count(iid) == 1

    s = stack(cf, "dev-box")
    assert s["StackId"] == stack_id and s["StackStatus"] == "CREATE_COMPLETE"
    assert s["Description"] == "A parameterised development instance"
    assert s["Tags"] == [{"Key": "project", "Value": "catalogd"}]
    params = {p["ParameterKey"]: p["ParameterValue"] for p in s["Parameters"]}
    assert params == {"InstanceType": "t2.small", "Env": "dev", "Owner": "alice", "Secret": "****"}  # NoEcho
    assert outputs_of(s) == {"InstanceId": iid, "PrivateIp": inst["PrivateIpAddress"],
                             "Az": inst["Placement"]["AvailabilityZone"], "Label": "dev-t2"}
    assert [o.get("Description") for o in s["Outputs"] if o["OutputKey"] == "InstanceId"] == ["The instance"]

    # events: newest first, the stack's own CREATE_COMPLETE on top; Web before Handle (DependsOn)
    evs = events(cf, "dev-box")
    assert all(e["StackId"] == stack_id and e["StackName"] == "dev-box" for e in evs)
    assert (evs[0]["LogicalResourceId"], evs[0]["ResourceStatus"]) == ("dev-box", "CREATE_COMPLETE")
    assert evs[0]["ResourceType"] == "AWS::CloudFormation::Stack" and evs[0]["PhysicalResourceId"] == stack_id
    assert (evs[-1]["LogicalResourceId"], evs[-1]["ResourceStatus"]) == ("dev-box", "CREATE_IN_PROGRESS")
    assert [e["Timestamp"] for e in evs] == sorted((e["Timestamp"] for e in evs), reverse=True)
    chrono = [(e["LogicalResourceId"], e["ResourceStatus"]) for e in reversed(evs)]
    assert chrono.index(("Web", "CREATE_COMPLETE")) < chrono.index(("Handle", "CREATE_IN_PROGRESS"))
    assert ("Web", "CREATE_IN_PROGRESS") in chrono
    web_done = [e for e in evs if e["LogicalResourceId"] == "Web" and e["ResourceStatus"] == "CREATE_COMPLETE"]
    assert web_done[0]["PhysicalResourceId"] == iid and web_done[0]["ResourceType"] == "AWS::EC2::Instance"

    # the template as given, and the other resource views
    assert cf.get_template(StackName="dev-box")["TemplateBody"] == TEMPLATE
    detail = cf.describe_stack_resource(StackName="dev-box", LogicalResourceId="Web")["StackResourceDetail"]
    assert detail["PhysicalResourceId"] == iid and detail["ResourceStatus"] == "CREATE_COMPLETE"
    by_physical = cf.describe_stack_resources(PhysicalResourceId=iid)["StackResources"]
    assert [(r["StackName"], r["LogicalResourceId"]) for r in by_physical] == [("dev-box", "Web")]
    assert stack_id in [x["StackId"] for x in cf.list_stacks(StackStatusFilter=["CREATE_COMPLETE"])["StackSummaries"]]

    # delete: the instance is terminated, the stack gone by name but kept by id
    d.aws("cloudformation", "delete-stack", "--stack-name", "dev-box", check=True)
    d.aws("cloudformation", "wait", "stack-delete-complete", "--stack-name", "dev-box", check=True)
    assert instance(ec2, iid)["State"]["Name"] == "terminated"
    assert [l[1] for l in hook_records(hooks, "terminate")].count(iid) == 1
    code, msg, _ = fails(cf.describe_stacks, StackName="dev-box")
    assert (code, msg) == ("ValidationError", "Stack with id dev-box does not exist")
    gone = stack(cf, stack_id)
    assert gone["StackStatus"] == "DELETE_COMPLETE" and "DeletionTime" in gone
    evs = events(cf, stack_id)
    assert (evs[0]["LogicalResourceId"], evs[0]["ResourceStatus"]) == ("dev-box", "DELETE_COMPLETE")
    chrono = [(e["LogicalResourceId"], e["ResourceStatus"]) for e in reversed(evs)]
    # reverse dependency order: Handle (which depends on Web) goes first
    assert chrono.index(("Handle", "DELETE_COMPLETE")) < chrono.index(("Web", "DELETE_IN_PROGRESS"))
    # the name can be used again
    assert "dev-box" not in [x["StackName"] for x in cf.describe_stacks()["Stacks"]]


def test_prod_condition_and_json_template(cf, ec2):
    body = json.dumps({
        "Parameters": {"Env": {"Type": "String", "AllowedValues": ["dev", "prod"]}},
        "Conditions": {"IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]},
                       "NotProd": {"Fn::Not": [{"Condition": "IsProd"}]}},
        "Resources": {
            "Big": {"Type": "AWS::EC2::Instance", "Condition": "IsProd",
                    "Properties": {"ImageId": "ami-0246838ace3f374fc", "InstanceType": "m5.large",
                                   "Tags": [{"Key": "suite", "Value": "jsoncond"}]}},
            "Small": {"Type": "AWS::EC2::Instance", "Condition": "NotProd",
                      "Properties": {"ImageId": "ami-0246838ace3f374fc", "InstanceType": "t2.nano",
                                     "Tags": [{"Key": "suite", "Value": "jsoncond"}]}},
        },
        "Outputs": {"Which": {"Value": {"Fn::If": ["IsProd", {"Ref": "Big"}, {"Ref": "Small"}]}}},
    })
    cf.create_stack(StackName="json-prod", TemplateBody=body, Parameters=[{"ParameterKey": "Env", "ParameterValue": "prod"}])
    s = settle(cf, "json-prod")
    assert s["StackStatus"] == "CREATE_COMPLETE"
    res = resources(cf, "json-prod")
    assert set(res) == {"Big"}  # the false condition's resource is not created
    assert outputs_of(s)["Which"] == res["Big"]["PhysicalResourceId"]
    assert instance(ec2, res["Big"]["PhysicalResourceId"])["InstanceType"] == "m5.large"
    cf.delete_stack(StackName="json-prod")
    settle_deleted(cf, s["StackId"])


def settle_deleted(cf, stack_id):
    s = wait_for(lambda: (lambda x: x if not x["StackStatus"].endswith("_IN_PROGRESS") else None)(stack(cf, stack_id)),
                 20, "the deletion")
    assert s["StackStatus"] == "DELETE_COMPLETE"
    return s


def test_validate_template(cf, tdir):
    r = cf.validate_template(TemplateBody=TEMPLATE)
    params = {p["ParameterKey"]: p for p in r["Parameters"]}
    assert set(params) == {"InstanceType", "Env", "Owner", "Secret"}
    assert params["InstanceType"]["DefaultValue"] == "t2.micro"
    assert params["InstanceType"]["Description"] == "EC2 instance type"
    assert params["Secret"]["NoEcho"] is True and params["Owner"]["NoEcho"] is False
    assert "DefaultValue" not in params["Owner"]
    assert r["Description"] == "A parameterised development instance"
    r2 = cf.validate_template(TemplateURL="file://" + os.path.join(tdir, "instance.yaml"))
    assert r2["Parameters"] == r["Parameters"]
    code, msg, _ = fails(cf.validate_template, TemplateBody="Resources: [unclosed\n")
    assert code == "ValidationError" and msg.startswith("Template format error")
    code, msg, _ = fails(cf.validate_template, TemplateBody='{"Resources": {"A": {"Type": "AWS::EC2::Instance", '
                                                            '"Properties": {"ImageId": {"Fn::Nope": "x"}}}}}')
    assert code == "ValidationError" and "Fn::Nope" in msg


# ---- TemplateURL


def test_template_url(cf, ec2, tdir, tmp_path):
    url = "file://" + os.path.join(tdir, "instance.yaml")
    cf.create_stack(StackName="from-file", TemplateURL=url, Parameters=[{"ParameterKey": "Owner", "ParameterValue": "bob"}])
    s = settle(cf, "from-file")
    assert s["StackStatus"] == "CREATE_COMPLETE"
    assert cf.get_template(StackName="from-file")["TemplateBody"] == TEMPLATE
    iid = resources(cf, "from-file")["Web"]["PhysicalResourceId"]
    assert tags_of(instance(ec2, iid))["Owner"] == "bob"
    cf.delete_stack(StackName="from-file")
    settle_deleted(cf, s["StackId"])
    assert instance(ec2, iid)["State"]["Name"] == "terminated"

    # outside the template directory: refused, however the path is spelled
    outside = tmp_path / "outside.yaml"
    outside.write_text(TEMPLATE)
    link = os.path.join(tdir, "link.yaml")
    os.symlink(str(outside), link)
    try:
        for bad in ("file://" + str(outside), "file://" + tdir + "/../" + os.path.basename(str(tmp_path)) + "/outside.yaml",
                    "file://" + link, "file:///etc/passwd", "file://" + os.path.join(tdir, "missing.yaml")):
            code, msg, _ = fails(cf.create_stack, StackName="refused", TemplateURL=bad,
                                 Parameters=[{"ParameterKey": "Owner", "ParameterValue": "bob"}])
            assert code == "ValidationError", bad
            assert bad in msg, (bad, msg)
            code, _, _ = fails(cf.validate_template, TemplateURL=bad)
            assert code == "ValidationError"
    finally:
        os.unlink(link)
    code, _, _ = fails(cf.describe_stacks, StackName="refused")
    assert code == "ValidationError"  # nothing was created
    code, msg, _ = fails(cf.create_stack, StackName="both", TemplateURL=url, TemplateBody=TEMPLATE)
    assert code == "ValidationError"
    code, msg, _ = fails(cf.create_stack, StackName="neither")
    assert code == "ValidationError"


def test_template_url_http(cf, tdir):
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=tdir)
    handler.log_message = lambda *a: None
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        base = "http://127.0.0.1:%d/" % srv.server_address[1]
        r = cf.validate_template(TemplateURL=base + "instance.yaml")
        assert r["Description"] == "A parameterised development instance"
        code, msg, _ = fails(cf.validate_template, TemplateURL=base + "missing.yaml")
        assert (code, msg) == ("ValidationError", "TemplateURL must reference a valid S3 object to which you have access.")
    finally:
        srv.shutdown()
        srv.server_close()


class HeldTemplate(http.server.BaseHTTPRequestHandler):
    """Serves BODY, but only once the test sets `release` (it sets `asked` on arrival)."""

    asked = threading.Event()
    release = threading.Event()
    requests = []
    BODY = b"Resources:\n  H:\n    Type: AWS::CloudFormation::WaitConditionHandle\n"

    def do_GET(self):
        HeldTemplate.requests.append(self.path)
        HeldTemplate.asked.set()
        HeldTemplate.release.wait(30)
        self.send_response(200)
        self.send_header("Content-Length", str(len(self.BODY)))
        self.end_headers()
        self.wfile.write(self.BODY)

    def log_message(self, *a):
        pass


def test_a_slow_template_url_holds_up_no_other_writer(d, cf):
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), HeldTemplate)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    url = "http://127.0.0.1:%d/held.yaml" % srv.server_address[1]
    result = {}
    try:
        # a caller without cloudformation:CreateStack never gets the daemon to fetch
        iam = d.client("iam")
        key, secret = new_user(iam, "cfn-reader", [allow("cloudformation:Describe*")])
        reader = d.client("cloudformation", key=key, secret=secret)
        assert fails(reader.create_stack, StackName="held", TemplateURL=url)[0] == "AccessDenied"
        assert HeldTemplate.requests == []

        def create():
            result["id"] = cf.create_stack(StackName="held", TemplateURL=url)["StackId"]

        t = threading.Thread(target=create, daemon=True)
        t.start()
        assert HeldTemplate.asked.wait(20), "the template was never asked for"
        # while the template server sits on the request, another write goes through (on a
        # new connection: the held request occupies its HTTP worker thread)
        other = d.client("iam")
        done = threading.Event()
        threading.Thread(target=lambda: (other.create_user(UserName="not-held-up"), done.set()), daemon=True).start()
        assert done.wait(8), "a write waited for the template fetch"
        assert "id" not in result
        HeldTemplate.release.set()
        t.join(20)
        assert settle(cf, result["id"])["StackStatus"] == "CREATE_COMPLETE"
        assert HeldTemplate.requests == ["/held.yaml"]
    finally:
        HeldTemplate.release.set()
        srv.shutdown()
        srv.server_close()


# ---- UpdateStack


def test_update_stack(cf, ec2, hooks):
    cf.create_stack(StackName="upd", TemplateBody=TEMPLATE, Parameters=[{"ParameterKey": "Owner", "ParameterValue": "carol"}])
    s = settle(cf, "upd")
    assert s["StackStatus"] == "CREATE_COMPLETE"
    first = resources(cf, "upd")["Web"]["PhysicalResourceId"]
    assert instance(ec2, first)["InstanceType"] == "t2.micro"

    # a tag-only change (Env feeds only the Tier tag) is applied in place
    cf.update_stack(StackName="upd", UsePreviousTemplate=True,
                    Parameters=[{"ParameterKey": "Owner", "UsePreviousValue": True},
                                {"ParameterKey": "InstanceType", "UsePreviousValue": True},
                                {"ParameterKey": "Env", "ParameterValue": "prod"}])
    s = settle(cf, "upd")
    assert s["StackStatus"] == "UPDATE_COMPLETE", s.get("StackStatusReason")
    assert "LastUpdatedTime" in s
    assert resources(cf, "upd")["Web"]["PhysicalResourceId"] == first
    tags = tags_of(instance(ec2, first))
    assert (tags["Owner"], tags["Tier"]) == ("carol", "production")
    assert instance(ec2, first)["State"]["Name"] == "running"
    assert outputs_of(s)["ProdOnly"] == "yes-prod"  # the output's condition now holds
    assert {p["ParameterKey"]: p["ParameterValue"] for p in s["Parameters"]}["Env"] == "prod"

    # InstanceType changes: afterwards the stack's instance has the new type and runs
    cf.update_stack(StackName="upd", UsePreviousTemplate=True,
                    Parameters=[{"ParameterKey": "Owner", "UsePreviousValue": True},
                                {"ParameterKey": "Env", "UsePreviousValue": True},
                                {"ParameterKey": "InstanceType", "ParameterValue": "t3.medium"}])
    s = settle(cf, "upd")
    assert s["StackStatus"] == "UPDATE_COMPLETE", s.get("StackStatusReason")
    second = resources(cf, "upd")["Web"]["PhysicalResourceId"]
    inst = instance(ec2, second)
    assert inst["InstanceType"] == "t3.medium" and inst["State"]["Name"] == "running"
    assert tags_of(inst)["Owner"] == "carol"
    if second != first:  # replaced (catalogd has no in-place type change): the old one is gone
        assert instance(ec2, first)["State"]["Name"] == "terminated"
    assert outputs_of(s)["InstanceId"] == second
    assert outputs_of(s)["Label"] == "prod-t3"

    # a replacement property (ImageId): a new instance, the old terminated, in the events
    new_body = TEMPLATE.replace("ami-0246838ace3f374fc", "ami-0577fd2b761725332")
    cf.update_stack(StackName="upd", TemplateBody=new_body,
                    Parameters=[{"ParameterKey": k, "UsePreviousValue": True} for k in ("Owner", "Env", "InstanceType")])
    s = settle(cf, "upd")
    assert s["StackStatus"] == "UPDATE_COMPLETE", s.get("StackStatusReason")
    third = resources(cf, "upd")["Web"]["PhysicalResourceId"]
    assert third != second
    assert instance(ec2, third)["ImageId"] == "ami-0577fd2b761725332"
    assert instance(ec2, third)["State"]["Name"] == "running"
    assert instance(ec2, second)["State"]["Name"] == "terminated"
    assert cf.get_template(StackName="upd")["TemplateBody"] == new_body
    statuses = [(e["LogicalResourceId"], e["ResourceStatus"]) for e in events(cf, "upd")]
    assert statuses[0] == ("upd", "UPDATE_COMPLETE")
    assert ("upd", "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS") in statuses
    assert any(e["LogicalResourceId"] == "Web" and "new physical resource" in e.get("ResourceStatusReason", "")
               for e in events(cf, "upd"))
    # the cleanup deleted the replaced instances, under their own physical ids, before UPDATE_COMPLETE
    for old in (second,) + ((first,) if first != second else ()):
        dels = [(e["ResourceStatus"], i) for i, e in enumerate(events(cf, "upd")) if e["PhysicalResourceId"] == old
                and e["ResourceStatus"].startswith("DELETE_")]
        assert [x[0] for x in dels] == ["DELETE_COMPLETE", "DELETE_IN_PROGRESS"], old  # newest first
    live = [i["InstanceId"] for i in instances_tagged(ec2, "aws:cloudformation:stack-name", "upd")
            if i["State"]["Name"] != "terminated"]
    assert live == [third]

    # nothing changed: refused
    code, msg, _ = fails(cf.update_stack, StackName="upd", UsePreviousTemplate=True,
                         Parameters=[{"ParameterKey": k, "UsePreviousValue": True} for k in ("Owner", "Env", "InstanceType")])
    assert (code, msg) == ("ValidationError", "No updates are to be performed.")
    # a bad value is refused at the call
    code, msg, _ = fails(cf.update_stack, StackName="upd", UsePreviousTemplate=True,
                         Parameters=[{"ParameterKey": "Owner", "UsePreviousValue": True},
                                     {"ParameterKey": "Env", "ParameterValue": "staging"}])
    assert code == "ValidationError" and "Env" in msg
    cf.delete_stack(StackName="upd")
    settle_deleted(cf, s["StackId"])
    assert instance(ec2, third)["State"]["Name"] == "terminated"


@pytest.mark.parametrize("how", ["refused", "launch-fails"])
def test_failed_update_rolls_back_to_the_original(cf, ec2, hooks, how):
    name = "upd-rb-" + how
    cf.create_stack(StackName=name, TemplateBody=TEMPLATE, Parameters=[{"ParameterKey": "Owner", "ParameterValue": "fay"}])
    s = settle(cf, name)
    assert s["StackStatus"] == "CREATE_COMPLETE"
    original = resources(cf, name)["Web"]["PhysicalResourceId"]
    if how == "refused":  # EC2 refuses the replacement's RunInstances
        body = TEMPLATE.replace("ami-0246838ace3f374fc", "bad-image-id")
    else:  # the replacement launches, and its launch command fails
        body = TEMPLATE.replace("ami-0246838ace3f374fc", "ami-01941eddca4e119bc").replace(
            "        - Key: catalogd:provider\n", "        - Key: hook-fail\n          Value: launch\n"
                                                "        - Key: catalogd:provider\n")
    cf.update_stack(StackName=name, TemplateBody=body,
                    Parameters=[{"ParameterKey": k, "UsePreviousValue": True} for k in ("Owner", "Env", "InstanceType")])
    s = settle(cf, name)
    assert s["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    statuses = [(e["LogicalResourceId"], e["ResourceStatus"]) for e in events(cf, name)]
    assert ("Web", "UPDATE_FAILED") in statuses
    assert (name, "UPDATE_ROLLBACK_IN_PROGRESS") in statuses
    # the original instance is the stack's again, and still running
    assert resources(cf, name)["Web"]["PhysicalResourceId"] == original
    assert instance(ec2, original)["State"]["Name"] == "running"
    assert cf.get_template(StackName=name)["TemplateBody"] == TEMPLATE
    live = [i["InstanceId"] for i in instances_tagged(ec2, "aws:cloudformation:stack-name", name)
            if i["State"]["Name"] != "terminated"]
    assert live == [original]
    cf.delete_stack(StackName=name)
    settle_deleted(cf, s["StackId"])
    assert instance(ec2, original)["State"]["Name"] == "terminated"


# ---- failures during creation


@pytest.mark.parametrize("on_failure", ["ROLLBACK", "DELETE", "DO_NOTHING"])
def test_unsupported_type_fails_the_stack(cf, ec2, on_failure):
    name = "unsup-" + on_failure.lower().replace("_", "-")
    sid = cf.create_stack(StackName=name, TemplateBody=UNSUPPORTED % {"tag": name}, OnFailure=on_failure)["StackId"]
    s = wait_for(lambda: (lambda x: x if x["StackStatus"] in ("ROLLBACK_COMPLETE", "DELETE_COMPLETE", "CREATE_FAILED")
                          else None)(stack(cf, sid)), 20, "the stack to fail")
    evs = events(cf, sid)
    failed = [e for e in evs if e["LogicalResourceId"] == "Queue" and e["ResourceStatus"] == "CREATE_FAILED"]
    assert len(failed) == 1
    reason = failed[0]["ResourceStatusReason"]
    assert "AWS::SQS::Queue" in reason and all(t in reason for t in SUPPORTED)
    stack_failed = [e for e in evs if e["LogicalResourceId"] == name and e.get("ResourceStatusReason", "").startswith(
        "The following resource(s) failed to create: [Queue]")]
    assert stack_failed
    boxes = instances_tagged(ec2, "suite", name)
    assert len(boxes) == 1  # Box was created before Queue failed
    box = boxes[0]["InstanceId"]
    if on_failure == "ROLLBACK":
        assert s["StackStatus"] == "ROLLBACK_COMPLETE"
        assert ("Box", "DELETE_COMPLETE") in [(e["LogicalResourceId"], e["ResourceStatus"]) for e in evs]
        assert evs[0]["ResourceStatus"] == "ROLLBACK_COMPLETE"
        assert instance(ec2, box)["State"]["Name"] == "terminated"
        # a rolled-back stack cannot be updated, only deleted
        code, msg, _ = fails(cf.update_stack, StackName=name, UsePreviousTemplate=True)
        assert code == "ValidationError" and "ROLLBACK_COMPLETE" in msg
        cf.delete_stack(StackName=name)
        settle_deleted(cf, sid)
    elif on_failure == "DELETE":
        assert s["StackStatus"] == "DELETE_COMPLETE"
        assert instance(ec2, box)["State"]["Name"] == "terminated"
        code, _, _ = fails(cf.describe_stacks, StackName=name)
        assert code == "ValidationError"  # gone by name
    else:
        assert s["StackStatus"] == "CREATE_FAILED"
        assert s["StackStatusReason"].startswith("The following resource(s) failed to create: [Queue]")
        assert s["DisableRollback"] is True
        assert instance(ec2, box)["State"]["Name"] == "running"  # left as it was
        assert resources(cf, name)["Box"]["ResourceStatus"] == "CREATE_COMPLETE"
        cf.delete_stack(StackName=name)
        settle_deleted(cf, sid)
        assert instance(ec2, box)["State"]["Name"] == "terminated"


def test_instance_that_fails_to_launch_fails_the_stack(cf, ec2, hooks):
    body = ("Resources:\n  Doomed:\n    Type: AWS::EC2::Instance\n    Properties:\n      ImageId: ami-0246838ace3f374fc\n"
            "      Tags:\n        - {Key: catalogd:provider, Value: exec}\n        - {Key: hook-fail, Value: launch}\n")
    sid = cf.create_stack(StackName="doomed", TemplateBody=body)["StackId"]
    s = settle(cf, sid)
    assert s["StackStatus"] == "ROLLBACK_COMPLETE"
    evs = events(cf, sid)
    failed = [e for e in evs if e["LogicalResourceId"] == "Doomed" and e["ResourceStatus"] == "CREATE_FAILED"]
    assert len(failed) == 1
    iid = failed[0]["PhysicalResourceId"]
    # the provider command's stderr is the reason
    assert "hook refused to launch %s" % iid in failed[0]["ResourceStatusReason"]
    assert instance(ec2, iid)["State"]["Name"] == "terminated"
    cf.delete_stack(StackName=sid)
    settle_deleted(cf, sid)


def test_disable_rollback_is_do_nothing(cf, ec2):
    sid = cf.create_stack(StackName="unsup-disable", TemplateBody=UNSUPPORTED % {"tag": "unsup-disable"},
                          DisableRollback=True)["StackId"]
    s = settle(cf, sid)
    assert s["StackStatus"] == "CREATE_FAILED"
    code, _, _ = fails(cf.create_stack, StackName="both-flags", TemplateBody=UNSUPPORTED % {"tag": "x"},
                       DisableRollback=True, OnFailure="DELETE")
    assert code == "ValidationError"
    cf.delete_stack(StackName=sid)
    settle_deleted(cf, sid)


def test_role_arn_is_what_the_stack_runs_as(d, cf, ec2):
    iam = d.client("iam")
    weak = new_role(iam, "cfn-no-run", trust("cloudformation"),
                    ["ec2:Describe*", "ec2:TerminateInstances", "ec2:CreateTags"])
    strong = new_role(iam, "cfn-ec2", trust("cloudformation"), "ec2:*")
    body = UNSUPPORTED.split("  Queue:")[0]

    sid = cf.create_stack(StackName="role-weak", TemplateBody=body % {"tag": "role-weak"}, RoleARN=weak)["StackId"]
    s = settle(cf, sid)
    assert s["StackStatus"] == "ROLLBACK_COMPLETE"
    assert s["RoleARN"] == weak
    evs = events(cf, sid)
    failed = [e for e in evs if e["LogicalResourceId"] == "Box" and e["ResourceStatus"] == "CREATE_FAILED"]
    assert len(failed) == 1
    # CloudFormation's wording for an EC2 refusal: the API call, then EC2's message
    reason = failed[0]["ResourceStatusReason"]
    prefix = ("API: ec2:RunInstances You are not authorized to perform this operation. User: "
              "arn:aws:sts::%s:assumed-role/cfn-no-run/AWSCloudFormation is not authorized to perform: "
              "ec2:RunInstances on resource: " % ACCOUNT)
    assert reason.startswith(prefix), reason
    blob = reason.split(". Encoded authorization failure message: ", 1)[1]
    decoded = json.loads(d.client("sts").decode_authorization_message(EncodedMessage=blob)["DecodedMessage"])
    assert decoded["allowed"] is False
    assert decoded["context"]["action"] == "ec2:RunInstances"
    assert decoded["context"]["principal"] == "arn:aws:sts::%s:assumed-role/cfn-no-run/AWSCloudFormation" % ACCOUNT
    rolling = [e for e in evs if e["LogicalResourceId"] == "role-weak" and e["ResourceStatus"] == "ROLLBACK_IN_PROGRESS"]
    assert [e["ResourceStatusReason"] for e in rolling] == [
        "The following resource(s) failed to create: [Box]. Rollback requested by user."]
    assert instances_tagged(ec2, "suite", "role-weak") == []  # nothing was launched

    sid = cf.create_stack(StackName="role-strong", TemplateBody=body % {"tag": "role-strong"}, RoleARN=strong)["StackId"]
    assert settle(cf, sid)["StackStatus"] == "CREATE_COMPLETE"
    assert len(instances_tagged(ec2, "suite", "role-strong")) == 1

    # a role CloudFormation cannot assume fails the stack with the reason
    sid = cf.create_stack(StackName="role-missing", TemplateBody=body % {"tag": "role-missing"},
                          RoleARN="arn:aws:iam::%s:role/no-such-role" % ACCOUNT)["StackId"]
    s = settle(cf, sid)
    assert s["StackStatus"] == "ROLLBACK_COMPLETE"
    assert "sts:AssumeRole" in s["StackStatusReason"]
    assert instances_tagged(ec2, "suite", "role-missing") == []


def test_refusal_while_waiting_ends_the_stack(d, cf, ec2):
    # the role may launch and terminate but not describe: the wait for the instance is
    # refused, which fails the resource (it does not leave the stack in progress), and the
    # rollback's wait for the termination is refused too
    iam = d.client("iam")
    blind = new_role(iam, "cfn-blind", trust("cloudformation"),
                     ["ec2:RunInstances", "ec2:CreateTags", "ec2:TerminateInstances"])
    body = UNSUPPORTED.split("  Queue:")[0] % {"tag": "blind"}
    sid = cf.create_stack(StackName="blind", TemplateBody=body, RoleARN=blind)["StackId"]
    s = settle(cf, sid)
    assert s["StackStatus"] == "ROLLBACK_FAILED", s
    evs = events(cf, sid)
    failed = [e for e in evs if e["LogicalResourceId"] == "Box" and e["ResourceStatus"] == "CREATE_FAILED"]
    assert len(failed) == 1
    assert "ec2:DescribeInstances" in failed[0]["ResourceStatusReason"]
    assert any(e["LogicalResourceId"] == "Box" and e["ResourceStatus"] == "DELETE_FAILED" for e in evs)
    # the instance was launched, then terminated by the rollback
    [inst] = instances_tagged(ec2, "suite", "blind")
    wait_for(lambda: instance(ec2, inst["InstanceId"])["State"]["Name"] == "terminated", 20, "the termination")


TWO_BOXES = """\
Parameters:
  Env: {Type: String, Default: dev}
  SecondImage: {Type: String, Default: ami-0246838ace3f374fc}
Resources:
  First:
    Type: AWS::EC2::Instance
    Properties:
      ImageId: ami-0246838ace3f374fc
      Tags: [{Key: suite, Value: two-boxes}, {Key: env, Value: !Ref Env}]
  Second:
    Type: AWS::EC2::Instance
    DependsOn: First
    Properties:
      ImageId: !Ref SecondImage
      Tags: [{Key: suite, Value: two-boxes-second}]
"""


def test_update_rollback_undoes_changes_made_in_place(cf, ec2):
    sid = cf.create_stack(StackName="two-boxes", TemplateBody=TWO_BOXES, Tags=[{"Key": "team", "Value": "blue"}])["StackId"]
    assert settle(cf, sid)["StackStatus"] == "CREATE_COMPLETE"
    first = resources(cf, sid)["First"]["PhysicalResourceId"]
    assert tags_of(instance(ec2, first))["env"] == "dev"
    # First's tag changes in place; then Second's replacement is refused by EC2
    cf.update_stack(StackName=sid, UsePreviousTemplate=True, Tags=[{"Key": "team", "Value": "red"}],
                    Parameters=[{"ParameterKey": "Env", "ParameterValue": "prod"},
                                {"ParameterKey": "SecondImage", "ParameterValue": "bad-image-id"}])
    s = settle(cf, sid)
    assert s["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE", s
    statuses = [(e["LogicalResourceId"], e["ResourceStatus"]) for e in events(cf, sid)]
    assert ("Second", "UPDATE_FAILED") in statuses
    # First has its old tag back, and the stack shows what it showed before
    assert resources(cf, sid)["First"]["PhysicalResourceId"] == first
    assert tags_of(instance(ec2, first))["env"] == "dev"
    assert {p["ParameterKey"]: p["ParameterValue"] for p in s["Parameters"]} == {
        "Env": "dev", "SecondImage": "ami-0246838ace3f374fc"}
    assert s["Tags"] == [{"Key": "team", "Value": "blue"}]
    # and a later update starts from there
    cf.update_stack(StackName=sid, UsePreviousTemplate=True,
                    Parameters=[{"ParameterKey": "Env", "ParameterValue": "test"},
                                {"ParameterKey": "SecondImage", "UsePreviousValue": True}])
    assert settle(cf, sid)["StackStatus"] == "UPDATE_COMPLETE"
    assert tags_of(instance(ec2, first))["env"] == "test"
    cf.delete_stack(StackName=sid)
    settle_deleted(cf, sid)


def test_update_with_a_role_that_cannot_act_rolls_back_the_stack(d, cf, ec2):
    iam = d.client("iam")
    strong = new_role(iam, "cfn-strong-2", trust("cloudformation"), "ec2:*")
    no_tags = new_role(iam, "cfn-no-tags", trust("cloudformation"), ["ec2:Describe*"])
    sid = cf.create_stack(StackName="retag", TemplateBody=TWO_BOXES.split("  Second:")[0], RoleARN=strong)["StackId"]
    assert settle(cf, sid)["StackStatus"] == "CREATE_COMPLETE"
    first = resources(cf, sid)["First"]["PhysicalResourceId"]
    cf.update_stack(StackName=sid, UsePreviousTemplate=True, RoleARN=no_tags,
                    Parameters=[{"ParameterKey": "Env", "ParameterValue": "prod"}])
    s = settle(cf, sid)
    assert s["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE", s
    failed = [e for e in events(cf, sid) if e["LogicalResourceId"] == "First" and e["ResourceStatus"] == "UPDATE_FAILED"]
    assert len(failed) == 1 and "ec2:CreateTags" in failed[0]["ResourceStatusReason"]
    assert tags_of(instance(ec2, first))["env"] == "dev"
    assert s["RoleARN"] == strong
    assert {p["ParameterKey"]: p["ParameterValue"] for p in s["Parameters"]}["Env"] == "dev"
    # a role that cannot be assumed: the update fails at once and nothing changes
    cf.update_stack(StackName=sid, UsePreviousTemplate=True, RoleARN="arn:aws:iam::%s:role/nobody" % ACCOUNT,
                    Parameters=[{"ParameterKey": "Env", "ParameterValue": "prod"}])
    s = settle(cf, sid)
    assert s["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE" and "sts:AssumeRole" in s["StackStatusReason"]
    assert s["RoleARN"] == strong
    assert {p["ParameterKey"]: p["ParameterValue"] for p in s["Parameters"]}["Env"] == "dev"
    cf.delete_stack(StackName=sid)
    settle_deleted(cf, sid)


def test_passing_a_role_needs_iam_pass_role(d, cf):
    iam = d.client("iam")
    role = new_role(iam, "cfn-passed", trust("cloudformation"), "ec2:*")
    body = "Resources:\n  H:\n    Type: AWS::CloudFormation::WaitConditionHandle\n"
    key, secret = new_user(iam, "cfn-no-pass", [allow("cloudformation:*")])
    user_cf = d.client("cloudformation", key=key, secret=secret)
    code, msg, _ = fails(user_cf.create_stack, StackName="passing", TemplateBody=body, RoleARN=role)
    assert code == "AccessDenied"
    assert "iam:PassRole" in msg and role in msg
    assert fails(cf.describe_stacks, StackName="passing")[0] == "ValidationError"  # nothing made
    # without a role the same user may create it (the stack then runs as the user)
    sid = user_cf.create_stack(StackName="passing", TemplateBody=body)["StackId"]
    assert settle(cf, sid)["StackStatus"] == "CREATE_COMPLETE"
    assert fails(user_cf.delete_stack, StackName=sid, RoleARN=role)[0] == "AccessDenied"
    # PassRole for CloudFormation, on that role
    iam.put_user_policy(UserName="cfn-no-pass", PolicyName="pass", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "iam:PassRole", "Resource": role,
            "Condition": {"StringEquals": {"iam:PassedToService": "cloudformation.amazonaws.com"}}}]}))
    user_cf.delete_stack(StackName=sid, RoleARN=role)
    settle_deleted(cf, sid)


def test_deleting_a_stack_whose_document_is_already_gone(d, cf):
    ssm = d.client("ssm")
    body = ("Resources:\n  Doc:\n    Type: AWS::SSM::Document\n    Properties:\n      DocumentType: Automation\n"
            "      Content:\n        schemaVersion: '0.3'\n        mainSteps:\n"
            "          - {action: 'aws:sleep', name: nap, inputs: {Duration: PT1S}}\n")
    sid = cf.create_stack(StackName="doc-gone", TemplateBody=body)["StackId"]
    assert settle(cf, sid)["StackStatus"] == "CREATE_COMPLETE"
    ssm.delete_document(Name=resources(cf, sid)["Doc"]["PhysicalResourceId"])
    cf.delete_stack(StackName=sid)
    settle_deleted(cf, sid)


# ---- ValidationError at CreateStack


BAD_TEMPLATES = {
    "bad-yaml": ("Resources:\n  A: [unclosed\n", None, "Template format error"),
    "bad-json": ('{"Resources": {"A": ', None, "Template format error"),
    "unknown-short-tag": ("Resources:\n  A:\n    Type: AWS::EC2::Instance\n    Properties:\n      ImageId: !Bogus x\n",
                          None, "!Bogus"),
    "unknown-intrinsic": ('{"Resources": {"A": {"Type": "AWS::EC2::Instance", "Properties": {"ImageId": {"Fn::Bogus": "x"}}}}}',
                          None, "Fn::Bogus"),
    "circular": ("Resources:\n  A:\n    Type: AWS::EC2::Instance\n    Properties:\n      ImageId: ami-0246838ace3f374fc\n"
                 "      KeyName: !Ref B\n  B:\n    Type: AWS::CloudFormation::WaitConditionHandle\n    DependsOn: A\n",
                 None, "Circular dependency between resources: [A, B]"),
    "missing-parameter": (TEMPLATE, [], "Parameters: [Owner] must have values"),
    "not-allowed-value": (TEMPLATE, [("Owner", "erin"), ("InstanceType", "x1e.32xlarge")],
                          "Parameter 'InstanceType' must be one of AllowedValues"),
    "bad-pattern": (TEMPLATE, [("Owner", "Erin99")], "Parameter 'Owner' must match pattern [a-z]+"),
    "undeclared-parameter": (TEMPLATE, [("Owner", "erin"), ("Colour", "red")], "Parameters: [Colour] do not exist in the template"),
    "undefined-ref": ("Resources:\n  A:\n    Type: AWS::EC2::Instance\n    Properties:\n      ImageId: !Ref Nowhere\n",
                      None, "Nowhere"),
    "no-resources": ("Description: nothing\n", None, "Template format error"),
}


@pytest.mark.parametrize("case", sorted(BAD_TEMPLATES))
def test_create_stack_validation_errors(cf, case):
    body, params, want = BAD_TEMPLATES[case]
    kw = {"StackName": "bad-" + case, "TemplateBody": body}
    if params is not None:
        kw["Parameters"] = [{"ParameterKey": k, "ParameterValue": v} for k, v in params]
    code, msg, status = fails(cf.create_stack, **kw)
    assert code == "ValidationError"
    assert status == 400
    assert want in msg, msg
    code, _, _ = fails(cf.describe_stacks, StackName="bad-" + case)
    assert code == "ValidationError"  # no stack was made


def test_create_stack_validation_error_with_the_cli(d):
    p = d.aws("cloudformation", "create-stack", "--stack-name", "cli-bad",
              "--template-body", BAD_TEMPLATES["circular"][0])
    assert p.returncode == 254
    assert "ValidationError" in p.stderr and "Circular dependency between resources" in p.stderr


def test_stack_name_rules(cf):
    code, _, _ = fails(cf.create_stack, StackName="1-starts-with-digit", TemplateBody=UNSUPPORTED % {"tag": "n"})
    assert code == "ValidationError"
    body = "Resources:\n  H:\n    Type: AWS::CloudFormation::WaitConditionHandle\n"
    sid = cf.create_stack(StackName="dup-name", TemplateBody=body)["StackId"]
    code, msg, _ = fails(cf.create_stack, StackName="dup-name", TemplateBody=body)
    assert (code, msg) == ("AlreadyExistsException", "Stack [dup-name] already exists")
    assert settle(cf, sid)["StackStatus"] == "CREATE_COMPLETE"
    cf.delete_stack(StackName="dup-name")
    settle_deleted(cf, sid)
    cf.delete_stack(StackName="dup-name")  # deleting what is gone succeeds


# ---- kill -9 during creation


def test_kill9_during_stack_creation(fresh_daemon, tmp_path):
    hook_dir = str(tmp_path)
    args = ["--ec2-delay-ms", "0", "--ec2-provider", "exec", "--lease-ms", "1000"] + exec_hook_args(hook_dir, HOOK)
    d = fresh_daemon(args=args)
    cf = d.client("cloudformation")
    body = ("Resources:\n  Slow:\n    Type: AWS::EC2::Instance\n    Properties:\n      ImageId: ami-0246838ace3f374fc\n"
            "      Tags: [{Key: hook-sleep, Value: launch}]\n"
            "  After:\n    Type: AWS::CloudFormation::WaitConditionHandle\n    DependsOn: Slow\n"
            "Outputs:\n  Id:\n    Value: !Ref Slow\n")
    sid = cf.create_stack(StackName="crashy", TemplateBody=body)["StackId"]
    wait_for(lambda: os.path.exists(os.path.join(hook_dir, "started-launch-crashy")), 20, "the launch command to start")
    assert stack(cf, "crashy")["StackStatus"] == "CREATE_IN_PROGRESS"
    d.kill9()
    assert hook_records(hook_dir, "launch") == []  # still sleeping when the daemon died

    d2 = fresh_daemon(data_dir=d.data_dir, args=args)
    cf, ec2 = d2.client("cloudformation"), d2.client("ec2")
    s = settle(cf, sid, timeout=40)
    assert s["StackStatus"] == "CREATE_COMPLETE", s.get("StackStatusReason")
    every = [i for x in ec2.describe_instances()["Reservations"] for i in x["Instances"]]
    assert len(every) == 1, every  # exactly one instance
    iid = every[0]["InstanceId"]
    assert every[0]["State"]["Name"] == "running"
    assert resources(cf, "crashy")["Slow"]["PhysicalResourceId"] == iid
    assert outputs_of(s) == {"Id": iid}
    launches = hook_records(hook_dir, "launch")
    assert [l[1] for l in launches] == [iid]  # the launch command completed once
    assert hook_records(hook_dir, "launch", ext="attempts") == launches  # and was started once
    statuses = [(e["LogicalResourceId"], e["ResourceStatus"]) for e in events(cf, "crashy")]
    assert statuses.count(("Slow", "CREATE_COMPLETE")) == 1
    assert statuses.count(("crashy", "CREATE_COMPLETE")) == 1
