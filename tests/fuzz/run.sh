#!/bin/sh
# Build the libFuzzer targets with clang (ASan + UBSan) and run each for SECONDS (default
# 30), then print the executions each reached. New inputs go to a scratch directory, not
# into the seed corpora; crashes are left as crash-* files in $OUT/<target>/.
#
#   tests/fuzz/run.sh [SECONDS]
#   IA_FUZZ_BUILD=dir  build directory (default: build-fuzz in the source tree)
#   IA_FUZZ_OUT=dir    scratch corpora and crash files (default: $IA_FUZZ_BUILD/fuzz-out)
#   IA_FUZZ_TARGETS="xml csv"  a subset
# Exit 0 when every target ran its time without a crash, 1 otherwise.
set -eu
SECS=${1:-30}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
B=${IA_FUZZ_BUILD:-$ROOT/build-fuzz}
OUT=${IA_FUZZ_OUT:-$B/fuzz-out}
TARGETS=${IA_FUZZ_TARGETS:-"xml csv config sigv4 policy"}

CC=${CC:-clang} cmake -S "$ROOT" -B "$B" -DIA_FUZZ=ON -DCMAKE_C_COMPILER="${CC:-clang}" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
list=""
for t in $TARGETS; do list="$list --target fuzz_$t"; done
# shellcheck disable=SC2086
if ! cmake --build "$B" -j"$(nproc)" $list >"$B/fuzz-build.log" 2>&1; then
    tail -20 "$B/fuzz-build.log" >&2
    echo "run.sh: build failed (is 'add_subdirectory(fuzz)' in tests/CMakeLists.txt?)" >&2
    exit 1
fi

status=0
printf '%-8s %12s %10s %8s %s\n' target execs exec/s corpus result
for t in $TARGETS; do
    mkdir -p "$OUT/$t"
    log="$OUT/$t.log"
    set +e
    (cd "$OUT/$t" && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
        UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
        "$B/tests/fuzz/fuzz_$t" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 "$OUT/$t" "$ROOT/tests/fuzz/corpus/$t") >"$log" 2>&1
    rc=$?
    set -e
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    units=$(find "$OUT/$t" -maxdepth 1 -type f ! -name 'crash-*' ! -name 'leak-*' \
        ! -name 'timeout-*' ! -name 'oom-*' | wc -l)
    if [ "$rc" -eq 0 ]; then res=ok; else res="FAILED (exit $rc, see $log)"; status=1; fi
    printf '%-8s %12s %10s %8s %s\n' "$t" "${execs:-?}" "${rate:-?}" "$units" "$res"
done
exit $status
