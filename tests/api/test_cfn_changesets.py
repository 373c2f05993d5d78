"""CloudFormation change sets (issue 13 item 1): CreateChangeSet (CREATE makes the stack in
REVIEW_IN_PROGRESS; UPDATE compares with the stack), DescribeChangeSet's Action /
Replacement / Scope / Details columns, ExecuteChangeSet (the stack runs; the change set
ends EXECUTE_COMPLETE, the stack's others OBSOLETE), DeleteChangeSet, ListChangeSets (paging),
the boto3 waiters and the AWS CLI, and AWS's errors for bad requests."""

import pytest

from conftest import Daemon
from helpers import cli_error, fails, serve, wait_for

# Two documents and a handle: Doc's Content follows the Env parameter (a change of Env
# replaces it: SSM documents replace on Content), its Tags change in place; Reader's
# Content refers to Doc, so a replaced Doc changes Reader only when the change runs.
TEMPLATE = """\
Parameters:
  Env: {Type: String, Default: dev}
  Team: {Type: String, Default: blue}
Resources:
  Doc:
    Type: AWS::SSM::Document
    Properties:
      DocumentType: Command
      Content:
        schemaVersion: "2.2"
        description: !Sub "doc for ${Env}"
        mainSteps: [{action: "aws:runShellScript", name: run, inputs: {runCommand: [echo hi]}}]
      Tags: [{Key: team, Value: !Ref Team}]
  Reader:
    Type: AWS::SSM::Document
    Properties:
      DocumentType: Command
      Content:
        schemaVersion: "2.2"
        description: !Ref Doc
        mainSteps: [{action: "aws:runShellScript", name: run, inputs: {runCommand: [echo hi]}}]
%(extra)s"""

HANDLE = """\
  Handle:
    Type: AWS::CloudFormation::WaitConditionHandle
"""

EMPTY_REASON = ("The submitted information didn't contain changes. Submit different information to create a "
                "change set.")


def template(handle=True):
    return TEMPLATE % {"extra": HANDLE if handle else ""}


@pytest.fixture(scope="module")
def d():
    yield from serve(Daemon(args=["--ec2-delay-ms", "0"]))


@pytest.fixture(scope="module")
def cf(d):
    return d.client("cloudformation")


def status(cf, name):
    return cf.describe_stacks(StackName=name)["Stacks"][0]


def changes_of(cs):
    return {c["ResourceChange"]["LogicalResourceId"]: c["ResourceChange"] for c in cs["Changes"]}


def wait_cs(cf, stack, name):
    cf.get_waiter("change_set_create_complete").wait(StackName=stack, ChangeSetName=name,
                                                     WaiterConfig={"Delay": 1, "MaxAttempts": 20})
    return cf.describe_change_set(StackName=stack, ChangeSetName=name)


def wait_stack(cf, name, waiter):
    cf.get_waiter(waiter).wait(StackName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    return status(cf, name)


def created(cf, name, **kw):
    """A stack made through a CREATE change set, executed and complete."""
    r = cf.create_change_set(StackName=name, ChangeSetName="initial", ChangeSetType="CREATE",
                             TemplateBody=template(), **kw)
    wait_cs(cf, name, "initial")
    cf.execute_change_set(ChangeSetName=r["Id"])
    return wait_stack(cf, name, "stack_create_complete")


def test_create_change_set_reviews_then_creates(cf):
    r = cf.create_change_set(StackName="cs-new", ChangeSetName="first", ChangeSetType="CREATE",
                             TemplateBody=template(), Description="the first one",
                             Parameters=[{"ParameterKey": "Env", "ParameterValue": "qa"}])
    assert r["Id"].startswith("arn:aws:cloudformation:us-east-1:") and ":changeSet/first/" in r["Id"]
    assert r["StackId"].startswith("arn:aws:cloudformation:us-east-1:") and ":stack/cs-new/" in r["StackId"]
    s = status(cf, "cs-new")
    assert s["StackStatus"] == "REVIEW_IN_PROGRESS" and s["StackId"] == r["StackId"]
    assert cf.list_stack_resources(StackName="cs-new")["StackResourceSummaries"] == []
    cs = wait_cs(cf, "cs-new", "first")
    assert cs["Status"] == "CREATE_COMPLETE" and cs["ExecutionStatus"] == "AVAILABLE"
    assert cs["ChangeSetId"] == r["Id"] and cs["StackId"] == r["StackId"] and cs["StackName"] == "cs-new"
    assert cs["Description"] == "the first one"
    assert {p["ParameterKey"]: p["ParameterValue"] for p in cs["Parameters"]} == {"Env": "qa", "Team": "blue"}
    ch = changes_of(cs)
    assert set(ch) == {"Doc", "Reader", "Handle"}
    assert all(c["Action"] == "Add" and "Replacement" not in c and "PhysicalResourceId" not in c
               for c in ch.values())
    assert ch["Handle"]["ResourceType"] == "AWS::CloudFormation::WaitConditionHandle"
    # by ARN alone, as the console does
    assert cf.describe_change_set(ChangeSetName=r["Id"])["ChangeSetName"] == "first"
    cf.execute_change_set(ChangeSetName="first", StackName="cs-new")
    s = wait_stack(cf, "cs-new", "stack_create_complete")
    assert s["StackStatus"] == "CREATE_COMPLETE"
    assert {p["ParameterKey"]: p["ParameterValue"] for p in s["Parameters"]}["Env"] == "qa"
    assert cf.describe_change_set(ChangeSetName=r["Id"])["ExecutionStatus"] == "EXECUTE_COMPLETE"
    statuses = [e["ResourceStatus"] for e in cf.describe_stack_events(StackName="cs-new")["StackEvents"]
                if e["LogicalResourceId"] == "cs-new"]
    assert statuses[-1] == "REVIEW_IN_PROGRESS" and statuses[0] == "CREATE_COMPLETE"
    assert "CREATE_IN_PROGRESS" in statuses


def test_update_change_set_columns(cf):
    created(cf, "cs-cols")
    res = {r["LogicalResourceId"]: r for r in cf.list_stack_resources(StackName="cs-cols")["StackResourceSummaries"]}
    body = template(handle=False) + """\
  Extra:
    Type: AWS::CloudFormation::WaitConditionHandle
"""
    cf.create_change_set(StackName="cs-cols", ChangeSetName="columns", TemplateBody=body,
                         Parameters=[{"ParameterKey": "Env", "ParameterValue": "prod"},
                                     {"ParameterKey": "Team", "ParameterValue": "red"}])
    cs = wait_cs(cf, "cs-cols", "columns")
    assert cs["Status"] == "CREATE_COMPLETE", cs.get("StatusReason")
    ch = changes_of(cs)
    assert set(ch) == {"Doc", "Reader", "Handle", "Extra"}
    assert ch["Extra"]["Action"] == "Add"
    assert ch["Handle"]["Action"] == "Remove"
    assert ch["Handle"]["PhysicalResourceId"] == res["Handle"]["PhysicalResourceId"]
    doc = ch["Doc"]
    assert doc["Action"] == "Modify" and doc["Replacement"] == "True"
    assert doc["PhysicalResourceId"] == res["Doc"]["PhysicalResourceId"]
    assert sorted(doc["Scope"]) == ["Properties", "Tags"]
    details = {d["Target"].get("Name", d["Target"]["Attribute"]): d for d in doc["Details"]}
    assert details["Content"] == {
        "Target": {"Attribute": "Properties", "Name": "Content", "RequiresRecreation": "Always"},
        "Evaluation": "Static", "ChangeSource": "ParameterReference", "CausingEntity": "Env"}
    assert details["Tags"] == {
        "Target": {"Attribute": "Tags", "RequiresRecreation": "Never"},
        "Evaluation": "Static", "ChangeSource": "ParameterReference", "CausingEntity": "Team"}
    # Reader refers to Doc, which is replaced: known only when the change runs
    reader = ch["Reader"]
    assert reader["Action"] == "Modify" and reader["Replacement"] == "Conditional"
    assert reader["Details"] == [{
        "Target": {"Attribute": "Properties", "Name": "Content", "RequiresRecreation": "Always"},
        "Evaluation": "Dynamic", "ChangeSource": "ResourceReference", "CausingEntity": "Doc"}]


def test_tags_only_change_is_in_place(cf):
    created(cf, "cs-tags")
    cf.create_change_set(StackName="cs-tags", ChangeSetName="tags", UsePreviousTemplate=True,
                         Parameters=[{"ParameterKey": "Env", "UsePreviousValue": True},
                                     {"ParameterKey": "Team", "ParameterValue": "green"}])
    ch = changes_of(wait_cs(cf, "cs-tags", "tags"))
    assert set(ch) == {"Doc"}
    assert ch["Doc"]["Replacement"] == "False" and ch["Doc"]["Scope"] == ["Tags"]
    # a direct edit of the template text
    body = template().replace("Tags: [{Key: team, Value: !Ref Team}]", "Tags: [{Key: team, Value: fixed}]")
    cf.create_change_set(StackName="cs-tags", ChangeSetName="direct", TemplateBody=body)
    d = changes_of(wait_cs(cf, "cs-tags", "direct"))["Doc"]["Details"]
    assert d == [{"Target": {"Attribute": "Tags", "RequiresRecreation": "Never"}, "Evaluation": "Static",
                  "ChangeSource": "DirectModification"}]


def test_execute_obsoletes_the_others(cf):
    created(cf, "cs-exec")
    a = cf.create_change_set(StackName="cs-exec", ChangeSetName="a", TemplateBody=template(handle=False))["Id"]
    b = cf.create_change_set(StackName="cs-exec", ChangeSetName="b", UsePreviousTemplate=True,
                             Parameters=[{"ParameterKey": "Team", "ParameterValue": "red"}])["Id"]
    wait_cs(cf, "cs-exec", "a")
    cf.execute_change_set(ChangeSetName=a)
    s = wait_stack(cf, "cs-exec", "stack_update_complete")
    assert s["StackStatus"] == "UPDATE_COMPLETE"
    res = [r["LogicalResourceId"] for r in cf.list_stack_resources(StackName="cs-exec")["StackResourceSummaries"]]
    assert sorted(res) == ["Doc", "Reader"]
    assert cf.describe_change_set(ChangeSetName=a)["ExecutionStatus"] == "EXECUTE_COMPLETE"
    assert cf.describe_change_set(ChangeSetName=b)["ExecutionStatus"] == "OBSOLETE"
    code, msg, http = fails(cf.execute_change_set, ChangeSetName=b)
    assert (code, http) == ("InvalidChangeSetStatus", 400)
    assert msg == "ChangeSet [%s] cannot be executed in its current execution status of [OBSOLETE]" % b
    code, _, _ = fails(cf.execute_change_set, ChangeSetName=a)
    assert code == "InvalidChangeSetStatus"
    # a direct UpdateStack obsoletes the change sets made before it
    c = cf.create_change_set(StackName="cs-exec", ChangeSetName="c", UsePreviousTemplate=True,
                             Parameters=[{"ParameterKey": "Team", "ParameterValue": "teal"}])["Id"]
    cf.update_stack(StackName="cs-exec", TemplateBody=template())
    assert cf.describe_change_set(ChangeSetName=c)["ExecutionStatus"] == "OBSOLETE"
    wait_stack(cf, "cs-exec", "stack_update_complete")
    summaries = {x["ChangeSetName"]: x for x in cf.list_change_sets(StackName="cs-exec")["Summaries"]}
    assert {n: x["ExecutionStatus"] for n, x in summaries.items()} == {
        "initial": "EXECUTE_COMPLETE", "a": "EXECUTE_COMPLETE", "b": "OBSOLETE", "c": "OBSOLETE"}
    assert summaries["a"]["ChangeSetId"] == a and summaries["a"]["Status"] == "CREATE_COMPLETE"


def test_empty_change_set_fails(cf):
    created(cf, "cs-empty")
    r = cf.create_change_set(StackName="cs-empty", ChangeSetName="same", UsePreviousTemplate=True)
    cs = cf.describe_change_set(ChangeSetName=r["Id"])
    assert cs["Status"] == "FAILED" and cs["ExecutionStatus"] == "UNAVAILABLE"
    assert cs["StatusReason"] == EMPTY_REASON and cs["Changes"] == []
    code, msg, _ = fails(cf.execute_change_set, ChangeSetName=r["Id"])
    assert code == "InvalidChangeSetStatus"
    assert msg == "ChangeSet [%s] cannot be executed in its current status of [FAILED]" % r["Id"]
    cf.delete_change_set(ChangeSetName="same", StackName="cs-empty")
    code, msg, http = fails(cf.describe_change_set, ChangeSetName=r["Id"])
    assert (code, http) == ("ChangeSetNotFound", 404)
    assert msg == "ChangeSet [%s] does not exist" % r["Id"]


def test_bad_requests(cf):
    created(cf, "cs-bad")
    # names
    code, msg, _ = fails(cf.create_change_set, StackName="cs-bad", ChangeSetName="9lives", TemplateBody=template())
    assert code == "ValidationError" and "'changeSetName'" in msg
    code, msg, _ = fails(cf.create_change_set, StackName="9bad", ChangeSetName="x", ChangeSetType="CREATE",
                         TemplateBody=template())
    assert code == "ValidationError" and "'stackName'" in msg
    # type
    code, msg, _ = fails(cf.create_change_set, StackName="cs-bad", ChangeSetName="imp", ChangeSetType="IMPORT",
                         TemplateBody=template(), ResourcesToImport=[])
    assert code == "ValidationError" and "IMPORT is not supported" in msg
    # CREATE on a live stack; UPDATE on none
    code, msg, _ = fails(cf.create_change_set, StackName="cs-bad", ChangeSetName="again", ChangeSetType="CREATE",
                         TemplateBody=template())
    assert code == "AlreadyExistsException"
    assert msg == "Stack [cs-bad] already exists and cannot be created again with the changeSet [again]."
    code, msg, _ = fails(cf.create_change_set, StackName="cs-nothing", ChangeSetName="u", TemplateBody=template())
    assert (code, msg) == ("ValidationError", "Stack [cs-nothing] does not exist")
    assert fails(cf.describe_stacks, StackName="cs-nothing")[0] == "ValidationError"  # nothing was made
    # the template and parameters are checked at the call
    code, msg, _ = fails(cf.create_change_set, StackName="cs-bad", ChangeSetName="t", TemplateBody="Resources: [")
    assert code == "ValidationError" and msg.startswith("Template format error")
    code, msg, _ = fails(cf.create_change_set, StackName="cs-bad", ChangeSetName="p", UsePreviousTemplate=True,
                         Parameters=[{"ParameterKey": "Nope", "ParameterValue": "x"}])
    assert code == "ValidationError" and "Nope" in msg
    code, _, _ = fails(cf.create_change_set, StackName="cs-bad", ChangeSetName="neither")
    assert code == "ValidationError"
    code, msg, _ = fails(cf.create_change_set, StackName="cs-new2", ChangeSetName="prev", ChangeSetType="CREATE",
                         UsePreviousTemplate=True)
    assert code == "ValidationError" and "UsePreviousTemplate" in msg
    # a name twice on one stack
    cf.create_change_set(StackName="cs-bad", ChangeSetName="dup", UsePreviousTemplate=True,
                         Parameters=[{"ParameterKey": "Team", "ParameterValue": "x"}])
    code, msg, _ = fails(cf.create_change_set, StackName="cs-bad", ChangeSetName="dup", UsePreviousTemplate=True)
    assert (code, msg) == ("AlreadyExistsException", "ChangeSet [dup] already exists")
    # finding one
    code, msg, _ = fails(cf.describe_change_set, ChangeSetName="dup")
    assert (code, msg) == ("ValidationError",
                           "StackName must be specified if ChangeSetName is not specified as an ARN.")
    for kw in ({"ChangeSetName": "nope", "StackName": "cs-bad"}, {"ChangeSetName": "dup", "StackName": "cs-none"},
               {"ChangeSetName": "arn:aws:cloudformation:us-east-1:123456789012:changeSet/x/y"}):
        code, msg, http = fails(cf.describe_change_set, **kw)
        assert (code, http) == ("ChangeSetNotFound", 404), kw
        assert msg == "ChangeSet [%s] does not exist" % kw["ChangeSetName"]
        assert fails(cf.execute_change_set, **kw)[0] == "ChangeSetNotFound"
        assert fails(cf.delete_change_set, **kw)[0] == "ChangeSetNotFound"
    code, _, _ = fails(cf.list_change_sets, StackName="cs-none")
    assert code == "ValidationError"
    code, msg, _ = fails(cf.list_change_sets, StackName="cs-bad", NextToken="garbage")
    assert (code, msg) == ("ValidationError", "Invalid NextToken")
    # an UPDATE change set needs an updatable stack
    cf.create_change_set(StackName="cs-review", ChangeSetName="r", ChangeSetType="CREATE", TemplateBody=template())
    code, msg, _ = fails(cf.create_change_set, StackName="cs-review", ChangeSetName="u", TemplateBody=template())
    assert code == "ValidationError" and "REVIEW_IN_PROGRESS state and can not be updated" in msg


def test_review_stack_deleted_at_once(cf):
    r = cf.create_change_set(StackName="cs-drop", ChangeSetName="c", ChangeSetType="CREATE", TemplateBody=template())
    # a second CREATE change set for the same stack under review is allowed
    r2 = cf.create_change_set(StackName="cs-drop", ChangeSetName="c2", ChangeSetType="CREATE", TemplateBody=template())
    assert r2["StackId"] == r["StackId"]
    assert fails(cf.update_stack, StackName="cs-drop", TemplateBody=template())[0] == "ValidationError"
    code, _, _ = fails(cf.create_stack, StackName="cs-drop", TemplateBody=template())
    assert code == "AlreadyExistsException"
    cf.delete_stack(StackName="cs-drop")
    s = cf.describe_stacks(StackName=r["StackId"])["Stacks"][0]
    assert s["StackStatus"] == "DELETE_COMPLETE"
    assert fails(cf.describe_change_set, ChangeSetName=r["Id"])[0] == "ChangeSetNotFound"
    # the name is free again
    cf.create_stack(StackName="cs-drop", TemplateBody=template())
    assert wait_stack(cf, "cs-drop", "stack_create_complete")["StackStatus"] == "CREATE_COMPLETE"


def test_list_change_sets_pages(cf):
    created(cf, "cs-many")
    ids = [cf.create_change_set(StackName="cs-many", ChangeSetName="n%03d" % i, UsePreviousTemplate=True,
                                Parameters=[{"ParameterKey": "Team", "ParameterValue": "t%d" % i}])["Id"]
           for i in range(101)]
    first = cf.list_change_sets(StackName="cs-many")
    assert len(first["Summaries"]) == 100 and first["NextToken"]
    rest = cf.list_change_sets(StackName="cs-many", NextToken=first["NextToken"])
    assert "NextToken" not in rest
    seen = [x["ChangeSetId"] for x in first["Summaries"] + rest["Summaries"]]
    assert sorted(seen) == sorted(ids + [x["ChangeSetId"] for x in first["Summaries"]
                                         if x["ChangeSetName"] == "initial"])
    assert len(seen) == len(set(seen)) == 102


def test_cli_walk_through(d, cf):
    p = d.aws("cloudformation", "create-change-set", "--stack-name", "cs-cli", "--change-set-name", "cli1",
              "--change-set-type", "CREATE", "--template-body", template(), check=True)
    cs_id = p.json["Id"]
    d.aws("cloudformation", "wait", "change-set-create-complete", "--change-set-name", cs_id, check=True)
    desc = d.aws("cloudformation", "describe-change-set", "--change-set-name", "cli1", "--stack-name", "cs-cli",
                 check=True).json
    assert desc["Status"] == "CREATE_COMPLETE" and len(desc["Changes"]) == 3
    d.aws("cloudformation", "execute-change-set", "--change-set-name", cs_id, check=True)
    d.aws("cloudformation", "wait", "stack-create-complete", "--stack-name", "cs-cli", check=True)
    listed = d.aws("cloudformation", "list-change-sets", "--stack-name", "cs-cli", check=True).json
    assert [x["ExecutionStatus"] for x in listed["Summaries"]] == ["EXECUTE_COMPLETE"]
    code, msg = cli_error(d.aws("cloudformation", "describe-change-set", "--change-set-name", "missing",
                                "--stack-name", "cs-cli"))
    assert (code, msg) == ("ChangeSetNotFound", "ChangeSet [missing] does not exist")
    d.aws("cloudformation", "delete-change-set", "--change-set-name", cs_id, check=True)
    assert d.aws("cloudformation", "list-change-sets", "--stack-name", "cs-cli", check=True).json["Summaries"] == []
