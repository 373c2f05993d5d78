"""The Automation step types people use (issue 12, deliver 4), through boto3 against a
real daemon: aws:executeScript (a payload with outputs selected from $.Payload, a script
that raises, one past its time limit, one over its memory limit, an Attachment refused,
the child outliving a kill -9 and running once, the child running as --node-user),
aws:createStack + aws:deleteStack, aws:createTags seen by DescribeInstances,
aws:runInstances (the instances running afterwards), aws:loop (for each instance id,
stopping each; do while; a failing iteration), aws:runCommand on a managed node (the
local transport), and rate control (Targets by tag and ParameterValues, TargetMaps,
MaxConcurrency, MaxErrors stopping the rest, a stop cancelling the children).

The daemons run on real time (scripts and commands run in real child processes), with
emulated instances whose transitions take 200 ms.
"""

import json
import os
import pathlib
import shutil
import tempfile

import pytest
from botocore.exceptions import ClientError

from conftest import Daemon
from helpers import error_of, serve, wait_for
from sshd import node_user
from test_ssm_automation import create_doc, run_instance, start, state_of, step_of, tags_of, wait_status
from test_ssm_automation import ec2, ssm  # noqa: F401 (the same fixtures, on this module's daemon)


@pytest.fixture(scope="module")
def d():
    yield from serve(Daemon(args=["--ec2-delay-ms", "200"]))


def outputs(e, step):
    return step_of(e, step)["Outputs"]


SCRIPT_DOC = """
schemaVersion: '0.3'
parameters:
  Name:
    type: String
outputs:
  - Greet.Message
mainSteps:
  - name: Greet
    action: aws:executeScript
    inputs:
      Runtime: python3.11
      Handler: script_handler
      InputPayload:
        name: '{{ Name }}'
        count: 3
      Script: |-
        import os
        def script_handler(events, context):
            print("hello from the script")
            return {"message": "hi " + events["name"], "twice": events["count"] * 2,
                    "uid": os.getuid(), "env": sorted(os.environ)}
    outputs:
      - Name: Message
        Selector: $.Payload.message
        Type: String
      - Name: Twice
        Selector: $.Payload.twice
        Type: Integer
  - name: Echo
    action: aws:executeScript
    inputs:
      Runtime: python3.8
      Handler: handler
      InputPayload:
        got: '{{ Greet.Message }}'
      Script: |-
        def handler(events, context):
            return events["got"].upper()
"""


def test_execute_script_payload_and_outputs(ssm):
    create_doc(ssm, "Steps-Script", SCRIPT_DOC)
    eid = start(ssm, "Steps-Script", Name="world")
    e = wait_status(ssm, eid, timeout=60)
    assert e["AutomationExecutionStatus"] == "Success", e
    out = outputs(e, "Greet")
    assert out["Message"] == ["hi world"]
    assert out["Twice"] == ["6"]
    payload = json.loads(out["Payload"][0])
    assert payload["message"] == "hi world"
    assert json.loads(out["OutputPayload"][0]) == {"Payload": payload}
    assert out["ExecutionLog"] == ["hello from the script\n"]
    # not root, and nothing of catalogd's environment
    if os.geteuid() == 0:
        assert payload["uid"] != 0
    assert set(payload["env"]) <= {"PATH", "LANG", "LC_CTYPE"}, payload["env"]
    assert outputs(e, "Echo")["Payload"] == ["HI WORLD"]
    assert e["Outputs"]["Greet.Message"] == ["hi world"]


def test_execute_script_raises(ssm):
    create_doc(ssm, "Steps-ScriptRaises", """
schemaVersion: '0.3'
mainSteps:
  - name: Boom
    action: aws:executeScript
    inputs:
      Runtime: python3.10
      Handler: script_handler
      Script: |-
        def script_handler(events, context):
            print("about to fail")
            raise ValueError("the disk is full")
""")
    e = wait_status(ssm, start(ssm, "Steps-ScriptRaises"), timeout=60)
    assert e["AutomationExecutionStatus"] == "Failed"
    s = step_of(e, "Boom")
    assert s["StepStatus"] == "Failed"
    assert "ValueError: the disk is full" in s["FailureMessage"]
    assert s["FailureDetails"]["Details"]["ExceptionMessage"] == ["ValueError: the disk is full"]
    log = s["Outputs"]["ExecutionLog"][0]
    assert "about to fail" in log and "Traceback" in log


def test_execute_script_time_and_memory_limits(ssm):
    create_doc(ssm, "Steps-ScriptSlow", """
schemaVersion: '0.3'
mainSteps:
  - name: Slow
    action: aws:executeScript
    timeoutSeconds: 2
    inputs:
      Runtime: python3.11
      Handler: h
      Script: |-
        import time
        def h(events, context):
            time.sleep(60)
""")
    e = wait_status(ssm, start(ssm, "Steps-ScriptSlow"), timeout=30)
    assert e["AutomationExecutionStatus"] == "TimedOut", e
    assert step_of(e, "Slow")["StepStatus"] == "TimedOut"
    create_doc(ssm, "Steps-ScriptBig", """
schemaVersion: '0.3'
mainSteps:
  - name: Big
    action: aws:executeScript
    inputs:
      Runtime: python3.11
      Handler: h
      Script: |-
        def h(events, context):
            return len(bytearray(2 * 1024 * 1024 * 1024))
""")
    e = wait_status(ssm, start(ssm, "Steps-ScriptBig"), timeout=60)
    assert e["AutomationExecutionStatus"] == "Failed"
    assert "MemoryError" in step_of(e, "Big")["FailureMessage"]


def test_execute_script_attachment_refused(ssm):
    with pytest.raises(ClientError) as exc:
        create_doc(ssm, "Steps-ScriptAttach", """
schemaVersion: '0.3'
mainSteps:
  - name: Run
    action: aws:executeScript
    inputs:
      Runtime: python3.11
      Handler: main.handler
      Attachment: scripts.zip
""")
    code, msg = error_of(exc)
    assert code == "InvalidDocumentContent"
    assert "Attachment" in msg and "inline" in msg


TEMPLATE = json.dumps({
    "Resources": {"Box": {"Type": "AWS::EC2::Instance",
                          "Properties": {"ImageId": "ami-0246838ace3f374fc", "InstanceType": "t2.micro"}}},
    "Outputs": {"Id": {"Value": {"Ref": "Box"}}},
})


def test_create_and_delete_stack(ssm, d):
    cfn = d.client("cloudformation")
    create_doc(ssm, "Steps-Stack", """
schemaVersion: '0.3'
parameters:
  Template:
    type: String
outputs:
  - Make.StackId
  - Make.StackStatus
mainSteps:
  - name: Make
    action: aws:createStack
    inputs:
      StackName: steps-stack
      TemplateBody: '{{ Template }}'
  - name: Look
    action: aws:assertAwsResourceProperty
    inputs:
      Service: cloudformation
      Api: DescribeStacks
      StackName: '{{ Make.StackId }}'
      PropertySelector: $.Stacks[0].StackStatus
      DesiredValues: [CREATE_COMPLETE]
  - name: Remove
    action: aws:deleteStack
    inputs:
      StackName: steps-stack
""", fmt="YAML")
    e = wait_status(ssm, start(ssm, "Steps-Stack", Template=TEMPLATE), timeout=60)
    assert e["AutomationExecutionStatus"] == "Success", e
    sid = e["Outputs"]["Make.StackId"][0]
    assert sid.startswith("arn:aws:cloudformation:")
    assert e["Outputs"]["Make.StackStatus"] == ["CREATE_COMPLETE"]
    assert cfn.describe_stacks(StackName=sid)["Stacks"][0]["StackStatus"] == "DELETE_COMPLETE"


def test_create_stack_failure_fails_the_step(ssm):
    create_doc(ssm, "Steps-StackBad", """
schemaVersion: '0.3'
mainSteps:
  - name: Make
    action: aws:createStack
    inputs:
      StackName: steps-bad
      TemplateBody: '{"Resources": {"X": {"Type": "AWS::No::Such"}}}'
""")
    e = wait_status(ssm, start(ssm, "Steps-StackBad"), timeout=60)
    assert e["AutomationExecutionStatus"] == "Failed"
    s = step_of(e, "Make")
    assert "Stack steps-bad ended in status ROLLBACK_COMPLETE" in s["FailureMessage"]
    assert s["Outputs"]["StackStatus"] == ["ROLLBACK_COMPLETE"]


def test_create_tags_and_run_instances(ssm, ec2):
    iid = run_instance(ec2)
    create_doc(ssm, "Steps-Ec2", """
schemaVersion: '0.3'
parameters:
  Ids:
    type: StringList
outputs:
  - Launch.InstanceIds
mainSteps:
  - name: Tag
    action: aws:createTags
    inputs:
      ResourceType: EC2
      ResourceIds: '{{ Ids }}'
      Tags:
        - Key: team
          Value: web
        - Key: env
          Value: test
  - name: Launch
    action: aws:runInstances
    inputs:
      ImageId: ami-0246838ace3f374fc
      InstanceType: t2.micro
      MinInstanceCount: 2
      MaxInstanceCount: 2
      TagSpecifications:
        - ResourceType: instance
          Tags:
            - Key: made-by
              Value: automation
""")
    e = wait_status(ssm, start(ssm, "Steps-Ec2", Ids=[iid]), timeout=60)
    assert e["AutomationExecutionStatus"] == "Success", e
    assert tags_of(ec2, iid) == {"team": "web", "env": "test"}
    launched = e["Outputs"]["Launch.InstanceIds"]
    assert len(launched) == 2
    for i in launched:
        assert state_of(ec2, i) == "running"
        assert tags_of(ec2, i) == {"made-by": "automation"}


def test_create_tags_refuses_other_resource_types(ssm):
    create_doc(ssm, "Steps-TagParam", """
schemaVersion: '0.3'
mainSteps:
  - name: Tag
    action: aws:createTags
    inputs:
      ResourceType: Parameter
      ResourceIds: [p1]
      Tags: [{Key: a, Value: b}]
""")
    e = wait_status(ssm, start(ssm, "Steps-TagParam"), timeout=30)
    assert e["AutomationExecutionStatus"] == "Failed"
    assert "only EC2 resources" in step_of(e, "Tag")["FailureMessage"]


def test_loop_stops_each_instance(ssm, ec2):
    ids = [run_instance(ec2) for _ in range(2)]
    create_doc(ssm, "Steps-Loop", """
schemaVersion: '0.3'
parameters:
  Ids:
    type: StringList
outputs:
  - StopEach.CurrentIteration
  - StopEach.CurrentIteratorValue
mainSteps:
  - name: StopEach
    action: aws:loop
    inputs:
      Iterators: '{{ Ids }}'
      IteratorDataType: String
      Steps:
        - name: StopOne
          action: aws:changeInstanceState
          inputs:
            InstanceIds:
              - '{{ StopEach.CurrentIteratorValue }}'
            DesiredState: stopped
        - name: Note
          action: aws:executeScript
          inputs:
            Runtime: python3.11
            Handler: h
            InputPayload:
              id: '{{ StopEach.CurrentIteratorValue }}'
              n: '{{ StopEach.CurrentIteration }}'
              states: '{{ StopOne.InstanceStates }}'
            Script: |-
              def h(events, context):
                  return "%s:%s:%s" % (events["n"], events["id"], events["states"][0])
          outputs:
            - Name: Line
              Selector: $.Payload
              Type: String
  - name: After
    action: aws:executeScript
    inputs:
      Runtime: python3.11
      Handler: h
      InputPayload:
        last: '{{ Note.Line }}'
      Script: |-
        def h(events, context):
            return events["last"]
""")
    e = wait_status(ssm, start(ssm, "Steps-Loop", Ids=ids), timeout=60)
    assert e["AutomationExecutionStatus"] == "Success", e
    for i in ids:
        assert state_of(ec2, i) == "stopped"
    assert e["Outputs"]["StopEach.CurrentIteration"] == ["2"]
    assert e["Outputs"]["StopEach.CurrentIteratorValue"] == [ids[1]]
    assert step_of(e, "After")["Outputs"]["Payload"] == ["2:%s:stopped" % ids[1]]


def test_loop_condition_and_failure(ssm):
    create_doc(ssm, "Steps-LoopWhile", """
schemaVersion: '0.3'
mainSteps:
  - name: Count
    action: aws:loop
    inputs:
      MaxIterations: 10
      LoopCondition:
        Variable: '{{ Bump.Below }}'
        BooleanEquals: true
      Steps:
        - name: Bump
          action: aws:executeScript
          inputs:
            Runtime: python3.11
            Handler: h
            InputPayload:
              n: '{{ Count.CurrentIteration }}'
            Script: |-
              def h(events, context):
                  return {"below": events["n"] < 3}
          outputs:
            - Name: Below
              Selector: $.Payload.below
              Type: Boolean
""")
    e = wait_status(ssm, start(ssm, "Steps-LoopWhile"), timeout=60)
    assert e["AutomationExecutionStatus"] == "Success", e
    assert step_of(e, "Count")["Outputs"]["CurrentIteration"] == ["3"]
    create_doc(ssm, "Steps-LoopFail", """
schemaVersion: '0.3'
mainSteps:
  - name: Each
    action: aws:loop
    inputs:
      Iterators: [a, b, c]
      Steps:
        - name: Check
          action: aws:executeScript
          inputs:
            Runtime: python3.11
            Handler: h
            InputPayload:
              v: '{{ Each.CurrentIteratorValue }}'
            Script: |-
              def h(events, context):
                  if events["v"] == "b":
                      raise RuntimeError("bad item " + events["v"])
""")
    e = wait_status(ssm, start(ssm, "Steps-LoopFail"), timeout=60)
    assert e["AutomationExecutionStatus"] == "Failed"
    s = step_of(e, "Each")
    assert "Step Check failed in iteration 2: RuntimeError: bad item b" in s["FailureMessage"]
    assert s["Outputs"]["CurrentIteratorValue"] == ["b"]


def test_loop_document_checks(ssm):
    bad = [
        ("""  - name: L
    action: aws:loop
    inputs:
      Steps: [{name: S, action: aws:sleep, inputs: {Duration: PT1S}}]
""", "exactly one of the inputs Iterators and LoopCondition"),
        ("""  - name: L
    action: aws:loop
    inputs:
      Iterators: [a]
      Steps: [{name: S, action: aws:pause, inputs: {}}]
""", "aws:pause steps are not supported in aws:loop"),
        ("""  - name: L
    action: aws:loop
    inputs:
      Iterators: [a]
      Steps: [{name: L, action: aws:sleep, inputs: {Duration: PT1S}}]
""", "Step name L is used by more than one step"),
    ]
    for i, (steps, want) in enumerate(bad):
        with pytest.raises(ClientError) as exc:
            create_doc(ssm, "Steps-LoopBad%d" % i, "schemaVersion: '0.3'\nmainSteps:\n" + steps)
        code, msg = error_of(exc)
        assert code == "InvalidDocumentContent" and want in msg, msg


RATE_DOC = """
schemaVersion: '0.3'
parameters:
  InstanceId:
    type: String
  Note:
    type: String
    default: none
mainSteps:
  - name: Check
    action: aws:assertAwsResourceProperty
    inputs:
      Service: ec2
      Api: DescribeTags
      Filters:
        - Name: resource-id
          Values: ['{{ InstanceId }}']
        - Name: key
          Values: [health]
      PropertySelector: $.Tags[0].Value
      DesiredValues: [good]
"""


def children_of(ssm, parent):
    got = ssm.describe_automation_executions(Filters=[{"Key": "ParentExecutionId", "Values": [parent]}])
    return got["AutomationExecutionMetadataList"]


def test_rate_control_stops_after_max_errors(ssm, ec2):
    fleet = "fleet-%s" % os.getpid()
    bad = run_instance(ec2, TagSpecifications=[{"ResourceType": "instance", "Tags": [
        {"Key": "fleet", "Value": fleet}, {"Key": "health", "Value": "bad"}]}])
    good = [run_instance(ec2, TagSpecifications=[{"ResourceType": "instance", "Tags": [
        {"Key": "fleet", "Value": fleet}, {"Key": "health", "Value": "good"}]}]) for _ in range(2)]
    create_doc(ssm, "Steps-Rate", RATE_DOC)
    parent = ssm.start_automation_execution(
        DocumentName="Steps-Rate", TargetParameterName="InstanceId",
        Targets=[{"Key": "tag:fleet", "Values": [fleet]}], MaxConcurrency="1", MaxErrors="0",
        Parameters={"Note": ["rate"]})["AutomationExecutionId"]
    e = wait_status(ssm, parent, timeout=60)
    assert e["AutomationExecutionStatus"] == "Failed", e
    resolved = e["ResolvedTargets"]["ParameterValues"]
    assert sorted(resolved) == sorted([bad] + good)
    assert e["MaxConcurrency"] == "1" and e["MaxErrors"] == "0" and e["TargetParameterName"] == "InstanceId"
    assert e["Targets"] == [{"Key": "tag:fleet", "Values": [fleet]}]
    kids = children_of(ssm, parent)
    # one at a time, in order, and none after the first failure
    assert len(kids) == resolved.index(bad) + 1
    by_target = {k["Target"]: k for k in kids}
    assert by_target[bad]["AutomationExecutionStatus"] == "Failed"
    for i in resolved[:resolved.index(bad)]:
        assert by_target[i]["AutomationExecutionStatus"] == "Success"
    child = ssm.get_automation_execution(AutomationExecutionId=by_target[bad]["AutomationExecutionId"])[
        "AutomationExecution"]
    assert child["ParentAutomationExecutionId"] == parent
    assert child["Parameters"] == {"InstanceId": [bad], "Note": ["rate"]}


def test_rate_control_parameter_values_and_errors(ssm, ec2):
    ids = [run_instance(ec2, TagSpecifications=[{"ResourceType": "instance", "Tags": [
        {"Key": "health", "Value": "good"}]}]) for _ in range(3)]
    create_doc(ssm, "Steps-RatePV", RATE_DOC)
    parent = ssm.start_automation_execution(
        DocumentName="Steps-RatePV", TargetParameterName="InstanceId",
        Targets=[{"Key": "ParameterValues", "Values": ids}], MaxConcurrency="2",
        MaxErrors="1")["AutomationExecutionId"]
    e = wait_status(ssm, parent, timeout=60)
    assert e["AutomationExecutionStatus"] == "Success", e
    kids = children_of(ssm, parent)
    assert sorted(k["Target"] for k in kids) == sorted(ids)
    assert {k["AutomationExecutionStatus"] for k in kids} == {"Success"}
    for kw, code in [
        (dict(Targets=[{"Key": "ParameterValues", "Values": ids}]), "InvalidAutomationExecutionParametersException"),
        (dict(Targets=[{"Key": "ParameterValues", "Values": ids}], TargetParameterName="Nope"),
         "InvalidAutomationExecutionParametersException"),
        (dict(Targets=[{"Key": "tag:none-such", "Values": ["x"]}], TargetParameterName="InstanceId"),
         "InvalidTarget"),
        (dict(Targets=[{"Key": "ResourceGroup", "Values": ["g"]}], TargetParameterName="InstanceId"),
         "InvalidTarget"),
    ]:
        with pytest.raises(ClientError) as exc:
            ssm.start_automation_execution(DocumentName="Steps-RatePV", **kw)
        assert error_of(exc)[0] == code, kw


def test_execute_script_runs_once_across_kill9(fresh_daemon):
    """catalogd dies while the script runs: the detached child goes on, and the restarted
    daemon picks up its result instead of running the script again."""
    out = pathlib.Path(tempfile.mkdtemp(prefix="steps-kill9-"))  # the script may run as nobody
    os.chmod(out, 0o777)
    log = out / "log"
    d = fresh_daemon(args=["--lease-ms", "1500"])
    ssm = d.client("ssm")
    create_doc(ssm, "Steps-ScriptKill", """
schemaVersion: '0.3'
mainSteps:
  - name: Once
    action: aws:executeScript
    inputs:
      Runtime: python3.11
      Handler: h
      InputPayload:
        path: '%s'
      Script: |-
        import time
        def h(events, context):
            with open(events["path"], "a") as f:
                f.write("begin\\n")
            time.sleep(3)
            with open(events["path"], "a") as f:
                f.write("end\\n")
            return "done"
""" % log)
    eid = start(ssm, "Steps-ScriptKill")
    wait_for(lambda: log.exists() and "begin" in log.read_text(), 30, "the script to begin")
    d.kill9()
    d2 = fresh_daemon(data_dir=d.data_dir, args=["--lease-ms", "1500"])
    e = wait_status(d2.client("ssm"), eid, timeout=60)
    assert e["AutomationExecutionStatus"] == "Success", e
    assert step_of(e, "Once")["Outputs"]["Payload"] == ["done"]
    assert log.read_text() == "begin\nend\n"
    shutil.rmtree(out, ignore_errors=True)


def test_rate_control_stop_cancels_children(ssm):
    create_doc(ssm, "Steps-RateStop", """
schemaVersion: '0.3'
parameters:
  Item:
    type: String
mainSteps:
  - name: Hold
    action: aws:pause
    inputs: {}
""")
    parent = ssm.start_automation_execution(
        DocumentName="Steps-RateStop", TargetParameterName="Item",
        Targets=[{"Key": "ParameterValues", "Values": ["a", "b", "c"]}], MaxConcurrency="1")["AutomationExecutionId"]
    kid = wait_for(lambda: [k for k in children_of(ssm, parent) if k["AutomationExecutionStatus"] == "Waiting"],
                   30, "the first child to wait")[0]
    assert kid["Target"] == "a"
    ssm.stop_automation_execution(AutomationExecutionId=parent)
    e = wait_status(ssm, parent, timeout=30)
    assert e["AutomationExecutionStatus"] == "Cancelled"
    kids = children_of(ssm, parent)
    assert [(k["Target"], k["AutomationExecutionStatus"]) for k in kids] == [("a", "Cancelled")]


def test_rate_control_target_maps(ssm):
    create_doc(ssm, "Steps-RateMaps", """
schemaVersion: '0.3'
parameters:
  Item:
    type: String
  Times:
    type: Integer
    default: 1
mainSteps:
  - name: Echo
    action: aws:executeScript
    inputs:
      Runtime: python3.11
      Handler: h
      InputPayload:
        item: '{{ Item }}'
        times: '{{ Times }}'
      Script: |-
        def h(events, context):
            return events["item"] * events["times"]
""")
    parent = ssm.start_automation_execution(
        DocumentName="Steps-RateMaps", MaxConcurrency="50%",
        TargetMaps=[{"Item": ["a"], "Times": ["2"]}, {"Item": ["b"]}])["AutomationExecutionId"]
    e = wait_status(ssm, parent, timeout=60)
    assert e["AutomationExecutionStatus"] == "Success", e
    assert e["TargetMaps"] == [{"Item": ["a"], "Times": ["2"]}, {"Item": ["b"]}]
    got = {}
    for k in children_of(ssm, parent):
        x = ssm.get_automation_execution(AutomationExecutionId=k["AutomationExecutionId"])["AutomationExecution"]
        got[x["Parameters"]["Item"][0]] = step_of(x, "Echo")["Outputs"]["Payload"]
    assert got == {"a": ["aa"], "b": ["b"]}
    with pytest.raises(ClientError) as exc:
        ssm.start_automation_execution(DocumentName="Steps-RateMaps", TargetMaps=[{"Item": ["a"]}],
                                       TargetParameterName="Item",
                                       Targets=[{"Key": "ParameterValues", "Values": ["a"]}])
    assert error_of(exc)[0] == "InvalidAutomationExecutionParametersException"


@pytest.fixture(scope="module")
def nd():
    """A daemon whose instances are managed nodes running commands locally as the node user."""
    yield from serve(Daemon(args=["--node-transport", "local", "--node-user", node_user(), "--ec2-delay-ms", "200"]))


def test_execute_script_runs_as_the_node_user(nd):
    ssm = nd.client("ssm")
    create_doc(ssm, "Steps-ScriptUser", """
schemaVersion: '0.3'
mainSteps:
  - name: Who
    action: aws:executeScript
    inputs:
      Runtime: python3.11
      Handler: h
      Script: |-
        import os, pwd
        def h(events, context):
            return pwd.getpwuid(os.getuid()).pw_name
""")
    e = wait_status(ssm, start(ssm, "Steps-ScriptUser"), timeout=60)
    assert e["AutomationExecutionStatus"] == "Success", e
    assert step_of(e, "Who")["Outputs"]["Payload"] == [node_user()]


RUN_DOC = """
schemaVersion: '0.3'
parameters:
  InstanceId:
    type: String
  Cmd:
    type: String
outputs:
  - Run.Status
  - Run.Output
mainSteps:
  - name: Run
    action: aws:runCommand
    inputs:
      DocumentName: AWS-RunShellScript
      InstanceIds: ['{{ InstanceId }}']
      Comment: from automation
      Parameters:
        commands: ['{{ Cmd }}']
        executionTimeout: '60'
"""


def test_run_command_step(nd):
    ssm, ec2 = nd.client("ssm"), nd.client("ec2")
    iid = run_instance(ec2)
    create_doc(ssm, "Steps-RunCommand", RUN_DOC)
    e = wait_status(ssm, start(ssm, "Steps-RunCommand", InstanceId=iid, Cmd="echo hello; id -un"), timeout=60)
    assert e["AutomationExecutionStatus"] == "Success", e
    out = step_of(e, "Run")["Outputs"]
    assert out["Status"] == ["Success"] and out["ResponseCode"] == ["0"]
    assert out["Output"] == ["hello\n%s\n" % node_user()]
    assert e["Outputs"]["Run.Output"] == out["Output"]
    cid = out["CommandId"][0]
    cmd = ssm.list_commands(CommandId=cid)["Commands"][0]
    assert cmd["DocumentName"] == "AWS-RunShellScript" and cmd["Comment"] == "from automation"
    assert cmd["InstanceIds"] == [iid]
    # a command that fails fails the step, with its status and response code
    e = wait_status(ssm, start(ssm, "Steps-RunCommand", InstanceId=iid, Cmd="echo bad >&2; exit 3"), timeout=60)
    assert e["AutomationExecutionStatus"] == "Failed"
    s = step_of(e, "Run")
    assert s["Outputs"]["Status"] == ["Failed"] and s["Outputs"]["ResponseCode"] == ["3"]
    assert "ended with status Failed" in s["FailureMessage"]
