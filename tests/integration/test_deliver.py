#!/usr/bin/env python3
"""`iam-audit deliver` and delivery as the last step of `run` (issue 17), against moto.

The estate lives in the fixture's moto_server (auth on). SES and Security Hub are a second,
plain moto_server this test starts, reached through AWS_ENDPOINT_URL_SES and
AWS_ENDPOINT_URL_SECURITYHUB (so the overrides are tested too): moto's /moto-api/data.json
is the only way to read back what SES received, and it fails on the estate's server
(deleted users break moto's IAM model dump). moto 5.2.1 has no BatchUpdateFindings, so here
securityhub_workflow = off; that call is covered by tests/unit/test_deliver.c.

Checks: one raw message per team lead and one to the security team, parsed back with
Python's email package (recipients, RFC 2047 subject, base64 lines <= 76, the attached
workbook opens and holds only that team's accounts); Security Hub holds exactly the run's
findings (open ones NEW, suppressed ones SUPPRESSED); after a finding is fixed it is
ARCHIVED and the rest unchanged; re-delivering changes nothing; the webhook stub receives
one well-formed JSON message per run and its URL appears nowhere; the deliveries table; a
fake sendmail gets the same messages; --dry-run sends and records nothing; unreachable SES
and Security Hub leave the run and its reports intact, are recorded, and exit 4 (1 still
wins with --fail-on).

usage: test_deliver.py IAM_AUDIT_BINARY MOTO_PORT_FILE
"""
import email
import email.policy
import http.server
import io
import json
import os
import shutil
import socket
import sqlite3
import stat
import subprocess
import sys
import tempfile
import threading
import urllib.request
import zipfile

import boto3

from harness import build_estate, check, finish, moto, PY, ESTATE, stop_moto, tool_env

SECRET = "T0AUDIT/B0DELIVER/s3cr3tW3bh00kT0k3n"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Hook(http.server.BaseHTTPRequestHandler):
    received = []

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        Hook.received.append((self.path, self.headers.get("Content-Type", ""),
                              self.rfile.read(n)))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *a):
        pass


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def ses_messages(endpoint):
    d = json.load(urllib.request.urlopen(endpoint + "/moto-api/data.json"))
    return d.get("ses", {}).get("RawMessage", [])


def hub_findings(endpoint):
    sh = boto3.client("securityhub", endpoint_url=endpoint, region_name="eu-west-2",
                      aws_access_key_id="AKIAIOSFODNN7EXAMPLE", aws_secret_access_key="x" * 40)
    out, token = [], None
    while True:
        kw = {"MaxResults": 100}
        if token:
            kw["NextToken"] = token
        r = sh.get_findings(**kw)
        out += r["Findings"]
        token = r.get("NextToken")
        if not token:
            return {f["Id"]: f for f in out}


def workbook_text(data):
    """Every cell string of an XLSX (inline or shared), joined."""
    z = zipfile.ZipFile(io.BytesIO(data))
    return "\n".join(z.read(n).decode("utf-8") for n in z.namelist()
                     if n.startswith("xl/worksheets/") or n == "xl/sharedStrings.xml")


def check_message(raw, want_to, want_book, accounts_in, accounts_out, what):
    """Parse one raw message back and check it; returns the parsed message."""
    lines = raw.replace("\r\n", "\n").split("\n")
    head = lines[:lines.index("")]
    check(max(len(l) for l in head) <= 78, f"{what}: header lines within 78")
    b64_lines = [l for l in lines if len(l) > 40 and all(
        c.isalnum() or c in "+/=" for c in l)]
    check(b64_lines and max(len(l) for l in b64_lines) <= 76,
          f"{what}: base64 lines <= 76 ({max(len(l) for l in b64_lines) if b64_lines else 0})")
    m = email.message_from_string(raw, policy=email.policy.default)
    to = sorted(a.addr_spec for a in m["To"].addresses)
    check(to == sorted(want_to), f"{what}: recipients {to}")
    subj = str(m["Subject"])
    check(subj.startswith("iam-audit \u2014 ") and "\u2014 20" in subj,
          f"{what}: UTF-8 subject decoded: {subj!r}")
    check(m["Subject"] is not None and "=?UTF-8?B?" in raw.split("\n\n")[0],
          f"{what}: subject encoded per RFC 2047")
    check(m.get_content_type() == "multipart/mixed", f"{what}: multipart/mixed")
    body = m.get_body(preferencelist=("plain",)).get_content()
    check("Open findings" in body or "Nothing to do" in body, f"{what}: a text summary")
    atts = list(m.iter_attachments())
    check(len(atts) == 1 and atts[0].get_filename() == want_book
          and atts[0].get_content_type() == XLSX,
          f"{what}: attachment {[a.get_filename() for a in atts]}")
    if atts:
        text = workbook_text(atts[0].get_content())
        for a in accounts_in:
            check(a in text, f"{what}: workbook holds account {a}")
        for a in accounts_out:
            check(a not in text, f"{what}: workbook does not hold account {a}")
    return m


def main():
    binary = os.path.abspath(sys.argv[1])
    port = open(sys.argv[2]).read().strip()
    endpoint = f"http://127.0.0.1:{port}"
    hub_pid = None
    # The hub's pid and port files live outside the work folder: that folder is gone by the
    # time `finally` stops the hub (it used to be left running after every run).
    hub_dir = tempfile.mkdtemp(prefix="ia-deliver-hub-")
    hook = http.server.HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    try:
        with tempfile.TemporaryDirectory(prefix="ia-deliver-") as work:
            est = build_estate(endpoint, "small", os.path.join(work, "small"))
            # SES and Security Hub: a second moto, plain (no auth: any signed request).
            hub_pid = os.path.join(hub_dir, "hub.pid")
            moto("start", "--port-file", os.path.join(hub_dir, "hub.port"), "--pid-file", hub_pid)
            hub = "http://127.0.0.1:" + open(os.path.join(hub_dir, "hub.port")).read().strip()
            ses = boto3.client("ses", endpoint_url=hub, region_name="eu-west-2",
                               aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
                               aws_secret_access_key="x" * 40)
            ses.verify_email_identity(EmailAddress="iam-audit@example.gov.uk")

            env = tool_env(est, endpoint, work)
            env.update(AWS_ENDPOINT_URL_SES=hub, AWS_ENDPOINT_URL_SECURITYHUB=hub)
            db = os.path.join(work, "d.db")
            reports = os.path.join(work, "reports")
            hookfile = os.path.join(work, "slack-webhook")
            fd = os.open(hookfile, os.O_WRONLY | os.O_CREAT, 0o600)
            os.write(fd, f"http://127.0.0.1:{hook.server_port}/services/{SECRET}\n".encode())
            os.close(fd)
            base = open(os.path.join(est, "iam-audit.conf")).read()
            base = "\n".join(l for l in base.splitlines() if not l.startswith("database"))
            base = base.replace("[audit]", f"[audit]\ndatabase = {db}\nreports = {reports}\n"
                                f"leavers = {est}/leavers.csv\nroster = {est}/roster.csv\n"
                                f"exceptions = {est}/exceptions.ini\nretry_base_ms = 5\n"
                                "max_attempts = 2\nrequest_timeout_s = 10", 1)
            delivery = ("\n[delivery]\nfrom = iam-audit@example.gov.uk\nemail = ses\n"
                        "ses_region = eu-west-2\nsecurityhub = on\n"
                        "securityhub_region = eu-west-2\nsecurityhub_workflow = off\n"
                        "rules_url = https://example.gov.uk/iam-audit/docs/rules.md\n"
                        f"slack_webhook_file = {hookfile}\n"
                        "security_email = security-team@example.gov.uk\n"
                        "\n[team paas]\nemail = paas-lead@example.gov.uk, "
                        "paas-deputy@example.gov.uk\n"
                        "\n[team verify]\nemail = verify-lead@example.gov.uk\n")
            conf = os.path.join(work, "d.conf")
            open(conf, "w").write(base + delivery)

            def run(*args, e=env, c=conf):
                return subprocess.run([binary, "run", "--config", c, "--quiet", *args], env=e,
                                      capture_output=True, text=True, timeout=600)

            def deliver(*args, e=env, c=conf):
                return subprocess.run([binary, "deliver", "--config", c, *args], env=e,
                                      capture_output=True, text=True, timeout=600)

            def q(sql, *a):
                con = sqlite3.connect(db)
                try:
                    return con.execute(sql, a).fetchall()
                finally:
                    con.close()

            # ---- dry run before anything was sent ----------------------------------------
            p = run("--fail-on", "critical")
            check(p.returncode == 1, f"run 1 exits 1 for its critical findings "
                                     f"({p.returncode}: {p.stderr[-600:]})")
            run1 = q("SELECT max(run_id) FROM analyses")[0][0]
            sent = q("SELECT channel, target, status, error FROM deliveries WHERE run_id = ?",
                     run1)
            check(len(sent) == 5 and all(s[2] == "sent" for s in sent),
                  f"run 1 delivered 3 e-mails, Security Hub and the webhook: {sent}")
            teams = sorted(r[0] for r in q("SELECT team FROM deliveries WHERE run_id = ? AND "
                                           "channel = 'email'", run1))
            check(teams == ["paas", "security", "verify"], f"each e-mail's team: {teams}")
            msgs = ses_messages(hub)
            check(len(msgs) == 3, f"SES received three raw messages ({len(msgs)})")
            by_to = {tuple(sorted(m["destinations"])): m["raw_data"] for m in msgs}
            paas = by_to.get(("paas-deputy@example.gov.uk", "paas-lead@example.gov.uk"))
            verify = by_to.get(("verify-lead@example.gov.uk",))
            sec = by_to.get(("security-team@example.gov.uk",))
            check(paas and verify and sec, f"one message per team lead and one to security: "
                                           f"{list(by_to)}")
            if paas:
                check_message(paas, ["paas-lead@example.gov.uk", "paas-deputy@example.gov.uk"],
                              "team-paas.xlsx", ["222222222222"],
                              ["333333333333", "044444444444"], "paas e-mail")
            if verify:
                check_message(verify, ["verify-lead@example.gov.uk"], "team-verify.xlsx",
                              ["333333333333"], ["222222222222", "044444444444"],
                              "verify e-mail")
            if sec:
                date = q("SELECT substr(started_at, 1, 10) FROM runs WHERE id = ?", run1)[0][0]
                check_message(sec, ["security-team@example.gov.uk"], f"iam-audit-{date}.xlsx",
                              ["222222222222", "333333333333", "044444444444"], [],
                              "security e-mail")

            # Security Hub: exactly the run's findings; open ones NEW, suppressed SUPPRESSED.
            rows = q("SELECT fingerprint, suppressed_by IS NOT NULL, rule_id, resource_arn "
                     "FROM findings WHERE run_id = ?", run1)
            found = hub_findings(hub)
            want = {"iam-audit/" + r[0]: r for r in rows}
            check(set(found) == set(want), f"Security Hub holds exactly run 1's findings "
                                           f"({len(found)} vs {len(want)})")
            open_ids = {i for i, r in want.items() if not r[1]}
            active_new = {i for i, f in found.items() if f.get("RecordState") == "ACTIVE"
                          and f.get("Workflow", {}).get("Status") == "NEW"}
            check(active_new == open_ids, "the ACTIVE, NEW findings are exactly the open ones")
            supp = {i for i, f in found.items()
                    if f.get("Workflow", {}).get("Status") == "SUPPRESSED"}
            check(supp == set(want) - open_ids and supp, f"suppressed ones are SUPPRESSED "
                                                         f"({len(supp)})")
            f0 = found.get(next(iter(open_ids))) if open_ids else {}
            r0 = want.get(f0.get("Id"), (None, None, "", ""))
            check(f0.get("GeneratorId") == "iam-audit/" + r0[2]
                  and f0.get("Resources", [{}])[0].get("Id") == r0[3]
                  and f0.get("SchemaVersion") == "2018-10-08"
                  and f0.get("Severity", {}).get("Label") in
                  ("CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL")
                  and f0.get("Remediation", {}).get("Recommendation", {}).get("Url", "")
                  .endswith("#" + r0[2]),
                  f"an ASFF finding as documented: {json.dumps(f0)[:400]}")

            # The webhook: one JSON message; the secret nowhere.
            check(len(Hook.received) == 1, f"the webhook got one message ({len(Hook.received)})")
            if Hook.received:
                path, ctype, body = Hook.received[0]
                msg = json.loads(body)
                check(path == "/services/" + SECRET and ctype.startswith("application/json"),
                      f"posted as JSON to the URL from the file ({ctype})")
                check(isinstance(msg.get("text"), str) and "open finding" in msg["text"]
                      and "critical" in msg["text"], f"a Slack message: {msg}")
            check(SECRET not in p.stdout + p.stderr, "the webhook URL is not printed")
            check(SECRET.encode() not in open(db, "rb").read() and
                  all(SECRET.encode() not in open(os.path.join(work, f), "rb").read()
                      for f in os.listdir(work) if f.startswith("d.db")),
                  "the webhook URL is not in the database")

            # ---- fix one finding; run 2 archives it, the rest unchanged -----------------
            ivy = q("SELECT fingerprint, principal FROM findings WHERE run_id = ? AND rule_id = "
                    "'access-key-old' AND resource_arn LIKE '%ivy.oldkey%'", run1)
            check(len(ivy) == 1, f"the planted old key of ivy is a finding: {ivy}")
            moto("auth", "--port-file", sys.argv[2], "off")
            try:
                sts = boto3.client("sts", endpoint_url=endpoint, region_name="us-east-1",
                                   aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
                                   aws_secret_access_key="x" * 40)
                c = sts.assume_role(RoleArn="arn:aws:iam::111111111111:role/"
                                    "OrganizationAccountAccessRole",
                                    RoleSessionName="fix")["Credentials"]
                iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1",
                                   aws_access_key_id=c["AccessKeyId"],
                                   aws_secret_access_key=c["SecretAccessKey"],
                                   aws_session_token=c["SessionToken"])
                user = "ivy.oldkey@digital.cabinet-office.gov.uk"
                iam.delete_access_key(UserName=user, AccessKeyId=ivy[0][1])
            finally:
                moto("auth", "--port-file", sys.argv[2], "on")
            p = run()
            check(p.returncode == 0, f"run 2 exits 0 ({p.returncode}: {p.stderr[-600:]})")
            run2 = q("SELECT max(run_id) FROM analyses")[0][0]
            fixed = {r[0] for r in rows} - {r[0] for r in q(
                "SELECT fingerprint FROM findings WHERE run_id = ?", run2)}
            check(ivy[0][0] in fixed, f"the fixed key is gone from run 2 ({len(fixed)} fixed)")
            after = hub_findings(hub)
            arch = {i for i, f in after.items() if f.get("RecordState") == "ARCHIVED"}
            check(arch == {"iam-audit/" + f for f in fixed},
                  f"exactly the fixed finding(s) ARCHIVED: {sorted(arch)}")
            same = all(after[i].get("RecordState") == "ACTIVE" and
                       after[i].get("Workflow") == found[i].get("Workflow")
                       for i in found if i not in arch)
            check(same, "every other finding still ACTIVE with its Workflow unchanged")
            check(len(Hook.received) == 2, "one webhook message per run")
            n_ses = len(ses_messages(hub))
            check(n_ses == 6, f"three more e-mails for run 2 ({n_ses})")

            # ---- idempotent: deliver run 2 again ------------------------------------------
            p = subprocess.run([binary, "--log-level", "debug", "deliver", "--config", conf],
                               env=env, capture_output=True, text=True, timeout=600)
            check(p.returncode == 0, f"deliver again exits 0 ({p.returncode}: {p.stderr})")
            check("level=debug" in p.stderr and SECRET not in p.stdout + p.stderr,
                  "a debug log of a delivery does not show the webhook URL")
            again = hub_findings(hub)
            check({i: (f["RecordState"], f.get("Workflow")) for i, f in again.items()} ==
                  {i: (f["RecordState"], f.get("Workflow")) for i, f in after.items()},
                  "re-delivering leaves Security Hub as it was")
            n_rows = q("SELECT count(*) FROM deliveries WHERE run_id = ?", run2)[0][0]
            check(n_rows == 10, f"both deliveries of run 2 recorded ({n_rows})")

            # ---- dry run: the plan, nothing sent or recorded -----------------------------
            before = q("SELECT count(*) FROM deliveries")[0][0]
            hooks = len(Hook.received)
            p = deliver("--dry-run")
            lines = [l for l in p.stdout.splitlines() if l.startswith("would deliver")]
            check(p.returncode == 0 and len(lines) == 5 and
                  any("paas-lead@example.gov.uk" in l and "team-paas.xlsx" in l for l in lines)
                  and any(l.startswith("would deliver securityhub eu-west-2") for l in lines),
                  f"--dry-run prints the plan ({p.returncode}: {p.stdout})")
            check(q("SELECT count(*) FROM deliveries")[0][0] == before and
                  len(ses_messages(hub)) == 9 and len(Hook.received) == hooks,
                  "--dry-run sends and records nothing")
            check(SECRET not in p.stdout + p.stderr, "--dry-run does not print the URL")

            # ---- securityhub_role_arn: the hub's account is the role's ----------------------
            rconf = os.path.join(work, "r.conf")
            open(rconf, "w").write(open(conf).read().replace(
                "securityhub = on\n", "securityhub = on\nsecurityhub_role_arn = "
                "arn:aws:iam::222222222222:role/iam-audit\n"))
            p = deliver(c=rconf)
            hubf = hub_findings(hub)
            cur = {"iam-audit/" + r[0] for r in q("SELECT fingerprint FROM findings WHERE "
                                                  "run_id = ?", run2)}
            check(p.returncode == 0 and cur and cur <= set(hubf) and
                  all(hubf[i]["AwsAccountId"] == "222222222222" and
                      hubf[i]["ProductArn"].endswith(":222222222222:product/222222222222/default")
                      for i in cur),
                  f"through securityhub_role_arn the findings are the role's account's "
                  f"({p.returncode}: {p.stderr[-300:]})")
            check("account 222222222222" in p.stdout, f"the target names it: {p.stdout}")

            # ---- a team with nothing open: "nothing to do", unless email_when_clean = false -
            cdb = os.path.join(work, "clean.db")
            src = sqlite3.connect(db)
            dst = sqlite3.connect(cdb)
            src.backup(dst)
            src.close()
            dst.execute("UPDATE findings SET suppressed_by = 'test' WHERE run_id = ? AND "
                        "account_id IN (SELECT account_id FROM accounts WHERE run_id = ? AND "
                        "team = 'verify')", (run2, run2))
            dst.commit()
            dst.close()
            cconf = os.path.join(work, "c.conf")
            ctext = open(conf).read().replace(f"database = {db}", f"database = {cdb}")
            open(cconf, "w").write(ctext)
            p = deliver("--dry-run", "--run", str(run2), c=cconf)
            check(p.returncode == 0 and any(
                l.startswith("would deliver email verify") and "nothing to do" in l
                for l in p.stdout.splitlines()),
                f"a clean team gets a 'nothing to do' message ({p.stdout})")
            open(cconf, "w").write(ctext.replace("[delivery]\n",
                                                 "[delivery]\nemail_when_clean = false\n"))
            p = deliver("--dry-run", "--run", str(run2), c=cconf)
            check(p.returncode == 0 and "skipped email team verify: nothing open" in p.stdout
                  and not any(l.startswith("would deliver email verify")
                              for l in p.stdout.splitlines()),
                  f"email_when_clean = false: none ({p.stdout})")

            # ---- the webhook URL must be https (http only to loopback) ----------------------
            wfile = os.path.join(work, "bad-webhook")
            fd = os.open(wfile, os.O_WRONLY | os.O_CREAT, 0o600)
            os.write(fd, f"http://192.0.2.1/services/{SECRET}\n".encode())
            os.close(fd)
            wconf = os.path.join(work, "w.conf")
            open(wconf, "w").write(open(conf).read().replace(hookfile, wfile))
            p = deliver(c=wconf)
            check(p.returncode == 4 and "must hold one https:// URL" in p.stderr and
                  SECRET not in p.stdout + p.stderr,
                  f"plain http off loopback is refused without quoting it ({p.returncode}: "
                  f"{p.stderr[-300:]})")

            # ---- the webhook file must be private -----------------------------------------
            os.chmod(hookfile, 0o644)
            p = subprocess.run([binary, "--log-level", "debug", "deliver", "--config", conf],
                               env=env, capture_output=True, text=True, timeout=600)
            check(p.returncode == 4 and "chmod 600" in p.stderr,
                  f"a group/world-readable webhook file is refused, exit 4 ({p.returncode}: "
                  f"{p.stderr[-300:]})")
            check(SECRET not in p.stdout + p.stderr, "not even a debug log shows the URL")
            err = q("SELECT error FROM deliveries WHERE channel = 'webhook' AND status = "
                    "'failed'")
            check(err and "chmod 600" in err[-1][0], f"the failure is recorded: {err[-1:]}")
            os.chmod(hookfile, 0o600)

            # ---- unreachable SES and Security Hub: run intact, recorded, exit 4 ----------
            dead = f"http://127.0.0.1:{free_port()}"
            denv = dict(env, AWS_ENDPOINT_URL_SES=dead, AWS_ENDPOINT_URL_SECURITYHUB=dead)
            for f in os.listdir(reports):
                os.unlink(os.path.join(reports, f))
            p = run(e=denv)
            check(p.returncode == 4, f"run with delivery unreachable exits 4 ({p.returncode}: "
                                     f"{p.stderr[-500:]})")
            run3 = q("SELECT max(run_id) FROM analyses")[0][0]
            check(run3 > run2 and q("SELECT status FROM runs WHERE id = ?", run3)[0][0] ==
                  "complete", "the run itself is complete and analysed")
            names = sorted(os.listdir(reports))
            check("findings.csv" in names and any(n.endswith(".xlsx") for n in names),
                  f"its reports were written: {names}")
            failed = q("SELECT channel, error FROM deliveries WHERE run_id = ? AND status = "
                       "'failed'", run3)
            chans = sorted(f[0] for f in failed)
            check(chans == ["email", "email", "email", "securityhub"],
                  f"each failed delivery recorded with its error: {failed}")
            check(all(f[1] for f in failed), "every failure has an error text")
            ok = q("SELECT channel FROM deliveries WHERE run_id = ? AND status = 'sent'", run3)
            check(ok == [("webhook",)], f"the reachable webhook still delivered: {ok}")
            p = run("--fail-on", "critical", e=denv)
            check(p.returncode == 1, f"findings' exit 1 is not masked by a failed delivery "
                                     f"({p.returncode})")
            p = deliver(e=denv)
            check(p.returncode == 4, f"deliver alone exits 4 ({p.returncode})")

            # ---- sendmail: the same messages through a fake sendmail ---------------------
            spool = os.path.join(work, "spool")
            os.mkdir(spool)
            fake = os.path.join(work, "sendmail")
            open(fake, "w").write(
                f"#!{PY}\nimport os, sys\n"
                f"spool = {spool!r}\n"
                "n = len(os.listdir(spool))\n"
                "data = sys.stdin.buffer.read()\n"
                "open(os.path.join(spool, f'{n:03d}.msg'), 'wb').write(data)\n"
                "open(os.path.join(spool, f'{n:03d}.args'), 'w').write(' '.join(sys.argv[1:]))\n"
                "sys.exit(int(os.environ.get('FAKE_SENDMAIL_EXIT', '0')))\n")
            os.chmod(fake, 0o755)
            sconf = os.path.join(work, "s.conf")
            open(sconf, "w").write(base + delivery.replace("email = ses", "email = sendmail\n"
                                                           f"sendmail = {fake}")
                                   .replace("securityhub = on", "securityhub = off")
                                   .replace(f"slack_webhook_file = {hookfile}\n", ""))
            p = deliver(c=sconf)
            check(p.returncode == 0, f"deliver through sendmail ({p.returncode}: {p.stderr})")
            got = sorted(f for f in os.listdir(spool) if f.endswith(".msg"))
            check(len(got) == 3, f"sendmail got three messages ({got})")
            for f in got:
                args = open(os.path.join(spool, f.replace(".msg", ".args"))).read()
                check(args == "-t -i", f"sendmail called with -t -i ({args!r})")
                raw = open(os.path.join(spool, f), "rb").read()
                check(b"\r" not in raw, "sendmail gets LF line ends")
                m = email.message_from_bytes(raw, policy=email.policy.default)
                to = sorted(a.addr_spec for a in m["To"].addresses)
                if to == ["paas-deputy@example.gov.uk", "paas-lead@example.gov.uk"]:
                    check_message(raw.decode(), to, "team-paas.xlsx", ["222222222222"],
                                  ["333333333333", "044444444444"], "sendmail paas")
            p = deliver(c=sconf, e=dict(env, FAKE_SENDMAIL_EXIT="75"))
            check(p.returncode == 4 and "exited with status 75" in p.stderr,
                  f"a failing sendmail is a failed delivery ({p.returncode}: {p.stderr[-300:]})")
            missing = os.path.join(work, "no-such-sendmail")
            mconf = os.path.join(work, "m.conf")
            open(mconf, "w").write(open(sconf).read().replace(fake, missing))
            p = deliver(c=mconf)
            check(p.returncode == 4 and "cannot run" in p.stderr,
                  f"a missing sendmail is named ({p.returncode}: {p.stderr[-300:]})")
            # sent but not recorded: the audit trail is incomplete, so that is a failure too
            con = sqlite3.connect(db)
            con.execute("CREATE TRIGGER refuse BEFORE INSERT ON deliveries "
                        "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END")
            con.commit()
            con.close()
            p = deliver(c=sconf)
            check(p.returncode == 4 and "sent but cannot be recorded" in p.stderr,
                  f"a delivery that cannot be recorded exits 4 ({p.returncode}: "
                  f"{p.stderr[-300:]})")
    finally:
        hook.shutdown()
        stop_moto(hub_pid)
        shutil.rmtree(hub_dir, ignore_errors=True)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
