#!/bin/sh
# iam-audit against what people write instead, on the same estate and proxy, in the same run
# (issue 8, #3): (a) bench/awscli_baseline.sh, (b) bench/boto3_baseline.py, and (b') the same
# with --same-reads (issue 16: also the reads iam-audit makes that (b) skips).
#
#   bench/versus.sh [USERS:ACCOUNTS:ROLES]       (default 100:10:20, the issue's estate)
#
# Starts moto on 127.0.0.1, builds bench:USERS:ACCOUNTS:ROLES, and runs the three collectors
# one after the other, each through its own tests/tools/faultproxy.py with delay_ms =
# BENCH_DELAY_MS (default 50, as in bench/latency.sh) so that request counts stay separate.
# iam-audit and boto3 both run BENCH_CONCURRENCY (default 4) accounts at once; the awscli
# script is sequential, as such scripts are. BENCH_AWSCLI=0 skips (a) (it takes minutes).
# The real awscli entry point is used (not a pyenv shim) so that (a) is not handicapped by
# this machine's shim.
# Environment: IA_BIN, BENCH_KEEP=1, BENCH_JOBS, BENCH_DELAY_MS, BENCH_CONCURRENCY, BENCH_AWSCLI.
set -eu
. "$(dirname "$0")/lib.sh"
size=${1:-100:10:20}
bin=$(bench_bin)
delay=${BENCH_DELAY_MS:-50}
conc=${BENCH_CONCURRENCY:-4}
bench_init versus
bench_machine
echo "estate bench:$size, delay $delay ms per request, concurrency $conc"
bench_moto
bench_estate "bench:$size" "$BENCH_WORK/estate"
conf=$BENCH_WORK/estate/iam-audit.conf
accounts=$(awk -F' *= *' '/^base_account *=/ || /^id *=/ { print $2 }' "$conf")
role=$(awk -F' *= *' '/^role_name *=/ { print $2; exit }' "$conf")
echo "accounts: $(echo "$accounts" | wc -l), audit role $role"

aws_dir=$(dirname "$(command -v pyenv >/dev/null 2>&1 && pyenv which aws 2>/dev/null ||
    command -v aws)")
PATH=$aws_dir:$PATH

timed() { # timed NAME CMD...: run CMD with stdout to $BENCH_WORK/NAME.out; sets $secs
    t0=$(bench_now)
    rc=0
    "$@" >"$BENCH_WORK/$1.out" 2>"$BENCH_WORK/$1.err" || rc=$?
    secs=$(bench_since "$t0")
    [ "$rc" = 0 ] || { echo "$1 failed ($rc):" >&2; tail -n 5 "$BENCH_WORK/$1.err" >&2; }
}
requests() {
    python3 -c 'import json,sys; print(sum(json.load(open(sys.argv[1])).values()))' \
        "$BENCH_WORK/$1.stats.json"
}

# Warm-up, not timed: every account then has a credential report, so no collector pays for
# starting one (bench/latency.sh measures that cold path).
bench_env "$BENCH_WORK/estate" "$MOTO_URL"
"$bin" collect --config "$conf" --db "$BENCH_WORK/warm.db" --quiet 2>/dev/null

bench_proxy ia "$delay"
bench_env "$BENCH_WORK/estate" "$PROXY_URL"
ia() { "$bin" collect --config "$conf" --db "$BENCH_WORK/versus.db" --quiet --concurrency "$conc"; }
timed ia
t_ia=$secs
echo "iam-audit: $t_ia s, $(requests ia) requests"

bench_proxy boto3 "$delay"
bench_env "$BENCH_WORK/estate" "$PROXY_URL"
# shellcheck disable=SC2086
boto3() { python3 "$BENCH_ROOT/bench/boto3_baseline.py" --role "$role" --concurrency "$conc" $accounts; }
timed boto3
t_b=$secs
echo "boto3:     $t_b s, $(requests boto3) requests"

bench_proxy boto3same "$delay"
bench_env "$BENCH_WORK/estate" "$PROXY_URL"
# shellcheck disable=SC2086
boto3same() { python3 "$BENCH_ROOT/bench/boto3_baseline.py" --role "$role" --concurrency "$conc" \
    --same-reads $accounts; }
timed boto3same
t_bs=$secs
echo "boto3 --same-reads: $t_bs s, $(requests boto3same) requests"

if [ "${BENCH_AWSCLI:-1}" != 0 ]; then
    bench_proxy awscli "$delay"
    bench_env "$BENCH_WORK/estate" "$PROXY_URL"
    # shellcheck disable=SC2086
    awscli() { sh "$BENCH_ROOT/bench/awscli_baseline.sh" "$role" $accounts; }
    timed awscli
    t_a=$secs
    echo "awscli:    $t_a s, $(requests awscli) requests, $(wc -l <"$BENCH_WORK/awscli.out") lines"
fi

echo
printf '%-26s %9s %9s %12s %s\n' collector wall_s requests "vs iam-audit" goal
printf '%-26s %9.2f %9s %12s\n' "iam-audit collect" "$t_ia" "$(requests ia)" 1.00x
r_b=$(echo "scale=2; $t_b / $t_ia" | bc)
printf '%-26s %9.2f %9s %11sx %s\n' "boto3 + thread pool" "$t_b" "$(requests boto3)" "$r_b" \
    "$(echo "$r_b >= 2" | bc | sed 's/1/>=2x: MET/;s/^0$/>=2x: NOT MET/')"
r_bs=$(echo "scale=2; $t_bs / $t_ia" | bc)
printf '%-26s %9.2f %9s %11sx %s\n' "boto3, same reads" "$t_bs" "$(requests boto3same)" "$r_bs" \
    "$(echo "$r_bs >= 2" | bc | sed 's/1/>=2x: MET/;s/^0$/>=2x: NOT MET/')"
if [ "${BENCH_AWSCLI:-1}" != 0 ]; then
    r_a=$(echo "scale=1; $t_a / $t_ia" | bc)
    printf '%-26s %9.2f %9s %11sx %s\n' "awscli shell script" "$t_a" "$(requests awscli)" \
        "$r_a" "$(echo "$r_a >= 200" | bc | sed 's/1/>=200x: MET/;s/^0$/>=200x: NOT MET/')"
fi
echo
echo "repeat: BENCH_DELAY_MS=$delay BENCH_CONCURRENCY=$conc bench/versus.sh $size" \
    "  (BENCH_AWSCLI=0 skips the awscli script)"
