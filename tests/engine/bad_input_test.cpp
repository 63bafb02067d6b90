// Acceptance: hostile or broken bytes from a raw socket never hurt anyone but their own
// channel (DECISIONS.md B2). For each input the offending channel closes with the status of
// docs/behaviour.md ("Protocol violation by the peer"): the messages pending on it come back
// with that status, then Signal(channel_closed); the established bystander channel still
// echoes, the listener still accepts, the engine stays up. Runs over TCP, UDS and TLS (the raw
// peer then sends its bytes inside TLS records: decrypted, they must cost the same); meant to
// run clean under ASan as well.
#include <cstdint>
#include <memory>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "tofu/tofu.h"

#include "engine_harness.h"
#include "raw_peer.h"

namespace tofu::test {
namespace {

// What a victim sends after its HelloRequest, and what it must cost it.
struct BadInput {
  const char* name;
  std::vector<std::uint8_t> bytes;
  bool thenEof;   // the victim then half-closes (FIN), leaving the frame unfinished
  Status reason;  // the status the victim's pending messages come back with
};

// GoogleTest would otherwise print the struct's bytes, padding included (valgrind objects).
void PrintTo(const BadInput& input, std::ostream* out) { *out << input.name; }

std::vector<std::uint8_t> headerBytes(const BinaryHeader& header, std::uint8_t proto) {
  std::vector<std::uint8_t> bytes(kBinaryHeaderSize);
  encodeBinaryHeader(header, std::span<std::uint8_t, kBinaryHeaderSize>(bytes.data(), kBinaryHeaderSize));
  bytes[2] = proto;
  return bytes;
}

std::vector<std::uint8_t> operator+(std::vector<std::uint8_t> left, std::string_view right) {
  left.insert(left.end(), right.begin(), right.end());
  return left;
}

std::vector<BadInput> badInputs() {
  std::vector<BadInput> inputs;
  // 0xFF...: the proto byte says opcode 15.
  inputs.push_back({"garbage_ff", std::vector<std::uint8_t>(64, 0xFF), false, Status::invalid_op_code});
  // Text that happens to decode as a HelloResponse header announcing ~15 KB, then EOF.
  const std::string_view http = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  inputs.push_back({"garbage_http_then_eof", std::vector<std::uint8_t>(http.begin(), http.end()), true,
                    Status::invalid_message});
  const std::vector<std::uint8_t> request = headerBytes(rawHeader(OpCode::Request, 1, 11), 0x00);
  inputs.push_back({"truncated_header_then_eof",
                    std::vector<std::uint8_t>(request.begin(), request.begin() + 10), true,
                    Status::invalid_message});
  inputs.push_back({"truncated_body_then_eof",
                    headerBytes(rawHeader(OpCode::Request, 1, 12, 0, 100), 0x00) + "part", true,
                    Status::invalid_message});
  inputs.push_back({"truncated_headers_then_eof",
                    headerBytes(rawHeader(OpCode::Request, 1, 13, 50, 0), 0x00) + "a:b\r\n", true,
                    Status::invalid_message});
  inputs.push_back({"lengths_never_delivered_then_eof",
                    headerBytes(rawHeader(OpCode::Signal, 1, 14, 65535, 65535), 0x02), true,
                    Status::invalid_message});
  for (std::uint8_t op = 8; op <= 15; ++op) {
    static const char* const kNames[] = {"local_only_op8", "local_only_op9", "invalid_op10", "invalid_op11",
                                         "invalid_op12",   "invalid_op13",   "invalid_op14", "invalid_op15"};
    // A complete frame with a body, so only the opcode is wrong.
    inputs.push_back({kNames[op - 8], headerBytes(rawHeader(OpCode::Request, 1, 20 + op, 0, 3), op) + "abc",
                      false, Status::invalid_op_code});
  }
  inputs.push_back({"more_on_hello_request", headerBytes(rawHeader(OpCode::HelloRequest, 1, 31), 0x23), false,
                    Status::invalid_more_usage});
  inputs.push_back({"more_on_bye_signal", headerBytes(rawHeader(OpCode::ByeSignal, 1, 32), 0x27), false,
                    Status::invalid_more_usage});
  return inputs;
}

class BadInputTest : public ::testing::TestWithParam<std::tuple<Transport, BadInput>> {};

INSTANTIATE_TEST_SUITE_P(Inputs, BadInputTest,
                         ::testing::Combine(kTransportsWithTls, ::testing::ValuesIn(badInputs())),
                         [](const ::testing::TestParamInfo<std::tuple<Transport, BadInput>>& param) {
                           return std::string(toString(std::get<0>(param.param))) + "_" +
                                  std::get<1>(param.param).name;
                         });

TEST_P(BadInputTest, OnlyTheOffendingChannelClosesWithItsStatus) {
  const auto& [transport, input] = GetParam();
  ViolationBench bench(transport);
  auto victim = bench.connectVictim();
  ASSERT_NE(bench.victimChannel(), 0u);
  const FillResult fill = bench.fillVictim();
  ASSERT_TRUE(victim->sendBytes(input.bytes));
  if (input.thenEof) {
    victim->shutdownWrite();
  }
  bench.expectVictimClosed(input.reason, fill);
  const ReadEnd end = victim->readUntilClosed(nullptr);
  EXPECT_TRUE(end == ReadEnd::eof || end == ReadEnd::reset)
      << "the victim sees its connection end: " << toString(end);
  bench.expectOthersWork();
}

class BadInputOther : public ::testing::TestWithParam<Transport> {};
INSTANTIATE_TEST_SUITE_P(Transports, BadInputOther, kTransportsWithTls, TransportName());

// Garbage before any frame: the connection was never announced, so it closes silently.
TEST_P(BadInputOther, GarbageAsFirstBytesClosesThatConnectionSilently) {
  ViolationBench bench(GetParam());
  auto victim = bench.connectVictim(false);
  ASSERT_NE(victim, nullptr);
  ASSERT_TRUE(victim->sendBytes(std::vector<std::uint8_t>(32, 0xFF)));
  bench.expectSilentClose();
  const ReadEnd end = victim->readUntilClosed(nullptr);
  EXPECT_TRUE(end == ReadEnd::eof || end == ReadEnd::reset) << toString(end);
  bench.expectOthersWork();
}

// A header announcing lengths, and the connection closed without them: with nothing pending
// only the final Signal is seen.
TEST_P(BadInputOther, EofInsideFrameWithNothingPending) {
  ViolationBench bench(GetParam());
  auto victim = bench.connectVictim();
  ASSERT_NE(bench.victimChannel(), 0u);
  ASSERT_TRUE(victim->sendHeader(rawHeader(OpCode::Request, 1, 41, 0, 1000), 0x00));
  victim->close();
  auto closed = receive(bench.serverGroup());
  EXPECT_TRUE(closed && closedSignal(bench.victimChannel())(*closed)) << describe(closed);
  EXPECT_EQ(closed ? closed->messageId() : 0u, bench.victimHelloId());
  bench.expectOthersWork();
}

// Sections larger than the engine accepts (Options::maxReceiveHeadersLen/BodyLen) close the
// channel before anything is allocated for the frame.
TEST_P(BadInputOther, OversizedSectionsCloseWithTheirLengthStatus) {
  Options options = limitedOptions();
  options.maxReceiveHeadersLen = 512;
  options.maxReceiveBodyLen = 1024;
  for (const bool body : {false, true}) {
    ViolationBench bench(GetParam(), options);
    auto victim = bench.connectVictim();
    ASSERT_NE(bench.victimChannel(), 0u);
    const FillResult fill = bench.fillVictim();
    const BinaryHeader header =
        body ? rawHeader(OpCode::Request, 1, 61, 0, 1025) : rawHeader(OpCode::Request, 1, 62, 513, 0);
    ASSERT_TRUE(victim->sendHeader(header, 0x00));
    bench.expectVictimClosed(body ? Status::invalid_body_len : Status::invalid_headers_len, fill);
    bench.expectOthersWork();
  }
}

// Forged engine notifications are not violations: they arrive sanitised and the channel
// stays open.
TEST_P(BadInputOther, ForgedOriginAndStatusAreDeliveredSanitised) {
  ViolationBench bench(GetParam());
  auto victim = bench.connectVictim();
  ASSERT_NE(bench.victimChannel(), 0u);
  BinaryHeader forged = rawHeader(OpCode::Signal, 1, 51);
  forged.status = Status::channel_closed;
  ASSERT_TRUE(victim->sendHeader(forged, protoByte(2, true, false, 3)));
  auto got = receive(bench.serverGroup());
  ASSERT_NE(got, nullptr);
  EXPECT_EQ(got->opCode(), OpCode::Signal);
  EXPECT_TRUE(got->isFromApplication()) << describe(got);
  EXPECT_EQ(got->status(), Status::success) << describe(got);
  EXPECT_EQ(got->channelNumber(), bench.victimChannel());
  EXPECT_EQ(got->messageId(), 51u);
  // Still open: a reply reaches the victim.
  post(bench.serverGroup(), std::move(got));
  RawFrame frame;
  ASSERT_EQ(victim->readFrame(frame), ReadEnd::frame);
  EXPECT_EQ(frame.header.messageId, 51u);
  EXPECT_EQ(frame.protoByte, 0x02);
  bench.expectOthersWork();
}

// Many offenders one after another: the engine, the bystander and the listener survive all.
TEST_P(BadInputOther, ManyOffendersInARow) {
  ViolationBench bench(GetParam());
  const std::vector<BadInput> inputs = badInputs();
  for (const BadInput& input : inputs) {
    auto victim = bench.connectVictim();
    ASSERT_NE(bench.victimChannel(), 0u) << input.name;
    ASSERT_TRUE(victim->sendBytes(input.bytes)) << input.name;
    if (input.thenEof) {
      victim->shutdownWrite();
    }
    auto closed = receive(bench.serverGroup());
    EXPECT_TRUE(closed && closedSignal(bench.victimChannel())(*closed))
        << input.name << ": " << describe(closed);
  }
  bench.expectOthersWork();
}

}  // namespace
}  // namespace tofu::test
