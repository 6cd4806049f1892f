#!/bin/sh
# Runs every test, from a fresh Debian 12 machine or again on the same one:
#  1. the whole suite (unit, element, interop against real peers, style) in a
#     normal build;
#  2. the same suite built with AddressSanitizer and UndefinedBehaviorSanitizer,
#     leak detection on;
#  3. every libFuzzer target over its seed corpus for a few seconds.
# Each step sets itself up (packages, meson configure, build).
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)

echo "=== 1/3: tests (build)"
scripts/setup.sh build -Dwerror=true -Dtests=enabled
meson test -C build --print-errorlogs --num-processes 2

echo "=== 2/3: tests under ASan+UBSan (build-san)"
CC=gcc scripts/setup.sh build-san -Dwerror=true -Dtests=enabled \
  -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug
ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1" \
UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
LSAN_OPTIONS="suppressions=$top/tests/lsan.supp:print_suppressions=0" \
  meson test -C build-san --print-errorlogs --num-processes 2 \
    --no-suite style --timeout-multiplier 3

echo "=== 3/3: fuzz targets over their corpora (build-fuzz)"
CC=clang scripts/setup.sh build-fuzz -Dtests=disabled -Dfuzzing=enabled \
  -Db_sanitize=address,undefined -Db_lundef=false -Drtmpe=disabled -Drtmfp=disabled
scripts/fuzz.sh build-fuzz "${FUZZ_SECONDS:-5}"

echo "=== all tests passed"
