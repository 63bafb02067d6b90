#!/usr/bin/env bash
# install_test.sh BUILD_DIR SOURCE_DIR MODE: installs BUILD_DIR into a temporary prefix and
# builds tests/install/consumer against it with find_package(Tofu), then runs the programs.
# The consumer sets no C++ standard: the packages must bring C++20 with them.
# MODE engine: the engine alone, with Qt hidden from the consumer (CMAKE_DISABLE_FIND_PACKAGE_Qt6)
#              plus a plain compiler line from pkg-config tofu-engine;
# MODE qt:     the engine and Tofu::qt, plus a plain compiler line from pkg-config tofu-qt.
set -euo pipefail
build=$1 source=$2 mode=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix

cmake --install "$build" --prefix "$prefix" >"$work/install.log"
echo "installed into $prefix: $(find "$prefix" -type f | wc -l) files"

consumer_flags=(-DCMAKE_PREFIX_PATH="$prefix")
if [ "$mode" = qt ]; then
  consumer_flags+=(-DCONSUMER_WITH_QT=ON)
else
  consumer_flags+=(-DCMAKE_DISABLE_FIND_PACKAGE_Qt6=ON)
fi
cmake -S "$source/tests/install/consumer" -B "$work/consumer" -G Ninja --no-warn-unused-cli "${consumer_flags[@]}" >"$work/configure.log" ||
  { cat "$work/configure.log"; exit 1; }
cmake --build "$work/consumer" >"$work/build.log" || { cat "$work/build.log"; exit 1; }

output=$("$work/consumer/engine_consumer")
echo "$output"
[[ $output == "tofu "*": connected to tcp|127.0.0.1|"* ]] || { echo "unexpected engine_consumer output"; exit 1; }
output=$("$work/consumer/telemetry_consumer")
echo "$output"
[[ $output == "telemetry 1: engine "*" read back" ]] || { echo "unexpected telemetry_consumer output"; exit 1; }

if [ "$mode" = qt ]; then
  output=$(QT_QPA_PLATFORM=offscreen "$work/consumer/qt_consumer")
  echo "$output"
  [[ $output == "connected on channel "* ]] || { echo "unexpected qt_consumer output"; exit 1; }
fi

# The same program from one compiler line, with the flags pkg-config gives.
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
version=$(pkg-config --modversion tofu-engine)
if [ "$mode" = qt ]; then
  [[ $(pkg-config --modversion tofu-qt) == "$version" ]] || { echo "tofu-qt.pc has another version"; exit 1; }
  # shellcheck disable=SC2046  # pkg-config output is meant to be split into flags
  c++ "$source/tests/install/consumer/qt_consumer.cpp" $(pkg-config --cflags --libs tofu-qt) -o "$work/pc_consumer"
  output=$(QT_QPA_PLATFORM=offscreen "$work/pc_consumer")
  echo "pkg-config tofu-qt $version: $output"
  [[ $output == "connected on channel "* ]] || { echo "unexpected pkg-config qt_consumer output"; exit 1; }
else
  # shellcheck disable=SC2046  # pkg-config output is meant to be split into flags
  c++ "$source/tests/install/consumer/engine_consumer.cpp" $(pkg-config --cflags --libs tofu-engine) -o "$work/pc_consumer"
  output=$("$work/pc_consumer")
  echo "pkg-config tofu-engine $version: $output"
  [[ $output == "tofu $version: connected to "* ]] || { echo "pkg-config consumer reports another version"; exit 1; }
fi
