#!/usr/bin/env python3
"""Capture raw IAM response pages from a local moto estate (bench/cpu.sh).

    capture_page.py ESTATE_DIR OUT_DIR

Writes OUT_DIR/gaad-base.xml (GetAccountAuthorizationDetails of the base account: users,
groups) and OUT_DIR/gaad-team.xml (the first team account: roles with trust policies), each
exactly as the server sent it, asked for the way iam-audit asks (Filter User, Role, Group,
LocalManagedPolicy; MaxItems 1000), through sts:AssumeRole into the audit role.
"""
import json
import os
import sys
import urllib.parse
import urllib.request

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


def fetch(endpoint, creds, body):
    req = AWSRequest(method="POST", url=endpoint + "/", data=body,
                     headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    SigV4Auth(creds, "iam", "us-east-1").add_auth(req)
    r = urllib.request.Request(endpoint + "/", data=body.encode(), method="POST",
                               headers=dict(req.headers.items()))
    with urllib.request.urlopen(r, timeout=60) as resp:
        return resp.read()


def main():
    est, out = sys.argv[1], sys.argv[2]
    man = json.load(open(os.path.join(est, "manifest.json")))
    ep, audit = man["endpoint"].rstrip("/"), man["audit"]
    sts = boto3.client("sts", endpoint_url=ep, region_name="us-east-1",
                       aws_access_key_id=audit["access_key_id"],
                       aws_secret_access_key=audit["secret_access_key"])
    body = urllib.parse.urlencode([
        ("Action", "GetAccountAuthorizationDetails"), ("Version", "2010-05-08"),
        ("Filter.member.1", "User"), ("Filter.member.2", "Role"), ("Filter.member.3", "Group"),
        ("Filter.member.4", "LocalManagedPolicy"), ("MaxItems", "1000")])
    team = [a for a in man["accounts"] if not a["base"]]
    for label, acct in (("base", man["base_account"]), ("team", team[0]["account_id"])):
        c = sts.assume_role(RoleArn=f"arn:aws:iam::{acct}:role/{audit['role_name']}",
                            RoleSessionName="bench-capture")["Credentials"]
        creds = Credentials(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])
        data = fetch(ep, creds, body)
        with open(os.path.join(out, f"gaad-{label}.xml"), "wb") as f:
            f.write(data)
        print(f"gaad-{label}.xml: {len(data)} bytes (account {acct})")


if __name__ == "__main__":
    sys.exit(main())
