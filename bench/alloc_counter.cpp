// Replaces the global operator new/delete (all standard forms) with malloc/free plus two
// relaxed atomic totals. malloc_usable_size() gives the live-byte count without a header.
#include "alloc_counter.h"

#include <cxxabi.h>
#include <execinfo.h>
#include <malloc.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <map>
#include <memory>
#include <new>
#include <string>
#include <vector>

namespace bench {
namespace {

std::atomic<std::uint64_t> allocationCount{0};
std::atomic<std::int64_t> liveByteCount{0};

constexpr int kTraceDepth = 16;
using Stack = std::array<void*, kTraceDepth>;
// Set up before arming and read after disarming, so the slots need no lock.
std::unique_ptr<Stack[]> traceSlots;
std::size_t traceCapacity = 0;
std::atomic<bool> tracesArmed{false};
std::atomic<std::size_t> tracesTaken{0};

void recordTrace() noexcept {
  const std::size_t slot = tracesTaken.fetch_add(1, std::memory_order_relaxed);
  if (slot >= traceCapacity) return;
  Stack& stack = traceSlots[slot];
  stack.fill(nullptr);
  ::backtrace(stack.data(), kTraceDepth);
}

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
    if (tracesArmed.load(std::memory_order_relaxed)) recordTrace();
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

void enableAllocationTraces(std::size_t capacity) {
  traceSlots = std::make_unique<Stack[]>(capacity);
  traceCapacity = capacity;
  Stack warmUp{};
  ::backtrace(warmUp.data(), kTraceDepth);  // its first call loads libgcc, which allocates
}

void armAllocationTraces(bool armed) noexcept {
  if (traceCapacity != 0) tracesArmed.store(armed, std::memory_order_relaxed);
}

namespace {

// "binary(mangled+0x1f) [0x...]" -> "demangled+0x1f"; the raw text when it does not parse.
std::string readableFrame(const char* symbol) {
  std::string text(symbol);
  const std::size_t open = text.find('(');
  const std::size_t plus = text.find('+', open);
  if (open == std::string::npos || plus == std::string::npos || plus == open + 1) return text;
  const std::string mangled = text.substr(open + 1, plus - open - 1);
  int status = 0;
  std::unique_ptr<char, decltype(&std::free)> name(abi::__cxa_demangle(mangled.c_str(), nullptr, nullptr, &status),
                                                   &std::free);
  return status == 0 ? std::string(name.get()) : mangled;
}

}  // namespace

void printAllocationTraces(std::ostream& out) {
  const std::size_t taken = tracesTaken.load();
  const std::size_t kept = std::min(taken, traceCapacity);
  std::map<Stack, std::size_t> counts;
  for (std::size_t i = 0; i < kept; ++i) ++counts[traceSlots[i]];
  std::vector<std::pair<std::size_t, Stack>> ranked;
  for (const auto& [stack, count] : counts) ranked.emplace_back(count, stack);
  std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  out << "\n### Allocation traces in measured windows: " << taken << " allocations, " << kept << " stacks kept\n";
  for (auto& [count, stack] : ranked) {
    const int depth = static_cast<int>(std::find(stack.begin(), stack.end(), nullptr) - stack.begin());
    std::unique_ptr<char*, decltype(&std::free)> symbols(::backtrace_symbols(stack.data(), depth), &std::free);
    out << "\n" << count << " x\n";
    for (int frame = 1; symbols && frame < depth; ++frame) out << "    " << readableFrame(symbols.get()[frame]) << "\n";
  }
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
