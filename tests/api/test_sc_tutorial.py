"""The service-actions tutorial end to end with the AWS CLI v2, under separate admin and
end-user profiles (../shared/seed/service-actions-tutorial.txt, Steps 1 to 4). The steps
share one world and run in order."""

import json

import pytest

from conftest import CLI_V2
from sc_world import World, tutorial_step1_policy

pytestmark = pytest.mark.skipif(not CLI_V2, reason="needs the Debian AWS CLI v2")


@pytest.fixture(scope="module")
def world():
    w = World()
    yield w
    w.stop()


@pytest.fixture(scope="module")
def state():
    return {}


def test_step1_end_user_permissions(world, tmp_path):
    """The admin adds Step 1's policy, verbatim, to the group's own policy ("Edit policy":
    a new default version)."""
    arn = world.ids["group_policy_arn"]
    attached = world.cli("admin", "iam", "list-attached-group-policies", "--group-name", "Endusers").json
    assert arn in [p["PolicyArn"] for p in attached["AttachedPolicies"]]
    version = world.cli("admin", "iam", "get-policy", "--policy-arn", arn).json["Policy"]["DefaultVersionId"]
    current = world.cli("admin", "iam", "get-policy-version", "--policy-arn", arn, "--version-id", version).json
    doc = current["PolicyVersion"]["Document"]
    step1 = json.loads(tutorial_step1_policy())
    assert "servicecatalog:ExecuteprovisionedProductServiceAction" in step1["Statement"][0]["Action"]
    doc["Statement"] = (doc["Statement"] if isinstance(doc["Statement"], list) else [doc["Statement"]]) + step1[
        "Statement"]
    f = tmp_path / "policy.json"
    f.write_text(json.dumps(doc))
    out = world.cli("admin", "iam", "create-policy-version", "--policy-arn", arn, "--policy-document",
                    "file://%s" % f, "--set-as-default").json
    assert out["PolicyVersion"]["IsDefaultVersion"] is True
    # the end user's own view of its rights: the simulator agrees
    sim = world.cli("admin", "iam", "simulate-principal-policy", "--policy-source-arn",
                    "arn:aws:iam::%s:user/enduser" % world.ids["account"], "--action-names",
                    "servicecatalog:ExecuteProvisionedProductServiceAction", "ssm:StartAutomationExecution").json
    assert {r["EvalActionName"]: r["EvalDecision"] for r in sim["EvaluationResults"]} == {
        "servicecatalog:ExecuteProvisionedProductServiceAction": "allowed",
        "ssm:StartAutomationExecution": "allowed",
    }


def test_step2_create_service_action(world, state):
    """From the Amazon document AWS-RestartEC2Instance, InstanceId as TARGET, default role."""
    docs = world.cli("admin", "ssm", "list-documents", "--filters", "Key=Owner,Values=Amazon").json
    assert "AWS-RestartEC2Instance" in [d["Name"] for d in docs["DocumentIdentifiers"]]
    definition = {
        "Name": "AWS-RestartEC2Instance",
        "Version": "1",
        "AssumeRole": "LAUNCH_ROLE",
        "Parameters": json.dumps([{"Name": "InstanceId", "Type": "TARGET"}]),
    }
    out = world.cli("admin", "servicecatalog", "create-service-action", "--name", "AWS-RestartEC2Instance",
                    "--definition-type", "SSM_AUTOMATION", "--definition", json.dumps(definition),
                    "--description", "Restarts the desktop's EC2 instance").json
    detail = out["ServiceActionDetail"]
    assert detail["Definition"] == definition
    aid = detail["ServiceActionSummary"]["Id"]
    assert aid.startswith("act-")
    listed = world.cli("admin", "servicecatalog", "list-service-actions").json["ServiceActionSummaries"]
    assert [a["Name"] for a in listed if a["Id"] == aid] == ["AWS-RestartEC2Instance"]
    state["action"] = aid


def test_step3_associate_with_all_versions(world, state):
    aid = state["action"]
    items = [{"ServiceActionId": aid, "ProductId": world.ids["product"], "ProvisioningArtifactId": v}
             for v in world.ids["versions"].values()]
    out = world.cli("admin", "servicecatalog", "batch-associate-service-action-with-provisioning-artifact",
                    "--service-action-associations", json.dumps(items)).json
    assert out["FailedServiceActionAssociations"] == []
    arts = world.cli("admin", "servicecatalog", "list-provisioning-artifacts-for-service-action",
                     "--service-action-id", aid).json["ProvisioningArtifactViews"]
    assert sorted(a["ProvisioningArtifact"]["Name"] for a in arts) == ["v1.0", "v2.0"]
    assert {a["ProductViewSummary"]["Name"] for a in arts} == {"Linux Desktop"}


def test_step4_end_user_runs_the_action(world, state):
    aid = state["action"]
    # the provisioned products list
    pps = world.cli("enduser", "servicecatalog", "search-provisioned-products").json["ProvisionedProducts"]
    assert [p["Name"] for p in pps] == ["linux-desktop-1"]
    pp = pps[0]
    assert pp["Status"] == "AVAILABLE"
    # the Actions menu of the provisioned product
    actions = world.cli("enduser", "servicecatalog", "list-service-actions-for-provisioning-artifact",
                        "--product-id", pp["ProductId"], "--provisioning-artifact-id",
                        pp["ProvisioningArtifactId"]).json["ServiceActionSummaries"]
    assert [a["Id"] for a in actions] == [aid]
    instance = world.instance(pp["Id"])
    params = world.cli("enduser", "servicecatalog", "describe-service-action-execution-parameters",
                       "--provisioned-product-id", pp["Id"], "--service-action-id", aid).json
    assert params["ServiceActionParameters"] == [{"Name": "InstanceId", "Type": "TARGET",
                                                 "DefaultValues": [instance]}]
    # confirm: the action is sent
    before = len(world.transitions())
    rec = world.cli("enduser", "servicecatalog", "execute-provisioned-product-service-action",
                    "--provisioned-product-id", pp["Id"], "--service-action-id", aid).json["RecordDetail"]
    assert rec["Status"] == "CREATED"
    assert rec["RecordType"] == "EXECUTE_PROVISIONED_PRODUCT_SERVICE_ACTION"
    detail, outputs = world.wait_record(rec["RecordId"])
    assert detail["Status"] == "SUCCEEDED", outputs
    assert detail["RecordErrors"] == []
    # the instance really stopped, then started, once each
    assert world.transitions()[before:] == [["stop", instance], ["start", instance]]
    ec2 = world.cli("enduser", "ec2", "describe-instance-status", "--instance-ids", instance).json
    assert ec2["InstanceStatuses"][0]["InstanceState"]["Name"] == "running"
    # the automation behind it, as the outputs name it
    execution = world.client("ssm").get_automation_execution(
        AutomationExecutionId=outputs["AutomationExecutionId"])["AutomationExecution"]
    assert execution["DocumentName"] == "AWS-RestartEC2Instance"
    assert execution["AutomationExecutionStatus"] == "Success"
    assert execution["Parameters"]["InstanceId"] == [instance]
    assert [s["StepName"] for s in execution["StepExecutions"]] == ["stopInstances", "startInstances"]
    # the event is on the provisioned product
    history = world.cli("enduser", "servicecatalog", "list-record-history", "--search-filter",
                        "Key=provisionedproduct,Value=%s" % pp["Id"]).json["RecordDetails"]
    assert history[0]["RecordId"] == rec["RecordId"]
    assert history[0]["RecordType"] == "EXECUTE_PROVISIONED_PRODUCT_SERVICE_ACTION"
    now = world.cli("enduser", "servicecatalog", "describe-provisioned-product", "--id", pp["Id"]).json
    assert now["ProvisionedProductDetail"]["LastRecordId"] == rec["RecordId"]
    assert now["ProvisionedProductDetail"]["Status"] == "AVAILABLE"
    assert now["ProvisionedProductDetail"]["LastProvisioningRecordId"] != rec["RecordId"]
