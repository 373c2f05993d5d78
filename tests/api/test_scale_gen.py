"""The catalog-of-millions generator at a small scale (issue 16 item 3): bench/scale_gen
clones rows the API wrote (bench/scale_catalog.py), and every list and describe call the
scale benchmark times answers correctly on them, as root and as a generated user, with
every page walked: each item exactly once. No timing is asserted here (bench/README.md)."""

import os
import sys

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT, Daemon

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench"))
import scale_catalog  # noqa: E402

pytestmark = pytest.mark.sqlite_only("scale_gen writes a SQLite data directory")

SCALE = 0.002  # 20 users, 1 product of 20 versions, 200 actions, 2,000 provisioned products, 20,000 records
ACCT = {"Key": "Account", "Value": "self"}
USER = {"Key": "User", "Value": "self"}


@pytest.fixture(scope="module")
def world():
    data_dir, info = scale_catalog.generate(SCALE)
    d = Daemon(data_dir=data_dir, args=scale_catalog.DAEMON_ARGS).start()
    try:
        yield d, info
    finally:
        d.stop()
        d.cleanup()


def walk(call, member, page_size, **kw):
    items, token = [], None
    while True:
        r = call(PageSize=page_size, **(dict(kw, PageToken=token) if token else kw))
        assert len(r[member]) <= page_size
        items += r[member]
        token = r.get("NextPageToken")
        if not token:
            return items


def once(ids):
    """ids, checked to hold each item exactly once."""
    assert len(ids) == len(set(ids)), "an item came twice"
    return set(ids)


def user_pp_names(info, u):
    return {"scale-pp-%07d" % i for i in range(u, info["provisioned_products"], info["users"])}


def test_the_generated_counts(world):
    _, info = world
    assert (info["users"], info["products"], info["versions"], info["actions"]) == (20, 1, 20, 200)
    assert (info["provisioned_products"], info["records"]) == (2000, 20000)


def test_generated_rows_read_as_the_api_wrote_them(world):
    d, info = world
    sc = d.client("servicecatalog")
    tmpl = sc.describe_provisioned_product(Id=info["pp"])["ProvisionedProductDetail"]
    gen = sc.search_provisioned_products(AccessLevelFilter=ACCT, Filters={"SearchQuery": ["name:scale-pp-0000007"]})
    assert gen["TotalResultsCount"] == 1
    pp = sc.describe_provisioned_product(Id=gen["ProvisionedProducts"][0]["Id"])["ProvisionedProductDetail"]
    assert sorted(pp) == sorted(tmpl)
    assert pp["Status"] == "AVAILABLE" and pp["Name"] == "scale-pp-0000007"
    assert pp["Arn"].endswith(":stack/scale-pp-0000007/%s" % pp["Id"])
    assert pp["IdempotencyToken"] != tmpl["IdempotencyToken"]
    recs = sc.list_record_history(SearchFilter={"Key": "provisionedproduct", "Value": pp["Id"]})["RecordDetails"]
    assert [r["RecordType"] for r in recs] == ["EXECUTE_PROVISIONED_PRODUCT_SERVICE_ACTION"] * 9 + [
        "PROVISION_PRODUCT"]
    assert recs[0]["RecordId"] == pp["LastRecordId"] and recs[-1]["RecordId"] == pp["LastProvisioningRecordId"]
    t = sc.describe_record(Id=info["template_record"])
    g = sc.describe_record(Id=recs[0]["RecordId"])
    assert sorted(g["RecordDetail"]) == sorted(t["RecordDetail"])
    assert [o["OutputKey"] for o in g["RecordOutputs"]] == [o["OutputKey"] for o in t["RecordOutputs"]]
    assert g["RecordDetail"]["Status"] == "SUCCEEDED"
    assert g["RecordDetail"]["ProvisionedProductId"] == pp["Id"]
    # its owner is a generated IAM user, in the template user's group
    iam = d.client("iam")
    owner = sc.search_provisioned_products(AccessLevelFilter=ACCT, Filters={"SearchQuery": ["name:scale-pp-0000007"]})[
        "ProvisionedProducts"][0]["UserArn"]
    assert owner == "arn:aws:iam::%s:user/scaleuser00007" % ACCOUNT
    assert iam.get_user(UserName="scaleuser00007")["User"]["Arn"] == owner
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName="scaleuser00007")["Groups"]] == ["Endusers"]


def test_a_users_lists_walk_each_item_once(world):
    d, info = world
    usc = scale_catalog.user_client(d, "scaleuser00005")
    mine = user_pp_names(info, 5)
    first = usc.search_provisioned_products(AccessLevelFilter=USER, PageSize=7)
    assert first["TotalResultsCount"] == len(mine) == 100
    got = walk(usc.search_provisioned_products, "ProvisionedProducts", 7, AccessLevelFilter=USER)
    assert once([p["Name"] for p in got]) == mine
    by_name = walk(usc.search_provisioned_products, "ProvisionedProducts", 9, AccessLevelFilter=USER, SortBy="name")
    assert [p["Name"] for p in by_name] == sorted(mine)
    scan = walk(usc.scan_provisioned_products, "ProvisionedProducts", 8, AccessLevelFilter=USER)
    assert once([p["Name"] for p in scan]) == mine
    assert [p["Name"] for p in walk(usc.scan_provisioned_products, "ProvisionedProducts", 20)] == [
        p["Name"] for p in scan]  # User is the default level
    ids = {p["Id"] for p in scan}
    recs = walk(usc.list_record_history, "RecordDetails", 20, AccessLevelFilter=USER)
    assert len(once([r["RecordId"] for r in recs])) == 1000
    assert {r["ProvisionedProductId"] for r in recs} == ids
    times = [r["CreatedTime"] for r in recs]
    assert times == sorted(times, reverse=True)  # newest first
    # its own record, described; another user's is not found
    assert usc.describe_record(Id=recs[3]["RecordId"])["RecordDetail"]["RecordId"] == recs[3]["RecordId"]
    other = d.client("servicecatalog").list_record_history(
        SearchFilter={"Key": "provisionedproduct", "Value": next(iter(
            {p["Id"] for p in walk(scale_catalog.user_client(d, "scaleuser00006").scan_provisioned_products,
                                   "ProvisionedProducts", 20)}))})["RecordDetails"][0]["RecordId"]
    with pytest.raises(ClientError) as e:
        usc.describe_record(Id=other)
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_the_account_level_walks_each_item_once(world):
    d, info = world
    sc = d.client("servicecatalog")
    total = info["provisioned_products"] + 1  # and the template's
    first = sc.search_provisioned_products(AccessLevelFilter=ACCT, PageSize=20)
    assert first["TotalResultsCount"] == total
    assert len(once([p["Id"] for p in walk(sc.search_provisioned_products, "ProvisionedProducts", 100,
                                           AccessLevelFilter=ACCT)])) == total
    scan = walk(sc.scan_provisioned_products, "ProvisionedProducts", 20, AccessLevelFilter=ACCT)
    assert len(once([p["Id"] for p in scan])) == total
    recs = walk(sc.list_record_history, "RecordDetails", 20)
    assert len(once([r["RecordId"] for r in recs])) == info["records"] + 2  # and the template's two
    # a user whose policy allows the account level sees the same
    usc = scale_catalog.user_client(d, "scaleuser00011", account_level=True)
    assert usc.search_provisioned_products(AccessLevelFilter=ACCT)["TotalResultsCount"] == total
    assert len(once([p["Id"] for p in walk(usc.scan_provisioned_products, "ProvisionedProducts", 20,
                                           AccessLevelFilter=ACCT)])) == total


def test_the_count_follows_launches_and_terminations(world):
    d, info = world
    sc = d.client("servicecatalog")
    pp = sc.describe_provisioned_product(Id=info["pp"])["ProvisionedProductDetail"]
    before = sc.search_provisioned_products(AccessLevelFilter=ACCT)["TotalResultsCount"]
    esc = scale_catalog.user_client(d, "enduser")
    rec = esc.provision_product(ProductId=pp["ProductId"], ProvisioningArtifactId=pp["ProvisioningArtifactId"],
                                ProvisionedProductName="scale-extra",
                                ProvisioningParameters=[{"Key": "InstanceType", "Value": "t3.micro"}])["RecordDetail"]
    assert sc.search_provisioned_products(AccessLevelFilter=ACCT)["TotalResultsCount"] == before + 1
    scale_catalog.wait_until(lambda: esc.describe_record(Id=rec["RecordId"])["RecordDetail"]["Status"] == "SUCCEEDED")
    esc.terminate_provisioned_product(ProvisionedProductId=rec["ProvisionedProductId"])
    scale_catalog.wait_until(
        lambda: sc.search_provisioned_products(AccessLevelFilter=ACCT)["TotalResultsCount"] == before)
    # and it is kept across a restart (the count is stored, not taken at start-up)
    d.stop()
    d.start()
    assert d.client("servicecatalog").search_provisioned_products(AccessLevelFilter=ACCT)[
        "TotalResultsCount"] == before


def test_a_versions_actions_walk_each_once(world):
    d, info = world
    sc = d.client("servicecatalog")
    pp = sc.describe_provisioned_product(Id=info["pp"])["ProvisionedProductDetail"]
    seen = []
    versions = [v["Id"] for v in sc.list_provisioning_artifacts(ProductId=pp["ProductId"])[
        "ProvisioningArtifactDetails"]]
    gen_products = {p["ProductViewSummary"]["ProductId"]: p for p in sc.search_products_as_admin()[
        "ProductViewDetails"]}
    assert len(gen_products) == 1 + info["products"]
    for prod in gen_products:
        arts = sc.list_provisioning_artifacts(ProductId=prod)["ProvisioningArtifactDetails"]
        for a in arts:
            got = walk(sc.list_service_actions_for_provisioning_artifact, "ServiceActionSummaries", 3,
                       ProductId=prod, ProvisioningArtifactId=a["Id"])
            seen += [s["Id"] for s in got]
            if prod != pp["ProductId"]:
                assert len(got) == info["actions"] // info["versions"]
    assert len(versions) == 2  # the demo's two
    assert len(once(seen)) == info["actions"] + 1  # and the template's action
