"""Shared pieces of the integration drivers: pass/fail counting with the closing
'N passed, N failed' line, the moto estate, and a clean environment for the binary."""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
ESTATE = os.path.join(ROOT, "tests", "estate")  # test tooling (readback.py)
DEMO = os.path.join(ROOT, "demo")               # the demo's estate builder and moto control
PROXY = os.path.join(ROOT, "tests", "tools", "faultproxy.py")
PY = sys.executable

_counts = {"passed": 0, "failed": 0}


def check(cond, what, detail=""):
    """Count one assertion; print it (and detail) when it fails. Returns cond."""
    if cond:
        _counts["passed"] += 1
    else:
        _counts["failed"] += 1
        print("FAIL:", what, ("\n  " + detail) if detail else "", flush=True)
    return cond


def finish():
    """Print the closing line and return the exit code."""
    print(f"{_counts['passed']} passed, {_counts['failed']} failed")
    return 1 if _counts["failed"] else 0


def moto(*args):
    """Run demo/moto_ctl.py with args; raise on failure."""
    subprocess.run([PY, os.path.join(DEMO, "moto_ctl.py"), *args], check=True,
                   capture_output=True)


def stop_moto(pid_file):
    """Stop a server this test started (no-op for None); never raises, for finally blocks."""
    if pid_file:
        subprocess.run([PY, os.path.join(DEMO, "moto_ctl.py"), "stop", "--pid-file", pid_file],
                       capture_output=True)


def build_estate(endpoint, spec, out_dir):
    """Build a moto estate (resets the server) and return its output folder."""
    subprocess.run([PY, os.path.join(DEMO, "build_estate.py"), "--endpoint", endpoint,
                    "--spec", spec, "--out-dir", out_dir], check=True, capture_output=True)
    return out_dir


def tool_env(estate_dir, endpoint, home):
    """The process environment for iam-audit: the estate's audit user against moto only,
    nothing of the developer's AWS set-up, no instance metadata."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("AWS_") and k != "IA_LOG_LEVEL"}
    for line in open(os.path.join(estate_dir, "env")):
        k, _, v = line.strip().partition("=")
        if k:
            env[k] = v
    env.update(AWS_ENDPOINT_URL=endpoint, HOME=home, AWS_EC2_METADATA_DISABLED="true")
    return env
