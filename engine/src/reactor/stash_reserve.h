// Internal, not part of the API.
// StashReserve: buffers for bytes a starving channel has read but cannot decode yet (B5),
// kept between starvation episodes so that starving in steady state allocates nothing,
// and not per channel, because few channels starve at once. Owns the spare buffers; loop
// thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace tofu::detail {

class StashReserve {
 public:
  // Spare buffers kept (each the size of the loop's read buffer, 256 KiB); more channels
  // starving at once allocate their own.
  static constexpr std::size_t kMaxSpare = 8;

  StashReserve() { spare_.reserve(kMaxSpare); }

  // An empty buffer, with the capacity of an earlier stash when one is spare.
  std::vector<std::uint8_t> take();
  // Keeps `stash`'s capacity for the next starving channel (up to kMaxSpare buffers).
  void giveBack(std::vector<std::uint8_t>&& stash);

 private:
  std::vector<std::vector<std::uint8_t>> spare_;
};

}  // namespace tofu::detail
