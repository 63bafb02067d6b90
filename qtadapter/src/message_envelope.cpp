#include "tofu/qt/message_envelope.h"

#include "tofu/text_headers.h"

namespace tofu::qt {
namespace {

QByteArray toByteArray(const ByteBuffer& buffer) {
  return {reinterpret_cast<const char*>(buffer.data()), static_cast<qsizetype>(buffer.size())};  // NOLINT: bytes
}

std::string_view toView(const QByteArray& bytes) {
  return {bytes.constData(), static_cast<std::size_t>(bytes.size())};
}

QString fromView(std::string_view text) {
  return QString::fromUtf8(text.data(), static_cast<qsizetype>(text.size()));
}

// A TextHeaders over the envelope's section, so reading follows the engine's rules exactly.
TextHeaders headersOf(const QByteArray& section) {
  TextHeaders headers;
  headers.buffer().assign(toView(section));
  return headers;
}

}  // namespace

MessageEnvelope MessageEnvelope::fromMessage(const Message& message, std::int64_t receivedNs) {
  MessageEnvelope envelope;
  envelope.header = message.header();
  envelope.header.textHeadersLen = static_cast<std::uint16_t>(message.headers().size());
  envelope.header.bodyLen = static_cast<std::uint16_t>(message.body().size());
  envelope.textHeaders = toByteArray(message.headers().buffer());
  envelope.body = toByteArray(message.body());
  envelope.receivedNs = receivedNs;
  return envelope;
}

void MessageEnvelope::copyTo(Message& message) const {
  message.reset();
  message.header() = header;
  message.headers().buffer().assign(toView(textHeaders));
  message.body().assign(toView(body));
}

QList<QPair<QString, QString>> MessageEnvelope::headerList() const {
  QList<QPair<QString, QString>> list;
  const TextHeaders headers = headersOf(textHeaders);
  for (const TextHeader& record : headers) {
    list.append({fromView(record.name), fromView(record.value)});
  }
  return list;
}

QString MessageEnvelope::headerValue(QStringView name) const {
  const TextHeaders headers = headersOf(textHeaders);
  const QByteArray wanted = name.toUtf8();
  const std::optional<std::string_view> value = headers.find(toView(wanted));
  return value ? fromView(*value) : QString();
}

}  // namespace tofu::qt
