// How the Qt classes tell the engine's notices apart (internal, not part of the API).
#pragma once

#include "tofu/qt/message_envelope.h"

namespace tofu::qt {

// The engine's final Signal(channel_closed) for a channel is a fresh, empty message, but for
// the `~tls-error` header that says why a TLS channel failed (B17); a Signal of ours returned
// with channel_closed keeps its content. (An empty Signal of ours returned that way while its
// channel closes reads the same; ending there only loses the notices behind it, which describe
// the same end.)
inline bool isChannelClosedNotice(const MessageEnvelope& message) {
  if (!message.isFromEngine() || message.opCode() != OpCode::Signal || message.status() != Status::channel_closed ||
      !message.body.isEmpty()) {
    return false;
  }
  if (message.textHeaders.isEmpty()) return true;
  const QList<QPair<QString, QString>> headers = message.headerList();
  return headers.size() == 1 && headers.front().first == QLatin1String(kTlsErrorHeader.data(), kTlsErrorHeader.size());
}

}  // namespace tofu::qt
