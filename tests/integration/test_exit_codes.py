#!/usr/bin/env python3
"""One exit-code table for every subcommand (docs/exit-codes.md; issue 15): the same mistake
gives the same code whatever the command. No AWS needed.

  64  a bad option                          (every command)
  78  a missing config file, a folder given as --config, a config with an unknown key
      (every command that takes --config)
  75  the database is held by another run   (every command that writes it)
and docs/exit-codes.md lists each of these codes.

usage: test_exit_codes.py IAM_AUDIT_BINARY SOURCE_DIR
"""
import fcntl
import os
import subprocess
import sys
import tempfile

from harness import check, finish

CONFIG_COMMANDS = [["collect"], ["analyse"], ["report"], ["diff"], ["prune"], ["deliver"],
                   ["run"], ["access"], ["config", "get", "audit.database"]]
WRITERS = [["collect"], ["analyse"], ["prune", "--keep-days", "30"], ["run"]]


def run(binary, args, env):
    return subprocess.run([binary, *args], capture_output=True, text=True, env=env, timeout=60)


def main():
    binary, src = os.path.abspath(sys.argv[1]), sys.argv[2]
    table = open(os.path.join(src, "docs", "exit-codes.md")).read()
    for code in (0, 1, 2, 3, 4, 64, 75, 78):
        check(f"| {code} |" in table, f"docs/exit-codes.md has a row for {code}")
    with tempfile.TemporaryDirectory(prefix="ia-exit-") as work:
        env = {"PATH": "/usr/bin:/bin", "HOME": work, "AWS_EC2_METADATA_DISABLED": "true",
               "AWS_ACCESS_KEY_ID": "AKIAEXITCODES0000001", "AWS_SECRET_ACCESS_KEY": "x",
               "AWS_ENDPOINT_URL": "http://127.0.0.1:9"}
        db = os.path.join(work, "ia.db")
        good = os.path.join(work, "good.conf")
        with open(good, "w") as f:
            f.write(f"[audit]\ndatabase = {db}\nbase_account = 111111111111\n"
                    f"reports = {work}/reports\nmax_attempts = 1\n"
                    "[delivery]\nemail = sendmail\nfrom = iam-audit@example.gov.uk\n"
                    "sendmail = /bin/false\n")
        bad_key = os.path.join(work, "bad.conf")
        with open(bad_key, "w") as f:
            f.write("[audit]\nbase_account = 111111111111\nno_such_key = 1\n")
        for cmd in CONFIG_COMMANDS + [["whoami"], ["rules"]]:
            p = run(binary, cmd + ["--no-such-option"], env)
            check(p.returncode == 64, f"{' '.join(cmd)} --no-such-option: 64 (got {p.returncode})",
                  p.stderr[-200:])
        for cmd in CONFIG_COMMANDS:
            for what, path in (("a missing file", os.path.join(work, "nope.conf")),
                               ("a folder", work), ("an unknown key", bad_key)):
                p = run(binary, cmd + ["--config", path], env)
                check(p.returncode == 78 and "iam-audit" in p.stderr,
                      f"{' '.join(cmd)} --config {what}: 78 (got {p.returncode})",
                      p.stderr[-300:])
        # A database another run holds: 75 at once, from every command that writes it.
        open(db, "a").close()
        with open(db + ".lock", "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            for cmd in WRITERS:
                p = run(binary, cmd + ["--config", good], env)
                check(p.returncode == 75, f"{cmd[0]} on a held database: 75 (got {p.returncode})",
                      p.stderr[-300:])
    return finish()


if __name__ == "__main__":
    sys.exit(main())
