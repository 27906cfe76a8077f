#!/usr/bin/env python3
"""Integration against recorded real-format AWS answers (issue 11): what real AWS sends and
moto never does. tests/replay/server.py serves tests/replay/aws/ (sources: SOURCES.md) on
loopback; this driver runs collect + analyse + report against it and checks the database
field by field, the findings, the calls made, and three failure modes.

usage: test_replay.py IAM_AUDIT_BINARY
"""
import collections
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
import zipfile

from harness import ROOT, check, finish

REPLAY = os.path.join(ROOT, "tests", "replay")
BASE, TEAM = "111111111111", "222222222222"

CONFIG = """[audit]
database = {db}
base_account = 111111111111
base_name = gds-users
role_name = iam-audit
concurrency = 2
max_attempts = 3
retry_base_ms = 1
{extra}
[organization]
discover = true
role_arn = arn:aws:iam::999999999999:role/iam-audit-org
[rules]
allowed_email_domains = example.gov.uk
{sections}"""


class Replay:
    """The replay server in one mode, on a free loopback port, stopped on exit."""

    def __init__(self, work, mode):
        self.dir = os.path.join(work, mode)
        os.makedirs(self.dir)
        self.log = os.path.join(self.dir, "calls.jsonl")
        port_file = os.path.join(self.dir, "port")
        self.proc = subprocess.Popen([sys.executable, os.path.join(REPLAY, "server.py"),
                                      "--root", os.path.join(REPLAY, "aws"), "--port-file",
                                      port_file, "--log", self.log, "--mode", mode])
        for _ in range(200):
            if os.path.exists(port_file):
                break
            time.sleep(0.05)
        self.endpoint = "http://127.0.0.1:" + open(port_file).read().strip()

    def calls(self):
        if not os.path.exists(self.log):
            return []
        return [json.loads(line) for line in open(self.log)]

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


# The failure modes name the team account in the config, so that they test their item
# alone (not Organizations discovery too).
TEAM_SECTION = "[account paas-production]\nid = 222222222222\nteam = paas\n"


def run_tool(binary, replay, *args, extra="", sections=""):
    db = os.path.join(replay.dir, "a.db")
    conf = os.path.join(replay.dir, "iam-audit.conf")
    with open(conf, "w") as f:
        f.write(CONFIG.format(db=db, extra=extra, sections=sections))
    env = {"PATH": "/usr/bin:/bin", "HOME": replay.dir, "AWS_ACCESS_KEY_ID": "AKIAREPLAYCALLER0001",
           "AWS_SECRET_ACCESS_KEY": "replay-secret-not-checked", "AWS_DEFAULT_REGION": "eu-west-2",
           "AWS_ENDPOINT_URL": replay.endpoint, "AWS_EC2_METADATA_DISABLED": "true"}
    p = subprocess.run([binary, *args, "--config", conf], env=env, capture_output=True,
                       text=True, timeout=300)
    return p, db


def rows(db, sql, *args):
    c = sqlite3.connect(db)
    c.row_factory = sqlite3.Row
    try:
        out = [dict(r) for r in c.execute(sql, args)]
    except sqlite3.Error as e:  # an older schema: a failure, not a crash
        check(False, f"query runs: {sql[:60]}", str(e))
        out = []
    c.close()
    return out


def iso_age_days(s):
    t = time.mktime(time.strptime(s, "%Y-%m-%dT%H:%M:%SZ")) - time.timezone
    return (time.time() - t) / 86400.0


def summary_strings(xlsx):
    """Every string of the workbook's Summary sheet."""
    z = zipfile.ZipFile(xlsx)
    sst = []
    if "xl/sharedStrings.xml" in z.namelist():
        sst = [re.sub(r"<[^>]+>", "", si) for si in
               re.findall(r"<si>(.*?)</si>", z.read("xl/sharedStrings.xml").decode(), re.S)]
    sheet = z.read("xl/worksheets/sheet1.xml").decode()
    out = [sst[int(i)] for i in re.findall(r'<c [^>]*t="s"[^>]*><v>(\d+)</v>', sheet)]
    out += re.findall(r"<t[^>]*>([^<]*)</t>", sheet)
    return out


def normal(binary, work):
    rp = Replay(work, "normal")
    try:
        p, db = run_tool(binary, rp, "collect")
        check(p.returncode == 0, f"collect exits 0 (got {p.returncode}: {p.stderr[-600:]})")
        calls = rp.calls()
        a, _ = run_tool(binary, rp, "analyse")
        check(a.returncode == 0, f"analyse exits 0 ({a.stderr[-400:]})")
        out = os.path.join(rp.dir, "out")
        r, _ = run_tool(binary, rp, "report", "--out", out)
        check(r.returncode == 0, f"report exits 0 ({r.stderr[-400:]})")
    finally:
        rp.stop()

    # 1. Organizations State (Status retired): ACTIVE ones audited, the others recorded.
    accts = {r["account_id"]: r for r in rows(db, "SELECT * FROM accounts")}
    check(set(accts) == {BASE, TEAM}, f"State-only ACTIVE accounts are audited: {sorted(accts)}")
    check(all(a["status"] == "ok" for a in accts.values()), "both accounts collected")
    na = {r["account_id"]: r for r in rows(db, "SELECT * FROM latest_accounts_not_audited")}
    check(set(na) == {"333333333333", "444444444444"},
          f"suspended and closing accounts listed as not audited: {sorted(na)}")
    check(na.get("333333333333", {}).get("state") == "SUSPENDED" and
          "SUSPENDED" in na.get("333333333333", {}).get("reason", ""),
          f"reason names the state: {na.get('333333333333')}")
    check(na.get("333333333333", {}).get("name") == 'old-team "legacy"', "name kept as sent")
    check(na.get("444444444444", {}).get("state") == "PENDING_CLOSURE", "PENDING_CLOSURE kept")
    check("2 discovered account(s) not audited" in p.stderr, "collect says so on stderr",
          p.stderr[-400:])

    # 2. Root's virtual device is root's, not unassigned.
    devs = {r["serial_number"]: r for r in rows(db, "SELECT * FROM latest_mfa_devices")}
    root_dev = devs.get(f"arn:aws:iam::{BASE}:mfa/root-account-mfa-device", {})
    check(root_dev.get("user_name") == "<root_account>", f"root's device assigned: {root_dev}")
    spare = devs.get(f"arn:aws:iam::{BASE}:mfa/spare-device", {})
    check(spare.get("user_name") is None, "an unassigned device stays unassigned")

    # 3. A path-qualified serial: the name is the last segment.
    bob = devs.get(f"arn:aws:iam::{BASE}:mfa/staff/bob@example.gov.uk", {})
    check(bob.get("device_name") == "bob@example.gov.uk" and bob.get("kind") == "virtual",
          f"path-qualified device named by its last segment: {bob}")

    # 4. Virtual + hardware + FIDO of one user, kinds right.
    alice = sorted((r["kind"], r["device_name"]) for r in devs.values()
                   if r["user_name"] == "alice@example.gov.uk")
    check(alice == [("fido", "alice@example.gov.uk-yubikey-7XNL7NFNLZ123456789EXAMPLE"),
                    ("hardware", "GAKT12345678"), ("virtual", "alice@example.gov.uk")],
          f"alice's three devices: {alice}")
    check(len(devs) == 7, f"7 devices in all ({len(devs)})")

    # 5 and 6. Users the report cannot speak for are read directly.
    users = {r["user_name"]: r for r in rows(db, "SELECT * FROM latest_users")}
    check(set(users) == {"alice@example.gov.uk", "bob@example.gov.uk", "carol@example.gov.uk",
                         "dave,ops@example.gov.uk"}, f"every GAAD user, both pages: {sorted(users)}")
    src = {u: r.get("credentials_source") for u, r in users.items()}
    check(src == {"alice@example.gov.uk": "report", "bob@example.gov.uk": "report",
                  "carol@example.gov.uk": "direct", "dave,ops@example.gov.uk": "direct"},
          f"credentials_source: {src}")
    carol = users.get("carol@example.gov.uk", {})
    check(carol.get("password_enabled") == 0 and carol.get("mfa_active") == 0,
          f"carol (created after the report): no password, no MFA, read directly: {carol}")
    dave = users.get("dave,ops@example.gov.uk", {})
    check(dave.get("password_enabled") == 1 and dave.get("mfa_active") == 1 and
          dave.get("password_last_used") and 2.5 < iso_age_days(dave["password_last_used"]) < 3.5,
          f"dave,ops (unquoted comma in the report): read directly: {dave}")
    al = users.get("alice@example.gov.uk", {})
    check(al.get("password_enabled") == 1 and al.get("mfa_active") == 1 and
          1.5 < iso_age_days(al.get("password_last_used") or "1970-01-01T00:00:00Z") < 2.5,
          f"alice from the report: {al}")
    keys = {r["access_key_id"]: r for r in rows(db, "SELECT * FROM latest_access_keys")}
    ck = keys.get("AKIAIOSFODNN7CAROLK1", {})
    check(ck.get("status") == "Active" and ck.get("last_used_service") == "iam" and
          ck.get("last_used_region") == "us-east-1", f"carol's key and its last use: {ck}")
    bk = keys.get("AKIAIOSFODNN7BOBKEY1", {})
    check(bk.get("last_used_service") == "s3" and bk.get("last_used_region") == "eu-west-2",
          f"bob's key's last use from the report: {bk}")
    warn = rows(db, "SELECT * FROM latest_run_warnings")
    check(len(warn) == 1 and warn[0]["kind"] == "credential-report-row" and
          warn[0]["subject"] == "dave,ops@example.gov.uk" and
          "dave,ops@example.gov.uk" in warn[0]["message"],
          f"the untrusted row is a run warning naming the user: {warn}")
    cr = {r["user"]: r for r in rows(db, "SELECT * FROM credential_report")}
    root = cr.get("<root_account>", {})
    check(root.get("password_enabled") == "not_supported" and root.get("mfa_active") == "true",
          f"root's row kept as AWS wrote it (not_supported): {root}")
    check(cr.get("alice@example.gov.uk", {}).get("access_key_1_last_rotated") == "N/A",
          "N/A kept as written in the raw report")
    rt = {r["account_id"]: r.get("credential_report_at") for r in rows(db, "SELECT * FROM accounts")}
    check(all(v and 2.9 / 24 < iso_age_days(v) < 3.1 / 24 for v in rt.values()),
          f"each account's report time recorded (3 h old): {rt}")

    # URL-encoded documents: %2B, %2F and UTF-8 decoded exactly.
    pol = rows(db, "SELECT document FROM principal_policies WHERE policy_name = 'alice-own'")
    doc = json.loads(pol[0]["document"]) if pol else {}
    res = [s.get("Resource") for s in doc.get("Statement", [])]
    check("arn:aws:s3:::gds-notes/alice+bob/*" in res, f"%2B and %2F decoded: {res}")
    check("Zoë’s team" in json.dumps(doc, ensure_ascii=False), "UTF-8 decoded")
    tags = rows(db, "SELECT tags FROM users WHERE user_name = 'alice@example.gov.uk'")
    check(tags and json.loads(tags[0]["tags"]) == {"team": "Zoë’s team"}, f"UTF-8 tag: {tags}")
    trust = rows(db, "SELECT principal, conditions FROM trusts WHERE role_name = 'Admin'")
    check(len(trust) == 1 and trust[0]["principal"].endswith(":user/alice@example.gov.uk") and
          "MultiFactorAuthPresent" in (trust[0]["conditions"] or ""),
          f"URL-encoded trust policy read: {trust}")
    rl = rows(db, "SELECT * FROM roles WHERE role_name = 'Admin'")
    check(rl and rl[0]["max_session_duration"] == 3600 and rl[0]["last_used_at"] is None,
          f"ListRoles details, empty RoleLastUsed: {rl}")

    # Calls: the data-implied minimum (docs/performance.md's formula), per action.
    per = collections.Counter((c["account"], c["action"]) for c in calls)
    want = {
        # caller: identity, the organization role and the team account's role
        (BASE, "GetCallerIdentity"): 1, (BASE, "AssumeRole"): 2, ("999999999999", "ListAccounts"): 2,
        # base: bulk reads (GAAD and the virtual MFA listing page once each)
        (BASE, "GenerateCredentialReport"): 1, (BASE, "GetCredentialReport"): 1,
        (BASE, "ListAccountAliases"): 1, (BASE, "GetAccountPasswordPolicy"): 1,
        (BASE, "GetAccountSummary"): 1, (BASE, "GetAccountAuthorizationDetails"): 2,
        (BASE, "ListRoles"): 1, (BASE, "ListVirtualMFADevices"): 2,
        # 5 devices in use, 3 virtual ones assigned to users: every MFA user (alice, bob)
        # plus the two read directly (carol, dave,ops)
        (BASE, "ListMFADevices"): 4,
        # keys: bob (the report shows one), carol and dave,ops (read directly)
        (BASE, "ListAccessKeys"): 3,
        # read directly: carol and dave,ops; carol's one key
        (BASE, "GetLoginProfile"): 2, (BASE, "GetUser"): 2, (BASE, "GetAccessKeyLastUsed"): 1,
        # team: bulk reads only (summary 0 = 0 virtual: no per-user call)
        (TEAM, "GenerateCredentialReport"): 1, (TEAM, "GetCredentialReport"): 1,
        (TEAM, "ListAccountAliases"): 1, (TEAM, "GetAccountPasswordPolicy"): 1,
        (TEAM, "GetAccountSummary"): 1, (TEAM, "GetAccountAuthorizationDetails"): 1,
        (TEAM, "ListRoles"): 1, (TEAM, "ListVirtualMFADevices"): 1,
    }
    check(dict(per) == want, "calls are exactly the data-implied minimum",
          f"extra/missing: {sorted(set(per.items()) ^ set(want.items()), key=str)}")
    users_asked = sorted(c["user"] for c in calls if c["action"] == "ListMFADevices")
    check(users_asked == ["alice@example.gov.uk", "bob@example.gov.uk", "carol@example.gov.uk",
                          "dave,ops@example.gov.uk"], f"ListMFADevices for: {users_asked}")

    # Findings: exactly these, with their evidence.
    f = rows(db, "SELECT rule_id, severity, account_id, principal, resource_arn, evidence "
                 "FROM findings")
    got = sorted((x["rule_id"], x["severity"], x["account_id"], x["principal"]) for x in f)
    want_f = sorted([
        ("user-no-mfa", "critical", BASE, "carol@example.gov.uk"),
        ("root-no-mfa", "critical", TEAM, "<root_account>"),
        ("role-unused", "low", TEAM, None),
    ])
    check(got == want_f, f"exactly the expected findings: {got}")
    ev = {x["rule_id"]: json.loads(x["evidence"]) for x in f}
    check(ev.get("root-no-mfa", {}).get("mfa_devices") == [],
          f"root-no-mfa evidence lists root's devices (none): {ev.get('root-no-mfa')}")
    check(ev.get("role-unused", {}).get("last_used") ==
          "not used within AWS's 400-day tracking window",
          f"role-unused says the 400-day window, not never: {ev.get('role-unused')}")
    check(ev.get("user-no-mfa", {}).get("active_access_keys") == 1,
          f"user-no-mfa evidence shows carol's key: {ev.get('user-no-mfa')}")
    # Root of the base account: its device (listed now) is in the evidence base, no finding.
    check(not any(x["rule_id"] == "mfa-device-name-prefix" for x in f),
          "no false mfa-device-name-prefix (path, hardware, FIDO, root)")

    # The report's Summary lists the accounts not audited, with their reasons.
    books = [n for n in os.listdir(out) if n.endswith(".xlsx") and not n.startswith("team-")]
    strings = summary_strings(os.path.join(out, books[0])) if books else []
    check("Accounts not audited" in strings and "333333333333" in strings and
          "444444444444" in strings and any("SUSPENDED" in s for s in strings),
          "the workbook's Summary shows the accounts not audited with the reason")


def captive_portal(binary, work):
    """7: a 2xx that is not the AWS document fails the account; it never reads as empty."""
    rp = Replay(work, "html")
    try:
        p, db = run_tool(binary, rp, "collect", sections=TEAM_SECTION)
        a, _ = run_tool(binary, rp, "analyse", "--fail-on", "high", sections=TEAM_SECTION)
    finally:
        rp.stop()
    check(p.returncode == 2, f"collect exits 2 (partial), got {p.returncode}: {p.stderr[-400:]}")
    accts = {r["account_id"]: r for r in rows(db, "SELECT * FROM accounts")}
    team = accts.get(TEAM, {})
    check(team.get("status") == "failed" and "not an AWS answer" in (team.get("error_message") or "")
          and "text/html" in (team.get("error_message") or ""),
          f"the team account failed, saying why: {team.get('error_message')}")
    check(accts.get(BASE, {}).get("status") == "ok", "the base account is unaffected")
    retried = sum(1 for c in rp.calls() if c["account"] == TEAM and
                  c["action"] == "GenerateCredentialReport")
    check(retried == 3, f"retried like a 5xx (max_attempts 3): {retried}")
    check(rows(db, "SELECT status FROM runs")[0]["status"] == "partial", "the run is partial")
    check(a.returncode != 0, f"analyse --fail-on high does not pass a blind run ({a.returncode})")


def endless(binary, work):
    """8: an account whose answers never end fails alone, at the configured bound."""
    rp = Replay(work, "endless")
    try:
        p, db = run_tool(binary, rp, "collect", extra="max_account_mib = 16",
                         sections=TEAM_SECTION)
    finally:
        rp.stop()
    check(p.returncode == 2, f"collect exits 2 (partial), got {p.returncode}: {p.stderr[-400:]}")
    accts = {r["account_id"]: r for r in rows(db, "SELECT * FROM accounts")}
    msg = accts.get(TEAM, {}).get("error_message") or ""
    check(accts.get(TEAM, {}).get("status") == "failed" and "max_account_mib" in msg and
          "16 MiB" in msg, f"the team account failed at 16 MiB: {msg}")
    check(accts.get(BASE, {}).get("status") == "ok", "the base account completes")
    pages = sum(1 for c in rp.calls() if c["account"] == TEAM and
                c["action"] == "GetAccountAuthorizationDetails")
    check(10 <= pages <= 20, f"stopped after about 16 MiB of 1.1 MiB pages ({pages} pages)")


def main():
    binary = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory(prefix="ia-replay-") as work:
        normal(binary, work)
        captive_portal(binary, work)
        endless(binary, work)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
