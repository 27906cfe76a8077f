#!/usr/bin/env python3
"""docs/rules.md, `iam-audit rules` and the rule table (analyser/rules.c) agree.

`iam-audit rules` prints the table itself, so comparing the binary's output with the docs
compares the table too. Checked: the same ids in the same order in the severity table, in the
per-rule sections (### id) and in the Contents list; the same default severity and family in
the severity table; each section's Severity line starts with the default severity (or names
it, for rules whose default is a case: "high when ... ; medium when ...").

usage: test_rules_docs.py IAM_AUDIT SOURCE_DIR
"""
import re
import subprocess
import sys


def main():
    binary, src = sys.argv[1], sys.argv[2]
    out = subprocess.run([binary, "rules"], capture_output=True, text=True, check=True).stdout
    table = [line.split("\t") for line in out.splitlines()]
    ids = [r[0] for r in table]
    sev = {r[0]: r[1] for r in table}
    fam = {r[0]: r[2] for r in table}
    failures = []

    def check(cond, what):
        if not cond:
            failures.append(what)

    check(len(ids) == len(set(ids)), "rule ids are unique")
    check(all(len(r) == 4 and r[3] for r in table), "every rule has id, severity, family, line")
    doc = open(f"{src}/docs/rules.md", encoding="utf-8").read()

    rows = re.findall(r"^\| \[([a-z0-9-]+)\]\(#\1\) \| (\w+) \| (\w+) \|$", doc, re.M)
    check([r[0] for r in rows] == ids,
          f"severity table lists the rules of `iam-audit rules` in order: {[r[0] for r in rows]}")
    for rid, s, f in rows:
        check(sev.get(rid) == s, f"{rid}: severity table says {s}, iam-audit rules {sev.get(rid)}")
        check(fam.get(rid) == f, f"{rid}: severity table says family {f}, iam-audit rules {fam.get(rid)}")

    sections = re.findall(r"^### ([a-z0-9-]+)\n- \*\*Severity:\*\* ([^\n]*)", doc, re.M)
    check([s[0] for s in sections] == ids,
          f"sections (### id) are the rules in order: {[s[0] for s in sections]}")
    for rid, line in sections:
        first = re.match(r"\**(\w+)", line)
        named = first and first.group(1) == sev.get(rid)
        check(named, f"{rid}: Severity line starts with its default {sev.get(rid)}: {line!r}")

    contents = doc[doc.index("## Contents"):doc.index("## Severity table")]
    listed = re.findall(r"\[([a-z0-9-]+)\]\(#\1\)", contents)
    check(listed[:len(ids)] == ids, f"Contents lists every rule in order: {listed}")

    for f in failures:
        print("FAIL:", f)
    print(f"{len(ids)} rules checked, {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
