#!/usr/bin/env python3
"""A loopback-only HTTP proxy between iam-audit and moto_server that injects faults.

Rules come from a JSON file (re-read on every request, so a test can change them):
  {"delay_ms": 0,
   "rules": [{"action": "AssumeRole", "match": "222222222222", "times": -1,
              "status": 403, "code": "AccessDenied", "message": "...", "kind": "xml"}]}
A rule matches when the request's Action (form body or X-Amz-Target) equals "action"
(or "*") and "match" (if given) occurs in the body. "times" is how many matching
requests it hits (-1: all). "kind": "xml" (IAM/STS error), "json" (JSON 1.1 error),
"reset" (drop the connection), "stall" (sleep stall_ms then answer normally),
"truncate" (cut the body in half), "garbage" (200 with a malformed body).
Counts of requests per action go to the stats file as JSON. With --inflight FILE, the
most requests ever in flight at once per access key id (one per assumed role session, so
per account) go there as JSON: {"ASIA...": 3}. With --conns FILE, the access key ids each
client connection carried, in order of first use, one list per connection accepted:
[["AKIA..."], ["ASIA...", "ASIA..."]] (how many connections a run opens, and which it reuses
across accounts). With --per-key FILE, the requests per action of each access key id
(so per account): {"ASIA...": {"ListAccessKeys": 6, ...}}. With --log FILE, one JSON line
per request as it ends: {"key": "ASIA...", "action": "ListRoles", "start": T, "end": T}
(seconds, time.monotonic()), to check the order in which a collector sends its reads.
Only 127.0.0.1 is ever bound or forwarded to.
"""
import argparse
import http.client
import http.server
import json
import os
import socket
import sys
import threading
import time
import urllib.parse

LOCK = threading.Lock()
HITS = {}
COUNTS = {}
INFLIGHT = {}
MAX_INFLIGHT = {}
CONNS = []
PER_KEY = {}


def key_of(headers):
    """The access key id of a signed request's Authorization header, or "-"."""
    auth = headers.get("Authorization") or ""
    i = auth.find("Credential=")
    return auth[i + 11:].split("/", 1)[0] if i >= 0 else "-"


def action_of(headers, body):
    target = headers.get("X-Amz-Target")
    if target:
        return target.split(".")[-1]
    try:
        form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
        return form.get("Action", ["?"])[0]
    except Exception:
        return "?"


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: without TCP_NODELAY the body waits ~40 ms
    # for the client's delayed ACK on a kept-alive connection.
    disable_nagle_algorithm = True

    def log_message(self, fmt, *args):
        pass

    def _drop(self):
        """Really close the client's connection (rfile and wfile hold the socket too)."""
        self.close_connection = True
        for f in (self.rfile, self.wfile):
            try:
                f.close()
            except OSError:
                pass
        self.connection.close()

    def setup(self):
        super().setup()
        with LOCK:
            self.conn_keys = []
            CONNS.append(self.conn_keys)

    def do_POST(self):
        key = key_of(self.headers)
        with LOCK:
            if key not in self.conn_keys:
                self.conn_keys.append(key)
                self.server.save_conns()
            INFLIGHT[key] = INFLIGHT.get(key, 0) + 1
            if INFLIGHT[key] > MAX_INFLIGHT.get(key, 0):
                MAX_INFLIGHT[key] = INFLIGHT[key]
                self.server.save_inflight()
        self.action = None
        start = time.monotonic()
        try:
            self._post()
        finally:
            with LOCK:
                INFLIGHT[key] -= 1
                if self.server.log_path:
                    with open(self.server.log_path, "a") as f:
                        f.write(json.dumps({"key": key, "action": self.action, "start": start,
                                            "end": time.monotonic()}) + "\n")

    def _post(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        action = self.action = action_of(self.headers, body)
        cfg = self.server.load_rules()
        with LOCK:
            COUNTS[action] = COUNTS.get(action, 0) + 1
            per = PER_KEY.setdefault(key_of(self.headers), {})
            per[action] = per.get(action, 0) + 1
            self.server.save_stats()
        if cfg.get("delay_ms"):
            time.sleep(cfg["delay_ms"] / 1000.0)
        rule = None
        for i, r in enumerate(cfg.get("rules", [])):
            if r.get("action") not in ("*", action):
                continue
            if r.get("match") and r["match"].encode() not in body:
                continue
            with LOCK:
                used = HITS.get(i, 0)
                if r.get("times", -1) >= 0 and used >= r["times"]:
                    continue
                HITS[i] = used + 1
            rule = r
            break
        if rule and rule.get("kind") == "reset":
            # SO_LINGER 0: close sends a RST. rfile holds the socket too: close both.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            self._drop()
            return
        if rule and rule.get("kind") == "stall":
            time.sleep(rule.get("stall_ms", 5000) / 1000.0)
            rule = None
        if rule and rule.get("kind") in ("xml", "json"):
            status = rule.get("status", 400)
            if rule["kind"] == "json":
                out = json.dumps({"__type": rule.get("code", "X"), "message": rule.get("message", "")}).encode()
                ctype = "application/x-amz-json-1.1"
            else:
                out = ("<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error>"
                       "<Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error>"
                       "<RequestId>fault-%d</RequestId></ErrorResponse>" % (
                           rule.get("code", "X"), rule.get("message", "injected"), sum(HITS.values()))).encode()
                ctype = "text/xml"
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)
            return
        if rule and rule.get("kind") == "garbage":
            out = b"<NotXml"
            self.send_response(200)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)
            return
        conn = http.client.HTTPConnection("127.0.0.1", self.server.upstream, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection",)}
        conn.request("POST", self.path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        if rule and rule.get("kind") == "truncate":
            self.send_response(resp.status)
            self.send_header("Content-Type", resp.getheader("Content-Type", "text/xml"))
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self._drop()
            return
        self.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() not in ("content-length", "connection", "transfer-encoding", "server", "date"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default of 5 pending connections overflows when iam-audit opens its
    # connections at once, and each dropped SYN waits a second to be retried.
    request_queue_size = 128

    def handle_error(self, request, client_address):
        pass  # clients killed mid-request (the SIGKILL tests) are expected

    def load_rules(self):
        if not self.rules_path:
            return {}
        try:
            with open(self.rules_path) as f:
                return json.load(f)
        except FileNotFoundError:
            return {}

    def save_inflight(self):
        if self.inflight_path:
            with open(self.inflight_path + ".tmp", "w") as f:
                json.dump(MAX_INFLIGHT, f)
            os.replace(self.inflight_path + ".tmp", self.inflight_path)

    def save_conns(self):
        if self.conns_path:
            with open(self.conns_path + ".tmp", "w") as f:
                json.dump(CONNS, f)
            os.replace(self.conns_path + ".tmp", self.conns_path)

    def save_stats(self):
        if self.stats_path:
            with open(self.stats_path, "w") as f:
                json.dump(COUNTS, f)
        if self.per_key_path:
            with open(self.per_key_path + ".tmp", "w") as f:
                json.dump(PER_KEY, f)
            os.replace(self.per_key_path + ".tmp", self.per_key_path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--upstream-port", type=int, required=True)
    ap.add_argument("--rules")
    ap.add_argument("--stats")
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--inflight")
    ap.add_argument("--conns")
    ap.add_argument("--per-key")
    ap.add_argument("--log")
    a = ap.parse_args()
    srv = Server(("127.0.0.1", 0), Handler)
    srv.upstream = a.upstream_port
    srv.rules_path = a.rules
    srv.stats_path = a.stats
    srv.inflight_path = a.inflight
    srv.conns_path = a.conns
    srv.per_key_path = a.per_key
    srv.log_path = a.log
    with open(a.port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.replace(a.port_file + ".tmp", a.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
