"""Run Command: Command documents (schema 2.2, JSON and YAML, versions, validation with
SSM's errors, AWS-RunShellScript with AWS's published content) and SendCommand /
ListCommands / ListCommandInvocations / GetCommandInvocation / CancelCommand with AWS's
statuses. The daemon of this module has no node transport, so every instance is an
unmanaged node: its invocations end Undeliverable, as AWS reports a node without an agent."""

import json

import pytest
import yaml

from conftest import ACCOUNT, REGION, Daemon
from helpers import allow, cli_error, fails, new_user, policy, serve, wait_for


@pytest.fixture(scope="module")
def d():
    yield from serve(Daemon())


@pytest.fixture(scope="module")
def ssm(d):
    return d.client("ssm")


@pytest.fixture(scope="module")
def ec2(d):
    return d.client("ec2")


def shell_doc(commands=("echo hello",), **extra):
    doc = {
        "schemaVersion": "2.2",
        "description": "Runs a script.",
        "parameters": {"message": {"type": "String", "default": "hi", "allowedPattern": "^[a-z ]*$"}},
        "mainSteps": [{"action": "aws:runShellScript", "name": "run", "inputs": {"runCommand": list(commands)}}],
    }
    doc.update(extra)
    return doc


def run_instance(ec2, **tags):
    spec = [{"ResourceType": "instance", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}] if tags else []
    r = ec2.run_instances(ImageId="ami-12345678", MinCount=1, MaxCount=1, InstanceType="t3.micro",
                          TagSpecifications=spec)
    return r["Instances"][0]["InstanceId"]


def command_of(ssm, cid):
    return ssm.list_commands(CommandId=cid)["Commands"][0]


def finished(ssm, cid, timeout=30):
    return wait_for(lambda: (lambda c: c if c["Status"] not in ("Pending", "InProgress", "Cancelling") else None)(
        command_of(ssm, cid)), timeout=timeout, what="command %s to finish" % cid)


# ---------------------------------------------------------------- Command documents


def test_command_document_json_create_get_describe(ssm):
    r = ssm.create_document(Name="hello-cmd", Content=json.dumps(shell_doc()), DocumentType="Command")
    dd = r["DocumentDescription"]
    assert dd["DocumentType"] == "Command" and dd["SchemaVersion"] == "2.2"
    assert dd["PlatformTypes"] == ["Linux", "MacOS"]
    assert dd["Parameters"] == [{"Name": "message", "Type": "String", "DefaultValue": "hi"}]
    g = ssm.get_document(Name="hello-cmd")
    assert g["DocumentType"] == "Command" and json.loads(g["Content"]) == shell_doc()
    y = ssm.get_document(Name="hello-cmd", DocumentFormat="YAML")
    assert yaml.safe_load(y["Content"]) == shell_doc()


def test_command_is_the_default_document_type(ssm):
    r = ssm.create_document(Name="default-type", Content=json.dumps(shell_doc()))
    assert r["DocumentDescription"]["DocumentType"] == "Command"


def test_command_document_yaml_and_versions(ssm):
    ssm.create_document(Name="yaml-cmd", Content=yaml.safe_dump(shell_doc()), DocumentType="Command",
                        DocumentFormat="YAML")
    u = ssm.update_document(Name="yaml-cmd", Content=yaml.safe_dump(shell_doc(["echo two"])),
                            DocumentFormat="YAML", DocumentVersion="$LATEST")
    assert u["DocumentDescription"]["DocumentVersion"] == "2"
    assert u["DocumentDescription"]["DocumentType"] == "Command"
    vs = ssm.list_document_versions(Name="yaml-cmd")["DocumentVersions"]
    assert sorted(v["DocumentVersion"] for v in vs) == ["1", "2"]
    g = ssm.get_document(Name="yaml-cmd", DocumentVersion="2")
    assert "echo two" in g["Content"]


def test_list_documents_filters_by_type(ssm):
    ssm.create_document(Name="filter-cmd", Content=json.dumps(shell_doc()), DocumentType="Command")
    cmds = ssm.list_documents(Filters=[{"Key": "DocumentType", "Values": ["Command"]}])["DocumentIdentifiers"]
    names = {x["Name"] for x in cmds}
    assert "filter-cmd" in names and "AWS-RunShellScript" in names
    assert all(x["DocumentType"] == "Command" for x in cmds)
    autos = ssm.list_documents(Filters=[{"Key": "DocumentType", "Values": ["Automation"]}])["DocumentIdentifiers"]
    assert "filter-cmd" not in {x["Name"] for x in autos} and "AWS-RestartEC2Instance" in {x["Name"] for x in autos}
    old = ssm.list_documents(DocumentFilterList=[{"key": "DocumentType", "value": "Command"}])["DocumentIdentifiers"]
    assert {x["Name"] for x in old} == names


def test_aws_run_shell_script_has_its_published_content(ssm):
    d = ssm.describe_document(Name="AWS-RunShellScript")["Document"]
    assert d["Owner"] == "Amazon" and d["DocumentType"] == "Command" and d["SchemaVersion"] == "1.2"
    assert {p["Name"]: p.get("DefaultValue") for p in d["Parameters"]} == {
        "commands": None, "workingDirectory": "", "executionTimeout": "3600"}
    c = json.loads(ssm.get_document(Name="AWS-RunShellScript")["Content"])
    assert c["parameters"]["executionTimeout"]["allowedPattern"] == (
        "([1-9][0-9]{0,4})|(1[0-6][0-9]{4})|(17[0-1][0-9]{3})|(172[0-7][0-9]{2})|(172800)")
    props = c["runtimeConfig"]["aws:runShellScript"]["properties"][0]
    assert props["runCommand"] == "{{ commands }}" and props["timeoutSeconds"] == "{{ executionTimeout }}"


@pytest.mark.parametrize("doc,code,words", [
    (shell_doc(mainSteps=[{"action": "aws:runMagic", "name": "x", "inputs": {"runCommand": ["true"]}}]),
     "InvalidDocumentContent", "aws:runMagic"),
    ({"schemaVersion": "2.2", "description": "no steps"}, "InvalidDocumentContent", "mainSteps"),
    (shell_doc(mainSteps=[{"action": "aws:runShellScript", "name": "x", "inputs": {"runCommand": ["a"]}},
                          {"action": "aws:runShellScript", "name": "x", "inputs": {"runCommand": ["b"]}}]),
     "InvalidDocumentContent", "Duplicate step name x"),
    (shell_doc(mainSteps=[{"action": "aws:runShellScript", "name": "x", "inputs": {}}]),
     "InvalidDocumentContent", "runCommand"),
    (shell_doc(parameters={"n": {"type": "Integer", "default": "three"}}), "InvalidDocumentContent", "Integer"),
    (shell_doc(parameters={"n": {"type": "Number"}}), "InvalidDocumentContent", "unsupported type"),
    (dict(shell_doc(), schemaVersion="1.2"), "InvalidDocumentSchemaVersion", "2.2"),
    (dict(shell_doc(), schemaVersion="0.3"), "InvalidDocumentSchemaVersion", "2.2"),
    (shell_doc(mainSteps=[{"action": "aws:runShellScript", "name": "x", "inputs": {"runCommand": ["{{ nope }}"]}}]),
     "InvalidDocumentContent", "nope"),
])
def test_create_document_refuses_bad_command_documents(ssm, doc, code, words):
    c, msg, status = fails(ssm.create_document, Name="bad-cmd", Content=json.dumps(doc), DocumentType="Command")
    assert (c, status) == (code, 400) and words in msg, msg
    assert fails(ssm.describe_document, Name="bad-cmd")[0] == "InvalidDocument"


def test_a_script_over_the_size_limit_is_refused(ssm):
    big = shell_doc(["echo " + "x" * 70000])
    c, msg, _ = fails(ssm.create_document, Name="big-cmd", Content=json.dumps(big), DocumentType="Command")
    assert c == "MaxDocumentSizeExceeded", msg


def test_send_command_refuses_a_runbook_and_an_unknown_document(ssm, ec2):
    iid = run_instance(ec2)
    assert fails(ssm.send_command, DocumentName="AWS-RestartEC2Instance", InstanceIds=[iid])[0] == "InvalidDocument"
    assert fails(ssm.send_command, DocumentName="no-such-doc", InstanceIds=[iid])[0] == "InvalidDocument"


# ---------------------------------------------------------------- SendCommand checks


def test_send_command_checks_parameters(ssm, ec2):
    iid = run_instance(ec2)
    ssm.create_document(Name="param-cmd", Content=json.dumps(shell_doc(["echo {{ message }}"])))
    c, msg, _ = fails(ssm.send_command, DocumentName="param-cmd", InstanceIds=[iid],
                      Parameters={"message": ["NOT LOWER"]})
    assert c == "InvalidParameters" and "pattern" in msg, msg
    c, msg, _ = fails(ssm.send_command, DocumentName="param-cmd", InstanceIds=[iid], Parameters={"other": ["x"]})
    assert c == "InvalidParameters" and "other" in msg, msg
    c, msg, _ = fails(ssm.send_command, DocumentName="AWS-RunShellScript", InstanceIds=[iid],
                      Parameters={"commands": ["true"], "executionTimeout": ["0"]})
    assert c == "InvalidParameters", msg
    c, msg, _ = fails(ssm.send_command, DocumentName="AWS-RunShellScript", InstanceIds=[iid])
    assert c == "InvalidParameters" and "commands" in msg, msg
    assert ssm.list_commands(Filters=[{"key": "DocumentName", "value": "param-cmd"}])["Commands"] == []


def test_send_command_refuses_unknown_and_duplicate_instances(ssm, ec2):
    iid = run_instance(ec2)
    c, msg, _ = fails(ssm.send_command, DocumentName="AWS-RunShellScript", InstanceIds=["i-0123456789abcdef0"],
                      Parameters={"commands": ["true"]})
    assert c == "InvalidInstanceId" and "i-0123456789abcdef0" in msg, msg
    c, _, _ = fails(ssm.send_command, DocumentName="AWS-RunShellScript", InstanceIds=[iid, iid],
                    Parameters={"commands": ["true"]})
    assert c == "DuplicateInstanceId"


def test_send_command_is_authorized_on_the_document_and_each_instance(d, ssm, ec2):
    iam = d.client("iam")
    mine, other = run_instance(ec2), run_instance(ec2)
    arn = "arn:aws:ec2:%s:%s:instance/%s" % (REGION, ACCOUNT, mine)
    doc_arn = "arn:aws:ssm:%s::document/AWS-RunShellScript" % REGION
    kid, secret = new_user(iam, "runner", [allow(["ssm:SendCommand"], [doc_arn, arn]),
                                           allow(["ec2:DescribeInstances", "ssm:ListCommands"])])
    s = d.client("ssm", key=kid, secret=secret)
    ok = s.send_command(DocumentName="AWS-RunShellScript", InstanceIds=[mine], Parameters={"commands": ["true"]})
    assert ok["Command"]["TargetCount"] == 1
    c, msg, _ = fails(s.send_command, DocumentName="AWS-RunShellScript", InstanceIds=[mine, other],
                      Parameters={"commands": ["true"]})
    assert c == "AccessDeniedException" and other in msg, msg
    ssm.create_document(Name="not-allowed-doc", Content=json.dumps(shell_doc()))
    c, msg, _ = fails(s.send_command, DocumentName="not-allowed-doc", InstanceIds=[mine])
    assert c == "AccessDeniedException" and "document/not-allowed-doc" in msg, msg


# ---------------------------------------------------------------- unmanaged nodes


def test_an_instance_without_a_transport_is_undeliverable(ssm, ec2):
    iid = run_instance(ec2)
    r = ssm.send_command(DocumentName="AWS-RunShellScript", InstanceIds=[iid], Parameters={"commands": ["echo hi"]},
                         Comment="first try", TimeoutSeconds=60, OutputS3BucketName="ignored-bucket",
                         OutputS3KeyPrefix="p/", CloudWatchOutputConfig={"CloudWatchOutputEnabled": False})
    cmd = r["Command"]
    assert cmd["Status"] == "Pending" and cmd["MaxConcurrency"] == "50" and cmd["MaxErrors"] == "0"
    assert cmd["Parameters"] == {"commands": ["echo hi"], "workingDirectory": [""], "executionTimeout": ["3600"]}
    assert cmd["OutputS3BucketName"] == "ignored-bucket" and cmd["Comment"] == "first try"
    done = finished(ssm, cmd["CommandId"])
    assert (done["Status"], done["StatusDetails"]) == ("Failed", "Incomplete")
    assert (done["TargetCount"], done["CompletedCount"], done["ErrorCount"]) == (1, 1, 0)
    inv = ssm.get_command_invocation(CommandId=cmd["CommandId"], InstanceId=iid)
    assert (inv["Status"], inv["StatusDetails"], inv["ResponseCode"]) == ("Failed", "Undeliverable", -1)
    assert inv["PluginName"] == "aws:runShellScript" and inv["StandardOutputContent"] == ""
    li = ssm.list_command_invocations(CommandId=cmd["CommandId"], Details=True)["CommandInvocations"]
    assert [(i["InstanceId"], i["StatusDetails"]) for i in li] == [(iid, "Undeliverable")]
    assert li[0]["CommandPlugins"][0]["Name"] == "aws:runShellScript"


def test_targets_by_tag_and_list_filters(ssm, ec2):
    a, b = run_instance(ec2, team="blue"), run_instance(ec2, team="blue")
    run_instance(ec2, team="red")
    r = ssm.send_command(DocumentName="AWS-RunShellScript", Targets=[{"Key": "tag:team", "Values": ["blue"]}],
                         Parameters={"commands": ["true"]}, MaxConcurrency="50%", MaxErrors="1")
    cid = r["Command"]["CommandId"]
    assert sorted(r["Command"]["InstanceIds"]) == sorted([a, b]) and r["Command"]["TargetCount"] == 2
    finished(ssm, cid)
    assert [c["CommandId"] for c in ssm.list_commands(InstanceId=a)["Commands"]] == [cid]
    assert len(ssm.list_command_invocations(CommandId=cid)["CommandInvocations"]) == 2
    one = ssm.list_command_invocations(CommandId=cid, InstanceId=b)["CommandInvocations"]
    assert [i["InstanceId"] for i in one] == [b]
    assert ssm.list_commands(CommandId=cid, Filters=[{"key": "Status", "value": "Success"}])["Commands"] == []


def test_unknown_command_and_invocation(ssm, ec2):
    iid = run_instance(ec2)
    assert fails(ssm.list_commands, CommandId="00000000-0000-0000-0000-000000000000")[0] == "InvalidCommandId"
    r = ssm.send_command(DocumentName="AWS-RunShellScript", InstanceIds=[iid], Parameters={"commands": ["true"]})
    cid = r["Command"]["CommandId"]
    other = run_instance(ec2)
    assert fails(ssm.get_command_invocation, CommandId=cid, InstanceId=other)[0] == "InvocationDoesNotExist"
    assert fails(ssm.get_command_invocation, CommandId=cid, InstanceId=iid, PluginName="nope")[0] == \
        "InvalidPluginName"


def test_aws_cli_send_and_get(d, ec2):
    iid = run_instance(ec2)
    p = d.aws("ssm", "send-command", "--document-name", "AWS-RunShellScript", "--instance-ids", iid,
              "--parameters", "commands=echo cli", check=True)
    cid = p.json["Command"]["CommandId"]
    wait_for(lambda: d.aws("ssm", "list-commands", "--command-id", cid, check=True).json["Commands"][0]["Status"]
             == "Failed", what="the CLI's command to end")
    g = d.aws("ssm", "get-command-invocation", "--command-id", cid, "--instance-id", iid, check=True).json
    assert g["StatusDetails"] == "Undeliverable"
    code, _ = cli_error(d.aws("ssm", "get-command-invocation", "--command-id", cid, "--instance-id", "i-0000000000000000a"))
    assert code == "InvocationDoesNotExist"
