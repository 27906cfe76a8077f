#!/usr/bin/env python3
"""Start and stop a moto server for the iam-audit tests (standard library only).

    moto_ctl.py start --port-file F --pid-file F [--auth] [--auth-after N] [--seed N]
                      [--plain] [--managed-policies]
    moto_ctl.py stop  --pid-file F
    moto_ctl.py auth  --port-file F on|off
    moto_ctl.py clock --port-file F [SECONDS]      (wrapped server only)

start
    Picks a free port on 127.0.0.1 (bind to port 0), starts the server bound to 127.0.0.1
    only, in its own process group, waits until it answers, seeds moto's id generator
    (POST /moto-api/seed?a=SEED, default 42, so generated ids are reproducible when the
    same calls are made in the same order) and writes the port and the pid to the files
    given. The server's log goes to a file next to the pid file (moto.pid -> moto.log).
    MOTO_ACCOUNT_ID is never set (it would pin every request to one account); it is even
    removed from the server's environment if the caller has it.

    By default the server is moto's own WSGI application run by this script (the same
    thing `moto_server` runs) with one addition: a test clock. moto stamps every create
    date and last-used date with the wall clock, so nothing in a moto estate can be "old",
    and rules such as user-inactive, access-key-old/-unused, role-unused and the bootstrap
    grace period could not be planted. The wrapper replaces moto's `utcnow()` by
    "real now + offset" and serves
        GET  /_estate/clock          -> {"offset_seconds": S, "now": "..."}
        POST /_estate/clock  body S  -> set the offset (negative = in the past)
        GET  /_estate/info           -> {"auth_after_setup": bool, "wrapped": true}
    build_estate.py moves the clock back, creates the "old" resources and moves it back to
    0. `--plain` runs the stock `moto_server` executable instead (no clock; build_estate
    then lists the time-based rules as not plantable).

Authentication (--auth, --auth-after N)
    moto verifies SigV4 signatures and evaluates identity policies only after it has served
    INITIAL_NO_AUTH_ACTION_COUNT actions. It counts every AWS action request (each retry
    too, every account, readback calls included), so a fixed count is only usable when the
    exact number of set-up calls is known in advance. `--auth-after N` sets exactly that
    (N = build_estate's manifest["build"]["aws_requests"] for the same spec and options,
    because the build is sequential and deterministic; fragile, not recommended).
    `--auth` alone is the usable form: the server starts unauthenticated and reports
    auth_after_setup=true on /_estate/info; build_estate.py, once the estate is built,
    switches verification on with POST /moto-api/reset-auth (body "0"), which also zeroes
    moto's counter. `moto_ctl.py auth on|off` does the same by hand at any time ("off"
    posts "inf"). With auth on, moto checks signatures and identity policies but still not
    the request date, trust policies or MFA conditions (see docs/moto.md).

stop
    Sends SIGTERM to the server's process group (the pid written by start leads it), waits
    up to 10 s, then SIGKILL, and waits until it is gone. It refuses a pid that is not a
    server started by this script (pid reuse), and removes the pid file.
"""

import argparse
import datetime
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

HOST = "127.0.0.1"
MARKER = "iam-audit-moto-ctl"  # appears on the server's command line; checked by stop


# ----------------------------------------------------------------------------------------
# The wrapped server (runs in the child process).
# ----------------------------------------------------------------------------------------

def _serve(port, auth_after_setup):
    """Run moto's server app with a settable clock. Runs in the child process."""
    import moto.core.utils as mcu

    real_utcnow = mcu.utcnow
    state = {"offset": 0.0}

    def shifted_utcnow():
        return real_utcnow() + datetime.timedelta(seconds=state["offset"])

    mcu.utcnow = shifted_utcnow
    # Modules already imported bound the original function by name: rebind them. Modules
    # imported later (moto loads service backends lazily) pick up the patched one.
    for mod in list(sys.modules.values()):
        if mod is not None and getattr(mod, "__name__", "").startswith("moto") and \
                getattr(mod, "utcnow", None) is real_utcnow:
            setattr(mod, "utcnow", shifted_utcnow)

    # Import the service models now so that they, too, see the shifted clock.
    import moto.iam.models  # noqa: F401
    import moto.sts.models  # noqa: F401
    for name in ("moto.iam.models", "moto.sts.models", "moto.iam.access_control",
                 "moto.core.responses"):
        mod = sys.modules.get(name)
        if mod is not None and getattr(mod, "utcnow", None) is real_utcnow:
            mod.utcnow = shifted_utcnow

    from werkzeug.serving import run_simple
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    os.environ["MOTO_PORT"] = str(port)
    moto_app = DomainDispatcherApplication(create_backend_app)
    moto_app.debug = True

    def reply(start_response, code, obj):
        body = json.dumps(obj).encode()
        start_response(code, [("Content-Type", "application/json"),
                              ("Content-Length", str(len(body)))])
        return [body]

    def app(environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == "/_estate/clock":
            if environ.get("REQUEST_METHOD") == "POST":
                length = int(environ.get("CONTENT_LENGTH") or 0)
                raw = environ["wsgi.input"].read(length).decode().strip()
                try:
                    state["offset"] = float(raw or 0)
                except ValueError:
                    return reply(start_response, "400 Bad Request",
                                 {"error": "body must be a number of seconds"})
            return reply(start_response, "200 OK",
                         {"offset_seconds": state["offset"],
                          "now": shifted_utcnow().isoformat() + "Z"})
        if path == "/_estate/info":
            return reply(start_response, "200 OK",
                         {"wrapped": True, "auth_after_setup": auth_after_setup})
        return moto_app(environ, start_response)

    def on_term(signum, frame):
        sys.exit(0)

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    run_simple(HOST, port, app, threaded=True, use_reloader=False)


# ----------------------------------------------------------------------------------------
# Helpers
# ----------------------------------------------------------------------------------------

def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def http(method, url, body=None, timeout=2.0):
    data = body.encode() if isinstance(body, str) else body
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "text/plain")
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return resp.status, resp.read()


def log_path_for(pid_file):
    base, ext = os.path.splitext(pid_file)
    return (base if ext else pid_file) + ".log"


def write_atomic(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def read_int(path):
    with open(path) as f:
        return int(f.read().strip())


def proc_state(pid):
    """'gone', 'zombie' or 'alive'."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except FileNotFoundError:
        return "gone"
    # state is the field after the parenthesised command name
    state = stat.rsplit(")", 1)[1].split()[0]
    return "zombie" if state in ("Z", "X") else "alive"


def proc_cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except FileNotFoundError:
        return ""


# ----------------------------------------------------------------------------------------
# Subcommands
# ----------------------------------------------------------------------------------------

def cmd_start(args):
    for path in (args.port_file, args.pid_file):
        d = os.path.dirname(os.path.abspath(path))
        os.makedirs(d, exist_ok=True)
    log_file = log_path_for(args.pid_file)
    try:
        old = read_int(args.pid_file)
        if proc_state(old) == "alive" and MARKER in proc_cmdline(old):
            print(f"moto_ctl: a server (pid {old}) is already running for {args.pid_file}; "
                  "stop it first", file=sys.stderr)
            return 1
    except (FileNotFoundError, ValueError):
        pass
    env = dict(os.environ)
    env.pop("MOTO_ACCOUNT_ID", None)
    env.pop("INITIAL_NO_AUTH_ACTION_COUNT", None)
    if args.auth_after is not None:
        env["INITIAL_NO_AUTH_ACTION_COUNT"] = str(args.auth_after)
    if args.managed_policies:
        env["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
    env.setdefault("AWS_DEFAULT_REGION", "us-east-1")

    last_err = "not started"
    for attempt in range(3):
        port = free_port()
        if args.plain:
            exe = "moto_server"
            cmd = [exe, "-H", HOST, "-p", str(port)]
            # The marker lets `stop` recognise the process; moto_server ignores env.
            env["IAM_AUDIT_MOTO_CTL"] = MARKER
        else:
            cmd = [sys.executable, os.path.abspath(__file__), "_serve", "--port", str(port),
                   "--marker", MARKER] + (["--auth-after-setup"] if args.auth else [])
        logf = open(log_file, "ab")
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=logf, stderr=logf,
                                env=env, start_new_session=True, close_fds=True)
        logf.close()
        base = f"http://{HOST}:{port}"
        deadline = time.monotonic() + args.timeout
        ready = False
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                last_err = f"server exited with {proc.returncode} (see {log_file})"
                break
            try:
                status, _ = http("POST", f"{base}/moto-api/seed?a={args.seed}", b"", 1.0)
                if status == 200:
                    ready = True
                    break
            except (urllib.error.URLError, ConnectionError, OSError) as e:
                last_err = str(e)
            time.sleep(0.05)
        if ready:
            write_atomic(args.pid_file, f"{proc.pid}\n")
            write_atomic(args.port_file, f"{port}\n")
            print(f"moto listening on {base} pid {proc.pid} log {log_file}")
            return 0
        if proc.poll() is None:  # timed out: end what we started
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    print(f"moto_ctl: could not start the server: {last_err}", file=sys.stderr)
    return 1


def cmd_stop(args):
    try:
        pid = read_int(args.pid_file)
    except FileNotFoundError:
        print(f"moto_ctl: no pid file {args.pid_file}; nothing to stop", file=sys.stderr)
        return 0
    state = proc_state(pid)
    if state == "gone":
        os.unlink(args.pid_file)
        return 0
    cmdline = proc_cmdline(pid)
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            environ = f.read()
    except OSError:
        environ = b""
    if MARKER not in cmdline and MARKER.encode() not in environ and state != "zombie":
        print(f"moto_ctl: pid {pid} is not a server started by moto_ctl ({cmdline!r}); "
              "not touching it", file=sys.stderr)
        return 1
    try:
        pgid = os.getpgid(pid)
    except ProcessLookupError:
        pgid = None
    target_group = pgid == pid  # start made it a session/group leader
    for sig, wait_s in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
        try:
            if target_group:
                os.killpg(pid, sig)
            else:
                os.kill(pid, sig)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            if proc_state(pid) != "alive":
                break
            try:  # reap it if it happens to be our child
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass
            time.sleep(0.05)
        if proc_state(pid) != "alive":
            break
    if proc_state(pid) == "alive":
        print(f"moto_ctl: pid {pid} survived SIGKILL", file=sys.stderr)
        return 1
    os.unlink(args.pid_file)
    return 0


def endpoint_from(port_file):
    return f"http://{HOST}:{read_int(port_file)}"


def cmd_auth(args):
    body = "0" if args.state == "on" else "inf"
    status, out = http("POST", endpoint_from(args.port_file) + "/moto-api/reset-auth", body)
    print(out.decode())
    return 0 if status == 200 else 1


def cmd_clock(args):
    base = endpoint_from(args.port_file)
    if args.seconds is None:
        status, out = http("GET", base + "/_estate/clock")
    else:
        status, out = http("POST", base + "/_estate/clock", str(args.seconds))
    print(out.decode())
    return 0 if status == 200 else 1


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("start", help="start a server on a free 127.0.0.1 port")
    s.add_argument("--port-file", required=True)
    s.add_argument("--pid-file", required=True)
    s.add_argument("--auth", action="store_true",
                   help="enforce SigV4 + identity policies once build_estate has finished")
    s.add_argument("--auth-after", type=int, default=None, metavar="N",
                   help="set INITIAL_NO_AUTH_ACTION_COUNT=N (moto counts actions; fragile)")
    s.add_argument("--seed", type=int, default=42)
    s.add_argument("--plain", action="store_true",
                   help="run the stock moto_server executable (no test clock)")
    s.add_argument("--managed-policies", action="store_true",
                   help="MOTO_IAM_LOAD_MANAGED_POLICIES=true (AWS-managed policies exist)")
    s.add_argument("--timeout", type=float, default=30.0)
    t = sub.add_parser("stop", help="stop the server and wait for it")
    t.add_argument("--pid-file", required=True)
    a = sub.add_parser("auth", help="switch signature verification on or off")
    a.add_argument("--port-file", required=True)
    a.add_argument("state", choices=("on", "off"))
    c = sub.add_parser("clock", help="show or set the test clock offset (seconds)")
    c.add_argument("--port-file", required=True)
    c.add_argument("seconds", nargs="?", type=float)
    v = sub.add_parser("_serve")  # internal: the child process
    v.add_argument("--port", type=int, required=True)
    v.add_argument("--marker")
    v.add_argument("--auth-after-setup", action="store_true")
    args = p.parse_args(argv)
    if args.cmd == "start":
        return cmd_start(args)
    if args.cmd == "stop":
        return cmd_stop(args)
    if args.cmd == "auth":
        return cmd_auth(args)
    if args.cmd == "clock":
        return cmd_clock(args)
    if args.cmd == "_serve":
        _serve(args.port, args.auth_after_setup)
        return 0
    return 64


if __name__ == "__main__":
    sys.exit(main())
