// StashReserve: its three size classes, spare buffers reused by identity, the kept-bytes cap,
// and no allocation at all in steady state (counted by replacing global operator new).
#include "reactor/stash_reserve.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdlib>
#include <new>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace {
std::atomic<std::size_t> allocations{0};

void* countedAllocate(std::size_t size) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
}  // namespace

// The default nothrow and aligned variants forward to these or to malloc/free, so all match.
// Under Valgrind pass --soname-synonyms=somalloc=nouserintercepts, or it replaces these too.
void* operator new(std::size_t size) { return countedAllocate(size); }
void* operator new[](std::size_t size) { return countedAllocate(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace tofu::detail {
namespace {

using Buffer = std::vector<std::uint8_t>;

template <typename F>
std::size_t allocationsDuring(F&& f) {
  const std::size_t before = allocations.load();
  f();
  return allocations.load() - before;
}

TEST(StashReserve, AllocationCounterSeesNew) {
  void* volatile p = nullptr;  // the counter itself works
  EXPECT_EQ(allocationsDuring([&] { p = ::operator new(8); }), 1u);
  ::operator delete(p);
}

TEST(StashReserve, TakeGivesAnEmptyBufferOfTheSmallestClassThatFits) {
  StashReserve reserve;
  const std::array<std::pair<std::size_t, std::size_t>, 10> cases{{{0, 1024},
                                                                   {1, 1024},
                                                                   {100, 1024},
                                                                   {1024, 1024},
                                                                   {1025, 4096},
                                                                   {4096, 4096},
                                                                   {4097, 16384},
                                                                   {16384, 16384},
                                                                   {16385, 65536},
                                                                   {StashReserve::kLargestBytes, 65536}}};
  for (const auto& [bytes, capacity] : cases) {
    const Buffer buffer = reserve.take(bytes);
    EXPECT_TRUE(buffer.empty()) << bytes;
    EXPECT_EQ(buffer.capacity(), capacity) << bytes;
  }
  EXPECT_EQ(reserve.keptBytes(), 0u);
}

TEST(StashReserve, AGivenBackBufferIsTakenAgainWithoutAllocating) {
  StashReserve reserve;
  Buffer buffer = reserve.take(100);
  buffer.assign(100, 7);
  const std::uint8_t* data = buffer.data();
  reserve.giveBack(std::move(buffer));
  EXPECT_TRUE(buffer.empty());
  EXPECT_EQ(reserve.keptBytes(), 1024u);

  Buffer again;
  EXPECT_EQ(allocationsDuring([&] { again = reserve.take(1000); }), 0u);
  EXPECT_EQ(again.data(), data);
  EXPECT_TRUE(again.empty());
  EXPECT_EQ(again.capacity(), 1024u);
  EXPECT_EQ(reserve.keptBytes(), 0u);
}

TEST(StashReserve, ASmallerSpareNeverServesALargerNeed) {
  StashReserve reserve;
  Buffer small = reserve.take(1024);
  const std::uint8_t* smallData = small.data();
  reserve.giveBack(std::move(small));
  const Buffer middle = reserve.take(3000);  // 4 KiB: the 1 KiB spare cannot hold it
  EXPECT_EQ(middle.capacity(), 4096u);
  EXPECT_NE(middle.data(), smallData);
  EXPECT_EQ(reserve.keptBytes(), 1024u);
  EXPECT_EQ(reserve.take(1).data(), smallData);
}

TEST(StashReserve, ANeedIsServedFromItsOwnClassOnly) {
  StashReserve reserve;
  Buffer small = reserve.take(100);
  Buffer large = reserve.take(65536);
  const std::uint8_t* smallData = small.data();
  reserve.giveBack(std::move(large));
  reserve.giveBack(std::move(small));
  Buffer taken;
  EXPECT_EQ(allocationsDuring([&] { taken = reserve.take(100); }), 0u);
  EXPECT_EQ(taken.data(), smallData);
  // Its class is empty now: a new 1 KiB buffer, not the spare 64 KiB one, which stays kept.
  EXPECT_EQ(allocationsDuring([&] { taken = reserve.take(100); }), 1u);
  EXPECT_EQ(taken.capacity(), 1024u);
  EXPECT_EQ(reserve.keptBytes(), 65536u);
}

TEST(StashReserve, BuffersWhoseCapacityIsNotAClassSizeAreNotKept) {
  StashReserve reserve;
  for (const std::size_t capacity : {std::size_t{0}, std::size_t{512}, std::size_t{1500}, std::size_t{8192},
                                     2 * StashReserve::kLargestBytes}) {
    Buffer buffer;
    buffer.reserve(capacity);
    buffer.resize(std::min<std::size_t>(capacity, 10));
    reserve.giveBack(std::move(buffer));
    EXPECT_EQ(buffer.capacity(), 0u) << capacity;  // freed, not left with the caller
    EXPECT_EQ(reserve.keptBytes(), 0u) << capacity;
  }
  EXPECT_EQ(reserve.take(1500).capacity(), 4096u);  // not the 1500-byte one
}

TEST(StashReserve, ABufferThatGrewIsKeptInItsNewClass) {
  StashReserve reserve;
  Buffer buffer = reserve.take(100);
  buffer.reserve(4096);
  buffer.assign(1500, 1);
  const std::uint8_t* data = buffer.data();
  reserve.giveBack(std::move(buffer));
  EXPECT_EQ(reserve.keptBytes(), 4096u);
  const Buffer again = reserve.take(2000);
  EXPECT_EQ(again.data(), data);
  EXPECT_TRUE(again.empty());
}

TEST(StashReserve, TakeBeyondTheLargestClassIsNotServedFromSpares) {
  StashReserve reserve;
  Buffer largest = reserve.take(StashReserve::kLargestBytes);
  const std::uint8_t* data = largest.data();
  reserve.giveBack(std::move(largest));
  EXPECT_NE(reserve.take(StashReserve::kLargestBytes + 1).data(), data);
  EXPECT_EQ(reserve.keptBytes(), StashReserve::kLargestBytes);
}

TEST(StashReserve, KeptBytesStopGrowingAtKMaxKeptBytes) {
  StashReserve reserve;
  const std::size_t count = StashReserve::kMaxKeptBytes / StashReserve::kLargestBytes + 2;
  std::vector<Buffer> buffers(count);
  for (Buffer& buffer : buffers) buffer = reserve.take(StashReserve::kLargestBytes);
  for (Buffer& buffer : buffers) reserve.giveBack(std::move(buffer));
  const std::size_t kept = reserve.keptBytes();
  EXPECT_LE(kept, StashReserve::kMaxKeptBytes);
  EXPECT_GT(kept, StashReserve::kMaxKeptBytes - StashReserve::kLargestBytes);  // it did fill up

  Buffer small;  // a 1 KiB buffer from outside the reserve
  small.reserve(StashReserve::kClassBytes.front());
  reserve.giveBack(std::move(small));
  EXPECT_EQ(small.capacity(), 0u);  // kept or freed, never left with the caller
  EXPECT_LE(reserve.keptBytes(), StashReserve::kMaxKeptBytes);
  EXPECT_GE(reserve.keptBytes(), kept);

  // Taking a spare gives room back: the accounting is by capacity, both ways.
  const std::size_t full = reserve.keptBytes();
  Buffer again = reserve.take(StashReserve::kLargestBytes);
  EXPECT_EQ(reserve.keptBytes(), full - StashReserve::kLargestBytes);
  reserve.giveBack(std::move(again));
  EXPECT_EQ(reserve.keptBytes(), full);
}

TEST(StashReserve, AThousandStarvingChannelsAllocateNothingInSteadyState) {
  constexpr std::size_t kChannels = 1000;
  StashReserve reserve;
  std::vector<Buffer> channels(kChannels);
  std::array<std::uint8_t, 100> bytes{};
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<std::uint8_t>(i);
  const auto cycle = [&] {
    for (Buffer& stash : channels) {
      stash = reserve.take(bytes.size());
      stash.assign(bytes.begin(), bytes.end());
    }
    for (Buffer& stash : channels) reserve.giveBack(std::move(stash));
  };
  EXPECT_GE(allocationsDuring(cycle), kChannels);  // the first cycle does allocate
  EXPECT_EQ(reserve.keptBytes(), kChannels * StashReserve::kClassBytes.front());
  EXPECT_EQ(allocationsDuring([&] {
              for (int round = 1; round < 1000; ++round) cycle();
            }),
            0u);
  EXPECT_EQ(reserve.keptBytes(), kChannels * StashReserve::kClassBytes.front());
}

}  // namespace
}  // namespace tofu::detail
