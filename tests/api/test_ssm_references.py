"""Parameter Store where templates and runbooks read it (issue 13, deliverable 3).

CloudFormation: template parameters of the types AWS::SSM::Parameter::Value<...> resolved
at CreateStack/UpdateStack as the caller (ParameterValue the name, ResolvedValue the value
in DescribeStacks), {{resolve:ssm:NAME[:VERSION]}} and {{resolve:ssm-secure:NAME}} dynamic
references (checked at the call, resolved when the resource is made, never written into
events or templates), with CloudFormation's wording for what is missing. Automation:
{{ssm:NAME}} in step inputs and parameter defaults, read as the execution's principal.
"""

import json

import pytest

from conftest import Daemon
from helpers import AMI, AMI_AL2, allow, fails, new_user, serve
from test_cloudformation import events, instance, outputs_of, resources, settle, stack, tags_of
from test_ssm_automation import wait_status

AL2023 = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"

TYPED = """\
Parameters:
  LatestAmiId:
    Type: AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>
    Default: %s
  Owner:
    Type: AWS::SSM::Parameter::Value<String>
    Default: /refs/owner
  Zones:
    Type: AWS::SSM::Parameter::Value<List<String>>
    Default: /refs/zones
Resources:
  Web:
    Type: AWS::EC2::Instance
    Properties:
      ImageId: !Ref LatestAmiId
      InstanceType: t3.micro
      Tags:
        - Key: Owner
          Value: !Ref Owner
Outputs:
  FirstZone:
    Value: !Select [0, !Ref Zones]
  Image:
    Value: !Ref LatestAmiId
""" % AL2023


@pytest.fixture(scope="module")
def d():
    yield from serve(Daemon())


@pytest.fixture(scope="module")
def cf(d):
    return d.client("cloudformation")


@pytest.fixture(scope="module")
def ec2(d):
    return d.client("ec2")


@pytest.fixture(scope="module")
def ssm(d):
    s = d.client("ssm")
    s.put_parameter(Name="/refs/owner", Value="carol", Type="String")
    s.put_parameter(Name="/refs/zones", Value="us-east-1a,us-east-1b", Type="StringList")
    return s


def test_ssm_typed_parameters(d, cf, ec2, ssm):
    cf.create_stack(StackName="typed", TemplateBody=TYPED)
    s = settle(cf, "typed")
    assert s["StackStatus"] == "CREATE_COMPLETE", s.get("StackStatusReason")
    shown = {p["ParameterKey"]: p for p in s["Parameters"]}
    assert shown["LatestAmiId"]["ParameterValue"] == AL2023
    assert shown["LatestAmiId"]["ResolvedValue"] == AMI
    assert (shown["Owner"]["ParameterValue"], shown["Owner"]["ResolvedValue"]) == ("/refs/owner", "carol")
    inst = instance(ec2, resources(cf, "typed")["Web"]["PhysicalResourceId"])
    assert inst["ImageId"] == AMI and tags_of(inst)["Owner"] == "carol"
    assert outputs_of(s) == {"FirstZone": "us-east-1a", "Image": AMI}
    # the CLI shows the same
    out = d.aws("cloudformation", "describe-stacks", "--stack-name", "typed", check=True).json
    assert {p["ParameterKey"]: p.get("ResolvedValue") for p in out["Stacks"][0]["Parameters"]}["Owner"] == "carol"

    # an update re-reads the parameters: UsePreviousValue keeps the names, not the values
    ssm.put_parameter(Name="/refs/owner", Value="dave", Overwrite=True)
    cf.update_stack(StackName="typed", UsePreviousTemplate=True,
                    Parameters=[{"ParameterKey": k, "UsePreviousValue": True} for k in ("LatestAmiId", "Owner", "Zones")])
    s = settle(cf, "typed")
    assert s["StackStatus"] == "UPDATE_COMPLETE", s.get("StackStatusReason")
    shown = {p["ParameterKey"]: p for p in s["Parameters"]}
    assert (shown["Owner"]["ParameterValue"], shown["Owner"]["ResolvedValue"]) == ("/refs/owner", "dave")
    inst = instance(ec2, resources(cf, "typed")["Web"]["PhysicalResourceId"])
    assert tags_of(inst)["Owner"] == "dave"
    # another image through another public parameter: a new instance from it
    cf.update_stack(StackName="typed", UsePreviousTemplate=True,
                    Parameters=[{"ParameterKey": "LatestAmiId",
                                 "ParameterValue": "/aws/service/ami-amazon-linux-latest/amzn2-ami-kernel-5.10-hvm-x86_64-gp2"},
                                {"ParameterKey": "Owner", "UsePreviousValue": True},
                                {"ParameterKey": "Zones", "UsePreviousValue": True}])
    s = settle(cf, "typed")
    assert s["StackStatus"] == "UPDATE_COMPLETE", s.get("StackStatusReason")
    assert instance(ec2, resources(cf, "typed")["Web"]["PhysicalResourceId"])["ImageId"] == AMI_AL2


def test_rollback_puts_the_parameter_names_back(cf, ec2, ssm):
    ssm.put_parameter(Name="/refs/owner2", Value="erin", Type="String")
    cf.create_stack(StackName="typed-rb", TemplateBody=TYPED)
    assert settle(cf, "typed-rb")["StackStatus"] == "CREATE_COMPLETE"

    def owner():
        return {p["ParameterKey"]: p for p in stack(cf, "typed-rb")["Parameters"]}["Owner"]

    before = owner()
    # an update naming another parameter, whose new instance cannot launch: rolled back
    cf.update_stack(StackName="typed-rb", TemplateBody=TYPED.replace("ImageId: !Ref LatestAmiId", "ImageId: ami-00000000"),
                    Parameters=[{"ParameterKey": "Owner", "ParameterValue": "/refs/owner2"},
                                {"ParameterKey": "LatestAmiId", "UsePreviousValue": True},
                                {"ParameterKey": "Zones", "UsePreviousValue": True}])
    assert settle(cf, "typed-rb")["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    assert owner() == before
    # UsePreviousValue now means the name the stack shows again
    cf.update_stack(StackName="typed-rb", UsePreviousTemplate=True, Tags=[{"Key": "k", "Value": "v"}],
                    Parameters=[{"ParameterKey": k, "UsePreviousValue": True} for k in ("LatestAmiId", "Owner", "Zones")])
    assert settle(cf, "typed-rb")["StackStatus"] == "UPDATE_COMPLETE"
    assert (owner()["ParameterValue"], owner()["ResolvedValue"]) == ("/refs/owner", before["ResolvedValue"])


def test_missing_ssm_parameter_is_refused_at_the_call(cf, ssm):
    body = TYPED.replace("Default: /refs/owner", "Default: /refs/nobody")
    code, msg, status = fails(cf.create_stack, StackName="typed-missing", TemplateBody=body)
    assert (code, status) == ("ValidationError", 400)
    assert msg == "Unable to fetch parameters [/refs/nobody] from parameter store for this account."
    assert fails(cf.describe_stacks, StackName="typed-missing")[0] == "ValidationError"  # nothing was made


def test_the_caller_needs_ssm_get_parameters(d, cf, ssm):
    iam = d.client("iam")
    kid, sec = new_user(iam, "refs-noread", [allow(["cloudformation:*", "ec2:*"])])
    user_cf = d.client("cloudformation", key=kid, secret=sec)
    code, msg, _ = fails(user_cf.create_stack, StackName="typed-denied", TemplateBody=TYPED)
    assert code == "AccessDenied" and "ssm:GetParameters" in msg


DYN = """\
Resources:
  Web:
    Type: AWS::EC2::Instance
    Properties:
      ImageId: "{{resolve:ssm:%s}}"
      InstanceType: t3.micro
      Tags:
        - Key: Team
          Value: "team-{{resolve:ssm:/refs/team}}"
        - Key: TeamAtFirst
          Value: "{{resolve:ssm:/refs/team:1}}"
""" % AL2023


def test_dynamic_references(cf, ec2, ssm):
    ssm.put_parameter(Name="/refs/team", Value="blue", Type="String")
    ssm.put_parameter(Name="/refs/team", Value="green", Overwrite=True)
    cf.create_stack(StackName="dyn", TemplateBody=DYN)
    s = settle(cf, "dyn")
    assert s["StackStatus"] == "CREATE_COMPLETE", s.get("StackStatusReason")
    inst = instance(ec2, resources(cf, "dyn")["Web"]["PhysicalResourceId"])
    assert inst["ImageId"] == AMI
    assert tags_of(inst)["Team"] == "team-green" and tags_of(inst)["TeamAtFirst"] == "blue"
    # the template keeps the references
    assert "{{resolve:ssm:/refs/team}}" in cf.get_template(StackName="dyn")["TemplateBody"]


def test_missing_dynamic_reference(cf):
    body = DYN.replace("/refs/team:1", "/refs/team:9").replace("{{resolve:ssm:/refs/team}}", "{{resolve:ssm:/refs/none}}")
    code, msg, _ = fails(cf.create_stack, StackName="dyn-missing", TemplateBody=body)
    assert code == "ValidationError"
    assert msg == "Parameters: [ssm:/refs/none, ssm:/refs/team:9] cannot be found."


def test_ssm_secure_only_where_aws_allows_it(d, cf, ec2, ssm):
    ssm.put_parameter(Name="/refs/secret", Value="s3cr3t-value", Type="SecureString")
    body = DYN.replace("InstanceType: t3.micro", "InstanceType: t3.micro\n      UserData: \"{{resolve:ssm-secure:/refs/secret}}\"")
    code, msg, _ = fails(cf.create_stack, StackName="dyn-secure", TemplateBody=body)
    assert (code, msg) == ("ValidationError", "SSM Secure reference is not supported in: [AWS::EC2::Instance/Properties/UserData]")
    # built at run time (Fn::Join) it is refused when the resource is made, and shown nowhere
    body = DYN.replace("InstanceType: t3.micro", "InstanceType: t3.micro\n      UserData: !Join ['', ['{{resolve:ssm-secure:', '/refs/secret}}']]")
    cf.create_stack(StackName="dyn-secure2", TemplateBody=body)
    s = settle(cf, "dyn-secure2")
    assert s["StackStatus"] == "ROLLBACK_COMPLETE"
    reasons = [e.get("ResourceStatusReason", "") for e in events(cf, "dyn-secure2")]
    assert any("SSM Secure reference is not supported in: [AWS::EC2::Instance/Properties/UserData]" in r for r in reasons)
    assert "s3cr3t-value" not in json.dumps(events(cf, "dyn-secure2"), default=str)
    assert "s3cr3t-value" not in d.stderr()


RUNBOOK = {
    "schemaVersion": "0.3",
    "parameters": {"Wait": {"type": "String", "default": "{{ssm:/refs/wait}}"}},
    "mainSteps": [
        {"name": "fromInput", "action": "aws:sleep", "inputs": {"Duration": "{{ ssm:/refs/wait }}"}},
        {"name": "fromDefault", "action": "aws:sleep", "inputs": {"Duration": "{{ Wait }}"}},
    ],
}


def test_automation_reads_parameter_store(ssm):
    ssm.put_parameter(Name="/refs/wait", Value="PT0S", Type="String")
    ssm.create_document(Name="RefsRunbook", Content=json.dumps(RUNBOOK), DocumentType="Automation")
    eid = ssm.start_automation_execution(DocumentName="RefsRunbook")["AutomationExecutionId"]
    e = wait_status(ssm, eid)
    assert e["AutomationExecutionStatus"] == "Success", e.get("FailureMessage")
    steps = {s["StepName"]: s for s in e["StepExecutions"]}
    assert steps["fromInput"]["Inputs"]["Duration"] == '"PT0S"'
    assert steps["fromDefault"]["Inputs"]["Duration"] == '"PT0S"'
    # a parameter that does not exist fails the step that reads it
    ssm.delete_parameter(Name="/refs/wait")
    eid = ssm.start_automation_execution(DocumentName="RefsRunbook")["AutomationExecutionId"]
    e = wait_status(ssm, eid)
    assert e["AutomationExecutionStatus"] == "Failed"
    assert "{{ ssm:/refs/wait }} could not be resolved" in e["StepExecutions"][0]["FailureMessage"]


def test_run_command_documents_do_not_take_parameter_store_references(ssm):
    doc = {"schemaVersion": "2.2", "mainSteps": [
        {"action": "aws:runShellScript", "name": "run", "inputs": {"runCommand": ["echo {{ssm:/refs/owner}}"]}}]}
    code, msg, _ = fails(ssm.create_document, Name="RefsCommand", Content=json.dumps(doc), DocumentType="Command")
    assert code == "InvalidDocumentContent" and "{{ ssm:/refs/owner }}" in msg
