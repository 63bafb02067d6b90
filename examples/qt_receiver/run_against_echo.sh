#!/usr/bin/env bash
# Runs qt_receiver against a live `tofu-cli listen --echo` for CTest:
#   run_against_echo.sh TOFU_CLI QT_RECEIVER
# Passes when qt_receiver exits 0 and printed the 3 Responses with their headers and bodies.
set -uo pipefail
cli=$1
receiver=$2
tmp=$(mktemp -d)
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

"$cli" listen 'tcp|127.0.0.1|0' --echo >"$tmp/server.txt" 2>&1 &
server_pid=$!
address=""
for _ in $(seq 100); do
  address=$(sed -n 's/^listening //p' "$tmp/server.txt")
  [ -n "$address" ] && break
  sleep 0.1
done
[ -n "$address" ] || { echo "FAIL: tofu-cli printed no 'listening' line"; cat "$tmp/server.txt"; exit 1; }

QT_QPA_PLATFORM=offscreen timeout 30 "$receiver" "$address" 3 >"$tmp/out.txt" 2>&1
status=$?
cat "$tmp/out.txt"
[ "$status" -eq 0 ] || { echo "FAIL: qt_receiver exited with $status"; exit 1; }
for i in 1 2 3; do
  grep -Eq "^response id=[0-9]+ headers=\[seq:$i\] body=hello $i$" "$tmp/out.txt" ||
    { echo "FAIL: response $i missing"; exit 1; }
done
echo "PASS"
