"""Systems Manager maintenance windows and patch baselines through real clients (issue 13:
what the EC2 reference architecture's AWS::SSM resources stand on).

CreateMaintenanceWindow / Get / Describe (filters, keyset paging) / Update (Replace) /
Delete; targets and tasks registered, described, deregistered (Safe and TargetInUse);
schedule expressions, Duration and Cutoff checked as AWS checks them; ClientToken
idempotency; the patch baseline operations. Shapes and codes from the botocore ssm model.
"""

import pytest

from conftest import Daemon
from helpers import cli_error, error_of, serve


@pytest.fixture(scope="module")
def d():
    yield from serve(Daemon())


@pytest.fixture(scope="module")
def ssm(d):
    return d.client("ssm")


def window(ssm, name="nightly", schedule="cron(0 2 ? * SUN *)", duration=4, cutoff=1, **kw):
    return ssm.create_maintenance_window(
        Name=name, Schedule=schedule, Duration=duration, Cutoff=cutoff, AllowUnassociatedTargets=False, **kw
    )["WindowId"]


def test_window_lifecycle(ssm):
    wid = window(ssm, Description="patching", ScheduleTimezone="Europe/Berlin", ScheduleOffset=2)
    assert wid.startswith("mw-") and len(wid) == 20
    got = ssm.get_maintenance_window(WindowId=wid)
    assert got["Name"] == "nightly" and got["Schedule"] == "cron(0 2 ? * SUN *)"
    assert got["Duration"] == 4 and got["Cutoff"] == 1 and got["Enabled"] is True
    assert got["AllowUnassociatedTargets"] is False and got["ScheduleOffset"] == 2
    assert got["CreatedDate"] and got["ModifiedDate"]

    up = ssm.update_maintenance_window(WindowId=wid, Enabled=False, Duration=6)
    assert up["Enabled"] is False and up["Duration"] == 6 and up["Description"] == "patching"
    # Replace clears the optional members the request leaves out
    up = ssm.update_maintenance_window(
        WindowId=wid,
        Name="nightly2",
        Schedule="rate(2 days)",
        Duration=3,
        Cutoff=0,
        AllowUnassociatedTargets=True,
        Replace=True,
    )
    assert "Description" not in up and "ScheduleOffset" not in up and up["Name"] == "nightly2"

    assert ssm.delete_maintenance_window(WindowId=wid)["WindowId"] == wid
    e = error_of(pytest.raises(Exception, ssm.get_maintenance_window, WindowId=wid).value)
    assert e[0] == "DoesNotExistException" and wid in e[1]
    # deleting again answers as AWS does: the id, no error
    assert ssm.delete_maintenance_window(WindowId=wid)["WindowId"] == wid


@pytest.mark.parametrize(
    "schedule",
    [
        "cron(0 2 * * * *)",  # neither day field is ?
        "cron(0 2 ? * SUN)",  # five fields
        "cron(61 2 ? * SUN *)",
        "cron(0 2 ? * FUNDAY *)",
        "rate(5 minutes)",
        "rate(1 days)",
        "every day",
        "at(2030-13-01)",
    ],
)
def test_bad_schedules_refused(ssm, schedule):
    e = error_of(pytest.raises(Exception, window, ssm, schedule=schedule).value)
    assert e[0] == "ValidationException" and schedule in e[1]


@pytest.mark.parametrize(
    "schedule",
    ["cron(* 17 * * ? *)", "cron(30 23 ? * TUE#3 *)", "cron(0/15 1-3 L * ? 2030)", "rate(1 day)", "at(2030-07-07T15:55:00)"],
)
def test_good_schedules_kept(ssm, schedule):
    wid = window(ssm, schedule=schedule)
    assert ssm.get_maintenance_window(WindowId=wid)["Schedule"] == schedule
    ssm.delete_maintenance_window(WindowId=wid)


def test_duration_and_cutoff(ssm):
    e = error_of(pytest.raises(Exception, window, ssm, duration=2, cutoff=2).value)
    assert e[0] == "ValidationException" and "less than the duration" in e[1]
    e = error_of(pytest.raises(Exception, window, ssm, duration=25, cutoff=1).value)
    assert e[0] == "ValidationException" and "duration" in e[1]
    e = error_of(pytest.raises(Exception, window, ssm, schedule="rate(2 days)", ScheduleOffset=1).value)
    assert e[0] == "ValidationException" and "cron" in e[1]


def test_client_token(ssm):
    a = window(ssm, name="tok", ClientToken="t-1")
    assert window(ssm, name="tok", ClientToken="t-1") == a
    e = error_of(pytest.raises(Exception, window, ssm, name="other", ClientToken="t-1").value)
    assert e[0] == "IdempotentParameterMismatch"
    ssm.delete_maintenance_window(WindowId=a)


def test_describe_filters_and_paging(ssm):
    ids = [window(ssm, name="page-%02d" % i) for i in range(12)]
    ssm.update_maintenance_window(WindowId=ids[3], Enabled=False)
    seen, token = [], None
    while True:
        kw = {"NextToken": token} if token else {}
        out = ssm.describe_maintenance_windows(MaxResults=10, **kw)
        seen += [w["WindowId"] for w in out["WindowIdentities"]]
        token = out.get("NextToken")
        if not token:
            break
    assert [i for i in seen if i in ids] == ids
    off = ssm.describe_maintenance_windows(Filters=[{"Key": "Enabled", "Values": ["false"]}])["WindowIdentities"]
    assert [w["WindowId"] for w in off] == [ids[3]]
    named = ssm.describe_maintenance_windows(Filters=[{"Key": "Name", "Values": ["page-05"]}])["WindowIdentities"]
    assert [w["WindowId"] for w in named] == [ids[5]] and named[0]["Duration"] == 4
    e = error_of(
        pytest.raises(Exception, ssm.describe_maintenance_windows, Filters=[{"Key": "Colour", "Values": ["x"]}]).value
    )
    assert e[0] == "ValidationException"
    e = error_of(pytest.raises(Exception, ssm.describe_maintenance_windows, NextToken="garbage").value)
    assert e[0] == "InvalidNextToken"
    for i in ids:
        ssm.delete_maintenance_window(WindowId=i)


def test_targets_and_tasks(ssm):
    wid = window(ssm, name="regs")
    tid = ssm.register_target_with_maintenance_window(
        WindowId=wid,
        ResourceType="INSTANCE",
        Targets=[{"Key": "tag:Patch", "Values": ["yes"]}],
        OwnerInformation="ops",
        Name="tagged",
    )["WindowTargetId"]
    assert len(tid) == 36
    ts = ssm.describe_maintenance_window_targets(WindowId=wid)["Targets"]
    assert ts == [
        {
            "WindowId": wid,
            "WindowTargetId": tid,
            "ResourceType": "INSTANCE",
            "Targets": [{"Key": "tag:Patch", "Values": ["yes"]}],
            "OwnerInformation": "ops",
            "Name": "tagged",
        }
    ]
    e = error_of(
        pytest.raises(
            Exception,
            ssm.register_target_with_maintenance_window,
            WindowId=wid,
            ResourceType="INSTANCE",
            Targets=[{"Key": "resource-groups:Name", "Values": ["g"]}],
        ).value
    )
    assert e[0] == "ValidationException"

    task = ssm.register_task_with_maintenance_window(
        WindowId=wid,
        TaskArn="AWS-RunPatchBaseline",
        TaskType="RUN_COMMAND",
        Targets=[{"Key": "WindowTargetIds", "Values": [tid]}],
        TaskParameters={"Operation": {"Values": ["Scan"]}},
        MaxConcurrency="1",
        MaxErrors="1",
        Priority=2,
    )["WindowTaskId"]
    tasks = ssm.describe_maintenance_window_tasks(WindowId=wid)["Tasks"]
    assert len(tasks) == 1 and tasks[0]["Type"] == "RUN_COMMAND" and tasks[0]["Priority"] == 2
    assert tasks[0]["TaskParameters"] == {"Operation": {"Values": ["Scan"]}}
    got = ssm.get_maintenance_window_task(WindowId=wid, WindowTaskId=task)
    assert got["TaskType"] == "RUN_COMMAND" and got["CutoffBehavior"] == "CONTINUE_TASK"
    assert ssm.describe_maintenance_window_tasks(WindowId=wid, Filters=[{"Key": "Priority", "Values": ["1"]}])["Tasks"] == []

    # a task naming a target that is not the window's
    e = error_of(
        pytest.raises(
            Exception,
            ssm.register_task_with_maintenance_window,
            WindowId=wid,
            TaskArn="AWS-RunPatchBaseline",
            TaskType="RUN_COMMAND",
            Targets=[{"Key": "WindowTargetIds", "Values": ["00000000-0000-0000-0000-000000000000"]}],
        ).value
    )
    assert e[0] == "DoesNotExistException"

    # updates: the members given change; with Replace the others are cleared
    up = ssm.update_maintenance_window_target(WindowId=wid, WindowTargetId=tid, OwnerInformation="sre")
    assert up["OwnerInformation"] == "sre" and up["Name"] == "tagged" and "ResourceType" not in up
    up = ssm.update_maintenance_window_target(
        WindowId=wid, WindowTargetId=tid, Targets=[{"Key": "tag:Patch", "Values": ["now"]}], Replace=True)
    assert up["Targets"] == [{"Key": "tag:Patch", "Values": ["now"]}] and "Name" not in up
    e = error_of(pytest.raises(Exception, ssm.update_maintenance_window_target, WindowId=wid,
                               WindowTargetId=tid, Replace=True).value)
    assert e[0] == "ValidationException" and "Targets" in e[1]
    up = ssm.update_maintenance_window_task(WindowId=wid, WindowTaskId=task, Priority=7, MaxErrors="2")
    assert (up["Priority"], up["MaxErrors"], up["MaxConcurrency"], up["TaskArn"]) == (7, "2", "1", "AWS-RunPatchBaseline")
    assert ssm.get_maintenance_window_task(WindowId=wid, WindowTaskId=task)["TaskType"] == "RUN_COMMAND"
    e = error_of(pytest.raises(Exception, ssm.update_maintenance_window_task, WindowId=wid,
                               WindowTaskId="00000000-0000-0000-0000-000000000000", Priority=1).value)
    assert e[0] == "DoesNotExistException"

    # Safe: a target a task uses stays
    e = error_of(
        pytest.raises(
            Exception, ssm.deregister_target_from_maintenance_window, WindowId=wid, WindowTargetId=tid, Safe=True
        ).value
    )
    assert e[0] == "TargetInUseException"
    out = ssm.deregister_task_from_maintenance_window(WindowId=wid, WindowTaskId=task)
    assert out == {"WindowId": wid, "WindowTaskId": task, "ResponseMetadata": out["ResponseMetadata"]}
    ssm.deregister_target_from_maintenance_window(WindowId=wid, WindowTargetId=tid, Safe=True)
    assert ssm.describe_maintenance_window_targets(WindowId=wid)["Targets"] == []
    e = error_of(
        pytest.raises(Exception, ssm.deregister_task_from_maintenance_window, WindowId=wid, WindowTaskId=task).value
    )
    assert e[0] == "DoesNotExistException"
    ssm.delete_maintenance_window(WindowId=wid)
    e = error_of(pytest.raises(Exception, ssm.describe_maintenance_window_tasks, WindowId=wid).value)
    assert e[0] == "DoesNotExistException"


def test_delete_window_drops_registrations(d, ssm):
    wid = window(ssm, name="gone")
    ssm.register_target_with_maintenance_window(
        WindowId=wid, ResourceType="INSTANCE", Targets=[{"Key": "InstanceIds", "Values": ["i-0123456789abcdef0"]}]
    )
    ssm.delete_maintenance_window(WindowId=wid)
    wid2 = window(ssm, name="gone")
    assert ssm.describe_maintenance_window_targets(WindowId=wid2)["Targets"] == []
    ssm.delete_maintenance_window(WindowId=wid2)


def test_window_cli(d):
    p = d.aws(
        "ssm", "create-maintenance-window", "--name", "cli-window", "--schedule", "cron(0 3 ? * MON *)",
        "--duration", "2", "--cutoff", "1", "--no-allow-unassociated-targets", check=True,
    )
    wid = p.json["WindowId"]
    p = d.aws("ssm", "get-maintenance-window", "--window-id", wid, check=True)
    assert p.json["Name"] == "cli-window"
    p = d.aws("ssm", "get-maintenance-window", "--window-id", "mw-0123456789abcdef0")
    assert cli_error(p)[0] == "DoesNotExistException"
    d.aws("ssm", "delete-maintenance-window", "--window-id", wid, check=True)


def test_patch_baseline_lifecycle(d, ssm):
    rules = {
        "PatchRules": [
            {
                "ApproveAfterDays": 0,
                "ComplianceLevel": "CRITICAL",
                "EnableNonSecurity": True,
                "PatchFilterGroup": {
                    "PatchFilters": [
                        {"Key": "PRODUCT", "Values": ["AmazonLinux2017.09"]},
                        {"Key": "CLASSIFICATION", "Values": ["Security", "Bugfix"]},
                    ]
                },
            }
        ]
    }
    bid = ssm.create_patch_baseline(
        Name="al-baseline", OperatingSystem="AMAZON_LINUX", ApprovalRules=rules, Description="d"
    )["BaselineId"]
    assert bid.startswith("pb-")
    got = ssm.get_patch_baseline(BaselineId=bid)
    assert got["Name"] == "al-baseline" and got["OperatingSystem"] == "AMAZON_LINUX"
    assert got["ApprovalRules"] == rules and got["PatchGroups"] == []
    assert got["RejectedPatchesAction"] == "ALLOW_AS_DEPENDENCY"
    assert got["ApprovedPatchesComplianceLevel"] == "UNSPECIFIED"
    # AWS's default OS is WINDOWS
    win = ssm.create_patch_baseline(Name="win-baseline", ApprovedPatches=["KB123"])["BaselineId"]
    assert ssm.get_patch_baseline(BaselineId=win)["OperatingSystem"] == "WINDOWS"

    ids = ssm.describe_patch_baselines(Filters=[{"Key": "NAME_PREFIX", "Values": ["al-"]}])["BaselineIdentities"]
    assert ids == [
        {
            "BaselineId": bid,
            "BaselineName": "al-baseline",
            "OperatingSystem": "AMAZON_LINUX",
            "BaselineDescription": "d",
            "DefaultBaseline": False,
        }
    ]
    page = ssm.describe_patch_baselines(MaxResults=1)
    assert len(page["BaselineIdentities"]) == 1 and page["NextToken"]

    up = ssm.update_patch_baseline(BaselineId=bid, Description="new", RejectedPatches=["kernel"])
    assert up["Description"] == "new" and up["RejectedPatches"] == ["kernel"] and "PatchGroups" not in up
    up = ssm.update_patch_baseline(BaselineId=bid, ApprovedPatches=["openssl"], Replace=True)
    assert up["RejectedPatches"] == [] and "Description" not in up and "ApprovalRules" not in up

    e = error_of(
        pytest.raises(
            Exception,
            ssm.create_patch_baseline,
            Name="both",
            ApprovalRules={
                "PatchRules": [
                    {
                        "ApproveAfterDays": 1,
                        "ApproveUntilDate": "2030-01-01",
                        "PatchFilterGroup": {"PatchFilters": [{"Key": "PRODUCT", "Values": ["x"]}]},
                    }
                ]
            },
        ).value
    )
    assert e[0] == "ValidationException"
    e = error_of(pytest.raises(Exception, ssm.get_patch_baseline, BaselineId="pb-0123456789abcdef0").value)
    assert e[0] == "DoesNotExistException"

    assert ssm.delete_patch_baseline(BaselineId=bid)["BaselineId"] == bid
    e = error_of(pytest.raises(Exception, ssm.get_patch_baseline, BaselineId=bid).value)
    assert e[0] == "DoesNotExistException"
    p = d.aws("ssm", "get-patch-baseline", "--baseline-id", win, check=True)
    assert p.json["ApprovedPatches"] == ["KB123"]
    d.aws("ssm", "delete-patch-baseline", "--baseline-id", win, check=True)
