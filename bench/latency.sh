#!/bin/sh
# Wall time of `iam-audit collect` behind a fixed per-request delay, against the latency
# bound (issue 8, #2).
#
#   bench/latency.sh [ACCOUNTS...]          (default: 20 100)
#
# For each account count A: starts moto on 127.0.0.1, builds bench:USERS:A:ROLES
# (BENCH_USERS, default 100; BENCH_ROLES per account, default 20), runs collect once straight
# against moto (the service-time reference), then once through tests/tools/faultproxy.py
# with delay_ms=BENCH_DELAY_MS (default 50) at --concurrency BENCH_CONCURRENCY (default 4:
# with moto serving ~200 requests/s and a Python proxy on the same 2 CPUs, 4 connections
# waiting 50 ms each stay well below the stand-in's own limit, so the delay, not moto, is
# what is measured). Prints wall time next to the bound of bench/bound.py.
# Estates are kept small because moto builds them at ~55 requests/s: 100 accounts x 20
# roles take about 2 minutes.
# Environment: IA_BIN, BENCH_KEEP=1, BENCH_JOBS, and the BENCH_* above.
set -eu
. "$(dirname "$0")/lib.sh"
bin=$(bench_bin)
users=${BENCH_USERS:-100}
roles=${BENCH_ROLES:-20}
delay=${BENCH_DELAY_MS:-50}
conc=${BENCH_CONCURRENCY:-4}
[ $# -gt 0 ] || set -- 20 100
bench_init latency
bench_machine
echo "delay ${delay} ms per request, concurrency $conc, estates bench:$users:A:$roles"

rows=""
for a in "$@"; do
    d=$BENCH_WORK/a$a
    mkdir -p "$d"
    bench_moto
    bench_estate "bench:$users:$a:$roles" "$d/estate"

    # The delayed run first, on the fresh estate: like a nightly run, it finds no credential
    # report and starts one (a second run within 4 hours would find it COMPLETE at once).
    bench_proxy "delay$a" "$delay"
    bench_env "$d/estate" "$PROXY_URL"
    t0=$(bench_now)
    /usr/bin/time -f '%U s user, %S s sys, peak RSS %M KB' -o "$d/delay.time" \
        "$bin" collect --config "$d/estate/iam-audit.conf" --db "$d/delay.db" \
        --concurrency "$conc" 2>"$d/delay.log" || { cat "$d/delay.log"; exit 1; }
    wall=$(bench_since "$t0")
    bench_env "$d/estate" "$MOTO_URL"
    t0=$(bench_now)
    "$bin" collect --config "$d/estate/iam-audit.conf" --db "$d/direct.db" \
        --concurrency "$conc" 2>"$d/direct.log" || { cat "$d/direct.log"; exit 1; }
    direct=$(bench_since "$t0")

    tail -n 1 "$d/delay.log"
    echo "A=$a: delay ${delay} ms ${wall} s; no delay (reports already generated) ${direct} s"
    echo "  iam-audit CPU (delayed run): $(cat "$d/delay.time")"
    grep 'account collected' "$d/delay.log" |
        sed -n 's/.*account=\([0-9]*\).*calls=\([0-9]*\).*ms=\([0-9]*\).*/\3 \2 \1/p' | sort -n |
        tail -n 1 | { read -r ms calls acct; echo "  slowest account $acct: $calls calls (+1 AssumeRole) in $ms ms"; }
    rows="$rows$(python3 "$BENCH_ROOT/bench/bound.py" "$d/delay.db" "$BENCH_WORK/delay$a.stats.json" \
        "$delay" "$conc" "$wall" "1+$a acct")
"
    bench_cleanup_moto=$BENCH_MOTO_PIDFILE
    python3 "$BENCH_ROOT/demo/moto_ctl.py" stop --pid-file "$bench_cleanup_moto" >/dev/null
    BENCH_MOTO_PIDFILE=""
done

echo
python3 "$BENCH_ROOT/bench/bound.py" --header
printf '%s' "$rows"
echo
echo "bound = delay x max(chain, requests/concurrency); serial = the floor when each account's"
echo "calls run one after another on one connection (see docs/performance.md)"
echo "repeat: BENCH_USERS=$users BENCH_ROLES=$roles BENCH_DELAY_MS=$delay BENCH_CONCURRENCY=$conc" \
    "bench/latency.sh $*"
