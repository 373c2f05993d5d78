#!/bin/sh
# Installs the Debian 12 packages catalogd needs, when any is missing. Idempotent; needs
# root (or sudo) only when something must be installed.
#   install-deps.sh        what `make run` needs: build, run, the AWS CLI, the console build
#   install-deps.sh test   and what `make test` needs on top: test and lint tools, the
#                          fuzzing runtime, the benchmark servers, headless Chromium, the
#                          PostgreSQL server the API tests' second pass starts
set -eu

PKGS="build-essential cmake pkg-config
libmicrohttpd-dev libcjson-dev libfyaml-dev libpcre2-dev libcurl4-openssl-dev
libssl-dev libsqlite3-dev libpq-dev libargon2-dev libssh-dev libxml2-dev libqrencode-dev libpng-dev
python3 python3-botocore python3-boto3 awscli curl procps
nodejs"
if [ "${1:-run}" = test ]; then
    PKGS="$PKGS clang clang-format libclang-rt-14-dev python3-pytest python3-pytest-xdist python3-yaml
python3-cryptography python3-requests
wrk nginx-light chromium fonts-dejavu-core openssh-server openssh-client openssl xmlsec1
postgresql"
fi
# The web console is built with npm. Debian's `npm` conflicts with a nodejs that bundles
# its own npm (NodeSource's), so it is asked for only when no npm command exists.
command -v npm >/dev/null 2>&1 || PKGS="$PKGS npm"

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
