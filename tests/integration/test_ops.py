#!/usr/bin/env python3
"""Operations: prune (row counts before/after, latest complete run kept, one transaction)
and the database lock (a second run refuses at once with exit 75, changing nothing).

usage: test_ops.py IAM_AUDIT_BINARY
"""
import fcntl
import os
import sqlite3
import subprocess
import sys
import tempfile

from harness import check, finish, ROOT
import time




def main():
    binary = sys.argv[1]
    with tempfile.TemporaryDirectory(prefix="ia-ops-") as work:
        db = os.path.join(work, "a.db")
        # An empty prune creates and migrates the database.
        p = subprocess.run([binary, "prune", "--db", db, "--keep-days", "30"],
                           capture_output=True, text=True)
        check(p.returncode == 0, f"prune on a new database exits 0 ({p.stderr})")
        check(oct(os.stat(db).st_mode & 0o777) == "0o600", "new database is owner-only")
        con = sqlite3.connect(db)
        con.execute("PRAGMA foreign_keys=ON")

        def add_run(rid, days_ago, status):
            t = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - days_ago * 86400))
            con.execute("INSERT INTO runs (id, started_at, status, tool_version) VALUES (?,?,?,?)",
                        (rid, t, status, "test"))
            con.execute("INSERT INTO accounts (run_id, account_id, name, status) VALUES (?,?,?,?)",
                        (rid, "012345678901", "a", "ok"))
            for i in range(3):
                con.execute("INSERT INTO users (run_id, account_id, user_name, user_id, arn) "
                            "VALUES (?,?,?,?,?)", (rid, "012345678901", f"u{i}", f"AIDA{i}",
                                                   f"arn:aws:iam::012345678901:user/u{i}"))
        add_run(1, 400, "complete")   # old, and the latest complete: kept
        add_run(2, 300, "partial")    # old: pruned
        add_run(3, 200, "failed")     # old: pruned
        add_run(4, 5, "partial")      # recent: kept
        con.commit()
        p = subprocess.run([binary, "prune", "--db", db, "--keep-days", "30"],
                           capture_output=True, text=True)
        check(p.returncode == 0 and "pruned 2 run(s)" in p.stdout,
              f"prune deletes the two old runs ({p.returncode}: {p.stdout}{p.stderr})")
        runs = [r[0] for r in con.execute("SELECT id FROM runs ORDER BY id")]
        check(runs == [1, 4], f"runs left {runs} == [1, 4] (latest complete kept)")
        users = con.execute("SELECT run_id, count(*) FROM users GROUP BY run_id").fetchall()
        check(users == [(1, 3), (4, 3)], f"rows of pruned runs are gone: {users}")
        accts = con.execute("SELECT count(*) FROM accounts").fetchone()[0]
        check(accts == 2, "account rows of pruned runs are gone")
        con.close()

        # The lock: while another process holds it, every writer refuses at once.
        fd = os.open(db + ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.ftruncate(fd, 0)
        os.write(fd, b"4242\n")
        t0 = time.time()
        p = subprocess.run([binary, "prune", "--db", db, "--keep-days", "1"],
                           capture_output=True, text=True)
        check(p.returncode == 75, f"prune while locked exits 75 (got {p.returncode})")
        check("another iam-audit run (pid 4242)" in p.stderr, f"message names the holder: {p.stderr}")
        check(time.time() - t0 < 5, "refuses at once")
        con = sqlite3.connect(db)
        check([r[0] for r in con.execute("SELECT id FROM runs ORDER BY id")] == [1, 4],
              "nothing changed while locked")
        con.close()
        os.close(fd)
        p = subprocess.run([binary, "prune", "--db", db, "--keep-days", "1"],
                           capture_output=True, text=True)
        check(p.returncode == 0, "prune works again once the lock is released")

        # Usage errors are 64 with the fix named.
        p = subprocess.run([binary, "prune", "--db", db], capture_output=True, text=True)
        check(p.returncode == 64 and "--keep-days" in p.stderr, "missing --keep-days is a usage error")
        p = subprocess.run([binary, "prune", "--db", db, "--keep-days", "x"], capture_output=True,
                           text=True)
        check(p.returncode == 64, "bad --keep-days is a usage error")
        # A missing database folder is a configuration mistake (78, naming the fix), not a
        # failed run (issue 19.5).
        nodir = os.path.join(work, "nodir.conf")
        open(nodir, "w").write("[audit]\nbase_account = 111111111111\n"
                               f"database = {work}/missing/ia.db\n")
        for cmd in ("run", "collect"):
            p = subprocess.run([binary, cmd, "--config", nodir], capture_output=True, text=True)
            check(p.returncode == 78 and f"database folder {work}/missing does not exist" in
                  p.stderr and "install -d" in p.stderr,
                  f"{cmd}: missing database folder is 78 with the fix ({p.returncode}: "
                  f"{p.stderr.strip()})")
        # Issue 19.9: a folder given as --config, a config without base_account, and
        # prune --keep-days 0 (keep everything, as keep_days = 0 means).
        p = subprocess.run([binary, "run", "--config", work], capture_output=True, text=True)
        check(p.returncode == 78 and "is a folder, not a configuration file" in p.stderr,
              f"--config FOLDER: 78 saying so ({p.returncode}: {p.stderr.strip()})")
        nobase = os.path.join(work, "nobase.conf")
        open(nobase, "w").write("[account a]\nid = 222222222222\n")
        p = subprocess.run([binary, "collect", "--config", nobase], capture_output=True,
                           text=True)
        check(p.returncode == 78 and "[audit] base_account is not set" in p.stderr,
              f"no base_account: 78, not a warning ({p.returncode}: {p.stderr.strip()})")
        con = sqlite3.connect(db)
        before = con.execute("SELECT count(*) FROM runs").fetchone()[0]
        con.close()
        p = subprocess.run([binary, "prune", "--db", db, "--keep-days", "0"],
                           capture_output=True, text=True)
        keep0 = os.path.join(work, "keep0.conf")
        open(keep0, "w").write(f"[audit]\nbase_account = 111111111111\ndatabase = {db}\n"
                               "keep_days = 0\n")
        q = subprocess.run([binary, "prune", "--config", keep0], capture_output=True, text=True)
        con = sqlite3.connect(db)
        after = con.execute("SELECT count(*) FROM runs").fetchone()[0]
        con.close()
        check(p.returncode == 0 and q.returncode == 0 and "nothing pruned" in p.stdout and
              after == before and before > 0,
              f"--keep-days 0 and keep_days = 0 both keep every run ({p.returncode} {q.returncode}"
              f" {before}->{after}: {p.stdout}{p.stderr}{q.stderr})")
    # The man page documents every command that --help lists.
    man = open(os.path.join(ROOT, "docs", "iam-audit.1")).read()
    out = subprocess.run([binary, "--help"], capture_output=True, text=True).stdout
    cmds = [l.split()[0] for l in out.split("Commands:")[1].split("\n\n")[0].splitlines()
            if l.strip()]
    check(len(cmds) >= 9, f"--help lists the commands: {cmds}")
    for c in cmds:
        check(f"\n.B {c}" in man, f"the man page documents '{c}'")
        p = subprocess.run([binary, c, "--help"], capture_output=True, text=True)
        check(p.returncode == 0 and p.stdout.startswith("usage: iam-audit " + c),
              f"'iam-audit {c} --help' teaches its usage")
    return finish()


if __name__ == "__main__":
    sys.exit(main())
