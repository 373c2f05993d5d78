#!/bin/sh
# Installs the Debian 12 packages catalogd builds, runs and tests with, when any is
# missing. Idempotent; needs root (or sudo) only when something must be installed.
set -eu

PKGS="build-essential cmake pkg-config clang clang-format libclang-rt-14-dev
libmicrohttpd-dev libcjson-dev libfyaml-dev libyaml-dev libpcre2-dev libcurl4-openssl-dev
libssl-dev libsqlite3-dev libargon2-dev
python3 python3-botocore python3-boto3 python3-pytest awscli
wrk nginx-light curl procps"

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

echo "install-deps: installing:$missing"
SUDO=""
if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
        echo "install-deps: run as root, or install:$missing" >&2
        exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
