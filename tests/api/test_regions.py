"""One endpoint, every region: a request acts in the region its SigV4 credential names.
Regional services (Service Catalog, CloudFormation, SSM, EC2) keep one catalog per account
and region; IAM and STS are global; work started in a region (a launch, a service action, an
Automation execution) stays there; aws:RequestedRegion sees the request's region; a region
outside the aws partition is refused as AWS refuses it."""

import json
import os
import sys

import pytest

from conftest import ACCOUNT, REPO, ROOT_KEY, ROOT_SECRET
from helpers import allow, fails, new_user, wait_for
from sc_world import RESTART_DEFINITION, World

sys.path.insert(0, os.path.join(REPO, "tools"))
import demo_data  # noqa: E402

EAST, WEST, EU = "us-east-1", "us-west-2", "eu-west-1"
BAD_REGION_MSG = "Credential should be scoped to a valid region, not '%s'. "

TEMPLATE = json.dumps({
    "Resources": {"Topic": {"Type": "AWS::SSM::Parameter",
                            "Properties": {"Type": "String", "Value": "v", "Name": "/regions/stack"}}},
})
RUNBOOK = """schemaVersion: '0.3'
parameters:
  InstanceId:
    type: String
mainSteps:
  - name: stop
    action: aws:changeInstanceState
    inputs:
      InstanceIds: ['{{ InstanceId }}']
      DesiredState: stopped
"""


def run_instance(ec2):
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    return ec2.run_instances(ImageId=image, InstanceType="t3.micro", MinCount=1, MaxCount=1)["Instances"][0]


def instance_ids(ec2):
    return {i["InstanceId"] for r in ec2.describe_instances()["Reservations"] for i in r["Instances"]}


def test_two_regions_two_catalogs(fresh_daemon):
    d = fresh_daemon()
    c = {r: {s: d.client(s, region=r) for s in ("servicecatalog", "cloudformation", "ssm", "ec2")}
         for r in (EAST, WEST)}
    for r in (EAST, WEST):
        sc, ssm = c[r]["servicecatalog"], c[r]["ssm"]
        port = sc.create_portfolio(DisplayName="p-" + r, ProviderName="me")["PortfolioDetail"]
        assert port["ARN"].startswith("arn:aws:catalog:%s:%s:portfolio/" % (r, ACCOUNT))
        sc.create_service_action(Name="act-" + r, DefinitionType="SSM_AUTOMATION", Definition=RESTART_DEFINITION)
        stack = c[r]["cloudformation"].create_stack(StackName="s", TemplateBody=TEMPLATE)["StackId"]
        assert stack.startswith("arn:aws:cloudformation:%s:%s:stack/s/" % (r, ACCOUNT))
        ssm.create_document(Name="doc-" + r, Content=RUNBOOK, DocumentType="Automation", DocumentFormat="YAML")
        ssm.put_parameter(Name="/where", Value=r, Type="String")
    for r, other in ((EAST, WEST), (WEST, EAST)):
        sc, ssm, cfn = c[r]["servicecatalog"], c[r]["ssm"], c[r]["cloudformation"]
        assert [p["DisplayName"] for p in sc.list_portfolios()["PortfolioDetails"]] == ["p-" + r]
        assert [a["Name"] for a in sc.list_service_actions()["ServiceActionSummaries"]] == ["act-" + r]
        stacks = cfn.describe_stacks(StackName="s")["Stacks"]
        assert len(stacks) == 1 and ":%s:" % r in stacks[0]["StackId"]
        mine = [x["Name"] for x in ssm.list_documents(Filters=[{"Key": "Owner", "Values": ["Self"]}])["DocumentIdentifiers"]]
        assert mine == ["doc-" + r]
        code, _, _ = fails(ssm.describe_document, Name="doc-" + other)
        assert code == "InvalidDocument"
        p = ssm.get_parameter(Name="/where")["Parameter"]
        assert p["Value"] == r and p["ARN"] == "arn:aws:ssm:%s:%s:parameter/where" % (r, ACCOUNT)
    # the stack's own parameter was made where the stack is, once per region
    for r in (EAST, WEST):
        wait_for(lambda: c[r]["cloudformation"].describe_stacks(StackName="s")["Stacks"][0]["StackStatus"]
                 == "CREATE_COMPLETE", what="stack in " + r)
        assert c[r]["ssm"].get_parameter(Name="/regions/stack")["Parameter"]["ARN"].startswith("arn:aws:ssm:%s:" % r)


def test_ec2_per_region(fresh_daemon):
    d = fresh_daemon()
    east, west = d.client("ec2", region=EAST), d.client("ec2", region=WEST)
    # every region has its own default VPC, present on the first (read-only) call
    ve, vw = east.describe_vpcs()["Vpcs"], west.describe_vpcs()["Vpcs"]
    assert [v["IsDefault"] for v in ve] == [True] and [v["IsDefault"] for v in vw] == [True]
    assert ve[0]["VpcId"] != vw[0]["VpcId"] and vw[0]["OwnerId"] == ACCOUNT
    zones = {s["AvailabilityZone"] for s in west.describe_subnets()["Subnets"]}
    assert zones == {"us-west-2a", "us-west-2b", "us-west-2c", "us-west-2d"}
    groups = west.describe_security_groups()["SecurityGroups"]
    assert [(g["GroupName"], g["VpcId"], g["OwnerId"]) for g in groups] == [("default", vw[0]["VpcId"], ACCOUNT)]
    # a public image answers in every region, under that region's id
    assert east.describe_images(Owners=["amazon"])["Images"] and west.describe_images(Owners=["amazon"])["Images"]
    i = run_instance(west)
    assert i["SubnetId"] in {s["SubnetId"] for s in west.describe_subnets()["Subnets"]}
    assert i["Placement"]["AvailabilityZone"].startswith(WEST)
    assert instance_ids(west) == {i["InstanceId"]} and instance_ids(east) == set()
    code, _, _ = fails(east.describe_instances, InstanceIds=[i["InstanceId"]])
    assert code == "InvalidInstanceID.NotFound"
    wait_for(lambda: west.describe_instances(InstanceIds=[i["InstanceId"]])["Reservations"][0]["Instances"][0]
             ["State"]["Name"] == "running", what="the instance running")


def test_iam_and_sts_are_global(fresh_daemon):
    d = fresh_daemon()
    iam_eu = d.client("iam", region=EU)
    arn = iam_eu.create_role(RoleName="everywhere", AssumeRolePolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": ACCOUNT},
                                                  "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
    assert arn == "arn:aws:iam::%s:role/everywhere" % ACCOUNT
    assert d.client("iam", region=EAST).get_role(RoleName="everywhere")["Role"]["Arn"] == arn
    for r in (EAST, WEST, EU, "ap-southeast-2"):
        who = d.client("sts", region=r).get_caller_identity()
        assert (who["Account"], who["Arn"]) == (ACCOUNT, "arn:aws:iam::%s:root" % ACCOUNT)
    # the CLI signs IAM for us-east-1 whatever the profile's region; both work
    for r in (EU, WEST):
        p = d.aws("iam", "get-role", "--role-name", "everywhere", region=r)
        assert p.returncode == 0, p.stderr
        assert json.loads(p.stdout)["Role"]["Arn"] == arn


def test_requested_region_condition(fresh_daemon):
    d = fresh_daemon()
    iam = d.client("iam")
    key, secret = new_user(iam, "east-only", [
        allow(["ssm:PutParameter", "ssm:GetParameter"]),
        {"Effect": "Deny", "Action": "*", "Resource": "*",
         "Condition": {"StringNotEquals": {"aws:RequestedRegion": EAST}}},
    ])
    east = d.client("ssm", key=key, secret=secret, region=EAST)
    west = d.client("ssm", key=key, secret=secret, region=WEST)
    east.put_parameter(Name="/ok", Value="1", Type="String")
    code, msg, _ = fails(west.put_parameter, Name="/ok", Value="1", Type="String")
    assert code == "AccessDeniedException"
    assert "with an explicit deny" in msg
    assert d.client("ssm", region=WEST).describe_parameters()["Parameters"] == []


@pytest.mark.parametrize("region", ["xx-nowhere-1", "us-east-99", "US-EAST-1", "cn-north-1"])
def test_unknown_region_refused(fresh_daemon, region):
    d = fresh_daemon()
    sc = d.client("servicecatalog", region=region)
    code, msg, _ = fails(sc.create_portfolio, DisplayName="x", ProviderName="me")
    assert (code, msg) == ("InvalidSignatureException", BAD_REGION_MSG % region)
    code, msg, _ = fails(d.client("iam", region=region).create_user, UserName="nobody")
    assert (code, msg) == ("SignatureDoesNotMatch", BAD_REGION_MSG % region)
    assert d.client("servicecatalog").list_portfolios()["PortfolioDetails"] == []
    assert d.client("iam").list_users()["Users"] == []
    p = d.aws("ec2", "describe-vpcs", region=region)
    assert p.returncode != 0
    assert "(SignatureDoesNotMatch) when calling the DescribeVpcs operation" in p.stderr
    assert p.stderr.strip().endswith(BAD_REGION_MSG.strip() % region)


def test_automation_acts_in_its_region(fresh_daemon):
    d = fresh_daemon(args=["--ec2-delay-ms", "50"])
    eu, east = d.client("ec2", region=EU), d.client("ec2", region=EAST)
    target = run_instance(eu)["InstanceId"]
    bystander = run_instance(east)["InstanceId"]
    for c, i in ((eu, target), (east, bystander)):
        wait_for(lambda: c.describe_instances(InstanceIds=[i])["Reservations"][0]["Instances"][0]["State"]["Name"]
                 == "running", what="running")
    ssm = d.client("ssm", region=EU)
    ssm.create_document(Name="StopIt", Content=RUNBOOK, DocumentType="Automation", DocumentFormat="YAML")
    xid = ssm.start_automation_execution(DocumentName="StopIt", Parameters={"InstanceId": [target]})[
        "AutomationExecutionId"]
    wait_for(lambda: ssm.get_automation_execution(AutomationExecutionId=xid)["AutomationExecution"]
             ["AutomationExecutionStatus"] == "Success", what="the execution to succeed")
    state = eu.describe_instances(InstanceIds=[target])["Reservations"][0]["Instances"][0]["State"]["Name"]
    assert state == "stopped"
    assert east.describe_instances(InstanceIds=[bystander])["Reservations"][0]["Instances"][0]["State"]["Name"] \
        == "running"
    # the execution is listed where it was started only
    code, _, _ = fails(d.client("ssm", region=EAST).get_automation_execution, AutomationExecutionId=xid)
    assert code == "AutomationExecutionNotFoundException"


@pytest.fixture(scope="module")
def world():
    w = World()
    yield w
    w.stop()


def test_launch_and_act_in_another_region(world):
    d = world.daemon
    west = demo_data.build(d.endpoint, WEST, ROOT_KEY, ROOT_SECRET, world.creds)
    east = world.ids
    # the same demo world, built again signed for us-west-2: IAM (global) was found, the
    # catalog and the launch are new and live in us-west-2 only
    assert west["role_arn"] == east["role_arn"]
    assert west["portfolio"] != east["portfolio"] and west["product"] != east["product"]
    key, secret = west["keys"]["enduser"]
    sc_w = d.client("servicecatalog", key=key, secret=secret, region=WEST)
    sc_e = d.client("servicecatalog", key=key, secret=secret, region=EAST)
    pp = west["provisioned_product"]
    detail = sc_w.describe_provisioned_product(Id=pp)["ProvisionedProductDetail"]
    assert detail["Arn"].startswith("arn:aws:servicecatalog:%s:%s:stack/" % (WEST, ACCOUNT))
    code, _, _ = fails(sc_e.describe_provisioned_product, Id=pp)
    assert code == "ResourceNotFoundException"
    out = {o["OutputKey"]: o["OutputValue"] for o in
           d.client("servicecatalog", region=WEST).get_provisioned_product_outputs(ProvisionedProductId=pp)["Outputs"]}
    iid = out["InstanceId"]
    assert iid in instance_ids(d.client("ec2", region=WEST))
    assert iid not in instance_ids(d.client("ec2", region=EAST))
    stacks = d.client("cloudformation", region=WEST).describe_stacks()["Stacks"]
    assert any(s["StackId"].startswith("arn:aws:cloudformation:%s:" % WEST) for s in stacks)

    # a service action on it, in us-west-2, end to end (its Automation restarts the instance)
    root_w = d.client("servicecatalog", region=WEST)
    aid = root_w.create_service_action(Name="restart-west", DefinitionType="SSM_AUTOMATION",
                                       Definition=RESTART_DEFINITION)["ServiceActionDetail"]["ServiceActionSummary"]["Id"]
    for v in west["versions"].values():
        root_w.associate_service_action_with_provisioning_artifact(ServiceActionId=aid, ProductId=west["product"],
                                                                   ProvisioningArtifactId=v)
    before = len(world.transitions())
    rec = sc_w.execute_provisioned_product_service_action(ProvisionedProductId=pp, ServiceActionId=aid)["RecordDetail"]
    assert rec["RecordId"] not in [r["RecordId"] for r in sc_e.list_record_history()["RecordDetails"]]

    def ended():
        r = sc_w.describe_record(Id=rec["RecordId"])["RecordDetail"]
        return r if r["Status"] in ("SUCCEEDED", "FAILED") else None

    done = wait_for(ended, 60, "the action's record")
    assert done["Status"] == "SUCCEEDED", done.get("RecordErrors")
    assert world.transitions()[before:] == [["stop", iid], ["start", iid]]
    # the us-east-1 launch was left alone
    assert sc_e.describe_provisioned_product(Id=east["provisioned_product"])["ProvisionedProductDetail"][
        "Status"] == "AVAILABLE"


def test_cli_region_flag(fresh_daemon):
    d = fresh_daemon()
    p = d.aws("ssm", "put-parameter", "--name", "/cli", "--value", "west", "--type", "String", region=WEST)
    assert p.returncode == 0, p.stderr
    got = d.aws("ssm", "get-parameter", "--name", "/cli", region=WEST)
    assert json.loads(got.stdout)["Parameter"]["ARN"] == "arn:aws:ssm:%s:%s:parameter/cli" % (WEST, ACCOUNT)
    miss = d.aws("ssm", "get-parameter", "--name", "/cli", region=EAST)
    assert miss.returncode != 0 and "ParameterNotFound" in miss.stderr
