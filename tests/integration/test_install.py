#!/usr/bin/env python3
"""Installed, not just built (issue 19.7): `cmake --install --prefix P` into a temporary
prefix; the installed binary's demo finds its estate tooling under P/share/iam-audit/demo
(not the source tree) and runs to the end; the installed systemd unit, crontab example and man
page name P's paths, and the man page names no page that does not exist.

usage: test_install.py BUILD_DIR
"""
import os
import re
import subprocess
import sys
import tempfile

from harness import check, finish


def main():
    build = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory(prefix="ia-install-") as work:
        prefix = os.path.join(work, "prefix")
        p = subprocess.run(["cmake", "--install", build, "--prefix", prefix],
                           capture_output=True, text=True)
        check(p.returncode == 0, f"cmake --install --prefix works ({p.stderr[-300:]})")
        binary = os.path.join(prefix, "bin", "iam-audit")
        estate = os.path.join(prefix, "share", "iam-audit", "demo")
        out = os.path.join(work, "demo")
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("AWS_") and k != "IA_ESTATE_DIR"}
        env["HOME"] = work
        p = subprocess.run([binary, "demo", "--out", out], capture_output=True, text=True,
                           timeout=600, env=env, cwd=work)
        check(p.returncode == 0, f"installed demo exits 0 ({p.returncode}: {p.stderr[-500:]})")
        check(f"(tooling: {estate})" in p.stderr,
              f"the installed demo uses the installed estate tooling: "
              f"{[l for l in p.stderr.splitlines() if 'tooling' in l]}")
        check(os.path.isdir(os.path.join(out, "reports")), "the demo wrote its reports")
        unit = open(os.path.join(prefix, "share", "iam-audit", "systemd",
                                 "iam-audit.service")).read()
        check(f"ExecStart={prefix}/bin/iam-audit-nightly " in unit and "/usr/local" not in unit,
              "the installed unit runs the installed wrapper")
        cron = open(os.path.join(prefix, "share", "iam-audit", "examples",
                                 "crontab.example")).read()
        check(f"{prefix}/bin/iam-audit-nightly" in cron and "/usr/local" not in cron,
              "the installed crontab example names the installed wrapper")
        check(os.access(os.path.join(prefix, "bin", "iam-audit-nightly"), os.X_OK),
              "the wrapper is installed beside the binary")
        man = open(os.path.join(prefix, "share", "man", "man1", "iam-audit.1")).read()
        see = man.split(".SH SEE ALSO", 1)[1]
        for page in re.findall(r"\.BR (\S+) \((\d)\)", see):
            check(page[0] != "iam-audit-nightly", f"SEE ALSO names no missing page: {page}")
        for doc in re.findall(r"([a-z-]+\.md)", see):
            check(os.path.exists(os.path.join(prefix, "share", "doc", "iam-audit", doc)),
                  f"SEE ALSO's {doc} is installed")
        check(f"{prefix}/share/doc/iam-audit" in see, "SEE ALSO names the installed docs folder")
        p = subprocess.run([binary, "run", "--config", os.path.join(work, "none.conf")],
                           capture_output=True, text=True)
        check(p.returncode == 78 and "cron/" not in p.stderr and
              "share/iam-audit/examples" in p.stderr,
              f"a missing config names the installed example, not a source path: {p.stderr!r}")
    return finish()


if __name__ == "__main__":
    sys.exit(main())
