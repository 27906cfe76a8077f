#!/usr/bin/env python3
"""Requests iam-audit made, next to the minimum the collected data allows (bench/calls.sh).

    calls_report.py DB PROXY_STATS_JSON [--server moto|aws]

Reads the latest run of DB (runs.api_calls, accounts.api_calls and the collected rows) and
the counting proxy's per-action totals, computes the minimum from the data (the formula is
in docs/performance.md, "Minimum calls") and prints two tables: per action and per account.
--server moto (bench/calls.sh) compares with what moto's paging allows (GAAD in one page,
an extra empty page after an exact multiple of 1000); the AWS minimum is printed alongside.
Exit status 0 whatever the figures (benchmarks print, they do not assert).
"""
import json
import math
import sqlite3
import sys

PAGE = 1000  # MaxItems iam-audit asks for; the largest IAM allows


def pages(n):
    return max(1, math.ceil(n / PAGE))


def moto_pages(n):
    """moto 5.2.1 pages ListRoles and ListVirtualMFADevices at MaxItems but ends a listing
    that is an exact multiple of the page size with an extra empty page (docs/moto.md)."""
    return pages(n) + (1 if n and n % PAGE == 0 else 0)


def one(db, sql, *args):
    return db.execute(sql, args).fetchone()[0]


def minimum_per_account(db, run, acct, server="aws"):
    q = lambda t: one(db, f"SELECT count(*) FROM {t} WHERE run_id=? AND account_id=?", run, acct)
    users, groups, roles, policies = q("users"), q("groups"), q("roles"), q("policies")
    vmfa = one(db, "SELECT count(*) FROM mfa_devices WHERE run_id=? AND account_id=? "
               "AND kind='virtual'", run, acct)
    # Users the credential report could not speak for (absent, an older namesake, an
    # untrusted row): read directly with four calls each, plus one per key.
    direct = one(db, "SELECT count(*) FROM users WHERE run_id=? AND account_id=? AND "
                 "credentials_source='direct'", run, acct)
    direct_keys = one(db, """SELECT count(*) FROM access_keys k JOIN users u ON
        u.run_id=k.run_id AND u.account_id=k.account_id AND u.user_name=k.user_name
        WHERE k.run_id=? AND k.account_id=? AND u.credentials_source='direct'""", run, acct)
    # GetAccountSummary's MFADevicesInUse equals the users' devices of every kind collected;
    # when that is more than their assigned virtual devices, some devices are hardware or
    # FIDO, seen only per user, and every MFA user of the report is asked.
    user_devs = one(db, "SELECT count(*) FROM mfa_devices WHERE run_id=? AND account_id=? AND "
                    "user_name IS NOT NULL AND user_name <> '<root_account>'", run, acct)
    user_vdevs = one(db, "SELECT count(*) FROM mfa_devices WHERE run_id=? AND account_id=? AND "
                     "user_name IS NOT NULL AND user_name <> '<root_account>' AND "
                     "kind='virtual'", run, acct)
    hidden = "" if user_devs != user_vdevs else """AND NOT EXISTS (SELECT 1 FROM mfa_devices m
        WHERE m.run_id=c.run_id AND m.account_id=c.account_id AND m.user_name=c.user AND
        m.kind='virtual')"""
    report_user = """FROM credential_report c JOIN users u ON u.run_id=c.run_id AND
        u.account_id=c.account_id AND u.arn=c.arn AND u.credentials_source='report'
        WHERE c.run_id=? AND c.account_id=?"""
    mfa_gap = one(db, f"SELECT count(*) {report_user} AND lower(c.mfa_active)='true' {hidden}",
                  run, acct)
    key_users = one(db, f"""SELECT count(*) {report_user} AND (lower(c.access_key_1_active)='true'
        OR lower(c.access_key_2_active)='true' OR c.access_key_1_last_rotated GLOB '[0-9]*'
        OR c.access_key_2_last_rotated GLOB '[0-9]*')""", run, acct)
    return {
        "GenerateCredentialReport": 1,
        "GetCredentialReport": 1,
        "ListAccountAliases": 1,
        "GetAccountPasswordPolicy": 1,
        "GetAccountSummary": 1,
        # moto ignores MaxItems/Marker on GAAD: one page whatever the size
        "GetAccountAuthorizationDetails": 1 if server == "moto" else
        pages(users + groups + roles + policies),
        "ListRoles": moto_pages(roles) if server == "moto" else pages(roles),
        "ListVirtualMFADevices": moto_pages(vmfa) if server == "moto" else pages(vmfa),
        "ListMFADevices": mfa_gap + direct,
        "ListAccessKeys": key_users + direct,
        "GetLoginProfile": direct,
        "GetUser": direct,
        "GetAccessKeyLastUsed": direct_keys,
    }, {"users": users, "roles": roles, "vmfa": vmfa, "key_users": key_users}


def main():
    db = sqlite3.connect(sys.argv[1])
    stats = json.load(open(sys.argv[2])) if len(sys.argv) > 2 else {}
    server = sys.argv[4] if len(sys.argv) > 4 and sys.argv[3] == "--server" else "aws"
    run, run_calls = db.execute("SELECT id, api_calls FROM runs ORDER BY id DESC LIMIT 1").fetchone()
    accts = db.execute("SELECT account_id, name, api_calls, status FROM accounts WHERE run_id=? "
                       "ORDER BY is_base DESC, account_id", (run,)).fetchall()
    ok = [a for a in accts if a[3] == "ok"]
    managed = one(db, "SELECT count(*) FROM managed_policies WHERE run_id=?", run)

    per_action = {"GetCallerIdentity": 1, "AssumeRole": len(accts),
                  "GetPolicy": managed, "GetPolicyVersion": managed}
    per_action_aws = dict(per_action)
    print("Per account (accounts.api_calls counts the calls made with the account's own "
          "credentials; AssumeRole and the run's GetCallerIdentity are counted per action below)")
    print(f"{'account':<14} {'name':<12} {'users':>6} {'roles':>6} {'vMFA':>5} {'keyusr':>6} "
          f"{'calls':>7} {'minimum':>7} {'excess':>7}")
    tot_calls = tot_min = 0
    for acct, name, calls, status in accts:
        m, facts = minimum_per_account(db, run, acct, server)
        for k, v in m.items():
            per_action[k] = per_action.get(k, 0) + v
        for k, v in minimum_per_account(db, run, acct, "aws")[0].items():
            per_action_aws[k] = per_action_aws.get(k, 0) + v
        mn = sum(m.values())
        tot_calls += calls
        tot_min += mn
        print(f"{acct:<14} {name[:12]:<12} {facts['users']:>6} {facts['roles']:>6} "
              f"{facts['vmfa']:>5} {facts['key_users']:>6} {calls:>7} {mn:>7} {calls - mn:>+7}"
              + ("" if status == "ok" else f"  ({status})"))
    tot_min += 2 * managed
    print(f"{'+ GetPolicy/GetPolicyVersion':<47} {'':>6} {'':>7} {2 * managed:>7}   "
          f"({managed} distinct AWS-managed policies, fetched by whichever account meets them "
          "first: the per-account excess above includes that share)")
    print(f"{'all accounts':<27} {'':>6} {'':>6} {'':>5} {'':>6} {tot_calls:>7} {tot_min:>7} "
          f"{tot_calls - tot_min:>+7}")
    print()
    print("Per action (requests counted by the proxy)")
    print(f"{'action':<32} {'requests':>8} {'minimum':>8} {'excess':>8} {'AWS min':>8}")
    total_req = total_min = total_aws = 0
    for action in sorted(set(per_action) | set(stats)):
        got, mn = stats.get(action, 0), per_action.get(action, 0)
        aws = per_action_aws.get(action, 0)
        total_req += got
        total_min += mn
        total_aws += aws
        flag = "" if got == mn else ("  <- above the minimum" if got > mn else "  (below?)")
        print(f"{action:<32} {got:>8} {mn:>8} {got - mn:>+8} {aws:>8}{flag}")
    print(f"{'total':<32} {total_req:>8} {total_min:>8} {total_req - total_min:>+8} {total_aws:>8}")
    if server == "moto":
        print("minimum: what this server's paging allows (moto: GAAD in one page; an extra "
              "empty page after an exact multiple of 1000); AWS min: the same data on AWS")
    print()
    print(f"runs.api_calls = {run_calls} (sum of accounts.api_calls = "
          f"{sum(a[2] for a in accts)}; the proxy saw {total_req}, i.e. "
          f"{total_req - run_calls} caller-identity calls: 1 GetCallerIdentity + "
          f"{stats.get('AssumeRole', 0)} AssumeRole)")
    ratio = total_req / total_min if total_min else float("nan")
    print(f"goal: requests == minimum -> {'MET' if total_req == total_min else 'NOT MET'} "
          f"({total_req} vs {total_min}, {ratio:.3f}x, {len(ok)}/{len(accts)} accounts ok)")


if __name__ == "__main__":
    sys.exit(main())
