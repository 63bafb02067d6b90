// TextHeaders: strict writer (B9) and the reference's tolerant reader (PROTOCOL.md 2.6).
// The writer refuses anything the reader would split differently from what was written.
#include "tofu/text_headers.h"

#include <array>
#include <cstddef>

namespace tofu {
namespace {

constexpr std::string_view kRecordEnd = "\r\n";
constexpr std::string_view kLineBreaks = "\r\n";

std::string_view trim(std::string_view text, std::string_view blanks) noexcept {
  const std::size_t first = text.find_first_not_of(blanks);
  if (first == std::string_view::npos) return text.substr(text.size());
  return text.substr(first, text.find_last_not_of(blanks) - first + 1);
}

constexpr std::array<const char*, 6> kCheckNames{
    "ok", "emptyName", "nameHasColon", "nameHasLineBreak", "emptyValue", "valueHasLineBreak",
};

HeaderCheck check(std::string_view name, std::string_view value) noexcept {
  if (name.empty()) return HeaderCheck::emptyName;
  if (name.find(':') != std::string_view::npos) return HeaderCheck::nameHasColon;
  if (name.find_first_of(kLineBreaks) != std::string_view::npos) return HeaderCheck::nameHasLineBreak;
  if (value.empty()) return HeaderCheck::emptyValue;
  if (value.find_first_of(kLineBreaks) != std::string_view::npos) return HeaderCheck::valueHasLineBreak;
  return HeaderCheck::ok;
}

}  // namespace

const char* toString(HeaderCheck check) noexcept {
  const auto index = static_cast<std::size_t>(check);
  return index < kCheckNames.size() ? kCheckNames[index] : "unknown";
}

TextHeaders::Iterator::Iterator(std::string_view section) : rest_(section), atEnd_(false) { advance(); }

TextHeaders::Iterator& TextHeaders::Iterator::operator++() {
  advance();
  return *this;
}

void TextHeaders::Iterator::advance() {
  while (!rest_.empty()) {
    const std::size_t end = rest_.find(kRecordEnd);
    const std::string_view record = rest_.substr(0, end);
    rest_ =
        end == std::string_view::npos ? rest_.substr(rest_.size()) : rest_.substr(end + kRecordEnd.size());
    if (record.empty()) continue;

    const std::size_t colon = record.find(':');
    if (colon == 0) break;  // an empty name ends the iteration, as in the reference
    if (colon == std::string_view::npos) {
      current_ = {record, record.substr(record.size())};
    } else {
      current_ = {record.substr(0, colon), trim(record.substr(colon + 1), " \t")};
    }
    return;
  }
  atEnd_ = true;
  current_ = {};
}

HeaderCheck TextHeaders::append(std::string_view name, std::string_view value) {
  const std::string_view trimmed = trim(name, " \t\r\n");
  const HeaderCheck result = check(trimmed, value);
  if (result != HeaderCheck::ok) return result;
  buffer_.append(trimmed);
  buffer_.append(":");
  buffer_.append(value);
  buffer_.append(kRecordEnd);
  return HeaderCheck::ok;
}

std::optional<std::string_view> TextHeaders::find(std::string_view name) const {
  for (const TextHeader& header : *this) {
    if (header.name == name) return header.value;
  }
  return std::nullopt;
}

}  // namespace tofu
