"""The first operations through the whole pipeline, from boto3 and both AWS CLIs."""

import pytest

from conftest import ACCOUNT, CLIS


def test_get_caller_identity_boto3(daemon):
    r = daemon.client("sts").get_caller_identity()
    assert r["Account"] == ACCOUNT
    assert r["Arn"] == "arn:aws:iam::%s:root" % ACCOUNT
    assert r["UserId"] == ACCOUNT
    assert r["ResponseMetadata"]["RequestId"]


def test_list_portfolios_boto3(daemon):
    r = daemon.client("servicecatalog").list_portfolios()
    assert r["PortfolioDetails"] == []
    assert "NextPageToken" not in r


def test_list_documents_boto3(daemon):
    ssm = daemon.client("ssm")
    # a new account owns no documents; Amazon's runbooks are there for everyone
    assert ssm.list_documents(Filters=[{"Key": "Owner", "Values": ["Self"]}])["DocumentIdentifiers"] == []
    names = {d["Name"] for d in ssm.list_documents()["DocumentIdentifiers"]}
    assert "AWS-RestartEC2Instance" in names


@pytest.mark.parametrize("cli", CLIS)
def test_first_operations_cli(daemon, cli):
    r = daemon.aws("sts", "get-caller-identity", cli=cli, check=True)
    assert r.json["Arn"] == "arn:aws:iam::%s:root" % ACCOUNT
    r = daemon.aws("servicecatalog", "list-portfolios", cli=cli, check=True)
    assert r.json == {"PortfolioDetails": []}
    r = daemon.aws("ssm", "list-documents", "--filters", "Key=Owner,Values=Self", cli=cli, check=True)
    assert r.json == {"DocumentIdentifiers": []}
