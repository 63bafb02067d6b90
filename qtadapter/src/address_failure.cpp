#include "address_failure.h"

namespace tofu::qt {
namespace {

QString toQString(std::string_view text) {
  return QString::fromUtf8(text.data(), static_cast<qsizetype>(text.size()));
}

}  // namespace

QString addressFailureReason(Status status, const QString& address, AddressUse use) {
  if (status != Status::invalid_address) return {};
  const std::string reason = Address::explainInvalid(address.toStdString(), use);
  return reason.empty() ? QString() : QStringLiteral(" (%1)").arg(toQString(reason));
}

QString addressFailureReason(const MessageEnvelope& returned) {
  const AddressUse use =
      returned.opCode() == OpCode::WelcomeResponse ? AddressUse::listen : AddressUse::connect;
  const QString header = toQString(use == AddressUse::listen ? kListenOnHeader : kConnectToHeader);
  return addressFailureReason(returned.status(), returned.headerValue(header), use);
}

QString tlsFailureReason(const MessageEnvelope& returned) {
  const QString why = returned.headerValue(toQString(kTlsErrorHeader));
  return why.isEmpty() ? QString() : QStringLiteral(": ") + why;
}

}  // namespace tofu::qt
