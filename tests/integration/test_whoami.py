#!/usr/bin/env python3
"""Integration: `iam-audit whoami` through every credential source moto can stand in for.

Starts its own moto_server on a free 127.0.0.1 port (stopped at the end, also on
failure), creates a user and an access key with boto3 in moto's default account, then
runs the binary with a clean environment (none of the developer's AWS_* variables, HOME
an empty temp dir, instance metadata disabled) and AWS_ENDPOINT_URL pointing at moto:

  environment keys; a profile with static keys; credential_process (quoted path and
  arguments); role_arn + source_profile (one and two hops, into other account ids); web
  identity; request authentication switched on in moto with the right and a wrong
  secret; and the failure modes (no credentials, unknown profile, a failing or
  malformed credential_process, bad usage), each with its exit code and a one-line
  message. No secret may appear in any run's stdout or stderr.

usage: test_whoami.py IAM_AUDIT_BINARY
Exit 0 when every check passed, 1 otherwise, 77 when moto_server or boto3 is missing.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

HOST = "127.0.0.1"
ACCOUNT = "123456789012"  # moto's default account
FAKE_SECRETS = ["wrong-s3cr3t-wJalrXUtnFEMI", "proc-bad-s3cr3t-K7MDENG"]

passed, failed = 0, 0


def check(cond, what, detail=""):
    global passed, failed
    if cond:
        passed += 1
        print("ok:", what, flush=True)
    else:
        failed += 1
        print("FAIL:", what, detail, flush=True)


def free_port():
    s = socket.socket()
    s.bind((HOST, 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start_moto(work):
    port = free_port()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("AWS_") and k != "MOTO_ACCOUNT_ID"}
    log = open(os.path.join(work, "moto.log"), "w")
    proc = subprocess.Popen([shutil.which("moto_server"), "-H", HOST, "-p", str(port)],
                            stdout=log, stderr=subprocess.STDOUT, env=env,
                            start_new_session=True)
    url = f"http://{HOST}:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"moto_server exited with {proc.returncode}; see moto.log")
        try:
            urllib.request.urlopen(url + "/moto-api/", timeout=1).read()
            return proc, url
        except OSError:
            time.sleep(0.2)
    stop_moto(proc)
    raise RuntimeError("moto_server did not answer within 60 s")


def stop_moto(proc):
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


class Runner:
    def __init__(self, binary, work, endpoint, secrets):
        self.binary, self.work, self.endpoint, self.secrets = binary, work, endpoint, secrets
        self.home = os.path.join(work, "home")
        os.makedirs(self.home, exist_ok=True)

    def env(self, extra):
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("AWS_") and k not in ("IA_LOG_LEVEL", "IA_FAKE_NOW")}
        env["HOME"] = self.home  # empty: no developer ~/.aws
        env["AWS_ENDPOINT_URL"] = self.endpoint
        env["AWS_EC2_METADATA_DISABLED"] = "true"
        env["AWS_REGION"] = "us-east-1"
        env.update(extra)
        return env

    def run(self, name, args=(), env=None):
        p = subprocess.run([self.binary, "whoami", *args], env=self.env(env or {}),
                           capture_output=True, text=True, timeout=120)
        out = p.stdout + p.stderr
        leaked = [s for s in self.secrets if s and s in out]
        check(not leaked, f"{name}: no secret in the output", f"leaked {len(leaked)} secret(s)")
        return p


def fields(stdout):
    out = {}
    for line in stdout.splitlines():
        k, _, v = line.partition(": ")
        out[k] = v
    return out


def expect_ok(r, p, name, account, arn_part, source_part):
    f = fields(p.stdout)
    check(p.returncode == 0, f"{name}: exit 0", f"got {p.returncode}: {p.stderr.strip()}")
    check(f.get("Account") == account, f"{name}: Account {account}", repr(f.get("Account")))
    check(arn_part in f.get("Arn", ""), f"{name}: Arn has {arn_part}", repr(f.get("Arn")))
    check(source_part in f.get("Source", ""), f"{name}: Source has {source_part!r}",
          repr(f.get("Source")))
    check(bool(f.get("UserId")) and bool(f.get("Expires")), f"{name}: UserId and Expires shown")
    return f


def expect_fail(p, name, code, *needles):
    lines = p.stderr.strip().splitlines()
    check(p.returncode == code, f"{name}: exit {code}", f"got {p.returncode}: {p.stderr.strip()}")
    check(len(lines) == 1, f"{name}: one line on stderr", repr(p.stderr))
    check(p.stdout == "", f"{name}: nothing on stdout", repr(p.stdout))
    for n in needles:
        check(n in p.stderr, f"{name}: message names {n!r}", repr(p.stderr))


def write(path, text, mode=0o600):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)
    return path


def main(argv):
    if len(argv) != 2:
        print(__doc__)
        return 64
    binary = os.path.abspath(argv[1])
    if not shutil.which("moto_server"):
        print("skipped: moto_server is not installed")
        return 77
    try:
        import boto3
    except ImportError:
        print("skipped: boto3 is not installed")
        return 77

    work = tempfile.mkdtemp(prefix="ia-whoami-")
    proc = None
    try:
        proc, endpoint = start_moto(work)
        iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1",
                           aws_access_key_id="setup", aws_secret_access_key="setup")
        iam.create_user(UserName="auditor")
        iam.put_user_policy(UserName="auditor", PolicyName="all", PolicyDocument=json.dumps(
            {"Version": "2012-10-17",
             "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
        key = iam.create_access_key(UserName="auditor")["AccessKey"]
        kid, secret = key["AccessKeyId"], key["SecretAccessKey"]
        r = Runner(binary, work, endpoint, [secret] + FAKE_SECRETS)
        user_arn = f"arn:aws:iam::{ACCOUNT}:user/auditor"
        keys = {"AWS_ACCESS_KEY_ID": kid, "AWS_SECRET_ACCESS_KEY": secret}

        cfg = os.path.join(work, "config")
        creds = os.path.join(work, "credentials")
        files = {"AWS_CONFIG_FILE": cfg, "AWS_SHARED_CREDENTIALS_FILE": creds}
        bindir = os.path.join(work, "bin dir")
        os.makedirs(bindir)
        doc = json.dumps({"Version": 1, "AccessKeyId": kid, "SecretAccessKey": secret})
        good = write(os.path.join(bindir, "creds.sh"),
                     "#!/bin/sh\n"
                     "[ \"$1\" = 'two words' ] || { echo \"bad argument: $1\" >&2; exit 4; }\n"
                     f"echo '{doc}'\n", 0o700)
        failing = write(os.path.join(bindir, "fail.sh"),
                        "#!/bin/sh\necho 'fail.sh: not logged in' >&2\nexit 2\n", 0o700)
        badjson = write(os.path.join(bindir, "bad.sh"),
                        f"#!/bin/sh\necho '{FAKE_SECRETS[1]} is not JSON'\n", 0o700)
        token = write(os.path.join(work, "oidc-token"), "eyJhbGciOiJSUzI1NiJ9.e30.sig\n")
        write(creds, f"[base]\naws_access_key_id = {kid}\naws_secret_access_key = {secret}\n")
        write(cfg,
              "[profile proc]\n"
              f"credential_process = \"{good}\" 'two words'\n"
              "[profile audit]\n"
              "role_arn = arn:aws:iam::222222222222:role/audit\n"
              "source_profile = base\n"
              "role_session_name = whoami-test\n"
              "[profile hop2]\n"
              "role_arn = arn:aws:iam::333333333333:role/second\n"
              "source_profile = audit\n"
              "[profile procfail]\n"
              f"credential_process = '{failing}'\n"
              "[profile procbad]\n"
              f"credential_process = '{badjson}'\n"
              "[profile ci]\n"
              "role_arn = arn:aws:iam::444444444444:role/ci\n"
              f"web_identity_token_file = {token}\n")

        # (a) environment keys
        p = r.run("env keys", env=keys)
        f = expect_ok(r, p, "env keys", ACCOUNT, user_arn, "environment")
        check(f.get("Expires") == "never", "env keys: long-term keys never expire")
        # (b) a profile with static keys, by --profile and by AWS_PROFILE
        p = r.run("profile static", ["--profile", "base"], env=files)
        expect_ok(r, p, "profile static", ACCOUNT, user_arn,
                  "profile base (shared credentials file)")
        p = r.run("AWS_PROFILE static", env={**files, "AWS_PROFILE": "base"})
        expect_ok(r, p, "AWS_PROFILE static", ACCOUNT, user_arn, "profile base")
        # botocore's rule: AWS_PROFILE does not beat the environment keys, --profile does
        p = r.run("env beats AWS_PROFILE",
                  env={**files, "AWS_PROFILE": "audit", **keys})
        expect_ok(r, p, "env beats AWS_PROFILE", ACCOUNT, user_arn, "environment")
        p = r.run("--profile beats env", ["--profile", "audit"], env={**files, **keys})
        expect_ok(r, p, "--profile beats env", "222222222222", "assumed-role/audit", "assume-role")
        # (c) credential_process, quoted path with a space and a quoted argument
        p = r.run("credential_process", ["--profile=proc"], env=files)
        expect_ok(r, p, "credential_process", ACCOUNT, user_arn,
                  "profile proc (credential_process)")
        # (d) role_arn + source_profile into another account
        p = r.run("assume role", ["--profile", "audit"], env=files)
        f = expect_ok(r, p, "assume role", "222222222222",
                      "arn:aws:sts::222222222222:assumed-role/audit/whoami-test",
                      "profile audit: assume-role arn:aws:iam::222222222222:role/audit via "
                      "profile base (shared credentials file)")
        check(f.get("Expires", "never") != "never", "assume role: temporary credentials expire")
        # (e) two hops
        p = r.run("role chain", ["--profile", "hop2"], env=files)
        expect_ok(r, p, "role chain", "333333333333", "assumed-role/second/",
                  "profile hop2: assume-role arn:aws:iam::333333333333:role/second via "
                  "profile audit: assume-role")
        # (f) web identity, from the environment and from a profile
        p = r.run("web identity env", env={"AWS_WEB_IDENTITY_TOKEN_FILE": token,
                                           "AWS_ROLE_ARN": "arn:aws:iam::444444444444:role/ci",
                                           "AWS_ROLE_SESSION_NAME": "ci-run"})
        expect_ok(r, p, "web identity env", "444444444444", "assumed-role/ci/ci-run",
                  "web identity (AWS_WEB_IDENTITY_TOKEN_FILE)")
        p = r.run("web identity profile", ["--profile", "ci"], env=files)
        expect_ok(r, p, "web identity profile", "444444444444", "assumed-role/ci/",
                  "profile ci: web identity")

        # failure modes: set-up problems are 78 with one line naming cause and fix
        p = r.run("no credentials")
        expect_fail(p, "no credentials", 78, "no AWS credentials found", "AWS_PROFILE",
                    "docs/credentials.md")
        p = r.run("unknown profile", ["--profile", "nosuch"], env=files)
        expect_fail(p, "unknown profile", 78, "profile nosuch", cfg, creds)
        p = r.run("unknown AWS_PROFILE", env={**files, "AWS_PROFILE": "nosuch"})
        expect_fail(p, "unknown AWS_PROFILE", 78, "AWS_PROFILE")
        p = r.run("failing credential_process", ["--profile", "procfail"], env=files)
        check(p.returncode == 78, "failing credential_process: exit 78",
              f"got {p.returncode}: {p.stderr}")
        check("exit status 2" in p.stderr and "fail.sh: not logged in" in p.stderr,
              "failing credential_process: status named, its stderr passed through",
              repr(p.stderr))
        p = r.run("malformed credential_process", ["--profile", "procbad"], env=files)
        expect_fail(p, "malformed credential_process", 78, "not JSON")
        p = r.run("half env keys", env={"AWS_ACCESS_KEY_ID": kid})
        expect_fail(p, "half env keys", 78, "AWS_SECRET_ACCESS_KEY")
        p = r.run("usage", ["--bogus"])
        check(p.returncode == 64, "usage: exit 64", f"got {p.returncode}")
        p = r.run("help", ["--help"])
        check(p.returncode == 0 and "AWS_WEB_IDENTITY_TOKEN_FILE" in p.stdout
              and "Example" in p.stdout, "help: exit 0, options, env vars, example")

        # (g) moto verifies signatures from here on
        req = urllib.request.Request(endpoint + "/moto-api/reset-auth", data=b"0",
                                     headers={"Content-Type": "text/plain"}, method="POST")
        urllib.request.urlopen(req, timeout=10).read()
        p = r.run("auth on, right secret", env=keys)
        expect_ok(r, p, "auth on, right secret", ACCOUNT, user_arn, "environment")
        p = r.run("auth on, role", ["--profile", "audit"], env=files)
        expect_ok(r, p, "auth on, role", "222222222222", "assumed-role/audit/", "assume-role")
        p = r.run("auth on, wrong secret",
                  env={"AWS_ACCESS_KEY_ID": kid, "AWS_SECRET_ACCESS_KEY": FAKE_SECRETS[0]})
        expect_fail(p, "auth on, wrong secret", 3, "GetCallerIdentity")
        check("SignatureDoesNotMatch" in p.stderr or "InvalidClientTokenId" in p.stderr,
              "auth on, wrong secret: AWS's own error code shown", repr(p.stderr))
        p = r.run("auth on, unknown key",
                  env={"AWS_ACCESS_KEY_ID": "AKIAUNKNOWNKEY000000",
                       "AWS_SECRET_ACCESS_KEY": FAKE_SECRETS[0]})
        expect_fail(p, "auth on, unknown key", 3, "InvalidClientTokenId")
    except Exception as e:  # a crash of the driver is a failure, never a pass
        check(False, "driver", f"{type(e).__name__}: {e}")
    finally:
        if proc:
            stop_moto(proc)
        shutil.rmtree(work, ignore_errors=True)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
