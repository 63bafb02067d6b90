// ByteBuffer: a growable byte array that keeps its capacity across reset(), so a pooled
// message reused for the next frame does not allocate. Not thread-safe: one owner at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

namespace tofu {

class ByteBuffer {
 public:
  // Capacity grows in steps of this many bytes, as in the reference (Appendable).
  static constexpr std::size_t kCapacityStep = 256;

  explicit ByteBuffer(std::size_t initialCapacity = kCapacityStep);
  ByteBuffer(const ByteBuffer& other);
  ByteBuffer& operator=(const ByteBuffer& other);
  // A moved-from buffer is empty, with no capacity, and usable again.
  ByteBuffer(ByteBuffer&& other) noexcept;
  ByteBuffer& operator=(ByteBuffer&& other) noexcept;
  ~ByteBuffer() = default;

  void append(std::string_view bytes);
  void append(const void* data, std::size_t size);
  void assign(std::string_view bytes);
  // Sets the size to `size`, growing capacity if needed; new bytes are unspecified.
  // Used by receivers that then write straight into data().
  void resize(std::size_t size);
  // Size becomes 0; capacity is kept.
  void reset() noexcept { size_ = 0; }

  std::size_t size() const noexcept { return size_; }
  std::size_t capacity() const noexcept { return capacity_; }
  bool empty() const noexcept { return size_ == 0; }
  std::uint8_t* data() noexcept { return bytes_.get(); }
  const std::uint8_t* data() const noexcept { return bytes_.get(); }
  std::string_view view() const noexcept {
    return {reinterpret_cast<const char*>(bytes_.get()), size_};  // NOLINT: byte view
  }
  std::span<const std::uint8_t> span() const noexcept { return {bytes_.get(), size_}; }

 private:
  void reserve(std::size_t capacity);

  std::unique_ptr<std::uint8_t[]> bytes_;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

}  // namespace tofu
