#!/usr/bin/env python3
"""Security hardening (issue 12): each attack a review tried for real, tried again against
the built binary. Runs as root (the nightly job's account) where an attack needs another
user; those cases print SKIPPED without root.

usage: test_hardening.py IAM_AUDIT_BINARY
"""
import ctypes
import glob
import http.server
import json
import os
import resource
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

from harness import check, finish, ROOT

BINARY = None
ROOT_USER = os.geteuid() == 0


def run(args, **kw):
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    kw.setdefault("timeout", 60)
    return subprocess.run([BINARY, *args], **kw)


ACCOUNT = "123456789012"
CALLER_ARN = f"arn:aws:iam::{ACCOUNT}:user/auditor"
STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"


class FakeAws:
    """A plain-http STS and container-credentials endpoint on 127.0.0.1, recording what it
    was sent. error_message: answer every STS call with that AccessDenied message.
    delay_s: sleep before answering STS (to look at the running process)."""

    def __init__(self):
        self.requests = []
        self.error_message = None
        self.delay_s = 0
        self.redirect_to = None
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def reply(self, code, body, ctype):
                data = body.encode()
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.send_header("x-amzn-RequestId", "req-1")
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                fake.requests.append(("GET", self.path, dict(self.headers), ""))
                self.reply(200, json.dumps({
                    "AccessKeyId": "ASIAFAKECONTAINER001", "SecretAccessKey": "c" * 40,
                    "Token": "container-token", "Expiration": "2099-01-01T00:00:00Z"}),
                    "application/json")

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n).decode()
                form = dict(urllib.parse.parse_qsl(body))
                fake.requests.append(("POST", self.path, dict(self.headers), body))
                time.sleep(fake.delay_s)
                if fake.redirect_to:
                    self.send_response(307)
                    self.send_header("Location", fake.redirect_to)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if fake.error_message is not None:
                    msg = (fake.error_message.replace("&", "&amp;").replace("<", "&lt;")
                           .replace(">", "&gt;"))
                    return self.reply(403, f'<ErrorResponse xmlns="{STS_NS}"><Error>'
                                      f"<Type>Sender</Type><Code>AccessDenied</Code>"
                                      f"<Message>{msg}</Message></Error>"
                                      f"<RequestId>req-1</RequestId></ErrorResponse>", "text/xml")
                if form.get("Action") == "AssumeRole":
                    return self.reply(200, f'<AssumeRoleResponse xmlns="{STS_NS}">'
                                      "<AssumeRoleResult><Credentials>"
                                      "<AccessKeyId>ASIAFAKEASSUMED00001</AccessKeyId>"
                                      f"<SecretAccessKey>{'s' * 40}</SecretAccessKey>"
                                      "<SessionToken>assumed-token</SessionToken>"
                                      "<Expiration>2099-01-01T00:00:00Z</Expiration>"
                                      "</Credentials><AssumedRoleUser><AssumedRoleId>AROA1:s"
                                      f"</AssumedRoleId><Arn>arn:aws:sts::{ACCOUNT}:assumed-role"
                                      "/audit/s</Arn></AssumedRoleUser></AssumeRoleResult>"
                                      "</AssumeRoleResponse>", "text/xml")
                self.reply(200, f'<GetCallerIdentityResponse xmlns="{STS_NS}">'
                           f"<GetCallerIdentityResult><Arn>{CALLER_ARN}</Arn>"
                           f"<UserId>AIDAFAKE</UserId><Account>{ACCOUNT}</Account>"
                           "</GetCallerIdentityResult><ResponseMetadata><RequestId>req-1"
                           "</RequestId></ResponseMetadata></GetCallerIdentityResponse>",
                           "text/xml")

        class Server(http.server.ThreadingHTTPServer):
            def handle_error(self, request, client_address):
                pass  # clients this test kills on purpose

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class Listener:
    """A TCP listener that records every connection and what was sent on it (a proxy that
    never answers)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.received = []
        self.stop = False
        threading.Thread(target=self.loop, daemon=True).start()

    def loop(self):
        while not self.stop:
            try:
                c, _ = self.sock.accept()
            except OSError:
                continue
            c.settimeout(1)
            try:
                self.received.append(c.recv(65536))
            except OSError:
                self.received.append(b"")
            c.close()

    def close(self):
        self.stop = True
        self.sock.close()


def clean_env(home, **extra):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("AWS_") and k.lower() not in ("http_proxy", "https_proxy",
                                                              "all_proxy", "no_proxy")
           and k not in ("IA_LOG_LEVEL", "IA_FAKE_NOW")}
    env.update(HOME=home, AWS_EC2_METADATA_DISABLED="true",
               AWS_CONFIG_FILE=os.path.join(home, "config"),
               AWS_SHARED_CREDENTIALS_FILE=os.path.join(home, "credentials"))
    env.update(extra)
    return env


# ---- 1. symlinks and hard links at the database and its lock --------------------------------
def test_db_paths(work):
    victim = os.path.join(work, "victim")
    with open(victim, "w") as f:
        f.write("precious\n")

    # A folder everybody can write to (no sticky bit) is refused before anything is created.
    shared = os.path.join(work, "shared")
    os.mkdir(shared)
    os.chmod(shared, 0o777)
    p = run(["prune", "--db", os.path.join(shared, "ia.db"), "--keep-days", "1"])
    check(p.returncode == 78 and "writable by every user" in p.stderr and "chmod o-w" in p.stderr,
          f"an other-writable database folder is refused with 78 ({p.returncode}: {p.stderr})")
    check(os.listdir(shared) == [], f"nothing created in it: {os.listdir(shared)}")

    # A symlink planted at the lock: refused, and its target is not truncated.
    priv = os.path.join(work, "priv")
    os.mkdir(priv, 0o700)
    os.symlink(victim, os.path.join(priv, "ia.db.lock"))
    p = run(["prune", "--db", os.path.join(priv, "ia.db"), "--keep-days", "1"])
    check(p.returncode == 78 and "symbolic link" in p.stderr,
          f"a symlink at the lock is refused with 78 ({p.returncode}: {p.stderr})")
    check(open(victim).read() == "precious\n", "the symlink's target is untouched")
    os.unlink(os.path.join(priv, "ia.db.lock"))

    # A hard link at the lock: refused, target untouched.
    os.link(victim, os.path.join(priv, "ia.db.lock"))
    p = run(["prune", "--db", os.path.join(priv, "ia.db"), "--keep-days", "1"])
    check(p.returncode == 78 and "hard links" in p.stderr,
          f"a hard link at the lock is refused with 78 ({p.returncode}: {p.stderr})")
    check(open(victim).read() == "precious\n", "the hard link's other name is untouched")
    os.unlink(os.path.join(priv, "ia.db.lock"))

    # A symlink at the database path: no database is created at its target.
    target = os.path.join(work, "elsewhere.db")
    os.symlink(target, os.path.join(priv, "ia.db"))
    for args in (["prune", "--db", os.path.join(priv, "ia.db"), "--keep-days", "1"],
                 ["report", "--db", os.path.join(priv, "ia.db"), "--out", os.path.join(work, "r")]):
        p = run(args)
        check(p.returncode == 78 and "symbolic link" in p.stderr,
              f"{args[0]}: a symlink at the database path is refused with 78 "
              f"({p.returncode}: {p.stderr})")
    check(not os.path.exists(target), "no database was created at the symlink's target")
    os.unlink(os.path.join(priv, "ia.db"))

    # A sticky shared folder (/tmp-like) is fine, but not with someone else's lock in it.
    sticky = os.path.join(work, "sticky")
    os.mkdir(sticky)
    os.chmod(sticky, 0o1777)
    p = run(["prune", "--db", os.path.join(sticky, "ia.db"), "--keep-days", "1"])
    check(p.returncode == 0, f"a sticky shared folder works ({p.returncode}: {p.stderr})")
    if ROOT_USER:
        other = os.path.join(sticky, "o.db.lock")
        with open(other, "w") as f:
            f.write("")
        os.chown(other, 65534, 65534)
        p = run(["prune", "--db", os.path.join(sticky, "o.db"), "--keep-days", "1"])
        check(p.returncode == 78 and "belongs to uid 65534" in p.stderr,
              f"another user's lock in a shared folder is refused ({p.returncode}: {p.stderr})")
    else:
        print("SKIPPED: another user's lock file (needs root)")

    # The usual case still works: a private folder, a fresh database.
    p = run(["prune", "--db", os.path.join(priv, "ok.db"), "--keep-days", "1"])
    check(p.returncode == 0, f"a private folder works ({p.returncode}: {p.stderr})")


# ---- 2. reports swapped for a link while being written -----------------------------------------
IN_MOVED_TO, IN_CREATE, IN_ISDIR, IN_NONBLOCK = 0x80, 0x100, 0x40000000, 0o4000


def created_in(folder, action):
    """Run action() while inotify watches folder; return [(kind, name)] for every entry that
    appeared in it: 'dir' or 'file' created there, 'moved' renamed in."""
    libc = ctypes.CDLL(None, use_errno=True)
    fd = libc.inotify_init1(IN_NONBLOCK)
    if fd < 0 or libc.inotify_add_watch(fd, folder.encode(), IN_CREATE | IN_MOVED_TO) < 0:
        raise OSError(ctypes.get_errno(), "inotify")
    try:
        action()
        data = b""
        while True:
            try:
                chunk = os.read(fd, 65536)
            except BlockingIOError:
                break
            if not chunk:
                break
            data += chunk
    finally:
        os.close(fd)
    out, i = [], 0
    while i + 16 <= len(data):
        _, mask, _, n = struct.unpack_from("iIII", data, i)
        name = data[i + 16:i + 16 + n].rstrip(b"\0").decode()
        i += 16 + n
        kind = "moved" if mask & IN_MOVED_TO else "dir" if mask & IN_ISDIR else "file"
        out.append((kind, name))
    return out


def test_report_files(work):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from test_reports import make_db
    db = os.path.join(work, "r.db")
    make_db(db, ROOT)

    # Nothing is ever created in the output folder under a name another user could predict
    # and swap: files appear there only by rename from a private mkdtemp folder.
    out = os.path.join(work, "out")
    os.mkdir(out, 0o755)
    res = {}
    events = created_in(out, lambda: res.update(p=run(["report", "--db", db, "--out", out,
                                                          "--per-team"])))
    p = res["p"]
    check(p.returncode == 0, f"report writes ({p.returncode}: {p.stderr})")
    files = sorted(n for k, n in events if k == "moved")
    printed = sorted(os.path.basename(x) for x in p.stdout.split())
    check(files == printed and len(files) >= 6, f"every report arrives by rename: {events}")
    made = [(k, n) for k, n in events if k != "moved"]
    check(len(made) == 1 and made[0][0] == "dir" and made[0][1].startswith(".iam-audit-"),
          f"the only thing created in the output folder is one private working folder: {made}")
    check(sorted(os.listdir(out)) == printed, f"the working folder is gone: {os.listdir(out)}")
    check(all(os.stat(os.path.join(out, f)).st_mode & 0o777 == 0o600 for f in files),
          "reports are 0600")

    # An output folder every user can write to is refused.
    shared = os.path.join(work, "shared-out")
    os.mkdir(shared)
    os.chmod(shared, 0o777)
    p = run(["report", "--db", db, "--out", shared])
    check(p.returncode == 78 and "writable by every user" in p.stderr,
          f"an other-writable output folder is refused with 78 ({p.returncode}: {p.stderr})")
    check(os.listdir(shared) == [], f"nothing written there: {os.listdir(shared)}")


# ---- 4. http_proxy must not see signed plain-http requests ------------------------------------
def test_proxy(work):
    fake, proxy = FakeAws(), Listener()
    try:
        proxies = dict(http_proxy=proxy.url, HTTP_PROXY=proxy.url, https_proxy=proxy.url,
                       ALL_PROXY=proxy.url, all_proxy=proxy.url)
        # Static keys, signed STS calls to a plain-http loopback endpoint.
        env = clean_env(work, AWS_ACCESS_KEY_ID="AKIAFAKESTATIC000001",
                        AWS_SECRET_ACCESS_KEY="k" * 40, AWS_ENDPOINT_URL=fake.url, **proxies)
        p = run(["whoami"], env=env, timeout=30)
        check(p.returncode == 0 and CALLER_ARN in p.stdout,
              f"whoami through the endpoint, not the proxy ({p.returncode}: {p.stderr})")
        # Container credentials over plain http, then STS.
        env = clean_env(work, AWS_CONTAINER_CREDENTIALS_FULL_URI=fake.url + "/creds",
                        AWS_ENDPOINT_URL=fake.url, **proxies)
        p = run(["whoami"], env=env, timeout=30)
        check(p.returncode == 0 and CALLER_ARN in p.stdout,
              f"container credentials and STS, not via the proxy ({p.returncode}: {p.stderr})")
        time.sleep(0.3)
        check(proxy.received == [],
              f"the http_proxy listener saw nothing: {proxy.received[:1]}")
        check(any(r[0] == "GET" for r in fake.requests) and
              any("Authorization" in r[2] for r in fake.requests if r[0] == "POST"),
              "the endpoint itself got the container call and the signed calls")
    finally:
        fake.close()
        proxy.close()


# ---- 5. forged log lines from an AWS error message ---------------------------------------------
def test_forged_lines(work):
    fake = FakeAws()
    forged = '2026-12-03T02:00:00Z level=info mod=collect msg="account collected" account=1'
    fake.error_message = "User is not authorized\n" + forged
    try:
        env = clean_env(work, AWS_ACCESS_KEY_ID="AKIAFAKESTATIC000001",
                        AWS_SECRET_ACCESS_KEY="k" * 40, AWS_ENDPOINT_URL=fake.url,
                        IA_LOG_LEVEL="debug")
        p = run(["whoami"], env=env, timeout=60)
        check(p.returncode != 0 and "not authorized" in p.stderr,
              f"the AWS error is reported ({p.returncode}: {p.stderr})")
        lines = p.stderr.splitlines()
        check(not any(l.startswith(forged[:20]) for l in lines),
              f"no line of stderr is the forged one: {lines}")
        check("\\n" + forged[:20] in p.stderr, "the newline is shown escaped")
    finally:
        fake.close()


# ---- 3. core dumps hold credentials -------------------------------------------------------------
def crash_in(folder, args, env=None, user=None, started=None):
    """Start args in folder with core dumps allowed (unlimited RLIMIT_CORE), wait until
    started() is true, look at /proc, then SIGSEGV it. Returns (limits text, /proc owner uid,
    core files left)."""
    def pre():
        resource.setrlimit(resource.RLIMIT_CORE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
        if user is not None:
            os.setgid(user)
            os.setuid(user)
    proc = subprocess.Popen(args, cwd=folder, env=env, preexec_fn=pre,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 20
    while started and not started() and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)
    limits = open(f"/proc/{proc.pid}/limits").read()
    owner = os.stat(f"/proc/{proc.pid}/status").st_uid
    proc.send_signal(signal.SIGSEGV)
    proc.wait(timeout=30)
    time.sleep(0.5)
    cores = [f for f in glob.glob(os.path.join(folder, "core*")) if os.path.getsize(f) > 0]
    return limits, owner, cores


def test_core_dumps(work):
    fake = FakeAws()
    fake.delay_s = 4
    # Outside the private work folder, so that the unprivileged run can reach it.
    work = tempfile.mkdtemp(prefix="ia-core-")
    os.chmod(work, 0o755)
    # A copy of the binary there too: the build tree may sit in a folder uid 65534 cannot
    # enter (a clone in a mktemp -d folder, mode 0700).
    binary = os.path.join(work, "iam-audit")
    shutil.copy(BINARY, binary)
    os.chmod(binary, 0o755)
    if not ROOT_USER:
        print("SKIPPED: the unprivileged crash (needs root to switch to uid 65534)")
    try:
        for who in (None, 65534) if ROOT_USER else (None,):
            home = os.path.join(work, f"core-{who}")
            os.mkdir(home)
            os.chmod(home, 0o777)
            env = clean_env(home, AWS_ACCESS_KEY_ID="AKIAFAKESTATIC000001",
                            AWS_SECRET_ACCESS_KEY="k" * 40, AWS_ENDPOINT_URL=fake.url)
            before = len(fake.requests)
            limits, owner, cores = crash_in(home, [binary, "whoami"], env=env, user=who,
                                            started=lambda: len(fake.requests) > before)
            line = [l for l in limits.splitlines() if l.startswith("Max core file size")]
            check(line and line[0].split()[4:6] == ["0", "0"],
                  f"RLIMIT_CORE is 0 in the running binary: {line}")
            check(cores == [], f"a crashed iam-audit leaves no core ({cores})")
            if who is not None:
                check(owner == 0, f"not dumpable: /proc/PID belongs to root, not uid {owner}")
        # Whether this machine writes cores at all: a control process must leave one.
        ctrl = os.path.join(work, "core-control")
        os.mkdir(ctrl)
        _, _, cores = crash_in(ctrl, ["sleep", "30"])
        if open("/proc/sys/kernel/core_pattern").read().startswith("core") and cores:
            check(True, "control: this machine writes core files")
        else:
            print("NOTE: this machine writes no core files (core_pattern); the check rests on "
                  "RLIMIT_CORE and dumpable")
    finally:
        fake.close()
        shutil.rmtree(work, ignore_errors=True)


# ---- 9. IA_FAKE_NOW must not move "now" in the production binary --------------------------------
def test_fake_now(work):
    db = os.path.join(work, "now.db")
    env = dict(os.environ, IA_FAKE_NOW="1000000000")  # 2001-09-09
    p = run(["prune", "--db", db, "--keep-days", "1"], env=env)
    expect = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 86400))
    check(p.returncode == 0 and f"started before {expect}" in p.stdout,
          f"IA_FAKE_NOW is ignored: the cutoff is yesterday ({p.stdout.strip()})")
    strings = subprocess.run(["grep", "-c", "IA_FAKE_NOW", BINARY], capture_output=True,
                             text=True).stdout.strip()
    check(strings == "0", f"the binary does not even hold the name IA_FAKE_NOW ({strings})")


# ---- 10. --mfa-token on the command line -----------------------------------------------------
def test_mfa_token(work):
    fake = FakeAws()
    fake.delay_s = 2
    home = os.path.join(work, "mfa")
    os.mkdir(home, 0o700)
    with open(os.path.join(home, "config"), "w") as f:
        f.write(f"[profile audit-mfa]\nrole_arn = arn:aws:iam::{ACCOUNT}:role/audit\n"
                f"source_profile = base\nmfa_serial = arn:aws:iam::{ACCOUNT}:mfa/me\n")
    with open(os.path.join(home, "credentials"), "w") as f:
        f.write(f"[base]\naws_access_key_id = AKIAFAKESTATIC000001\n"
                f"aws_secret_access_key = {'k' * 40}\n")
    env = clean_env(home, AWS_ENDPOINT_URL=fake.url)

    def token_sent():
        bodies = [urllib.parse.parse_qs(r[3]) for r in fake.requests if r[0] == "POST"]
        return [b["TokenCode"][0] for b in bodies if "TokenCode" in b]

    try:
        # The code given as an argument: gone from /proc/PID/cmdline while the job runs.
        proc = subprocess.Popen([BINARY, "whoami", "--profile", "audit-mfa", "--mfa-token",
                                 "135790"], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
        deadline = time.time() + 20
        while not fake.requests and time.time() < deadline:
            time.sleep(0.05)
        cmdline = open(f"/proc/{proc.pid}/cmdline", "rb").read()
        out, err = proc.communicate(timeout=60)
        check(b"135790" not in cmdline, f"/proc/PID/cmdline no longer shows the code: {cmdline}")
        check(b"--mfa-token" in cmdline, "the process is the one we started")
        check(proc.returncode == 0 and token_sent() == ["135790"],
              f"the code still reaches AssumeRole ({proc.returncode}: {err})")
        check("/proc/PID/cmdline" in err and "--mfa-token -" in err,
              f"a warning says how to pass it safely: {err}")
        # The code on standard input: never on the command line at all, and no warning.
        fake.requests.clear()
        p = run(["whoami", "--profile", "audit-mfa", "--mfa-token", "-"], env=env,
                input="246801\n")
        check(p.returncode == 0 and token_sent() == ["246801"],
              f"--mfa-token - reads the code from standard input ({p.returncode}: {p.stderr})")
        check("warning" not in p.stderr, f"no warning for standard input: {p.stderr}")
        p = run(["whoami", "--profile", "audit-mfa", "--mfa-token", "-"], env=env, input="")
        check(p.returncode == 64 and "standard input" in p.stderr,
              f"no code on standard input is a usage error ({p.returncode}: {p.stderr})")
    finally:
        fake.close()


# ---- already withstood: redirects and SQL injection (tests that guard them) ----------------------
def test_redirects(work):
    fake, other = FakeAws(), Listener()
    fake.redirect_to = other.url + "/"
    try:
        env = clean_env(work, AWS_ACCESS_KEY_ID="AKIAFAKESTATIC000001",
                        AWS_SECRET_ACCESS_KEY="k" * 40, AWS_ENDPOINT_URL=fake.url)
        p = run(["whoami"], env=env, timeout=60)
        time.sleep(0.3)
        check(p.returncode != 0, f"a redirected STS call fails ({p.returncode}: {p.stderr})")
        check(other.received == [], f"the redirect's target saw nothing: {other.received[:1]}")
    finally:
        fake.close()
        other.close()


def test_sql_injection(work):
    import sqlite3
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from test_reports import make_db
    db = os.path.join(work, "sqli.db")
    make_db(db, ROOT)
    evil = "gamma'); DROP TABLE findings; --"
    con = sqlite3.connect(db)
    con.execute("UPDATE accounts SET team = ?, name = ? WHERE team = 'gamma'", (evil, evil))
    con.execute("UPDATE users SET user_name = ? WHERE rowid = (SELECT min(rowid) FROM users)",
                ("x' OR '1'='1",))
    con.commit()
    before = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
              for t in ("runs", "accounts", "users", "findings")}
    con.close()
    out = os.path.join(work, "sqli-out")
    os.mkdir(out, 0o700)
    p = run(["report", "--db", db, "--out", out, "--per-team"])
    check(p.returncode == 0, f"report over hostile team and user names ({p.returncode}: {p.stderr})")
    con = sqlite3.connect(db)
    after = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in before}
    con.close()
    check(after == before, f"every table is intact: {before} -> {after}")
    teams = [f for f in os.listdir(out) if f.startswith("team-")]
    check(len(teams) == 3, f"one workbook per team, the hostile one included: {teams}")


def main():
    global BINARY
    BINARY = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory(prefix="ia-hard-") as work:
        test_db_paths(work)
        test_report_files(work)
        test_proxy(work)
        test_forged_lines(work)
        test_core_dumps(work)
        test_fake_now(work)
        test_mfa_token(work)
        test_redirects(work)
        test_sql_injection(work)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
