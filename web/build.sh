#!/bin/sh
# Builds the web console into OUTDIR (the CMake target `console` runs this): `npm ci`
# when node_modules is missing or older than package-lock.json, then esbuild (build.mjs).
# NODE and NPM name the programs (default: node, npm). Usage: web/build.sh OUTDIR
set -eu
cd "$(dirname "$0")"
OUT=${1:?usage: web/build.sh OUTDIR}
NODE=${NODE:-node}
NPM=${NPM:-npm}

install() {
    if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ] ||
        [ package.json -nt node_modules/.package-lock.json ]; then
        echo "console: npm ci (web/node_modules)"
        "$NPM" ci --no-audit --no-fund --loglevel=error
    fi
}
# Two builds (build/, build-asan/) may run at once: one npm ci at a time.
if command -v flock >/dev/null 2>&1; then
    exec 9>.npm-ci.lock
    flock 9
    install
    flock -u 9
else
    install
fi
exec "$NODE" build.mjs --outdir "$OUT"
