"""Run Command: Command documents (schema 2.2, JSON and YAML, versions, validation with
SSM's errors, AWS-RunShellScript with AWS's published content) and SendCommand /
ListCommands / ListCommandInvocations / GetCommandInvocation / CancelCommand with AWS's
statuses. The daemon of this module has no node transport, so every instance is an
unmanaged node: its invocations end Undeliverable, as AWS reports a node without an agent."""

import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.request

import pytest
import yaml

from conftest import ACCOUNT, BIN, REGION, Daemon
from helpers import allow, cli_error, fails, new_user, run_bin, serve, wait_for
from sshd import Sshd, node_user


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
    r = ec2.run_instances(ImageId="ami-0246838ace3f374fc", MinCount=1, MaxCount=1, InstanceType="t3.micro",
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


def test_send_command_refuses_scripts_over_the_size_limit(ssm, ec2):
    iid = run_instance(ec2)
    c, msg, _ = fails(ssm.send_command, DocumentName="AWS-RunShellScript", InstanceIds=[iid],
                      Parameters={"commands": ["echo " + "x" * 40000, "echo " + "y" * 30000]})
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
    # Undeliverable does not make a command Incomplete: with nothing delivered it is Failed
    assert (done["Status"], done["StatusDetails"]) == ("Failed", "Failed")
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
    none = ssm.send_command(DocumentName="AWS-RunShellScript", Targets=[{"Key": "tag:team", "Values": ["nobody"]}],
                            Parameters={"commands": ["true"]})["Command"]
    assert (none["Status"], none["TargetCount"], none["InstanceIds"]) == ("Success", 0, [])


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


# ---------------------------------------------------------------- managed nodes (local transport)

def node_args():
    return ["--node-transport", "local", "--node-user", node_user()]


@pytest.fixture(scope="module", params=["local", "ssh"])
def nd(request, tmp_path_factory):
    """A daemon whose every instance is a managed node: on this host as the node user
    (local), or through a private sshd on 127.0.0.1 logging in as that user (ssh)."""
    env = {"CATALOGD_TEST_CLOCK": "1"}
    if request.param == "local":
        yield from serve(Daemon(args=node_args(), env=env))
        return
    sshd = Sshd().start()
    try:
        data = str(tmp_path_factory.mktemp("ssh-node-data"))
        imp = run_bin("node-key", "import", "--data-dir", data, "--id", "default", "--file", sshd.client_key)
        assert imp.returncode == 0, imp.stderr
        yield from serve(Daemon(data_dir=data, env=env, args=[
            "--node-transport", "ssh", "--node-ssh-host", "127.0.0.1", "--node-ssh-port", str(sshd.port),
            "--node-ssh-user", sshd.user]))
    finally:
        sshd.cleanup()


@pytest.fixture(scope="module")
def nssm(nd):
    return nd.client("ssm")


@pytest.fixture(scope="module")
def nec2(nd):
    return nd.client("ec2")


@pytest.fixture
def shared_dir():
    """A directory the node user can write to."""
    path = tempfile.mkdtemp(prefix="catalogd-runcmd-")
    os.chmod(path, 0o777)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def send(ssm, iids, commands, **kw):
    """SendCommand of AWS-RunShellScript running commands (or of kw's doc, commands None)."""
    params = {"commands": list(commands)} if commands is not None else {}
    params.update(kw.pop("params", {}))
    r = ssm.send_command(DocumentName=kw.pop("doc", "AWS-RunShellScript"), InstanceIds=list(iids),
                         Parameters=params, **kw)
    return r["Command"]["CommandId"]


def invocation(ssm, cid, iid, timeout=30):
    wait_for(lambda: ssm.get_command_invocation(CommandId=cid, InstanceId=iid)["Status"]
             not in ("Pending", "InProgress", "Delayed", "Cancelling"), timeout=timeout,
             what="invocation %s on %s to end" % (cid, iid))
    return ssm.get_command_invocation(CommandId=cid, InstanceId=iid)


def test_echo_succeeds_with_its_output(nssm, nec2):
    iid = run_instance(nec2)
    cid = send(nssm, [iid], ["echo hello", "echo oops >&2"])
    inv = invocation(nssm, cid, iid)
    assert (inv["Status"], inv["StatusDetails"], inv["ResponseCode"]) == ("Success", "Success", 0)
    assert inv["StandardOutputContent"] == "hello\n" and inv["StandardErrorContent"] == "oops\n"
    assert inv["PluginName"] == "aws:runShellScript"
    assert inv["ExecutionStartDateTime"] and inv["ExecutionEndDateTime"]
    assert re.fullmatch(r"PT\d+\.\d{3}S", inv["ExecutionElapsedTime"])
    cmd = command_of(nssm, cid)
    assert (cmd["Status"], cmd["CompletedCount"], cmd["ErrorCount"]) == ("Success", 1, 0)
    li = nssm.list_command_invocations(CommandId=cid, Details=True)["CommandInvocations"][0]
    plugin = li["CommandPlugins"][0]
    assert (plugin["Status"], plugin["ResponseCode"]) == ("Success", 0)
    assert plugin["Output"] == "hello\n\n----------ERROR-------\noops\n"


def test_a_long_script_runs_whole(nssm, nec2):
    iid = run_instance(nec2)
    lines = ["echo %04d-%s" % (i, "z" * 60) for i in range(500)]
    cid = send(nssm, [iid], lines)
    inv = invocation(nssm, cid, iid)
    assert inv["Status"] == "Success"
    assert inv["StandardOutputContent"] == "".join(l[5:] + "\n" for l in lines)[:24000]


def test_exit_code_fails_the_invocation(nssm, nec2):
    iid = run_instance(nec2)
    cid = send(nssm, [iid], ["echo before", "exit 3", "echo after"])
    inv = invocation(nssm, cid, iid)
    assert (inv["Status"], inv["StatusDetails"], inv["ResponseCode"]) == ("Failed", "Failed", 3)
    assert inv["StandardOutputContent"] == "before\n"
    cmd = finished(nssm, cid)
    assert (cmd["Status"], cmd["StatusDetails"], cmd["ErrorCount"]) == ("Failed", "Failed", 1)


def test_execution_timeout_times_out(nssm, nec2):
    iid = run_instance(nec2)
    t0 = time.time()
    cid = send(nssm, [iid], ["echo started", "sleep 60"], params={"executionTimeout": ["2"]})
    inv = invocation(nssm, cid, iid, timeout=40)
    assert (inv["Status"], inv["StatusDetails"]) == ("TimedOut", "ExecutionTimedOut")
    assert time.time() - t0 < 30
    assert inv["StandardOutputContent"] == "started\n"
    cmd = finished(nssm, cid)
    assert (cmd["Status"], cmd["StatusDetails"], cmd["ErrorCount"]) == ("TimedOut", "ExecutionTimedOut", 1)


def test_big_output_is_truncated_as_aws_does_and_readable_whole(nd, nssm, nec2):
    iid = run_instance(nec2)
    cid = send(nssm, [iid], ["yes 0123456789abcdefghi | head -c 102400"])
    inv = invocation(nssm, cid, iid)
    assert inv["Status"] == "Success"
    line = "0123456789abcdefghi\n"
    whole = (line * (102400 // len(line) + 1))[:102400]
    assert inv["StandardOutputContent"] == whole[:24000]
    li = nssm.list_command_invocations(CommandId=cid, Details=True)["CommandInvocations"][0]
    assert li["CommandPlugins"][0]["Output"] == whole[:2500]
    p = subprocess.run([BIN, "command-output", cid, iid, "--data-dir", nd.data_dir], capture_output=True, timeout=30)
    assert p.returncode == 0, p.stderr
    assert p.stdout == whole.encode()
    p = subprocess.run([BIN, "command-output", cid, iid, "--stderr", "--data-dir", nd.data_dir],
                       capture_output=True, timeout=30)
    assert (p.returncode, p.stdout) == (0, b"")
    p = subprocess.run([BIN, "command-output", cid, "../etc", "--data-dir", nd.data_dir], capture_output=True,
                       timeout=30)
    assert p.returncode == 2


def test_binary_output(nd, nssm, nec2):
    iid = run_instance(nec2)
    cid = send(nssm, [iid], [r"printf 'ok\000\377\376end\n'"])
    inv = invocation(nssm, cid, iid)
    assert inv["Status"] == "Success"
    assert inv["StandardOutputContent"] == "ok\ufffd\ufffdend\n"
    p = subprocess.run([BIN, "command-output", cid, iid, "--data-dir", nd.data_dir], capture_output=True, timeout=30)
    assert p.stdout == b"ok\x00\xff\xfeend\n"


def test_cancel_kills_a_running_command(nssm, nec2):
    iid = run_instance(nec2)
    token = "%d" % (900000 + os.getpid() % 90000)
    cid = send(nssm, [iid], ["echo started", "sleep " + token, "echo never"])
    wait_for(lambda: subprocess.run(["pgrep", "-f", "sleep " + token], capture_output=True).returncode == 0,
             what="the command to run")
    assert nssm.cancel_command(CommandId=cid)["ResponseMetadata"]["HTTPStatusCode"] == 200
    inv = invocation(nssm, cid, iid)
    assert (inv["Status"], inv["StatusDetails"]) == ("Cancelled", "Cancelled")
    assert "never" not in inv["StandardOutputContent"]
    wait_for(lambda: subprocess.run(["pgrep", "-f", "sleep " + token], capture_output=True).returncode != 0,
             what="the command's process to be killed")
    assert finished(nssm, cid)["Status"] == "Cancelled"


def test_max_errors_stops_the_fan_out(nssm, nec2):
    iids = [run_instance(nec2) for _ in range(4)]
    cid = send(nssm, iids, ["exit 1"], MaxConcurrency="1", MaxErrors="0")
    cmd = finished(nssm, cid)
    assert (cmd["Status"], cmd["StatusDetails"]) == ("Failed", "Failed")
    assert (cmd["TargetCount"], cmd["CompletedCount"], cmd["ErrorCount"]) == (4, 4, 1)
    details = [nssm.get_command_invocation(CommandId=cid, InstanceId=i)["StatusDetails"] for i in iids]
    assert details == ["Failed", "Terminated", "Terminated", "Terminated"]


def test_max_errors_as_a_percentage_lets_some_fail(nssm, nec2):
    iids = [run_instance(nec2) for _ in range(4)]
    cid = send(nssm, iids, ["exit 2"], MaxConcurrency="100%", MaxErrors="100%")
    cmd = finished(nssm, cid)
    assert (cmd["Status"], cmd["ErrorCount"], cmd["CompletedCount"]) == ("Failed", 4, 4)
    assert cmd["StatusDetails"] == "Incomplete"


def test_max_concurrency_is_respected(nssm, nec2, shared_dir):
    iids = [run_instance(nec2) for _ in range(3)]
    log = os.path.join(shared_dir, "log")
    cid = send(nssm, iids, ["echo start >> %s" % log, "sleep 1", "echo end >> %s" % log], MaxConcurrency="1")
    assert finished(nssm, cid)["Status"] == "Success"
    with open(log) as f:
        assert f.read().split() == ["start", "end"] * 3


def test_delivery_timeout(nd, nssm, nec2):
    first, second = run_instance(nec2), run_instance(nec2)
    cid = send(nssm, [first, second], ["sleep 4"], MaxConcurrency="1", TimeoutSeconds=30)
    wait_for(lambda: nssm.get_command_invocation(CommandId=cid, InstanceId=first)["Status"] == "InProgress",
             what="the first invocation to start")
    req = urllib.request.Request(nd.endpoint + "/_catalogd/test/clock?advance_ms=31000", method="POST")
    urllib.request.urlopen(req, timeout=10).read()
    late = invocation(nssm, cid, second)
    assert (late["Status"], late["StatusDetails"]) == ("TimedOut", "DeliveryTimedOut")
    assert invocation(nssm, cid, first)["Status"] == "Success"
    cmd = finished(nssm, cid)
    assert (cmd["DeliveryTimedOutCount"], cmd["ErrorCount"]) == (1, 0)
    assert (cmd["Status"], cmd["StatusDetails"]) == ("TimedOut", "DeliveryTimedOut")


def test_shell_metacharacters_reach_the_script_as_written(nssm, nec2, shared_dir):
    iid = run_instance(nec2)
    keep = os.path.join(shared_dir, "keep")
    open(keep, "w").close()
    os.chmod(keep, 0o666)
    line = "x; rm -rf %s $(rm -f %s) `rm -f %s` \"q\" 'q' \\ && exit 9 | {{ not-a-var }}" % (shared_dir, keep, keep)
    cid = send(nssm, [iid], ["cat <<'EOF'", line, "EOF"])
    inv = invocation(nssm, cid, iid)
    assert inv["Status"] == "Success" and inv["StandardOutputContent"] == line + "\n"
    assert os.path.exists(keep)
    # a document parameter is substituted as the document says, then left alone
    doc = shell_doc(["cat <<'EOF'", "{{ text }}", "EOF"], parameters={"text": {"type": "String"}})
    nssm.create_document(Name="meta-cmd", Content=json.dumps(doc))
    value = "a; rm -rf %s $(rm -f %s)" % (shared_dir, keep)
    cid = send(nssm, [iid], None, doc="meta-cmd", params={"text": [value]})
    inv = invocation(nssm, cid, iid)
    assert inv["StandardOutputContent"] == value + "\n" and os.path.exists(keep)


def test_powershell_is_refused_on_a_linux_node_and_preconditions_skip(nssm, nec2):
    iid = run_instance(nec2)
    doc = shell_doc(mainSteps=[
        {"action": "aws:runPowerShellScript", "name": "windowsOnly", "precondition": {"StringEquals": ["platformType", "Windows"]},
         "inputs": {"runCommand": ["Write-Output hi"]}},
        {"action": "aws:runShellScript", "name": "linux", "inputs": {"runCommand": ["echo linux"]}}])
    nssm.create_document(Name="mixed-cmd", Content=json.dumps(doc))
    cid = nssm.send_command(DocumentName="mixed-cmd", InstanceIds=[iid])["Command"]["CommandId"]
    finished(nssm, cid)
    skipped = nssm.get_command_invocation(CommandId=cid, InstanceId=iid, PluginName="windowsOnly")
    assert skipped["Status"] == "Success" and "skipped due to unsatisfied preconditions" in skipped["StandardOutputContent"]
    ran = nssm.get_command_invocation(CommandId=cid, InstanceId=iid, PluginName="linux")
    assert (ran["Status"], ran["StandardOutputContent"]) == ("Success", "linux\n")
    code, msg, _ = fails(nssm.get_command_invocation, CommandId=cid, InstanceId=iid)
    assert code == "InvalidPluginName" and "more than one plugin" in msg, msg
    nssm.create_document(Name="ps-cmd", Content=json.dumps(shell_doc(mainSteps=[
        {"action": "aws:runPowerShellScript", "name": "ps", "inputs": {"runCommand": ["Write-Output hi"]}}])))
    cid = nssm.send_command(DocumentName="ps-cmd", InstanceIds=[iid])["Command"]["CommandId"]
    inv = invocation(nssm, cid, iid)
    assert (inv["Status"], inv["ResponseCode"]) == ("Failed", 1)
    assert "aws:runPowerShellScript is not supported" in inv["StandardErrorContent"]


def delayed_on_a_stopped_instance(nssm, nec2):
    """(instance, command id): echo hi sent to a stopped instance, once it is Delayed
    (AWS: "because the node was stopped"; the system tries again)."""
    iid = run_instance(nec2)

    def state():
        return nec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]["State"]["Name"]

    wait_for(lambda: state() == "running", what="the instance to run")
    nec2.stop_instances(InstanceIds=[iid])
    wait_for(lambda: state() == "stopped", what="the instance to stop")
    cid = send(nssm, [iid], ["echo hi"])
    wait_for(lambda: (lambda i: (i["Status"], i["StatusDetails"]))(
        nssm.get_command_invocation(CommandId=cid, InstanceId=iid)) == ("Delayed", "Delayed"), what="Delayed")
    return iid, cid


def test_a_stopped_instance_is_delayed_until_it_starts(nd, nssm, nec2):
    iid, cid = delayed_on_a_stopped_instance(nssm, nec2)
    g = nd.aws("ssm", "list-command-invocations", "--command-id", cid, check=True).json["CommandInvocations"][0]
    assert (g["Status"], g["StatusDetails"]) == ("Delayed", "Delayed")
    nec2.start_instances(InstanceIds=[iid])
    inv = invocation(nssm, cid, iid, timeout=40)
    assert (inv["Status"], inv["StatusDetails"], inv["StandardOutputContent"]) == ("Success", "Success", "hi\n")


def test_a_stopped_instance_terminated_meanwhile_is_undeliverable(nssm, nec2):
    iid, cid = delayed_on_a_stopped_instance(nssm, nec2)
    nec2.terminate_instances(InstanceIds=[iid])
    inv = invocation(nssm, cid, iid, timeout=40)
    assert (inv["Status"], inv["StatusDetails"]) == ("Failed", "Undeliverable")
    assert inv["StandardOutputContent"] == "" and "terminated" in inv["StandardErrorContent"]


def test_kill9_during_a_command_runs_it_once(fresh_daemon, shared_dir):
    d = fresh_daemon(args=node_args() + ["--lease-ms", "1500"])
    ssm, ec2 = d.client("ssm"), d.client("ec2")
    iid = run_instance(ec2)
    log = os.path.join(shared_dir, "runs")
    cid = send(ssm, [iid], ["echo start >> %s" % log, "sleep 3", "echo end >> %s" % log, "echo done"])
    wait_for(lambda: os.path.exists(log), what="the command to start")
    d.kill9()
    d2 = fresh_daemon(data_dir=d.data_dir, args=node_args() + ["--lease-ms", "1500"])
    ssm = d2.client("ssm")
    inv = invocation(ssm, cid, iid, timeout=60)
    assert (inv["Status"], inv["StandardOutputContent"]) == ("Success", "done\n")
    time.sleep(1)
    with open(log) as f:
        assert f.read().split() == ["start", "end"]


def test_a_run_the_node_lost_ends_failed(nd, nssm, nec2):
    iid = run_instance(nec2)
    token = "%d" % (800000 + os.getpid() % 90000)
    cid = send(nssm, [iid], ["sleep " + token])
    wait_for(lambda: subprocess.run(["pgrep", "-f", "sleep " + token], capture_output=True).returncode == 0,
             what="the command to run")
    run_id = "%s-%s-0" % (cid, iid)
    gone = []  # the run directory: in the data directory (local) or the ssh user's home
    roots = [os.path.join(nd.data_dir, "node"), os.path.expanduser("~" + node_user())]
    for root, dirs, _ in (w for r in roots for w in os.walk(r)):
        for name in dirs:
            if name == run_id:
                gone.append(os.path.join(root, name))
    assert gone, "no run directory %s under the data directory" % run_id
    for path in gone:
        shutil.rmtree(path)
    subprocess.run(["pkill", "-f", "sleep " + token])
    inv = invocation(nssm, cid, iid)
    assert (inv["Status"], inv["StatusDetails"], inv["ResponseCode"]) == ("Failed", "Failed", -1)
    assert "run directory is gone" in inv["StandardErrorContent"]
