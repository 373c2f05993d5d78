#!/usr/bin/python3
"""Sets up an end user of Service Catalog on a running catalogd and prints its access key.

usage: enduser.py ENDPOINT          (root keys from CATALOGD_ROOT_ACCESS_KEY_ID /
                                     CATALOGD_ROOT_SECRET_ACCESS_KEY, region CATALOGD_REGION)

The user's access comes only through a group and three managed policies attached to it, so
that every call it makes is decided by policy evaluation (issue 16's end-user scenario):

1. the AWS managed AWSServiceCatalogEndUserFullAccess (three statements, one with a
   servicecatalog:userLevel condition);
2. a customer managed policy with the service-action permissions of the Service Catalog
   tutorial (../shared/seed/service-actions-tutorial.txt, step 1);
3. a customer managed policy allowing Service Catalog's portfolio reads
   (servicecatalog:List*, Describe*, Search*) in the signing region only (a condition on
   aws:RequestedRegion), and denying portfolio deletion.

It also makes a portfolio (with a product-less description) and associates the user with
it, as an administrator gives end users access. Prints one line: ACCESS_KEY_ID SECRET.
"""

import json
import os
import sys
import uuid

import boto3
from botocore.config import Config

TUTORIAL = {
    "Version": "2012-10-17",
    "Statement": [{
        "Sid": "Stmt1536341175150",
        "Action": [
            "servicecatalog:ListServiceActionsForProvisioningArtifact",
            "servicecatalog:ExecuteprovisionedProductServiceAction",
            "ssm:DescribeDocument",
            "ssm:GetAutomationExecution",
            "ssm:StartAutomationExecution",
            "ssm:StopAutomationExecution",
            "cloudformation:ListStackResources",
            "ec2:DescribeInstanceStatus",
            "ec2:StartInstances",
            "ec2:StopInstances",
        ],
        "Effect": "Allow",
        "Resource": "*",
    }],
}


def portfolio_reads(region):
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "PortfolioReads",
                "Effect": "Allow",
                "Action": ["servicecatalog:List*", "servicecatalog:Describe*",
                           "servicecatalog:Search*"],
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:RequestedRegion": region}},
            },
            {
                "Sid": "NoPortfolioDeletes",
                "Effect": "Deny",
                "Action": "servicecatalog:DeletePortfolio",
                "Resource": "*",
            },
        ],
    }


def main():
    if len(sys.argv) != 2:
        sys.stderr.write(__doc__)
        return 2
    endpoint = "http://" + sys.argv[1]
    region = os.environ.get("CATALOGD_REGION") or "us-east-1"
    kw = dict(endpoint_url=endpoint, region_name=region,
              aws_access_key_id=os.environ["CATALOGD_ROOT_ACCESS_KEY_ID"],
              aws_secret_access_key=os.environ["CATALOGD_ROOT_SECRET_ACCESS_KEY"],
              config=Config(retries={"max_attempts": 1}))
    iam = boto3.client("iam", **kw)
    sc = boto3.client("servicecatalog", **kw)
    sfx = uuid.uuid4().hex[:8]
    group = "bench-endusers-" + sfx
    user = "bench-enduser-" + sfx
    iam.create_group(GroupName=group)
    arns = ["arn:aws:iam::aws:policy/AWSServiceCatalogEndUserFullAccess"]
    for name, doc in (("bench-tutorial-" + sfx, TUTORIAL),
                      ("bench-portfolio-reads-" + sfx, portfolio_reads(region))):
        arns.append(iam.create_policy(PolicyName=name,
                                      PolicyDocument=json.dumps(doc))["Policy"]["Arn"])
    for arn in arns:
        iam.attach_group_policy(GroupName=group, PolicyArn=arn)
    u = iam.create_user(UserName=user)["User"]
    iam.add_user_to_group(GroupName=group, UserName=user)
    pid = sc.create_portfolio(DisplayName="bench-" + sfx, ProviderName="bench",
                              IdempotencyToken=sfx)["PortfolioDetail"]["Id"]
    sc.associate_principal_with_portfolio(PortfolioId=pid, PrincipalARN=u["Arn"],
                                          PrincipalType="IAM")
    key = iam.create_access_key(UserName=user)["AccessKey"]
    print(key["AccessKeyId"], key["SecretAccessKey"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
