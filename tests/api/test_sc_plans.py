"""Provisioned product plans (issue 14): CreateProvisionedProductPlan makes a CloudFormation
change set (CREATE for a new provisioned product, UPDATE for an existing one) as the launch
role; DescribeProvisionedProductPlan shows its resource changes; executing it provisions or
updates the product as a launch would; ListProvisionedProductPlans and
DeleteProvisionedProductPlan (which removes the change set and a never-executed stack);
every refusal with AWS's error code and nothing made."""

import json

import pytest

from conftest import REPO
from helpers import allow, fails, new_role, new_user, trust, wait_for
from sc_world import World


@pytest.fixture(scope="module")
def world():
    w = World()
    yield w
    w.stop()


def make_plan(world, name, version="v1.0", size="t3.micro", user="enduser", token=None, **kw):
    sc = world.client("servicecatalog", user)
    return sc.create_provisioned_product_plan(
        PlanName="plan-of-" + name, PlanType="CLOUDFORMATION", ProductId=world.ids["product"],
        ProvisionedProductName=name, ProvisioningArtifactId=world.ids["versions"][version],
        ProvisioningParameters=[{"Key": "InstanceType", "Value": size}],
        IdempotencyToken=token or "tok-%s-%s-%s" % (name, version.replace(".", ""), size.replace(".", "")), **kw)


def stack_name(world, pp_id):
    return "SC-%s-%s" % (world.ids["account"], pp_id)


def launch(world, name, user="enduser"):
    sc = world.client("servicecatalog", user)
    rec = sc.provision_product(ProductId=world.ids["product"], ProvisioningArtifactId=world.ids["versions"]["v1.0"],
                               ProvisionedProductName=name,
                               ProvisioningParameters=[{"Key": "InstanceType", "Value": "t3.micro"}])["RecordDetail"]
    detail, outputs = world.wait_record(rec["RecordId"], user)
    assert detail["Status"] == "SUCCEEDED", outputs
    return detail["ProvisionedProductId"], outputs["InstanceId"]


def instance(world, iid):
    return world.client("ec2").describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]


def plan_ids(world, user="admin"):
    sc = world.client("servicecatalog", user)
    return [p["PlanId"] for p in sc.list_provisioned_product_plans(
        AccessLevelFilter={"Key": "Account", "Value": "self"}, PageSize=20)["ProvisionedProductPlans"]]


def stack_names(world):
    return sorted(s["StackName"] for s in world.client("cloudformation").describe_stacks()["Stacks"])


def test_plan_for_a_new_product_is_a_change_set_then_a_launch(world):
    sc = world.client("servicecatalog", "enduser")
    out = make_plan(world, "planned-1", Tags=[{"Key": "team", "Value": "red"}])
    assert out["PlanName"] == "plan-of-planned-1" and out["ProvisionedProductName"] == "planned-1"
    assert out["ProvisioningArtifactId"] == world.ids["versions"]["v1.0"]
    ppid, plan_id = out["ProvisionProductId"], out["PlanId"]
    d = sc.describe_provisioned_product_plan(PlanId=plan_id)
    det = d["ProvisionedProductPlanDetails"]
    assert det["Status"] == "CREATE_SUCCESS" and det["PlanType"] == "CLOUDFORMATION"
    assert det["ProvisionProductId"] == ppid and det["ProvisionProductName"] == "planned-1"
    path = sc.list_launch_paths(ProductId=world.ids["product"])["LaunchPathSummaries"][0]["Id"]
    assert det["ProductId"] == world.ids["product"] and det["PathId"] == path
    assert det["ProvisioningParameters"] == [{"Key": "InstanceType", "Value": "t3.micro"}]
    assert det["Tags"] == [{"Key": "team", "Value": "red"}]
    assert d["ResourceChanges"] == [{"Action": "ADD", "LogicalResourceId": "Desktop",
                                     "ResourceType": "AWS::EC2::Instance", "Scope": [], "Details": []}]
    # nothing is launched yet: the change set waits on a stack in review
    assert "planned-1" not in [p["Name"] for p in sc.search_provisioned_products()["ProvisionedProducts"]]
    cfn = world.client("cloudformation")
    stack = cfn.describe_stacks(StackName=stack_name(world, ppid))["Stacks"][0]
    assert stack["StackStatus"] == "REVIEW_IN_PROGRESS"
    sets = cfn.list_change_sets(StackName=stack["StackId"])["Summaries"]
    assert [(s["Status"], s["ExecutionStatus"]) for s in sets] == [("CREATE_COMPLETE", "AVAILABLE")]

    rec = sc.execute_provisioned_product_plan(PlanId=plan_id, IdempotencyToken="exec-1")["RecordDetail"]
    assert rec["RecordType"] == "PROVISION_PRODUCT" and rec["ProvisionedProductId"] == ppid
    assert rec["LaunchRoleArn"] == world.ids["role_arn"]
    detail, outputs = world.wait_record(rec["RecordId"])
    assert detail["Status"] == "SUCCEEDED", outputs
    pp = sc.describe_provisioned_product(Id=ppid)["ProvisionedProductDetail"]
    assert pp["Status"] == "AVAILABLE" and pp["Name"] == "planned-1"
    assert pp["LastProvisioningRecordId"] == rec["RecordId"]
    inst = instance(world, outputs["InstanceId"])
    assert inst["State"]["Name"] == "running" and inst["InstanceType"] == "t3.micro"
    # the same stack, now made, tagged as a launch tags it
    stack = cfn.describe_stacks(StackName=stack["StackId"])["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    tags = {t["Key"]: t["Value"] for t in stack["Tags"]}
    assert tags["team"] == "red" and tags["aws:servicecatalog:provisionedProductArn"] == pp["Arn"]
    assert sc.describe_provisioned_product_plan(PlanId=plan_id)["ProvisionedProductPlanDetails"][
        "Status"] == "EXECUTE_SUCCESS"
    # a retry returns the same record; another execution is refused
    again = sc.execute_provisioned_product_plan(PlanId=plan_id, IdempotencyToken="exec-1")["RecordDetail"]
    assert again["RecordId"] == rec["RecordId"]
    code, _, _ = fails(sc.execute_provisioned_product_plan, PlanId=plan_id, IdempotencyToken="exec-2")
    assert code == "InvalidStateException"


def test_update_plan_shows_the_modification_and_executes(world):
    ppid, iid = launch(world, "planned-up")
    sc = world.client("servicecatalog", "enduser")
    out = make_plan(world, "planned-up", version="v2.0", size="t3.medium")
    assert out["ProvisionProductId"] == ppid
    # the AWS CLI reads the same plan
    d = world.cli("enduser", "servicecatalog", "describe-provisioned-product-plan", "--plan-id", out["PlanId"]).json
    assert d["ProvisionedProductPlanDetails"]["Status"] == "CREATE_SUCCESS"
    assert d["ResourceChanges"] == [{
        "Action": "MODIFY", "LogicalResourceId": "Desktop", "PhysicalResourceId": iid,
        "ResourceType": "AWS::EC2::Instance", "Replacement": "FALSE", "Scope": ["PROPERTIES"],
        "Details": [{"Target": {"Attribute": "PROPERTIES", "Name": "InstanceType", "RequiresRecreation": "NEVER"},
                     "Evaluation": "STATIC", "CausingEntity": "InstanceType"}]}]
    # planning changes nothing
    assert instance(world, iid)["InstanceType"] == "t3.micro"
    pp = sc.describe_provisioned_product(Id=ppid)["ProvisionedProductDetail"]
    assert pp["Status"] == "AVAILABLE" and pp["ProvisioningArtifactId"] == world.ids["versions"]["v1.0"]

    rec = sc.execute_provisioned_product_plan(PlanId=out["PlanId"], IdempotencyToken="exec-up")["RecordDetail"]
    assert rec["RecordType"] == "UPDATE_PROVISIONED_PRODUCT"
    assert rec["ProvisioningArtifactId"] == world.ids["versions"]["v2.0"]
    detail, outputs = world.wait_record(rec["RecordId"])
    assert detail["Status"] == "SUCCEEDED", outputs
    assert outputs["InstanceId"] == iid and instance(world, iid)["InstanceType"] == "t3.medium"
    pp = sc.describe_provisioned_product(Id=ppid)["ProvisionedProductDetail"]
    assert pp["Status"] == "AVAILABLE" and pp["ProvisioningArtifactId"] == world.ids["versions"]["v2.0"]


def test_plan_without_changes_fails_and_cannot_run(world):
    launch(world, "planned-same")
    sc = world.client("servicecatalog", "enduser")
    out = make_plan(world, "planned-same")
    det = sc.describe_provisioned_product_plan(PlanId=out["PlanId"])["ProvisionedProductPlanDetails"]
    assert det["Status"] == "CREATE_FAILED"
    assert det["StatusMessage"].startswith("The submitted information didn't contain changes.")
    code, _, _ = fails(sc.execute_provisioned_product_plan, PlanId=out["PlanId"], IdempotencyToken="x")
    assert code == "InvalidStateException"
    sc.delete_provisioned_product_plan(PlanId=out["PlanId"])


def test_delete_plan_removes_its_change_set_and_the_stack_in_review(world):
    sc, cfn = world.client("servicecatalog", "enduser"), world.client("cloudformation")
    out = make_plan(world, "planned-gone")
    name = stack_name(world, out["ProvisionProductId"])
    assert cfn.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"] == "REVIEW_IN_PROGRESS"
    sc.delete_provisioned_product_plan(PlanId=out["PlanId"])
    code, _, _ = fails(sc.describe_provisioned_product_plan, PlanId=out["PlanId"])
    assert code == "ResourceNotFoundException"
    code, _, _ = fails(cfn.describe_stacks, StackName=name)
    assert code == "ValidationError"
    assert out["PlanId"] not in plan_ids(world)
    # an update plan's change set goes; its stack stays as it was
    ppid, iid = launch(world, "planned-kept")
    upd = make_plan(world, "planned-kept", size="t3.small")
    stack = cfn.describe_stacks(StackName=stack_name(world, ppid))["Stacks"][0]
    assert len(cfn.list_change_sets(StackName=stack["StackId"])["Summaries"]) == 1
    sc.delete_provisioned_product_plan(PlanId=upd["PlanId"])
    assert cfn.list_change_sets(StackName=stack["StackId"])["Summaries"] == []
    assert cfn.describe_stacks(StackName=stack["StackId"])["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    assert instance(world, iid)["InstanceType"] == "t3.micro"
    # deleting it again: it is gone
    code, _, _ = fails(sc.delete_provisioned_product_plan, PlanId=upd["PlanId"], IgnoreErrors=True)
    assert code == "ResourceNotFoundException"


def test_list_plans_filters_levels_and_pages(world):
    sc = world.client("servicecatalog", "enduser")
    a = make_plan(world, "planned-list-a")
    b = make_plan(world, "planned-list-b")
    only = sc.list_provisioned_product_plans(ProvisionProductId=a["ProvisionProductId"])["ProvisionedProductPlans"]
    assert only == [{"PlanName": "plan-of-planned-list-a", "PlanId": a["PlanId"],
                     "ProvisionProductId": a["ProvisionProductId"], "ProvisionProductName": "planned-list-a",
                     "PlanType": "CLOUDFORMATION", "ProvisioningArtifactId": world.ids["versions"]["v1.0"]}]
    seen, token = [], None
    while True:
        kw = {"PageToken": token} if token else {}
        page = sc.list_provisioned_product_plans(PageSize=1, **kw)
        assert len(page["ProvisionedProductPlans"]) <= 1
        seen += [p["PlanId"] for p in page["ProvisionedProductPlans"]]
        token = page.get("NextPageToken")
        if not token:
            break
    assert len(seen) == len(set(seen)) and {a["PlanId"], b["PlanId"]} <= set(seen)
    code, _, _ = fails(sc.list_provisioned_product_plans, PageToken="not-a-token")
    assert code == "InvalidParametersException"
    # the admin's own (User level) list has none of them; at the Account level it has both
    admin = world.client("servicecatalog", "admin")
    assert a["PlanId"] not in [p["PlanId"] for p in admin.list_provisioned_product_plans()["ProvisionedProductPlans"]]
    assert {a["PlanId"], b["PlanId"]} <= set(plan_ids(world, "admin"))
    # the end user may not list at the Account level (its policy is at user level)
    code, _, _ = fails(sc.list_provisioned_product_plans, AccessLevelFilter={"Key": "Account", "Value": "self"})
    assert code == "AccessDeniedException"


def test_same_token_same_plan(world):
    a = make_plan(world, "planned-tok", token="same-token")
    b = make_plan(world, "planned-tok", token="same-token")
    assert a["PlanId"] == b["PlanId"] and a["ProvisionProductId"] == b["ProvisionProductId"]
    assert plan_ids(world, "admin").count(a["PlanId"]) == 1


def test_refusals_make_nothing(world):
    sc = world.client("servicecatalog", "enduser")
    waiting = make_plan(world, "planned-bad")
    root_pp, _ = launch(world, "roots-desk", user=None)
    before_plans, before_stacks = plan_ids(world, "admin"), stack_names(world)

    def refused(expected, **kw):
        args = dict(PlanName="bad", PlanType="CLOUDFORMATION", ProductId=world.ids["product"],
                    ProvisionedProductName="planned-bad-2", ProvisioningArtifactId=world.ids["versions"]["v1.0"],
                    IdempotencyToken="tok-bad-%d" % len(kw))
        args.update(kw)
        code, msg, status = fails(sc.create_provisioned_product_plan, **args)
        assert (code, status) == (expected, 400), msg
        return msg

    refused("ResourceNotFoundException", ProductId="prod-doesnotexist1")
    refused("ResourceNotFoundException", ProvisioningArtifactId="pa-doesnotexist01")
    assert "InstanceType" in refused("InvalidParametersException",
                                     ProvisioningParameters=[{"Key": "InstanceType", "Value": "t3.huge"}])
    refused("ValidationException", PlanType="TERRAFORM")  # the model's enum, as AWS checks it
    # one plan for each provisioned product until it is executed or deleted
    refused("InvalidStateException", ProvisionedProductName="planned-bad")
    # a provisioned product of someone else's that the caller cannot see
    refused("InvalidParametersException", ProvisionedProductName="roots-desk")
    for op, kw in ((sc.describe_provisioned_product_plan, {}), (sc.delete_provisioned_product_plan, {}),
                   (sc.execute_provisioned_product_plan, {"IdempotencyToken": "t"})):
        code, _, _ = fails(op, PlanId="plan-doesnotexist", **kw)
        assert code == "ResourceNotFoundException"
    # a plan of root's is not the end user's to see
    theirs = make_plan(world, "roots-desk", size="t3.small", user=None)
    code, _, _ = fails(sc.describe_provisioned_product_plan, PlanId=theirs["PlanId"])
    assert code == "ResourceNotFoundException"
    world.client("servicecatalog").delete_provisioned_product_plan(PlanId=theirs["PlanId"])
    # without servicecatalog:CreateProvisionedProductPlan
    key = new_user(world.client("iam"), "no-plans", [allow(["servicecatalog:ProvisionProduct"])])
    other = world.daemon.client("servicecatalog", key=key[0], secret=key[1])
    code, _, _ = fails(other.create_provisioned_product_plan, PlanName="x", PlanType="CLOUDFORMATION",
                       ProductId=world.ids["product"], ProvisionedProductName="planned-denied",
                       ProvisioningArtifactId=world.ids["versions"]["v1.0"], IdempotencyToken="denied")
    assert code == "AccessDeniedException"
    assert plan_ids(world, "admin") == before_plans and stack_names(world) == before_stacks
    assert sc.describe_provisioned_product_plan(PlanId=waiting["PlanId"])[
        "ProvisionedProductPlanDetails"]["Status"] == "CREATE_SUCCESS"
    assert world.client("servicecatalog").describe_provisioned_product(Id=root_pp)[
        "ProvisionedProductDetail"]["Status"] == "AVAILABLE"


def test_a_launch_role_that_cannot_be_assumed_fails_the_plan(world):
    """The change set is made as the launch role: a role that does not trust Service Catalog
    fails the plan (CREATE_FAILED, the reason in StatusMessage), and nothing is made."""
    sc, iam = world.client("servicecatalog"), world.client("iam")
    role = new_role(iam, "NotForServiceCatalog", trust("ec2"), ["cloudformation:*", "ec2:*"])
    port = sc.create_portfolio(DisplayName="Untrusted", ProviderName="IT")["PortfolioDetail"]["Id"]
    pid = sc.create_product(
        Name="Untrusted Desktop", Owner="IT", ProductType="CLOUD_FORMATION_TEMPLATE",
        ProvisioningArtifactParameters={"Name": "v1.0", "Type": "CLOUD_FORMATION_TEMPLATE", "Info": {
            "LoadTemplateFromURL": "file://%s/data/templates/linux-desktop-v1.yaml" % REPO}},
    )["ProductViewDetail"]["ProductViewSummary"]["ProductId"]
    version = sc.list_provisioning_artifacts(ProductId=pid)["ProvisioningArtifactDetails"][0]["Id"]
    sc.associate_product_with_portfolio(ProductId=pid, PortfolioId=port)
    sc.associate_principal_with_portfolio(PortfolioId=port, PrincipalType="IAM",
                                          PrincipalARN="arn:aws:iam::%s:group/Endusers" % world.ids["account"])
    sc.create_constraint(PortfolioId=port, ProductId=pid, Type="LAUNCH", Parameters=json.dumps({"RoleArn": role}))
    before = stack_names(world)
    end = world.client("servicecatalog", "enduser")
    out = end.create_provisioned_product_plan(
        PlanName="untrusted", PlanType="CLOUDFORMATION", ProductId=pid, ProvisionedProductName="planned-untrusted",
        ProvisioningArtifactId=version, IdempotencyToken="untrusted-1")
    det = end.describe_provisioned_product_plan(PlanId=out["PlanId"])
    assert det["ProvisionedProductPlanDetails"]["Status"] == "CREATE_FAILED"
    assert det["ProvisionedProductPlanDetails"]["StatusMessage"].startswith(
        "Access denied while assuming the role %s" % role)
    assert det["ResourceChanges"] == [] and stack_names(world) == before
    code, _, _ = fails(end.execute_provisioned_product_plan, PlanId=out["PlanId"], IdempotencyToken="untrusted-x")
    assert code == "InvalidStateException"
    end.delete_provisioned_product_plan(PlanId=out["PlanId"])
    assert out["PlanId"] not in plan_ids(world)


def test_plan_changes_page_by_logical_id(world):
    """A version made from a stack (ImportFromPhysicalId) with three resources, planned by
    root (no launch constraint: the change set is root's): its changes page by logical id."""
    cfn, sc = world.client("cloudformation"), world.client("servicecatalog")
    body = json.dumps({"Resources": {n: {"Type": "AWS::SSM::Parameter", "Properties": {
        "Type": "String", "Value": n, "Name": {"Fn::Sub": "/plans/${AWS::StackName}/" + n}}}
        for n in ("Cherry", "Apple", "Banana")}})
    sid = cfn.create_stack(StackName="plan-source", TemplateBody=body)["StackId"]
    wait_for(lambda: cfn.describe_stacks(StackName=sid)["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE", 30,
             "the source stack")
    port = sc.create_portfolio(DisplayName="Parameters", ProviderName="IT")["PortfolioDetail"]["Id"]
    pid = sc.create_product(Name="Three Parameters", Owner="IT", ProductType="CLOUD_FORMATION_TEMPLATE",
                            ProvisioningArtifactParameters={"Name": "v1", "Info": {"ImportFromPhysicalId": sid}},
                            )["ProductViewDetail"]["ProductViewSummary"]["ProductId"]
    sc.associate_product_with_portfolio(ProductId=pid, PortfolioId=port)
    version = sc.list_provisioning_artifacts(ProductId=pid)["ProvisioningArtifactDetails"][0]["Id"]
    out = sc.create_provisioned_product_plan(PlanName="three", PlanType="CLOUDFORMATION", ProductId=pid,
                                             ProvisionedProductName="planned-three", ProvisioningArtifactId=version,
                                             IdempotencyToken="three")
    first = sc.describe_provisioned_product_plan(PlanId=out["PlanId"], PageSize=2)
    assert [r["LogicalResourceId"] for r in first["ResourceChanges"]] == ["Apple", "Banana"]
    assert {r["Action"] for r in first["ResourceChanges"]} == {"ADD"}
    second = sc.describe_provisioned_product_plan(PlanId=out["PlanId"], PageSize=2,
                                                  PageToken=first["NextPageToken"])
    assert [r["LogicalResourceId"] for r in second["ResourceChanges"]] == ["Cherry"]
    assert "NextPageToken" not in second
    # executed as root (no launch role), the parameters exist
    rec = sc.execute_provisioned_product_plan(PlanId=out["PlanId"], IdempotencyToken="three")["RecordDetail"]
    detail, outputs = world.wait_record(rec["RecordId"], user=None)
    assert detail["Status"] == "SUCCEEDED" and "LaunchRoleArn" not in detail, outputs
    names = ["/plans/%s/%s" % (stack_name(world, out["ProvisionProductId"]), n) for n in ("Apple", "Banana", "Cherry")]
    got = world.client("ssm").get_parameters(Names=names)["Parameters"]
    assert sorted(p["Value"] for p in got) == ["Apple", "Banana", "Cherry"]

def test_delete_plan_errors_and_ignore_errors(world):
    """Deleting a plan removes its change set as the launch role: when the role cannot be
    assumed the delete is refused (the plan stays) unless IgnoreErrors; a change set
    already deleted in CloudFormation is no error."""
    sc, cfn, iam = world.client("servicecatalog", "enduser"), world.client("cloudformation"), world.client("iam")
    gone = make_plan(world, "planned-cs-gone")
    stack = cfn.describe_stacks(StackName=stack_name(world, gone["ProvisionProductId"]))["Stacks"][0]["StackId"]
    cfn.delete_change_set(ChangeSetName=gone["PlanId"], StackName=stack)
    sc.delete_provisioned_product_plan(PlanId=gone["PlanId"])
    assert gone["PlanId"] not in plan_ids(world)
    kept = make_plan(world, "planned-orphan")
    iam.update_assume_role_policy(RoleName="SCLaunchRole", PolicyDocument=json.dumps(trust("ec2")))
    try:
        code, msg, _ = fails(sc.delete_provisioned_product_plan, PlanId=kept["PlanId"])
        assert code == "InvalidParametersException" and "Access denied while assuming the role" in msg
        assert kept["PlanId"] in plan_ids(world)
        sc.delete_provisioned_product_plan(PlanId=kept["PlanId"], IgnoreErrors=True)
        assert kept["PlanId"] not in plan_ids(world)
    finally:
        iam.update_assume_role_policy(RoleName="SCLaunchRole", PolicyDocument=json.dumps(trust("servicecatalog")))

def test_a_plan_launch_takes_the_tagoptions(world):
    """Executing a plan launches as ProvisionProduct does: the portfolio's TagOptions reach
    the stack (runs last: the TagOption stays on the portfolio)."""
    sc = world.client("servicecatalog")
    opt = sc.create_tag_option(Key="cost-center", Value="lab")["TagOptionDetail"]["Id"]
    sc.associate_tag_option_with_resource(ResourceId=world.ids["portfolio"], TagOptionId=opt)
    out = make_plan(world, "planned-tagged")
    end = world.client("servicecatalog", "enduser")
    rec = end.execute_provisioned_product_plan(PlanId=out["PlanId"], IdempotencyToken="tagged")["RecordDetail"]
    detail, outputs = world.wait_record(rec["RecordId"])
    assert detail["Status"] == "SUCCEEDED", outputs
    assert {"Key": "cost-center", "Value": "lab"} in detail["RecordTags"]
    stack = world.client("cloudformation").describe_stacks(
        StackName=stack_name(world, out["ProvisionProductId"]))["Stacks"][0]
    assert {"Key": "cost-center", "Value": "lab"} in stack["Tags"]
