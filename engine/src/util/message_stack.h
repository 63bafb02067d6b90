// Internal, not part of the API.
// MessageStack: messages kept as an array of pointers, last in first out. Unlike
// MessageQueue's links, taking many reads no message: the pool hands batches to the reactor
// without a cache miss per message on the way (each was last touched by another thread).
// Not thread-safe: its owner's lock protects it. Owns the messages it holds.
#pragma once

#include <cstddef>
#include <vector>

#include "tofu/message.h"

namespace tofu::detail {

class MessageStack {
 public:
  MessageStack() = default;
  MessageStack(const MessageStack&) = delete;
  MessageStack& operator=(const MessageStack&) = delete;
  ~MessageStack() {
    for (Message* message : messages_) delete message;  // NOLINT(cppcoreguidelines-owning-memory): owned
  }

  bool empty() const noexcept { return messages_.empty(); }
  std::size_t size() const noexcept { return messages_.size(); }
  // Grows only when the stack outgrows what it held before: steady traffic allocates nothing.
  void reserve(std::size_t count) { messages_.reserve(count); }

  void push(MessagePtr message) { messages_.push_back(message.release()); }
  MessagePtr pop() noexcept {
    if (messages_.empty()) return nullptr;
    MessagePtr top(messages_.back());
    messages_.pop_back();
    return top;
  }
  // Starts fetching the message the next pop() returns into this core's cache, for writing:
  // the thread that put it back last wrote it on another core.
  void prefetchTop() const noexcept {
    if (messages_.empty()) return;
    const auto* bytes = reinterpret_cast<const char*>(messages_.back());  // NOLINT: raw cache lines
    for (std::size_t line = 0; line < sizeof(Message); line += 64) __builtin_prefetch(bytes + line, 1);
  }

 private:
  std::vector<Message*> messages_;
};

}  // namespace tofu::detail
