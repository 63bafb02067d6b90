// Columns and roles of the adapter's models, shared by models, delegates, proxies and tests.
#pragma once

#include <Qt>

namespace tofu::qt {

enum class ChannelColumn : int {
  engine, channel, incarnation, kind, state, group, localAddress, peerAddress,
  messagesIn, bytesIn, messagesOut, bytesOut, sendQueue, lastActivity, closeReason,
  count
};

enum class TrafficColumn : int {
  time, engine, channel, direction, opCode, messageId, status, more, headersSize, bodySize, latency,
  count
};

// Extra roles, past Qt::UserRole. SortRole gives a value that sorts naturally (numbers as
// numbers, times as nanoseconds); the rest give raw fields for delegates and filters.
// NOLINTBEGIN(readability-identifier-naming): Qt's style for item data roles (Qt::UserRole)
enum ModelRole : int {
  SortRole = Qt::UserRole + 1,
  EngineIdRole,
  ChannelNumberRole,
  IncarnationRole,
  StateRole,        // ChannelState as int
  StatusRole,       // Status as int
  OpCodeRole,       // OpCode as int
  DirectionRole,    // Direction as int
  RecordRole,       // the whole TrafficRecord (QVariant)
  ChannelInfoRole,  // the whole ChannelInfo (QVariant)
  LostRole,         // bool: the channel's engine stopped reporting (ChannelTableModel::markEngineLost)
};
// NOLINTEND(readability-identifier-naming)

}  // namespace tofu::qt
