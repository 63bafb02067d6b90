// What every fuzz check shares: how a violated invariant is reported (TOFU_FUZZ_CHECK, with a
// handler the regression test replaces), byte and text helpers, and ASan poisoning of spare
// bytes. The checks themselves are in fuzz_frame_checks.h, fuzz_text_header_checks.h and
// fuzz_address_checks.h. Header-only; single-threaded.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tofu/address.h"
#include "tofu/message.h"
#include "tofu/text_headers.h"
#include "tofu/wire_format.h"

#include "net/frame_decoder.h"

#if defined(__SANITIZE_ADDRESS__)
#define TOFU_FUZZ_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TOFU_FUZZ_ASAN 1
#endif
#endif
#ifdef TOFU_FUZZ_ASAN
#include <sanitizer/asan_interface.h>
#endif

namespace tofu::fuzz {

using FrameDecoder = tofu::detail::FrameDecoder;

// Called on a violated invariant. The fuzz targets keep the default (print, then abort, which
// libFuzzer reports with the input); the regression test installs one that throws so a bad
// corpus file becomes an ordinary test failure.
using FailureHandler = void (*)(const char* what, const char* file, int line);

inline FailureHandler& failureHandler() noexcept {
  static FailureHandler handler = nullptr;
  return handler;
}

[[noreturn]] inline void fail(const char* what, const char* file, int line) {
  if (const FailureHandler handler = failureHandler()) handler(what, file, line);
  std::fprintf(stderr, "tofu fuzz: invariant violated at %s:%d: %s\n", file, line, what);
  std::abort();
}

// A macro only for the expression text and the line of the violated invariant.
#define TOFU_FUZZ_CHECK(condition)                                        \
  do {                                                                    \
    if (!(condition)) ::tofu::fuzz::fail(#condition, __FILE__, __LINE__); \
  } while (false)

namespace impl {

inline std::string_view asText(const std::uint8_t* data, std::size_t size) noexcept {
  return size == 0 ? std::string_view() : std::string_view(reinterpret_cast<const char*>(data), size);
}

inline std::string_view trim(std::string_view text, std::string_view blanks) noexcept {
  while (!text.empty() && blanks.find(text.front()) != std::string_view::npos) text.remove_prefix(1);
  while (!text.empty() && blanks.find(text.back()) != std::string_view::npos) text.remove_suffix(1);
  return text;
}

inline bool contains(std::string_view text, std::string_view what) noexcept {
  return text.find(what) != std::string_view::npos;
}

inline bool hasLineBreak(std::string_view text) noexcept {
  return text.find_first_of("\r\n") != std::string_view::npos;
}

// Under ASan, marks [data, data + size) unaddressable or addressable again. Buffers here have
// spare bytes (ByteBuffer rounds its capacity up to 256, a stream chunk is part of the whole
// input), and an access to them would otherwise go unnoticed.
inline void poison(const void* data, std::size_t size) noexcept {
#ifdef TOFU_FUZZ_ASAN
  if (data != nullptr && size > 0) __asan_poison_memory_region(data, size);
#else
  static_cast<void>(data);
  static_cast<void>(size);
#endif
}

inline void unpoison(const void* data, std::size_t size) noexcept {
#ifdef TOFU_FUZZ_ASAN
  if (data != nullptr && size > 0) __asan_unpoison_memory_region(data, size);
#else
  static_cast<void>(data);
  static_cast<void>(size);
#endif
}

// Only the bytes in use stay addressable; undone by unpoisonSpare before the buffer is written
// by anyone else.
inline void poisonSpare(const ByteBuffer& buffer) noexcept {
  poison(buffer.data() + buffer.size(), buffer.capacity() - buffer.size());
}

inline void unpoisonSpare(const ByteBuffer& buffer) noexcept {
  unpoison(buffer.data() + buffer.size(), buffer.capacity() - buffer.size());
}

// True when `part` lies inside `whole` (the iterator must only return views into its section).
inline bool within(std::string_view part, std::string_view whole) noexcept {
  if (part.empty()) return true;
  const std::less_equal<const char*> lessEqual;
  return lessEqual(whole.data(), part.data()) &&
         lessEqual(part.data() + part.size(), whole.data() + whole.size());
}

}  // namespace impl
}  // namespace tofu::fuzz
