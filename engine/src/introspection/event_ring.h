// Internal, not part of the API.
// EventRing: the bounded buffer behind an EventStream. Any thread pushes without locking
// or waiting (a full ring drops the event and counts it, A1); one consumer polls. A bounded
// multi-producer queue after Dmitry Vyukov's design: each slot carries a sequence number.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "tofu/introspection.h"

namespace tofu::detail {

class EventRing final : public EventStream {
 public:
  explicit EventRing(const ObserverOptions& options);

  // Never blocks; false (and one more drop counted) when the ring is full.
  bool tryPush(const Event& event) noexcept;

  std::size_t poll(std::vector<Event>& out, std::size_t max) override;
  std::uint64_t dropped() const override { return dropped_.load(std::memory_order_relaxed); }

  std::size_t previewBytes() const noexcept { return previewBytes_; }

 private:
  struct Slot {
    std::atomic<std::size_t> sequence{0};
    Event event;
  };

  const std::size_t previewBytes_;
  const std::size_t mask_;
  std::unique_ptr<Slot[]> slots_;
  alignas(64) std::atomic<std::size_t> enqueueAt_{0};
  alignas(64) std::atomic<std::size_t> dequeueAt_{0};
  std::atomic<std::uint64_t> dropped_{0};
};

}  // namespace tofu::detail
