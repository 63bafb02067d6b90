#!/usr/bin/env bash
# The engine's GUARDED_BY annotations are checked (issue 22): clang with the flags every
# first-party target gets (TOFU_THREAD_SAFETY_FLAGS) and -Werror accepts a guarded member
# touched under its mutex and refuses one touched without.
# Usage: check.sh CLANG_CXX ENGINE_INCLUDE_DIR [FLAGS...]
set -euo pipefail
compiler=$1
include=$2
shift 2
flags=("$@")
here=$(dirname "$0")
compile() {
  echo '#include "guarded_counter.h"' | "$compiler" -std=c++20 -fsyntax-only "${flags[@]}" -Werror \
    -I"$include" -I"$here" "$@" -x c++ - 2>&1
}
compile
if output=$(compile -DTHREAD_SAFETY_VIOLATION); then
  echo "FAIL: an unguarded write to a GUARDED_BY member compiled" >&2
  exit 1
fi
if ! grep -q "requires holding mutex 'mutex_'" <<<"$output"; then
  echo "FAIL: expected clang's thread-safety error, got: $output" >&2
  exit 1
fi
echo "thread_safety_check_test: locked access compiles, unlocked access is refused"
