#!/usr/bin/python3
"""bench/scale_catalog.py - a catalog of millions (issue 16 item 3).

generate(): a fresh data directory in which the API makes one of everything (the demo
world of tools/demo_data.py: a portfolio, the Linux Desktop product, the end-user group and
its user "enduser", one provisioned product it launched, a service action associated with
its version and run once), every record ended; then the daemon stops and bench/scale_gen
(C, through the store) clones those rows: at SCALE=1 10,000 users, 200 products of 20
versions, 100,000 service actions and their associations, 1,000,000 provisioned products
and 10,000,000 records (docs in bench/README.md, "A catalog of millions").

As a program it generates and then measures, as root and as one generated user, the p50
and p99 of R calls of each list and describe call (first pages and pages deep in the
lists), the start-up time, the peak RSS and the database size per record, with
CATALOGD_BIN and, when BEFORE_BIN is set, with that binary on the same data directory:

    SCALE=0.01 bench/scale_catalog.py                 # 10,000 provisioned products
    SCALE=1 DIR=/work/tmp-scale BEFORE_BIN=/work/before16/build/catalogd bench/scale_catalog.py
"""

import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "tests", "api"))
sys.path.insert(0, os.path.join(REPO, "tools"))
sys.path.insert(0, HERE)
import conftest  # noqa: E402
from conftest import ACCOUNT, REGION, ROOT_KEY, ROOT_SECRET, Daemon  # noqa: E402

import demo_data  # noqa: E402

USER = "enduser"  # the template user (tools/demo_data.py)
DAEMON_ARGS = ["--ec2-delay-ms", "0", "--template-dir", os.path.join(REPO, "data", "templates"),
               "--log-level", "warn"]


def gen_bin():
    return os.environ.get("SCALE_GEN", os.path.join(os.path.dirname(os.path.abspath(conftest.BIN)), "scale_gen"))


def wait_until(pred, timeout=120, every=0.1):
    deadline = time.time() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.time() > deadline:
            raise RuntimeError("timed out")
        time.sleep(every)


def templates(d):
    """Makes one of everything through the API on daemon d; returns the ids scale_gen needs."""
    w = demo_data.build(d.endpoint, REGION, ROOT_KEY, ROOT_SECRET, os.path.join(d.data_dir, "demo-credentials"))
    key, secret = w["keys"][USER]
    sc_root = d.client("servicecatalog")
    sc_user = d.client("servicecatalog", key=key, secret=secret)
    pp = w["provisioned_product"]
    wait_until(lambda: sc_user.describe_provisioned_product(Id=pp)["ProvisionedProductDetail"]["Status"]
               == "AVAILABLE")
    prod = sc_user.describe_provisioned_product(Id=pp)["ProvisionedProductDetail"]
    import flow_bench  # noqa: E402 (its restart action: AWS-RestartEC2Instance through the launch role)
    action = flow_bench.restart_action(sc_root, prod["ProductId"], prod["ProvisioningArtifactId"])
    rec = sc_user.execute_provisioned_product_service_action(ProvisionedProductId=pp, ServiceActionId=action)[
        "RecordDetail"]["RecordId"]
    st = wait_until(lambda: (lambda s: s if s in ("SUCCEEDED", "FAILED") else None)(
        sc_user.describe_record(Id=rec)["RecordDetail"]["Status"]))
    assert st == "SUCCEEDED", st
    wait_until(lambda: sc_user.describe_provisioned_product(Id=pp)["ProvisionedProductDetail"]["Status"]
               == "AVAILABLE")
    return {"pp": pp, "action": action, "template_record": rec}


def generate(scale, data_dir=None):
    """A data directory holding the catalog at scale; returns (data_dir, info) where info
    has scale_gen's counts and the template ids."""
    if data_dir:
        os.makedirs(os.path.dirname(data_dir), exist_ok=True)
    d = Daemon(data_dir=data_dir, args=DAEMON_ARGS).start()
    try:
        ids = templates(d)
    finally:
        d.stop()
    out = subprocess.run([gen_bin(), d.data_dir, str(scale), ACCOUNT, ids["pp"], ids["action"], USER],
                         capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError("scale_gen failed: " + out.stderr)
    info = json.loads(out.stdout)
    info.update(ids)
    return d.data_dir, info


def db_bytes(data_dir):
    return sum(os.path.getsize(os.path.join(data_dir, f)) for f in os.listdir(data_dir)
               if f.startswith("catalogd.db"))


ACCOUNT_LEVEL = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Resource": "*", "Action": [
    "servicecatalog:SearchProvisionedProducts", "servicecatalog:ScanProvisionedProducts",
    "servicecatalog:ListRecordHistory", "servicecatalog:DescribeRecord",
    "servicecatalog:ListServiceActionsForProvisioningArtifact"]}]})


def user_client(d, name, account_level=False):
    """A servicecatalog client signed as IAM user name (a new access key, made by root);
    with account_level, the user may also use the lists at the Account level (an inline
    policy without an access-level condition)."""
    iam = d.client("iam")
    if account_level:
        iam.put_user_policy(UserName=name, PolicyName="ScaleAccountLevel", PolicyDocument=ACCOUNT_LEVEL)
    k = iam.create_access_key(UserName=name)["AccessKey"]
    return d.client("servicecatalog", key=k["AccessKeyId"], secret=k["SecretAccessKey"])


def walk(call, member, **kw):
    """Every item of a list, page by page (NextPageToken)."""
    items, token = [], None
    while True:
        r = call(PageToken=token, **kw) if token else call(**kw)
        items += r[member]
        token = r.get("NextPageToken")
        if not token:
            return items


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))]


def hwm_mb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def tokens(call, member, n, **kw):
    """The NextPageTokens of the first n pages of a list (for reads deep in it)."""
    out, r = [], call(**kw)
    while len(out) < n and r.get("NextPageToken"):
        out.append(r["NextPageToken"])
        r = call(PageToken=out[-1], **kw)
    return out


def calls(d, info, rng):
    """The measured calls: name -> a function making one call (a random page or item)."""
    sc = d.client("servicecatalog")
    user = "scaleuser%05d" % (info["users"] // 2)
    usc = user_client(d, user, account_level=True)
    acct = {"Key": "Account", "Value": "self"}
    me = {"Key": "User", "Value": "self"}
    db = sqlite3.connect("file:%s?mode=ro" % os.path.join(d.data_dir, "catalogd.db"), uri=True)
    recs = [r[0] for r in db.execute("SELECT id FROM resources WHERE kind = 'sc.record' ORDER BY random() LIMIT 200")]
    vers = [(r[0], r[1]) for r in db.execute(
        "SELECT parent, id FROM resources WHERE kind = 'sc.artifact' ORDER BY random() LIMIT 200")]
    db.close()
    my_recs = [r["RecordId"] for r in walk(usc.list_record_history, "RecordDetails", AccessLevelFilter=me,
                                           PageSize=20)]
    lists = {
        "SearchProvisionedProducts root Account": (sc.search_provisioned_products, "ProvisionedProducts",
                                                   {"AccessLevelFilter": acct}),
        "SearchProvisionedProducts root Account name": (sc.search_provisioned_products, "ProvisionedProducts",
                                                        {"AccessLevelFilter": acct, "SortBy": "name"}),
        "SearchProvisionedProducts user User": (usc.search_provisioned_products, "ProvisionedProducts",
                                                {"AccessLevelFilter": me}),
        "SearchProvisionedProducts user User name": (usc.search_provisioned_products, "ProvisionedProducts",
                                                     {"AccessLevelFilter": me, "SortBy": "name"}),
        "SearchProvisionedProducts user Account": (usc.search_provisioned_products, "ProvisionedProducts",
                                                   {"AccessLevelFilter": acct}),
        "ScanProvisionedProducts root Account": (sc.scan_provisioned_products, "ProvisionedProducts",
                                                 {"AccessLevelFilter": acct}),
        "ScanProvisionedProducts user User": (usc.scan_provisioned_products, "ProvisionedProducts",
                                              {"AccessLevelFilter": me}),
        "ScanProvisionedProducts user Account": (usc.scan_provisioned_products, "ProvisionedProducts",
                                                 {"AccessLevelFilter": acct}),
        "ListRecordHistory root": (sc.list_record_history, "RecordDetails", {}),
        "ListRecordHistory user User": (usc.list_record_history, "RecordDetails", {"AccessLevelFilter": me}),
        "ListRecordHistory user Account": (usc.list_record_history, "RecordDetails", {"AccessLevelFilter": acct}),
    }
    out = {}
    for name, (call, member, kw) in lists.items():
        toks = [None] + tokens(call, member, 20, PageSize=20, **kw)

        def page(call=call, kw=kw, toks=toks):
            tok = rng.choice(toks)
            return call(PageSize=20, **(dict(kw, PageToken=tok) if tok else kw))

        out[name] = page
    out["DescribeRecord root"] = lambda: sc.describe_record(Id=rng.choice(recs))
    out["DescribeRecord user (own)"] = lambda: usc.describe_record(Id=rng.choice(my_recs))
    out["ListServiceActionsForProvisioningArtifact root"] = lambda: (lambda v: sc.list_service_actions_for_provisioning_artifact(
        ProductId=v[0], ProvisioningArtifactId=v[1]))(rng.choice(vers))
    out["ListServiceActionsForProvisioningArtifact user"] = lambda: (lambda v: usc.list_service_actions_for_provisioning_artifact(
        ProductId=v[0], ProvisioningArtifactId=v[1]))(rng.choice(vers))
    return out


def measure(bin_path, data_dir, info, r, label):
    """Starts bin_path on data_dir twice (the second start is timed), times r calls of each
    kind; returns a dict of figures."""
    conftest.BIN = bin_path
    d = Daemon(data_dir=data_dir, args=DAEMON_ARGS)
    t = time.perf_counter()
    d.start(timeout=3600)  # a first start may migrate or key the rows
    first = time.perf_counter() - t
    d.stop()
    t = time.perf_counter()
    d.start(timeout=3600)
    second = time.perf_counter() - t
    fig = {"label": label, "first start s": first, "start s": second}
    print("  %s: first start %.2f s, second start %.2f s" % (label, first, second), flush=True)
    try:
        rng = random.Random(16)
        for name, fn in calls(d, info, rng).items():
            fn()  # warm
            lat = []
            for _ in range(r):
                t = time.perf_counter()
                fn()
                lat.append((time.perf_counter() - t) * 1000)
            fig[name] = (statistics.median(lat), pct(lat, 99))
            print("  %-52s p50 %8.2f ms  p99 %8.2f ms" % (name, fig[name][0], fig[name][1]), flush=True)
        fig["VmHWM MB"] = hwm_mb(d.proc.pid)
        print("  %s: VmHWM %.1f MB" % (label, fig["VmHWM MB"]), flush=True)
    finally:
        d.stop()
    return fig


def strip_migration(data_dir, version):
    """Takes migration 8 (resource_counts) out, for a binary that predates it."""
    db = sqlite3.connect(os.path.join(data_dir, "catalogd.db"))
    db.execute("DROP TABLE IF EXISTS resource_counts")
    db.execute("DELETE FROM schema_migrations WHERE version >= ?", (version,))
    db.commit()
    db.close()


def main():
    """MODE=all (default): generate, measure, delete; MODE=generate: generate into DIR and
    keep it (DIR/info.json); MODE=measure: measure what DIR holds (then delete it unless KEEP=1)."""
    mode = os.environ.get("MODE", "all")
    scale = float(os.environ.get("SCALE", "0.01"))
    r = int(os.environ.get("R", "200"))
    base = os.environ.get("DIR")
    data_dir = os.path.join(base, "data") if base else None
    if mode in ("all", "generate"):
        t = time.perf_counter()
        data_dir, info = generate(scale, data_dir)
        info["generate_s"] = time.perf_counter() - t
        info["db_bytes"] = db_bytes(data_dir)
        if base:
            with open(os.path.join(base, "info.json"), "w") as f:
                json.dump(info, f)
    else:
        with open(os.path.join(base, "info.json")) as f:
            info = json.load(f)
    size = info["db_bytes"]
    print("SCALE=%s: %s" % (scale, json.dumps(info)))
    print("generated in %.1f s (scale_gen %.1f s); database %.1f MB, %.0f bytes per generated row, %.0f per record"
          % (info["generate_s"], info["seconds"], size / 1e6, size / info["rows"], size / info["records"]), flush=True)
    if mode == "generate":
        return
    figs = []
    after = os.path.abspath(conftest.BIN)  # measure() points conftest.BIN at each binary in turn
    before = os.environ.get("BEFORE_BIN")
    if before:
        strip_migration(data_dir, 8)
        print("before: %s" % before, flush=True)
        figs.append(measure(before, data_dir, info, r, "before"))
    print("after: %s" % after, flush=True)
    figs.append(measure(after, data_dir, info, r, "after"))
    for f in figs:
        print("%s: first start %.2f s, start %.2f s, VmHWM %.1f MB" % (f["label"], f["first start s"],
                                                                      f["start s"], f["VmHWM MB"]))
    print("database after: %.1f MB" % (db_bytes(data_dir) / 1e6))
    if os.environ.get("KEEP") != "1":
        subprocess.run(["rm", "-rf", data_dir], check=False)


if __name__ == "__main__":
    main()
