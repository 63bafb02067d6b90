// TextHeaders: the `name:value\r\n` section of a message (PROTOCOL.md 2.6).
// Writing is strict (B9); reading is tolerant, exactly like the reference iterator.
// Not thread-safe: it belongs to its Message.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string_view>

#include "tofu/byte_buffer.h"

namespace tofu {

struct TextHeader {
  std::string_view name;
  std::string_view value;
  bool operator==(const TextHeader&) const = default;
};

// Why append() refused a header.
enum class HeaderCheck : std::uint8_t {
  ok,
  emptyName,          // empty after trimming spaces, tabs, CR and LF
  nameHasColon,       // ':' would split the record at the wrong place
  nameHasLineBreak,   // CR or LF inside the name would inject a record
  emptyValue,
  valueHasLineBreak,  // CR or LF inside the value would inject a record
};
const char* toString(HeaderCheck check) noexcept;

class TextHeaders {
 public:
  // Forward iterator over records; follows PROTOCOL.md 2.6 reader rules (empty records
  // skipped, value trimmed of spaces/tabs, an empty name ends the iteration).
  class Iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = TextHeader;
    using difference_type = std::ptrdiff_t;
    using pointer = const TextHeader*;
    using reference = const TextHeader&;

    Iterator() = default;
    reference operator*() const noexcept { return current_; }
    pointer operator->() const noexcept { return &current_; }
    Iterator& operator++();
    Iterator operator++(int) { Iterator old = *this; ++*this; return old; }
    bool operator==(const Iterator& other) const noexcept {
      return atEnd_ == other.atEnd_ && (atEnd_ || current_.name.data() == other.current_.name.data());
    }

   private:
    friend class TextHeaders;
    explicit Iterator(std::string_view section);
    void advance();

    std::string_view rest_;
    TextHeader current_;
    bool atEnd_ = true;
  };

  TextHeaders() = default;

  // Appends `name:value\r\n`. The name is trimmed of spaces, tabs, CR and LF first.
  // Refuses (and appends nothing) when the name is empty or contains ':', CR or LF, or the
  // value is empty or contains CR or LF. Exceeding the 65535-byte wire limit is allowed
  // here; enqueueToPeer refuses such a message with invalid_headers_len.
  [[nodiscard]] HeaderCheck append(std::string_view name, std::string_view value);

  Iterator begin() const { return Iterator(buffer_.view()); }
  Iterator end() const { return Iterator(); }

  // The value of the first header called `name` (exact, case-sensitive), if any.
  std::optional<std::string_view> find(std::string_view name) const;

  // The raw section, exactly as it travels on the wire.
  ByteBuffer& buffer() noexcept { return buffer_; }
  const ByteBuffer& buffer() const noexcept { return buffer_; }
  std::size_t size() const noexcept { return buffer_.size(); }
  bool empty() const noexcept { return buffer_.empty(); }
  void reset() noexcept { buffer_.reset(); }

 private:
  ByteBuffer buffer_;
};

}  // namespace tofu
