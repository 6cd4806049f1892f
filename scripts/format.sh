#!/bin/sh
# Apply .clang-format to every C file of the project (in place).
set -eu
cd "$(dirname "$0")/.."
git ls-files -co --exclude-standard -- '*.c' '*.h' | xargs -r clang-format -i
