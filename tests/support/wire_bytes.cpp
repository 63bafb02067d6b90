// Implementation of the hand-written wire bytes (see wire_bytes.h).
#include "wire_bytes.h"

namespace tofu::test {

// "00 05 20 ..." (as printed in WIRE-VECTORS.md) to bytes.
std::vector<std::uint8_t> fromHex(std::string_view text) {
  std::vector<std::uint8_t> bytes;
  unsigned value = 0;
  int digits = 0;
  for (const char c : text) {
    const int nibble = (c >= '0' && c <= '9')   ? c - '0'
                       : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                       : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                                : -1;
    if (nibble < 0) {
      continue;
    }
    value = (value << 4) | static_cast<unsigned>(nibble);
    if (++digits == 2) {
      bytes.push_back(static_cast<std::uint8_t>(value));
      value = 0;
      digits = 0;
    }
  }
  return bytes;
}

// A frame packed by hand as WIRE-VECTORS.md describes it (">HBBQHH" then headers and body), so
// the expectation does not come from the engine's own encoder.
std::vector<std::uint8_t> packFrame(std::uint16_t channel, std::uint8_t proto, std::uint8_t status,
                                    std::uint64_t id, std::string_view headers, std::string_view body) {
  std::vector<std::uint8_t> bytes;
  bytes.push_back(static_cast<std::uint8_t>(channel >> 8));
  bytes.push_back(static_cast<std::uint8_t>(channel & 0xFF));
  bytes.push_back(proto);
  bytes.push_back(status);
  for (int shift = 56; shift >= 0; shift -= 8) {
    bytes.push_back(static_cast<std::uint8_t>((id >> shift) & 0xFF));
  }
  bytes.push_back(static_cast<std::uint8_t>(headers.size() >> 8));
  bytes.push_back(static_cast<std::uint8_t>(headers.size() & 0xFF));
  bytes.push_back(static_cast<std::uint8_t>(body.size() >> 8));
  bytes.push_back(static_cast<std::uint8_t>(body.size() & 0xFF));
  bytes.insert(bytes.end(), headers.begin(), headers.end());
  bytes.insert(bytes.end(), body.begin(), body.end());
  return bytes;
}

// A WIRE-VECTORS literal with bytes 0-1 replaced by `channel` (the sender's own number, which a
// test cannot choose in advance).
std::vector<std::uint8_t> withChannel(std::vector<std::uint8_t> bytes, std::uint16_t channel) {
  bytes[0] = static_cast<std::uint8_t>(channel >> 8);
  bytes[1] = static_cast<std::uint8_t>(channel & 0xFF);
  return bytes;
}

// Same, for the message id at bytes 4-11.
std::vector<std::uint8_t> withId(std::vector<std::uint8_t> bytes, std::uint64_t id) {
  for (int i = 0; i < 8; ++i) {
    bytes[static_cast<std::size_t>(4 + i)] = static_cast<std::uint8_t>((id >> (56 - 8 * i)) & 0xFF);
  }
  return bytes;
}

}  // namespace tofu::test
