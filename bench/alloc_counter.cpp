// Replaces the global operator new/delete (all standard forms) with malloc/free plus two
// relaxed atomic totals. malloc_usable_size() gives the live-byte count without a header.
#include "alloc_counter.h"

#include <malloc.h>

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>

namespace bench {
namespace {

std::atomic<std::uint64_t> allocationCount{0};
std::atomic<std::int64_t> liveByteCount{0};

void* countedAllocate(std::size_t size, std::size_t alignment) noexcept {
  if (size == 0) size = 1;
  void* memory = nullptr;
  if (alignment <= alignof(std::max_align_t)) {
    memory = std::malloc(size);
  } else {
    // aligned_alloc wants a size that is a multiple of the alignment.
    memory = std::aligned_alloc(alignment, (size + alignment - 1) / alignment * alignment);
  }
  if (memory != nullptr) {
    allocationCount.fetch_add(1, std::memory_order_relaxed);
    liveByteCount.fetch_add(static_cast<std::int64_t>(::malloc_usable_size(memory)), std::memory_order_relaxed);
  }
  return memory;
}

void* allocateOrThrow(std::size_t size, std::size_t alignment) {
  void* memory = countedAllocate(size, alignment);
  if (memory == nullptr) throw std::bad_alloc();
  return memory;
}

void countedFree(void* memory) noexcept {
  if (memory == nullptr) return;
  liveByteCount.fetch_sub(static_cast<std::int64_t>(::malloc_usable_size(memory)), std::memory_order_relaxed);
  std::free(memory);
}

constexpr std::size_t kPlain = alignof(std::max_align_t);

}  // namespace

AllocStats allocStats() noexcept {
  return {allocationCount.load(std::memory_order_relaxed), liveByteCount.load(std::memory_order_relaxed)};
}

}  // namespace bench

// NOLINTBEGIN: the replaceable global allocation functions, exactly as the standard names them.
void* operator new(std::size_t size) { return bench::allocateOrThrow(size, bench::kPlain); }
void* operator new[](std::size_t size) { return bench::allocateOrThrow(size, bench::kPlain); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept { return bench::countedAllocate(size, bench::kPlain); }
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  return bench::countedAllocate(size, bench::kPlain);
}
void* operator new(std::size_t size, std::align_val_t alignment) {
  return bench::allocateOrThrow(size, static_cast<std::size_t>(alignment));
}
void* operator new[](std::size_t size, std::align_val_t alignment) {
  return bench::allocateOrThrow(size, static_cast<std::size_t>(alignment));
}
void* operator new(std::size_t size, std::align_val_t alignment, const std::nothrow_t&) noexcept {
  return bench::countedAllocate(size, static_cast<std::size_t>(alignment));
}
void* operator new[](std::size_t size, std::align_val_t alignment, const std::nothrow_t&) noexcept {
  return bench::countedAllocate(size, static_cast<std::size_t>(alignment));
}

void operator delete(void* memory) noexcept { bench::countedFree(memory); }
void operator delete[](void* memory) noexcept { bench::countedFree(memory); }
void operator delete(void* memory, std::size_t) noexcept { bench::countedFree(memory); }
void operator delete[](void* memory, std::size_t) noexcept { bench::countedFree(memory); }
void operator delete(void* memory, const std::nothrow_t&) noexcept { bench::countedFree(memory); }
void operator delete[](void* memory, const std::nothrow_t&) noexcept { bench::countedFree(memory); }
void operator delete(void* memory, std::align_val_t) noexcept { bench::countedFree(memory); }
void operator delete[](void* memory, std::align_val_t) noexcept { bench::countedFree(memory); }
void operator delete(void* memory, std::size_t, std::align_val_t) noexcept { bench::countedFree(memory); }
void operator delete[](void* memory, std::size_t, std::align_val_t) noexcept { bench::countedFree(memory); }
void operator delete(void* memory, std::align_val_t, const std::nothrow_t&) noexcept { bench::countedFree(memory); }
void operator delete[](void* memory, std::align_val_t, const std::nothrow_t&) noexcept { bench::countedFree(memory); }
// NOLINTEND
