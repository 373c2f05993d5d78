"""The calls Terraform's AWS provider makes (internal/service/servicecatalog: tag_option.go,
tag_option_resource_association.go, provisioned_product.go, status.go, wait.go) for
aws_servicecatalog_tag_option, aws_servicecatalog_tag_option_resource_association and
aws_servicecatalog_provisioned_product: create, read, update, delete and import, in the
provider's order and with its inputs, each step checking what the provider reads back."""

import re
import uuid

import pytest
from botocore.exceptions import ClientError

from helpers import fails, wait_for
from sc_world import World


@pytest.fixture(scope="module")
def world():
    w = World()
    yield w
    w.stop()


@pytest.fixture(scope="module")
def sc(world):
    return world.client("servicecatalog")  # Terraform runs as an administrator


def tf_tag_option_read(sc, tid):
    """resourceTagOptionRead: WaitTagOptionReady (DescribeTagOption) and the attributes set."""
    t = sc.describe_tag_option(Id=tid)["TagOptionDetail"]
    return {"active": t["Active"], "key": t["Key"], "owner": t["Owner"], "value": t["Value"]}


def tf_tag_option_create(sc, key, value, active=True):
    tid = sc.create_tag_option(Key=key, Value=value)["TagOptionDetail"]["Id"]
    if not active:  # d.GetOk("active") is not ok for false: an UpdateTagOption follows
        sc.update_tag_option(Id=tid, Active=False)
    return tid, tf_tag_option_read(sc, tid)


def tf_wait_gone(fn, what, allowed=None):
    """A delete's waiter: fn (a describe) until it says ResourceNotFoundException; meanwhile
    it may only show what allowed accepts."""
    def gone():
        try:
            out = fn()
        except ClientError as e:
            return e.response["Error"]["Code"] == "ResourceNotFoundException"
        assert allowed is None or allowed(out), out
        return False
    wait_for(gone, 60, what)


def test_tag_option_lifecycle(sc, world):
    tid, state = tf_tag_option_create(sc, "tf-env", "staging")
    assert state == {"active": True, "key": "tf-env", "owner": world.ids["account"], "value": "staging"}
    # active = false at create: created, then updated
    off, state = tf_tag_option_create(sc, "tf-env", "sandbox", active=False)
    assert state["active"] is False
    # update: only the changed fields are sent
    sc.update_tag_option(Id=tid, Value="production")
    assert tf_tag_option_read(sc, tid)["value"] == "production"
    sc.update_tag_option(Id=off, Active=True)
    assert tf_tag_option_read(sc, off)["active"] is True
    # import: the id alone, then a read
    assert tf_tag_option_read(sc, tid) == {"active": True, "key": "tf-env", "owner": world.ids["account"],
                                           "value": "production"}
    # delete, then WaitTagOptionDeleted until DescribeTagOption says not found
    for t in (tid, off):
        sc.delete_tag_option(Id=t)
        tf_wait_gone(lambda: sc.describe_tag_option(Id=t), "tag option %s gone" % t)
    # a read of a gone one removes it from the state; a second delete is not an error to Terraform
    assert fails(sc.describe_tag_option, Id=tid)[0] == "ResourceNotFoundException"
    assert fails(sc.delete_tag_option, Id=tid)[0] == "ResourceNotFoundException"


def tf_association_read(sc, tag_option_id, resource_id):
    """findTagOptionResourceAssociation: ListResourcesForTagOption pages, the one of resource_id."""
    for page in sc.get_paginator("list_resources_for_tag_option").paginate(TagOptionId=tag_option_id):
        for r in page["ResourceDetails"]:
            if r["Id"] == resource_id:
                return {"resource_arn": r["ARN"], "resource_created_time": r["CreatedTime"],
                        "resource_description": r.get("Description"), "resource_id": r["Id"],
                        "resource_name": r["Name"], "tag_option_id": tag_option_id}
    return None


def test_tag_option_resource_association_lifecycle(sc, world):
    tid = sc.create_tag_option(Key="tf-assoc", Value="yes")["TagOptionDetail"]["Id"]
    port = world.ids["portfolio"]
    sc.associate_tag_option_with_resource(ResourceId=port, TagOptionId=tid)
    resource_id = "%s:%s" % (tid, port)  # tagOptionResourceAssociationID
    state = tf_association_read(sc, tid, port)
    detail = sc.describe_portfolio(Id=port)["PortfolioDetail"]
    assert state["resource_arn"] == detail["ARN"] and state["resource_name"] == detail["DisplayName"]
    assert state["resource_description"] == detail["Description"]
    # import: the id parsed back into its two parts, then the same read
    t, r = resource_id.split(":", 1)
    assert tf_association_read(sc, t, r) == state
    # a product too
    prod = world.ids["product"]
    sc.associate_tag_option_with_resource(ResourceId=prod, TagOptionId=tid)
    assert tf_association_read(sc, tid, prod)["resource_name"] == "Linux Desktop"
    # delete, then wait until the association is no longer listed
    for res in (port, prod):
        sc.disassociate_tag_option_from_resource(ResourceId=res, TagOptionId=tid)
        wait_for(lambda: tf_association_read(sc, tid, res) is None, 10, "association gone")
    assert fails(sc.disassociate_tag_option_from_resource, ResourceId=port, TagOptionId=tid)[0] == \
        "ResourceNotFoundException"
    sc.delete_tag_option(Id=tid)


def tf_pp_wait(sc, pp, target="AVAILABLE"):
    """waitProvisionedProductReady: DescribeProvisionedProduct until AVAILABLE (UNDER_CHANGE pending)."""
    def ready():
        st = sc.describe_provisioned_product(Id=pp, AcceptLanguage="en")["ProvisionedProductDetail"]["Status"]
        assert st in ("UNDER_CHANGE", "PLAN_IN_PROGRESS", target), st
        return st == target
    wait_for(ready, 60, "provisioned product %s %s" % (pp, target))


def tf_pp_read(sc, pp):
    """resourceProvisionedProductRead: DescribeProvisionedProduct, then DescribeRecord of its
    LastProvisioningRecordId for outputs, path_id and tags."""
    out = sc.describe_provisioned_product(Id=pp, AcceptLanguage="en")
    d = out["ProvisionedProductDetail"]
    rec = sc.describe_record(Id=d["LastProvisioningRecordId"], AcceptLanguage="en")
    return {
        "arn": d["Arn"], "cloudwatch_dashboard_names": out["CloudWatchDashboards"], "created_time": d["CreatedTime"],
        "last_provisioning_record_id": d["LastProvisioningRecordId"], "last_record_id": d["LastRecordId"],
        "last_successful_provisioning_record_id": d["LastSuccessfulProvisioningRecordId"],
        "launch_role_arn": d.get("LaunchRoleArn"), "name": d["Name"], "product_id": d["ProductId"],
        "provisioning_artifact_id": d["ProvisioningArtifactId"], "status": d["Status"], "type": d["Type"],
        "outputs": {o["OutputKey"]: o["OutputValue"] for o in rec["RecordOutputs"]},
        "path_id": rec["RecordDetail"]["PathId"],
        "tags": {t["Key"]: t["Value"] for t in rec["RecordDetail"]["RecordTags"]},
    }


def test_provisioned_product_lifecycle(sc, world):
    prod, v1, v2 = world.ids["product"], world.ids["versions"]["v1.0"], world.ids["versions"]["v2.0"]
    # the configuration takes its path from data.aws_servicecatalog_launch_paths
    path = sc.list_launch_paths(ProductId=prod, AcceptLanguage="en")["LaunchPathSummaries"][0]["Id"]
    assert re.fullmatch(r"lpv3-[a-z0-9]{13}", path)
    tags = [{"Key": "Project", "Value": "tf"}, {"Key": "Env", "Value": "test"}]
    rec = sc.provision_product(ProvisionToken=uuid.uuid4().hex[:26], ProvisionedProductName="tf-pp-1",
                               Tags=tags, PathId=path, ProductId=prod, ProvisioningArtifactId=v1,
                               ProvisioningParameters=[{"Key": "InstanceType", "Value": "t3.micro"}])["RecordDetail"]
    pp = rec["ProvisionedProductId"]
    tf_pp_wait(sc, pp)
    state = tf_pp_read(sc, pp)
    assert state["status"] == "AVAILABLE" and state["name"] == "tf-pp-1" and state["type"] == "CFN_STACK"
    assert state["path_id"] == path and state["tags"] == {"Project": "tf", "Env": "test"}
    assert state["outputs"]["InstanceId"].startswith("i-")
    assert state["launch_role_arn"] == world.ids["role_arn"]
    outs = sc.get_provisioned_product_outputs(ProvisionedProductId=pp)["Outputs"]
    assert {o["OutputKey"]: o["OutputValue"] for o in outs} == state["outputs"]

    # update: the provider sends path, product, version, parameters and the tags every time
    sc.update_provisioned_product(UpdateToken=uuid.uuid4().hex[:26], ProvisionedProductId=pp,
                                  PathId=state["path_id"], ProductId=prod, ProvisioningArtifactId=v2,
                                  ProvisioningParameters=[{"Key": "InstanceType", "Value": "t3.small"}],
                                  Tags=tags)
    tf_pp_wait(sc, pp)
    after = tf_pp_read(sc, pp)
    assert after["provisioning_artifact_id"] == v2
    assert after["tags"] == state["tags"]  # kept: no diff on the next plan
    assert after["path_id"] == path and after["outputs"]["InstanceId"]
    assert after["last_provisioning_record_id"] != state["last_provisioning_record_id"]

    # import: the id alone gives the same state
    assert tf_pp_read(sc, pp) == after

    # delete: TerminateProvisionedProduct, then DescribeProvisionedProduct until not found
    sc.terminate_provisioned_product(TerminateToken=uuid.uuid4().hex[:26], ProvisionedProductId=pp)

    tf_wait_gone(lambda: sc.describe_provisioned_product(Id=pp), "provisioned product terminated",
                 lambda out: out["ProvisionedProductDetail"]["Status"] in ("UNDER_CHANGE", "TERMINATED"))
    assert fails(sc.terminate_provisioned_product, TerminateToken=uuid.uuid4().hex[:26],
                 ProvisionedProductId=pp)[0] == "ResourceNotFoundException"


def test_provisioned_product_by_names_and_legacy_path(sc, world):
    """product_name / provisioning_artifact_name / path_name instead of ids; a path id as
    catalogd first gave them (the portfolio's id) still works."""
    port = world.ids["portfolio"]
    name = sc.describe_portfolio(Id=port)["PortfolioDetail"]["DisplayName"]
    rec = sc.provision_product(ProvisionToken=uuid.uuid4().hex[:26], ProvisionedProductName="tf-pp-2",
                               Tags=[], PathName=name, ProductName="Linux Desktop",
                               ProvisioningArtifactName="v1.0",
                               ProvisioningParameters=[{"Key": "InstanceType", "Value": "t3.micro"}])["RecordDetail"]
    pp = rec["ProvisionedProductId"]
    tf_pp_wait(sc, pp)
    state = tf_pp_read(sc, pp)
    assert state["path_id"] == sc.list_launch_paths(ProductId=world.ids["product"])["LaunchPathSummaries"][0]["Id"]
    sc.update_provisioned_product(UpdateToken=uuid.uuid4().hex[:26], ProvisionedProductId=pp, PathId=port,
                                  ProductName="Linux Desktop", ProvisioningArtifactName="v1.0", Tags=[],
                                  ProvisioningParameters=[{"Key": "InstanceType", "Value": "t3.small"}])
    tf_pp_wait(sc, pp)
    assert tf_pp_read(sc, pp)["tags"] == {}
    params = sc.describe_provisioning_parameters(ProductId=world.ids["product"], PathId=port,
                                                 ProvisioningArtifactName="v1.0")
    assert params["ProvisioningArtifactParameters"]
