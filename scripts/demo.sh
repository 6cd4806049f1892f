#!/bin/sh
# The main job, from a fresh Debian 12 machine or again on the same one:
# sets itself up (packages, meson configure, build), then publishes a test
# pattern with a tone over RTMPE with rtmpesink into rtmpesrc listening on
# this machine, saves what arrived in _out/demo-received.flv and prints what
# it proved (handshake type, frames, bitrate, elapsed time).
# With a URL argument it plays that stream instead:
#   ./scripts/demo.sh rtmpe://example.com/live/stream
set -eu
cd "$(dirname "$0")/.."
scripts/setup.sh build >/dev/null
# Debian's python3 (python3-gi lives there), whatever else is first in PATH
GST_PLUGIN_PATH_1_0="$(pwd)/build/ext/rtmpe${GST_PLUGIN_PATH_1_0:+:$GST_PLUGIN_PATH_1_0}" \
  exec /usr/bin/python3 scripts/demo.py "$@"
