#!/usr/bin/env python3
"""What people write instead of iam-audit, (b): boto3 with a thread pool (bench/versus.sh).

    boto3_baseline.py --role ROLE_NAME --concurrency N [--same-reads] ACCOUNT_ID... > out.jsonl

Written the way a careful engineer would: one worker per account from a pool of N threads;
in each account the bulk calls where they exist: the credential report is started first,
GetAccountAuthorizationDetails (users and roles, with trust policies and RoleLastUsed) and
ListVirtualMFADevices (every assigned virtual MFA device) are paged meanwhile, then the
report is fetched (key last-used dates by slot, MFA flags); ListAccessKeys is called only for
users the report shows with keys (for the key ids), ListMFADevices only for users whose MFA
is on but who have no virtual device. Caller credentials come from the environment
(AWS_ENDPOINT_URL for a local stand-in). One JSON object per account on stdout.

With --same-reads it also makes the reads iam-audit makes and the plain script skips, so
that both do the same work (issue 16): ListRoles (the only call that returns
MaxSessionDuration), GetAccountPasswordPolicy, ListAccountAliases and GetAccountSummary
(MFADevicesInUse), and GetCallerIdentity once per run. They are sequential in each account,
as the rest of the script is.
"""
import argparse
import concurrent.futures
import csv
import io
import json
import sys
import threading
import time

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

CONFIG = Config(retries={"max_attempts": 5, "mode": "standard"}, region_name="us-east-1")
LOCK = threading.Lock()   # boto3 client creation is not thread-safe
SESSION = boto3.session.Session()


def client(service, **creds):
    with LOCK:
        return SESSION.client(service, config=CONFIG, **creds)


def same_reads(iam):
    """The account-level reads iam-audit makes that the plain script skips."""
    roles = []
    for page in iam.get_paginator("list_roles").paginate(PaginationConfig={"PageSize": 1000}):
        roles += [{"role": r["RoleName"], "max_session": r.get("MaxSessionDuration")}
                  for r in page["Roles"]]
    try:
        policy = iam.get_account_password_policy()["PasswordPolicy"]
    except ClientError as e:
        if e.response["Error"]["Code"] != "NoSuchEntity":
            raise
        policy = None
    aliases = iam.list_account_aliases()["AccountAliases"]
    summary = iam.get_account_summary()["SummaryMap"]
    return {"list_roles": roles, "password_policy": policy, "aliases": aliases,
            "mfa_devices_in_use": summary.get("MFADevicesInUse")}


def audit_account(account, role, same=False):
    sts = client("sts")
    c = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/{role}",
                        RoleSessionName="boto3-audit")["Credentials"]
    iam = client("iam", aws_access_key_id=c["AccessKeyId"],
                 aws_secret_access_key=c["SecretAccessKey"], aws_session_token=c["SessionToken"])
    iam.generate_credential_report()
    extra = same_reads(iam) if same else {}
    users, roles = [], []
    for page in iam.get_paginator("get_account_authorization_details").paginate(
            Filter=["User", "Role"], PaginationConfig={"PageSize": 1000}):
        users += page["UserDetailList"]
        roles += page["RoleDetailList"]
    vmfa = {}
    for page in iam.get_paginator("list_virtual_mfa_devices").paginate(
            PaginationConfig={"PageSize": 1000}):
        for d in page["VirtualMFADevices"]:
            if "User" in d:
                vmfa[d["User"]["UserName"]] = d["SerialNumber"]
    for _ in range(240):   # bounded: at most 60 s
        try:
            report = iam.get_credential_report()["Content"].decode()
            break
        except ClientError as e:
            if e.response["Error"]["Code"] not in ("ReportInProgress", "ReportNotPresent"):
                raise
            time.sleep(0.25)
    else:
        raise RuntimeError(f"{account}: credential report not ready after 60 s")
    out_users = []
    for row in csv.DictReader(io.StringIO(report)):
        name = row["user"]
        if name == "<root_account>":
            continue
        u = {"user": name, "mfa_active": row["mfa_active"] == "true", "mfa": vmfa.get(name),
             "keys": []}
        if u["mfa_active"] and not u["mfa"]:
            u["mfa"] = [d["SerialNumber"] for d in
                        iam.list_mfa_devices(UserName=name)["MFADevices"]]
        if "true" in (row["access_key_1_active"], row["access_key_2_active"]):
            ids = [k["AccessKeyId"] for k in
                   iam.list_access_keys(UserName=name)["AccessKeyMetadata"]]
            used = [row["access_key_1_last_used_date"], row["access_key_2_last_used_date"]]
            u["keys"] = [{"id": k, "last_used": used[i] if i < 2 else None}
                         for i, k in enumerate(ids)]
        out_users.append(u)
    out_roles = [{"role": r["RoleName"], "trust": r["AssumeRolePolicyDocument"],
                  "last_used": str(r.get("RoleLastUsed", {}).get("LastUsedDate", ""))}
                 for r in roles]
    return {"account": account, "users": out_users, "roles": out_roles, **extra}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--role", required=True)
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--same-reads", action="store_true",
                    help="also read what iam-audit reads and the plain script skips")
    ap.add_argument("accounts", nargs="+")
    a = ap.parse_args()
    failed = 0
    if a.same_reads:
        client("sts").get_caller_identity()   # iam-audit's whoami, once per run
    with concurrent.futures.ThreadPoolExecutor(a.concurrency) as pool:
        futs = {pool.submit(audit_account, acct, a.role, a.same_reads): acct
                for acct in a.accounts}
        for f in concurrent.futures.as_completed(futs):
            try:
                print(json.dumps(f.result(), default=str))
            except Exception as e:   # report and go on, as the real tool does
                print(f"{futs[f]}: {e}", file=sys.stderr)
                failed += 1
    return 2 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
