#!/usr/bin/env bash
# Quick start, step 2: builds and runs every test, including the `stress` label, in the
# dev, asan (address + undefined) and tsan presets. Exits non-zero on the first failure.
# TOFU_PRESETS="dev" narrows the run (e.g. while developing).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh

presets=${TOFU_PRESETS:-"dev asan tsan"}
for preset in $presets; do
  echo "=== preset $preset: configure and build"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset"
  echo "=== preset $preset: test"
  # Sanitizers slow everything down; stress tests scale their load by this factor.
  case "$preset" in
    dev) export TOFU_STRESS_SCALE=1.0 ;;
    *) export TOFU_STRESS_SCALE=0.25 ;;
  esac
  ctest --preset "$preset"
done
echo "=== all presets passed: $presets"
