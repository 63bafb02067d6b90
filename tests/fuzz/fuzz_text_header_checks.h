// The text headers' fuzz check (fuzz_text_headers): iteration, find() and append() against
// the reader and writer rules of PROTOCOL.md 2.6 and B9. Header-only; single-threaded.
#pragma once

#include "fuzz_support.h"

namespace tofu::fuzz {
namespace impl {

// The reader rules of PROTOCOL.md 2.6, as positions in the section.
inline std::vector<TextHeader> modelRead(std::string_view section) {
  std::vector<TextHeader> records;
  std::size_t start = 0;
  while (start < section.size()) {
    std::size_t end = start;
    while (end < section.size() &&
           !(section[end] == '\r' && end + 1 < section.size() && section[end + 1] == '\n')) {
      ++end;
    }
    const std::string_view record = section.substr(start, end - start);
    start = end + 2;  // past CR LF (or past the end for a final record without one)
    if (record.empty()) continue;
    const std::size_t colon = record.find(':');
    if (colon == 0) break;  // an empty name ends the iteration
    if (colon == std::string_view::npos) {
      records.push_back({record, record.substr(record.size())});
    } else {
      records.push_back({record.substr(0, colon), trim(record.substr(colon + 1), " \t")});
    }
  }
  return records;
}

// Whether append() must accept (name, value) (PROTOCOL.md 2.6 writer, B9), and every reason
// it may give for refusing; the order in which append() checks is its own business.
inline bool appendAllowed(std::string_view name, std::string_view value) noexcept {
  const std::string_view trimmed = trim(name, " \t\r\n");
  return !trimmed.empty() && !contains(trimmed, ":") && !hasLineBreak(trimmed) && !value.empty() &&
         !hasLineBreak(value);
}

inline bool refusalIsTrue(HeaderCheck check, std::string_view name, std::string_view value) noexcept {
  const std::string_view trimmed = trim(name, " \t\r\n");
  switch (check) {
    case HeaderCheck::emptyName:
      return trimmed.empty();
    case HeaderCheck::nameHasColon:
      return contains(trimmed, ":");
    case HeaderCheck::nameHasLineBreak:
      return hasLineBreak(trimmed);
    case HeaderCheck::emptyValue:
      return value.empty();
    case HeaderCheck::valueHasLineBreak:
      return hasLineBreak(value);
    case HeaderCheck::ok:
      break;
  }
  return false;
}

inline std::vector<TextHeader> collect(const TextHeaders& headers) {
  std::vector<TextHeader> records;
  for (const TextHeader& header : headers) {
    records.push_back(header);
    TOFU_FUZZ_CHECK(records.size() <= headers.size());  // every record takes at least one byte
  }
  return records;
}

// append(name, value) on `headers`: refused with a true reason and nothing written, or
// accepted and written as `name:value\r\n` with the name trimmed (2.6 writer). Returns the
// record it must have written ("" when refused).
inline std::string checkAppend(TextHeaders& headers, std::string_view name, std::string_view value) {
  const std::size_t before = headers.size();
  const HeaderCheck check = headers.append(name, value);
  if (!appendAllowed(name, value)) {
    TOFU_FUZZ_CHECK(check != HeaderCheck::ok);
    TOFU_FUZZ_CHECK(refusalIsTrue(check, name, value));
    TOFU_FUZZ_CHECK(headers.size() == before);
    return {};
  }
  TOFU_FUZZ_CHECK(check == HeaderCheck::ok);
  std::string record = std::string(trim(name, " \t\r\n")) + ":" + std::string(value) + "\r\n";
  TOFU_FUZZ_CHECK(headers.buffer().view().substr(before) == record);
  return record;
}

}  // namespace impl

// fuzz_text_headers: the input is a text-header section; NUL bytes in it also separate
// name/value pairs to append.
inline void checkTextHeaders(const std::uint8_t* data, std::size_t size) {
  constexpr std::size_t kFindChecks = 64;
  const std::string_view input = impl::asText(data, size);

  // Reading: exactly the records of the 2.6 reader rules, as views into the section.
  TextHeaders section;
  section.buffer().assign(input);
  impl::poisonSpare(section.buffer());  // the reader must stay inside the section
  const std::string_view stored = section.buffer().view();
  const std::vector<TextHeader> records = impl::collect(section);
  const std::vector<TextHeader> expected = impl::modelRead(stored);
  TOFU_FUZZ_CHECK(records.size() == expected.size());
  for (std::size_t i = 0; i < records.size(); ++i) {
    const TextHeader& record = records[i];
    TOFU_FUZZ_CHECK(record == expected[i]);
    TOFU_FUZZ_CHECK(record.name.data() == expected[i].name.data());
    TOFU_FUZZ_CHECK(impl::within(record.name, stored) && impl::within(record.value, stored));
    TOFU_FUZZ_CHECK(!record.name.empty());
    TOFU_FUZZ_CHECK(!impl::contains(record.name, ":"));
    TOFU_FUZZ_CHECK(!impl::contains(record.name, "\r\n") && !impl::contains(record.value, "\r\n"));
    TOFU_FUZZ_CHECK(impl::trim(record.value, " \t") == record.value);
    // find() returns the first record of that name (for the first records only: the check is
    // quadratic, and a long section adds nothing new to it).
    if (i >= kFindChecks) continue;
    const auto first = std::find_if(records.begin(), records.end(),
                                    [&record](const TextHeader& other) { return other.name == record.name; });
    const std::optional<std::string_view> found = section.find(record.name);
    TOFU_FUZZ_CHECK(found.has_value() && *found == first->value);
  }
  // The iterator is a forward iterator: a second pass and post-increment agree.
  TextHeaders::Iterator it = section.begin();
  for (const TextHeader& record : records) {
    TOFU_FUZZ_CHECK(it != section.end());
    const TextHeaders::Iterator old = it++;
    TOFU_FUZZ_CHECK(*old == record);
  }
  TOFU_FUZZ_CHECK(it == section.end());

  // Round trip: each record read, written again, reads back as written (or is refused, B9).
  for (const TextHeader& record : records) {
    TextHeaders single;
    if (impl::checkAppend(single, record.name, record.value).empty()) continue;
    const std::vector<TextHeader> again = impl::collect(single);
    TOFU_FUZZ_CHECK(again.size() == 1);
    TOFU_FUZZ_CHECK(again[0].name == impl::trim(record.name, " \t\r\n"));
    TOFU_FUZZ_CHECK(again[0].value == record.value);
  }

  // Writing arbitrary pairs: the accepted ones read back in order, and only they. The reader
  // trims values of blanks, which the writer keeps (both as in the reference).
  std::vector<std::string_view> parts;
  for (std::string_view rest = input;;) {
    const std::size_t nul = rest.find('\0');
    parts.push_back(rest.substr(0, nul));
    if (nul == std::string_view::npos) break;
    rest.remove_prefix(nul + 1);
  }
  TextHeaders written;
  std::string expectedSection;  // refused appends leave no trace
  std::vector<std::pair<std::string_view, std::string_view>> accepted;
  for (std::size_t i = 0; i + 1 < parts.size(); i += 2) {
    const std::string record = impl::checkAppend(written, parts[i], parts[i + 1]);
    if (record.empty()) continue;
    expectedSection += record;
    accepted.emplace_back(parts[i], parts[i + 1]);
  }
  TOFU_FUZZ_CHECK(written.buffer().view() == expectedSection);
  const std::vector<TextHeader> readBack = impl::collect(written);
  TOFU_FUZZ_CHECK(readBack.size() == accepted.size());
  for (std::size_t i = 0; i < readBack.size(); ++i) {
    TOFU_FUZZ_CHECK(readBack[i].name == impl::trim(accepted[i].first, " \t\r\n"));
    TOFU_FUZZ_CHECK(readBack[i].value == impl::trim(accepted[i].second, " \t"));
  }
}

}  // namespace tofu::fuzz
