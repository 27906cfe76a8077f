#!/usr/bin/env bash
# Self-test of the estate tooling: start moto (with signature checks switched on after the
# build), build the `small` estate, read it back, check that the manifest agrees with what
# moto holds (every expected resource exists, every planted entry points at a real
# resource and principal, the dated defects really are old), stop moto.
#   tests/estate/selftest.sh [WORKDIR]     (default: a fresh temporary directory)
# Exit 0 when every check passes, 1 otherwise.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
demo="$here/../../demo"
work="${1:-$(mktemp -d "${TMPDIR:-/tmp}/estate-selftest.XXXXXX")}"
mkdir -p "$work"
py="${PYTHON:-python3}"

stop() { "$py" "$demo/moto_ctl.py" stop --pid-file "$work/moto.pid" || true; }
trap stop EXIT

"$py" "$demo/moto_ctl.py" start --port-file "$work/moto.port" --pid-file "$work/moto.pid" --auth
endpoint="http://127.0.0.1:$(cat "$work/moto.port")"
"$py" "$demo/build_estate.py" --endpoint "$endpoint" --spec small --out-dir "$work/small"
"$py" "$here/readback.py" --endpoint "$endpoint" --manifest "$work/small/manifest.json" \
  --out "$work/small/readback.json"

"$py" - "$work/small" "$endpoint" <<'EOF'
import csv, datetime, json, os, sys, urllib.request
import boto3
from botocore.exceptions import ClientError

out, endpoint = sys.argv[1], sys.argv[2]
m = json.load(open(os.path.join(out, "manifest.json")))
rb = json.load(open(os.path.join(out, "readback.json")))
fails = []

def check(cond, msg):
    if not cond:
        fails.append(msg)

def ts(s):
    return datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))

now = datetime.datetime.now(datetime.timezone.utc)
def days_ago(s):
    return (now - ts(s)).total_seconds() / 86400.0

accts = {a["account_id"]: a for a in rb["accounts"]}
check(sorted(accts) == sorted(a["account_id"] for a in m["accounts"]), "account set differs")
check(all(isinstance(a["account_id"], str) and len(a["account_id"]) == 12 for a in m["accounts"]),
      "account ids must be 12-character strings")
check("044444444444" in accts, "the leading-zero account is missing")

users, roles, serials = {}, {}, {}
for aid, a in accts.items():
    for u in a["users"]:
        users[u["arn"]] = (aid, u)
    for r in a["roles"]:
        roles[r["arn"]] = (aid, r)
    for d in a["virtual_mfa_devices"]:
        serials[d["serial_number"]] = (aid, d)

# 1. every expected resource exists, and nothing else does
for a in m["accounts"]:
    got, exp = accts[a["account_id"]], a["expected"]
    check(sorted(u["user_name"] for u in got["users"]) == exp["users"],
          f"{a['account_id']}: users differ")
    check(sorted(u["arn"] for u in got["users"]) == exp["user_arns"], f"{a['account_id']}: user ARNs differ")
    check(sorted(r["role_name"] for r in got["roles"]) == exp["roles"],
          f"{a['account_id']}: roles differ: {sorted(r['role_name'] for r in got['roles'])}")
    check(sorted(r["arn"] for r in got["roles"]) == exp["role_arns"], f"{a['account_id']}: role ARNs differ")
    check(sorted(d["serial_number"] for d in got["virtual_mfa_devices"]) == exp["mfa_serials"],
          f"{a['account_id']}: MFA serials differ")
    for name, serial in exp["mfa_assigned"].items():
        u = next(u for u in got["users"] if u["user_name"] == name)
        check([d["serial_number"] for d in u["mfa_devices"]] == [serial],
              f"{name}: MFA device not assigned")
    check(sorted(g["group_name"] for g in got["groups"]) == exp["groups"], f"{a['account_id']}: groups")
    for g in got["groups"]:
        check(g["members"] == exp["group_members"].get(g["group_name"]), f"{g['group_name']}: members")
    check(sorted(p["policy_name"] for p in got["policies"]) == exp["policies"],
          f"{a['account_id']}: customer-managed policies differ")
    check(sorted(u["user_name"] for u in got["users"] if u["password_enabled"]) == exp["password_users"],
          f"{a['account_id']}: password users differ")
    check({u["user_name"]: [k["access_key_id"] for k in u["access_keys"]]
           for u in got["users"] if u["access_keys"]} == exp["access_keys"],
          f"{a['account_id']}: access keys differ")
    check(got["aliases"] == [a["alias"]], f"{a['account_id']}: alias")
    pp = got["password_policy"]
    check((pp or {}).get("MinimumPasswordLength") == a["password_policy_min_length"],
          f"{a['account_id']}: password policy")
    check(len(got["credential_report"]["rows"]) == len(got["users"]),
          f"{a['account_id']}: credential report rows")

# 2. every planted entry points at something real
def trust_principals(role):
    vals = []
    sts = role["trust_policy"]["Statement"]
    for st in sts if isinstance(sts, list) else [sts]:
        for key in ("Principal", "NotPrincipal"):
            p = st.get(key)
            if p == "*":
                vals.append("*")
            elif isinstance(p, dict):
                for v in p.values():
                    vals += v if isinstance(v, list) else [v]
    return vals

base = m["base_account"]
base_user_arns = {u["arn"] for u in accts[base]["users"]}
base_user_ids = {u["user_id"] for u in accts[base]["users"]}
for p in m["planted"]:
    rid, aid, res, pr = p["rule_id"], p["account_id"], p["resource"], p["principal"]
    tag = f"planted {rid} {res} {pr}"
    check(aid in accts, f"{tag}: unknown account")
    check(f":{aid}:" in res, f"{tag}: resource not in its account")
    if rid == "password-policy-weak":
        check(res == f"arn:aws:iam::{aid}:root", tag)
        mp = (accts[aid]["password_policy"] or {}).get("MinimumPasswordLength", 0)
        check(mp < 16, f"{tag}: policy is not weak ({mp})")
    elif rid == "mfa-device-name-prefix":
        check(res in serials, f"{tag}: no such MFA device")
        check(serials.get(res, (0, {}))[1].get("user_name") == pr.split("/")[-1], f"{tag}: device not assigned to the user")
        check(not res.split("/")[-1].startswith(pr.split("/")[-1]), f"{tag}: device name has the prefix")
    elif rid.startswith(("user-", "leaver-present", "team-account-user", "access-key-")):
        check(res in users, f"{tag}: no such user")
        if res not in users:
            continue
        u = users[res][1]
        if rid.startswith("access-key-"):
            k = next((k for k in u["access_keys"] if k["access_key_id"] == pr), None)
            check(k is not None and k["status"] == "Active", f"{tag}: no such active key")
            if k and rid == "access-key-old":
                check(days_ago(k["created_at"]) > 90, f"{tag}: key is not old")
            if k and rid == "access-key-unused":
                check(days_ago(k["last_used_at"] or k["created_at"]) > 90, f"{tag}: key was used")
        if rid == "user-inactive":
            check(days_ago(u["created_at"]) > 90 and u["password_last_used"] is None and
                  all(k["last_used_at"] is None or days_ago(k["last_used_at"]) > 90
                      for k in u["access_keys"]), f"{tag}: user is not inactive")
        if rid == "user-no-mfa":
            check(not u["mfa_devices"], f"{tag}: user has MFA")
            creds = u["password_enabled"] or any(k["status"] == "Active" for k in u["access_keys"])
            check((p["severity"] == "critical") == creds, f"{tag}: severity vs credentials")
        if rid == "team-account-user":
            check(aid != base and (u["password_enabled"] or u["access_keys"]), tag)
        if rid == "leaver-present":
            check(any(l["email"].lower() == u["user_name"].lower() and l["leaving_date"] < now.date().isoformat()
                      for l in m["leavers"]), f"{tag}: not a past leaver")
    else:   # role and trust rules
        check(res in roles, f"{tag}: no such role")
        if res not in roles:
            continue
        r = roles[res][1]
        check(not r["path"].startswith("/aws-service-role/"), f"{tag}: service-linked role planted")
        if pr is not None:
            check(pr in trust_principals(r), f"{tag}: principal not in the trust policy")
        if rid == "trust-dangling-principal":
            check(pr not in base_user_arns and pr not in base_user_ids, f"{tag}: principal exists")
        if rid == "role-unused":
            check(days_ago(r["created_at"]) > 90 and r["last_used_at"] is None, f"{tag}: role not unused")
        if rid == "bootstrap-role-present":
            check(days_ago(r["created_at"]) > 30, f"{tag}: bootstrap role within grace")
        if rid == "leaver-trusted-by-role":
            check(any(l["email"].lower() == pr.split("/")[-1].lower() for l in m["leavers"]), tag)

for n in m["negatives"]:
    check(n["resource"] in users or n["resource"] in roles or n["resource"].endswith(":root"),
          f"negative {n['rule_id']} {n['resource']}: no such resource")

# 3. the side files
with open(os.path.join(out, "leavers.csv"), newline="") as f:
    rows = list(csv.DictReader(f))
check({r["email"] for r in rows} == {l["email"] for l in m["leavers"]}, "leavers.csv")
with open(os.path.join(out, "roster.csv"), newline="") as f:
    check(sorted(r["email"] for r in csv.DictReader(f)) == m["roster"], "roster.csv")
env = dict(l.strip().split("=", 1) for l in open(os.path.join(out, "env")) if "=" in l)
check(env.get("AWS_ENDPOINT_URL") == endpoint and env.get("AWS_ACCESS_KEY_ID") == m["audit"]["access_key_id"], "env")
conf = open(os.path.join(out, "iam-audit.conf")).read()
check(all(f"id = {a['account_id']}" in conf for a in m["accounts"] if not a["base"]), "iam-audit.conf")
check(not m["not_plantable"] or {x["rule_id"] for x in m["not_plantable"]} == {"root-no-mfa", "root-access-key"},
      f"unexpected not_plantable: {m['not_plantable']}")

# 4. auth is enforced now: a wrong secret is refused, the audit user still works
if m["build"]["auth_enforced"]:
    bad = boto3.client("sts", endpoint_url=endpoint, region_name="us-east-1",
                       aws_access_key_id=m["audit"]["access_key_id"], aws_secret_access_key="wrong")
    try:
        bad.get_caller_identity()
        fails.append("auth: a wrong secret was accepted")
    except ClientError as e:
        check(e.response["Error"]["Code"] == "SignatureDoesNotMatch", f"auth: {e}")

print(f"selftest: {len(m['planted'])} planted entries, {len(m['negatives'])} negatives, "
      f"{sum(len(a['users']) for a in rb['accounts'])} users, "
      f"{sum(len(a['roles']) for a in rb['accounts'])} roles checked; "
      f"build {m['build']['seconds']} s, readback {rb['seconds']} s")
for f in fails:
    print("FAIL:", f)
sys.exit(1 if fails else 0)
EOF
echo "selftest: ok ($work)"
