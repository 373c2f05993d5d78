"""What CloudFormation says about a template before running it (issue 13 item 1):
ValidateTemplate (Parameters, Description, Capabilities and CapabilitiesReason for IAM
resources, "Template format error: ..." refusals), GetTemplateSummary (by TemplateBody,
TemplateURL or StackName), and InsufficientCapabilitiesException from CreateStack,
UpdateStack and CreateChangeSet when IAM resources are not acknowledged; boto3 and the
AWS CLI."""

import functools
import http.server
import os
import threading

import pytest

from conftest import Daemon
from helpers import cli_error, fails, serve, wait_for

PLAIN = """\
AWSTemplateFormatVersion: "2010-09-09"
Description: no IAM here
Metadata:
  Owner: {Team: blue}
Parameters:
  Size:
    Type: String
    Default: small
    AllowedValues: [small, large]
    Description: how big
  Secret: {Type: String, NoEcho: true}
Resources:
  Handle:
    Type: AWS::CloudFormation::WaitConditionHandle
  Doc:
    Type: AWS::SSM::Document
    Properties:
      DocumentType: Command
      Content: {schemaVersion: "2.2", mainSteps: [{action: "aws:runShellScript", name: s, inputs: {runCommand: [echo ok]}}]}
  Other:
    Type: AWS::CloudFormation::WaitConditionHandle
"""

IAM = """\
Resources:
  Handle:
    Type: AWS::CloudFormation::WaitConditionHandle
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {Version: "2012-10-17", Statement: []}
  Profile:
    Type: AWS::IAM::InstanceProfile
    Properties:
      Roles: [!Ref Role]
"""

NAMED = IAM.replace("      Roles: [!Ref Role]", "      Roles: [!Ref Role]\n      InstanceProfileName: fixed-name")

REASON = "The following resource(s) require capabilities: [AWS::IAM::Role, AWS::IAM::InstanceProfile]"


@pytest.fixture(scope="module")
def tdir(tmp_path_factory):
    p = tmp_path_factory.mktemp("templates")
    (p / "plain.yaml").write_text(PLAIN)
    return str(p)


@pytest.fixture(scope="module")
def d(tdir):
    yield from serve(Daemon(args=["--ec2-delay-ms", "0", "--template-dir", tdir, "--fetch-allow", "127.0.0.0/8"]))


@pytest.fixture(scope="module")
def cf(d):
    return d.client("cloudformation")


def test_validate_template_capabilities(cf):
    r = cf.validate_template(TemplateBody=PLAIN)
    assert r["Capabilities"] == [] and "CapabilitiesReason" not in r
    assert r["Description"] == "no IAM here"
    assert [p["ParameterKey"] for p in r["Parameters"]] == ["Size", "Secret"]
    r = cf.validate_template(TemplateBody=IAM)
    assert r["Capabilities"] == ["CAPABILITY_IAM"]
    assert r["CapabilitiesReason"] == REASON
    r = cf.validate_template(TemplateBody=NAMED)
    assert r["Capabilities"] == ["CAPABILITY_NAMED_IAM"] and r["CapabilitiesReason"] == REASON


@pytest.mark.parametrize("body,message", [
    ("Resources: [unclosed\n", "Template format error: YAML not well-formed."),
    ('{"Resources": {}}', "Template format error: At least one Resources member must be defined."),
    ("Nope: 1\nResources: {A: {Type: AWS::CloudFormation::WaitConditionHandle}}\n",
     "Invalid template property or properties [Nope]"),
    ('AWSTemplateFormatVersion: "2011-01-01"\nResources: {A: {Type: AWS::CloudFormation::WaitConditionHandle}}\n',
     "Template format error: Unsupported AWSTemplateFormatVersion"),
])
def test_validate_template_format_errors(cf, body, message):
    code, msg, http = fails(cf.validate_template, TemplateBody=body)
    assert (code, http) == ("ValidationError", 400)
    assert msg.startswith(message), msg


def test_get_template_summary(cf, tdir):
    r = cf.get_template_summary(TemplateBody=PLAIN)
    assert r["ResourceTypes"] == ["AWS::CloudFormation::WaitConditionHandle", "AWS::SSM::Document"]
    assert r["Version"] == "2010-09-09" and r["Description"] == "no IAM here"
    assert r["Capabilities"] == [] and r["DeclaredTransforms"] == []
    assert r["Metadata"] == '{"Owner":{"Team":"blue"}}'
    params = {p["ParameterKey"]: p for p in r["Parameters"]}
    assert params["Size"] == {"ParameterKey": "Size", "DefaultValue": "small", "ParameterType": "String",
                              "NoEcho": False, "Description": "how big",
                              "ParameterConstraints": {"AllowedValues": ["small", "large"]}}
    assert params["Secret"]["NoEcho"] is True and params["Secret"]["ParameterConstraints"] == {}
    by_url = cf.get_template_summary(TemplateURL="file://" + os.path.join(tdir, "plain.yaml"))
    assert by_url["Parameters"] == r["Parameters"] and by_url["ResourceTypes"] == r["ResourceTypes"]
    iam = cf.get_template_summary(TemplateBody=NAMED)
    assert iam["Capabilities"] == ["CAPABILITY_NAMED_IAM"] and iam["CapabilitiesReason"] == REASON
    cf.create_stack(StackName="sum-stack", TemplateBody=PLAIN,
                    Parameters=[{"ParameterKey": "Secret", "ParameterValue": "x"}])
    by_stack = cf.get_template_summary(StackName="sum-stack")
    assert by_stack["ResourceTypes"] == r["ResourceTypes"] and by_stack["Parameters"] == r["Parameters"]


def test_template_url_over_http(cf, tdir):
    """GetTemplateSummary and CreateChangeSet read an http(s) TemplateURL on the fetch
    threads, as CreateStack does (an HTTP thread may not wait on the network)."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=tdir)
    handler.log_message = lambda *a: None
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        base = "http://127.0.0.1:%d/" % srv.server_address[1]
        r = cf.get_template_summary(TemplateURL=base + "plain.yaml")
        assert r["Description"] == "no IAM here"
        cs = cf.create_change_set(StackName="url-stack", ChangeSetName="c", ChangeSetType="CREATE",
                                  TemplateURL=base + "plain.yaml",
                                  Parameters=[{"ParameterKey": "Secret", "ParameterValue": "x"}])
        assert len(cf.describe_change_set(ChangeSetName=cs["Id"])["Changes"]) == 3
        code, msg, _ = fails(cf.get_template_summary, TemplateURL=base + "missing.yaml")
        assert (code, msg) == ("ValidationError",
                               "TemplateURL must reference a valid S3 object to which you have access.")
        code, _, _ = fails(cf.create_change_set, StackName="url-stack", ChangeSetName="d", ChangeSetType="CREATE",
                           TemplateURL=base + "missing.yaml")
        assert code == "ValidationError"
    finally:
        srv.shutdown()
        srv.server_close()


def test_get_template_summary_bad_input(cf, tdir):
    code, msg, _ = fails(cf.get_template_summary)
    assert (code, msg) == ("ValidationError", "Either StackName or TemplateBody or TemplateURL must be specified.")
    code, _, _ = fails(cf.get_template_summary, StackName="sum-nothing")
    assert code == "ValidationError"
    code, _, _ = fails(cf.get_template_summary, StackName="sum-nothing", TemplateBody=PLAIN)
    assert code == "ValidationError"
    code, msg, _ = fails(cf.get_template_summary, TemplateBody="Resources: [")
    assert code == "ValidationError" and msg.startswith("Template format error")
    code, msg, _ = fails(cf.get_template_summary, TemplateURL="gopher://example.com/t")
    assert (code, msg) == ("ValidationError", "TemplateURL must be a supported URL.")
    code, msg, _ = fails(cf.get_template_summary, TemplateURL="file://" + os.path.join(tdir, "missing.yaml"))
    assert code == "ValidationError"


def test_insufficient_capabilities(cf):
    for body, need in ((IAM, "CAPABILITY_IAM"), (NAMED, "CAPABILITY_NAMED_IAM")):
        refused = [[], ["CAPABILITY_AUTO_EXPAND"]] + ([["CAPABILITY_IAM"]] if need == "CAPABILITY_NAMED_IAM" else [])
        for caps in refused:
            code, msg, http = fails(cf.create_stack, StackName="cap-stack", TemplateBody=body, Capabilities=caps)
            assert (code, msg, http) == ("InsufficientCapabilitiesException", "Requires capabilities : [%s]" % need,
                                         400), caps
            code, msg, _ = fails(cf.create_change_set, StackName="cap-stack", ChangeSetName="c",
                                 ChangeSetType="CREATE", TemplateBody=body, Capabilities=caps)
            assert (code, msg) == ("InsufficientCapabilitiesException", "Requires capabilities : [%s]" % need)
    assert fails(cf.describe_stacks, StackName="cap-stack")[0] == "ValidationError"  # nothing made
    # acknowledged, the call is accepted (NAMED covers the unnamed too)
    sid = cf.create_stack(StackName="cap-ok", TemplateBody=IAM, Capabilities=["CAPABILITY_NAMED_IAM"])["StackId"]
    assert cf.describe_stacks(StackName=sid)["Stacks"][0]["Capabilities"] == ["CAPABILITY_NAMED_IAM"]
    wait_for(lambda: not cf.describe_stacks(StackName=sid)["Stacks"][0]["StackStatus"].endswith("_IN_PROGRESS"))
    cf.create_stack(StackName="cap-up", TemplateBody=PLAIN, Parameters=[{"ParameterKey": "Secret", "ParameterValue": "x"}])
    wait_for(lambda: cf.describe_stacks(StackName="cap-up")["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE")
    code, msg, _ = fails(cf.update_stack, StackName="cap-up", TemplateBody=IAM)
    assert (code, msg) == ("InsufficientCapabilitiesException", "Requires capabilities : [CAPABILITY_IAM]")
    assert cf.describe_stacks(StackName="cap-up")["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"


def test_cli(d):
    p = d.aws("cloudformation", "validate-template", "--template-body", IAM, check=True)
    assert p.json["Capabilities"] == ["CAPABILITY_IAM"] and p.json["CapabilitiesReason"] == REASON
    p = d.aws("cloudformation", "get-template-summary", "--template-body", PLAIN, check=True)
    assert p.json["ResourceTypes"] == ["AWS::CloudFormation::WaitConditionHandle", "AWS::SSM::Document"]
    code, msg = cli_error(d.aws("cloudformation", "create-stack", "--stack-name", "cap-cli", "--template-body", NAMED))
    assert (code, msg) == ("InsufficientCapabilitiesException", "Requires capabilities : [CAPABILITY_NAMED_IAM]")
    code, msg = cli_error(d.aws("cloudformation", "validate-template", "--template-body", "Resources: 3"))
    assert code == "ValidationError" and msg.startswith("Template format error")
