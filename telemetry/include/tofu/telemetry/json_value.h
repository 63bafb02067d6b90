// JsonValue: a parsed JSON text (RFC 8259), enough to read telemetry (docs/telemetry.md):
// objects keep their member order, numbers keep their text so 64-bit counters stay exact.
// Plain value, copy freely; parsing is a pure function (any thread).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tofu::telemetry {

class JsonValue {
 public:
  enum class Type : std::uint8_t { null, boolean, number, string, array, object };

  // The document in `text` (surrounding whitespace allowed); nullopt and a reason in `error`
  // (with the byte offset) when it is not valid JSON or nests deeper than 64 levels.
  static std::optional<JsonValue> parse(std::string_view text, std::string* error = nullptr);

  JsonValue() = default;

  Type type() const noexcept { return type_; }
  bool isObject() const noexcept { return type_ == Type::object; }
  bool isArray() const noexcept { return type_ == Type::array; }

  // Arrays: the elements. Objects: the member values, in order (names in keys()).
  const std::vector<JsonValue>& items() const noexcept { return items_; }
  const std::vector<std::string>& keys() const noexcept { return keys_; }
  // The first member called `name`, or null when absent or this is not an object.
  const JsonValue* find(std::string_view name) const noexcept;

  // Strings: the decoded text. Numbers: the text as written.
  const std::string& text() const noexcept { return text_; }
  bool boolean() const noexcept { return boolean_; }
  // Numbers that are integers in range; nullopt otherwise.
  std::optional<std::uint64_t> asUint64() const noexcept;
  std::optional<std::int64_t> asInt64() const noexcept;

  // Shorthands for reading an object's members, with a fallback when absent or mistyped.
  std::string stringAt(std::string_view name, std::string_view fallback = {}) const;
  std::uint64_t uintAt(std::string_view name, std::uint64_t fallback = 0) const noexcept;
  std::int64_t intAt(std::string_view name, std::int64_t fallback = 0) const noexcept;

 private:
  friend class JsonParser;

  Type type_ = Type::null;
  bool boolean_ = false;
  std::string text_;
  std::vector<std::string> keys_;
  std::vector<JsonValue> items_;
};

}  // namespace tofu::telemetry
