#!/bin/sh
# Runs every libFuzzer target found in BUILDDIR/tests/fuzz for SECONDS each,
# starting from its seed corpus in tests/fuzz/corpus/<target>/. New inputs go
# to a scratch directory, never into the tree. A crash fails the run and
# leaves the input in tests/fuzz/artifacts/.
# Usage: fuzz.sh BUILDDIR SECONDS
set -eu
cd "$(dirname "$0")/.."
builddir="${1:-build-fuzz}"
seconds="${2:-5}"
top=$(pwd)
mkdir -p tests/fuzz/artifacts
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
n=0
for t in "$builddir"/tests/fuzz/fuzz-*; do
  # meson also makes fuzz-<name>.p/ object directories: skip them
  [ -f "$t" ] && [ -x "$t" ] || continue
  name=$(basename "$t")
  corpus="$top/tests/fuzz/corpus/${name#fuzz-}"
  mkdir -p "$scratch/$name"
  echo "fuzz: $name for ${seconds}s"
  # UBSan only prints unless told to halt: a report must fail the run
  ASAN_OPTIONS="detect_leaks=1" UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1" \
    "$t" -max_total_time="$seconds" \
    -artifact_prefix="$top/tests/fuzz/artifacts/$name-" -print_final_stats=1 \
    "$scratch/$name" "$corpus" 2>"$scratch/$name.log" || {
      tail -n 60 "$scratch/$name.log"; exit 1; }
  grep -E 'stat::number_of_executed_units' "$scratch/$name.log" || true
  n=$((n + 1))
done
echo "fuzz: $n targets ran"
