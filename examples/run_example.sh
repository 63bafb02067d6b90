#!/usr/bin/env bash
# Runs an example program (or a server and its clients) for CTest and checks the outcome.
#
#   run_example.sh [--expect REGEX]... [--server [--listeners N]] -- PROGRAM ARGS... [-- PROGRAM ARGS...]...
#
# Without --server, each PROGRAM runs in turn. With --server, the first PROGRAM is a server
# started in the background: the script waits (10 s at most) for its N (default 1)
# `listening ADDRESS` lines, runs the others as clients, then waits (10 s at most) for the server to exit on its
# own (it is given a --count that matches the clients). In any argument, `{tmp}` becomes a
# fresh temporary directory (removed at the end) and `{1}`, `{2}`... the server's first,
# second... listening address. Every program must exit 0, and every REGEX (grep -E) must
# match the combined stdout. On failure the output is printed and the script exits 1.
set -uo pipefail

expects=()
with_server=0
listeners=1
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
  case "$1" in
    --expect) expects+=("$2"); shift 2 ;;
    --server) with_server=1; shift ;;
    --listeners) listeners=$2; shift 2 ;;
    *) echo "run_example.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[ $# -gt 0 ] && shift  # the first --

tmp=$(mktemp -d)
output="$tmp/output.txt"
server_pid=""
addresses=()
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null
    wait "$server_pid" 2>/dev/null
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  echo "---- output ----" >&2
  cat "$output" "$tmp"/server.txt >&2 2>/dev/null
  exit 1
}

# Splits the remaining arguments at each `--` into the array `commands` (one string per
# program, arguments separated by newlines so that spaces inside them survive).
commands=()
current=""
for argument in "$@"; do
  if [ "$argument" = "--" ]; then
    commands+=("$current")
    current=""
  else
    argument=${argument//\{tmp\}/$tmp}
    current+="$argument"$'\n'
  fi
done
[ -n "$current" ] && commands+=("$current")

# Runs one program (a string from `commands`) with its placeholders filled in.
run_program() {
  local -a argv
  mapfile -t argv <<<"${1%$'\n'}"
  local i
  for i in "${!addresses[@]}"; do
    argv=("${argv[@]//\{$((i + 1))\}/${addresses[$i]}}")
  done
  echo "+ ${argv[*]}" >>"$output"
  timeout 60 "${argv[@]}" >>"$output" 2>&1
}

first=0
if [ "$with_server" -eq 1 ]; then
  mapfile -t server_argv <<<"${commands[0]%$'\n'}"
  "${server_argv[@]}" >"$tmp/server.txt" 2>&1 &
  server_pid=$!
  for _ in $(seq 100); do
    mapfile -t addresses < <(sed -n 's/^listening //p' "$tmp/server.txt")
    [ ${#addresses[@]} -ge "$listeners" ] && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  [ ${#addresses[@]} -ge "$listeners" ] || fail "the server printed fewer than $listeners 'listening ADDRESS' lines"
  first=1
fi

for ((i = first; i < ${#commands[@]}; i++)); do
  run_program "${commands[$i]}" || fail "program $i exited with $?"
done

if [ -n "$server_pid" ]; then
  for _ in $(seq 100); do
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$server_pid" 2>/dev/null && fail "the server did not exit on its own"
  wait "$server_pid"
  status=$?
  server_pid=""
  cat "$tmp/server.txt" >>"$output"
  [ "$status" -eq 0 ] || fail "the server exited with $status"
fi

for pattern in "${expects[@]}"; do
  grep -Eq -- "$pattern" "$output" || fail "no output matches: $pattern"
done
cat "$output"
