#!/usr/bin/env bash
# Runs clang-tidy with the repository's .clang-tidy and fails on any finding: every check it
# lists on engine/, telemetry/ and tools/, and its naming rules (CONTRIBUTING.md) on every
# other folder with sources (qtadapter, monitor, tests, bench, examples). Their headers are
# covered through the header filters.
#   scripts/clang-tidy.sh [BUILD_DIR]     default: build (the dev preset, configured and built
#                                         if needed: Qt's generated headers must exist)
# About 10 minutes on 2 cores for the whole tree.
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=${1:-build}
if [ ! -f "$build_dir/compile_commands.json" ]; then
  if [ "$build_dir" != build ]; then
    echo "clang-tidy.sh: $build_dir/compile_commands.json not found; configure and build that build first" >&2
    exit 2
  fi
  cmake --preset dev >/dev/null
  cmake --build --preset dev
fi

tidy=$(command -v clang-tidy-14 || command -v clang-tidy || true)
if [ -z "$tidy" ]; then
  echo "clang-tidy.sh: clang-tidy is not installed (apt-get install clang-tidy)" >&2
  exit 2
fi

# Only sources the build compiles have compile commands (a Qt-free build has no Qt files).
compiled=$(grep -o '"file": "[^"]*"' "$build_dir/compile_commands.json" | sed 's/^"file": "//; s/"$//' | sort -u)
sources_under() {
  local folder
  for folder in "$@"; do
    grep -E "^$PWD/$folder/" <<<"$compiled" | grep -v '_autogen/' || true
  done
}

# Every finding is an error, so the exit status says whether the tree is clean.
sources_under engine/src telemetry/src tools | tr '\n' '\0' |
  xargs -0 -r -n 1 -P "$(nproc)" "$tidy" -p "$build_dir" --quiet --warnings-as-errors='*'
sources_under qtadapter monitor tests bench examples | tr '\n' '\0' |
  xargs -0 -r -n 1 -P "$(nproc)" "$tidy" -p "$build_dir" --quiet --warnings-as-errors='*' \
    --checks='-*,readability-identifier-naming' \
    --header-filter="$PWD/(engine|telemetry|tools|qtadapter|monitor|tests|bench|examples)/.*"
echo "clang-tidy: no findings"
