#!/usr/bin/env python3
"""Analyse and report at scale, against SQLite's own scan time (issue 8, #4).

    bench/scale.py [--sizes small,large] [--bin PATH] [--keep DIR]

For each size, writes a synthetic snapshot straight into SQLite (the schema is
sql/0001_init.sql and sql/0002_findings.sql run with Python's sqlite3, then PRAGMA
user_version=2), with a realistic share of defects (below), then measures:
  scan floor   the sqlite3 CLI reading every row of the tables the analyser reads
               (SELECT * ... to /dev/null), best of three runs
  query floor  the sqlite3 CLI running the analyser's own bulk statements from
               sql/queries.sql (analyser_users, _roles, _trusts, _access_keys, _mfa_devices,
               _root_rows), best of three runs
  analyse      `iam-audit analyse` (with leavers, roster and exceptions files)
  report       `iam-audit report --format csv,xlsx` (and --per-team)
each with wall time and peak RSS from /usr/bin/time -v. When the binary has no `analyse`
or `report` command yet, that row says so and only the floors are measured.
Goals (issues 8 and 16): analyse within 3x of the scan floor and under 100 MB peak RSS;
report peak RSS under 100 MB at every size.

Sizes (users / roles / accounts / trust rows):
  small   5,000 /  10,000 /  50 /  30,000
  large  50,000 / 100,000 / 500 / 300,000
Defects planted, as shares: users without MFA 3%, not in the required group 2%, names that
are not e-mail addresses 1%, in a team account instead of the base account 2%, leavers
still present 1%, not in the roster 0.5%; access keys on 25% of users (old or unused:
~half of those); roles unused for > 90 days 20%; bootstrap roles 1%; trust rows without an
MFA condition 5%, on a whole account 1%, on an external account 0.3%, on "*" 0.05%,
on a deleted user or unique id 0.5%; accounts with a weak password policy 10%.
"""
import argparse
import datetime
import glob
import json
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SIZES = {
    "small": (5000, 10000, 50, 30000),
    "large": (50000, 100000, 500, 300000),
}
BASE = "111111111111"
GROUP = "gds-users-cross-account"
DOMAIN = "digital.cabinet-office.gov.uk"
MFA = '{"Bool":{"aws:MultiFactorAuthPresent":"true"}}'
ASSUME = '["sts:AssumeRole"]'
NOW = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


def iso(days_ago):
    return (NOW - datetime.timedelta(days=days_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


def uid(rnd, prefix):
    return prefix + "".join(rnd.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(17))


def generate(path, users, roles, accounts, trust_rows, workdir, seed=8):
    rnd = random.Random(seed)
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=OFF")
    db.execute("PRAGMA synchronous=OFF")
    for f in sorted(glob.glob(os.path.join(ROOT, "sql", "000[12]_*.sql"))):
        db.executescript(open(f, encoding="utf-8").read())
    db.execute("PRAGMA user_version = 2")
    db.execute("INSERT INTO runs (id, started_at, finished_at, status, tool_version, "
               "accounts_attempted, api_calls) VALUES (1, ?, ?, 'complete', 'bench-scale', ?, 0)",
               (iso(0), iso(0), accounts))
    ids = [BASE] + [f"{200000000000 + i}" for i in range(1, accounts)]
    teams = {a: f"team{i % 20:02d}" for i, a in enumerate(ids)}
    db.executemany("INSERT INTO accounts (run_id, account_id, name, team, is_base, role_arn, "
                   "alias, status, collected_at) VALUES (1, ?, ?, ?, ?, ?, ?, 'ok', ?)",
                   [(a, "gds-users" if a == BASE else f"acct-{i:04d}", teams[a],
                     int(a == BASE), f"arn:aws:iam::{a}:role/iam-audit", f"alias-{i}", iso(0))
                    for i, a in enumerate(ids)])
    db.executemany("INSERT INTO password_policies (run_id, account_id, present, minimum_length, "
                   "require_symbols, require_numbers, require_uppercase, require_lowercase) "
                   "VALUES (1, ?, 1, ?, 1, 1, 1, 1)",
                   [(a, 8 if i % 10 == 3 else 16) for i, a in enumerate(ids)])

    # ---- users (people live in the base account; 2% stray into team accounts) ----
    people, urows, cr, mfa, keys, members, pids = [], [], [], [], [], [], []
    leavers, roster = [], []
    for i in range(users):
        if i % 100 == 7:
            name = f"svc-deploy-{i}"                       # not an e-mail address
        else:
            name = f"first{i}.last{i % 977}@{DOMAIN}"
        acct = ids[1 + i % (accounts - 1)] if (i % 50 == 11 and accounts > 1) else BASE
        arn = f"arn:aws:iam::{acct}:user/{name}"
        created = rnd.randint(10, 1500)
        mfa_on = i % 33 != 5
        pw = i % 10 != 9
        u_id = uid(rnd, "AIDA")
        urows.append((acct, name, u_id, arn, iso(created), int(pw),
                      iso(rnd.randint(0, 60) if rnd.random() < 0.9 else rnd.randint(91, 400)) if pw else None,
                      iso(created), int(mfa_on)))
        pids.append((u_id, "user", acct, name, arn))
        if acct == BASE:
            people.append(name)
        if acct == BASE and i % 50 != 13:
            members.append((acct, GROUP, name))
        if mfa_on:
            mfa.append((acct, name, f"arn:aws:iam::{acct}:mfa/{name}", name, "virtual",
                        iso(created)))
        nkeys = 2 if i % 33 == 1 else (1 if i % 4 == 0 else 0)
        kinfo = []
        for k in range(nkeys):
            kc = rnd.randint(1, 89) if rnd.random() < 0.5 else rnd.randint(90, 800)
            used = None if rnd.random() < 0.1 else iso(rnd.randint(0, min(kc, 30)))
            kid = uid(rnd, "AKIA")[:20]
            keys.append((acct, name, kid, "Active", iso(kc), used, "sts" if used else None,
                         "us-east-1" if used else None))
            kinfo.append((kc, used))
        k1 = kinfo[0] if kinfo else None
        k2 = kinfo[1] if len(kinfo) > 1 else None
        cr.append((acct, iso(0), name, arn, iso(created), "true" if pw else "false",
                   iso(3) if pw else "N/A", iso(created), "N/A", "true" if mfa_on else "false",
                   "true" if k1 else "false", iso(k1[0]) if k1 else "N/A",
                   (k1[1] or "N/A") if k1 else "N/A", "us-east-1" if k1 else "N/A",
                   "sts" if k1 else "N/A", "true" if k2 else "false",
                   iso(k2[0]) if k2 else "N/A", (k2[1] or "N/A") if k2 else "N/A",
                   "N/A", "N/A", "false", "N/A", "false", "N/A"))
        if "@" in name:
            if i % 100 == 17:
                leavers.append((name, (NOW - datetime.timedelta(days=rnd.randint(5, 300)))
                                .strftime("%Y-%m-%d")))
            elif i % 200 != 23:
                roster.append(name)
    for a in ids:   # the root user of every account (1% without MFA)
        cr.append((a, iso(0), "<root_account>", f"arn:aws:iam::{a}:root", iso(2000), "not_supported",
                   iso(400), "not_supported", "not_supported",
                   "false" if a[-2:] == "07" else "true", "false", "N/A", "N/A", "N/A", "N/A",
                   "false", "N/A", "N/A", "N/A", "N/A", "false", "N/A", "false", "N/A"))
    db.executemany("INSERT INTO users (run_id, account_id, user_name, user_id, arn, created_at, "
                   "password_enabled, password_last_used, password_last_changed, mfa_active) "
                   "VALUES (1,?,?,?,?,?,?,?,?,?)", urows)
    db.execute("INSERT INTO groups (run_id, account_id, group_name, group_id, arn, created_at) "
               "VALUES (1, ?, ?, 'AGPABENCH', ?, ?)",
               (BASE, GROUP, f"arn:aws:iam::{BASE}:group/{GROUP}", iso(2000)))
    db.executemany("INSERT INTO group_members (run_id, account_id, group_name, user_name) "
                   "VALUES (1,?,?,?)", members)
    db.executemany("INSERT INTO mfa_devices (run_id, account_id, user_name, serial_number, "
                   "device_name, kind, enabled_at) VALUES (1,?,?,?,?,?,?)", mfa)
    db.executemany("INSERT INTO access_keys (run_id, account_id, user_name, access_key_id, "
                   "status, created_at, last_used_at, last_used_service, last_used_region) "
                   "VALUES (1,?,?,?,?,?,?,?,?)", keys)
    db.executemany("INSERT INTO credential_report VALUES (1," + ",".join("?" * 24) + ")", cr)

    # ---- roles and trusts ----
    per = max(1, roles // accounts)
    rrows, trows, pols, cpols = [], [], [], []
    trust_per_role = trust_rows / roles
    former = [f"arn:aws:iam::{BASE}:user/former{k}.gone@{DOMAIN}" for k in range(200)]
    for k, arn in enumerate(former):   # deleted users seen by an earlier run
        pids.append((uid(rnd, "AIDA"), "user", BASE, arn.rsplit("/", 1)[1], arn))
    n_trust = 0
    seen = set()
    for r in range(roles):
        acct = ids[r % accounts]
        j = r // accounts
        if j == 0:
            name, human = "Admin", True
        elif j == 1:
            name, human = "ReadOnly", True
        elif r % 100 == 42:
            name, human = f"bootstrap-admin-{j}", True
        elif r % 10 < 6 and people and (acct, people[(r * 7 + j) % len(people)]) not in seen:
            p = people[(r * 7 + j) % len(people)]
            seen.add((acct, p))
            name, human = f"{p.split('@')[0]}-{'admin' if r % 2 else 'readonly'}", True
        elif r % 10 == 9:
            name, human = f"AWSServiceRoleForSvc{j}", False
        else:
            name, human = f"lambda-exec-{j}", False
        path = "/aws-service-role/svc.amazonaws.com/" if name.startswith("AWSServiceRole") else "/"
        rarn = f"arn:aws:iam::{acct}:role{path}{name}"
        created = rnd.randint(1, 1500)
        u = rnd.random()
        last = iso(rnd.randint(0, 60)) if u < 0.7 else (iso(rnd.randint(91, 900)) if u < 0.9
                                                        else None)
        if last is None:
            created = max(created, 120)
        r_id = uid(rnd, "AROA")
        # trust rows: enough on average to reach trust_rows in total
        want = int(trust_per_role * (r + 1)) - n_trust
        want = max(1, want)
        stmts = []
        for k in range(want):
            if not human:
                principal, kind, ptype, pacct, cond = "lambda.amazonaws.com", "Service", \
                    "service", None, None
            else:
                x = rnd.random()
                cond = MFA if rnd.random() >= 0.05 else None
                if x < 0.01:
                    principal, ptype, pacct = f"arn:aws:iam::{BASE}:root", "account-root", BASE
                elif x < 0.013:
                    principal, ptype, pacct = "arn:aws:iam::999999999999:root", "account-root", \
                        "999999999999"
                elif x < 0.0135:
                    principal, ptype, pacct, cond = "*", "wildcard", None, None
                elif x < 0.016:
                    principal, ptype, pacct = former[rnd.randrange(len(former))], "user", BASE
                elif x < 0.0185:
                    principal, ptype, pacct = uid(rnd, "AIDA"), "unique-id", None
                else:
                    p = people[rnd.randrange(len(people))] if people else "nobody"
                    principal, ptype, pacct = f"arn:aws:iam::{BASE}:user/{p}", "user", BASE
                kind = "*" if ptype == "wildcard" else "AWS"
            trows.append((acct, name, rarn, 0, k, None, "Allow", 0, kind, principal, pacct,
                          ptype, ASSUME, 0, cond))
            stmts.append(principal)
        n_trust += len(stmts)
        doc = json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": stmts} if human else
            {"Service": stmts[0]}, "Action": "sts:AssumeRole"}]})
        rrows.append((acct, name, r_id, rarn, path, iso(created), f"{name} role",
                      43200 if j == 0 else 3600, last, "eu-west-2" if last else None, doc))
        pids.append((r_id, "role", acct, name, rarn))
        if human:
            pol = "AdministratorAccess" if "admin" in name.lower() else "ReadOnlyAccess"
            pols.append((acct, name, "attached", pol, f"arn:aws:iam::aws:policy/{pol}", None))
        if name == "ReadOnly":
            pols.append((acct, name, "attached", "gds-readonly-extra",
                         f"arn:aws:iam::{acct}:policy/gds-readonly-extra", None))
            cpols.append((acct, f"arn:aws:iam::{acct}:policy/gds-readonly-extra",
                          "gds-readonly-extra", json.dumps({"Version": "2012-10-17", "Statement": [
                              {"Effect": "Allow", "Action": ["s3:Get*", "ssm:PutParameter"]
                               if acct[-1] == "3" else ["s3:Get*"], "Resource": "*"}]})))
    db.executemany("INSERT INTO roles (run_id, account_id, role_name, role_id, arn, path, "
                   "created_at, description, max_session_duration, last_used_at, "
                   "last_used_region, trust_policy) VALUES (1,?,?,?,?,?,?,?,?,?,?,?)", rrows)
    db.executemany("INSERT INTO trusts (run_id, account_id, role_name, role_arn, statement_index,"
                   " principal_index, sid, effect, not_principal, principal_kind, principal, "
                   "principal_account, principal_type, actions, not_action, conditions) "
                   "VALUES (1,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", trows)
    db.executemany("INSERT OR IGNORE INTO principal_policies (run_id, account_id, principal_kind,"
                   " principal_name, kind, policy_name, policy_arn, document) "
                   "VALUES (1,?,'role',?,?,?,?,?)", pols)
    db.executemany("INSERT INTO policies (run_id, account_id, arn, policy_name, "
                   "default_version_id, document) VALUES (1,?,?,?,'v1',?)", cpols)
    for pol, doc in (("AdministratorAccess", {"Effect": "Allow", "Action": "*", "Resource": "*"}),
                     ("ReadOnlyAccess", {"Effect": "Allow", "Action": ["iam:Get*", "s3:Get*",
                                                                       "ec2:Describe*"],
                                         "Resource": "*"})):
        db.execute("INSERT INTO managed_policies (run_id, arn, version_id, document) "
                   "VALUES (1, ?, 'v1', ?)", (f"arn:aws:iam::aws:policy/{pol}",
                                              json.dumps({"Version": "2012-10-17",
                                                          "Statement": [doc]})))
    db.executemany("INSERT OR IGNORE INTO principal_ids (unique_id, kind, account_id, name, arn, "
                   "first_seen_run, last_seen_run) VALUES (?,?,?,?,?,1,1)", pids)
    db.commit()
    db.execute("ANALYZE")
    db.close()

    with open(os.path.join(workdir, "leavers.csv"), "w") as f:
        f.write("email,leaving_date\n" + "".join(f"{e},{d}\n" for e, d in leavers))
    with open(os.path.join(workdir, "roster.csv"), "w") as f:
        f.write("email\n" + "".join(f"{e}\n" for e in roster))
    with open(os.path.join(workdir, "exceptions.ini"), "w") as f:
        f.write("[exception audit-role]\nrule = trust-no-mfa\n"
                "resource = arn:aws:iam::*:role/iam-audit\nreason = audit job\n"
                "owner = security@example.gov.uk\nticket = SEC-1\nexpires = "
                + (datetime.date.today() + datetime.timedelta(days=180)).isoformat() + "\n")
    with open(os.path.join(workdir, "iam-audit.conf"), "w") as f:
        f.write(f"[audit]\ndatabase = {path}\nbase_account = {BASE}\nrole_name = iam-audit\n")
        for i, a in enumerate(ids[1:], 1):
            f.write(f"\n[account acct-{i:04d}]\nid = {a}\nteam = {teams[a]}\n")
        f.write(f"\n[rules]\nallowed_email_domains = {DOMAIN}\nrequired_group = {GROUP}\n"
                "known_accounts = 555555555555\n")
    return len(trows), len(leavers), len(roster)


FLOOR_TABLES = ["users", "group_members", "mfa_devices", "access_keys", "credential_report",
                "roles", "trusts", "principal_policies", "policies", "password_policies"]
QUERY_NAMES = ["analyser_users", "analyser_mfa_devices", "analyser_access_keys",
               "analyser_roles", "analyser_account_trusts", "analyser_root_rows"]


def named_queries():
    text = open(os.path.join(ROOT, "sql", "queries.sql"), encoding="utf-8").read()
    out = {}
    for m in re.finditer(r"^-- name: (\S+)\n(.*?)(?=^-- name: |\Z)", text, re.S | re.M):
        body = "\n".join(l for l in m.group(2).splitlines() if not l.startswith("--")).strip()
        out[m.group(1)] = body
    return out


def timed(cmd, **kw):
    """Run cmd under /usr/bin/time -v; returns (seconds, peak RSS MB, rc, stderr tail)."""
    t0 = time.monotonic()
    p = subprocess.run(["/usr/bin/time", "-v"] + cmd, capture_output=True, text=True, **kw)
    secs = time.monotonic() - t0
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr)
    rss = int(m.group(1)) / 1024 if m else float("nan")
    return secs, rss, p.returncode, p.stderr


def sqlite_cli(db, sql):
    return timed(["sqlite3", db], input=".output /dev/null\n" + sql + "\n")


def has_command(binary, name):
    p = subprocess.run([binary, name, "--help"], capture_output=True, text=True)
    return p.returncode == 0 and "is not a command" not in p.stderr


def find_bin(arg):
    for b in ([arg] if arg else []) + [os.environ.get("IA_BIN"),
                                       os.path.join(ROOT, "build-bench", "cli", "iam-audit"),
                                       os.path.join(ROOT, "build", "cli", "iam-audit")]:
        if b and os.access(b, os.X_OK):
            return b
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="small,large")
    ap.add_argument("--bin")
    ap.add_argument("--keep", help="write the databases here and keep them")
    a = ap.parse_args()
    binary = find_bin(a.bin)
    work = a.keep or tempfile.mkdtemp(prefix="ia-bench-scale.")
    os.makedirs(work, exist_ok=True)
    model = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
                  if l.startswith("model name")), "unknown CPU")
    print(f"machine: {os.cpu_count()} CPUs, {model}; sqlite3 "
          f"{subprocess.run(['sqlite3', '--version'], capture_output=True, text=True).stdout.split()[0]}")
    print(f"binary: {binary or '(none found)'}")
    can_analyse = bool(binary) and has_command(binary, "analyse")
    can_report = bool(binary) and has_command(binary, "report")
    q = named_queries()
    rows = []
    try:
        for size in a.sizes.split(","):
            users, roles, accounts, trusts = SIZES[size]
            d = os.path.join(work, size)
            shutil.rmtree(d, ignore_errors=True)
            os.makedirs(d)
            db = os.path.join(d, "scale.db")
            t0 = time.monotonic()
            nt, nl, nr = generate(db, users, roles, accounts, trusts, d)
            gen = time.monotonic() - t0
            mb = os.path.getsize(db) / 1e6
            print(f"\n{size}: {users} users, {roles} roles, {accounts} accounts, {nt} trust rows, "
                  f"{nl} leavers, {nr} roster entries; {mb:.0f} MB database written in {gen:.1f} s")
            # warm the page cache so every measurement below reads from memory
            sqlite_cli(db, "".join(f"SELECT * FROM {t};\n" for t in FLOOR_TABLES))
            # the floors are short and this machine is shared: the best of three runs
            ssql = "".join(f"SELECT * FROM {t} WHERE run_id = 1;\n" for t in FLOOR_TABLES)
            scan = min((sqlite_cli(db, ssql) for _ in range(3)), key=lambda r: r[0])
            # analyser_account_trusts reads one account's trust rows (the analyser's trust pass
            # runs it once per account): here, over every account at once, in the same order.
            qsql = "".join(q[n].replace(":run_id", "1")
                           .replace("AND account_id = :account_id", "")
                           .replace("ORDER BY role_name", "ORDER BY account_id, role_name")
                           .rstrip(";") + ";\n" for n in QUERY_NAMES)
            query = min((sqlite_cli(db, qsql) for _ in range(3)), key=lambda r: r[0])
            res = {"size": size, "scan": scan, "query": query, "analyse": None, "report": None}
            if can_analyse:
                res["analyse"] = timed([binary, "analyse", "--config", os.path.join(d, "iam-audit.conf"),
                                        "--db", db, "--leavers", os.path.join(d, "leavers.csv"),
                                        "--roster", os.path.join(d, "roster.csv"),
                                        "--exceptions", os.path.join(d, "exceptions.ini")])
                if res["analyse"][2] not in (0, 1):
                    print(res["analyse"][3][-2000:])
                con = sqlite3.connect(db)
                res["findings"] = con.execute("SELECT count(*) FROM findings").fetchone()[0]
                con.close()
            if can_report and can_analyse:
                res["report"] = timed([binary, "report", "--db", db, "--out", os.path.join(d, "out"),
                                       "--format", "csv,xlsx", "--per-team"])
                if res["report"][2] != 0:
                    print(res["report"][3][-2000:])
            rows.append(res)
            for n, r in res.items():
                if isinstance(r, tuple):
                    print(f"  {n:<8} {r[0]:8.2f} s  {r[1]:7.1f} MB  exit {r[2]}")
    finally:
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)

    print(f"\n{'size':<6} {'scan floor s':>12} {'query floor s':>13} {'analyse s':>10} "
          f"{'x floor':>8} {'analyse MB':>10} {'findings':>9} {'report s':>9} {'report MB':>10}")
    for r in rows:
        an, rep = r["analyse"], r["report"]
        cells = [f"{an[0]:.2f}" if an else "n/a",
                 f"{an[0] / r['scan'][0]:.1f}x" if an else "n/a",
                 f"{an[1]:.0f}" if an else "n/a", str(r.get("findings", "n/a")),
                 f"{rep[0]:.2f}" if rep else "n/a", f"{rep[1]:.0f}" if rep else "n/a"]
        print(f"{r['size']:<6} {r['scan'][0]:>12.2f} {r['query'][0]:>13.2f} {cells[0]:>10} "
              f"{cells[1]:>8} {cells[2]:>10} {cells[3]:>9} {cells[4]:>9} {cells[5]:>10}")
    if not can_analyse or not can_report:
        print(f"\n{binary or 'iam-audit'} has no "
              f"{' and no '.join(c for c, ok in (('analyse', can_analyse), ('report', can_report)) if not ok)}"
              " command yet: only the sqlite3 floors were measured.")
    for r in rows:
        an, rep = r["analyse"], r["report"]
        if an:
            ratio = an[0] / r["scan"][0]
            print(f"goal {r['size']}: analyse within 3x of the scan floor -> "
                  f"{'MET' if ratio <= 3 else 'NOT MET'} ({ratio:.1f}x)")
            print(f"goal {r['size']}: analyse peak RSS < 100 MB -> "
                  f"{'MET' if an[1] < 100 else 'NOT MET'} ({an[1]:.0f} MB)")
        if rep:
            print(f"goal {r['size']}: report peak RSS < 100 MB -> "
                  f"{'MET' if rep[1] < 100 else 'NOT MET'} ({rep[1]:.0f} MB)")
    print(f"\nrepeat: bench/scale.py --sizes {a.sizes}")


if __name__ == "__main__":
    sys.exit(main())
