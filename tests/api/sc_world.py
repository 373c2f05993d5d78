"""The tutorial's world for Service Catalog tests: a daemon whose instances run through the
exec provider (so each stop and start is observed in a log file), the demo data
(tools/demo_data.py: admin, end-user group and user, launch role, portfolio, "Linux
Desktop" with two versions, one provisioned product), AWS CLI profiles for both users,
and helpers to run actions and wait for their records."""

import json
import os
import subprocess
import sys
import tempfile
import time

from conftest import CLI_V2, REGION, REPO, ROOT_KEY, ROOT_SECRET, SHARED, Daemon
from helpers import log_lines, wait_for

sys.path.insert(0, os.path.join(REPO, "tools"))
import demo_data  # noqa: E402

RESTART_DEFINITION = {
    "Name": "AWS-RestartEC2Instance",
    "Version": "1",
    "AssumeRole": "LAUNCH_ROLE",
    "Parameters": json.dumps([{"Name": "InstanceId", "Type": "TARGET"}]),
}


def tutorial_step1_policy():
    """Step 1's policy, verbatim from the tutorial text."""
    text = open(os.path.join(SHARED, "seed", "service-actions-tutorial.txt"), encoding="utf-8").read()
    start = text.index("{", text.index("add the following permissions to the policy:"))
    depth = 0
    for i in range(start, len(text)):
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        if depth == 0:
            return text[start : i + 1]
    raise AssertionError("no policy in the tutorial")


def add_step1_policy(iam, arn):
    """Step 1: the tutorial's statement added to the group's policy arn (a new default
    version), through iam (the root's client)."""
    version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    doc = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]
    doc = json.loads(doc) if isinstance(doc, str) else doc
    doc["Statement"] = list(doc["Statement"]) + json.loads(tutorial_step1_policy())["Statement"]
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(doc), SetAsDefault=True)


def new_action(sc, ids, definition, name, versions=None):
    """Creates a service action through sc (the root's client) and associates it with the
    given versions of Linux Desktop (default: all of ids["versions"]); returns its id."""
    aid = sc.create_service_action(Name=name, DefinitionType="SSM_AUTOMATION", Definition=definition)[
        "ServiceActionDetail"]["ServiceActionSummary"]["Id"]
    for v in versions or ids["versions"].values():
        sc.associate_service_action_with_provisioning_artifact(ServiceActionId=aid, ProductId=ids["product"],
                                                               ProvisioningArtifactId=v)
    return aid


class World:
    """A started daemon with the demo data; stop() ends it."""

    def __init__(self, extra_args=(), env=None, web_port=None):
        self.dir = tempfile.mkdtemp(prefix="catalogd-sc-")
        self.log = os.path.join(self.dir, "transitions.log")
        # each transition appends "<transition> <instance>"; a file fail-<instance> makes
        # a stop fail with a message on stderr, as a real provider command would, and a
        # file hold-<instance> keeps the stop going until it is removed
        stop = (
            'while [ -e "{d}/hold-$CATALOGD_INSTANCE_ID" ]; do sleep 0.05; done; '
            'if [ -e "{d}/fail-$CATALOGD_INSTANCE_ID" ]; then echo "the desktop refused to shut down" >&2; exit 1; fi; '
            'echo "stop $CATALOGD_INSTANCE_ID" >> "{log}"'.format(d=self.dir, log=self.log)
        )
        start = 'echo "start $CATALOGD_INSTANCE_ID" >> "%s"' % self.log
        args = [
            "--ec2-provider", "exec",
            "--ec2-exec-stop", stop,
            "--ec2-exec-start", start,
            "--template-dir", os.path.join(REPO, "data", "templates"),
            "--fetch-allow", "127.0.0.0/8",  # tests serve templates from loopback
        ] + list(extra_args)
        self.daemon = Daemon(args=args, env=env).start()
        self.creds = os.path.join(self.dir, "credentials")
        self.ids = demo_data.build(self.daemon.endpoint, REGION, ROOT_KEY, ROOT_SECRET, self.creds,
                                   web_port=web_port)
        self.pp = self.ids["provisioned_product"]

    def add_step1_policy(self):
        """Step 1: the tutorial's statement added to the group's policy (a new default version)."""
        add_step1_policy(self.client("iam"), self.ids["group_policy_arn"])

    def restart(self):
        self.daemon.stop()
        self.daemon.start()

    def stop(self):
        self.daemon.stop()
        self.daemon.cleanup()

    # ---- clients
    def client(self, service, user=None):
        if user is None:
            return self.daemon.client(service)
        key, secret = self.ids["keys"][user]
        return self.daemon.client(service, key=key, secret=secret)

    def cli(self, profile, *args, check=True):
        """The AWS CLI v2 under a named profile of the credentials file; parsed JSON output."""
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": self.dir,
            "AWS_SHARED_CREDENTIALS_FILE": self.creds,
            "AWS_CONFIG_FILE": "/dev/null",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_PAGER": "",
            "AWS_MAX_ATTEMPTS": "1",
            "AWS_EC2_METADATA_DISABLED": "true",
        }
        p = subprocess.run(
            [CLI_V2, "--endpoint-url", self.daemon.endpoint, "--profile", profile, "--output", "json"] + list(args),
            capture_output=True, text=True, env=env, timeout=120,
        )
        if check and p.returncode != 0:
            raise AssertionError("aws %s failed (%d): %s" % (" ".join(args), p.returncode, p.stderr))
        p.json = json.loads(p.stdout) if p.stdout.strip() else None
        return p

    # ---- the catalog side
    def new_action(self, definition, name=None, versions=None):
        """Creates a service action (as root) and associates it with the given versions of
        Linux Desktop (default: all); returns its id."""
        return new_action(self.client("servicecatalog"), self.ids, definition,
                          name or "act-%d" % int(time.time() * 1e6), versions)

    def document(self, name, content, target_type="/AWS::EC2::Instance"):
        """Creates an Automation document (YAML) in the account, as root."""
        kw = {"TargetType": target_type} if target_type else {}
        self.client("ssm").create_document(Name=name, Content=content, DocumentType="Automation",
                                           DocumentFormat="YAML", **kw)

    def instance(self, pp=None):
        """The instance id of a provisioned product's stack."""
        out = self.client("servicecatalog").get_provisioned_product_outputs(ProvisionedProductId=pp or self.pp)
        return {o["OutputKey"]: o["OutputValue"] for o in out["Outputs"]}["InstanceId"]

    def transitions(self):
        return log_lines(self.log)

    # ---- running actions
    def execute(self, action, user="enduser", pp=None, parameters=None):
        """Executes as user; returns the record once it has ended, and its outputs."""
        sc = self.client("servicecatalog", user)
        kw = {"Parameters": parameters} if parameters else {}
        rec = sc.execute_provisioned_product_service_action(ProvisionedProductId=pp or self.pp,
                                                            ServiceActionId=action, **kw)["RecordDetail"]
        assert rec["Status"] == "CREATED"
        assert rec["RecordType"] == "EXECUTE_PROVISIONED_PRODUCT_SERVICE_ACTION"
        return self.wait_record(rec["RecordId"], user)

    def wait_record(self, record_id, user="enduser", timeout=60):
        """The record once it has ended (SUCCEEDED or FAILED), and its outputs."""
        sc = self.client("servicecatalog", user)

        def ended():
            r = sc.describe_record(Id=record_id)
            return r if r["RecordDetail"]["Status"] in ("SUCCEEDED", "FAILED") else None

        r = wait_for(ended, timeout, "record %s to end" % record_id)
        return r["RecordDetail"], {o["OutputKey"]: o["OutputValue"] for o in r.get("RecordOutputs", [])}
