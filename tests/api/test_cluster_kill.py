"""Three nodes on one PostgreSQL, one killed with work in flight (issue 15 §4); and the
same work with all three alive.

Service-action executions (the tutorial's AWS-RestartEC2Instance on several provisioned
products), provisionings (CloudFormation stacks) and Automation executions are sent to the
three nodes in turn; node 1 is killed with `kill -9` while one of its provider commands
runs; the other two finish its work once its leases (3 s) run out. Then every record has
ended exactly once, no instance transition ran twice (the exec provider's hooks log each
CATALOGD_TRANSITION_ID when they begin), nothing is left in progress, and the engine set
no job aside."""

import collections
import os
import shutil
import tempfile

import pytest

from cluster import Cluster
from conftest import REGION, REPO, ROOT_KEY, ROOT_SECRET
from helpers import AMI, exec_hook_args, log_lines, run_bin, wait_for
from sc_world import RESTART_DEFINITION, add_step1_policy, demo_data, new_action
from sshd import Sshd

pytestmark = pytest.mark.own_cluster

# Each transition logs "<transition id> <instance> <transition>" when its command begins
# and again when it ends; the half second keeps commands in flight when the node dies.
HOOK = (
    'echo "$CATALOGD_TRANSITION_ID $CATALOGD_INSTANCE_ID $CATALOGD_TRANSITION" >> "%(dir)s/begin.log"\n'
    "sleep 0.5\n"
    'echo "$CATALOGD_TRANSITION_ID $CATALOGD_INSTANCE_ID $CATALOGD_TRANSITION" >> "%(dir)s/end.log"\n'
)
EXECUTIONS = 5  # provisioned products whose desktop the restart action restarts
PROVISIONINGS = 4  # new provisioned products (stacks) launched during the storm
AUTOMATIONS = 3  # AWS-RestartEC2Instance started directly on instances of their own
COMMANDS = 6  # Run Command (AWS-RunShellScript) on instances of their own, over ssh
VICTIM = 1
ENDED_RECORD = ("SUCCEEDED", "FAILED")
ENDED_AUTOMATION = ("Success", "Failed", "TimedOut", "Cancelled")
STABLE_PP = ("AVAILABLE", "ERROR", "TAINTED")
STABLE_INSTANCE = ("running", "stopped", "terminated")
ENDED_INVOCATION = ("Success", "Failed", "Cancelled", "TimedOut", "DeliveryTimedOut", "ExecutionTimedOut",
                    "Undeliverable", "Terminated")


@pytest.fixture
def hooks():
    d = tempfile.mkdtemp(prefix="catalogd-cluster-hooks-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def cmds():
    """Where Run Command's scripts (run as the node user) log."""
    d = tempfile.mkdtemp(prefix="catalogd-cluster-cmds-")
    os.chmod(d, 0o777)
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def sshd():
    s = Sshd().start()
    yield s
    s.cleanup()


@pytest.fixture
def cluster(hooks, sshd):
    """Three nodes; instances run through the exec provider (the hooks) and are managed
    nodes reached over ssh (one sshd stands for every instance's machine)."""

    def import_key(data_dir):
        p = run_bin("node-key", "import", "--data-dir", data_dir, "--id", "default", "--file", sshd.client_key)
        assert p.returncode == 0, p.stderr

    c = Cluster(3, lease_ms=3000, prepare=import_key, args=[
        "--workers", "2",
        "--ec2-provider", "exec", "--ec2-delay-ms", "0",
        "--template-dir", os.path.join(REPO, "data", "templates"),
        "--node-transport", "ssh", "--node-ssh-host", "127.0.0.1", "--node-ssh-port", str(sshd.port),
        "--node-ssh-user", sshd.user,
    ] + exec_hook_args(hooks, HOOK))
    try:
        yield c.start()
    finally:
        rcs = c.stop()
    assert rcs and all(rc == 0 for rc in rcs), "the nodes alive did not stop cleanly: %r" % rcs


def transitions(hooks, name):
    """(transition id, instance, transition) of every line of hooks/name."""
    return [tuple(r) for r in log_lines(os.path.join(hooks, name))]


def in_flight(node):
    """Run ids of provider commands node started that have not ended (DATA_DIR/exec/<run>
    without a status file)."""
    base = os.path.join(node.data_dir, "exec")
    if not os.path.isdir(base):
        return []
    return [r for r in os.listdir(base)
            if not r.startswith(".") and not r.endswith(".tmp")
            and os.path.isdir(os.path.join(base, r)) and not os.path.exists(os.path.join(base, r, "status"))]


def build_world(c, creds):
    """The tutorial's world through node 0, Step 1's policy and the restart action on both
    versions of Linux Desktop: returns (ids, action id)."""
    ids = demo_data.build(c.nodes[0].endpoint, REGION, ROOT_KEY, ROOT_SECRET, creds, provision=False)
    add_step1_policy(c.nodes[0].client("iam"), ids["group_policy_arn"])
    return ids, new_action(c.nodes[1].client("servicecatalog"), ids, RESTART_DEFINITION, "AWS-RestartEC2Instance")


def provision(sc, ids, name):
    return sc.provision_product(ProductId=ids["product"], ProvisioningArtifactId=ids["versions"]["v1.0"],
                                ProvisionedProductName=name,
                                ProvisioningParameters=[{"Key": "InstanceType", "Value": "t3.micro"}],
                                )["RecordDetail"]["RecordId"]


def record(sc, rid):
    return sc.describe_record(Id=rid)


def all_records(sc):
    """Every record of the account (ListRecordHistory, all pages)."""
    out, token = [], None
    while True:
        kw = {"PageToken": token} if token else {}
        page = sc.list_record_history(AccessLevelFilter={"Key": "Account", "Value": "self"}, PageSize=20, **kw)
        out += page["RecordDetails"]
        token = page.get("NextPageToken")
        if not token:
            return out


def instance_of(sc, pp):
    out = sc.get_provisioned_product_outputs(ProvisionedProductId=pp)["Outputs"]
    return {o["OutputKey"]: o["OutputValue"] for o in out}["InstanceId"]


def script(cmds, marker):
    """AWS-RunShellScript's commands logging marker when they begin and when they end."""
    return ['echo %s >> %s/begin.log' % (marker, cmds), "sleep 0.5", 'echo %s >> %s/end.log' % (marker, cmds)]


def markers(cmds, name):
    return [r[0] for r in log_lines(os.path.join(cmds, name))]


@pytest.mark.parametrize("kill", [True, False], ids=["one-killed", "all-live"])
def test_work_spread_over_three_nodes(cluster, hooks, cmds, kill):
    """kill: node 1 dies with a provider command in flight; else all three finish together,
    and then everything succeeds (no node leaves a command to another for good)."""
    c = cluster
    ids, aid = build_world(c, os.path.join(hooks, "credentials"))
    key, secret = ids["keys"]["enduser"]
    esc = c.rr("servicecatalog", key=key, secret=secret)
    ec2 = c.rr("ec2")
    ssm = c.rr("ssm")

    # before the storm: the products the action will restart, and instances of their own
    first = [provision(esc(), ids, "desktop-%d" % i) for i in range(EXECUTIONS)]
    for rid in first:
        r = wait_for(lambda: (lambda d: d if d["Status"] in ENDED_RECORD else None)(
            record(esc(), rid)["RecordDetail"]), 120, "provisioning record %s" % rid)
        assert r["Status"] == "SUCCEEDED", r
    pps = [record(esc(), rid)["RecordDetail"]["ProvisionedProductId"] for rid in first]
    lone, nodes = [], []
    for n, into in ((AUTOMATIONS, lone), (COMMANDS, nodes)):
        for _ in range(n):
            into += [i["InstanceId"] for i in ec2().run_instances(ImageId=AMI, InstanceType="t3.micro", MinCount=1,
                                                                  MaxCount=1)["Instances"]]
    for iid in lone + nodes:
        wait_for(lambda: ec2().describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]["State"][
            "Name"] == "running", 60, "%s running" % iid)
    sc = c.rr("servicecatalog")
    targets = {pp: instance_of(sc(), pp) for pp in pps}
    begun_before = len(transitions(hooks, "begin.log"))

    # the storm, in turn over the three nodes
    executes = {pp: esc().execute_provisioned_product_service_action(
        ProvisionedProductId=pp, ServiceActionId=aid)["RecordDetail"]["RecordId"] for pp in pps}
    launches = [provision(esc(), ids, "storm-%d" % i) for i in range(PROVISIONINGS)]
    automations = {iid: ssm().start_automation_execution(DocumentName="AWS-RestartEC2Instance",
                                                         Parameters={"InstanceId": [iid]})["AutomationExecutionId"]
                   for iid in lone}
    commands = {}
    for i, iid in enumerate(nodes):
        cid = ssm().send_command(DocumentName="AWS-RunShellScript", InstanceIds=[iid],
                                 Parameters={"commands": script(cmds, "cmd-%d" % i)})["Command"]["CommandId"]
        commands[cid] = (iid, "cmd-%d" % i)
    records = list(executes.values()) + launches

    # kill -9 the victim while one of its provider commands runs
    victim = c.nodes[VICTIM]
    running = wait_for(lambda: in_flight(victim), 60, "node %d to run a provider command" % VICTIM, interval=0.01)
    if kill:
        c.kill9(VICTIM)
    # from here on, clients of the two survivors only
    esc, sc, ec2, ssm = (c.rr("servicecatalog", key=key, secret=secret), c.rr("servicecatalog"), c.rr("ec2"),
                         c.rr("ssm"))
    pending = [rid for rid in records if record(esc(), rid)["RecordDetail"]["Status"] not in ENDED_RECORD]
    assert pending, "every record had ended at the kill: nothing was in flight"

    # the two survivors finish the victim's work once its leases run out
    def ended():
        return all(record(esc(), rid)["RecordDetail"]["Status"] in ENDED_RECORD for rid in records)

    wait_for(ended, 240, "every record to end after the kill", interval=0.5)
    for iid, xid in automations.items():
        wait_for(lambda: ssm().get_automation_execution(AutomationExecutionId=xid)["AutomationExecution"][
            "AutomationExecutionStatus"] in ENDED_AUTOMATION, 240, "automation %s to end" % xid, interval=0.5)
    for cid, (iid, _) in commands.items():
        wait_for(lambda: ssm().get_command_invocation(CommandId=cid, InstanceId=iid)["Status"] in ENDED_INVOCATION,
                 240, "command %s to end" % cid, interval=0.5)
    wait_for(lambda: c.stats()["running"] == 0, 30, "the engine to go idle")

    # every problem found, all reported at once
    problems = []

    def check(ok, what, *detail):
        if not ok:
            problems.append((what,) + detail)

    # every record ended once: a terminal status, listed exactly once in the history
    details = {rid: record(sc(), rid) for rid in records}
    for rid, r in details.items():
        d = r["RecordDetail"]
        check(d["Status"] in ENDED_RECORD, "record not ended", d)
        check(d["Status"] != "FAILED" or d["RecordErrors"], "record failed without an error", d)
    history = all_records(sc())
    counted = collections.Counter(r["RecordId"] for r in history)
    check([rid for rid, n in counted.items() if n != 1] == [], "records listed twice", counted)
    check(all(counted[rid] == 1 for rid in records), "records missing from the history", records, counted)
    per_pp = collections.Counter(r["ProvisionedProductId"] for r in history
                                 if r["RecordType"] == "EXECUTE_PROVISIONED_PRODUCT_SERVICE_ACTION")
    check(per_pp == {pp: 1 for pp in pps}, "execute records per product", per_pp)

    # no instance transition ran twice: each transition id began (and ended) once
    begun = transitions(hooks, "begin.log")
    twice = [t for t, n in collections.Counter(begun).items() if n > 1]
    check(twice == [], "provider commands started more than once", twice, "in flight on the victim:", running)
    check([t for t, n in collections.Counter(transitions(hooks, "end.log")).items() if n > 1] == [],
          "provider commands ended more than once")
    storm = begun[begun_before:]
    per_instance = collections.Counter((iid, what) for _, iid, what in storm)
    check(all(n == 1 for n in per_instance.values()), "one instance's transitions ran more than once",
          per_instance)

    # no command ran twice: each script began and ended once (a run on the ssh node outlives
    # the node that started it, and the survivors find its status there)
    begun_cmds = collections.Counter(markers(cmds, "begin.log"))
    ended_cmds = collections.Counter(markers(cmds, "end.log"))
    for cid, (iid, marker) in commands.items():
        inv = ssm().get_command_invocation(CommandId=cid, InstanceId=iid)
        cmd = ssm().list_commands(CommandId=cid)["Commands"][0]
        check(cmd["Status"] == inv["Status"] == "Success", "command did not succeed", cmd, inv)
        check(begun_cmds[marker] == 1 and ended_cmds[marker] == 1, "command script runs", marker,
              begun_cmds[marker], ended_cmds[marker])

    # the automations behind the records and the direct ones: each step ran once
    behind = {}
    for pp, rid in executes.items():
        outs = {o["OutputKey"]: o["OutputValue"] for o in details[rid].get("RecordOutputs", [])}
        if "AutomationExecutionId" in outs:
            behind[targets[pp]] = outs["AutomationExecutionId"]
    for iid, xid in list(automations.items()) + list(behind.items()):
        x = ssm().get_automation_execution(AutomationExecutionId=xid)["AutomationExecution"]
        check(x["AutomationExecutionStatus"] in ENDED_AUTOMATION, "automation not ended", x)
        steps = [st["StepName"] for st in x["StepExecutions"]]
        check(len(steps) == len(set(steps)), "automation step ran twice", xid, steps)
        if x["AutomationExecutionStatus"] == "Success":
            check(steps == ["stopInstances", "startInstances"], "automation steps", xid, steps)
            check(per_instance[(iid, "stop")] == 1 and per_instance[(iid, "start")] == 1,
                  "restart transitions of", iid, per_instance[(iid, "stop")], per_instance[(iid, "start")])
    for pp, rid in executes.items():
        if details[rid]["RecordDetail"]["Status"] == "SUCCEEDED":
            check(targets[pp] in behind, "succeeded record without its automation", rid)

    # nothing is left in progress
    for p in sc().search_provisioned_products(AccessLevelFilter={"Key": "Account", "Value": "self"},
                                              PageSize=100)["ProvisionedProducts"]:
        check(p["Status"] in STABLE_PP, "provisioned product in progress", p)
    for r in ec2().describe_instances()["Reservations"]:
        for inst in r["Instances"]:
            check(inst["State"]["Name"] in STABLE_INSTANCE, "instance in transition", inst["InstanceId"],
                  inst["State"])
    for st in c.rr("cloudformation")().describe_stacks()["Stacks"]:
        check(not st["StackStatus"].endswith("_IN_PROGRESS"), "stack in progress", st["StackName"],
              st["StackStatus"])
    for x in ssm().describe_automation_executions()["AutomationExecutionMetadataList"]:
        check(x["AutomationExecutionStatus"] in ENDED_AUTOMATION, "automation in progress", x)

    # the engine set nothing aside and holds no lease of the dead node
    stats = c.stats()
    check(stats["failed"] == 0, "jobs set aside", c.jobs("failed"))
    check(stats["ready"] == 0 and stats["running"] == 0, "jobs left", stats)
    if not kill:
        # with every node alive nothing is interrupted: all of it succeeds
        for rid, r in details.items():
            check(r["RecordDetail"]["Status"] == "SUCCEEDED", "record failed with every node alive", r["RecordDetail"])
        for xid in list(automations.values()) + list(behind.values()):
            x = ssm().get_automation_execution(AutomationExecutionId=xid)["AutomationExecution"]
            check(x["AutomationExecutionStatus"] == "Success", "automation failed with every node alive", xid,
                  x.get("FailureMessage"))
    assert problems == [], "%d problems:\n%s" % (len(problems), "\n".join(repr(p) for p in problems))
