"""CloudFormation's AWS::SSM::MaintenanceWindow, MaintenanceWindowTarget,
MaintenanceWindowTask and PatchBaseline (issue 13): create, Ref and GetAtt, update in place
or by replacement as AWS's resource docs say, rollback of a failed stack leaving nothing,
delete; each checked through Systems Manager's own Get/Describe calls."""

import json

import pytest

from conftest import Daemon
from helpers import fails, serve, wait_for


@pytest.fixture(scope="module")
def d():
    yield from serve(Daemon())


@pytest.fixture(scope="module")
def cf(d):
    return d.client("cloudformation")


@pytest.fixture(scope="module")
def ssm(d):
    return d.client("ssm")


def template(duration=4, description="nightly patching", owner="ops", baseline_desc="AL baseline", priority="3",
             extra=None):
    t = {
        "Resources": {
            "Window": {
                "Type": "AWS::SSM::MaintenanceWindow",
                "Properties": {
                    "Name": "cfn-window",
                    "Description": description,
                    "Schedule": "cron(0 2 ? * SUN *)",
                    "Duration": str(duration),  # text, as templates often write it
                    "Cutoff": 1,
                    "AllowUnassociatedTargets": "false",
                },
            },
            "Target": {
                "Type": "AWS::SSM::MaintenanceWindowTarget",
                "Properties": {
                    "WindowId": {"Ref": "Window"},
                    "ResourceType": "INSTANCE",
                    "Targets": [{"Key": "tag:Patch", "Values": ["yes"]}],
                    "OwnerInformation": owner,
                },
            },
            "Task": {
                "Type": "AWS::SSM::MaintenanceWindowTask",
                "Properties": {
                    "WindowId": {"Ref": "Window"},
                    "TaskArn": "AWS-RunPatchBaseline",
                    "TaskType": "RUN_COMMAND",
                    "Priority": priority,
                    "MaxConcurrency": 2,
                    "MaxErrors": 0,
                    "Targets": [{"Key": "WindowTargetIds", "Values": [{"Ref": "Target"}]}],
                    "TaskInvocationParameters": {
                        "MaintenanceWindowRunCommandParameters": {
                            "Parameters": {"Operation": ["Scan"]},
                            "TimeoutSeconds": 600,
                        }
                    },
                    "LoggingInfo": {"S3Bucket": "patch-logs", "Region": "us-east-1"},
                },
            },
            "Baseline": {
                "Type": "AWS::SSM::PatchBaseline",
                "Properties": {
                    "Name": "cfn-baseline",
                    "OperatingSystem": "AMAZON_LINUX_2",
                    "Description": baseline_desc,
                    "ApprovalRules": {
                        "PatchRules": [
                            {
                                "ApproveAfterDays": "7",
                                "EnableNonSecurity": "true",
                                "PatchFilterGroup": {"PatchFilters": [{"Key": "CLASSIFICATION", "Values": ["Security"]}]},
                            }
                        ]
                    },
                },
            },
        },
        "Outputs": {
            "WindowId": {"Value": {"Ref": "Window"}},
            "WindowAttr": {"Value": {"Fn::GetAtt": ["Window", "WindowId"]}},
            "TargetId": {"Value": {"Ref": "Target"}},
            "TaskId": {"Value": {"Ref": "Task"}},
            "BaselineId": {"Value": {"Ref": "Baseline"}},
        },
    }
    if extra:
        t["Resources"].update(extra)
    return json.dumps(t)


def settle(cf, name):
    def done():
        s = cf.describe_stacks(StackName=name)["Stacks"][0]
        return s if not s["StackStatus"].endswith("_IN_PROGRESS") else None

    return wait_for(done, 30, "stack %s to settle" % name)


def outputs(s):
    return {o["OutputKey"]: o["OutputValue"] for o in s.get("Outputs", [])}


def test_create_update_delete(cf, ssm):
    cf.create_stack(StackName="mw", TemplateBody=template())
    s = settle(cf, "mw")
    assert s["StackStatus"] == "CREATE_COMPLETE", s.get("StackStatusReason")
    out = outputs(s)
    wid = out["WindowId"]
    assert wid.startswith("mw-") and out["WindowAttr"] == wid
    w = ssm.get_maintenance_window(WindowId=wid)
    assert (w["Name"], w["Duration"], w["Cutoff"], w["AllowUnassociatedTargets"]) == ("cfn-window", 4, 1, False)
    targets = ssm.describe_maintenance_window_targets(WindowId=wid)["Targets"]
    assert [(t["WindowTargetId"], t["OwnerInformation"]) for t in targets] == [(out["TargetId"], "ops")]
    task = ssm.get_maintenance_window_task(WindowId=wid, WindowTaskId=out["TaskId"])
    assert task["Priority"] == 3 and task["MaxConcurrency"] == "2" and task["MaxErrors"] == "0"
    assert task["Targets"] == [{"Key": "WindowTargetIds", "Values": [out["TargetId"]]}]
    assert task["TaskInvocationParameters"] == {
        "RunCommand": {"Parameters": {"Operation": ["Scan"]}, "TimeoutSeconds": 600}
    }
    assert task["LoggingInfo"] == {"S3BucketName": "patch-logs", "S3Region": "us-east-1"}
    pb = ssm.get_patch_baseline(BaselineId=out["BaselineId"])
    assert pb["OperatingSystem"] == "AMAZON_LINUX_2"
    assert pb["ApprovalRules"]["PatchRules"][0]["ApproveAfterDays"] == 7
    assert pb["ApprovalRules"]["PatchRules"][0]["EnableNonSecurity"] is True

    # all in place, as AWS's resource reference says: the window's Duration and Description,
    # the target's OwnerInformation, the task's Priority, the baseline's Description
    cf.update_stack(StackName="mw", TemplateBody=template(duration=6, description="weekly", owner="sre",
                                                            baseline_desc="changed", priority=5))
    s = settle(cf, "mw")
    assert s["StackStatus"] == "UPDATE_COMPLETE", s.get("StackStatusReason")
    out2 = outputs(s)
    assert out2["WindowId"] == wid and out2["BaselineId"] == out["BaselineId"]
    w = ssm.get_maintenance_window(WindowId=wid)
    assert (w["Duration"], w["Description"]) == (6, "weekly")
    assert ssm.get_patch_baseline(BaselineId=out["BaselineId"])["Description"] == "changed"
    assert out2["TargetId"] == out["TargetId"] and out2["TaskId"] == out["TaskId"]
    targets = ssm.describe_maintenance_window_targets(WindowId=wid)["Targets"]
    assert [(t["WindowTargetId"], t["OwnerInformation"]) for t in targets] == [(out["TargetId"], "sre")]
    tasks = ssm.describe_maintenance_window_tasks(WindowId=wid)["Tasks"]
    assert [(t["WindowTaskId"], t["Priority"], t["Type"]) for t in tasks] == [(out["TaskId"], 5, "RUN_COMMAND")]
    assert tasks[0]["LoggingInfo"] == {"S3BucketName": "patch-logs", "S3Region": "us-east-1"}

    cf.delete_stack(StackName="mw")
    wait_for(lambda: not [x for x in cf.list_stacks()["StackSummaries"]
                          if x["StackName"] == "mw" and x["StackStatus"] != "DELETE_COMPLETE"],
             30, "the stack to be deleted")
    assert fails(ssm.get_maintenance_window, WindowId=wid)[0] == "DoesNotExistException"
    assert fails(ssm.get_patch_baseline, BaselineId=out["BaselineId"])[0] == "DoesNotExistException"


def test_failed_create_rolls_back_everything(cf, ssm):
    before_w = ssm.describe_maintenance_windows()["WindowIdentities"]
    before_b = ssm.describe_patch_baselines()["BaselineIdentities"]
    bad = {
        "Broken": {
            "Type": "AWS::SSM::MaintenanceWindow",
            "DependsOn": ["Task", "Baseline"],
            "Properties": {"Name": "broken", "Schedule": "every night", "Duration": 2, "Cutoff": 1,
                           "AllowUnassociatedTargets": False},
        }
    }
    cf.create_stack(StackName="mw-bad", TemplateBody=template(extra=bad))
    s = settle(cf, "mw-bad")
    assert s["StackStatus"] == "ROLLBACK_COMPLETE"
    ev = cf.describe_stack_events(StackName="mw-bad")["StackEvents"]
    failed = [e for e in ev if e["LogicalResourceId"] == "Broken" and e["ResourceStatus"] == "CREATE_FAILED"]
    assert failed and "Schedule expression every night is not valid." in failed[0]["ResourceStatusReason"]
    assert ssm.describe_maintenance_windows()["WindowIdentities"] == before_w
    assert ssm.describe_patch_baselines()["BaselineIdentities"] == before_b


def test_required_property(cf):
    t = {"Resources": {"W": {"Type": "AWS::SSM::MaintenanceWindow",
                             "Properties": {"Name": "x-window", "Duration": 2, "Cutoff": 1,
                                            "AllowUnassociatedTargets": True}}}}
    cf.create_stack(StackName="mw-req", TemplateBody=json.dumps(t))
    s = settle(cf, "mw-req")
    assert s["StackStatus"] == "ROLLBACK_COMPLETE"
    ev = cf.describe_stack_events(StackName="mw-req")["StackEvents"]
    assert any(e.get("ResourceStatusReason") == "Property Schedule cannot be empty." for e in ev)
