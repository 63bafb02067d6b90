// Counting replacements of the global operator new and delete, for the tests that measure the
// heap: allocations per message in steady state (B10) and the memory a slow peer can make the
// engine hold (B6). The whole program uses them, engine threads included. Only C++ allocations
// are seen (not malloc() called directly, nor the kernel's socket buffers).
//
// Include this header in exactly ONE translation unit of a test executable: it DEFINES the
// replaceable allocation functions (a second definition would not link). Thread-safe.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>

#include <malloc.h>

namespace tofu::test::heap {
namespace detail {

inline std::atomic<std::uint64_t> allocationCount{0};
inline std::atomic<std::int64_t> liveByteCount{0};
inline std::atomic<std::int64_t> peakByteCount{0};

inline void* allocate(std::size_t size, std::size_t alignment) noexcept {
  if (size == 0) size = 1;
  void* memory = alignment <= alignof(std::max_align_t)
                     ? std::malloc(size)
                     : std::aligned_alloc(alignment, (size + alignment - 1) / alignment * alignment);
  if (memory == nullptr) return nullptr;
  allocationCount.fetch_add(1, std::memory_order_relaxed);
  const auto bytes = static_cast<std::int64_t>(::malloc_usable_size(memory));
  const std::int64_t live = liveByteCount.fetch_add(bytes, std::memory_order_relaxed) + bytes;
  std::int64_t peak = peakByteCount.load(std::memory_order_relaxed);
  while (live > peak && !peakByteCount.compare_exchange_weak(peak, live, std::memory_order_relaxed)) {
  }
  return memory;
}

inline void* allocateOrThrow(std::size_t size, std::size_t alignment) {
  void* memory = allocate(size, alignment);
  if (memory == nullptr) throw std::bad_alloc();
  return memory;
}

inline void release(void* memory) noexcept {
  if (memory == nullptr) return;
  liveByteCount.fetch_sub(static_cast<std::int64_t>(::malloc_usable_size(memory)), std::memory_order_relaxed);
  std::free(memory);
}

}  // namespace detail

// operator new calls since the program started.
inline std::uint64_t allocations() noexcept {
  return detail::allocationCount.load(std::memory_order_relaxed);
}
// Bytes held through operator new now (usable sizes, so the allocator's rounding counts).
inline std::int64_t liveBytes() noexcept { return detail::liveByteCount.load(std::memory_order_relaxed); }
// The highest liveBytes() since the last resetPeak().
inline std::int64_t peakBytes() noexcept { return detail::peakByteCount.load(std::memory_order_relaxed); }
inline void resetPeak() noexcept { detail::peakByteCount.store(liveBytes(), std::memory_order_relaxed); }

}  // namespace tofu::test::heap

// NOLINTBEGIN: the replaceable global allocation functions, exactly as the standard names them.
void* operator new(std::size_t size) {
  return tofu::test::heap::detail::allocateOrThrow(size, alignof(std::max_align_t));
}
void* operator new[](std::size_t size) {
  return tofu::test::heap::detail::allocateOrThrow(size, alignof(std::max_align_t));
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  return tofu::test::heap::detail::allocate(size, alignof(std::max_align_t));
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  return tofu::test::heap::detail::allocate(size, alignof(std::max_align_t));
}
void* operator new(std::size_t size, std::align_val_t alignment) {
  return tofu::test::heap::detail::allocateOrThrow(size, static_cast<std::size_t>(alignment));
}
void* operator new[](std::size_t size, std::align_val_t alignment) {
  return tofu::test::heap::detail::allocateOrThrow(size, static_cast<std::size_t>(alignment));
}
void* operator new(std::size_t size, std::align_val_t alignment, const std::nothrow_t&) noexcept {
  return tofu::test::heap::detail::allocate(size, static_cast<std::size_t>(alignment));
}
void* operator new[](std::size_t size, std::align_val_t alignment, const std::nothrow_t&) noexcept {
  return tofu::test::heap::detail::allocate(size, static_cast<std::size_t>(alignment));
}
void operator delete(void* memory) noexcept { tofu::test::heap::detail::release(memory); }
void operator delete[](void* memory) noexcept { tofu::test::heap::detail::release(memory); }
void operator delete(void* memory, std::size_t) noexcept { tofu::test::heap::detail::release(memory); }
void operator delete[](void* memory, std::size_t) noexcept { tofu::test::heap::detail::release(memory); }
void operator delete(void* memory, const std::nothrow_t&) noexcept {
  tofu::test::heap::detail::release(memory);
}
void operator delete[](void* memory, const std::nothrow_t&) noexcept {
  tofu::test::heap::detail::release(memory);
}
void operator delete(void* memory, std::align_val_t) noexcept { tofu::test::heap::detail::release(memory); }
void operator delete[](void* memory, std::align_val_t) noexcept { tofu::test::heap::detail::release(memory); }
void operator delete(void* memory, std::size_t, std::align_val_t) noexcept {
  tofu::test::heap::detail::release(memory);
}
void operator delete[](void* memory, std::size_t, std::align_val_t) noexcept {
  tofu::test::heap::detail::release(memory);
}
void operator delete(void* memory, std::align_val_t, const std::nothrow_t&) noexcept {
  tofu::test::heap::detail::release(memory);
}
void operator delete[](void* memory, std::align_val_t, const std::nothrow_t&) noexcept {
  tofu::test::heap::detail::release(memory);
}
// NOLINTEND
