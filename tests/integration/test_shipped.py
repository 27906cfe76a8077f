#!/usr/bin/env python3
"""The scheduling files iam-audit ships (issue 12 items 14 and 15): the GitHub Actions
example is pinned and least-privilege, the systemd unit is hardened (and, where
systemd-analyze exists, scores at most 2.0 on `systemd-analyze security`).

usage: test_shipped.py
"""
import os
import re
import shutil
import subprocess
import sys

from harness import check, finish, ROOT


def test_github():
    path = os.path.join(ROOT, "cron", "github", "iam-audit.yml")
    text = open(path).read()
    lines = text.splitlines()
    uses = [l.split("uses:", 1)[1].split("#")[0].strip() for l in lines if "uses:" in l
            and not l.lstrip().startswith("#")]
    check(uses, "the workflow uses actions")
    for u in uses:
        check(re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", u),
              f"action pinned by a full commit SHA: {u}")
    containers = [l for l in lines if re.match(r"\s+container:", l)]
    check(containers and all(re.search(r"@sha256:[0-9a-f]{64}\s*$", l) for l in containers),
          f"container pinned by digest: {containers}")
    # Top-level permissions grant nothing; the job alone asks for the OIDC token.
    top = re.search(r"^permissions:(.*?)^\S", text, re.S | re.M)
    check(top is not None and "id-token" not in top.group(0) and "write" not in top.group(0),
          f"no write permission at the workflow level: {top.group(0) if top else None}")
    job = text.split("\njobs:", 1)[1]
    check(re.search(r"^    permissions:\n(      .*\n)*?      id-token: write", job, re.M),
          "id-token: write is on the job")
    code = "\n".join(l for l in lines if not l.lstrip().startswith("#"))
    for banned in ("pip ", "pip3", "make build", "make test", "install-deps", "cmocka",
                   "moto", "python3 -m pip"):
        check(banned not in code, f"the job does not run or install '{banned}'")
    check("-DIA_BUILD_TESTS=OFF" in code, "the build leaves the test suite out")
    days = [int(d) for d in re.findall(r"retention-days:\s*(\d+)", code)]
    check(days and max(days) <= 14, f"artifact retention is short: {days}")
    check("personal data" in text, "the workflow says the artifacts hold personal data")
    doc = open(os.path.join(ROOT, "docs", "credentials.md")).read()
    check("personal data" in doc and "iam-audit.yml" in doc,
          "docs/credentials.md says the uploaded reports hold personal data")


REQUIRED = {
    "LimitCORE": "0", "ProtectClock": "true", "ProtectKernelLogs": "true",
    "ProtectHostname": "true", "RestrictSUIDSGID": "true", "RestrictRealtime": "true",
    "ProtectProc": "invisible", "ProcSubset": "pid", "PrivateUsers": "true",
    "SystemCallErrorNumber": "EPERM", "NoNewPrivileges": "true", "CapabilityBoundingSet": "",
}


def test_systemd():
    path = os.path.join(ROOT, "cron", "systemd", "iam-audit.service")
    keys = {}
    for l in open(path):
        l = l.strip()
        if l and not l.startswith(("#", ";", "[")) and "=" in l:
            k, v = l.split("=", 1)
            keys.setdefault(k.strip(), []).append(v.strip())
    for k, v in REQUIRED.items():
        check(keys.get(k, [None])[-1] == v, f"{k}={v} in the unit (got {keys.get(k)})")
    check("@system-service" in keys.get("SystemCallFilter", []),
          f"SystemCallFilter=@system-service ({keys.get('SystemCallFilter')})")
    sa = shutil.which("systemd-analyze")
    if not sa:
        print("NOTE: systemd-analyze is not installed; the exposure score was not measured")
        return
    p = subprocess.run([sa, "security", "--offline=true", "--no-pager", "--threshold=20", path],
                       capture_output=True, text=True)
    score = re.search(r"Overall exposure level for \S+: ([\d.]+)", p.stdout)
    check(p.returncode == 0 and score and float(score.group(1)) <= 2.0,
          f"systemd-analyze security: exposure {score.group(1) if score else '?'} <= 2.0 "
          f"(rc {p.returncode})")


def main():
    test_github()
    test_systemd()
    return finish()


if __name__ == "__main__":
    sys.exit(main())
