#!/usr/bin/env python3
"""Integration: iam-audit collect against a moto estate, checked against boto3's readback.

Starts its own moto_server (with request authentication on) on 127.0.0.1, builds the
`small` estate, runs `iam-audit collect`, and compares what the database holds with what
boto3 reads back from moto: counts and field values. Then: one account whose role cannot
be assumed (a loopback fault proxy answers AccessDenied) gives a partial run and exit 2;
SIGKILL in the middle of a collect leaves a sound database with earlier runs intact and
the killed run not complete, and a rerun completes.

usage: test_collect.py IAM_AUDIT_BINARY [MOTO_PORT_FILE]
With MOTO_PORT_FILE (the ctest fixture's server), that server is used and reset.
"""
import datetime
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile

from harness import build_estate, check, ESTATE, finish, moto, PROXY, PY, stop_moto, tool_env
import time





def secs(ts):
    """AWS/moto time to our stored form (whole seconds, Z)."""
    if ts is None:
        return None
    t = datetime.datetime.fromisoformat(ts.replace("Z", "+00:00"))
    return t.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def run_collect(binary, conf, env, db, extra=()):
    p = subprocess.run([binary, "collect", "--config", conf, "--db", db, "--quiet", *extra],
                       env=env, capture_output=True, text=True, timeout=300)
    return p


def compare(db_path, rb, run_id):
    db = sqlite3.connect(db_path)
    q = lambda sql, *a: db.execute(sql, a).fetchall()
    accts = {a["account_id"]: a for a in rb["accounts"]}
    rows = q("SELECT account_id, status, alias FROM accounts WHERE run_id=?", run_id)
    check(sorted(r[0] for r in rows) == sorted(accts), "accounts collected = accounts in moto")
    for aid, status, alias in rows:
        check(status == "ok", f"account {aid} ok")
        want = accts[aid]["aliases"][0] if accts[aid]["aliases"] else None
        check(alias == want, f"account {aid} alias {alias!r} == {want!r}")

    for aid, a in accts.items():
        # users, field by field
        got = {r[0]: r[1:] for r in q(
            "SELECT user_name, user_id, arn, path, created_at, password_enabled, mfa_active "
            "FROM users WHERE run_id=? AND account_id=?", run_id, aid)}
        want = {u["user_name"]: (u["user_id"], u["arn"], u["path"], secs(u["created_at"]),
                                 1 if u["password_enabled"] else 0, 1 if u["mfa_active"] else 0)
                for u in a["users"]}
        check(got == want, f"{aid}: users identical ({len(got)} vs {len(want)})"
              + ("" if got == want else f"\n  db-only {set(got.items()) - set(want.items())}"
                 f"\n  aws-only {set(want.items()) - set(got.items())}"))
        # group membership
        got = set(q("SELECT user_name, group_name FROM group_members WHERE run_id=? AND account_id=?",
                    run_id, aid))
        want = {(u["user_name"], g) for u in a["users"] for g in u["groups"]}
        check(got == want, f"{aid}: group memberships identical")
        # MFA devices: every device of every user, with its name
        got = set(q("SELECT user_name, serial_number FROM mfa_devices WHERE run_id=? AND account_id=? "
                    "AND user_name IS NOT NULL", run_id, aid))
        want = {(u["user_name"], d["serial_number"]) for u in a["users"] for d in u["mfa_devices"]}
        check(got == want, f"{aid}: MFA devices identical ({len(got)} vs {len(want)})")
        # access keys: ids and status (never secrets)
        got = set(q("SELECT user_name, access_key_id, status, created_at FROM access_keys "
                    "WHERE run_id=? AND account_id=?", run_id, aid))
        want = {(u["user_name"], k["access_key_id"], k["status"], secs(k["created_at"]))
                for u in a["users"] for k in u["access_keys"]}
        check(got == want, f"{aid}: access keys identical ({len(got)} vs {len(want)})")
        # roles
        got = {r[0]: r[1:] for r in q(
            "SELECT role_name, role_id, arn, path, created_at, max_session_duration, description, "
            "last_used_at FROM roles WHERE run_id=? AND account_id=?", run_id, aid)}
        want = {r["role_name"]: (r["role_id"], r["arn"], r["path"], secs(r["created_at"]),
                                 r["max_session_duration"], r["description"],
                                 secs(r["last_used_at"])) for r in a["roles"]}
        # The audit role is used by the collect itself: its last use may move on.
        for d in (got, want):
            for name in list(d):
                if name == "iam-audit":
                    d[name] = d[name][:-1]
        check(got == want, f"{aid}: roles identical ({len(got)} vs {len(want)})"
              + ("" if got == want else f"\n  db {sorted(set(got.items()) - set(want.items()))[:3]}"
                 f"\n  aws {sorted(set(want.items()) - set(got.items()))[:3]}"))
        # trust policies: the stored document is AWS's, and one row per principal
        for r in a["roles"]:
            doc = q("SELECT trust_policy FROM roles WHERE run_id=? AND account_id=? AND role_name=?",
                    run_id, aid, r["role_name"])
            check(doc and json.loads(doc[0][0]) == r["trust_policy"],
                  f"{aid}/{r['role_name']}: trust document identical")
            want = []
            stmts = r["trust_policy"]["Statement"]
            stmts = stmts if isinstance(stmts, list) else [stmts]
            for s in stmts:
                for key in ("Principal", "NotPrincipal"):
                    p = s.get(key)
                    if p is None:
                        continue
                    if p == "*":
                        want.append(("*", "*"))
                        continue
                    for kind, vals in p.items():
                        for v in (vals if isinstance(vals, list) else [vals]):
                            want.append((kind, v))
            got = q("SELECT principal_kind, principal FROM trusts WHERE run_id=? AND account_id=? "
                    "AND role_name=? ORDER BY statement_index, principal_index", run_id, aid,
                    r["role_name"])
            check(sorted(got) == sorted(want), f"{aid}/{r['role_name']}: trust principals")
        # role policies: inline documents and attached ARNs
        got = {(r[0], r[1]): r[2] for r in q(
            "SELECT principal_name, policy_name, document FROM principal_policies WHERE run_id=? "
            "AND account_id=? AND principal_kind='role' AND kind='inline'", run_id, aid)}
        want = {(r["role_name"], n): d for r in a["roles"] for n, d in r["inline_policies"].items()}
        check({k: json.loads(v) for k, v in got.items()} == want, f"{aid}: role inline policies")
        got = set(q("SELECT principal_name, policy_arn FROM principal_policies WHERE run_id=? AND "
                    "account_id=? AND principal_kind='role' AND kind='attached'", run_id, aid))
        want = {(r["role_name"], p["arn"] if isinstance(p, dict) else p)
                for r in a["roles"] for p in r["attached_policies"]}
        check(got == want, f"{aid}: role attached policies")
        # customer-managed policies with their default documents
        got = {r[0]: json.loads(r[1]) for r in q(
            "SELECT arn, document FROM policies WHERE run_id=? AND account_id=?", run_id, aid)}
        want = {p["arn"]: p["document"] for p in a["policies"]}
        check(got == want, f"{aid}: customer-managed policies ({len(got)} vs {len(want)})")
        # password policy
        pp = q("SELECT present, minimum_length FROM password_policies WHERE run_id=? AND account_id=?",
               run_id, aid)
        want = (1, a["password_policy"]["MinimumPasswordLength"]) if a["password_policy"] else (0, None)
        check(pp == [want], f"{aid}: password policy {pp} == {want}")
        # credential report: every row, every column kept
        cr = a["credential_report"]
        n = q("SELECT count(*) FROM credential_report WHERE run_id=? AND account_id=?", run_id, aid)[0][0]
        check(n == len(cr["rows"]), f"{aid}: credential report rows {n} == {len(cr['rows'])}")
    # the public views point at this run
    check(q("SELECT count(*) FROM latest_users")[0][0] ==
          sum(len(a["users"]) for a in accts.values()), "latest_users covers the run")
    check(q("PRAGMA integrity_check")[0][0] == "ok", "integrity_check ok")
    db.close()


def main():
    binary = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory(prefix="ia-collect-") as work:
        moto_pid = os.path.join(work, "moto.pid")
        proxy = None
        try:
            if len(sys.argv) > 2:
                port = open(sys.argv[2]).read().strip()
                moto_pid = None
            else:
                moto("start", "--port-file", os.path.join(work, "moto.port"), "--pid-file",
                     moto_pid, "--auth")
                port = open(os.path.join(work, "moto.port")).read().strip()
            endpoint = f"http://127.0.0.1:{port}"
            build_estate(endpoint, "small", os.path.join(work, "small"))
            conf = os.path.join(work, "small", "iam-audit.conf")
            env = tool_env(os.path.join(work, "small"), endpoint, work)
            db = os.path.join(work, "audit.db")

            # 1. a complete collect, compared with boto3's readback
            p = run_collect(binary, conf, env, db)
            check(p.returncode == 0, f"collect exits 0 (got {p.returncode}: {p.stderr[-500:]})")
            check(oct(os.stat(db).st_mode & 0o777) == "0o600", "database is owner-only")
            rbp = os.path.join(work, "rb.json")
            subprocess.run([PY, os.path.join(ESTATE, "readback.py"), "--endpoint", endpoint,
                            "--manifest", os.path.join(work, "small", "manifest.json"),
                            "--out", rbp], check=True, capture_output=True)
            rb = json.load(open(rbp))
            compare(db, rb, 1)
            for secret in (env["AWS_SECRET_ACCESS_KEY"],):
                blob = open(db, "rb").read() + (open(db + "-wal", "rb").read()
                                               if os.path.exists(db + "-wal") else b"")
                check(secret.encode() not in blob, "the secret key is not in the database")
                check(secret not in p.stderr, "the secret key is not in stderr")

            # 2. one account's role cannot be assumed -> partial, exit 2, others complete
            rules = os.path.join(work, "rules.json")
            json.dump({"rules": [{"action": "AssumeRole", "match": "333333333333", "kind": "xml",
                                  "status": 403, "code": "AccessDenied",
                                  "message": "not authorized to perform sts:AssumeRole"}]},
                      open(rules, "w"))
            pport = os.path.join(work, "proxy.port")
            stats = os.path.join(work, "stats.json")
            inflight = os.path.join(work, "inflight.json")
            conns = os.path.join(work, "conns.json")
            per_key = os.path.join(work, "per_key.json")
            plog = os.path.join(work, "proxy.log")
            proxy = subprocess.Popen([PY, PROXY, "--upstream-port", port, "--rules", rules,
                                      "--port-file", pport, "--stats", stats,
                                      "--inflight", inflight, "--conns", conns,
                                      "--per-key", per_key, "--log", plog])
            for _ in range(100):
                if os.path.exists(pport):
                    break
                time.sleep(0.05)
            penv = dict(env, AWS_ENDPOINT_URL="http://127.0.0.1:" + open(pport).read().strip())
            p = run_collect(binary, conf, penv, db)
            check(p.returncode == 2, f"partial collect exits 2 (got {p.returncode})")
            con = sqlite3.connect(db)
            run = con.execute("SELECT id, status FROM runs ORDER BY id DESC LIMIT 1").fetchone()
            check(run[1] == "partial", f"run {run[0]} is partial")
            rows = con.execute("SELECT account_id, status, error_code, error_message FROM accounts "
                               "WHERE run_id=?", (run[0],)).fetchall()
            for aid, st, code, msg in rows:
                if aid == "333333333333":
                    check(st == "failed" and code == "AccessDenied" and "sts:AssumeRole" in msg,
                          f"failed account records AWS's code and message ({code}: {msg})")
                else:
                    check(st == "ok", f"account {aid} still complete in the partial run")
            check(con.execute("SELECT count(*) FROM users WHERE run_id=? AND account_id='333333333333'",
                              (run[0],)).fetchone()[0] == 0, "no rows for the failed account")
            view = con.execute("SELECT status FROM latest_accounts WHERE account_id='333333333333'"
                               ).fetchone()
            check(view == ("failed",), "latest_accounts shows the failed account")
            con.close()

            # 2b. One account's reads run concurrently (issue 16), over its share of the run's
            # c x min(c, 8) connections, never more than 8: every assumed-role session (one
            # per team account) had 2 to 8 requests in flight at once at 100 ms a request
            # with --concurrency 3, and exactly 1 with --concurrency 1.
            json.dump({"delay_ms": 100, "rules": []}, open(rules, "w"))
            def new_peaks(extra):
                seen = set(json.load(open(inflight))) if os.path.exists(inflight) else set()
                p = run_collect(binary, conf, penv, db, extra)
                check(p.returncode == 0, f"collect {extra} exits 0 ({p.returncode}: {p.stderr[-300:]})")
                return {k: v for k, v in json.load(open(inflight)).items()
                        if k not in seen and k not in ("-", env["AWS_ACCESS_KEY_ID"])}
            peaks = new_peaks(("--concurrency", "3"))
            check(len(peaks) >= 2, f"the team accounts' sessions were seen ({peaks})")
            check(all(2 <= v <= 8 for v in peaks.values()),
                  f"each account read over 2-8 connections at once with --concurrency 3 ({peaks})")
            json.dump({"delay_ms": 20, "rules": []}, open(rules, "w"))
            peaks = new_peaks(("--concurrency", "1"))
            check(len(peaks) >= 2 and all(v == 1 for v in peaks.values()),
                  f"--concurrency 1 reads each account over one connection ({peaks})")

            # 2c. An account's helper connections are kept open for the next account, not
            # opened again for each: with --concurrency 2 and more accounts than workers, a
            # connection that never carried the caller's own key (so not a worker's, which
            # is reused for AssumeRole) carries the sessions of two accounts or more.
            before = len(json.load(open(conns))) if os.path.exists(conns) else 0
            p = run_collect(binary, conf, penv, db, ("--concurrency", "2"))
            check(p.returncode == 0, f"collect --concurrency 2 exits 0 ({p.returncode})")
            opened = json.load(open(conns))[before:]
            caller_key = env["AWS_ACCESS_KEY_ID"]
            helpers = [k for k in opened if k and caller_key not in k]
            check(any(len(k) >= 2 for k in helpers),
                  f"a helper connection is reused by a later account ({opened})")
            check(len([k for k in opened if k]) <= 1 + 2 * 8,
                  f"at most 1 + 2 x 8 connections with --concurrency 2 ({len(opened)})")

            # 2d. A batch takes the connections another account gives back while it runs,
            # not only at its start. --concurrency 2 (a budget of 2 x 2 connections), the base
            # account and one team account: the team account's AssumeRole is held 1 s, so it
            # is still running when the base account's per-user reads start (on a share below
            # 4: 2 each, or 3 by weight, see 2e) and done before the first of them ends (1.5 s
            # each here); they then grow to 4 in flight.
            json.dump({"delay_ms": 20, "rules": [
                {"action": "AssumeRole", "match": "222222222222", "kind": "stall",
                 "stall_ms": 1000},
                {"action": "ListAccessKeys", "kind": "stall", "stall_ms": 1500}]},
                open(rules, "w"))
            peaks = new_peaks(("--concurrency", "2", "--account", "111111111111",
                               "--account", "222222222222"))
            lak = {k: v.get("ListAccessKeys", 0) for k, v in json.load(open(per_key)).items()
                   if k in peaks}
            base_key = max(lak, key=lak.get) if lak else None
            check(len(peaks) == 2 and base_key and lak[base_key] >= 6,
                  f"two sessions; the base account's made the ListAccessKeys calls ({lak})")
            check(base_key and peaks[base_key] == 4,
                  f"the base account's per-user reads grew to 4 connections ({peaks}, base "
                  f"{base_key})")

            # 2e. Accounts in progress share the budget in proportion to their expected work
            # (1 + the users of the first GAAD page), not equally: --concurrency 4 (a budget
            # of 4 x 4), the three team accounts held in AssumeRole for 3 s, so all four
            # accounts are in progress while the base account's 7 slow per-user reads run:
            # an equal share would be 4 connections; the base account's weight gives it
            # more (at most 8), the team accounts keep at least 4.
            json.dump({"delay_ms": 20, "rules": [
                {"action": "AssumeRole", "match": acct, "kind": "stall", "stall_ms": 3000}
                for acct in ("222222222222", "333333333333", "044444444444")] + [
                {"action": "ListAccessKeys", "kind": "stall", "stall_ms": 400}]},
                open(rules, "w"))
            peaks = new_peaks(("--concurrency", "4"))
            lak = {k: v.get("ListAccessKeys", 0) for k, v in json.load(open(per_key)).items()
                   if k in peaks}
            base_key = max(lak, key=lak.get) if lak else None
            check(len(peaks) == 4 and base_key and lak[base_key] >= 6,
                  f"four sessions; the base account's made the ListAccessKeys calls ({lak})")
            check(base_key and 5 <= peaks[base_key] <= 8,
                  f"the base account had 5 to 8 requests in flight while the team accounts "
                  f"were in progress ({peaks}, base {base_key})")

            # 2f. Each read starts as soon as what it needs is in, not after every bulk read:
            # the credential report exists (step 1 generated it), so GenerateCredentialReport
            # says COMPLETE and GetCredentialReport follows at once; the per-user reads need
            # the report, GAAD, the virtual MFA devices and the summary, not ListRoles. With
            # ListRoles held 2 s, the base account's GetCredentialReport and ListAccessKeys
            # calls end before its ListRoles does; the calls are the same as ever.
            json.dump({"delay_ms": 20, "rules": [
                {"action": "ListRoles", "kind": "stall", "stall_ms": 2000}]}, open(rules, "w"))
            open(plog, "w").close()
            stats_before = json.load(open(stats))
            peaks = new_peaks(("--concurrency", "4"))
            log = [json.loads(line) for line in open(plog)]
            lak = [e for e in log if e["action"] == "ListAccessKeys"]
            base_key = max({e["key"] for e in lak}, key=lambda k: sum(e["key"] == k for e in lak))
            mine = {e["action"]: e for e in log if e["key"] == base_key}
            roles_end = max(e["end"] for e in log if e["key"] == base_key
                            and e["action"] == "ListRoles")
            check(mine["GetCredentialReport"]["end"] < roles_end and
                  max(e["end"] for e in lak if e["key"] == base_key) < roles_end,
                  f"the base account's report and per-user reads ended before its ListRoles "
                  f"({sorted((e['start'], e['action']) for e in log if e['key'] == base_key)})")
            stats_now = json.load(open(stats))
            check(stats_now.get("GetCredentialReport", 0) - stats_before.get("GetCredentialReport", 0)
                  == stats_now.get("GenerateCredentialReport", 0)
                  - stats_before.get("GenerateCredentialReport", 0) == len(peaks),
                  "one GenerateCredentialReport and one GetCredentialReport per account")

            # 3. SIGKILL mid-collect: sound database, earlier runs intact, killed run not complete
            # two collects on one database: the second refuses at once, the first completes
            # (200 ms a call: an account's reads run concurrently, so the first collect must
            # be slowed down to be still running when the second starts)
            json.dump({"delay_ms": 200, "rules": []}, open(rules, "w"))
            a = subprocess.Popen([binary, "collect", "--config", conf, "--db", db, "--quiet"],
                                 env=penv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                 text=True)
            time.sleep(0.5)
            t0 = time.time()
            b = run_collect(binary, conf, penv, db)
            check(b.returncode == 75 and "another iam-audit run" in b.stderr,
                  f"a second concurrent collect exits 75 ({b.returncode}: {b.stderr[-300:]})")
            check(time.time() - t0 < 5, "the second collect refuses at once")
            check(a.wait(timeout=300) == 0, "the first collect completes")
            con = sqlite3.connect(db)
            check(con.execute("SELECT status FROM runs ORDER BY id DESC LIMIT 1").fetchone()[0]
                  == "complete", "the first collect's run is complete")
            before = con.execute("SELECT count(*) FROM users WHERE run_id=1").fetchone()[0]
            con.close()
            json.dump({"delay_ms": 40, "rules": []}, open(rules, "w"))
            def calls_so_far():
                try:
                    return sum(json.load(open(stats)).values())
                except (OSError, ValueError):
                    return 0
            # SIGKILL after the Nth API call of the run (the proxy counts them).
            for nth in (2, 8, 16, 24, 32):
                base = calls_so_far()
                c0 = sqlite3.connect(db)
                last_before = c0.execute("SELECT max(id) FROM runs").fetchone()[0]
                c0.close()
                k = subprocess.Popen([binary, "collect", "--config", conf, "--db", db, "--quiet"],
                                     env=penv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                deadline = time.time() + 60
                while calls_so_far() < base + nth and k.poll() is None and time.time() < deadline:
                    time.sleep(0.005)
                killed = k.poll() is None
                k.send_signal(signal.SIGKILL)
                k.wait()
                check(killed, f"collect was still running at call {nth} (so the kill tests something)")
                kill_after = f"call {nth}"
                con = sqlite3.connect(db)
                check(con.execute("PRAGMA integrity_check").fetchone()[0] == "ok",
                      f"integrity_check ok after SIGKILL at {kill_after}")
                new = [r[0] for r in con.execute("SELECT status FROM runs WHERE id > ?",
                                                 (last_before,))]
                check("complete" not in new, f"killed run is not complete (statuses {new})")
                check(con.execute("SELECT count(*) FROM users WHERE run_id=1").fetchone()[0] == before,
                      "run 1 intact after SIGKILL")
                ok_accounts = con.execute(
                    "SELECT a.account_id FROM accounts a JOIN runs r ON r.id=a.run_id "
                    "WHERE r.id=(SELECT max(id) FROM runs) AND a.status='ok'").fetchall()
                for (aid,) in ok_accounts:  # an account marked ok is whole
                    n = con.execute("SELECT count(*) FROM roles WHERE run_id=(SELECT max(id) FROM runs) "
                                    "AND account_id=?", (aid,)).fetchone()[0]
                    check(n > 0, f"ok account {aid} in the killed run has its rows")
                con.close()
            p = run_collect(binary, conf, env, db)
            check(p.returncode == 0, "a rerun after the kills completes")
            con = sqlite3.connect(db)
            check(con.execute("SELECT count(*) FROM runs WHERE status='running'").fetchone()[0] == 0,
                  "interrupted runs are marked failed by the next collect")
            last = con.execute("SELECT max(id) FROM runs").fetchone()[0]
            con.close()
            compare(db, rb, last)

            # 4. The runbook's fix for a failed account (issue 19.3): `collect --account ID`
            # carries every other account forward, so the latest run is the whole estate.
            json.dump({"rules": [{"action": "AssumeRole", "match": "333333333333", "kind": "xml",
                                  "status": 403, "code": "AccessDenied", "message": "denied"}]},
                      open(rules, "w"))
            p = run_collect(binary, conf, penv, db)
            check(p.returncode == 2, f"partial collect before the fix: 2 ({p.returncode})")
            con = sqlite3.connect(db)
            partial = con.execute("SELECT max(id) FROM runs").fetchone()[0]
            con.close()
            p = run_collect(binary, conf, env, db, ("--account", "333333333333"))
            check(p.returncode == 0 and "carried forward from run" in p.stderr,
                  f"collect --account of the failed account: 0 ({p.returncode}: {p.stderr[-300:]})")
            con = sqlite3.connect(db)
            one = con.execute("SELECT max(id) FROM runs").fetchone()[0]
            check(con.execute("SELECT status FROM runs WHERE id=?", (one,)).fetchone()[0] ==
                  "complete", "the --account run is complete")
            check(con.execute("SELECT run_id FROM latest_run").fetchone()[0] == one,
                  "it is the latest snapshot")
            got = dict(con.execute("SELECT account_id, data_run_id FROM latest_accounts JOIN "
                                   "accounts USING (run_id, account_id)").fetchall())
            check(sorted(got) == sorted(a["account_id"] for a in rb["accounts"]),
                  f"the latest snapshot holds every account, not only the one collected: {got}")
            check(got.get("333333333333", 0) is None and
                  all(v == partial for k, v in got.items() if k != "333333333333"),
                  f"each account records the run its data comes from: {got}")
            for table in ("users", "roles", "trusts", "access_keys", "mfa_devices",
                          "credential_report", "principal_policies", "groups"):
                a_ = con.execute(f"SELECT count(*) FROM {table} WHERE run_id=? AND account_id <> "
                                 "'333333333333'", (partial,)).fetchone()[0]
                b_ = con.execute(f"SELECT count(*) FROM {table} WHERE run_id=? AND account_id <> "
                                 "'333333333333'", (one,)).fetchone()[0]
                check(a_ == b_, f"{table}: carried rows {b_} == {a_}")
            at = con.execute("SELECT a.collected_at = b.collected_at FROM accounts a JOIN "
                             "accounts b ON a.account_id = b.account_id WHERE a.run_id=? AND "
                             "b.run_id=? AND a.account_id='222222222222'", (partial, one)).fetchone()
            check(at == (1,), "a carried account keeps when it was read")
            con.close()
            compare(db, rb, one)
            # Carrying forward a failed account makes the run partial (exit 2), not complete.
            p = run_collect(binary, conf, penv, db)
            check(p.returncode == 2, "partial again")
            p = run_collect(binary, conf, env, db, ("--account", "222222222222"))
            con = sqlite3.connect(db)
            last = con.execute("SELECT id, status FROM runs ORDER BY id DESC LIMIT 1").fetchone()
            st = con.execute("SELECT status FROM accounts WHERE run_id=? AND account_id="
                             "'333333333333'", (last[0],)).fetchone()
            con.close()
            check(p.returncode == 2 and last[1] == "partial" and st == ("failed",),
                  f"a carried failed account keeps the run partial ({p.returncode}, {last}, {st})")
        finally:
            if proxy:
                proxy.kill()
                proxy.wait()
            stop_moto(moto_pid)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
