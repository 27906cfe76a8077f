#!/usr/bin/env python3
"""A loopback AWS replay server: answers iam-audit's calls with recorded bodies in the exact
formats real AWS sends (tests/replay/aws/, sources in SOURCES.md), where moto differs.

usage: server.py --root DIR --port-file F [--log F] [--mode normal|html|endless]

Binds 127.0.0.1 on a free port (written to --port-file once listening) and never anything
else. It does not check signatures: it reads the access key id from the Authorization
header to know which account a call is for (keys.json maps ids to accounts).

Lookup, under ROOT/<account>/ (ROOT/org/ for Organizations, ROOT/sts/ for AssumeRole):
  Action.xml                    the answer (HTTP 200)
  Action.MARKER.xml             the page asked for with Marker=MARKER (NextToken for JSON)
  Action/USER.xml               per-user actions (UserName=USER, or AccessKeyId=USER)
  ... .STATUS.xml               the same with that HTTP status (an AWS error body)
  GetCredentialReport.csv       the report, base64-encoded into GetCredentialReport.xml
Placeholders in bodies: {{now-5d}}, {{now-3h}}, {{now+1h}} (ISO times relative to the server's
start, so fixtures do not age), {{content}} (the report), {{akid}} / {{account}} / {{role_arn}} (AssumeRole).
Every call is logged to --log as one JSON line: account, action, user, marker, target.
Modes (for the failure tests): html answers every IAM call of account 222222222222 with a
captive-portal page (200, text/html); endless makes that account's GAAD say IsTruncated=true
for ever, with 1 MiB pages.
"""
import argparse
import base64
import datetime
import glob
import http.server
import json
import os
import re
import socketserver
import sys
import threading
import urllib.parse

TEAM = "222222222222"
NS = "https://iam.amazonaws.com/doc/2010-05-08/"


# One "now" for the server's life: the same placeholder means the same instant in every body.
NOW = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


def iso(delta):
    t = NOW + delta
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def expand_times(text):
    def one(m):
        sign, n, unit = m.group(1), int(m.group(2)), m.group(3)
        d = datetime.timedelta(days=n) if unit == "d" else datetime.timedelta(hours=n)
        return iso(d if sign == "+" else -d)
    return re.sub(r"\{\{now([+-])(\d+)([dh])\}\}", one, text)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def send(self, status, body, ctype="text/xml"):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-amzn-RequestId", "7a62c49f-347e-4fc4-9331-6e8eEXAMPLE")
        self.end_headers()
        self.wfile.write(data)

    def error(self, status, code, message):
        self.send(status, f'<ErrorResponse xmlns="{NS}"><Error><Type>Sender</Type>'
                          f"<Code>{code}</Code><Message>{message}</Message></Error>"
                          "<RequestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestId>"
                          "</ErrorResponse>")

    def find(self, base):
        """(status, path) of the recorded answer for base (no extension), or None."""
        if os.path.exists(base + ".xml"):
            return 200, base + ".xml"
        if os.path.exists(base + ".json"):
            return 200, base + ".json"
        for p in glob.glob(glob.escape(base) + ".[0-9][0-9][0-9].*"):
            return int(p.rsplit(".", 2)[1]), p
        return None

    def do_POST(self):
        srv = self.server
        n = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(n).decode()
        auth = self.headers.get("Authorization", "")
        m = re.search(r"Credential=([^/]+)/", auth)
        akid = m.group(1) if m else ""
        account = srv.keys.get(akid)
        target = self.headers.get("X-Amz-Target")
        if target:
            params = json.loads(raw or "{}")
            action = target.rsplit(".", 1)[-1]
            marker = params.get("NextToken")
            user = None
        else:
            params = dict(urllib.parse.parse_qsl(raw, keep_blank_values=True))
            action = params.get("Action", "")
            marker = params.get("Marker")
            # Per-user actions name the user; GetAccessKeyLastUsed names the key.
            user = params.get("UserName") or params.get("AccessKeyId")
        with srv.lock:
            srv.log.write(json.dumps({"account": account, "action": action, "user": user,
                                      "marker": marker, "target": target}) + "\n")
            srv.log.flush()
        if account is None:
            return self.error(403, "InvalidClientTokenId",
                              "The security token included in the request is invalid.")
        if target:
            return self.answer(os.path.join(srv.root, "org", action), marker, "json")
        if action == "AssumeRole":
            return self.assume_role(params)
        if account == TEAM and srv.mode == "html" and action != "GetCallerIdentity":
            # Well-formed XML, as many portals' XHTML is: only its shape gives it away.
            return self.send(200, "<html><head><title>Network login</title></head><body>"
                                  "<p>Please sign in to continue.</p></body></html>",
                             "text/html; charset=utf-8")
        if (account == TEAM and srv.mode == "endless"
                and action == "GetAccountAuthorizationDetails"):
            return self.endless(marker)
        base = os.path.join(srv.root, account, action)
        if user is not None:
            base = os.path.join(base, user)
        return self.answer(base, marker, "xml")

    def answer(self, base, marker, kind):
        found = self.find(base + ("." + urllib.parse.quote(marker, safe="") if marker else ""))
        if not found:
            return self.error(400, "ReplayMissing", f"no recorded answer for {base} {marker}")
        status, path = found
        body = expand_times(open(path, encoding="utf-8").read())
        if "{{content}}" in body:
            csv = expand_times(open(base + ".csv", encoding="utf-8").read())
            body = body.replace("{{content}}", base64.b64encode(csv.encode()).decode())
        ctype = "application/x-amz-json-1.1" if kind == "json" else "text/xml"
        self.send(status, body, ctype)

    def assume_role(self, params):
        arn = params.get("RoleArn", "")
        acct = arn.split(":")[4] if arn.count(":") >= 5 else ""
        akid = "ASIAREPLAY" + acct
        self.server.keys[akid] = acct
        body = open(os.path.join(self.server.root, "sts", "AssumeRole.xml")).read()
        body = expand_times(body.replace("{{akid}}", akid).replace("{{account}}", acct)
                            .replace("{{role_arn}}", arn))
        self.send(200, body)

    def endless(self, marker):
        page = int(marker[4:]) + 1 if marker and marker.startswith("page") else 1
        filler = "".join(
            f"<member><Path>/</Path><UserName>u{page}-{i}</UserName>"
            f"<UserId>AIDAENDLESS{page:06d}{i:05d}</UserId>"
            f"<Arn>arn:aws:iam::{TEAM}:user/u{page}-{i}</Arn>"
            "<CreateDate>2025-01-01T00:00:00Z</CreateDate><GroupList/>"
            "<AttachedManagedPolicies/><UserPolicyList/></member>" for i in range(4500))
        self.send(200, f'<GetAccountAuthorizationDetailsResponse xmlns="{NS}">'
                       "<GetAccountAuthorizationDetailsResult>"
                       f"<IsTruncated>true</IsTruncated><Marker>page{page}</Marker>"
                       f"<UserDetailList>{filler}</UserDetailList><GroupDetailList/>"
                       "<RoleDetailList/><Policies/></GetAccountAuthorizationDetailsResult>"
                       "<ResponseMetadata><RequestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE"
                       "</RequestId></ResponseMetadata>"
                       "</GetAccountAuthorizationDetailsResponse>")


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", default=os.devnull)
    ap.add_argument("--mode", default="normal", choices=["normal", "html", "endless"])
    a = ap.parse_args()
    srv = Server(("127.0.0.1", 0), Handler)
    srv.root = a.root
    srv.mode = a.mode
    srv.keys = json.load(open(os.path.join(a.root, "keys.json")))
    srv.lock = threading.Lock()
    srv.log = open(a.log, "a")
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(srv.server_address[1]))
    os.replace(tmp, a.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
