#!/bin/sh
# House-style lint (curl's checksrc spirit): banned libc calls, files past ~800 lines
# without a stated reason, public headers that do not compile on their own.
set -eu
cd "$(dirname "$0")/.."
fail=0
banned=$(grep -rnE '\b(strcpy|strcat|sprintf|vsprintf|strtok|atoi|gets)[[:space:]]*\(' src tests/unit tests/fuzz --include='*.c' --include='*.h' || true)
if [ -n "$banned" ]; then
    echo "lint: banned calls (use bounded/checked forms):"; echo "$banned"; fail=1
fi
# Modules use each other through the in-process client or a public header: a module's
# *_int.h is for the files of its own folder (and folders below it) only.
private=$(grep -rnoE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"[^"]*_int\.h"' src --include='*.c' --include='*.h' |
    while IFS=: read -r f line inc; do
        h=${inc#*\"}; h=${h%\"}
        case $h in */*) hdir=src/${h%/*} ;; *) continue ;; esac
        case ${f%/*}/ in "$hdir"/*) ;; *) echo "$f:$line: includes $h" ;; esac
    done)
if [ -n "$private" ]; then
    echo "lint: another module's private header (use the in-process client or its public header):"
    echo "$private"; fail=1
fi
# ... nor another module's record kinds ("iam.role", "cfn.stack", ...): its tables are its own.
tables=$(grep -rnE '"(iam|cfn|ssm|ec2|sc)\.[a-z_]+"' src --include='*.c' --include='*.h' |
    while IFS=: read -r f line text; do
        code=$(printf '%s\n' "$text" | sed -e 's|/\*.*\*/||g' -e 's|/\*.*||' -e 's|^[[:space:]]*\*.*||')
        for k in $(printf '%s\n' "$code" | grep -oE '"(iam|cfn|ssm|ec2|sc)\.[a-z_]+"' | cut -c2- | cut -d. -f1 | sort -u); do
            case $k in
            iam) owners="src/svc/iam/ src/iam/" ;; cfn) owners=src/svc/cloudformation/ ;;
            ssm) owners=src/svc/ssm/ ;; ec2) owners=src/svc/ec2/ ;; sc) owners=src/svc/servicecatalog/ ;;
            esac
            ok=0
            for o in $owners; do case $f in "$o"*) ok=1 ;; esac; done
            [ $ok = 1 ] || echo "$f:$line: reads $k's records"
        done
    done)
if [ -n "$tables" ]; then
    echo "lint: another module's records (use the in-process client or its public header):"
    echo "$tables"; fail=1
fi
# A request acts in its caller's account and region (c->account, c->region, c->scope) and a
# job in the ones it was started in (app_where_of): the configured ones mean only "the
# default", in the few places that say so - start-up and the banner (main.c, app.c) and the
# console's sign-in page, which names the account it signs into.
where=$(grep -rnE 'cfg\.(account_id|region)\b' src --include='*.c' --include='*.h' |
    grep -vE '^src/(main\.c|app\.c|console/signin\.c):' | grep -vE '^[^:]*:[0-9]+:[[:space:]]*(/\*|\*)' || true)
if [ -n "$where" ]; then
    echo "lint: the configured account/region where a call's or job's belongs (use c->account, c->region,"
    echo "      c->scope, or the job's app_where_of):"
    echo "$where"; fail=1
fi
for f in $(scripts/c-files.sh); do
    n=$(wc -l < "$f")
    if [ "$n" -gt 800 ] && ! grep -q 'LONG-FILE:' "$f"; then
        echo "lint: $f has $n lines (split it, or say why in a LONG-FILE: comment)"; fail=1
    fi
done
CFLAGS=$(pkg-config --cflags libmicrohttpd libcjson libfyaml libpcre2-8 libcurl sqlite3 libpq libcrypto libargon2 libxml-2.0)
for h in $(find src -name '*.h' ! -path '*/gen/*' | sort); do
    # shellcheck disable=SC2086
    if ! printf '#include "%s"\n' "${h#src/}" | cc -std=c17 -D_GNU_SOURCE -Wall -Werror $CFLAGS -Isrc -fsyntax-only -x c - 2>/tmp/lint-hdr.$$; then
        echo "lint: $h does not compile on its own:"; cat /tmp/lint-hdr.$$; fail=1
    fi
done
rm -f /tmp/lint-hdr.$$
exit $fail
