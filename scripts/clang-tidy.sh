#!/usr/bin/env bash
# Runs clang-tidy with the repository's .clang-tidy on every source file of engine/,
# telemetry/ and tools/ (their headers are covered through HeaderFilterRegex) and fails on any
# finding.
#   scripts/clang-tidy.sh [BUILD_DIR]     default: build (configured with the dev preset if needed)
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=${1:-build}
if [ ! -f "$build_dir/compile_commands.json" ]; then
  if [ "$build_dir" != build ]; then
    echo "clang-tidy.sh: $build_dir/compile_commands.json not found; configure that build first" >&2
    exit 2
  fi
  cmake --preset dev >/dev/null
fi

tidy=$(command -v clang-tidy-14 || command -v clang-tidy || true)
if [ -z "$tidy" ]; then
  echo "clang-tidy.sh: clang-tidy is not installed (apt-get install clang-tidy)" >&2
  exit 2
fi

# Every finding is an error, so the exit status says whether the tree is clean.
find engine/src telemetry/src tools -name '*.cpp' -print0 | sort -z |
  xargs -0 -n 1 -P "$(nproc)" "$tidy" -p "$build_dir" --quiet --warnings-as-errors='*'
echo "clang-tidy: no findings"
