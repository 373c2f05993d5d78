"""Systems Manager documents through real clients (issue 5, items 1-2 and "Bad input").

CreateDocument with JSON and YAML content (AWS CLI and boto3), UpdateDocument versions,
UpdateDocumentDefaultVersion, DescribeDocument, GetDocument by version and version name
in either format, ListDocuments filters and pagination, ListDocumentVersions,
DeleteDocument, the AWS-owned runbooks, and broken documents refused on write with a
precise message and nothing stored. Behaviour checked against
../shared/reference/aws-api.md §2.4 and §4 and the botocore ssm model.
"""

import hashlib
import json
import os
import tempfile

import pytest
import yaml
from botocore.exceptions import ClientError

from conftest import ACCOUNT, Daemon
from helpers import cli_error, error_of, serve

AWS_DOCS = ["AWS-RestartEC2Instance", "AWS-StopEC2Instance", "AWS-StartEC2Instance", "AWS-TerminateEC2Instance"]


@pytest.fixture(scope="module")
def d():
    """A daemon of this module's own, so the Owner=Self listings are exactly ours."""
    yield from serve(Daemon())


@pytest.fixture(scope="module")
def ssm(d):
    return d.client("ssm")


def doc(description="A runbook", steps=None, params=None, **top):
    body = {"description": description, "schemaVersion": "0.3"}
    if params is not None:
        body["parameters"] = params
    body["mainSteps"] = steps or [{"name": "nap", "action": "aws:sleep", "inputs": {"Duration": "PT1S"}}]
    body.update(top)
    return body


RESTART_LIKE = doc(
    description="Restart my instances",
    params={
        "InstanceId": {"type": "StringList", "description": "(Required) The instances."},
        "AutomationAssumeRole": {"type": "String", "description": "(Optional) A role.", "default": ""},
        "Count": {"type": "Integer", "default": 3},
        "Force": {"type": "Boolean", "default": False},
        "Tags": {"type": "StringMap", "default": {"team": "a"}},
    },
    steps=[
        {
            "name": "stop",
            "action": "aws:changeInstanceState",
            "inputs": {"InstanceIds": "{{ InstanceId }}", "DesiredState": "stopped"},
        },
        {
            "name": "start",
            "action": "aws:changeInstanceState",
            "inputs": {"InstanceIds": "{{ InstanceId }}", "DesiredState": "running"},
        },
    ],
    assumeRole="{{ AutomationAssumeRole }}",
)

YAML_DOC = """\
description: A YAML runbook
schemaVersion: '0.3'
parameters:
  Message:
    type: String
    description: What to say
    default: hello
  Ids:
    type: StringList
mainSteps:
  - name: describe
    action: aws:executeAwsApi
    inputs:
      Service: ec2
      Api: DescribeInstances
      InstanceIds: '{{ Ids }}'
    outputs:
      - Name: State
        Selector: $.Reservations[0].Instances[0].State.Name
        Type: String
  - name: wait
    action: aws:sleep
    inputs:
      Duration: PT5S
outputs:
  - describe.State
"""


def exists(ssm, name):
    try:
        ssm.describe_document(Name=name)
        return True
    except ClientError as e:
        assert e.response["Error"]["Code"] == "InvalidDocument", e.response
        assert e.response["Error"]["Message"] == "The specified document does not exist."
        return False


def own_names(ssm):
    names, kw = [], {}
    while True:
        r = ssm.list_documents(Filters=[{"Key": "Owner", "Values": ["Self"]}], **kw)
        names += [x["Name"] for x in r["DocumentIdentifiers"]]
        if not r.get("NextToken"):
            return names
        kw = {"NextToken": r["NextToken"]}


def write_tmp(text, suffix):
    fd, path = tempfile.mkstemp(suffix=suffix)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    return path


# ---------------------------------------------------------------- create / describe


def test_create_json_document_and_describe_it(ssm):
    content = json.dumps(RESTART_LIKE, indent=2)
    r = ssm.create_document(
        Content=content,
        Name="My-Restart.json_1",
        DocumentType="Automation",
        DocumentFormat="JSON",
        TargetType="/AWS::EC2::Instance",
        VersionName="first",
        DisplayName="My restart",
        Tags=[{"Key": "team", "Value": "ops"}],
    )
    dd = r["DocumentDescription"]
    assert dd["Name"] == "My-Restart.json_1"
    assert dd["Owner"] == ACCOUNT
    assert dd["Status"] == "Active"
    assert dd["DocumentType"] == "Automation"
    assert dd["DocumentFormat"] == "JSON"
    assert dd["SchemaVersion"] == "0.3"
    assert dd["TargetType"] == "/AWS::EC2::Instance"
    assert dd["VersionName"] == "first"
    assert dd["DisplayName"] == "My restart"
    assert (dd["DocumentVersion"], dd["LatestVersion"], dd["DefaultVersion"]) == ("1", "1", "1")
    assert dd["HashType"] == "Sha256"
    assert dd["Hash"] == hashlib.sha256(content.encode()).hexdigest()
    assert dd["Description"] == "Restart my instances"
    assert dd["Tags"] == [{"Key": "team", "Value": "ops"}]
    params = {p["Name"]: p for p in dd["Parameters"]}
    assert params["InstanceId"] == {"Name": "InstanceId", "Type": "StringList", "Description": "(Required) The instances."}
    assert params["AutomationAssumeRole"]["Type"] == "String"
    assert params["AutomationAssumeRole"]["DefaultValue"] == ""
    assert params["Count"]["Type"] == "Integer" and params["Count"]["DefaultValue"] == "3"
    assert params["Force"]["Type"] == "Boolean" and params["Force"]["DefaultValue"] == "false"
    assert params["Tags"]["Type"] == "StringMap" and json.loads(params["Tags"]["DefaultValue"]) == {"team": "a"}

    desc = ssm.describe_document(Name="My-Restart.json_1")["Document"]
    for k in ("Name", "Owner", "Status", "DocumentVersion", "LatestVersion", "DefaultVersion", "TargetType",
              "VersionName", "Hash", "Parameters", "DocumentFormat", "SchemaVersion", "DocumentType"):
        assert desc[k] == dd[k], k
    # by ARN too (StartAutomationExecution and DescribeDocument take either)
    arn = "arn:aws:ssm:us-east-1:%s:document/My-Restart.json_1" % ACCOUNT
    assert ssm.describe_document(Name=arn)["Document"]["Name"] == "My-Restart.json_1"

    g = ssm.get_document(Name="My-Restart.json_1")
    assert g["Content"] == content  # stored as written, returned in its own format
    assert g["DocumentFormat"] == "JSON" and g["DocumentType"] == "Automation"
    assert g["DocumentVersion"] == "1" and g["VersionName"] == "first" and g["Status"] == "Active"


def test_create_yaml_document_with_the_cli(d, ssm):
    path = write_tmp(YAML_DOC, ".yaml")
    try:
        p = d.aws("ssm", "create-document", "--name", "yaml-runbook", "--content", "file://" + path,
                  "--document-type", "Automation", "--document-format", "YAML",
                  "--target-type", "/AWS::EC2::Instance", "--version-name", "v1.0")
    finally:
        os.unlink(path)
    assert p.returncode == 0, p.stderr
    dd = p.json["DocumentDescription"]
    assert dd["DocumentFormat"] == "YAML"
    assert dd["Owner"] == ACCOUNT and dd["Status"] == "Active"
    assert dd["TargetType"] == "/AWS::EC2::Instance" and dd["VersionName"] == "v1.0"
    assert dd["Description"] == "A YAML runbook"
    assert [(x["Name"], x["Type"], x.get("DefaultValue")) for x in dd["Parameters"]] == [
        ("Message", "String", "hello"),
        ("Ids", "StringList", None),
    ]

    # as written, in YAML
    p = d.aws("ssm", "get-document", "--name", "yaml-runbook", "--document-format", "YAML", check=True)
    assert p.json["DocumentFormat"] == "YAML"
    assert p.json["Content"] == YAML_DOC
    # with no format asked for, Content is in the format the reply names
    p = d.aws("ssm", "get-document", "--name", "yaml-runbook", check=True)
    parse = yaml.safe_load if p.json["DocumentFormat"] == "YAML" else json.loads
    assert parse(p.json["Content"]) == yaml.safe_load(YAML_DOC)
    # converted to JSON, same document
    p = d.aws("ssm", "get-document", "--name", "yaml-runbook", "--document-format", "JSON", check=True)
    assert p.json["DocumentFormat"] == "JSON"
    assert json.loads(p.json["Content"]) == yaml.safe_load(YAML_DOC)
    # by version name
    p = d.aws("ssm", "get-document", "--name", "yaml-runbook", "--version-name", "v1.0", check=True)
    assert p.json["DocumentVersion"] == "1"


def test_get_json_document_as_yaml(ssm):
    ssm.create_document(Content=json.dumps(RESTART_LIKE), Name="json-to-yaml", DocumentType="Automation")
    g = ssm.get_document(Name="json-to-yaml", DocumentFormat="YAML")
    assert g["DocumentFormat"] == "YAML"
    assert not g["Content"].lstrip().startswith("{")
    assert yaml.safe_load(g["Content"]) == RESTART_LIKE
    # and the default format when none is given at create is JSON
    assert ssm.describe_document(Name="json-to-yaml")["Document"]["DocumentFormat"] == "JSON"


def test_document_already_exists(ssm):
    ssm.create_document(Content=json.dumps(doc()), Name="taken-name", DocumentType="Automation")
    with pytest.raises(ClientError) as e:
        ssm.create_document(Content=json.dumps(doc("other")), Name="taken-name", DocumentType="Automation")
    code, msg = error_of(e)
    assert code == "DocumentAlreadyExists"
    assert "taken-name" in msg
    # the first one is untouched
    assert ssm.describe_document(Name="taken-name")["Document"]["Description"] == "A runbook"


@pytest.mark.parametrize("name", ["AWS-MyRestart", "aws-lower", "Amazon-Thing", "AMAZONthing", "amzn-x"])
def test_names_reserved_for_aws_are_refused(d, ssm, name):
    with pytest.raises(ClientError) as e:
        ssm.create_document(Content=json.dumps(doc()), Name=name, DocumentType="Automation")
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    code, msg = error_of(e)
    # AWS answers ValidationException ("Invalid document name ..."), a code the ssm model
    # does not list (reference §2.4; aws-quickstart/quickstart-microsoft-activedirectory#97)
    assert code == "ValidationException", (code, msg)
    assert name in msg and "reserved" in msg
    assert not exists(ssm, name)


def test_reserved_prefix_only_counts_at_the_start(ssm):
    r = ssm.create_document(Content=json.dumps(doc()), Name="my-AWS-helper", DocumentType="Automation")
    assert r["DocumentDescription"]["Name"] == "my-AWS-helper"


def test_reserved_name_with_the_cli(d):
    p = d.aws("ssm", "create-document", "--name", "AWS-RestartEC2Instance", "--content", json.dumps(doc()),
              "--document-type", "Automation")
    code, msg = cli_error(p)
    assert code == "ValidationException" and "reserved" in msg


# ---------------------------------------------------------------- versions


def test_update_document_versions_and_default(ssm):
    v1 = doc("version one")
    v2 = doc("version two")
    v3 = doc("version three")
    ssm.create_document(Content=json.dumps(v1), Name="versioned", DocumentType="Automation", VersionName="one",
                        TargetType="/AWS::EC2::Instance")

    r = ssm.update_document(Content=json.dumps(v2), Name="versioned", DocumentVersion="$LATEST", VersionName="two")
    dd = r["DocumentDescription"]
    assert dd["DocumentVersion"] == "2" and dd["LatestVersion"] == "2"
    assert dd["DefaultVersion"] == "1"  # an update never moves the default
    assert dd["VersionName"] == "two"
    assert dd["TargetType"] == "/AWS::EC2::Instance"  # kept from the previous version
    assert dd["Description"] == "version two"

    # the same content again
    with pytest.raises(ClientError) as e:
        ssm.update_document(Content=json.dumps(v2), Name="versioned", DocumentVersion="$LATEST")
    assert error_of(e)[0] == "DuplicateDocumentContent"
    with pytest.raises(ClientError) as e:
        ssm.update_document(Content=json.dumps(v1), Name="versioned")
    assert error_of(e)[0] == "DuplicateDocumentContent"
    # a version name already used
    with pytest.raises(ClientError) as e:
        ssm.update_document(Content=json.dumps(v3), Name="versioned", VersionName="one")
    assert error_of(e)[0] == "DuplicateDocumentVersionName"
    # updates are based on the latest version
    with pytest.raises(ClientError) as e:
        ssm.update_document(Content=json.dumps(v3), Name="versioned", DocumentVersion="1")
    assert error_of(e)[0] == "InvalidDocumentVersion"
    # none of the refused updates made a version
    assert ssm.describe_document(Name="versioned")["Document"]["LatestVersion"] == "2"

    # $DEFAULT (and no version) is 1, $LATEST is 2
    assert ssm.describe_document(Name="versioned")["Document"]["Description"] == "version one"
    assert ssm.describe_document(Name="versioned", DocumentVersion="$LATEST")["Document"]["Description"] == "version two"
    assert ssm.describe_document(Name="versioned", VersionName="two")["Document"]["DocumentVersion"] == "2"
    assert json.loads(ssm.get_document(Name="versioned")["Content"]) == v1
    assert json.loads(ssm.get_document(Name="versioned", DocumentVersion="2")["Content"]) == v2
    assert json.loads(ssm.get_document(Name="versioned", VersionName="one")["Content"]) == v1
    assert yaml.safe_load(ssm.get_document(Name="versioned", VersionName="two", DocumentFormat="YAML")["Content"]) == v2

    r = ssm.update_document_default_version(Name="versioned", DocumentVersion="2")
    assert r["Description"] == {"Name": "versioned", "DefaultVersion": "2", "DefaultVersionName": "two"}
    assert ssm.describe_document(Name="versioned")["Document"]["Description"] == "version two"
    assert ssm.describe_document(Name="versioned")["Document"]["DefaultVersion"] == "2"

    with pytest.raises(ClientError) as e:
        ssm.update_document_default_version(Name="versioned", DocumentVersion="7")
    assert error_of(e)[0] == "InvalidDocumentVersion"
    with pytest.raises(ClientError) as e:
        ssm.describe_document(Name="versioned", DocumentVersion="9")
    assert error_of(e)[0] == "InvalidDocumentVersion"
    with pytest.raises(ClientError) as e:
        ssm.get_document(Name="versioned", VersionName="nope")
    assert error_of(e)[0] == "InvalidDocumentVersion"

    ssm.update_document(Content=json.dumps(v3), Name="versioned", DocumentVersion="2")
    vs = ssm.list_document_versions(Name="versioned")["DocumentVersions"]
    assert [(v["DocumentVersion"], v.get("VersionName"), v["IsDefaultVersion"]) for v in vs] == [
        ("3", None, False),
        ("2", "two", True),
        ("1", "one", False),
    ]
    assert all(v["Name"] == "versioned" and v["DocumentFormat"] == "JSON" and v["Status"] == "Active" for v in vs)


def test_update_changes_format_and_target_type(d, ssm):
    ssm.create_document(Content=json.dumps(doc("json first")), Name="reformatted", DocumentType="Automation")
    y = yaml.safe_dump(doc("yaml second"))
    r = ssm.update_document(Content=y, Name="reformatted", DocumentFormat="YAML", TargetType="/")
    assert r["DocumentDescription"]["DocumentFormat"] == "YAML"
    assert r["DocumentDescription"]["TargetType"] == "/"
    g = ssm.get_document(Name="reformatted", DocumentVersion="2", DocumentFormat="YAML")
    assert g["DocumentFormat"] == "YAML" and g["Content"] == y
    g = ssm.get_document(Name="reformatted", DocumentVersion="1", DocumentFormat="YAML")
    assert yaml.safe_load(g["Content"]) == doc("json first")


def test_update_document_format_defaults_to_json(ssm):
    """UpdateDocument's DocumentFormat: "JSON is the default format" (ssm model), whatever
    the format of the earlier versions."""
    y = yaml.safe_dump(doc("yaml first"))
    ssm.create_document(Content=y, Name="yaml-then-json", DocumentType="Automation", DocumentFormat="YAML")
    r = ssm.update_document(Content=json.dumps(doc("json second")), Name="yaml-then-json")
    assert r["DocumentDescription"]["DocumentFormat"] == "JSON"
    g = ssm.get_document(Name="yaml-then-json", DocumentVersion="2", DocumentFormat="JSON")
    assert json.loads(g["Content"]) == doc("json second")
    # YAML text without DocumentFormat is read as JSON, and refused
    with pytest.raises(ClientError) as e:
        ssm.update_document(Content=yaml.safe_dump(doc("yaml third")), Name="yaml-then-json")
    assert error_of(e)[0] == "InvalidDocumentContent" and "JSON not well-formed" in error_of(e)[1]
    assert ssm.describe_document(Name="yaml-then-json")["Document"]["LatestVersion"] == "2"


def test_yaml_schema_version_may_be_a_plain_number(ssm):
    content = "schemaVersion: 0.3\nmainSteps:\n  - name: nap\n    action: aws:sleep\n    inputs:\n      Duration: PT1S\n"
    r = ssm.create_document(Content=content, Name="plain-number-schema", DocumentType="Automation",
                            DocumentFormat="YAML")
    assert r["DocumentDescription"]["SchemaVersion"] == "0.3"
    assert ssm.get_document(Name="plain-number-schema", DocumentFormat="YAML")["Content"] == content


def test_update_and_describe_unknown_documents(ssm):
    with pytest.raises(ClientError) as e:
        ssm.update_document(Content=json.dumps(doc()), Name="no-such-doc")
    assert error_of(e) == ("InvalidDocument", "The specified document does not exist.")
    with pytest.raises(ClientError) as e:
        ssm.get_document(Name="no-such-doc")
    assert error_of(e)[0] == "InvalidDocument"
    with pytest.raises(ClientError) as e:
        ssm.list_document_versions(Name="no-such-doc")
    assert error_of(e)[0] == "InvalidDocument"


# ---------------------------------------------------------------- AWS-owned runbooks


@pytest.mark.parametrize("name", AWS_DOCS)
def test_aws_owned_runbooks(ssm, name):
    dd = ssm.describe_document(Name=name)["Document"]
    assert dd["Owner"] == "Amazon"
    assert dd["TargetType"] == "/AWS::EC2::Instance"
    assert dd["DocumentType"] == "Automation" and dd["SchemaVersion"] == "0.3"
    assert dd["Status"] == "Active" and dd["DocumentFormat"] == "JSON"
    assert dd["DocumentVersion"] == dd["DefaultVersion"] == dd["LatestVersion"] == "1"
    params = {p["Name"]: p for p in dd["Parameters"]}
    assert params["InstanceId"]["Type"] == "StringList" and "DefaultValue" not in params["InstanceId"]
    assert params["AutomationAssumeRole"]["Type"] == "String" and params["AutomationAssumeRole"]["DefaultValue"] == ""
    content = json.loads(ssm.get_document(Name=name)["Content"])
    assert content["schemaVersion"] == "0.3"
    assert content["assumeRole"] == "{{ AutomationAssumeRole }}"
    steps = [(s["name"], s["action"], s["inputs"].get("DesiredState")) for s in content["mainSteps"]]
    expected = {
        "AWS-RestartEC2Instance": [("stopInstances", "aws:changeInstanceState", "stopped"),
                                   ("startInstances", "aws:changeInstanceState", "running")],
        "AWS-StopEC2Instance": [("stopInstances", "aws:changeInstanceState", "stopped"),
                                ("forceStopInstances", "aws:changeInstanceState", "stopped")],
        "AWS-StartEC2Instance": [("startInstances", "aws:changeInstanceState", "running")],
        "AWS-TerminateEC2Instance": [("terminateInstances", "aws:changeInstanceState", "terminated")],
    }[name]
    assert steps == expected
    assert all(s["inputs"]["InstanceIds"] == "{{ InstanceId }}" for s in content["mainSteps"])
    if name == "AWS-StopEC2Instance":
        assert content["mainSteps"][0]["onFailure"] == "Continue"
        assert content["mainSteps"][1]["inputs"]["Force"] is True
    # in YAML too
    assert yaml.safe_load(ssm.get_document(Name=name, DocumentFormat="YAML")["Content"]) == content


def test_aws_owned_runbooks_cannot_be_changed(d, ssm):
    with pytest.raises(ClientError) as e:
        ssm.update_document(Content=json.dumps(doc()), Name="AWS-RestartEC2Instance")
    assert error_of(e)[0] == "InvalidDocumentOperation"
    with pytest.raises(ClientError) as e:
        ssm.update_document_default_version(Name="AWS-StopEC2Instance", DocumentVersion="1")
    assert error_of(e)[0] == "InvalidDocumentOperation"
    p = d.aws("ssm", "delete-document", "--name", "AWS-RestartEC2Instance")
    assert cli_error(p)[0] == "InvalidDocumentOperation"
    assert ssm.describe_document(Name="AWS-RestartEC2Instance")["Document"]["Owner"] == "Amazon"


def test_aws_owned_runbooks_listed_with_the_cli(d):
    p = d.aws("ssm", "list-documents", "--filters", "Key=Owner,Values=Amazon", check=True)
    ids = {x["Name"]: x for x in p.json["DocumentIdentifiers"]}
    for name in AWS_DOCS:
        assert name in ids, sorted(ids)
        assert ids[name]["Owner"] == "Amazon"
        assert ids[name]["TargetType"] == "/AWS::EC2::Instance"
        assert ids[name]["DocumentType"] == "Automation"
        assert ids[name]["SchemaVersion"] == "0.3"
    assert all(x["Owner"] == "Amazon" for x in ids.values())


# ---------------------------------------------------------------- listing


def test_list_documents_filters_and_pagination(d, ssm):
    made = ["list-%02d" % i for i in range(7)]
    for n in made:
        ssm.create_document(Content=json.dumps(doc(n)), Name=n, DocumentType="Automation",
                            TargetType="/AWS::EC2::Instance" if n.endswith(("0", "2")) else "/")
    mine = own_names(ssm)
    assert set(made) <= set(mine)
    assert len(mine) == len(set(mine)), "a document listed twice across pages"
    assert not [n for n in mine if n.startswith("AWS-")]

    # pages of 3, by hand: every page but the last is full, no repeats, union = all of ours
    seen, kw, pages = [], {}, 0
    while True:
        r = ssm.list_documents(Filters=[{"Key": "Owner", "Values": ["Self"]}, {"Key": "Name", "Values": ["list-"]}],
                               MaxResults=3, **kw)
        pages += 1
        seen += [x["Name"] for x in r["DocumentIdentifiers"]]
        if not r.get("NextToken"):
            break
        assert len(r["DocumentIdentifiers"]) == 3
        kw = {"NextToken": r["NextToken"]}
    assert sorted(seen) == made and pages == 3

    # the legacy DocumentFilterList and the DocumentType filter
    r = ssm.list_documents(DocumentFilterList=[{"key": "Owner", "value": "Self"}, {"key": "Name", "value": "list-0"}])
    assert sorted(x["Name"] for x in r["DocumentIdentifiers"]) == made
    r = ssm.list_documents(Filters=[{"Key": "DocumentType", "Values": ["Automation"]}, {"Key": "Name", "Values": ["list-"]}])
    assert sorted(x["Name"] for x in r["DocumentIdentifiers"]) == made
    r = ssm.list_documents(Filters=[{"Key": "DocumentType", "Values": ["Command"]}])
    assert [x["Name"] for x in r["DocumentIdentifiers"]] == ["AWS-RunShellScript"]
    r = ssm.list_documents(Filters=[{"Key": "TargetType", "Values": ["/AWS::EC2::Instance"]},
                                    {"Key": "Owner", "Values": ["Self"]}, {"Key": "Name", "Values": ["list-"]}])
    assert sorted(x["Name"] for x in r["DocumentIdentifiers"]) == ["list-00", "list-02"]

    # Amazon's documents are not Self's, and vice versa
    amazon = [x["Name"] for x in ssm.list_documents(Filters=[{"Key": "Owner", "Values": ["Amazon"]}])["DocumentIdentifiers"]]
    assert set(AWS_DOCS) <= set(amazon) and not set(made) & set(amazon)
    # no filter: both
    everything = []
    for page in ssm.get_paginator("list_documents").paginate(PaginationConfig={"PageSize": 4}):
        everything += [x["Name"] for x in page["DocumentIdentifiers"]]
    assert set(made) <= set(everything) and set(AWS_DOCS) <= set(everything)
    assert len(everything) == len(set(everything))

    # the CLI paginates by itself
    p = d.aws("ssm", "list-documents", "--filters", "Key=Owner,Values=Self", "Key=Name,Values=list-",
              "--page-size", "2", check=True)
    assert sorted(x["Name"] for x in p.json["DocumentIdentifiers"]) == made
    ident = next(x for x in p.json["DocumentIdentifiers"] if x["Name"] == "list-00")
    assert ident["Owner"] == ACCOUNT and ident["DocumentVersion"] == "1" and ident["DocumentType"] == "Automation"
    assert ident["DocumentFormat"] == "JSON" and ident["TargetType"] == "/AWS::EC2::Instance"

    with pytest.raises(ClientError) as e:
        ssm.list_documents(Filters=[{"Key": "Colour", "Values": ["blue"]}])
    assert error_of(e)[0] == "InvalidFilterKey"
    with pytest.raises(ClientError) as e:
        ssm.list_documents(NextToken="not-a-token")
    assert error_of(e)[0] == "InvalidNextToken"


# ---------------------------------------------------------------- delete


def test_delete_document_and_versions(d, ssm):
    ssm.create_document(Content=json.dumps(doc("a")), Name="doomed", DocumentType="Automation", VersionName="a")
    ssm.update_document(Content=json.dumps(doc("b")), Name="doomed", VersionName="b")
    ssm.update_document(Content=json.dumps(doc("c")), Name="doomed")

    # the default version cannot go on its own
    with pytest.raises(ClientError) as e:
        ssm.delete_document(Name="doomed", DocumentVersion="1")
    assert error_of(e)[0] == "InvalidDocumentOperation"
    # another one can, by number or by version name
    ssm.delete_document(Name="doomed", VersionName="b")
    ssm.delete_document(Name="doomed", DocumentVersion="3")
    assert [v["DocumentVersion"] for v in ssm.list_document_versions(Name="doomed")["DocumentVersions"]] == ["1"]
    with pytest.raises(ClientError) as e:
        ssm.get_document(Name="doomed", DocumentVersion="2")
    assert error_of(e)[0] == "InvalidDocumentVersion"
    # the latest version went: the one left is the latest now, and $LATEST reads it
    assert ssm.describe_document(Name="doomed")["Document"]["LatestVersion"] == "1"
    assert ssm.get_document(Name="doomed", DocumentVersion="$LATEST")["DocumentVersion"] == "1"
    # a deleted version's number is not given out again
    r = ssm.update_document(Content=json.dumps(doc("d")), Name="doomed", DocumentVersion="$LATEST")
    assert r["DocumentDescription"]["DocumentVersion"] == "4"
    assert r["DocumentDescription"]["LatestVersion"] == "4"
    ssm.delete_document(Name="doomed", DocumentVersion="4")

    p = d.aws("ssm", "delete-document", "--name", "doomed")
    assert p.returncode == 0 and p.stdout.strip() == "", (p.stdout, p.stderr)
    assert not exists(ssm, "doomed")
    assert "doomed" not in own_names(ssm)
    with pytest.raises(ClientError) as e:
        ssm.delete_document(Name="doomed")
    assert error_of(e)[0] == "InvalidDocument"

    # the name is free again, and starts over at version 1 with none of the old versions
    r = ssm.create_document(Content=json.dumps(doc("b")), Name="doomed", DocumentType="Automation")
    assert r["DocumentDescription"]["DocumentVersion"] == "1"
    assert len(ssm.list_document_versions(Name="doomed")["DocumentVersions"]) == 1


# ---------------------------------------------------------------- bad input

STOP = {"name": "stop", "action": "aws:changeInstanceState",
        "inputs": {"InstanceIds": ["i-1234567890abcdef0"], "DesiredState": "stopped"}}


def step(name, **kw):
    s = {"name": name, "action": "aws:sleep", "inputs": {"Duration": "PT1S"}}
    s.update(kw)
    return s


BROKEN = [
    # (id, content, format, expected code, parts of the message)
    ("bad-json", '{"schemaVersion": "0.3", "mainSteps": [', "JSON", "InvalidDocumentContent",
     ["JSON not well-formed", "Line: 1"]),
    ("bad-json-trailing", json.dumps(doc()) + " }", "JSON", "InvalidDocumentContent", ["JSON not well-formed"]),
    ("bad-yaml", "schemaVersion: '0.3'\nmainSteps:\n  - name: a\n    action: [aws:sleep\n", "YAML",
     "InvalidDocumentContent", ["YAML not well-formed"]),
    ("not-an-object", "[1, 2, 3]", "JSON", "InvalidDocumentContent", ["must be an object"]),
    # an explicit key behind an explicit value crashed libfyaml (found by fuzz_adoc)
    ("explicit-key-behind-value", "schemaVersion:\n  : ? x\t?:\t:\n", "YAML", "InvalidDocumentContent",
     ["explicit keys"]),
    ("no-schema", json.dumps({"mainSteps": [step("a")]}), "JSON", "InvalidDocumentSchemaVersion",
     ["schema version", "0.3"]),
    ("schema-2.2", json.dumps(doc(schemaVersion="2.2")), "JSON", "InvalidDocumentSchemaVersion", ["2.2"]),
    ("unknown-top-field", json.dumps(doc(colour="blue")), "JSON", "InvalidDocumentContent", ['"colour"']),
    ("unknown-step-field", json.dumps(doc(steps=[step("a", retries=3)])), "JSON", "InvalidDocumentContent",
     ["a", '"retries"']),
    ("unknown-param-attr", json.dumps(doc(params={"P": {"type": "String", "secret": True}})), "JSON",
     "InvalidDocumentContent", ["P", '"secret"']),
    ("unknown-param-type", json.dumps(doc(params={"P": {"type": "Float"}})), "JSON", "InvalidDocumentContent",
     ["P", '"Float"']),
    ("unknown-action", json.dumps(doc(steps=[step("a"), {"name": "run", "action": "aws:executeStateMachine",
                                                           "inputs": {"stateMachineArn": "arn"}}])),
     "JSON", "InvalidDocumentContent", ["aws:executeStateMachine", "run", "not supported"]),
    ("unknown-action-yaml", "schemaVersion: '0.3'\nmainSteps:\n  - name: lambda\n    action: aws:invokeLambdaFunction\n"
     "    inputs:\n      FunctionName: f\n", "YAML", "InvalidDocumentContent", ["aws:invokeLambdaFunction", "lambda"]),
    ("missing-input", json.dumps(doc(steps=[{"name": "stop", "action": "aws:changeInstanceState",
                                             "inputs": {"InstanceIds": ["i-1234567890abcdef0"]}}])),
     "JSON", "InvalidDocumentContent", ["stop", "DesiredState"]),
    ("missing-api-input", json.dumps(doc(steps=[{"name": "call", "action": "aws:executeAwsApi",
                                                 "inputs": {"Service": "ec2"}}])),
     "JSON", "InvalidDocumentContent", ["call", "Api"]),
    ("bad-desired-state", json.dumps(doc(steps=[{"name": "stop", "action": "aws:changeInstanceState",
                                                 "inputs": {"InstanceIds": ["i-1"], "DesiredState": "asleep"}}])),
     "JSON", "InvalidDocumentContent", ["stop", '"asleep"']),
    ("missing-inputs", json.dumps(doc(steps=[{"name": "bare", "action": "aws:sleep"}])), "JSON",
     "InvalidDocumentContent", ["bare", "inputs"]),
    ("missing-main-steps", json.dumps({"schemaVersion": "0.3"}), "JSON", "InvalidDocumentContent", ["mainSteps"]),
    ("duplicate-step", json.dumps(doc(steps=[step("twin"), step("other"), step("twin")])), "JSON",
     "InvalidDocumentContent", ["twin", "unique"]),
    ("dangling-next-step", json.dumps(doc(steps=[step("a", nextStep="ghost"), step("b")])), "JSON",
     "InvalidDocumentContent", ["a", '"ghost"']),
    ("dangling-on-failure", json.dumps(doc(steps=[step("a", onFailure="step:ghost")])), "JSON",
     "InvalidDocumentContent", ["onFailure", '"ghost"']),
    ("bad-on-failure", json.dumps(doc(steps=[step("a", onFailure="Retry")])), "JSON", "InvalidDocumentContent",
     ["a", '"Retry"']),
    ("dangling-branch", json.dumps(doc(steps=[
        {"name": "choose", "action": "aws:branch",
         "inputs": {"Choices": [{"NextStep": "ghost", "Variable": "{{ P }}", "StringEquals": "x"}]}},
        step("b")], params={"P": {"type": "String"}})), "JSON", "InvalidDocumentContent", ["choose", '"ghost"']),
    ("bad-branch-operator", json.dumps(doc(steps=[
        {"name": "choose", "action": "aws:branch",
         "inputs": {"Choices": [{"NextStep": "b", "Variable": "{{ P }}", "StringMatches": "x*"}]}},
        step("b")], params={"P": {"type": "String"}})), "JSON", "InvalidDocumentContent", ["StringMatches", "choose"]),
    ("cycle", json.dumps(doc(steps=[step("a", nextStep="b"), step("b", nextStep="a"), step("c")])), "JSON",
     "InvalidDocumentContent", ["never end", "a", "b"]),
    ("cycle-yaml", "schemaVersion: '0.3'\nmainSteps:\n  - name: loop\n    action: aws:sleep\n    nextStep: loop\n"
     "    inputs:\n      Duration: PT1S\n", "YAML", "InvalidDocumentContent", ["never end", "loop"]),
    ("undeclared-parameter", json.dumps(doc(steps=[{"name": "stop", "action": "aws:changeInstanceState",
                                                    "inputs": {"InstanceIds": "{{ Nope }}", "DesiredState": "stopped"}}])),
     "JSON", "InvalidDocumentContent", ['"Nope"']),
    ("unknown-step-output", json.dumps(doc(steps=[step("a"), {"name": "b", "action": "aws:executeAwsApi",
                                                               "inputs": {"Service": "ec2", "Api": "DescribeInstances",
                                                                          "Filters": "{{ a.Missing }}"}}])),
     "JSON", "InvalidDocumentContent", ["a.Missing"]),
    ("bad-default", json.dumps(doc(params={"N": {"type": "Integer", "default": "many"}})), "JSON",
     "InvalidDocumentContent", ["N", "Integer"]),
    ("bad-pattern", json.dumps(doc(params={"N": {"type": "String", "allowedPattern": "([a-z"}})), "JSON",
     "InvalidDocumentContent", ["N", "allowedPattern"]),
    ("bad-duration", json.dumps(doc(steps=[{"name": "nap", "action": "aws:sleep", "inputs": {"Duration": "ten minutes"}}])),
     "JSON", "InvalidDocumentContent", ["nap", "ten minutes"]),
    ("bad-step-name", json.dumps(doc(steps=[step("has space")])), "JSON", "InvalidDocumentContent", ['"has space"']),
    ("text-format", json.dumps(doc()), "TEXT", "InvalidDocumentContent", []),
]


@pytest.mark.parametrize("case", BROKEN, ids=[c[0] for c in BROKEN])
def test_broken_documents_refused_and_not_stored(ssm, case):
    cid, content, fmt, code, parts = case
    name = "broken-" + cid
    with pytest.raises(ClientError) as e:
        ssm.create_document(Content=content, Name=name, DocumentType="Automation", DocumentFormat=fmt)
    got_code, msg = error_of(e)
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert got_code == code, (got_code, msg)
    for part in parts:
        assert part in msg, (part, msg)
    assert not exists(ssm, name)
    assert name not in own_names(ssm)


def test_broken_update_makes_no_version(d, ssm):
    ssm.create_document(Content=json.dumps(doc("good")), Name="update-me", DocumentType="Automation")
    bad = doc("bad", steps=[step("x", nextStep="x")])
    with pytest.raises(ClientError) as e:
        ssm.update_document(Content=json.dumps(bad), Name="update-me")
    assert error_of(e)[0] == "InvalidDocumentContent" and "never end" in error_of(e)[1]
    # the CLI prints the same
    p = d.aws("ssm", "update-document", "--name", "update-me", "--content",
              json.dumps(doc(steps=[{"name": "r", "action": "aws:runScript", "inputs": {}}])))
    code, msg = cli_error(p)
    assert code == "InvalidDocumentContent" and "aws:runScript" in msg
    dd = ssm.describe_document(Name="update-me")["Document"]
    assert dd["LatestVersion"] == "1" and dd["Description"] == "good"
    assert len(ssm.list_document_versions(Name="update-me")["DocumentVersions"]) == 1


def test_oversize_content_refused(d, ssm):
    big = doc("x" * (64 * 1024 + 10))
    with pytest.raises(ClientError) as e:
        ssm.create_document(Content=json.dumps(big), Name="too-big", DocumentType="Automation")
    assert error_of(e)[0] == "MaxDocumentSizeExceeded"
    assert not exists(ssm, "too-big")
    # just under the limit is fine
    fits = doc("y")
    fits["description"] = "y" * (64 * 1024 - len(json.dumps(fits)) - 10)
    ssm.create_document(Content=json.dumps(fits), Name="just-fits", DocumentType="Automation")
    with pytest.raises(ClientError) as e:
        ssm.update_document(Content=json.dumps(big), Name="just-fits")
    assert error_of(e)[0] == "MaxDocumentSizeExceeded"
    assert ssm.describe_document(Name="just-fits")["Document"]["LatestVersion"] == "1"


def test_broken_document_with_the_cli(d, ssm):
    path = write_tmp("schemaVersion: '0.3'\nmainSteps:\n  - name: one\n    action: aws:sleep\n    inputs: {Duration: PT1S}\n"
                     "  - name: one\n    action: aws:sleep\n    inputs: {Duration: PT1S}\n", ".yaml")
    try:
        p = d.aws("ssm", "create-document", "--name", "cli-broken", "--content", "file://" + path,
                  "--document-type", "Automation", "--document-format", "YAML")
    finally:
        os.unlink(path)
    code, msg = cli_error(p)
    assert code == "InvalidDocumentContent"
    assert "one" in msg and "unique" in msg
    assert not exists(ssm, "cli-broken")
