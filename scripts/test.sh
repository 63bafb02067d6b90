#!/usr/bin/env bash
# Quick start, step 2: builds and runs every test, including the `fault` and `stress` labels,
# in the dev, asan (address + undefined, leak detection on) and tsan presets (plus a
# `tofu-bench --quick` smoke run in dev), then runs each libFuzzer target for 60 s. Exits non-zero on the first failure.
# TOFU_STAGES narrows the run while developing, e.g. TOFU_STAGES=dev (stages: dev asan tsan fuzz).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh

stages=${TOFU_STAGES:-"dev asan tsan fuzz"}
for stage in $stages; do
  if [ "$stage" = fuzz ]; then
    echo "=== stage fuzz"
    scripts/fuzz.sh
    continue
  fi
  echo "=== stage $stage: configure and build"
  cmake --preset "$stage" >/dev/null
  cmake --build --preset "$stage"
  echo "=== stage $stage: test"
  # Sanitizers slow everything down; stress tests scale their load by this factor.
  case "$stage" in
    dev) export TOFU_STRESS_SCALE=1.0 ;;
    *) export TOFU_STRESS_SCALE=0.25 ;;
  esac
  ctest --preset "$stage"
  if [ "$stage" = dev ]; then
    echo "=== stage dev: benchmark smoke run (checks that every scenario runs, not its speed)"
    build/bin/tofu-bench --quick >/dev/null
  fi
done
echo "=== all stages passed: $stages"
