#!/bin/sh
# The long leak run (not part of the test command): CYCLES start/stop cycles
# (default 1000) of rtmpesrc and rtmpesink, client and listen mode, over
# rtmp://, rtmps:// and rtmpe://, against live peers, and of rtmfpsink
# publishing into rtmfpsrc mode=listen (one pipeline), in the AddressSanitizer
# build (build-san, as scripts/test.sh step 2 makes it). LeakSanitizer
# reports at the end of each mode's process; the run also checks that no
# file descriptor and no rtmpe or rtmfp thread is left (tests/reliability/cycles.c).
#
#   scripts/cycles-long.sh [BUILDDIR [CYCLES [MODE...]]]
#   defaults: build-san 1000 (every mode: src-client sink-client src-listen
#   sink-listen rtmfp-pair)
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
builddir="${1:-build-san}"
cycles="${2:-1000}"
if [ $# -gt 2 ]; then shift 2; else set --; fi
bin="$builddir/tests/reliability/rtmpe-cycles"
if [ ! -x "$bin" ]; then
  echo "cycles-long: no $bin: build it first, e.g." >&2
  echo "  CC=gcc scripts/setup.sh build-san -Dwerror=true -Dtests=enabled \\" >&2
  echo "    -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug" >&2
  exit 2
fi
# the peers' gst-launch processes load the instrumented plugin: they need
# the sanitizer runtimes preloaded (tests/interop/gst.py does that)
sanitize=$(meson introspect --buildoptions "$builddir" | python3 -c \
  'import json, sys; print([o["value"] for o in json.load(sys.stdin) if o["name"] == "b_sanitize"][0])')
preload=""
case "$sanitize" in
  *address*) preload="$(${CC:-gcc} -print-file-name=libasan.so)" ;;
esac
case "$sanitize" in
  *undefined*) preload="$preload $(${CC:-gcc} -print-file-name=libubsan.so)" ;;
esac
echo "cycles-long: $(date -u '+%Y-%m-%d %H:%M UTC') on $(uname -n) ($(nproc) cores)," \
  "$cycles cycles a mode, build $builddir (sanitize: $sanitize)," \
  "commit $(git rev-parse --short HEAD)"
export GST_PLUGIN_PATH_1_0="$top/$builddir/ext/rtmpe:$top/$builddir/ext/rtmfp"
export GST_REGISTRY_1_0="$top/$builddir/tests/reliability/registry-long.bin"
export RTMPE_SANITIZER_PRELOAD="$preload"
export ASAN_OPTIONS="detect_leaks=1:fast_unwind_on_malloc=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export LSAN_OPTIONS="suppressions=$top/tests/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export PYTHONDONTWRITEBYTECODE=1
exec python3 tests/reliability/cycles.py --binary "$bin" --cycles "$cycles" "$@"
