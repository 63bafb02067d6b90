#include "net/stash_reserve.h"

#include <utility>

namespace tofu::detail {

namespace {

std::vector<std::uint8_t> freshBuffer(std::size_t capacity) {
  std::vector<std::uint8_t> buffer;
  buffer.reserve(capacity);
  return buffer;
}

}  // namespace

StashReserve::StashReserve(std::size_t buffersPerClass) : buffersPerClass_(buffersPerClass) {
  // The spare lists never grow in steady state either.
  for (std::size_t sizeClass = 0; sizeClass < kClassBytes.size(); ++sizeClass) {
    spare_[sizeClass].reserve(buffersPerClass_);
    if (kClassBytes[sizeClass] > kFilledClassBytes) continue;
    for (std::size_t i = 0; i < buffersPerClass_; ++i) keep(sizeClass, freshBuffer(kClassBytes[sizeClass]));
  }
}

std::size_t StashReserve::classOf(std::size_t bytes) noexcept {
  std::size_t sizeClass = 0;
  while (sizeClass < kClassBytes.size() && kClassBytes[sizeClass] < bytes) ++sizeClass;
  return sizeClass;
}

std::vector<std::uint8_t> StashReserve::take(std::size_t bytes) {
  const std::size_t sizeClass = classOf(bytes);
  if (sizeClass == kClassBytes.size()) return {};
  // Only its own class: a small need taking a large spare would leave the small class empty
  // and make the large one grow in its place.
  std::vector<std::vector<std::uint8_t>>& spares = spare_[sizeClass];
  if (spares.empty()) return freshBuffer(kClassBytes[sizeClass]);
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
  if (!classSized || spare_[sizeClass].size() >= buffersPerClass_) {
    std::vector<std::uint8_t>().swap(stash);  // frees; `stash = {}` would keep the capacity
    return;
  }
  stash.clear();
  keep(sizeClass, std::move(stash));
}

void StashReserve::keep(std::size_t sizeClass, std::vector<std::uint8_t>&& stash) {
  keptBytes_ += stash.capacity();
  spare_[sizeClass].push_back(std::move(stash));
}

}  // namespace tofu::detail
