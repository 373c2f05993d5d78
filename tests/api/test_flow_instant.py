"""Zero-delay work ends where it starts (issue 16): under --ec2-delay-ms 0 an emulated
instance's start, stop, reboot and terminate answer with the transitional state and are
over when the call returns, with no transition job; an Automation execution whose steps
do not wait (AWS-RestartEC2Instance on such an instance) runs all its steps in one job
step, keeping AWS's step history. Jobs are counted with `catalogd jobs stats` (every job
row ever made: done + ready + running + failed)."""

import json
import os
import subprocess

import pytest

from conftest import BIN, Daemon, backend_env
from helpers import serve, wait_for

AMI = "ami-0246838ace3f374fc"


@pytest.fixture(scope="module")
def d():
    yield from serve(Daemon(args=["--ec2-delay-ms", "0"]))


@pytest.fixture(scope="module")
def ec2(d):
    return d.client("ec2")


@pytest.fixture(scope="module")
def ssm(d):
    return d.client("ssm")


def jobs(d):
    p = subprocess.run([BIN, "jobs", "stats", "--data-dir", d.data_dir], capture_output=True, text=True,
                       timeout=60, env=dict(os.environ, **backend_env(d.data_dir)))
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def idle_jobs(d):
    """The job counts once nothing is ready or running."""
    return wait_for(lambda: (lambda s: s if s["ready"] == 0 and s["running"] == 0 else None)(jobs(d)), 15,
                    "the engine to have nothing left to do")


def total(s):
    return s["done"] + s["ready"] + s["running"] + s["failed"]


def state(ec2, iid):
    return ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]


def running_instance(d, ec2):
    iid = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    wait_for(lambda: state(ec2, iid)["State"]["Name"] == "running", 15, "the launch")
    return iid


def test_emulated_transitions_are_over_when_the_call_returns(d, ec2):
    iid = running_instance(d, ec2)
    launched = state(ec2, iid)["LaunchTime"]
    before = idle_jobs(d)

    r = ec2.stop_instances(InstanceIds=[iid])["StoppingInstances"]
    assert r == [{"InstanceId": iid, "CurrentState": {"Code": 64, "Name": "stopping"},
                  "PreviousState": {"Code": 16, "Name": "running"}}]
    inst = state(ec2, iid)
    assert inst["State"] == {"Code": 80, "Name": "stopped"}
    assert inst["StateReason"] == {"Code": "Client.UserInitiatedShutdown",
                                   "Message": "Client.UserInitiatedShutdown: User initiated shutdown"}
    assert inst["StateTransitionReason"].startswith("User initiated (")

    r = ec2.start_instances(InstanceIds=[iid])["StartingInstances"]
    assert r == [{"InstanceId": iid, "CurrentState": {"Code": 0, "Name": "pending"},
                  "PreviousState": {"Code": 80, "Name": "stopped"}}]
    inst = state(ec2, iid)
    assert inst["State"] == {"Code": 16, "Name": "running"}
    assert "StateReason" not in inst and inst["StateTransitionReason"] == ""
    assert inst["LaunchTime"] >= launched

    ec2.reboot_instances(InstanceIds=[iid])
    assert state(ec2, iid)["State"]["Name"] == "running"

    r = ec2.terminate_instances(InstanceIds=[iid])["TerminatingInstances"]
    assert r == [{"InstanceId": iid, "CurrentState": {"Code": 32, "Name": "shutting-down"},
                  "PreviousState": {"Code": 16, "Name": "running"}}]
    assert state(ec2, iid)["State"] == {"Code": 48, "Name": "terminated"}

    # no transition job was made for any of them
    assert total(jobs(d)) == total(before)


def test_a_restart_runbook_is_one_job_with_amazons_step_history(d, ec2, ssm):
    iid = running_instance(d, ec2)
    before = idle_jobs(d)
    eid = ssm.start_automation_execution(DocumentName="AWS-RestartEC2Instance",
                                         Parameters={"InstanceId": [iid]})["AutomationExecutionId"]
    e = wait_for(lambda: (lambda x: x if x["AutomationExecutionStatus"] not in ("Pending", "InProgress") else None)(
        ssm.get_automation_execution(AutomationExecutionId=eid)["AutomationExecution"]), 15, "the execution")
    assert e["AutomationExecutionStatus"] == "Success"
    steps = e["StepExecutions"]
    assert [(s["StepName"], s["Action"], s["StepStatus"]) for s in steps] == [
        ("stopInstances", "aws:changeInstanceState", "Success"),
        ("startInstances", "aws:changeInstanceState", "Success")]
    assert steps[0]["Outputs"] == {"InstanceStates": ["stopped"]}
    assert steps[1]["Outputs"] == {"InstanceStates": ["running"]}
    assert steps[0]["Inputs"]["DesiredState"] == '"stopped"'
    assert (e["ExecutionStartTime"] <= steps[0]["ExecutionStartTime"] <= steps[0]["ExecutionEndTime"]
            <= steps[1]["ExecutionStartTime"] <= steps[1]["ExecutionEndTime"] <= e["ExecutionEndTime"])
    assert state(ec2, iid)["State"]["Name"] == "running"
    after = idle_jobs(d)
    # the execution's own job only (before: it, and a transition job per stop and start)
    assert total(after) == total(before) + 1
    assert after["failed"] == before["failed"]
