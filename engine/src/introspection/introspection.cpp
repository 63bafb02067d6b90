#include "tofu/introspection.h"

#include <time.h>

namespace tofu {

namespace {

std::int64_t clockNowNs(clockid_t clock) noexcept {
  timespec now{};
  ::clock_gettime(clock, &now);
  return static_cast<std::int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
}

}  // namespace

std::int64_t monotonicNowNs() noexcept { return clockNowNs(CLOCK_MONOTONIC); }

std::int64_t wallClockNowNs() noexcept { return clockNowNs(CLOCK_REALTIME); }

std::size_t EventStream::pollWithPayloads(std::vector<Event>& out, std::vector<EventPayload>& payloads,
                                          std::size_t max) {
  const std::size_t taken = poll(out, max);
  payloads.resize(payloads.size() + taken);
  return taken;
}

}  // namespace tofu
