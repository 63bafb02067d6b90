#!/usr/bin/env bash
# Quick start, step 1: installs what is missing, builds, and runs the live echo demo:
# a `tofu-cli listen --echo` server on TCP and on a Unix socket, each exercised by
# `tofu-cli send`. Works without a display.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cmake --preset dev >/dev/null
cmake --build --preset dev

cli=build/bin/tofu-cli
workdir=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$workdir"' EXIT

demo() {
  local address=$1
  "$cli" listen "$address" --echo >"$workdir/listen.out" 2>"$workdir/listen.err" &
  local server=$!
  for _ in $(seq 100); do
    [ -s "$workdir/listen.out" ] && break
    sleep 0.05
  done
  local bound
  bound=$(head -n1 "$workdir/listen.out" | cut -d' ' -f2)
  echo "== server: $(head -n1 "$workdir/listen.out")"
  echo "== client: tofu-cli send $bound --count 3 --body 'hello tofu' --header demo:yes"
  "$cli" send "$bound" --count 3 --body "hello tofu" --header demo:yes
  kill -TERM "$server"
  wait "$server"
  echo "== server exited with status $?"
}

demo "tcp|127.0.0.1|0"
demo "uds|$workdir/demo.sock"
