// Implementation of the engine drivers, set-ups and ViolationBench (see raw_peer.h); the raw
// peers themselves are in raw_peer.cpp.
#include <algorithm>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <utility>

#include "util/message_access.h"
#include "raw_peer.h"
#include <sys/socket.h>

namespace tofu::test {
namespace {

using Clock = std::chrono::steady_clock;

// True while frames of `channel` wait in its send queue.
bool framesWaiting(Ampe& ampe, std::uint16_t channel) {
  auto snapshot = ampe.snapshot();
  if (!snapshot.ok()) return false;
  for (const ChannelInfo& info : snapshot.value().channels) {
    if (info.channelNumber == channel && info.sendQueueMessages != 0) return true;
  }
  return false;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Engine drivers

std::string fillBody(std::uint64_t id, std::size_t bytes) {
  std::string body(bytes, '\0');
  for (std::size_t i = 0; i < bytes; ++i) {
    body[i] = static_cast<char>('a' + (id + i) % 26);
  }
  return body;
}

FillResult fillSendQueue(Ampe& ampe, ChannelGroup& group, std::uint16_t channel, std::size_t bodyBytes,
                         std::chrono::milliseconds timeout) {
  FillResult result;
  result.bodyBytes = bodyBytes;
  const auto deadline = Clock::now() + timeout;
  // The id is chosen here (not by the engine) so the body can depend on it.
  static std::uint64_t nextId = 0x7000'0000'0000'0000ULL;
  while (Clock::now() < deadline) {
    const std::uint64_t id = ++nextId;
    auto message = request(ampe, channel, fillBody(id, bodyBytes), OpCode::Request, id);
    auto posted = group.enqueueToPeer(message);
    if (posted.ok()) {
      result.ids.push_back(id);
      continue;
    }
    if (posted.status() != Status::notification_failed) {
      ADD_FAILURE() << "fillSendQueue: enqueueToPeer failed with " << toString(posted.status());
      ampe.put(message);
      return result;
    }
    EXPECT_NE(message, nullptr) << "a refused message stays with the caller (K5, B6)";
    ampe.put(message);
    // Full for now. It is full for good once the engine cannot write any more: the peer's
    // buffers are full. Watch the written byte count for a while to tell the two apart.
    // The window is generous because a loaded machine may not run the engine thread for a
    // while; a queue taken for full too early would leave nothing pending later.
    const std::uint64_t before = ampe.counters().bytesWritten;
    bool moved = false;
    for (int step = 0; step < 40 && !moved; ++step) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5) * timeoutScale());
      moved = ampe.counters().bytesWritten != before;
    }
    // The I/O thread may have emptied the queue between the refusal and `before`: it is
    // full only if frames are still waiting.
    if (!moved && framesWaiting(ampe, channel)) {
      result.full = true;
      return result;
    }
  }
  ADD_FAILURE() << "fillSendQueue: the send queue of channel " << channel << " did not fill within "
                << timeout.count() << " ms (" << result.ids.size() << " accepted)";
  return result;
}

std::size_t takeSendReadyNotices(Ampe& ampe, ChannelGroup& group, std::uint16_t channel) {
  std::size_t notices = 0;
  while (MessagePtr message = tryReceive(group, quietPeriod())) {
    if (isSendReady(*message) && message->channelNumber() == channel) {
      ++notices;
    } else {
      ADD_FAILURE() << "only send-ready notices of channel " << channel << " expected, got "
                    << describe(message);
    }
    ampe.put(message);
  }
  return notices;
}

void waitForFramesWritten(Ampe& ampe, std::uint64_t frames) {
  const auto deadline = Clock::now() + defaultTimeout();
  while (ampe.counters().framesWritten < frames && Clock::now() < deadline) {
    std::this_thread::yield();
  }
}

BinaryHeader rawHeader(OpCode op, std::uint16_t channel, std::uint64_t id, std::uint16_t headersLen,
                       std::uint16_t bodyLen) {
  BinaryHeader header = BinaryHeader::forOpCode(op);
  header.channelNumber = channel;
  header.messageId = id;
  header.textHeadersLen = headersLen;
  header.bodyLen = bodyLen;
  return header;
}

std::uint8_t protoByte(std::uint8_t opCode, bool originEngine, bool more, std::uint8_t highBits) {
  return static_cast<std::uint8_t>((opCode & 0x0Fu) | (originEngine ? 0x10u : 0u) | (more ? 0x20u : 0u) |
                                   ((highBits & 0x3u) << 6));
}

// ---------------------------------------------------------------------------------------------
// Engine set-ups

Options roomyOptions() {
  Options options;
  options.initialPoolMsgs = 256;
  options.maxPoolMsgs = 1024;
  return options;
}

Options fixedPoolOptions(std::uint16_t messages) {
  Options options;
  options.initialPoolMsgs = messages;
  options.maxPoolMsgs = messages;
  // Receiving is bounded by the group's budget, not the pool (B14): room for exactly
  // `messages` received frames of up to 256 header and 256 body bytes.
  options.receiveBudgetBytes = messages * std::size_t{detail::MessageAccess::realBytes(*Message::create())};
  return options;
}
Options limitedOptions() {
  Options options = roomyOptions();
  options.sendQueueLimitBytes = 64 * 1024;
  return options;
}

std::size_t expectReturnedTail(const std::vector<MessagePtr>& received, const FillResult& fill,
                               std::uint16_t channel, Status reason) {
  std::vector<const Message*> returned;
  for (const MessagePtr& message : received) {
    // A refusal while the I/O thread was behind, then room: the fill's own notice (B16).
    if (!(isSendReady(*message) && message->channelNumber() == channel)) {
      returned.push_back(message.get());
    }
  }
  EXPECT_LE(returned.size(), fill.ids.size()) << "more messages returned than posted";
  if (returned.size() > fill.ids.size()) {
    return returned.size();
  }
  // Frames are written in posting order, so the ones that come back are the last posted.
  const std::size_t firstReturned = fill.ids.size() - returned.size();
  for (std::size_t i = 0; i < returned.size(); ++i) {
    const Message& message = *returned[i];
    const std::uint64_t id = fill.ids[firstReturned + i];
    EXPECT_EQ(message.opCode(), OpCode::Request) << "returned #" << i << ": " << describe(message);
    EXPECT_TRUE(message.isFromEngine()) << "returned #" << i << ": " << describe(message);
    EXPECT_EQ(message.status(), reason) << "returned #" << i << ": " << describe(message);
    EXPECT_EQ(message.channelNumber(), channel) << "returned #" << i << ": " << describe(message);
    EXPECT_EQ(message.messageId(), id) << "returned #" << i << " out of order or corrupted";
    EXPECT_FALSE(message.hasMore()) << "returned #" << i;
    EXPECT_EQ(message.body().size(), fill.bodyBytes) << "returned #" << i;
    EXPECT_TRUE(message.body().view() == fillBody(id, fill.bodyBytes))
        << "returned #" << i << ": body corrupted";
  }
  return returned.size();
}

bool echo(Ampe& clientAmpe, ChannelGroup& client, std::uint16_t clientChannel, Ampe& serverAmpe,
          ChannelGroup& server, std::uint16_t serverChannel, std::string_view body) {
  const BinaryHeader sent = post(client, request(clientAmpe, clientChannel, body));
  if (sent.channelNumber == 0) {
    return false;
  }
  auto arrived = receive(server);
  if (!arrived || arrived->opCode() != OpCode::Request || arrived->channelNumber() != serverChannel ||
      arrived->messageId() != sent.messageId || arrived->body().view() != body ||
      !arrived->isFromApplication()) {
    ADD_FAILURE() << "echo: expected Request ch=" << serverChannel << " id=" << sent.messageId << " body='"
                  << body << "', got " << describe(arrived);
    return false;
  }
  arrived->setOpCode(OpCode::Response);
  if (post(server, std::move(arrived)).channelNumber == 0) {
    return false;
  }
  auto answer = receive(client);
  if (!answer || answer->opCode() != OpCode::Response || answer->channelNumber() != clientChannel ||
      answer->messageId() != sent.messageId || answer->body().view() != body ||
      !answer->isFromApplication()) {
    ADD_FAILURE() << "echo: expected Response ch=" << clientChannel << " id=" << sent.messageId << ", got "
                  << describe(answer);
    return false;
  }
  clientAmpe.put(answer);
  const BinaryHeader signal = post(server, request(serverAmpe, serverChannel, body, OpCode::Signal));
  auto notice = receive(client);
  if (!notice || notice->opCode() != OpCode::Signal || notice->channelNumber() != clientChannel ||
      notice->messageId() != signal.messageId || notice->status() != Status::success) {
    ADD_FAILURE() << "echo: expected Signal ch=" << clientChannel << " id=" << signal.messageId << ", got "
                  << describe(notice);
    return false;
  }
  clientAmpe.put(notice);
  return true;
}

// ---------------------------------------------------------------------------------------------
// ViolationBench

ViolationBench::ViolationBench(Transport transport, const Options& serverOptions)
    : server_(forTransport(serverOptions, transport)), client_(forTransport(roomyOptions(), transport)) {
  serverGroup_ = &server_.group();
  clientGroup_ = &client_.group();
  listening_ = listen(server_.ampe(), *serverGroup_, listenAddress(transport));
  if (listening_.channel == 0) {
    return;
  }
  bystander_ = connectPair(client_.ampe(), *clientGroup_, server_.ampe(), *serverGroup_, listening_.bound);
}

std::unique_ptr<RawPeer> ViolationBench::connectVictim(bool sayHello) {
  beforeVictim_ = server_.ampe().counters();
  auto victim = RawPeer::connectTo(listening_.bound, kSmallReceiveBuffer);
  victimPeer_ = victim.get();
  if (!victim || !sayHello) {
    return victim;
  }
  auto hello = newMessage(server_.ampe());
  EXPECT_EQ(prepareHelloRequest(*hello, Address::tcp("127.0.0.1", 1)), Status::success);
  hello->setChannelNumber(0x0BAD);
  // Ids of our own choosing (far from the process-wide counter) identify the victim's frames.
  static std::uint64_t nextVictimId = 0x5EED'0000'0000'0000ULL;
  hello->setMessageId(++nextVictimId);
  victimHelloId_ = hello->messageId();
  EXPECT_TRUE(victim->sendFrame(*hello));
  server_.ampe().put(hello);
  auto arrived = receive(*serverGroup_);
  if (!arrived || arrived->opCode() != OpCode::HelloRequest || !arrived->isFromApplication() ||
      arrived->messageId() != victimHelloId_ || arrived->channelNumber() == 0 ||
      arrived->channelNumber() == listening_.channel ||
      arrived->channelNumber() == bystander_.serverChannel) {
    ADD_FAILURE() << "the victim's HelloRequest did not arrive as such: " << describe(arrived);
    victim_ = 0;
    return victim;
  }
  victim_ = arrived->channelNumber();
  // Answered, so that what the victim sends next reaches the application (B15 holds it until
  // then); the victim takes the HelloResponse off its small receive buffer.
  const std::uint64_t writtenBefore = server_.ampe().counters().framesWritten;
  arrived->setOpCode(OpCode::HelloResponse);
  post(*serverGroup_, std::move(arrived));
  RawFrame answer;
  EXPECT_EQ(victim->readFrame(answer), ReadEnd::frame);
  EXPECT_EQ(answer.header.proto.opCode, OpCode::HelloResponse);
  waitForFramesWritten(server_.ampe(), writtenBefore + 1);
  return victim;
}

FillResult ViolationBench::fillVictim() {
  if (victimPeer_ != nullptr) {
    pinEngineSendBuffer(*victimPeer_);
  }
  beforeFill_ = server_.ampe().counters();
  FillResult fill = fillSendQueue(server_.ampe(), *serverGroup_, victim_, kFillBodyBytes);
  EXPECT_TRUE(fill.full) << "the victim's send queue did not fill";
  return fill;
}

void ViolationBench::expectVictimClosed(Status reason, const FillResult& fill) {
  Recorder recorder(*serverGroup_);
  if (!recorder.until(closedSignal(victim_))) {
    return;
  }
  std::vector<MessagePtr> returned;
  for (auto& message : recorder.messages()) {
    returned.push_back(std::move(message));
  }
  MessagePtr closed = std::move(returned.back());
  returned.pop_back();
  EXPECT_EQ(closed->messageId(), victimHelloId_)
      << "the final Signal carries the id of the first frame received on the channel";
  const std::size_t count = expectReturnedTail(returned, fill, victim_, reason);
  EXPECT_GE(count, 1u) << "messages were pending when the victim channel closed; they must come back with "
                       << toString(reason);
  const EngineCounters after = server_.ampe().counters();
  const std::uint64_t written = after.framesWritten - beforeFill_.framesWritten;
  const std::uint64_t back = after.messagesReturned - beforeFill_.messagesReturned;
  EXPECT_EQ(back, count) << "EngineCounters::messagesReturned";
  EXPECT_EQ(written + back, fill.ids.size()) << "written + returned == posted (B1)";
}

void ViolationBench::expectSilentClose() {
  // The engine counts the close even when it announces nothing.
  const auto deadline = std::chrono::steady_clock::now() + defaultTimeout();
  while (server_.ampe().counters().channelsClosed == beforeVictim_.channelsClosed &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  const EngineCounters after = server_.ampe().counters();
  EXPECT_EQ(after.channelsOpened, beforeVictim_.channelsOpened + 1) << "the victim's connection was accepted";
  EXPECT_EQ(after.channelsClosed, beforeVictim_.channelsClosed + 1) << "and closed";
  EXPECT_EQ(expectNothing(*serverGroup_), nullptr) << "an unannounced channel closes silently";
}

void ViolationBench::expectOthersWork() {
  ASSERT_TRUE(bystander_.ok());
  EXPECT_TRUE(echo(client_.ampe(), *clientGroup_, bystander_.clientChannel, server_.ampe(), *serverGroup_,
                   bystander_.serverChannel, "still here"))
      << "the bystander channel must keep working";
  auto newcomer = RawPeer::connectTo(listening_.bound);
  ASSERT_NE(newcomer, nullptr) << "the listener must keep accepting";
  auto hello = newMessage(server_.ampe());
  ASSERT_EQ(prepareHelloRequest(*hello, listening_.bound), Status::success);
  hello->setChannelNumber(77);
  hello->setMessageId(4242);
  ASSERT_TRUE(newcomer->sendFrame(*hello));
  server_.ampe().put(hello);
  std::uint64_t helloId = 0;
  const std::uint16_t channel = acceptHello(server_.ampe(), *serverGroup_, defaultTimeout(), &helloId);
  ASSERT_NE(channel, 0u);
  EXPECT_EQ(helloId, 4242u);
  RawFrame answer;
  ASSERT_EQ(newcomer->readFrame(answer), ReadEnd::frame);
  EXPECT_EQ(answer.header.proto.opCode, OpCode::HelloResponse);
  EXPECT_EQ(answer.header.messageId, 4242u);
  // An orderly close with nothing pending: only the final Signal.
  newcomer->close();
  auto closed = receive(*serverGroup_);
  EXPECT_TRUE(closed && closedSignal(channel)(*closed)) << describe(closed);
  EXPECT_EQ(closed ? closed->messageId() : 0u, 4242u);
}

}  // namespace tofu::test
