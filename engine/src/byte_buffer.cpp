// ByteBuffer: capacity grows in kCapacityStep multiples and is never given back, so a pooled
// message reaches a steady size after a few frames and then stops allocating.
#include "tofu/byte_buffer.h"

#include <algorithm>
#include <cstring>
#include <utility>

namespace tofu {
namespace {

constexpr std::size_t roundUpToStep(std::size_t size) noexcept {
  return (size + ByteBuffer::kCapacityStep - 1) / ByteBuffer::kCapacityStep * ByteBuffer::kCapacityStep;
}

}  // namespace

ByteBuffer::ByteBuffer(std::size_t initialCapacity) { reserve(initialCapacity); }

ByteBuffer::ByteBuffer(const ByteBuffer& other) : ByteBuffer(other.capacity_) {
  append(other.data(), other.size_);
}

ByteBuffer& ByteBuffer::operator=(const ByteBuffer& other) {
  if (this != &other) {
    reset();
    append(other.data(), other.size_);
  }
  return *this;
}

ByteBuffer::ByteBuffer(ByteBuffer&& other) noexcept
    : bytes_(std::move(other.bytes_)),
      size_(std::exchange(other.size_, 0)),
      capacity_(std::exchange(other.capacity_, 0)) {}

ByteBuffer& ByteBuffer::operator=(ByteBuffer&& other) noexcept {
  if (this != &other) {
    bytes_ = std::move(other.bytes_);
    size_ = std::exchange(other.size_, 0);
    capacity_ = std::exchange(other.capacity_, 0);
  }
  return *this;
}

void ByteBuffer::append(std::string_view bytes) { append(bytes.data(), bytes.size()); }

void ByteBuffer::append(const void* data, std::size_t size) {
  if (size == 0) return;
  const std::size_t needed = size_ + size;
  if (needed > capacity_) {
    // Doubling keeps repeated appends linear. Copying into a new buffer first also keeps
    // `data` valid when it points into this buffer (body.append(body.view())).
    ByteBuffer grown(std::max(needed, capacity_ * 2));
    grown.append(bytes_.get(), size_);
    grown.append(data, size);
    *this = std::move(grown);
    return;
  }
  std::memmove(bytes_.get() + size_, data, size);
  size_ = needed;
}

void ByteBuffer::assign(std::string_view bytes) {
  if (bytes.size() > capacity_) {
    // A fresh buffer: growing in place would copy the old contents for nothing.
    ByteBuffer fresh(bytes.size());
    fresh.append(bytes);
    *this = std::move(fresh);
    return;
  }
  // memmove: `bytes` may be a part of this buffer.
  if (!bytes.empty()) std::memmove(bytes_.get(), bytes.data(), bytes.size());
  size_ = bytes.size();
}

void ByteBuffer::resize(std::size_t size) {
  reserve(size);
  size_ = size;
}

void ByteBuffer::reserve(std::size_t capacity) {
  if (capacity <= capacity_) return;
  const std::size_t rounded = roundUpToStep(capacity);
  auto bigger = std::make_unique_for_overwrite<std::uint8_t[]>(rounded);
  if (size_ > 0) std::memcpy(bigger.get(), bytes_.get(), size_);
  bytes_ = std::move(bigger);
  capacity_ = rounded;
}

}  // namespace tofu
