"""Small EC2 instance operations tools call (issue 14): MonitorInstances and
UnmonitorInstances (Monitoring.State in DescribeInstances), ModifyInstanceMetadataOptions
(MetadataOptions), GetConsoleOutput; DryRun, unknown instances and bad values refused with
EC2's errors and nothing changed. Through boto3 and the AWS CLI."""

import json

import pytest
from botocore.exceptions import ClientError

from conftest import Daemon
from helpers import AMI, serve, wait_for


@pytest.fixture(scope="module")
def d():
    yield from serve(Daemon(args=["--ec2-delay-ms", "0"]))


@pytest.fixture(scope="module")
def ec2(d):
    return d.client("ec2")


def launch(ec2):
    iid = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, InstanceType="t3.micro")["Instances"][0]["InstanceId"]
    wait_for(lambda: describe(ec2, iid)["State"]["Name"] == "running", 20, "running")
    return iid


def describe(ec2, iid):
    return ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]


def error(fn, **kw):
    with pytest.raises(ClientError) as e:
        fn(**kw)
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]


def test_monitoring_on_and_off(d, ec2):
    iid = launch(ec2)
    assert describe(ec2, iid)["Monitoring"]["State"] == "disabled"
    out = ec2.monitor_instances(InstanceIds=[iid])["InstanceMonitorings"]
    assert out == [{"InstanceId": iid, "Monitoring": {"State": "pending"}}]
    assert describe(ec2, iid)["Monitoring"]["State"] == "enabled"
    r = d.aws("ec2", "unmonitor-instances", "--instance-ids", iid)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["InstanceMonitorings"][0]["Monitoring"]["State"] == "disabling"
    assert describe(ec2, iid)["Monitoring"]["State"] == "disabled"
    code, _ = error(ec2.monitor_instances, InstanceIds=[iid], DryRun=True)
    assert code == "DryRunOperation"
    assert describe(ec2, iid)["Monitoring"]["State"] == "disabled"
    code, msg = error(ec2.monitor_instances, InstanceIds=["i-0123456789abcdef0"])
    assert code == "InvalidInstanceID.NotFound" and "i-0123456789abcdef0" in msg


def test_metadata_options(ec2):
    iid = launch(ec2)
    out = ec2.modify_instance_metadata_options(InstanceId=iid, HttpTokens="required", HttpPutResponseHopLimit=2)
    assert out["InstanceId"] == iid
    opts = out["InstanceMetadataOptions"]
    assert (opts["State"], opts["HttpTokens"], opts["HttpPutResponseHopLimit"], opts["HttpEndpoint"]) == (
        "pending", "required", 2, "enabled")
    shown = describe(ec2, iid)["MetadataOptions"]
    assert (shown["State"], shown["HttpTokens"], shown["HttpPutResponseHopLimit"]) == ("applied", "required", 2)
    code, _ = error(ec2.modify_instance_metadata_options, InstanceId=iid, HttpPutResponseHopLimit=65)
    assert code == "InvalidParameterValue"
    code, _ = error(ec2.modify_instance_metadata_options, InstanceId=iid, HttpTokens="sometimes")
    assert code == "InvalidParameterValue"
    ec2.modify_instance_metadata_options(InstanceId=iid, HttpEndpoint="disabled")
    shown = describe(ec2, iid)["MetadataOptions"]
    assert (shown["HttpEndpoint"], shown["HttpTokens"], shown["HttpPutResponseHopLimit"]) == ("disabled", "required", 2)


def test_console_output(d, ec2):
    iid = launch(ec2)
    out = ec2.get_console_output(InstanceId=iid)
    assert out["InstanceId"] == iid and "Timestamp" in out and "Output" not in out
    r = d.aws("ec2", "get-console-output", "--instance-id", iid)
    assert r.returncode == 0, r.stderr
    code, _ = error(ec2.get_console_output, InstanceId="i-0123456789abcdef0")
    assert code == "InvalidInstanceID.NotFound"
