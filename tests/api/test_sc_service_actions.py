"""Service actions as an API: the thirteen operations, their validation, quotas,
idempotency, and who may run what (issue 6 items 3-4, "Bad input" and "Authorization")."""

import json
import os
import threading

import pytest

from helpers import allow, fails, new_user
from sc_world import RESTART_DEFINITION, World


@pytest.fixture(scope="module")
def world():
    w = World(extra_args=["--sc-max-actions", "12", "--sc-max-actions-per-artifact", "5"])
    yield w
    w.stop()


def count_records(world):
    return len(world.client("servicecatalog").list_record_history(
        AccessLevelFilter={"Key": "Account", "Value": "self"}, PageSize=20)["RecordDetails"])


def test_crud_and_listing(world):
    sc = world.client("servicecatalog")
    a = sc.create_service_action(Name="Stop", DefinitionType="SSM_AUTOMATION", Description="Stops it",
                                 Definition=dict(RESTART_DEFINITION, Name="AWS-StopEC2Instance"))
    aid = a["ServiceActionDetail"]["ServiceActionSummary"]["Id"]
    d = sc.describe_service_action(Id=aid)["ServiceActionDetail"]
    assert d["ServiceActionSummary"] == {"Id": aid, "Name": "Stop", "Description": "Stops it",
                                         "DefinitionType": "SSM_AUTOMATION"}
    assert d["Definition"]["Name"] == "AWS-StopEC2Instance"
    u = sc.update_service_action(Id=aid, Name="Stop-it", Definition={"Version": "1"})["ServiceActionDetail"]
    assert u["ServiceActionSummary"]["Name"] == "Stop-it"
    assert u["Definition"]["Name"] == "AWS-StopEC2Instance"  # keys not given are kept
    assert aid in [s["Id"] for s in sc.list_service_actions()["ServiceActionSummaries"]]
    sc.delete_service_action(Id=aid)
    assert fails(sc.describe_service_action, Id=aid)[0] == "ResourceNotFoundException"
    assert fails(sc.delete_service_action, Id=aid)[0] == "ResourceNotFoundException"


@pytest.mark.parametrize("definition,words", [
    ({"Version": "1"}, "Name"),
    (dict(RESTART_DEFINITION, AssumeRole="admin"), "AssumeRole"),
    (dict(RESTART_DEFINITION, Parameters="not json"), "JSON array"),
    (dict(RESTART_DEFINITION, Parameters=json.dumps([{"Name": "InstanceId", "Type": "SPECIAL"}])), "TARGET or TEXT_VALUE"),
    (dict(RESTART_DEFINITION, Parameters=json.dumps([{"Name": "A", "Type": "TARGET"}, {"Name": "A", "Type": "TARGET"}])),
     "twice"),
])
def test_bad_definitions_are_refused(world, definition, words):
    sc = world.client("servicecatalog")
    before = len(sc.list_service_actions(PageSize=20)["ServiceActionSummaries"])
    code, msg, _ = fails(sc.create_service_action, Name="Bad", DefinitionType="SSM_AUTOMATION", Definition=definition)
    assert code == "InvalidParametersException"
    assert words in msg
    assert len(sc.list_service_actions(PageSize=20)["ServiceActionSummaries"]) == before


def test_model_validation_of_the_definition_keys(world):
    sc = world.client("servicecatalog")
    code, msg, _ = fails(sc.create_service_action, Name="Bad", DefinitionType="SSM_AUTOMATION",
                         Definition={"Name": "x", "Colour": "blue"})
    assert code in ("ValidationException", "InvalidParametersException")
    assert "Colour" in msg or "Definition" in msg


def test_idempotency_token_gives_the_same_action(world):
    sc = world.client("servicecatalog")
    kw = dict(Name="Same", DefinitionType="SSM_AUTOMATION", Definition=RESTART_DEFINITION, IdempotencyToken="tok-1")
    a = sc.create_service_action(**kw)["ServiceActionDetail"]
    b = sc.create_service_action(**kw)["ServiceActionDetail"]
    assert a == b
    sc.delete_service_action(Id=a["ServiceActionSummary"]["Id"])


def test_associations_quota_duplicates_and_in_use(world):
    sc = world.client("servicecatalog")
    prod, v1 = world.ids["product"], world.ids["versions"]["v2.0"]
    ids = [sc.create_service_action(Name="Q%d" % i, DefinitionType="SSM_AUTOMATION", Definition=RESTART_DEFINITION)[
        "ServiceActionDetail"]["ServiceActionSummary"]["Id"] for i in range(6)]
    for aid in ids[:5]:
        sc.associate_service_action_with_provisioning_artifact(ServiceActionId=aid, ProductId=prod,
                                                               ProvisioningArtifactId=v1)
    # the per-version quota (5 here, 25 by default)
    assert fails(sc.associate_service_action_with_provisioning_artifact, ServiceActionId=ids[5], ProductId=prod,
                 ProvisioningArtifactId=v1)[0] == "LimitExceededException"
    assert fails(sc.associate_service_action_with_provisioning_artifact, ServiceActionId=ids[0], ProductId=prod,
                 ProvisioningArtifactId=v1)[0] == "DuplicateResourceException"
    assert fails(sc.associate_service_action_with_provisioning_artifact, ServiceActionId=ids[0], ProductId=prod,
                 ProvisioningArtifactId="pa-doesnotexist1")[0] == "ResourceNotFoundException"
    # an associated action cannot be deleted
    assert fails(sc.delete_service_action, Id=ids[0])[0] == "ResourceInUseException"
    listed = sc.list_service_actions_for_provisioning_artifact(ProductId=prod, ProvisioningArtifactId=v1, PageSize=2)
    assert [s["Id"] for s in listed["ServiceActionSummaries"]] == ids[:2]
    more = sc.list_service_actions_for_provisioning_artifact(ProductId=prod, ProvisioningArtifactId=v1,
                                                             PageToken=listed["NextPageToken"])
    assert [s["Id"] for s in more["ServiceActionSummaries"]] == ids[2:5]
    # the batch forms report per-item failures in the answer
    out = sc.batch_disassociate_service_action_from_provisioning_artifact(ServiceActionAssociations=[
        {"ServiceActionId": ids[0], "ProductId": prod, "ProvisioningArtifactId": v1},
        {"ServiceActionId": ids[5], "ProductId": prod, "ProvisioningArtifactId": v1},
    ] + [{"ServiceActionId": a, "ProductId": prod, "ProvisioningArtifactId": v1} for a in ids[1:5]])
    assert [(f["ServiceActionId"], f["ErrorCode"]) for f in out["FailedServiceActionAssociations"]] == [
        (ids[5], "RESOURCE_NOT_FOUND")]
    assert sc.list_service_actions_for_provisioning_artifact(
        ProductId=prod, ProvisioningArtifactId=v1)["ServiceActionSummaries"] == []
    for aid in ids:
        sc.delete_service_action(Id=aid)


def test_action_quota(world):
    sc = world.client("servicecatalog")
    have = len(sc.list_service_actions(PageSize=20)["ServiceActionSummaries"])
    made = [sc.create_service_action(Name="L%d" % i, DefinitionType="SSM_AUTOMATION", Definition=RESTART_DEFINITION)[
        "ServiceActionDetail"]["ServiceActionSummary"]["Id"] for i in range(12 - have)]
    code, msg, _ = fails(sc.create_service_action, Name="One-too-many", DefinitionType="SSM_AUTOMATION",
                         Definition=RESTART_DEFINITION)
    assert code == "LimitExceededException"
    assert "12" in msg
    for aid in made:
        sc.delete_service_action(Id=aid)


def test_execute_refusals_record_nothing(world):
    esc = world.client("servicecatalog", "enduser")
    act = world.new_action(RESTART_DEFINITION, name="Refusals", versions=[world.ids["versions"]["v1.0"]])
    unassociated = world.client("servicecatalog").create_service_action(
        Name="Lonely", DefinitionType="SSM_AUTOMATION", Definition=RESTART_DEFINITION)[
        "ServiceActionDetail"]["ServiceActionSummary"]["Id"]
    before = count_records(world)
    assert fails(esc.execute_provisioned_product_service_action, ProvisionedProductId="pp-doesnotexist1",
                 ServiceActionId=act)[0] == "ResourceNotFoundException"
    assert fails(esc.execute_provisioned_product_service_action, ProvisionedProductId=world.pp,
                 ServiceActionId="act-doesnotexist1")[0] == "ResourceNotFoundException"
    code, msg, _ = fails(esc.execute_provisioned_product_service_action, ProvisionedProductId=world.pp,
                         ServiceActionId=unassociated)
    assert code == "InvalidParametersException" and "not associated" in msg
    code, _, _ = fails(esc.describe_service_action_execution_parameters, ProvisionedProductId=world.pp,
                       ServiceActionId=unassociated)
    assert code == "InvalidParametersException"
    assert count_records(world) == before
    world.client("servicecatalog").delete_service_action(Id=unassociated)


def test_execute_token_and_state(world):
    esc = world.client("servicecatalog", "enduser")
    act = world.new_action(RESTART_DEFINITION, name="Tokened", versions=[world.ids["versions"]["v1.0"]])
    # the instance's stop is held: the product stays UNDER_CHANGE meanwhile
    hold = os.path.join(world.dir, "hold-" + world.instance())
    open(hold, "w").close()
    try:
        first = esc.execute_provisioned_product_service_action(ProvisionedProductId=world.pp, ServiceActionId=act,
                                                               ExecuteToken="run-1")["RecordDetail"]
        again = esc.execute_provisioned_product_service_action(ProvisionedProductId=world.pp, ServiceActionId=act,
                                                               ExecuteToken="run-1")["RecordDetail"]
        assert again["RecordId"] == first["RecordId"]
        pp = esc.describe_provisioned_product(Id=world.pp)["ProvisionedProductDetail"]
        assert pp["Status"] == "UNDER_CHANGE"
        code, msg, _ = fails(esc.execute_provisioned_product_service_action, ProvisionedProductId=world.pp,
                             ServiceActionId=act, ExecuteToken="run-2")
        assert code == "InvalidStateException" and "UNDER_CHANGE" in msg
    finally:
        os.unlink(hold)
    detail, outputs = world.wait_record(first["RecordId"])
    assert detail["Status"] == "SUCCEEDED", outputs
    third = esc.execute_provisioned_product_service_action(ProvisionedProductId=world.pp, ServiceActionId=act,
                                                           ExecuteToken="run-1")["RecordDetail"]
    assert third["RecordId"] == first["RecordId"] and third["Status"] == "SUCCEEDED"


def test_one_execute_token_from_eight_callers_at_once_runs_once(world):
    """The token's check and its record are in one write transaction, and write
    transactions are serialized (by SQLite here, by a cluster-wide lock on PostgreSQL):
    eight calls with one ExecuteToken arriving together all answer the same record, and the
    action runs once. The product is held UNDER_CHANGE meanwhile, so a call that missed the
    token would be refused (InvalidStateException) rather than pass unseen."""
    act = world.new_action(RESTART_DEFINITION, name="Raced", versions=[world.ids["versions"]["v1.0"]])
    instance = world.instance()
    before = len(world.transitions())
    executes = execute_records(world)
    callers = [world.client("servicecatalog", "enduser") for _ in range(8)]
    ready = threading.Barrier(len(callers))
    answers, errors = [None] * len(callers), []

    def fire(i):
        ready.wait()
        try:
            answers[i] = callers[i].execute_provisioned_product_service_action(
                ProvisionedProductId=world.pp, ServiceActionId=act, ExecuteToken="raced-token")["RecordDetail"]
        except Exception as e:  # reported below, with every thread's outcome
            errors.append(e)

    hold = os.path.join(world.dir, "hold-" + instance)
    open(hold, "w").close()
    try:
        threads = [threading.Thread(target=fire, args=(i,)) for i in range(len(callers))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
    finally:
        os.unlink(hold)
    assert not errors, errors
    assert len({a["RecordId"] for a in answers}) == 1, answers
    detail, outputs = world.wait_record(answers[0]["RecordId"])
    assert detail["Status"] == "SUCCEEDED", outputs
    assert execute_records(world) == executes + [answers[0]["RecordId"]]
    assert world.transitions()[before:] == [["stop", instance], ["start", instance]]


def execute_records(world):
    """The ids of the provisioned product's service-action records, oldest first."""
    sc = world.client("servicecatalog")
    out, token = [], None
    while True:
        kw = {"PageToken": token} if token else {}
        page = sc.list_record_history(AccessLevelFilter={"Key": "Account", "Value": "self"},
                                      SearchFilter={"Key": "provisionedproduct", "Value": world.pp},
                                      PageSize=20, **kw)
        out += [r["RecordId"] for r in page["RecordDetails"]
                if r["RecordType"] == "EXECUTE_PROVISIONED_PRODUCT_SERVICE_ACTION"]
        token = page.get("NextPageToken")
        if not token:
            return out[::-1]


def test_user_outside_the_portfolio_cannot_launch(world):
    key, secret = new_user(world.client("iam"), "outsider",
                           managed=["arn:aws:iam::aws:policy/AWSServiceCatalogEndUserFullAccess"])
    sc = world.daemon.client("servicecatalog", key=key, secret=secret)
    assert sc.search_products()["ProductViewSummaries"] == []
    code, _, _ = fails(sc.provision_product, ProductId=world.ids["product"],
                       ProvisioningArtifactId=world.ids["versions"]["v1.0"], ProvisionedProductName="not-mine")
    assert code == "ResourceNotFoundException"


def test_user_cannot_act_on_another_users_product(world):
    key, secret = new_user(world.client("iam"), "colleague", group="Endusers")
    sc = world.daemon.client("servicecatalog", key=key, secret=secret)
    act = world.new_action(RESTART_DEFINITION, name="Colleague", versions=[world.ids["versions"]["v1.0"]])
    assert sc.search_provisioned_products()["ProvisionedProducts"] == []
    code, _, _ = fails(sc.execute_provisioned_product_service_action, ProvisionedProductId=world.pp,
                       ServiceActionId=act)
    assert code == "ResourceNotFoundException"
    code, _, _ = fails(sc.terminate_provisioned_product, ProvisionedProductId=world.pp)
    assert code == "ResourceNotFoundException"


def test_user_without_the_execute_permission_is_denied(world):
    key, secret = new_user(world.client("iam"), "viewer", [allow(
        ["servicecatalog:Describe*", "servicecatalog:List*", "servicecatalog:Search*"])], policy_name="look")
    sc = world.daemon.client("servicecatalog", key=key, secret=secret)
    act = world.new_action(RESTART_DEFINITION, name="Viewer", versions=[world.ids["versions"]["v1.0"]])
    code, msg, _ = fails(sc.execute_provisioned_product_service_action, ProvisionedProductId=world.pp,
                         ServiceActionId=act)
    assert code == "AccessDeniedException"
    assert msg.startswith("User: arn:aws:iam::%s:user/viewer is not authorized to perform: "
                          "servicecatalog:ExecuteProvisionedProductServiceAction on resource: " % world.ids["account"])
