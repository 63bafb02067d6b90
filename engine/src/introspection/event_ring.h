// Internal, not part of the API.
// EventRing: the bounded buffer behind an EventStream. Any thread pushes without locking
// or waiting (a full ring drops the event and counts it, A1); one consumer polls. A bounded
// multi-producer queue after Dmitry Vyukov's design: each slot carries a sequence number.
//
// The slots (16384 by default, ~2.9 MB) live in an anonymous mapping of their own, not on
// the heap: a stream is started and stopped with a process's first and last subscriber
// (telemetry, issue 18), and through malloc such a block is mmapped the first time, then,
// once freed, raises glibc's dynamic mmap threshold to its size (and the trim threshold to
// twice that) for the whole process, so every later ring came from a thread arena whose top
// glibc never gave back (neither heap_trim below the raised threshold nor malloc_trim, which
// leaves the top of non-main arenas). munmap returns it exactly when the stream goes.
//
// With ObserverOptions::payloads a message event also carries a heap copy of its sections,
// made by the pushing thread and handed to the consumer with the event; their bytes in the
// ring are bounded by payloadBufferBytes.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "tofu/introspection.h"
#include "tofu/message.h"

namespace tofu::detail {

class EventRing final : public EventStream {
 public:
  // Throws std::bad_alloc when the slots cannot be mapped.
  explicit EventRing(const ObserverOptions& options);
  ~EventRing() override;
  EventRing(const EventRing&) = delete;
  EventRing& operator=(const EventRing&) = delete;

  // Never blocks; false (and one more drop counted) when the ring is full. With payloads on
  // and a `message`, the event carries a copy of its sections when the budget allows.
  bool tryPush(const Event& event, const Message* message = nullptr) noexcept;

  std::size_t poll(std::vector<Event>& out, std::size_t max) override;
  std::size_t pollWithPayloads(std::vector<Event>& out, std::vector<EventPayload>& payloads,
                               std::size_t max) override;
  std::uint64_t dropped() const override { return dropped_.load(std::memory_order_relaxed); }

  std::size_t previewBytes() const noexcept { return previewBytes_; }

 private:
  struct Slot {
    std::atomic<std::size_t> sequence{0};
    Event event;
    EventPayload* payload = nullptr;  // owned while the slot is full
  };

  // The bytes of `slots` slots; throws std::bad_alloc on overflow.
  static std::size_t bytesFor(std::size_t slots);
  // A copy of `message`'s sections within the budget, or null (payloads off, over budget, no memory).
  std::unique_ptr<EventPayload> copyPayload(const Message& message) noexcept;
  // Moves up to `max` events out, handing each slot's payload to `take` (which may drop it).
  template <class TakePayload>
  std::size_t pollSlots(std::vector<Event>& out, std::size_t max, TakePayload take);

  const std::size_t previewBytes_;
  const bool payloads_;
  const std::size_t payloadBodyBytes_;
  const std::size_t payloadBufferBytes_;
  const std::size_t mask_;
  const std::size_t mappedBytes_;
  Slot* slots_;  // mask_ + 1 slots in a mapping of mappedBytes_
  alignas(64) std::atomic<std::size_t> enqueueAt_{0};
  alignas(64) std::atomic<std::size_t> dequeueAt_{0};
  std::atomic<std::uint64_t> dropped_{0};
  std::atomic<std::size_t> payloadBytes_{0};  // bytes of the payloads in full slots
};

}  // namespace tofu::detail
