"""Typed inputs on every path (issue 11, Deliver 1 and the small findings).

A runbook's aws:executeAwsApi / aws:waitForAwsResourceProperty /
aws:assertAwsResourceProperty step hands its inputs to the operation in-process; they are
held to the model exactly as a request on the wire is, so a value of the wrong type fails
the step with the callee's own error (awsJson: SerializationException; query:
ValidationError; ec2: InvalidParameterValue), the execution ends Failed with it, nothing
is created and the daemon lives (on c631363 these calls reached handlers as NULL and 68 of
152 operations crashed the daemon). The inputs of the actions themselves are typed once
interpolated. And: of a JSON member or query parameter given twice the last value counts
(AWS's behaviour); a YAML template whose top-level mapping is indented is accepted.
"""

import json
import uuid

import pytest
import yaml

from awsraw import json_call, query_call, serving
from conftest import Daemon
from helpers import fails, serve, wait_for

TERMINAL = ("Success", "Failed", "Cancelled", "TimedOut")
INSTANCE = "i-0123456789abcdef0"


@pytest.fixture(scope="module")
def d():
    yield from serve(Daemon())


@pytest.fixture(scope="module")
def ssm(d):
    return d.client("ssm")


def run_doc(ssm, doc, params=None):
    """Creates the document, runs it, and returns the ended execution."""
    name = "typed-" + uuid.uuid4().hex[:12]
    ssm.create_document(Name=name, Content=yaml.safe_dump(doc), DocumentType="Automation",
                        DocumentFormat="YAML")
    kw = {"DocumentName": name}
    if params:
        kw["Parameters"] = params
    eid = ssm.start_automation_execution(**kw)["AutomationExecutionId"]

    def ended():
        e = ssm.get_automation_execution(AutomationExecutionId=eid)["AutomationExecution"]
        return e if e["AutomationExecutionStatus"] in TERMINAL else None
    return wait_for(ended, 30, "execution %s to end" % eid)


def api_step(action, service, api, **inputs):
    inputs.update({"Service": service, "Api": api})
    if action != "aws:executeAwsApi":
        inputs.update({"PropertySelector": "$.Arn", "DesiredValues": ["x"]})
    return {"name": "call", "action": action, "inputs": inputs}


PARAMS = {"Ids": {"type": "StringList", "default": [INSTANCE]},
          "Count": {"type": "Integer", "default": 5}}

CASES = [
    # (id, action, service, api, inputs, the callee's error sentence)
    ("iam-object-for-string", "aws:executeAwsApi", "iam", "CreateUser", {"UserName": {"a": "b"}},
     "An error occurred (ValidationError) when calling the CreateUser operation: 1 validation error "
     "detected: Value '{...}' at 'userName' failed to satisfy constraint: Member must be a string"),
    ("ec2-list-in-list", "aws:executeAwsApi", "ec2", "DescribeInstances", {"InstanceIds": ["{{ Ids }}"]},
     "An error occurred (InvalidParameterValue) when calling the DescribeInstances operation: 1 "
     "validation error detected: Value '[%s]' at 'instanceIds.1.member' failed to satisfy constraint: "
     "Member must be a string" % INSTANCE),
    ("cfn-number-for-list", "aws:executeAwsApi", "cloudformation", "ListStacks", {"StackStatusFilter": -1},
     "An error occurred (ValidationError) when calling the ListStacks operation: 1 validation error "
     "detected: Value '-1' at 'stackStatusFilter' failed to satisfy constraint: Member must be a list"),
    ("sc-number-for-string", "aws:executeAwsApi", "servicecatalog", "CreatePortfolio",
     {"DisplayName": "{{ Count }}", "ProviderName": "typed-tests"},
     "An error occurred (SerializationException) when calling the CreatePortfolio operation: Expected "
     "a string at 'displayName' but found a number"),
    ("ssm-object-for-string", "aws:executeAwsApi", "ssm", "CreateDocument",
     {"Name": "typed-never-made", "Content": {"schemaVersion": "0.3"}, "DocumentType": "Automation"},
     "An error occurred (SerializationException) when calling the CreateDocument operation: Expected "
     "a string at 'content' but found an object"),
    ("ssm-boolean-for-list", "aws:waitForAwsResourceProperty", "ssm", "ListDocuments", {"Filters": True},
     "An error occurred (SerializationException) when calling the ListDocuments operation: Expected "
     "a list at 'filters' but found a boolean"),
    ("iam-list-for-string-assert", "aws:assertAwsResourceProperty", "iam", "GetUser", {"UserName": ["x"]},
     "An error occurred (ValidationError) when calling the GetUser operation: 1 validation error "
     "detected: Value '[x]' at 'userName' failed to satisfy constraint: Member must be a string"),
]


@pytest.mark.parametrize("action,service,api,inputs,sentence", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_runbook_step_with_a_wrong_typed_value_fails(d, ssm, action, service, api, inputs, sentence):
    doc = {"schemaVersion": "0.3", "parameters": PARAMS, "mainSteps": [api_step(action, service, api, **inputs)]}
    e = run_doc(ssm, doc)
    want = ("Step fails when it is executing action. %s Please refer to Automation Service "
            "Troubleshooting Guide for more diagnosis details." % sentence)
    assert e["AutomationExecutionStatus"] == "Failed", e
    assert e["FailureMessage"] == want
    step = e["StepExecutions"][0]
    assert (step["StepStatus"], step["FailureMessage"]) == ("Failed", want)
    # the daemon lives, and the call made nothing
    assert serving(d)
    assert d.client("sts").get_caller_identity()["Account"]
    assert not [u for u in d.client("iam").list_users()["Users"] if u["UserName"] in ("a", "b", "{...}")]
    assert not [p for p in d.client("servicecatalog").list_portfolios()["PortfolioDetails"]
                if p["ProviderName"] == "typed-tests"]
    assert fails(ssm.get_document, Name="typed-never-made")[0] == "InvalidDocument"


def test_well_typed_step_still_runs(d, ssm):
    """The gate refuses only what is mistyped: the same step with the right types succeeds."""
    doc = {"schemaVersion": "0.3", "parameters": PARAMS,
           "mainSteps": [api_step("aws:executeAwsApi", "cloudformation", "ListStacks",
                                  StackStatusFilter=["CREATE_COMPLETE"])]}
    e = run_doc(ssm, doc)
    assert e["AutomationExecutionStatus"] == "Success", e


def change_state_doc(**inputs):
    base = {"InstanceIds": [INSTANCE], "DesiredState": "stopped"}
    base.update(inputs)
    return {"schemaVersion": "0.3",
            "parameters": {"Count": {"type": "Integer", "default": 5},
                           "Ids": {"type": "StringList", "default": [INSTANCE]}},
            "mainSteps": [{"name": "change", "action": "aws:changeInstanceState", "inputs": base}]}


@pytest.mark.parametrize("inputs,text", [
    ({"DesiredState": "{{ Count }}"},
     "Failed to resolve input: DesiredState to type String. DesiredState is resolved to a type Integer."),
    ({"CheckStateOnly": "{{ Count }}"},
     "Failed to resolve input: CheckStateOnly to type Boolean. CheckStateOnly is resolved to a type "
     "Integer."),
    ({"InstanceIds": ["{{ Ids }}"]},
     "Failed to resolve input: InstanceIds to type StringList. InstanceIds is resolved to a type List."),
], ids=["desired-state-integer", "check-state-only-integer", "instance-ids-list-in-list"])
def test_action_input_of_the_wrong_type_fails_the_step(d, ssm, inputs, text):
    e = run_doc(ssm, change_state_doc(**inputs))
    assert e["AutomationExecutionStatus"] == "Failed", e
    step = e["StepExecutions"][0]
    assert step["StepStatus"] == "Failed"
    assert text in step["FailureMessage"]
    assert serving(d)


def test_literal_wrong_typed_action_input_is_refused_at_create(ssm):
    code, msg, _ = fails(ssm.create_document, Name="typed-literal-state",
                         Content=json.dumps(change_state_doc(DesiredState=5)), DocumentType="Automation")
    assert code == "InvalidDocumentContent"
    assert msg == "The input DesiredState of step change must be a string."


# ---- a member given twice: the last value counts ----------------------------------------------

def test_json_member_given_twice_keeps_the_last(d):
    body = ('{"DisplayName": "first-name", "ProviderName": "dup-keys", "IdempotencyToken": "%s",'
            ' "DisplayName": "last-name"}' % uuid.uuid4())
    r = json_call(d, "servicecatalog", "CreatePortfolio", body)
    assert r.status == 200, r
    assert r.json()["PortfolioDetail"]["DisplayName"] == "last-name"
    pid = r.json()["PortfolioDetail"]["Id"]
    sc = d.client("servicecatalog")
    assert sc.describe_portfolio(Id=pid)["PortfolioDetail"]["DisplayName"] == "last-name"


def test_query_parameter_given_twice_keeps_the_last(d):
    first, last = "dup-first-" + uuid.uuid4().hex[:6], "dup-last-" + uuid.uuid4().hex[:6]
    r = query_call(d, "iam", "Action=CreateUser&Version=2010-05-08&UserName=%s&UserName=%s" % (first, last))
    assert r.status == 200, r
    iam = d.client("iam")
    assert iam.get_user(UserName=last)["User"]["UserName"] == last
    assert fails(iam.get_user, UserName=first)[0] == "NoSuchEntity"


# ---- YAML templates whose top-level mapping is indented ---------------------------------------

INDENTED = """
  AWSTemplateFormatVersion: "2010-09-09"
  Parameters:
    Label:
      Type: String
      Default: indented
  Resources:
    Handle:
      Type: AWS::CloudFormation::WaitConditionHandle
  Outputs:
    Label:
      Value: !Ref Label
"""


def test_indented_yaml_template_creates_a_stack(d):
    cf = d.client("cloudformation")
    assert cf.validate_template(TemplateBody=INDENTED)["Parameters"][0]["ParameterKey"] == "Label"
    cf.create_stack(StackName="indented-yaml", TemplateBody=INDENTED)

    def done():
        s = cf.describe_stacks(StackName="indented-yaml")["Stacks"][0]
        return s if s["StackStatus"].endswith("COMPLETE") or s["StackStatus"].endswith("FAILED") else None
    s = wait_for(done, 30, "the stack to finish")
    assert s["StackStatus"] == "CREATE_COMPLETE", s
    assert s["Outputs"] == [{"OutputKey": "Label", "OutputValue": "indented"}]


# ---- the wire says the same for the query protocols ------------------------------------------

@pytest.mark.parametrize("service,params,code", [
    ("iam", "Action=ListUsers&Version=2010-05-08&MaxItems=ten", "ValidationError"),
    ("ec2", "Action=DescribeInstances&Version=2016-11-15&MaxResults=ten", "InvalidParameterValue"),
], ids=["iam", "ec2"])
def test_query_wire_type_error_has_the_in_process_wording(d, service, params, code):
    """A value that does not convert on the wire gets the error a mistyped in-process value
    gets (the runbook cases above)."""
    r = query_call(d, service, params)
    field = "maxItems" if service == "iam" else "maxResults"
    assert r.status == 400, r
    assert r.error() == (code, "1 validation error detected: Value 'ten' at '%s' failed to satisfy "
                               "constraint: Member must be an integer" % field)


# ---- found by fuzz_invoke ---------------------------------------------------------------------

def test_update_user_rename_keeps_its_path(d):
    """UpdateUser with NewUserName and no NewPath read the user's Path after replacing it
    (a use after free): the stored ARN held heap garbage and ListUsers then answered
    malformed XML."""
    iam = d.client("iam")
    old, new = "ren-" + uuid.uuid4().hex[:8], "ren-" + uuid.uuid4().hex[:8]
    for i in range(20):  # enough renames for freed memory to be reused in a release build
        iam.create_user(UserName="%s-%d" % (old, i), Path="/team/sub/")
        iam.update_user(UserName="%s-%d" % (old, i), NewUserName="%s-%d" % (new, i))
        u = iam.get_user(UserName="%s-%d" % (new, i))["User"]
        assert (u["Path"], u["Arn"]) == ("/team/sub/", "arn:aws:iam::123456789012:user/team/sub/%s-%d" % (new, i))
    listed = {u["UserName"]: u["Arn"] for u in iam.list_users(PathPrefix="/team/")["Users"]}
    assert all(listed["%s-%d" % (new, i)].endswith("/team/sub/%s-%d" % (new, i)) for i in range(20))
