"""The TagOption library (issue 14 item 2): CreateTagOption, DescribeTagOption,
UpdateTagOption, ListTagOptions, DeleteTagOption, AssociateTagOptionWithResource,
DisassociateTagOptionFromResource and ListResourcesForTagOption, through boto3 and the AWS
CLI, with every refusal AWS documents; the TagOptions of a portfolio or product as
DescribePortfolio, DescribeProductAsAdmin and DescribeProvisioningParameters show them."""

import os
import re

import pytest

from conftest import ACCOUNT, REPO, Daemon
from helpers import cli_error, fails, serve

TEMPLATES = os.path.join(REPO, "data", "templates")


@pytest.fixture(scope="module")
def d():
    yield from serve(Daemon(args=["--template-dir", TEMPLATES]))


@pytest.fixture(scope="module")
def sc(d):
    return d.client("servicecatalog")


_n = [0]


def uniq(prefix):
    _n[0] += 1
    return "%s%d" % (prefix, _n[0])


def new_portfolio(sc):
    return sc.create_portfolio(DisplayName=uniq("port"), ProviderName="IT", Description="tools")["PortfolioDetail"]


def new_product(sc):
    return sc.create_product(
        Name=uniq("prod"), Owner="IT", ProductType="CLOUD_FORMATION_TEMPLATE", Description="a desktop",
        ProvisioningArtifactParameters={"Name": "v1", "Info": {
            "LoadTemplateFromURL": "file://%s/linux-desktop-v1.yaml" % TEMPLATES}},
    )["ProductViewDetail"]


def new_option(sc, key=None, value="v"):
    return sc.create_tag_option(Key=key or uniq("key"), Value=value)["TagOptionDetail"]


def test_create_and_describe(sc):
    t = sc.create_tag_option(Key="CostCenter", Value="CC-100")["TagOptionDetail"]
    assert re.fullmatch(r"tag-[a-z0-9]{13}", t["Id"])
    assert t == {"Key": "CostCenter", "Value": "CC-100", "Active": True, "Id": t["Id"], "Owner": ACCOUNT}
    assert sc.describe_tag_option(Id=t["Id"])["TagOptionDetail"] == t
    # one key may have several values: each is its own TagOption
    other = sc.create_tag_option(Key="CostCenter", Value="CC-200")["TagOptionDetail"]
    assert other["Id"] != t["Id"]
    code, msg, status = fails(sc.create_tag_option, Key="CostCenter", Value="CC-100")
    assert (code, status) == ("DuplicateResourceException", 400) and "CC-100" in msg
    code, msg, _ = fails(sc.describe_tag_option, Id="tag-nothere1234567")
    assert code == "ResourceNotFoundException" and "tag-nothere1234567" in msg


@pytest.mark.parametrize("key,value", [
    ("", "v"), ("k" * 129, "v"), ("k", ""), ("k", "v" * 257), ("Cost#Center", "v"), ("k", "a,b"),
])
def test_key_and_value_are_validated(d, key, value):
    raw = d.client("servicecatalog", parameter_validation=False)
    code, _, status = fails(raw.create_tag_option, Key=key, Value=value)
    assert (code, status) == ("ValidationException", 400)


def test_limits_accept_the_longest(sc):
    t = sc.create_tag_option(Key="k" * 128, Value="v" * 256)["TagOptionDetail"]
    assert len(t["Key"]) == 128 and len(t["Value"]) == 256
    # letters of any script, spaces and the documented punctuation
    t = sc.create_tag_option(Key="Équipe :/=+-@_.", Value="données 2024")["TagOptionDetail"]
    assert t["Value"] == "données 2024"


def test_update_value_and_active(sc):
    t = new_option(sc, value="one")
    out = sc.update_tag_option(Id=t["Id"], Value="two")["TagOptionDetail"]
    assert out["Value"] == "two" and out["Active"] is True
    out = sc.update_tag_option(Id=t["Id"], Active=False)["TagOptionDetail"]
    assert out["Value"] == "two" and out["Active"] is False
    assert sc.describe_tag_option(Id=t["Id"])["TagOptionDetail"] == out
    # giving the value it has already is a duplicate of itself, as Terraform's provider notes
    assert fails(sc.update_tag_option, Id=t["Id"], Value="two")[0] == "DuplicateResourceException"
    sibling = sc.create_tag_option(Key=t["Key"], Value="three")["TagOptionDetail"]
    assert fails(sc.update_tag_option, Id=sibling["Id"], Value="two")[0] == "DuplicateResourceException"
    assert sc.describe_tag_option(Id=sibling["Id"])["TagOptionDetail"]["Value"] == "three"
    assert fails(sc.update_tag_option, Id=t["Id"])[0] == "InvalidParametersException"
    assert fails(sc.update_tag_option, Id="tag-nothere1234567", Active=True)[0] == "ResourceNotFoundException"


def test_list_filters_and_pages(sc):
    key = uniq("team")
    made = [new_option(sc, key, v) for v in ("red", "green", "blue", "white", "black")]
    sc.update_tag_option(Id=made[1]["Id"], Active=False)
    got = sc.list_tag_options(Filters={"Key": key})["TagOptionDetails"]
    assert [t["Value"] for t in got] == ["red", "green", "blue", "white", "black"]
    assert [t["Id"] for t in sc.list_tag_options(Filters={"Key": key, "Value": "blue"})["TagOptionDetails"]] == [
        made[2]["Id"]]
    assert [t["Value"] for t in sc.list_tag_options(Filters={"Key": key, "Active": False})["TagOptionDetails"]] == [
        "green"]
    assert len(sc.list_tag_options(Filters={"Key": key, "Active": True})["TagOptionDetails"]) == 4
    # pages of two; the token is the output's PageToken
    seen, token = [], None
    while True:
        kw = {"PageToken": token} if token else {}
        page = sc.list_tag_options(Filters={"Key": key}, PageSize=2, **kw)
        assert len(page["TagOptionDetails"]) <= 2
        seen += [t["Value"] for t in page["TagOptionDetails"]]
        token = page.get("PageToken")
        if not token:
            break
    assert seen == ["red", "green", "blue", "white", "black"]
    # boto3's paginator walks it too
    pages = sc.get_paginator("list_tag_options").paginate(Filters={"Key": key}, PaginationConfig={"PageSize": 2})
    assert [t["Value"] for p in pages for t in p["TagOptionDetails"]] == seen
    assert fails(sc.list_tag_options, PageToken="garbage")[0] == "InvalidParametersException"


def test_associate_with_portfolio_and_product(sc):
    port, prod = new_portfolio(sc), new_product(sc)
    pid = prod["ProductViewSummary"]["ProductId"]
    t = new_option(sc, "Environment", uniq("dev"))
    sc.associate_tag_option_with_resource(ResourceId=port["Id"], TagOptionId=t["Id"])
    sc.associate_tag_option_with_resource(ResourceId=pid, TagOptionId=t["Id"])
    res = sc.list_resources_for_tag_option(TagOptionId=t["Id"])["ResourceDetails"]
    assert [r["Id"] for r in res] == [port["Id"], pid]
    assert res[0]["ARN"] == port["ARN"] and res[0]["Name"] == port["DisplayName"]
    assert res[0]["Description"] == "tools" and "CreatedTime" in res[0]
    assert res[1]["ARN"] == prod["ProductARN"] and res[1]["Name"] == prod["ProductViewSummary"]["Name"]
    only = sc.list_resources_for_tag_option(TagOptionId=t["Id"], ResourceType="Product")["ResourceDetails"]
    assert [r["Id"] for r in only] == [pid]
    only = sc.list_resources_for_tag_option(TagOptionId=t["Id"], ResourceType="Portfolio")["ResourceDetails"]
    assert [r["Id"] for r in only] == [port["Id"]]
    page = sc.list_resources_for_tag_option(TagOptionId=t["Id"], PageSize=1)
    assert [r["Id"] for r in page["ResourceDetails"]] == [port["Id"]] and page["PageToken"]
    page = sc.list_resources_for_tag_option(TagOptionId=t["Id"], PageSize=1, PageToken=page["PageToken"])
    assert [r["Id"] for r in page["ResourceDetails"]] == [pid] and "PageToken" not in page
    assert fails(sc.list_resources_for_tag_option, TagOptionId=t["Id"], ResourceType="Stack")[0] == \
        "InvalidParametersException"
    assert fails(sc.list_resources_for_tag_option, TagOptionId="tag-nothere1234567")[0] == \
        "ResourceNotFoundException"
    # the resources show their TagOptions
    assert sc.describe_portfolio(Id=port["Id"])["TagOptions"] == [t]
    assert sc.describe_product_as_admin(Id=pid)["TagOptions"] == [t]


def test_associate_refusals(sc):
    port = new_portfolio(sc)
    t = new_option(sc)
    assert fails(sc.associate_tag_option_with_resource, ResourceId=port["Id"],
                 TagOptionId="tag-nothere1234567")[0] == "ResourceNotFoundException"
    assert fails(sc.associate_tag_option_with_resource, ResourceId="port-nothere123456",
                 TagOptionId=t["Id"])[0] == "ResourceNotFoundException"
    sc.associate_tag_option_with_resource(ResourceId=port["Id"], TagOptionId=t["Id"])
    code, _, status = fails(sc.associate_tag_option_with_resource, ResourceId=port["Id"], TagOptionId=t["Id"])
    assert (code, status) == ("DuplicateResourceException", 400)
    # an inactive TagOption cannot be associated
    off = new_option(sc)
    sc.update_tag_option(Id=off["Id"], Active=False)
    assert fails(sc.associate_tag_option_with_resource, ResourceId=port["Id"], TagOptionId=off["Id"])[0] == \
        "InvalidStateException"
    assert [x["Id"] for x in sc.describe_portfolio(Id=port["Id"])["TagOptions"]] == [t["Id"]]
    # disassociating what is not associated
    assert fails(sc.disassociate_tag_option_from_resource, ResourceId=port["Id"], TagOptionId=off["Id"])[0] == \
        "ResourceNotFoundException"
    assert fails(sc.disassociate_tag_option_from_resource, ResourceId=port["Id"],
                 TagOptionId="tag-nothere1234567")[0] == "ResourceNotFoundException"


def test_delete_in_use_is_refused(sc):
    port = new_portfolio(sc)
    t = new_option(sc)
    sc.associate_tag_option_with_resource(ResourceId=port["Id"], TagOptionId=t["Id"])
    code, _, status = fails(sc.delete_tag_option, Id=t["Id"])
    assert (code, status) == ("ResourceInUseException", 400)
    assert sc.describe_tag_option(Id=t["Id"])["TagOptionDetail"]["Id"] == t["Id"]
    sc.disassociate_tag_option_from_resource(ResourceId=port["Id"], TagOptionId=t["Id"])
    assert sc.describe_portfolio(Id=port["Id"])["TagOptions"] == []
    sc.delete_tag_option(Id=t["Id"])
    assert fails(sc.describe_tag_option, Id=t["Id"])[0] == "ResourceNotFoundException"
    assert fails(sc.delete_tag_option, Id=t["Id"])[0] == "ResourceNotFoundException"


def test_deleting_a_resource_drops_its_associations(sc):
    port, prod = new_portfolio(sc), new_product(sc)
    t = new_option(sc)
    sc.associate_tag_option_with_resource(ResourceId=port["Id"], TagOptionId=t["Id"])
    sc.associate_tag_option_with_resource(ResourceId=prod["ProductViewSummary"]["ProductId"], TagOptionId=t["Id"])
    sc.delete_portfolio(Id=port["Id"])
    sc.delete_product(Id=prod["ProductViewSummary"]["ProductId"])
    assert sc.list_resources_for_tag_option(TagOptionId=t["Id"])["ResourceDetails"] == []
    sc.delete_tag_option(Id=t["Id"])


def test_provisioning_parameters_summarise_tag_options(sc):
    port, prod = new_portfolio(sc), new_product(sc)
    pid = prod["ProductViewSummary"]["ProductId"]
    sc.associate_product_with_portfolio(PortfolioId=port["Id"], ProductId=pid)
    key = uniq("Stage")
    a, b = new_option(sc, key, "dev"), new_option(sc, key, "prod")
    c = new_option(sc, uniq("Owner"), "it")
    off = new_option(sc, uniq("Gone"), "x")
    sc.associate_tag_option_with_resource(ResourceId=pid, TagOptionId=a["Id"])
    sc.associate_tag_option_with_resource(ResourceId=port["Id"], TagOptionId=b["Id"])
    sc.associate_tag_option_with_resource(ResourceId=port["Id"], TagOptionId=c["Id"])
    sc.associate_tag_option_with_resource(ResourceId=pid, TagOptionId=off["Id"])
    sc.update_tag_option(Id=off["Id"], Active=False)  # an inactive one is not offered
    art = sc.list_provisioning_artifacts(ProductId=pid)["ProvisioningArtifactDetails"][0]["Id"]
    out = sc.describe_provisioning_parameters(ProductId=pid, ProvisioningArtifactId=art)
    assert out["TagOptions"] == [{"Key": key, "Values": ["dev", "prod"]}, {"Key": c["Key"], "Values": ["it"]}]


def test_cli(d):
    key = uniq("cli")
    p = d.aws("servicecatalog", "create-tag-option", "--key", key, "--value", "one", check=True)
    tid = p.json["TagOptionDetail"]["Id"]
    p = d.aws("servicecatalog", "describe-tag-option", "--id", tid, check=True)
    assert p.json["TagOptionDetail"]["Value"] == "one"
    p = d.aws("servicecatalog", "update-tag-option", "--id", tid, "--no-active", check=True)
    assert p.json["TagOptionDetail"]["Active"] is False
    p = d.aws("servicecatalog", "list-tag-options", "--filters", "Key=%s" % key, check=True)
    assert [t["Id"] for t in p.json["TagOptionDetails"]] == [tid]
    code, msg = cli_error(d.aws("servicecatalog", "create-tag-option", "--key", key, "--value", "one"))
    assert code == "DuplicateResourceException"
    code, _ = cli_error(d.aws("servicecatalog", "create-tag-option", "--key", "bad#key", "--value", "one"))
    assert code == "ValidationException"
    port = d.aws("servicecatalog", "create-portfolio", "--display-name", uniq("p"), "--provider-name", "IT",
                 check=True).json["PortfolioDetail"]["Id"]
    code, _ = cli_error(d.aws("servicecatalog", "associate-tag-option-with-resource", "--resource-id", port,
                              "--tag-option-id", tid))
    assert code == "InvalidStateException"
    d.aws("servicecatalog", "update-tag-option", "--id", tid, "--active", check=True)
    d.aws("servicecatalog", "associate-tag-option-with-resource", "--resource-id", port, "--tag-option-id", tid,
          check=True)
    p = d.aws("servicecatalog", "list-resources-for-tag-option", "--tag-option-id", tid, check=True)
    assert [r["Id"] for r in p.json["ResourceDetails"]] == [port]
    code, _ = cli_error(d.aws("servicecatalog", "delete-tag-option", "--id", tid))
    assert code == "ResourceInUseException"
    d.aws("servicecatalog", "disassociate-tag-option-from-resource", "--resource-id", port, "--tag-option-id", tid,
          check=True)
    d.aws("servicecatalog", "delete-tag-option", "--id", tid, check=True)
    code, _ = cli_error(d.aws("servicecatalog", "describe-tag-option", "--id", tid))
    assert code == "ResourceNotFoundException"


def test_tag_options_belong_to_their_region(d, sc):
    t = new_option(sc, uniq("regional"), "east")
    west = d.client("servicecatalog", region="us-west-2")
    assert fails(west.describe_tag_option, Id=t["Id"])[0] == "ResourceNotFoundException"
    assert west.list_tag_options(Filters={"Key": t["Key"]})["TagOptionDetails"] == []
    # the same pair may exist in another region
    other = west.create_tag_option(Key=t["Key"], Value="east")["TagOptionDetail"]
    assert other["Id"] != t["Id"] and other["Owner"] == ACCOUNT
    assert [x["Id"] for x in sc.list_tag_options(Filters={"Key": t["Key"]})["TagOptionDetails"]] == [t["Id"]]
