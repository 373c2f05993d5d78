"""Every troubleshooting message of the tutorial's Step 5, each from its real situation:
the test builds the situation (a role, a document, a policy, a quota, a broken store row),
the end user runs the action, and the message shows in the record's Outputs and
RecordErrors of a FAILED record. Nothing here special-cases a string in the daemon."""

import json

import pytest

from conftest import POSTGRES, store_sql
from helpers import allow, new_role, policy, trust
from sc_world import RESTART_DEFINITION, World

TRUST_SC = trust("servicecatalog")
TRUST_EC2 = trust("ec2")

# an Automation document taking one target and a free-text parameter with allowedValues
MODE_DOC = """
schemaVersion: '0.3'
description: Restart with a mode
parameters:
  InstanceId:
    type: StringList
  Mode:
    type: String
    default: Quick
    allowedValues: [Quick, Full]
  Comment:
    type: String
    default: none
mainSteps:
  - name: look
    action: aws:assertAwsResourceProperty
    inputs:
      Service: ec2
      Api: DescribeInstances
      InstanceIds: '{{ InstanceId }}'
      PropertySelector: '$.Reservations[0].Instances[0].State.Name'
      DesiredValues: [running]
"""


@pytest.fixture(scope="module")
def world():
    w = World()
    yield w
    w.stop()


def failed(world, action, **kw):
    """Runs the action; asserts the record FAILED with the same reason in its outputs and
    errors; returns that reason."""
    detail, outputs = world.execute(action, **kw)
    assert detail["Status"] == "FAILED", (detail, outputs)
    reason = outputs["ErrorMessage"]
    assert [e["Description"] for e in detail["RecordErrors"]] == [reason]
    # the provisioned product is usable again afterwards
    pp = world.client("servicecatalog", "enduser").describe_provisioned_product(Id=kw.get("pp") or world.pp)
    assert pp["ProvisionedProductDetail"]["Status"] == "AVAILABLE"
    assert pp["ProvisionedProductDetail"]["LastRecordId"] == detail["RecordId"]
    return reason


def test_access_denied_while_assuming_the_role(world):
    arn = new_role(world.client("iam"), "Ec2OnlyTrust", TRUST_EC2, ["ssm:*", "ec2:*", "cloudformation:*"])
    act = world.new_action(dict(RESTART_DEFINITION, AssumeRole=arn))
    reason = failed(world, act)
    assert reason.startswith("Access denied while assuming the role %s" % arn)
    assert "servicecatalog.amazonaws.com" in reason


def test_role_without_start_automation_execution(world):
    arn = new_role(world.client("iam"), "NoStartRole", TRUST_SC,
                   ["ssm:DescribeDocument", "cloudformation:ListStackResources"])
    act = world.new_action(dict(RESTART_DEFINITION, AssumeRole=arn))
    reason = failed(world, act)
    assert reason.startswith(
        "An error occurred (AccessDeniedException) when calling the StartAutomationExecution operation: "
        "User: arn:aws:sts::%s:assumed-role/NoStartRole/" % world.ids["account"])
    assert "is not authorized to perform: ssm:StartAutomationExecution on resource: " in reason


def test_failed_to_describe_the_document(world):
    arn = new_role(world.client("iam"), "NoDescribeRole", TRUST_SC, ["ssm:StartAutomationExecution", "ec2:*"])
    act = world.new_action(dict(RESTART_DEFINITION, AssumeRole=arn))
    reason = failed(world, act)
    assert reason.startswith("Failed to describe SSM Automation document AWS-RestartEC2Instance.")
    assert "(AccessDeniedException) when calling the DescribeDocument operation" in reason


def test_failed_to_retrieve_credentials_for_a_missing_role(world):
    arn = "arn:aws:iam::%s:role/RoleThatWasNeverMade" % world.ids["account"]
    act = world.new_action(dict(RESTART_DEFINITION, AssumeRole=arn))
    reason = failed(world, act)
    assert reason.startswith("Failed to retrieve credentials for role %s" % arn)
    assert "NoSuchEntity" in reason


def test_document_with_that_name_does_not_exist(world):
    world.document("Restart-Then-Deleted", MODE_DOC)
    act = world.new_action(dict(RESTART_DEFINITION, Name="Restart-Then-Deleted", Version="1"))
    world.client("ssm").delete_document(Name="Restart-Then-Deleted")
    assert failed(world, act) == "Document with that name does not exist: Restart-Then-Deleted"


def test_target_type_not_defined(world):
    world.document("No-Target-Type", MODE_DOC, target_type=None)
    act = world.new_action(dict(RESTART_DEFINITION, Name="No-Target-Type", Version="1"))
    assert failed(world, act) == "TargetType not defined for SSM Automation document No-Target-Type"


def test_no_resources_of_the_target_type(world):
    world.document("Volume-Action", MODE_DOC, target_type="/AWS::EC2::Volume")
    act = world.new_action(dict(RESTART_DEFINITION, Name="Volume-Action", Version="1"))
    assert failed(world, act) == "Cannot find any resources with type AWS::EC2::Volume in provisioned product %s" % (
        world.pp)


def test_parameter_not_defined_in_the_definition(world):
    act = world.new_action(RESTART_DEFINITION)
    reason = failed(world, act, parameters={"Force": ["true"]})
    assert reason.startswith("Parameter is not defined in service action definition: Force.")


def test_value_not_in_the_provisioned_product(world):
    act = world.new_action(RESTART_DEFINITION)
    before = world.transitions()
    reason = failed(world, act, parameters={"InstanceId": ["i-0123456789abcdef0"]})
    assert reason == ("The following values for the parameter are not allowed because they are not in the "
                      "provisioned product: i-0123456789abcdef0")
    assert world.transitions() == before  # nothing was stopped


def test_value_outside_allowed_values(world):
    world.document("Restart-With-Mode", MODE_DOC)
    act = world.new_action({"Name": "Restart-With-Mode", "Version": "1", "AssumeRole": "LAUNCH_ROLE",
                            "Parameters": json.dumps([{"Name": "InstanceId", "Type": "TARGET"},
                                                      {"Name": "Mode", "Type": "TEXT_VALUE"}])})
    assert failed(world, act, parameters={"Mode": ["Slow"]}) == 'Parameter "Mode" has value "Slow" not found in {Quick}, {Full}.'
    detail, outputs = world.execute(act, parameters={"Mode": ["Full"]})
    assert detail["Status"] == "SUCCEEDED", outputs


def test_value_of_the_wrong_type(world):
    world.document("Restart-With-Comment", MODE_DOC)
    act = world.new_action({"Name": "Restart-With-Comment", "Version": "1", "AssumeRole": "LAUNCH_ROLE",
                            "Parameters": json.dumps([{"Name": "InstanceId", "Type": "TARGET"},
                                                      {"Name": "Comment", "Type": "TEXT_VALUE"}])})
    reason = failed(world, act, parameters={"Comment": ["one", "two"]})
    assert reason == "Parameter type error. The value supplied for Comment is not a valid string."


def test_a_failing_step(world, tmp_path):
    act = world.new_action(RESTART_DEFINITION)
    instance = world.instance()
    # the provider's stop command fails for this instance, as a real machine might
    fail = "%s/fail-%s" % (world.dir, instance)
    open(fail, "w").close()
    try:
        reason = failed(world, act)
    finally:
        import os
        os.unlink(fail)
    assert reason.startswith("Step fails when it is executing action.")
    assert "the desktop refused to shut down" in reason
    assert reason.endswith("Please refer to Automation Service Troubleshooting Guide for more diagnosis details.")
    ec2 = world.client("ec2").describe_instances(InstanceIds=[instance])
    assert ec2["Reservations"][0]["Instances"][0]["State"]["Name"] == "running"


def test_launch_role_without_a_launch_constraint(world):
    """A product launched with no launch constraint has no launch role to reuse."""
    sc, iam = world.client("servicecatalog"), world.client("iam")
    # a second portfolio whose product has no launch constraint: the end user launches
    # it with its own rights
    port = sc.create_portfolio(DisplayName="No constraint", ProviderName="IT")["PortfolioDetail"]["Id"]
    sc.associate_principal_with_portfolio(PortfolioId=port, PrincipalType="IAM",
                                          PrincipalARN="arn:aws:iam::%s:group/Endusers" % world.ids["account"])
    sc.associate_product_with_portfolio(ProductId=world.ids["product"], PortfolioId=port)
    iam.put_user_policy(UserName="enduser", PolicyName="LaunchItMyself",
                        PolicyDocument=policy(allow(["cloudformation:*", "ec2:*", "ssm:GetParameters"])))
    esc = world.client("servicecatalog", "enduser")
    rec = esc.provision_product(ProductId=world.ids["product"], ProvisioningArtifactId=world.ids["versions"]["v1.0"],
                                ProvisionedProductName="unconstrained-1", PathId=port)["RecordDetail"]
    detail, outputs = world.wait_record(rec["RecordId"])
    assert detail["Status"] == "SUCCEEDED", outputs
    assert "LaunchRoleArn" not in detail
    act = world.new_action(RESTART_DEFINITION)
    reason = failed(world, act, pp=detail["ProvisionedProductId"])
    assert reason.startswith("Failed to retrieve credentials for role LAUNCH_ROLE")


def test_throttled_start_automation_execution():
    """With StartAutomationExecution limited to one call a second, a second start right
    behind another one is throttled by SSM, and the record says so."""
    w = World(extra_args=["--automation-start-rate", "1"])
    try:
        act = w.new_action(RESTART_DEFINITION)
        ssm = w.client("ssm")
        instance = w.instance()
        # the bucket's one token goes to a start of our own
        ssm.start_automation_execution(DocumentName="AWS-StartEC2Instance", Parameters={"InstanceId": [instance]})
        detail, outputs = w.execute(act)
        assert detail["Status"] == "FAILED"
        assert outputs["ErrorMessage"].startswith(
            "An error occurred (ThrottlingException) when calling the StartAutomationExecution operation")
    finally:
        w.stop()


def test_internal_failure():
    """A document whose stored content was damaged behind catalogd's back (here, by
    editing the SQLite file while the daemon is down): the start fails inside catalogd,
    and the record says "Internal failure" (the details go to the log, not to the user)."""
    w = World()
    try:
        w.document("Fragile-Restart", MODE_DOC)
        act = w.new_action(dict(RESTART_DEFINITION, Name="Fragile-Restart", Version="1"))
        w.daemon.stop()
        damage = ("jsonb_set(body::jsonb, '{Content}', '\"mainSteps: [unclosed\"')::text" if POSTGRES
                  else "json_set(body, '$.Content', 'mainSteps: [unclosed')")
        rows = store_sql(w.daemon.data_dir, "UPDATE resources SET body = %s WHERE kind = 'ssm.docver'"
                         " AND parent = 'Fragile-Restart' RETURNING id" % damage)
        assert len(rows) == 1
        w.daemon.start()
        detail, outputs = w.execute(act)
        assert detail["Status"] == "FAILED"
        assert outputs["ErrorMessage"] == "Internal failure"
    finally:
        w.stop()
