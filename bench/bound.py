#!/usr/bin/env python3
"""The latency bound of one collect run (bench/latency.sh, bench/versus.sh).

    bound.py DB PROXY_STATS_JSON DELAY_MS CONCURRENCY WALL_SECONDS [LABEL]

bound = delay x max(longest dependent chain in one account, total requests / concurrency)

The chain, per account (docs/performance.md, "Latency bound"):
    GetCallerIdentity -> AssumeRole -> max(GAAD pages (+ GetPolicy -> GetPolicyVersion when
    the account attaches an AWS-managed policy), ListRoles pages, ListVirtualMFADevices pages
    (+ 1 when a per-user ListMFADevices follows), GenerateCredentialReport ->
    GetCredentialReport (+ 1 when per-user calls follow), ListAccountAliases,
    GetAccountPasswordPolicy)
Per-user calls are independent of each other, so they add one step, not one per user.

Also printed: the floor of a schedule that runs each account's calls one after another on
one connection (what a worker-per-account collector can reach at best):
    delay x max(largest account's requests + 2, total requests / concurrency)
Prints one table row; exit 0.
"""
import json
import math
import sqlite3
import sys

PAGE = 1000


def pages(n):
    return max(1, math.ceil(n / PAGE))


def main():
    db = sqlite3.connect(sys.argv[1])
    stats = json.load(open(sys.argv[2]))
    delay = float(sys.argv[3]) / 1000.0
    conc = int(sys.argv[4])
    wall = float(sys.argv[5])
    label = sys.argv[6] if len(sys.argv) > 6 else ""
    run = db.execute("SELECT id FROM runs ORDER BY id DESC LIMIT 1").fetchone()[0]
    total = sum(stats.values())
    longest, biggest = 0, 0
    for acct, calls in db.execute("SELECT account_id, api_calls FROM accounts WHERE run_id=?",
                                  (run,)).fetchall():
        c = lambda sql: db.execute(sql, (run, acct)).fetchone()[0]
        users = c("SELECT count(*) FROM users WHERE run_id=? AND account_id=?")
        roles = c("SELECT count(*) FROM roles WHERE run_id=? AND account_id=?")
        groups = c("SELECT count(*) FROM groups WHERE run_id=? AND account_id=?")
        pols = c("SELECT count(*) FROM policies WHERE run_id=? AND account_id=?")
        vmfa = c("SELECT count(*) FROM mfa_devices WHERE run_id=? AND account_id=? "
                 "AND kind='virtual'")
        gap = c("SELECT count(*) FROM mfa_devices WHERE run_id=? AND account_id=? "
                "AND kind<>'virtual'")
        keys = c("SELECT count(*) FROM access_keys WHERE run_id=? AND account_id=?")
        aws_managed = c("SELECT count(*) FROM principal_policies WHERE run_id=? AND "
                        "account_id=? AND policy_arn LIKE 'arn:%:iam::aws:policy/%'")
        chain = 2 + max(pages(users + groups + roles + pols) + (2 if aws_managed else 0),
                        pages(roles), pages(vmfa) + (1 if gap else 0),
                        2 + (1 if keys or gap else 0), 1, 1)
        longest = max(longest, chain)
        biggest = max(biggest, calls + 2)
    bound = delay * max(longest, total / conc)
    serial = delay * max(biggest, total / conc)
    ratio = wall / bound if bound else float("nan")
    print(f"{label:<10} {total:>8} {longest:>6} {total / conc:>9.1f} {bound:>8.2f} "
          f"{serial:>9.2f} {wall:>8.2f} {ratio:>7.2f}x {'MET' if ratio <= 1.25 else 'NOT MET'}")


def header():
    print(f"{'estate':<10} {'requests':>8} {'chain':>6} {'req/conc':>9} {'bound s':>8} "
          f"{'serial s':>9} {'wall s':>8} {'ratio':>8} goal(<=1.25x)")


if __name__ == "__main__":
    if len(sys.argv) == 2 and sys.argv[1] == "--header":
        header()
        sys.exit(0)
    sys.exit(main())
