// Internal, not part of the API.
// StashReserve: buffers for bytes a starving channel has read but cannot decode yet (B5),
// kept between starvation episodes so that starving in steady state allocates nothing, even
// with thousands of channels starving at once. Four size classes (1, 4, 16 and 64 KiB): a
// few frames, a short read (the loop's reads near pool exhaustion), part of a read, a whole
// read. Owns the spare buffers; loop thread only.
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
  // Spare capacity kept in all (every class full for 256 starving channels fits); past it,
  // returned buffers are freed.
  static constexpr std::size_t kMaxKeptBytes = 32 * 1024 * 1024;

  // An empty buffer with room for `bytes` (at most kLargestBytes): a spare one of the
  // smallest class that fits when there is one, else a new one of that class. A need over
  // kLargestBytes gets an empty vector, which its user grows.
  std::vector<std::uint8_t> take(std::size_t bytes);
  // Keeps `stash` for a later take() when its capacity is a class size and the reserve is
  // under kMaxKeptBytes, else frees it; `stash` is left empty either way.
  void giveBack(std::vector<std::uint8_t>&& stash);

  std::size_t keptBytes() const noexcept { return keptBytes_; }

 private:
  // The smallest class holding `bytes`, or kClassBytes.size() when none does.
  static std::size_t classOf(std::size_t bytes) noexcept;

  std::array<std::vector<std::vector<std::uint8_t>>, kClassBytes.size()> spare_;
  std::size_t keptBytes_ = 0;
};

}  // namespace tofu::detail
