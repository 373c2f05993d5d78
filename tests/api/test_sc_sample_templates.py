"""AWS's published Service Catalog sample product templates, launched unchanged (issue 13,
first "Checked by" item).

tests/data/aws-samples/ holds them as published (see its README): the Administrator Guide's
getting-started `development-environment.template` (an instance in a security group of the
default VPC, its AMI from the template's region map) and the reference architectures' EC2
Linux product `sc-ec2-linux-ra.json` (a VPC security group, an IAM role with AWS managed
policies and its instance profile, the AMI from the public SSM parameter, an encrypted data
volume, a patch baseline and a maintenance window with a target and two tasks). The catalog
administrator adds each as a product of the tutorial's portfolio with a launch constraint;
the tutorial's end user launches it through ProvisionProduct and terminates it; every
resource the stack made is checked through its owning service's Describe/Get while it runs
and gone afterwards.
"""

import functools
import http.server
import json
import os
import threading

import pytest

from conftest import REPO
from helpers import fails, wait_for
from sc_world import World, demo_data

SAMPLES = os.path.join(REPO, "tests", "data", "aws-samples")
# what the products' stacks do, as the launch role (the guide's launch constraint role gets
# the services its products use)
LAUNCH_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Resource": "*",
                   "Action": ["cloudformation:*", "ec2:*", "ssm:*", "iam:*"]}],
}


@pytest.fixture(scope="module")
def world():
    w = World()
    yield w
    w.stop()


@pytest.fixture(scope="module")
def samples_url():
    """The sample files served over loopback, as the administrator's S3 bucket would."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=SAMPLES)
    handler.log_message = lambda *a: None
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield "http://127.0.0.1:%d/" % srv.server_address[1]
    srv.shutdown()


@pytest.fixture(scope="module")
def catalog(world, samples_url):
    """Both products in the tutorial's portfolio, each with a launch constraint; a key pair
    for the end user to name. Returns {file: product id}."""
    iam, sc = world.client("iam"), world.client("servicecatalog")
    iam.create_role(RoleName="SCSampleLaunchRole", AssumeRolePolicyDocument=json.dumps(demo_data.LAUNCH_TRUST))
    iam.put_role_policy(RoleName="SCSampleLaunchRole", PolicyName="launch", PolicyDocument=json.dumps(LAUNCH_POLICY))
    role = iam.get_role(RoleName="SCSampleLaunchRole")["Role"]["Arn"]
    products = {}
    for name, title in (("development-environment.template", "Development environment"),
                        ("sc-ec2-linux-ra.json", "EC2 Linux reference architecture")):
        pid = sc.create_product(
            Name=title, Owner="IT Services", ProductType="CLOUD_FORMATION_TEMPLATE",
            ProvisioningArtifactParameters={"Name": "v1.0", "Type": "CLOUD_FORMATION_TEMPLATE",
                                            "Info": {"LoadTemplateFromURL": samples_url + name}},
        )["ProductViewDetail"]["ProductViewSummary"]["ProductId"]
        sc.associate_product_with_portfolio(ProductId=pid, PortfolioId=world.ids["portfolio"])
        sc.create_constraint(PortfolioId=world.ids["portfolio"], ProductId=pid, Type="LAUNCH",
                             Parameters=json.dumps({"RoleArn": role}))
        products[name] = pid
    world.client("ec2").create_key_pair(KeyName="sample-key")
    return products


def launch(world, product, name, params):
    """ProvisionProduct as the end user; the ended record and its outputs."""
    sc = world.client("servicecatalog", "enduser")
    art = sc.describe_product(Id=product)["ProvisioningArtifacts"][0]["Id"]
    rec = sc.provision_product(ProductId=product, ProvisioningArtifactId=art, ProvisionedProductName=name,
                               ProvisioningParameters=[{"Key": k, "Value": v} for k, v in params.items()])
    return world.wait_record(rec["RecordDetail"]["RecordId"], timeout=120)


def why(world, detail):
    """The stack's failure events, for an assertion's message."""
    name = "SC-%s-%s" % (world.ids["account"], detail["ProvisionedProductId"])
    ev = world.client("cloudformation").describe_stack_events(StackName=name)["StackEvents"]
    return [(e["LogicalResourceId"], e["ResourceStatus"], e.get("ResourceStatusReason")) for e in ev
            if e["ResourceStatus"].endswith("FAILED")]


def stack_resources(world, pp):
    """{logical id: (type, physical id)} of a provisioned product's stack."""
    cfn = world.client("cloudformation")
    name = "SC-%s-%s" % (world.ids["account"], pp)
    return {r["LogicalResourceId"]: (r["ResourceType"], r["PhysicalResourceId"])
            for r in cfn.describe_stack_resources(StackName=name)["StackResources"]}


def terminate(world, pp):
    sc = world.client("servicecatalog", "enduser")
    rec = sc.terminate_provisioned_product(ProvisionedProductId=pp)["RecordDetail"]
    detail, _ = world.wait_record(rec["RecordId"], timeout=120)
    assert detail["Status"] == "SUCCEEDED", detail.get("RecordErrors")
    assert fails(sc.describe_provisioned_product, Id=pp)[0] == "ResourceNotFoundException"


def instance(world, iid):
    return world.client("ec2").describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]


def terminated(world, iid):
    wait_for(lambda: instance(world, iid)["State"]["Name"] == "terminated", 60, "%s to terminate" % iid)


def default_vpc(world):
    ec2 = world.client("ec2")
    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]
    return vpc, sorted(s["SubnetId"] for s in subnets)


def test_development_environment(world, catalog):
    detail, outputs = launch(world, catalog["development-environment.template"], "dev-env-1",
                             {"KeyName": "sample-key"})
    assert detail["Status"] == "SUCCEEDED", why(world, detail)
    pp = detail["ProvisionedProductId"]
    res = stack_resources(world, pp)
    assert {k: t for k, (t, _) in res.items()} == {"EC2Instance": "AWS::EC2::Instance",
                                                   "InstanceSecurityGroup": "AWS::EC2::SecurityGroup"}
    ec2 = world.client("ec2")
    iid, group = res["EC2Instance"][1], res["InstanceSecurityGroup"][1]
    # a security group named in the default VPC: its Ref (and physical id) is its name
    sg = ec2.describe_security_groups(GroupNames=[group])["SecurityGroups"][0]
    assert sg["VpcId"] == default_vpc(world)[0] and sg["Description"] == "Enable SSH access via port 22"
    assert [(p["IpProtocol"], p["FromPort"], p["ToPort"], [r["CidrIp"] for r in p["IpRanges"]])
            for p in sg["IpPermissions"]] == [("tcp", 22, 22, ["0.0.0.0/0"])]
    inst = instance(world, iid)
    assert inst["State"]["Name"] == "running"
    assert inst["ImageId"] == "ami-08842d60"  # the template's us-east-1 mapping
    assert inst["InstanceType"] == "t2.micro" and inst["KeyName"] == "sample-key"
    assert [g["GroupId"] for g in inst["SecurityGroups"]] == [sg["GroupId"]]
    # the default subnet maps a public address on launch, with EC2's DNS name for it
    ip = inst["PublicIpAddress"]
    assert inst["PublicDnsName"] == "ec2-%s.compute-1.amazonaws.com" % ip.replace(".", "-")
    assert outputs["PublicDNSName"] == inst["PublicDnsName"] and outputs["PublicIPAddress"] == ip

    terminate(world, pp)
    terminated(world, iid)
    e = fails(ec2.describe_security_groups, GroupNames=[group])
    assert e[0] == "InvalidGroup.NotFound"


def test_ec2_linux_reference_architecture(world, catalog):
    vpc, subnets = default_vpc(world)
    detail, outputs = launch(world, catalog["sc-ec2-linux-ra.json"], "ec2-ra-1", {
        "VPC": vpc, "LinuxSubnet": subnets[0], "KeyPair": "sample-key", "RemoteAccessCIDR": "10.20.0.0/16"})
    assert detail["Status"] == "SUCCEEDED", why(world, detail)
    pp = detail["ProvisionedProductId"]
    res = stack_resources(world, pp)
    phys = {k: p for k, (_, p) in res.items()}
    assert len(res) == 10
    ec2, iam, ssm = world.client("ec2"), world.client("iam"), world.client("ssm")

    # the IAM role with AWS's managed policies, and its instance profile
    role = phys["InstancePatchingRole"]
    attached = iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]
    assert sorted(p["PolicyArn"] for p in attached) == ["arn:aws:iam::aws:policy/AmazonSSMFullAccess",
                                                        "arn:aws:iam::aws:policy/service-role/AmazonEC2RoleforSSM"]
    profile = iam.get_instance_profile(InstanceProfileName=phys["PatchingInstanceProfile"])["InstanceProfile"]
    assert [r["RoleName"] for r in profile["Roles"]] == [role]
    mw_role = iam.get_role(RoleName=phys["MaintenanceWindowRole"])["Role"]

    # the security group in the given VPC, with the template's rules
    sg = ec2.describe_security_groups(GroupIds=[phys["LinuxSecurityGroup"]])["SecurityGroups"][0]
    assert sg["VpcId"] == vpc
    ingress = sorted((p["IpProtocol"], p["FromPort"], p["ToPort"], p["IpRanges"][0]["CidrIp"]) for p in sg["IpPermissions"])
    assert ingress == [("icmp", -1, -1, "10.20.0.0/16"), ("tcp", 22, 22, "10.20.0.0/16")]
    assert [p["IpProtocol"] for p in sg["IpPermissionsEgress"]] == ["-1"]

    # the instance: AMI from the public parameter, subnet, group, key, profile, data volume
    iid = phys["LinuxInstance"]
    inst = instance(world, iid)
    ami = ssm.get_parameter(Name="/aws/service/ami-amazon-linux-latest/amzn2-ami-hvm-x86_64-gp2")["Parameter"]["Value"]
    assert inst["ImageId"] == ami and inst["InstanceType"] == "t3.micro"
    assert inst["SubnetId"] == subnets[0] and inst["KeyName"] == "sample-key"
    assert [g["GroupId"] for g in inst["SecurityGroups"]] == [sg["GroupId"]]
    assert inst["IamInstanceProfile"]["Arn"] == profile["Arn"]
    tags = {t["Key"]: t["Value"] for t in inst["Tags"]}
    assert tags["Name"] == "SC-RA-Linux-%s" % subnets[0]
    assert tags["Description"] == "Service-Catalog-EC2-Reference-Architecture"
    xvdh = [b for b in inst["BlockDeviceMappings"] if b["DeviceName"] == "/dev/xvdh"]
    assert len(xvdh) == 1
    vol = ec2.describe_volumes(VolumeIds=[xvdh[0]["Ebs"]["VolumeId"]])["Volumes"][0]
    assert vol["Size"] == 50 and vol["Encrypted"] is True
    assert outputs["LinuxInstanceId"] == iid and outputs["LinuxInstancePrivateIpAddress"] == inst["PrivateIpAddress"]
    assert outputs["LinuxInstanceAvailabilityZone"] == inst["Placement"]["AvailabilityZone"]
    assert outputs["AWSRegionName"] == "us-east-1" and outputs["LinuxSSHPort"] == "22"

    # the patch baseline and the maintenance window with its target and tasks
    pb = ssm.get_patch_baseline(BaselineId=phys["LinuxPatchBaseline"])
    assert pb["Name"] == "sc-ec2-ra-linux-patch-baseline" and pb["OperatingSystem"] == "AMAZON_LINUX"
    assert pb["ApprovalRules"]["PatchRules"][0]["ComplianceLevel"] == "CRITICAL"
    assert outputs["SSMLinuxPatchBaseline"] == pb["BaselineId"]
    wid = phys["MaintenanceWindow"]
    mw = ssm.get_maintenance_window(WindowId=wid)
    assert (mw["Schedule"], mw["Duration"], mw["Cutoff"], mw["AllowUnassociatedTargets"]) == (
        "cron(* 17 * * ? *)", 6, 2, False)
    targets = ssm.describe_maintenance_window_targets(WindowId=wid)["Targets"]
    assert [(t["WindowTargetId"], t["Targets"]) for t in targets] == [
        (phys["LinuxMainteanceWindowTarget"], [{"Key": "InstanceIds", "Values": [iid]}])]
    tasks = sorted(ssm.describe_maintenance_window_tasks(WindowId=wid)["Tasks"], key=lambda t: t["Priority"])
    assert [(t["WindowTaskId"], t["TaskArn"], t["Type"], t["TaskParameters"]["Operation"]["Values"], t["ServiceRoleArn"])
            for t in tasks] == [
        (phys["LinuxMaintenanceWindowTaskScan"], "AWS-RunPatchBaseline", "RUN_COMMAND", ["Scan"], mw_role["Arn"]),
        (phys["LinuxMaintenanceWindowTaskInstall"], "AWS-RunPatchBaseline", "RUN_COMMAND", ["Install"], mw_role["Arn"]),
    ]
    assert {(t["MaxConcurrency"], t["MaxErrors"]) for t in tasks} == {("1", "1")}

    terminate(world, pp)
    terminated(world, iid)
    assert fails(ec2.describe_volumes, VolumeIds=[vol["VolumeId"]])[0] == "InvalidVolume.NotFound"
    assert fails(ec2.describe_security_groups, GroupIds=[sg["GroupId"]])[0] == "InvalidGroup.NotFound"
    for r in (role, phys["MaintenanceWindowRole"]):
        assert fails(iam.get_role, RoleName=r)[0] == "NoSuchEntity"
    assert fails(iam.get_instance_profile, InstanceProfileName=profile["InstanceProfileName"])[0] == "NoSuchEntity"
    assert fails(ssm.get_patch_baseline, BaselineId=pb["BaselineId"])[0] == "DoesNotExistException"
    assert fails(ssm.get_maintenance_window, WindowId=wid)[0] == "DoesNotExistException"
    assert fails(ssm.describe_maintenance_window_targets, WindowId=wid)[0] == "DoesNotExistException"


def test_a_key_pair_that_does_not_exist_fails_the_launch(world, catalog):
    """AWS::EC2::KeyPair::KeyName is checked against the account's key pairs, in
    CloudFormation's words, and the failed launch leaves nothing behind."""
    before = world.client("ec2").describe_security_groups()["SecurityGroups"]
    detail, _ = launch(world, catalog["development-environment.template"], "dev-env-bad", {"KeyName": "no-such-key"})
    assert detail["Status"] == "FAILED"
    msg = " ".join(e["Description"] for e in detail["RecordErrors"])
    assert "Parameter validation failed: parameter value no-such-key for parameter name KeyName does not exist" in msg
    assert world.client("ec2").describe_security_groups()["SecurityGroups"] == before
