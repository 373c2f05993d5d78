"""The calls Terraform's AWS provider makes for its aws_servicecatalog_* resources, in the
provider's order (internal/service/servicecatalog/*.go of hashicorp/terraform-provider-aws):
create, the read that fills the state (and the waiters that poll before it), update, import
(a read from the id alone) and delete with its wait for the resource to be gone. Each test
is one resource's life and asserts what the provider would write into its state.

Every call carries what the provider sends (AcceptLanguage "en", IdempotencyToken from
create), and a retried create (the provider retries on throttling and IAM propagation with
the same input) must give the same resource back.
"""

import json
import os
import uuid
from datetime import datetime

import pytest

from conftest import ACCOUNT, REGION, REPO, Daemon
from helpers import fails, new_account, new_role, serve, trust

TEMPLATES = os.path.join(REPO, "data", "templates")
URL = "file://" + os.path.join(TEMPLATES, "linux-desktop-v1.yaml")
URL2 = "file://" + os.path.join(TEMPLATES, "linux-desktop-v2.yaml")
EN = "en"


@pytest.fixture(scope="module")
def d():
    yield from serve(Daemon(args=["--template-dir", TEMPLATES]))


@pytest.fixture(scope="module")
def sc(d):
    return d.client("servicecatalog")


@pytest.fixture(scope="module")
def iam(d):
    return d.client("iam")


def token():
    """sdkid.UniqueId(): the provider's idempotency tokens."""
    return "terraform-" + uuid.uuid4().hex[:26]


def rfc3339(t):
    """The provider stores times as time.RFC3339."""
    assert isinstance(t, datetime)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def wait_status(fn, targets, occurrences=2):
    """retry.StateChangeConf with ContinuousTargetOccurence: the target seen twice in a row."""
    seen, out = 0, None
    for _ in range(20):
        out, status = fn()
        seen = seen + 1 if status in targets else 0
        if seen >= occurrences:
            return out
    raise AssertionError("never reached %s" % (targets,))


def gone(call, **kw):
    """The waiters' end state: the read fails with ResourceNotFoundException."""
    code, _, _ = fails(call, **kw)
    assert code == "ResourceNotFoundException"


def tags_of(out):
    return {t["Key"]: t["Value"] for t in out.get("Tags", [])}


def new_product(sc, name="tf-product"):
    return sc.create_product(
        AcceptLanguage=EN, IdempotencyToken=token(), Name=name, Owner="IT",
        ProductType="CLOUD_FORMATION_TEMPLATE",
        ProvisioningArtifactParameters={"Name": "v1", "Description": "first", "DisableTemplateValidation": False,
                                        "Info": {"LoadTemplateFromURL": URL}, "Type": "CLOUD_FORMATION_TEMPLATE"},
    )["ProductViewDetail"]["ProductViewSummary"]["ProductId"]


def new_portfolio(sc, name="tf-portfolio"):
    return sc.create_portfolio(AcceptLanguage=EN, DisplayName=name, ProviderName="IT",
                               IdempotencyToken=token())["PortfolioDetail"]["Id"]


# ---- aws_servicecatalog_portfolio


def portfolio_read(sc, pid):
    """resourcePortfolioRead: DescribePortfolio, then the attributes it sets."""
    out = sc.describe_portfolio(AcceptLanguage=EN, Id=pid)
    p = out["PortfolioDetail"]
    return {"arn": p["ARN"], "created_time": rfc3339(p["CreatedTime"]), "description": p.get("Description"),
            "name": p["DisplayName"], "provider_name": p["ProviderName"], "tags": tags_of(out)}


def test_portfolio(sc):
    inp = dict(AcceptLanguage=EN, DisplayName="tf-portfolio", IdempotencyToken=token(),
               Tags=[{"Key": "team", "Value": "a"}, {"Key": "env", "Value": "dev"}],
               Description="made by terraform", ProviderName="IT")
    pid = sc.create_portfolio(**inp)["PortfolioDetail"]["Id"]
    assert sc.create_portfolio(**inp)["PortfolioDetail"]["Id"] == pid  # a retried create
    state = portfolio_read(sc, pid)
    assert state == {"arn": "arn:aws:catalog:%s:%s:portfolio/%s" % (REGION, ACCOUNT, pid),
                     "created_time": state["created_time"], "description": "made by terraform",
                     "name": "tf-portfolio", "provider_name": "IT", "tags": {"team": "a", "env": "dev"}}
    # update: AddTags = every new tag, RemoveTags = every old key (tags_all changed)
    sc.update_portfolio(AcceptLanguage=EN, Id=pid, Description="changed", DisplayName="tf-portfolio-2",
                        ProviderName="Ops", AddTags=[{"Key": "team", "Value": "b"}, {"Key": "cost", "Value": "1"}],
                        RemoveTags=["team", "env"])
    after = portfolio_read(sc, pid)
    assert after == dict(state, description="changed", name="tf-portfolio-2", provider_name="Ops",
                         tags={"team": "b", "cost": "1"})
    # import: the id alone reads the same state
    assert portfolio_read(sc, pid) == after
    sc.delete_portfolio(Id=pid)
    gone(sc.describe_portfolio, AcceptLanguage=EN, Id=pid)
    gone(sc.delete_portfolio, Id=pid)  # delete of what is gone: the provider ignores this error


# ---- aws_servicecatalog_product


def product_status(sc, pid):
    out = sc.describe_product_as_admin(AcceptLanguage=EN, Id=pid)
    return out, out["ProductViewDetail"]["Status"]


def product_read(sc, pid):
    """waitProductReady (DescribeProductAsAdmin until AVAILABLE or CREATED twice), then the
    attributes resourceProductRead sets."""
    out = wait_status(lambda: product_status(sc, pid), ("AVAILABLE", "CREATED"))
    pvd, pvs = out["ProductViewDetail"], out["ProductViewDetail"]["ProductViewSummary"]
    return {"arn": pvd["ProductARN"], "created_time": rfc3339(pvd["CreatedTime"]),
            "description": pvs.get("ShortDescription"), "distributor": pvs.get("Distributor"),
            "has_default_path": pvs["HasDefaultPath"], "name": pvs["Name"], "owner": pvs["Owner"],
            "status": pvd["Status"], "support_description": pvs.get("SupportDescription"),
            "support_email": pvs.get("SupportEmail"), "support_url": pvs.get("SupportUrl"),
            "type": pvs["Type"], "tags": tags_of(out)}


def test_product(sc):
    inp = dict(
        AcceptLanguage=EN, IdempotencyToken=token(), Name="tf-product", Owner="IT",
        ProductType="CLOUD_FORMATION_TEMPLATE", Description="desktop", Distributor="Acme",
        SupportDescription="call us", SupportEmail="help@example.com", SupportUrl="https://help.example.com",
        Tags=[{"Key": "team", "Value": "a"}],
        ProvisioningArtifactParameters={"Name": "v1", "Description": "first", "DisableTemplateValidation": False,
                                        "Info": {"LoadTemplateFromURL": URL}, "Type": "CLOUD_FORMATION_TEMPLATE"},
    )
    pid = sc.create_product(**inp)["ProductViewDetail"]["ProductViewSummary"]["ProductId"]
    assert sc.create_product(**inp)["ProductViewDetail"]["ProductViewSummary"]["ProductId"] == pid
    state = product_read(sc, pid)
    assert state == {"arn": "arn:aws:catalog:%s:%s:product/%s" % (REGION, ACCOUNT, pid),
                     "created_time": state["created_time"], "description": "desktop", "distributor": "Acme",
                     "has_default_path": False, "name": "tf-product", "owner": "IT", "status": "AVAILABLE",
                     "support_description": "call us", "support_email": "help@example.com",
                     "support_url": "https://help.example.com", "type": "CLOUD_FORMATION_TEMPLATE",
                     "tags": {"team": "a"}}
    # update: every set attribute again, RemoveTags = removed keys, AddTags = changed or new
    sc.update_product(Id=pid, AcceptLanguage=EN, Description="desktop 2", Distributor="Acme",
                      Name="tf-product-2", Owner="Ops", SupportDescription="call us", SupportEmail="help@example.com",
                      SupportUrl="https://help.example.com", RemoveTags=["team"], AddTags=[{"Key": "env", "Value": "prod"}])
    after = product_read(sc, pid)
    assert after == dict(state, description="desktop 2", name="tf-product-2", owner="Ops", tags={"env": "prod"})
    # import: the last version by CreatedTime is read back into provisioning_artifact_parameters
    sc.create_provisioning_artifact(ProductId=pid, IdempotencyToken=token(),
                                    Parameters={"Name": "v2", "Description": "second", "Info": {"LoadTemplateFromURL": URL2}})
    summaries = sorted(sc.describe_product_as_admin(Id=pid)["ProvisioningArtifactSummaries"],
                       key=lambda s: s["CreatedTime"])
    last = sc.describe_provisioning_artifact(ProductId=pid, ProvisioningArtifactId=summaries[-1]["Id"])
    assert (last["ProvisioningArtifactDetail"]["Name"], last["ProvisioningArtifactDetail"]["Description"],
            last["ProvisioningArtifactDetail"]["Type"], last["Info"]) == (
        "v2", "second", "CLOUD_FORMATION_TEMPLATE", {"TemplateUrl": URL2})
    assert product_read(sc, pid) == after
    sc.delete_product(Id=pid, AcceptLanguage=EN)
    gone(sc.describe_product_as_admin, AcceptLanguage=EN, Id=pid)  # waitProductDeleted


# ---- aws_servicecatalog_provisioning_artifact


def artifact_read(sc, aid, pid):
    """WaitProvisioningArtifactReady (DescribeProvisioningArtifact until AVAILABLE), then
    what resourceProvisioningArtifactRead sets."""
    def status():
        out = sc.describe_provisioning_artifact(ProvisioningArtifactId=aid, ProductId=pid)
        return out, out["Status"]
    out = wait_status(status, ("AVAILABLE",))
    pad = out["ProvisioningArtifactDetail"]
    return {"active": pad["Active"], "created_time": rfc3339(pad["CreatedTime"]),
            "description": pad.get("Description"), "guidance": pad["Guidance"], "name": pad["Name"],
            "product_id": pid, "provisioning_artifact_id": aid, "type": pad["Type"]}


def test_provisioning_artifact(sc):
    pid = new_product(sc)
    inp = dict(IdempotencyToken=token(), ProductId=pid, AcceptLanguage=EN,
               Parameters={"Description": "second", "DisableTemplateValidation": False, "Name": "v2",
                           "Info": {"LoadTemplateFromURL": URL2}, "Type": "CLOUD_FORMATION_TEMPLATE"})
    aid = sc.create_provisioning_artifact(**inp)["ProvisioningArtifactDetail"]["Id"]
    assert sc.create_provisioning_artifact(**inp)["ProvisioningArtifactDetail"]["Id"] == aid
    # the create continues with an update: Active and Guidance are only UpdateProvisioningArtifact's
    sc.update_provisioning_artifact(ProductId=pid, ProvisioningArtifactId=aid, Active=True, AcceptLanguage=EN,
                                    Description="second", Guidance="DEFAULT", Name="v2")
    state = artifact_read(sc, aid, pid)
    assert state == {"active": True, "created_time": state["created_time"], "description": "second",
                     "guidance": "DEFAULT", "name": "v2", "product_id": pid, "provisioning_artifact_id": aid,
                     "type": "CLOUD_FORMATION_TEMPLATE"}
    sc.update_provisioning_artifact(ProductId=pid, ProvisioningArtifactId=aid, Active=False, AcceptLanguage=EN,
                                    Description="old", Guidance="DEPRECATED", Name="v2-old")
    after = artifact_read(sc, aid, pid)
    assert after == dict(state, active=False, description="old", guidance="DEPRECATED", name="v2-old")
    assert artifact_read(sc, aid, pid) == after  # import "<artifact>:<product>"
    sc.delete_provisioning_artifact(ProductId=pid, ProvisioningArtifactId=aid, AcceptLanguage=EN)
    gone(sc.describe_provisioning_artifact, ProvisioningArtifactId=aid, ProductId=pid)
    gone(sc.delete_provisioning_artifact, ProductId=pid, ProvisioningArtifactId=aid)


# ---- aws_servicecatalog_constraint


def constraint_read(sc, cid):
    """WaitConstraintReady (DescribeConstraint until AVAILABLE twice), then what
    resourceConstraintRead sets."""
    def status():
        out = sc.describe_constraint(AcceptLanguage=EN, Id=cid)
        return out, out["Status"]
    out = wait_status(status, ("AVAILABLE",))
    c = out["ConstraintDetail"]
    return {"parameters": json.loads(out["ConstraintParameters"]), "status": out["Status"],
            "description": c.get("Description"), "owner": c["Owner"], "portfolio_id": c["PortfolioId"],
            "product_id": c["ProductId"], "type": c["Type"]}


def test_constraint(sc, iam):
    role = new_role(iam, "tf-launch", trust("servicecatalog.amazonaws.com"), exist_ok=True)
    port, prod = new_portfolio(sc), new_product(sc)
    sc.associate_product_with_portfolio(PortfolioId=port, ProductId=prod)
    inp = dict(IdempotencyToken=token(), Parameters=json.dumps({"RoleArn": role}), PortfolioId=port,
               ProductId=prod, Type="LAUNCH", AcceptLanguage=EN, Description="launch as tf-launch")
    cid = sc.create_constraint(**inp)["ConstraintDetail"]["ConstraintId"]
    assert sc.create_constraint(**inp)["ConstraintDetail"]["ConstraintId"] == cid
    state = constraint_read(sc, cid)
    assert state == {"parameters": {"RoleArn": role}, "status": "AVAILABLE", "description": "launch as tf-launch",
                     "owner": ACCOUNT, "portfolio_id": port, "product_id": prod, "type": "LAUNCH"}
    sc.update_constraint(Id=cid, Description="local role", Parameters=json.dumps({"LocalRoleName": "tf-launch"}))
    after = constraint_read(sc, cid)
    assert after == dict(state, description="local role", parameters={"LocalRoleName": "tf-launch"})
    assert constraint_read(sc, cid) == after  # import
    sc.delete_constraint(Id=cid, AcceptLanguage=EN)
    gone(sc.describe_constraint, AcceptLanguage=EN, Id=cid)  # WaitConstraintDeleted
    gone(sc.delete_constraint, Id=cid)


# ---- aws_servicecatalog_principal_portfolio_association


def find_principal(sc, port, arn, ptype="IAM"):
    """findPrincipalPortfolioAssociation: every page of ListPrincipalsForPortfolio."""
    found, kw = [], {}
    while True:
        page = sc.list_principals_for_portfolio(AcceptLanguage=EN, PortfolioId=port, **kw)
        found += [p for p in page["Principals"] if p["PrincipalARN"] == arn and p["PrincipalType"] == ptype]
        if not page.get("NextPageToken"):
            return found
        kw = {"PageToken": page["NextPageToken"]}


def test_principal_portfolio_association(sc, iam):
    port = new_portfolio(sc)
    users = [iam.create_user(UserName="tf-user-%d" % i)["User"]["Arn"] for i in range(23)]  # past a page of 20
    for arn in users:
        sc.associate_principal_with_portfolio(AcceptLanguage=EN, PortfolioId=port, PrincipalARN=arn,
                                              PrincipalType="IAM")
    last = users[-1]
    assert find_principal(sc, port, last) == [{"PrincipalARN": last, "PrincipalType": "IAM"}]
    # the id "en,<arn>,<portfolio>,IAM" imports the same
    assert find_principal(sc, port, last) == [{"PrincipalARN": last, "PrincipalType": "IAM"}]
    sc.disassociate_principal_from_portfolio(PortfolioId=port, PrincipalARN=last, AcceptLanguage=EN,
                                             PrincipalType="IAM")
    assert find_principal(sc, port, last) == []  # RetryUntilNotFound
    code, _, _ = fails(sc.disassociate_principal_from_portfolio, PortfolioId=port, PrincipalARN=last,
                       AcceptLanguage=EN, PrincipalType="IAM")
    assert code == "ResourceNotFoundException"
    # principal_type IAM_PATTERN: the pattern is read back as given, under its own type
    pattern = "arn:aws:iam:::role/Dev*"
    sc.associate_principal_with_portfolio(AcceptLanguage=EN, PortfolioId=port, PrincipalARN=pattern,
                                          PrincipalType="IAM_PATTERN")
    assert find_principal(sc, port, pattern, "IAM_PATTERN") == [{"PrincipalARN": pattern, "PrincipalType": "IAM_PATTERN"}]
    assert find_principal(sc, port, pattern, "IAM") == []
    sc.disassociate_principal_from_portfolio(PortfolioId=port, PrincipalARN=pattern, AcceptLanguage=EN,
                                             PrincipalType="IAM_PATTERN")
    assert find_principal(sc, port, pattern, "IAM_PATTERN") == []


# ---- aws_servicecatalog_product_portfolio_association


def find_portfolio_of(sc, prod, port):
    """findProductPortfolioAssociation: every page of ListPortfoliosForProduct."""
    found, kw = [], {}
    while True:
        page = sc.list_portfolios_for_product(AcceptLanguage=EN, ProductId=prod, **kw)
        found += [p for p in page["PortfolioDetails"] if p["Id"] == port]
        if not page.get("NextPageToken"):
            return found
        kw = {"PageToken": page["NextPageToken"]}


def test_product_portfolio_association(sc):
    prod = new_product(sc)
    ports = [new_portfolio(sc, "tf-pa-%d" % i) for i in range(22)]
    source = ports[0]
    for port in ports:
        sc.associate_product_with_portfolio(AcceptLanguage=EN, PortfolioId=port, ProductId=prod,
                                            **({"SourcePortfolioId": source} if port != source else {}))
    last = ports[-1]
    for _ in range(2):  # WaitProductPortfolioAssociationReady: AVAILABLE twice in a row
        [detail] = find_portfolio_of(sc, prod, last)
        assert (detail["Id"], detail["DisplayName"]) == (last, "tf-pa-21")
    sc.disassociate_product_from_portfolio(AcceptLanguage=EN, PortfolioId=last, ProductId=prod)
    assert find_portfolio_of(sc, prod, last) == []
    code, _, _ = fails(sc.disassociate_product_from_portfolio, AcceptLanguage=EN, PortfolioId=last, ProductId=prod)
    assert code == "ResourceNotFoundException"


# ---- aws_servicecatalog_service_action


def action_read(sc, aid):
    """WaitServiceActionReady (DescribeServiceAction), then what resourceServiceActionRead sets."""
    out = sc.describe_service_action(AcceptLanguage=EN, Id=aid)["ServiceActionDetail"]
    s, d = out["ServiceActionSummary"], out["Definition"]
    return {"description": s.get("Description"), "name": s["Name"],
            "definition": {"assume_role": d.get("AssumeRole"), "name": d["Name"],
                           "parameters": json.loads(d["Parameters"]) if "Parameters" in d else None,
                           "version": d["Version"], "type": s["DefinitionType"]}}


def test_service_action(sc):
    params = json.dumps([{"Name": "InstanceId", "Type": "TARGET"}])
    inp = dict(IdempotencyToken=token(), Name="tf-restart", DefinitionType="SSM_AUTOMATION", AcceptLanguage=EN,
               Description="restart", Definition={"AssumeRole": "LAUNCH_ROLE", "Name": "AWS-RestartEC2Instance",
                                                  "Parameters": params, "Version": "1"})
    aid = sc.create_service_action(**inp)["ServiceActionDetail"]["ServiceActionSummary"]["Id"]
    assert sc.create_service_action(**inp)["ServiceActionDetail"]["ServiceActionSummary"]["Id"] == aid
    state = action_read(sc, aid)
    assert state == {"description": "restart", "name": "tf-restart",
                     "definition": {"assume_role": "LAUNCH_ROLE", "name": "AWS-RestartEC2Instance",
                                    "parameters": [{"Name": "InstanceId", "Type": "TARGET"}], "version": "1",
                                    "type": "SSM_AUTOMATION"}}
    sc.update_service_action(Id=aid, Definition={"Name": "AWS-StopEC2Instance", "Version": "1",
                                                 "AssumeRole": "LAUNCH_ROLE", "Parameters": params},
                             Description="stop", Name="tf-stop")
    after = action_read(sc, aid)
    assert after == {"description": "stop", "name": "tf-stop",
                     "definition": dict(state["definition"], name="AWS-StopEC2Instance")}
    assert action_read(sc, aid) == after  # import
    sc.delete_service_action(Id=aid)
    gone(sc.describe_service_action, AcceptLanguage=EN, Id=aid)  # WaitServiceActionDeleted
    gone(sc.delete_service_action, Id=aid)


# ---- aws_servicecatalog_portfolio_share


def share_status(sc, port, share_type, principal):
    """statusPortfolioShare: findPortfolioShare (every page of DescribePortfolioShares of the
    type, the detail whose PrincipalId the principal contains), IN_PROGRESS until accepted."""
    found, kw = None, {}
    while True:
        page = sc.describe_portfolio_shares(PortfolioId=port, Type=share_type, **kw)
        found = found or next((x for x in page["PortfolioShareDetails"] if x["PrincipalId"] in principal), None)
        if not page.get("NextPageToken"):
            break
        kw = {"PageToken": page["NextPageToken"]}
    if found is None:
        return None, ""
    return found, "COMPLETED" if found["Accepted"] else "IN_PROGRESS"


def share_read(sc, port, share_type, principal):
    """resourcePortfolioShareRead: waitPortfolioShareReady without waiting for acceptance."""
    out, status = share_status(sc, port, share_type, principal)
    assert status in ("IN_PROGRESS", "COMPLETED")
    return {"accepted": out["Accepted"], "portfolio_id": port, "principal_id": out["PrincipalId"],
            "share_principals": out["SharePrincipals"], "share_tag_options": out["ShareTagOptions"],
            "type": out["Type"]}


def test_portfolio_share(d, sc):
    spoke, key, secret = new_account(d)
    port = new_portfolio(sc, "tf-shared")
    out = sc.create_portfolio_share(PortfolioId=port, SharePrincipals=False, AcceptLanguage=EN, AccountId=spoke,
                                    ShareTagOptions=True)
    assert "PortfolioShareToken" not in out  # an account share: the waiter reads the shares
    state = share_read(sc, port, "ACCOUNT", spoke)
    assert state == {"accepted": False, "portfolio_id": port, "principal_id": spoke, "share_principals": False,
                     "share_tag_options": True, "type": "ACCOUNT"}
    # wait_for_acceptance: COMPLETED once the recipient has accepted
    d.client("servicecatalog", key=key, secret=secret).accept_portfolio_share(PortfolioId=port, AcceptLanguage=EN)
    assert share_status(sc, port, "ACCOUNT", spoke)[1] == "COMPLETED"
    sc.update_portfolio_share(PortfolioId=port, AcceptLanguage=EN, SharePrincipals=True, AccountId=spoke)
    after = share_read(sc, port, "ACCOUNT", spoke)
    assert after == dict(state, accepted=True, share_principals=True)
    assert share_read(sc, port, "ACCOUNT", spoke) == after  # import "<portfolio>:ACCOUNT:<account>"
    out = sc.delete_portfolio_share(PortfolioId=port, AcceptLanguage=EN, AccountId=spoke)
    assert "PortfolioShareToken" not in out
    assert share_status(sc, port, "ACCOUNT", spoke) == (None, "")  # waitPortfolioShareDeleted
    code, _, _ = fails(sc.delete_portfolio_share, PortfolioId=port, AcceptLanguage=EN, AccountId=spoke)
    assert code == "ResourceNotFoundException"


def test_portfolio_share_organization(d, sc):
    """type = "ORGANIZATION": the create and delete answer a token the provider waits on
    (DescribePortfolioShareStatus until COMPLETED)."""
    org_id = d.client("organizations").create_organization(FeatureSet="ALL")["Organization"]["Id"]
    sc.enable_aws_organizations_access()
    assert sc.get_aws_organizations_access_status()["AccessStatus"] == "ENABLED"  # WaitOrganizationsAccessStable
    port = new_portfolio(sc, "tf-org-shared")
    out = sc.create_portfolio_share(PortfolioId=port, SharePrincipals=False, AcceptLanguage=EN,
                                    OrganizationNode={"Type": "ORGANIZATION", "Value": org_id})
    st = sc.describe_portfolio_share_status(PortfolioShareToken=out["PortfolioShareToken"])
    assert (st["Status"], st["PortfolioId"], st["OrganizationNodeValue"]) == ("COMPLETED", port, org_id)
    assert share_read(sc, port, "ORGANIZATION", org_id) == {
        "accepted": True, "portfolio_id": port, "principal_id": org_id, "share_principals": False,
        "share_tag_options": False, "type": "ORGANIZATION"}
    out = sc.delete_portfolio_share(PortfolioId=port, AcceptLanguage=EN,
                                    OrganizationNode={"Type": "ORGANIZATION", "Value": org_id})
    assert sc.describe_portfolio_share_status(PortfolioShareToken=out["PortfolioShareToken"])["Status"] == "COMPLETED"
    assert share_status(sc, port, "ORGANIZATION", org_id) == (None, "")
    sc.disable_aws_organizations_access()
    assert sc.get_aws_organizations_access_status()["AccessStatus"] == "DISABLED"
