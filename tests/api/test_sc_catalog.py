"""Service Catalog catalog administration through boto3 (and the AWS CLI for a few
checks): portfolios, products, provisioning artifacts, product and principal
associations, constraints, launch paths and provisioning parameters.

Covers every operation's happy path and AWS's errors (ResourceNotFoundException,
InvalidParametersException, ResourceInUseException, DuplicateResourceException), paging,
idempotency tokens, the LAUNCH constraint rules (iam:PassRole included), what an end user
sees through a group associated with a portfolio, and templates loaded from file: URLs
(under --template-dir), from an http server, or refused when invalid.

The module runs its own daemon (with a template directory) so listings are its own.
"""

import functools
import http.server
import json
import os
import re
import tempfile
import threading

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT, REGION, Daemon
from helpers import allow, fails, new_role, new_user, policy, serve, trust

IAM = "arn:aws:iam::%s:" % ACCOUNT

TEMPLATE = {
    "AWSTemplateFormatVersion": "2010-09-09",
    "Description": "Linux desktop",
    "Parameters": {
        "KeyName": {"Type": "String", "Description": "SSH key pair"},
        "InstanceType": {
            "Type": "String",
            "Default": "t2.micro",
            "AllowedValues": ["t2.micro", "t2.small"],
        },
        "SSHLocation": {
            "Type": "String",
            "Default": "0.0.0.0/0",
            "MinLength": 9,
            "MaxLength": 18,
            "AllowedPattern": "(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})/(\\d{1,2})",
            "ConstraintDescription": "must be a CIDR range",
        },
        "Count": {"Type": "Number", "Default": "1", "MinValue": 1, "MaxValue": 5},
        "Secret": {"Type": "String", "NoEcho": True, "Default": "x"},
    },
    "Resources": {
        "EC2Instance": {
            "Type": "AWS::EC2::Instance",
            "Properties": {"ImageId": "ami-0246838ace3f374fc", "InstanceType": {"Ref": "InstanceType"}},
        }
    },
    "Outputs": {"InstanceId": {"Description": "the instance", "Value": {"Ref": "EC2Instance"}}},
}

YAML_TEMPLATE = """AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Size:
    Type: String
    Default: small
Resources:
  Bucket:
    Type: AWS::EC2::Instance
    Properties:
      ImageId: ami-0246838ace3f374fc
Outputs:
  Id:
    Value: !Ref Bucket
"""

INVALID_TEMPLATE = '{"AWSTemplateFormatVersion": "2010-09-09", "Resources": {}}'


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a):
        pass


@pytest.fixture(scope="module")
def tdir():
    d = tempfile.mkdtemp(prefix="catalogd-sc-templates-")
    with open(os.path.join(d, "desktop.json"), "w") as f:
        json.dump(TEMPLATE, f)
    with open(os.path.join(d, "small.yaml"), "w") as f:
        f.write(YAML_TEMPLATE)
    with open(os.path.join(d, "invalid.json"), "w") as f:
        f.write(INVALID_TEMPLATE)
    yield d


@pytest.fixture(scope="module")
def web(tdir):
    """An http server on 127.0.0.1 serving the template directory; yields its base URL."""
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=tdir))
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield "http://127.0.0.1:%d/" % srv.server_address[1]
    srv.shutdown()
    srv.server_close()


@pytest.fixture(scope="module")
def d(tdir):
    yield from serve(Daemon(args=["--template-dir", tdir, "--fetch-allow", "127.0.0.0/8"]))


@pytest.fixture(scope="module")
def sc(d):
    return d.client("servicecatalog")


@pytest.fixture(scope="module")
def iam(d):
    return d.client("iam")


_n = [0]


def uniq(prefix):
    _n[0] += 1
    return "%s%d" % (prefix, _n[0])


def file_url(tdir, name="desktop.json"):
    return "file://" + os.path.join(tdir, name)


def new_portfolio(sc, name=None, **kw):
    return sc.create_portfolio(
        DisplayName=name or uniq("port"), ProviderName="IT", IdempotencyToken=uniq("tok"), **kw
    )["PortfolioDetail"]


def new_product(sc, url, name=None, **kw):
    out = sc.create_product(
        Name=name or uniq("prod"),
        Owner=kw.pop("Owner", "IT"),
        ProductType=kw.pop("ProductType", "CLOUD_FORMATION_TEMPLATE"),
        ProvisioningArtifactParameters={"Name": "v1", "Description": "first", "Info": {"LoadTemplateFromURL": url}},
        IdempotencyToken=uniq("tok"),
        **kw,
    )
    return out


def user_client(d, iam, name, statements, group=None):
    """An IAM user with an inline policy of statements (optionally in group); its client."""
    key, secret = new_user(iam, name, statements, group=group)
    return d.client("servicecatalog", key=key, secret=secret)


SC_ALL = [{"Effect": "Allow", "Action": "servicecatalog:*", "Resource": "*"}]


# ---- portfolios ----------------------------------------------------------------------------


def test_portfolio_lifecycle(sc):
    out = sc.create_portfolio(
        DisplayName="Engineering Tools",
        ProviderName="IT",
        Description="tools",
        Tags=[{"Key": "team", "Value": "eng"}],
        IdempotencyToken="port-lifecycle",
    )
    p = out["PortfolioDetail"]
    assert re.fullmatch(r"port-[a-z0-9]{13}", p["Id"]), p["Id"]
    assert p["ARN"] == "arn:aws:catalog:%s:%s:portfolio/%s" % (REGION, ACCOUNT, p["Id"])
    assert (p["DisplayName"], p["ProviderName"], p["Description"]) == ("Engineering Tools", "IT", "tools")
    assert out["Tags"] == [{"Key": "team", "Value": "eng"}]
    got = sc.describe_portfolio(Id=p["Id"])
    assert got["PortfolioDetail"]["Id"] == p["Id"]
    assert got["PortfolioDetail"]["CreatedTime"] == p["CreatedTime"]
    assert got["Tags"] == [{"Key": "team", "Value": "eng"}]
    assert got["TagOptions"] == [] and got["Budgets"] == []

    up = sc.update_portfolio(
        Id=p["Id"],
        DisplayName="Eng Tools",
        AddTags=[{"Key": "cost", "Value": "42"}, {"Key": "team", "Value": "platform"}],
        RemoveTags=["nope"],
    )
    assert up["PortfolioDetail"]["DisplayName"] == "Eng Tools"
    assert up["PortfolioDetail"]["Description"] == "tools"
    assert sorted((t["Key"], t["Value"]) for t in up["Tags"]) == [("cost", "42"), ("team", "platform")]
    up = sc.update_portfolio(Id=p["Id"], RemoveTags=["team"])
    assert up["Tags"] == [{"Key": "cost", "Value": "42"}]
    assert sc.describe_portfolio(Id=p["Id"])["Tags"] == [{"Key": "cost", "Value": "42"}]

    sc.delete_portfolio(Id=p["Id"])
    code, msg, status = fails(sc.describe_portfolio, Id=p["Id"])
    assert (code, status) == ("ResourceNotFoundException", 400)
    assert p["Id"] in msg
    assert fails(sc.delete_portfolio, Id=p["Id"])[0] == "ResourceNotFoundException"
    assert fails(sc.update_portfolio, Id=p["Id"], DisplayName="x")[0] == "ResourceNotFoundException"


def test_portfolio_idempotency_token(sc):
    a = sc.create_portfolio(DisplayName="same", ProviderName="IT", IdempotencyToken="tok-same")["PortfolioDetail"]
    b = sc.create_portfolio(DisplayName="same", ProviderName="IT", IdempotencyToken="tok-same")["PortfolioDetail"]
    c = sc.create_portfolio(DisplayName="same", ProviderName="IT", IdempotencyToken="tok-other")["PortfolioDetail"]
    assert a["Id"] == b["Id"] and a["CreatedTime"] == b["CreatedTime"]
    assert c["Id"] != a["Id"]
    for x in (a, c):
        sc.delete_portfolio(Id=x["Id"])


def test_portfolio_too_many_tags(sc):
    p = new_portfolio(sc, Tags=[{"Key": "k%d" % i, "Value": "v"} for i in range(20)])
    code, _, _ = fails(sc.update_portfolio, Id=p["Id"], AddTags=[{"Key": "one-more", "Value": "v"}])
    assert code == "LimitExceededException"
    assert len(sc.describe_portfolio(Id=p["Id"])["Tags"]) == 20
    sc.delete_portfolio(Id=p["Id"])


def test_list_portfolios_paging(d, sc):
    made = [new_portfolio(sc, name="page%d" % i)["Id"] for i in range(5)]
    seen, created, token, pages = [], [], None, 0
    while True:
        kw = {"PageSize": 2}
        if token:
            kw["PageToken"] = token
        out = sc.list_portfolios(**kw)
        assert len(out["PortfolioDetails"]) <= 2
        seen += [p["Id"] for p in out["PortfolioDetails"]]
        created += [p["CreatedTime"] for p in out["PortfolioDetails"]]
        pages += 1
        token = out.get("NextPageToken")
        if not token:
            break
    assert len(seen) == len(set(seen))
    # oldest first; portfolios made in the same millisecond may come in either order
    assert created == sorted(created)
    assert sorted(i for i in seen if i in made) == sorted(made)
    assert pages >= 3
    assert [p["Id"] for p in sc.get_paginator("list_portfolios").paginate(PageSize=2).build_full_result()[
        "PortfolioDetails"
    ]] == seen
    code, _, _ = fails(sc.list_portfolios, PageToken="not-a-token")
    assert code == "InvalidParametersException"
    # the CLI: its --page-size is the PageSize member (which turns its own paging off)
    p = d.aws("servicecatalog", "list-portfolios", "--page-size", "2", check=True)
    assert [x["Id"] for x in p.json["PortfolioDetails"]] == seen[:2] and p.json["NextPageToken"]
    p = d.aws("servicecatalog", "list-portfolios", "--page-token", p.json["NextPageToken"], "--page-size", "2", check=True)
    assert [x["Id"] for x in p.json["PortfolioDetails"]] == seen[2:4]
    p = d.aws("servicecatalog", "list-portfolios", check=True)
    assert [x["Id"] for x in p.json["PortfolioDetails"]] == seen
    for i in made:
        sc.delete_portfolio(Id=i)


def test_cli_errors(d):
    p = d.aws("servicecatalog", "describe-portfolio", "--id", "port-doesnotexist1")
    assert p.returncode == 254
    assert "(ResourceNotFoundException) when calling the DescribePortfolio operation" in p.stderr
    p = d.aws(
        "servicecatalog", "create-portfolio", "--display-name", "cli", "--provider-name", "IT", check=True
    )
    pid = p.json["PortfolioDetail"]["Id"]
    assert d.aws("servicecatalog", "describe-portfolio", "--id", pid, check=True).json["PortfolioDetail"][
        "DisplayName"
    ] == "cli"
    d.aws("servicecatalog", "delete-portfolio", "--id", pid, check=True)


# ---- products and templates ------------------------------------------------------------------


def test_product_from_file_template(sc, tdir):
    out = new_product(
        sc,
        file_url(tdir),
        name="Linux Desktop",
        Description="a desktop",
        Distributor="Acme",
        SupportEmail="it@example.com",
        SupportUrl="https://example.com",
        SupportDescription="ask",
        Tags=[{"Key": "tier", "Value": "gold"}],
    )
    v = out["ProductViewDetail"]
    s = v["ProductViewSummary"]
    assert re.fullmatch(r"prod-[a-z0-9]{13}", s["ProductId"])
    assert re.fullmatch(r"prodview-[a-z0-9]{13}", s["Id"])
    assert (s["Name"], s["Owner"], s["ShortDescription"], s["Distributor"]) == ("Linux Desktop", "IT", "a desktop", "Acme")
    assert (s["Type"], s["HasDefaultPath"]) == ("CLOUD_FORMATION_TEMPLATE", False)
    assert (s["SupportEmail"], s["SupportUrl"], s["SupportDescription"]) == ("it@example.com", "https://example.com", "ask")
    assert v["Status"] == "AVAILABLE"
    assert v["ProductARN"] == "arn:aws:catalog:%s:%s:product/%s" % (REGION, ACCOUNT, s["ProductId"])
    pa = out["ProvisioningArtifactDetail"]
    assert re.fullmatch(r"pa-[a-z0-9]{13}", pa["Id"])
    assert (pa["Name"], pa["Description"], pa["Type"], pa["Active"], pa["Guidance"]) == (
        "v1", "first", "CLOUD_FORMATION_TEMPLATE", True, "DEFAULT")
    assert out["Tags"] == [{"Key": "tier", "Value": "gold"}]

    adm = sc.describe_product_as_admin(Id=s["ProductId"])
    assert adm["ProductViewDetail"]["ProductViewSummary"] == s
    assert [x["Id"] for x in adm["ProvisioningArtifactSummaries"]] == [pa["Id"]]
    assert adm["Tags"] == [{"Key": "tier", "Value": "gold"}]
    assert adm["TagOptions"] == [] and adm["Budgets"] == []
    assert sc.describe_product_as_admin(Name="Linux Desktop")["ProductViewDetail"]["ProductViewSummary"]["ProductId"] == s["ProductId"]

    dpa = sc.describe_provisioning_artifact(ProductId=s["ProductId"], ProvisioningArtifactId=pa["Id"])
    assert dpa["Info"] == {"TemplateUrl": file_url(tdir)}
    assert dpa["Status"] == "AVAILABLE"
    assert dpa["ProvisioningArtifactDetail"]["Id"] == pa["Id"]
    assert sc.describe_provisioning_artifact(
        ProductName="Linux Desktop", ProvisioningArtifactName="v1", Verbose=True
    )["ProvisioningArtifactDetail"]["Id"] == pa["Id"]

    up = sc.update_product(
        Id=s["ProductId"], Name="Linux Desktop 2", Owner="Ops", AddTags=[{"Key": "x", "Value": "y"}], RemoveTags=["tier"]
    )
    assert up["ProductViewDetail"]["ProductViewSummary"]["Name"] == "Linux Desktop 2"
    assert up["ProductViewDetail"]["ProductViewSummary"]["Owner"] == "Ops"
    assert up["ProductViewDetail"]["ProductViewSummary"]["Distributor"] == "Acme"
    assert up["Tags"] == [{"Key": "x", "Value": "y"}]

    sc.delete_product(Id=s["ProductId"])
    assert fails(sc.describe_product_as_admin, Id=s["ProductId"])[0] == "ResourceNotFoundException"
    code, _, _ = fails(sc.describe_provisioning_artifact, ProductId=s["ProductId"], ProvisioningArtifactId=pa["Id"])
    assert code == "ResourceNotFoundException"
    assert fails(sc.delete_product, Id=s["ProductId"])[0] == "ResourceNotFoundException"
    assert fails(sc.update_product, Id=s["ProductId"], Name="z")[0] == "ResourceNotFoundException"


def test_product_from_http_template(sc, web):
    out = new_product(sc, web + "small.yaml")
    pid = out["ProductViewDetail"]["ProductViewSummary"]["ProductId"]
    pa = out["ProvisioningArtifactDetail"]["Id"]
    info = sc.describe_provisioning_artifact(ProductId=pid, ProvisioningArtifactId=pa)["Info"]
    assert info == {"TemplateUrl": web + "small.yaml"}
    sc.delete_product(Id=pid)


def test_invalid_templates_are_refused(sc, web, tdir):
    cases = [
        web + "invalid.json",  # no resources
        web + "missing.json",  # 404
        "ftp://127.0.0.1/x.json",
        "file://" + os.path.join(os.path.dirname(tdir), "elsewhere.json"),  # outside --template-dir
    ]
    def count():
        pages = sc.get_paginator("search_products_as_admin").paginate(PageSize=20)
        return len(pages.build_full_result()["ProductViewDetails"])

    before = count()
    for url in cases:
        code, msg, status = fails(
            sc.create_product,
            Name="bad",
            Owner="IT",
            ProductType="CLOUD_FORMATION_TEMPLATE",
            ProvisioningArtifactParameters={"Info": {"LoadTemplateFromURL": url}},
            IdempotencyToken=uniq("tok"),
        )
        assert (code, status) == ("InvalidParametersException", 400), (url, msg)
    assert count() == before
    # both sources, or an unknown key
    for info in ({"LoadTemplateFromURL": web + "small.yaml", "ImportFromPhysicalId": "x"}, {"Foo": "bar"}):
        code, _, _ = fails(
            sc.create_product,
            Name="bad",
            Owner="IT",
            ProductType="CLOUD_FORMATION_TEMPLATE",
            ProvisioningArtifactParameters={"Info": info},
            IdempotencyToken=uniq("tok"),
        )
        assert code == "InvalidParametersException"
    # an invalid template passes when validation is disabled
    out = sc.create_product(
        Name="unchecked",
        Owner="IT",
        ProductType="CLOUD_FORMATION_TEMPLATE",
        ProvisioningArtifactParameters={"Info": {"LoadTemplateFromURL": web + "invalid.json"}, "DisableTemplateValidation": True},
        IdempotencyToken=uniq("tok"),
    )
    sc.delete_product(Id=out["ProductViewDetail"]["ProductViewSummary"]["ProductId"])


def test_file_template_needs_template_dir(fresh_daemon, tdir):
    plain = fresh_daemon().client("servicecatalog")
    code, msg, _ = fails(
        plain.create_product,
        Name="p",
        Owner="IT",
        ProductType="CLOUD_FORMATION_TEMPLATE",
        ProvisioningArtifactParameters={"Info": {"LoadTemplateFromURL": file_url(tdir)}},
        IdempotencyToken="t1",
    )
    assert code == "InvalidParametersException"
    assert "template-dir" in msg
    withdir = fresh_daemon(args=["--template-dir", tdir]).client("servicecatalog")
    out = withdir.create_product(
        Name="p",
        Owner="IT",
        ProductType="CLOUD_FORMATION_TEMPLATE",
        ProvisioningArtifactParameters={"Info": {"LoadTemplateFromURL": file_url(tdir)}},
        IdempotencyToken="t1",
    )
    assert out["ProvisioningArtifactDetail"]["Id"].startswith("pa-")


def test_product_idempotency_token(sc, tdir):
    kw = dict(
        Name="idem",
        Owner="IT",
        ProductType="CLOUD_FORMATION_TEMPLATE",
        ProvisioningArtifactParameters={"Name": "v1", "Info": {"LoadTemplateFromURL": file_url(tdir)}},
        IdempotencyToken="prod-token-1",
    )
    a, b = sc.create_product(**kw), sc.create_product(**kw)
    pid = a["ProductViewDetail"]["ProductViewSummary"]["ProductId"]
    assert b["ProductViewDetail"]["ProductViewSummary"]["ProductId"] == pid
    assert b["ProvisioningArtifactDetail"]["Id"] == a["ProvisioningArtifactDetail"]["Id"]
    assert len(sc.list_provisioning_artifacts(ProductId=pid)["ProvisioningArtifactDetails"]) == 1
    # and for versions
    p = {"Name": "v2", "Info": {"LoadTemplateFromURL": file_url(tdir)}}
    x = sc.create_provisioning_artifact(ProductId=pid, Parameters=p, IdempotencyToken="pa-token")
    y = sc.create_provisioning_artifact(ProductId=pid, Parameters=p, IdempotencyToken="pa-token")
    assert x["ProvisioningArtifactDetail"]["Id"] == y["ProvisioningArtifactDetail"]["Id"]
    assert len(sc.list_provisioning_artifacts(ProductId=pid)["ProvisioningArtifactDetails"]) == 2
    sc.delete_product(Id=pid)


def test_provisioning_artifacts(sc, tdir, web):
    out = new_product(sc, file_url(tdir))
    pid = out["ProductViewDetail"]["ProductViewSummary"]["ProductId"]
    v1 = out["ProvisioningArtifactDetail"]["Id"]
    v2 = sc.create_provisioning_artifact(
        ProductId=pid,
        Parameters={"Name": "v2", "Description": "second", "Info": {"LoadTemplateFromURL": web + "small.yaml"}},
        IdempotencyToken=uniq("tok"),
    )
    assert v2["Status"] == "AVAILABLE"
    assert v2["Info"] == {"TemplateUrl": web + "small.yaml"}
    v2 = v2["ProvisioningArtifactDetail"]["Id"]
    listed = sc.list_provisioning_artifacts(ProductId=pid)["ProvisioningArtifactDetails"]
    assert [x["Id"] for x in listed] == [v1, v2]
    assert [x["Name"] for x in listed] == ["v1", "v2"]

    by_name = sc.describe_provisioning_artifact(ProductId=pid, ProvisioningArtifactName="v2")
    assert by_name["ProvisioningArtifactDetail"]["Id"] == v2
    up = sc.update_provisioning_artifact(
        ProductId=pid, ProvisioningArtifactId=v1, Name="v1-old", Description="old", Active=False, Guidance="DEPRECATED"
    )
    d1 = up["ProvisioningArtifactDetail"]
    assert (d1["Name"], d1["Description"], d1["Active"], d1["Guidance"]) == ("v1-old", "old", False, "DEPRECATED")
    assert sc.describe_provisioning_artifact(ProductId=pid, ProvisioningArtifactId=v1)["ProvisioningArtifactDetail"][
        "Active"] is False

    # errors
    code, _, _ = fails(sc.describe_provisioning_artifact, ProductId=pid, ProvisioningArtifactId="pa-nothere12345")
    assert code == "ResourceNotFoundException"
    code, _, _ = fails(sc.describe_provisioning_artifact, ProductId=pid)
    assert code == "InvalidParametersException"
    code, _, _ = fails(sc.update_provisioning_artifact, ProductId=pid, ProvisioningArtifactId="pa-nothere12345", Name="x")
    assert code == "ResourceNotFoundException"
    code, _, _ = fails(sc.update_provisioning_artifact, ProductId=pid, ProvisioningArtifactId=v1, Guidance="SOON")
    assert code == "ValidationException"
    code, _, _ = fails(sc.list_provisioning_artifacts, ProductId="prod-nothere123456")
    assert code == "ResourceNotFoundException"
    code, _, _ = fails(
        sc.create_provisioning_artifact,
        ProductId="prod-nothere123456",
        Parameters={"Info": {"LoadTemplateFromURL": file_url(tdir)}},
        IdempotencyToken=uniq("tok"),
    )
    assert code == "ResourceNotFoundException"
    # two versions with the same name: asking by that name is ambiguous
    sc.create_provisioning_artifact(
        ProductId=pid, Parameters={"Name": "v2", "Info": {"LoadTemplateFromURL": file_url(tdir)}}, IdempotencyToken=uniq("tok")
    )
    code, msg, _ = fails(sc.describe_provisioning_artifact, ProductId=pid, ProvisioningArtifactName="v2")
    assert code == "InvalidParametersException" and "Multiple" in msg

    for pa in [x["Id"] for x in sc.list_provisioning_artifacts(ProductId=pid)["ProvisioningArtifactDetails"]][1:]:
        sc.delete_provisioning_artifact(ProductId=pid, ProvisioningArtifactId=pa)
    assert [x["Id"] for x in sc.list_provisioning_artifacts(ProductId=pid)["ProvisioningArtifactDetails"]] == [v1]
    code, msg, _ = fails(sc.delete_provisioning_artifact, ProductId=pid, ProvisioningArtifactId=v1)
    assert code == "InvalidParametersException", msg
    code, _, _ = fails(sc.delete_provisioning_artifact, ProductId=pid, ProvisioningArtifactId=v2)
    assert code == "ResourceNotFoundException"
    sc.delete_product(Id=pid)


def test_search_products_as_admin(sc, tdir):
    port = new_portfolio(sc)["Id"]
    names = ["zeta search", "alpha search", "mid search"]
    ids = []
    for i, n in enumerate(names):
        out = new_product(sc, file_url(tdir), name=n, Owner="Owner%d" % i, Description="findme" if i == 1 else "other")
        ids.append(out["ProductViewDetail"]["ProductViewSummary"]["ProductId"])
    sc.create_provisioning_artifact(
        ProductId=ids[2], Parameters={"Name": "v2", "Info": {"LoadTemplateFromURL": file_url(tdir)}}, IdempotencyToken=uniq("tok")
    )
    sc.associate_product_with_portfolio(ProductId=ids[0], PortfolioId=port)
    sc.associate_product_with_portfolio(ProductId=ids[1], PortfolioId=port)

    def names_of(**kw):
        out = sc.search_products_as_admin(**kw)
        return [x["ProductViewSummary"]["Name"] for x in out["ProductViewDetails"]]

    assert names_of(Filters={"FullTextSearch": ["search"]}, SortBy="Title") == ["alpha search", "mid search", "zeta search"]
    assert names_of(Filters={"FullTextSearch": ["search"]}, SortBy="Title", SortOrder="DESCENDING") == [
        "zeta search", "mid search", "alpha search"]
    assert names_of(Filters={"FullTextSearch": ["search"]}, SortBy="CreationDate") == names
    assert names_of(Filters={"FullTextSearch": ["search"]}, SortBy="VersionCount", SortOrder="DESCENDING")[0] == "mid search"
    assert names_of(Filters={"FullTextSearch": ["FINDME"]}) == ["alpha search"]
    assert names_of(Filters={"Owner": ["Owner2"]}) == ["mid search"]
    assert names_of(Filters={"ProductType": ["MARKETPLACE"]}) == []
    assert names_of(PortfolioId=port, SortBy="Title") == ["alpha search", "zeta search"]
    code, _, _ = fails(sc.search_products_as_admin, PortfolioId="port-nothere123456")
    assert code == "ResourceNotFoundException"

    first = sc.search_products_as_admin(Filters={"FullTextSearch": ["search"]}, PageSize=2, SortBy="Title")
    assert len(first["ProductViewDetails"]) == 2 and first["NextPageToken"]
    rest = sc.search_products_as_admin(
        Filters={"FullTextSearch": ["search"]}, PageSize=2, SortBy="Title", PageToken=first["NextPageToken"]
    )
    assert [x["ProductViewSummary"]["Name"] for x in rest["ProductViewDetails"]] == ["zeta search"]
    assert "NextPageToken" not in rest

    # deleting while associated is refused; the portfolio is in use too
    code, msg, _ = fails(sc.delete_product, Id=ids[0])
    assert code == "ResourceInUseException", msg
    code, _, _ = fails(sc.delete_portfolio, Id=port)
    assert code == "ResourceInUseException"
    for pid in ids[:2]:
        sc.disassociate_product_from_portfolio(ProductId=pid, PortfolioId=port)
    for pid in ids:
        sc.delete_product(Id=pid)
    sc.delete_portfolio(Id=port)


# ---- associations ----------------------------------------------------------------------------


def test_product_portfolio_associations(sc, tdir):
    a, b = new_portfolio(sc, name="assoc-a")["Id"], new_portfolio(sc, name="assoc-b")["Id"]
    pid = new_product(sc, file_url(tdir))["ProductViewDetail"]["ProductViewSummary"]["ProductId"]
    sc.associate_product_with_portfolio(ProductId=pid, PortfolioId=a)
    sc.associate_product_with_portfolio(ProductId=pid, PortfolioId=a)  # again: no error
    sc.associate_product_with_portfolio(ProductId=pid, PortfolioId=b)
    got = sc.list_portfolios_for_product(ProductId=pid)["PortfolioDetails"]
    assert [x["Id"] for x in got] == [a, b]
    one = sc.list_portfolios_for_product(ProductId=pid, PageSize=1)
    assert [x["Id"] for x in one["PortfolioDetails"]] == [a] and one["NextPageToken"]
    two = sc.list_portfolios_for_product(ProductId=pid, PageSize=1, PageToken=one["NextPageToken"])
    assert [x["Id"] for x in two["PortfolioDetails"]] == [b] and "NextPageToken" not in two

    assert fails(sc.associate_product_with_portfolio, ProductId="prod-nothere123456", PortfolioId=a)[0] == "ResourceNotFoundException"
    assert fails(sc.associate_product_with_portfolio, ProductId=pid, PortfolioId="port-nothere123456")[0] == "ResourceNotFoundException"
    assert fails(sc.list_portfolios_for_product, ProductId="prod-nothere123456")[0] == "ResourceNotFoundException"

    sc.disassociate_product_from_portfolio(ProductId=pid, PortfolioId=a)
    assert [x["Id"] for x in sc.list_portfolios_for_product(ProductId=pid)["PortfolioDetails"]] == [b]
    code, _, _ = fails(sc.disassociate_product_from_portfolio, ProductId=pid, PortfolioId=a)
    assert code == "ResourceNotFoundException"
    sc.disassociate_product_from_portfolio(ProductId=pid, PortfolioId=b)
    sc.delete_product(Id=pid)
    sc.delete_portfolio(Id=a)
    sc.delete_portfolio(Id=b)


def test_principal_associations(sc, iam):
    port = new_portfolio(sc)["Id"]
    iam.create_group(GroupName="sc-principals")
    iam.create_user(UserName="sc-principal-user", Path="/team/")
    group_arn = IAM + "group/sc-principals"
    user_arn = IAM + "user/team/sc-principal-user"
    sc.associate_principal_with_portfolio(PortfolioId=port, PrincipalARN=group_arn, PrincipalType="IAM")
    sc.associate_principal_with_portfolio(PortfolioId=port, PrincipalARN=user_arn, PrincipalType="IAM")
    sc.associate_principal_with_portfolio(PortfolioId=port, PrincipalARN="arn:aws:iam:::role/Dev*", PrincipalType="IAM_PATTERN")
    sc.associate_principal_with_portfolio(PortfolioId=port, PrincipalARN=group_arn, PrincipalType="IAM")  # again
    got = sc.list_principals_for_portfolio(PortfolioId=port)["Principals"]
    assert got == [
        {"PrincipalARN": group_arn, "PrincipalType": "IAM"},
        {"PrincipalARN": user_arn, "PrincipalType": "IAM"},
        {"PrincipalARN": "arn:aws:iam:::role/Dev*", "PrincipalType": "IAM_PATTERN"},
    ]
    page = sc.list_principals_for_portfolio(PortfolioId=port, PageSize=2)
    assert len(page["Principals"]) == 2 and page["NextPageToken"]
    rest = sc.list_principals_for_portfolio(PortfolioId=port, PageSize=2, PageToken=page["NextPageToken"])
    assert rest["Principals"] == got[2:] and "NextPageToken" not in rest

    for arn, typ in [
        (IAM + "user/nobody", "IAM"),  # does not exist
        ("arn:aws:iam:::role/x", "IAM"),  # no account: only for patterns
        ("arn:aws:iam::999999999999:user/x", "IAM"),  # another account
        ("arn:aws:s3:::bucket", "IAM_PATTERN"),
        (IAM + "policy/p", "IAM"),
    ]:
        code, msg, _ = fails(sc.associate_principal_with_portfolio, PortfolioId=port, PrincipalARN=arn, PrincipalType=typ)
        assert code == "InvalidParametersException", (arn, msg)
    code, _, _ = fails(
        sc.associate_principal_with_portfolio, PortfolioId=port, PrincipalARN=group_arn, PrincipalType="GROUP"
    )
    assert code == "ValidationException"
    code, _, _ = fails(
        sc.associate_principal_with_portfolio, PortfolioId="port-nothere123456", PrincipalARN=group_arn, PrincipalType="IAM"
    )
    assert code == "ResourceNotFoundException"
    assert fails(sc.list_principals_for_portfolio, PortfolioId="port-nothere123456")[0] == "ResourceNotFoundException"

    code, msg, _ = fails(sc.delete_portfolio, Id=port)
    assert code == "ResourceInUseException", msg
    for p in got:
        sc.disassociate_principal_from_portfolio(PortfolioId=port, PrincipalARN=p["PrincipalARN"])
    code, _, _ = fails(sc.disassociate_principal_from_portfolio, PortfolioId=port, PrincipalARN=group_arn)
    assert code == "ResourceNotFoundException"
    assert sc.list_principals_for_portfolio(PortfolioId=port)["Principals"] == []
    sc.delete_portfolio(Id=port)


# ---- constraints -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def launch_role(iam):
    return new_role(iam, "scLaunchRole", trust("servicecatalog"))


def test_constraints(sc, tdir, launch_role):
    port = new_portfolio(sc)["Id"]
    pid = new_product(sc, file_url(tdir))["ProductViewDetail"]["ProductViewSummary"]["ProductId"]
    launch = json.dumps({"RoleArn": launch_role})

    def create(typ, params, **kw):
        return sc.create_constraint(
            PortfolioId=port, ProductId=pid, Type=typ, Parameters=params, IdempotencyToken=kw.pop("tok", uniq("tok")), **kw
        )

    # the product must be in the portfolio first
    code, _, _ = fails(create, typ="LAUNCH", params=launch)
    assert code == "ResourceNotFoundException"
    sc.associate_product_with_portfolio(ProductId=pid, PortfolioId=port)

    out = create("LAUNCH", launch, Description="launch as role", tok="cons-tok")
    cd = out["ConstraintDetail"]
    assert re.fullmatch(r"cons-[a-z0-9]{13}", cd["ConstraintId"])
    assert (cd["Type"], cd["Description"], cd["Owner"], cd["ProductId"], cd["PortfolioId"]) == (
        "LAUNCH", "launch as role", ACCOUNT, pid, port)
    assert json.loads(out["ConstraintParameters"]) == {"RoleArn": launch_role}
    assert out["Status"] == "AVAILABLE"
    again = create("LAUNCH", launch, Description="launch as role", tok="cons-tok")
    assert again["ConstraintDetail"]["ConstraintId"] == cd["ConstraintId"]

    code, msg, _ = fails(create, typ="LAUNCH", params=json.dumps({"LocalRoleName": "scLaunchRole"}))
    assert code == "DuplicateResourceException", msg
    for bad in (
        json.dumps({"RoleArn": launch_role, "LocalRoleName": "scLaunchRole"}),
        json.dumps({}),
        json.dumps({"RoleArn": IAM + "role/noSuchRole"}),
        json.dumps({"LocalRoleName": "noSuchRole"}),
        "not json",
    ):
        code, msg, _ = fails(create, typ="LAUNCH", params=bad)
        assert code == "InvalidParametersException", (bad, msg)
    for typ in ("TEMPLATE", "STACKSET"):
        code, msg, _ = fails(create, typ=typ, params=json.dumps({"Rules": {}}))
        assert code == "InvalidParametersException" and "catalogd" in msg
    assert fails(create, typ="BOGUS", params="{}")[0] == "InvalidParametersException"

    n1 = create("NOTIFICATION", json.dumps({"NotificationArns": ["arn:aws:sns:us-east-1:%s:t1" % ACCOUNT]}))
    n2 = create("NOTIFICATION", json.dumps({"NotificationArns": ["arn:aws:sns:us-east-1:%s:t2" % ACCOUNT]}))
    ru = create("RESOURCE_UPDATE", json.dumps({"Version": "2.0", "Properties": {"TagUpdateOnProvisionedProduct": "ALLOWED"}}))
    code, _, _ = fails(create, typ="RESOURCE_UPDATE", params=json.dumps({"Version": "2.0", "Properties": {"TagUpdateOnProvisionedProduct": "ALLOWED"}}))
    assert code == "DuplicateResourceException"
    assert fails(create, typ="NOTIFICATION", params=json.dumps({"NotificationArns": []}))[0] == "InvalidParametersException"

    desc = sc.describe_constraint(Id=cd["ConstraintId"])
    assert desc["ConstraintDetail"] == cd and desc["Status"] == "AVAILABLE"
    assert json.loads(desc["ConstraintParameters"]) == {"RoleArn": launch_role}
    up = sc.update_constraint(Id=cd["ConstraintId"], Description="by local name", Parameters=json.dumps({"LocalRoleName": "scLaunchRole"}))
    assert up["ConstraintDetail"]["Description"] == "by local name"
    assert json.loads(up["ConstraintParameters"]) == {"LocalRoleName": "scLaunchRole"}
    code, _, _ = fails(sc.update_constraint, Id=cd["ConstraintId"], Parameters=json.dumps({"LocalRoleName": "gone"}))
    assert code == "InvalidParametersException"

    listed = sc.list_constraints_for_portfolio(PortfolioId=port)["ConstraintDetails"]
    ids = [cd["ConstraintId"], n1["ConstraintDetail"]["ConstraintId"], n2["ConstraintDetail"]["ConstraintId"], ru["ConstraintDetail"]["ConstraintId"]]
    assert [x["ConstraintId"] for x in listed] == ids
    assert [x["ConstraintId"] for x in sc.list_constraints_for_portfolio(PortfolioId=port, ProductId=pid)["ConstraintDetails"]] == ids
    assert sc.list_constraints_for_portfolio(PortfolioId=port, ProductId="prod-other12345678")["ConstraintDetails"] == []
    page = sc.list_constraints_for_portfolio(PortfolioId=port, PageSize=3)
    assert len(page["ConstraintDetails"]) == 3
    rest = sc.list_constraints_for_portfolio(PortfolioId=port, PageSize=3, PageToken=page["NextPageToken"])
    assert [x["ConstraintId"] for x in rest["ConstraintDetails"]] == ids[3:]
    assert fails(sc.list_constraints_for_portfolio, PortfolioId="port-nothere123456")[0] == "ResourceNotFoundException"

    # constraints hold the association and the portfolio
    code, _, _ = fails(sc.disassociate_product_from_portfolio, ProductId=pid, PortfolioId=port)
    assert code == "ResourceInUseException"
    for i in ids:
        sc.delete_constraint(Id=i)
    assert fails(sc.describe_constraint, Id=ids[0])[0] == "ResourceNotFoundException"
    assert fails(sc.delete_constraint, Id=ids[0])[0] == "ResourceNotFoundException"
    assert fails(sc.update_constraint, Id=ids[0], Description="x")[0] == "ResourceNotFoundException"
    sc.disassociate_product_from_portfolio(ProductId=pid, PortfolioId=port)
    sc.delete_product(Id=pid)
    sc.delete_portfolio(Id=port)


def test_launch_constraint_needs_pass_role(d, sc, iam, tdir, launch_role):
    port = new_portfolio(sc)["Id"]
    pid = new_product(sc, file_url(tdir))["ProductViewDetail"]["ProductViewSummary"]["ProductId"]
    sc.associate_product_with_portfolio(ProductId=pid, PortfolioId=port)
    params = json.dumps({"RoleArn": launch_role})
    admin_no_pass = user_client(d, iam, "sc-admin-nopass", SC_ALL)
    code, msg, status = fails(
        admin_no_pass.create_constraint,
        PortfolioId=port, ProductId=pid, Type="LAUNCH", Parameters=params, IdempotencyToken="np1",
    )
    assert (code, status) == ("AccessDeniedException", 400)
    assert "iam:PassRole" in msg and launch_role in msg and "sc-admin-nopass" in msg
    assert sc.list_constraints_for_portfolio(PortfolioId=port)["ConstraintDetails"] == []
    # NOTIFICATION needs no role
    admin_no_pass.create_constraint(
        PortfolioId=port, ProductId=pid, Type="NOTIFICATION",
        Parameters=json.dumps({"NotificationArns": ["arn:aws:sns:us-east-1:%s:t" % ACCOUNT]}), IdempotencyToken="np2",
    )
    admin = user_client(
        d, iam, "sc-admin-pass",
        SC_ALL + [{
            "Effect": "Allow", "Action": "iam:PassRole", "Resource": launch_role,
            "Condition": {"StringEquals": {"iam:PassedToService": "servicecatalog.amazonaws.com"}},
        }],
    )
    out = admin.create_constraint(PortfolioId=port, ProductId=pid, Type="LAUNCH", Parameters=params, IdempotencyToken="p1")
    assert out["ConstraintDetail"]["Type"] == "LAUNCH"
    for k in sc.list_constraints_for_portfolio(PortfolioId=port)["ConstraintDetails"]:
        sc.delete_constraint(Id=k["ConstraintId"])
    sc.disassociate_product_from_portfolio(ProductId=pid, PortfolioId=port)
    sc.delete_product(Id=pid)
    sc.delete_portfolio(Id=port)


# ---- what end users see ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def catalog(d, sc, iam, tdir, web, launch_role):
    """A portfolio shared with group `sc-endusers` holding a product with a launch role, a
    second portfolio with the same product, and two users: one in the group, one not."""
    iam.create_group(GroupName="sc-endusers")
    port = sc.create_portfolio(DisplayName="Engineering Tools", ProviderName="IT", IdempotencyToken="eu-port")["PortfolioDetail"]
    other = sc.create_portfolio(DisplayName="Other Tools", ProviderName="IT", IdempotencyToken="eu-port2")["PortfolioDetail"]
    prod = new_product(sc, file_url(tdir), name="EU Desktop", Owner="Platform", Description="desktop for end users")
    pid = prod["ProductViewDetail"]["ProductViewSummary"]["ProductId"]
    v1 = prod["ProvisioningArtifactDetail"]["Id"]
    v2 = sc.create_provisioning_artifact(
        ProductId=pid, Parameters={"Name": "v2", "Info": {"LoadTemplateFromURL": web + "small.yaml"}}, IdempotencyToken="eu-v2"
    )["ProvisioningArtifactDetail"]["Id"]
    hidden = sc.create_provisioning_artifact(
        ProductId=pid, Parameters={"Name": "v0", "Info": {"LoadTemplateFromURL": web + "small.yaml"}}, IdempotencyToken="eu-v0"
    )["ProvisioningArtifactDetail"]["Id"]
    sc.update_provisioning_artifact(ProductId=pid, ProvisioningArtifactId=hidden, Active=False)
    lone = new_product(sc, file_url(tdir), name="EU Unshared")["ProductViewDetail"]["ProductViewSummary"]["ProductId"]
    for p in (port["Id"], other["Id"]):
        sc.associate_product_with_portfolio(ProductId=pid, PortfolioId=p)
    sc.create_constraint(
        PortfolioId=port["Id"], ProductId=pid, Type="LAUNCH", Parameters=json.dumps({"RoleArn": launch_role}),
        Description="launch role", IdempotencyToken="eu-c1",
    )
    sc.associate_principal_with_portfolio(PortfolioId=port["Id"], PrincipalARN=IAM + "group/sc-endusers", PrincipalType="IAM")
    member = user_client(d, iam, "sc-enduser", SC_ALL, group="sc-endusers")
    outsider = user_client(d, iam, "sc-outsider", SC_ALL)
    return dict(port=port, other=other, pid=pid, v1=v1, v2=v2, hidden=hidden, lone=lone, member=member, outsider=outsider)


def test_end_user_search_products(catalog):
    m, o = catalog["member"], catalog["outsider"]
    out = m.search_products()
    assert [s["ProductId"] for s in out["ProductViewSummaries"]] == [catalog["pid"]]
    assert out["ProductViewSummaries"][0]["Name"] == "EU Desktop"
    assert "ProductViewAggregations" in out
    assert [s["ProductId"] for s in m.search_products(Filters={"FullTextSearch": ["desktop"]})["ProductViewSummaries"]] == [catalog["pid"]]
    assert m.search_products(Filters={"Owner": ["Nobody"]})["ProductViewSummaries"] == []
    assert o.search_products()["ProductViewSummaries"] == []


def test_end_user_describe_product(catalog, sc):
    m, o = catalog["member"], catalog["outsider"]
    out = m.describe_product(Id=catalog["pid"])
    assert out["ProductViewSummary"]["ProductId"] == catalog["pid"]
    assert [a["Id"] for a in out["ProvisioningArtifacts"]] == [catalog["v1"], catalog["v2"]]  # v0 is inactive
    # a launch path has an id of AWS's form, its own and not the portfolio's
    assert [p["Name"] for p in out["LaunchPaths"]] == ["Engineering Tools"]
    assert re.fullmatch(r"lpv3-[a-z0-9]{13}", out["LaunchPaths"][0]["Id"])
    assert m.describe_product(Name="EU Desktop")["ProductViewSummary"]["ProductId"] == catalog["pid"]
    view = m.describe_product_view(Id=out["ProductViewSummary"]["Id"])
    assert view["ProductViewSummary"] == out["ProductViewSummary"]
    assert [a["Id"] for a in view["ProvisioningArtifacts"]] == [catalog["v1"], catalog["v2"]]

    for fn, kw in (
        (o.describe_product, {"Id": catalog["pid"]}),
        (o.describe_product, {"Name": "EU Desktop"}),
        (o.describe_product_view, {"Id": out["ProductViewSummary"]["Id"]}),
        (m.describe_product, {"Id": catalog["lone"]}),
        (m.describe_product, {"Id": "prod-nothere123456"}),
    ):
        assert fails(fn, **kw)[0] == "ResourceNotFoundException", kw
    assert fails(m.describe_product)[0] == "InvalidParametersException"
    # the root user sees every portfolio: both paths
    paths = sc.describe_product(Id=catalog["pid"])["LaunchPaths"]
    assert [p["Name"] for p in paths] == ["Engineering Tools", catalog["other"]["DisplayName"]]
    assert paths[0]["Id"] == out["LaunchPaths"][0]["Id"] != paths[1]["Id"]


def test_end_user_launch_paths(catalog, sc):
    m, o = catalog["member"], catalog["outsider"]
    out = m.list_launch_paths(ProductId=catalog["pid"])["LaunchPathSummaries"]
    assert re.fullmatch(r"lpv3-[a-z0-9]{13}", out[0]["Id"])
    assert out == [{
        "Id": out[0]["Id"],
        "ConstraintSummaries": [{"Type": "LAUNCH", "Description": "launch role"}],
        "Tags": [],
        "Name": "Engineering Tools",
    }]
    code, msg, _ = fails(o.list_launch_paths, ProductId=catalog["pid"])
    assert (code, msg) == ("ResourceNotFoundException", "No launch paths found for resource: %s" % catalog["pid"])
    assert fails(m.list_launch_paths, ProductId="prod-nothere123456")[0] == "ResourceNotFoundException"
    both = sc.list_launch_paths(ProductId=catalog["pid"])["LaunchPathSummaries"]
    assert [p["Name"] for p in both] == ["Engineering Tools", catalog["other"]["DisplayName"]]
    assert both[0]["Id"] == out[0]["Id"]
    assert both[1]["ConstraintSummaries"] == []
    page = sc.list_launch_paths(ProductId=catalog["pid"], PageSize=1)
    assert len(page["LaunchPathSummaries"]) == 1 and page["NextPageToken"]


def test_describe_provisioning_parameters(catalog, sc, launch_role):
    m = catalog["member"]
    out = m.describe_provisioning_parameters(ProductId=catalog["pid"], ProvisioningArtifactId=catalog["v1"])
    params = {p["ParameterKey"]: p for p in out["ProvisioningArtifactParameters"]}
    assert list(params) == ["KeyName", "InstanceType", "SSHLocation", "Count", "Secret"]
    assert params["KeyName"]["Description"] == "SSH key pair" and "DefaultValue" not in params["KeyName"]
    assert params["InstanceType"]["DefaultValue"] == "t2.micro"
    assert params["InstanceType"]["ParameterConstraints"]["AllowedValues"] == ["t2.micro", "t2.small"]
    ssh = params["SSHLocation"]["ParameterConstraints"]
    assert (ssh["MinLength"], ssh["MaxLength"], ssh["ConstraintDescription"]) == ("9", "18", "must be a CIDR range")
    assert ssh["AllowedValues"] == []
    assert params["Count"]["ParameterType"] == "Number"
    assert (params["Count"]["ParameterConstraints"]["MinValue"], params["Count"]["ParameterConstraints"]["MaxValue"]) == ("1", "5")
    assert params["Secret"]["IsNoEcho"] is True and params["KeyName"]["IsNoEcho"] is False
    assert out["ConstraintSummaries"] == [{"Type": "LAUNCH", "Description": "launch role"}]
    usage = {u["Type"]: u["Value"] for u in out["UsageInstructions"]}
    assert usage["launchAsRole"] == launch_role
    assert usage["version"] == "2010-09-09" and usage["rules"] == "{}"
    assert usage["description"] == "Linux desktop"
    assert usage["tagUpdateOnProvisionedProduct"] == "NOT_ALLOWED"
    assert out["TagOptions"] == []
    assert out["ProvisioningArtifactOutputKeys"] == [{"Key": "InstanceId", "Description": "the instance"}]
    assert out["ProvisioningArtifactOutputs"] == [{"Key": catalog["v1"], "Description": "first"}]

    by_names = m.describe_provisioning_parameters(
        ProductName="EU Desktop", ProvisioningArtifactName="v2", PathName="Engineering Tools"
    )
    assert [p["ParameterKey"] for p in by_names["ProvisioningArtifactParameters"]] == ["Size"]
    assert by_names["ProvisioningArtifactOutputKeys"] == [{"Key": "Id"}]

    # the root user has two paths: it must say which
    code, msg, _ = fails(sc.describe_provisioning_parameters, ProductId=catalog["pid"], ProvisioningArtifactId=catalog["v1"])
    assert code == "InvalidParametersException" and "launch path" in msg
    plain = sc.describe_provisioning_parameters(
        ProductId=catalog["pid"], ProvisioningArtifactId=catalog["v1"], PathId=catalog["other"]["Id"]
    )
    assert plain["ConstraintSummaries"] == []
    assert "launchAsRole" not in {u["Type"] for u in plain["UsageInstructions"]}

    for kw in (
        {"ProductId": catalog["pid"], "ProvisioningArtifactId": "pa-nothere123456"},
        {"ProductId": catalog["pid"], "ProvisioningArtifactId": catalog["v1"], "PathId": catalog["other"]["Id"]},
        {"ProductId": "prod-nothere123456", "ProvisioningArtifactId": catalog["v1"]},
    ):
        assert fails(m.describe_provisioning_parameters, **kw)[0] == "ResourceNotFoundException", kw
    code, _, _ = fails(
        catalog["outsider"].describe_provisioning_parameters, ProductId=catalog["pid"], ProvisioningArtifactId=catalog["v1"]
    )
    assert code == "ResourceNotFoundException"
    code, _, _ = fails(m.describe_provisioning_parameters, ProductId=catalog["pid"], ProvisioningArtifactId=catalog["hidden"])
    assert code == "InvalidParametersException"


def test_pattern_principal_grants_access(d, sc, iam, catalog):
    """An IAM_PATTERN association gives a role session (and not others) the products."""
    role = new_role(iam, "DevOpsRole", trust("servicecatalog"))
    iam.put_role_policy(RoleName="DevOpsRole", PolicyName="p", PolicyDocument=policy(*SC_ALL))
    key, secret = new_user(iam, "sc-assumer", [allow("sts:AssumeRole", role)])
    iam.update_assume_role_policy(RoleName="DevOpsRole", PolicyDocument=policy(
        {"Effect": "Allow", "Principal": {"AWS": IAM + "user/sc-assumer"}, "Action": "sts:AssumeRole"}))
    sts = d.client("sts", key=key, secret=secret)
    creds = sts.assume_role(RoleArn=role, RoleSessionName="s1")["Credentials"]
    dev = d.client("servicecatalog", key=creds["AccessKeyId"], secret=creds["SecretAccessKey"], token=creds["SessionToken"])
    assert dev.search_products()["ProductViewSummaries"] == []
    sc.associate_principal_with_portfolio(PortfolioId=catalog["other"]["Id"], PrincipalARN="arn:aws:iam:::role/Dev*", PrincipalType="IAM_PATTERN")
    try:
        assert [s["ProductId"] for s in dev.search_products()["ProductViewSummaries"]] == [catalog["pid"]]
        assert [p["Name"] for p in dev.list_launch_paths(ProductId=catalog["pid"])["LaunchPathSummaries"]] == [
            catalog["other"]["DisplayName"]]
    finally:
        sc.disassociate_principal_from_portfolio(PortfolioId=catalog["other"]["Id"], PrincipalARN="arn:aws:iam:::role/Dev*")


def test_cli_end_user_views(d, catalog):
    p = d.aws("servicecatalog", "search-products-as-admin", "--filters", "FullTextSearch=EU Desktop", check=True)
    assert [x["ProductViewSummary"]["ProductId"] for x in p.json["ProductViewDetails"]] == [catalog["pid"]]
    p = d.aws("servicecatalog", "list-launch-paths", "--product-id", catalog["pid"], check=True)
    assert len(p.json["LaunchPathSummaries"]) == 2
    p = d.aws("servicecatalog", "describe-product-as-admin", "--id", "prod-nothere123456")
    assert p.returncode == 254 and "ResourceNotFoundException" in p.stderr


def test_versions_with_provisioned_products_are_in_use(sc, tdir, web):
    port = new_portfolio(sc)["Id"]
    out = new_product(sc, web + "small.yaml")
    pid = out["ProductViewDetail"]["ProductViewSummary"]["ProductId"]
    v1 = out["ProvisioningArtifactDetail"]["Id"]
    v2 = sc.create_provisioning_artifact(
        ProductId=pid, Parameters={"Name": "v2", "Info": {"LoadTemplateFromURL": web + "small.yaml"}}, IdempotencyToken=uniq("tok")
    )["ProvisioningArtifactDetail"]["Id"]
    sc.associate_product_with_portfolio(ProductId=pid, PortfolioId=port)
    try:
        sc.provision_product(ProductId=pid, ProvisioningArtifactId=v1, PathId=port, ProvisionedProductName=uniq("pp"))
    except ClientError as e:  # the provisioning operations are another part of the service
        pytest.skip("ProvisionProduct is not available: %s" % e)
    sc.disassociate_product_from_portfolio(ProductId=pid, PortfolioId=port)
    sc.delete_portfolio(Id=port)
    code, msg, _ = fails(sc.delete_product, Id=pid)
    assert code == "ResourceInUseException" and "provisioned" in msg, msg
    code, msg, _ = fails(sc.delete_provisioning_artifact, ProductId=pid, ProvisioningArtifactId=v1)
    assert code == "ResourceInUseException", msg
    sc.delete_provisioning_artifact(ProductId=pid, ProvisioningArtifactId=v2)  # not launched: goes
    assert [a["Id"] for a in sc.list_provisioning_artifacts(ProductId=pid)["ProvisioningArtifactDetails"]] == [v1]


def test_version_imported_from_a_stack(d, sc, tdir):
    cfn = d.client("cloudformation")
    body = json.dumps({"Parameters": {"P": {"Type": "String", "Default": "x"}},
                       "Resources": {"I": {"Type": "AWS::EC2::Instance", "Properties": {"ImageId": "ami-0246838ace3f374fc"}}}})
    stack = cfn.create_stack(StackName="sc-import-src", TemplateBody=body)["StackId"]
    out = new_product(sc, file_url(tdir))
    pid = out["ProductViewDetail"]["ProductViewSummary"]["ProductId"]
    pa = sc.create_provisioning_artifact(
        ProductId=pid, Parameters={"Name": "imported", "Info": {"ImportFromPhysicalId": stack}}, IdempotencyToken=uniq("tok")
    )
    assert pa["Info"] == {"PhysicalId": stack}
    port = new_portfolio(sc)["Id"]
    sc.associate_product_with_portfolio(ProductId=pid, PortfolioId=port)
    params = sc.describe_provisioning_parameters(
        ProductId=pid, ProvisioningArtifactId=pa["ProvisioningArtifactDetail"]["Id"], PathId=port
    )["ProvisioningArtifactParameters"]
    assert [p["ParameterKey"] for p in params] == ["P"]
    code, _, _ = fails(
        sc.create_provisioning_artifact,
        ProductId=pid,
        Parameters={"Info": {"ImportFromPhysicalId": "arn:aws:cloudformation:us-east-1:%s:stack/nope/x" % ACCOUNT}},
        IdempotencyToken=uniq("tok"),
    )
    assert code == "InvalidParametersException"
    sc.disassociate_product_from_portfolio(ProductId=pid, PortfolioId=port)
    sc.delete_portfolio(Id=port)
    sc.delete_product(Id=pid)
