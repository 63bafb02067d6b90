// Internal, not part of the API.
// kCacheLineBytes: what alignas() uses to keep data that different threads write often on
// different cache lines (64 on x86-64 and most ARM cores). A constant of our own, because
// std::hardware_destructive_interference_size may differ between compilers (g++ warns when a
// header uses it).
#pragma once

#include <cstddef>

namespace tofu::detail {

inline constexpr std::size_t kCacheLineBytes = 64;

}  // namespace tofu::detail
