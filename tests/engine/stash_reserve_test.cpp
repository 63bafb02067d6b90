// StashReserve: its four size classes, spare buffers reused by identity, the spares bound per
// class, the small classes made whole up front, and no allocation at all in steady state
// (counted by replacing global operator new).
#include "net/stash_reserve.h"

#include <algorithm>
#include <array>
#include <new>
#include <optional>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "counting_new.h"  // this executable's global operator new and delete count allocations

namespace tofu::detail {
namespace {

using Buffer = std::vector<std::uint8_t>;
constexpr std::size_t kBound = 8;  // spares per class in most tests
constexpr std::size_t kMadeUpFront = kBound * (1024 + 4096);  // the two small classes, whole
constexpr std::size_t kFirstLargeClass = 2;  // 16 KiB: grows one buffer at a time
static_assert(StashReserve::kClassBytes[kFirstLargeClass] > StashReserve::kFilledClassBytes);
static_assert(StashReserve::kClassBytes[kFirstLargeClass - 1] == StashReserve::kFilledClassBytes);

template <typename F>
std::size_t allocationsDuring(F&& f) {
  const std::uint64_t before = test::heap::allocations();
  f();
  return static_cast<std::size_t>(test::heap::allocations() - before);
}

TEST(StashReserve, AllocationCounterSeesNew) {
  void* volatile p = nullptr;  // the counter itself works
  EXPECT_EQ(allocationsDuring([&] { p = ::operator new(8); }), 1u);
  ::operator delete(p);
}

TEST(StashReserve, TakeGivesAnEmptyBufferOfTheSmallestClassThatFits) {
  StashReserve reserve(kBound);
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
  // The 1 and 4 KiB classes were made whole up front (kBound buffers each) and served their
  // takes from that; the large classes made only what was taken.
  EXPECT_EQ(reserve.keptBytes(), (kBound - 4) * 1024 + (kBound - 2) * 4096);
}

TEST(StashReserve, TheSmallClassesAreMadeWholeUpFrontAndThenAllocateNoMore) {
  std::optional<StashReserve> reserve;
  // One spare list per class, and kBound buffers for each of the two small classes.
  EXPECT_EQ(allocationsDuring([&] { reserve.emplace(kBound); }), StashReserve::kClassBytes.size() + 2 * kBound);
  EXPECT_EQ(reserve->keptBytes(), kBound * (1024 + 4096));
  std::vector<Buffer> stashes(kBound);
  EXPECT_EQ(allocationsDuring([&] {
              for (Buffer& stash : stashes) stash = reserve->take(1000);
            }),
            0u);
  for (Buffer& stash : stashes) EXPECT_EQ(stash.capacity(), 1024u);
  EXPECT_EQ(reserve->keptBytes(), kBound * 4096);
  // Past the bound a class grows one buffer at a time.
  Buffer extra;
  EXPECT_EQ(allocationsDuring([&] { extra = reserve->take(1); }), 1u);
  EXPECT_EQ(extra.capacity(), 1024u);
  for (Buffer& stash : stashes) reserve->giveBack(std::move(stash));
  reserve->giveBack(std::move(extra));
  EXPECT_EQ(reserve->keptBytes(), kBound * (1024 + 4096)) << "the one past the bound was freed";
}

TEST(StashReserve, ALargeClassGrowsOneBufferAtATime) {
  StashReserve reserve(kBound);
  const std::size_t bytes = StashReserve::kClassBytes[kFirstLargeClass];
  Buffer first;
  EXPECT_EQ(allocationsDuring([&] { first = reserve.take(bytes); }), 1u);
  Buffer second;
  EXPECT_EQ(allocationsDuring([&] { second = reserve.take(bytes); }), 1u);
  EXPECT_EQ(reserve.keptBytes(), kMadeUpFront);
}

TEST(StashReserve, AGivenBackBufferIsTakenAgainWithoutAllocating) {
  StashReserve reserve(kBound);
  const std::size_t bytes = StashReserve::kClassBytes[kFirstLargeClass];
  Buffer buffer = reserve.take(bytes - 10);
  buffer.assign(100, 7);
  const std::uint8_t* data = buffer.data();
  reserve.giveBack(std::move(buffer));
  EXPECT_TRUE(buffer.empty());
  EXPECT_EQ(reserve.keptBytes(), kMadeUpFront + bytes);

  Buffer again;
  EXPECT_EQ(allocationsDuring([&] { again = reserve.take(bytes); }), 0u);
  EXPECT_EQ(again.data(), data);
  EXPECT_TRUE(again.empty());
  EXPECT_EQ(again.capacity(), bytes);
  EXPECT_EQ(reserve.keptBytes(), kMadeUpFront);
}

TEST(StashReserve, ASmallerSpareNeverServesALargerNeed) {
  StashReserve reserve(kBound);
  const std::size_t smaller = StashReserve::kClassBytes[kFirstLargeClass];
  Buffer small = reserve.take(smaller);
  const std::uint8_t* smallData = small.data();
  reserve.giveBack(std::move(small));
  const Buffer larger = reserve.take(smaller + 1);
  EXPECT_EQ(larger.capacity(), StashReserve::kClassBytes[kFirstLargeClass + 1]);
  EXPECT_NE(larger.data(), smallData);
  EXPECT_EQ(reserve.keptBytes(), kMadeUpFront + smaller);
  EXPECT_EQ(reserve.take(1 + StashReserve::kFilledClassBytes).data(), smallData);
}

TEST(StashReserve, ANeedIsServedFromItsOwnClassOnly) {
  StashReserve reserve(kBound);
  const std::size_t smaller = StashReserve::kClassBytes[kFirstLargeClass];
  Buffer small = reserve.take(smaller);
  Buffer large = reserve.take(StashReserve::kLargestBytes);
  const std::uint8_t* smallData = small.data();
  const std::size_t keptBefore = reserve.keptBytes();  // the small classes, made up front
  reserve.giveBack(std::move(large));
  reserve.giveBack(std::move(small));
  Buffer taken;
  EXPECT_EQ(allocationsDuring([&] { taken = reserve.take(smaller); }), 0u);
  EXPECT_EQ(taken.data(), smallData);
  // Its class is empty now: a new buffer of its size, not the larger spare, which stays kept.
  EXPECT_EQ(allocationsDuring([&] { taken = reserve.take(smaller); }), 1u);
  EXPECT_EQ(taken.capacity(), smaller);
  EXPECT_EQ(reserve.keptBytes() - keptBefore, StashReserve::kLargestBytes);
}

TEST(StashReserve, BuffersWhoseCapacityIsNotAClassSizeAreNotKept) {
  StashReserve reserve(kBound);
  for (const std::size_t capacity : {std::size_t{0}, std::size_t{512}, std::size_t{1500}, std::size_t{8192},
                                     2 * StashReserve::kLargestBytes}) {
    Buffer buffer;
    buffer.reserve(capacity);
    buffer.resize(std::min<std::size_t>(capacity, 10));
    reserve.giveBack(std::move(buffer));
    EXPECT_EQ(buffer.capacity(), 0u) << capacity;  // freed, not left with the caller
    EXPECT_EQ(reserve.keptBytes(), kMadeUpFront) << capacity;
  }
  EXPECT_EQ(reserve.take(1500).capacity(), 4096u);  // not the 1500-byte one
}

TEST(StashReserve, ABufferThatGrewIsKeptInItsNewClass) {
  StashReserve reserve(kBound);
  const std::size_t grown = StashReserve::kLargestBytes;
  Buffer buffer = reserve.take(StashReserve::kClassBytes[kFirstLargeClass]);
  buffer.reserve(grown);
  buffer.assign(grown - 100, 1);
  const std::uint8_t* data = buffer.data();
  reserve.giveBack(std::move(buffer));
  EXPECT_EQ(reserve.keptBytes(), kMadeUpFront + grown);
  const Buffer again = reserve.take(grown - 50);
  EXPECT_EQ(again.data(), data);
  EXPECT_TRUE(again.empty());
}

TEST(StashReserve, TakeBeyondTheLargestClassIsNotServedFromSpares) {
  StashReserve reserve(kBound);
  Buffer largest = reserve.take(StashReserve::kLargestBytes);
  const std::uint8_t* data = largest.data();
  reserve.giveBack(std::move(largest));
  EXPECT_NE(reserve.take(StashReserve::kLargestBytes + 1).data(), data);
  EXPECT_EQ(reserve.keptBytes(), kMadeUpFront + StashReserve::kLargestBytes);
}

TEST(StashReserve, SparesStopAtTheBoundPerClass) {
  StashReserve reserve(kBound);
  for (const std::size_t bytes : StashReserve::kClassBytes) {
    std::vector<Buffer> buffers(kBound + 3);
    for (Buffer& buffer : buffers) buffer = reserve.take(bytes);
    const std::size_t keptBefore = reserve.keptBytes();
    for (Buffer& buffer : buffers) {
      reserve.giveBack(std::move(buffer));
      EXPECT_EQ(buffer.capacity(), 0u) << bytes;  // kept or freed, never left with the caller
    }
    EXPECT_EQ(reserve.keptBytes() - keptBefore, kBound * bytes) << "3 of " << kBound + 3 << " freed";
  }
  EXPECT_EQ(reserve.keptBytes(), kBound * (1024 + 4096 + 16384 + 65536));

  // Taking a spare gives room back: a buffer given back after it is kept again.
  Buffer again = reserve.take(StashReserve::kLargestBytes);
  const std::uint8_t* data = again.data();
  reserve.giveBack(std::move(again));
  EXPECT_EQ(reserve.take(StashReserve::kLargestBytes).data(), data);
}

TEST(StashReserve, StarvingUpToTheBoundAllocatesNothingInSteadyState) {
  constexpr std::size_t kChannels = 64;
  StashReserve reserve(kChannels);
  std::vector<Buffer> channels(kChannels);
  std::array<std::uint8_t, 100> bytes{};
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<std::uint8_t>(i);
  // Every channel stashes a small remainder one round, a large one the next.
  const auto cycle = [&](std::size_t round) {
    const std::size_t need = round % 2 == 0 ? bytes.size() : StashReserve::kLargestBytes;
    for (std::size_t i = 0; i < kChannels; ++i) {
      channels[i] = reserve.take(need);
      channels[i].assign(bytes.begin(), bytes.end());
    }
    for (Buffer& stash : channels) reserve.giveBack(std::move(stash));
  };
  EXPECT_EQ(allocationsDuring([&] { cycle(0); }), 0u);         // the small class was made up front
  EXPECT_EQ(allocationsDuring([&] { cycle(1); }), kChannels);  // the large one grows, once
  EXPECT_EQ(allocationsDuring([&] {
              for (std::size_t round = 2; round < 1000; ++round) cycle(round);
            }),
            0u);
  EXPECT_EQ(reserve.keptBytes(), kChannels * (1024 + 4096 + StashReserve::kLargestBytes));
}

}  // namespace
}  // namespace tofu::detail
