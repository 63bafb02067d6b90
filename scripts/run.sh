#!/usr/bin/env bash
# Quick start, step 1: installs what is missing, builds, and starts the monitor with its
# built-in live demo (several engines listening, connecting, exchanging and failing).
# With a display it opens the window. Without one (no DISPLAY or WAYLAND_DISPLAY) it runs
# offscreen, writes a screenshot after a few seconds, says where, and exits.
# Extra arguments go to tofu-monitor (tofu-monitor --help lists them).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cmake --preset dev >/dev/null
cmake --build --preset dev

exec build/bin/tofu-monitor --demo "$@"
