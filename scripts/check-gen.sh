#!/bin/sh
# Fails when the generated tables differ from what tools/gen_model.py makes from the
# models and the operation rows (someone edited a generated file or forgot `make gen`).
set -eu
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 tools/gen_model.py --out "$tmp"
status=0
for f in src/core/gen/regions_gen.c src/svc/ssm/gen/documents_gen.c src/svc/ec2/gen/images_gen.c src/iam/gen/managed_gen.c src/proto/gen/model_gen.c src/api/gen/ops_gen.c src/api/gen/ops_gen.h docs/operations.md; do
    if ! diff -u "$f" "$tmp/$f" >/dev/null; then
        echo "check-gen: $f is stale; run 'make gen' and commit the result"
        diff -u "$f" "$tmp/$f" | head -20
        status=1
    fi
done
exit $status
