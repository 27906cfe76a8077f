#!/usr/bin/env python3
"""`iam-audit run`: collect -> analyse -> report in one go, and its exit-code table (the
worst of the three steps): 0 ok, 1 findings at/above --fail-on, 2 partial, 3 failed,
64 usage, 75 busy, 78 configuration. Also the demo as a smoke test of the main job.

usage: test_run.py IAM_AUDIT_BINARY MOTO_PORT_FILE
"""
import fcntl
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time

import boto3

from harness import build_estate, check, finish, moto, PROXY, PY, tool_env


def main():
    binary = os.path.abspath(sys.argv[1])
    port = open(sys.argv[2]).read().strip()
    endpoint = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="ia-run-") as work:
        est = os.path.join(work, "small")
        build_estate(endpoint, "small", est)
        env = tool_env(est, endpoint, work)
        db = os.path.join(work, "run.db")
        reports = os.path.join(work, "reports")
        conf = os.path.join(work, "run.conf")
        base = open(os.path.join(est, "iam-audit.conf")).read()
        base = base.replace("[audit]\n", f"[audit]\nreports = {reports}\n"
                            f"leavers = {est}/leavers.csv\nroster = {est}/roster.csv\n"
                            f"exceptions = {est}/exceptions.ini\nretry_base_ms = 5\n"
                            "max_attempts = 2\n", 1)
        base = "\n".join(l for l in base.splitlines() if not l.startswith("database")) + "\n"
        base = base.replace("[audit]\n", f"[audit]\ndatabase = {db}\n", 1)
        open(conf, "w").write(base)

        def run(*args, e=env):
            return subprocess.run([binary, "run", "--config", conf, "--quiet", *args], env=e,
                                  capture_output=True, text=True, timeout=300)

        p = run()
        check(p.returncode == 0, f"run exits 0 without --fail-on ({p.returncode}: {p.stderr[-400:]})")
        check(p.stdout == "", f"run --quiet prints no report paths (issue 19.9): {p.stdout!r}")
        names = sorted(os.listdir(reports)) if os.path.isdir(reports) else []
        check("findings.csv" in names and any(n.endswith(".xlsx") for n in names),
              f"run wrote the reports from the config's paths: {names}")
        p = run("--fail-on", "high")
        check(p.returncode == 1, f"findings at or above --fail-on: exit 1 ({p.returncode})")
        # Without [audit] reports, reports go beside the database, not into the current
        # directory (issue 19.5).
        nconf = os.path.join(work, "noreports.conf")
        dbdir = os.path.join(work, "state")
        os.makedirs(dbdir)
        open(nconf, "w").write("\n".join(l for l in base.splitlines()
                                         if not l.startswith("reports")).replace(
                                             f"database = {db}", f"database = {dbdir}/n.db") + "\n")
        cwd = os.path.join(work, "cwd")
        os.makedirs(cwd)
        p = subprocess.run([binary, "run", "--config", nconf, "--quiet"], env=env, cwd=cwd,
                           capture_output=True, text=True, timeout=300)
        beside = os.path.join(dbdir, "reports")
        check(p.returncode == 0 and os.path.exists(os.path.join(beside, "findings.csv")) and
              not os.listdir(cwd), f"reports beside the database ({p.returncode}: "
                                   f"{os.listdir(cwd)})")
        p = run("--fail-on", "bogus")
        check(p.returncode == 64, f"a bad --fail-on is a usage error ({p.returncode})")
        p = subprocess.run([binary, "run"], capture_output=True, text=True)
        check(p.returncode == 64 and "--config" in p.stderr, "missing --config: 64")
        bad = os.path.join(work, "bad.conf")
        open(bad, "w").write("[audit]\nbase_account = 12345\n")
        p = subprocess.run([binary, "run", "--config", bad], env=env, capture_output=True,
                           text=True)
        check(p.returncode == 78 and "bad.conf:2" in p.stderr,
              f"a config error is 78 and names file:line ({p.returncode}: {p.stderr.strip()})")
        # partial collection beats findings: the worst of the steps is 2
        rules = os.path.join(work, "rules.json")
        json.dump({"rules": [{"action": "AssumeRole", "match": "333333333333", "kind": "xml",
                              "status": 403, "code": "AccessDenied", "message": "denied"}]},
                  open(rules, "w"))
        pport = os.path.join(work, "proxy.port")
        proxy = subprocess.Popen([PY, PROXY, "--upstream-port", port, "--rules", rules,
                                  "--port-file", pport])
        try:
            for _ in range(200):
                if os.path.exists(pport):
                    break
                time.sleep(0.05)
            penv = dict(env, AWS_ENDPOINT_URL="http://127.0.0.1:" + open(pport).read().strip())
            p = run("--fail-on", "high", e=penv)
            check(p.returncode == 2, f"partial + findings: exit 2 ({p.returncode})")
            # every call refused: the caller cannot even be identified -> 3
            json.dump({"rules": [{"action": "*", "kind": "xml", "status": 403,
                                  "code": "InvalidClientTokenId", "message": "bad key"}]},
                      open(rules, "w"))
            p = run(e=penv)
            check(p.returncode == 3 and "InvalidClientTokenId" in p.stderr,
                  f"a failed collect is 3 with AWS's code ({p.returncode}: {p.stderr[-300:]})")
        finally:
            proxy.kill()
            proxy.wait()
        # the database is busy: 75
        fd = os.open(db + ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        p = run()
        check(p.returncode == 75, f"busy database: exit 75 ({p.returncode}: {p.stderr[-200:]})")
        os.close(fd)

        # [organization] discover: ListAccounts through the management account's role,
        # merged with the listed accounts (which keep their names), minus `exclude`.
        moto("auth", "--port-file", sys.argv[2], "off")
        sts = boto3.client("sts", endpoint_url=endpoint, region_name="us-east-1",
                           aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
                           aws_secret_access_key="x" * 40)
        c = sts.assume_role(RoleArn="arn:aws:iam::111111111111:role/OrganizationAccountAccessRole",
                            RoleSessionName="org-setup")["Credentials"]
        org = boto3.client("organizations", endpoint_url=endpoint, region_name="us-east-1",
                           aws_access_key_id=c["AccessKeyId"],
                           aws_secret_access_key=c["SecretAccessKey"],
                           aws_session_token=c["SessionToken"])
        try:
            org.create_organization(FeatureSet="ALL")
        except org.exceptions.AlreadyInOrganizationException:
            pass
        for name in ("disc-one", "disc-two", "disc-excluded"):
            org.create_account(Email=f"{name}@example.gov.uk", AccountName=name)
        accts = {a["Name"]: a["Id"] for a in org.list_accounts()["Accounts"]}
        moto("auth", "--port-file", sys.argv[2], "on")
        odb = os.path.join(work, "org.db")
        oconf = os.path.join(work, "org.conf")
        open(oconf, "w").write(base.replace(f"database = {db}", f"database = {odb}") +
                               "\n[organization]\ndiscover = true\n"
                               "role_arn = arn:aws:iam::111111111111:role/iam-audit\n"
                               f"exclude = {accts['disc-excluded']}\n")
        # Organizations throttles in its own JSON shape: two TooManyRequestsException
        # answers to ListAccounts are retried, and counted in the run record.
        json.dump({"rules": [{"action": "ListAccounts", "kind": "json", "status": 400,
                              "code": "TooManyRequestsException", "message": "slow down",
                              "times": 2}]}, open(rules, "w"))
        proxy = subprocess.Popen([PY, PROXY, "--upstream-port", port, "--rules", rules,
                                  "--port-file", pport + ".org"])
        try:
            for _ in range(200):
                if os.path.exists(pport + ".org"):
                    break
                time.sleep(0.05)
            oenv = dict(env, AWS_ENDPOINT_URL="http://127.0.0.1:" +
                        open(pport + ".org").read().strip())
            p = subprocess.run([binary, "collect", "--config", oconf, "--quiet"], env=oenv,
                               capture_output=True, text=True, timeout=300)
        finally:
            proxy.kill()
            proxy.wait()
        check(p.returncode in (0, 2), f"collect with discovery ran ({p.returncode}: "
                                      f"{p.stderr[-300:]})")
        con = sqlite3.connect(odb)
        thr = con.execute("SELECT throttles FROM runs ORDER BY id DESC LIMIT 1").fetchone()[0]
        con.close()
        check(thr >= 2, f"ListAccounts throttling was retried and counted (throttles {thr})")
        con = sqlite3.connect(odb)
        got = dict(con.execute("SELECT account_id, name FROM accounts WHERE run_id = "
                               "(SELECT max(id) FROM runs)").fetchall())
        con.close()
        check(accts["disc-one"] in got and accts["disc-two"] in got,
              f"discovered accounts are audited: {got}")
        check(accts["disc-excluded"] not in got, "an excluded account is not audited")
        check(got.get("222222222222") == "paas-prod" and got.get("111111111111") == "gds-users",
              f"listed accounts keep their names: {got}")
        check(got.get(accts["disc-one"]) == "disc-one", "discovered accounts carry their names")

        # the demo: the README's main job, end to end
        out = os.path.join(work, "demo")
        p = subprocess.run([binary, "demo", "--out", out], capture_output=True, text=True,
                           timeout=300)
        check(p.returncode == 0, f"demo exits 0 ({p.returncode}: {p.stderr[-500:]})")
        rep = os.path.join(out, "reports")
        names = os.listdir(rep) if os.path.isdir(rep) else []
        check("findings.csv" in names and any(n.startswith("iam-audit-") for n in names) and
              any(n.startswith("team-") for n in names), f"demo wrote the reports: {names}")
        if "findings.csv" in names:
            import csv
            rows = list(csv.DictReader(open(os.path.join(rep, "findings.csv"), encoding="utf-8")))
            fams = {r["rule_id"].split("-")[0] for r in rows}
            check(len(rows) > 20 and {"user", "leaver", "trust", "bootstrap", "readonly"} <= fams,
                  f"demo findings cover every family: {sorted(fams)}")
        # ... and delivers to a local SES / Security Hub stand-in, saying where to look
        dl = os.path.join(out, "delivered")
        got = sorted(os.listdir(dl)) if os.path.isdir(dl) else []
        emls = [n for n in got if n.endswith(".eml")]
        check(len(emls) >= 2 and any("security-team" in n for n in emls) and
              "securityhub-findings.json" in got and dl in p.stderr,
              f"demo delivered e-mails and Security Hub findings into {dl}: {got}")
        if "securityhub-findings.json" in got:
            hub = json.load(open(os.path.join(dl, "securityhub-findings.json")))
            check(hub and all(f["Id"].startswith("iam-audit/") for f in hub),
                  f"demo's Security Hub holds iam-audit findings ({len(hub)})")
    return finish()


if __name__ == "__main__":
    sys.exit(main())
