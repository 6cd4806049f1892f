#!/bin/bash
# Long fuzzing runs (not part of the test command): every libFuzzer target in
# BUILDDIR/tests/fuzz for SECONDS each, JOBS targets at a time, with
# AddressSanitizer and UndefinedBehaviorSanitizer (the build-fuzz build of
# scripts/test.sh step 3), leak detection on.
#
#   scripts/fuzz-long.sh [BUILDDIR [SECONDS [JOBS [TARGET...]]]]
#   defaults: build-fuzz 600 2 (every target)
#
# Each target starts from its seed corpus (tests/fuzz/corpus/<name>/) and a
# working corpus kept between runs in $FUZZ_WORKDIR/<target>/ (default
# /var/tmp/gst-rtmpe-fuzz), never in the tree. A crash, leak, timeout (25 s
# per input) or out-of-memory (2 GB) leaves its input in
# tests/fuzz/artifacts/ (ignored by git): the run goes on, up to 3 findings a
# target, so that one shallow bug does not hide the rest of the time. Turn a
# fixed finding into a regression seed by copying it into the target's
# corpus directory (scripts/fuzz.sh, run by the test command, replays every
# seed).
#
# The summary (one line a target: seconds, executions, exec/s, coverage,
# features, corpus, peak RSS, findings) goes to stdout and to
# $FUZZ_WORKDIR/summary-<date>.txt, for docs/reliability.md.
# Exit status: 0 when no target found anything.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
builddir="${1:-build-fuzz}"
seconds="${2:-600}"
jobs="${3:-2}"
[ $# -gt 3 ] && shift 3 || set --
workdir="${FUZZ_WORKDIR:-/var/tmp/gst-rtmpe-fuzz}"
artifacts="$top/tests/fuzz/artifacts"
mkdir -p "$workdir" "$artifacts"

if [ ! -d "$builddir/tests/fuzz" ]; then
  echo "fuzz-long: no $builddir/tests/fuzz: build it first, e.g." >&2
  echo "  CC=clang scripts/setup.sh build-fuzz -Dtests=disabled -Dfuzzing=enabled \\" >&2
  echo "    -Db_sanitize=address,undefined -Db_lundef=false -Drtmpe=disabled -Drtmfp=disabled" >&2
  exit 2
fi

targets=""
if [ $# -gt 0 ]; then
  for t in "$@"; do targets="$targets $builddir/tests/fuzz/$t"; done
else
  for t in "$builddir"/tests/fuzz/fuzz-*; do
    [ -f "$t" ] && [ -x "$t" ] && targets="$targets $t"
  done
fi

# One target for $seconds of fuzzing, restarted after a finding.
run_one() {
  t=$1
  name=$(basename "$t")
  seeds="$top/tests/fuzz/corpus/${name#fuzz-}"
  work="$workdir/$name"
  mkdir -p "$work"
  log="$workdir/$name.log"
  : >"$log"
  left=$seconds
  findings=0
  start=$(date +%s)
  while [ "$left" -gt 0 ] && [ "$findings" -lt 3 ]; do
    rc=0
    ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1" \
    UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
      "$t" -max_total_time="$left" -timeout=25 -rss_limit_mb=2048 \
      -artifact_prefix="$artifacts/$name-" -print_final_stats=1 \
      "$work" "$seeds" >>"$log" 2>&1 || rc=$?
    if [ "$rc" -ne 0 ]; then
      findings=$((findings + 1))
      echo "fuzz-long: $name: finding $findings (exit $rc), see $log" >&2
    fi
    left=$((seconds - ($(date +%s) - start)))
  done
  elapsed=$(($(date +%s) - start))
  execs=$(grep -h 'stat::number_of_executed_units' "$log" |
    awk '{s += $2} END {print s + 0}')
  rss=$(grep -h 'stat::peak_rss_mb' "$log" | awk '$2 > m {m = $2} END {print m + 0}')
  last=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
  cov=$(echo "$last" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
  ft=$(echo "$last" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
  corp=$(ls "$work" | wc -l)
  printf '%-22s %6ss %12s execs %8s/s cov %6s ft %7s corpus %6s rss %5sMB findings %s\n' \
    "$name" "$elapsed" "$execs" "$((execs / (elapsed > 0 ? elapsed : 1)))" \
    "${cov:-?}" "${ft:-?}" "$corp" "$rss" "$findings" >"$workdir/$name.summary"
}

summary="$workdir/summary-$(date -u +%Y%m%dT%H%M%SZ).txt"
{
  echo "fuzz-long: $(date -u '+%Y-%m-%d %H:%M UTC') on $(uname -n) ($(nproc) cores," \
    "$(sed -n 's/^model name.*: //p' /proc/cpuinfo | head -n 1))"
  echo "fuzz-long: $seconds s per target, $jobs at a time, build $builddir," \
    "commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
} | tee "$summary"

# a simple job pool: $jobs targets at a time
running=0
for t in $targets; do
  run_one "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then
    wait -n || true
    running=$((running - 1))
  fi
done
wait

status=0
for t in $targets; do
  name=$(basename "$t")
  cat "$workdir/$name.summary" | tee -a "$summary"
  grep -q 'findings 0$' "$workdir/$name.summary" || status=1
done
echo "fuzz-long: summary in $summary"
exit $status
