#!/bin/sh
# Every check CI runs, in order, failing fast: generated tables, format, lint, build
# (with the web console), unit tests, API tests against the real daemon (on SQLite, then
# again on a PostgreSQL cluster the tests start and stop themselves), the console's
# browser tests, the API tests again under ASan+UBSan, and a short fuzz run of every
# parser. FUZZ_SECONDS (default 20) sets the fuzz time per target.
set -eu
cd "$(dirname "$0")/.."
JOBS=$(nproc 2>/dev/null || echo 2)
FUZZ_SECONDS=${FUZZ_SECONDS:-20}
PY=/usr/bin/python3
stage() { printf '\n== %s\n' "$*"; }

stage "generated tables are fresh"
scripts/check-gen.sh
stage "format (clang-format)"
clang-format --dry-run -Werror $(scripts/c-files.sh)
stage "lint"
scripts/lint.sh

stage "build"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$JOBS"
stage "unit tests"
(cd build && ctest --output-on-failure -j"$JOBS")
stage "API tests (boto3, AWS CLI v2$(command -v aws >/dev/null && [ "$(command -v aws)" != /usr/bin/aws ] && echo ' and v1'))"
CATALOGD_BIN="$PWD/build/catalogd" $PY -m pytest -q -p no:cacheprovider -n "$JOBS" --dist loadfile tests/api
stage "API tests against PostgreSQL (a cluster of their own per worker; tests about SQLite's files left out)"
CATALOGD_TEST_BACKEND=postgres CATALOGD_BIN="$PWD/build/catalogd" \
    $PY -m pytest -q -p no:cacheprovider -n "$JOBS" --dist loadfile tests/api
stage "web console (Playwright, headless Chromium; screenshots in build/console-test-output)"
BUILD="$PWD/build" tests/console/run.sh

stage "ASan+UBSan build"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DCATALOGD_SANITIZE=ON -DCATALOGD_CONSOLE=OFF >/dev/null
cmake --build build-asan -j"$JOBS"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
stage "unit tests under ASan+UBSan"
(cd build-asan && ctest --output-on-failure -j"$JOBS")
stage "API tests against the ASan+UBSan daemon"
CATALOGD_BIN="$PWD/build-asan/catalogd" CATALOGD_SANITIZED=1 $PY -m pytest -q -p no:cacheprovider -n "$JOBS" --dist loadfile tests/api

stage "fuzz smoke (${FUZZ_SECONDS}s per target)"
cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug -DCATALOGD_FUZZ=ON \
    -DCATALOGD_CONSOLE=OFF >/dev/null
cmake --build build-fuzz -j"$JOBS"
for f in build-fuzz/fuzz_*; do
    name=$(basename "$f")
    corpus=tests/fuzz/corpus/${name#fuzz_}
    work=$(mktemp -d)
    [ -d "$corpus" ] && cp -r "$corpus"/. "$work"/
    echo "-- $name"
    # a crash leaves crash-<sha1> (or leak-/timeout-) in artifacts/ and fails the stage
    artifacts=$(mktemp -d)
    set +e
    "$f" -max_total_time="$FUZZ_SECONDS" -print_final_stats=1 -artifact_prefix="$artifacts/" \
        "$work" >"$artifacts/log" 2>&1
    status=$?
    set -e
    tail -4 "$artifacts/log"
    if [ "$status" -ne 0 ]; then
        grep -E "ERROR|SUMMARY|#[0-9]+ 0x" "$artifacts/log" | head -30
        for a in "$artifacts"/crash-* "$artifacts"/leak-* "$artifacts"/timeout-* "$artifacts"/oom-*; do
            [ -e "$a" ] && { echo "input: $(basename "$a") (base64)"; base64 "$a" | head -20; }
        done
        echo "$name failed (exit $status)" >&2
        exit 1
    fi
    rm -rf "$work" "$artifacts"
done
stage "all checks passed"
