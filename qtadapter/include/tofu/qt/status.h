// tofu::Status in Qt: a twin of the engine enum registered with Qt's meta-object system
// (QMetaEnum names, QVariant, QML), QDebug output for tofu::Status, and text for users. The
// engine never includes Qt, so all of this lives in the adapter. Everything here is
// thread-safe and never blocks.
#pragma once

#include <QDebug>
#include <QMetaType>
#include <QObject>
#include <QString>

#include "tofu/status.h"

// A namespace of its own: Q_NAMESPACE gives a namespace exactly one meta-object, which should
// not be claimed for tofu::qt by one enum, and a tofu::qt::Status would hide tofu::Status in
// every adapter file.
namespace tofu::qt::meta {
Q_NAMESPACE

// tofu::Status, value for value and name for name: the C++ enumerator names, which differ from
// statusName()'s reference spelling for invalid_message_channel_group ("invelid_mchn_group").
// NOLINTBEGIN(readability-identifier-naming): tofu::Status's names, value for value
enum class Status : std::uint8_t {
  success = qToUnderlying(tofu::Status::success),
  not_implemented_yet = qToUnderlying(tofu::Status::not_implemented_yet),
  wrong_address = qToUnderlying(tofu::Status::wrong_address),
  not_allowed = qToUnderlying(tofu::Status::not_allowed),
  null_message = qToUnderlying(tofu::Status::null_message),
  invalid_message = qToUnderlying(tofu::Status::invalid_message),
  invalid_op_code = qToUnderlying(tofu::Status::invalid_op_code),
  invalid_headers_len = qToUnderlying(tofu::Status::invalid_headers_len),
  invalid_body_len = qToUnderlying(tofu::Status::invalid_body_len),
  invalid_more_usage = qToUnderlying(tofu::Status::invalid_more_usage),
  invalid_channel_number = qToUnderlying(tofu::Status::invalid_channel_number),
  invalid_message_channel_group = qToUnderlying(tofu::Status::invalid_message_channel_group),
  invalid_message_id = qToUnderlying(tofu::Status::invalid_message_id),
  invalid_address = qToUnderlying(tofu::Status::invalid_address),
  uds_path_not_found = qToUnderlying(tofu::Status::uds_path_not_found),
  notification_disabled = qToUnderlying(tofu::Status::notification_disabled),
  notification_failed = qToUnderlying(tofu::Status::notification_failed),
  peer_disconnected = qToUnderlying(tofu::Status::peer_disconnected),
  communication_failed = qToUnderlying(tofu::Status::communication_failed),
  pool_empty = qToUnderlying(tofu::Status::pool_empty),
  allocation_failed = qToUnderlying(tofu::Status::allocation_failed),
  receiver_update = qToUnderlying(tofu::Status::receiver_update),
  channel_closed = qToUnderlying(tofu::Status::channel_closed),
  shutdown_started = qToUnderlying(tofu::Status::shutdown_started),
  connect_failed = qToUnderlying(tofu::Status::connect_failed),
  listen_failed = qToUnderlying(tofu::Status::listen_failed),
  accept_failed = qToUnderlying(tofu::Status::accept_failed),
  send_failed = qToUnderlying(tofu::Status::send_failed),
  recv_failed = qToUnderlying(tofu::Status::recv_failed),
  setsockopt_failed = qToUnderlying(tofu::Status::setsockopt_failed),
  processing_failed = qToUnderlying(tofu::Status::processing_failed),
  unknown_error = qToUnderlying(tofu::Status::unknown_error),
};
// NOLINTEND(readability-identifier-naming)
Q_ENUM_NS(Status)

// The values are the engine's by construction; this catches a status added there (and
// tst_errors that every value has its name).
static_assert(kStatusCount == qToUnderlying(Status::unknown_error) + 1, "mirror every tofu::Status here");

constexpr Status fromEngine(tofu::Status status) noexcept {
  return static_cast<Status>(qToUnderlying(status));
}
constexpr tofu::Status toEngine(Status status) noexcept {
  return static_cast<tofu::Status>(qToUnderlying(status));
}

}  // namespace tofu::qt::meta

namespace tofu::qt {

// The Qt form of a status: its reference name ("connect_failed") and a sentence for users,
// "connecting to the peer failed (connect_failed)".
QString statusName(Status status);
QString statusDescription(Status status);

}  // namespace tofu::qt

namespace tofu {

// Prints `tofu::Status(connect_failed)`, or `tofu::Status(200)` for a value outside the enum.
// In namespace tofu so that argument-dependent lookup finds it from any namespace.
QDebug operator<<(QDebug debug, Status status);

}  // namespace tofu

// For QVariant and Qt Test data columns; signals carrying it work queued without more ado.
Q_DECLARE_METATYPE(tofu::Status)
