#!/usr/bin/env python3
"""AWS-managed policies: each distinct one attached anywhere in the estate is fetched once
per run (GetPolicy + GetPolicyVersion, counted by the proxy), stored once in
managed_policies with its document, kept out of the per-account customer-managed table,
and read by the analyser (ReadOnlyAccess on a read-only role is a side effect finding).

usage: test_managed.py IAM_AUDIT_BINARY   (starts its own moto with AWS-managed policies)
"""
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time

import boto3

from harness import build_estate, check, finish, moto, PROXY, PY, stop_moto, tool_env

ATTACH = ["ReadOnlyAccess", "SecurityAudit"]


def main():
    binary = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory(prefix="ia-managed-") as work:
        pid = os.path.join(work, "moto.pid")
        proxy = None
        try:
            moto("start", "--port-file", os.path.join(work, "port"), "--pid-file", pid,
                 "--managed-policies")
            port = open(os.path.join(work, "port")).read().strip()
            endpoint = f"http://127.0.0.1:{port}"
            est = build_estate(endpoint, "small", os.path.join(work, "small"))
            m = json.load(open(os.path.join(est, "manifest.json")))
            audit = m["audit"]
            sts = boto3.client("sts", endpoint_url=endpoint, region_name="us-east-1",
                               aws_access_key_id=audit["access_key_id"],
                               aws_secret_access_key=audit["secret_access_key"])
            attached = []
            for acct in m["accounts"]:
                aid = acct["account_id"]
                c = sts.assume_role(RoleArn=f"arn:aws:iam::{aid}:role/{audit['role_name']}",
                                    RoleSessionName="attach")["Credentials"]
                iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1",
                                   aws_access_key_id=c["AccessKeyId"],
                                   aws_secret_access_key=c["SecretAccessKey"],
                                   aws_session_token=c["SessionToken"])
                role = f"managed-readonly-{aid}"
                iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps({
                    "Version": "2012-10-17", "Statement": [{
                        "Effect": "Allow", "Action": "sts:AssumeRole",
                        "Principal": {"AWS": f"arn:aws:iam::{m['base_account']}:root"},
                        "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}]}))
                for name in ATTACH:
                    iam.attach_role_policy(RoleName=role,
                                           PolicyArn=f"arn:aws:iam::aws:policy/{name}")
                attached.append((aid, role))

            stats = os.path.join(work, "stats.json")
            pport = os.path.join(work, "proxy.port")
            proxy = subprocess.Popen([PY, PROXY, "--upstream-port", port, "--stats", stats,
                                      "--port-file", pport])
            for _ in range(200):
                if os.path.exists(pport):
                    break
                time.sleep(0.05)
            env = tool_env(est, "http://127.0.0.1:" + open(pport).read().strip(), work)
            db = os.path.join(work, "m.db")
            conf = os.path.join(est, "iam-audit.conf")
            p = subprocess.run([binary, "collect", "--config", conf, "--db", db, "--quiet"],
                               env=env, capture_output=True, text=True, timeout=300)
            check(p.returncode == 0, f"collect exits 0 ({p.returncode}: {p.stderr[-300:]})")
            counts = json.load(open(stats))
            n = len(ATTACH)
            check(counts.get("GetPolicy") == n and counts.get("GetPolicyVersion") == n,
                  f"one GetPolicy + GetPolicyVersion per distinct AWS-managed policy "
                  f"({n} attached in {len(attached)} accounts): {counts.get('GetPolicy')}, "
                  f"{counts.get('GetPolicyVersion')}")
            con = sqlite3.connect(db)
            rows = con.execute("SELECT arn, version_id, document, error FROM managed_policies"
                               ).fetchall()
            check(sorted(r[0] for r in rows) ==
                  sorted(f"arn:aws:iam::aws:policy/{a}" for a in ATTACH),
                  f"managed_policies holds each attached policy once: {[r[0] for r in rows]}")
            check(all(r[1] and r[2] and json.loads(r[2]).get("Statement") and r[3] is None
                      for r in rows), "each with its default version's document")
            check(con.execute("SELECT count(*) FROM policies WHERE arn LIKE "
                              "'arn:aws:iam::aws:policy/%'").fetchone()[0] == 0,
                  "no AWS-managed policy in the customer-managed table")
            con.close()
            p = subprocess.run([binary, "analyse", "--config", conf, "--db", db], env=env,
                               capture_output=True, text=True)
            check(p.returncode == 0, f"analyse exits 0 ({p.stderr[-300:]})")
            con = sqlite3.connect(db)
            for aid, role in attached:
                hit = con.execute("SELECT evidence FROM latest_findings WHERE rule_id = "
                                  "'readonly-role-side-effects' AND resource_arn = ?",
                                  (f"arn:aws:iam::{aid}:role/{role}",)).fetchall()
                check(len(hit) == 1 and "ReadOnlyAccess" in hit[0][0],
                      f"{role}: ReadOnlyAccess read through managed_policies is flagged")
            con.close()
        finally:
            if proxy:
                proxy.kill()
                proxy.wait()
            stop_moto(pid)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
