#!/bin/sh
# Compares our in-place RC4 path (tests/bench/rc4-bench, RtmpeRc4 over
# 64 KiB buffers) with `openssl speed -evp rc4` on the same machine and the
# same buffer size, and prints the ratio (target: at least 90%). Both divide
# by user CPU time (openssl speed's default), so other load on the machine
# does not skew the ratio.
# Usage: tests/bench/rc4-bench.sh [BUILDDIR] [SECONDS]
set -eu
cd "$(dirname "$0")/../.."
builddir="${1:-build}"
seconds="${2:-3}"
bench="$builddir/tests/bench/rc4-bench"
[ -x "$bench" ] || { echo "build $bench first (ninja -C $builddir)"; exit 1; }

ours=$("$bench" "$seconds" 65536)
echo "$ours"
ours_mbs=$(echo "$ours" | sed -n 's/^rc4-bench: \([0-9.]*\) MB\/s user-CPU.*/\1/p')

# openssl speed prints 1000s of bytes per second: "RC4  709485.42k"
line=$(openssl speed -provider legacy -provider default -seconds "$seconds" \
  -bytes 65536 -evp rc4 2>/dev/null | grep -E '^RC4 ' | tail -n 1)
ossl_mbs=$(echo "$line" | awk '{ v = $2; sub(/k$/, "", v); printf "%.1f", v / 1000 }')
echo "openssl speed -evp rc4 (65536-byte blocks): $ossl_mbs MB/s user-CPU"
awk -v a="$ours_mbs" -v b="$ossl_mbs" 'BEGIN {
  r = 100 * a / b
  printf "ours / openssl: %.1f%% (target >= 90%%)\n", r
  exit (r >= 90 ? 0 : 1)
}'
