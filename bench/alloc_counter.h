// Allocation counting: alloc_counter.cpp replaces the global operator new/delete for the
// whole bench process and keeps two process-wide totals, so a run can report how many heap
// allocations happened between two points (allocations per million messages in steady
// state) and how much heap a set of channels holds. Only C++ allocations are seen (not
// malloc() called directly, as ZeroMQ and the kernel do). Thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <ostream>

namespace bench {

struct AllocStats {
  std::uint64_t allocations = 0;  // operator new calls since start
  std::int64_t liveBytes = 0;     // bytes currently held through operator new
};

AllocStats allocStats() noexcept;

// --trace-allocations: while armed, the first `capacity` allocations record their call
// stack into fixed storage (no allocation of their own), so the source of a steady-state
// allocation can be found without a debugger changing the timing. Not thread-safe against
// each other: call from the main thread, outside measured windows.
void enableAllocationTraces(std::size_t capacity);
void armAllocationTraces(bool armed) noexcept;  // thread-safe, cheap when traces are off
void printAllocationTraces(std::ostream& out);  // identical stacks once, with their count

}  // namespace bench
