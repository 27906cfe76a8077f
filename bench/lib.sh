# shellcheck shell=sh
# Shared helpers for the bench/*.sh scripts (sourced, not run). Benchmarks print figures;
# they are never tests. Everything listens on 127.0.0.1 only and everything started here is
# stopped by its pid on exit (bench_cleanup, installed as the EXIT trap by bench_init).
#
#   IA_BIN         the iam-audit binary (default: build-bench/, then build/)
#   BENCH_KEEP=1   keep the work directory (databases, proxy stats, logs) for inspection
#   BENCH_JOBS     build_estate.py --jobs (default 4)

BENCH_ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH_TESTS=$BENCH_ROOT/tests
BENCH_PIDS=""
BENCH_MOTO_PIDFILE=""

bench_bin() {
    if [ -n "${IA_BIN:-}" ]; then
        printf '%s\n' "$IA_BIN"
        return
    fi
    for b in "$BENCH_ROOT/build-bench/cli/iam-audit" "$BENCH_ROOT/build/cli/iam-audit"; do
        if [ -x "$b" ]; then
            printf '%s\n' "$b"
            return
        fi
    done
    echo "bench: no iam-audit binary; build one:" >&2
    echo "  cmake -S $BENCH_ROOT -B $BENCH_ROOT/build-bench -DCMAKE_BUILD_TYPE=Release &&" \
         "make -C $BENCH_ROOT/build-bench -j2   (or set IA_BIN)" >&2
    exit 1
}

bench_cleanup() {
    for p in $BENCH_PIDS; do
        kill "$p" 2>/dev/null || true
    done
    for p in $BENCH_PIDS; do
        wait "$p" 2>/dev/null || true
    done
    BENCH_PIDS=""
    if [ -n "$BENCH_MOTO_PIDFILE" ] && [ -f "$BENCH_MOTO_PIDFILE" ]; then
        python3 "$BENCH_ROOT/demo/moto_ctl.py" stop --pid-file "$BENCH_MOTO_PIDFILE" \
            >/dev/null 2>&1 || true
    fi
    BENCH_MOTO_PIDFILE=""
    if [ -n "${BENCH_WORK:-}" ]; then
        if [ "${BENCH_KEEP:-0}" = 1 ]; then
            echo "bench: kept $BENCH_WORK" >&2
        else
            rm -rf "$BENCH_WORK"
        fi
    fi
}

# bench_init NAME: a fresh work directory in $BENCH_WORK and the cleanup trap.
bench_init() {
    BENCH_WORK=$(mktemp -d "${TMPDIR:-/tmp}/ia-bench-$1.XXXXXX")
    trap bench_cleanup EXIT
    trap 'exit 130' INT TERM
}

# bench_moto [moto_ctl start options]: start moto on a free loopback port; sets MOTO_URL.
bench_moto() {
    BENCH_MOTO_PIDFILE=$BENCH_WORK/moto.pid
    python3 "$BENCH_ROOT/demo/moto_ctl.py" start --port-file "$BENCH_WORK/moto.port" \
        --pid-file "$BENCH_MOTO_PIDFILE" "$@" >/dev/null
    MOTO_PORT=$(cat "$BENCH_WORK/moto.port")
    MOTO_URL=http://127.0.0.1:$MOTO_PORT
}

# bench_estate SPEC DIR: build a moto estate (build_estate.py); prints its one-line summary.
bench_estate() {
    python3 "$BENCH_ROOT/demo/build_estate.py" --endpoint "$MOTO_URL" --spec "$1" \
        --out-dir "$2" --jobs "${BENCH_JOBS:-4}"
}

# bench_proxy NAME DELAY_MS: start tests/tools/faultproxy.py (through bench/proxy.py, which
# turns Nagle off: see there) in front of moto with a fixed
# delay; sets PROXY_URL and writes per-action counts to $BENCH_WORK/NAME.stats.json.
bench_proxy() {
    printf '{"delay_ms": %s}\n' "$2" >"$BENCH_WORK/$1.rules.json"
    rm -f "$BENCH_WORK/$1.port"
    python3 "$BENCH_ROOT/bench/proxy.py" --upstream-port "$MOTO_PORT" \
        --rules "$BENCH_WORK/$1.rules.json" --stats "$BENCH_WORK/$1.stats.json" \
        --port-file "$BENCH_WORK/$1.port" 2>"$BENCH_WORK/$1.log" &
    BENCH_PIDS="$BENCH_PIDS $!"
    i=0
    while [ ! -s "$BENCH_WORK/$1.port" ]; do
        i=$((i + 1))
        if [ "$i" -gt 100 ]; then
            echo "bench: the proxy did not start (see $BENCH_WORK/$1.log)" >&2
            exit 1
        fi
        sleep 0.1
    done
    PROXY_URL=http://127.0.0.1:$(cat "$BENCH_WORK/$1.port")
    export PROXY_URL
}

# bench_env ESTATE_DIR URL: the audit user's credentials (the estate's env file), pointed
# at URL (moto itself or a proxy). A proxy's counts only grow: start one per measurement.
bench_env() {
    set -a
    # shellcheck disable=SC1090
    . "$1/env"
    set +a
    AWS_ENDPOINT_URL=$2
    export AWS_ENDPOINT_URL
    unset AWS_SESSION_TOKEN AWS_PROFILE
}

# bench_now: seconds since the epoch, with nanoseconds.
bench_now() {
    date +%s.%N
}

# bench_since T0: seconds since bench_now gave T0, two decimals.
bench_since() {
    printf '%.2f' "$(echo "$(bench_now) - $1" | bc)"
}

bench_machine() {
    model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
    echo "machine: $(nproc) CPUs, ${model:-unknown CPU}, $(uname -sr)"
}
