#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang and runs them all at once, each for
# TOFU_FUZZ_SECONDS (default 60) on a scratch copy of its seed corpus, so the committed corpus
# never grows by itself. Prints one summary line per target; exits 1 on any finding (crash,
# violated invariant, sanitizer report, leak, timeout, out-of-memory), 2 when a tool is missing.
# Installs nothing. Options (environment): TOFU_FUZZ_SECONDS, TOFU_FUZZ_BUILD_DIR (build-fuzz),
# TOFU_FUZZ_CXX (clang++), TOFU_FUZZ_TARGETS (all three, e.g. "address").
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${TOFU_FUZZ_SECONDS:-60}
build_dir=${TOFU_FUZZ_BUILD_DIR:-build-fuzz}
cxx=${TOFU_FUZZ_CXX:-clang++}
read -r -a targets <<<"${TOFU_FUZZ_TARGETS:-frame_decoder text_headers address}"

# --- Prerequisites: say exactly which Debian package is missing.
if ! command -v "$cxx" >/dev/null 2>&1; then
  echo "fuzz.sh: '$cxx' not found; install the Debian package: clang" >&2
  exit 2
fi
clang_major=$("$cxx" -dumpversion | cut -d. -f1)
probe_dir=$(mktemp -d)
trap 'rm -rf "$probe_dir"' EXIT
# Linking a trivial fuzz target proves the libFuzzer and sanitizer runtimes are installed.
printf 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }\n' \
  >"$probe_dir/probe.cpp"
if ! "$cxx" -fsanitize=fuzzer,address,undefined "$probe_dir/probe.cpp" -o "$probe_dir/probe" \
  >"$probe_dir/probe.log" 2>&1; then
  echo "fuzz.sh: $cxx cannot link the libFuzzer/sanitizer runtimes; install the Debian package:" \
    "libclang-rt-${clang_major}-dev" >&2
  sed 's/^/  /' "$probe_dir/probe.log" >&2
  exit 2
fi

# --- Build (only the fuzz targets: the plain engine, tests and tools are not needed here).
echo "=== fuzz: configure and build in $build_dir ($cxx $clang_major)"
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_CXX_COMPILER="$cxx" -DTOFU_BUILD_FUZZ=ON \
  -DTOFU_BUILD_TESTS=OFF -DTOFU_BUILD_TOOLS=OFF >/dev/null
cmake --build "$build_dir" --target "${targets[@]/#/fuzz_}"

# --- Run every target at once, each on a scratch copy of its corpus: on 2 cores the three
# share the CPU, and the stage takes one target's time instead of three (CI's 45 minutes).
work_dir="$build_dir/fuzz-run"
rm -rf "$work_dir"
failed=()
summaries=()
pids=()
started=$SECONDS
for target in "${targets[@]}"; do
  seeds="tests/fuzz/corpus/$target"
  dir="$work_dir/$target"
  mkdir -p "$dir/corpus" "$dir/artifacts"
  cp -R "$seeds/." "$dir/corpus/"
  echo "=== fuzz_$target: ${seconds} s from $(find "$seeds" -type f | wc -l) seeds (log: $dir/fuzz.log)"
  # -timeout: one input taking over 10 s is a hang, hence a finding.
  "$build_dir/bin/fuzz_$target" -max_total_time="$seconds" -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$dir/artifacts/" "$dir/corpus" >"$dir/fuzz.log" 2>&1 &
  pids+=($!)
done
for i in "${!targets[@]}"; do
  target=${targets[$i]}
  seeds="tests/fuzz/corpus/$target"
  dir="$work_dir/$target"
  status=0
  wait "${pids[$i]}" || status=$?
  elapsed=$((SECONDS - started))
  seed_count=$(find "$seeds" -type f | wc -l)
  executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/fuzz.log" | tail -n 1)
  executions=${executions:-unknown}
  corpus_count=$(find "$dir/corpus" -type f | wc -l)
  artifacts=$(find "$dir/artifacts" -type f | sort)
  if [ "$status" -ne 0 ] || [ -n "$artifacts" ]; then
    failed+=("$target")
    summary="fuzz_$target: FINDING (exit $status) after $executions executions in $elapsed s"
    echo "$summary"
    grep -m 10 -E 'invariant violated|ERROR|SUMMARY|Test unit written' "$dir/fuzz.log" | sed 's/^/  /' || true
    if [ -n "$artifacts" ]; then
      echo "  reproduce: $build_dir/bin/fuzz_$target <artifact>; artifacts:"
      while read -r artifact; do echo "    $artifact"; done <<<"$artifacts"
    fi
  else
    summary="fuzz_$target: $executions executions in $elapsed s, corpus $seed_count -> $corpus_count inputs, no finding"
    echo "$summary"
  fi
  summaries+=("$summary")
done

echo "=== fuzz summary"
printf '%s\n' "${summaries[@]}"
if [ ${#failed[@]} -ne 0 ]; then
  echo "fuzz.sh: findings in: ${failed[*]} (minimise with -minimize_crash=1, add to tests/fuzz/corpus/<target>/)" >&2
  exit 1
fi
