#!/usr/bin/env bash
# Quick start, step 2: builds and runs every test, including the `fault` and `stress` labels,
# in the dev, asan (address + undefined, leak detection on) and tsan presets (plus smoke runs
# of the benchmarks in dev), then the engine alone without Qt (engine-only preset), then the
# libFuzzer targets, all at once for 60 s. Exits non-zero on the first failure. TOFU_STAGES narrows or
# widens the run, e.g. TOFU_STAGES=dev while developing, or TOFU_STAGES=tidy for clang-tidy
# (every check on the engine and tools, the naming rules everywhere; about 10 minutes on 2
# cores after the dev build; not in the default run, to keep CI under 45 minutes).
# Stages: dev asan tsan engine-only tidy fuzz. The tsan preset builds no Widgets programs
# (monitor, qt_chat): Qt Widgets is not built with ThreadSanitizer, so its reports there are
# about Qt; the adapter's threads are covered by the `qt` label, which tsan runs.
# dev and tsan build with g++, asan and engine-only with clang++ (about half g++'s compile time
# here, and clang checks the thread-safety annotations); every stage links with lld.
# After each test stage it prints how many tests ran and how many were skipped, and fails when
# a skipped test is not listed in tests/allowed-skips.txt (scripts/check-skips.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh

stages=${TOFU_STAGES:-"dev asan tsan engine-only fuzz"}
# Each stage's duration, for keeping CI under its 45 minutes (issue 21).
run_started=$SECONDS
report_duration() { echo "=== stage $1: took $((SECONDS - $2)) s (all stages so far: $((SECONDS - run_started)) s)"; }
for stage in $stages; do
  stage_started=$SECONDS
  if [ "$stage" = fuzz ]; then
    echo "=== stage fuzz"
    scripts/fuzz.sh
    report_duration fuzz "$stage_started"
    continue
  fi
  if [ "$stage" = tidy ]; then
    echo "=== stage tidy"
    cmake --preset dev >/dev/null
    cmake --build --preset dev
    scripts/clang-tidy.sh build
    report_duration tidy "$stage_started"
    continue
  fi
  echo "=== stage $stage: configure and build"
  cmake --preset "$stage" >/dev/null
  cmake --build --preset "$stage"
  echo "=== stage $stage: test"
  # Sanitizers slow everything down; stress tests scale their load by this factor.
  case "$stage" in
    dev | engine-only) export TOFU_STRESS_SCALE=1.0 ;;
    *) export TOFU_STRESS_SCALE=0.25 ;;
  esac
  log="build-logs/ctest-$stage.log"
  mkdir -p build-logs
  ctest --preset "$stage" | tee "$log"
  scripts/check-skips.sh "$stage" "$log"
  if [ "$stage" = dev ]; then
    echo "=== stage dev: benchmark smoke runs (check that every scenario runs, not its speed)"
    build/bin/tofu-bench --quick >/dev/null
    QT_QPA_PLATFORM=offscreen build/bin/tofu-qt-bench --quick >/dev/null
    QT_QPA_PLATFORM=offscreen build/bin/tofu-monitor-bench --quick >/dev/null
  fi
  report_duration "$stage" "$stage_started"
done
echo "=== all stages passed: $stages"
