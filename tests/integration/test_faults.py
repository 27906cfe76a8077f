#!/usr/bin/env python3
"""Integration: iam-audit collect survives injected faults with nothing lost (issue 7).

Builds the `small` estate in moto once, runs a fault-free collect through the loopback
fault proxy (tests/tools/faultproxy.py) into a reference database, then for each fault
a fresh proxy (its hit counters start at zero) and a fresh database:

  transient faults (each scheduled a bounded number of times, fewer than max_attempts):
      the run is complete, exit 0, every snapshot table equals the reference row for
      row (run ids, collection times, the credential report's generation time, api
      call/retry counters and the audit principal's own last-used data ignored), the
      run record counts the retries (and throttles, for throttling), and the proxy saw
      exactly the extra requests the schedule implies;
  permanent faults (every matching request, one account):
      exit 2, the run is partial, exactly that account is failed with AWS's error code
      and message, it has no rows, and every other account equals the reference;
  TLS: plain http to a non-loopback endpoint is refused before anything is sent;
  local failures (read-only database path, a database locked by another process with
      BEGIN EXCLUSIVE, a full disk on a small tmpfs): a clear one-line error, a non-zero
      exit, no run recorded as complete, earlier runs intact.

Covered elsewhere:
  - Organizations' TooManyRequestsException (JSON): in integration.run, whose estate has an
    organization for [organization] discover.

usage: test_faults.py IAM_AUDIT_BINARY [MOTO_PORT_FILE]
With MOTO_PORT_FILE (the ctest fixture's server) that server is used (and reset).
Prints "N passed, N failed"; exit 1 if anything failed.
"""
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

from harness import check, DEMO, ESTATE, finish, PROXY, PY, stop_moto
from harness import tool_env as estate_env

AUDIT = "iam-audit"  # the audit user and role: their own last-used data moves every run
MAX_ATTEMPTS = 6
SNAPSHOT_SKIP = {"runs", "analyses", "findings", "access_paths", "sqlite_sequence",
                 "deliveries", "securityhub_findings"}  # written by deliver, not collect
IGNORED_COLUMNS = {"run_id", "collected_at", "api_calls", "retries", "throttles", "generated_at",
                   "first_seen_run", "last_seen_run"}


# ---- the database, table by table ---------------------------------------------------------

def snapshot(path, run_id=None, skip_accounts=(), only_accounts=None):
    """Every snapshot table of one run as sorted rows of (column, value) pairs."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    if run_id is None:
        run_id = db.execute("SELECT max(id) FROM runs").fetchone()[0]
    out = {}
    for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name"
                           ).fetchall():
        if t in SNAPSHOT_SKIP:
            continue
        cols = [r[1] for r in db.execute(f"PRAGMA table_info({t})")]
        keep = [c for c in cols if c not in IGNORED_COLUMNS]
        where, args = ("", ()) if "run_id" not in cols else (" WHERE run_id=?", (run_id,))
        rows = []
        for r in db.execute(f"SELECT {', '.join(keep)} FROM {t}{where}", args):
            d = dict(zip(keep, r))
            acct = d.get("account_id")
            if acct in skip_accounts or (only_accounts is not None and acct is not None
                                         and acct not in only_accounts):
                continue
            if t == "accounts":  # compared separately (status, error)
                d.pop("error_message", None)
            if t == "roles" and d["role_name"] == AUDIT:
                d["last_used_at"] = d["last_used_region"] = None
            if t == "access_keys" and d["user_name"] == AUDIT:
                d["last_used_at"] = d["last_used_service"] = d["last_used_region"] = None
            if t == "credential_report" and d["user"] == AUDIT:
                for k in d:
                    if "last_used" in k:
                        d[k] = None
            rows.append(tuple(sorted(d.items())))
        out[t] = sorted(rows, key=repr)
    db.close()
    return out


def snapshot_diff(got, want):
    msgs = []
    for t in sorted(set(got) | set(want)):
        a, b = got.get(t, []), want.get(t, [])
        if a != b:
            sa, sb = set(a), set(b)
            msgs.append(f"{t}: {len(a)} rows vs {len(b)} in the reference; db-only "
                        f"{sorted(sa - sb, key=repr)[:2]} ref-only {sorted(sb - sa, key=repr)[:2]}")
    return msgs


def run_row(path):
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    db.row_factory = sqlite3.Row
    r = db.execute("SELECT * FROM runs ORDER BY id DESC LIMIT 1").fetchone()
    accts = {a["account_id"]: dict(a) for a in db.execute(
        "SELECT * FROM accounts WHERE run_id=?", (r["id"],))} if r else {}
    db.close()
    return (dict(r) if r else None), accts


def count_rows(path, run_id, account):
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    n = 0
    for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall():
        cols = [r[1] for r in db.execute(f"PRAGMA table_info({t})")]
        if t not in ("accounts", "runs") and "run_id" in cols and "account_id" in cols:
            n += db.execute(f"SELECT count(*) FROM {t} WHERE run_id=? AND account_id=?",
                            (run_id, account)).fetchone()[0]
    db.close()
    return n


def copy_db(src, dst):
    """A consistent copy (the source may be in WAL mode)."""
    a, b = sqlite3.connect(src), sqlite3.connect(dst)
    a.backup(b)
    a.close()
    b.close()


def integrity(path):
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    r = db.execute("PRAGMA integrity_check").fetchone()[0]
    db.close()
    return r


# ---- processes ----------------------------------------------------------------------------

class Proxy:
    """A fresh fault proxy: its per-rule hit counters start at zero."""

    def __init__(self, work, upstream, name, rules):
        self.dir = os.path.join(work, "proxy-" + name)
        os.makedirs(self.dir, exist_ok=True)
        self.rules = os.path.join(self.dir, "rules.json")
        self.stats_path = os.path.join(self.dir, "stats.json")
        with open(self.rules, "w") as f:
            json.dump(rules, f)
        pf = os.path.join(self.dir, "port")
        self.proc = subprocess.Popen([PY, PROXY, "--upstream-port",
                                      str(upstream), "--rules", self.rules, "--stats",
                                      self.stats_path, "--port-file", pf])
        for _ in range(300):
            if os.path.exists(pf):
                break
            time.sleep(0.05)
        self.endpoint = "http://127.0.0.1:" + open(pf).read().strip()

    def stats(self):
        try:
            return json.load(open(self.stats_path))
        except (FileNotFoundError, json.JSONDecodeError):
            return {}

    def stop(self):
        self.proc.kill()
        self.proc.wait()


def tool_env(work, endpoint):
    """The small estate's audit user against endpoint (a proxy or moto)."""
    return estate_env(os.path.join(work, "small"), endpoint, work)


def collect(binary, conf, env, db, timeout=300):
    t0 = time.monotonic()
    p = subprocess.run([binary, "collect", "--config", conf, "--db", db, "--quiet"], env=env,
                       capture_output=True, text=True, timeout=timeout)
    p.elapsed = time.monotonic() - t0
    return p


def test_config(work):
    """The estate's config with fast retries (the schedule stays under max_attempts)."""
    src = open(os.path.join(work, "small", "iam-audit.conf")).read()
    out = src.replace("[audit]\n", f"[audit]\nretry_base_ms = 5\nmax_attempts = {MAX_ATTEMPTS}\n"
                      "request_timeout_s = 3\n", 1)
    assert out != src
    path = os.path.join(work, "faults.conf")
    with open(path, "w") as f:
        f.write(out)
    return path


# ---- the fault schedules ------------------------------------------------------------------

def xml(action, status, code, message, times, match=None):
    r = {"action": action, "kind": "xml", "status": status, "code": code, "message": message,
         "times": times}
    if match:
        r["match"] = match
    return r


def kind(action, k, times, **extra):
    return dict({"action": action, "kind": k, "times": times}, **extra)


# name, rules, counters the run record must show: {"retries": n, "throttles": n} (minimum)
TRANSIENT = [
    ("throttling", [xml("ListRoles", 400, "Throttling", "Rate exceeded", 4),
                    xml("GetAccountAuthorizationDetails", 400, "Throttling", "Rate exceeded", 3),
                    xml("ListAccessKeys", 400, "Throttling", "Rate exceeded", 3)],
     {"retries": 10, "throttles": 10}),
    ("throttling-assumerole", [xml("AssumeRole", 400, "Throttling", "Rate exceeded", 3)],
     {"retries": 3, "throttles": 3}),
    ("http-5xx", [xml("ListRoles", 500, "InternalError", "We encountered an internal error", 2),
                  xml("GetAccountPasswordPolicy", 503, "ServiceUnavailable", "Service unavailable", 3),
                  xml("ListVirtualMFADevices", 502, "BadGateway", "Bad gateway", 2)],
     {"retries": 7}),
    # libcurl itself re-sends a request once when a reused keep-alive connection dies before
    # any byte of the answer, so some resets never reach our retry loop: at least one must.
    ("connection-reset", [kind("ListRoles", "reset", 3), kind("GetCredentialReport", "reset", 2),
                          kind("ListAccessKeys", "reset", 3)],
     {"retries": 1}),
    ("truncated-body", [kind("GetAccountAuthorizationDetails", "truncate", 3),
                        kind("ListRoles", "truncate", 2)],
     {"retries": 5}),
    ("malformed-xml", [kind("GetAccountAuthorizationDetails", "garbage", 3),
                       kind("ListAccountAliases", "garbage", 2)],
     {"retries": 5}),
    # AWS answers GetCredentialReport with 404 ReportInProgress while a report is generated.
    ("credential-report-in-progress",
     [xml("GetCredentialReport", 404, "ReportInProgress", "Report is in progress", 3)], {}),
]

EXPIRED_MSG = "The security token included in the request is expired"
DENIED_MSG = ("User: arn:aws:iam::111111111111:user/iam-audit is not authorized to perform: "
              "sts:AssumeRole on resource: arn:aws:iam::222222222222:role/iam-audit")
UNAVAIL_MSG = "Service is unavailable, try again later"
# name, rules, failed account, AWS code, a piece of AWS's message that must be recorded
PERMANENT = [
    # ListAccessKeys for ci-deployer is one of 333333333333's last calls: every earlier call of
    # that account succeeded with the same session, then the token "expires".
    ("expired-token-mid-account",
     [xml("ListAccessKeys", 400, "ExpiredToken", EXPIRED_MSG, -1, match="UserName=ci-deployer")],
     "333333333333", "ExpiredToken", EXPIRED_MSG),
    ("access-denied-one-account",
     [xml("AssumeRole", 403, "AccessDenied", DENIED_MSG, -1, match="222222222222")],
     "222222222222", "AccessDenied", "not authorized to perform: sts:AssumeRole"),
    ("retries-exhausted-one-account",
     [xml("AssumeRole", 503, "ServiceUnavailable", UNAVAIL_MSG, -1, match="044444444444")],
     "044444444444", "ServiceUnavailable", UNAVAIL_MSG),
]


def expected_extra(rules):
    """Extra requests per action a bounded schedule implies (each hit is retried once)."""
    extra = {}
    for r in rules:
        if r["times"] > 0:
            extra[r["action"]] = extra.get(r["action"], 0) + r["times"]
    return extra


def run_transient(ctx, name, rules, counters):
    proxy = Proxy(ctx["work"], ctx["port"], name, {"rules": rules})
    try:
        db = os.path.join(ctx["work"], name + ".db")
        p = collect(ctx["binary"], ctx["conf"], tool_env(ctx["work"], proxy.endpoint), db)
        stats = proxy.stats()
    finally:
        proxy.stop()
    if not check(p.returncode == 0, f"{name}: collect exits 0", f"got {p.returncode}: "
                 f"{p.stderr[-800:]}"):
        return
    run, accts = run_row(db)
    check(run["status"] == "complete", f"{name}: run is complete ({run['status']})")
    check(all(a["status"] == "ok" for a in accts.values()) and len(accts) == 4,
          f"{name}: every account ok", repr({k: a["status"] for k, a in accts.items()}))
    d = snapshot_diff(snapshot(db), ctx["ref"])
    check(not d, f"{name}: database equals the reference row for row", "\n  ".join(d))
    for what, least in counters.items():
        check(run[what] >= least, f"{name}: runs.{what} = {run[what]} >= {least}")
    if "throttles" not in counters:
        check(run["throttles"] == 0, f"{name}: no throttles counted ({run['throttles']})")
    # The schedule fired as planned: exactly `times` extra requests per faulted action.
    for action, n in expected_extra(rules).items():
        got, base = stats.get(action, 0), ctx["ref_stats"].get(action, 0)
        check(got == base + n, f"{name}: {action} requests {got} == {base} + {n} injected")
    per_acct = sum(a["retries"] for a in accts.values())
    check(per_acct <= run["retries"], f"{name}: accounts' retries ({per_acct}) within the run's")
    print(f"  {name}: exit 0 in {p.elapsed:.1f}s, run retries={run['retries']} "
          f"throttles={run['throttles']} calls={run['api_calls']}", flush=True)


def run_permanent(ctx, name, rules, account, code, message):
    proxy = Proxy(ctx["work"], ctx["port"], name, {"rules": rules})
    try:
        db = os.path.join(ctx["work"], name + ".db")
        p = collect(ctx["binary"], ctx["conf"], tool_env(ctx["work"], proxy.endpoint), db)
    finally:
        proxy.stop()
    check(p.returncode == 2, f"{name}: collect exits 2", f"got {p.returncode}: {p.stderr[-800:]}")
    run, accts = run_row(db)
    if not check(run is not None, f"{name}: a run is recorded"):
        return
    check(run["status"] == "partial", f"{name}: run is partial ({run['status']})")
    check(run["accounts_failed"] == 1, f"{name}: runs.accounts_failed == 1 "
          f"({run['accounts_failed']})")
    bad = {k: a for k, a in accts.items() if a["status"] != "ok"}
    check(list(bad) == [account], f"{name}: exactly {account} failed", repr(
        {k: (a["status"], a["error_code"]) for k, a in accts.items()}))
    a = accts.get(account, {})
    check(a.get("status") == "failed" and a.get("error_code") == code,
          f"{name}: {account} has AWS's code {code}", repr((a.get("status"), a.get("error_code"))))
    check(message in (a.get("error_message") or ""), f"{name}: {account} keeps AWS's message",
          repr(a.get("error_message")))
    check(count_rows(db, run["id"], account) == 0, f"{name}: no snapshot rows for {account}")
    d = snapshot_diff(snapshot(db, skip_accounts=(account,)), ctx["ref_without"](account))
    check(not d, f"{name}: every other account equals the reference", "\n  ".join(d))
    check(account in p.stderr or "failed" in p.stderr, f"{name}: stderr points at the failure")
    print(f"  {name}: exit {p.returncode}, {account} {a.get('error_code')}: "
          f"{(a.get('error_message') or '')[:120]}", flush=True)


def run_poll_backoff(ctx):
    """GetCredentialReport stays ReportInProgress: polling must back off (and be bounded)."""
    name = "credential-report-never-ready"
    rules = [xml("GetCredentialReport", 404, "ReportInProgress", "Report is in progress", -1)]
    proxy = Proxy(ctx["work"], ctx["port"], name, {"rules": rules})
    db = os.path.join(ctx["work"], name + ".db")
    window = 8.0
    try:
        k = subprocess.Popen([ctx["binary"], "collect", "--config", ctx["conf"], "--db", db,
                              "--quiet"], env=tool_env(ctx["work"], proxy.endpoint),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(window)
        k.send_signal(signal.SIGKILL)
        k.wait()
        polls = proxy.stats().get("GetCredentialReport", 0)
    finally:
        proxy.stop()
    # 4 accounts polling with backoff from 250 ms doubling to 5 s: at most ~6 polls each in 8 s.
    check(polls <= 40, f"{name}: {polls} GetCredentialReport polls in {window:.0f}s (<= 40: the "
          "poll backs off)")
    print(f"  {name}: {polls} polls in {window:.0f}s", flush=True)


def run_stall(ctx):
    name = "stall-past-timeout"
    # The test config sets request_timeout_s = 3: a 6 s stall times out and is retried.
    rules = [kind("ListRoles", "stall", 1, stall_ms=6000)]
    run_transient(ctx, name, rules, {"retries": 1})


# ---- local failures -----------------------------------------------------------------------

def mount_tmpfs(path, size_kb):
    os.makedirs(path, exist_ok=True)
    if os.geteuid() != 0:
        return False
    p = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kb}k,mode=0700", "tmpfs", path],
                       capture_output=True)
    return p.returncode == 0


def umount(path):
    if subprocess.run(["umount", path], capture_output=True).returncode != 0:
        subprocess.run(["umount", "-l", path], capture_output=True)


def runs_before(path, immutable=False):
    db = sqlite3.connect(f"file:{path}?mode=ro" + ("&immutable=1" if immutable else ""), uri=True)
    try:
        return db.execute("SELECT id, status FROM runs ORDER BY id").fetchall()
    finally:
        db.close()


def run_plain_http(ctx):
    """TLS cannot be turned off: plain http to a non-loopback endpoint is refused unsent."""
    name = "plain-http-off-loopback"
    # 192.0.2.1 is TEST-NET-1 (RFC 5737): nothing answers there, so a refusal must be ours.
    env = dict(tool_env(ctx["work"], "http://192.0.2.1:80"))
    db = os.path.join(ctx["work"], name + ".db")
    p = collect(ctx["binary"], ctx["conf"], env, db, timeout=120)
    check(p.returncode in (3, 78), f"{name}: collect refuses (exit {p.returncode})",
          p.stderr[-400:])
    check("loopback" in p.stderr and "http" in p.stderr, f"{name}: the error says why",
          p.stderr[-400:])
    check(p.elapsed < 30, f"{name}: refused at once, not retried ({p.elapsed:.1f}s)")
    check(not os.path.exists(db), f"{name}: no database created")
    print(f"  {name}: exit {p.returncode} in {p.elapsed:.1f}s: {p.stderr.strip()[-160:]}",
          flush=True)


def run_readonly(ctx):
    name = "read-only-database"
    ro = os.path.join(ctx["work"], "ro")
    env = tool_env(ctx["work"], ctx["endpoint"])
    if mount_tmpfs(ro, 8192):
        try:
            copy_db(ctx["ref_db"], os.path.join(ro, "audit.db"))
            r = subprocess.run(["mount", "-o", "remount,ro", ro], capture_output=True)
            if not check(r.returncode == 0, f"{name}: remount read-only", r.stderr.decode()):
                return
            before = runs_before(os.path.join(ro, "audit.db"), immutable=True)
            for label, db in (("existing database", os.path.join(ro, "audit.db")),
                              ("new database", os.path.join(ro, "new.db"))):
                p = collect(ctx["binary"], ctx["conf"], env, db, timeout=120)
                check(p.returncode == 3, f"{name}: {label}: exit 3 (failed)",
                      f"got {p.returncode}: {p.stderr[-500:]}")
                low = p.stderr.lower()
                check(("read-only" in low or "readonly" in low) and db in p.stderr,
                      f"{name}: {label}: the error names the path and says read-only",
                      p.stderr[-500:])
                check("complete" not in low, f"{name}: {label}: nothing reported complete")
                print(f"  {name}: {label}: exit {p.returncode}: {p.stderr.strip()[-200:]}",
                      flush=True)
            check(runs_before(os.path.join(ro, "audit.db"), immutable=True) == before,
                  f"{name}: earlier runs untouched")
        finally:
            umount(ro)
    else:
        print(f"  {name}: SKIPPED (cannot mount a read-only tmpfs: not root?)", flush=True)


def run_locked(ctx):
    name = "database-locked"
    db = os.path.join(ctx["work"], "locked.db")
    copy_db(ctx["ref_db"], db)
    before = runs_before(db)
    # The sqlite3 shell if installed, else the same through Python's sqlite3 module.
    cmd = ["sqlite3", db] if shutil.which("sqlite3") else [PY, "-c", (
        "import sqlite3, sys\n"
        "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
        "for line in sys.stdin:\n"
        "    if line.startswith('.quit'): break\n"
        "    for r in c.execute(line): print(*r, flush=True)\n"), db]
    holder = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        holder.stdin.write("BEGIN EXCLUSIVE;\nSELECT 'locked';\n")
        holder.stdin.flush()
        check(holder.stdout.readline().strip() == "locked", f"{name}: sqlite3 holds the lock")
        p = collect(ctx["binary"], ctx["conf"], tool_env(ctx["work"], ctx["endpoint"]), db,
                    timeout=300)
        check(p.returncode == 75, f"{name}: exit 75 (database busy)",
              f"got {p.returncode}: {p.stderr[-500:]}")
        low = p.stderr.lower()
        check("locked" in low or "busy" in low, f"{name}: the error says locked/busy",
              p.stderr[-500:])
        print(f"  {name}: exit {p.returncode} after {p.elapsed:.1f}s: "
              f"{p.stderr.strip()[-200:]}", flush=True)
        holder.stdin.write("COMMIT;\n.quit\n")
        holder.stdin.flush()
        holder.wait(timeout=30)
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
    after = runs_before(db)
    check(after == before, f"{name}: no run recorded while locked", f"{before} -> {after}")
    check(integrity(db) == "ok", f"{name}: integrity_check ok")
    p = collect(ctx["binary"], ctx["conf"], tool_env(ctx["work"], ctx["endpoint"]), db)
    check(p.returncode == 0, f"{name}: a rerun once the lock is gone completes",
          f"got {p.returncode}: {p.stderr[-300:]}")


def run_disk_full(ctx):
    name = "disk-full"
    mnt = os.path.join(ctx["work"], "full")
    ref_size = os.path.getsize(ctx["ref_db"])
    # Room for the existing database plus a little: the new run cannot fit.
    size_kb = (ref_size + 96 * 1024) // 1024
    umount_copy = os.path.join(ctx["work"], "full-after.db")
    if not mount_tmpfs(mnt, size_kb):
        print(f"  {name}: SKIPPED (cannot mount a small tmpfs: not root?)", flush=True)
        return
    try:
        db = os.path.join(mnt, "audit.db")
        copy_db(ctx["ref_db"], db)
        before = runs_before(db)
        p = collect(ctx["binary"], ctx["conf"], tool_env(ctx["work"], ctx["endpoint"]), db)
        check(p.returncode not in (0, 75), f"{name}: collect fails (exit {p.returncode})",
              p.stderr[-500:])
        low = p.stderr.lower()
        check("full" in low or "no space" in low, f"{name}: the error says the disk is full",
              p.stderr[-500:])
        print(f"  {name}: exit {p.returncode}: {p.stderr.strip()[-240:]}", flush=True)
        # Look at what is left with the space back (a copy, so nothing can write to it).
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(db + suffix):
                shutil.copy(db + suffix, umount_copy + suffix)
    finally:
        umount(mnt)
    check(integrity(umount_copy) == "ok", f"{name}: integrity_check ok")
    after = runs_before(umount_copy)
    check(after[:len(before)] == before, f"{name}: earlier runs intact")
    new = after[len(before):]
    check(all(st != "complete" for _, st in new), f"{name}: no new run is complete ({new})")
    db2 = sqlite3.connect(f"file:{umount_copy}?mode=ro", uri=True)
    lr = db2.execute("SELECT r.id, r.status FROM latest_run l JOIN runs r ON r.id = l.run_id"
                     ).fetchone()
    db2.close()
    check(lr is None or lr in before or lr[1] != "complete",
          f"{name}: latest_run does not present a new run as complete ({lr})")
    d = snapshot_diff(snapshot(umount_copy, run_id=before[-1][0]), ctx["ref"])
    check(not d, f"{name}: the earlier run still equals the reference", "\n  ".join(d))
    # Any account the failed run marked ok is whole.
    for rid, st in new:
        db2 = sqlite3.connect(f"file:{umount_copy}?mode=ro", uri=True)
        oks = [r[0] for r in db2.execute(
            "SELECT account_id FROM accounts WHERE run_id=? AND status='ok'", (rid,))]
        db2.close()
        if oks:
            d = snapshot_diff(snapshot(umount_copy, run_id=rid, only_accounts=set(oks)),
                              ctx["ref_only"](set(oks)))
            check(not d, f"{name}: run {rid}'s ok accounts are whole", "\n  ".join(d))


# ---- main ---------------------------------------------------------------------------------

def main():
    binary = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory(prefix="ia-faults-") as work:
        moto_pid = os.path.join(work, "moto.pid")
        try:
            if len(sys.argv) > 2:
                port = open(sys.argv[2]).read().strip()
                moto_pid = None
            else:
                subprocess.run([PY, os.path.join(DEMO, "moto_ctl.py"), "start", "--port-file",
                                os.path.join(work, "moto.port"), "--pid-file", moto_pid, "--auth"],
                               check=True, capture_output=True)
                port = open(os.path.join(work, "moto.port")).read().strip()
            endpoint = f"http://127.0.0.1:{port}"
            subprocess.run([PY, os.path.join(DEMO, "build_estate.py"), "--endpoint", endpoint,
                            "--spec", "small", "--out-dir", os.path.join(work, "small")],
                           check=True, capture_output=True)
            ctx = {"binary": binary, "work": work, "port": port, "endpoint": endpoint,
                   "conf": test_config(work)}

            # Reference: a fault-free collect through a rule-less proxy. A first collect
            # primes moto's credential report so every later run makes the same calls.
            ref_db = os.path.join(work, "reference.db")
            p = collect(binary, ctx["conf"], tool_env(work, endpoint), os.path.join(work, "p.db"))
            check(p.returncode == 0, "priming collect exits 0", p.stderr[-500:])
            proxy = Proxy(work, port, "reference", {"rules": []})
            try:
                p = collect(binary, ctx["conf"], tool_env(work, proxy.endpoint), ref_db)
                ctx["ref_stats"] = proxy.stats()
            finally:
                proxy.stop()
            if not check(p.returncode == 0, "reference collect exits 0",
                         f"got {p.returncode}: {p.stderr[-800:]}"):
                return finish()
            run, accts = run_row(ref_db)
            check(run["status"] == "complete" and run["retries"] == 0 and run["throttles"] == 0,
                  f"reference run complete with no retries ({run})")
            ctx["ref_db"] = ref_db
            ctx["ref"] = snapshot(ref_db)
            ctx["ref_without"] = lambda a: snapshot(ref_db, skip_accounts=(a,))
            ctx["ref_only"] = lambda s: snapshot(ref_db, only_accounts=s)
            # Empty in this estate: no AWS-managed policy attached, nothing odd in what moto
            # sends, no Organizations discovery.
            empty_here = {"managed_policies", "run_warnings", "accounts_not_audited"}
            check(all(len(v) for k, v in ctx["ref"].items() if k not in empty_here),
                  "the reference has rows in every snapshot table",
                  str([k for k, v in ctx["ref"].items() if not v]))
            print(f"  reference: {sum(len(v) for v in ctx['ref'].values())} rows in "
                  f"{len(ctx['ref'])} tables, {run['api_calls']} calls; requests "
                  f"{ctx['ref_stats']}", flush=True)

            for name, rules, counters in TRANSIENT:
                run_transient(ctx, name, rules, counters)
            run_poll_backoff(ctx)
            run_stall(ctx)
            # Organizations' TooManyRequestsException: integration.run (discovery needs an
            # organization in moto, which that test sets up).
            for name, rules, account, code, message in PERMANENT:
                run_permanent(ctx, name, rules, account, code, message)
            run_plain_http(ctx)
            run_readonly(ctx)
            run_locked(ctx)
            run_disk_full(ctx)
        finally:
            stop_moto(moto_pid)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
