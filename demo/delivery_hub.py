#!/usr/bin/env python3
"""The demo's stand-in for SES and Security Hub: a plain moto_server (see docs/moto.md).

    delivery_hub.py setup --endpoint URL --region R --sender ADDRESS
    delivery_hub.py dump  --endpoint URL --region R --out DIR

setup verifies the sender identity in SES (SendRawEmail refuses an unverified Source, as
AWS does). dump writes what the hub received into DIR: every raw SES message as
NN-RECIPIENT.eml and Security Hub's findings (GetFindings) as securityhub-findings.json,
and prints one line per file. Only loopback endpoints; dummy credentials (the server does
not check them).
"""
import argparse
import json
import os
import re
import sys
import urllib.parse
import urllib.request

import boto3

KEY = dict(aws_access_key_id="AKIAIOSFODNN7EXAMPLE", aws_secret_access_key="x" * 40)


def loopback(url):
    host = urllib.parse.urlparse(url).hostname or ""
    if host not in ("127.0.0.1", "localhost", "::1"):
        sys.exit(f"delivery_hub.py: {url} is not a loopback address")
    return url


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cmd", choices=["setup", "dump"])
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--region", default="eu-west-2")
    ap.add_argument("--sender")
    ap.add_argument("--out")
    a = ap.parse_args()
    ep = loopback(a.endpoint)
    if a.cmd == "setup":
        boto3.client("ses", endpoint_url=ep, region_name=a.region, **KEY).verify_email_identity(
            EmailAddress=a.sender)
        return 0
    os.makedirs(a.out, mode=0o700, exist_ok=True)
    data = json.load(urllib.request.urlopen(ep + "/moto-api/data.json"))
    for i, m in enumerate(data.get("ses", {}).get("RawMessage", [])):
        to = re.sub(r"[^A-Za-z0-9.@_-]", "_", (m.get("destinations") or ["unknown"])[0])
        path = os.path.join(a.out, f"{i + 1:02d}-{to}.eml")
        with open(path, "w") as f:
            f.write(m["raw_data"])
        print(f"  e-mail:        {path}")
    sh = boto3.client("securityhub", endpoint_url=ep, region_name=a.region, **KEY)
    findings, token = [], None
    while True:
        r = sh.get_findings(MaxResults=100, **({"NextToken": token} if token else {}))
        findings += r["Findings"]
        token = r.get("NextToken")
        if not token:
            break
    path = os.path.join(a.out, "securityhub-findings.json")
    with open(path, "w") as f:
        json.dump(findings, f, indent=1, sort_keys=True)
    print(f"  Security Hub:  {path} ({len(findings)} findings in ASFF)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
