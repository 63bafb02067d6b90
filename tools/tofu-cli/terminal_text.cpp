#include "terminal_text.h"

#include <cstddef>
#include <cstdint>

namespace tofu::cli {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

void appendHexByte(std::string& out, unsigned char byte) {
  out += "\\x";
  out += kHexDigits[byte >> 4];
  out += kHexDigits[byte & 0x0f];
}

// Length of the well-formed UTF-8 sequence at the start of `bytes` (RFC 3629: no overlongs,
// no surrogates, nothing above U+10FFFF), and its code point; 0 when it is not one.
std::size_t utf8Sequence(std::string_view bytes, std::uint32_t& codePoint) noexcept {
  const auto at = [&](std::size_t i) { return static_cast<unsigned char>(bytes[i]); };
  const unsigned char lead = at(0);
  std::size_t length = 0;
  std::uint32_t minimum = 0;
  if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2, minimum = 0x80, codePoint = lead & 0x1fU;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3, minimum = 0x800, codePoint = lead & 0x0fU;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4, minimum = 0x10000, codePoint = lead & 0x07U;
  } else {
    return 0;
  }
  if (bytes.size() < length) return 0;
  for (std::size_t i = 1; i < length; ++i) {
    if ((at(i) & 0xc0U) != 0x80U) return 0;
    codePoint = (codePoint << 6) | (at(i) & 0x3fU);
  }
  const bool surrogate = codePoint >= 0xd800 && codePoint <= 0xdfff;
  if (codePoint < minimum || surrogate || codePoint > 0x10ffff) return 0;
  return length;
}

}  // namespace

void appendTerminalSafe(std::string& out, std::string_view bytes, NonAscii nonAscii, bool escapeSpace) {
  for (std::size_t i = 0; i < bytes.size();) {
    const char c = bytes[i];
    const auto byte = static_cast<unsigned char>(c);
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (byte < 0x20 || byte == 0x7f || (escapeSpace && c == ' ')) {
      appendHexByte(out, byte);
    } else if (byte < 0x80) {
      out += c;
    } else {
      std::uint32_t codePoint = 0;
      const std::size_t length = nonAscii == NonAscii::keepUtf8 ? utf8Sequence(bytes.substr(i), codePoint) : 0;
      if (length == 0 || codePoint < 0xa0) {  // not UTF-8, or a C1 control: byte by byte
        appendHexByte(out, byte);
      } else {
        out.append(bytes.substr(i, length));
        i += length;
        continue;
      }
    }
    ++i;
  }
}

std::string terminalSafe(std::string_view bytes, NonAscii nonAscii) {
  std::string out;
  out.reserve(bytes.size());
  appendTerminalSafe(out, bytes, nonAscii);
  return out;
}

std::string terminalSafeJson(std::string_view json) {
  std::string out;
  out.reserve(json.size());
  for (std::size_t i = 0; i < json.size(); ++i) {
    const auto byte = static_cast<unsigned char>(json[i]);
    const bool c1 = byte == 0xc2 && i + 1 < json.size() && static_cast<unsigned char>(json[i + 1]) >= 0x80 &&
                    static_cast<unsigned char>(json[i + 1]) <= 0x9f;
    if (byte == 0x7f || c1) {
      const unsigned char value = c1 ? static_cast<unsigned char>(json[++i]) : byte;
      out += "\\u00";
      out += kHexDigits[value >> 4];
      out += kHexDigits[value & 0x0f];
    } else {
      out += json[i];
    }
  }
  return out;
}

}  // namespace tofu::cli
