#include "reactor/stash_reserve.h"

#include <utility>

namespace tofu::detail {

std::size_t StashReserve::classOf(std::size_t bytes) noexcept {
  std::size_t sizeClass = 0;
  while (sizeClass < kClassBytes.size() && kClassBytes[sizeClass] < bytes) ++sizeClass;
  return sizeClass;
}

std::vector<std::uint8_t> StashReserve::take(std::size_t bytes) {
  const std::size_t sizeClass = classOf(bytes);
  if (sizeClass == kClassBytes.size()) return {};
  // Only its own class: a small need taking a large spare would leave the small class empty
  // for good and grow the large one until kMaxKeptBytes frees buffers again.
  std::vector<std::vector<std::uint8_t>>& spares = spare_[sizeClass];
  if (spares.empty()) {
    std::vector<std::uint8_t> fresh;
    fresh.reserve(kClassBytes[sizeClass]);
    return fresh;
  }
  std::vector<std::uint8_t> stash = std::move(spares.back());
  spares.pop_back();
  keptBytes_ -= stash.capacity();
  return stash;
}

void StashReserve::giveBack(std::vector<std::uint8_t>&& stash) {
  const std::size_t capacity = stash.capacity();
  const std::size_t sizeClass = classOf(capacity);
  // Only exact class sizes are kept, so every spare of a class fits every need of it.
  const bool classSized = sizeClass < kClassBytes.size() && kClassBytes[sizeClass] == capacity;
  if (!classSized || keptBytes_ + capacity > kMaxKeptBytes) {
    std::vector<std::uint8_t>().swap(stash);  // frees; `stash = {}` would keep the capacity
    return;
  }
  stash.clear();
  keptBytes_ += capacity;
  spare_[sizeClass].push_back(std::move(stash));
}

}  // namespace tofu::detail
