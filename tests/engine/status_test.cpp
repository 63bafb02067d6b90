// K2: the status enum keeps the reference's values, names and error names (PROTOCOL.md 6.1).
#include "tofu/status.h"

#include <array>
#include <cstdint>
#include <set>
#include <string>

#include <gtest/gtest.h>

namespace tofu {
namespace {

struct Row {
  int value;
  Status status;
  const char* name;
  const char* error;
};

// PROTOCOL.md 6.1, copied row by row.
constexpr std::array<Row, kStatusCount> kTable{{
    {0, Status::success, "success", ""},
    {1, Status::not_implemented_yet, "not_implemented_yet", "NotImplementedYet"},
    {2, Status::wrong_address, "wrong_address", "WrongAddress"},
    {3, Status::not_allowed, "not_allowed", "NotAllowed"},
    {4, Status::null_message, "null_message", "NullMessage"},
    {5, Status::invalid_message, "invalid_message", "InvalidMessage"},
    {6, Status::invalid_op_code, "invalid_op_code", "InvalidOpCode"},
    {7, Status::invalid_headers_len, "invalid_headers_len", "InvalidHeadersLen"},
    {8, Status::invalid_body_len, "invalid_body_len", "InvalidBodyLen"},
    {9, Status::invalid_more_usage, "invalid_more_usage", "InvalidMoreUsage"},
    {10, Status::invalid_channel_number, "invalid_channel_number", "InvalidChannelNumber"},
    {11, Status::invalid_message_channel_group, "invelid_mchn_group", "InvalidMessageChannelGroup"},
    {12, Status::invalid_message_id, "invalid_message_id", "InvalidMessageId"},
    {13, Status::invalid_address, "invalid_address", "InvalidAddress"},
    {14, Status::uds_path_not_found, "uds_path_not_found", "UDSPathNotFound"},
    {15, Status::notification_disabled, "notification_disabled", "NotificationDisabled"},
    {16, Status::notification_failed, "notification_failed", "NotificationFailed"},
    {17, Status::peer_disconnected, "peer_disconnected", "PeerDisconnected"},
    {18, Status::communication_failed, "communication_failed", "CommunicationFailed"},
    {19, Status::pool_empty, "pool_empty", "PoolEmpty"},
    {20, Status::allocation_failed, "allocation_failed", "AllocationFailed"},
    {21, Status::receiver_update, "receiver_update", "ReceiverUpdate"},
    {22, Status::channel_closed, "channel_closed", "ChannelClosed"},
    {23, Status::shutdown_started, "shutdown_started", "ShutdownStarted"},
    {24, Status::connect_failed, "connect_failed", "ConnectFailed"},
    {25, Status::listen_failed, "listen_failed", "ListenFailed"},
    {26, Status::accept_failed, "accept_failed", "AcceptFailed"},
    {27, Status::send_failed, "send_failed", "SendFailed"},
    {28, Status::recv_failed, "recv_failed", "RecvFailed"},
    {29, Status::setsockopt_failed, "setsockopt_failed", "SetsockoptFailed"},
    {30, Status::processing_failed, "processing_failed", "ProcessingFailed"},
    {31, Status::unknown_error, "unknown_error", "UnknownError"},
}};

TEST(Status, K2_ValuesNamesAndErrorNamesMatchTheReferenceTable) {
  for (const Row& row : kTable) {
    SCOPED_TRACE(row.name);
    EXPECT_EQ(static_cast<int>(row.status), row.value);
    EXPECT_STREQ(toString(row.status), row.name);
    EXPECT_STREQ(errorName(row.status), row.error);
  }
}

TEST(Status, K2_TypoNameKeepsValue11) {
  EXPECT_EQ(static_cast<std::uint8_t>(Status::invalid_message_channel_group), 11);
  EXPECT_STREQ(toString(static_cast<Status>(11)), "invelid_mchn_group");
  EXPECT_STREQ(errorName(static_cast<Status>(11)), "InvalidMessageChannelGroup");
}

TEST(Status, K2_OutOfRangeValuesReadAsUnknownError) {
  for (const int raw : {32, 100, 254, 255}) {
    const auto status = static_cast<Status>(raw);
    EXPECT_STREQ(toString(status), "unknown_error") << raw;
    EXPECT_STREQ(errorName(status), "UnknownError") << raw;
    EXPECT_STREQ(describe(status), describe(Status::unknown_error)) << raw;
  }
}

TEST(Status, K2_RawByteMapsOneToOneBelow31AndToUnknownErrorAbove) {
  for (int raw = 0; raw <= 255; ++raw) {
    const Status expected = raw < 31 ? kTable[static_cast<std::size_t>(raw)].status : Status::unknown_error;
    EXPECT_EQ(statusFromRaw(static_cast<std::uint8_t>(raw)), expected) << raw;
  }
}

TEST(Status, K2_ErrorNameRoundTrips) {
  for (const Row& row : kTable) {
    EXPECT_EQ(statusFromErrorName(errorName(row.status)), row.status) << row.name;
  }
}

TEST(Status, K2_UnknownErrorNamesMapToUnknownError) {
  EXPECT_EQ(statusFromErrorName("NoSuchError"), Status::unknown_error);
  EXPECT_EQ(statusFromErrorName("channelclosed"), Status::unknown_error);  // case-sensitive
  EXPECT_EQ(statusFromErrorName("channel_closed"),
            Status::unknown_error);  // a status name, not an error name
  EXPECT_EQ(statusFromErrorName(nullptr), Status::unknown_error);
}

TEST(Status, DescribeGivesOneDistinctSentencePerStatus) {
  std::set<std::string> sentences;
  for (const Row& row : kTable) {
    const std::string sentence = describe(row.status);
    EXPECT_FALSE(sentence.empty()) << row.name;
    EXPECT_EQ(sentence.find('\n'), std::string::npos) << row.name;
    sentences.insert(sentence);
  }
  EXPECT_EQ(sentences.size(), kTable.size());
}

TEST(Status, B6_NotificationFailedDescribesTheFullSendQueue) {
  EXPECT_STREQ(describe(Status::notification_failed),
               "the channel's send queue is full (Options::sendQueueLimitBytes)");
}

TEST(Status, ReceiverUpdateAndSuccessAreNotFailures) {
  for (const Row& row : kTable) {
    const bool expected = row.status != Status::success && row.status != Status::receiver_update;
    EXPECT_EQ(isFailure(row.status), expected) << row.name;
  }
}

}  // namespace
}  // namespace tofu
