#!/bin/sh
# Requests per API action and per account against the minimum the data allows (issue 8, #1).
#
#   bench/calls.sh [USERS:ACCOUNTS:ROLES]        (default 2000:5:300, the issue's estate)
#
# Starts moto (with AWS-managed policies loaded) on 127.0.0.1, builds the estate
# (demo/build_estate.py bench:USERS:ACCOUNTS:ROLES), attaches three AWS-managed
# policies in every account (bench/attach_managed.py), puts tests/tools/faultproxy.py in
# front of moto as a counting proxy (delay 0), runs `iam-audit collect` through it and prints
# bench/calls_report.py's tables. Building the default estate takes about 4-5 minutes (moto
# serves ~55 requests/s to the builder); 300:5:100 takes under a minute.
# Environment: IA_BIN, BENCH_KEEP=1, BENCH_JOBS (see bench/lib.sh).
set -eu
. "$(dirname "$0")/lib.sh"
size=${1:-2000:5:300}
bin=$(bench_bin)
bench_init calls

bench_machine
bench_moto --managed-policies
t0=$(bench_now)
bench_estate "bench:$size" "$BENCH_WORK/estate"
python3 "$BENCH_ROOT/bench/attach_managed.py" "$BENCH_WORK/estate"
echo "estate built in $(bench_since "$t0") s"

bench_proxy count 0
bench_env "$BENCH_WORK/estate" "$PROXY_URL"
t0=$(bench_now)
rc=0
/usr/bin/time -f 'cpu %U s user, %S s sys, peak RSS %M KB' -o "$BENCH_WORK/collect.time" \
    "$bin" collect --config "$BENCH_WORK/estate/iam-audit.conf" --db "$BENCH_WORK/calls.db" \
    2>"$BENCH_WORK/collect.log" || rc=$?
grep 'account collected' "$BENCH_WORK/collect.log" | sed 's/.*account=\([0-9]*\).* calls=\([0-9]*\).* ms=\([0-9]*\).*/  account \1: \2 calls in \3 ms/' 
secs=$(bench_since "$t0")
tail -n 1 "$BENCH_WORK/collect.log"
echo "collect exit $rc in $secs s (no added delay); iam-audit $(cat "$BENCH_WORK/collect.time")"
echo
python3 "$BENCH_ROOT/bench/calls_report.py" "$BENCH_WORK/calls.db" "$BENCH_WORK/count.stats.json" \
    --server moto
echo
echo "repeat: bench/calls.sh $size"
