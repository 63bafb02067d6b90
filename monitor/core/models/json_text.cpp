#include "models/json_text.h"

#include <QCoreApplication>

#include <cctype>
#include <cstring>

namespace tofu::monitor {

namespace {

constexpr int kMaxDepth = 512;  // deeper documents are refused rather than risk the stack
constexpr int kIndent = 4;

// A recursive-descent reader that writes what it reads, re-indented; the first error stops it.
class PrettyWriter {
 public:
  PrettyWriter(QByteArrayView in, QByteArray& out) : in_(in), out_(out) {}

  bool run() {
    skipSpace();
    if (!value(0)) return false;
    skipSpace();
    return at_ == in_.size() || fail("text after the value");
  }
  QString error() const { return QStringLiteral("%1 at byte %2").arg(error_).arg(at_); }

 private:
  bool fail(const char* what) {
    if (error_.isEmpty()) error_ = QCoreApplication::translate("JsonText", what);
    return false;
  }
  bool atEnd() const { return at_ >= in_.size(); }
  char peek() const { return atEnd() ? '\0' : in_[at_]; }
  void skipSpace() {
    while (!atEnd() && (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r')) ++at_;
  }
  void newline(int depth) {
    out_ += '\n';
    out_.append(depth * kIndent, ' ');
  }

  bool value(int depth) {
    if (depth > kMaxDepth) return fail("nested too deeply");
    switch (peek()) {
      case '{': return container(depth, '}', true);
      case '[': return container(depth, ']', false);
      case '"': return string();
      case 't': return literal("true");
      case 'f': return literal("false");
      case 'n': return literal("null");
      default: return number();
    }
  }

  // Objects and arrays: members one a line, empty ones as "{}" and "[]".
  bool container(int depth, char close, bool isObject) {
    out_ += in_[at_++];
    skipSpace();
    if (peek() == close) {
      out_ += in_[at_++];
      return true;
    }
    for (;;) {
      newline(depth + 1);
      if (isObject) {
        if (peek() != '"') return fail("expected a key");
        if (!string()) return false;
        skipSpace();
        if (peek() != ':') return fail("expected ':'");
        ++at_;
        out_ += ": ";
        skipSpace();
      }
      if (!value(depth + 1)) return false;
      skipSpace();
      if (peek() == ',') {
        out_ += in_[at_++];
        skipSpace();
        continue;
      }
      if (peek() != close) return fail(isObject ? "expected ',' or '}'" : "expected ',' or ']'");
      ++at_;
      newline(depth);
      out_ += close;
      return true;
    }
  }

  bool string() {
    const qsizetype start = at_++;
    while (!atEnd()) {
      const auto c = static_cast<unsigned char>(in_[at_]);
      if (c == '"') {
        ++at_;
        out_.append(in_.sliced(start, at_ - start));
        return true;
      }
      if (c < 0x20) return fail("control character in a string");
      if (c == '\\' && !escape()) return false;
      if (c != '\\') ++at_;
    }
    return fail("unterminated string");
  }

  bool escape() {
    ++at_;
    const char c = peek();
    if (c != '\0' && std::strchr("\"\\/bfnrt", c) != nullptr) {
      ++at_;
      return true;
    }
    if (c != 'u') return fail("invalid escape");
    ++at_;
    for (int i = 0; i < 4; ++i, ++at_)
      if (!std::isxdigit(static_cast<unsigned char>(peek()))) return fail("invalid \\u escape");
    return true;
  }

  bool digits() {
    const qsizetype start = at_;
    while (peek() >= '0' && peek() <= '9') ++at_;
    return at_ > start;
  }

  // The number grammar only; the digits are copied, never converted.
  bool number() {
    const qsizetype start = at_;
    if (peek() == '-') ++at_;
    if (peek() == '0') {
      ++at_;
    } else if (!digits()) {
      return fail(start == at_ ? "expected a value" : "invalid number");
    }
    if (peek() == '.') {
      ++at_;
      if (!digits()) return fail("invalid number");
    }
    if (peek() == 'e' || peek() == 'E') {
      ++at_;
      if (peek() == '+' || peek() == '-') ++at_;
      if (!digits()) return fail("invalid number");
    }
    out_.append(in_.sliced(start, at_ - start));
    return true;
  }

  bool literal(QByteArrayView word) {
    if (!in_.sliced(at_).startsWith(word)) return fail("invalid literal");
    at_ += word.size();
    out_.append(word);
    return true;
  }

  QByteArrayView in_;
  QByteArray& out_;
  qsizetype at_ = 0;
  QString error_;
};

}  // namespace

bool prettyJson(QByteArrayView json, QByteArray* pretty, QString* error) {
  QByteArray out;
  out.reserve(json.size() * 2);
  PrettyWriter writer(json, out);
  if (!writer.run()) {
    if (error) *error = json.isEmpty() ? QCoreApplication::translate("JsonText", "empty") : writer.error();
    return false;
  }
  if (pretty) *pretty = std::move(out);
  return true;
}

QByteArray jsonQuoted(const QString& text) {
  QByteArray out;
  out.reserve(text.size() + 2);
  out += '"';
  for (const char c : text.toUtf8()) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20)
          out += QByteArray("\\u00") + QByteArray::number(static_cast<unsigned char>(c), 16).rightJustified(2, '0');
        else
          out += c;
    }
  }
  out += '"';
  return out;
}

}  // namespace tofu::monitor
