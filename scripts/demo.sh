#!/bin/sh
# The main job. Sets itself up (packages, build), then runs the protocol
# core's self-check. (The listen-mode work turns this into an RTMPE stream
# published and played back on this machine.)
set -eu
cd "$(dirname "$0")/.."
scripts/setup.sh build
meson test -C build --suite unit --print-errorlogs
