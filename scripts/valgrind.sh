#!/usr/bin/env bash
# Runs the engine's conformance binaries under Valgrind memcheck (leaks of kinds definite and
# indirect count as errors) from a dev build, prints one summary line per binary and exits
# non-zero if any binary has a memcheck error or a failing test.
#
#   scripts/valgrind.sh                    configure + build the dev preset, then run
#   TOFU_VALGRIND_NO_BUILD=1 scripts/valgrind.sh   use the existing build/ as it is
#
# Binaries: every conformance_*_test, bad_input_test and teardown_test in build/bin.
# Valgrind runs the code 20-50 times slower and serialises its threads, so:
# - waits are scaled up with TOFU_TEST_TIMEOUT_SCALE (default 10 here);
# - tests that assert CPU use or batching are left out with --gtest_filter (skip below): B5
#   "no busy loop" (process CPU over an interval, which Valgrind itself inflates; the accept
#   one also lowers RLIMIT_NOFILE, which Valgrind reserves descriptors against) and B10
#   gathered writes (counts segments and read calls, which depend on speed). What they
#   exercise is also exercised by tests that do run. Whole run: a few minutes.
# Logs: build/valgrind/<binary>.log (Valgrind) and build/valgrind/<binary>.out (the test).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v valgrind >/dev/null 2>&1; then
  echo "valgrind is not installed (Debian/Ubuntu: apt-get install valgrind)" >&2
  exit 2
fi

if [[ "${TOFU_VALGRIND_NO_BUILD:-0}" != 1 ]]; then
  cmake --preset dev >/dev/null
  cmake --build --preset dev
fi

bin_dir=build/bin
log_dir=build/valgrind
mkdir -p "$log_dir"
export TOFU_TEST_TIMEOUT_SCALE=${TOFU_TEST_TIMEOUT_SCALE:-10}

binaries=(bad_input_test teardown_test)
for path in build/bin/conformance_*_test; do
  [ -e "$path" ] && binaries+=("$(basename "$path")")
done
# CPU-use and batching assertions (see the header).
skip='*B5_PoolEmptyOncePerEpisodeAndNoBusyLoop*:*B5_PersistentAcceptErrorDoesNotSpin*'
skip+=':*B10_QueuedSmallFramesAreGatheredIntoFewWrites*'

failed=0
ran=0
for name in "${binaries[@]}"; do
  binary="$bin_dir/$name"
  if [[ ! -x "$binary" ]]; then
    printf '%-32s absent (not built)\n' "$name"
    continue
  fi
  ran=$((ran + 1))
  start=$(date +%s)
  status=0
  valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,indirect \
    --show-leak-kinds=definite,indirect --track-fds=no --num-callers=30 \
    --log-file="$log_dir/$name.log" \
    "$binary" --gtest_filter="-$skip" --gtest_brief=1 >"$log_dir/$name.out" 2>&1 || status=$?
  seconds=$(($(date +%s) - start))
  errors=$(sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' "$log_dir/$name.log" | tail -n 1)
  tests=$(sed -n 's/.*\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log_dir/$name.out" | tail -n 1)
  failures=$(grep -c '^\[  FAILED  \]' "$log_dir/$name.out" || true)
  if [[ $status -eq 0 ]]; then
    printf '%-32s ok: %s tests passed, %s memcheck errors, %ss\n' "$name" "${tests:-?}" "${errors:-0}" "$seconds"
  else
    failed=1
    printf '%-32s FAILED (exit %s): %s tests failed, %s memcheck errors, %ss; see %s\n' "$name" "$status" \
      "${failures:-0}" "${errors:-?}" "$seconds" "$log_dir/$name.{log,out}"
  fi
done

if [[ $ran -eq 0 ]]; then
  echo "no conformance binary found in $bin_dir" >&2
  exit 2
fi
exit $failed
