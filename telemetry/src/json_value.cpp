#include "tofu/telemetry/json_value.h"

#include <charconv>
#include <system_error>

namespace tofu::telemetry {

// Recursive descent over the RFC 8259 grammar; stops at the first error.
class JsonParser {
 public:
  explicit JsonParser(std::string_view text) : text_(text) {}

  std::optional<JsonValue> document(std::string* error) {
    JsonValue value;
    skipSpace();
    const bool ok = parseValue(value, 0) && (skipSpace(), at_ == text_.size());
    if (!ok) {
      if (error != nullptr) {
        *error = (reason_ != nullptr ? reason_ : "unexpected trailing data") + std::string(" at byte ") +
                 std::to_string(at_);
      }
      return std::nullopt;
    }
    return value;
  }

 private:
  static constexpr int kMaxDepth = 64;

  bool fail(const char* reason) {
    reason_ = reason;
    return false;
  }
  bool more() const noexcept { return at_ < text_.size(); }
  char peek() const noexcept { return more() ? text_[at_] : '\0'; }
  void skipSpace() noexcept {
    while (more() && (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r')) {
      ++at_;
    }
  }
  bool literal(std::string_view word) {
    if (text_.substr(at_, word.size()) != word) {
      return fail("invalid literal");
    }
    at_ += word.size();
    return true;
  }

  bool parseValue(JsonValue& out, int depth) {
    if (depth > kMaxDepth) {
      return fail("nested too deeply");
    }
    switch (peek()) {
      case '{':
        return parseObject(out, depth);
      case '[':
        return parseArray(out, depth);
      case '"':
        out.type_ = JsonValue::Type::string;
        return parseString(out.text_);
      case 't':
        out.type_ = JsonValue::Type::boolean;
        out.boolean_ = true;
        return literal("true");
      case 'f':
        out.type_ = JsonValue::Type::boolean;
        return literal("false");
      case 'n':
        return literal("null");
      default:
        return parseNumber(out);
    }
  }

  bool parseObject(JsonValue& out, int depth) {
    out.type_ = JsonValue::Type::object;
    ++at_;
    skipSpace();
    if (peek() == '}') {
      ++at_;
      return true;
    }
    for (;;) {
      std::string name;
      if (peek() != '"' || !parseString(name)) {
        return reason_ != nullptr ? false : fail("expected a member name");
      }
      skipSpace();
      if (peek() != ':') {
        return fail("expected ':'");
      }
      ++at_;
      skipSpace();
      out.keys_.push_back(std::move(name));
      out.items_.emplace_back();
      if (!parseValue(out.items_.back(), depth + 1)) {
        return false;
      }
      skipSpace();
      if (peek() == '}') {
        ++at_;
        return true;
      }
      if (peek() != ',') {
        return fail("expected ',' or '}'");
      }
      ++at_;
      skipSpace();
    }
  }

  bool parseArray(JsonValue& out, int depth) {
    out.type_ = JsonValue::Type::array;
    ++at_;
    skipSpace();
    if (peek() == ']') {
      ++at_;
      return true;
    }
    for (;;) {
      out.items_.emplace_back();
      if (!parseValue(out.items_.back(), depth + 1)) {
        return false;
      }
      skipSpace();
      if (peek() == ']') {
        ++at_;
        return true;
      }
      if (peek() != ',') {
        return fail("expected ',' or ']'");
      }
      ++at_;
      skipSpace();
    }
  }

  bool parseNumber(JsonValue& out) {
    const std::size_t start = at_;
    const auto digits = [this] {
      const std::size_t first = at_;
      while (peek() >= '0' && peek() <= '9') {
        ++at_;
      }
      return at_ > first;
    };
    if (peek() == '-') {
      ++at_;
    }
    if (peek() == '0') {
      ++at_;
    } else if (!digits()) {
      return fail("invalid value");
    }
    if (peek() == '.') {
      ++at_;
      if (!digits()) {
        return fail("invalid number");
      }
    }
    if (peek() == 'e' || peek() == 'E') {
      ++at_;
      if (peek() == '+' || peek() == '-') {
        ++at_;
      }
      if (!digits()) {
        return fail("invalid number");
      }
    }
    out.type_ = JsonValue::Type::number;
    out.text_ = std::string(text_.substr(start, at_ - start));
    return true;
  }

  bool hex4(std::uint32_t& value) {
    if (at_ + 4 > text_.size()) {
      return fail("truncated \\u escape");
    }
    const char* begin = text_.data() + at_;
    const auto [end, error] = std::from_chars(begin, begin + 4, value, 16);
    if (error != std::errc() || end != begin + 4) {
      return fail("invalid \\u escape");
    }
    at_ += 4;
    return true;
  }

  static void appendUtf8(std::string& out, std::uint32_t code) {
    const auto byte = [&out](std::uint32_t bits) {
      out += static_cast<char>(static_cast<unsigned char>(bits));
    };
    if (code < 0x80) {
      byte(code);
    } else if (code < 0x800) {
      byte(0xC0 | (code >> 6));
      byte(0x80 | (code & 0x3F));
    } else if (code < 0x10000) {
      byte(0xE0 | (code >> 12));
      byte(0x80 | ((code >> 6) & 0x3F));
      byte(0x80 | (code & 0x3F));
    } else {
      byte(0xF0 | (code >> 18));
      byte(0x80 | ((code >> 12) & 0x3F));
      byte(0x80 | ((code >> 6) & 0x3F));
      byte(0x80 | (code & 0x3F));
    }
  }

  bool parseEscape(std::string& out) {
    // The one-letter escapes, and what each stands for.
    static constexpr std::string_view kLetters = "\"\\/bfnrt";
    static constexpr std::string_view kMeanings = "\"\\/\b\f\n\r\t";
    const char c = peek();
    ++at_;
    if (const std::size_t index = kLetters.find(c); c != '\0' && index != std::string_view::npos) {
      out += kMeanings[index];
      return true;
    }
    if (c != 'u') {
      return fail("invalid escape");
    }
    std::uint32_t code = 0;
    if (!hex4(code)) {
      return false;
    }
    if (code >= 0xD800 && code <= 0xDBFF && text_.substr(at_, 2) == "\\u") {
      const std::size_t back = at_;
      at_ += 2;
      std::uint32_t low = 0;
      if (!hex4(low)) {
        return false;
      }
      if (low >= 0xDC00 && low <= 0xDFFF) {
        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
      } else {
        at_ = back;  // a lone high surrogate; the next escape stands on its own
      }
    }
    appendUtf8(out, code);
    return true;
  }

  bool parseString(std::string& out) {
    ++at_;  // the opening quote
    while (more()) {
      const char c = text_[at_];
      if (c == '"') {
        ++at_;
        return true;
      }
      if (static_cast<unsigned char>(c) < 0x20) {
        return fail("control character in string");
      }
      ++at_;
      if (c != '\\') {
        out += c;
      } else if (!parseEscape(out)) {
        return false;
      }
    }
    return fail("unterminated string");
  }

  std::string_view text_;
  std::size_t at_ = 0;
  const char* reason_ = nullptr;
};

std::optional<JsonValue> JsonValue::parse(std::string_view text, std::string* error) {
  return JsonParser(text).document(error);
}

const JsonValue* JsonValue::find(std::string_view name) const noexcept {
  for (std::size_t i = 0; i < keys_.size(); ++i) {
    if (keys_[i] == name) {
      return &items_[i];
    }
  }
  return nullptr;
}

std::optional<std::uint64_t> JsonValue::asUint64() const noexcept {
  std::uint64_t value = 0;
  const char* end = text_.data() + text_.size();
  const auto [stop, error] = std::from_chars(text_.data(), end, value);
  if (type_ != Type::number || error != std::errc() || stop != end) {
    return std::nullopt;
  }
  return value;
}

std::optional<std::int64_t> JsonValue::asInt64() const noexcept {
  std::int64_t value = 0;
  const char* end = text_.data() + text_.size();
  const auto [stop, error] = std::from_chars(text_.data(), end, value);
  if (type_ != Type::number || error != std::errc() || stop != end) {
    return std::nullopt;
  }
  return value;
}

std::string JsonValue::stringAt(std::string_view name, std::string_view fallback) const {
  const JsonValue* member = find(name);
  return member != nullptr && member->type_ == Type::string ? member->text_ : std::string(fallback);
}

std::uint64_t JsonValue::uintAt(std::string_view name, std::uint64_t fallback) const noexcept {
  const JsonValue* member = find(name);
  return member != nullptr ? member->asUint64().value_or(fallback) : fallback;
}

std::int64_t JsonValue::intAt(std::string_view name, std::int64_t fallback) const noexcept {
  const JsonValue* member = find(name);
  return member != nullptr ? member->asInt64().value_or(fallback) : fallback;
}

}  // namespace tofu::telemetry
