#!/usr/bin/env python3
"""Integration: no secret iam-audit handles ends up in anything it writes (issue 7).

Builds the `small` estate in moto (request authentication on), then runs `whoami` and
`collect` at IA_LOG_LEVEL=debug (the level that logs canonical requests and strings to
sign) with credentials whose secrets are known:

  env-keys      the audit user's access key in AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY;
  env-session   a session this test obtains itself with boto3 (sts:AssumeRole into the base
                account's audit role): AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN;
  profile-mfa   a role profile with source_profile (the audit user's keys in the shared
                credentials file) and mfa_serial, with --mfa-token CODE.

Every file the tool wrote (the database, -wal, -shm, the lock file: the database lives in
a directory of its own) and its stdout and stderr are searched for each secret: the
secret key, the session token (as is, URL-encoded, and any 20-character piece of either),
every session token moto issues (they share a fixed prefix, so the tokens of the
sessions iam-audit obtains itself are covered too) and the MFA code (the code is a leak
only where a control run without it does not show the same digits by chance).
The database, its WAL and the lock file must be owner-only (0600).

usage: test_secrets.py IAM_AUDIT_BINARY [MOTO_PORT_FILE]
Prints "N passed, N failed"; exit 1 if anything failed.
"""
import os
import stat
import subprocess
import sys
import tempfile
import time
import urllib.parse

from harness import check, DEMO, ESTATE, finish, PY, stop_moto
BASE = "111111111111"
MOTO_TOKEN_PREFIX = "FQoGZXIvYXdzEBYaD"  # moto.sts.utils.SESSION_TOKEN_PREFIX
MFA_CODE = "739146"
PIECE = 20


def needles(secret):
    """The secret, URL-encoded, and every PIECE-character piece of both."""
    forms = {secret, urllib.parse.quote(secret, safe=""), urllib.parse.quote_plus(secret)}
    out = set()
    for f in forms:
        out.add(f.encode())
        for i in range(0, max(1, len(f) - PIECE + 1)):
            out.add(f[i:i + PIECE].encode())
    return out


def outputs(dbdir, p):
    """Everything the run wrote: files in its database directory, stdout, stderr."""
    blobs = {"stdout": p.stdout, "stderr": p.stderr}
    for name in sorted(os.listdir(dbdir)):
        with open(os.path.join(dbdir, name), "rb") as f:
            blobs[name] = f.read()
    return blobs


def leaks(blobs, secret_needles):
    found = []
    for where, blob in blobs.items():
        for n in secret_needles:
            if n in blob:
                found.append(f"{where} holds {n[:8].decode(errors='replace')}...")
                break
    return found


def base_env(work, endpoint):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(HOME=work, AWS_ENDPOINT_URL=endpoint, AWS_EC2_METADATA_DISABLED="true",
               AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE=os.path.join(work, "aws-config"),
               AWS_SHARED_CREDENTIALS_FILE=os.path.join(work, "aws-credentials"),
               IA_LOG_LEVEL="debug")
    return env


def run(binary, args, env):
    p = subprocess.run([binary, *args], env=env, capture_output=True, timeout=300)
    return p


def main():
    binary = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory(prefix="ia-secrets-") as work:
        moto_pid = os.path.join(work, "moto.pid")
        try:
            if len(sys.argv) > 2:
                port_file = sys.argv[2]
                moto_pid = None
            else:
                port_file = os.path.join(work, "moto.port")
                subprocess.run([PY, os.path.join(DEMO, "moto_ctl.py"), "start", "--port-file",
                                port_file, "--pid-file", moto_pid, "--auth"],
                               check=True, capture_output=True)
            port = open(port_file).read().strip()
            endpoint = f"http://127.0.0.1:{port}"
            subprocess.run([PY, os.path.join(DEMO, "build_estate.py"), "--endpoint", endpoint,
                            "--spec", "small", "--out-dir", os.path.join(work, "small")],
                           check=True, capture_output=True)
            keys = {}
            for line in open(os.path.join(work, "small", "env")):
                k, _, v = line.strip().partition("=")
                keys[k] = v
            akid, secret = keys["AWS_ACCESS_KEY_ID"], keys["AWS_SECRET_ACCESS_KEY"]
            conf = os.path.join(work, "small", "iam-audit.conf")

            # A session of our own: its secret and token are known to this test. The estate's
            # base audit role may not assume roles; allow it (authentication off meanwhile)
            # so that a collect with this session as the caller reaches every account.
            import boto3
            ctl = [PY, os.path.join(DEMO, "moto_ctl.py"), "auth", "--port-file", port_file]
            subprocess.run(ctl + ["off"], check=True, capture_output=True)
            boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1",
                         aws_access_key_id=akid, aws_secret_access_key=secret).put_role_policy(
                RoleName="iam-audit", PolicyName="secrets-test-chain", PolicyDocument=(
                    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
                    '"Action":"sts:AssumeRole","Resource":"*"}]}'))
            subprocess.run(ctl + ["on"], check=True, capture_output=True)
            sts = boto3.client("sts", endpoint_url=endpoint, region_name="us-east-1",
                               aws_access_key_id=akid, aws_secret_access_key=secret)
            sess = sts.assume_role(RoleArn=f"arn:aws:iam::{BASE}:role/iam-audit",
                                   RoleSessionName="secrets-test")["Credentials"]
            check(sess["SessionToken"].startswith(MOTO_TOKEN_PREFIX),
                  "moto's session tokens carry the known prefix")

            with open(os.path.join(work, "aws-credentials"), "w") as f:
                f.write(f"[base]\naws_access_key_id = {akid}\naws_secret_access_key = {secret}\n")
            with open(os.path.join(work, "aws-config"), "w") as f:
                f.write(f"[profile audit-mfa]\nrole_arn = arn:aws:iam::{BASE}:role/iam-audit\n"
                        f"source_profile = base\nmfa_serial = arn:aws:iam::{BASE}:mfa/iam-audit\n"
                        "region = us-east-1\n")

            env_keys = dict(base_env(work, endpoint), AWS_ACCESS_KEY_ID=akid,
                            AWS_SECRET_ACCESS_KEY=secret)
            env_sess = dict(base_env(work, endpoint), AWS_ACCESS_KEY_ID=sess["AccessKeyId"],
                            AWS_SECRET_ACCESS_KEY=sess["SecretAccessKey"],
                            AWS_SESSION_TOKEN=sess["SessionToken"])
            env_prof = base_env(work, endpoint)
            secret_needles = (needles(secret) | needles(sess["SecretAccessKey"])
                              | needles(sess["SessionToken"]) | {MOTO_TOKEN_PREFIX.encode()})

            check(leaks({"self-test": b"x" + secret[3:30].encode() + b"y"}, secret_needles),
                  "the search finds a piece of the secret (self-test)")
            check(leaks({"self-test": urllib.parse.quote(sess["SessionToken"], safe="").encode()},
                        secret_needles), "the search finds a URL-encoded token (self-test)")

            cases = [
                ("env-keys", env_keys, []),
                ("env-session", env_sess, []),
                ("profile-mfa", env_prof, ["--profile", "audit-mfa", "--mfa-token", MFA_CODE]),
            ]
            control = None
            for name, env, extra in cases:
                dbdir = os.path.join(work, "db-" + name)
                os.makedirs(dbdir)
                db = os.path.join(dbdir, "audit.db")
                w = run(binary, ["whoami", *extra], env)
                check(w.returncode == 0, f"{name}: whoami exits 0",
                      f"{w.returncode}: {w.stderr[-400:]!r}")
                check(b"level=debug" in w.stderr, f"{name}: whoami logged at debug")
                c = run(binary, ["collect", "--config", conf, "--db", db, *extra], env)
                check(c.returncode == 0, f"{name}: collect exits 0",
                      f"{c.returncode}: {c.stderr[-400:]!r}")
                check(b"level=debug" in c.stderr and b"canonical" in c.stderr.lower(),
                      f"{name}: collect logged canonical requests at debug")
                blobs = outputs(dbdir, c)
                blobs["whoami stdout"], blobs["whoami stderr"] = w.stdout, w.stderr
                check(os.path.getsize(db) > 0, f"{name}: the database was written")
                found = leaks(blobs, secret_needles)
                check(not found, f"{name}: no secret key or session token in "
                      f"{', '.join(sorted(blobs))}", "; ".join(found))
                for fn in os.listdir(dbdir):
                    mode = stat.S_IMODE(os.stat(os.path.join(dbdir, fn)).st_mode)
                    check(mode & 0o077 == 0, f"{name}: {fn} is owner-only ({oct(mode)})")
                if name == "env-session":
                    # Killed mid-run, the WAL and shared-memory files are left behind: search
                    # them too (a clean exit checkpoints and removes them).
                    kdir = os.path.join(work, "db-killed")
                    os.makedirs(kdir)
                    k = subprocess.Popen([binary, "collect", "--config", conf, "--db",
                                          os.path.join(kdir, "audit.db")], env=env,
                                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                    wal = os.path.join(kdir, "audit.db-wal")
                    deadline = time.monotonic() + 60
                    while k.poll() is None and time.monotonic() < deadline:
                        if os.path.exists(wal) and os.path.getsize(wal) > 64 * 1024:
                            break  # some accounts are in the WAL, not yet checkpointed
                        time.sleep(0.005)
                    k.kill()
                    out, err = k.communicate()
                    kb = {"stdout": out, "stderr": err}
                    for fn in os.listdir(kdir):
                        kb["killed " + fn] = open(os.path.join(kdir, fn), "rb").read()
                    found = leaks(kb, secret_needles)
                    check(not found, f"killed collect: no secret in {', '.join(sorted(kb))}",
                          "; ".join(found))
                    print(f"  killed collect: searched {', '.join(sorted(kb))}", flush=True)
                if name == "env-keys":
                    control = blobs
                else:
                    mfa = [k for k, b in blobs.items() if MFA_CODE.encode() in b
                           and not (k in control and MFA_CODE.encode() in control[k])]
                    if name == "profile-mfa":
                        check(not mfa, f"{name}: the MFA code appears nowhere", repr(mfa))
                print(f"  {name}: whoami {w.returncode}, collect {c.returncode}, searched "
                      f"{len(blobs)} outputs ({sum(len(b) for b in blobs.values())} bytes) for "
                      f"{len(secret_needles)} needles", flush=True)
        finally:
            stop_moto(moto_pid)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
