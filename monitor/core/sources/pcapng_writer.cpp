#include "sources/pcapng_writer.h"

#include <QtEndian>

namespace tofu::monitor {
namespace {

constexpr std::uint32_t kSectionHeaderBlock = 0x0A0D0D0A;
constexpr std::uint32_t kInterfaceBlock = 0x00000001;
constexpr std::uint32_t kEnhancedPacketBlock = 0x00000006;
constexpr std::uint32_t kByteOrderMagic = 0x1A2B3C4D;
constexpr std::uint16_t kOptEnd = 0;
constexpr std::uint16_t kOptComment = 1;
constexpr std::uint16_t kIfName = 2;
constexpr std::uint16_t kIfTsResol = 9;
constexpr std::uint16_t kEpbFlags = 2;
constexpr std::uint8_t kNanoseconds = 9;

// Little-endian fields: pcapng readers follow the byte order of the section header.
template <typename T>
void put(QByteArray& out, T value) {
  char bytes[sizeof(T)];
  qToLittleEndian(value, bytes);
  out.append(bytes, sizeof(T));
}

void pad(QByteArray& out) {
  while (out.size() % 4 != 0) out.append('\0');
}

void putOption(QByteArray& out, std::uint16_t code, const QByteArray& value) {
  put<std::uint16_t>(out, code);
  put<std::uint16_t>(out, static_cast<std::uint16_t>(value.size()));
  out.append(value);
  pad(out);
}

void endOptions(QByteArray& out) {
  put<std::uint16_t>(out, kOptEnd);
  put<std::uint16_t>(out, 0);
}

}  // namespace

bool PcapngWriter::open(const QString& path, QString* error) {
  file_.setFileName(path);
  if (!file_.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
    if (error != nullptr) *error = QStringLiteral("cannot create %1: %2").arg(path, file_.errorString());
    return false;
  }
  interfaces_ = 0;
  QByteArray body;
  put<std::uint32_t>(body, kByteOrderMagic);
  put<std::uint16_t>(body, 1);  // version 1.0
  put<std::uint16_t>(body, 0);
  put<std::int64_t>(body, -1);  // section length not given
  putOption(body, kOptComment, QByteArrayLiteral("exported by tofu-monitor"));
  endOptions(body);
  writeBlock(kSectionHeaderBlock, body);
  return true;
}

std::uint32_t PcapngWriter::addInterface(std::uint16_t linkType, const QString& name) {
  QByteArray body;
  put<std::uint16_t>(body, linkType);
  put<std::uint16_t>(body, 0);
  put<std::uint32_t>(body, 0);  // no snapshot length limit
  putOption(body, kIfName, name.toUtf8());
  putOption(body, kIfTsResol, QByteArray(1, static_cast<char>(kNanoseconds)));
  endOptions(body);
  writeBlock(kInterfaceBlock, body);
  return interfaces_++;
}

void PcapngWriter::addPacket(std::uint32_t interfaceId, std::int64_t wallNs, const QByteArray& data,
                             std::uint32_t originalLength, Direction direction, const QString& comment) {
  const auto stamp = static_cast<std::uint64_t>(wallNs);
  QByteArray body;
  put<std::uint32_t>(body, interfaceId);
  put<std::uint32_t>(body, static_cast<std::uint32_t>(stamp >> 32));
  put<std::uint32_t>(body, static_cast<std::uint32_t>(stamp & 0xFFFFFFFFu));
  put<std::uint32_t>(body, static_cast<std::uint32_t>(data.size()));
  put<std::uint32_t>(body, originalLength);
  body.append(data);
  pad(body);
  QByteArray flags;
  put<std::uint32_t>(flags, static_cast<std::uint32_t>(direction));
  putOption(body, kEpbFlags, flags);
  if (!comment.isEmpty()) putOption(body, kOptComment, comment.toUtf8());
  endOptions(body);
  writeBlock(kEnhancedPacketBlock, body);
}

void PcapngWriter::writeBlock(std::uint32_t type, const QByteArray& body) {
  const auto total = static_cast<std::uint32_t>(body.size() + 12);
  QByteArray block;
  block.reserve(static_cast<qsizetype>(total));
  put<std::uint32_t>(block, type);
  put<std::uint32_t>(block, total);
  block.append(body);
  put<std::uint32_t>(block, total);
  file_.write(block);
}

bool PcapngWriter::close(QString* error) {
  const bool ok = file_.error() == QFileDevice::NoError;
  if (!ok && error != nullptr) *error = QStringLiteral("cannot write %1: %2").arg(file_.fileName(), file_.errorString());
  file_.close();
  return ok;
}

}  // namespace tofu::monitor
