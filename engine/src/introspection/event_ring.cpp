#include "introspection/event_ring.h"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <new>
#include <type_traits>
#include <utility>

#include <sys/mman.h>

namespace tofu::detail {
namespace {

// Fresh anonymous pages: zero until written, returned to the system by munmap.
void* mapSlots(std::size_t bytes) {
  void* mapped = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mapped == MAP_FAILED) throw std::bad_alloc();
  return mapped;
}

// What a payload counts against ObserverOptions::payloadBufferBytes.
std::size_t payloadSize(const EventPayload& payload) {
  return sizeof(EventPayload) + payload.textHeaders.size() + payload.body.size();
}

}  // namespace

std::size_t EventRing::bytesFor(std::size_t slots) {
  if (slots > SIZE_MAX / sizeof(Slot)) throw std::bad_alloc();
  return slots * sizeof(Slot);
}

EventRing::EventRing(const ObserverOptions& options)
    : previewBytes_(std::min(options.previewBytes, Event::kMaxPreview)),
      payloads_(options.payloads),
      payloadBodyBytes_(options.payloadBodyBytes),
      payloadBufferBytes_(options.payloadBufferBytes),
      mask_(std::bit_ceil(std::max<std::size_t>(options.capacity, 2)) - 1),
      mappedBytes_(bytesFor(mask_ + 1)),
      slots_(static_cast<Slot*>(mapSlots(mappedBytes_))) {
  static_assert(alignof(Slot) <= 4096, "a mapping is page aligned");
  static_assert(std::is_nothrow_default_constructible_v<Slot>);
  for (std::size_t i = 0; i <= mask_; ++i) {
    new (&slots_[i]) Slot();
    slots_[i].sequence.store(i, std::memory_order_relaxed);
  }
}

EventRing::~EventRing() {
  static_assert(std::is_trivially_destructible_v<Slot>, "the slots are unmapped without destructors");
  for (std::size_t i = 0; i <= mask_; ++i) delete slots_[i].payload;
  (void)::munmap(slots_, mappedBytes_);
}

std::unique_ptr<EventPayload> EventRing::copyPayload(const Message& message) noexcept {
  const std::size_t headers = message.headers().size();
  const std::size_t body = std::min(message.body().size(), payloadBodyBytes_);
  const std::size_t bytes = sizeof(EventPayload) + headers + body;  // payloadSize() of the copy
  // Reserve the budget first: concurrent producers never overshoot it together.
  if (payloadBytes_.fetch_add(bytes, std::memory_order_relaxed) + bytes > payloadBufferBytes_) {
    payloadBytes_.fetch_sub(bytes, std::memory_order_relaxed);
    return nullptr;
  }
  try {
    auto payload = std::make_unique<EventPayload>();
    payload->taken = true;
    const auto* headerBytes = reinterpret_cast<const char*>(message.headers().buffer().data());  // NOLINT: byte view
    const auto* bodyBytes = reinterpret_cast<const char*>(message.body().data());                // NOLINT: byte view
    payload->textHeaders.assign(headerBytes, headers);
    payload->body.assign(bodyBytes, body);
    return payload;
  } catch (const std::bad_alloc&) {
    payloadBytes_.fetch_sub(bytes, std::memory_order_relaxed);
    return nullptr;
  }
}

bool EventRing::tryPush(const Event& event, const Message* message) noexcept {
  std::size_t position = enqueueAt_.load(std::memory_order_relaxed);
  for (;;) {
    Slot& slot = slots_[position & mask_];
    const std::size_t sequence = slot.sequence.load(std::memory_order_acquire);
    const auto lag = static_cast<std::ptrdiff_t>(sequence - position);
    if (lag == 0) {
      if (enqueueAt_.compare_exchange_weak(position, position + 1, std::memory_order_relaxed)) {
        slot.event = event;
        // Copied once the slot is ours, so a full ring costs no copy; the consumer stops at
        // this slot until it is published.
        slot.payload = payloads_ && message != nullptr ? copyPayload(*message).release() : nullptr;
        slot.sequence.store(position + 1, std::memory_order_release);
        return true;
      }
    } else if (lag < 0) {  // the consumer has not freed this slot yet: full
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return false;
    } else {
      position = enqueueAt_.load(std::memory_order_relaxed);
    }
  }
}

std::size_t EventRing::poll(std::vector<Event>& out, std::size_t max) {
  return pollSlots(out, max, [](std::unique_ptr<EventPayload>) {});
}

std::size_t EventRing::pollWithPayloads(std::vector<Event>& out, std::vector<EventPayload>& payloads,
                                        std::size_t max) {
  return pollSlots(out, max, [&payloads](std::unique_ptr<EventPayload> payload) {
    payloads.push_back(payload ? std::move(*payload) : EventPayload{});
  });
}

template <class TakePayload>
std::size_t EventRing::pollSlots(std::vector<Event>& out, std::size_t max, TakePayload take) {
  std::size_t taken = 0;
  std::size_t position = dequeueAt_.load(std::memory_order_relaxed);
  while (taken < max) {
    Slot& slot = slots_[position & mask_];
    const std::size_t sequence = slot.sequence.load(std::memory_order_acquire);
    if (sequence != position + 1) break;  // empty (one consumer: no one else takes it)
    out.push_back(slot.event);
    std::unique_ptr<EventPayload> payload(std::exchange(slot.payload, nullptr));
    if (payload) payloadBytes_.fetch_sub(payloadSize(*payload), std::memory_order_relaxed);
    take(std::move(payload));
    slot.sequence.store(position + mask_ + 1, std::memory_order_release);
    ++position;
    ++taken;
  }
  dequeueAt_.store(position, std::memory_order_relaxed);
  return taken;
}

}  // namespace tofu::detail
