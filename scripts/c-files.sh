#!/bin/sh
# Lists the C sources under house style (clang-format, lint): everything but generated code.
cd "$(dirname "$0")/.." && find src tests -name '*.[ch]' ! -path '*/gen/*' | sort
