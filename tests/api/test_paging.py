"""Paging by key (issue 11 item 9): every list's page token names the last item returned,
not a position, so an item that exists throughout a walk is returned exactly once however
many items are created or deleted between two pages; a token that is garbage, or that
another operation issued, gets the service's own error.

Each walk reads page 1, then deletes an item it already returned and creates a new one,
then reads the rest. An offset token skipped an item after the delete (lists oldest
first) or returned one twice after the insert (lists newest first)."""

import itertools
import json
import os

import pytest

from conftest import REPO, Daemon, store_sql
from helpers import fails, serve, trust, wait_for
from sc_world import World

N, PAGE = 30, 5
_n = itertools.count()


def uniq(prefix):
    return "%s-%d-%d" % (prefix, os.getpid(), next(_n))


def walk(fetch, ids_of, token_of, between, limit=PAGE):
    """Reads every page of a list: fetch(token) -> response (token None: the first
    page), ids_of(response) -> ids, token_of(response) -> the next token or None.
    between(first_ids) runs once, after the first page, which must be a full page of
    limit items. Returns every id, in order."""
    out = fetch(None)
    got = ids_of(out)
    assert len(got) == limit and token_of(out)
    between(list(got))
    token = token_of(out)
    while token:
        out = fetch(token)
        page = ids_of(out)
        assert len(page) <= limit
        got += page
        token = token_of(out)
    return got


def assert_once(got, survivors):
    """Every survivor exactly once, and nothing twice."""
    dup = sorted({i for i in got if got.count(i) > 1})
    assert not dup, "returned twice: %s" % dup
    missing = sorted(set(survivors) - set(got))
    assert not missing, "skipped %d: %s" % (len(missing), missing)


@pytest.fixture(scope="module")
def d():
    yield from serve(Daemon(args=["--template-dir", os.path.join(REPO, "data", "templates")]))


# ---- IAM: Marker / IsTruncated


def test_iam_list_users_survives_a_delete_and_an_insert(d):
    iam = d.client("iam")
    prefix = "/paging/"
    names = [uniq("pu") for _ in range(N)]
    for n in names:
        iam.create_user(UserName=n, Path=prefix)
    deleted = []

    def between(first):
        deleted.append(first[1])
        iam.delete_user(UserName=first[1])
        iam.create_user(UserName=uniq("pu-new"), Path=prefix)

    got = walk(
        lambda t: iam.list_users(PathPrefix=prefix, MaxItems=PAGE, **({"Marker": t} if t else {})),
        lambda o: [u["UserName"] for u in o["Users"]],
        lambda o: o.get("Marker") if o["IsTruncated"] else None,
        between,
    )
    assert_once(got, set(names) - set(deleted))


def test_iam_marker_is_checked(d):
    iam = d.client("iam")
    for _ in range(3):
        iam.create_role(RoleName=uniq("pr"), AssumeRolePolicyDocument=json.dumps(trust("ec2.amazonaws.com")))
    for _ in range(3):
        iam.create_user(UserName=uniq("pm"))
    users = iam.list_users(MaxItems=1)
    assert users["IsTruncated"] and users["Marker"]
    # a marker ListUsers issued means nothing to ListRoles; garbage means nothing at all
    for marker in (users["Marker"], "garbage", "Y2F0YWxvZ2Q6MQ=="):
        code, msg, status = fails(iam.list_roles, Marker=marker)
        assert (code, msg, status) == ("InvalidInput", "Invalid Marker.", 400)


def test_iam_list_entities_for_policy_survives_a_detach_and_an_attach(d):
    iam = d.client("iam")
    arn = iam.create_policy(PolicyName=uniq("pol"), PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]}))[
        "Policy"]["Arn"]

    def new():
        name = uniq("pe")
        iam.create_user(UserName=name)
        iam.attach_user_policy(UserName=name, PolicyArn=arn)
        return name

    names = [new() for _ in range(12)]
    detached = []

    def between(first):
        detached.append(first[0])
        iam.detach_user_policy(UserName=first[0], PolicyArn=arn)
        new()

    got = walk(
        lambda t: iam.list_entities_for_policy(PolicyArn=arn, MaxItems=PAGE, **({"Marker": t} if t else {})),
        lambda o: [u["UserName"] for u in o["PolicyUsers"]],
        lambda o: o.get("Marker") if o["IsTruncated"] else None,
        between,
    )
    assert_once(got, set(names) - set(detached))


# ---- EC2: NextToken / MaxResults


def test_ec2_describe_instances_survives_a_terminate_and_a_launch(d):
    ec2 = d.client("ec2")
    tag = uniq("paging")
    ami = "ami-0246838ace3f374fc"
    filt = [{"Name": "tag:walk", "Values": [tag]}]
    spec = [{"ResourceType": "instance", "Tags": [{"Key": "walk", "Value": tag}]}]
    n = 15  # the account's instance limit is 20
    ids = [i["InstanceId"] for i in ec2.run_instances(ImageId=ami, MinCount=n, MaxCount=n,
                                                       TagSpecifications=spec)["Instances"]]

    def between(first):
        ec2.terminate_instances(InstanceIds=[first[0]])
        ec2.run_instances(ImageId=ami, MinCount=1, MaxCount=1, TagSpecifications=spec)

    got = walk(
        lambda t: ec2.describe_instances(Filters=filt, MaxResults=PAGE, **({"NextToken": t} if t else {})),
        lambda o: [i["InstanceId"] for r in o["Reservations"] for i in r["Instances"]],
        lambda o: o.get("NextToken"),
        between,
    )
    assert_once(got, ids)
    code, msg, _ = fails(ec2.describe_instances, MaxResults=PAGE, NextToken="garbage")
    assert (code, msg) == ("InvalidParameterValue", "The token 'garbage' is invalid.")
    first = ec2.describe_instances(Filters=filt, MaxResults=PAGE)
    code, _, _ = fails(ec2.describe_instance_status, MaxResults=PAGE, NextToken=first["NextToken"])
    assert code == "InvalidParameterValue"


def test_ec2_describe_tags_survives_a_delete_and_a_create(d):
    ec2 = d.client("ec2")
    iids = [i["InstanceId"] for i in ec2.run_instances(ImageId="ami-0246838ace3f374fc", MinCount=2,
                                                        MaxCount=2)["Instances"]]
    for iid in iids:
        ec2.create_tags(Resources=[iid], Tags=[{"Key": "k%02d" % j, "Value": str(j)} for j in range(12)])
    filt = [{"Name": "resource-id", "Values": iids}]
    gone = []

    def between(first):
        gone.append(first[1])
        iid, key = first[1]
        ec2.delete_tags(Resources=[iid], Tags=[{"Key": key}])
        ec2.create_tags(Resources=[iids[0]], Tags=[{"Key": "a-new", "Value": "x"}, {"Key": "z-new", "Value": "y"}])

    got = walk(
        lambda t: ec2.describe_tags(Filters=filt, MaxResults=PAGE, **({"NextToken": t} if t else {})),
        lambda o: [(x["ResourceId"], x["Key"]) for x in o["Tags"]],
        lambda o: o.get("NextToken"),
        between,
    )
    assert_once(got, {(i, "k%02d" % j) for i in iids for j in range(12)} - set(gone))
    code, msg, _ = fails(ec2.describe_tags, MaxResults=PAGE, NextToken="garbage")
    assert (code, msg) == ("InvalidParameterValue", "The token 'garbage' is invalid.")


# ---- SSM: NextToken / MaxResults

NOOP = """schemaVersion: '0.3'
mainSteps:
  - name: nap
    action: aws:sleep
    inputs:
      Duration: PT0S
"""


def test_ssm_describe_automation_executions_survives_an_insert(d):
    ssm = d.client("ssm")
    doc = uniq("PagingNoop")
    ssm.create_document(Name=doc, Content=NOOP, DocumentType="Automation", DocumentFormat="YAML")
    ids = [ssm.start_automation_execution(DocumentName=doc)["AutomationExecutionId"] for _ in range(N)]
    filt = [{"Key": "DocumentNamePrefix", "Values": [doc]}]

    def between(first):  # newest first: the new one goes before what was returned
        for _ in range(3):
            ssm.start_automation_execution(DocumentName=doc)

    got = walk(
        lambda t: ssm.describe_automation_executions(Filters=filt, MaxResults=PAGE,
                                                     **({"NextToken": t} if t else {})),
        lambda o: [e["AutomationExecutionId"] for e in o["AutomationExecutionMetadataList"]],
        lambda o: o.get("NextToken"),
        between,
    )
    assert_once(got, ids)
    assert got[:PAGE] == ids[::-1][:PAGE]  # still newest first


def test_ssm_list_documents_survives_a_delete_and_an_insert(d):
    ssm = d.client("ssm")
    names = [uniq("PagingDoc") for _ in range(N)]
    for n in names:
        ssm.create_document(Name=n, Content=NOOP, DocumentType="Automation", DocumentFormat="YAML")
    filt = [{"Key": "Owner", "Values": ["Self"]}]
    deleted = []

    def between(first):
        mine = [n for n in first if n in names]
        deleted.append(mine[0])
        ssm.delete_document(Name=mine[0])
        ssm.create_document(Name=uniq("PagingDocNew"), Content=NOOP, DocumentType="Automation",
                            DocumentFormat="YAML")

    got = walk(
        lambda t: ssm.list_documents(Filters=filt, MaxResults=PAGE, **({"NextToken": t} if t else {})),
        lambda o: [x["Name"] for x in o["DocumentIdentifiers"]],
        lambda o: o.get("NextToken"),
        between,
    )
    assert_once(got, set(names) - set(deleted))


def test_ssm_list_document_versions_survives_an_update(d):
    ssm = d.client("ssm")
    name = uniq("PagingVersions")
    ssm.create_document(Name=name, Content=NOOP, DocumentType="Automation", DocumentFormat="YAML")
    for j in range(11):
        ssm.update_document(Name=name, Content=NOOP + "# %d\n" % j, DocumentVersion="$LATEST", DocumentFormat="YAML")
    versions = [str(v) for v in range(12, 0, -1)]

    def between(first):  # newest first: the new version goes before what was returned
        ssm.update_document(Name=name, Content=NOOP + "# new\n", DocumentVersion="$LATEST", DocumentFormat="YAML")

    got = walk(
        lambda t: ssm.list_document_versions(Name=name, MaxResults=PAGE, **({"NextToken": t} if t else {})),
        lambda o: [v["DocumentVersion"] for v in o["DocumentVersions"]],
        lambda o: o.get("NextToken"),
        between,
    )
    assert_once(got, versions)
    assert got == versions


def test_ssm_tokens_are_checked(d):
    ssm = d.client("ssm")
    docs = ssm.list_documents(MaxResults=1)
    assert docs["NextToken"]
    for tok in (docs["NextToken"], "garbage"):
        code, msg, _ = fails(ssm.describe_automation_executions, NextToken=tok)
        assert (code, msg) == ("InvalidNextToken", "The specified token isn't valid.")


# ---- CloudFormation: NextToken (100 a page)

HANDLES = """AWSTemplateFormatVersion: "2010-09-09"
Resources:
%s
"""


def handles(n):
    return HANDLES % "\n".join("  H%d:\n    Type: AWS::CloudFormation::WaitConditionHandle" % i for i in range(n))


def stack_done(cfn, name):
    return wait_for(lambda: cfn.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"].endswith("COMPLETE"),
                    60, "stack %s to settle" % name)


def test_cloudformation_describe_stack_events_survives_an_update(d):
    cfn = d.client("cloudformation")
    name = uniq("paging-events")
    cfn.create_stack(StackName=name, TemplateBody=handles(60))
    stack_done(cfn, name)
    before = [e["EventId"] for e in cfn.get_paginator("describe_stack_events").paginate(StackName=name)
              .build_full_result()["StackEvents"]]
    assert len(before) > 100

    def between(first):  # newest first: the update's events go before what was returned
        cfn.update_stack(StackName=name, TemplateBody=handles(62))
        stack_done(cfn, name)

    got = walk(
        lambda t: cfn.describe_stack_events(StackName=name, **({"NextToken": t} if t else {})),
        lambda o: [e["EventId"] for e in o["StackEvents"]],
        lambda o: o.get("NextToken"),
        between,
        limit=100,
    )
    assert_once(got, before)


def test_cloudformation_list_stacks_survives_an_insert(d):
    cfn = d.client("cloudformation")
    body = handles(1)
    made = [cfn.create_stack(StackName=uniq("paging-s"), TemplateBody=body)["StackId"] for _ in range(104)]

    def between(first):
        for _ in range(3):
            cfn.create_stack(StackName=uniq("paging-s-new"), TemplateBody=body)

    got = walk(
        lambda t: cfn.list_stacks(**({"NextToken": t} if t else {})),
        lambda o: [s["StackId"] for s in o["StackSummaries"]],
        lambda o: o.get("NextToken"),
        between,
        limit=100,
    )
    assert_once(got, made)
    code, msg, _ = fails(cfn.list_stacks, NextToken="garbage")
    assert (code, msg) == ("ValidationError", "Invalid NextToken")
    first = cfn.list_stacks()
    code, _, _ = fails(cfn.describe_stacks, NextToken=first["NextToken"])
    assert code == "ValidationError"


# ---- Service Catalog: PageToken / PageSize / NextPageToken


def sc_portfolio(sc):
    return sc.create_portfolio(DisplayName=uniq("pp"), ProviderName="IT",
                               IdempotencyToken=uniq("tok"))["PortfolioDetail"]["Id"]


def sc_action(sc):
    return sc.create_service_action(Name=uniq("act"), DefinitionType="SSM_AUTOMATION",
                                    Definition={"Name": "AWS-RestartEC2Instance", "Version": "1"})[
        "ServiceActionDetail"]["ServiceActionSummary"]["Id"]


@pytest.mark.parametrize("new, delete, lister, member", [
    (sc_portfolio, "delete_portfolio", "list_portfolios", "PortfolioDetails"),
    (sc_action, "delete_service_action", "list_service_actions", "ServiceActionSummaries"),
])
def test_sc_lists_survive_a_delete_and_an_insert(d, new, delete, lister, member):
    sc = d.client("servicecatalog")
    ids = [new(sc) for _ in range(N)]
    deleted = []

    def between(first):
        deleted.append(first[2])
        getattr(sc, delete)(Id=first[2])
        new(sc)

    got = walk(
        lambda t: getattr(sc, lister)(PageSize=PAGE, **({"PageToken": t} if t else {})),
        lambda o: [p["Id"] for p in o[member]],
        lambda o: o.get("NextPageToken"),
        between,
    )
    assert_once(got, set(ids) - set(deleted))


def test_sc_search_products_as_admin_survives_a_delete_and_an_insert(d):
    sc = d.client("servicecatalog")
    url = "file://%s/linux-desktop-v1.yaml" % os.path.join(REPO, "data", "templates")
    word = uniq("walker")

    def new(i):
        return sc.create_product(
            Name="%s %02d" % (word, i), Owner="IT", ProductType="CLOUD_FORMATION_TEMPLATE",
            ProvisioningArtifactParameters={"Name": "v1", "Info": {"LoadTemplateFromURL": url}},
            IdempotencyToken=uniq("tok"))["ProductViewDetail"]["ProductViewSummary"]["ProductId"]

    ids = [new(i) for i in range(N)]
    filt = {"FullTextSearch": [word]}
    for kw in ({}, {"SortBy": "Title"}, {"SortBy": "Title", "SortOrder": "DESCENDING"}):
        deleted = []

        def between(first):
            gone = next(i for i in first if i not in deleted)
            deleted.append(gone)
            sc.delete_product(Id=gone)
            ids.append(new(len(ids) + 50))

        survivors = [i for i in ids]
        got = walk(
            lambda t: sc.search_products_as_admin(Filters=filt, PageSize=PAGE, **kw,
                                                  **({"PageToken": t} if t else {})),
            lambda o: [p["ProductViewSummary"]["ProductId"] for p in o["ProductViewDetails"]],
            lambda o: o.get("NextPageToken"),
            between,
        )
        assert_once(got, set(survivors) - set(deleted))
        ids[:] = [i for i in ids if i not in deleted]
    # a token is bound to its sort: Title's means nothing to the default order
    page = sc.search_products_as_admin(Filters=filt, PageSize=PAGE, SortBy="Title")
    code, msg, _ = fails(sc.search_products_as_admin, Filters=filt, PageSize=PAGE, PageToken=page["NextPageToken"])
    assert (code, msg) == ("InvalidParametersException", "The page token is not valid.")
    code, msg, _ = fails(sc.list_portfolios, PageToken=page["NextPageToken"])
    assert (code, msg) == ("InvalidParametersException", "The page token is not valid.")
    code, msg, _ = fails(sc.list_portfolios, PageToken="garbage")
    assert (code, msg) == ("InvalidParametersException", "The page token is not valid.")


# ---- Service Catalog provisioning: SearchProvisionedProducts, ListRecordHistory

M, MPAGE = 12, 3


@pytest.fixture(scope="module")
def world():
    w = World()
    yield w
    w.stop()


def launch(world, name):
    sc = world.client("servicecatalog", "enduser")
    return sc.provision_product(ProductId=world.ids["product"], ProvisioningArtifactId=world.ids["versions"]["v1.0"],
                                ProvisionedProductName=name,
                                ProvisioningParameters=[{"Key": "InstanceType", "Value": "t3.micro"}])["RecordDetail"]


def replace(world, gone, prefix):
    """Terminates the end user's provisioned product gone and, once it has left the list,
    launches a new one named after prefix."""
    sc = world.client("servicecatalog", "enduser")
    rec = sc.terminate_provisioned_product(ProvisionedProductId=gone, TerminateToken=uniq("t"))["RecordDetail"]
    world.wait_record(rec["RecordId"])
    scan = sc.get_paginator("scan_provisioned_products")
    wait_for(lambda: all(p["Id"] != gone for p in scan.paginate().build_full_result()["ProvisionedProducts"]),
             30, "the terminated product to go")
    world.wait_record(launch(world, uniq(prefix))["RecordId"])


def test_sc_search_provisioned_products_and_record_history(world):
    sc = world.client("servicecatalog", "enduser")
    recs = [launch(world, uniq("walk")) for _ in range(M)]
    for r in recs:
        world.wait_record(r["RecordId"])
    pps = [r["ProvisionedProductId"] for r in recs]
    terminated = []

    def between_pp(first):
        gone = next(p for p in first if p in pps)
        terminated.append(gone)
        replace(world, gone, "walk-new")

    for kw in ({}, {"SortBy": "name"}):
        got = walk(
            lambda t: sc.search_provisioned_products(Filters={"SearchQuery": ["walk"]}, PageSize=MPAGE, **kw,
                                                     **({"PageToken": t} if t else {})),
            lambda o: [p["Id"] for p in o["ProvisionedProducts"]],
            lambda o: o.get("NextPageToken"),
            between_pp,
            limit=MPAGE,
        )
        assert_once(got, set(pps) - set(terminated))
    # the account level with no query: counted by the index, the page read alone
    admin = world.client("servicecatalog")
    level = {"AccessLevelFilter": {"Key": "Account", "Value": "self"}}
    total = admin.search_provisioned_products(PageSize=MPAGE, **level)["TotalResultsCount"]
    assert total == len(admin.get_paginator("scan_provisioned_products").paginate(**level)
                        .build_full_result()["ProvisionedProducts"])
    got = walk(
        lambda t: admin.search_provisioned_products(PageSize=MPAGE, **level, **({"PageToken": t} if t else {})),
        lambda o: [p["Id"] for p in o["ProvisionedProducts"]],
        lambda o: o.get("NextPageToken"),
        between_pp,
        limit=MPAGE,
    )
    assert_once(got, set(pps) - set(terminated))
    got = walk(
        lambda t: sc.scan_provisioned_products(PageSize=MPAGE, **({"PageToken": t} if t else {})),
        lambda o: [p["Id"] for p in o["ProvisionedProducts"]],
        lambda o: o.get("NextPageToken"),
        between_pp,
        limit=MPAGE,
    )
    assert_once(got, set(pps) - set(terminated))

    # records, newest first: new ones arrive before the page already read
    history = [r["RecordId"] for r in sc.get_paginator("list_record_history").paginate()
               .build_full_result()["RecordDetails"]]
    assert len(history) > 2 * MPAGE

    def between_rec(first):
        world.wait_record(launch(world, uniq("walk-more"))["RecordId"])

    got = walk(
        lambda t: sc.list_record_history(PageSize=MPAGE, **({"PageToken": t} if t else {})),
        lambda o: [r["RecordId"] for r in o["RecordDetails"]],
        lambda o: o.get("NextPageToken"),
        between_rec,
        limit=MPAGE,
    )
    assert_once(got, history)
    assert got[:MPAGE] == history[:MPAGE]
    # one product's records: its parent column, still newest first
    one = sc.list_record_history(SearchFilter={"Key": "provisionedproduct", "Value": pps[-1]})["RecordDetails"]
    assert [r["RecordId"] for r in one] == [recs[-1]["RecordId"]]


def test_sc_search_provisioned_products_user_level_and_sorted(world):
    """The default User level reads the caller's provisioned products through the owner's
    index and a sort through its member's: each walk returns every survivor once, in the
    sort's order, and TotalResultsCount counts the caller's alone."""
    sc = world.client("servicecatalog", "enduser")
    admin = world.client("servicecatalog")
    recs = [launch(world, uniq("user")) for _ in range(M)]
    # the administrator's own (another owner) are not the end user's at the User level
    theirs = [admin.provision_product(
        ProductId=world.ids["product"], ProvisioningArtifactId=world.ids["versions"]["v1.0"],
        ProvisionedProductName=uniq("admins"),
        ProvisioningParameters=[{"Key": "InstanceType", "Value": "t3.micro"}])["RecordDetail"] for _ in range(2)]
    for r in recs:
        world.wait_record(r["RecordId"])
    for r in theirs:
        world.wait_record(r["RecordId"], user=None)
    mine = sc.get_paginator("scan_provisioned_products").paginate().build_full_result()["ProvisionedProducts"]
    assert not {r["ProvisionedProductId"] for r in theirs} & {p["Id"] for p in mine}
    assert sc.search_provisioned_products(PageSize=MPAGE)["TotalResultsCount"] == len(mine)
    # an update gives a provisioned product a new LastRecordId: its key follows
    for r in recs[:3]:
        up = sc.update_provisioned_product(ProvisionedProductId=r["ProvisionedProductId"],
                                           ProvisioningArtifactId=world.ids["versions"]["v2.0"],
                                           UpdateToken=uniq("u"))["RecordDetail"]
        world.wait_record(up["RecordId"])
        got = sc.describe_provisioned_product(Id=r["ProvisionedProductId"])["ProvisionedProductDetail"]
        assert got["LastRecordId"] == up["RecordId"]
    terminated = []

    def between(first):
        gone = next(p for p in first if p in pps and p not in terminated)
        terminated.append(gone)
        replace(world, gone, "user-new")

    for kw, member in (({}, None), ({"SortBy": "name"}, "Name"),
                       ({"SortBy": "lastRecordId", "SortOrder": "DESCENDING"}, "LastRecordId"),
                       ({"SortOrder": "DESCENDING"}, None)):
        pages = []
        # every provisioned product of the end user's is there throughout the walk, but one
        pps = [p["Id"] for p in sc.get_paginator("scan_provisioned_products").paginate()
               .build_full_result()["ProvisionedProducts"]]

        def fetch(t):
            out = sc.search_provisioned_products(PageSize=MPAGE, **kw, **({"PageToken": t} if t else {}))
            pages.append(out)
            return out

        got = walk(fetch, lambda o: [p["Id"] for p in o["ProvisionedProducts"]], lambda o: o.get("NextPageToken"),
                   between, limit=MPAGE)
        assert_once(got, set(pps) - set(terminated))
        assert not {r["ProvisionedProductId"] for r in theirs} & set(got)
        seen = [p for o in pages for p in o["ProvisionedProducts"]]
        if member:  # in the member's order (the keys follow each update: LastRecordId changes)
            values = [p[member] for p in seen]
            assert values == sorted(values, reverse=kw.get("SortOrder") == "DESCENDING")
    final = sc.get_paginator("scan_provisioned_products").paginate().build_full_result()["ProvisionedProducts"]
    assert sc.search_provisioned_products(PageSize=MPAGE)["TotalResultsCount"] == len(final)
    # a sort's token is refused by another sort
    page = sc.search_provisioned_products(PageSize=MPAGE, SortBy="name")
    code, msg, _ = fails(sc.search_provisioned_products, PageSize=MPAGE, SortBy="status",
                         PageToken=page["NextPageToken"])
    assert (code, msg) == ("InvalidParametersException", "The page token is not valid.")


def test_sc_search_reads_only_its_page():
    """A page is read through the indexes and reads no row outside it: a provisioned
    product with a body that is not JSON, owned by another principal and last in the
    sort, fails the lists that reach it and no other. The rows are written straight into
    the database (as an older catalogd left them): start-up keys them."""

    from conftest import ACCOUNT

    root = "arn:aws:iam::%s:root" % ACCOUNT
    d = Daemon()
    d.start()
    iam = d.client("iam")
    reader = iam.create_user(UserName="reader")["User"]["Arn"]
    iam.put_user_policy(UserName="reader", PolicyName="sc", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "servicecatalog:*", "Resource": "*"}]}))
    key = iam.create_access_key(UserName="reader")["AccessKey"]
    d.stop()
    seq = int(store_sql(d.data_dir, "SELECT COALESCE(MAX(seq), 0) FROM resources")[0][0])
    rows = []
    for i in range(25):
        pp = "pp-only%04d" % i
        body = {"Id": pp, "Name": "only-%02d" % ((i * 7) % 25), "Type": "CFN_STACK", "Status": "AVAILABLE",
                "Arn": "arn:aws:servicecatalog:us-east-1:%s:stack/x/%s" % (ACCOUNT, pp), "CreatedTime": 1.7e9 + i,
                "ProductId": "prod-none", "ProvisioningArtifactId": "pa-none", "LastRecordId": "rec-%d" % i,
                "IdempotencyToken": "tok-%d" % i, "_UserArn": root}
        at = 1_700_000_000_000 + i
        rows.append((ACCOUNT, "sc.pp", pp, "AVAILABLE", at, at, json.dumps(body), seq + i + 1))
    at = 1_700_000_000_100
    rows.append((ACCOUNT, "sc.pp", "pp-broken", "AVAILABLE", at, at, "{not json", seq + 100))
    # records, newest first: the reader's 12 come before a broken one of nobody's
    rows.append((ACCOUNT, "sc.record", "rec-broken", "SUCCEEDED", at, at, "{not json", seq + 101))
    for i in range(12):
        rec, at = "rec-only%04d" % i, 1_700_000_000_200 + i
        body = {"RecordId": rec, "ProvisionedProductName": "x", "Status": "SUCCEEDED", "CreatedTime": at / 1000,
                "UpdatedTime": at / 1000, "ProvisionedProductType": "CFN_STACK", "RecordType": "PROVISION_PRODUCT",
                "ProvisionedProductId": "pp-x", "ProductId": "prod-none", "ProvisioningArtifactId": "pa-none",
                "PathId": "port-none", "RecordErrors": [], "RecordTags": [], "_UserArn": reader}
        rows.append((ACCOUNT, "sc.record", rec, "SUCCEEDED", at, at, json.dumps(body), seq + 102 + i))
    store_sql(d.data_dir, "INSERT INTO resources (account, kind, id, name, parent, state, created_ms, updated_ms,"
              " body, seq) VALUES (?, ?, ?, NULL, NULL, ?, ?, ?, ?, ?)", many=rows)
    d.start()
    try:
        sc = d.client("servicecatalog")
        # the User level: root's 25 through the owner's index; the broken row is nobody's
        out = sc.search_provisioned_products(PageSize=10)
        assert out["TotalResultsCount"] == 25
        got = walk(lambda t: sc.search_provisioned_products(PageSize=10, **({"PageToken": t} if t else {})),
                   lambda o: [p["Id"] for p in o["ProvisionedProducts"]], lambda o: o.get("NextPageToken"),
                   lambda first: None, limit=10)
        assert got == ["pp-only%04d" % i for i in range(25)]
        names = walk(lambda t: sc.search_provisioned_products(SortBy="name", PageSize=10,
                                                              **({"PageToken": t} if t else {})),
                     lambda o: [p["Name"] for p in o["ProvisionedProducts"]], lambda o: o.get("NextPageToken"),
                     lambda first: None, limit=10)
        assert names == ["only-%02d" % i for i in range(25)]
        # the Account level, newest first and by name descending: the broken row comes
        # last in neither of them, first in the other
        level = {"AccessLevelFilter": {"Key": "Account", "Value": "self"}}
        top = sc.search_provisioned_products(SortBy="name", SortOrder="DESCENDING", PageSize=5, **level)
        assert top["TotalResultsCount"] == 26
        assert [p["Name"] for p in top["ProvisionedProducts"]] == ["only-%02d" % i for i in range(24, 19, -1)]
        code, _, status = fails(sc.search_provisioned_products, SortBy="name", PageSize=5, **level)
        assert status == 500
        # the reader's record history at the User level: its own through the owner's keys
        mine = d.client("servicecatalog", key=key["AccessKeyId"], secret=key["SecretAccessKey"])
        got = walk(lambda t: mine.list_record_history(PageSize=5, **({"PageToken": t} if t else {})),
                   lambda o: [r["RecordId"] for r in o["RecordDetails"]], lambda o: o.get("NextPageToken"),
                   lambda first: None)
        assert got == ["rec-only%04d" % i for i in range(11, -1, -1)]
        # a row that lost one key (a key a later catalogd adds) gets it back at start-up:
        # the mark of the last start names other declarations than the later catalogd's
        d.stop()
        assert len(store_sql(d.data_dir, "DELETE FROM resource_keys WHERE kind = 'sc.pp' AND field = 'owner'"
                             " AND id IN ('pp-only0001', 'pp-only0002') RETURNING id")) == 2
        (mark,), = store_sql(d.data_dir, "SELECT value FROM meta WHERE key = 'res_keys.checked'")
        store_sql(d.data_dir, "UPDATE meta SET value = ? WHERE key = 'res_keys.checked'",
                  (mark[:mark.index("|") + 1] + "sc.pp:owner,",))
        d.start()
        sc = d.client("servicecatalog")
        assert sc.search_provisioned_products(PageSize=10)["TotalResultsCount"] == 25
    finally:
        d.stop()
        d.cleanup()
