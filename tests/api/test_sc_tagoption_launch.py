"""What TagOptions do to launches and updates (issue 14 item 2): ProvisionProduct applies
the TagOptions of the product and of the launch path's portfolio to the stack and so to its
instance, refusing a value they do not allow; UpdateProvisionedProduct keeps the tags, and
changes them only when a RESOURCE_UPDATE constraint allows it; UpdateProvisionedProductProperties
gives a provisioned product another owner or launch role; launch path ids have AWS's form."""

import json
import re

import pytest

from helpers import fails
from sc_world import World


@pytest.fixture(scope="module")
def world():
    w = World()
    yield w
    w.stop()


@pytest.fixture(scope="module")
def options(world):
    """Team=platform (one value: applied for the user) on the product; Stage=dev|prod (the
    user picks) on the portfolio."""
    sc = world.client("servicecatalog")
    team = sc.create_tag_option(Key="Team", Value="platform")["TagOptionDetail"]
    dev = sc.create_tag_option(Key="Stage", Value="dev")["TagOptionDetail"]
    prod = sc.create_tag_option(Key="Stage", Value="prod")["TagOptionDetail"]
    sc.associate_tag_option_with_resource(ResourceId=world.ids["product"], TagOptionId=team["Id"])
    sc.associate_tag_option_with_resource(ResourceId=world.ids["portfolio"], TagOptionId=dev["Id"])
    sc.associate_tag_option_with_resource(ResourceId=world.ids["portfolio"], TagOptionId=prod["Id"])
    return {"team": team, "dev": dev, "prod": prod}


def launch(world, name, tags, user="enduser", **kw):
    sc = world.client("servicecatalog", user)
    return sc.provision_product(ProductId=world.ids["product"], ProvisioningArtifactId=world.ids["versions"]["v1.0"],
                                ProvisionedProductName=name, Tags=tags,
                                ProvisioningParameters=[{"Key": "InstanceType", "Value": "t3.micro"}],
                                **kw)["RecordDetail"]


def stack_of(world, pp):
    cfn = world.client("cloudformation")
    sid = world.client("servicecatalog").search_provisioned_products(
        AccessLevelFilter={"Key": "Account", "Value": "self"},
        Filters={"SearchQuery": ["id:%s" % pp]})["ProvisionedProducts"][0]["PhysicalId"]
    return cfn.describe_stacks(StackName=sid)["Stacks"][0]


def instance_tags(world, instance_id):
    inst = world.client("ec2").describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]
    return {t["Key"]: t["Value"] for t in inst["Tags"]}


def pairs(tags):
    return {t["Key"]: t["Value"] for t in tags}


def test_end_user_sees_tag_options(world, options):
    sc = world.client("servicecatalog", "enduser")
    out = sc.describe_provisioning_parameters(ProductId=world.ids["product"],
                                              ProvisioningArtifactId=world.ids["versions"]["v1.0"])
    assert out["TagOptions"] == [{"Key": "Team", "Values": ["platform"]}, {"Key": "Stage", "Values": ["dev", "prod"]}]


def test_launch_applies_tag_options_to_stack_and_instance(world, options):
    rec = launch(world, "to-desk-1", [{"Key": "Stage", "Value": "prod"}, {"Key": "Project", "Value": "x"}])
    assert re.fullmatch(r"lpv3-[a-z0-9]{13}", rec["PathId"])
    detail, outputs = world.wait_record(rec["RecordId"])
    assert detail["Status"] == "SUCCEEDED", outputs
    want = {"Stage": "prod", "Project": "x", "Team": "platform"}
    assert pairs(detail["RecordTags"]) == want
    stack = stack_of(world, detail["ProvisionedProductId"])
    assert want.items() <= pairs(stack["Tags"]).items()
    # the stack's tags reach its instance, with Service Catalog's own and the template's Name
    tags = instance_tags(world, outputs["InstanceId"])
    assert want.items() <= tags.items()
    assert tags["aws:servicecatalog:provisionedProductArn"].endswith("/" + detail["ProvisionedProductId"])
    assert tags["Name"].startswith("linux-desktop-")
    assert tags["aws:cloudformation:logical-id"] == "Desktop"
    # the same path id everywhere
    paths = world.client("servicecatalog", "enduser").list_launch_paths(
        ProductId=world.ids["product"])["LaunchPathSummaries"]
    assert [p["Id"] for p in paths] == [rec["PathId"]]


def test_launch_with_a_value_not_allowed_is_refused(world, options):
    sc = world.client("servicecatalog", "enduser")
    before = world.client("servicecatalog").scan_provisioned_products(
        AccessLevelFilter={"Key": "Account", "Value": "self"})["ProvisionedProducts"]
    code, msg, status = fails(launch, world, "to-bad-1", [{"Key": "Stage", "Value": "qa"}])
    assert (code, status) == ("InvalidParametersException", 400) and "Stage" in msg and "qa" in msg
    # a single-valued key may not be given another value either
    code, _, _ = fails(launch, world, "to-bad-2", [{"Key": "Stage", "Value": "dev"}, {"Key": "Team", "Value": "x"}])
    assert code == "InvalidParametersException"
    # a key with several values must be chosen
    code, msg, _ = fails(launch, world, "to-bad-3", [])
    assert code == "InvalidParametersException" and "Stage" in msg
    after = world.client("servicecatalog").scan_provisioned_products(
        AccessLevelFilter={"Key": "Account", "Value": "self"})["ProvisionedProducts"]
    assert [p["Id"] for p in after] == [p["Id"] for p in before]
    assert sc.search_provisioned_products(Filters={"SearchQuery": ["name:to-bad"]})["ProvisionedProducts"] == []


def test_update_keeps_tags(world, options):
    rec = launch(world, "to-desk-2", [{"Key": "Stage", "Value": "dev"}])
    detail, outputs = world.wait_record(rec["RecordId"])
    assert detail["Status"] == "SUCCEEDED", outputs
    pp = detail["ProvisionedProductId"]
    sc = world.client("servicecatalog", "enduser")
    up = sc.update_provisioned_product(ProvisionedProductId=pp, ProvisioningArtifactId=world.ids["versions"]["v1.0"],
                                       ProvisioningParameters=[{"Key": "InstanceType", "Value": "t3.small"}])
    done, _ = world.wait_record(up["RecordDetail"]["RecordId"])
    assert done["Status"] == "SUCCEEDED", done
    want = {"Stage": "dev", "Team": "platform"}
    assert pairs(done["RecordTags"]) == want
    assert want.items() <= pairs(stack_of(world, pp)["Tags"]).items()
    assert want.items() <= instance_tags(world, outputs["InstanceId"]).items()
    attr = sc.search_provisioned_products(Filters={"SearchQuery": ["id:%s" % pp]})["ProvisionedProducts"][0]
    assert pairs(attr["Tags"]) == want
    # its own launch path, by id, is accepted; a path that is not the caller's is refused
    up = sc.update_provisioned_product(ProvisionedProductId=pp, PathId=done["PathId"],
                                       ProvisioningParameters=[{"Key": "InstanceType", "UsePreviousValue": True}])
    assert world.wait_record(up["RecordDetail"]["RecordId"])[0]["PathId"] == done["PathId"]
    code, msg, _ = fails(sc.update_provisioned_product, ProvisionedProductId=pp, PathId="lpv3-aaaaaaaaaaaaa",
                         ProvisioningParameters=[{"Key": "InstanceType", "UsePreviousValue": True}])
    assert code == "InvalidParametersException" and "lpv3-aaaaaaaaaaaaa" in msg


def test_update_changes_tags_only_when_allowed(world, options):
    rec = launch(world, "to-desk-3", [{"Key": "Stage", "Value": "dev"}])
    detail, outputs = world.wait_record(rec["RecordId"])
    assert detail["Status"] == "SUCCEEDED", outputs
    pp = detail["ProvisionedProductId"]
    sc, admin = world.client("servicecatalog", "enduser"), world.client("servicecatalog")
    new = [{"Key": "Stage", "Value": "prod"}, {"Key": "Owner", "Value": "ana"}]
    code, msg, _ = fails(sc.update_provisioned_product, ProvisionedProductId=pp, Tags=new,
                         ProvisioningParameters=[{"Key": "InstanceType", "UsePreviousValue": True}])
    assert code == "InvalidParametersException" and "RESOURCE_UPDATE" in msg
    # the same tags again are no change: allowed without the constraint
    same = sc.update_provisioned_product(ProvisionedProductId=pp, Tags=[{"Key": "Stage", "Value": "dev"}],
                                         ProvisioningParameters=[{"Key": "InstanceType", "UsePreviousValue": True}])
    assert world.wait_record(same["RecordDetail"]["RecordId"])[0]["Status"] == "SUCCEEDED"
    cons = admin.create_constraint(PortfolioId=world.ids["portfolio"], ProductId=world.ids["product"],
                                   Type="RESOURCE_UPDATE", Parameters=json.dumps(
                                       {"Version": "2.0", "Properties": {"TagUpdateOnProvisionedProduct": "ALLOWED"}}))
    try:
        usage = {u["Type"]: u["Value"] for u in sc.describe_provisioning_parameters(
            ProductId=world.ids["product"], ProvisioningArtifactId=world.ids["versions"]["v1.0"])["UsageInstructions"]}
        assert usage["tagUpdateOnProvisionedProduct"] == "ALLOWED"
        # still checked against the TagOptions
        assert fails(sc.update_provisioned_product, ProvisionedProductId=pp, Tags=[{"Key": "Stage", "Value": "qa"}],
                     ProvisioningParameters=[{"Key": "InstanceType", "UsePreviousValue": True}])[0] == \
            "InvalidParametersException"
        up = sc.update_provisioned_product(ProvisionedProductId=pp, Tags=new,
                                           ProvisioningParameters=[{"Key": "InstanceType", "UsePreviousValue": True}])
        done, _ = world.wait_record(up["RecordDetail"]["RecordId"])
        assert done["Status"] == "SUCCEEDED", done
        want = {"Stage": "prod", "Owner": "ana", "Team": "platform"}
        assert pairs(done["RecordTags"]) == want
        assert want.items() <= pairs(stack_of(world, pp)["Tags"]).items()
        # the instance (unchanged otherwise) takes the stack's new tags
        tags = instance_tags(world, outputs["InstanceId"])
        assert want.items() <= tags.items()
    finally:
        admin.delete_constraint(Id=cons["ConstraintDetail"]["ConstraintId"])


def test_resource_update_constraint_parameters_are_checked(world):
    admin = world.client("servicecatalog")
    for params in ({"Properties": {"TagUpdateOnProvisionedProduct": "MAYBE"}}, {"Properties": {}}, []):
        assert fails(admin.create_constraint, PortfolioId=world.ids["portfolio"], ProductId=world.ids["product"],
                     Type="RESOURCE_UPDATE", Parameters=json.dumps(params))[0] == "InvalidParametersException"


def test_update_properties_owner(world, options):
    rec = launch(world, "to-desk-4", [{"Key": "Stage", "Value": "dev"}])
    detail, outputs = world.wait_record(rec["RecordId"])
    assert detail["Status"] == "SUCCEEDED", outputs
    pp = detail["ProvisionedProductId"]
    admin_arn = "arn:aws:iam::%s:user/admin" % world.ids["account"]
    root, end, adm = (world.client("servicecatalog"), world.client("servicecatalog", "enduser"),
                      world.client("servicecatalog", "admin"))
    out = root.update_provisioned_product_properties(ProvisionedProductId=pp, IdempotencyToken="own-1",
                                                     ProvisionedProductProperties={"OWNER": admin_arn})
    assert out["ProvisionedProductId"] == pp and out["ProvisionedProductProperties"] == {"OWNER": admin_arn}
    assert out["Status"] == "SUCCEEDED" and out["RecordId"].startswith("rec-")
    rec2 = root.describe_record(Id=out["RecordId"])["RecordDetail"]
    assert rec2["RecordType"] == "UPDATE_PROVISIONED_PRODUCT_PROPERTIES" and rec2["Status"] == "SUCCEEDED"
    # the same token: the same answer, nothing done again
    again = root.update_provisioned_product_properties(ProvisionedProductId=pp, IdempotencyToken="own-1",
                                                       ProvisionedProductProperties={"OWNER": admin_arn})
    assert again["RecordId"] == out["RecordId"]
    # the new owner sees it as its own; the previous one no longer does, nor its records
    mine = adm.search_provisioned_products(Filters={"SearchQuery": ["id:%s" % pp]})["ProvisionedProducts"]
    assert [p["Id"] for p in mine] == [pp] and mine[0]["UserArn"] == admin_arn
    assert end.search_provisioned_products(Filters={"SearchQuery": ["id:%s" % pp]})["ProvisionedProducts"] == []
    assert fails(end.describe_provisioned_product, Id=pp)[0] == "ResourceNotFoundException"
    assert fails(end.describe_record, Id=rec["RecordId"])[0] == "ResourceNotFoundException"
    assert adm.describe_record(Id=rec["RecordId"])["RecordDetail"]["RecordId"] == rec["RecordId"]
    # the launching principal stays on the stack's tags
    stack = stack_of(world, pp)
    assert pairs(stack["Tags"])["aws:servicecatalog:provisioningPrincipalArn"].endswith(":user/enduser")


def test_update_properties_launch_role_and_refusals(world, options):
    rec = launch(world, "to-desk-5", [{"Key": "Stage", "Value": "dev"}])
    detail, _ = world.wait_record(rec["RecordId"])
    pp = detail["ProvisionedProductId"]
    root = world.client("servicecatalog")
    acct = world.ids["account"]
    out = root.update_provisioned_product_properties(ProvisionedProductId=pp, IdempotencyToken="role-1",
                                                     ProvisionedProductProperties={"LAUNCH_ROLE": world.ids["role_arn"]})
    assert out["Status"] == "SUCCEEDED"
    assert root.describe_provisioned_product(Id=pp)["ProvisionedProductDetail"]["LaunchRoleArn"] == world.ids["role_arn"]
    for props in ({"LAUNCH_ROLE": "arn:aws:iam::%s:user/admin" % acct},  # a user is no launch role
                  {"LAUNCH_ROLE": "arn:aws:iam::%s:role/NoSuchRole" % acct},
                  {"OWNER": "arn:aws:iam::%s:user/nobody" % acct},
                  {"OWNER": "arn:aws:iam::999999999999:user/admin"},
                  {"OWNER": "not-an-arn"}):
        code, _, status = fails(root.update_provisioned_product_properties, ProvisionedProductId=pp,
                                IdempotencyToken="bad-%d" % len(json.dumps(props)), ProvisionedProductProperties=props)
        assert (code, status) == ("InvalidParametersException", 400), props
    assert fails(root.update_provisioned_product_properties, ProvisionedProductId="pp-nothere123456",
                 IdempotencyToken="nf-1", ProvisionedProductProperties={"OWNER": "arn:aws:iam::%s:user/admin" % acct})[
        0] == "ResourceNotFoundException"
    # an assumed-role session may own it
    sess = "arn:aws:sts::%s:assumed-role/SCLaunchRole/someone" % acct
    out = root.update_provisioned_product_properties(ProvisionedProductId=pp, IdempotencyToken="sess-1",
                                                     ProvisionedProductProperties={"OWNER": sess})
    attr = root.search_provisioned_products(AccessLevelFilter={"Key": "Account", "Value": "self"},
                                            Filters={"SearchQuery": ["id:%s" % pp]})["ProvisionedProducts"][0]
    assert attr["UserArnSession"] == sess


def test_update_properties_cli(world, options):
    rec = launch(world, "to-desk-6", [{"Key": "Stage", "Value": "prod"}])
    detail, _ = world.wait_record(rec["RecordId"])
    pp = detail["ProvisionedProductId"]
    p = world.cli("admin", "servicecatalog", "update-provisioned-product-properties", "--provisioned-product-id", pp,
                  "--provisioned-product-properties", "OWNER=arn:aws:iam::%s:user/admin" % world.ids["account"],
                  "--idempotency-token", "cli-own-1")
    assert p.json["Status"] == "SUCCEEDED"
    p = world.cli("admin", "servicecatalog", "describe-provisioned-product", "--id", pp)
    assert p.json["ProvisionedProductDetail"]["Id"] == pp
    p = world.cli("admin", "servicecatalog", "update-provisioned-product-properties", "--provisioned-product-id", pp,
                  "--provisioned-product-properties", "LAUNCH_ROLE=arn:aws:iam::%s:user/admin" % world.ids["account"],
                  "--idempotency-token", "cli-role-1", check=False)
    assert p.returncode == 254 and "InvalidParametersException" in p.stderr
