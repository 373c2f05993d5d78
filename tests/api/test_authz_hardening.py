"""Authorization on every path (issue 11): handing a role to a service needs iam:PassRole
on it wherever AWS asks for it (service actions, launch constraints, stacks, automation),
Service Catalog reads a stack's template only with the caller's cloudformation:GetTemplate,
renaming a user keeps a well-formed ARN, and EC2's refusals carry IAM's sentence.
The audit behind the PassRole cases is docs/internals/identity.md ("Roles handed to
services")."""

import json
import os
import tempfile
import xml.etree.ElementTree as ET

import pytest

from conftest import ACCOUNT, Daemon
from helpers import allow, fails, new_role, new_user, policy, serve, trust, wait_for

USER_ARN = "arn:aws:iam::%s:user/%%s" % ACCOUNT
TEMPLATE = {"Resources": {"H": {"Type": "AWS::CloudFormation::WaitConditionHandle"}}}


@pytest.fixture(scope="module")
def tdir():
    path = tempfile.mkdtemp(prefix="catalogd-authz-")
    with open(os.path.join(path, "t.json"), "w") as f:
        json.dump(TEMPLATE, f)
    yield path
    os.unlink(os.path.join(path, "t.json"))
    os.rmdir(path)


@pytest.fixture(scope="module")
def d(tdir):
    yield from serve(Daemon(args=["--template-dir", tdir]))


@pytest.fixture(scope="module")
def template_url(tdir):
    return "file://" + os.path.join(tdir, "t.json")


@pytest.fixture(scope="module")
def admin_role(d):
    """A role that may do anything, trusted by the services a role is handed to."""
    doc = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": s + ".amazonaws.com"}, "Action": "sts:AssumeRole"}
        for s in ("servicecatalog", "ssm", "cloudformation")]}
    return new_role(d.client("iam"), "hardening-admin", doc, "*")


def user(d, name, service, *statements):
    """A client of service for a new IAM user name allowed statements."""
    key, secret = new_user(d.client("iam"), name, statements)
    return d.client(service, key=key, secret=secret)


def grant_pass_role(d, name, role, service):
    """Lets user name pass role to service.amazonaws.com (and nothing else)."""
    d.client("iam").put_user_policy(UserName=name, PolicyName="pass", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "iam:PassRole", "Resource": role,
            "Condition": {"StringEquals": {"iam:PassedToService": service + ".amazonaws.com"}}}]}))


def pass_role_denied(name, role):
    return ("User: %s is not authorized to perform: iam:PassRole on resource: %s because no "
            "identity-based policy allows the iam:PassRole action" % (USER_ARN % name, role))


def definition(role, document="AWS-RestartEC2Instance"):
    return {"Name": document, "Version": "1", "AssumeRole": role,
            "Parameters": json.dumps([{"Name": "InstanceId", "Type": "TARGET"}])}


def action_names(d):
    sc = d.client("servicecatalog")
    return [a["Name"] for a in sc.list_service_actions(PageSize=20)["ServiceActionSummaries"]]


# ---- service actions: the escalation that was open


def test_create_service_action_needs_pass_role_on_its_role(d, admin_role):
    sc = user(d, "sa-creator", "servicecatalog", allow("servicecatalog:*"))
    code, msg, status = fails(sc.create_service_action, Name="as-admin", DefinitionType="SSM_AUTOMATION",
                              Definition=definition(admin_role), IdempotencyToken="t1")
    assert (code, msg, status) == ("AccessDeniedException", pass_role_denied("sa-creator", admin_role), 400)
    assert "as-admin" not in action_names(d)  # nothing was made
    # the provisioned product's launch role is no role of the caller's choosing: no PassRole
    sc.create_service_action(Name="as-launch-role", DefinitionType="SSM_AUTOMATION",
                             Definition=definition("LAUNCH_ROLE"), IdempotencyToken="t2")
    # PassRole to Service Catalog, on that role: now it may
    grant_pass_role(d, "sa-creator", admin_role, "servicecatalog")
    out = sc.create_service_action(Name="as-admin", DefinitionType="SSM_AUTOMATION",
                                   Definition=definition(admin_role), IdempotencyToken="t3")
    assert out["ServiceActionDetail"]["Definition"]["AssumeRole"] == admin_role
    assert "as-admin" in action_names(d)


def test_update_service_action_needs_pass_role_on_its_role(d, admin_role):
    root = d.client("servicecatalog")
    mine = root.create_service_action(Name="updatable", DefinitionType="SSM_AUTOMATION",
                                      Definition=definition("LAUNCH_ROLE"))["ServiceActionDetail"]
    theirs = root.create_service_action(Name="admins-own", DefinitionType="SSM_AUTOMATION",
                                        Definition=definition(admin_role))["ServiceActionDetail"]
    sc = user(d, "sa-updater", "servicecatalog", allow("servicecatalog:*"))
    # handing the action a role
    code, msg, _ = fails(sc.update_service_action, Id=mine["ServiceActionSummary"]["Id"],
                         Definition={"AssumeRole": admin_role})
    assert (code, msg) == ("AccessDeniedException", pass_role_denied("sa-updater", admin_role))
    # changing what an action that runs as a role does is handing it that role again
    code, msg, _ = fails(sc.update_service_action, Id=theirs["ServiceActionSummary"]["Id"],
                         Definition={"Name": "AWS-StopEC2Instance"})
    assert (code, msg) == ("AccessDeniedException", pass_role_denied("sa-updater", admin_role))
    # nothing changed
    for a in (mine, theirs):
        now = root.describe_service_action(Id=a["ServiceActionSummary"]["Id"])["ServiceActionDetail"]
        assert now == a
    # renaming hands over no role
    sc.update_service_action(Id=theirs["ServiceActionSummary"]["Id"], Name="admins-renamed")
    grant_pass_role(d, "sa-updater", admin_role, "servicecatalog")
    out = sc.update_service_action(Id=mine["ServiceActionSummary"]["Id"], Definition={"AssumeRole": admin_role})
    assert out["ServiceActionDetail"]["Definition"]["AssumeRole"] == admin_role
    out = sc.update_service_action(Id=theirs["ServiceActionSummary"]["Id"], Definition={"Name": "AWS-StopEC2Instance"})
    assert out["ServiceActionDetail"]["Definition"]["Name"] == "AWS-StopEC2Instance"


# ---- the other operations that take a role (the audit)


def test_update_constraint_needs_pass_role_on_a_new_launch_role(d, admin_role, template_url):
    root = d.client("servicecatalog")
    port = root.create_portfolio(DisplayName="hardening", ProviderName="IT", IdempotencyToken="p")["PortfolioDetail"]["Id"]
    pid = root.create_product(
        Name="hardening-product", Owner="IT", ProductType="CLOUD_FORMATION_TEMPLATE", IdempotencyToken="pr",
        ProvisioningArtifactParameters={"Name": "v1", "Info": {"LoadTemplateFromURL": template_url}},
    )["ProductViewDetail"]["ProductViewSummary"]["ProductId"]
    root.associate_product_with_portfolio(ProductId=pid, PortfolioId=port)
    weak = new_role(d.client("iam"), "hardening-weak", trust("servicecatalog"))
    cid = root.create_constraint(PortfolioId=port, ProductId=pid, Type="LAUNCH", IdempotencyToken="c",
                                 Parameters=json.dumps({"RoleArn": weak}))["ConstraintDetail"]["ConstraintId"]
    sc = user(d, "constraint-editor", "servicecatalog", allow("servicecatalog:*"))
    code, msg, _ = fails(sc.update_constraint, Id=cid, Parameters=json.dumps({"RoleArn": admin_role}))
    assert (code, msg) == ("AccessDeniedException", pass_role_denied("constraint-editor", admin_role))
    code, msg, _ = fails(sc.update_constraint, Id=cid, Parameters=json.dumps({"LocalRoleName": "hardening-admin"}))
    assert (code, msg) == ("AccessDeniedException", pass_role_denied("constraint-editor", admin_role))
    code, msg, _ = fails(sc.create_constraint, PortfolioId=port, ProductId=pid, Type="LAUNCH", IdempotencyToken="c2",
                         Parameters=json.dumps({"RoleArn": admin_role}))
    assert (code, msg) == ("AccessDeniedException", pass_role_denied("constraint-editor", admin_role))
    assert json.loads(root.describe_constraint(Id=cid)["ConstraintParameters"]) == {"RoleArn": weak}
    grant_pass_role(d, "constraint-editor", admin_role, "servicecatalog")
    sc.update_constraint(Id=cid, Parameters=json.dumps({"RoleArn": admin_role}))
    assert json.loads(root.describe_constraint(Id=cid)["ConstraintParameters"]) == {"RoleArn": admin_role}


def test_start_automation_needs_pass_role_on_its_assume_role(d, admin_role):
    ssm = user(d, "automation-starter", "ssm", allow("ssm:*"))
    root = d.client("ssm")

    def executions():
        return len(root.describe_automation_executions()["AutomationExecutionMetadataList"])

    before = executions()
    params = {"InstanceId": ["i-0123456789abcdef0"], "AutomationAssumeRole": [admin_role]}
    code, msg, _ = fails(ssm.start_automation_execution, DocumentName="AWS-RestartEC2Instance", Parameters=params)
    assert (code, msg) == ("AccessDeniedException", pass_role_denied("automation-starter", admin_role))
    assert executions() == before
    # passing it to another service does not count
    grant_pass_role(d, "automation-starter", admin_role, "cloudformation")
    assert fails(ssm.start_automation_execution, DocumentName="AWS-RestartEC2Instance", Parameters=params)[0] == \
        "AccessDeniedException"
    grant_pass_role(d, "automation-starter", admin_role, "ssm")
    eid = ssm.start_automation_execution(DocumentName="AWS-RestartEC2Instance", Parameters=params)["AutomationExecutionId"]
    assert root.get_automation_execution(AutomationExecutionId=eid)["AutomationExecution"]["Parameters"][
        "AutomationAssumeRole"] == [admin_role]


def test_update_stack_needs_pass_role_on_its_role(d, admin_role):
    root = d.client("cloudformation")
    sid = root.create_stack(StackName="hardening-stack", TemplateBody=json.dumps(TEMPLATE))["StackId"]
    wait_for(lambda: root.describe_stacks(StackName=sid)["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE",
             what="the stack")
    cf = user(d, "stack-updater", "cloudformation", allow("cloudformation:*"))
    body = json.dumps({"Resources": {"H": TEMPLATE["Resources"]["H"], "G": TEMPLATE["Resources"]["H"]}})
    code, msg, status = fails(cf.update_stack, StackName=sid, TemplateBody=body, RoleARN=admin_role)
    assert (code, msg, status) == ("AccessDenied", pass_role_denied("stack-updater", admin_role), 403)
    s = root.describe_stacks(StackName=sid)["Stacks"][0]
    assert s["StackStatus"] == "CREATE_COMPLETE" and "RoleARN" not in s


# ---- ImportFromPhysicalId reads the stack as the caller


def test_import_from_physical_id_needs_get_template(d, template_url):
    root_cf = d.client("cloudformation")
    stack = root_cf.create_stack(StackName="import-src", TemplateBody=json.dumps(TEMPLATE))["StackId"]
    sc = user(d, "importer", "servicecatalog", allow("servicecatalog:*"))
    denied = ("User: %s is not authorized to perform: cloudformation:GetTemplate on resource: %s because no "
              "identity-based policy allows the cloudformation:GetTemplate action" % (USER_ARN % "importer", stack))
    code, msg, _ = fails(
        sc.create_product, Name="imported", Owner="IT", ProductType="CLOUD_FORMATION_TEMPLATE", IdempotencyToken="i1",
        ProvisioningArtifactParameters={"Name": "v1", "Info": {"ImportFromPhysicalId": stack}})
    assert (code, msg) == ("AccessDeniedException", denied)
    products = d.client("servicecatalog").search_products_as_admin()["ProductViewDetails"]
    assert "imported" not in [p["ProductViewSummary"]["Name"] for p in products]
    pid = sc.create_product(
        Name="imported", Owner="IT", ProductType="CLOUD_FORMATION_TEMPLATE", IdempotencyToken="i2",
        ProvisioningArtifactParameters={"Name": "v1", "Info": {"LoadTemplateFromURL": template_url}},
    )["ProductViewDetail"]["ProductViewSummary"]["ProductId"]
    code, msg, _ = fails(sc.create_provisioning_artifact, ProductId=pid, IdempotencyToken="i3",
                         Parameters={"Name": "v2", "Info": {"ImportFromPhysicalId": stack}})
    assert (code, msg) == ("AccessDeniedException", denied)
    assert len(sc.list_provisioning_artifacts(ProductId=pid)["ProvisioningArtifactDetails"]) == 1
    d.client("iam").put_user_policy(UserName="importer", PolicyName="read", PolicyDocument=policy(
        allow("cloudformation:GetTemplate", stack)))
    out = sc.create_provisioning_artifact(ProductId=pid, IdempotencyToken="i4",
                                          Parameters={"Name": "v2", "Info": {"ImportFromPhysicalId": stack}})
    assert out["Info"] == {"PhysicalId": stack}
    # a deleted stack is no source, though GetTemplate still reads it by its StackId
    root_cf.delete_stack(StackName=stack)
    wait_for(lambda: root_cf.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"] == "DELETE_COMPLETE",
             what="the stack to go")
    assert root_cf.get_template(StackName=stack)["TemplateBody"]
    code, msg, _ = fails(sc.create_provisioning_artifact, ProductId=pid, IdempotencyToken="i5",
                         Parameters={"Name": "v3", "Info": {"ImportFromPhysicalId": stack}})
    assert (code, msg) == ("InvalidParametersException",
                           "ImportFromPhysicalId %s is not a stack: Stack with id %s does not exist" % (stack, stack))


# ---- UpdateUser: a rename keeps the ARN whole


def test_rename_without_new_path_keeps_a_valid_arn(d):
    iam = d.client("iam")
    for i, path in enumerate(("/", "/team/", "/division_abc/subdivision_xyz/product_1234/engineering/")):
        old, new = "rename-src-%d" % i, "rename-dst-%d" % i
        iam.create_user(UserName=old, Path=path)
        iam.update_user(UserName=old, NewUserName=new)
        u = iam.get_user(UserName=new)["User"]
        assert (u["UserName"], u["Path"], u["Arn"]) == (new, path, "arn:aws:iam::%s:user%s%s" % (ACCOUNT, path, new))
    # the listing every caller sees is well-formed XML with those ARNs
    raw = d.aws("iam", "list-users", "--output", "json", check=True).json["Users"]
    assert {u["UserName"]: u["Arn"] for u in raw if u["UserName"].startswith("rename-")} == {
        "rename-dst-0": "arn:aws:iam::%s:user/rename-dst-0" % ACCOUNT,
        "rename-dst-1": "arn:aws:iam::%s:user/team/rename-dst-1" % ACCOUNT,
        "rename-dst-2": "arn:aws:iam::%s:user/division_abc/subdivision_xyz/product_1234/engineering/rename-dst-2"
        % ACCOUNT,
    }
    iam.meta.events.register("after-call.iam.ListUsers", _check_xml)
    iam.list_users()


def _check_xml(http_response, **_):
    ET.fromstring(http_response.content)  # raises on malformed XML


# ---- EC2's refusals carry IAM's sentence (aws-api.md 6.3)


def test_ec2_unauthorized_operation_text(d):
    ec2 = user(d, "no-ec2", "ec2", allow("ssm:ListDocuments"))
    who = USER_ARN % "no-ec2"
    code, msg, status = fails(ec2.describe_instances)
    assert (code, status) == ("UnauthorizedOperation", 403)
    assert msg == ("You are not authorized to perform this operation. User: %s is not authorized to perform: "
                   "ec2:DescribeInstances because no identity-based policy allows the ec2:DescribeInstances "
                   "action" % who)
    code, msg, status = fails(ec2.stop_instances, InstanceIds=["i-0123456789abcdef0"])
    assert (code, status) == ("UnauthorizedOperation", 403)
    head = ("You are not authorized to perform this operation. User: %s is not authorized to perform: "
            "ec2:StopInstances on resource: arn:aws:ec2:us-east-1:%s:instance/i-0123456789abcdef0 because no "
            "identity-based policy allows the ec2:StopInstances action. Encoded authorization failure message: "
            % (who, ACCOUNT))
    assert msg.startswith(head), msg
    decoded = json.loads(d.client("sts").decode_authorization_message(
        EncodedMessage=msg[len(head):])["DecodedMessage"])
    assert decoded["context"] == {"principal": who, "action": "ec2:StopInstances",
                                  "resource": "arn:aws:ec2:us-east-1:%s:instance/i-0123456789abcdef0" % ACCOUNT}
