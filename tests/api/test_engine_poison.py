"""Poison jobs (issue 11, Deliver 3): a step that stops the process every time it runs is
counted before it runs, so after max_attempts claims it is set aside instead of taking the
daemon down at every start; and a job that fails for good, by crashes or by errors, closes
its owner (instance transition, Automation execution, stack) with a clear reason instead
of leaving it in progress.

The crashing step is a real one: an EC2 stop transition under the exec provider, whose
operator command leaves a named pipe where catalogd keeps its record that the run started
(DATA_DIR/exec/.started/<run id>, read by every poll of the run). The transition's step
blocks reading it, and the test, as an operator's
supervisor would, kills catalogd with SIGKILL right then and starts it again.

The failing steps are real too: a SQLite trigger (the kind of fault a full or damaged
disk gives) refuses to store an execution or a stack in progress, so each of their steps
fails inside catalogd and is retried with backoff; the test clock moves the backoff on.
"""

import errno
import glob
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import tempfile
import time
import urllib.request

import pytest

from conftest import BIN, POSTGRES, Daemon, backend_env, store_sql
from helpers import wait_for

EC2_TRANSITION_LIMIT = 10  # max attempts of ec2.transition (docs/internals/engine.md)
STOP_HOOK = 'r="../.started/$(basename "$PWD")" && rm -f "$r" && mkfifo "$r" && exec sleep 120'


def failed_jobs(data_dir):
    p = subprocess.run([BIN, "jobs", "failed", "--data-dir", data_dir], capture_output=True, text=True,
                       timeout=60, env=dict(os.environ, **backend_env(data_dir)))
    assert p.returncode == 0, p.stderr
    return [json.loads(line) for line in p.stdout.splitlines()]


def instance(d, iid):
    return d.client("ec2").describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]


def kill_in_step(d, data_dir, timeout):
    """Waits (up to timeout s) until a stop transition's step reads the named pipe, then
    kills d with SIGKILL while the step is blocked in that read. False when no step came."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        for path in glob.glob(os.path.join(data_dir, "exec", ".started", "*-stop")):
            try:
                if not stat.S_ISFIFO(os.lstat(path).st_mode):
                    continue
                fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)  # ENXIO: nobody reads it
            except OSError as e:
                if e.errno in (errno.ENXIO, errno.ENOENT):
                    continue
                raise
            try:
                d.kill9()
            finally:
                os.close(fd)
            return True
        time.sleep(0.005)
    return False


def stop_hook_processes(data_dir):
    """Ends the operator commands the stop transitions left sleeping (their process groups)."""
    for pid_file in glob.glob(os.path.join(data_dir, "exec", "*", "pid")):
        try:
            os.killpg(os.getpgid(int(open(pid_file).read())), signal.SIGKILL)
        except (OSError, ValueError):
            pass


def test_a_step_that_kills_the_process_is_set_aside(fresh_daemon):
    data_dir = tempfile.mkdtemp(prefix="catalogd-poison-")
    args = ["--ec2-provider", "exec", "--ec2-exec-stop", STOP_HOOK, "--ec2-exec-timeout", "120"]
    if POSTGRES:  # a shared store's node reclaims no lease at start: the killed one's runs out
        args += ["--lease-ms", "2000"]
    d = fresh_daemon(data_dir=data_dir, args=args)
    try:
        ec2 = d.client("ec2")
        iid = ec2.run_instances(ImageId="ami-0246838ace3f374fc", MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
        wait_for(lambda: instance(d, iid)["State"]["Name"] == "running", 20, "the instance to run")
        # an Automation follows the stop: it must move on when the transition is set aside
        # (one stop: AWS-StopEC2Instance would go on to a forced stop, a second transition)
        ssm = d.client("ssm")
        ssm.create_document(Name="stop-once", DocumentType="Automation", DocumentFormat="JSON", Content=json.dumps({
            "schemaVersion": "0.3",
            "parameters": {"InstanceId": {"type": "String"}},
            "mainSteps": [{"name": "stop", "action": "aws:changeInstanceState",
                           "inputs": {"InstanceIds": ["{{ InstanceId }}"], "DesiredState": "stopped"}}]}))
        eid = ssm.start_automation_execution(DocumentName="stop-once",
                                             Parameters={"InstanceId": [iid]})["AutomationExecutionId"]
        wait_for(lambda: instance(d, iid)["State"]["Name"] == "stopping", 20, "the instance to be stopping")

        kills, deadline = 0, time.time() + 120
        while time.time() < deadline:
            if kill_in_step(d, data_dir, 0.5):
                kills += 1
                assert kills <= EC2_TRANSITION_LIMIT, "the step ran more often than its limit"
                d = fresh_daemon(data_dir=data_dir, args=args)  # as a supervisor would
            elif instance(d, iid)["State"]["Name"] != "stopping":
                break
        assert not kill_in_step(d, data_dir, 1), "the step ran again after it was set aside"
        # every claim was counted before its step ran: exactly the limit, then set aside
        assert kills == EC2_TRANSITION_LIMIT

        inst = instance(d, iid)
        assert inst["State"]["Name"] == "running"  # back where the failed stop started
        assert inst["StateReason"]["Code"] == "Server.InternalError"
        assert inst["StateReason"]["Message"] == (
            "Server.InternalError: The stop transition was interrupted %d times (the process "
            "stopped while it ran) and was set aside." % EC2_TRANSITION_LIMIT)

        jobs = [j for j in failed_jobs(data_dir) if j["kind"] == "ec2.transition"]
        assert len(jobs) == 1, jobs
        assert jobs[0]["max_attempts"] == EC2_TRANSITION_LIMIT
        assert jobs[0]["attempts"] == EC2_TRANSITION_LIMIT + 1  # the claim that set it aside
        assert jobs[0]["last_error"].startswith("was interrupted %d times" % EC2_TRANSITION_LIMIT)

        def ended():
            e = d.client("ssm").get_automation_execution(AutomationExecutionId=eid)["AutomationExecution"]
            return e if e["AutomationExecutionStatus"] not in ("Pending", "InProgress", "Waiting") else None

        e = wait_for(ended, 30, "the automation to end")
        assert e["AutomationExecutionStatus"] == "Failed", e
        assert "did not reach the stopped state: it is running" in e["FailureMessage"], e["FailureMessage"]
        assert "was set aside" in e["FailureMessage"], e["FailureMessage"]

        # the daemon now stays up, and the instance can be stopped again
        time.sleep(0.5)
        assert d.proc.poll() is None
        assert d.stop() == 0
    finally:
        stop_hook_processes(data_dir)
        shutil.rmtree(data_dir, ignore_errors=True)


# ---------------------------------------------------------------- failing for good by errors

REFUSE = [
    # the kind of resource row, and the state a step may not store
    ("ssm.execution", "InProgress"),
    ("cfn.stack", "CREATE_IN_PROGRESS"),
    ("cfn.stack", "DELETE_COMPLETE"),
]


# The test clock jumps past each retry's backoff (drive): a lease of service time as long
# as that would run out under a step that spans a jump, and the step, lost, would not
# count (timing: more likely the slower the store). Leases here outlast every jump.
REFUSING_ENV = {"CATALOGD_TEST_CLOCK": "1", "CATALOGD_LEASE_MS": str(10 * 86400 * 1000)}
# the refused write, as the operator reads it (the store's own message after its name)
DISK_ERROR = re.compile(r": postgres step: .*disk I/O error" if POSTGRES else r": sqlite step: disk I/O error$",
                        re.S)


def refuse(data_dir, kind, state):
    """Adds a trigger to data_dir's store (its daemon stopped) that refuses to update a
    resource row of kind to state, as a failing disk would refuse the write."""
    name = "refuse_%s_%s" % (kind.replace(".", "_"), state)
    if POSTGRES:
        store_sql(data_dir, "CREATE FUNCTION %s() RETURNS trigger LANGUAGE plpgsql AS"
                  " $$ BEGIN RAISE EXCEPTION 'disk I/O error'; END $$;"
                  " CREATE TRIGGER %s BEFORE UPDATE ON resources FOR EACH ROW"
                  " WHEN (NEW.kind = '%s' AND NEW.state = '%s') EXECUTE FUNCTION %s()"
                  % (name, name, kind, state, name))
    else:
        store_sql(data_dir, "CREATE TRIGGER %s BEFORE UPDATE ON resources WHEN NEW.kind = '%s'"
                  " AND NEW.state = '%s' BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END"
                  % (name, kind, state))


def advance(d, ms):
    req = urllib.request.Request(d.endpoint + "/_catalogd/test/clock?advance_ms=%d" % ms, data=b"",
                                 method="POST")
    with urllib.request.urlopen(req, timeout=10) as r:
        assert r.status == 200


@pytest.fixture
def refusing_daemon(fresh_daemon):
    """A daemon on the test clock whose store refuses to update an execution to InProgress
    or a stack to CREATE_IN_PROGRESS or DELETE_COMPLETE (triggers added while it was
    stopped)."""
    data_dir = tempfile.mkdtemp(prefix="catalogd-refuse-")
    env = REFUSING_ENV
    fresh_daemon(data_dir=data_dir, env=env).stop()
    for kind, state in REFUSE:
        refuse(data_dir, kind, state)
    yield fresh_daemon(data_dir=data_dir, env=env)
    shutil.rmtree(data_dir, ignore_errors=True)


def drive(d, done, what):
    """Moves service time on (past each retry's backoff) until done() is true."""
    for _ in range(120):
        v = done()
        if v:
            return v
        advance(d, 600000)
        time.sleep(0.1)
    raise AssertionError("timed out waiting for " + what)


TEMPLATE = json.dumps({"Resources": {"Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle"}}})


def test_jobs_that_fail_for_good_close_their_owners(refusing_daemon):
    d = refusing_daemon
    ssm, cfn = d.client("ssm"), d.client("cloudformation")
    ssm.create_document(Name="nap", DocumentType="Automation", DocumentFormat="JSON", Content=json.dumps({
        "schemaVersion": "0.3",
        "mainSteps": [{"name": "nap", "action": "aws:sleep", "inputs": {"Duration": "PT1S"}}]}))
    eid = ssm.start_automation_execution(DocumentName="nap")["AutomationExecutionId"]
    sid = cfn.create_stack(StackName="refused", TemplateBody=TEMPLATE)["StackId"]

    def execution():
        e = ssm.get_automation_execution(AutomationExecutionId=eid)["AutomationExecution"]
        return e if e["AutomationExecutionStatus"] == "Failed" else None

    def stack():
        s = cfn.describe_stacks(StackName=sid)["Stacks"][0]
        return s if not s["StackStatus"].endswith("_IN_PROGRESS") else None

    jobs = {}

    def job_of(kind):
        """The failed job of kind, from the operator's listing."""
        jobs.update({j["kind"]: j for j in failed_jobs(d.data_dir)})
        return jobs[kind]

    e = drive(d, execution, "the execution to fail")
    job = job_of("ssm.automation")
    # the users read that it failed inside catalogd; the error itself is the operator's
    assert e["FailureMessage"] == (
        "The execution failed 20 times with an internal error (job %s) and was set aside." % job["id"])
    assert DISK_ERROR.search(job["last_error"]), job
    assert (job["attempts"], job["max_attempts"]) == (20, 20)

    s = drive(d, stack, "the stack to settle")
    # the create failed as a resource failure would, and its rollback ran as a new job
    assert s["StackStatus"] == "ROLLBACK_COMPLETE", s
    reasons = [ev.get("ResourceStatusReason", "") for ev in cfn.describe_stack_events(StackName=sid)["StackEvents"]
               if ev["ResourceStatus"] == "ROLLBACK_IN_PROGRESS"]
    job = job_of("cfn.stack")
    assert reasons == ["The stack operation failed 20 times with an internal error (job %s) and was set aside. "
                       "Rollback requested by user." % job["id"]], reasons

    # a deletion whose job is set aside ends DELETE_FAILED, from which it can be tried again
    cfn.delete_stack(StackName=sid)
    s = drive(d, stack, "the deletion to end")
    delete_job = [j for j in failed_jobs(d.data_dir) if j["kind"] == "cfn.stack" and j["id"] != job["id"]]
    assert len(delete_job) == 1, delete_job
    assert (s["StackStatus"], s["StackStatusReason"]) == (
        "DELETE_FAILED",
        "The stack operation failed 20 times with an internal error (job %s) and was set aside."
        % delete_job[0]["id"]), s
    assert sorted(jobs) == ["cfn.stack", "ssm.automation"], jobs



@pytest.fixture
def refused_action():
    """Runs a restart service action on the Service Catalog world's provisioned product while
    its store refuses to update a row of kind to state (a trigger added while the daemon was
    stopped): refused_action(kind, state) -> (world, ended record). The world is stopped
    afterwards."""
    from sc_world import RESTART_DEFINITION, World

    worlds = []

    def run(kind, state):
        world = World(env=REFUSING_ENV)
        worlds.append(world)
        action = world.new_action(RESTART_DEFINITION, name="Restart")
        world.daemon.stop()
        refuse(world.daemon.data_dir, kind, state)
        world.daemon.start()
        sc = world.client("servicecatalog", "enduser")
        rid = sc.execute_provisioned_product_service_action(ProvisionedProductId=world.pp,
                                                            ServiceActionId=action)["RecordDetail"]["RecordId"]

        def ended():
            r = sc.describe_record(Id=rid)["RecordDetail"]
            return r if r["Status"] in ("SUCCEEDED", "FAILED") else None

        rec = drive(world.daemon, ended, "the record to end")
        pp = sc.describe_provisioned_product(Id=world.pp)["ProvisionedProductDetail"]
        assert pp["Status"] == "AVAILABLE", pp  # where it was before the action
        return world, rec

    yield run
    for world in worlds:
        world.stop()


def test_a_record_following_an_execution_set_aside_fails_too(refused_action):
    # the execution's job fails its 20 attempts; its give-up fails the execution, which
    # wakes the record that follows it
    _, rec = refused_action("ssm.execution", "InProgress")
    assert rec["Status"] == "FAILED", rec
    [err] = rec["RecordErrors"]
    assert re.fullmatch(r"The execution failed 20 times with an internal error \(job [0-9a-f-]{36}\) and was "
                        r"set aside\.", err["Description"]), err


def test_a_record_whose_job_fails_for_good_ends_failed(refused_action):
    world, rec = refused_action("sc.record", "IN_PROGRESS")
    [job] = [j for j in failed_jobs(world.daemon.data_dir) if j["kind"] == "sc.record"]
    assert rec["Status"] == "FAILED", rec
    assert rec["RecordErrors"] == [{
        "Code": "FAILED",
        "Description": "Internal failure: the record's work failed 3 times with an internal error (job %s) and "
                       "was set aside." % job["id"]}]
    assert DISK_ERROR.search(job["last_error"]), job
    # nothing the failed attempts did was kept: no execution was started
    assert world.client("ssm").describe_automation_executions()["AutomationExecutionMetadataList"] == []
