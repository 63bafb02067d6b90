// JsonWriter: builds one compact JSON text (RFC 8259) into a string, inserting commas and
// escaping strings itself, so the telemetry code only states structure (JsonValue reads).
// A plain value owned by its user; not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tofu::telemetry {

class JsonWriter {
 public:
  JsonWriter() = default;

  // Structure. Inside an object every value must be preceded by key(); the writer does not
  // check this (an assert does in debug builds).
  JsonWriter& beginObject();
  JsonWriter& endObject();
  JsonWriter& beginArray();
  JsonWriter& endArray();
  JsonWriter& key(std::string_view name);

  // Values.
  JsonWriter& value(std::string_view text);
  JsonWriter& value(const char* text) { return value(std::string_view(text)); }
  JsonWriter& value(std::uint64_t number);
  JsonWriter& value(std::int64_t number);
  JsonWriter& value(bool flag);
  JsonWriter& null();
  // `bytes` as a string of their standard base64 (RFC 4648, padded).
  JsonWriter& base64(std::string_view bytes);

  // Shorthands for key(name).value(v).
  template <class T>
  JsonWriter& field(std::string_view name, T v) {
    return key(name).value(v);
  }

  // The text so far; complete once every begin has its end.
  const std::string& text() const noexcept { return out_; }
  std::string take() noexcept { return std::move(out_); }

 private:
  void beforeValue();

  std::string out_;
  // One entry per open object/array: true once it holds an element (a comma goes first).
  std::vector<bool> hasElement_;
  bool afterKey_ = false;
};

// Appends `text` as a JSON string literal (quotes included). `"`, `\` and control characters
// are escaped; valid UTF-8 passes through; a byte that is not part of valid UTF-8 is written
// as \u00XX (the code point of the same value), so the output is always valid JSON.
void appendJsonString(std::string& out, std::string_view text);

}  // namespace tofu::telemetry
