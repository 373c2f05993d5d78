"""CloudFormation exports and Fn::ImportValue (issue 13 item 1): an output's Export is
published when its stack completes (unique per account and region: "Export with name X
is already exported by stack Y"), another stack reads it with Fn::ImportValue ("No export
named X found." fails the operation), ListExports and ListImports (boto3 and the AWS CLI),
and an export in use can be neither deleted, changed nor removed ("Export X cannot be
deleted as it is in use by Y")."""

import pytest

from cfn_helpers import outputs, settle, stack
from conftest import Daemon
from helpers import cli_error, fails, serve

EXPORTER = """\
Parameters:
  Suffix: {Type: String, Default: one}
Resources:
  Handle:
    Type: AWS::CloudFormation::WaitConditionHandle
Outputs:
  Url:
    Value: !Ref Handle
    Export:
      Name: !Sub "${AWS::StackName}-url"
  Fixed:
    Value: !Sub "fixed-${Suffix}"
    Export:
      Name: shared-fixed
"""

IMPORTER = """\
Parameters:
  From: {Type: String}
Resources:
  Handle:
    Type: AWS::CloudFormation::WaitConditionHandle
Outputs:
  Seen:
    Value: !ImportValue
      Fn::Sub: "${From}-url"
  Fixed:
    Value: !ImportValue shared-fixed
"""


@pytest.fixture(scope="module")
def d():
    yield from serve(Daemon(args=["--ec2-delay-ms", "0"]))


@pytest.fixture(scope="module")
def cf(d):
    return d.client("cloudformation")




def reason_of_rollback(cf, name, status="UPDATE_ROLLBACK_IN_PROGRESS"):
    """The reason an operation rolled back: its latest stack event of status."""
    return next(e["ResourceStatusReason"] for e in cf.describe_stack_events(StackName=name)["StackEvents"]
                if e["LogicalResourceId"] == name and e["ResourceStatus"] == status)



def exports(cf):
    out, token = [], None
    while True:
        page = cf.list_exports(**({"NextToken": token} if token else {}))
        out += page["Exports"]
        token = page.get("NextToken")
        if not token:
            return {e["Name"]: e for e in out}


def test_export_import_and_guards(d, cf):
    sid = cf.create_stack(StackName="exp-a", TemplateBody=EXPORTER)["StackId"]
    a = settle(cf, "exp-a")
    assert a["StackStatus"] == "CREATE_COMPLETE"
    url = outputs(a)["Url"]
    ex = exports(cf)
    assert ex["exp-a-url"] == {"ExportingStackId": sid, "Name": "exp-a-url", "Value": url}
    assert ex["shared-fixed"]["Value"] == "fixed-one"
    # ExportName shows on the outputs
    assert {o["OutputKey"]: o.get("ExportName") for o in a["Outputs"]} == {"Url": "exp-a-url",
                                                                           "Fixed": "shared-fixed"}
    cf.create_stack(StackName="exp-b", TemplateBody=IMPORTER,
                    Parameters=[{"ParameterKey": "From", "ParameterValue": "exp-a"}])
    b = settle(cf, "exp-b")
    assert b["StackStatus"] == "CREATE_COMPLETE", b.get("StackStatusReason")
    assert outputs(b) == {"Seen": url, "Fixed": "fixed-one"}
    assert cf.list_imports(ExportName="exp-a-url")["Imports"] == ["exp-b"]
    assert cf.list_imports(ExportName="shared-fixed")["Imports"] == ["exp-b"]

    # the export is in use: it cannot change, go, or lose its stack
    cf.update_stack(StackName="exp-a", UsePreviousTemplate=True,
                    Parameters=[{"ParameterKey": "Suffix", "ParameterValue": "two"}])
    s = settle(cf, "exp-a")
    assert s["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    assert reason_of_rollback(cf, "exp-a") == "Export shared-fixed cannot be updated as it is in use by exp-b. "
    assert exports(cf)["shared-fixed"]["Value"] == "fixed-one"
    cf.update_stack(StackName="exp-a", TemplateBody=EXPORTER.split("  Fixed:")[0])
    s = settle(cf, "exp-a")
    assert s["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    assert reason_of_rollback(cf, "exp-a") == "Export shared-fixed cannot be deleted as it is in use by exp-b. "
    cf.delete_stack(StackName="exp-a")
    s = settle(cf, "exp-a")
    assert s["StackStatus"] == "DELETE_FAILED"
    assert s["StackStatusReason"] == "Export exp-a-url cannot be deleted as it is in use by exp-b"
    assert set(exports(cf)) >= {"exp-a-url", "shared-fixed"}
    assert [r["ResourceStatus"] for r in cf.list_stack_resources(StackName="exp-a")["StackResourceSummaries"]] == [
        "CREATE_COMPLETE"]

    # once the importer is gone, so may the exporter go
    cf.delete_stack(StackName="exp-b")
    assert settle(cf, b["StackId"])["StackStatus"] == "DELETE_COMPLETE"
    code, msg, _ = fails(cf.list_imports, ExportName="exp-a-url")
    assert (code, msg) == ("ValidationError", "Export 'exp-a-url' is not imported by any stack.")
    cf.delete_stack(StackName="exp-a")
    assert settle(cf, sid)["StackStatus"] == "DELETE_COMPLETE"
    assert not {"exp-a-url", "shared-fixed"} & set(exports(cf))


def test_export_name_is_unique(cf):
    exporter = EXPORTER.replace("shared-fixed", "unique-fixed")
    cf.create_stack(StackName="exp-first", TemplateBody=exporter)
    assert settle(cf, "exp-first")["StackStatus"] == "CREATE_COMPLETE"
    clash = exporter.replace("${AWS::StackName}-url", "${AWS::StackName}-other")
    cf.create_stack(StackName="exp-second", TemplateBody=clash)
    s = settle(cf, "exp-second")
    assert s["StackStatus"] == "ROLLBACK_COMPLETE"
    assert reason_of_rollback(cf, "exp-second", "ROLLBACK_IN_PROGRESS") == (
        "Export with name unique-fixed is already exported by stack exp-first. Rollback requested by user.")
    assert exports(cf)["unique-fixed"]["ExportingStackId"] == stack(cf, "exp-first")["StackId"]
    assert "exp-second-other" not in exports(cf)
    # the exporter itself may update it (nobody imports it)
    cf.update_stack(StackName="exp-first", UsePreviousTemplate=True,
                    Parameters=[{"ParameterKey": "Suffix", "ParameterValue": "three"}])
    assert settle(cf, "exp-first")["StackStatus"] == "UPDATE_COMPLETE"
    assert exports(cf)["unique-fixed"]["Value"] == "fixed-three"
    first = stack(cf, "exp-first")["StackId"]
    cf.delete_stack(StackName="exp-first")
    assert settle(cf, first)["StackStatus"] == "DELETE_COMPLETE"
    assert "unique-fixed" not in exports(cf)


def test_missing_export_fails_the_operation(cf):
    cf.create_stack(StackName="exp-orphan", TemplateBody=IMPORTER,
                    Parameters=[{"ParameterKey": "From", "ParameterValue": "nobody"}])
    s = settle(cf, "exp-orphan")
    assert s["StackStatus"] == "ROLLBACK_COMPLETE"
    assert reason_of_rollback(cf, "exp-orphan", "ROLLBACK_IN_PROGRESS") == (
        "No export named nobody-url found. Rollback requested by user.")
    assert [r["ResourceStatus"] for r in cf.list_stack_resources(StackName="exp-orphan")["StackResourceSummaries"]
            if r["ResourceStatus"] != "DELETE_COMPLETE"] == []
    # bad inputs
    code, msg, _ = fails(cf.create_stack, StackName="exp-bad", TemplateBody=IMPORTER.replace(
        "!ImportValue shared-fixed", "{'Fn::ImportValue': [a, b]}"), Parameters=[
        {"ParameterKey": "From", "ParameterValue": "x"}])
    assert code == "ValidationError" and "Fn::ImportValue" in msg
    code, msg, _ = fails(cf.list_exports, NextToken="garbage")
    assert (code, msg) == ("ValidationError", "Invalid NextToken")
    code, msg, _ = fails(cf.list_imports, ExportName="never-exported")
    assert (code, msg) == ("ValidationError", "Export 'never-exported' is not imported by any stack.")


def test_cli(d, cf):
    d.aws("cloudformation", "create-stack", "--stack-name", "exp-cli", "--template-body",
          EXPORTER.replace("shared-fixed", "cli-fixed"), check=True)
    d.aws("cloudformation", "wait", "stack-create-complete", "--stack-name", "exp-cli", check=True)
    listed = d.aws("cloudformation", "list-exports", check=True).json["Exports"]
    assert {e["Name"] for e in listed} >= {"exp-cli-url", "cli-fixed"}
    d.aws("cloudformation", "create-stack", "--stack-name", "exp-cli-user", "--template-body",
          IMPORTER.replace("shared-fixed", "cli-fixed"),
          "--parameters", "ParameterKey=From,ParameterValue=exp-cli", check=True)
    d.aws("cloudformation", "wait", "stack-create-complete", "--stack-name", "exp-cli-user", check=True)
    assert d.aws("cloudformation", "list-imports", "--export-name", "exp-cli-url",
                 check=True).json["Imports"] == ["exp-cli-user"]
    code, msg = cli_error(d.aws("cloudformation", "list-imports", "--export-name", "nothing-here"))
    assert (code, msg) == ("ValidationError", "Export 'nothing-here' is not imported by any stack.")
