"""CloudFormation's AWS::SSM::Parameter (issue 13): PutParameter with the template's
properties (a generated CFN-<logical id>-<random> name when Name is left out), Ref (the name) and Fn::GetAtt Type / Value, Value and Description changed in place (a
new version), a new Name a replacement, delete, and a later failure rolling back exactly
what the stack made or changed."""

import json
import re

import pytest

from cfn_helpers import create, delete, failures, outputs, stack, update
from conftest import Daemon
from helpers import fails, serve


@pytest.fixture(scope="module")
def d():
    yield from serve(Daemon())


@pytest.fixture(scope="module")
def cf(d):
    return d.client("cloudformation")


@pytest.fixture(scope="module")
def ssm(d):
    return d.client("ssm")


def template(value="v1", desc="first", name=None, breaker=False):
    props = {"Type": "String", "Value": value, "Description": desc, "Tags": {"team": "blue"}}
    t = {
        "Resources": {
            "Gen": {"Type": "AWS::SSM::Parameter", "Properties": props},
            "Named": {"Type": "AWS::SSM::Parameter", "Properties": {
                "Name": name or "/app/endpoint", "Type": "String", "Value": {"Fn::GetAtt": ["Gen", "Value"]}}},
        },
        "Outputs": {
            "Gen": {"Value": {"Ref": "Gen"}},
            "GenType": {"Value": {"Fn::GetAtt": ["Gen", "Type"]}},
            "GenValue": {"Value": {"Fn::GetAtt": ["Gen", "Value"]}},
            "Named": {"Value": {"Ref": "Named"}},
        },
    }
    if breaker:
        t["Resources"]["Breaker"] = {"Type": "AWS::SSM::Parameter", "DependsOn": "Named",
                                     "Properties": {"Type": "NoSuchType", "Value": "x"}}
    return json.dumps(t)


def test_parameter_create_update_replace_delete(cf, ssm):
    out = outputs(create(cf, "params", template()))
    gen = out["Gen"]
    assert re.fullmatch(r"CFN-Gen-[A-Z0-9]{12}", gen), gen
    assert (out["GenType"], out["GenValue"], out["Named"]) == ("String", "v1", "/app/endpoint")
    p = ssm.get_parameter(Name=gen)["Parameter"]
    assert (p["Value"], p["Version"]) == ("v1", 1)
    assert ssm.get_parameter(Name="/app/endpoint")["Parameter"]["Value"] == "v1"

    # in place: a new version of the same parameter
    out2 = outputs(update(cf, "params", template(value="v2", desc="second")))
    assert out2["Gen"] == gen and out2["GenValue"] == "v2"
    p = ssm.get_parameter(Name=gen)["Parameter"]
    assert (p["Value"], p["Version"]) == ("v2", 2)
    assert ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [gen]}])["Parameters"][0][
        "Description"] == "second"
    assert ssm.get_parameter(Name="/app/endpoint")["Parameter"]["Value"] == "v2"

    # replacement: a new Name; the old parameter goes in the cleanup
    out3 = outputs(update(cf, "params", template(value="v2", desc="second", name="/app/endpoint2")))
    assert out3["Named"] == "/app/endpoint2"
    assert fails(ssm.get_parameter, Name="/app/endpoint")[0] == "ParameterNotFound"
    assert ssm.get_parameter(Name="/app/endpoint2")["Parameter"]["Value"] == "v2"

    delete(cf, "params")
    for n in (gen, "/app/endpoint2"):
        assert fails(ssm.get_parameter, Name=n)[0] == "ParameterNotFound"


def test_parameter_rollbacks(cf, ssm):
    before = {p["Name"] for p in ssm.describe_parameters()["Parameters"]}
    create(cf, "prb", template(name="/rb/one", breaker=True), status="ROLLBACK_COMPLETE")
    assert "Breaker" in failures(cf, "prb")
    assert {p["Name"] for p in ssm.describe_parameters()["Parameters"]} == before
    out = outputs(create(cf, "pup", template(name="/rb/two")))
    update(cf, "pup", template(value="changed", name="/rb/three", breaker=True), status="UPDATE_ROLLBACK_COMPLETE")
    assert ssm.get_parameter(Name=out["Gen"])["Parameter"]["Value"] == "v1"
    assert ssm.get_parameter(Name="/rb/two")["Parameter"]["Value"] == "v1"
    assert fails(ssm.get_parameter, Name="/rb/three")[0] == "ParameterNotFound"
    assert outputs(stack(cf, "pup")) == out
    delete(cf, "pup")
