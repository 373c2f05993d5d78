"""Helpers the CloudFormation resource type tests share: a stack's description, waiting
until it settles, its outputs and resources, and the statuses and reasons of its events.
Imported by name, like helpers.py."""

from helpers import wait_for


def stack(cf, name):
    return cf.describe_stacks(StackName=name)["Stacks"][0]


def settle(cf, name, timeout=30):
    """Polls until the stack's status no longer ends in _IN_PROGRESS; returns the stack."""
    return wait_for(
        lambda: (lambda s: s if not s["StackStatus"].endswith("_IN_PROGRESS") else None)(stack(cf, name)),
        timeout,
        "stack %s to settle" % name,
    )


def outputs(s):
    return {o["OutputKey"]: o["OutputValue"] for o in s.get("Outputs", [])}


def resources(cf, name):
    """{logical id: StackResourceSummary} of the stack."""
    return {r["LogicalResourceId"]: r for r in cf.list_stack_resources(StackName=name)["StackResourceSummaries"]}


def failures(cf, name):
    """{logical id: reason} of the resources' *_FAILED events."""
    out = {}
    for e in cf.describe_stack_events(StackName=name)["StackEvents"]:
        if e["ResourceStatus"].endswith("_FAILED") and e["LogicalResourceId"] != name:
            out.setdefault(e["LogicalResourceId"], e.get("ResourceStatusReason", ""))
    return out


def create(cf, name, body, status="CREATE_COMPLETE", **kw):
    """Creates stack name from body (a template's text) and waits; asserts its final status."""
    cf.create_stack(StackName=name, TemplateBody=body, **kw)
    s = settle(cf, name)
    assert s["StackStatus"] == status, (s["StackStatus"], s.get("StackStatusReason"), failures(cf, name))
    return s


def update(cf, name, body, status="UPDATE_COMPLETE", **kw):
    cf.update_stack(StackName=name, TemplateBody=body, **kw)
    s = settle(cf, name)
    assert s["StackStatus"] == status, (s["StackStatus"], s.get("StackStatusReason"), failures(cf, name))
    return s


def delete(cf, name):
    sid = stack(cf, name)["StackId"]
    cf.delete_stack(StackName=name)
    s = settle(cf, sid)
    assert s["StackStatus"] == "DELETE_COMPLETE", (s["StackStatus"], failures(cf, sid))
    return s
