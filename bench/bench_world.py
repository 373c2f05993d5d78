"""bench/bench_world.py - the set-up the benchmarks share (flow_bench.py, backlog_bench.py,
loadgen_setup.py): the tutorial's world through the public API, its service action, the
end user's provisioned products, and the one-step runbook.

The end user (tools/demo_data.py's `enduser`) gets its rights only through its group
`Endusers` and the group's three managed policies: AWSServiceCatalogEndUserFullAccess,
ServiceCatalogEndUserPolicy (demo_data's, with the tutorial's Step 1 statement added as a
new default version, ../shared/seed/service-actions-tutorial.txt) and CatalogBrowse
(ListPortfolios and DescribePortfolio, for the read benchmark), plus the group's inline
ReadCommandOutput.
"""

import concurrent.futures as cf
import json
import os
import sys
import time

import boto3
import botocore.config

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(REPO, "tools"))

import demo_data  # noqa: E402

# A runbook of one zero-length sleep: one job per execution, no watches.
NAP_RUNBOOK = {
    "schemaVersion": "0.3",
    "description": "backlog bench: one zero-length sleep",
    "mainSteps": [{"name": "nap", "action": "aws:sleep", "inputs": {"Duration": "PT0S"}}],
}
NAP_DOCUMENT = "BenchNap"

# The tutorial's Step 1: what the end-user group's policy gets to run service actions.
TUTORIAL_STATEMENT = {
    "Sid": "Stmt1536341175150",
    "Action": ["servicecatalog:ListServiceActionsForProvisioningArtifact",
               "servicecatalog:ExecuteprovisionedProductServiceAction", "ssm:DescribeDocument",
               "ssm:GetAutomationExecution", "ssm:StartAutomationExecution", "ssm:StopAutomationExecution",
               "cloudformation:ListStackResources", "ec2:DescribeInstanceStatus", "ec2:StartInstances",
               "ec2:StopInstances"],
    "Effect": "Allow",
    "Resource": "*",
}
BROWSE_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Resource": "*",
                   "Action": ["servicecatalog:ListPortfolios", "servicecatalog:DescribePortfolio"]}],
}


def cpu_idle_pct():
    """Share of all CPUs idle over the next second (others' load makes figures noisy)."""
    def read():
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:9]]
        return v[3] + v[4], sum(v)
    a = read()
    time.sleep(1)
    b = read()
    return 100.0 * (b[0] - a[0]) / (b[1] - a[1]) if b[1] > a[1] else 100.0


def boto(endpoint, service, key, secret, region="us-east-1", pool=10):
    cfg = botocore.config.Config(retries={"max_attempts": 1}, max_pool_connections=pool)
    return boto3.client(service, endpoint_url=endpoint, region_name=region, aws_access_key_id=key,
                        aws_secret_access_key=secret, config=cfg)


def restart_action(sc, product, version):
    """A service action running AWS-RestartEC2Instance on the product's instance through
    its launch role, associated with the product's version; returns its id."""
    aid = sc.create_service_action(Name="Restart", DefinitionType="SSM_AUTOMATION", Definition={
        "Name": "AWS-RestartEC2Instance", "Version": "1", "AssumeRole": "LAUNCH_ROLE",
        "Parameters": json.dumps([{"Name": "InstanceId", "Type": "TARGET"}])})[
        "ServiceActionDetail"]["ServiceActionSummary"]["Id"]
    sc.associate_service_action_with_provisioning_artifact(ServiceActionId=aid, ProductId=product,
                                                           ProvisioningArtifactId=version)
    return aid


def provisioned_product_ids(sc):
    """Every provisioned product id the caller's SearchProvisionedProducts shows."""
    pps, token = [], None
    while True:
        page = sc.search_provisioned_products(PageSize=100, **({"PageToken": token} if token else {}))
        pps += [p["Id"] for p in page["ProvisionedProducts"]]
        token = page.get("NextPageToken")
        if not token:
            return pps


def tutorial_world(endpoint, region, root_key, root_secret, creds_path):
    """demo_data's world without its provisioned product, the end-user group's three managed
    policies (above), the restart action on v1.0 and the one-step runbook; returns
    demo_data.build's dict plus "action" and "document"."""
    w = demo_data.build(endpoint, region, root_key, root_secret, creds_path, provision=False)
    iam = boto(endpoint, "iam", root_key, root_secret, region)
    doc = dict(demo_data.ENDUSER_POLICY)
    doc["Statement"] = list(doc["Statement"]) + [TUTORIAL_STATEMENT]
    iam.create_policy_version(PolicyArn=w["group_policy_arn"], PolicyDocument=json.dumps(doc), SetAsDefault=True)
    browse = iam.create_policy(PolicyName="CatalogBrowse", PolicyDocument=json.dumps(BROWSE_POLICY))
    iam.attach_group_policy(GroupName="Endusers", PolicyArn=browse["Policy"]["Arn"])
    v1 = w["versions"]["v1.0"]
    w["action"] = restart_action(boto(endpoint, "servicecatalog", root_key, root_secret, region), w["product"], v1)
    boto(endpoint, "ssm", root_key, root_secret, region).create_document(
        Name=NAP_DOCUMENT, DocumentType="Automation", DocumentFormat="JSON", Content=json.dumps(NAP_RUNBOOK))
    w["document"] = NAP_DOCUMENT
    return w


def provision(endpoint, region, key, secret, product, version, n, threads=8, prefix="pp", timeout=1800):
    """n products provisioned by the given user from T threads, each waited for until its
    record SUCCEEDED (any other end raises); returns their provisioned product ids."""
    sc = boto(endpoint, "servicecatalog", key, secret, region, pool=threads + 2)

    def one(i):
        rec = sc.provision_product(ProductId=product, ProvisioningArtifactId=version,
                                   ProvisionedProductName="%s-%d" % (prefix, i),
                                   ProvisioningParameters=[{"Key": "InstanceType", "Value": "t3.micro"}])
        return rec["RecordDetail"]["RecordId"]

    with cf.ThreadPoolExecutor(threads) as ex:
        recs = list(ex.map(one, range(n)))
    deadline = time.time() + timeout
    pps = []
    for r in recs:
        while True:
            d = sc.describe_record(Id=r)["RecordDetail"]
            if d["Status"] == "SUCCEEDED":
                pps.append(d["ProvisionedProductId"])
                break
            if d["Status"] == "FAILED" or time.time() > deadline:
                raise RuntimeError("provisioning record %s: %s" % (r, d))
            time.sleep(0.05)
    return pps


def write_loadgen_config(path, endpoint, region, root_key, root_secret, world, pps):
    """The key=value file bench/loadgen reads (see bench/loadgen/main.c)."""
    user_key, user_secret = world["keys"]["enduser"]
    lines = ["# bench/loadgen configuration (bench/loadgen_setup.py)",
             "endpoint=%s" % endpoint.split("://", 1)[-1].rstrip("/"),
             "region=%s" % region, "root_key=%s" % root_key, "root_secret=%s" % root_secret,
             "user_key=%s" % user_key, "user_secret=%s" % user_secret,
             "product=%s" % world["product"], "artifact=%s" % world["versions"]["v1.0"],
             "action=%s" % world["action"], "document=%s" % world["document"]]
    lines += ["pp=%s" % p for p in pps]
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write("\n".join(lines) + "\n")


EXECUTE_RECORD = "EXECUTE_PROVISIONED_PRODUCT_SERVICE_ACTION"


def execute_records(endpoint, region, key, secret):
    """The ids of every service-action execution record the user's ListRecordHistory
    shows (each listed once: a repeat raises)."""
    sc = boto(endpoint, "servicecatalog", key, secret, region)
    seen, token = [], None
    while True:
        page = sc.list_record_history(PageSize=20, **({"PageToken": token} if token else {}))
        seen += [r["RecordId"] for r in page["RecordDetails"] if r["RecordType"] == EXECUTE_RECORD]
        token = page.get("NextPageToken")
        if not token:
            break
    if len(set(seen)) != len(seen):
        raise AssertionError("ListRecordHistory lists a record twice")
    return seen


def verify_records(endpoint, region, key, secret, ids, threads=8):
    """Every started record ended exactly once, and well: the ids (every record the load
    generator's requests started) are distinct, each record is SUCCEEDED, and the
    execution records the user's history holds are exactly these. Returns a list of the
    problems found (empty: all is well)."""
    problems = []
    if len(set(ids)) != len(ids):
        problems.append("%d record ids were answered more than once" % (len(ids) - len(set(ids))))
    sc = boto(endpoint, "servicecatalog", key, secret, region, pool=threads + 2)

    def status(r):
        d = sc.describe_record(Id=r)["RecordDetail"]
        return r, d["Status"], d["RecordType"]

    with cf.ThreadPoolExecutor(threads) as ex:
        for r, st, typ in ex.map(status, sorted(set(ids))):
            if st != "SUCCEEDED" or typ != EXECUTE_RECORD:
                problems.append("record %s: %s %s" % (r, typ, st))
    listed = set(execute_records(endpoint, region, key, secret))
    if listed != set(ids):
        problems.append("history has %d execution records, the runs started %d (%d not started by them, "
                        "%d missing)" % (len(listed), len(set(ids)), len(listed - set(ids)), len(set(ids) - listed)))
    return problems
