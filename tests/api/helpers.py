"""Small helpers the API tests share: a module's own daemon, the error of a failed call
(boto3 or the AWS CLI), polling until something holds, IAM users and roles with inline
policies, and the shell hooks that stand in for EC2 through the exec provider.

Fixtures and the daemon itself live in conftest.py; this module is imported by name."""

import json
import os
import re
import subprocess
import time

import pytest
from botocore.exceptions import ClientError


# Images of catalogd's public catalogue (data/ec2-images) in us-east-1, the tests' region:
# an image's id is derived from the region and its name (docs/internals/ec2.md), and
# RunInstances launches only these and the account's own. AMI is what
# /aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64 names, AMI_AL2 the
# ...amzn2-ami-kernel-5.10-hvm-x86_64-gp2 one, AMI_AL2_414 ...amzn2-ami-hvm-x86_64-gp2
# (test_ssm_parameters checks these against Parameter Store).
AMI = "ami-0246838ace3f374fc"
AMI_AL2 = "ami-0577fd2b761725332"
AMI_AL2_414 = "ami-01941eddca4e119bc"


def serve(daemon):
    """The body of a fixture owning daemon (a conftest.Daemon): yields it started, then
    stops it, which must be a clean exit, and removes its data."""
    daemon.start()
    yield daemon
    rc = daemon.stop()
    daemon.cleanup()
    assert rc == 0, "catalogd exited with %s on SIGTERM" % rc


def error_of(exc):
    """(code, message) of a botocore ClientError, or of pytest.raises' ExceptionInfo of one."""
    err = getattr(exc, "value", exc).response["Error"]
    return err["Code"], err.get("Message", "")


def fails(fn, *args, **kw):
    """Calls fn, which must raise a ClientError; returns (code, message, HTTP status)."""
    with pytest.raises(ClientError) as e:
        fn(*args, **kw)
    return error_of(e) + (e.value.response["ResponseMetadata"]["HTTPStatusCode"],)


def cli_error(p):
    """(code, message) of a failed AWS CLI v2 call (a completed subprocess)."""
    assert p.returncode == 254, (p.returncode, p.stdout, p.stderr)
    line = p.stderr.strip().splitlines()[-1]
    m = re.match(
        r"An error occurred \(([^)]+)\) when calling the (\w+) operation(?: \(reached max retries: \d+\))?: (.*)$",
        line,
    )
    assert m, p.stderr
    return m.group(1), m.group(3)


def wait_for(pred, timeout=20, what="a condition", interval=0.05):
    """pred()'s first truthy value, asked every interval seconds; AssertionError naming
    what (and pred's last answer) once timeout seconds have passed."""
    deadline = time.time() + timeout
    while True:
        last = pred()
        if last:
            return last
        if time.time() > deadline:
            raise AssertionError("timed out after %ss waiting for %s (last: %r)" % (timeout, what, last))
        time.sleep(interval)


def allow(actions, resource="*"):
    """An Allow statement of actions (one or a list) on resource."""
    return {"Effect": "Allow", "Action": actions, "Resource": resource}


def policy(*statements):
    """A policy document (JSON text) of statements."""
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def trust(service):
    """A trust policy (dict) letting <service>.amazonaws.com assume the role."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": service + ".amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }


def new_role(iam, name, trust_policy, actions=None, exist_ok=False):
    """Creates role name with trust_policy (dict or JSON text) and, given actions, an inline
    policy allowing them on everything (replaced when the role exists and exist_ok).
    Returns the role's ARN."""
    doc = trust_policy if isinstance(trust_policy, str) else json.dumps(trust_policy)
    try:
        arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=doc)["Role"]["Arn"]
    except ClientError as e:
        if not exist_ok or e.response["Error"]["Code"] != "EntityAlreadyExists":
            raise
        arn = iam.get_role(RoleName=name)["Role"]["Arn"]
    if actions:
        iam.put_role_policy(RoleName=name, PolicyName="actions", PolicyDocument=policy(allow(actions)))
    return arn


def new_user(iam, name, statements=(), group=None, managed=(), policy_name="p"):
    """Creates IAM user name with an inline policy of statements (when any), in group, with
    the managed policy ARNs attached, and an access key: returns (key id, secret)."""
    iam.create_user(UserName=name)
    if statements:
        iam.put_user_policy(UserName=name, PolicyName=policy_name, PolicyDocument=policy(*statements))
    if group:
        iam.add_user_to_group(GroupName=group, UserName=name)
    for arn in managed:
        iam.attach_user_policy(UserName=name, PolicyArn=arn)
    k = iam.create_access_key(UserName=name)["AccessKey"]
    return k["AccessKeyId"], k["SecretAccessKey"]


EC2_TRANSITIONS = ("launch", "start", "stop", "reboot", "terminate")


def exec_hook_args(hook_dir, script):
    """Writes script (with %(dir)s standing for hook_dir) to hook_dir/hook.sh; returns the
    daemon arguments that run it for every EC2 transition (--ec2-exec-<transition>)."""
    path = os.path.join(hook_dir, "hook.sh")
    with open(path, "w") as f:
        f.write(script % {"dir": hook_dir})
    args = []
    for t in EC2_TRANSITIONS:
        args += ["--ec2-exec-" + t, "sh " + path]
    return args


def log_lines(path):
    """The non-empty lines of a log file, each split on blanks; [] while it does not exist."""
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [line.split() for line in f if line.strip()]


def hook_records(hook_dir, transition, instance_id=None, ext="log"):
    """What a hook recorded in hook_dir/<transition>.<ext> as "<transition id> <instance id>
    <transition>" lines, as tuples, only instance_id's when given."""
    rows = [tuple(r) for r in log_lines(os.path.join(hook_dir, "%s.%s" % (transition, ext)))]
    return [r for r in rows if instance_id is None or r[1] == instance_id]


def run_bin(*args, env=None, timeout=30, **kw):
    """Runs the catalogd binary to completion (text output); kw goes to subprocess.run.
    Given --data-dir DIR, it opens DIR's store on either test backend (backend_env)."""
    from conftest import BIN, backend_env

    e = dict(os.environ)
    if "--data-dir" in args[:-1]:
        e.update(backend_env(args[list(args).index("--data-dir") + 1]))
    e.update(env or {})
    return subprocess.run([BIN] + list(args), capture_output=True, text=True, timeout=timeout,
                          env=e, **kw)


def new_account(daemon, name=None, email=None):
    """Creates another account in daemon's catalogd with the admin command (`catalogd
    account create`, which works beside the running daemon): returns (account id, root
    access key id, root secret access key)."""
    import uuid

    tag = uuid.uuid4().hex[:10]
    name = name or "account-" + tag
    email = email or "%s@example.com" % tag
    p = run_bin("account", "create", "--name", name, "--email", email, "--data-dir", daemon.data_dir)
    assert p.returncode == 0, (p.returncode, p.stdout, p.stderr)
    m = re.search(r"^Account (\d{12}) created", p.stdout, re.M)
    k = re.search(r"export AWS_ACCESS_KEY_ID=(\S+) AWS_SECRET_ACCESS_KEY=(\S+)", p.stdout)
    assert m and k, p.stdout
    return m.group(1), k.group(1), k.group(2)
