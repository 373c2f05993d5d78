"""Provisioned products (issue 6 item 2): ProvisionProduct runs a stack as the launch
role; describe, search (access levels, filters, sort, paging), scan, outputs, update,
terminate; records and their history; refusals that record nothing."""

import functools
import http.server
import threading

import pytest

from helpers import fails, new_user, wait_for
from sc_world import World


@pytest.fixture(scope="module")
def world():
    w = World()
    yield w
    w.stop()


def launch(world, name, user="enduser", version="v1.0", size="t3.micro", **kw):
    sc = world.client("servicecatalog", user)
    rec = sc.provision_product(ProductId=world.ids["product"], ProvisioningArtifactId=world.ids["versions"][version],
                               ProvisionedProductName=name,
                               ProvisioningParameters=[{"Key": "InstanceType", "Value": size}], **kw)["RecordDetail"]
    assert rec["RecordType"] == "PROVISION_PRODUCT"
    return rec


def test_provision_runs_a_stack_as_the_launch_role(world):
    rec = launch(world, "desk-a", Tags=[{"Key": "team", "Value": "blue"}])
    detail, outputs = world.wait_record(rec["RecordId"])
    assert detail["Status"] == "SUCCEEDED", outputs
    assert detail["LaunchRoleArn"] == world.ids["role_arn"]
    assert outputs["InstanceId"].startswith("i-")
    pp = world.client("servicecatalog", "enduser").describe_provisioned_product(
        Id=detail["ProvisionedProductId"])["ProvisionedProductDetail"]
    assert pp["Status"] == "AVAILABLE" and pp["Name"] == "desk-a"
    assert pp["LastProvisioningRecordId"] == rec["RecordId"] == pp["LastSuccessfulProvisioningRecordId"]
    # the stack is real: its instance runs, tagged, with the requested size
    inst = world.client("ec2").describe_instances(InstanceIds=[outputs["InstanceId"]])["Reservations"][0][
        "Instances"][0]
    assert inst["State"]["Name"] == "running" and inst["InstanceType"] == "t3.micro"
    # and it was made by the launch role's session, not by the end user
    cfn = world.client("cloudformation")
    stacks = [s for s in cfn.describe_stacks()["Stacks"]
              if any(o.get("OutputValue") == outputs["InstanceId"] for o in s.get("Outputs", []))]
    assert len(stacks) == 1
    assert stacks[0]["StackName"].startswith("SC-%s-pp-" % world.ids["account"])
    assert {"Key": "team", "Value": "blue"} in stacks[0]["Tags"]
    out = world.client("servicecatalog").get_provisioned_product_outputs(
        ProvisionedProductId=detail["ProvisionedProductId"])["Outputs"]
    assert {o["OutputKey"] for o in out} == {"InstanceId", "PrivateIp"}


def test_provision_token_is_idempotent(world):
    a = launch(world, "desk-token", ProvisionToken="tok-desk-1")
    b = launch(world, "desk-token", ProvisionToken="tok-desk-1")
    assert a["RecordId"] == b["RecordId"]
    world.wait_record(a["RecordId"])


def test_bad_parameters_record_nothing(world):
    sc = world.client("servicecatalog", "enduser")
    before = len(sc.search_provisioned_products()["ProvisionedProducts"])
    code, msg, _ = fails(launch, world, "desk-huge", size="t3.huge")
    assert code == "InvalidParametersException" and "InstanceType" in msg
    code, _, _ = fails(sc.provision_product, ProductId=world.ids["product"],
                       ProvisioningArtifactId="pa-doesnotexist1", ProvisionedProductName="desk-none")
    assert code == "ResourceNotFoundException"
    assert len(sc.search_provisioned_products()["ProvisionedProducts"]) == before


def test_search_filters_sort_and_paging(world):
    for n in ("desk-p1", "desk-p2", "desk-p3"):
        world.wait_record(launch(world, n)["RecordId"])
    sc = world.client("servicecatalog", "enduser")
    mine = sc.search_provisioned_products(Filters={"SearchQuery": ["desk-p"]}, SortBy="name",
                                          SortOrder="DESCENDING")["ProvisionedProducts"]
    assert [p["Name"] for p in mine] == ["desk-p3", "desk-p2", "desk-p1"]
    page = sc.search_provisioned_products(Filters={"SearchQuery": ["desk-p"]}, SortBy="name", PageSize=2)
    assert [p["Name"] for p in page["ProvisionedProducts"]] == ["desk-p1", "desk-p2"]
    rest = sc.search_provisioned_products(Filters={"SearchQuery": ["desk-p"]}, SortBy="name", PageSize=2,
                                          PageToken=page["NextPageToken"])
    assert [p["Name"] for p in rest["ProvisionedProducts"]] == ["desk-p3"]
    assert page["TotalResultsCount"] == 3
    scanned = {p["Name"] for p in sc.scan_provisioned_products()["ProvisionedProducts"]}
    assert {"desk-p1", "desk-p2", "desk-p3"} <= scanned


def test_access_levels(world):
    """Another user sees only its own products; the account level needs a policy that
    grants it (root has it)."""
    new_user(world.client("iam"), "peer", group="Endusers")
    iam = world.client("iam")
    key = iam.create_access_key(UserName="peer")["AccessKey"]
    peer = world.daemon.client("servicecatalog", key=key["AccessKeyId"], secret=key["SecretAccessKey"])
    assert peer.search_provisioned_products()["ProvisionedProducts"] == []
    code, _, _ = fails(peer.search_provisioned_products, AccessLevelFilter={"Key": "Account", "Value": "self"})
    assert code == "AccessDeniedException"
    assert fails(peer.describe_provisioned_product, Id=world.pp)[0] == "ResourceNotFoundException"
    everyone = world.client("servicecatalog").search_provisioned_products(
        AccessLevelFilter={"Key": "Account", "Value": "self"})["ProvisionedProducts"]
    assert world.pp in [p["Id"] for p in everyone]
    history = world.client("servicecatalog", "enduser").list_record_history()["RecordDetails"]
    assert history and {r["ProvisionedProductName"] for r in history} >= {"linux-desktop-1"}
    assert peer.list_record_history()["RecordDetails"] == []


def test_update_to_another_version(world):
    rec = launch(world, "desk-up")
    detail, outputs = world.wait_record(rec["RecordId"])
    pp = detail["ProvisionedProductId"]
    sc = world.client("servicecatalog", "enduser")
    up = sc.update_provisioned_product(ProvisionedProductId=pp, ProvisioningArtifactId=world.ids["versions"]["v2.0"],
                                       ProvisioningParameters=[{"Key": "InstanceType", "Value": "t3.medium"}])[
        "RecordDetail"]
    assert up["RecordType"] == "UPDATE_PROVISIONED_PRODUCT"
    # under change meanwhile, or already done
    d2, out2 = world.wait_record(up["RecordId"])
    assert d2["Status"] == "SUCCEEDED", out2
    now = sc.describe_provisioned_product(Id=pp)["ProvisionedProductDetail"]
    assert now["ProvisioningArtifactId"] == world.ids["versions"]["v2.0"]
    iid = world.instance(pp)
    inst = world.client("ec2").describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]
    assert inst["InstanceType"] == "t3.medium" and inst["State"]["Name"] == "running"


OWNED = """\
Parameters:
  Owner: {Type: String}
  InstanceType: {Type: String, Default: t3.micro, AllowedValues: [t3.micro, t3.small]}
Resources:
  Desktop:
    Type: AWS::EC2::Instance
    Properties:
      ImageId: ami-0246838ace3f374fc
      InstanceType: !Ref InstanceType
      Tags: [{Key: Owner, Value: !Ref Owner}]
Outputs:
  InstanceId: {Value: !Ref Desktop}
"""


def test_update_keeps_a_required_parameter_with_use_previous_value(world, tmp_path):
    (tmp_path / "owned.yaml").write_text(OWNED)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *a: None
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        url = "http://127.0.0.1:%d/owned.yaml" % srv.server_address[1]
        v3 = world.client("servicecatalog").create_provisioning_artifact(
            ProductId=world.ids["product"], Parameters={
                "Name": "v3.0-owned", "Type": "CLOUD_FORMATION_TEMPLATE", "Info": {"LoadTemplateFromURL": url}},
        )["ProvisioningArtifactDetail"]["Id"]
    finally:
        srv.shutdown()
        srv.server_close()
    sc = world.client("servicecatalog", "enduser")
    rec = sc.provision_product(ProductId=world.ids["product"], ProvisioningArtifactId=v3, ProvisionedProductName="owned",
                               ProvisioningParameters=[{"Key": "Owner", "Value": "ann"}])["RecordDetail"]
    detail, outputs = world.wait_record(rec["RecordId"])
    assert detail["Status"] == "SUCCEEDED", outputs
    pp = detail["ProvisionedProductId"]
    # Owner (required, no default) keeps its value; only the size changes, twice
    for size in ("t3.small", "t3.micro"):
        up = sc.update_provisioned_product(ProvisionedProductId=pp, ProvisioningArtifactId=v3,
                                           ProvisioningParameters=[{"Key": "Owner", "UsePreviousValue": True},
                                                                   {"Key": "InstanceType", "Value": size}])["RecordDetail"]
        d2, out2 = world.wait_record(up["RecordId"])
        assert d2["Status"] == "SUCCEEDED", out2
        inst = world.client("ec2").describe_instances(InstanceIds=[world.instance(pp)])["Reservations"][0]["Instances"][0]
        assert inst["InstanceType"] == size
        assert {t["Key"]: t["Value"] for t in inst["Tags"]}["Owner"] == "ann"
    world.wait_record(sc.terminate_provisioned_product(ProvisionedProductId=pp)["RecordDetail"]["RecordId"])
    world.client("servicecatalog").delete_provisioning_artifact(ProductId=world.ids["product"], ProvisioningArtifactId=v3)


def test_terminate_deletes_the_stack_and_the_instance(world):
    detail, outputs = world.wait_record(launch(world, "desk-gone")["RecordId"])
    pp, iid = detail["ProvisionedProductId"], outputs["InstanceId"]
    sc = world.client("servicecatalog", "enduser")
    rec = sc.terminate_provisioned_product(ProvisionedProductId=pp, TerminateToken="bye-1")["RecordDetail"]
    assert rec["RecordType"] == "TERMINATE_PROVISIONED_PRODUCT"
    d2, _ = world.wait_record(rec["RecordId"])
    assert d2["Status"] == "SUCCEEDED"
    ec2 = world.client("ec2")
    wait_for(lambda: ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]["State"]["Name"]
             == "terminated", what="the instance to be terminated")
    assert fails(sc.describe_provisioned_product, Id=pp)[0] == "ResourceNotFoundException"
    assert "desk-gone" not in [p["Name"] for p in sc.search_provisioned_products()["ProvisionedProducts"]]
