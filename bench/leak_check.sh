#!/bin/bash
# bench/leak_check.sh - catalogd's memory under a long request mix (issue 16): idle RSS after
# start and after the load, VmRSS sampled after every segment of the run, and a verdict on
# growth. wrk replays the mix of bench/leak_mix.py (GetCallerIdentity, ListPortfolios,
# DescribeRecord, a bad signature) on CONNS connections, CONNS - PER_CLIENT of them past
# --max-conns-per-client, so a share of the calls is answered ThrottlingException (and the
# connection closed and reopened). Exits non-zero when any response is not one of those
# kinds, wrk saw a connection error or time-out, or (RSS_CHECK=1) RSS grew by GROWTH_KB or
# more between the end of the warm-up (WARM requests) and the end of the run; with a
# sanitizer build (SANITIZED=1) also when the daemon's stderr holds a sanitizer report
# after its SIGTERM exit (LeakSanitizer runs then). See bench/README.md, issue 16's section.
#
#   CATALOGD_BIN=build/catalogd   daemon under test
#   TOTAL=10000000                requests in all
#   SEGMENT=1000000               requests between two RSS samples (at least)
#   RUN=20                        seconds of one wrk run (each signed afresh)
#   TIMEOUT=30s                   wrk's time-out of one response (its default, 2 s, is
#                                 met on a loaded machine without anything being wrong)
#   WARM=2000000                  requests counted as warm-up (growth is measured after them)
#   GROWTH_KB=1024                allowed VmRSS growth from WARM to TOTAL
#   CONNS=64 PER_CLIENT=60        wrk connections, and the daemon's --max-conns-per-client
#   RSS_CHECK=1                   0: report RSS but judge only the responses (sanitizer builds)
#   SANITIZED=0                   1: the daemon is an ASan/LSan build; its exit report is checked
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO"
BIN=${CATALOGD_BIN:-build/catalogd}
TOTAL=${TOTAL:-10000000}
SEGMENT=${SEGMENT:-1000000}
RUN=${RUN:-20}
TIMEOUT=${TIMEOUT:-30s}
WARM=${WARM:-2000000}
GROWTH_KB=${GROWTH_KB:-1024}
CONNS=${CONNS:-64}
PER_CLIENT=${PER_CLIENT:-60}
RSS_CHECK=${RSS_CHECK:-1}
SANITIZED=${SANITIZED:-0}
PY=/usr/bin/python3

die() { echo "leak_check: $*" >&2; exit 1; }
[ -x "$BIN" ] || die "no daemon at $BIN (run 'make build' or set CATALOGD_BIN)"
command -v wrk >/dev/null || die "wrk is not installed (apt-get install wrk)"

WORK=$(mktemp -d /tmp/catalogd-leak.XXXXXX)
CD_PID='' WRK_PID=''
cleanup() {
    set +e
    [ -n "$WRK_PID" ] && kill "$WRK_PID" 2>/dev/null && wait "$WRK_PID" 2>/dev/null
    if [ -n "$CD_PID" ] && kill -0 "$CD_PID" 2>/dev/null; then
        kill -TERM "$CD_PID"; wait "$CD_PID" 2>/dev/null
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() { $PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
rss_kb() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }
cpu_idle_pct() { # share of all CPUs idle over the next second
    local a b
    a=$(awk '/^cpu / { print $5 + $6, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat)
    sleep 1
    b=$(awk '/^cpu / { print $5 + $6, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat)
    awk -v a="$a" -v b="$b" 'BEGIN { split(a, x, " "); split(b, y, " ");
        printf "%.0f", (y[2] > x[2] ? 100 * (y[1] - x[1]) / (y[2] - x[2]) : 100) }'
}

export CATALOGD_ROOT_ACCESS_KEY_ID=AKIACATALOGDBENCH001
export CATALOGD_ROOT_SECRET_ACCESS_KEY=catalogdBenchSecretKey000000000000000001
export CATALOGD_REGION=us-east-1
unset CATALOGD_SYNC CATALOGD_LOG_LEVEL CATALOGD_HTTP_THREADS CATALOGD_LISTEN CATALOGD_DATA_DIR \
    CATALOGD_DATABASE_URL CATALOGD_MAX_CONNS CATALOGD_MAX_CONNS_PER_CLIENT
EP=127.0.0.1:$(free_port)
# warn: no per-request log line (10 million of them would only measure the disk)
"$BIN" serve --listen "$EP" --data-dir "$WORK/data" --log-level warn --ec2-delay-ms 0 \
    --max-conns-per-client "$PER_CLIENT" --template-dir "$REPO/data/templates" \
    >"$WORK/catalogd.out" 2>"$WORK/catalogd.log" &
CD_PID=$!
for _ in $(seq 400); do
    kill -0 "$CD_PID" 2>/dev/null || { cat "$WORK/catalogd.log" >&2; die "catalogd exited"; }
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://$EP/_catalogd/health" || true)" = 200 ] && break
    sleep 0.05
done
sleep 1
RSS_START=$(rss_kb "$CD_PID" VmRSS)
mkdir -p "$WORK/state"
$PY bench/leak_mix.py "$EP" "$WORK/state" "$WORK/mix.lua" >/dev/null || die "setting up the mix failed"
IDLE=$(cpu_idle_pct)
echo "leak_check: $BIN on $EP, $TOTAL requests in segments of $SEGMENT, $CONNS connections" \
    "($((CONNS > PER_CLIENT ? CONNS - PER_CLIENT : 0)) past --max-conns-per-client $PER_CLIENT); CPU idle before: ${IDLE}%"
echo "VmRSS after start: ${RSS_START} kB; after the demo world's setup: $(rss_kb "$CD_PID" VmRSS) kB"
printf '%10s %9s %9s %9s %9s %9s %6s %10s %9s\n' requests avg_rps ok denied throttled other p99_ms VmRSS_kB delta_kB

FAILED=0 SENT=0 NEXT=$SEGMENT PREV='' RSS_WARM='' T0=$(date +%s)
declare -A SUM=([ok]=0 [denied]=0 [throttled]=0 [other]=0)
P99=0
while [ "$SENT" -lt "$TOTAL" ]; do
    $PY bench/leak_mix.py "$EP" "$WORK/state" "$WORK/mix.lua" || die "signing failed"
    wrk -t2 -c"$CONNS" -d"${RUN}s" --timeout "$TIMEOUT" -s "$WORK/mix.lua" "http://$EP/" >"$WORK/wrk.txt" 2>&1 &
    WRK_PID=$!
    wait "$WRK_PID" || { WRK_PID=; cat "$WORK/wrk.txt" >&2; die "wrk failed"; }
    WRK_PID=
    line=$(grep '^BENCH ' "$WORK/wrk.txt") || { cat "$WORK/wrk.txt" >&2; die "no BENCH line from wrk"; }
    get() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<<"$line"; }
    for k in ok denied throttled other; do SUM[$k]=$((SUM[$k] + $(get $k))); done
    SENT=$((SUM[ok] + SUM[denied] + SUM[throttled] + SUM[other]))
    P99=$(awk -v a="$P99" -v b="$(get p99_us)" 'BEGIN { print (b > a ? b : a) }')
    for k in other connect_errors read_errors write_errors timeouts; do
        [ "$(get $k)" = 0 ] || { echo "leak_check: $k=$(get $k) in a run" >&2; FAILED=1; }
    done
    [ "$SENT" -ge "$NEXT" ] || [ "$SENT" -ge "$TOTAL" ] || continue
    NEXT=$((SENT + SEGMENT - SENT % SEGMENT))
    rss=$(rss_kb "$CD_PID" VmRSS)
    el=$(($(date +%s) - T0))
    printf '%10d %9.0f %9d %9d %9d %9d %6.1f %10d %9s\n' "$SENT" "$(awk -v n="$SENT" -v s="$el" 'BEGIN { print (s > 0 ? n / s : 0) }')" \
        "${SUM[ok]}" "${SUM[denied]}" "${SUM[throttled]}" "${SUM[other]}" "$(awk -v u="$P99" 'BEGIN { print u / 1000 }')" \
        "$rss" "${PREV:+$((rss - PREV))}"
    PREV=$rss
    [ -z "$RSS_WARM" ] && [ "$SENT" -ge "$WARM" ] && RSS_WARM=$rss
done
for k in ok denied; do
    [ "${SUM[$k]}" != 0 ] || { echo "leak_check: no $k response" >&2; FAILED=1; }
done
if [ "$CONNS" -gt "$PER_CLIENT" ] && [ "${SUM[throttled]}" = 0 ]; then
    echo "leak_check: no throttled response" >&2
    FAILED=1
fi
IDLE_AFTER=$(cpu_idle_pct)
sleep 1
RSS_END=$(rss_kb "$CD_PID" VmRSS)
HWM=$(rss_kb "$CD_PID" VmHWM)
echo "VmRSS after the load (2 s idle): ${RSS_END} kB, peak VmHWM ${HWM} kB; CPU idle after: ${IDLE_AFTER}%"
GROWTH=$((PREV - ${RSS_WARM:-$PREV}))
echo "growth from the end of warm-up ($WARM requests, ${RSS_WARM:-?} kB) to the end ($SENT requests, $PREV kB): ${GROWTH} kB (limit ${GROWTH_KB} kB)"
if [ "$RSS_CHECK" = 1 ] && [ "$GROWTH" -ge "$GROWTH_KB" ]; then
    echo "leak_check: RSS grew by ${GROWTH} kB after warm-up" >&2
    FAILED=1
fi
kill -TERM "$CD_PID"
rc=0
wait "$CD_PID" || rc=$?
CD_PID=
[ "$rc" = 0 ] || { echo "leak_check: catalogd exited $rc on SIGTERM" >&2; FAILED=1; }
if [ "$SANITIZED" = 1 ]; then
    if grep -E 'ERROR: (LeakSanitizer|AddressSanitizer)|runtime error:' "$WORK/catalogd.log" >&2; then
        echo "leak_check: sanitizer report (above)" >&2
        FAILED=1
    else
        echo "sanitizer: no report in catalogd's stderr after its exit"
    fi
fi
if grep -q '"level":"error"' "$WORK/catalogd.log"; then
    grep '"level":"error"' "$WORK/catalogd.log" | head -5 >&2
    echo "leak_check: catalogd logged errors" >&2
    FAILED=1
fi
[ "$FAILED" = 0 ] && echo "leak_check: OK" || echo "leak_check: FAILED" >&2
exit "$FAILED"
