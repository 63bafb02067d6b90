#!/usr/bin/env bash
# Regenerates the monitor screenshots in docs/images/, each taken offscreen:
# - `tofu-monitor --demo` after a few seconds of the live demo, at 1280x800
#   (monitor-1280x800.png) and at 1600x1000 (monitor.png, the README's);
# - `tofu-monitor --attach A --attach B` on two `tofu-cli listen --echo` processes with
#   telemetry on UDS paths, while `tofu-cli send` drives traffic through them (plain, large and
#   JSON bodies, a channel still open, and a sender killed mid-conversation, which the listener
#   sees fail), at 1280x800 (monitor-attached-1280x800.png) and 1600x1000 (monitor-attached.png).
# A screenshot run reads no saved settings, so the images show the default layout whatever
# this machine's monitor last looked like.
# BUILD_DIR picks the build tree (default: build, the dev preset's); SECONDS_BEFORE_SHOT the
# demo's wait; SKIP_BUILD=1 uses the executables already in BUILD_DIR/bin.
set -euo pipefail
cd "$(dirname "$0")/.."

build=${BUILD_DIR:-build}
wait=${SECONDS_BEFORE_SHOT:-6}
[[ -n ${SKIP_BUILD:-} ]] || cmake --build "$build" --target tofu-monitor tofu-cli >/dev/null
monitor=$build/bin/tofu-monitor
cli=$build/bin/tofu-cli

shoot_demo() {  # size, output
  QT_QPA_PLATFORM=offscreen "$monitor" --demo --size "$1" --screenshot "$2" --quit-after "$wait"
}
shoot_demo 1280x800 docs/images/monitor-1280x800.png
shoot_demo 1600x1000 docs/images/monitor.png

# --- two attached processes ------------------------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/tofu-screenshots.XXXXXX")  # shown in the engines panel
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# Waits up to 10 s for a line starting with $2 in file $1 and prints its second word.
await_word() {
  for _ in $(seq 100); do
    local line
    line=$(grep -m1 "^$2 " "$1" 2>/dev/null || true)
    if [[ -n $line ]]; then echo "${line#* }"; return 0; fi
    sleep 0.1
  done
  echo "screenshots.sh: no '$2' line in $1" >&2
  return 1
}

# One listener on UDS, one on TCP (port 0), so the two processes differ in more than the pid.
# Their stderr (a line per channel closed) stays in $work.
"$cli" listen "uds|$work/orders.sock" --echo --telemetry "uds|$work/orders.telemetry" >"$work/orders.out" 2>"$work/orders.err" &
pids+=($!)
"$cli" listen 'tcp|127.0.0.1|0' --echo --telemetry "uds|$work/prices.telemetry" >"$work/prices.out" 2>"$work/prices.err" &
pids+=($!)
orders=$(await_word "$work/orders.out" listening)
prices=$(await_word "$work/prices.out" listening)
await_word "$work/orders.out" telemetry >/dev/null
await_word "$work/prices.out" telemetry >/dev/null

# Both monitors watch the same traffic; the shot is taken after `shot_after` seconds.
attach_wait=2
shot_after=$((attach_wait + 6))
monitors=()
for shot in 1280x800:docs/images/monitor-attached-1280x800.png 1600x1000:docs/images/monitor-attached.png; do
  QT_QPA_PLATFORM=offscreen "$monitor" --attach "uds|$work/orders.telemetry" --attach "uds|$work/prices.telemetry" \
    --size "${shot%%:*}" --screenshot "${shot#*:}" --quit-after "$shot_after" &
  monitors+=($!)
  pids+=($!)
done
sleep "$attach_wait"  # events published before a monitor subscribed are not sent to it

send() { "$cli" send "$@" >/dev/null; }
send "$orders" --count 5 --body 'order 1 x tofu, firm' --header client:screenshots
send "$prices" --count 20 --body 'price?' --header currency:EUR
send "$prices" --body "$(printf 'line %03d of a larger body\n' $(seq 80))" --header content-type:text/plain
"$cli" send "$orders" --body 'still here' --hold 60 >/dev/null 2>&1 &  # open when the shot is taken
pids+=($!)
"$cli" send "$prices" --body 'about to vanish' --hold 60 >"$work/vanishing.out" &
vanishing=$!
pids+=("$vanishing")
await_word "$work/vanishing.out" response >/dev/null
kill -KILL "$vanishing"  # the listener sees the channel fail, not close
{ wait "$vanishing"; } 2>/dev/null || true  # without its "Killed" line
send "$orders" --header content-type:application/json \
  --body '{"order":12345678901234567891,"customer":"Ada","items":[{"sku":"tofu-firm","qty":2},{"sku":"tofu-silken","qty":1}],"express":true}'

for pid in "${monitors[@]}"; do wait "$pid"; done
