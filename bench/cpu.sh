#!/bin/sh
# CPU per call: instructions per signed request and per parsed response page, counted by
# valgrind --tool=callgrind (repeatable on a noisy machine) (issue 8, #5).
#
#   bench/cpu.sh [USERS:ROLES]        (default 300:300)
#
# Builds bench/cpu_driver.c against the project's static libraries in the build directory
# (ia_collector, ia_core; BENCH_BUILD, default build-bench/, then build/), starts moto on
# 127.0.0.1, builds bench:USERS:1:ROLES and captures two GetAccountAuthorizationDetails pages
# as iam-audit asks for them (bench/capture_page.py): the base account's (USERS users) and the
# team account's (ROLES roles with trust policies). Each operation is run N1 and N2 times
# under callgrind; per-operation figure = (Ir(N2) - Ir(N1)) / (N2 - N1), so start-up cancels.
# Environment: BENCH_BUILD, BENCH_KEEP=1, BENCH_JOBS.
set -eu
. "$(dirname "$0")/lib.sh"
size=${1:-300:300}
users=${size%%:*}
roles=${size##*:}
build=${BENCH_BUILD:-}
if [ -z "$build" ]; then
    for b in "$BENCH_ROOT/build-bench" "$BENCH_ROOT/build"; do
        if [ -f "$b/collector/libia_collector.a" ]; then
            build=$b
            break
        fi
    done
fi
[ -n "$build" ] && [ -f "$build/collector/libia_collector.a" ] ||
    { echo "cpu.sh: no build directory with libia_collector.a (set BENCH_BUILD)" >&2; exit 1; }
command -v valgrind >/dev/null || { echo "cpu.sh: valgrind is not installed" >&2; exit 1; }
bench_init cpu
bench_machine
echo "libraries: $build ($(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$build/CMakeCache.txt"))"

drv=$BENCH_WORK/cpu_driver
# shellcheck disable=SC2046
cc -std=c11 -O2 -I"$BENCH_ROOT" -o "$drv" "$BENCH_ROOT/bench/cpu_driver.c" \
    "$build/collector/libia_collector.a" "$build/sql/libia_db.a" "$build/core/libia_core.a" \
    $(pkg-config --libs libcurl libcrypto libxml-2.0 jansson inih sqlite3) -lcsv -lpthread

bench_moto
bench_estate "bench:$users:1:$roles" "$BENCH_WORK/estate"
python3 "$BENCH_ROOT/bench/capture_page.py" "$BENCH_WORK/estate" "$BENCH_WORK"

ir() { # ir ARGS...: total instructions of one driver run under callgrind
    out=$BENCH_WORK/cg.$$.out
    valgrind --tool=callgrind --callgrind-out-file="$out" "$drv" "$@" \
        >/dev/null 2>"$BENCH_WORK/cg.log" || { cat "$BENCH_WORK/cg.log" >&2; exit 1; }
    sed -n 's/^totals: *\([0-9]*\).*/\1/p; s/^summary: *\([0-9]*\).*/\1/p' "$out" | head -n 1
    rm -f "$out"
}
per_op() { # per_op N1 N2 ARGS-before-N...
    n1=$1 n2=$2
    shift 2
    a=$(ir "$@" "$n1")
    b=$(ir "$@" "$n2")
    echo $(((b - a) / (n2 - n1)))
}

echo
printf '%-44s %14s %s\n' operation instructions note
s=$(per_op 10 1010 sign)
printf '%-44s %14s %s\n' "sign one request (SigV4, session token)" "$s" \
    "as collector/aws.c: the signing key cached, 1 HMAC"
s=$(per_op 10 1010 sign-uncached)
printf '%-44s %14s %s\n' "sign one request, no key cache" "$s" \
    "4 HMACs to derive the key, 1 to sign"
for p in base team; do
    f=$BENCH_WORK/gaad-$p.xml
    bytes=$(wc -c <"$f")
    v=$(per_op 2 22 parse "$f")
    printf '%-44s %14s %s\n' "parse+walk GAAD page ($p, $bytes bytes)" "$v" \
        "$(echo "scale=1; $v / $bytes" | bc) instructions/byte"
done
echo
echo "repeat: bench/cpu.sh $size"
