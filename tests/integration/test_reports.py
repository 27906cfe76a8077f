#!/usr/bin/env python3
"""`iam-audit report` read back by an independent reader (Python's standard library only).

Builds a synthetic database with the sqlite3 module (the schema is sql/NNNN_*.sql of the
source tree, applied in order, with PRAGMA user_version set as the binary would), runs the
binary, and reads the XLSX with zipfile + xml.etree, the CSV with csv, the JSONL with json:
sheet names, headers, row counts, cell values and types (strings, numbers, real dates),
the chart part, workbook properties, formula-looking IAM user names arriving inert (no <f>
anywhere), the 32,767-character cell limit, byte-for-byte reproducibility, owner-only file
modes, per-team workbooks holding no other team's data, and the command's exit codes.

usage: test_reports.py IAM_AUDIT_BINARY SOURCE_DIR
Prints "N passed, N failed"; exits 1 on any failure, 77 when the binary has no `report`
command yet (cli/main.c's table does not list it). With IA_TEST_LIBREOFFICE=1 the workbooks
are also converted with `soffice --headless --convert-to pdf` (libreoffice-calc-nogui).
"""
import csv
import datetime
import glob
import io
import json
import os
import re
import shutil
import sqlite3
import stat
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
import zipfile

M = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PR = "{http://schemas.openxmlformats.org/package/2006/relationships}"

BASE, ALPHA, BETA = "111111111111", "222222222222", "333333333333"
HYPER = '=HYPERLINK("http://x","y")'
CMD = "+cmd"
ALICE = "alice@example.gov.uk"
ALICE_ARN = f"arn:aws:iam::{BASE}:user/{ALICE}"
BOB_ARN = f"arn:aws:iam::{BASE}:user/bob@example.gov.uk"  # a leaver already deleted
LONG = "x" * 40000
FINDINGS_HEADER = ["rule_id", "severity", "account_id", "account_name", "team", "resource_arn",
                   "principal", "title", "first_seen", "status", "suppressed_by", "evidence"]
SHEETS = ["Summary", "Findings", "Leavers", "Access", "Changes", "Users", "Roles", "Trusts"]
TEAM_SHEETS = ["Summary", "Findings", "Leaver clean-up", "Access", "Bootstrap roles"]
ACCESS_SHEET_HEADER = ["person", "account_id", "account_name", "team", "roles", "paths", "admin",
                       "mfa_on_every_path", "paths_without_mfa", "conditional"]
ACCESS_HEADER = ["person", "account_id", "account_name", "team", "role_name", "role_arn",
                 "role_kind", "via", "identity_via", "mfa_required", "conditional", "conditions",
                 "role_last_used_at"]
MARK = "[...truncated by iam-audit; the full text is in the CSV/JSONL reports]"

passed = failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print(f"FAIL: {what}", file=sys.stderr)
    return cond


def make_db(path, src):
    db = sqlite3.connect(path)
    version = 0
    for f in sorted(glob.glob(os.path.join(src, "sql", "[0-9][0-9][0-9][0-9]_*.sql"))):
        with open(f, encoding="utf-8") as fh:
            db.executescript(fh.read())
        version = max(version, int(os.path.basename(f)[:4]))
    db.execute(f"PRAGMA user_version = {version}")
    q = db.execute
    q("INSERT INTO runs (id, started_at, status, tool_version) VALUES "
      "(1, '2026-11-20T02:00:00Z', 'complete', 't'), (2, '2026-11-27T02:00:01Z', 'partial', 't'),"
      " (3, '2026-11-28T02:00:00Z', 'complete', 't')")
    accounts = [(BASE, "gds-users", None, "ok"), (ALPHA, "alpha-prod", "alpha", "ok"),
                (BETA, "beta-dev", "beta", "ok"), ("444444444444", "gamma", "gamma", "failed")]
    for run in (1, 2):
        for acc, name, team, status in accounts:
            q("INSERT INTO accounts (run_id, account_id, name, team, status, error_code,"
              " error_message) VALUES (?,?,?,?,?,?,?)",
              (run, acc, name, team, status, "AccessDenied" if status == "failed" else None,
               "cannot assume the audit role" if status == "failed" else None))
    # beta's data in run 2 was carried forward from run 1 (collect --account, issue 19.3).
    q("UPDATE accounts SET data_run_id = 1, collected_at = '2026-11-20T02:03:04Z' WHERE run_id = 2"
      " AND account_id = ?", (BETA,))
    users = [(HYPER, 0, 0), (CMD, 1, 0), (ALICE, 1, 1), ("_x003D_", 0, 0)]
    for name, pw, mfa in users:
        q("INSERT INTO users (run_id, account_id, user_name, user_id, arn, created_at,"
          " password_enabled, mfa_active) VALUES (2, ?, ?, ?, ?, '2026-01-02T03:04:05Z', ?, ?)",
          (BASE, name, "AIDA" + name, f"arn:aws:iam::{BASE}:user/{name}", pw, mfa))
    q("INSERT INTO access_keys (run_id, account_id, user_name, access_key_id, status) VALUES "
      "(2, ?, ?, 'AKIA1', 'Active'), (2, ?, ?, 'AKIA2', 'Active')", (BASE, ALICE, BASE, ALICE))
    q("INSERT INTO mfa_devices (run_id, account_id, user_name, serial_number, device_name, kind)"
      " VALUES (2, ?, ?, 'mfa/alice', ?, 'virtual')", (BASE, ALICE, ALICE))
    roles = [(ALPHA, "alice-admin"), (ALPHA, "bootstrap"), (BETA, "bob-readonly"),
             (BETA, "bootstrap-beta")]
    for acc, name in roles:
        q("INSERT INTO roles (run_id, account_id, role_name, role_id, arn, created_at,"
          " last_used_at, max_session_duration) VALUES (2, ?, ?, ?, ?, '2025-01-01T00:00:00Z',"
          " NULL, 3600)", (acc, name, "AROA" + name, f"arn:aws:iam::{acc}:role/{name}"))
    for acc, name, principal in [(ALPHA, "alice-admin", ALICE_ARN),
                                 (BETA, "bob-readonly", BOB_ARN)]:
        q("INSERT INTO trusts (run_id, account_id, role_name, role_arn, statement_index,"
          " principal_index, effect, not_principal, principal_kind, principal, principal_account,"
          " principal_type, actions) VALUES (2, ?, ?, ?, 0, 0, 'Allow', 0, 'AWS', ?, ?, 'user',"
          " '[\"sts:AssumeRole\"]')", (acc, name, f"arn:aws:iam::{acc}:role/{name}", principal,
                                       BASE))
    # Access paths (issue 14): the leaver alice can still become alice-admin without MFA;
    # +cmd reaches beta's bob-readonly with MFA, conditionally.
    q("INSERT INTO access_paths VALUES (2, ?, 'alice-admin', ?, ?, ?, 'user', 0, "
      "'group admins: inline assume', 0, 0, 0, 0, NULL, 'admin')",
      (ALPHA, f"arn:aws:iam::{ALPHA}:role/alice-admin", ALICE, ALICE_ARN))
    q("INSERT INTO access_paths VALUES (2, ?, 'bootstrap', ?, ?, ?, 'account', 0, "
      "'group admins: inline assume', 1, 1, 0, 0, NULL, 'other')",
      (ALPHA, f"arn:aws:iam::{ALPHA}:role/bootstrap", ALICE, ALICE_ARN))
    q("INSERT INTO access_paths VALUES (2, ?, 'bob-readonly', ?, ?, ?, 'account', 0, "
      "'user inline x', 1, 1, 0, 1, '[{\"StringEquals\":{\"aws:PrincipalTag/team\":\"b\"}}]',"
      " 'readonly')", (BETA, f"arn:aws:iam::{BETA}:role/bob-readonly", CMD,
                       f"arn:aws:iam::{BASE}:user/{CMD}"))
    q("INSERT INTO analyses (run_id, analysed_at, tool_version) VALUES "
      "(1, '2026-11-20T03:00:00Z', 't'), (2, '2026-11-27T03:00:00Z', 't')")
    # Run 2 was analysed without a roster (issue 19.2): its roster finding of run 1 is not
    # resolved, and the Summary says what was not checked.
    q("UPDATE analyses SET not_checked = ? WHERE run_id = 2",
      (json.dumps([{"rule": "user-not-in-roster", "reason": "no roster file: set [audit] "
                    "roster or give --roster"}]),))
    f = []

    def finding(run, fp, rule, sev, acc, res, principal, title, ev, first, status, sup=None):
        f.append((run, fp, rule, sev, acc, res, principal, title, json.dumps(ev), first, status,
                  sup))

    finding(1, "fp-hyper", "user-no-mfa", "critical", BASE, f"arn:aws:iam::{BASE}:user/{HYPER}",
            HYPER, "no MFA", {}, "2026-11-20", "new")
    finding(1, "fp-roster", "user-not-in-roster", "medium", BASE,
            f"arn:aws:iam::{BASE}:user/{HYPER}", HYPER, "not in roster", {}, "2026-11-20", "new")
    finding(1, "fp-gone", "access-key-old", "medium", ALPHA, f"arn:aws:iam::{ALPHA}:user/x", "x",
            "old key", {}, "2026-11-20", "new")
    finding(2, "fp-hyper", "user-no-mfa", "critical", BASE, f"arn:aws:iam::{BASE}:user/{HYPER}",
            HYPER, f"user {HYPER} has no MFA device", {"password_enabled": False},
            "2026-11-20", "persisting")
    finding(2, "fp-cmd", "user-no-mfa", "critical", BASE, f"arn:aws:iam::{BASE}:user/{CMD}",
            CMD, "user +cmd has no MFA device", {"password_enabled": True, "long": LONG},
            "2026-11-27", "new")
    finding(2, "fp-leaver", "leaver-present", "high", BASE, ALICE_ARN, ALICE_ARN,
            "leaver still has a user", {"leaving_date": "2026-10-28"}, "2026-11-27", "new")
    finding(2, "fp-trust-a", "leaver-trusted-by-role", "high", ALPHA,
            f"arn:aws:iam::{ALPHA}:role/alice-admin", ALICE_ARN, "role trusts a leaver",
            {"leaving_date": "2026-10-28"}, "2026-11-27", "new")
    finding(2, "fp-trust-b", "leaver-trusted-by-role", "high", BETA,
            f"arn:aws:iam::{BETA}:role/bob-readonly", BOB_ARN, "role trusts a deleted leaver",
            {"leaving_date": "2026-09-01"}, "2026-11-27", "new")
    finding(2, "fp-boot-a", "bootstrap-role-present", "medium", ALPHA,
            f"arn:aws:iam::{ALPHA}:role/bootstrap", None, "bootstrap role still present",
            {"policies": ["AdministratorAccess"]}, "2026-11-27", "new", "bootstrap-accepted")
    finding(2, "fp-boot-b", "bootstrap-role-present", "high", BETA,
            f"arn:aws:iam::{BETA}:role/bootstrap-beta", None, "bootstrap role\x01 present",
            {"policies": ["AdministratorAccess"]}, "2026-11-27", "new")
    db.executemany("INSERT INTO findings (run_id, fingerprint, rule_id, severity, account_id,"
                   " resource_arn, principal, title, evidence, first_seen, status, suppressed_by)"
                   " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", f)
    db.commit()
    db.close()
    return sum(1 for x in f if x[0] == 2)


def run(binary, *args):
    p = subprocess.run([binary, *args], capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


class Book:
    """An XLSX read with zipfile and ElementTree only."""

    def __init__(self, path):
        self.zip = zipfile.ZipFile(path)
        self.names = self.zip.namelist()
        wb = ET.fromstring(self.zip.read("xl/workbook.xml"))
        rels = ET.fromstring(self.zip.read("xl/_rels/workbook.xml.rels"))
        target = {r.get("Id"): r.get("Target") for r in rels.iter(PR + "Relationship")}
        self.sheets = [(s.get("name"), "xl/" + target[s.get(R + "id")])
                       for s in wb.iter(M + "sheet")]
        self.sst = []
        if "xl/sharedStrings.xml" in self.names:
            for si in ET.fromstring(self.zip.read("xl/sharedStrings.xml")).iter(M + "si"):
                self.sst.append("".join(t.text or "" for t in si.iter(M + "t")))
        styles = ET.fromstring(self.zip.read("xl/styles.xml"))
        fmts = {int(n.get("numFmtId")): n.get("formatCode") for n in styles.iter(M + "numFmt")}
        xfs = styles.find(M + "cellXfs")
        self.xf_fmt = [fmts.get(int(x.get("numFmtId", "0")), "") for x in xfs.iter(M + "xf")]
        self.xf_fill = [int(x.get("fillId", "0")) for x in xfs.iter(M + "xf")]

    def sheet_names(self):
        return [n for n, _ in self.sheets]

    def xml(self, name):
        return self.zip.read(dict(self.sheets)[name]).decode("utf-8")

    def rows(self, name):
        """{row number: {column letters: (kind, value, style)}}; kind: str, num, date, bool."""
        out = {}
        root = ET.fromstring(self.xml(name))
        for row in root.iter(M + "row"):
            cells = {}
            for c in row.iter(M + "c"):
                col = re.match(r"[A-Z]+", c.get("r")).group(0)
                t, s = c.get("t"), int(c.get("s", "0"))
                v = c.find(M + "v")
                if t == "s":
                    cells[col] = ("str", unescape(self.sst[int(v.text)]), s)
                elif t == "inlineStr":
                    text = "".join(x.text or "" for x in c.iter(M + "t"))
                    cells[col] = ("str", unescape(text), s)
                elif t == "str":
                    cells[col] = ("formula-str", v.text if v is not None else "", s)
                elif t == "b":
                    cells[col] = ("bool", v.text, s)
                elif v is not None:
                    kind = "date" if re.search(r"[ymd]", self.xf_fmt[s] or "") else "num"
                    cells[col] = (kind, float(v.text), s)
            out[int(row.get("r"))] = cells
        return out


def unescape(text):
    """Excel's reading of a string: "_xHHHH_" is the character U+HHHH."""
    return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), text)


def values(row, cols):
    return [row.get(c, ("", ""))[1] for c in cols]


def excel_date(serial):
    return datetime.datetime(1899, 12, 30) + datetime.timedelta(days=serial)


def test_xlsx(book, n_findings):
    check(book.sheet_names() == SHEETS, f"sheet names {book.sheet_names()}")
    check(all(len(n) <= 31 for n in book.sheet_names()), "sheet names <= 31 characters")
    for name, path in book.sheets:
        part = book.zip.read(path).decode()
        check("<f>" not in part and "<f " not in part, f"{name}: no formula anywhere")
    check(any(n.startswith("xl/charts/chart") for n in book.names), "chart part present")
    chart = book.zip.read("xl/charts/chart1.xml").decode()
    check("Summary!" in chart, "chart plots the Summary table")
    drawing_rels = [n for n in book.names if n.startswith("xl/worksheets/_rels/sheet1")]
    check(bool(drawing_rels), "the chart is on the Summary sheet")

    core = ET.fromstring(book.zip.read("docProps/core.xml"))
    props = {el.tag.split("}")[1]: el.text for el in core}
    check(props.get("creator") == "iam-audit", f"author {props.get('creator')}")
    check((props.get("title") or "").startswith("iam-audit"), f"title {props.get('title')}")
    check(props.get("created") == "2026-11-27T02:00:01Z", f"created {props.get('created')}")

    # Findings: header, one row per finding, types, inert formula-looking names.
    rows = book.rows("Findings")
    cols = "ABCDEFGHIJKL"
    check(values(rows[1], cols) == FINDINGS_HEADER, f"Findings header {values(rows[1], cols)}")
    check(len(rows) == 1 + n_findings, f"Findings rows {len(rows)}")
    xml = book.xml("Findings")
    check(f'<autoFilter ref="A1:L{1 + n_findings}"/>' in xml, "Findings autofilter")
    check('ySplit="1"' in xml and 'state="frozen"' in xml, "Findings header frozen")
    principals = {r["G"][1]: r["G"] for r in rows.values() if "G" in r}
    check(HYPER in principals and principals[HYPER][0] == "str",
          "=HYPERLINK user is a plain text cell with its exact name")
    check(CMD in principals and principals[CMD][0] == "str", "+cmd is a plain text cell")
    first_seen = [r["I"] for n, r in rows.items() if n > 1]
    check(all(c[0] == "date" for c in first_seen), "first_seen cells are real dates")
    check(excel_date(first_seen[0][1]).date() == datetime.date(2026, 11, 27),
          f"first_seen value {first_seen[0]}")
    sev = {r["B"][1]: r["B"][2] for n, r in rows.items() if n > 1}
    fills = {k: book.xf_fill[s] for k, s in sev.items()}
    check(len(set(fills.values())) == len(fills) and 0 not in fills.values(),
          f"each severity has its own fill {fills}")
    ev = [r["L"][1] for n, r in rows.items() if n > 1 and "L" in r]
    longest = max(ev, key=len)
    check(len(longest) <= 32767 and longest.endswith(MARK), "over-long cell truncated with marker")
    check("password_enabled: true" in longest, "evidence shown as key: value lines")
    titles = [r["H"][1] for n, r in rows.items() if n > 1]
    check("bootstrap role\ufffd present" in titles, "control character replaced, XML valid")

    # Summary facts.
    s = book.rows("Summary")
    facts = {r["A"][1]: r.get("B") for r in s.values() if "A" in r}
    check(facts["Run"][1] == 2, "Summary: run")
    check(facts["Run date (UTC)"][0] == "date" and
          excel_date(facts["Run date (UTC)"][1]).strftime("%Y-%m-%d %H:%M:%S") ==
          "2026-11-27 02:00:01", f"Summary: run date {facts['Run date (UTC)']}")
    check(facts["Accounts audited"][1] == 3 and facts["Accounts failed"][1] == 1,
          "Summary: accounts audited/failed")
    check(facts["Compared with run"][1] == 1, "Summary: previous run")
    check(facts["New since that run"][1] == n_findings - 1, "Summary: new")
    check(facts["Resolved since that run"][1] == 1, "Summary: resolved (not-checked excluded)")
    check(facts.get("Data carried forward") and facts["Data carried forward"][1] ==
          f"{BETA} (beta-dev): data of run 1, read 2026-11-20T02:03:04Z",
          f"Summary: a carried account's data age {facts.get('Data carried forward')}")
    check(facts.get("NOT CHECKED") and "user-not-in-roster: no roster file" in
          facts["NOT CHECKED"][1], f"Summary: rules not checked {facts.get('NOT CHECKED')}")
    check(facts["critical"][1] == 2 and facts["high"][1] == 4 and facts["medium"][1] == 0,
          "Summary: by severity")
    check(facts["alpha"][1] == 0 and values(s[[k for k, r in s.items() if r.get("A", ("", ""))[1]
                                                 == "alpha"][0]], "CDG") == [1, 0, 1],
          "Summary: by team")
    check("gamma" in facts and "444444444444" in facts, "Summary: failed account listed")
    check("leaver-trusted-by-role" in facts, "Summary: by rule")

    # Leavers: alice with her role and remaining access; bob deleted, his role remains.
    lv = book.rows("Leavers")
    body = [values(r, "ABCDEFGHIJKLMN") for n, r in sorted(lv.items()) if n > 1]
    check(len(body) == 2, f"Leavers rows {len(body)}")
    alice = [b for b in body if b[0] == ALICE_ARN]
    check(alice and alice[0][4] == 30 and alice[0][10] == f"arn:aws:iam::{ALPHA}:role/alice-admin",
          f"Leavers: alice {alice}")
    check(alice and "2 active access keys" in alice[0][9] and "1 MFA device" in alice[0][9],
          "Leavers: remaining access")
    check(alice and "can assume alice-admin (alpha-prod, no MFA), bootstrap (alpha-prod)" in
          alice[0][9],
          f"Leavers: remaining access from the access paths {alice and alice[0][9]}")
    acc = book.rows("Access")
    paths = [values(r, "ABCDEFGHIJ") for n, r in sorted(acc.items()) if n > 1]
    check([values(acc[1], "ABCDEFGHIJ")] == [ACCESS_SHEET_HEADER] and paths == [
        [CMD, BETA, "beta-dev", "beta", "bob-readonly (conditional)", 1, "no", "yes", 0, "yes"],
        [ALICE, ALPHA, "alpha-prod", "alpha", "alice-admin (no MFA), bootstrap", 2, "yes", "no",
         1, "no"]],
        f"Access sheet: one row a person and account, roles and MFA flag ({paths})")
    bob = [b for b in body if b[0] == BOB_ARN]
    check(bob and bob[0][5] == "no" and bob[0][4] == 87, f"Leavers: deleted leaver {bob}")

    ch = book.rows("Changes")
    kinds = [r["A"][1] for n, r in ch.items() if n > 1]
    check(kinds.count("new") == n_findings - 1 and kinds.count("resolved") == 1,
          f"Changes {kinds}")

    u = book.rows("Users")
    names = [r["D"][1] for n, r in u.items() if n > 1]
    check(sorted(names) == sorted([HYPER, CMD, ALICE, "_x003D_"]), f"Users {names}")
    check("_x005F_x003D_" in book.xml("Users"),
          "a literal _xHHHH_ name is escaped so Excel shows it as written")
    check(len(book.rows("Roles")) == 5 and len(book.rows("Trusts")) == 3, "Roles/Trusts rows")
    for name in ("Users", "Roles", "Trusts", "Leavers", "Changes", "Access"):
        check("<autoFilter" in book.xml(name), f"{name} autofilter")


def test_team(path, team, accounts):
    book = Book(path)
    check(book.sheet_names() == TEAM_SHEETS, f"{path}: sheets {book.sheet_names()}")
    text = "".join(book.zip.read(p).decode() for _, p in book.sheets)
    # The base account (where people's users live) appears as the leaver's account; no
    # other team's account, and no base-account finding, may.
    for other in {ALPHA, BETA, "444444444444"} - set(accounts):
        check(other not in text, f"{path}: nothing of account {other}")
    check("HYPERLINK" not in text and "gds-users" not in text, f"{path}: no base findings")
    f = book.rows("Findings")
    check(all(r["C"][1] in accounts for n, r in f.items() if n > 1), f"{path}: findings")
    return book


def main():
    binary, src = sys.argv[1], sys.argv[2]
    rc, usage, err = run(binary, "report", "--help")
    if rc == 64 and "not a command" in err:
        print("iam-audit has no report command yet (cli/main.c); skipping")
        return 77
    check(rc == 0 and "docs/reports.md" in usage and "--per-team" in usage, "--help teaches")
    tmp = tempfile.mkdtemp(prefix="ia-reports-")
    dbp = os.path.join(tmp, "t.db")
    n = make_db(dbp, src)

    os.umask(0o022)
    out = os.path.join(tmp, "out")
    rc, stdout, err = run(binary, "report", "--db", dbp, "--out", out, "--per-team")
    check(rc == 0, f"report exit {rc}: {err}")
    files = stdout.split()
    expect = ["findings.csv", "users.csv", "roles.csv", "trusts.csv", "access.csv",
              "findings.jsonl",
              "iam-audit-2026-11-27.xlsx", "team-alpha.xlsx", "team-beta.xlsx", "team-gamma.xlsx"]
    check([os.path.basename(x) for x in files] == expect, f"files printed {files}")
    for x in files:
        check(stat.S_IMODE(os.stat(x).st_mode) == 0o600, f"{x} is 0600")
    check(sorted(os.listdir(out)) == sorted(expect), f"no stray files {os.listdir(out)}")

    with open(os.path.join(out, "findings.csv"), newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    check(rows[0] == FINDINGS_HEADER, f"findings.csv header {rows[0]}")
    check(len(rows) == 1 + n, f"findings.csv rows {len(rows)}")
    principals = [r[6] for r in rows[1:]]
    check("'" + HYPER in principals and "'" + CMD in principals,
          "formula-looking names inert in CSV")
    check(not any(f and f[0] in "=+-@\t\r" for r in rows for f in r), "no CSV field is live")
    check(any(len(r[11]) > 40000 for r in rows), "CSV keeps the full evidence")

    with open(os.path.join(out, "findings.jsonl"), encoding="utf-8") as fh:
        lines = [json.loads(x) for x in fh]
    check(len(lines) == n and all(isinstance(x["evidence"], dict) for x in lines),
          "JSONL: one object per finding, evidence nested")
    check(list(lines[0].keys()) == FINDINGS_HEADER, "JSONL keys in column order")
    check(any(x["principal"] == HYPER for x in lines), "JSONL keeps the name exactly")

    for name, cols in [("users.csv", 14), ("roles.csv", 12), ("trusts.csv", 15)]:
        with open(os.path.join(out, name), newline="", encoding="utf-8") as fh:
            r = list(csv.reader(fh))
        check(all(len(x) == cols for x in r), f"{name}: {cols} columns")

    with open(os.path.join(out, "access.csv"), newline="", encoding="utf-8") as fh:
        r = list(csv.reader(fh))
    check(r[0] == ACCESS_HEADER and len(r) == 4 and r[1][0] == "'" + CMD and
          r[1][9:11] == ["true", "true"] and r[2][0] == ALICE and r[2][9] == "false" and
          r[3][4:7] == ["bootstrap", f"arn:aws:iam::{ALPHA}:role/bootstrap", "other"],
          f"access.csv: header, one row a path, names inert ({r})")

    test_xlsx(Book(os.path.join(out, "iam-audit-2026-11-27.xlsx")), n)
    alpha = test_team(os.path.join(out, "team-alpha.xlsx"), "alpha", [ALPHA])
    lc = alpha.rows("Leaver clean-up")
    check(len(lc) == 2 and lc[2]["K"][1] == f"arn:aws:iam::{ALPHA}:role/alice-admin",
          "team-alpha: leaver clean-up lists its role")
    boot = alpha.rows("Bootstrap roles")
    check(len(boot) == 2 and boot[2]["D"][1] == f"arn:aws:iam::{ALPHA}:role/bootstrap",
          "team-alpha: bootstrap roles")
    acc = alpha.rows("Access")
    check(len(acc) == 2 and acc[2]["A"][1] == ALICE and acc[2]["B"][1] == ALPHA,
          "team-alpha: Access lists who can get into its accounts, nobody else's")
    beta = test_team(os.path.join(out, "team-beta.xlsx"), "beta", [BETA])
    acc = beta.rows("Access")
    check(len(acc) == 2 and acc[2]["A"][1] == CMD and acc[2]["B"][1] == BETA,
          "team-beta: Access lists its own account's paths only")
    check(len(beta.rows("Leaver clean-up")) == 2, "team-beta: deleted leaver's role listed")

    # Issue 19.9: a team workbook of a team the run no longer has is removed (not left beside
    # tonight's as if current); other files are untouched; --quiet prints no paths.
    for stale in ("team-delta.xlsx", "team-.xlsx.bak", "notes.txt"):
        open(os.path.join(out, stale), "w").write("old")
    rc, stdout, err = run(binary, "report", "--db", dbp, "--out", out, "--per-team", "--quiet")
    left = sorted(os.listdir(out))
    check(rc == 0 and stdout == "", f"--quiet prints no paths ({rc}: {stdout!r})")
    check("team-delta.xlsx" not in left and "team-.xlsx.bak" in left and "notes.txt" in left and
          "team-alpha.xlsx" in left, f"the stale team workbook alone is removed: {left}")

    # Same run, same bytes.
    out2 = os.path.join(tmp, "out2")
    rc, _, err = run(binary, "report", "--db", dbp, "--out", out2, "--format", "xlsx")
    with open(os.path.join(out, "iam-audit-2026-11-27.xlsx"), "rb") as a, \
            open(os.path.join(out2, "iam-audit-2026-11-27.xlsx"), "rb") as b:
        check(rc == 0 and a.read() == b.read(), "workbook is reproducible byte for byte")
    check(sorted(os.listdir(out2)) == ["iam-audit-2026-11-27.xlsx"], "--format xlsx only")

    # Opt-in (IA_TEST_LIBREOFFICE=1, needs Debian's libreoffice-calc-nogui): the workbooks
    # convert cleanly to PDF, i.e. LibreOffice opens them without repair.
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if os.environ.get("IA_TEST_LIBREOFFICE") == "1" and soffice:
        pdf = os.path.join(tmp, "pdf")
        for name in ("iam-audit-2026-11-27.xlsx", "team-alpha.xlsx"):
            p = subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{tmp}/lo",
                                "--convert-to", "pdf", "--outdir", pdf, os.path.join(out, name)],
                               capture_output=True, text=True, timeout=300)
            target = os.path.join(pdf, name[:-5] + ".pdf")
            ok = p.returncode == 0 and os.path.exists(target)
            if ok:
                with open(target, "rb") as fh:
                    ok = fh.read(5) == b"%PDF-"
            check(ok, f"LibreOffice converts {name} to PDF: {p.stderr.strip()}")
    elif os.environ.get("IA_TEST_LIBREOFFICE") == "1":
        check(False, "IA_TEST_LIBREOFFICE=1 but soffice is not installed")

    # The command's exit codes.
    check(run(binary, "report", "--db", dbp)[0] == 64, "missing --out: 64")
    check(run(binary, "report", "--db", dbp, "--out", out2, "--format", "pdf")[0] == 64,
          "bad --format: 64")
    check(run(binary, "report", "--db", dbp, "--out", out2, "--run", "x")[0] == 64, "bad --run: 64")
    rc, _, err = run(binary, "report", "--db", dbp, "--out", out2, "--run", "3")
    check(rc == 3 and "analyse --run 3" in err, f"unanalysed run: 3 ({err.strip()})")
    rc, _, err = run(binary, "report", "--db", os.path.join(tmp, "none.db"), "--out", out2)
    check(rc == 3, "missing database: 3")
    bad = os.path.join(tmp, "bad.conf")
    with open(bad, "w") as fh:
        fh.write("[reports]\nformats = pdf\n")
    check(run(binary, "report", "--config", bad, "--db", dbp, "--out", out2)[0] == 78,
          "bad config: 78")

    print(f"{passed} passed, {failed} failed")
    if not failed:
        subprocess.run(["rm", "-rf", tmp])
    else:
        print(f"files kept in {tmp}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
