#!/usr/bin/env bash
# Regenerates the monitor screenshots in docs/images/: `tofu-monitor --demo` at 1280x800
# (monitor-1280x800.png) and at 1600x1000 (monitor.png, the README's), each taken offscreen
# after a few seconds of the live demo. A screenshot run reads no saved settings, so the
# images show the default layout whatever this machine's monitor last looked like.
# BUILD_DIR picks the build tree (default: build, the dev preset's); SECONDS_BEFORE_SHOT the wait.
set -euo pipefail
cd "$(dirname "$0")/.."

build=${BUILD_DIR:-build}
wait=${SECONDS_BEFORE_SHOT:-6}
cmake --build "$build" --target tofu-monitor >/dev/null

shoot() {  # size, output
  QT_QPA_PLATFORM=offscreen "$build/bin/tofu-monitor" --demo --size "$1" --screenshot "$2" --quit-after "$wait"
}
shoot 1280x800 docs/images/monitor-1280x800.png
shoot 1600x1000 docs/images/monitor.png
