"""Run Command delivery as AWS reports it (GetCommandInvocation's StatusDetails, the
user guide's "Understanding command statuses"): a node that does not answer is Delayed
and tried again until the command's TimeoutSeconds, then DeliveryTimedOut; a node that
comes back gets the command; one slow node holds up neither the rest of a fan-out nor
other commands; undeliverable nodes leave the command's status to the others.

Nodes are reached over ssh (a private sshd on 127.0.0.1, tests/api/sshd.py); an
instance's catalogd:node-port tag points it at a closed port (connection refused) or at
a listener that accepts and never answers (a hanging node)."""

import os
import shutil
import socket
import threading
import time
import urllib.request

import pytest

from conftest import Daemon, free_port
from helpers import AMI, run_bin, serve, wait_for
from sshd import Sshd


@pytest.fixture(scope="module")
def sshd():
    s = Sshd().start()
    yield s
    s.cleanup()


@pytest.fixture(scope="module")
def hanging():
    """A port that accepts connections and never says a word (sockets kept open)."""
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(64)
    held, stop = [], threading.Event()

    def accept():
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(srv.accept()[0])
            except OSError:
                pass

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    yield srv.getsockname()[1]
    stop.set()
    t.join()
    for c in held:
        c.close()
    srv.close()


@pytest.fixture(scope="module")
def d(sshd, tmp_path_factory):
    data = str(tmp_path_factory.mktemp("delivery-data"))
    imp = run_bin("node-key", "import", "--data-dir", data, "--id", "default", "--file", sshd.client_key)
    assert imp.returncode == 0, imp.stderr
    yield from serve(Daemon(data_dir=data, env={"CATALOGD_TEST_CLOCK": "1"}, args=[
        "--node-transport", "ssh", "--node-ssh-host", "127.0.0.1", "--node-ssh-port", str(sshd.port),
        "--node-ssh-user", sshd.user]))


@pytest.fixture(scope="module")
def ssm(d):
    return d.client("ssm")


@pytest.fixture(scope="module")
def ec2(d):
    return d.client("ec2")


def launch(ec2, **tags):
    spec = [{"ResourceType": "instance", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}] if tags else []
    return ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, InstanceType="t3.micro",
                             TagSpecifications=spec)["Instances"][0]["InstanceId"]


def send(ssm, iids, commands, **kw):
    return ssm.send_command(DocumentName="AWS-RunShellScript", InstanceIds=list(iids),
                            Parameters={"commands": list(commands)}, **kw)["Command"]["CommandId"]


def inv(ssm, cid, iid):
    return ssm.get_command_invocation(CommandId=cid, InstanceId=iid)


def command(ssm, cid):
    return ssm.list_commands(CommandId=cid)["Commands"][0]


def status(ssm, cid, iid):
    i = inv(ssm, cid, iid)
    return i["Status"], i["StatusDetails"]


def advance(d, ms):
    req = urllib.request.Request(d.endpoint + "/_catalogd/test/clock?advance_ms=%d" % ms, method="POST")
    urllib.request.urlopen(req, timeout=10).read()


def test_an_unanswering_node_is_delayed_then_delivery_times_out(d, ssm, ec2):
    iid = launch(ec2, **{"catalogd:node-port": str(free_port())})  # nothing listens there
    cid = send(ssm, [iid], ["echo never"], TimeoutSeconds=30)
    wait_for(lambda: status(ssm, cid, iid) == ("Delayed", "Delayed"), what="the invocation Delayed")
    cmd = command(ssm, cid)
    assert (cmd["Status"], cmd["StatusDetails"], cmd["CompletedCount"]) == ("Pending", "Delayed", 0)
    li = ssm.list_command_invocations(CommandId=cid, Filters=[{"key": "Status", "value": "Delayed"}])
    assert [i["InstanceId"] for i in li["CommandInvocations"]] == [iid]
    # the CLI sees the same
    g = d.aws("ssm", "get-command-invocation", "--command-id", cid, "--instance-id", iid, check=True).json
    assert (g["Status"], g["StatusDetails"], g["ResponseCode"]) == ("Delayed", "Delayed", -1)
    advance(d, 31000)  # past TimeoutSeconds: the system stops trying
    wait_for(lambda: status(ssm, cid, iid) == ("TimedOut", "DeliveryTimedOut"), what="DeliveryTimedOut")
    i = inv(ssm, cid, iid)
    assert i["ResponseCode"] == -1 and "could not be reached" in i["StandardErrorContent"]
    cmd = wait_for(lambda: (lambda c: c if c["Status"] == "TimedOut" else None)(command(ssm, cid)),
                   what="the command TimedOut")
    assert cmd["StatusDetails"] == "DeliveryTimedOut"
    assert (cmd["DeliveryTimedOutCount"], cmd["ErrorCount"], cmd["CompletedCount"]) == (1, 0, 1)
    found = ssm.list_commands(Filters=[{"key": "Status", "value": "DeliveryTimedOut"}])["Commands"]
    assert cid in [c["CommandId"] for c in found]
    p = d.aws("ssm", "list-commands", "--command-id", cid, check=True).json["Commands"][0]
    assert (p["Status"], p["StatusDetails"]) == ("TimedOut", "DeliveryTimedOut")


def test_a_delayed_command_is_delivered_when_the_node_comes_back(d, ssm, ec2, sshd):
    late = Sshd()  # its port is free until it starts; it trusts the daemon's key too
    try:
        shutil.copy(os.path.join(sshd.dir, "authorized_keys"), os.path.join(late.dir, "authorized_keys"))
        iid = launch(ec2, **{"catalogd:node-port": str(late.port)})
        cid = send(ssm, [iid], ["echo arrived"])
        wait_for(lambda: status(ssm, cid, iid)[0] == "Delayed", what="the invocation Delayed")
        late.start()
        wait_for(lambda: status(ssm, cid, iid) == ("Success", "Success"), timeout=60,
                 what="the delivery once the node answers")
        assert inv(ssm, cid, iid)["StandardOutputContent"] == "arrived\n"
        assert (command(ssm, cid)["Status"], command(ssm, cid)["StatusDetails"]) == ("Success", "Success")
    finally:
        late.cleanup()


def test_a_hanging_node_holds_up_neither_the_fan_out_nor_other_commands(d, ssm, ec2, hanging):
    good = launch(ec2)
    slow = launch(ec2, **{"catalogd:node-port": str(hanging)})
    t0 = time.time()
    cid = send(ssm, [slow, good], ["echo fine"])
    wait_for(lambda: status(ssm, cid, good) == ("Success", "Success"), timeout=15,
             what="the reachable node's invocation")
    # the other is still being tried: connecting to it takes the whole connect timeout
    assert status(ssm, cid, slow) in (("InProgress", "InProgress"), ("Delayed", "Delayed"))
    assert command(ssm, cid)["Status"] == "InProgress"
    # another command to the good node is not stuck behind the hanging one either
    for _ in range(3):
        other = send(ssm, [good], ["echo again"])
        wait_for(lambda: status(ssm, other, good) == ("Success", "Success"), timeout=15,
                 what="a second command meanwhile")
        assert status(ssm, cid, slow)[0] in ("InProgress", "Delayed")
    assert time.time() - t0 < 40
    ssm.cancel_command(CommandId=cid)
    wait_for(lambda: status(ssm, cid, slow) == ("Cancelled", "Cancelled"), what="the hanging one cancelled")


def test_undeliverable_nodes_leave_the_command_to_the_others(d, ssm, ec2):
    good = launch(ec2)
    none = launch(ec2, **{"catalogd:node-transport": "none"})
    cid = send(ssm, [good, none], ["echo ok"])
    wait_for(lambda: command(ssm, cid)["Status"] not in ("Pending", "InProgress"), what="the command")
    assert status(ssm, cid, none) == ("Failed", "Undeliverable")
    assert status(ssm, cid, good) == ("Success", "Success")
    cmd = command(ssm, cid)
    assert (cmd["Status"], cmd["StatusDetails"]) == ("Success", "Success")
    assert (cmd["CompletedCount"], cmd["ErrorCount"], cmd["DeliveryTimedOutCount"]) == (2, 0, 0)
    li = ssm.list_command_invocations(CommandId=cid, Filters=[{"key": "Status", "value": "Undeliverable"}])
    assert [i["InstanceId"] for i in li["CommandInvocations"]] == [none]
