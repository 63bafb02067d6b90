#!/usr/bin/env bash
# The layering check (scripts/check-layers.sh) passes on engine/src as it is, and fails, naming
# the file and the layers, when an include against the direction is added to a copy of it.
set -euo pipefail
script=$1
src=$2
"$script" "$src"

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
expectRefused() {  # FILE INCLUDE EXPECTED_MESSAGE
  rm -rf "$scratch/src"
  cp -r "$src" "$scratch/src"
  echo "#include \"$2\"" >>"$scratch/src/$1"
  local output
  if output=$("$script" "$scratch/src" 2>&1); then
    echo "FAIL: $1 including $2 passed the check" >&2
    exit 1
  fi
  if ! grep -qF "$3" <<<"$output"; then
    echo "FAIL: $1 including $2: expected \"$3\" in: $output" >&2
    exit 1
  fi
}
expectRefused net/channel.cpp core/ampe_impl.h 'net/channel.cpp: includes "core/ampe_impl.h": net may not depend on core'
expectRefused reactor/event_loop.h net/channel.h 'reactor/event_loop.h: includes "net/channel.h": reactor may not depend on net'
expectRefused util/message_pool.h reactor/inbox.h 'util/message_pool.h: includes "reactor/inbox.h": util may not depend on reactor'
expectRefused core/ampe_impl.cpp telemetry/telemetry_server.h 'core may not depend on telemetry'
expectRefused net/channel.cpp top_level.h 'a file at the top of engine/src'
expectRefused core/ampe_impl.cpp tofu/telemetry/codec.h 'core/ampe_impl.cpp: includes "tofu/telemetry/codec.h": core may not depend on telemetry'
expectRefused vocabulary/status.cpp util/message_queue.h 'vocabulary may not depend on util'
echo "check_layers_test: the check passes on the tree and refused each include against the direction"
