#!/usr/bin/env python3
"""Read back, with boto3, what a moto estate holds, as one normalised JSON document.

    readback.py --endpoint http://127.0.0.1:PORT --manifest manifest.json --out readback.json

It takes the same route as iam-audit: the audit user's access key (from the manifest)
assumes the audit role in every account, the base account included. Unlike the tool it
reads each resource with the per-resource calls (ListUsers, GetLoginProfile,
ListMFADevices, ListAccessKeys, GetAccessKeyLastUsed, GetRole, ...), not with
GetAccountAuthorizationDetails, so that it is an independent check of the collector.

Normalisation: account ids are strings; times are ISO 8601 UTC text with a Z and moto's
microseconds kept (AWS has whole seconds; compare at the precision you need); policy
documents are decoded to JSON (boto3 decodes the URL-encoded ones, a string left over is
%XX-decoded and parsed); every list is sorted by its natural key; dictionaries are
written with sorted keys.

Reading has side effects, as on AWS: it marks the audit key and each audit role as used
"now". Credential reports are generated (GenerateCredentialReport until COMPLETE).
"""

import argparse
import concurrent.futures
import csv
import datetime
import io
import json
import sys
import threading
import time
import urllib.parse

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

REGION = "us-east-1"


def iso(v):
    if v is None:
        return None
    if isinstance(v, datetime.datetime):
        if v.tzinfo is not None:
            v = v.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        return v.isoformat(timespec="microseconds") + "Z"
    return str(v)


def doc(v):
    """A policy document as JSON (dict), whatever form boto3 handed it over in."""
    if v is None or isinstance(v, (dict, list)):
        return v
    text = v
    if "%" in text:
        text = urllib.parse.unquote(text)   # %XX only: a '+' stays a '+'
    try:
        return json.loads(text)
    except ValueError:
        return {"_undecodable": v}


def code(e):
    return e.response.get("Error", {}).get("Code", "")


def pages(client, op, key, **kw):
    out = []
    for page in client.get_paginator(op).paginate(**kw):
        out.extend(page.get(key, []))
    return out


class Reader:
    def __init__(self, endpoint, key_id, secret):
        self.endpoint = endpoint
        self.requests = 0
        self.config = Config(retries={"max_attempts": 3, "mode": "standard"},
                             connect_timeout=5, read_timeout=60)
        self.session = boto3.session.Session()
        self.client_lock = threading.Lock()
        self.key = (key_id, secret)

    def _count(self, **kwargs):
        with self.client_lock:
            self.requests += 1

    def client(self, service, key_id, secret, token=None):
        # One session for every client: botocore then loads each service model once
        # (a fresh Session per client costs ~0.15 s). Client creation is not thread-safe.
        with self.client_lock:
            c = self.session.client(
                service, endpoint_url=self.endpoint, region_name=REGION, config=self.config,
                aws_access_key_id=key_id, aws_secret_access_key=secret,
                aws_session_token=token)
        c.meta.events.register("before-send", self._count)
        return c

    def iam_for(self, account_id, role_name):
        sts = self.client("sts", *self.key)
        c = sts.assume_role(RoleArn=f"arn:aws:iam::{account_id}:role/{role_name}",
                            RoleSessionName="iam-audit-readback")["Credentials"]
        return self.client("iam", c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])

    def account(self, account_id, role_name):
        iam = self.iam_for(account_id, role_name)
        out = {"account_id": account_id}
        out["aliases"] = sorted(pages(iam, "list_account_aliases", "AccountAliases"))
        try:
            pp = iam.get_account_password_policy()["PasswordPolicy"]
            out["password_policy"] = {k: pp[k] for k in sorted(pp)}
        except ClientError as e:
            if code(e) != "NoSuchEntity":
                raise
            out["password_policy"] = None

        users = []
        for u in pages(iam, "list_users", "Users"):
            name = u["UserName"]
            try:
                lp = iam.get_login_profile(UserName=name)["LoginProfile"]
                login = {"created_at": iso(lp.get("CreateDate")),
                         "password_reset_required": lp.get("PasswordResetRequired", False)}
            except ClientError as e:
                if code(e) != "NoSuchEntity":
                    raise
                login = None
            mfa = [{"serial_number": d["SerialNumber"], "enabled_at": iso(d.get("EnableDate"))}
                   for d in pages(iam, "list_mfa_devices", "MFADevices", UserName=name)]
            keys = []
            for k in pages(iam, "list_access_keys", "AccessKeyMetadata", UserName=name):
                lu = iam.get_access_key_last_used(AccessKeyId=k["AccessKeyId"])
                lu = lu.get("AccessKeyLastUsed", {})
                keys.append({"access_key_id": k["AccessKeyId"], "status": k["Status"],
                             "created_at": iso(k.get("CreateDate")),
                             "last_used_at": iso(lu.get("LastUsedDate")),
                             "last_used_service": lu.get("ServiceName"),
                             "last_used_region": lu.get("Region")})
            groups = sorted(g["GroupName"] for g in
                            pages(iam, "list_groups_for_user", "Groups", UserName=name))
            attached = sorted(p["PolicyArn"] for p in pages(
                iam, "list_attached_user_policies", "AttachedPolicies", UserName=name))
            inline = {}
            for pn in sorted(pages(iam, "list_user_policies", "PolicyNames", UserName=name)):
                inline[pn] = doc(iam.get_user_policy(UserName=name,
                                                     PolicyName=pn)["PolicyDocument"])
            full = iam.get_user(UserName=name)["User"]
            users.append({
                "user_name": name, "user_id": u["UserId"], "arn": u["Arn"], "path": u["Path"],
                "created_at": iso(u.get("CreateDate")),
                "password_last_used": iso(full.get("PasswordLastUsed")),
                "password_enabled": login is not None, "login_profile": login,
                "mfa_devices": sorted(mfa, key=lambda d: d["serial_number"]),
                "mfa_active": bool(mfa),
                "access_keys": sorted(keys, key=lambda k: k["access_key_id"]),
                "groups": groups, "attached_policies": attached, "inline_policies": inline,
                "tags": sorted(({"key": t["Key"], "value": t["Value"]}
                                for t in full.get("Tags", [])), key=lambda t: t["key"]),
                "permissions_boundary": (full.get("PermissionsBoundary") or {}).get(
                    "PermissionsBoundaryArn")})
        out["users"] = sorted(users, key=lambda u: u["user_name"])

        roles = []
        for r in pages(iam, "list_roles", "Roles"):
            name = r["RoleName"]
            full = iam.get_role(RoleName=name)["Role"]
            last = full.get("RoleLastUsed") or {}
            attached = sorted(p["PolicyArn"] for p in pages(
                iam, "list_attached_role_policies", "AttachedPolicies", RoleName=name))
            inline = {}
            for pn in sorted(pages(iam, "list_role_policies", "PolicyNames", RoleName=name)):
                inline[pn] = doc(iam.get_role_policy(RoleName=name,
                                                     PolicyName=pn)["PolicyDocument"])
            roles.append({
                "role_name": name, "role_id": full["RoleId"], "arn": full["Arn"],
                "path": full["Path"], "created_at": iso(full.get("CreateDate")),
                "description": full.get("Description"),
                "max_session_duration": full.get("MaxSessionDuration"),
                "last_used_at": iso(last.get("LastUsedDate")),
                "last_used_region": last.get("Region"),
                "trust_policy": doc(full.get("AssumeRolePolicyDocument")),
                "trust_policy_from_list": doc(r.get("AssumeRolePolicyDocument")),
                "attached_policies": attached, "inline_policies": inline,
                "tags": sorted(({"key": t["Key"], "value": t["Value"]}
                                for t in full.get("Tags", [])), key=lambda t: t["key"]),
                "permissions_boundary": (full.get("PermissionsBoundary") or {}).get(
                    "PermissionsBoundaryArn")})
        out["roles"] = sorted(roles, key=lambda r: r["arn"])

        groups = []
        for g in pages(iam, "list_groups", "Groups"):
            name = g["GroupName"]
            members = sorted(u["UserName"] for u in pages(iam, "get_group", "Users",
                                                          GroupName=name))
            attached = sorted(p["PolicyArn"] for p in pages(
                iam, "list_attached_group_policies", "AttachedPolicies", GroupName=name))
            inline = {}
            for pn in sorted(pages(iam, "list_group_policies", "PolicyNames", GroupName=name)):
                inline[pn] = doc(iam.get_group_policy(GroupName=name,
                                                      PolicyName=pn)["PolicyDocument"])
            groups.append({"group_name": name, "group_id": g["GroupId"], "arn": g["Arn"],
                           "path": g["Path"], "created_at": iso(g.get("CreateDate")),
                           "members": members, "attached_policies": attached,
                           "inline_policies": inline})
        out["groups"] = sorted(groups, key=lambda g: g["group_name"])

        policies = []
        for p in pages(iam, "list_policies", "Policies", Scope="Local"):
            v = iam.get_policy_version(PolicyArn=p["Arn"],
                                       VersionId=p["DefaultVersionId"])["PolicyVersion"]
            policies.append({"policy_name": p["PolicyName"], "policy_id": p["PolicyId"],
                             "arn": p["Arn"], "path": p["Path"],
                             "default_version_id": p["DefaultVersionId"],
                             "attachment_count": p.get("AttachmentCount"),
                             "created_at": iso(p.get("CreateDate")),
                             "document": doc(v["Document"])})
        out["policies"] = sorted(policies, key=lambda p: p["arn"])

        out["virtual_mfa_devices"] = sorted((
            {"serial_number": d["SerialNumber"],
             "user_name": (d.get("User") or {}).get("UserName"),
             "enabled_at": iso(d.get("EnableDate"))}
            for d in pages(iam, "list_virtual_mfa_devices", "VirtualMFADevices")),
            key=lambda d: d["serial_number"])

        for _ in range(50):
            if iam.generate_credential_report()["State"] == "COMPLETE":
                break
            time.sleep(0.1)
        report = iam.get_credential_report()
        text = report["Content"].decode() if isinstance(report["Content"], bytes) \
            else report["Content"]
        rows = list(csv.DictReader(io.StringIO(text)))
        out["credential_report"] = {"generated_at": iso(report.get("GeneratedTime")),
                                    "columns": list(rows[0].keys()) if rows else
                                    next(csv.reader(io.StringIO(text)), []),
                                    "rows": sorted(rows, key=lambda r: r.get("arn", ""))}
        return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=__doc__)
    p.add_argument("--endpoint", help="default: the manifest's endpoint")
    p.add_argument("--manifest", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--jobs", type=int, default=4, help="accounts read in parallel")
    args = p.parse_args(argv)
    with open(args.manifest) as f:
        m = json.load(f)
    endpoint = args.endpoint or m["endpoint"]
    r = Reader(endpoint, m["audit"]["access_key_id"], m["audit"]["secret_access_key"])
    t0 = time.monotonic()
    ids = sorted(a["account_id"] for a in m["accounts"])
    with concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as pool:
        accounts = list(pool.map(lambda aid: r.account(aid, m["audit"]["role_name"]), ids))
    result = {"endpoint": endpoint, "base_account": m["base_account"], "spec": m["spec"],
              "read_at": iso(datetime.datetime.now(datetime.timezone.utc)),
              "aws_requests": r.requests, "seconds": round(time.monotonic() - t0, 3),
              "accounts": accounts}
    with open(args.out, "w") as f:
        json.dump(result, f, indent=2, sort_keys=True)
        f.write("\n")
    print(f"read back {len(accounts)} accounts, {r.requests} AWS requests in "
          f"{result['seconds']:.2f} s -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
