#!/usr/bin/env bash
# Installs the Debian packages the build and tests need, only those missing.
set -euo pipefail

# clang and its runtime build the asan, tsan and engine-only presets and the libFuzzer targets
# (scripts/fuzz.sh); lld links every preset (far faster than ld.bfd on debug builds). Qt 6
# (with Charts, which needs the Qt OpenGL module's CMake files) is for the adapter and the
# monitor; tshark for the Wireshark dissector test; libzmq3-dev gives tofu-bench its ZeroMQ
# baselines; pkg-config for the install test and for finding libzmq; clang-tidy for
# scripts/clang-tidy.sh; libssl-dev and openssl for the TLS transport and the certificates its
# tests generate.
packages=(cmake ninja-build g++ pkg-config libgtest-dev libgmock-dev clang libclang-rt-14-dev lld
  qt6-base-dev qt6-charts-dev libqt6opengl6-dev libxkbcommon-dev tshark libzmq3-dev clang-tidy
  libssl-dev openssl)

missing=()
for package in "${packages[@]}"; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "Installing: ${missing[*]}"
$sudo apt-get update -qq
# tshark asks whether non-root users may capture; noninteractive keeps the default (no).
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
