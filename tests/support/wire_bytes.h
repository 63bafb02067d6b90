// Wire bytes written by hand (K1, K7, K8): frames as WIRE-VECTORS.md prints them, so that an
// expectation never comes from the engine's own encoder. Pure functions; any thread.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace tofu::test {

// "00 05 20 ..." (as printed in WIRE-VECTORS.md) to bytes.
std::vector<std::uint8_t> fromHex(std::string_view text);

// A frame packed by hand as WIRE-VECTORS.md describes it (">HBBQHH" then headers and body), so
// the expectation does not come from the engine's own encoder.
std::vector<std::uint8_t> packFrame(std::uint16_t channel, std::uint8_t proto, std::uint8_t status,
                                    std::uint64_t id, std::string_view headers, std::string_view body);

// A WIRE-VECTORS literal with bytes 0-1 replaced by `channel` (the sender's own number, which a
// test cannot choose in advance).
std::vector<std::uint8_t> withChannel(std::vector<std::uint8_t> bytes, std::uint16_t channel);

// Same, for the message id at bytes 4-11.
std::vector<std::uint8_t> withId(std::vector<std::uint8_t> bytes, std::uint64_t id);

}  // namespace tofu::test
