"""The tutorial's Step 6 (issue 12): the demo's "Restart web server" action, whose runbook's
aws:runCommand step runs AWS-RunShellScript on the provisioned product's node, run as the
tutorial's end user against a daemon whose instances are managed nodes on this host
(`--node-transport local`, a dedicated node user when root). The node runs a small HTTP
server that answers with its pid: after each record SUCCEEDED it answers with a new one."""

import os
import re
import shutil
import signal
import urllib.request

import pytest

from conftest import free_port
from helpers import wait_for
from sc_world import World
from sshd import node_user


@pytest.fixture(scope="module")
def world():
    port = free_port()
    w = World(extra_args=["--node-transport", "local", "--node-user", node_user()], web_port=port)
    w.port = port
    w.add_step1_policy()
    yield w
    node_dir = os.path.join(os.path.expanduser("~" + node_user()), ".catalogd-demo", w.instance())
    try:
        os.kill(int(open(os.path.join(node_dir, "web.pid")).read()), signal.SIGTERM)
    except (OSError, ValueError):
        pass
    shutil.rmtree(node_dir, ignore_errors=True)
    w.stop()


def served_pid(port):
    """The pid the node's web server answers with, or None when nothing answers."""
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/" % port, timeout=5) as r:
            body = r.read().decode()
    except OSError:
        return None
    m = re.search(r"pid (\d+)", body)
    assert m, body
    return int(m.group(1))


def restart(world):
    """Runs "Restart web server" as the end user; the ended record and its outputs."""
    rec, outputs = world.execute(world.ids["web_action"])
    assert rec["Status"] == "SUCCEEDED", (rec.get("RecordErrors"), outputs)
    return rec, outputs


def test_the_end_user_sees_the_restart_action(world):
    sc = world.client("servicecatalog", "enduser")
    art = sc.describe_provisioned_product(Id=world.pp)["ProvisionedProductDetail"]["ProvisioningArtifactId"]
    names = [a["Name"] for a in sc.list_service_actions_for_provisioning_artifact(
        ProductId=world.ids["product"], ProvisioningArtifactId=art)["ServiceActionSummaries"]]
    assert "Restart-web-server" in names


def test_restart_starts_then_replaces_the_server(world):
    assert served_pid(world.port) is None  # nothing listens before the first run
    restart(world)
    first = served_pid(world.port)
    assert first
    rec, outputs = restart(world)
    second = served_pid(world.port)
    assert second and second != first
    with pytest.raises(ProcessLookupError):
        os.kill(first, 0)  # the old server is gone
    # the record shows the execution, whose runCommand step ran the command
    ssm = world.client("ssm", "enduser")
    execution = outputs["AutomationExecutionId"]
    steps = ssm.get_automation_execution(AutomationExecutionId=execution)["AutomationExecution"]["StepExecutions"]
    assert [(s["StepName"], s["Action"], s["StepStatus"]) for s in steps] == [
        ("restartWebServer", "aws:runCommand", "Success")]
    command_id = steps[0]["Outputs"]["CommandId"][0]
    # the command's output, readable by the end user
    inv = ssm.get_command_invocation(CommandId=command_id, InstanceId=world.instance())
    assert inv["Status"] == "Success" and inv["ResponseCode"] == 0
    assert "stopped the web server (pid %d)" % first in inv["StandardOutputContent"]
    assert "started the web server (pid %d)" % second in inv["StandardOutputContent"]
    listed = ssm.list_command_invocations(CommandId=command_id, Details=True)["CommandInvocations"]
    assert listed[0]["CommandPlugins"][0]["Output"] == inv["StandardOutputContent"]
    assert "started the web server (pid %d)" % second in steps[0]["Outputs"]["Output"][0]


def test_the_record_history_lists_both_runs(world):
    sc = world.client("servicecatalog", "enduser")
    recs = sc.list_record_history(SearchFilter={"Key": "provisionedproduct", "Value": world.pp})["RecordDetails"]
    runs = [r for r in recs if r["RecordType"] == "EXECUTE_PROVISIONED_PRODUCT_SERVICE_ACTION"]
    assert len(runs) == 2 and all(r["Status"] == "SUCCEEDED" for r in runs)
    wait_for(lambda: served_pid(world.port), 5, "the server to still answer")
