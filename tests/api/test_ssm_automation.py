"""Systems Manager Automation through real clients (issue 5, items 3-7 and "Tests").

AWS-RestartEC2Instance with the AWS CLI (instance seen stopping, stopped, then running;
under a role without ec2:StopInstances the step fails with EC2's authorization text); a
custom YAML runbook exercising aws:branch, aws:sleep on the injected test clock,
aws:executeAwsApi with outputs, aws:waitForAwsResourceProperty,
aws:assertAwsResourceProperty, onFailure Continue and step:NAME, isEnd, nextStep,
maxAttempts, timeoutSeconds and {{ }} interpolation; StopAutomationExecution with
onCancel; aws:approve and aws:pause through SendAutomationSignal; the Describe operations
with filters and pagination; each parameter error; the concurrency and rate limits;
ClientToken idempotency; and kill -9 in the middle of an execution.

The test clock (CATALOGD_TEST_CLOCK=1, POST /_catalogd/test/clock?advance_ms=N) moves
service time, so sleeps and timeouts pass without real waiting. Behaviour is checked
against ../shared/reference/aws-api.md §2.3, §4, §5 and the botocore ssm model.
"""

import datetime
import json
import os
import re
import threading
import time
import urllib.request
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT, Daemon
from helpers import allow, cli_error, error_of, log_lines, new_role, new_user, serve, trust, wait_for

ROOT_ARN = "arn:aws:iam::%s:root" % ACCOUNT
TERMINAL = ("Success", "Failed", "Cancelled", "TimedOut")
TRUST_SSM = trust("ssm")


# ---------------------------------------------------------------- helpers


def advance(d, ms):
    """Moves the daemon's service clock forward (CATALOGD_TEST_CLOCK=1)."""
    req = urllib.request.Request(d.endpoint + "/_catalogd/test/clock?advance_ms=%d" % ms, data=b"", method="POST")
    with urllib.request.urlopen(req, timeout=10) as r:
        assert r.status == 200
        return json.loads(r.read())["now_ms"]


def get_exec(ssm, eid):
    return ssm.get_automation_execution(AutomationExecutionId=eid)["AutomationExecution"]


def wait_status(ssm, eid, statuses=TERMINAL, timeout=30):
    if isinstance(statuses, str):
        statuses = (statuses,)
    return wait_for(lambda: (lambda e: e if e["AutomationExecutionStatus"] in statuses else None)(get_exec(ssm, eid)),
                    timeout, "execution %s to reach %s" % (eid, statuses))


def step_of(e, name):
    found = [s for s in e["StepExecutions"] if s["StepName"] == name]
    assert len(found) <= 1, "step %s ran %d times" % (name, len(found))
    return found[0] if found else None


def wait_step(ssm, eid, name, status, timeout=30):
    def check():
        e = get_exec(ssm, eid)
        s = step_of(e, name)
        return e if s and s["StepStatus"] == status else None
    return wait_for(check, timeout, "step %s of %s to be %s" % (name, eid, status))


def ran(e):
    """The steps that ran (AWS may also list steps that never started, as Pending)."""
    return [s for s in e["StepExecutions"] if s["StepStatus"] != "Pending"]


def step_names(e):
    return [s["StepName"] for s in ran(e)]


def create_doc(ssm, name, content, fmt="YAML"):
    ssm.create_document(Name=name, Content=content, DocumentType="Automation", DocumentFormat=fmt)


def instance_of(ec2, iid):
    return ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]


def state_of(ec2, iid):
    return instance_of(ec2, iid)["State"]["Name"]


def run_instance(ec2, **kw):
    iid = ec2.run_instances(ImageId="ami-0246838ace3f374fc", InstanceType="t2.micro", MinCount=1, MaxCount=1,
                            **kw)["Instances"][0]["InstanceId"]
    wait_for(lambda: state_of(ec2, iid) == "running", 30, "instance %s to run" % iid)
    return iid


def tags_of(ec2, iid):
    return {t["Key"]: t["Value"] for t in instance_of(ec2, iid).get("Tags", [])}


def start(ssm, name, **params):
    kw = {"DocumentName": name}
    if params:
        kw["Parameters"] = {k: v if isinstance(v, list) else [v] for k, v in params.items()}
    return ssm.start_automation_execution(**kw)["AutomationExecutionId"]


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def d():
    """This module's daemon: service time under the test clock, emulated instances whose
    transitions take 1 s of service time."""
    yield from serve(Daemon(args=["--ec2-delay-ms", "1000"], env={"CATALOGD_TEST_CLOCK": "1"}))


@pytest.fixture(scope="module")
def ssm(d):
    return d.client("ssm")


@pytest.fixture(scope="module")
def ec2(d):
    return d.client("ec2")


@pytest.fixture(scope="module")
def iam(d):
    return d.client("iam")


@pytest.fixture
def tmp(tmp_path):
    return str(tmp_path)


# ---------------------------------------------------------------- AWS-RestartEC2Instance


def exec_provider_args(log):
    """Instances whose stop and start are shell commands logging begin and end."""
    def cmd(what):
        return ('echo "%s-begin $CATALOGD_INSTANCE_ID $CATALOGD_TRANSITION_ID" >> %s; sleep 0.4; '
                'echo "%s-end $CATALOGD_INSTANCE_ID $CATALOGD_TRANSITION_ID" >> %s' % (what, log, what, log))
    return ["--ec2-provider", "exec", "--ec2-exec-stop", cmd("stop"), "--ec2-exec-start", cmd("start")]


class StatePoller:
    """Watches an instance's state (and StateTransitionReason) in the background."""

    def __init__(self, ec2, iid):
        self.ec2, self.iid, self.seen, self.reasons = ec2, iid, [], {}
        self.stop_flag = threading.Event()
        self.t = threading.Thread(target=self.run, daemon=True)
        self.t.start()

    def sample(self):
        inst = instance_of(self.ec2, self.iid)
        st = inst["State"]["Name"]
        if not self.seen or self.seen[-1] != st:
            self.seen.append(st)
            self.reasons[st] = inst.get("StateTransitionReason")

    def run(self):
        while not self.stop_flag.is_set():
            self.sample()
            time.sleep(0.02)

    def stop(self):
        """The states seen, ending with the state at the time of the call (the thread's last
        sample may have been answered before the call)."""
        self.stop_flag.set()
        self.t.join(10)
        self.sample()
        return self.seen


def test_restart_ec2_instance_with_the_cli(fresh_daemon, tmp):
    log = os.path.join(tmp, "transitions.log")
    d = fresh_daemon(args=exec_provider_args(log))
    ec2 = d.client("ec2")
    p = d.aws("ec2", "run-instances", "--image-id", "ami-0246838ace3f374fc", "--instance-type", "t3.micro",
              "--count", "1", check=True)
    iid = p.json["Instances"][0]["InstanceId"]
    wait_for(lambda: state_of(ec2, iid) == "running", 30, "the instance to run")
    launched = instance_of(ec2, iid)["LaunchTime"]

    poller = StatePoller(ec2, iid)
    p = d.aws("ssm", "start-automation-execution", "--document-name", "AWS-RestartEC2Instance",
              "--parameters", "InstanceId=" + iid, check=True)
    eid = p.json["AutomationExecutionId"]
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", eid)
    wait_status(d.client("ssm"), eid, timeout=60)
    seen = poller.stop()

    p = d.aws("ssm", "get-automation-execution", "--automation-execution-id", eid, check=True)
    e = p.json["AutomationExecution"]
    assert e["AutomationExecutionStatus"] == "Success", e
    assert e["DocumentName"] == "AWS-RestartEC2Instance" and e["DocumentVersion"] == "1"
    assert e["Mode"] == "Auto" and e["ExecutedBy"] == ROOT_ARN
    assert e["Parameters"] == {"InstanceId": [iid], "AutomationAssumeRole": [""]}
    assert "FailureMessage" not in e
    assert [(s["StepName"], s["Action"], s["StepStatus"]) for s in ran(e)] == [
        ("stopInstances", "aws:changeInstanceState", "Success"),
        ("startInstances", "aws:changeInstanceState", "Success"),
    ]
    stop_step, start_step = ran(e)
    assert stop_step["Inputs"] == {"InstanceIds": json.dumps([iid]), "DesiredState": '"stopped"'}
    assert start_step["Inputs"] == {"InstanceIds": json.dumps([iid]), "DesiredState": '"running"'}
    assert stop_step["Outputs"] == {"InstanceStates": ["stopped"]}
    assert start_step["Outputs"] == {"InstanceStates": ["running"]}
    assert stop_step["ExecutionEndTime"] <= start_step["ExecutionStartTime"]

    p = d.aws("ssm", "describe-automation-step-executions", "--automation-execution-id", eid, check=True)
    assert [s["StepName"] for s in p.json["StepExecutions"]] == ["stopInstances", "startInstances"]

    # the instance really went down and came back: the provider ran stop to its end
    # before start began, each once; the poller saw it stopping, then starting, then running
    assert [(x[0], x[1]) for x in log_lines(log)] == [
        ("stop-begin", iid), ("stop-end", iid), ("start-begin", iid), ("start-end", iid)]
    assert seen[0] == "running" and seen[-1] == "running", seen
    assert "stopping" in seen and "pending" in seen, seen
    assert seen.index("stopping") < seen.index("pending"), seen
    if "stopped" in seen:
        assert seen.index("stopping") < seen.index("stopped") < seen.index("pending"), seen
    assert poller.reasons["stopping"].startswith("User initiated ("), poller.reasons
    after = instance_of(ec2, iid)
    assert after["State"]["Name"] == "running"
    assert after["LaunchTime"] > launched  # a stop and start, not a reboot


def test_restart_under_a_role_without_stop_instances(d, ssm, ec2, iam):
    arn = new_role(iam, "automation-no-stop", TRUST_SSM,
                   ["ec2:DescribeInstanceStatus", "ec2:DescribeInstances", "ec2:StartInstances"], exist_ok=True)
    iid = run_instance(ec2)
    p = d.aws("ssm", "start-automation-execution", "--document-name", "AWS-RestartEC2Instance", "--parameters",
              json.dumps({"InstanceId": [iid], "AutomationAssumeRole": [arn]}), check=True)
    eid = p.json["AutomationExecutionId"]
    wait_status(ssm, eid)
    e = d.aws("ssm", "get-automation-execution", "--automation-execution-id", eid, check=True).json["AutomationExecution"]
    assert e["AutomationExecutionStatus"] == "Failed"
    assert e["Parameters"]["AutomationAssumeRole"] == [arn]
    assert step_names(e) == ["stopInstances"]  # startInstances never ran
    s = ran(e)[0]
    assert s["StepStatus"] == "Failed"
    # EC2's own authorization failure, as a botocore client prints it
    msg = s["FailureMessage"]
    assert "An error occurred (UnauthorizedOperation) when calling the StopInstances operation" in msg, msg
    assert "You are not authorized to perform this operation." in msg, msg
    assert "UnauthorizedOperation" in e["FailureMessage"]
    assert s["FailureDetails"]["FailureType"] in ("Action", "Verification")
    assert state_of(ec2, iid) == "running"  # nothing was stopped

    # the same role once it may stop instances: the restart goes through as the role
    new_role(iam, "automation-no-stop", TRUST_SSM,
             ["ec2:DescribeInstanceStatus", "ec2:DescribeInstances", "ec2:StartInstances", "ec2:StopInstances"],
             exist_ok=True)
    eid = start(ssm, "AWS-RestartEC2Instance", InstanceId=iid, AutomationAssumeRole=arn)
    e = wait_status(ssm, eid, timeout=60)
    assert e["AutomationExecutionStatus"] == "Success", e
    assert [s["StepStatus"] for s in ran(e)] == ["Success", "Success"]


def test_the_other_aws_runbooks(d, ssm, ec2):
    a, b = run_instance(ec2), run_instance(ec2)
    launched = instance_of(ec2, a)["LaunchTime"]
    # already running: nothing to do
    e = wait_status(ssm, start(ssm, "AWS-StartEC2Instance", InstanceId=a))
    assert e["AutomationExecutionStatus"] == "Success", e
    assert step_of(e, "startInstances")["Outputs"] == {"InstanceStates": ["running"]}
    assert instance_of(ec2, a)["LaunchTime"] == launched

    # two instances at once (the CLI's shorthand list)
    p = d.aws("ssm", "start-automation-execution", "--document-name", "AWS-StopEC2Instance",
              "--parameters", "InstanceId=%s,%s" % (a, b), check=True)
    e = wait_status(ssm, p.json["AutomationExecutionId"])
    assert e["AutomationExecutionStatus"] == "Success", e
    assert e["Parameters"]["InstanceId"] == [a, b]
    assert [(s["StepName"], s["StepStatus"]) for s in ran(e)] == [
        ("stopInstances", "Success"), ("forceStopInstances", "Success")]
    assert step_of(e, "stopInstances")["Outputs"] == {"InstanceStates": ["stopped", "stopped"]}
    assert state_of(ec2, a) == state_of(ec2, b) == "stopped"

    e = wait_status(ssm, start(ssm, "AWS-StartEC2Instance", InstanceId=[a, b]))
    assert e["AutomationExecutionStatus"] == "Success", e
    assert state_of(ec2, a) == state_of(ec2, b) == "running"

    e = wait_status(ssm, start(ssm, "AWS-TerminateEC2Instance", InstanceId=b))
    assert e["AutomationExecutionStatus"] == "Success", e
    assert step_of(e, "terminateInstances")["Outputs"] == {"InstanceStates": ["terminated"]}
    assert state_of(ec2, b) == "terminated" and state_of(ec2, a) == "running"

    # a terminated instance never runs again; an unknown one is EC2's NotFound
    e = wait_status(ssm, start(ssm, "AWS-StartEC2Instance", InstanceId=b))
    assert e["AutomationExecutionStatus"] == "Failed"
    assert "terminated" in step_of(e, "startInstances")["FailureMessage"]
    e = wait_status(ssm, start(ssm, "AWS-RestartEC2Instance", InstanceId="i-0123456789abcdef0"))
    assert e["AutomationExecutionStatus"] == "Failed"
    assert step_names(e) == ["stopInstances"]
    assert "InvalidInstanceID.NotFound" in step_of(e, "stopInstances")["FailureMessage"]
    assert "i-0123456789abcdef0" in step_of(e, "stopInstances")["FailureMessage"]


WHOAMI = """\
schemaVersion: '0.3'
assumeRole: '{{ AutomationAssumeRole }}'
parameters:
  AutomationAssumeRole:
    type: String
    default: ''
mainSteps:
  - name: whoami
    action: aws:executeAwsApi
    inputs:
      Service: sts
      Api: GetCallerIdentity
    outputs:
      - Name: Arn
        Selector: $.Arn
        Type: String
outputs:
  - whoami.Arn
"""


def test_steps_act_as_the_caller_or_the_assumed_role(d, ssm, iam):
    create_doc(ssm, "whoami", WHOAMI)
    e = wait_status(ssm, start(ssm, "whoami"))
    assert e["AutomationExecutionStatus"] == "Success", e
    assert e["Outputs"] == {"whoami.Arn": [ROOT_ARN]}

    arn = new_role(iam, "automation-whoami", TRUST_SSM, ["ec2:DescribeInstances"], exist_ok=True)
    eid = start(ssm, "whoami", AutomationAssumeRole=arn)
    e = wait_status(ssm, eid)
    assert e["AutomationExecutionStatus"] == "Success", e
    who = e["Outputs"]["whoami.Arn"][0]
    assert who.startswith("arn:aws:sts::%s:assumed-role/automation-whoami/" % ACCOUNT), who
    assert e["ExecutedBy"] == ROOT_ARN

    # a role that does not trust Systems Manager cannot be assumed
    other = new_role(iam, "trusts-ec2-only", trust("ec2"), ["ec2:*"], exist_ok=True)
    e = wait_status(ssm, start(ssm, "whoami", AutomationAssumeRole=other))
    assert e["AutomationExecutionStatus"] == "Failed"
    assert "The defined assume role is unable to be assumed." in e["FailureMessage"]
    assert ran(e) == []


# ---------------------------------------------------------------- a custom YAML runbook

CUSTOM = """\
description: Exercises branch, sleep, executeAwsApi, wait, assert and failure handling
schemaVersion: '0.3'
parameters:
  InstanceId:
    type: String
    description: (Required) The instance.
    allowedPattern: ^i-[0-9a-f]{8,17}$
  Mode:
    type: String
    default: fast
    allowedValues:
      - fast
      - slow
  Label:
    type: String
    default: hello
  Threshold:
    type: Integer
    default: 2
  Enabled:
    type: Boolean
    default: true
mainSteps:
  - name: describe
    action: aws:executeAwsApi
    inputs:
      Service: ec2
      Api: DescribeInstances
      InstanceIds:
        - '{{ InstanceId }}'
    outputs:
      - Name: State
        Selector: $.Reservations[0].Instances[0].State.Name
        Type: String
      - Name: Type
        Selector: $.Reservations[0].Instances[0].InstanceType
        Type: String
  - name: choose
    action: aws:branch
    inputs:
      Choices:
        - NextStep: napping
          And:
            - Variable: '{{ describe.State }}'
              StringEquals: running
            - Variable: '{{ Mode }}'
              StringEquals: slow
        - NextStep: waitRunning
          Or:
            - Variable: '{{ Threshold }}'
              NumericGreater: 100
            - Not:
                Variable: '{{ Enabled }}'
                BooleanEquals: false
      Default: wrongTurn
  - name: wrongTurn
    action: aws:executeAwsApi
    isEnd: true
    inputs:
      Service: ec2
      Api: CreateTags
      Resources: ['{{ InstanceId }}']
      Tags:
        - Key: wrongTurn
          Value: 'yes'
  - name: napping
    action: aws:sleep
    nextStep: waitRunning
    inputs:
      Duration: PT2H
  - name: waitRunning
    action: aws:waitForAwsResourceProperty
    timeoutSeconds: 600
    inputs:
      Service: ec2
      Api: DescribeInstanceStatus
      InstanceIds: ['{{ InstanceId }}']
      IncludeAllInstances: true
      PropertySelector: $.InstanceStatuses[0].InstanceState.Name
      DesiredValues:
        - running
  - name: assertType
    action: aws:assertAwsResourceProperty
    onFailure: Continue
    inputs:
      Service: ec2
      Api: DescribeInstances
      InstanceIds: ['{{ InstanceId }}']
      PropertySelector: $.Reservations[0].Instances[0].InstanceType
      DesiredValues:
        - x1e.32xlarge
  - name: tagIt
    action: aws:executeAwsApi
    inputs:
      Service: ec2
      Api: CreateTags
      Resources: ['{{ InstanceId }}']
      Tags:
        - Key: run
          Value: '{{ Label }}/{{ automation:EXECUTION_ID }}/{{global:ACCOUNT_ID}}/{{ global:REGION }}/{{ global:AWS_PARTITION }}/{{ describe.Type }}'
        - Key: date
          Value: '{{ global:DATE }}'
  - name: broken
    action: aws:executeAwsApi
    maxAttempts: 2
    isCritical: false
    onFailure: step:recover
    inputs:
      Service: ec2
      Api: DescribeInstances
      InstanceIds:
        - i-0000000000000dead
  - name: skipped
    action: aws:executeAwsApi
    inputs:
      Service: ec2
      Api: CreateTags
      Resources: ['{{ InstanceId }}']
      Tags:
        - Key: skipped
          Value: 'yes'
  - name: recover
    action: aws:executeAwsApi
    isEnd: true
    inputs:
      Service: ec2
      Api: DescribeTags
      Filters:
        - Name: resource-id
          Values: ['{{ InstanceId }}']
        - Name: key
          Values: [run]
    outputs:
      - Name: RunTag
        Selector: $.Tags[0].Value
        Type: String
  - name: never
    action: aws:executeAwsApi
    inputs:
      Service: ec2
      Api: CreateTags
      Resources: ['{{ InstanceId }}']
      Tags:
        - Key: never
          Value: 'yes'
outputs:
  - describe.State
  - recover.RunTag
"""


@pytest.fixture(scope="module")
def custom(ssm):
    create_doc(ssm, "custom-runbook", CUSTOM)
    return "custom-runbook"


def check_custom_run(ssm, ec2, e, iid, label, path):
    eid = e["AutomationExecutionId"]
    assert e["AutomationExecutionStatus"] == "Success", e
    assert step_names(e) == path
    steps = {s["StepName"]: s for s in ran(e)}

    assert steps["describe"]["Outputs"] == {"State": ["running"], "Type": ["t2.micro"]}
    assert steps["choose"]["StepStatus"] == "Success"
    assert steps["waitRunning"]["StepStatus"] == "Success"
    assert steps["waitRunning"]["TimeoutSeconds"] == 600

    # assert failed, Continue went on; not critical, so the run still succeeds
    a = steps["assertType"]
    assert a["StepStatus"] == "Failed" and a["OnFailure"] == "Continue" and a["IsCritical"] is False
    assert "t2.micro" in a["FailureMessage"] and "$.Reservations[0].Instances[0].InstanceType" in a["FailureMessage"]

    # {{ }}: parameters, a step output, the execution id and the global variables
    run_tag = "%s/%s/%s/us-east-1/aws/t2.micro" % (label, eid, ACCOUNT)
    assert json.loads(steps["tagIt"]["Inputs"]["Tags"])[0] == {"Key": "run", "Value": run_tag}
    assert json.loads(steps["tagIt"]["Inputs"]["Resources"]) == [iid]
    tags = tags_of(ec2, iid)
    assert tags["run"] == run_tag
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", tags["date"]), tags

    # broken failed (after its attempts) and onFailure step:recover skipped "skipped"
    b = steps["broken"]
    assert b["StepStatus"] == "Failed" and b["MaxAttempts"] == 2 and b["OnFailure"] == "step:recover"
    assert "InvalidInstanceID.NotFound" in b["FailureMessage"] and "i-0000000000000dead" in b["FailureMessage"]
    assert steps["recover"]["StepStatus"] == "Success" and steps["recover"]["IsEnd"] is True
    assert steps["recover"]["Outputs"] == {"RunTag": [run_tag]}

    # isEnd stopped the run: neither the step after it nor the branch's default ran
    assert not {"wrongTurn", "skipped", "never"} & set(tags)
    assert e["Outputs"] == {"describe.State": ["running"], "recover.RunTag": [run_tag]}
    assert e["ExecutionEndTime"] >= e["ExecutionStartTime"]


def test_custom_yaml_runbook_fast_path(d, ssm, ec2, custom):
    iid = run_instance(ec2)
    p = d.aws("ssm", "start-automation-execution", "--document-name", custom,
              "--parameters", "InstanceId=%s" % iid, check=True)
    eid = p.json["AutomationExecutionId"]
    wait_status(ssm, eid)
    e = d.aws("ssm", "get-automation-execution", "--automation-execution-id", eid, check=True).json["AutomationExecution"]
    assert e["Parameters"] == {"InstanceId": [iid], "Mode": ["fast"], "Label": ["hello"], "Threshold": ["2"],
                               "Enabled": ["true"]}
    check_custom_run(ssm, ec2, e, iid, "hello",
                     ["describe", "choose", "waitRunning", "assertType", "tagIt", "broken", "recover"])


def test_custom_yaml_runbook_sleeps_on_the_test_clock(d, ssm, ec2, custom):
    iid = run_instance(ec2)
    t0 = time.time()
    eid = start(ssm, custom, InstanceId=iid, Mode="slow", Label="slowpoke")
    e = wait_step(ssm, eid, "napping", "InProgress")
    assert e["AutomationExecutionStatus"] == "InProgress"
    assert e["CurrentStepName"] == "napping" and e["CurrentAction"] == "aws:sleep"
    assert step_of(e, "napping")["Inputs"] == {"Duration": '"PT2H"'}
    # an hour of service time is not enough
    advance(d, 3600 * 1000)
    e = get_exec(ssm, eid)
    assert e["AutomationExecutionStatus"] == "InProgress" and step_of(e, "napping")["StepStatus"] == "InProgress"
    # two hours are
    advance(d, 3600 * 1000 + 1000)
    e = wait_status(ssm, eid)
    check_custom_run(ssm, ec2, e, iid, "slowpoke",
                     ["describe", "choose", "napping", "waitRunning", "assertType", "tagIt", "broken", "recover"])
    nap = step_of(e, "napping")
    assert nap["StepStatus"] == "Success"
    assert (nap["ExecutionEndTime"] - nap["ExecutionStartTime"]).total_seconds() >= 7200
    assert time.time() - t0 < 60  # no real two-hour wait


def test_branch_default(d, ssm, ec2, custom):
    iid = run_instance(ec2)
    # Enabled false and Threshold small: no choice holds, so the Default step runs, then isEnd
    e = wait_status(ssm, start(ssm, custom, InstanceId=iid, Enabled="false", Threshold="1"))
    assert e["AutomationExecutionStatus"] == "Success", e
    assert step_names(e) == ["describe", "choose", "wrongTurn"]
    assert tags_of(ec2, iid) == {"wrongTurn": "yes"}
    # Threshold over 100 makes the Or hold again
    e = wait_status(ssm, start(ssm, custom, InstanceId=iid, Enabled="false", Threshold="101"))
    assert step_names(e)[:3] == ["describe", "choose", "waitRunning"]


NOT_LIST_DOC = """\
schemaVersion: '0.3'
parameters:
  Flag:
    type: String
mainSteps:
  - name: choose
    action: aws:branch
    inputs:
      Choices:
        - NextStep: whenNotYes
          Not:
            - Variable: '{{ Flag }}'
              StringEquals: 'yes'
      Default: whenYes
  - name: whenYes
    action: aws:sleep
    isEnd: true
    inputs:
      Duration: PT1S
  - name: whenNotYes
    action: aws:sleep
    inputs:
      Duration: PT1S
"""


def test_branch_not_written_as_a_list(d, ssm):
    # Not takes one condition; written as a list of one it means the same (the validator
    # accepts both forms, so the runtime must too, and never fall over on it)
    create_doc(ssm, "not-as-list", NOT_LIST_DOC)
    e = wait_status(ssm, start(ssm, "not-as-list", Flag="no"))
    assert e["AutomationExecutionStatus"] == "Success", e
    assert step_names(e) == ["choose", "whenNotYes"]
    e = wait_status(ssm, start(ssm, "not-as-list", Flag="yes"))
    assert e["AutomationExecutionStatus"] == "Success", e
    assert step_names(e) == ["choose", "whenYes"]


TIMEOUT_DOC = """\
schemaVersion: '0.3'
parameters:
  InstanceId:
    type: String
mainSteps:
  - name: waitForever
    action: aws:waitForAwsResourceProperty
    timeoutSeconds: 30
    inputs:
      Service: ec2
      Api: DescribeInstances
      InstanceIds: ['{{ InstanceId }}']
      PropertySelector: $.Reservations[0].Instances[0].State.Name
      DesiredValues: [terminated]
  - name: after
    action: aws:sleep
    inputs:
      Duration: PT1S
"""


def test_step_timeout_on_the_test_clock(d, ssm, ec2):
    create_doc(ssm, "times-out", TIMEOUT_DOC)
    iid = run_instance(ec2)
    eid = start(ssm, "times-out", InstanceId=iid)
    wait_step(ssm, eid, "waitForever", "InProgress")
    advance(d, 31 * 1000)
    e = wait_status(ssm, eid)
    assert e["AutomationExecutionStatus"] == "TimedOut", e
    assert step_names(e) == ["waitForever"]
    s = ran(e)[0]
    assert s["StepStatus"] == "TimedOut" and s["TimeoutSeconds"] == 30
    assert "timed out" in s["FailureMessage"]
    assert state_of(ec2, iid) == "running"


SLEEP_UNTIL_DOC = """\
schemaVersion: '0.3'
parameters:
  WakeAt:
    type: String
mainSteps:
  - name: until
    action: aws:sleep
    inputs:
      Timestamp: '{{ WakeAt }}'
"""


def test_sleep_until_a_timestamp(d, ssm):
    create_doc(ssm, "sleep-until", SLEEP_UNTIL_DOC)
    now_ms = advance(d, 0)  # the service clock, as the test clock has moved it
    wake = datetime.datetime.fromtimestamp(now_ms / 1000 + 3600, datetime.timezone.utc)
    eid = start(ssm, "sleep-until", WakeAt=wake.strftime("%Y-%m-%dT%H:%M:%SZ"))
    wait_step(ssm, eid, "until", "InProgress")
    advance(d, 1800 * 1000)
    assert get_exec(ssm, eid)["AutomationExecutionStatus"] == "InProgress"
    advance(d, 1801 * 1000)
    e = wait_status(ssm, eid)
    assert e["AutomationExecutionStatus"] == "Success", e
    assert step_of(e, "until")["ExecutionEndTime"] >= wake
    # a moment already past: no wait at all
    e = wait_status(ssm, start(ssm, "sleep-until", WakeAt="2020-01-01T01:00:00Z"))
    assert e["AutomationExecutionStatus"] == "Success", e


def retry_doc(attempts):
    return """\
schemaVersion: '0.3'
parameters:
  InstanceId:
    type: String
mainSteps:
  - name: stop
    action: aws:executeAwsApi
    inputs:
      Service: ec2
      Api: StopInstances
      InstanceIds: ['{{ InstanceId }}']
  - name: isStopped
    action: aws:assertAwsResourceProperty
    maxAttempts: %d
    inputs:
      Service: ec2
      Api: DescribeInstances
      InstanceIds: ['{{ InstanceId }}']
      PropertySelector: $.Reservations[0].Instances[0].State.Name
      DesiredValues: [stopped]
""" % attempts


def test_max_attempts(d, ssm, ec2):
    """A stop takes a second here: asserting "stopped" at once fails, but with
    maxAttempts the assertion is retried until it holds."""
    create_doc(ssm, "assert-once", retry_doc(1))
    create_doc(ssm, "assert-retried", retry_doc(10))
    iid = run_instance(ec2)
    e = wait_status(ssm, start(ssm, "assert-once", InstanceId=iid))
    assert e["AutomationExecutionStatus"] == "Failed", e
    s = step_of(e, "isStopped")
    assert s["StepStatus"] == "Failed" and s["MaxAttempts"] == 1
    assert "stopping" in s["FailureMessage"]

    wait_for(lambda: state_of(ec2, iid) == "stopped", 30, "the instance to stop")
    ec2.start_instances(InstanceIds=[iid])
    wait_for(lambda: state_of(ec2, iid) == "running", 30, "the instance to run again")
    e = wait_status(ssm, start(ssm, "assert-retried", InstanceId=iid))
    assert e["AutomationExecutionStatus"] == "Success", e
    s = step_of(e, "isStopped")
    assert s["StepStatus"] == "Success" and s["MaxAttempts"] == 10
    assert state_of(ec2, iid) == "stopped"


CRITICAL_DOC = """\
schemaVersion: '0.3'
mainSteps:
  - name: fails
    action: aws:executeAwsApi
    onFailure: step:cleanup
    inputs:
      Service: ec2
      Api: DescribeInstances
      InstanceIds: [i-0000000000000dead]
  - name: skipped
    action: aws:sleep
    inputs:
      Duration: PT1S
  - name: cleanup
    action: aws:executeAwsApi
    inputs:
      Service: sts
      Api: GetCallerIdentity
"""


def test_critical_step_failure_with_step_target_fails_the_run(ssm):
    """onFailure step:NAME runs the named step, but a failed critical step (the default)
    still makes the automation Failed."""
    create_doc(ssm, "critical-fail", CRITICAL_DOC)
    e = wait_status(ssm, start(ssm, "critical-fail"))
    assert step_names(e) == ["fails", "cleanup"]
    assert [s["StepStatus"] for s in ran(e)] == ["Failed", "Success"]
    assert ran(e)[0]["IsCritical"] is True
    assert e["AutomationExecutionStatus"] == "Failed"
    assert "InvalidInstanceID.NotFound" in e["FailureMessage"]


# ---------------------------------------------------------------- stop, approve, pause

CANCEL_DOC = """\
schemaVersion: '0.3'
parameters:
  InstanceId:
    type: String
mainSteps:
  - name: longNap
    action: aws:sleep
    onCancel: step:cleanup
    inputs:
      Duration: PT1H
  - name: after
    action: aws:executeAwsApi
    isEnd: true
    inputs:
      Service: ec2
      Api: CreateTags
      Resources: ['{{ InstanceId }}']
      Tags:
        - Key: after
          Value: 'yes'
  - name: cleanup
    action: aws:executeAwsApi
    inputs:
      Service: ec2
      Api: CreateTags
      Resources: ['{{ InstanceId }}']
      Tags:
        - Key: cancelled
          Value: '{{ automation:EXECUTION_ID }}'
"""

PAUSE_DOC = """\
schemaVersion: '0.3'
mainSteps:
  - name: hold
    action: aws:pause
    inputs: {}
  - name: whoami
    action: aws:executeAwsApi
    inputs:
      Service: sts
      Api: GetCallerIdentity
    outputs:
      - Name: Account
        Selector: $.Account
        Type: String
outputs:
  - whoami.Account
"""


@pytest.fixture(scope="module")
def pause_doc(ssm):
    create_doc(ssm, "pause-runbook", PAUSE_DOC)
    return "pause-runbook"


def test_stop_automation_execution_runs_on_cancel(d, ssm, ec2):
    create_doc(ssm, "cancellable", CANCEL_DOC)
    iid = run_instance(ec2)
    eid = start(ssm, "cancellable", InstanceId=iid)
    wait_step(ssm, eid, "longNap", "InProgress")
    p = d.aws("ssm", "stop-automation-execution", "--automation-execution-id", eid, "--type", "Cancel")
    assert p.returncode == 0 and p.stdout.strip() == "", (p.stdout, p.stderr)
    e = wait_status(ssm, eid)
    assert e["AutomationExecutionStatus"] == "Cancelled", e
    assert [(s["StepName"], s["StepStatus"]) for s in ran(e)] == [
        ("longNap", "Cancelled"), ("cleanup", "Success")]
    assert tags_of(ec2, iid) == {"cancelled": eid}  # the onCancel step ran, "after" did not

    # a finished execution cannot be stopped again
    p = d.aws("ssm", "stop-automation-execution", "--automation-execution-id", eid)
    assert cli_error(p)[0] == "InvalidAutomationStatusUpdateException"
    p = d.aws("ssm", "stop-automation-execution", "--automation-execution-id", str(uuid.uuid4()))
    assert cli_error(p)[0] == "AutomationExecutionNotFoundException"


def test_stop_a_waiting_execution_without_on_cancel(ssm, pause_doc):
    eid = start(ssm, pause_doc)
    wait_status(ssm, eid, "Waiting")
    ssm.stop_automation_execution(AutomationExecutionId=eid)  # Type defaults to Cancel
    e = wait_status(ssm, eid)
    assert e["AutomationExecutionStatus"] == "Cancelled"
    assert [(s["StepName"], s["StepStatus"]) for s in ran(e)] == [("hold", "Cancelled")]
    assert e["Outputs"] == {}


def test_pause_and_resume(d, ssm, pause_doc):
    eid = start(ssm, pause_doc)
    e = wait_status(ssm, eid, "Waiting")
    assert step_of(e, "hold")["StepStatus"] == "Waiting"
    assert e["CurrentStepName"] == "hold" and e["CurrentAction"] == "aws:pause"
    # while it runs, every step of the document is listed: the one not run yet as Pending
    assert [(s["StepName"], s["StepStatus"]) for s in e["StepExecutions"]] == [("hold", "Waiting"), ("whoami", "Pending")]
    pending = e["StepExecutions"][1]
    assert pending["Action"] == "aws:executeAwsApi" and "ExecutionStartTime" not in pending
    assert "StepExecutionId" not in pending
    # DescribeAutomationStepExecutions lists active and ended steps only
    listed = ssm.describe_automation_step_executions(AutomationExecutionId=eid)["StepExecutions"]
    assert [s["StepName"] for s in listed] == ["hold"]
    # a pause is not an approval
    with pytest.raises(ClientError) as x:
        ssm.send_automation_signal(AutomationExecutionId=eid, SignalType="Approve")
    assert error_of(x)[0] == "InvalidAutomationSignalException"
    assert get_exec(ssm, eid)["AutomationExecutionStatus"] == "Waiting"

    p = d.aws("ssm", "send-automation-signal", "--automation-execution-id", eid, "--signal-type", "Resume")
    assert p.returncode == 0, p.stderr
    e = wait_status(ssm, eid)
    assert e["AutomationExecutionStatus"] == "Success", e
    assert [(s["StepName"], s["StepStatus"]) for s in ran(e)] == [("hold", "Success"), ("whoami", "Success")]
    assert e["Outputs"] == {"whoami.Account": [ACCOUNT]}
    # nothing is waiting any more
    p = d.aws("ssm", "send-automation-signal", "--automation-execution-id", eid, "--signal-type", "Resume")
    assert cli_error(p)[0] == "InvalidAutomationSignalException"


APPROVE_DOC = """\
schemaVersion: '0.3'
parameters:
  Approvers:
    type: StringList
mainSteps:
  - name: approval
    action: aws:approve
    inputs:
      Approvers: '{{ Approvers }}'
      Message: Restart the fleet?
      MinRequiredApprovals: 1
  - name: afterApproval
    action: aws:executeAwsApi
    inputs:
      Service: sts
      Api: GetCallerIdentity
"""


@pytest.fixture(scope="module")
def approve_doc(ssm):
    create_doc(ssm, "needs-approval", APPROVE_DOC)
    return "needs-approval"


@pytest.fixture(scope="module")
def approver(iam):
    return new_user(iam, "approver1", [allow(["ssm:SendAutomationSignal", "ssm:GetAutomationExecution"])],
                    policy_name="signal")


def test_approve(d, ssm, approver, approve_doc):
    user_arn = "arn:aws:iam::%s:user/approver1" % ACCOUNT
    eid = start(ssm, "needs-approval", Approvers=["approver1"])
    e = wait_status(ssm, eid, "Waiting")
    assert step_of(e, "approval")["StepStatus"] == "Waiting"
    assert json.loads(step_of(e, "approval")["Inputs"]["Approvers"]) == ["approver1"]

    # the root user is not among the approvers: its signal is refused and changes nothing
    with pytest.raises(ClientError) as x:
        ssm.send_automation_signal(AutomationExecutionId=eid, SignalType="Approve")
    assert error_of(x)[0] == "InvalidAutomationSignalException"
    assert get_exec(ssm, eid)["AutomationExecutionStatus"] == "Waiting"

    key, secret = approver
    p = d.aws("ssm", "send-automation-signal", "--automation-execution-id", eid, "--signal-type", "Approve",
              "--payload", "Comment=looks good", key=key, secret=secret)
    assert p.returncode == 0, p.stderr
    e = wait_status(ssm, eid)
    assert e["AutomationExecutionStatus"] == "Success", e
    a = step_of(e, "approval")
    assert a["StepStatus"] == "Success"
    assert a["Outputs"]["ApprovalStatus"] == ["Approved"]
    decisions = [json.loads(x) for x in a["Outputs"]["ApproverDecisions"]]
    assert [x["Approver"] for x in decisions] == [user_arn] and decisions[0]["Decision"] == "Approved"
    assert step_of(e, "afterApproval")["StepStatus"] == "Success"


def test_reject(d, ssm, approver, approve_doc):
    eid = start(ssm, "needs-approval", Approvers=["arn:aws:iam::%s:user/approver1" % ACCOUNT])
    wait_status(ssm, eid, "Waiting")
    key, secret = approver
    p = d.aws("ssm", "send-automation-signal", "--automation-execution-id", eid, "--signal-type", "Reject",
              key=key, secret=secret)
    assert p.returncode == 0, p.stderr
    e = wait_status(ssm, eid)
    assert e["AutomationExecutionStatus"] == "Failed", e
    assert step_names(e) == ["approval"]
    a = ran(e)[0]
    assert a["StepStatus"] == "Failed"
    assert a["Outputs"]["ApprovalStatus"] == ["Rejected"]
    assert "rejected" in a["FailureMessage"].lower()


TWO_APPROVALS_DOC = APPROVE_DOC.replace("MinRequiredApprovals: 1", "MinRequiredApprovals: 2").replace(
    "    action: aws:approve\n", "    action: aws:approve\n    timeoutSeconds: 600\n")


def test_two_approvals_need_two_approvers(d, ssm, iam, approver):
    create_doc(ssm, "two-approvals", TWO_APPROVALS_DOC)
    second = new_user(iam, "approver2", [allow("ssm:SendAutomationSignal")], policy_name="signal")
    eid = start(ssm, "two-approvals", Approvers=["approver1", "approver2"])
    wait_status(ssm, eid, "Waiting")
    one = d.client("ssm", key=approver[0], secret=approver[1])
    two = d.client("ssm", key=second[0], secret=second[1])
    # one approver approving twice is still one approval
    one.send_automation_signal(AutomationExecutionId=eid, SignalType="Approve")
    one.send_automation_signal(AutomationExecutionId=eid, SignalType="Approve")
    def weighed():
        x = get_exec(ssm, eid)
        return x if len(step_of(x, "approval").get("Outputs", {}).get("ApproverDecisions", [])) == 2 else None

    e = wait_for(weighed, 20, "both signals to be weighed")
    assert e["AutomationExecutionStatus"] == "Waiting"
    assert step_of(e, "approval")["Outputs"]["ApprovalStatus"] == ["Waiting"]
    two.send_automation_signal(AutomationExecutionId=eid, SignalType="Approve")
    e = wait_status(ssm, eid)
    assert e["AutomationExecutionStatus"] == "Success", e


def test_an_approval_nobody_gives_times_out(d, ssm, approver):
    create_doc(ssm, "approval-times-out", TWO_APPROVALS_DOC)
    eid = start(ssm, "approval-times-out", Approvers=["approver1"])
    wait_status(ssm, eid, "Waiting")
    advance(d, 601 * 1000)
    e = wait_status(ssm, eid)
    assert e["AutomationExecutionStatus"] == "TimedOut", e
    s = step_of(e, "approval")
    assert s["StepStatus"] == "TimedOut" and "timed out" in s["FailureMessage"]
    assert step_names(e) == ["approval"]


# ---------------------------------------------------------------- describing executions

LISTING_DOC = """\
schemaVersion: '0.3'
mainSteps:
  - name: first
    action: aws:executeAwsApi
    inputs:
      Service: sts
      Api: GetCallerIdentity
  - name: second
    action: aws:sleep
    inputs:
      Duration: PT0S
  - name: third
    action: aws:executeAwsApi
    inputs:
      Service: sts
      Api: GetCallerIdentity
"""


def test_get_and_describe_executions(d, ssm, pause_doc):
    create_doc(ssm, "listing-doc", LISTING_DOC)
    done = [start(ssm, "listing-doc") for _ in range(5)]
    for eid in done:
        assert wait_status(ssm, eid)["AutomationExecutionStatus"] == "Success"
    create_doc(ssm, "listing-held", PAUSE_DOC)
    held = start(ssm, "listing-held")
    wait_status(ssm, held, "Waiting")

    prefix = [{"Key": "DocumentNamePrefix", "Values": ["listing-doc"]}]
    r = ssm.describe_automation_executions(Filters=prefix)
    metas = r["AutomationExecutionMetadataList"]
    assert sorted(m["AutomationExecutionId"] for m in metas) == sorted(done)
    m = metas[0]
    assert m["DocumentName"] == "listing-doc" and m["DocumentVersion"] == "1"
    assert m["AutomationExecutionStatus"] == "Success" and m["ExecutedBy"] == ROOT_ARN
    assert m["Mode"] == "Auto" and m["AutomationType"] == "Local"
    assert m["ExecutionEndTime"] >= m["ExecutionStartTime"]

    # pages of two
    seen, kw, pages = [], {}, 0
    while True:
        r = ssm.describe_automation_executions(Filters=prefix, MaxResults=2, **kw)
        pages += 1
        seen += [x["AutomationExecutionId"] for x in r["AutomationExecutionMetadataList"]]
        if not r.get("NextToken"):
            break
        kw = {"NextToken": r["NextToken"]}
    assert pages == 3 and sorted(seen) == sorted(done)
    p = d.aws("ssm", "describe-automation-executions", "--filters", "Key=DocumentNamePrefix,Values=listing-",
              "--page-size", "2", check=True)
    assert sorted(x["AutomationExecutionId"] for x in p.json["AutomationExecutionMetadataList"]) == sorted(done + [held])

    r = ssm.describe_automation_executions(Filters=[{"Key": "DocumentNamePrefix", "Values": ["listing-"]},
                                                    {"Key": "ExecutionStatus", "Values": ["Waiting"]}])
    assert [x["AutomationExecutionId"] for x in r["AutomationExecutionMetadataList"]] == [held]
    r = ssm.describe_automation_executions(Filters=[{"Key": "ExecutionId", "Values": [done[2]]}])
    assert [x["AutomationExecutionId"] for x in r["AutomationExecutionMetadataList"]] == [done[2]]
    r = ssm.describe_automation_executions(Filters=[{"Key": "DocumentNamePrefix", "Values": ["listing-"]},
                                                    {"Key": "CurrentAction", "Values": ["aws:pause"]}])
    assert [x["AutomationExecutionId"] for x in r["AutomationExecutionMetadataList"]] == [held]
    with pytest.raises(ClientError) as x:
        ssm.describe_automation_executions(NextToken="garbage")
    assert error_of(x)[0] == "InvalidNextToken"

    # the steps of one execution
    eid = done[0]
    e = get_exec(ssm, eid)
    steps = ssm.describe_automation_step_executions(AutomationExecutionId=eid)["StepExecutions"]
    assert [s["StepName"] for s in steps] == ["first", "second", "third"]
    assert len({s["StepExecutionId"] for s in steps}) == 3
    assert steps == ran(e)
    r = ssm.describe_automation_step_executions(AutomationExecutionId=eid, ReverseOrder=True)
    assert [s["StepName"] for s in r["StepExecutions"]] == ["third", "second", "first"]
    r = ssm.describe_automation_step_executions(AutomationExecutionId=eid,
                                                Filters=[{"Key": "StepName", "Values": ["second"]}])
    assert [s["StepName"] for s in r["StepExecutions"]] == ["second"]
    r = ssm.describe_automation_step_executions(AutomationExecutionId=eid,
                                                Filters=[{"Key": "Action", "Values": ["aws:executeAwsApi"]},
                                                         {"Key": "StepExecutionStatus", "Values": ["Success"]}])
    assert [s["StepName"] for s in r["StepExecutions"]] == ["first", "third"]
    names, kw = [], {}
    while True:
        r = ssm.describe_automation_step_executions(AutomationExecutionId=eid, MaxResults=1, **kw)
        assert len(r["StepExecutions"]) == 1
        names.append(r["StepExecutions"][0]["StepName"])
        if not r.get("NextToken"):
            break
        kw = {"NextToken": r["NextToken"]}
    assert names == ["first", "second", "third"]

    missing = str(uuid.uuid4())
    with pytest.raises(ClientError) as x:
        ssm.get_automation_execution(AutomationExecutionId=missing)
    assert error_of(x)[0] == "AutomationExecutionNotFoundException"
    p = d.aws("ssm", "describe-automation-step-executions", "--automation-execution-id", missing)
    assert cli_error(p)[0] == "AutomationExecutionNotFoundException"
    ssm.stop_automation_execution(AutomationExecutionId=held)


def test_document_versions_when_starting(d, ssm):
    create_doc(ssm, "two-versions", LISTING_DOC)
    ssm.update_document(Name="two-versions", Content=LISTING_DOC.replace("third", "fourth"), DocumentFormat="YAML")
    e = wait_status(ssm, start(ssm, "two-versions"))
    assert e["DocumentVersion"] == "1" and step_names(e) == ["first", "second", "third"]
    eid = ssm.start_automation_execution(DocumentName="two-versions", DocumentVersion="$LATEST")["AutomationExecutionId"]
    e = wait_status(ssm, eid)
    assert e["DocumentVersion"] == "2" and step_names(e) == ["first", "second", "fourth"]
    arn = "arn:aws:ssm:us-east-1:%s:document/two-versions" % ACCOUNT
    eid = ssm.start_automation_execution(DocumentName=arn, DocumentVersion="2")["AutomationExecutionId"]
    assert wait_status(ssm, eid)["DocumentVersion"] == "2"
    p = d.aws("ssm", "start-automation-execution", "--document-name", "two-versions", "--document-version", "3")
    assert cli_error(p)[0] == "AutomationDefinitionVersionNotFoundException"
    p = d.aws("ssm", "start-automation-execution", "--document-name", "no-such-runbook")
    assert cli_error(p)[0] == "AutomationDefinitionNotFoundException"


# ---------------------------------------------------------------- parameters

PARAMS_DOC = """\
schemaVersion: '0.3'
parameters:
  Env:
    type: String
    default: dev
    allowedValues: [dev, prod]
  Name:
    type: String
    default: abc
    allowedPattern: ^[a-z]+$
  Count:
    type: Integer
    default: 1
  Flag:
    type: Boolean
    default: false
  Ids:
    type: StringList
    default: [a]
    maxItems: 2
  Map:
    type: StringMap
    default: {}
  Maps:
    type: MapList
    default: []
  Req:
    type: String
mainSteps:
  - name: choose
    action: aws:branch
    inputs:
      Choices:
        - NextStep: big
          And:
            - Variable: '{{ Count }}'
              NumericGreater: 5
            - Variable: '{{ Flag }}'
              BooleanEquals: true
            - Variable: '{{ Ids }}'
              Contains: b
      Default: small
  - name: small
    action: aws:sleep
    isEnd: true
    inputs:
      Duration: PT0S
  - name: big
    action: aws:sleep
    inputs:
      Duration: PT0S
"""

# (case, parameters, parts every message must contain)
PARAM_ERRORS = [
    ("allowedValues", {"Env": ["qa"]}, ['"Env"', '"qa"', "dev", "prod"]),
    ("allowedPattern", {"Name": ["ABC"]}, ['"Name"', '"ABC"', "^[a-z]+$"]),
    ("integer-decimal", {"Count": ["1.5"]}, ["Count", "integer"]),
    ("integer-word", {"Count": ["seven"]}, ["Count", "integer"]),
    ("boolean", {"Flag": ["yes"]}, ["Flag", "boolean"]),
    ("string-two-values", {"Env": ["dev", "prod"]}, ["Env", "string"]),
    ("stringlist-too-many", {"Ids": ["a", "b", "c"]}, ['"Ids"', "maxItems"]),
    ("stringmap-not-json", {"Map": ["k=v"]}, ["Map", "string map"]),
    ("stringmap-a-list", {"Map": ['["k"]']}, ["Map", "string map"]),
    ("maplist-not-json", {"Maps": ["k=v"]}, ["Maps", "map list"]),
    ("maplist-of-numbers", {"Maps": ["[1, 2]"]}, ["Maps", "map list"]),
    ("missing-required", {}, ["Missing required parameter", "Req"]),
    ("undeclared", {"Bogus": ["1"]}, ['"Bogus"']),
]


@pytest.fixture(scope="module")
def params_doc(ssm):
    create_doc(ssm, "param-checks", PARAMS_DOC)
    return "param-checks"


@pytest.mark.parametrize("case", PARAM_ERRORS, ids=[c[0] for c in PARAM_ERRORS])
def test_parameter_errors(d, ssm, params_doc, case):
    _, params, parts = case
    params = dict(params)
    if "Req" not in params and params:
        params["Req"] = ["given"]
    args = ["ssm", "start-automation-execution", "--document-name", params_doc]
    if params:
        args += ["--parameters", json.dumps(params)]
    code, msg = cli_error(d.aws(*args))
    assert code == "InvalidAutomationExecutionParametersException", msg
    for part in parts:
        assert part in msg, (part, msg)


def test_parameter_errors_start_nothing_and_good_values_are_typed(ssm, params_doc):
    r = ssm.describe_automation_executions(Filters=[{"Key": "DocumentNamePrefix", "Values": [params_doc]}])
    assert r["AutomationExecutionMetadataList"] == []  # none of the refused starts made one

    with pytest.raises(ClientError) as x:
        start(ssm, params_doc, Env="staging", Req="x")
    code, msg = error_of(x)
    assert code == "InvalidAutomationExecutionParametersException"
    assert x.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400

    eid = start(ssm, params_doc, Req="x", Env="prod", Count="7", Flag="true", Ids=["a", "b"],
                Map='{"k": "v"}', Maps='[{"a": "b"}]')
    e = wait_status(ssm, eid)
    assert e["AutomationExecutionStatus"] == "Success", e
    assert step_names(e) == ["choose", "big"]
    assert e["Parameters"]["Count"] == ["7"] and e["Parameters"]["Flag"] == ["true"]
    assert e["Parameters"]["Ids"] == ["a", "b"] and e["Parameters"]["Env"] == ["prod"]
    assert e["Parameters"]["Name"] == ["abc"]  # the default
    assert json.loads(e["Parameters"]["Map"][0]) == {"k": "v"}
    # the branch saw typed values: a number, a boolean, a list
    conds = json.loads(step_of(e, "choose")["Inputs"]["Choices"])[0]["And"]
    assert [c["Variable"] for c in conds] == [7, True, ["a", "b"]]

    e = wait_status(ssm, start(ssm, params_doc, Req="x"))
    assert step_names(e) == ["choose", "small"]


# ---------------------------------------------------------------- limits and idempotency


def test_concurrency_limit(fresh_daemon):
    d = fresh_daemon(args=["--automation-max-running", "1", "--automation-max-queued", "1"])
    ssm = d.client("ssm")
    create_doc(ssm, "hold-it", PAUSE_DOC)
    first = start(ssm, "hold-it")
    wait_status(ssm, first, "Waiting")
    second = start(ssm, "hold-it")  # queued behind the running one
    p = d.aws("ssm", "start-automation-execution", "--document-name", "hold-it")
    code, msg = cli_error(p)
    assert code == "AutomationExecutionLimitExceededException", msg
    assert get_exec(ssm, second)["AutomationExecutionStatus"] == "Pending"
    assert get_exec(ssm, first)["AutomationExecutionStatus"] == "Waiting"
    r = ssm.describe_automation_executions()
    assert len(r["AutomationExecutionMetadataList"]) == 2  # the refused start made nothing

    # the first one ends, the queued one runs, and there is room again
    ssm.send_automation_signal(AutomationExecutionId=first, SignalType="Resume")
    assert wait_status(ssm, first)["AutomationExecutionStatus"] == "Success"
    wait_status(ssm, second, "Waiting")
    third = start(ssm, "hold-it")
    assert get_exec(ssm, third)["AutomationExecutionStatus"] == "Pending"
    # stopping a queued execution ends it without running a step: Complete as Success,
    # Cancel as Cancelled
    ssm.stop_automation_execution(AutomationExecutionId=third, Type="Complete")
    e = wait_status(ssm, third)
    assert e["AutomationExecutionStatus"] == "Success" and ran(e) == [], e
    fourth = start(ssm, "hold-it")
    assert get_exec(ssm, fourth)["AutomationExecutionStatus"] == "Pending"
    ssm.stop_automation_execution(AutomationExecutionId=fourth)
    e = wait_status(ssm, fourth)
    assert e["AutomationExecutionStatus"] == "Cancelled" and ran(e) == [], e
    ssm.stop_automation_execution(AutomationExecutionId=second)
    assert wait_status(ssm, second)["AutomationExecutionStatus"] == "Cancelled"


def test_start_rate_throttling(fresh_daemon):
    d = fresh_daemon(args=["--automation-start-rate", "1"])
    ssm = d.client("ssm")
    create_doc(ssm, "quick", LISTING_DOC)
    ok, throttled = [], []
    for _ in range(5):
        try:
            ok.append(start(ssm, "quick"))
        except ClientError as e:
            assert e.response["Error"]["Code"] == "ThrottlingException", e.response
            assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 400
            throttled.append(e)
    assert ok and throttled, (len(ok), len(throttled))
    assert len(ssm.describe_automation_executions()["AutomationExecutionMetadataList"]) == len(ok)
    # a caller that retries gets through
    def retry():
        try:
            return start(ssm, "quick")
        except ClientError as e:
            assert e.response["Error"]["Code"] == "ThrottlingException"
            return None
    eid = wait_for(retry, 10, "a start to be accepted again", interval=0.2)
    assert wait_status(ssm, eid)["AutomationExecutionStatus"] == "Success"


def test_start_rate_is_kept_in_the_store(fresh_daemon):
    """The bucket is a store row per account and region, not a counter of the process: a
    restarted daemon (or another node on the same database) gives no fresh burst, and
    another region draws on a bucket of its own."""
    d = fresh_daemon(args=["--automation-start-rate", "1"])
    ssm = d.client("ssm")
    create_doc(ssm, "quick", LISTING_DOC)
    # the burst of one spent (no token comes back before the restart: see below)
    first = wait_for(lambda: throttled_or_id(ssm), 10, "a start to be accepted", interval=0.2)
    # the same daemon again, its clock 30 s earlier: however long the restart takes, no
    # token has come back meanwhile (a bucket in memory would start full)
    assert d.stop() == 0
    d.extra_env["CATALOGD_CLOCK_OFFSET_MS"] = "-30000"
    d.start()
    ssm = d.client("ssm")
    for _ in range(3):
        with pytest.raises(ClientError) as e:
            start(ssm, "quick")
        assert error_of(e) == ("ThrottlingException", "Rate exceeded")
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    # another region's bucket is its own
    west = d.client("ssm", region="eu-west-1")
    create_doc(west, "quick", LISTING_DOC)
    assert wait_status(west, start(west, "quick"))["AutomationExecutionStatus"] == "Success"
    assert wait_status(ssm, first)["AutomationExecutionStatus"] == "Success"


def throttled_or_id(ssm):
    """A start of "quick": its execution id, or None when it was throttled."""
    try:
        return start(ssm, "quick")
    except ClientError as e:
        assert error_of(e) == ("ThrottlingException", "Rate exceeded"), e.response
        return None


def test_client_token_idempotency(d, ssm):
    create_doc(ssm, "idempotent-doc", LISTING_DOC.replace("schemaVersion: '0.3'\n",
                                                          "schemaVersion: '0.3'\nparameters:\n  P:\n    type: String\n    default: x\n"))
    token = str(uuid.uuid4())
    a = ssm.start_automation_execution(DocumentName="idempotent-doc", ClientToken=token)["AutomationExecutionId"]
    b = ssm.start_automation_execution(DocumentName="idempotent-doc", ClientToken=token)["AutomationExecutionId"]
    assert a == b
    p = d.aws("ssm", "start-automation-execution", "--document-name", "idempotent-doc", "--client-token", token,
              check=True)
    assert p.json["AutomationExecutionId"] == a
    with pytest.raises(ClientError) as x:
        ssm.start_automation_execution(DocumentName="idempotent-doc", ClientToken=token, Parameters={"P": ["y"]})
    assert error_of(x)[0] == "IdempotentParameterMismatch"
    other = ssm.start_automation_execution(DocumentName="idempotent-doc", ClientToken=str(uuid.uuid4()))
    r = ssm.describe_automation_executions(Filters=[{"Key": "DocumentNamePrefix", "Values": ["idempotent-doc"]}])
    assert sorted(x["AutomationExecutionId"] for x in r["AutomationExecutionMetadataList"]) == sorted(
        [a, other["AutomationExecutionId"]])


def test_client_token_is_case_insensitive(ssm):
    create_doc(ssm, "idempotent-case", LISTING_DOC)
    token = str(uuid.uuid4())
    a = ssm.start_automation_execution(DocumentName="idempotent-case", ClientToken=token)["AutomationExecutionId"]
    b = ssm.start_automation_execution(DocumentName="idempotent-case", ClientToken=token.upper())["AutomationExecutionId"]
    assert a == b


# ---------------------------------------------------------------- kill -9


@pytest.mark.parametrize("kill_during", ["stop", "start"])
def test_kill9_mid_execution_resumes_without_repeating_a_step(fresh_daemon, tmp, kill_during):
    log = os.path.join(tmp, "transitions.log")
    args = exec_provider_args(log) + ["--lease-ms", "1500"]
    d = fresh_daemon(args=args)
    ssm, ec2 = d.client("ssm"), d.client("ec2")
    iid = run_instance(ec2)
    eid = start(ssm, "AWS-RestartEC2Instance", InstanceId=iid)
    # pull the plug while the provider command of that transition runs
    wait_for(lambda: any(x[0] == kill_during + "-begin" for x in log_lines(log)), 30, kill_during + " to begin")
    assert get_exec(ssm, eid)["AutomationExecutionStatus"] == "InProgress"
    d.kill9()

    d2 = fresh_daemon(data_dir=d.data_dir, args=args)
    ssm2 = d2.client("ssm")
    e = wait_status(ssm2, eid, timeout=60)
    assert e["AutomationExecutionStatus"] == "Success", e
    assert [(s["StepName"], s["StepStatus"]) for s in ran(e)] == [
        ("stopInstances", "Success"), ("startInstances", "Success")]
    steps = ssm2.describe_automation_step_executions(AutomationExecutionId=eid)["StepExecutions"]
    assert [s["StepName"] for s in steps] == ["stopInstances", "startInstances"]
    # each transition ran once, to its end, in order
    entries = log_lines(log)
    assert [x[0] for x in entries] == ["stop-begin", "stop-end", "start-begin", "start-end"], entries
    assert len({x[2] for x in entries}) == 2  # two transitions
    assert state_of(d2.client("ec2"), iid) == "running"
    assert d2.stop() == 0
