#!/usr/bin/env python3
"""The nightly wrapper (cron/iam-audit-nightly): exit code passed on, on-failure command
run with the code and log, log retention, and flock refusing an overlapping run.
A stand-in for the binary (IAM_AUDIT) exits with a chosen code, so every code is covered.

usage: test_cron.py
"""
import os
import subprocess
import sys
import tempfile

from harness import check, finish, ROOT
import time

WRAPPER = os.path.join(ROOT, "cron", "iam-audit-nightly")



def main():
    with tempfile.TemporaryDirectory(prefix="ia-cron-") as work:
        fake = os.path.join(work, "fake-iam-audit")
        with open(fake, "w") as f:
            f.write("#!/bin/sh\necho \"fake run $*\"\nsleep \"${FAKE_SLEEP:-0}\"\n"
                    "exit \"${FAKE_RC:-0}\"\n")
        os.chmod(fake, 0o755)
        logs = os.path.join(work, "logs")
        marker = os.path.join(work, "failed.txt")
        conf = os.path.join(work, "c.conf")
        open(conf, "w").write("[audit]\nbase_account = 111111111111\n")
        for code in (0, 1, 2, 3, 78):
            env = dict(os.environ, IAM_AUDIT=fake, FAKE_RC=str(code))
            if os.path.exists(marker):
                os.remove(marker)
            p = subprocess.run([WRAPPER, "--config", conf, "--log-dir", logs, "--keep-logs", "3",
                                "--on-failure", f"echo \"$1 $2\" > {marker}"],
                               env=env, capture_output=True, text=True)
            check(p.returncode == code, f"wrapper passes exit {code} on (got {p.returncode})")
            if code:
                got = open(marker).read().split() if os.path.exists(marker) else []
                check(got[:1] == [str(code)] and got[1].startswith(logs),
                      f"on-failure command gets the code and log for {code}: {got}")
            else:
                check(not os.path.exists(marker), "no on-failure command on success")
            time.sleep(1.1)  # log names carry the second
        names = sorted(n for n in os.listdir(logs) if n.endswith(".log"))
        check(len(names) == 3, f"only the newest 3 logs are kept ({len(names)})")
        check(all(oct(os.stat(os.path.join(logs, n)).st_mode & 0o777) == "0o600" for n in names),
              "logs are owner-only")
        newest = open(os.path.join(logs, names[-1])).read()
        check("fake run run --config" in newest and "exit 78" in newest, "the log holds the run")
        # an overlapping run is refused by flock with 75
        env = dict(os.environ, IAM_AUDIT=fake, FAKE_SLEEP="3")
        a = subprocess.Popen([WRAPPER, "--config", conf, "--log-dir", logs], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1)
        b = subprocess.run([WRAPPER, "--config", conf, "--log-dir", logs], env=env,
                           capture_output=True, text=True)
        check(b.returncode == 75 and "still going" in b.stderr, f"overlap refused ({b.returncode})")
        check(a.wait() == 0, "the first run finishes normally")
        # on_failure from the config when no option is given
        open(conf, "a").write(f"on_failure = echo cfg > {marker}\n")
        env = dict(os.environ, IAM_AUDIT=fake, FAKE_RC="2")
        p = subprocess.run([WRAPPER, "--config", conf, "--log-dir", logs], env=env,
                           capture_output=True, text=True)
        check(p.returncode == 2 and open(marker).read().split()[:2] == ["cfg", "2"],
              "[audit] on_failure from the config is used")
    return finish()


if __name__ == "__main__":
    sys.exit(main())
