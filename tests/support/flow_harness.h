// Helpers shared by the flow-control tests (DECISIONS.md B5, B6, B14): loads sized to the
// build, a watchdog that turns a deadlock into a failure, the close reasons of channels as
// snapshots report them, and numbered messages that are filled and checked without allocating.
// Every wait is bounded. The echo server the tests attack is in echo_server.h.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "tofu/tofu.h"

#include "engine_harness.h"

namespace tofu::test {

// ---------------------------------------------------------------------------------------------
// Loads sized to the build

enum class Sanitizer : std::uint8_t { none, address, thread };

// The sanitizer this build runs under (TOFU_SANITIZER_*, defined by cmake/TofuSanitizers.cmake).
Sanitizer activeSanitizer() noexcept;
const char* toString(Sanitizer sanitizer) noexcept;

// `release` in a plain build, `asan` under AddressSanitizer, `tsan` under ThreadSanitizer:
// loads are scaled down there, never skipped.
std::uint64_t perBuild(std::uint64_t release, std::uint64_t asan, std::uint64_t tsan) noexcept;

// ---------------------------------------------------------------------------------------------
// Deadlock detection

// Turns "no progress" into a failure instead of a hang: feed it a counter that only grows.
class ProgressWatch {
 public:
  explicit ProgressWatch(std::chrono::milliseconds patience = std::chrono::seconds(10));

  // False once `progress` has not changed for the whole patience.
  bool moving(std::uint64_t progress);
  std::chrono::milliseconds patience() const noexcept { return patience_; }

 private:
  std::chrono::milliseconds patience_;
  std::uint64_t last_ = 0;
  std::chrono::steady_clock::time_point since_;
};

// One line per channel (number, kind, state, send queue, close reason), the groups' receive
// queues and the pool: what a deadlock or a leak looks like from inside, for failure output.
std::string flowDump(Ampe& ampe);

// ---------------------------------------------------------------------------------------------
// Close reasons

// The close reason of each of `channels` from snapshots of `ampe`, waiting up to `timeout`
// until all of them are closed. Channels still open then are missing from the result.
std::map<std::uint16_t, Status> closeReasons(Ampe& ampe, const std::vector<std::uint16_t>& channels,
                                             std::chrono::milliseconds timeout);

// ---------------------------------------------------------------------------------------------
// Numbered messages

// The body of numbered message `index`: `bytes` bytes (at least 24) that name it; no allocation.
class NumberedBody {
 public:
  NumberedBody(std::uint64_t index, std::size_t bytes);
  std::string_view view() const noexcept { return {text_.data(), size_}; }

 private:
  std::array<char, 256> text_{};
  std::size_t size_ = 0;
};

// A stream of numbered messages: message `index` is `op` on `channel` with id firstId + index
// and body NumberedBody(index, bodyBytes). Filling and checking allocate nothing.
struct NumberedStream {
  OpCode op = OpCode::Signal;
  std::uint16_t channel = 0;
  std::uint64_t firstId = 0;
  std::size_t bodyBytes = 64;

  // Makes `message` message `index` of the stream (header fields and body).
  void fill(Message& message, std::uint64_t index) const;
  // True when `message` is message `index` as a peer sent it: origin application, success.
  bool matches(const Message& message, std::uint64_t index) const;
};

// Takes what `group` has queued, waiting up to `wait` for the first message; hands each to
// `take` and then back to the pool. Stops early once `take` returns false.
void takeQueued(Ampe& ampe, ChannelGroup& group, std::chrono::milliseconds wait,
                const std::function<bool(const Message&)>& take);

}  // namespace tofu::test
