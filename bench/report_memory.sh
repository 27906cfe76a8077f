#!/bin/sh
# Peak memory of `iam-audit report` on a large run: prints figures, is not a test.
#   bench/report_memory.sh [IAM_AUDIT_BINARY] [FINDINGS]
# Builds a synthetic database (default 100,000 findings over 60 accounts in 6 teams, with
# 20,000 users, 6,000 roles and their trusts) with Python's sqlite3 from sql/NNNN_*.sql,
# then runs `iam-audit report --per-team` (every format) under /usr/bin/time -v.
# The issue's bar: peak RSS under 100 MB at 100,000 findings.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$here/build/cli/iam-audit}
n=${2:-100000}
work=$(mktemp -d "${TMPDIR:-/tmp}/ia-bench-report.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

python3 - "$here" "$work/bench.db" "$n" <<'PY'
import glob, json, os, sqlite3, sys
src, path, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
db = sqlite3.connect(path)
v = 0
for f in sorted(glob.glob(os.path.join(src, "sql", "[0-9][0-9][0-9][0-9]_*.sql"))):
    db.executescript(open(f, encoding="utf-8").read())
    v = max(v, int(os.path.basename(f)[:4]))
db.execute(f"PRAGMA user_version = {v}")
db.execute("INSERT INTO runs (id, started_at, status, tool_version) VALUES "
           "(1, '2026-11-26T02:00:00Z', 'complete', 'bench'),"
           "(2, '2026-11-27T02:00:00Z', 'complete', 'bench')")
db.execute("INSERT INTO analyses (run_id, analysed_at, tool_version) VALUES "
           "(1, '2026-11-26T03:00:00Z', 'bench'), (2, '2026-11-27T03:00:00Z', 'bench')")
accts = [(f"{100000000000 + i}", f"account-{i}", f"team-{i % 6}") for i in range(60)]
for run in (1, 2):
    db.executemany("INSERT INTO accounts (run_id, account_id, name, team, status) VALUES "
                   "(?, ?, ?, ?, 'ok')", [(run, *a) for a in accts])
db.executemany("INSERT INTO users (run_id, account_id, user_name, user_id, arn, created_at,"
               " password_enabled, mfa_active)"
               " VALUES (2, ?, ?, ?, ?, '2025-01-01T00:00:00Z', 1, 0)",
               [(accts[0][0], f"user{i}@example.gov.uk", f"AIDA{i}",
                 f"arn:aws:iam::{accts[0][0]}:user/user{i}@example.gov.uk") for i in range(20000)])
roles = [(accts[i % 60][0], f"role-{i}") for i in range(6000)]
db.executemany("INSERT INTO roles (run_id, account_id, role_name, role_id, arn, created_at)"
               " VALUES (2, ?, ?, ?, ?, '2025-01-01T00:00:00Z')",
               [(a, r, f"AROA{r}", f"arn:aws:iam::{a}:role/{r}") for a, r in roles])
db.executemany("INSERT INTO trusts (run_id, account_id, role_name, role_arn, statement_index,"
               " principal_index, effect, not_principal, principal_kind, principal,"
               " principal_type) VALUES (2, ?, ?, ?, 0, 0, 'Allow', 0, 'AWS', ?, 'user')",
               [(a, r, f"arn:aws:iam::{a}:role/{r}",
                 f"arn:aws:iam::{accts[0][0]}:user/user{i % 20000}@example.gov.uk")
                for i, (a, r) in enumerate(roles)])
rules = [("user-no-mfa", "critical"), ("trust-no-mfa", "high"), ("role-unused", "medium"),
         ("access-key-old", "low"), ("role-name-nonstandard", "info")]
def rows(run, count):
    for i in range(count):
        a = accts[i % 60][0]
        rule, sev = rules[i % 5]
        stmt = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{a}:root"},
                "Action": "sts:AssumeRole"}
        ev = json.dumps({"statement": stmt, "last_used": "2026-01-01", "index": i})
        yield (run, f"fp{i}", rule, sev, a, f"arn:aws:iam::{a}:role/role-{i}", f"user{i}",
               f"finding {i} of rule {rule}", ev, "2026-11-20", "persisting")
ins = ("INSERT INTO findings (run_id, fingerprint, rule_id, severity, account_id, resource_arn,"
       " principal, title, evidence, first_seen, status) VALUES (?,?,?,?,?,?,?,?,?,?,?)")
db.executemany(ins, rows(1, n - n // 10))
db.executemany(ins, rows(2, n))
db.commit()
PY

echo "database: $(du -h "$work/bench.db" | cut -f1) with $n findings in the reported run"
/usr/bin/time -v "$bin" report --db "$work/bench.db" --out "$work/out" --per-team \
    >"$work/files" 2>"$work/time" || { cat "$work/time"; exit 1; }
grep -E "Maximum resident set size|Elapsed \(wall clock\)|User time|System time" "$work/time"
rss_kb=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/time")
echo "peak RSS: $((rss_kb / 1024)) MB (bar: 100 MB)"
echo "files:"
while read -r f; do
    printf '  %8s  %s\n' "$(du -h "$f" | cut -f1)" "$(basename "$f")"
done <"$work/files"
