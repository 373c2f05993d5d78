#!/bin/bash
# bench/run.sh - catalogd load benchmark (issue 2): requests/s and latency of two signed
# read-only calls, replayed by wrk, against nginx returning a fixed body on the same
# machine in the same run (the ceiling). Prints the ratio to nginx per connection count
# and catalogd's idle RSS before and after the load. Exits non-zero when any request
# failed (a benchmark of error responses is worthless). See bench/README.md.
#
#   make bench                         (or bench/run.sh from anywhere)
#   CATALOGD_BIN=path/to/catalogd      daemon under test (default build/catalogd)
#   DURATION=10s                       measured time of each wrk run
#   CONNECTIONS="1 64"                 connection counts (wrk -t1 for 1, -t2 above)
#   WARMUP=2s                          unmeasured wrk run before each measured one
#   PIN1=1                             1-connection runs: wrk and the servers share CPU 0
#                                      (0: leave placement to the scheduler; see README)
#   DATABASE_URL=postgresql://...      catalogd on that (empty) PostgreSQL database instead
#                                      of SQLite in its temporary data directory
#   DB_PID=PID                         the postmaster of DATABASE_URL's server (same machine):
#                                      its and its backends' CPU per request is shown as well
#   RESULTS=FILE                       also write the figures there, one row a line (TSV;
#                                      bench/pg_bench.py reads it)
#   TARGETS="nginx gci lp lpu"         what to run per connection count (nginx first: the
#                                      ratios are to it); lpu: ListPortfolios as an end user
#                                      whose access is a group with three managed policies
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO"
BIN=${CATALOGD_BIN:-build/catalogd}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-"1 64"}
WARMUP=${WARMUP:-2s}
PIN1=${PIN1:-1}
DATABASE_URL=${DATABASE_URL:-}
DB_PID=${DB_PID:-}
RESULTS=${RESULTS:-}
TARGETS=${TARGETS:-"nginx gci lp lpu"}
PY=/usr/bin/python3
NGINX=${NGINX:-/usr/sbin/nginx}

die() { echo "bench: $*" >&2; exit 1; }
[ -x "$BIN" ] || die "no daemon at $BIN (run 'make build' or set CATALOGD_BIN)"
command -v wrk >/dev/null || die "wrk is not installed (apt-get install wrk)"
[ -x "$NGINX" ] || die "nginx is not installed (apt-get install nginx-light)"
$PY -c 'import botocore' 2>/dev/null || die "$PY lacks botocore (apt-get install python3-botocore)"

WORK=$(mktemp -d /tmp/catalogd-bench.XXXXXX)
CD_PID='' NG_PID='' WRK_PID=''
cleanup() {
    set +e
    [ -n "$WRK_PID" ] && kill "$WRK_PID" 2>/dev/null && wait "$WRK_PID" 2>/dev/null
    if [ -n "$CD_PID" ] && kill -0 "$CD_PID" 2>/dev/null; then
        kill -TERM "$CD_PID"; wait "$CD_PID" 2>/dev/null
    fi
    if [ -n "$NG_PID" ] && kill -0 "$NG_PID" 2>/dev/null; then
        kill -QUIT "$NG_PID"; wait "$NG_PID" 2>/dev/null # graceful: master reaps its workers
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cpu_ticks() { # user+system clock ticks of the given processes (all their threads)
    local p
    for p in "$@"; do sed 's/^.*) //' "/proc/$p/stat"; done | awk '{ s += $12 + $13 } END { print s + 0 }'
}
self_child_ticks() { # CPU ticks of this shell's reaped children (wrk, once waited for)
    sed 's/^.*) //' "/proc/$$/stat" | awk '{ print $14 + $15 }'
}
busy_ticks() { # ticks all CPUs spent on anything but idle/iowait
    awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat
}
db_pids() { # the postmaster DB_PID and its children (backends come and go)
    [ -n "$DB_PID" ] || return 0
    echo "$DB_PID"
    pgrep -P "$DB_PID" || true
}
rss_kb() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }
cpu_idle_pct() { # share of all CPUs idle over the next second (others' load skews results)
    local a b
    a=$(awk '/^cpu / { print $5 + $6, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat)
    sleep 1
    b=$(awk '/^cpu / { print $5 + $6, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat)
    awk -v a="$a" -v b="$b" 'BEGIN { split(a, x, " "); split(b, y, " ");
        printf "%.0f", (y[2] > x[2] ? 100 * (y[1] - x[1]) / (y[2] - x[2]) : 100) }'
}
wait_http() { # URL PID: until URL answers 200 or PID dies
    for _ in $(seq 200); do
        kill -0 "$2" 2>/dev/null || return 1
        [ "$(curl -s -o /dev/null -w '%{http_code}' "$1" || true)" = 200 ] && return 0
        sleep 0.05
    done
    return 1
}

# ---- catalogd: temp data dir, known root keys, default sync (full), info log to a file
export CATALOGD_ROOT_ACCESS_KEY_ID=AKIACATALOGDBENCH001
export CATALOGD_ROOT_SECRET_ACCESS_KEY=catalogdBenchSecretKey000000000000000001
export CATALOGD_REGION=us-east-1
unset CATALOGD_SYNC CATALOGD_LOG_LEVEL CATALOGD_HTTP_THREADS CATALOGD_LISTEN CATALOGD_DATA_DIR \
    CATALOGD_DATABASE_URL CATALOGD_DB_POOL
CD_PORT=$(free_port)
CD_EP=127.0.0.1:$CD_PORT
STORE_ARGS=() BACKEND=sqlite
[ -n "$DATABASE_URL" ] && STORE_ARGS=(--database-url "$DATABASE_URL") BACKEND=postgres
"$BIN" serve --listen "$CD_EP" --data-dir "$WORK/data" --log-level info --template-dir "$REPO/data/templates" "${STORE_ARGS[@]}" \
    >"$WORK/catalogd.out" 2>"$WORK/catalogd.log" &
CD_PID=$!
wait_http "http://$CD_EP/_catalogd/health" "$CD_PID" ||
    { cat "$WORK/catalogd.log" >&2; die "catalogd did not start"; }
# the end user of the lpu target: a group, three managed policies, an access key
CATALOGD_BENCH_USER_KEY=$($PY bench/enduser.py "$CD_EP") || die "cannot set up the end user"
export CATALOGD_BENCH_USER_KEY
sleep 1
RSS_START=$(rss_kb "$CD_PID" VmRSS)

# ---- nginx: own prefix and config, not daemonized, 2 workers, fixed ~300-byte body
NG_PORT=$(free_port)
NG_EP=127.0.0.1:$NG_PORT
mkdir -p "$WORK/nginx/logs"
BODY='{"Account":"123456789012","Arn":"arn:aws:iam::123456789012:root","UserId":"123456789012","ResponseMetadata":{"RequestId":"0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0","HTTPStatusCode":200},"PortfolioDetails":[],"Padding":"catalogd bench ceiling: nginx answers this fixed body from memory for every request."}'
cat >"$WORK/nginx/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes 2;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/logs/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $WORK/nginx/client_body;
    proxy_temp_path $WORK/nginx/proxy;
    fastcgi_temp_path $WORK/nginx/fastcgi;
    uwsgi_temp_path $WORK/nginx/uwsgi;
    scgi_temp_path $WORK/nginx/scgi;
    keepalive_requests 1000000000;
    keepalive_timeout 120s;
    server {
        listen $NG_EP;
        default_type application/json;
        location / { return 200 '$BODY'; }
    }
}
EOF
"$NGINX" -e "$WORK/nginx/logs/error.log" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" 2>"$WORK/nginx/logs/stderr" &
NG_PID=$!
wait_http "http://$NG_EP/" "$NG_PID" ||
    { cat "$WORK/nginx/logs/stderr" "$WORK/nginx/logs/error.log" >&2 2>/dev/null; die "nginx did not start"; }
NG_BYTES=$(curl -s "http://$NG_EP/" | wc -c)
NG_PIDS="$NG_PID $(pgrep -P "$NG_PID" | tr '\n' ' ')" # master and its workers
HZ=$(getconf CLK_TCK)

# ---- the runs: per connection count, nginx then GetCallerIdentity then ListPortfolios
declare -A NAME=([nginx]="nginx (fixed body)" [gci]="GetCallerIdentity" [lp]="ListPortfolios"
    [lpu]="ListPortfolios (user)")
declare -A ENDPOINT=([nginx]=$NG_EP [gci]=$CD_EP [lp]=$CD_EP [lpu]=$CD_EP)
declare -A PIDS=([nginx]="$NG_PIDS" [gci]="$CD_PID" [lp]="$CD_PID" [lpu]="$CD_PID")
declare -A RPS P50 P99 CPU DBCPU WRKCPU REST
FAILED=0
nproc_=$(nproc 2>/dev/null || echo 2)
IDLE=$(cpu_idle_pct)
echo "catalogd bench: $BIN ($BACKEND) on $CD_EP, nginx on $NG_EP (${NG_BYTES}-byte body)," \
    "${DURATION} per run after ${WARMUP} warm-up, $nproc_ CPUs shared by wrk and the servers"
[ "$PIN1" = 1 ] && echo "1-connection runs: wrk and both servers pinned to CPU 0 (PIN1=1)"
echo "CPU idle before the runs: ${IDLE}% $([ "$IDLE" -ge 90 ] || echo '(other load on the machine: expect noisy figures)')"

# With one connection only one request is ever in flight. Left to the scheduler, wrk and
# the server thread sometimes share a vCPU and sometimes not, and on this kind of VM the
# cross-CPU wake-up (~70 us here) then dominates: figures flip between two modes from run to
# run. PIN1=1 puts wrk and every server thread on one CPU for those runs, so the figure is
# client + server work per round trip; 64-connection runs always use all CPUs.
ALL_CPUS=$(taskset -cp $$ | sed 's/.*: //')
WRK_CPUS=$ALL_CPUS
place() { # CPU-LIST: move catalogd (all threads), nginx (master, workers) and PostgreSQL there
    local p
    # shellcheck disable=SC2086,SC2046
    for p in $CD_PID $NG_PIDS $(db_pids); do taskset -a -cp "$1" "$p" >/dev/null; done
    WRK_CPUS=$1
}

run_wrk() { # OUT THREADS CONNS DURATION SCRIPT URL
    local out=$1
    shift
    taskset -c "$WRK_CPUS" wrk -t"$1" -c"$2" -d"$3" --latency -s "$4" "$5" >"$out" 2>&1 &
    WRK_PID=$!
    wait "$WRK_PID" || { WRK_PID=; cat "$out" >&2; die "wrk failed"; }
    WRK_PID=
}

for c in $CONNECTIONS; do
    t=$((c < 2 ? 1 : 2))
    if [ "$c" = 1 ] && [ "$PIN1" = 1 ]; then place 0; else place "$ALL_CPUS"; fi
    for tgt in $TARGETS; do
        ep=${ENDPOINT[$tgt]}
        script=$WORK/$tgt.lua
        # sign afresh (the signature must stay inside the 15-minute skew window) and
        # check the exact request answers 200 before replaying it
        $PY bench/mkreq.py "$tgt" "$ep" "$script" || die "${NAME[$tgt]}: pre-check failed"
        run_wrk "$WORK/warm.txt" "$t" "$c" "$WARMUP" "$script" "http://$ep/"
        out=$WORK/wrk-$tgt-$c.txt
        # shellcheck disable=SC2086
        t0=$(cpu_ticks ${PIDS[$tgt]}) w0=$(self_child_ticks) b0=$(busy_ticks)
        # shellcheck disable=SC2046
        d0=$(cpu_ticks $(db_pids))
        run_wrk "$out" "$t" "$c" "$DURATION" "$script" "http://$ep/"
        # shellcheck disable=SC2086
        t1=$(cpu_ticks ${PIDS[$tgt]}) w1=$(self_child_ticks) b1=$(busy_ticks)
        # shellcheck disable=SC2046
        d1=$(cpu_ticks $(db_pids))
        [ "$d1" -ge "$d0" ] || d1=$d0 # a backend that ended took its ticks along
        line=$(grep '^BENCH ' "$out") || { cat "$out" >&2; die "no BENCH line from wrk"; }
        get() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<<"$line"; }
        RPS[$tgt,$c]=$(get rps) P50[$tgt,$c]=$(get p50_us) P99[$tgt,$c]=$(get p99_us)
        per_req() { awk -v d="$1" -v hz="$HZ" -v n="$(get requests)" \
            'BEGIN { printf "%.1f", (n > 0 ? d * 1e6 / hz / n : 0) }'; }
        CPU[$tgt,$c]=$(per_req $((t1 - t0)))
        WRKCPU[$tgt,$c]=$(per_req $((w1 - w0)))
        DBCPU[$tgt,$c]=$(per_req $((d1 - d0)))
        # the rest of the busy time: kernel softirq work not charged to a process, and
        # other programs on the machine (a large or uneven share: noisy figures)
        REST[$tgt,$c]=$(awk -v d=$((b1 - b0 - (t1 - t0) - (w1 - w0) - (d1 - d0))) -v hz="$HZ" -v s="$(get seconds)" \
            'BEGIN { printf "%.2f", (s > 0 ? d / hz / s : 0) }')
        bad=0
        for k in status_errors connect_errors read_errors write_errors timeouts; do
            [ "$(get $k)" = 0 ] || bad=1
        done
        if [ "$bad" = 1 ] || [ "$(get requests)" = 0 ]; then
            echo "bench: ${NAME[$tgt]} at $c connections had failed requests:" >&2
            sed 's/^/  /' "$out" >&2
            FAILED=1
        fi
    done
done
sleep 1
IDLE_AFTER=$(cpu_idle_pct) # also lets catalogd settle before the idle RSS reading
RSS_END=$(rss_kb "$CD_PID" VmRSS)
HWM=$(rss_kb "$CD_PID" VmHWM)

# Every catalogd request line must say status 200 (wrk counts only >= 400 as errors).
read -r LOGGED NON200 < <(awk '/"msg":"request"/ { n++; if ($0 !~ /"status":200,/) bad++ }
    END { print n + 0, bad + 0 }' "$WORK/catalogd.log")
if [ "$NON200" != 0 ]; then
    echo "bench: catalogd logged $NON200 non-200 responses, e.g.:" >&2
    grep '"msg":"request"' "$WORK/catalogd.log" | grep -v '"status":200,' | head -3 >&2
    FAILED=1
fi

# ---- the table
us() { awk -v u="$1" 'BEGIN { if (u >= 10000) printf "%.1f ms", u / 1000; else printf "%d us", u }'; }
echo
printf '%-22s %5s %10s %9s %9s %9s %11s %9s %9s %6s\n' target conns "req/s" p50 p99 "vs nginx" \
    "server CPU" "db CPU" "wrk CPU" rest
[ -n "$RESULTS" ] && printf 'backend\t%s\nidle_before\t%s\n' "$BACKEND" "$IDLE" >"$RESULTS"
for c in $CONNECTIONS; do
    for tgt in $TARGETS; do
        ratio=$(awk -v a="${RPS[$tgt,$c]}" -v b="${RPS[nginx,$c]}" 'BEGIN { printf "%.1f%%", (b > 0 ? 100 * a / b : 0) }')
        db=-
        [ -n "$DB_PID" ] && db="${DBCPU[$tgt,$c]} us"
        printf '%-22s %5s %10.0f %9s %9s %9s %8s us %9s %6s us %6s\n' "${NAME[$tgt]}" "$c" \
            "${RPS[$tgt,$c]}" "$(us "${P50[$tgt,$c]}")" "$(us "${P99[$tgt,$c]}")" "$ratio" \
            "${CPU[$tgt,$c]}" "$db" "${WRKCPU[$tgt,$c]}" "${REST[$tgt,$c]}"
        [ -n "$RESULTS" ] && printf 'row\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$tgt" "$c" "${RPS[$tgt,$c]}" \
            "${P50[$tgt,$c]}" "${P99[$tgt,$c]}" "${CPU[$tgt,$c]}" "${DBCPU[$tgt,$c]}" "${REST[$tgt,$c]}" >>"$RESULTS"
    done
done
echo
echo "server CPU, db CPU, wrk CPU: CPU time (user+system, all threads) per request during the run"
echo "  (db: the PostgreSQL postmaster and its processes, when DB_PID is given);"
echo "rest: other busy CPUs during the run, on average (softirq not charged to a process, and"
echo "  other programs; of $nproc_ CPUs)"
echo "catalogd idle RSS: ${RSS_START} kB after start, ${RSS_END} kB after the load (peak ${HWM} kB)"
echo "catalogd request log: $LOGGED lines, $NON200 not status 200"
echo "CPU idle: ${IDLE}% before the runs, ${IDLE_AFTER}% after (below ~90%: others' load, noisy figures)"
[ -n "$RESULTS" ] && printf 'idle_after\t%s\nfailed\t%s\n' "$IDLE_AFTER" "$FAILED" >>"$RESULTS"
if [ "$FAILED" != 0 ]; then
    die "FAILED: some requests did not succeed; the figures above are not valid"
fi
