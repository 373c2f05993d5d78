#!/bin/sh
# The console's browser tests: starts a real catalogd (127.0.0.1, a free port, a temp
# data dir, fast emulated EC2), loads the tutorial's demo data through the API, and runs
# the tutorial through the console in headless Chromium (tutorial.test.mjs, Playwright).
# EC2 state changes take CATALOGD_EC2_DELAY_MS (1000), so an execution runs long enough
# for the test to see the live progress.
# Screenshots land in $CONSOLE_TEST_OUTPUT (default build/console-test-output).
#   BUILD=build tests/console/run.sh
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
case "$BUILD" in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
BIN=${CATALOGD_BIN:-$BUILD/catalogd}
OUT=${CONSOLE_TEST_OUTPUT:-$BUILD/console-test-output}
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
PY=/usr/bin/python3

fail() { echo "console tests: $*" >&2; exit 1; }
[ -x "$BIN" ] || fail "no catalogd at $BIN (run make first)"
[ -f "$BUILD/console/index.html" ] || fail "the console is not built in $BUILD/console (install node and npm, then make)"
[ -x "$CHROMIUM" ] || fail "no Chromium at $CHROMIUM (scripts/install-deps.sh installs Debian's chromium)"
[ -d "$ROOT/web/node_modules/playwright-core" ] || fail "web/node_modules lacks playwright-core (make runs npm ci)"

rm -rf "$OUT"
mkdir -p "$OUT"
DATA=$(mktemp -d)
PORT=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
URL=http://127.0.0.1:$PORT
# Step 6 runs a command on the product's node: instances are managed nodes on this host,
# as the API tests' node user; the node's web server listens on a free port
NODE_USER=$(cd "$ROOT/tests/api" && $PY -c 'from sshd import node_user; print(node_user())')
WEB_PORT=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

CATALOGD_EC2_DELAY_MS=${CATALOGD_EC2_DELAY_MS:-1000} CATALOGD_ROOT_PASSWORD=Root-Console-Passw0rd \
    "$BIN" serve --listen "127.0.0.1:$PORT" --data-dir "$DATA" --console-dir "$BUILD/console" \
    --template-dir "$ROOT/data/templates" --node-transport local --node-user "$NODE_USER" --log-level warn >"$OUT/catalogd.log" 2>&1 &
DAEMON=$!
# The daemon dies with this script: on any exit, and (through the watcher) even when
# this shell is killed outright.
SELF=$$
( while kill -0 "$SELF" 2>/dev/null; do sleep 1; done; kill "$DAEMON" 2>/dev/null ) &
WATCHER=$!
cleanup() {
    # the node's web server (it answers with its pid)
    WEB_PID=$(curl -fsS "http://127.0.0.1:$WEB_PORT/" 2>/dev/null | sed -n 's/.*pid \([0-9][0-9]*\).*/\1/p')
    if [ -n "$WEB_PID" ]; then
        kill "$WEB_PID" 2>/dev/null || true
        for f in $(grep -lx "$WEB_PID" "$(getent passwd "$NODE_USER" | cut -d: -f6)"/.catalogd-demo/*/web.pid 2>/dev/null); do
            rm -rf "${f%/web.pid}"
        done
    fi
    kill "$DAEMON" 2>/dev/null || true
    wait "$DAEMON" 2>/dev/null || true
    kill "$WATCHER" 2>/dev/null || true
    rm -rf "$DATA"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

i=0
until curl -fsS "$URL/_catalogd/health" >/dev/null 2>&1; do
    i=$((i + 1))
    [ $i -lt 100 ] || { cat "$OUT/catalogd.log" >&2; fail "catalogd did not start"; }
    kill -0 "$DAEMON" 2>/dev/null || { cat "$OUT/catalogd.log" >&2; fail "catalogd exited"; }
    sleep 0.1
done
$PY "$ROOT/tools/demo_data.py" --endpoint "$URL" --data-dir "$DATA" --web-port "$WEB_PORT" >"$OUT/demo-data.txt" ||
    { cat "$OUT/demo-data.txt" "$OUT/catalogd.log" >&2; fail "demo data failed"; }

CONSOLE_URL=$URL/console CONSOLE_TEST_OUTPUT=$OUT CHROMIUM=$CHROMIUM \
    CATALOGD_ROOT_PASSWORD=Root-Console-Passw0rd SHARED_DIR=$ROOT/../shared \
    node --test "$ROOT/tests/console/tutorial.test.mjs"
echo "console tests: screenshots in $OUT"
