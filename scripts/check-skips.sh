#!/usr/bin/env bash
# Reads one stage's ctest output, prints how many tests ran and how many were skipped, and
# fails when a skipped (or disabled) test is not allowed by tests/allowed-skips.txt, so a test
# that quietly stops running (a probe that decides "not here") fails CI instead of passing it.
# Usage: scripts/check-skips.sh STAGE CTEST_LOG
set -euo pipefail
cd "$(dirname "$0")/.."

stage=$1
log=$2
allowed=tests/allowed-skips.txt

total=$(sed -n 's/^[0-9]*% tests passed, [0-9]* tests\{0,1\} failed out of \([0-9]*\).*/\1/p' "$log" | tail -n 1)
if [ -z "$total" ]; then
  echo "=== stage $stage: no ctest summary in $log" >&2
  exit 1
fi
# ctest lists what did not run after its summary: "<tab>  12 - Suite.Name (Skipped)", with
# "  # GetParam() = tcp" after the name of a parameterized test, which is not part of it.
skipped=$(sed -n '/^The following tests did not run:/,/^$/s/^[[:space:]]*[0-9]* - \(.*\) (\(Skipped\|Disabled\))$/\1/p' "$log" |
  sed 's/  # .*$//')
count=0
[ -n "$skipped" ] && count=$(printf '%s\n' "$skipped" | wc -l)
echo "=== stage $stage: $((total - count)) tests run, $count skipped"

# tests/allowed-skips.txt: "NAME WHEN REASON". WHEN is a comma-separated list of stage names
# (dev, asan, tsan, engine-only) and `non-root` (the tests do not run as root; CI runs as root).
is_root=no
[ "$(id -u)" = 0 ] && is_root=yes
allowed_here() {
  local when
  when=$(awk -v name="$1" '$1 == name { print $2 }' "$allowed")
  local condition
  for condition in ${when//,/ }; do
    [ "$condition" = "$stage" ] && return 0
    [ "$condition" = non-root ] && [ "$is_root" = no ] && return 0
  done
  return 1
}
unexpected=0
while IFS= read -r name; do
  [ -z "$name" ] && continue
  if allowed_here "$name"; then
    echo "    skipped (allowed): $name: $(awk -v name="$name" '$1 == name { $1 = ""; $2 = ""; sub(/^  /, ""); print }' "$allowed")"
  else
    echo "    skipped, not allowed here by $allowed: $name" >&2
    unexpected=1
  fi
done <<<"$skipped"
if [ "$unexpected" != 0 ]; then
  echo "=== stage $stage: a test was skipped that must run here; see its output with" >&2
  echo "    ctest --preset $stage -R '<name>' --output-on-failure -V" >&2
  exit 1
fi
