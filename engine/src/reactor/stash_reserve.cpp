#include "reactor/stash_reserve.h"

#include <utility>

namespace tofu::detail {

std::vector<std::uint8_t> StashReserve::take() {
  if (spare_.empty()) return {};
  std::vector<std::uint8_t> stash = std::move(spare_.back());
  spare_.pop_back();
  return stash;
}

void StashReserve::giveBack(std::vector<std::uint8_t>&& stash) {
  if (stash.capacity() == 0 || spare_.size() == kMaxSpare) {
    stash = {};
    return;
  }
  stash.clear();
  spare_.push_back(std::move(stash));
}

}  // namespace tofu::detail
