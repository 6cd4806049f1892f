#!/bin/sh
# Set-up shared by the README's commands, safe to run again:
#  1. installs the Debian 12 packages the build, the tests and the demo need
#     (only those missing; apt needs root, or sudo);
#  2. configures and builds the project in ./build (or the directory and
#     meson options given: setup.sh BUILDDIR [MESON OPTIONS...]).
set -eu
cd "$(dirname "$0")/.."

PACKAGES="
  build-essential pkg-config meson ninja-build git
  clang libclang-rt-14-dev clang-format
  libglib2.0-dev libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev libssl-dev openssl
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-base-apps gstreamer1.0-plugins-good
  gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav
  nginx libnginx-mod-rtmp stunnel4 rtmpdump ffmpeg
  python3 python3-gi gir1.2-gstreamer-1.0 iproute2 iptables procps
  valgrind strace time
"

missing=""
for p in $PACKAGES; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing="$missing $p"
  fi
done
if [ -n "$missing" ]; then
  echo "setup: installing:$missing"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q
  # shellcheck disable=SC2086
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
    --no-install-recommends $missing
fi

builddir="${1:-build}"
[ $# -gt 0 ] && shift
if [ -f "$builddir/build.ninja" ]; then
  meson configure "$builddir" "$@" >/dev/null
else
  meson setup "$builddir" "$@"
fi
ninja -C "$builddir"
