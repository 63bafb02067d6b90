#!/usr/bin/env bash
# CTest driver for examples/qt_chat, offscreen: one server, three clients, the server killed with
# SIGKILL mid-run and restarted on the same Unix socket path. Usage: run_chat_test.sh SERVER CLIENT
#
# Each client (ChatAutopilot) sends `NAME line 1` ... `NAME line 10`, at most 5 per connection,
# each batch once all three users are in the room, and expects 30 lines back:
#   1. Server 1 starts; the clients connect and send lines 1-5.
#   2. Once every client has received all 15 of them (nothing is in flight), server 1 is killed.
#   3. Each client sees its connection drop and types line 6 at once: refused, as it is not
#      connected; the line stays the next one to send.
#   4. Server 2 starts on the same path; the clients reconnect by themselves and, once the room
#      is full again, send lines 6-10.
# Then, exactly: every client received each of the 30 lines once, from its sender; refused one
# line (its line 6) and had none returned undelivered; server 1 relayed lines 1-5 of every
# client, server 2 lines 6-10, each to 3 users. Any lost or duplicated line fails the test.
# Every wait is bounded; on failure every program's output is printed.
set -uo pipefail

server=$1
client=$2
names=(alice bob carol)
export QT_QPA_PLATFORM=offscreen

tmp=$(mktemp -d)
address="uds|$tmp/chat.sock"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do
    kill -KILL "$pid" 2>/dev/null
  done
  wait 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  for file in "$tmp"/*.txt; do
    echo "---- $(basename "$file")" >&2
    cat "$file" >&2
  done
  exit 1
}

# wait_for FILE REGEX COUNT: waits (20 s at most) until COUNT lines of FILE match REGEX.
wait_for() {
  for _ in $(seq 200); do
    [ "$(grep -cE -- "$2" "$1" 2>/dev/null)" -ge "$3" ] && return 0
    sleep 0.1
  done
  return 1
}

# start_server N: starts server N in the background (output in serverN.txt), waits until it listens.
start_server() {
  "$server" --listen "$address" >"$tmp/server$1.txt" 2>&1 &
  server_pid=$!
  pids+=("$server_pid")
  wait_for "$tmp/server$1.txt" '^listening ' 1 || fail "server $1 is not listening"
}

# expect FILE REGEX EXPECTED: the lines of FILE matching REGEX, sorted, must be EXPECTED (sorted).
expect() {
  local actual
  actual=$(grep -E -- "$2" "$1" | sort)
  [ "$actual" = "$(sort <<<"$3")" ] || fail "$(basename "$1"): the lines matching '$2' are not as expected;
expected:
$3
got:
$actual"
}

# lines TEMPLATE FIRST LAST: TEMPLATE with {name} and {i} filled in, for every client and I in FIRST..LAST.
lines() {
  local name i line
  for name in "${names[@]}"; do
    for ((i = $2; i <= $3; i++)); do
      line=${1//\{name\}/$name}
      echo "${line//\{i\}/$i}"
    done
  done
}

start_server 1
declare -A client_pids
for name in "${names[@]}"; do
  timeout 30 "$client" --connect "$address" --name "$name" --send-lines 10 --batch 5 --room 3 \
    --expect-lines 30 --quit-when-done >"$tmp/$name.txt" 2>&1 &
  client_pids[$name]=$!
  pids+=("$!")
done

for name in "${names[@]}"; do
  wait_for "$tmp/$name.txt" '^received ' 15 || fail "$name did not receive the 15 lines of the first batches"
done
kill -KILL "$server_pid"
wait "$server_pid" 2>/dev/null
for name in "${names[@]}"; do
  wait_for "$tmp/$name.txt" '^refused ' 1 || fail "$name did not notice that server 1 is gone"
done

start_server 2
for name in "${names[@]}"; do
  wait "${client_pids[$name]}"
  status=$?
  [ "$status" -eq 0 ] || fail "client $name exited with $status (124: it did not receive 30 lines in 30 s)"
done
kill -TERM "$server_pid"
wait "$server_pid" 2>/dev/null

for name in "${names[@]}"; do
  expect "$tmp/$name.txt" '^received ' "$(lines 'received {name}: {name} line {i}' 1 10)"
  expect "$tmp/$name.txt" '^(refused|returned) ' "refused $name line 6"
  expect "$tmp/$name.txt" '^done ' "done 30"
done
expect "$tmp/server1.txt" '^relayed ' "$(lines 'relayed {name}: {name} line {i} to 3' 1 5)"
expect "$tmp/server2.txt" '^relayed ' "$(lines 'relayed {name}: {name} line {i} to 3' 6 10)"
echo "PASS: 3 clients x 10 lines, each received all 30 once; server 1 relayed 15, server 2 relayed 15"
