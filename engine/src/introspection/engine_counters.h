// Internal, not part of the API.
// EngineCounterSet: the atomics behind Ampe::counters(). The reactor thread adds; any thread
// reads. Relaxed ordering: each total is exact, the set is not one instant. A cache line of
// its own: the reactor writes it for every frame.
#pragma once

#include <atomic>
#include <cstdint>

#include "tofu/ampe.h"
#include "util/cache_line.h"

namespace tofu::detail {

struct alignas(kCacheLineBytes) EngineCounterSet {
  std::atomic<std::uint64_t> framesWritten{0};
  std::atomic<std::uint64_t> bytesWritten{0};
  std::atomic<std::uint64_t> framesRead{0};
  std::atomic<std::uint64_t> bytesRead{0};
  std::atomic<std::uint64_t> messagesReturned{0};
  std::atomic<std::uint64_t> poolEmptyEpisodes{0};
  std::atomic<std::uint64_t> channelsOpened{0};
  std::atomic<std::uint64_t> channelsClosed{0};

  // Reactor thread only. Its only writer, so a plain load and store: a locked add stalled
  // the reading thread on every frame.
  static void add(std::atomic<std::uint64_t>& counter, std::uint64_t amount = 1) noexcept {
    counter.store(counter.load(std::memory_order_relaxed) + amount, std::memory_order_relaxed);
  }

  EngineCounters read() const noexcept {
    constexpr auto kRelaxed = std::memory_order_relaxed;
    return {framesWritten.load(kRelaxed),    bytesWritten.load(kRelaxed),      framesRead.load(kRelaxed),
            bytesRead.load(kRelaxed),        messagesReturned.load(kRelaxed),  poolEmptyEpisodes.load(kRelaxed),
            channelsOpened.load(kRelaxed),   channelsClosed.load(kRelaxed)};
  }
};

}  // namespace tofu::detail
