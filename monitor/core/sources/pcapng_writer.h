// PcapngWriter: writes a pcapng file (https://www.ietf.org/archive/id/draft-ietf-opsawg-pcapng-02.html):
// a section header, interfaces and enhanced packet blocks with nanosecond timestamps, packet
// direction and comments. Owns the file; one thread at a time.
#pragma once

#include <QByteArray>
#include <QFile>
#include <QString>

#include <cstdint>

namespace tofu::monitor {

class PcapngWriter {
 public:
  // LINKTYPE_USER0: the link type tofu-monitor's exports use (one tofu frame per packet).
  static constexpr std::uint16_t kLinkTypeUser0 = 147;
  enum class Direction : std::uint32_t { unknown = 0, inbound = 1, outbound = 2 };

  // False with `error` set when the file cannot be created. Writes the section header.
  bool open(const QString& path, QString* error);
  // A new interface (ids count from 0) named `name`, timestamps in nanoseconds.
  std::uint32_t addInterface(std::uint16_t linkType, const QString& name);
  // One packet of `interfaceId`: the first `captured` bytes of `data` (whose whole length was
  // `originalLength`), at `wallNs` (ns since the Unix epoch).
  void addPacket(std::uint32_t interfaceId, std::int64_t wallNs, const QByteArray& data, std::uint32_t originalLength,
                 Direction direction, const QString& comment);
  // False with `error` set when a write failed.
  bool close(QString* error);

 private:
  void writeBlock(std::uint32_t type, const QByteArray& body);

  QFile file_;
  std::uint32_t interfaces_ = 0;
};

}  // namespace tofu::monitor
