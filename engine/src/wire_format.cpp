// Wire format: the 16-byte binary header is written field by field with shifts, so the bytes
// are big-endian on every host (K1), unlike the reference's in-memory copy.
#include "tofu/wire_format.h"

#include <cstring>

namespace tofu {
namespace {

constexpr std::size_t kChannelOffset = 0;
constexpr std::size_t kProtoOffset = 2;
constexpr std::size_t kStatusOffset = 3;
constexpr std::size_t kMessageIdOffset = 4;
constexpr std::size_t kHeadersLenOffset = 12;
constexpr std::size_t kBodyLenOffset = 14;

template <class Uint>
void putBigEndian(std::uint8_t* out, Uint value) noexcept {
  for (std::size_t i = sizeof(Uint); i-- > 0;) {
    out[i] = static_cast<std::uint8_t>(value & 0xFFu);
    value = static_cast<Uint>(value >> 8);
  }
}

template <class Uint>
Uint getBigEndian(const std::uint8_t* in) noexcept {
  Uint value = 0;
  for (std::size_t i = 0; i < sizeof(Uint); ++i) value = static_cast<Uint>((value << 8) | in[i]);
  return value;
}

}  // namespace

void encodeBinaryHeader(const BinaryHeader& header, std::span<std::uint8_t, kBinaryHeaderSize> out) noexcept {
  std::uint8_t* bytes = out.data();
  putBigEndian(bytes + kChannelOffset, header.channelNumber);
  bytes[kProtoOffset] = header.proto.toByte();
  bytes[kStatusOffset] = static_cast<std::uint8_t>(header.status);
  putBigEndian(bytes + kMessageIdOffset, header.messageId);
  putBigEndian(bytes + kHeadersLenOffset, header.textHeadersLen);
  putBigEndian(bytes + kBodyLenOffset, header.bodyLen);
}

BinaryHeader decodeBinaryHeader(std::span<const std::uint8_t, kBinaryHeaderSize> in) noexcept {
  const std::uint8_t* bytes = in.data();
  BinaryHeader header;
  header.channelNumber = getBigEndian<std::uint16_t>(bytes + kChannelOffset);
  header.proto = ProtoFields::fromByte(bytes[kProtoOffset]);
  // Kept raw (not statusFromRaw) so the codec round-trips any byte; receivers sanitise.
  header.status = static_cast<Status>(bytes[kStatusOffset]);
  header.messageId = getBigEndian<std::uint64_t>(bytes + kMessageIdOffset);
  header.textHeadersLen = getBigEndian<std::uint16_t>(bytes + kHeadersLenOffset);
  header.bodyLen = getBigEndian<std::uint16_t>(bytes + kBodyLenOffset);
  return header;
}

std::vector<std::uint8_t> encodeFrame(const Message& message) {
  const ByteBuffer& headers = message.headers().buffer();
  const ByteBuffer& body = message.body();
  BinaryHeader header = message.header();
  header.textHeadersLen = static_cast<std::uint16_t>(headers.size());
  header.bodyLen = static_cast<std::uint16_t>(body.size());

  std::vector<std::uint8_t> frame(kBinaryHeaderSize + headers.size() + body.size());
  encodeBinaryHeader(header, std::span<std::uint8_t, kBinaryHeaderSize>(frame.data(), kBinaryHeaderSize));
  if (!headers.empty()) std::memcpy(frame.data() + kBinaryHeaderSize, headers.data(), headers.size());
  if (!body.empty()) std::memcpy(frame.data() + kBinaryHeaderSize + headers.size(), body.data(), body.size());
  return frame;
}

}  // namespace tofu
