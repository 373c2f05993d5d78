"""CopyProduct and DescribeCopyProductStatus (a new product, or versions into an existing
one: new ids, the same templates; the copy launches) and ImportAsProvisionedProduct (an
existing stack becomes a provisioned product that service actions and termination work
on) (issue 14); every refusal with AWS's error code and nothing made."""

import json
import os

import pytest

from conftest import REPO
from helpers import cli_error, fails, wait_for
from sc_world import World

TEMPLATES = os.path.join(REPO, "data", "templates")


@pytest.fixture(scope="module")
def world():
    w = World()
    yield w
    w.stop()


def template(version):
    with open(os.path.join(TEMPLATES, "linux-desktop-%s.yaml" % version), encoding="utf-8") as f:
        return f.read()


def product_arn(world, pid):
    return "arn:aws:catalog:us-east-1:%s:product/%s" % (world.ids["account"], pid)


def artifacts(sc, pid):
    return sc.list_provisioning_artifacts(ProductId=pid)["ProvisioningArtifactDetails"]


def product_ids(sc):
    return sorted(p["ProductViewSummary"]["ProductId"]
                  for page in sc.get_paginator("search_products_as_admin").paginate()
                  for p in page["ProductViewDetails"])


def copied(sc, token):
    """The copy's status once it has ended."""
    return wait_for(lambda: (lambda s: s if s["CopyProductStatus"] != "IN_PROGRESS" else None)(
        sc.describe_copy_product_status(CopyProductToken=token)), 20, "the copy to end")


@pytest.fixture(scope="module")
def source(world):
    """A tagged product with two versions (the demo's templates)."""
    sc = world.client("servicecatalog")
    pid = sc.create_product(
        Name="Desktop Source", Owner="IT", ProductType="CLOUD_FORMATION_TEMPLATE", Distributor="IT",
        Tags=[{"Key": "cost-center", "Value": "42"}],
        ProvisioningArtifactParameters={"Name": "v1.0", "Description": "first", "Type": "CLOUD_FORMATION_TEMPLATE",
                                        "Info": {"LoadTemplateFromURL": "file://%s/linux-desktop-v1.yaml" % TEMPLATES}},
    )["ProductViewDetail"]["ProductViewSummary"]["ProductId"]
    sc.create_provisioning_artifact(ProductId=pid, Parameters={
        "Name": "v2.0", "Description": "second", "Type": "CLOUD_FORMATION_TEMPLATE",
        "Info": {"LoadTemplateFromURL": "file://%s/linux-desktop-v2.yaml" % TEMPLATES}})
    return pid


def test_copy_to_a_new_product_then_launch_the_copy(world, source):
    sc = world.client("servicecatalog")
    token = sc.copy_product(SourceProductArn=product_arn(world, source), TargetProductName="Desktop Copy",
                            CopyOptions=["CopyTags"], IdempotencyToken="copy-1")["CopyProductToken"]
    st = copied(sc, token)
    assert st["CopyProductStatus"] == "SUCCEEDED"
    target = st["TargetProductId"]
    cli = world.cli("admin", "servicecatalog", "describe-copy-product-status", "--copy-product-token", token).json
    assert (cli["CopyProductStatus"], cli["TargetProductId"]) == ("SUCCEEDED", target)
    assert target != source
    d = sc.describe_product_as_admin(Id=target)
    summary = d["ProductViewDetail"]["ProductViewSummary"]
    assert summary["Name"] == "Desktop Copy" and summary["Owner"] == "IT" and summary["Distributor"] == "IT"
    assert d["Tags"] == [{"Key": "cost-center", "Value": "42"}]
    src, dst = artifacts(sc, source), artifacts(sc, target)
    assert [(a["Name"], a["Description"]) for a in dst] == [(a["Name"], a["Description"]) for a in src]
    assert not {a["Id"] for a in src} & {a["Id"] for a in dst}
    # a retry is the same copy, and makes no other product
    before = product_ids(sc)
    again = sc.copy_product(SourceProductArn=product_arn(world, source), TargetProductName="Desktop Copy",
                            CopyOptions=["CopyTags"], IdempotencyToken="copy-1")["CopyProductToken"]
    assert again == token and product_ids(sc) == before
    # the copy's versions run their templates: the end user launches v2.0 at a v2-only size
    sc.associate_product_with_portfolio(ProductId=target, PortfolioId=world.ids["portfolio"])
    sc.create_constraint(PortfolioId=world.ids["portfolio"], ProductId=target, Type="LAUNCH",
                         Parameters=json.dumps({"RoleArn": world.ids["role_arn"]}))
    v2 = [a["Id"] for a in dst if a["Name"] == "v2.0"][0]
    end = world.client("servicecatalog", "enduser")
    rec = end.provision_product(ProductId=target, ProvisioningArtifactId=v2, ProvisionedProductName="copied-desk",
                                ProvisioningParameters=[{"Key": "InstanceType", "Value": "t3.medium"}])["RecordDetail"]
    detail, outputs = world.wait_record(rec["RecordId"])
    assert detail["Status"] == "SUCCEEDED", outputs
    inst = world.client("ec2").describe_instances(InstanceIds=[outputs["InstanceId"]])["Reservations"][0][
        "Instances"][0]
    assert inst["InstanceType"] == "t3.medium"


def test_copy_without_tags_keeps_the_source_name(world, source):
    sc = world.client("servicecatalog")
    token = sc.copy_product(SourceProductArn=product_arn(world, source), IdempotencyToken="copy-2")["CopyProductToken"]
    d = sc.describe_product_as_admin(Id=copied(sc, token)["TargetProductId"])
    assert d["ProductViewDetail"]["ProductViewSummary"]["Name"] == "Desktop Source" and d["Tags"] == []


def test_copy_chosen_versions_into_an_existing_product(world, source):
    sc = world.client("servicecatalog")
    target = sc.create_product(
        Name="Desktop Target", Owner="IT", ProductType="CLOUD_FORMATION_TEMPLATE",
        ProvisioningArtifactParameters={"Name": "base", "Type": "CLOUD_FORMATION_TEMPLATE",
                                        "Info": {"LoadTemplateFromURL": "file://%s/linux-desktop-v1.yaml" % TEMPLATES}},
    )["ProductViewDetail"]["ProductViewSummary"]["ProductId"]
    v2 = [a["Id"] for a in artifacts(sc, source) if a["Name"] == "v2.0"][0]
    token = sc.copy_product(SourceProductArn=product_arn(world, source), TargetProductId=target,
                            SourceProvisioningArtifactIdentifiers=[{"Id": v2}], IdempotencyToken="copy-3")[
        "CopyProductToken"]
    st = copied(sc, token)
    assert (st["CopyProductStatus"], st["TargetProductId"]) == ("SUCCEEDED", target)
    got = artifacts(sc, target)
    assert [a["Name"] for a in got] == ["base", "v2.0"] and v2 not in [a["Id"] for a in got]
    assert sc.describe_product_as_admin(Id=target)["ProductViewDetail"]["ProductViewSummary"]["Name"] == \
        "Desktop Target"


def test_copy_into_another_region(world, source):
    """A product of us-east-1 copied by a client signed for us-west-2: the copy is a product
    of us-west-2 (with the source's versions), not of us-east-1."""
    west = world.daemon.client("servicecatalog", region="us-west-2")
    token = west.copy_product(SourceProductArn=product_arn(world, source), TargetProductName="Desktop West",
                              IdempotencyToken="copy-west")["CopyProductToken"]
    st = copied(west, token)
    assert st["CopyProductStatus"] == "SUCCEEDED"
    target = st["TargetProductId"]
    d = west.describe_product_as_admin(Id=target)
    assert d["ProductViewDetail"]["ProductARN"] == "arn:aws:catalog:us-west-2:%s:product/%s" % (
        world.ids["account"], target)
    assert [a["Name"] for a in artifacts(west, target)] == ["v1.0", "v2.0"]
    code, _, _ = fails(world.client("servicecatalog").describe_product_as_admin, Id=target)
    assert code == "ResourceNotFoundException"
    code, _, _ = fails(world.client("servicecatalog").describe_copy_product_status, CopyProductToken=token)
    assert code == "ResourceNotFoundException"

def test_copy_refusals_make_nothing(world, source):
    sc = world.client("servicecatalog")
    before = product_ids(sc)
    n = len(artifacts(sc, world.ids["product"]))
    arn = product_arn(world, source)
    cases = ({"SourceProductArn": product_arn(world, "prod-doesnotexist1")},
             {"SourceProductArn": arn.replace(":us-east-1:", ":xx-nowhere-1:")},  # no such region
             {"SourceProductArn": arn.replace(world.ids["account"], "999999999999")},  # not shared
             {"SourceProductArn": arn, "TargetProductId": "prod-doesnotexist1"},
             {"SourceProductArn": arn, "SourceProvisioningArtifactIdentifiers": [{"Id": "pa-doesnotexist01"}]},
             {"SourceProductArn": arn, "TargetProductId": world.ids["product"],
              "SourceProvisioningArtifactIdentifiers": [{"Id": "pa-doesnotexist01"}]})
    for i, kw in enumerate(cases):
        code, _, status = fails(sc.copy_product, IdempotencyToken="bad-copy-%d" % i, **kw)
        assert (code, status) == ("ResourceNotFoundException", 400), kw
    code, _, _ = fails(sc.describe_copy_product_status, CopyProductToken="copyproduct-nosuchcopy")
    assert code == "ResourceNotFoundException"
    assert product_ids(sc) == before and len(artifacts(sc, world.ids["product"])) == n
    # the end user may not copy products
    code, _, _ = fails(world.client("servicecatalog", "enduser").copy_product, SourceProductArn=arn,
                       IdempotencyToken="bad-copy-user")
    assert code == "AccessDeniedException"


def make_stack(world, name, version="v1", body=None):
    cfn = world.client("cloudformation")
    sid = cfn.create_stack(StackName=name, TemplateBody=body or template(version),
                           Parameters=[{"ParameterKey": "InstanceType", "ParameterValue": "t3.small"}])["StackId"]
    wait_for(lambda: cfn.describe_stacks(StackName=sid)["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE", 30,
             "stack %s" % name)
    return sid


def all_pps(world):
    sc = world.client("servicecatalog")
    ids, kw = [], {}
    while True:
        page = sc.search_provisioned_products(AccessLevelFilter={"Key": "Account", "Value": "self"}, **kw)
        ids += [p["Id"] for p in page["ProvisionedProducts"]]
        if not page.get("NextPageToken"):
            return sorted(ids)
        kw = {"PageToken": page["NextPageToken"]}


def test_import_a_stack_then_run_the_tutorials_action_and_terminate(world):
    sc, cfn = world.client("servicecatalog"), world.client("cloudformation")
    sid = make_stack(world, "hand-made-desk")
    rec = sc.import_as_provisioned_product(
        ProductId=world.ids["product"], ProvisioningArtifactId=world.ids["versions"]["v1.0"],
        ProvisionedProductName="imported-desk", PhysicalId=sid, IdempotencyToken="imp-1")["RecordDetail"]
    assert rec["RecordType"] == "IMPORT_PROVISIONED_PRODUCT" and rec["ProvisionedProductName"] == "imported-desk"
    again = sc.import_as_provisioned_product(
        ProductId=world.ids["product"], ProvisioningArtifactId=world.ids["versions"]["v1.0"],
        ProvisionedProductName="imported-desk", PhysicalId=sid, IdempotencyToken="imp-1")["RecordDetail"]
    assert again["RecordId"] == rec["RecordId"]
    detail, outputs = world.wait_record(rec["RecordId"], user=None)
    assert detail["Status"] == "SUCCEEDED", outputs
    iid = outputs["InstanceId"]
    ppid = rec["ProvisionedProductId"]
    pp = sc.describe_provisioned_product(Id=ppid)["ProvisionedProductDetail"]
    assert pp["Status"] == "AVAILABLE" and pp["ProductId"] == world.ids["product"]
    assert pp["ProvisioningArtifactId"] == world.ids["versions"]["v1.0"]
    assert {o["OutputKey"]: o["OutputValue"] for o in sc.get_provisioned_product_outputs(
        ProvisionedProductId=ppid)["Outputs"]}["InstanceId"] == iid
    # the tutorial's restart action, run on the imported product (its role named outright:
    # an import applies no launch constraint)
    action = world.new_action({"Name": "AWS-RestartEC2Instance", "Version": "1",
                               "AssumeRole": world.ids["role_arn"],
                               "Parameters": json.dumps([{"Name": "InstanceId", "Type": "TARGET"}])})
    before = len(world.transitions())
    detail, outputs = world.execute(action, user=None, pp=ppid)
    assert detail["Status"] == "SUCCEEDED", outputs
    assert world.transitions()[before:] == [["stop", iid], ["start", iid]]
    # and terminating it deletes the stack
    rec = sc.terminate_provisioned_product(ProvisionedProductId=ppid)["RecordDetail"]
    detail, outputs = world.wait_record(rec["RecordId"], user=None)
    assert detail["Status"] == "SUCCEEDED", outputs
    assert cfn.describe_stacks(StackName=sid)["Stacks"][0]["StackStatus"] == "DELETE_COMPLETE"


def test_import_compares_templates_parsed(world):
    """The same template with other comments and white space is the version's template."""
    body = "# written by hand\n" + template("v1").replace("Resources:", "\nResources:") + "\n\n"
    sid = make_stack(world, "hand-made-commented", body=body)
    sc = world.client("servicecatalog")
    rec = sc.import_as_provisioned_product(
        ProductId=world.ids["product"], ProvisioningArtifactId=world.ids["versions"]["v1.0"],
        ProvisionedProductName="imported-commented", PhysicalId="hand-made-commented",
        IdempotencyToken="imp-commented")["RecordDetail"]
    detail, outputs = world.wait_record(rec["RecordId"], user=None)
    assert detail["Status"] == "SUCCEEDED", outputs
    pp = sc.describe_provisioned_product(Id=rec["ProvisionedProductId"])["ProvisionedProductDetail"]
    assert pp["Status"] == "AVAILABLE"
    assert world.client("cloudformation").describe_stacks(StackName="hand-made-commented")["Stacks"][0][
        "StackId"] == sid


def test_import_refusals_make_nothing(world):
    sc, cfn = world.client("servicecatalog"), world.client("cloudformation")
    v1, v2 = world.ids["versions"]["v1.0"], world.ids["versions"]["v2.0"]
    sid = make_stack(world, "hand-made-2")
    v2_stack = make_stack(world, "hand-made-v2", version="v2")
    managed = [s["StackId"] for s in cfn.describe_stacks()["Stacks"]
               if s["StackName"].endswith(world.pp)][0]
    review = cfn.create_change_set(StackName="hand-made-review", ChangeSetName="first", ChangeSetType="CREATE",
                                   TemplateBody=template("v1"))["StackId"]
    before = all_pps(world)

    def refused(expected, **kw):
        args = dict(ProductId=world.ids["product"], ProvisioningArtifactId=v1,
                    ProvisionedProductName="imported-bad", PhysicalId=sid, IdempotencyToken="imp-bad-%d" % len(before))
        args.update(kw)
        code, msg, status = fails(sc.import_as_provisioned_product, **args)
        assert (code, status) == (expected, 400), msg
        return msg

    refused("ResourceNotFoundException", PhysicalId="no-such-stack")
    refused("ResourceNotFoundException", ProductId="prod-doesnotexist1")
    refused("ResourceNotFoundException", ProvisioningArtifactId="pa-doesnotexist01")
    refused("InvalidParametersException", PhysicalId=v2_stack)  # its template is v2's, not v1's
    refused("InvalidParametersException", ProvisioningArtifactId=v2)  # and this one is v1's
    refused("DuplicateResourceException", PhysicalId=managed)  # already a provisioned product
    refused("DuplicateResourceException", ProvisionedProductName="linux-desktop-1")
    refused("InvalidStateException", PhysicalId=review)  # REVIEW_IN_PROGRESS
    # the AWS CLI gets the same refusal
    p = world.cli("admin", "servicecatalog", "import-as-provisioned-product", "--product-id", world.ids["product"],
                  "--provisioning-artifact-id", v1, "--provisioned-product-name", "imported-bad",
                  "--physical-id", managed, "--idempotency-token", "imp-cli", check=False)
    assert cli_error(p)[0] == "DuplicateResourceException"
    # the end user may not import
    code, _, _ = fails(world.client("servicecatalog", "enduser").import_as_provisioned_product,
                       ProductId=world.ids["product"], ProvisioningArtifactId=v1,
                       ProvisionedProductName="imported-bad", PhysicalId=sid, IdempotencyToken="imp-user")
    assert code == "AccessDeniedException"
    assert all_pps(world) == before
