#!/usr/bin/env python3
"""tests/tools/faultproxy.py with Nagle's algorithm off on the client side (bench/lib.sh).

    proxy.py [faultproxy.py options]      (the same options: --upstream-port, --rules, ...)

faultproxy.py answers a keep-alive client with two writes (headers, then body) on a socket
that keeps Nagle's algorithm on (http.server's default, disable_nagle_algorithm = False):
the body then waits for the client's delayed ACK, up to 40 ms on Linux, on every request
after a connection's first few. That stall is the proxy's, not the collector's; a benchmark
that adds a fixed delay must not add a second, variable one. This runs the same proxy with
TCP_NODELAY on accepted sockets. (Reported to the lead as a fix for faultproxy.py itself.)
BENCH_NAGLE=1 in the environment keeps the stock behaviour, to show the difference.

It also listens with a backlog of 128 instead of socketserver's 5: a collector that opens
more than 5 connections at once (iam-audit opens up to c x min(c, 8) when the run starts)
overflowed the stock backlog, the kernel dropped the handshake and the client retried it
1 s later (TcpExtListenOverflows counts them): a second of the proxy's own in some runs and
not others. AWS's endpoints do not drop a handful of connections. BENCH_BACKLOG=5 keeps
the stock backlog, to show the difference.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "tools"))
import faultproxy  # noqa: E402

if os.environ.get("BENCH_NAGLE") != "1":
    faultproxy.Handler.disable_nagle_algorithm = True
faultproxy.Server.request_queue_size = int(os.environ.get("BENCH_BACKLOG", "128"))

if __name__ == "__main__":
    sys.exit(faultproxy.main())
