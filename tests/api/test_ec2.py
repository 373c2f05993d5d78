"""EC2 instances end to end (issue 4): RunInstances and the Describe calls with their
filters and pagination, the state machine (Start/Stop/Reboot/Terminate) with EC2's fields
and errors, tags, the AWS CLI waiters, and the providers behind the transitions:
`emulated` (zero delay here) and `exec`, whose operator commands are observed through
the files they write. Two tests kill -9 the daemon in the middle of a transition and
check that it completes after the restart, once.

The exec commands run a small shell hook written into a temporary directory. What the
hook does is chosen per instance through tags (the command sees each tag as
CATALOGD_TAG_<KEY>): `hook-fail=<transition>` makes it print to stderr and exit 3,
`hook-sleep=<transition>` makes it sleep before it records, and `hook-block=<transition>`
makes it wait for a release file. Every run appends "<transition id> <instance id>
<transition>" to <dir>/<transition>.attempts when it starts and to <dir>/<transition>.log
when it succeeds, and writes its CATALOGD_ environment to a file.
"""

import base64
import datetime
import json
import os
import re
import subprocess
import time

import pytest

from conftest import ACCOUNT, BIN, Daemon, backend_env
from helpers import EC2_TRANSITIONS, exec_hook_args, fails, hook_records, serve, wait_for

AMI = "ami-0246838ace3f374fc"
STATE_CODES = {"pending": 0, "running": 16, "shutting-down": 32, "terminated": 48, "stopping": 64, "stopped": 80}

HOOK = r"""#!/bin/sh
dir='%(dir)s'
t="$CATALOGD_TRANSITION"
id="$CATALOGD_INSTANCE_ID"
echo "$CATALOGD_TRANSITION_ID $id $t" >> "$dir/$t.attempts"
env | grep '^CATALOGD_' | sort > "$dir/env-$id-$t"
if [ "$CATALOGD_TAG_HOOK_BLOCK" = "$t" ]; then
    touch "$dir/started-$id-$t"
    while [ ! -e "$dir/release-$id" ]; do sleep 0.02; done
fi
if [ "$CATALOGD_TAG_HOOK_SLEEP" = "$t" ]; then
    touch "$dir/started-$id-$t"
    sleep 2
fi
if [ "$CATALOGD_TAG_HOOK_FAIL" = "$t" ]; then
    echo "hook refused to $t $id: disk on fire" >&2
    exit 3
fi
echo "$CATALOGD_TRANSITION_ID $id $t" >> "$dir/$t.log"
"""

def jobs_idle(data_dir):
    """No engine job is waiting or running (catalogd jobs stats on the live data directory)."""
    p = subprocess.run([BIN, "jobs", "stats", "--data-dir", data_dir], capture_output=True, text=True, timeout=60,
                       env=dict(os.environ, **backend_env(data_dir)))
    assert p.returncode == 0, p.stderr
    s = json.loads(p.stdout)
    return s["ready"] == 0 and s["running"] == 0


def hook_env(hook_dir, instance_id, transition):
    with open(os.path.join(hook_dir, "env-%s-%s" % (instance_id, transition))) as f:
        return dict(line.rstrip("\n").split("=", 1) for line in f if "=" in line)


def tags_of(inst):
    return {t["Key"]: t["Value"] for t in inst.get("Tags", [])}


def describe(ec2, iid):
    r = ec2.describe_instances(InstanceIds=[iid])["Reservations"]
    assert len(r) == 1 and len(r[0]["Instances"]) == 1
    return r[0]["Instances"][0]


def state_of(ec2, iid):
    return describe(ec2, iid)["State"]["Name"]


def wait_state(ec2, iid, name, timeout=15):
    seen = []

    def reached():
        seen.append(state_of(ec2, iid))
        return seen[-1] == name

    try:
        return wait_for(reached, timeout, "%s to be %s" % (iid, name))
    except AssertionError as e:
        raise AssertionError("%s (states seen: %s)" % (e, sorted(set(seen))))


def run(ec2, tags=None, **kw):
    kw.setdefault("ImageId", AMI)
    kw.setdefault("MinCount", 1)
    kw.setdefault("MaxCount", 1)
    if tags:
        kw["TagSpecifications"] = [{"ResourceType": "instance", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}]
    return ec2.run_instances(**kw)


def run_exec(ec2, **tags):
    """One instance on the exec provider (by tag), running."""
    tags = {"catalogd:provider": "exec", **{k.replace("_", "-"): v for k, v in tags.items()}}
    iid = run(ec2, tags)["Instances"][0]["InstanceId"]
    if tags.get("hook-block") != "launch" and tags.get("hook-fail") != "launch":
        wait_state(ec2, iid, "running")
    return iid


@pytest.fixture(scope="module")
def hooks(tmp_path_factory):
    return str(tmp_path_factory.mktemp("ec2-hooks"))


@pytest.fixture(scope="module")
def d(hooks):
    """Emulated by default with zero delay; exec for instances tagged catalogd:provider=exec."""
    yield from serve(Daemon(args=["--ec2-delay-ms", "0"] + exec_hook_args(hooks, HOOK)))


@pytest.fixture(scope="module")
def ec2(d):
    return d.client("ec2")


# ---- RunInstances and the instance's fields


def test_run_instances_fields(ec2):
    before = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    r = run(ec2, {"Name": "web-1", "Team": "blue"}, InstanceType="t3.micro", MinCount=2, MaxCount=3,
            TagSpecifications=[
                {"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "web-1"}, {"Key": "Team", "Value": "blue"}]},
                {"ResourceType": "volume", "Tags": [{"Key": "VolOnly", "Value": "x"}]},
            ])
    assert re.fullmatch(r"r-[0-9a-f]{17}", r["ReservationId"])
    assert r["OwnerId"] == ACCOUNT
    insts = r["Instances"]
    assert len(insts) == 3  # MaxCount granted
    ids = [i["InstanceId"] for i in insts]
    assert len(set(ids)) == 3
    assert sorted(i["AmiLaunchIndex"] for i in insts) == [0, 1, 2]
    for i in insts:
        assert re.fullmatch(r"i-[0-9a-f]{17}", i["InstanceId"])
        assert i["ImageId"] == AMI and i["InstanceType"] == "t3.micro"
        assert i["State"] == {"Code": 0, "Name": "pending"}
        assert i["StateReason"] == {"Code": "pending", "Message": "pending"}
        assert i["StateTransitionReason"] == ""
        assert tags_of(i) == {"Name": "web-1", "Team": "blue"}  # the volume's tags are not the instance's
        # an address of the default VPC's subnet in its zone (172.31.0.0/16, as AWS makes it)
        assert re.fullmatch(r"172\.31\.\d+\.\d+", i["PrivateIpAddress"])
        assert i["SubnetId"].startswith("subnet-") and i["VpcId"].startswith("vpc-")
        assert [g["GroupName"] for g in i["SecurityGroups"]] == ["default"]
        assert i["Placement"]["AvailabilityZone"].startswith("us-east-1")
        assert before - datetime.timedelta(seconds=5) <= i["LaunchTime"] <= before + datetime.timedelta(seconds=60)
    assert len({i["PrivateIpAddress"] for i in insts}) == 3

    for iid in ids:
        wait_state(ec2, iid, "running")
    for launched in insts:
        now = describe(ec2, launched["InstanceId"])
        assert now["State"] == {"Code": 16, "Name": "running"}
        assert "StateReason" not in now  # a running instance has none
        assert now["StateTransitionReason"] == ""
        assert now["LaunchTime"] == launched["LaunchTime"]  # the launch time RunInstances reported
        assert now["PrivateIpAddress"] == launched["PrivateIpAddress"]
    # one reservation holds them
    res = ec2.describe_instances(InstanceIds=ids)["Reservations"]
    assert len(res) == 1 and res[0]["ReservationId"] == r["ReservationId"]
    assert sorted(i["InstanceId"] for i in res[0]["Instances"]) == sorted(ids)


def test_run_instances_userdata_reaches_the_provider(ec2, hooks):
    # botocore base64-encodes UserData on the wire; the instance keeps it and the exec
    # provider's command sees it (base64) with the instance's other fields and its tags
    iid = run(ec2, {"catalogd:provider": "exec", "Name": "ud-box", "app.role": "db"}, UserData="#!/bin/sh\necho hi\n",
              InstanceType="t2.small")["Instances"][0]["InstanceId"]
    wait_state(ec2, iid, "running")
    env = hook_env(hooks, iid, "launch")
    assert base64.b64decode(env["CATALOGD_USER_DATA"]) == b"#!/bin/sh\necho hi\n"
    inst = describe(ec2, iid)
    assert env["CATALOGD_INSTANCE_ID"] == iid
    assert env["CATALOGD_TRANSITION"] == "launch"
    assert env["CATALOGD_IMAGE_ID"] == AMI
    assert env["CATALOGD_INSTANCE_TYPE"] == "t2.small"
    assert env["CATALOGD_PRIVATE_IP"] == inst["PrivateIpAddress"]
    assert env["CATALOGD_REGION"] == "us-east-1" and env["CATALOGD_ACCOUNT_ID"] == ACCOUNT
    assert env["CATALOGD_TAG_NAME"] == "ud-box"
    assert env["CATALOGD_TAG_APP_ROLE"] == "db"
    assert env["CATALOGD_TAG_CATALOGD_PROVIDER"] == "exec"
    # an emulated instance runs no command at all
    other = run(ec2, {"Name": "ud-emulated"}, UserData="x")["Instances"][0]["InstanceId"]
    wait_state(ec2, other, "running")
    assert hook_records(hooks, "launch", other) == []
    assert not os.path.exists(os.path.join(hooks, "env-%s-launch" % other))


def test_run_instances_errors(ec2):
    code, msg, status = fails(ec2.run_instances, ImageId=AMI, MinCount=3, MaxCount=2)
    assert (code, status) == ("InvalidParameterValue", 400)
    assert "maxCount" in msg
    code, _, status = fails(ec2.run_instances, ImageId=AMI, MinCount=0, MaxCount=1)
    assert (code, status) == ("InvalidParameterValue", 400)
    code, msg, status = fails(ec2.run_instances, ImageId=AMI, MinCount=1, MaxCount=1, InstanceType="x9.huge")
    assert (code, status) == ("InvalidParameterValue", 400)
    assert "x9.huge" in msg
    code, msg, _ = fails(ec2.run_instances, ImageId="img-1", MinCount=1, MaxCount=1)
    assert code == "InvalidAMIID.Malformed" and "img-1" in msg
    code, _, status = fails(ec2.run_instances, ImageId=AMI, MinCount=1, MaxCount=1, DryRun=True)
    assert (code, status) == ("DryRunOperation", 412)
    # more than the quota of 20 at once: refused, and nothing launched
    before = len(ec2.describe_instances()["Reservations"])
    code, msg, status = fails(ec2.run_instances, ImageId=AMI, MinCount=21, MaxCount=30)
    assert (code, status) == ("InstanceLimitExceeded", 400)
    assert "(21)" in msg and "limit of 20" in msg
    assert len(ec2.describe_instances()["Reservations"]) == before


def test_run_instances_client_token_is_idempotent(ec2):
    a = run(ec2, {"Name": "tok"}, ClientToken="tok-abc-1")
    b = run(ec2, {"Name": "tok"}, ClientToken="tok-abc-1")
    assert a["ReservationId"] == b["ReservationId"]
    assert [i["InstanceId"] for i in a["Instances"]] == [i["InstanceId"] for i in b["Instances"]]
    code, _, _ = fails(ec2.run_instances, ImageId="ami-0577fd2b761725332", MinCount=1, MaxCount=1, ClientToken="tok-abc-1")
    assert code == "IdempotentParameterMismatch"


# ---- DescribeInstances: filters and pagination


def test_describe_filters(ec2):
    a = run(ec2, {"Name": "flt-a", "flt-suite": "1", "Env": "prod"})["Instances"][0]["InstanceId"]
    b = run(ec2, {"Name": "flt-b", "flt-suite": "1", "Env": "dev"})["Instances"][0]["InstanceId"]
    c = run(ec2, {"Name": "flt-c", "flt-suite": "1"})["Instances"][0]["InstanceId"]
    for i in (a, b, c):
        wait_state(ec2, i, "running")
    ec2.stop_instances(InstanceIds=[c])
    wait_state(ec2, c, "stopped")

    def ids(filters):
        out = set()
        for r in ec2.describe_instances(Filters=[{"Name": "tag:flt-suite", "Values": ["1"]}] + filters)["Reservations"]:
            out |= {i["InstanceId"] for i in r["Instances"]}
        return out

    assert ids([]) == {a, b, c}
    assert ids([{"Name": "instance-id", "Values": [a, c]}]) == {a, c}
    assert ids([{"Name": "instance-state-name", "Values": ["running"]}]) == {a, b}
    assert ids([{"Name": "instance-state-name", "Values": ["stopped"]}]) == {c}
    assert ids([{"Name": "instance-state-name", "Values": ["stopped", "running"]}]) == {a, b, c}
    assert ids([{"Name": "tag:Env", "Values": ["prod"]}]) == {a}
    assert ids([{"Name": "tag:Env", "Values": ["prod", "dev"]}]) == {a, b}
    assert ids([{"Name": "tag:Name", "Values": ["flt-*"]}]) == {a, b, c}  # wildcards
    assert ids([{"Name": "tag:Name", "Values": ["flt-?"]}]) == {a, b, c}
    assert ids([{"Name": "tag-key", "Values": ["Env"]}]) == {a, b}
    # filters AND together
    assert ids([{"Name": "tag-key", "Values": ["Env"]}, {"Name": "tag:Env", "Values": ["dev"]}]) == {b}
    assert ids([{"Name": "tag:Env", "Values": ["prod"]}, {"Name": "instance-state-name", "Values": ["stopped"]}]) == set()
    # instance ids and filters together
    r = ec2.describe_instances(InstanceIds=[a, b], Filters=[{"Name": "tag:Env", "Values": ["dev"]}])["Reservations"]
    assert [i["InstanceId"] for x in r for i in x["Instances"]] == [b]

    code, msg, status = fails(ec2.describe_instances, Filters=[{"Name": "no-such-filter", "Values": ["x"]}])
    assert (code, status) == ("InvalidParameterValue", 400)
    assert "no-such-filter" in msg


def test_describe_pagination(ec2):
    r = run(ec2, {"page-suite": "p1"}, MinCount=7, MaxCount=7)
    want = {i["InstanceId"] for i in r["Instances"]}
    flt = [{"Name": "tag:page-suite", "Values": ["p1"]}]
    seen, pages, token = [], 0, None
    while True:
        kw = {"Filters": flt, "MaxResults": 5}
        if token:
            kw["NextToken"] = token
        page = ec2.describe_instances(**kw)
        got = [i["InstanceId"] for x in page["Reservations"] for i in x["Instances"]]
        assert len(got) <= 5
        seen += got
        pages += 1
        token = page.get("NextToken")
        if not token:
            break
    assert pages == 2
    assert len(seen) == 7 and set(seen) == want

    # the CLI's paginator walks the same pages
    # (boto3 paginator: PageSize is MaxResults)
    pg = ec2.get_paginator("describe_instances")
    again = [i["InstanceId"] for p in pg.paginate(Filters=flt, PaginationConfig={"PageSize": 5})
             for x in p["Reservations"] for i in x["Instances"]]
    assert sorted(again) == sorted(seen)

    code, _, _ = fails(ec2.describe_instances, MaxResults=5, InstanceIds=[seen[0]])
    assert code == "InvalidParameterCombination"
    code, _, _ = fails(ec2.describe_instances, MaxResults=2)
    assert code == "InvalidParameterValue"
    code, _, _ = fails(ec2.describe_instances, NextToken="not-a-token")
    assert code in ("InvalidParameterValue", "InvalidNextToken")


def test_describe_instance_status(ec2):
    a = run(ec2, {"st-suite": "1"})["Instances"][0]["InstanceId"]
    b = run(ec2, {"st-suite": "1"})["Instances"][0]["InstanceId"]
    wait_state(ec2, a, "running")
    wait_state(ec2, b, "running")
    ec2.stop_instances(InstanceIds=[b])
    wait_state(ec2, b, "stopped")

    default = ec2.describe_instance_status(InstanceIds=[a, b])["InstanceStatuses"]
    assert [s["InstanceId"] for s in default] == [a]  # running ones only
    s = default[0]
    assert s["InstanceState"] == {"Code": 16, "Name": "running"}
    assert s["InstanceStatus"]["Status"] == "ok" and s["SystemStatus"]["Status"] == "ok"
    assert s["InstanceStatus"]["Details"] == [{"Name": "reachability", "Status": "passed"}]
    assert s["AvailabilityZone"].startswith("us-east-1")

    every = ec2.describe_instance_status(InstanceIds=[a, b], IncludeAllInstances=True)["InstanceStatuses"]
    by_id = {s["InstanceId"]: s for s in every}
    assert set(by_id) == {a, b}
    assert by_id[b]["InstanceState"] == {"Code": 80, "Name": "stopped"}
    assert by_id[b]["InstanceStatus"]["Status"] == "not-applicable"
    assert by_id[b]["SystemStatus"]["Status"] == "not-applicable"

    code, _, _ = fails(ec2.describe_instance_status, InstanceIds=["i-0123456789abcdef0"])
    assert code == "InvalidInstanceID.NotFound"


# ---- the state machine


def test_stop_start_reboot_terminate(ec2):
    launched = run(ec2, {"Name": "cycle"})["Instances"][0]
    iid = launched["InstanceId"]
    wait_state(ec2, iid, "running")

    r = ec2.stop_instances(InstanceIds=[iid])["StoppingInstances"]
    assert r == [{"InstanceId": iid, "CurrentState": {"Code": 64, "Name": "stopping"},
                  "PreviousState": {"Code": 16, "Name": "running"}}]
    wait_state(ec2, iid, "stopped")
    inst = describe(ec2, iid)
    assert inst["State"] == {"Code": 80, "Name": "stopped"}
    assert re.fullmatch(r"User initiated \(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d GMT\)", inst["StateTransitionReason"])
    assert inst["StateReason"] == {"Code": "Client.UserInitiatedShutdown",
                                   "Message": "Client.UserInitiatedShutdown: User initiated shutdown"}
    assert inst["PrivateIpAddress"] == launched["PrivateIpAddress"]  # kept across a stop

    # stopping a stopped instance is accepted and changes nothing
    r = ec2.stop_instances(InstanceIds=[iid])["StoppingInstances"][0]
    assert r["CurrentState"]["Name"] == "stopped" and r["PreviousState"]["Name"] == "stopped"
    # a stopped instance cannot be rebooted
    code, msg, status = fails(ec2.reboot_instances, InstanceIds=[iid])
    assert (code, status) == ("IncorrectInstanceState", 400)
    assert iid in msg

    r = ec2.start_instances(InstanceIds=[iid])["StartingInstances"]
    assert r == [{"InstanceId": iid, "CurrentState": {"Code": 0, "Name": "pending"},
                  "PreviousState": {"Code": 80, "Name": "stopped"}}]
    wait_state(ec2, iid, "running")
    inst = describe(ec2, iid)
    assert "StateReason" not in inst
    assert inst["StateTransitionReason"] == ""
    assert inst["LaunchTime"] >= launched["LaunchTime"]
    # starting a running instance changes nothing
    r = ec2.start_instances(InstanceIds=[iid])["StartingInstances"][0]
    assert r["CurrentState"]["Name"] == "running" and r["PreviousState"]["Name"] == "running"

    ec2.reboot_instances(InstanceIds=[iid])
    assert state_of(ec2, iid) == "running"  # a reboot keeps it running throughout

    r = ec2.terminate_instances(InstanceIds=[iid])["TerminatingInstances"]
    assert r == [{"InstanceId": iid, "CurrentState": {"Code": 32, "Name": "shutting-down"},
                  "PreviousState": {"Code": 16, "Name": "running"}}]
    wait_state(ec2, iid, "terminated")
    inst = describe(ec2, iid)
    assert inst["State"] == {"Code": 48, "Name": "terminated"}
    assert inst["StateTransitionReason"].startswith("User initiated (")
    assert inst["StateReason"]["Code"] == "Client.UserInitiatedShutdown"
    # terminating again is accepted; nothing else is
    r = ec2.terminate_instances(InstanceIds=[iid])["TerminatingInstances"][0]
    assert r["CurrentState"]["Name"] == "terminated" and r["PreviousState"]["Name"] == "terminated"
    for fn in (ec2.start_instances, ec2.stop_instances, ec2.reboot_instances):
        code, msg, _ = fails(fn, InstanceIds=[iid])
        assert code == "IncorrectInstanceState", fn
        assert iid in msg
    # a terminated instance still shows (for a while) in unfiltered listings
    listed = {i["InstanceId"]: i["State"]["Name"] for x in ec2.describe_instances(
        Filters=[{"Name": "tag:Name", "Values": ["cycle"]}])["Reservations"] for i in x["Instances"]}
    assert listed == {iid: "terminated"}


def test_state_codes_match_names(ec2):
    iid = run(ec2, {"Name": "codes"})["Instances"][0]["InstanceId"]
    wait_state(ec2, iid, "running")
    ec2.stop_instances(InstanceIds=[iid])
    wait_state(ec2, iid, "stopped")
    ec2.terminate_instances(InstanceIds=[iid])
    wait_state(ec2, iid, "terminated")
    all_insts = [i for x in ec2.describe_instances()["Reservations"] for i in x["Instances"]]
    assert all_insts
    for i in all_insts:
        assert STATE_CODES[i["State"]["Name"]] == i["State"]["Code"]


def test_all_or_nothing_when_one_is_in_the_wrong_state(ec2):
    a = run(ec2)["Instances"][0]["InstanceId"]
    b = run(ec2)["Instances"][0]["InstanceId"]
    wait_state(ec2, a, "running")
    wait_state(ec2, b, "running")
    ec2.terminate_instances(InstanceIds=[b])
    wait_state(ec2, b, "terminated")
    code, msg, _ = fails(ec2.stop_instances, InstanceIds=[a, b])
    assert code == "IncorrectInstanceState" and b in msg
    assert state_of(ec2, a) == "running"  # the good one was not stopped either


def test_force_stop_of_a_pending_instance(d, ec2, hooks):
    # an exec instance whose launch command blocks stays pending
    iid = run_exec(ec2, hook_block="launch")
    wait_for(lambda: os.path.exists(os.path.join(hooks, "started-%s-launch" % iid)), 15, "the launch command")
    try:
        assert state_of(ec2, iid) == "pending"
        code, msg, _ = fails(ec2.stop_instances, InstanceIds=[iid])
        assert code == "IncorrectInstanceState"
        assert msg == "Instance '%s' cannot be stopped as it has never reached the 'running' state." % iid
        # Force stops it anyway (catalogd's documented choice: a launch stuck in its provider
        # command can be forced down)
        r = ec2.stop_instances(InstanceIds=[iid], Force=True)["StoppingInstances"][0]
        assert r["PreviousState"]["Name"] == "pending" and r["CurrentState"]["Name"] == "stopping"
        wait_state(ec2, iid, "stopped")
        assert len(hook_records(hooks, "stop", iid)) == 1
    finally:
        open(os.path.join(hooks, "release-%s" % iid), "w").close()
    # the abandoned launch finishing later does not bring it back
    wait_for(lambda: hook_records(hooks, "launch", iid), 15, "the released launch command")
    wait_for(lambda: jobs_idle(d.data_dir), 15, "the engine to have nothing left to do")
    assert state_of(ec2, iid) == "stopped"


def test_a_failed_terminate_while_stopping_leaves_it_stopped(d, ec2, hooks):
    # the stop command blocks, a terminate overtakes it and its command fails: no
    # transition is left to finish the stop, so the instance must not stay "stopping"
    iid = run_exec(ec2, hook_block="stop", hook_fail="terminate")
    ec2.stop_instances(InstanceIds=[iid])
    wait_for(lambda: os.path.exists(os.path.join(hooks, "started-%s-stop" % iid)), 15, "the stop command")
    try:
        r = ec2.terminate_instances(InstanceIds=[iid])["TerminatingInstances"][0]
        assert r["PreviousState"]["Name"] == "stopping"
        inst = wait_for(lambda: (lambda i: i if "disk on fire" in i.get("StateReason", {}).get("Message", "") else None)(
            describe(ec2, iid)), 15, "the failed terminate")
        assert inst["State"]["Name"] == "stopped"
    finally:
        open(os.path.join(hooks, "release-%s" % iid), "w").close()
    wait_for(lambda: jobs_idle(d.data_dir), 15, "the engine to have nothing left to do")
    assert state_of(ec2, iid) == "stopped"
    ec2.start_instances(InstanceIds=[iid])  # and it can be used again
    wait_state(ec2, iid, "running")


def test_instance_id_errors(ec2):
    missing = "i-0123456789abcdef0"
    for fn in (ec2.start_instances, ec2.stop_instances, ec2.reboot_instances, ec2.terminate_instances,
               ec2.describe_instances):
        code, msg, status = fails(fn, InstanceIds=[missing])
        assert (code, status) == ("InvalidInstanceID.NotFound", 400), fn
        assert msg == "The instance ID '%s' does not exist" % missing
    code, msg, _ = fails(ec2.describe_instances, InstanceIds=[missing, "i-0123456789abcdef1"])
    assert code == "InvalidInstanceID.NotFound"
    assert missing in msg and "i-0123456789abcdef1" in msg
    for bad in ("i-xyz", "instance-1", "i-0123"):
        code, msg, status = fails(ec2.stop_instances, InstanceIds=[bad])
        assert (code, status) == ("InvalidInstanceID.Malformed", 400), bad
        assert bad in msg
    # DryRun answers before looking the instance up
    code, _, status = fails(ec2.stop_instances, InstanceIds=[missing], DryRun=True)
    assert (code, status) == ("DryRunOperation", 412)


# ---- tags


def test_create_delete_describe_tags(ec2):
    iid = run(ec2, {"Name": "tagged", "Keep": "yes"})["Instances"][0]["InstanceId"]
    ec2.create_tags(Resources=[iid], Tags=[{"Key": "Owner", "Value": "alice"}, {"Key": "Name", "Value": "renamed"},
                                           {"Key": "Empty", "Value": ""}])
    assert tags_of(describe(ec2, iid)) == {"Name": "renamed", "Keep": "yes", "Owner": "alice", "Empty": ""}

    got = ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [iid]}])["Tags"]
    assert sorted((t["Key"], t["Value"]) for t in got) == [("Empty", ""), ("Keep", "yes"), ("Name", "renamed"),
                                                          ("Owner", "alice")]
    assert all(t["ResourceId"] == iid and t["ResourceType"] == "instance" for t in got)
    got = ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [iid]}, {"Name": "key", "Values": ["Owner"]}])
    assert [(t["Key"], t["Value"]) for t in got["Tags"]] == [("Owner", "alice")]
    got = ec2.describe_tags(Filters=[{"Name": "value", "Values": ["renamed"]}, {"Name": "resource-type", "Values": ["instance"]}])
    assert [t["ResourceId"] for t in got["Tags"]] == [iid]

    # DeleteTags: by key, by key and value (only when the value matches)
    ec2.delete_tags(Resources=[iid], Tags=[{"Key": "Owner"}, {"Key": "Keep", "Value": "no"}])
    assert tags_of(describe(ec2, iid)) == {"Name": "renamed", "Keep": "yes", "Empty": ""}
    ec2.delete_tags(Resources=[iid], Tags=[{"Key": "Keep", "Value": "yes"}])
    assert tags_of(describe(ec2, iid)) == {"Name": "renamed", "Empty": ""}
    # the tag filters see the change
    found = ec2.describe_instances(Filters=[{"Name": "tag:Name", "Values": ["renamed"]}])["Reservations"]
    assert [i["InstanceId"] for x in found for i in x["Instances"]] == [iid]
    assert ec2.describe_instances(Filters=[{"Name": "tag:Name", "Values": ["tagged"]}])["Reservations"] == []

    code, _, _ = fails(ec2.create_tags, Resources=["i-0123456789abcdef0"], Tags=[{"Key": "a", "Value": "b"}])
    assert code == "InvalidInstanceID.NotFound"
    code, _, _ = fails(ec2.create_tags, Resources=["i-zz"], Tags=[{"Key": "a", "Value": "b"}])
    assert code == "InvalidInstanceID.Malformed"
    code, _, _ = fails(ec2.describe_tags, Filters=[{"Name": "bogus", "Values": ["x"]}])
    assert code == "InvalidParameterValue"


def test_tags_with_the_cli(d, ec2):
    iid = run(ec2)["Instances"][0]["InstanceId"]
    d.aws("ec2", "create-tags", "--resources", iid, "--tags", "Key=Stage,Value=beta", "Key=Name,Value=cli", check=True)
    p = d.aws("ec2", "describe-tags", "--filters", "Name=resource-id,Values=" + iid, check=True)
    assert sorted((t["Key"], t["Value"]) for t in p.json["Tags"]) == [("Name", "cli"), ("Stage", "beta")]


# ---- the CLI and its waiters


def test_cli_waiters(fresh_daemon):
    d = fresh_daemon(args=["--ec2-delay-ms", "300"])
    ec2 = d.client("ec2")
    p = d.aws("ec2", "run-instances", "--image-id", AMI, "--instance-type", "t2.micro", "--count", "1",
              "--tag-specifications", "ResourceType=instance,Tags=[{Key=Name,Value=waited}]", check=True)
    iid = p.json["Instances"][0]["InstanceId"]
    assert p.json["Instances"][0]["State"]["Name"] == "pending"
    d.aws("ec2", "wait", "instance-running", "--instance-ids", iid, check=True)
    assert state_of(ec2, iid) == "running"

    p = d.aws("ec2", "stop-instances", "--instance-ids", iid, check=True)
    assert p.json["StoppingInstances"][0]["CurrentState"]["Name"] == "stopping"
    d.aws("ec2", "wait", "instance-stopped", "--instance-ids", iid, check=True)
    assert state_of(ec2, iid) == "stopped"

    p = d.aws("ec2", "start-instances", "--instance-ids", iid, check=True)
    assert p.json["StartingInstances"][0]["CurrentState"]["Name"] == "pending"
    d.aws("ec2", "wait", "instance-running", "--instance-ids", iid, check=True)
    inst = describe(ec2, iid)
    assert inst["State"] == {"Code": 16, "Name": "running"}
    assert inst["Tags"] == [{"Key": "Name", "Value": "waited"}]

    # the waiter's failure states end it at once
    ec2.terminate_instances(InstanceIds=[iid])
    wait_state(ec2, iid, "terminated")
    t0 = time.time()
    p = d.aws("ec2", "wait", "instance-stopped", "--instance-ids", iid)
    assert p.returncode != 0 and "terminal failure state" in p.stderr
    assert time.time() - t0 < 10  # no 15-second poll happened

    # EC2's errors reach the CLI
    p = d.aws("ec2", "reboot-instances", "--instance-ids", iid)
    assert p.returncode == 254 and "IncorrectInstanceState" in p.stderr


# ---- the exec provider


def test_exec_commands_run_once_per_transition(ec2, hooks):
    iid = run_exec(ec2, Name="exec-box")
    ec2.stop_instances(InstanceIds=[iid])
    wait_state(ec2, iid, "stopped")
    ec2.start_instances(InstanceIds=[iid])
    wait_state(ec2, iid, "running")
    ec2.reboot_instances(InstanceIds=[iid])
    wait_for(lambda: hook_records(hooks, "reboot", iid), 15, "the reboot command")
    assert state_of(ec2, iid) == "running"
    ec2.stop_instances(InstanceIds=[iid])
    wait_state(ec2, iid, "stopped")
    ec2.terminate_instances(InstanceIds=[iid])
    wait_state(ec2, iid, "terminated")

    runs = {t: hook_records(hooks, t, iid) for t in EC2_TRANSITIONS}
    assert {t: len(r) for t, r in runs.items()} == {"launch": 1, "start": 1, "stop": 2, "reboot": 1, "terminate": 1}
    tids = [r[0] for rs in runs.values() for r in rs]
    assert len(set(tids)) == len(tids)  # each transition has its own id
    for t, rs in runs.items():
        assert all(r[2] == t for r in rs)
    env = hook_env(hooks, iid, "stop")
    assert env["CATALOGD_TRANSITION"] == "stop" and env["CATALOGD_TAG_NAME"] == "exec-box"
    assert env["CATALOGD_TRANSITION_ID"] == runs["stop"][-1][0]
    # no-op calls run nothing
    ec2.terminate_instances(InstanceIds=[iid])
    assert len(hook_records(hooks, "terminate", iid)) == 1


@pytest.mark.parametrize("transition", ["stop", "start", "reboot", "terminate"])
def test_exec_command_failure_fails_the_transition(ec2, hooks, transition):
    iid = run_exec(ec2)
    if transition == "start":
        ec2.stop_instances(InstanceIds=[iid])
        wait_state(ec2, iid, "stopped")
    before = state_of(ec2, iid)
    ec2.create_tags(Resources=[iid], Tags=[{"Key": "hook-fail", "Value": transition}])
    call = {"stop": ec2.stop_instances, "start": ec2.start_instances, "reboot": ec2.reboot_instances,
            "terminate": ec2.terminate_instances}[transition]
    call(InstanceIds=[iid])
    want = "Server.InternalError: hook refused to %s %s: disk on fire" % (transition, iid)
    inst = wait_for(lambda: (lambda i: i if "disk on fire" in i.get("StateReason", {}).get("Message", "") else None)(
        describe(ec2, iid)), 15, "the failed %s" % transition)
    assert inst["StateReason"]["Code"] == "Server.InternalError"
    assert inst["StateReason"]["Message"].strip() == want
    # the instance is back where it was
    assert inst["State"]["Name"] == before
    assert hook_records(hooks, transition, iid) == []  # the command never got to record
    # and the failure is not retried: the command ran once
    assert len(hook_records(hooks, transition, iid, "attempts")) == 1


def test_exec_launch_failure_terminates(ec2, hooks):
    iid = run_exec(ec2, hook_fail="launch")
    inst = wait_for(lambda: (lambda i: i if i["State"]["Name"] == "terminated" else None)(describe(ec2, iid)), 15,
                    "the failed launch")
    assert inst["StateReason"]["Code"] == "Server.InternalError"
    assert "hook refused to launch %s: disk on fire" % iid in inst["StateReason"]["Message"]


def test_exec_timeout(fresh_daemon, tmp_path):
    hook_dir = str(tmp_path)
    d = fresh_daemon(args=["--ec2-delay-ms", "0", "--ec2-provider", "exec", "--ec2-exec-timeout", "1"] + exec_hook_args(hook_dir, HOOK))
    ec2 = d.client("ec2")
    iid = run(ec2, {"hook-sleep": "stop"})["Instances"][0]["InstanceId"]  # the default provider is exec here
    wait_state(ec2, iid, "running")
    assert len(hook_records(hook_dir, "launch", iid)) == 1
    ec2.stop_instances(InstanceIds=[iid])
    inst = wait_for(lambda: (lambda i: i if i["State"]["Name"] != "stopping" else None)(describe(ec2, iid)), 15,
                    "the stop to time out")
    assert inst["State"]["Name"] == "running"
    assert inst["StateReason"]["Code"] == "Server.InternalError"
    assert "timed out" in inst["StateReason"]["Message"]
    assert hook_records(hook_dir, "stop", iid) == []  # killed before it recorded


# ---- kill -9 during a transition


def test_kill9_during_stop_completes_once(fresh_daemon, tmp_path):
    hook_dir = str(tmp_path)
    args = ["--ec2-delay-ms", "0", "--ec2-provider", "exec", "--lease-ms", "1000"] + exec_hook_args(hook_dir, HOOK)
    d = fresh_daemon(args=args)
    ec2 = d.client("ec2")
    iid = run(ec2, {"Name": "crashy", "hook-sleep": "stop"})["Instances"][0]["InstanceId"]
    wait_state(ec2, iid, "running")
    ec2.stop_instances(InstanceIds=[iid])
    wait_for(lambda: os.path.exists(os.path.join(hook_dir, "started-%s-stop" % iid)), 15, "the stop command to start")
    assert state_of(ec2, iid) == "stopping"
    d.kill9()
    assert hook_records(hook_dir, "stop", iid) == []  # the command was still sleeping

    d2 = fresh_daemon(data_dir=d.data_dir, args=args)
    ec2 = d2.client("ec2")
    assert state_of(ec2, iid) in ("stopping", "stopped")
    wait_state(ec2, iid, "stopped", timeout=30)
    inst = describe(ec2, iid)
    assert inst["StateReason"]["Code"] == "Client.UserInitiatedShutdown"
    runs = hook_records(hook_dir, "stop", iid)
    assert len(runs) == 1, runs  # completed once, across the crash
    assert hook_records(hook_dir, "stop", iid, "attempts") == runs  # and was started once
    assert runs[0][2] == "stop"
    # the instance goes on normally
    ec2.start_instances(InstanceIds=[iid])
    wait_state(ec2, iid, "running")
    assert len(hook_records(hook_dir, "start", iid)) == 1
    assert len(hook_records(hook_dir, "stop", iid)) == 1


def test_kill9_during_emulated_transition(fresh_daemon):
    args = ["--ec2-delay-ms", "500", "--lease-ms", "1000"]
    d = fresh_daemon(args=args)
    ec2 = d.client("ec2")
    iid = run(ec2)["Instances"][0]["InstanceId"]
    d.kill9()  # before the launch completed
    d2 = fresh_daemon(data_dir=d.data_dir, args=args)
    ec2 = d2.client("ec2")
    wait_state(ec2, iid, "running", timeout=30)
    ec2.stop_instances(InstanceIds=[iid])
    wait_state(ec2, iid, "stopped", timeout=30)
