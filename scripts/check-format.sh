#!/bin/sh
# Fails when a C file of the project is not formatted as .clang-format says.
# Usage: check-format.sh [SOURCE_DIR]
set -eu
cd "${1:-$(dirname "$0")/..}"
command -v clang-format >/dev/null || { echo "clang-format not installed"; exit 77; }
if [ -d .git ] || git rev-parse --git-dir >/dev/null 2>&1; then
  files=$(git ls-files -co --exclude-standard -- '*.c' '*.h')
else
  files=$(find gst ext tests -name '*.[ch]')
fi
bad=""
for f in $files; do
  [ -f "$f" ] || continue
  clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || bad="$bad $f"
done
if [ -n "$bad" ]; then
  echo "not formatted (run scripts/format.sh):$bad"
  exit 1
fi
echo "all C files formatted"
