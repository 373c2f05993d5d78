"""Managed nodes (issue 12): which instances are nodes, DescribeInstanceInformation with
PingStatus from a real reachability check, over the ssh transport (a private sshd on
127.0.0.1, tests/api/sshd.py) and the local one (--node-transport local --node-user),
sealed ssh keys and pinned host keys."""

import datetime
import os
import socket

import pytest
from conftest import Daemon
from helpers import error_of, run_bin, wait_for
from sshd import Sshd, node_user

AMI = "ami-0246838ace3f374fc"
PING_MS = "300"


def launch(ec2, tags=None, count=1):
    kw = {"ImageId": AMI, "InstanceType": "t3.micro", "MinCount": count, "MaxCount": count}
    if tags:
        kw["TagSpecifications"] = [
            {"ResourceType": "instance", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}
        ]
    ids = [i["InstanceId"] for i in ec2.run_instances(**kw)["Instances"]]
    for i in ids:
        wait_for(lambda: ec2.describe_instances(InstanceIds=[i])["Reservations"][0]["Instances"][0]["State"]["Name"] == "running",
                 what="%s running" % i)
    return ids


def nodes(ssm, **kw):
    return {n["InstanceId"]: n for n in ssm.describe_instance_information(**kw)["InstanceInformationList"]}


def ping_status(ssm, iid):
    return nodes(ssm).get(iid, {}).get("PingStatus")


def os_name():
    try:
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("NAME="):
                    return line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return "Linux"


@pytest.fixture
def node_daemon():
    made = []

    def make(*args, data_dir=None):
        d = Daemon(data_dir=data_dir, args=["--ec2-delay-ms", "0", "--node-ping-ms", PING_MS] + list(args)).start()
        made.append(d)
        return d

    yield make
    for d in made:
        rc = d.stop()
        d.cleanup()
        assert rc == 0


def check_info(info, iid):
    assert info["InstanceId"] == iid
    assert info["AgentVersion"].startswith("catalogd-")
    assert info["IsLatestVersion"] is True
    assert info["PlatformType"] == "Linux"
    assert info["PlatformName"] == os_name()
    assert info["ResourceType"] == "EC2Instance"
    assert info["ComputerName"] == socket.gethostname()
    assert info["IPAddress"].count(".") == 3
    assert info["LastPingDateTime"].year >= 2024


def test_ssh_node_online_lost_and_host_key_pinned(node_daemon, tmp_path):
    sshd = Sshd().start()
    try:
        data = str(tmp_path / "data")
        imp = run_bin("node-key", "import", "--data-dir", data, "--id", "default", "--file", sshd.client_key)
        assert imp.returncode == 0, imp.stderr
        key_text = open(sshd.client_key).read()
        body = key_text.splitlines()[1]
        assert body not in imp.stdout + imp.stderr
        sealed = open(os.path.join(data, "node-keys", "default.sealed")).read()
        assert "PRIVATE KEY" not in sealed and body not in sealed
        assert os.stat(os.path.join(data, "node-keys", "default.sealed")).st_mode & 0o077 == 0

        d = node_daemon("--node-transport", "ssh", "--node-ssh-host", "127.0.0.1",
                        "--node-ssh-port", str(sshd.port), "--node-ssh-user", sshd.user, data_dir=data)
        ec2, ssm = d.client("ec2"), d.client("ssm")
        (iid,) = launch(ec2)
        wait_for(lambda: ping_status(ssm, iid) == "Online", what="the ssh node Online")
        info = nodes(ssm)[iid]
        check_info(info, iid)
        # the CLI sees the same
        p = d.aws("ssm", "describe-instance-information", check=True)
        assert [n["PingStatus"] for n in p.json["InstanceInformationList"] if n["InstanceId"] == iid] == ["Online"]

        # sshd gone: ConnectionLost after the ping period, last ping time kept
        sshd.stop()
        # a ping already under way may still be answered while sshd stops: the last answer
        # comes no later than the moment it has stopped
        stopped_at = datetime.datetime.now(datetime.timezone.utc)
        wait_for(lambda: ping_status(ssm, iid) == "ConnectionLost", what="ConnectionLost")
        assert nodes(ssm)[iid]["LastPingDateTime"] <= stopped_at  # the last time it answered

        # back with another host key: refused, still ConnectionLost, the log says why
        sshd.new_host_key()
        sshd.start()
        # (a read asks for a fresh check once the last is older than the ping period)
        wait_for(lambda: ping_status(ssm, iid) and "host key for 127.0.0.1 changed" in d.stderr(),
                 what="the host key refusal")
        assert ping_status(ssm, iid) == "ConnectionLost"
        # the pinned key back: Online again (it was the key, not sshd)
        sshd.stop()
        sshd.restore_host_key()
        sshd.start()
        wait_for(lambda: ping_status(ssm, iid) == "Online", what="Online with the pinned key")

        # the key appears in no log line
        assert body not in d.stderr()
    finally:
        sshd.cleanup()


def test_ssh_node_per_instance_tags(node_daemon, tmp_path):
    """Without --node-transport, tags make an instance an ssh node; a refused user is
    ConnectionLost; an untagged instance is not a node."""
    sshd = Sshd().start()
    try:
        data = str(tmp_path / "data")
        assert run_bin("node-key", "import", "--data-dir", data, "--id", "lab", "--file",
                       sshd.client_key).returncode == 0
        d = node_daemon(data_dir=data)
        ec2, ssm = d.client("ec2"), d.client("ssm")
        tags = {"catalogd:node-transport": "ssh", "catalogd:node-host": "127.0.0.1",
                "catalogd:node-port": str(sshd.port), "catalogd:node-user": sshd.user,
                "catalogd:node-key": "lab"}
        (good,) = launch(ec2, tags)
        (wrong_user,) = launch(ec2, dict(tags, **{"catalogd:node-user": "root"}))
        (plain,) = launch(ec2)
        wait_for(lambda: ping_status(ssm, good) == "Online", what="the tagged node Online")
        wait_for(lambda: ping_status(ssm, wrong_user) == "ConnectionLost", what="a refused key")
        assert plain not in nodes(ssm)
    finally:
        sshd.cleanup()


def test_local_node_and_instance_state(node_daemon):
    d = node_daemon("--node-transport", "local", "--node-user", node_user())
    ec2, ssm = d.client("ec2"), d.client("ssm")
    (iid,) = launch(ec2)
    wait_for(lambda: ping_status(ssm, iid) == "Online", what="the local node Online")
    check_info(nodes(ssm)[iid], iid)
    # only a running instance is online
    ec2.stop_instances(InstanceIds=[iid])
    wait_for(lambda: ping_status(ssm, iid) == "ConnectionLost", what="a stopped node ConnectionLost")
    ec2.start_instances(InstanceIds=[iid])
    wait_for(lambda: ping_status(ssm, iid) == "Online", what="Online again")
    ec2.terminate_instances(InstanceIds=[iid])
    wait_for(lambda: iid not in nodes(ssm), what="a terminated instance gone from the list")


def test_no_transport_no_node(node_daemon):
    """An emulated instance without a transport is not a managed node; a tag can opt one
    in (local, with --node-user) or out of the default."""
    d = node_daemon("--node-user", node_user())
    ec2, ssm = d.client("ec2"), d.client("ssm")
    (plain,) = launch(ec2)
    (tagged,) = launch(ec2, {"catalogd:node-transport": "local"})
    wait_for(lambda: ping_status(ssm, tagged) == "Online", what="the tagged local node")
    assert plain not in nodes(ssm)

    d2 = node_daemon("--node-transport", "local", "--node-user", node_user())
    ec2b, ssmb = d2.client("ec2"), d2.client("ssm")
    (opted_out,) = launch(ec2b, {"catalogd:node-transport": "none"})
    (default,) = launch(ec2b)
    wait_for(lambda: ping_status(ssmb, default) == "Online", what="the default local node")
    assert opted_out not in nodes(ssmb)


def test_filters_and_paging(node_daemon):
    d = node_daemon("--node-transport", "local", "--node-user", node_user())
    ec2, ssm = d.client("ec2"), d.client("ssm")
    web = launch(ec2, {"Role": "web"}, count=3)
    db = launch(ec2, {"Role": "db"}, count=4)
    every = sorted(web + db)
    wait_for(lambda: all(ping_status(ssm, i) == "Online" for i in every), what="all Online")

    pages, token = [], None
    while True:
        kw = {"MaxResults": 5}
        if token:
            kw["NextToken"] = token
        r = ssm.describe_instance_information(**kw)
        pages.append([n["InstanceId"] for n in r["InstanceInformationList"]])
        token = r.get("NextToken")
        if not token:
            break
    assert [len(p) for p in pages] == [5, 2]
    assert sum(pages, []) == every  # each once, in InstanceId order

    assert sorted(nodes(ssm, Filters=[{"Key": "tag:Role", "Values": ["web"]}])) == sorted(web)
    assert sorted(nodes(ssm, Filters=[{"Key": "tag-key", "Values": ["Role"]}])) == every
    assert sorted(nodes(ssm, Filters=[{"Key": "InstanceIds", "Values": db[:2]}])) == sorted(db[:2])
    assert sorted(nodes(ssm, Filters=[{"Key": "PingStatus", "Values": ["Online"]},
                                      {"Key": "tag:Role", "Values": ["db"]}])) == sorted(db)
    assert nodes(ssm, Filters=[{"Key": "PingStatus", "Values": ["ConnectionLost"]}]) == {}
    assert sorted(nodes(ssm, Filters=[{"Key": "PlatformTypes", "Values": ["Linux"]}])) == every
    assert nodes(ssm, Filters=[{"Key": "PlatformTypes", "Values": ["Windows"]}]) == {}
    assert sorted(nodes(ssm, Filters=[{"Key": "ResourceType", "Values": ["EC2Instance"]}])) == every
    legacy = [{"key": "InstanceIds", "valueSet": [web[0]]}]
    assert list(nodes(ssm, InstanceInformationFilterList=legacy)) == [web[0]]

    def err(**kw):
        with pytest.raises(Exception) as e:
            ssm.describe_instance_information(**kw)
        return error_of(e)

    assert err(Filters=[{"Key": "Colour", "Values": ["x"]}])[0] == "InvalidFilterKey"
    assert err(Filters=[{"Key": "ResourceType", "Values": ["EC2Instance", "ManagedInstance"]}]) == (
        "InvalidInstanceInformationFilterValue", "ResourceType filter may contain only one value.")
    assert err(Filters=[{"Key": "ResourceType", "Values": ["Document"]}]) == (
        "InvalidInstanceInformationFilterValue",
        "ResourceType filter is invalid, valid values are EC2Instance, ManagedInstance")
    assert err(Filters=[{"Key": "PingStatus", "Values": ["Sleeping"]}])[0] == "InvalidInstanceInformationFilterValue"
    assert err(Filters=[{"Key": "InstanceIds", "Values": ["not-an-id"]}])[0] == "InvalidInstanceId"
    assert err(Filters=[{"Key": "InstanceIds", "Values": [web[0]]}], InstanceInformationFilterList=legacy)[0] == "InvalidFilterKey"
    assert err(NextToken="garbage")[0] == "InvalidNextToken"
    assert err(MaxResults=51)[0] == "ValidationException"


def test_node_user_refused_at_start(tmp_path):
    for args, want in [
        (["--node-transport", "local", "--node-user", "root"], "--node-user root is root"),
        (["--node-transport", "local"], "--node-transport local needs --node-user"),
        (["--node-transport", "telnet"], "--node-transport must be local or ssh"),
        (["--node-transport", "local", "--node-user", "no-such-user-x"], "--node-user no-such-user-x: no such user"),
    ]:
        data = str(tmp_path / ("d" + str(len(want))))
        p = run_bin("serve", "--listen", "127.0.0.1:0", "--data-dir", data, *args)
        assert p.returncode != 0
        lines = [l for l in p.stderr.splitlines() if l.strip()]
        assert len(lines) == 1 and want in lines[0], p.stderr
        assert not os.path.exists(os.path.join(data, "catalogd.db"))


def test_node_key_import_refuses_what_is_not_a_key(tmp_path):
    bad = tmp_path / "notakey"
    bad.write_text("hello\n")
    p = run_bin("node-key", "import", "--data-dir", str(tmp_path / "d"), "--id", "x", "--file", str(bad))
    assert p.returncode != 0 and "is not an unencrypted private key" in p.stderr
    p = run_bin("node-key", "import", "--data-dir", str(tmp_path / "d"), "--id", "../x", "--file", str(bad))
    assert p.returncode != 0 and "--id wants" in p.stderr


def test_silent_node_never_stalls_a_request(node_daemon):
    """A node that accepts the connection but never speaks (a listening socket nobody
    serves) is checked off the HTTP threads: every DescribeInstanceInformation answers at
    once, and the node shows ConnectionLost once the bounded handshake gives up."""
    import time

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)  # the kernel completes the handshake; no banner ever comes
    try:
        d = node_daemon("--node-transport", "ssh", "--node-ssh-host", "127.0.0.1",
                        "--node-ssh-port", str(silent.getsockname()[1]), "--node-ssh-user", "ops")
        ec2, ssm = d.client("ec2"), d.client("ssm")
        (iid,) = launch(ec2)
        slowest, t_start = 0.0, time.time()

        def lost():
            nonlocal slowest
            t0 = time.time()
            s = ping_status(ssm, iid)
            slowest = max(slowest, time.time() - t0)
            return s == "ConnectionLost"

        wait_for(lost, timeout=30, interval=0.2, what="ConnectionLost for a silent node")
        assert slowest < 1.5, slowest
        assert 2 < time.time() - t_start < 20  # the handshake waited, boundedly
    finally:
        silent.close()
