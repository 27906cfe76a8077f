#!/usr/bin/env python3
"""Attach a few AWS-managed policies to roles of a built estate (bench/calls.sh).

    attach_managed.py ESTATE_DIR

The bench estates (build_estate.py bench:U:A:R) attach customer-managed policies only, so
the "one GetPolicy + GetPolicyVersion per distinct AWS-managed policy per run" part of the
minimum would never be exercised. This attaches the same three AWS-managed policies in
every account (ReadOnlyAccess, SecurityAudit, ViewOnlyAccess: 3 distinct ARNs, used many
times) through the realistic route: the audit user's key, sts:AssumeRole into each
account's audit role. Needs a server started with moto_ctl.py --managed-policies.
Prints the distinct ARNs attached.
"""
import json
import os
import sys

import boto3

POLICIES = ["ReadOnlyAccess", "SecurityAudit", "job-function/ViewOnlyAccess"]


def main():
    est = sys.argv[1]
    man = json.load(open(os.path.join(est, "manifest.json")))
    ep, audit = man["endpoint"], man["audit"]
    sess = boto3.session.Session()
    sts = sess.client("sts", endpoint_url=ep, region_name="us-east-1",
                      aws_access_key_id=audit["access_key_id"],
                      aws_secret_access_key=audit["secret_access_key"])
    used = set()
    for acct in man["accounts"]:
        roles = acct["expected"]["roles"]
        roles = [r for r in roles if r != audit["role_name"]][: len(POLICIES)]
        if not roles:
            continue
        arn = f"arn:aws:iam::{acct['account_id']}:role/{audit['role_name']}"
        c = sts.assume_role(RoleArn=arn, RoleSessionName="bench-attach")["Credentials"]
        iam = sess.client("iam", endpoint_url=ep, region_name="us-east-1",
                          aws_access_key_id=c["AccessKeyId"],
                          aws_secret_access_key=c["SecretAccessKey"],
                          aws_session_token=c["SessionToken"])
        for role, pol in zip(roles, POLICIES):
            parn = f"arn:aws:iam::aws:policy/{pol}"
            iam.attach_role_policy(RoleName=role, PolicyArn=parn)
            used.add(parn)
    print(f"attached AWS-managed policies: {len(used)} distinct ({', '.join(sorted(used))})")


if __name__ == "__main__":
    sys.exit(main())
