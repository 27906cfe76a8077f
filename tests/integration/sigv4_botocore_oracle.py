#!/usr/bin/env python3
"""Second oracle for collector/sigv4.c: botocore.auth.SigV4Auth.

Generates a few hundred requests from a fixed seed, signs each with botocore and with
sigv4_tool (one JSON line per request on its stdin), and compares the Authorization
headers (plus canonical request and string to sign, to say where they part). Exits 0 when
all agree, 1 on the first difference (printed), 77 when botocore is not installed.

    sigv4_botocore_oracle.py path/to/sigv4_tool [--seed N] [--count N]

What the generator leaves out, and why:
* S3: S3SigV4Auth neither normalises nor re-encodes the path and adds
  x-amz-content-sha256; iam-audit signs IAM, STS and Organizations calls only, so every
  case is a non-S3 service with normalize_path = 1.
* Path handling both sides agree on, checked here: "/", plain and %XX-encoded segments,
  raw UTF-8, sub-delims, spaces, and dot segments / repeated slashes (botocore's
  remove_dot_segments is the aws-c-auth algorithm the signer follows, which also matches
  every path of both published suites). Not generated: paths without a leading '/', or
  holding '?', '#', CR/LF/tab (not expressible as a URL path: urlsplit would cut or strip
  them), and a '%' not followed by two hex digits (the signer refuses it as malformed,
  botocore would sign it as %25).
* Query: botocore signs request.params as given; the tool gets the same parameters as a
  wire query string written in non-canonical but equivalent ways (lower-case hex,
  reserved characters left raw where a query allows them, raw UTF-8, keys without '=').
  Empty "&&" pieces are not generated: botocore's params have no such notion (the signer
  ignores them; see the unit test).
* Header values: printable ASCII and UTF-8 text, SP/HT runs, obs-folds ("\\r\\n " and
  "\\n\\t"). Not generated: Unicode whitespace (U+00A0, U+2000.., U+0085) and
  U+001C..U+001F, which Python's str.split() (botocore's trim) treats as spaces and the
  signer, working on bytes as AWS does, does not; other control characters, which the
  signer refuses. Header names botocore never signs or rewrites (User-Agent, Expect,
  Date, X-Amz-Date, Authorization, X-Amz-Security-Token, X-Amz-Content-SHA256, ...) are
  not used as random names; date and token are set the way botocore sets them.
"""

import calendar
import datetime
import json
import random
import subprocess
import sys
from urllib.parse import quote

try:
    import botocore
    import botocore.auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
except ImportError:
    print("skipped: botocore is not installed for", sys.executable)
    sys.exit(77)

UNRESERVED = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~"
# Characters a query string may carry unencoded without changing how it splits.
QUERY_RAW_OK = "!$'()*,;:@/?[]+"
TCHAR = UNRESERVED + "!#$%&'*+^`|"
B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
UNICODE_BITS = ["é", "ß", "ሴ", "日本", "Ω", "😀", "ü"]
RESERVED_NAMES = set(botocore.auth.SIGNED_HEADERS_BLACKLIST) | {
    "host", "date", "x-amz-date", "authorization", "x-amz-security-token",
    "x-amz-content-sha256",
}

_now = [datetime.datetime(2015, 8, 30, 12, 36, 0)]
# add_auth reads the clock; pin it to the case's time.
botocore.auth.get_current_datetime = lambda *a, **k: _now[0]


class CapturingSigV4Auth(botocore.auth.SigV4Auth):
    """SigV4Auth unchanged, keeping the intermediate texts for the report."""

    def canonical_request(self, request):
        self.last_creq = super().canonical_request(request)
        return self.last_creq

    def string_to_sign(self, request, canonical_request):
        self.last_sts = super().string_to_sign(request, canonical_request)
        return self.last_sts


def rand_text(rng, alphabet, lo, hi):
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(lo, hi)))


def gen_path(rng):
    kind = rng.random()
    if kind < 0.3:
        return "/"
    segs = []
    for _ in range(rng.randint(1, 5)):
        r = rng.random()
        if r < 0.35:
            segs.append(rand_text(rng, UNRESERVED, 1, 8))
        elif r < 0.5:
            # valid escapes, either hex case
            escapes = ["%20", "%2F", "%c3%a9", "%7E", "%25", "%2e"]
            segs.append("".join(rng.choice(escapes) for _ in range(rng.randint(1, 3)))
                        + rand_text(rng, UNRESERVED, 0, 3))
        elif r < 0.65:
            segs.append(rng.choice(UNICODE_BITS) + rand_text(rng, UNRESERVED, 0, 3))
        elif r < 0.75:
            segs.append(rand_text(rng, "!$&'()*+,;=:@ ab", 1, 6).strip() or "x")
        elif r < 0.85:
            segs.append(rng.choice([".", "..", ""]))
        else:
            segs.append(rand_text(rng, UNRESERVED, 1, 4) + " " + rand_text(rng, UNRESERVED, 1, 4))
    path = "/" + "/".join(segs)
    if rng.random() < 0.3:
        path += "/"
    return path


def gen_query_text(rng):
    r = rng.random()
    if r < 0.15:
        return ""
    if r < 0.4:
        return rand_text(rng, UNRESERVED, 1, 10)
    pool = UNRESERVED + " !*'();:@&=+$,/?#[]%\"<>\\^`{|}" + "".join(UNICODE_BITS)
    s = rand_text(rng, pool, 1, 12)
    if rng.random() < 0.05:
        s += "\x00"
    return s


def wire_encode(rng, text, is_key):
    """Percent-encode text the way a sloppy but valid client might."""
    out = []
    for ch in text:
        raw_ok = (ch in UNRESERVED or ch in QUERY_RAW_OK or (not is_key and ch == "=")
                  or ord(ch) > 127)
        if raw_ok and rng.random() < 0.7:
            out.append(ch)
        else:
            hexes = ["%{:02X}".format(b) for b in ch.encode("utf-8")]
            if rng.random() < 0.5:
                hexes = [h.lower() for h in hexes]
            out.append("".join(hexes))
    return "".join(out)


def gen_query(rng):
    """(params for botocore, wire query for the tool or None)."""
    if rng.random() < 0.3:
        return [], None
    params = []
    keys = [gen_query_text(rng) or "k" for _ in range(rng.randint(1, 4))]
    for _ in range(rng.randint(1, 8)):
        key = rng.choice(keys) if rng.random() < 0.4 else (gen_query_text(rng) or "key")
        value = "" if rng.random() < 0.2 else gen_query_text(rng)
        params.append((key, value))
    pieces = []
    for key, value in params:
        if value == "" and rng.random() < 0.5:
            pieces.append(wire_encode(rng, key, True))  # "key" without '='
        else:
            pieces.append(wire_encode(rng, key, True) + "=" + wire_encode(rng, value, False))
    return params, "&".join(pieces)


def gen_header_value(rng):
    r = rng.random()
    if r < 0.1:
        return ""
    ws = [" ", "  ", "\t", " \t ", "   "]
    words = []
    for _ in range(rng.randint(1, 5)):
        if rng.random() < 0.15:
            words.append(rng.choice(UNICODE_BITS))
        else:
            words.append(rand_text(rng, UNRESERVED + "\"'(),/:;<=>?@[]{}!#$%&*+^`|\\", 1, 10))
    value = words[0]
    for w in words[1:]:
        sep = rng.choice(ws)
        if rng.random() < 0.15:
            sep = rng.choice(["\r\n ", "\n\t", "\r\n\t  "])
        value += sep + w
    if rng.random() < 0.3:
        value = rng.choice(ws) + value
    if rng.random() < 0.3:
        value += rng.choice(ws)
    return value


def gen_header_name(rng):
    while True:
        name = rand_text(rng, TCHAR, 1, 14)
        if rng.random() < 0.5:
            name = "X-" + name
        if name.lower() not in RESERVED_NAMES:
            return name


def gen_case(rng, idx):
    method = rng.choice(["GET", "GET", "POST", "POST", "PUT", "DELETE", "HEAD"])
    service = rng.choice(["iam", "sts", "organizations", "service"])
    region = rng.choice(["us-east-1", "eu-west-2", "ap-southeast-2", "cn-north-1", "us-gov-west-1"])
    host = {"iam": "iam.amazonaws.com", "sts": "sts.%s.amazonaws.com" % region,
            "organizations": "organizations.us-east-1.amazonaws.com",
            "service": "example.amazonaws.com"}[service]
    when = datetime.datetime(2015, 8, 30, 12, 36, 0) + datetime.timedelta(
        seconds=rng.randint(0, 20 * 365 * 86400))
    akid = rng.choice(["AKIA", "ASIA"]) + rand_text(rng, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16, 16)
    secret = rand_text(rng, B64, 40, 40)
    token = None
    if rng.random() < 0.3:
        token = rand_text(rng, B64, 100, 400) + "=="

    headers = [(rng.choice(["Host", "host", "HOST"]), host)]
    body = b""
    if method == "POST" and rng.random() < 0.6:
        # an AWS Query call: form body
        form = [("Action", rng.choice(["ListUsers", "GetCallerIdentity", "ListAccounts"])),
                ("Version", "2010-05-08")]
        for _ in range(rng.randint(0, 4)):
            form.append((rand_text(rng, UNRESERVED, 1, 8), gen_query_text(rng)))
        body = "&".join(quote(k, safe="-_.~") + "=" + quote(v, safe="-_.~")
                        for k, v in form).encode()
        headers.append(("Content-Type", rng.choice([
            "application/x-www-form-urlencoded; charset=utf-8",
            "application/x-www-form-urlencoded"])))
    elif method in ("POST", "PUT") and rng.random() < 0.5:
        body = bytes(rng.randrange(256) for _ in range(rng.randint(1, 300)))
        headers.append(("Content-Type", "application/octet-stream"))
    names = [gen_header_name(rng) for _ in range(rng.randint(0, 5))]
    for _ in range(rng.randint(0, 8)):
        name = rng.choice(names) if names and rng.random() < 0.5 else gen_header_name(rng)
        if rng.random() < 0.3:
            name = name.swapcase()
        headers.append((name, gen_header_value(rng)))
    rng.shuffle(headers)

    params, query = gen_query(rng)
    return {
        "id": idx, "method": method, "host": host, "path": gen_path(rng),
        "params": params, "query": query,
        "headers": headers, "body": body, "service": service, "region": region,
        "when": when, "akid": akid, "secret": secret, "token": token,
    }


def botocore_sign(case):
    _now[0] = case["when"]
    creds = Credentials(case["akid"], case["secret"], case["token"])
    auth = CapturingSigV4Auth(creds, case["service"], case["region"])
    url = "https://%s%s" % (case["host"], case["path"])
    req = AWSRequest(method=case["method"], url=url, data=case["body"] or None,
                     params=case["params"] or None)
    for name, value in case["headers"]:
        req.headers[name] = value  # HTTPHeaders appends: repeated names stay in order
    auth.add_auth(req)
    return {
        "authz": req.headers["Authorization"],
        "creq": auth.last_creq,
        "sts": auth.last_sts,
        "amz_date": req.headers["X-Amz-Date"],
    }


def tool_line(case, amz_date):
    headers = [list(h) for h in case["headers"]]
    headers.append(["X-Amz-Date", amz_date])
    if case["token"]:
        headers.append(["X-Amz-Security-Token", case["token"]])
    return json.dumps({
        "id": case["id"], "method": case["method"], "path": case["path"],
        "query": case["query"], "headers": headers, "body_hex": case["body"].hex(),
        "normalize": True, "access_key_id": case["akid"], "secret_access_key": case["secret"],
        "region": case["region"], "service": case["service"],
        "when": calendar.timegm(case["when"].timetuple()),
    })


def main(argv):
    args = argv[1:]
    seed, count = 20150830, 400
    if not args:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    tool = args[0]
    rest = args[1:]
    while rest:
        opt = rest.pop(0)
        if opt == "--seed":
            seed = int(rest.pop(0))
        elif opt == "--count":
            count = int(rest.pop(0))
        else:
            print("unknown option", opt, file=sys.stderr)
            return 2

    rng = random.Random(seed)
    cases = [gen_case(rng, i) for i in range(count)]
    expected = [botocore_sign(c) for c in cases]
    stdin = "\n".join(tool_line(c, e["amz_date"]) for c, e in zip(cases, expected)) + "\n"
    proc = subprocess.run([tool], input=stdin.encode(), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, check=False)
    if proc.returncode != 0:
        print("sigv4_tool failed (exit %d): %s" % (proc.returncode, proc.stderr.decode()))
        return 1
    results = [json.loads(line) for line in proc.stdout.decode().splitlines() if line.strip()]
    if len(results) != len(cases):
        print("sigv4_tool answered %d of %d requests" % (len(results), len(cases)))
        return 1

    for case, want, got in zip(cases, expected, results):
        if got.get("id") == case["id"] and got.get("authz") == want["authz"]:
            continue
        shown = dict(case, body=case["body"][:80], when=str(case["when"]), secret="<test secret>")
        print("MISMATCH at case %d (seed %d)" % (case["id"], seed))
        print("request:", repr(shown))
        if "error" in got:
            print("sigv4_tool refused it:", got["error"])
        for key in ("creq", "sts", "authz"):
            if got.get(key) != want[key]:
                print("--- botocore %s\n%s\n--- sigv4_tool %s\n%s"
                      % (key, want[key], key, got.get(key)))
        return 1

    n_query = sum(1 for c in cases if c["params"])
    n_body = sum(1 for c in cases if c["body"])
    n_token = sum(1 for c in cases if c["token"])
    n_fold = sum(1 for c in cases if any("\n" in v for _, v in c["headers"]))
    print("sigv4 vs botocore %s: %d/%d requests agree (seed %d; %d with query, %d with body, "
          "%d with session token, %d with folded headers)"
          % (botocore.__version__, len(cases), len(cases), seed, n_query, n_body, n_token, n_fold))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
