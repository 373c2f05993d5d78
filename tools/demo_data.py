#!/usr/bin/python3
"""Creates the service-actions tutorial's prerequisites in a running catalogd.

    make demo            (or: tools/demo_data.py --endpoint URL --data-dir DIR)

Everything goes through the public AWS API as the account's root user, exactly as an
administrator would do it with the AWS CLI:

  * IAM user `admin` (AdministratorAccess-like rights through
    AWSServiceCatalogAdminFullAccess plus an inline policy for IAM/SSM/EC2), console
    password, access key;
  * IAM group `Endusers` with AWSServiceCatalogEndUserFullAccess and the customer
    managed policy `ServiceCatalogEndUserPolicy` (the "custom policy created for the
    group's Provision and Terminate permissions" that Step 1 edits), an inline policy
    `ReadCommandOutput` (Step 6); user `enduser` in it, with a console password and access key;
  * role `SCLaunchRole` trusting servicecatalog.amazonaws.com, allowed to run the
    product's stack and the restart runbook;
  * portfolio `Engineering Tools` granted to the group, product `Linux Desktop` with
    versions v1.0 and v2.0 (data/templates/), a LAUNCH constraint with the role;
  * one provisioned product `linux-desktop-1` launched by `enduser` (Step 4 needs one);
  * the account's Automation runbook `RestartWebServer` and the service action "Restart
    web server" on every version of Linux Desktop: its `aws:runCommand` step runs
    AWS-RunShellScript on the product's instance, which (re)starts a tiny HTTP server
    there (answering with its pid, on 127.0.0.1:--web-port, 8080 by default). It only
    does real work when catalogd's instances are managed nodes (docs/tutorial.md, Step 6).

It writes DATA_DIR/demo-credentials (profiles `admin` and `enduser`) and prints the
console passwords. Running it twice changes nothing that already exists.
"""

import argparse
import configparser
import json
import os
import sys
import time

import boto3
import botocore.config
import botocore.exceptions

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
PASSWORDS = {"admin": "Admin-Passw0rd!", "enduser": "EndUser-Passw0rd!"}

ADMIN_INLINE = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["iam:*", "sts:*", "ssm:*", "ec2:*", "cloudformation:*",
                                                 "servicecatalog:*"], "Resource": "*"}],
}
# What the group's own policy allows before the tutorial's Step 1 adds the action rights:
# browsing and launching, and managing provisioned products at user level (their own).
ENDUSER_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{
        "Sid": "BrowseAndLaunch",
        "Effect": "Allow",
        "Action": ["servicecatalog:ProvisionProduct", "servicecatalog:ListLaunchPaths",
                   "servicecatalog:SearchProducts", "servicecatalog:DescribeProduct",
                   "servicecatalog:DescribeProductView", "servicecatalog:DescribeProvisioningParameters"],
        "Resource": "*",
    }, {
        "Sid": "ManageTheirOwn",
        "Effect": "Allow",
        "Action": ["servicecatalog:TerminateProvisionedProduct", "servicecatalog:UpdateProvisionedProduct",
                   "servicecatalog:DescribeRecord", "servicecatalog:ListRecordHistory",
                   "servicecatalog:SearchProvisionedProducts", "servicecatalog:DescribeProvisionedProduct"],
        "Resource": "*",
        "Condition": {"StringEquals": {"servicecatalog:userLevel": "self"}},
    }],
}
# The group's inline policy for Step 6: reading the output of the commands its actions ran
# (apart from the policy Step 1 edits, so that edit keeps it).
READ_COMMAND_OUTPUT = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Resource": "*",
                   "Action": ["ssm:ListCommands", "ssm:ListCommandInvocations", "ssm:GetCommandInvocation"]}],
}
LAUNCH_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "servicecatalog.amazonaws.com"},
                   "Action": "sts:AssumeRole"}],
}
LAUNCH_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{
        "Effect": "Allow",
        "Action": ["cloudformation:*", "ec2:RunInstances", "ec2:TerminateInstances", "ec2:CreateTags",
                   "ec2:DescribeInstances", "ec2:DescribeInstanceStatus", "ec2:StartInstances",
                   "ec2:StopInstances", "ec2:ModifyInstanceAttribute", "ssm:StartAutomationExecution", "ssm:GetAutomationExecution",
                   "ssm:StopAutomationExecution", "ssm:DescribeDocument",
                   "ssm:SendCommand", "ssm:ListCommands", "ssm:ListCommandInvocations",
                   "ssm:GetCommandInvocation", "ssm:GetParameters"],
        "Resource": "*",
    }],
}

WEB_ACTION = "Restart-web-server"  # "Restart web server": action names allow no spaces
WEB_RUNBOOK = "RestartWebServer"
# The node's tiny web server: answers every GET with its pid; writes its pid file once
# it listens (so the restart knows it is up).
WEB_SERVER = """import http.server, os, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = ("linux-desktop web server, pid %d\\n" % os.getpid()).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
srv = http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H)
open(sys.argv[2] + ".tmp", "w").write(str(os.getpid()))
os.rename(sys.argv[2] + ".tmp", sys.argv[2])
srv.serve_forever()
"""
# The restart, as the node user: stop the server of the pid file (if it runs), start a
# new one detached in its own session with its output redirected (a command ends when
# its script exits and its output is closed), and wait until it listens.
WEB_RESTART = r"""set -eu
dir="$HOME/.catalogd-demo/{{ InstanceId }}"
mkdir -p "$dir"
cat > "$dir/web.py" <<'PY'
%s
PY
old=$(cat "$dir/web.pid" 2>/dev/null || true)
rm -f "$dir/web.pid"
if [ -n "$old" ] && kill "$old" 2>/dev/null; then
  while kill -0 "$old" 2>/dev/null; do sleep 0.1; done
  echo "stopped the web server (pid $old)"
fi
setsid python3 "$dir/web.py" {{ Port }} "$dir/web.pid" </dev/null >/dev/null 2>&1 &
i=0
while [ ! -s "$dir/web.pid" ]; do
  i=$((i + 1)); [ $i -le 100 ] || { echo "the web server did not start" >&2; exit 1; }
  sleep 0.1
done
echo "started the web server (pid $(cat "$dir/web.pid")) on 127.0.0.1:{{ Port }}"
"""


def web_runbook(port):
    """The Automation runbook behind "Restart web server" (JSON content)."""
    return {
        "schemaVersion": "0.3",
        "description": "Restarts the web server on the instance of a Linux Desktop.",
        "assumeRole": "{{ AutomationAssumeRole }}",
        "parameters": {
            "InstanceId": {"type": "String", "description": "The instance to act on."},
            "Port": {"type": "String", "default": str(port), "allowedPattern": "^[0-9]{1,5}$",
                     "description": "The port the web server listens on (127.0.0.1)."},
            "AutomationAssumeRole": {"type": "String", "default": "",
                                     "description": "The role the automation runs as."},
        },
        "mainSteps": [{
            "name": "restartWebServer",
            "action": "aws:runCommand",
            "inputs": {"DocumentName": "AWS-RunShellScript", "InstanceIds": ["{{ InstanceId }}"],
                       "Parameters": {"commands": [WEB_RESTART % WEB_SERVER.rstrip("\n")],
                                      "executionTimeout": ["60"]}},
        }],
    }


def ignore(code, fn, *a, **kw):
    """Calls fn; an error with this code (the thing exists already) is not a failure."""
    try:
        return fn(*a, **kw)
    except botocore.exceptions.ClientError as e:
        if e.response["Error"]["Code"] != code:
            raise
        return None


def web_action(sc, ssm, product, versions, port):
    """Creates (or finds) the runbook and the "Restart web server" action on every version;
    returns the action's id."""
    ignore("DocumentAlreadyExists", ssm.create_document, Name=WEB_RUNBOOK, DocumentType="Automation",
           DocumentFormat="JSON", TargetType="/AWS::EC2::Instance", Content=json.dumps(web_runbook(port)))
    have = [a for a in sc.list_service_actions(PageSize=20)["ServiceActionSummaries"] if a["Name"] == WEB_ACTION]
    aid = have[0]["Id"] if have else sc.create_service_action(
        Name=WEB_ACTION, DefinitionType="SSM_AUTOMATION", Description="Restarts the web server of the desktop",
        Definition={"Name": WEB_RUNBOOK, "Version": "1", "AssumeRole": "LAUNCH_ROLE",
                    "Parameters": json.dumps([{"Name": "InstanceId", "Type": "TARGET"}])},
    )["ServiceActionDetail"]["ServiceActionSummary"]["Id"]
    for v in versions.values():
        ignore("DuplicateResourceException", sc.associate_service_action_with_provisioning_artifact,
               ServiceActionId=aid, ProductId=product, ProvisioningArtifactId=v)
    return aid


def build(endpoint, region, root_key, root_secret, creds_path, provision=True, template_dir=None,
          web_port=None):
    """Creates (or finds) the demo world; returns its ids and the users' keys as a dict.
    With web_port, also the "Restart web server" action (its server on that port)."""
    template_dir = template_dir or os.path.join(REPO, "data", "templates")
    cfg = botocore.config.Config(retries={"max_attempts": 2})

    def client(service, key=root_key, secret=root_secret):
        return boto3.client(service, endpoint_url=endpoint, region_name=region,
                            aws_access_key_id=key, aws_secret_access_key=secret, config=cfg)

    iam, sc = client("iam"), client("servicecatalog")
    account = client("sts").get_caller_identity()["Account"]

    # ---- IAM
    for user in ("admin", "enduser"):
        ignore("EntityAlreadyExists", iam.create_user, UserName=user)
        ignore("EntityAlreadyExists", iam.create_login_profile, UserName=user, Password=PASSWORDS[user])
    iam.attach_user_policy(UserName="admin",
                           PolicyArn="arn:aws:iam::aws:policy/AWSServiceCatalogAdminFullAccess")
    iam.put_user_policy(UserName="admin", PolicyName="DemoAdministrator", PolicyDocument=json.dumps(ADMIN_INLINE))
    ignore("EntityAlreadyExists", iam.create_group, GroupName="Endusers")
    iam.add_user_to_group(GroupName="Endusers", UserName="enduser")
    policy_arn = "arn:aws:iam::%s:policy/ServiceCatalogEndUserPolicy" % account
    ignore("EntityAlreadyExists", iam.create_policy, PolicyName="ServiceCatalogEndUserPolicy",
           PolicyDocument=json.dumps(ENDUSER_POLICY),
           Description="Provision and terminate permissions of the end-user group")
    iam.attach_group_policy(GroupName="Endusers", PolicyArn=policy_arn)
    iam.put_group_policy(GroupName="Endusers", PolicyName="ReadCommandOutput",
                         PolicyDocument=json.dumps(READ_COMMAND_OUTPUT))
    iam.attach_group_policy(GroupName="Endusers",
                            PolicyArn="arn:aws:iam::aws:policy/AWSServiceCatalogEndUserFullAccess")
    ignore("EntityAlreadyExists", iam.create_role, RoleName="SCLaunchRole",
           AssumeRolePolicyDocument=json.dumps(LAUNCH_TRUST),
           Description="Launch role of the Linux Desktop product")
    iam.put_role_policy(RoleName="SCLaunchRole", PolicyName="LaunchLinuxDesktop",
                        PolicyDocument=json.dumps(LAUNCH_POLICY))
    role_arn = iam.get_role(RoleName="SCLaunchRole")["Role"]["Arn"]

    # access keys: one per user, kept in the credentials file
    creds = configparser.ConfigParser()
    creds.read(creds_path)
    for user in ("admin", "enduser"):
        if user in creds:
            continue
        k = iam.create_access_key(UserName=user)["AccessKey"]
        creds[user] = {"aws_access_key_id": k["AccessKeyId"], "aws_secret_access_key": k["SecretAccessKey"]}
    fd = os.open(creds_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write("# catalogd demo users (AWS shared-credentials format)\n")
        creds.write(f)

    # ---- the catalog
    ports = [p for p in sc.list_portfolios()["PortfolioDetails"] if p["DisplayName"] == "Engineering Tools"]
    port = ports[0]["Id"] if ports else sc.create_portfolio(
        DisplayName="Engineering Tools", ProviderName="IT Services",
        Description="Desktops and tools for the engineering team")["PortfolioDetail"]["Id"]
    ignore("DuplicateResourceException", sc.associate_principal_with_portfolio, PortfolioId=port,
           PrincipalType="IAM", PrincipalARN="arn:aws:iam::%s:group/Endusers" % account)
    found = [p for p in sc.search_products_as_admin(PortfolioId=port)["ProductViewDetails"]
             if p["ProductViewSummary"]["Name"] == "Linux Desktop"]
    if found:
        prod = found[0]["ProductViewSummary"]["ProductId"]
    else:
        prod = sc.create_product(
            Name="Linux Desktop", Owner="IT Services", ProductType="CLOUD_FORMATION_TEMPLATE",
            Description="A Linux desktop instance", Distributor="IT Services",
            SupportDescription="Ask IT", ProvisioningArtifactParameters={
                "Name": "v1.0", "Description": "One t3 instance", "Type": "CLOUD_FORMATION_TEMPLATE",
                "Info": {"LoadTemplateFromURL": "file://%s/linux-desktop-v1.yaml" % template_dir}},
        )["ProductViewDetail"]["ProductViewSummary"]["ProductId"]
        sc.create_provisioning_artifact(ProductId=prod, Parameters={
            "Name": "v2.0", "Description": "Larger sizes allowed", "Type": "CLOUD_FORMATION_TEMPLATE",
            "Info": {"LoadTemplateFromURL": "file://%s/linux-desktop-v2.yaml" % template_dir}})
        sc.associate_product_with_portfolio(ProductId=prod, PortfolioId=port)
        sc.create_constraint(PortfolioId=port, ProductId=prod, Type="LAUNCH",
                             Parameters=json.dumps({"RoleArn": role_arn}), Description="Launch as SCLaunchRole")
    arts = sc.list_provisioning_artifacts(ProductId=prod)["ProvisioningArtifactDetails"]
    versions = {a["Name"]: a["Id"] for a in arts}
    web = web_action(sc, client("ssm"), prod, versions, web_port) if web_port else None

    # ---- the end user's provisioned product
    pp = None
    if provision:
        end = creds["enduser"]
        esc = client("servicecatalog", end["aws_access_key_id"], end["aws_secret_access_key"])
        have = esc.search_provisioned_products(Filters={"SearchQuery": ["name:linux-desktop-1"]})
        if have.get("ProvisionedProducts"):
            pp = have["ProvisionedProducts"][0]["Id"]
        else:
            rec = esc.provision_product(ProductId=prod, ProvisioningArtifactId=versions["v1.0"],
                                        ProvisionedProductName="linux-desktop-1",
                                        ProvisioningParameters=[{"Key": "InstanceType", "Value": "t3.micro"}])
            rid = rec["RecordDetail"]["RecordId"]
            deadline = time.time() + 60
            detail = rec["RecordDetail"]
            while time.time() < deadline and detail["Status"] not in ("SUCCEEDED", "FAILED"):
                time.sleep(0.2)
                detail = esc.describe_record(Id=rid)["RecordDetail"]
            if detail["Status"] != "SUCCEEDED":
                raise RuntimeError("launching linux-desktop-1 ended %s: %s" % (detail["Status"], detail.get("RecordErrors")))
            pp = detail["ProvisionedProductId"]
    return {"account": account, "portfolio": port, "product": prod, "versions": versions, "role_arn": role_arn,
            "group_policy_arn": policy_arn, "provisioned_product": pp, "credentials": creds_path,
            "web_action": web,
            "keys": {u: (creds[u]["aws_access_key_id"], creds[u]["aws_secret_access_key"]) for u in ("admin", "enduser")}}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--endpoint", default=os.environ.get("CATALOGD_ENDPOINT", "http://127.0.0.1:4599"))
    ap.add_argument("--data-dir", default=os.path.join(REPO, "var", "data"))
    ap.add_argument("--region", default="us-east-1")
    ap.add_argument("--no-provision", action="store_true", help="skip launching linux-desktop-1")
    ap.add_argument("--web-port", type=int, default=int(os.environ.get("CATALOGD_DEMO_WEB_PORT", "8080")),
                    help="port of the node's web server that \"Restart web server\" restarts (0: no such action)")
    args = ap.parse_args()

    # the root key: as catalogd was given it, or as it wrote it on its first start
    root = {"aws_access_key_id": os.environ.get("CATALOGD_ROOT_ACCESS_KEY_ID"),
            "aws_secret_access_key": os.environ.get("CATALOGD_ROOT_SECRET_ACCESS_KEY")}
    cred = configparser.ConfigParser()
    if not (root["aws_access_key_id"] and root["aws_secret_access_key"]):
        if not cred.read(os.path.join(args.data_dir, "root-credentials")):
            sys.exit("demo: no root-credentials in %s (start catalogd first: make run)" % args.data_dir)
        root = dict(cred["default"])
    path = os.path.join(args.data_dir, "demo-credentials")
    try:
        w = build(args.endpoint, args.region, root["aws_access_key_id"], root["aws_secret_access_key"], path,
                  provision=not args.no_provision, web_port=args.web_port)
    except (botocore.exceptions.ClientError, botocore.exceptions.EndpointConnectionError, RuntimeError) as e:
        sys.exit("demo: %s" % e)

    print("catalogd demo data is ready (account %s).\n" % w["account"])
    print("  portfolio  Engineering Tools (%s), granted to group Endusers" % w["portfolio"])
    print("  product    Linux Desktop (%s), versions v1.0 and v2.0, launch role SCLaunchRole" % w["product"])
    if w["web_action"]:
        print("  actions    %s (%s): its server listens on 127.0.0.1:%d of the node" % (
            WEB_ACTION, w["web_action"], args.web_port))
    if w["provisioned_product"]:
        print("  launched   linux-desktop-1 (%s) by enduser" % w["provisioned_product"])
    print("  users      admin / %s    enduser / %s   (console passwords)" % (PASSWORDS["admin"], PASSWORDS["enduser"]))
    print("\nCLI profiles for both users are in %s:\n" % path)
    print("  export AWS_SHARED_CREDENTIALS_FILE=%s AWS_DEFAULT_REGION=%s" % (path, args.region))
    print("  aws --endpoint-url %s --profile enduser servicecatalog search-provisioned-products" % args.endpoint)
    print("\nThen follow docs/tutorial.md from Step 1.")


if __name__ == "__main__":
    main()
