#!/usr/bin/env python3
"""The nightly wrapper (cron/iam-audit-nightly): exit code passed on, a one-line summary on
stderr for every failure, the on-failure command run with its data in the environment, log
retention and one log per run, flock refusing an overlapping run, option validation, the
binary found beside the wrapper under cron's PATH, and [audit] on_failure read with
iam-audit's own parser from [audit] only (issues 19.4 and 12.16).
A stand-in for the binary exits with a chosen code (its `config` subcommand is the real
iam-audit's), so every code is covered.

usage: test_cron.py IAM_AUDIT_BINARY
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time

from harness import check, finish, ROOT

WRAPPER = os.path.join(ROOT, "cron", "iam-audit-nightly")


def main():
    real = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory(prefix="ia-cron-") as work:
        fake = os.path.join(work, "fake-iam-audit")
        with open(fake, "w") as f:
            f.write(f"#!/bin/sh\nif [ \"$1\" = config ]; then exec {real} \"$@\"; fi\n"
                    "echo \"fake run $*\"\nsleep \"${FAKE_SLEEP:-0}\"\n"
                    "[ -n \"${FAKE_FAILED:-}\" ] && echo \"iam-audit collect: $FAKE_FAILED "
                    "account(s) failed; see: ...\" >&2\n"
                    "exit \"${FAKE_RC:-0}\"\n")
        os.chmod(fake, 0o755)
        logs = os.path.join(work, "logs")
        marker = os.path.join(work, "failed.txt")
        conf = os.path.join(work, "c.conf")
        open(conf, "w").write("[audit]\nbase_account = 111111111111\n")
        onf = f"echo \"$# $IA_EXIT_CODE $IA_LOG $IA_FAILED_ACCOUNTS\" > {marker}"
        for code in (0, 1, 2, 3, 78):
            env = dict(os.environ, IAM_AUDIT=fake, FAKE_RC=str(code))
            if code == 2:
                env["FAKE_FAILED"] = "1"
            if os.path.exists(marker):
                os.remove(marker)
            p = subprocess.run([WRAPPER, "--config", conf, "--log-dir", logs, "--keep-logs", "3",
                                "--on-failure", onf], env=env, capture_output=True, text=True)
            check(p.returncode == code, f"wrapper passes exit {code} on (got {p.returncode})")
            if code:
                got = open(marker).read().split() if os.path.exists(marker) else []
                check(got[:2] == ["0", str(code)] and got[2].startswith(logs),
                      f"on-failure gets no arguments, the code and log in IA_* for {code}: {got}")
                check(p.stderr.count("\n") == 1 and f"exit {code}" in p.stderr and
                      logs in p.stderr, f"one summary line on stderr for {code}: {p.stderr!r}")
                if code == 2:
                    check("1 account(s) failed" in p.stderr and got[3:5] == ["1", "account(s)"],
                          f"the summary names the failed accounts: {p.stderr!r} {got}")
            else:
                check(not os.path.exists(marker) and p.stderr == "",
                      "no on-failure command and nothing on stderr on success")
        names = sorted(n for n in os.listdir(logs) if n.endswith(".log"))
        check(len(names) == 3, f"only the newest 3 logs are kept ({len(names)})")
        check(all(oct(os.stat(os.path.join(logs, n)).st_mode & 0o777) == "0o600" for n in names),
              "logs are owner-only")
        newest = max((os.path.join(logs, n) for n in names), key=os.path.getmtime)
        text = open(newest).read()
        check("fake run run --config" in text and "exit 78" in text, "the log holds the run")
        # two runs in the same second never share a log
        logs2 = os.path.join(work, "logs2")
        env = dict(os.environ, IAM_AUDIT=fake)
        for _ in range(2):
            subprocess.run([WRAPPER, "--config", conf, "--log-dir", logs2], env=env,
                           capture_output=True)
        got = [n for n in os.listdir(logs2) if n.endswith(".log")]
        check(len(got) == 2, f"two quick runs, two logs: {got}")
        # --fail-on is passed on; bad options are refused before anything runs
        p = subprocess.run([WRAPPER, "--config", conf, "--log-dir", logs2, "--fail-on", "high"],
                           env=env, capture_output=True, text=True)
        newest = max((os.path.join(logs2, n) for n in os.listdir(logs2)), key=os.path.getmtime)
        check(p.returncode == 0 and "--fail-on high" in open(newest).read(),
              "--fail-on reaches iam-audit run")
        for bad, what in ((["--keep-logs", "two"], "--keep-logs"), (["--keep-logs"], "--keep-logs"),
                          (["--fail-on", "severe"], "--fail-on"), (["--bogus"], "--bogus")):
            before = len(os.listdir(logs2))
            p = subprocess.run([WRAPPER, "--config", conf, "--log-dir", logs2, *bad], env=env,
                               capture_output=True, text=True)
            check(p.returncode == 64 and what in p.stderr and len(os.listdir(logs2)) == before,
                  f"{bad}: usage error 64 before any run ({p.returncode}: {p.stderr!r})")
        # an overlapping run is refused by flock with 75
        env = dict(os.environ, IAM_AUDIT=fake, FAKE_SLEEP="3")
        a = subprocess.Popen([WRAPPER, "--config", conf, "--log-dir", logs], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1)
        b = subprocess.run([WRAPPER, "--config", conf, "--log-dir", logs], env=env,
                           capture_output=True, text=True)
        check(b.returncode == 75 and "still going" in b.stderr, f"overlap refused ({b.returncode})")
        check(a.wait() == 0, "the first run finishes normally")
        # [audit] on_failure from the config when no option is given
        open(conf, "a").write(f"on_failure = echo cfg $IA_EXIT_CODE > {marker}\n")
        env = dict(os.environ, IAM_AUDIT=fake, FAKE_RC="2")
        p = subprocess.run([WRAPPER, "--config", conf, "--log-dir", logs], env=env,
                           capture_output=True, text=True)
        check(p.returncode == 2 and open(marker).read().split()[:2] == ["cfg", "2"],
              "[audit] on_failure from the config is used")
        # ...from [audit] only: not from another section, not from a continuation line
        os.remove(marker)
        for text in ("[audit]\nbase_account = 111111111111\n\n[account x]\nid = 222222222222\n"
                     f"  on_failure = echo BAD > {marker}\n",
                     "[audit]\nbase_account = 111111111111\nbase_name = gds-users\n"
                     f"  on_failure = echo BAD > {marker}\n"):
            open(conf, "w").write(text)
            p = subprocess.run([WRAPPER, "--config", conf, "--log-dir", logs], env=env,
                               capture_output=True, text=True)
            check(p.returncode == 2 and not os.path.exists(marker),
                  f"an on_failure outside [audit] is never run ({p.returncode}, {text!r})")

        # Installed: the wrapper finds the binary beside it under cron's PATH, and says so
        # on stderr when it fails (cron mails stderr; exit 127 printing nothing mailed nothing).
        inst = os.path.join(work, "prefix", "bin")
        os.makedirs(inst)
        shutil.copy(WRAPPER, inst)
        wrapper = os.path.join(inst, "iam-audit-nightly")
        cron_env = ["env", "-i", "PATH=/usr/bin:/bin", "HOME=" + work]
        p = subprocess.run([*cron_env, wrapper, "--config", conf, "--log-dir", logs],
                           capture_output=True, text=True)
        check(p.returncode == 127 and "cannot find the iam-audit binary" in p.stderr,
              f"no binary: 127 with the fix on stderr ({p.returncode}: {p.stderr!r})")
        shutil.copy(fake, os.path.join(inst, "iam-audit"))
        p = subprocess.run([*cron_env, "FAKE_RC=3", wrapper, "--config", conf, "--log-dir", logs],
                           capture_output=True, text=True)
        check(p.returncode == 3 and "iam-audit-nightly: exit 3 (failed)" in p.stderr and
              "log " + logs in p.stderr,
              f"under env -i PATH=/usr/bin:/bin the failure is printed ({p.returncode}: "
              f"{p.stderr!r})")
    return finish()


if __name__ == "__main__":
    sys.exit(main())
