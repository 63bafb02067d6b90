// Internal, not part of the API.
// The reason an address failed, worded for ChannelGroup::errorString() and Connection's: the
// engine's Address::explainInvalid() in parentheses, or its TLS failure text. Free functions on plain values; thread-safe.
#pragma once

#include <QString>

#include "tofu/address.h"
#include "tofu/qt/message_envelope.h"

namespace tofu::qt {

// " (reason)" when listening or connecting on `address` failed with invalid_address and the
// engine can say why; "" otherwise.
QString addressFailureReason(Status status, const QString& address, AddressUse use);

// The same for a Hello/WelcomeRequest the engine returned, from the address header it carries.
QString addressFailureReason(const MessageEnvelope& returned);

// ": reason" when the engine put why a TLS handshake or session failed in the `~tls-error`
// header of a message it returned ("certificate has expired", B17); "" otherwise.
QString tlsFailureReason(const MessageEnvelope& returned);

}  // namespace tofu::qt
