#!/usr/bin/env python3
"""End to end: plant every defect moto can represent, collect, analyse, and assert that
exactly the planted findings appear (precision and recall 100%), with the planted
severity, suppression by the estate's exceptions file, evidence present, none of the
manifest's negatives raised, and history (a second run: all persisting, first_seen kept).

usage: test_e2e.py IAM_AUDIT_BINARY [MOTO_PORT_FILE]
"""
import csv
import io
import json
import os
import sqlite3
import subprocess
import sys
import tempfile

from harness import build_estate, check, finish, moto, stop_moto, tool_env




def principal_matches(planted, found):
    """The manifest names a principal only where it identifies the finding; for user rules
    the analyser names the user (its ARN's last part)."""
    if planted is None:
        return True
    return found == planted or (found is not None and planted.endswith("/" + found))


def main():
    binary = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory(prefix="ia-e2e-") as work:
        pid = None
        try:
            if len(sys.argv) > 2:
                port = open(sys.argv[2]).read().strip()
            else:
                pid = os.path.join(work, "moto.pid")
                moto("start", "--port-file", os.path.join(work, "port"), "--pid-file", pid,
                     "--auth")
                port = open(os.path.join(work, "port")).read().strip()
            endpoint = f"http://127.0.0.1:{port}"
            est = os.path.join(work, "small")
            build_estate(endpoint, "small", est)
            m = json.load(open(os.path.join(est, "manifest.json")))
            env = tool_env(est, endpoint, work)
            db = os.path.join(work, "a.db")
            conf = os.path.join(est, "iam-audit.conf")
            analyse = [binary, "analyse", "--config", conf, "--db", db,
                       "--leavers", os.path.join(est, "leavers.csv"),
                       "--roster", os.path.join(est, "roster.csv"),
                       "--exceptions", os.path.join(est, "exceptions.ini")]

            p = subprocess.run([binary, "collect", "--config", conf, "--db", db, "--quiet"],
                               env=env, capture_output=True, text=True)
            check(p.returncode == 0, f"collect exits 0 ({p.stderr[-300:]})")
            p = subprocess.run([binary, "access", "--db", db], capture_output=True, text=True)
            check(p.returncode == 3 and "no analysed run" in p.stderr and "iam-audit analyse"
                  in p.stderr, f"access before any analysis: exit 3 and the fix ({p.returncode}:"
                               f" {p.stderr[-200:]})")
            p = subprocess.run(analyse + ["--fail-on", "high"], env=env, capture_output=True,
                               text=True)
            check(p.returncode == 1, f"analyse --fail-on high exits 1 (got {p.returncode}: "
                                     f"{p.stderr[-300:]})")

            con = sqlite3.connect(db)
            found = con.execute("SELECT rule_id, account_id, resource_arn, principal, severity, "
                                "suppressed_by, evidence, fingerprint, first_seen, status "
                                "FROM latest_findings").fetchall()
            planted = m["planted"]
            unmatched = list(found)
            for pl in planted:
                hit = [f for f in unmatched if f[0] == pl["rule_id"] and f[1] == pl["account_id"]
                       and f[2] == pl["resource"] and principal_matches(pl["principal"], f[3])]
                check(len(hit) == 1, f"planted {pl['rule_id']} on {pl['resource']} "
                                     f"({pl.get('note')}) found once (found {len(hit)})")
                if not hit:
                    continue
                f = hit[0]
                unmatched.remove(f)
                if pl.get("severity"):
                    check(f[4] == pl["severity"],
                          f"{pl['rule_id']} on {pl['resource']}: severity {f[4]} == {pl['severity']}")
                check(bool(f[5]) == bool(pl.get("exception")) and
                      (not pl.get("exception") or f[5] == pl["exception"]),
                      f"{pl['rule_id']} on {pl['resource']}: suppressed_by {f[5]!r} == "
                      f"{pl.get('exception')!r}")
                ev = json.loads(f[6])
                check(isinstance(ev, dict) and len(ev) > 0,
                      f"{pl['rule_id']} on {pl['resource']}: evidence is a non-empty object")
            for f in unmatched:
                check(False, f"unplanted finding (false alarm): {f[0]} {f[2]} {f[3]} {f[4]}")
            for neg in m.get("negatives", []):
                bad = [f for f in found if f[2] == neg["resource"] and f[1] == neg["account_id"]
                       and neg["rule_id"] in ("*", f[0])]
                check(not bad, f"negative {neg['rule_id']} on {neg['resource']} not raised "
                               f"({neg.get('note')}): {[b[0] for b in bad]}")
            rules_seen = {f[0] for f in found}
            check(len(rules_seen) >= 20, f"findings from {len(rules_seen)} rules")
            print(f"precision/recall: {len(found) - len(unmatched)}/{len(found)} found were "
                  f"planted, {len(planted)} planted", flush=True)
            first = {f[7]: f[8] for f in found}

            # Access paths (issue 14): latest_access row for row against the estate's own
            # reading of the planted policies (build_estate.access_paths), then the CLI.
            got = [dict(zip(("person", "account_id", "role_arn", "via", "mfa_required",
                             "conditional"), r)) for r in con.execute(
                "SELECT person, account_id, role_arn, via, mfa_required, conditional "
                "FROM latest_access ORDER BY person, role_arn")]
            want = m["access"]
            check(got == want, f"latest_access = the planted paths ({len(got)} rows, "
                               f"{len(want)} planted)",
                  f"only in latest_access: {[r for r in got if r not in want]}\n  "
                  f"only planted: {[r for r in want if r not in got]}")
            check(any(r["mfa_required"] for r in want) and
                  any(not r["mfa_required"] for r in want),
                  "the estate has paths with and without MFA")
            con.close()
            erin = next(r for r in want if r["person"].startswith("erin.") and
                        not r["mfa_required"])
            p = subprocess.run([binary, "access", "--db", db, "--person", "erin.nomfa",
                                "--no-mfa", "--format", "json"], capture_output=True, text=True)
            rows = json.loads(p.stdout) if p.returncode == 0 else None
            check(rows is not None and [(r["person"], r["role_arn"], r["mfa_required"])
                                        for r in rows] ==
                  [(erin["person"], erin["role_arn"], False)],
                  f"access --person (local part) --no-mfa --format json: erin's path "
                  f"({p.returncode}: {p.stdout[:300]} {p.stderr[-200:]})")
            p = subprocess.run([binary, "access", "--db", db, "--format", "csv"],
                               capture_output=True, text=True)
            lines = list(csv.reader(io.StringIO(p.stdout)))
            check(p.returncode == 0 and lines and lines[0][:3] == ["person", "account_id",
                                                                   "account_name"] and
                  len(lines) == len(want) + 1, f"access --format csv: header and one line a "
                                               f"path ({len(lines)} lines, {len(want)} paths)")
            acct = want[0]["account_id"]
            p = subprocess.run([binary, "access", "--db", db, "--account", acct, "--role",
                                "*admin*"], capture_output=True, text=True)
            n_want = len([r for r in want if r["account_id"] == acct and
                          "admin" in r["role_arn"].rsplit("/", 1)[-1].lower()])
            check(p.returncode == 0 and len(p.stdout.splitlines()) == n_want + 1,
                  f"access --account --role: a header and {n_want} rows "
                  f"({p.stdout[-300:]})")
            p = subprocess.run([binary, "access", "--db", db, "--format", "yaml"],
                               capture_output=True, text=True)
            check(p.returncode == 64 and "table, csv or json" in p.stderr,
                  "access --format yaml: usage error naming the formats")

            # A second night: the same findings persist, first_seen is kept, diff shows no change.
            p = subprocess.run([binary, "collect", "--config", conf, "--db", db, "--quiet"],
                               env=env, capture_output=True, text=True)
            check(p.returncode == 0, "second collect exits 0")
            p = subprocess.run(analyse, env=env, capture_output=True, text=True)
            check(p.returncode == 0, f"analyse without --fail-on exits 0 ({p.returncode})")
            con = sqlite3.connect(db)
            again = con.execute("SELECT fingerprint, first_seen, status FROM latest_findings"
                                ).fetchall()
            check({a[0] for a in again} == set(first), "the same fingerprints on the second run")
            check(all(a[2] == "persisting" and a[1] == first[a[0]] for a in again),
                  "second run: all persisting, first_seen kept")
            con.close()
            p = subprocess.run([binary, "diff", "--db", db], env=env, capture_output=True,
                               text=True)
            check(p.returncode == 0, f"diff exits 0 ({p.stderr[-200:]})")
        finally:
            stop_moto(pid)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
