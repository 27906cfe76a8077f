#!/usr/bin/env python3
"""docs/getting-started.md followed literally against moto (issue 19, "Done when"): the
audit role and runner built from docs/permissions.md's JSON (read from the page itself), the
example config (cron/iam-audit.conf.example) with only its paths moved into a temporary
folder and `profile = audit` uncommented as the page says, the runner's key in the job
user's ~/.aws/credentials, a leavers file as a UK spreadsheet exports it; then
`iam-audit run --config FILE --fail-on high` on an estate with no planted problem exits 0.
A broader audit role then makes it exit 1 (the test can fail).

usage: test_getting_started.py IAM_AUDIT_BINARY MOTO_PORT_FILE
"""
import json
import os
import re
import subprocess
import urllib.request
import sys
import tempfile

import boto3

from harness import check, finish, moto, ROOT

DOCS = os.path.join(ROOT, "docs")
BASE, TEAMS = "111111111111", ["222222222222", "044444444444"]


def json_blocks(page):
    """The ```json blocks of a docs page, parsed, in order."""
    text = open(os.path.join(DOCS, page)).read()
    return [json.loads(b) for b in re.findall(r"```json\n(.*?)```", text, re.S)]


def client(endpoint, service, creds=None):
    kw = dict(endpoint_url=endpoint, region_name="us-east-1")
    if creds:
        kw.update(aws_access_key_id=creds["AccessKeyId"],
                  aws_secret_access_key=creds["SecretAccessKey"],
                  aws_session_token=creds["SessionToken"])
    else:
        kw.update(aws_access_key_id="AKIAIOSFODNN7EXAMPLE", aws_secret_access_key="x" * 40)
    return boto3.client(service, **kw)


def admin_iam(endpoint, account):
    """An administrator's IAM client in one account (how the reader creates the roles)."""
    c = client(endpoint, "sts").assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole",
        RoleSessionName="getting-started")["Credentials"]
    return client(endpoint, "iam", c)


def main():
    binary = os.path.abspath(sys.argv[1])
    port_file = sys.argv[2]
    endpoint = "http://127.0.0.1:" + open(port_file).read().strip()
    # moto checks identity policies only with Resource "*" (docs/moto.md): the documented
    # runner policy names arn:aws:iam::*:role/iam-audit, as it should on AWS.
    moto("auth", "--port-file", port_file, "off")
    urllib.request.urlopen(urllib.request.Request(endpoint + "/moto-api/reset", data=b"",
                                                  method="POST"), timeout=30).read()
    # Whole policies only (the optional delivery statement is one statement to add).
    blocks = [b for b in json_blocks("permissions.md") if "Statement" in b]
    trust = [b for b in blocks if "Principal" in b["Statement"][0]][0]
    runner_policy = [b for b in blocks if b["Statement"][0].get("Action") == "sts:AssumeRole"
                     and "Principal" not in b["Statement"][0]][0]
    perms = [b for b in blocks if b["Statement"][0].get("Sid") == "ReadIam"][0]
    # "add the sts:ExternalId condition only if you set [audit] external_id": we do not.
    for st in trust["Statement"]:
        st.pop("Condition", None)
    runner_arn = trust["Statement"][0]["Principal"]["AWS"]
    check(runner_arn == f"arn:aws:iam::{BASE}:user/iam-audit-runner",
          f"permissions.md's trust names the runner user the example config names: {runner_arn}")

    # Step 2: the audit role in every account, the runner user in the base account.
    for acct in [BASE] + TEAMS:
        iam = admin_iam(endpoint, acct)
        iam.create_role(RoleName="iam-audit", AssumeRolePolicyDocument=json.dumps(trust))
        iam.put_role_policy(RoleName="iam-audit", PolicyName="iam-audit-read",
                            PolicyDocument=json.dumps(perms))
    iam = admin_iam(endpoint, BASE)
    # A base account as GDS runs it: a strong password policy.
    iam.update_account_password_policy(MinimumPasswordLength=16, RequireSymbols=True,
                                       RequireNumbers=True, RequireUppercaseCharacters=True,
                                       RequireLowercaseCharacters=True)
    iam.create_user(UserName="iam-audit-runner")
    iam.put_user_policy(UserName="iam-audit-runner", PolicyName="assume-audit-role",
                        PolicyDocument=json.dumps(runner_policy))
    key = iam.create_access_key(UserName="iam-audit-runner")["AccessKey"]

    with tempfile.TemporaryDirectory(prefix="ia-gs-") as work:
        home = os.path.join(work, "home")   # the job user's home (/var/lib/iam-audit)
        etc = os.path.join(work, "etc")     # /etc/iam-audit
        state = os.path.join(work, "state")
        os.makedirs(os.path.join(home, ".aws"), mode=0o700)
        os.makedirs(etc)
        os.makedirs(state, mode=0o700)      # step 3: install -d -m 0700 /var/lib/iam-audit
        with open(os.path.join(home, ".aws", "credentials"), "w") as f:
            f.write(f"[audit]\naws_access_key_id = {key['AccessKeyId']}\n"
                    f"aws_secret_access_key = {key['SecretAccessKey']}\n")
        os.chmod(os.path.join(home, ".aws", "credentials"), 0o600)
        # Step 5: the example config, ids as they are (111111111111, 222222222222,
        # 044444444444), profile = audit uncommented; only the folders are moved.
        conf = open(os.path.join(ROOT, "cron", "iam-audit.conf.example")).read()
        conf = conf.replace("; profile = audit", "profile = audit")
        conf = conf.replace("/var/lib/iam-audit", state).replace("/etc/iam-audit", etc)
        cpath = os.path.join(etc, "iam-audit.conf")
        open(cpath, "w").write(conf)
        # Step 6: the leavers file, as Excel exports it in the UK.
        open(os.path.join(etc, "leavers.csv"), "w").write(
            "Username;Leaving Date\r\niam-audit-runner;31/12/2099\r\n")
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(HOME=home, AWS_ENDPOINT_URL=endpoint, AWS_EC2_METADATA_DISABLED="true")

        p = subprocess.run([binary, "whoami", "--profile", "audit"], env=env,
                           capture_output=True, text=True)
        check(p.returncode == 0 and "iam-audit-runner" in p.stdout,
              f"step 4: whoami shows the runner ({p.returncode}: {p.stdout}{p.stderr})")
        p = subprocess.run([binary, "run", "--config", cpath, "--fail-on", "high"], env=env,
                           capture_output=True, text=True, timeout=300)
        check(p.returncode == 0, f"step 7: run --fail-on high exits 0 on a documented set-up "
                                 f"({p.returncode}: {p.stderr[-1500:]})")
        check("NOT CHECKED" in p.stderr and "user-not-in-roster" in p.stderr and
              "leaver-present" not in p.stderr.split("NOT CHECKED")[-1].split("\n")[0],
              "the output says the roster rules were not checked (no roster), leavers were")
        reports = os.path.join(state, "reports")
        check(os.path.isdir(reports) and any(n.endswith(".xlsx") for n in os.listdir(reports)),
              "the reports are where the example config says")
        import sqlite3
        con = sqlite3.connect(os.path.join(state, "iam-audit.db"))
        rows = con.execute("SELECT rule_id, severity, resource_arn FROM latest_findings "
                           "WHERE severity IN ('critical', 'high')").fetchall()
        con.close()
        check(rows == [], f"no critical or high finding: {rows}")

        # Step 7's commands one by one.
        for args in (["collect", "--config", cpath], ["analyse", "--config", cpath],
                     ["report", "--config", cpath, "--per-team"]):
            p = subprocess.run([binary, *args], env=env, capture_output=True, text=True,
                               timeout=300)
            check(p.returncode == 0, f"step 7: {' '.join(args[:1])} exits 0 ({p.returncode}: "
                                     f"{p.stderr[-500:]})")

        # The same set-up with an audit role broader than documented fails the gate.
        iam = admin_iam(endpoint, TEAMS[0])
        iam.put_role_policy(RoleName="iam-audit", PolicyName="extra", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:*",
                                                     "Resource": "*"}]}))
        p = subprocess.run([binary, "run", "--config", cpath, "--fail-on", "high"], env=env,
                           capture_output=True, text=True, timeout=300)
        con = sqlite3.connect(os.path.join(state, "iam-audit.db"))
        rules = [r[0] for r in con.execute("SELECT rule_id FROM latest_findings WHERE severity "
                                           "= 'high'")]
        con.close()
        check(p.returncode == 1 and rules == ["audit-role-broader"],
              f"a broader audit role is audit-role-broader and exit 1 ({p.returncode}: {rules})")
    moto("auth", "--port-file", port_file, "on")
    return finish()


if __name__ == "__main__":
    sys.exit(main())
