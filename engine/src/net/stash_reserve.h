// Internal, not part of the API.
// StashReserve: buffers for bytes a starving channel has read but cannot decode yet (B5),
// kept between starvation episodes so that starving in steady state allocates nothing. Four
// size classes (1, 4, 16 and 64 KiB): a few frames, a short read (the loop's reads near pool
// exhaustion), part of a read, a whole read. Owns the spare buffers; loop thread only.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace tofu::detail {

class StashReserve {
 public:
  static constexpr std::array<std::size_t, 4> kClassBytes{1024, 4 * 1024, 16 * 1024, 64 * 1024};
  static constexpr std::size_t kLargestBytes = kClassBytes.back();  // at least one read
  // Classes up to this size are made whole up front (320 KiB for 64 buffers per class): under
  // a flood many channels starve at once with small remainders, and growing a buffer per
  // starving channel would allocate at every new high-water mark, at any time in the engine's
  // life. Larger remainders (a full read cut short) are rarer and grow one by one.
  static constexpr std::size_t kFilledClassBytes = 4 * 1024;

  // Keeps at most `buffersPerClass` spares per class: as many as channels may hold a stash at
  // once (the loop bounds that), so a returned buffer is freed only past that bound. Allocates
  // the small classes' buffers.
  explicit StashReserve(std::size_t buffersPerClass);

  // An empty buffer with room for `bytes` (at most kLargestBytes): a spare one of the
  // smallest class that fits when there is one, else a new one of that class. A need over
  // kLargestBytes gets an empty vector, which its user grows.
  std::vector<std::uint8_t> take(std::size_t bytes);
  // Keeps `stash` for a later take() when its capacity is a class size and that class has
  // fewer than buffersPerClass spares, else frees it; `stash` is left empty either way.
  void giveBack(std::vector<std::uint8_t>&& stash);

  std::size_t keptBytes() const noexcept { return keptBytes_; }

 private:
  // The smallest class holding `bytes`, or kClassBytes.size() when none does.
  static std::size_t classOf(std::size_t bytes) noexcept;
  void keep(std::size_t sizeClass, std::vector<std::uint8_t>&& stash);

  const std::size_t buffersPerClass_;
  std::array<std::vector<std::vector<std::uint8_t>>, kClassBytes.size()> spare_;
  std::size_t keptBytes_ = 0;
};

}  // namespace tofu::detail
