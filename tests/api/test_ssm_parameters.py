"""Parameter Store through real clients (issue 13, deliverable 3).

PutParameter (types, versions, overwrite, tiers, AllowedPattern, DataType aws:ec2:image,
tags, KeyId), GetParameter with selectors, GetParameters, GetParametersByPath,
DescribeParameters filters and paging, GetParameterHistory, (Un)LabelParameterVersion,
DeleteParameter(s); SecureString sealed at rest (never in the database, the log, or an
answer without WithDecryption); AWS's public AMI parameters; bad input with AWS's codes.
Behaviour checked against the PutParameter and parameter-name pages of AWS's API reference
and user guide and the botocore ssm model.
"""

import json
import os

import pytest

from conftest import ACCOUNT, Daemon, store_sql
from helpers import AMI, AMI_AL2, AMI_AL2_414, allow, cli_error, fails, new_user, serve

AL2023 = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"


@pytest.fixture(scope="module")
def d():
    yield from serve(Daemon())


@pytest.fixture(scope="module")
def ssm(d):
    return d.client("ssm")


def test_put_get_versions_and_overwrite(ssm):
    assert ssm.put_parameter(Name="/t1/db/host", Value="db1", Type="String")["Version"] == 1
    code, msg, status = fails(ssm.put_parameter, Name="/t1/db/host", Value="db2", Type="String")
    assert (code, status) == ("ParameterAlreadyExists", 400)
    assert "set the overwrite option in the request to true" in msg
    r = ssm.put_parameter(Name="/t1/db/host", Value="db2", Overwrite=True, Description="the db")
    assert (r["Version"], r["Tier"]) == (2, "Standard")
    p = ssm.get_parameter(Name="/t1/db/host")["Parameter"]
    assert (p["Name"], p["Type"], p["Value"], p["Version"], p["DataType"]) == ("/t1/db/host", "String", "db2", 2, "text")
    assert p["ARN"] == "arn:aws:ssm:us-east-1:%s:parameter/t1/db/host" % ACCOUNT
    old = ssm.get_parameter(Name="/t1/db/host:1")["Parameter"]
    assert (old["Value"], old["Version"], old["Selector"]) == ("db1", 1, ":1")
    # the ARN names it too
    assert ssm.get_parameter(Name=p["ARN"])["Parameter"]["Value"] == "db2"
    # "/x" and "x" are one parameter
    ssm.put_parameter(Name="t1single", Value="a", Type="String")
    assert fails(ssm.put_parameter, Name="/t1single", Value="b", Type="String")[0] == "ParameterAlreadyExists"
    assert ssm.get_parameter(Name="/t1single")["Parameter"]["Value"] == "a"


def test_string_list_and_history(ssm):
    ssm.put_parameter(Name="/t2/list", Value="a,b,c", Type="StringList")
    ssm.put_parameter(Name="/t2/list", Value="d", Overwrite=True)
    h = ssm.get_parameter_history(Name="/t2/list")["Parameters"]
    assert [(x["Version"], x["Value"], x["Type"]) for x in h] == [(1, "a,b,c", "StringList"), (2, "d", "StringList")]
    page = ssm.get_parameter_history(Name="/t2/list", MaxResults=1)
    assert [x["Version"] for x in page["Parameters"]] == [1]
    rest = ssm.get_parameter_history(Name="/t2/list", MaxResults=1, NextToken=page["NextToken"])
    assert [x["Version"] for x in rest["Parameters"]] == [2] and "NextToken" not in rest
    assert fails(ssm.get_parameter_history, Name="/t2/none")[0] == "ParameterNotFound"


def test_secure_string_sealed_everywhere(d, ssm):
    secret = "hunter2-the-secret-value"
    ssm.put_parameter(Name="/t3/pw", Value=secret, Type="SecureString")
    p = ssm.get_parameter(Name="/t3/pw")["Parameter"]
    assert p["Type"] == "SecureString" and secret not in p["Value"]
    assert ssm.get_parameter(Name="/t3/pw", WithDecryption=True)["Parameter"]["Value"] == secret
    got = ssm.get_parameters(Names=["/t3/pw"])["Parameters"][0]["Value"]
    assert secret not in got
    assert ssm.get_parameters(Names=["/t3/pw"], WithDecryption=True)["Parameters"][0]["Value"] == secret
    by_path = ssm.get_parameters_by_path(Path="/t3")["Parameters"]
    assert secret not in by_path[0]["Value"]
    assert ssm.get_parameters_by_path(Path="/t3", WithDecryption=True)["Parameters"][0]["Value"] == secret
    assert secret not in ssm.get_parameter_history(Name="/t3/pw")["Parameters"][0]["Value"]
    meta = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": ["/t3/pw"]}])["Parameters"]
    assert meta[0]["KeyId"] == "alias/aws/ssm" and "Value" not in meta[0]
    # the CLI: plain without --with-decryption
    out = d.aws("ssm", "get-parameter", "--name", "/t3/pw", check=True).json
    assert secret not in out["Parameter"]["Value"]
    out = d.aws("ssm", "get-parameter", "--name", "/t3/pw", "--with-decryption", check=True).json
    assert out["Parameter"]["Value"] == secret
    # never in the database or the log
    rows = store_sql(d.data_dir, "SELECT body FROM resources WHERE kind LIKE 'ssm.param%'")
    assert rows and not any(secret in r[0] for r in rows)
    assert secret not in d.stderr()


@pytest.mark.parametrize("size,tier", [(4096, "Standard"), (8192, "Advanced")])
def test_secure_string_as_long_as_the_tier_allows(d, ssm, size, tier):
    """Every value Parameter Store takes seals: 4 KB on Standard, 8 KB on Advanced."""
    secret = ("long-secret-%d-" % size + "x" * size)[:size]
    name = "/t3long/pw%d" % size
    r = ssm.put_parameter(Name=name, Value=secret, Type="SecureString", Tier=tier)
    assert r["Tier"] == tier
    assert ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"] == secret
    assert ssm.get_parameter(Name=name)["Parameter"]["Value"] != secret
    rows = store_sql(d.data_dir, "SELECT body FROM resources WHERE kind LIKE 'ssm.param%'")
    assert rows and not any("x" * 64 in r[0] for r in rows)


def test_sealed_format_is_the_one_older_builds_wrote(d, ssm):
    """A sealed value is "v1:" + base64(nonce | AES-256-GCM ciphertext | tag) under the data
    directory's master.key, as before the sealing limit was lifted: values sealed by older
    builds (access keys, SecureStrings) still open, and this build's open with the same key."""
    import base64
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    secret = "compat-" + "y" * 3000
    ssm.put_parameter(Name="/t3compat/pw", Value=secret, Type="SecureString", Tier="Standard")
    with open(os.path.join(d.data_dir, "master.key"), "rb") as f:
        key = f.read()
    rows = store_sql(d.data_dir, "SELECT body FROM resources WHERE kind LIKE 'ssm.param%'")
    sealed = [json.loads(r[0])["_Value"] for r in rows if json.loads(r[0]).get("Name") == "/t3compat/pw"]
    assert sealed and all(v.startswith("v1:") for v in sealed)
    blob = base64.b64decode(sealed[0][3:])
    assert AESGCM(key).decrypt(blob[:12], blob[12:], None).decode() == secret


def test_secure_string_custom_key_needs_kms_decrypt(d, ssm):
    iam = d.client("iam")
    key = "1234abcd-12ab-34cd-56ef-1234567890ab"
    ssm.put_parameter(Name="/t4/pw", Value="s3", Type="SecureString", KeyId=key)
    kid, sec = new_user(iam, "t4reader", [allow("ssm:GetParameter*")])
    reader = d.client("ssm", key=kid, secret=sec)
    assert reader.get_parameter(Name="/t4/pw")["Parameter"]["Value"] != "s3"
    code, msg, _ = fails(reader.get_parameter, Name="/t4/pw", WithDecryption=True)
    assert code == "AccessDeniedException" and "kms:Decrypt" in msg
    assert "arn:aws:kms:us-east-1:%s:key/%s" % (ACCOUNT, key) in msg
    iam.put_user_policy(
        UserName="t4reader",
        PolicyName="kms",
        PolicyDocument='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*"}]}',
    )
    assert reader.get_parameter(Name="/t4/pw", WithDecryption=True)["Parameter"]["Value"] == "s3"
    # a user without ssm:GetParameter on it reads nothing
    kid2, sec2 = new_user(iam, "t4other", [allow("ssm:GetParameter", "arn:aws:ssm:*:*:parameter/other/*")])
    other = d.client("ssm", key=kid2, secret=sec2)
    code, msg, _ = fails(other.get_parameter, Name="/t4/pw", WithDecryption=True)
    assert code == "AccessDeniedException"
    assert "arn:aws:ssm:us-east-1:%s:parameter/t4/pw" % ACCOUNT in msg
    assert fails(other.get_parameters, Names=["/t4/pw"])[0] == "AccessDeniedException"


def test_key_id_rules(ssm):
    code, msg, _ = fails(ssm.put_parameter, Name="/t5/a", Value="v", Type="String", KeyId="alias/mine")
    assert code == "ValidationException" and "SecureString" in msg
    assert fails(ssm.put_parameter, Name="/t5/a", Value="v", Type="SecureString", KeyId="not-a-key")[0] == "InvalidKeyId"
    ssm.put_parameter(Name="/t5/a", Value="v", Type="SecureString", KeyId="alias/mine")
    meta = ssm.describe_parameters(ParameterFilters=[{"Key": "KeyId", "Values": ["alias/mine"]}])["Parameters"]
    assert [m["Name"] for m in meta] == ["/t5/a"]


@pytest.mark.parametrize(
    "name",
    ["/aws/mine", "awsThing", "SSM-thing", "/ssm/x", "a/b", "/a//b", "/has space", "/a/b/", "bad:colon", "/star*"],
)
def test_bad_names(ssm, name):
    code, msg, status = fails(ssm.put_parameter, Name=name, Value="v", Type="String")
    assert (code, status) == ("ValidationException", 400)
    assert msg.startswith("Parameter name: can't be prefixed with \"aws\" or \"ssm\"")


def test_hierarchy_levels(ssm):
    ok = "/" + "/".join("L%d" % i for i in range(1, 15)) + "/param"  # 15 levels
    ssm.put_parameter(Name=ok, Value="v", Type="String")
    too_deep = "/" + "/".join("L%d" % i for i in range(1, 17)) + "/param"
    code, msg, _ = fails(ssm.put_parameter, Name=too_deep, Value="v", Type="String")
    assert code == "HierarchyLevelLimitExceededException" and "maximum of 15 levels" in msg


def test_type_tier_pattern_and_tags(ssm):
    code, msg, _ = fails(ssm.put_parameter, Name="/t6/a", Value="v")
    assert (code, msg) == ("ValidationException", "A parameter type is required when you create a parameter.")
    code, msg, _ = fails(ssm.put_parameter, Name="/t6/big", Value="x" * 4097, Type="String")
    assert code == "ValidationException" and "Standard tier parameters support a maximum" in msg
    assert ssm.put_parameter(Name="/t6/big", Value="x" * 4097, Type="String", Tier="Advanced")["Tier"] == "Advanced"
    assert fails(ssm.put_parameter, Name="/t6/big2", Value="x" * 8193, Type="String", Tier="Advanced")[0] == "ValidationException"
    r = ssm.put_parameter(Name="/t6/it", Value="x" * 5000, Type="String", Tier="Intelligent-Tiering")
    assert r["Tier"] == "Advanced"
    code, msg, _ = fails(ssm.put_parameter, Name="/t6/big", Value="y", Overwrite=True, Tier="Standard")
    assert code == "ValidationException" and "can't downgrade" in msg
    # an overwrite without Tier keeps Advanced
    assert ssm.put_parameter(Name="/t6/big", Value="y", Overwrite=True)["Tier"] == "Advanced"
    ssm.put_parameter(Name="/t6/num", Value="42", Type="String", AllowedPattern=r"^\d+$")
    code, msg, _ = fails(ssm.put_parameter, Name="/t6/num", Value="forty", Overwrite=True)
    assert (code, msg) == ("ParameterPatternMismatchException", r"Parameter value, cannot be validated against allowedPattern: ^\d+$")
    assert ssm.put_parameter(Name="/t6/num", Value="43", Overwrite=True)["Version"] == 2
    code, _, _ = fails(ssm.put_parameter, Name="/t6/re", Value="v", Type="String", AllowedPattern="a(b")
    assert code == "InvalidAllowedPatternException"
    ssm.put_parameter(Name="/t6/tagged", Value="v", Type="String", Tags=[{"Key": "team", "Value": "blue"}])
    code, msg, _ = fails(ssm.put_parameter, Name="/t6/tagged", Value="w", Overwrite=True, Tags=[{"Key": "a", "Value": "b"}])
    assert code == "ValidationException" and "tags and overwrite can't be used together" in msg
    meta = ssm.describe_parameters(ParameterFilters=[{"Key": "tag:team", "Values": ["blue"]}])["Parameters"]
    assert [m["Name"] for m in meta] == ["/t6/tagged"]
    # nothing was stored by the refused calls
    assert ssm.get_parameters(Names=["/t6/a", "/t6/big2", "/t6/re"])["InvalidParameters"] == ["/t6/a", "/t6/big2", "/t6/re"]


def test_labels_and_selectors(ssm):
    for v in ("one", "two", "three"):
        ssm.put_parameter(Name="/t7/p", Value=v, Type="String", Overwrite=True)
    r = ssm.label_parameter_version(Name="/t7/p", ParameterVersion=1, Labels=["prod", "1bad", "awsx", "ok.label"])
    assert r["ParameterVersion"] == 1 and sorted(r["InvalidLabels"]) == ["1bad", "awsx"]
    p = ssm.get_parameter(Name="/t7/p:prod")["Parameter"]
    assert (p["Value"], p["Selector"]) == ("one", ":prod")
    # without a version: the latest; a label moves
    assert ssm.label_parameter_version(Name="/t7/p", Labels=["prod"])["ParameterVersion"] == 3
    assert ssm.get_parameter(Name="/t7/p:prod")["Parameter"]["Value"] == "three"
    hist = {h["Version"]: h["Labels"] for h in ssm.get_parameter_history(Name="/t7/p")["Parameters"]}
    assert hist == {1: ["ok.label"], 2: [], 3: ["prod"]}
    code, msg, _ = fails(ssm.label_parameter_version, Name="/t7/p", ParameterVersion=9, Labels=["x"])
    assert code == "ParameterVersionNotFound" and "could not find version 9 of /t7/p" in msg
    assert fails(ssm.label_parameter_version, Name="/t7/none", Labels=["x"])[0] == "ParameterNotFound"
    ten = ["l%d" % i for i in range(10)]
    ssm.label_parameter_version(Name="/t7/p", ParameterVersion=2, Labels=ten)
    code, _, _ = fails(ssm.label_parameter_version, Name="/t7/p", ParameterVersion=2, Labels=["eleventh"])
    assert code == "ParameterVersionLabelLimitExceeded"
    r = ssm.unlabel_parameter_version(Name="/t7/p", ParameterVersion=2, Labels=["l0", "nothere"])
    assert (r["RemovedLabels"], r["InvalidLabels"]) == (["l0"], ["nothere"])
    assert fails(ssm.get_parameter, Name="/t7/p:l0")[0] == "ParameterVersionNotFound"
    assert fails(ssm.get_parameter, Name="/t7/p:7")[0] == "ParameterVersionNotFound"
    by_label = ssm.get_parameters_by_path(Path="/t7", ParameterFilters=[{"Key": "Label", "Values": ["prod"]}])
    assert [(x["Value"], x["Selector"]) for x in by_label["Parameters"]] == [("three", ":prod")]


def test_version_limit(ssm):
    ssm.put_parameter(Name="/t8/many", Value="v1", Type="String")
    ssm.label_parameter_version(Name="/t8/many", ParameterVersion=1, Labels=["keep"])
    for i in range(2, 101):
        ssm.put_parameter(Name="/t8/many", Value="v%d" % i, Overwrite=True)
    code, msg, _ = fails(ssm.put_parameter, Name="/t8/many", Value="v101", Overwrite=True)
    assert code == "ParameterMaxVersionLimitExceeded" and "Version 1, the oldest version" in msg
    ssm.unlabel_parameter_version(Name="/t8/many", ParameterVersion=1, Labels=["keep"])
    assert ssm.put_parameter(Name="/t8/many", Value="v101", Overwrite=True)["Version"] == 101
    assert fails(ssm.get_parameter, Name="/t8/many:1")[0] == "ParameterVersionNotFound"
    assert ssm.get_parameter(Name="/t8/many:2")["Parameter"]["Value"] == "v2"


def test_get_parameters_and_delete(ssm):
    ssm.put_parameter(Name="/t9/a", Value="A", Type="String")
    ssm.put_parameter(Name="/t9/b", Value="B", Type="String")
    r = ssm.get_parameters(Names=["/t9/a", "/t9/missing", "/t9/b:1", "/t9/b:5", "/t9/a"])
    assert sorted(p["Value"] for p in r["Parameters"]) == ["A", "B"]
    assert sorted(r["InvalidParameters"]) == ["/t9/b:5", "/t9/missing"]
    code, msg, _ = fails(ssm.get_parameter, Name="/t9/missing")
    assert code == "ParameterNotFound"
    ssm.delete_parameter(Name="/t9/a")
    assert fails(ssm.delete_parameter, Name="/t9/a")[0] == "ParameterNotFound"
    r = ssm.delete_parameters(Names=["/t9/b", "/t9/gone"])
    assert (r["DeletedParameters"], r["InvalidParameters"]) == (["/t9/b"], ["/t9/gone"])
    assert fails(ssm.get_parameter_history, Name="/t9/b")[0] == "ParameterNotFound"
    # a deleted parameter starts again at version 1
    assert ssm.put_parameter(Name="/t9/b", Value="again", Type="String")["Version"] == 1


def test_by_path_and_describe_paging(ssm):
    names = ["/t10/a", "/t10/b", "/t10/sub/c", "/t10/sub/deep/d"]
    for n in names:
        ssm.put_parameter(Name=n, Value=n, Type="String")
    one = ssm.get_parameters_by_path(Path="/t10")["Parameters"]
    assert sorted(p["Name"] for p in one) == ["/t10/a", "/t10/b"]
    assert sorted(p["Name"] for p in ssm.get_parameters_by_path(Path="/t10/")["Parameters"]) == ["/t10/a", "/t10/b"]
    assert [p["Name"] for p in ssm.get_parameters_by_path(Path="/t10/sub/deep")["Parameters"]] == ["/t10/sub/deep/d"]
    top = [p["Name"] for p in ssm.get_parameters_by_path(Path="/", MaxResults=10)["Parameters"]]
    assert top and all(n.count("/") <= 1 for n in top)
    # one level pages through the index
    seen, tok = [], None
    while True:
        page = ssm.get_parameters_by_path(Path="/t10", MaxResults=1, **({"NextToken": tok} if tok else {}))
        seen += [p["Name"] for p in page["Parameters"]]
        tok = page.get("NextToken")
        if not tok:
            break
    assert seen == ["/t10/a", "/t10/b"]
    seen, tok = [], None
    while True:
        kw = {"NextToken": tok} if tok else {}
        page = ssm.get_parameters_by_path(Path="/t10", Recursive=True, MaxResults=1, **kw)
        assert len(page["Parameters"]) <= 1
        seen += [p["Name"] for p in page["Parameters"]]
        tok = page.get("NextToken")
        if not tok:
            break
    assert sorted(seen) == names
    assert fails(ssm.get_parameters_by_path, Path="/t10", NextToken="garbage")[0] == "InvalidNextToken"
    code, _, _ = fails(ssm.get_parameters_by_path, Path="/t10", ParameterFilters=[{"Key": "Name", "Values": ["x"]}])
    assert code == "InvalidFilterKey"
    assert fails(ssm.get_parameters_by_path, Path="t10")[0] == "ValidationException"
    f = [{"Key": "Path", "Option": "Recursive", "Values": ["/t10/sub"]}]
    seen, tok = [], None
    while True:
        kw = {"NextToken": tok} if tok else {}
        page = ssm.describe_parameters(ParameterFilters=f, MaxResults=1, **kw)
        seen += [p["Name"] for p in page["Parameters"]]
        tok = page.get("NextToken")
        if not tok:
            break
    assert sorted(seen) == ["/t10/sub/c", "/t10/sub/deep/d"]
    begins = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Option": "BeginsWith", "Values": ["/t10/s"]}])
    assert sorted(p["Name"] for p in begins["Parameters"]) == ["/t10/sub/c", "/t10/sub/deep/d"]
    assert fails(ssm.describe_parameters, ParameterFilters=[{"Key": "Label", "Values": ["x"]}])[0] == "InvalidFilterKey"
    assert fails(ssm.describe_parameters, ParameterFilters=[{"Key": "Path", "Option": "Equals", "Values": ["/t10"]}])[0] == "InvalidFilterOption"
    assert fails(ssm.describe_parameters, ParameterFilters=[{"Key": "Type", "Values": ["Number"]}])[0] == "InvalidFilterValue"
    code, msg, _ = fails(
        ssm.describe_parameters,
        Filters=[{"Key": "Name", "Values": ["/t10/a"]}],
        ParameterFilters=[{"Key": "Name", "Values": ["/t10/a"]}],
    )
    assert code == "ValidationException"
    legacy = ssm.describe_parameters(Filters=[{"Key": "Name", "Values": ["/t10/a"]}])["Parameters"]
    assert [p["Name"] for p in legacy] == ["/t10/a"]


def test_public_ami_parameters(d, ssm):
    ec2 = d.client("ec2")
    p = ssm.get_parameter(Name=AL2023)["Parameter"]
    assert p["Type"] == "String" and p["Value"].startswith("ami-0")
    assert p["ARN"] == "arn:aws:ssm:us-east-1::parameter" + AL2023
    im = ec2.describe_images(ImageIds=[p["Value"]])["Images"][0]
    assert im["Name"].startswith("al2023-ami-") and im["OwnerId"] == "137112412989"
    assert im["Architecture"] == "x86_64"
    arm = ssm.get_parameter(Name="/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64")["Parameter"]
    assert ec2.describe_images(ImageIds=[arm["Value"]])["Images"][0]["Architecture"] == "arm64"
    listed = ssm.get_parameters_by_path(Path="/aws/service/ami-amazon-linux-latest")["Parameters"]
    names = [x["Name"].rsplit("/", 1)[1] for x in listed]
    assert "amzn2-ami-hvm-x86_64-gp2" in names and "al2023-ami-kernel-default-x86_64" in names
    assert names == sorted(names)
    assert ssm.get_parameter(Name=AL2023 + ":1")["Parameter"]["Value"] == p["Value"]
    assert fails(ssm.get_parameter, Name=AL2023 + ":2")[0] == "ParameterVersionNotFound"
    assert fails(ssm.get_parameter, Name=AL2023 + ":prod")[0] == "ParameterVersionNotFound"
    hist = ssm.get_parameter_history(Name=AL2023)["Parameters"]
    assert [(h["Version"], h["Value"], h["Labels"]) for h in hist] == [(1, p["Value"], [])]
    r = ssm.get_parameters(Names=[AL2023, "/aws/service/ami-amazon-linux-latest/nope"])
    assert r["InvalidParameters"] == ["/aws/service/ami-amazon-linux-latest/nope"]
    ubuntu = "/aws/service/canonical/ubuntu/server/22.04/stable/current/amd64/hvm/ebs-gp2/ami-id"
    img = ec2.describe_images(ImageIds=[ssm.get_parameter(Name=ubuntu)["Parameter"]["Value"]])["Images"][0]
    assert img["OwnerId"] == "099720109477"
    # AWS's names are not the account's to write or delete
    assert fails(ssm.put_parameter, Name=AL2023, Value="ami-12345678", Type="String", Overwrite=True)[0] == "ValidationException"
    assert fails(ssm.delete_parameter, Name=AL2023)[0] == "ParameterNotFound"
    # the CLI reads them the same way
    out = d.aws("ssm", "get-parameters", "--names", AL2023, "--query", "Parameters[0].Value", check=True).json
    assert out == p["Value"]


def test_the_tests_images_are_the_public_parameters(ssm):
    latest = "/aws/service/ami-amazon-linux-latest/"
    got = ssm.get_parameters(Names=[AL2023, latest + "amzn2-ami-kernel-5.10-hvm-x86_64-gp2", latest + "amzn2-ami-hvm-x86_64-gp2"])
    assert [p["Value"] for p in got["Parameters"]] == [AMI, AMI_AL2, AMI_AL2_414]


def test_ec2_image_data_type(d, ssm):
    ami = ssm.get_parameter(Name=AL2023)["Parameter"]["Value"]
    ssm.put_parameter(Name="/t11/ami", Value=ami, Type="String", DataType="aws:ec2:image")
    p = ssm.get_parameter(Name="/t11/ami")["Parameter"]
    assert (p["Value"], p["DataType"]) == (ami, "aws:ec2:image")
    code, msg, _ = fails(ssm.put_parameter, Name="/t11/bad", Value="not-an-ami", Type="String", DataType="aws:ec2:image")
    assert code == "ValidationException" and "ami-12345abcdeEXAMPLE" in msg
    code, _, _ = fails(ssm.put_parameter, Name="/t11/bad", Value="ami-0123456789abcdef0", Type="String", DataType="aws:ec2:image")
    assert code == "ValidationException"
    code, msg, _ = fails(ssm.put_parameter, Name="/t11/bad", Value="v", Type="String", DataType="Text")
    assert code == "ValidationException" and "not supported" in msg
    meta = ssm.describe_parameters(ParameterFilters=[{"Key": "DataType", "Values": ["aws:ec2:image"]}])["Parameters"]
    assert [m["Name"] for m in meta] == ["/t11/ami"]


def test_cli_put_and_errors(d):
    out = d.aws("ssm", "put-parameter", "--name", "/t12/cli", "--value", "v1", "--type", "String", check=True).json
    assert out == {"Version": 1, "Tier": "Standard"}
    p = d.aws("ssm", "put-parameter", "--name", "/t12/cli", "--value", "v2", "--type", "String")
    assert cli_error(p)[0] == "ParameterAlreadyExists"
    p = d.aws("ssm", "get-parameter", "--name", "/t12/nothing")
    assert cli_error(p)[0] == "ParameterNotFound"
    p = d.aws("ssm", "delete-parameter", "--name", "/t12/cli", check=True)
    assert p.returncode == 0
