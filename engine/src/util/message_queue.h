// Internal, not part of the API.
// MessageQueue: an intrusive FIFO of messages linked through Message's own link field, so
// moving messages between pool, send queues and receive queues never allocates.
// Not thread-safe: its owner (or the owner's lock) protects it. Owns the messages it holds.
#pragma once

#include <cstddef>

#include "util/message_access.h"
#include "tofu/message.h"

namespace tofu::detail {

class MessageQueue {
 public:
  MessageQueue() = default;
  MessageQueue(const MessageQueue&) = delete;
  MessageQueue& operator=(const MessageQueue&) = delete;
  MessageQueue(MessageQueue&& other) noexcept { swap(other); }
  MessageQueue& operator=(MessageQueue&& other) noexcept {
    clear();
    swap(other);
    return *this;
  }
  ~MessageQueue() { clear(); }

  bool empty() const noexcept { return head_ == nullptr; }
  std::size_t size() const noexcept { return size_; }
  Message* front() const noexcept { return head_; }
  static Message* nextOf(Message* message) noexcept { return MessageAccess::next(*message); }

  void pushBack(MessagePtr message) noexcept {
    Message* raw = message.release();
    MessageAccess::next(*raw) = nullptr;
    if (tail_ != nullptr) {
      MessageAccess::next(*tail_) = raw;
    } else {
      head_ = raw;
    }
    tail_ = raw;
    ++size_;
  }

  void pushFront(MessagePtr message) noexcept {
    Message* raw = message.release();
    MessageAccess::next(*raw) = head_;
    head_ = raw;
    if (tail_ == nullptr) tail_ = raw;
    ++size_;
  }

  MessagePtr popFront() noexcept {
    if (head_ == nullptr) return nullptr;
    Message* raw = head_;
    head_ = MessageAccess::next(*raw);
    if (head_ == nullptr) tail_ = nullptr;
    MessageAccess::next(*raw) = nullptr;
    --size_;
    return MessagePtr(raw);
  }

  // Moves every message of `other` to the back of this queue, in order. O(1).
  void append(MessageQueue& other) noexcept {
    if (other.head_ == nullptr) return;
    if (tail_ != nullptr) {
      MessageAccess::next(*tail_) = other.head_;
    } else {
      head_ = other.head_;
    }
    tail_ = other.tail_;
    size_ += other.size_;
    other.head_ = other.tail_ = nullptr;
    other.size_ = 0;
  }

  void swap(MessageQueue& other) noexcept {
    std::swap(head_, other.head_);
    std::swap(tail_, other.tail_);
    std::swap(size_, other.size_);
  }

  // Frees every message.
  void clear() noexcept {
    while (head_ != nullptr) popFront();
  }

 private:
  Message* head_ = nullptr;
  Message* tail_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace tofu::detail
