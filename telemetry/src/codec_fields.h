// Internal, not part of the API.
// The schema's members of each introspection struct, in the documented order (docs/telemetry.md):
// one table per object drives both the writer and the reader, so names, order and types
// cannot drift apart. Members that need more than a plain value are named below the tables.
#pragma once

#include <string_view>
#include <tuple>

#include "tofu/introspection.h"

namespace tofu::telemetry::detail {

template <class Owner, class T>
struct Field {
  std::string_view name;
  T Owner::*member;
  bool required = false;  // the reader refuses an object without it
};
template <class Owner, class T>
Field(std::string_view, T Owner::*) -> Field<Owner, T>;
template <class Owner, class T>
Field(std::string_view, T Owner::*, bool) -> Field<Owner, T>;

inline constexpr bool kRequired = true;

// After the process members, before the arrays.
inline constexpr std::tuple kSnapshotFields{
    Field{"engineId", &EngineSnapshot::engineId, kRequired},
    Field{"takenAtNs", &EngineSnapshot::takenAtNs},
    Field{"takenAtWallNs", &EngineSnapshot::takenAtWallNs},
};

inline constexpr std::tuple kChannelFields{
    Field{"engineId", &ChannelInfo::engineId},
    Field{"channelNumber", &ChannelInfo::channelNumber, kRequired},
    Field{"incarnation", &ChannelInfo::incarnation, kRequired},
    Field{"kind", &ChannelInfo::kind},
    Field{"state", &ChannelInfo::state, kRequired},
    Field{"groupId", &ChannelInfo::groupId},
    Field{"localAddress", &ChannelInfo::localAddress},
    Field{"peerAddress", &ChannelInfo::peerAddress},
    Field{"messagesSent", &ChannelInfo::messagesSent},
    Field{"bytesSent", &ChannelInfo::bytesSent},
    Field{"messagesReceived", &ChannelInfo::messagesReceived},
    Field{"bytesReceived", &ChannelInfo::bytesReceived},
    Field{"sendQueueMessages", &ChannelInfo::sendQueueMessages},
    Field{"sendQueueBytes", &ChannelInfo::sendQueueBytes},
    Field{"lastSendNs", &ChannelInfo::lastSendNs},
    Field{"lastReceiveNs", &ChannelInfo::lastReceiveNs},
    Field{"closeReason", &ChannelInfo::closeReason},
};

inline constexpr std::tuple kGroupFields{
    Field{"groupId", &GroupInfo::groupId, kRequired},
    Field{"receiveQueueDepth", &GroupInfo::receiveQueueDepth},
};

inline constexpr std::tuple kPoolFields{
    Field{"idle", &PoolInfo::idle},
    Field{"inUse", &PoolInfo::inUse},
    Field{"allocated", &PoolInfo::allocated},
    Field{"poolEmptyEpisodes", &PoolInfo::poolEmptyEpisodes},
};

inline constexpr std::tuple kTotalsFields{
    Field{"framesWritten", &EngineCounters::framesWritten},
    Field{"bytesWritten", &EngineCounters::bytesWritten},
    Field{"framesRead", &EngineCounters::framesRead},
    Field{"bytesRead", &EngineCounters::bytesRead},
    Field{"messagesReturned", &EngineCounters::messagesReturned},
    Field{"poolEmptyEpisodes", &EngineCounters::poolEmptyEpisodes},
    Field{"channelsOpened", &EngineCounters::channelsOpened},
    Field{"channelsClosed", &EngineCounters::channelsClosed},
};

// After "kind", in every event.
inline constexpr std::tuple kEventFields{
    Field{"engineId", &Event::engineId},
    Field{"channelNumber", &Event::channelNumber, kRequired},
    Field{"incarnation", &Event::incarnation, kRequired},
    Field{"atNs", &Event::atNs, kRequired},
};

inline constexpr std::tuple kStateEventFields{
    Field{"state", &Event::state, kRequired},
    Field{"status", &Event::status},
};

// Then the previews, when taken, and the payload, when sent.
inline constexpr std::tuple kMessageEventFields{
    Field{"opCode", &Event::opCode, kRequired},
    Field{"status", &Event::status},
    Field{"more", &Event::more},
    Field{"messageId", &Event::messageId},
    Field{"headersLen", &Event::headersLen},
    Field{"bodyLen", &Event::bodyLen},
    Field{"postedNs", &Event::postedNs},
    Field{"writtenNs", &Event::writtenNs},
    Field{"readNs", &Event::readNs},
    Field{"deliveredNs", &Event::deliveredNs},
};

inline constexpr std::string_view kChannels = "channels";
inline constexpr std::string_view kGroups = "groups";
inline constexpr std::string_view kPool = "pool";
inline constexpr std::string_view kTotals = "totals";
inline constexpr std::string_view kKind = "kind";
inline constexpr std::string_view kPreviewHeaders = "previewHeaders";
inline constexpr std::string_view kPreviewBody = "previewBody";
inline constexpr std::string_view kTextHeaders = "textHeaders";
inline constexpr std::string_view kBodySentLen = "bodySentLen";
inline constexpr std::string_view kBodyBase64 = "bodyBase64";

}  // namespace tofu::telemetry::detail
