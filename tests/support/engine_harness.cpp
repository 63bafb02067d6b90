// Implementation of the shared engine test helpers (see engine_harness.h).
#include "engine_harness.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <sstream>
#include <stdexcept>
#include <utility>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "tls_certificates.h"

namespace tofu::test {
namespace {

using Clock = std::chrono::steady_clock;

// Nanoseconds left until `deadline` (0 when it passed), as waitReceive wants them.
std::uint64_t remainingNs(Clock::time_point deadline) {
  const auto left = deadline - Clock::now();
  if (left <= Clock::duration::zero()) {
    return 0;
  }
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(left).count());
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Time bounds

int timeoutScale() {
  static const int scale = [] {
    if (const char* text = std::getenv("TOFU_TEST_TIMEOUT_SCALE")) {
      const int value = std::atoi(text);
      if (value > 0) {
        return value;
      }
    }
#if defined(TOFU_SANITIZER_THREAD) || defined(TOFU_SANITIZER_ADDRESS)
    return 10;
#else
    return 1;
#endif
  }();
  return scale;
}

std::chrono::milliseconds scaled(std::chrono::milliseconds base) { return base * timeoutScale(); }

std::chrono::milliseconds defaultTimeout() { return scaled(std::chrono::milliseconds(5000)); }

std::chrono::milliseconds quietPeriod() { return scaled(std::chrono::milliseconds(100)); }

double processCpuSeconds() {
  timespec now{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) / 1e9;
}

double idleCpuShare(double base) { return std::min(base * timeoutScale(), 0.5); }

// ---------------------------------------------------------------------------------------------
// Transports

const char* toString(Transport transport) noexcept {
  switch (transport) {
    case Transport::tcp:
      return "tcp";
    case Transport::uds:
      return "uds";
    case Transport::tls:
      return "tls";
  }
  return "?";
}

void PrintTo(Transport transport, std::ostream* out) { *out << toString(transport); }

std::string TransportName::operator()(const ::testing::TestParamInfo<Transport>& info) const {
  return toString(info.param);
}

Address listenAddress(Transport transport) {
  if (transport == Transport::tcp) {
    return Address::tcp("127.0.0.1", 0);
  }
  if (transport == Transport::tls) {
    return Address::tls("127.0.0.1", 0);
  }
  return Address::uds(tofu::testing::tempUdsPath());
}

Options forTransport(Options options, Transport transport) {
  if (transport != Transport::tls) {
    return options;
  }
  const TlsCertificates& files = TlsCertificates::get();
  options.tlsCertificateChainFile = files.server.certificate;
  options.tlsPrivateKeyFile = files.server.key;
  options.tlsCaFile = files.caFile;
  return options;
}

// ---------------------------------------------------------------------------------------------
// Engines and groups

Engine::Engine(const Options& options) {
  auto created = Reactor::create(options);
  if (!created.ok()) {
    ADD_FAILURE() << "Reactor::create failed: " << toString(created.status());
    throw std::runtime_error("Reactor::create failed");
  }
  reactor_ = std::move(created).value();
}

Engine::~Engine() { shutdown(); }

Ampe& Engine::ampe() {
  if (!reactor_) {
    throw std::runtime_error("the engine is gone");
  }
  return reactor_->ampe();
}

ChannelGroup& Engine::group() {
  auto created = ampe().create();
  if (!created.ok() || created.value() == nullptr) {
    ADD_FAILURE() << "Ampe::create failed: " << toString(created.status());
    throw std::runtime_error("Ampe::create failed");
  }
  groups_.push_back(created.value());
  return *created.value();
}

void Engine::destroy(ChannelGroup& group) {
  const auto found = std::find(groups_.begin(), groups_.end(), &group);
  if (found == groups_.end()) {
    ADD_FAILURE() << "Engine::destroy: not a live group of this engine";
    return;
  }
  groups_.erase(found);
  const Status status = ampe().destroy(&group);
  EXPECT_EQ(status, Status::success) << "Ampe::destroy: " << toString(status);
}

void Engine::shutdown() {
  if (!reactor_) {
    return;
  }
  // Newest first, like nested scopes.
  while (!groups_.empty()) {
    ChannelGroup* group = groups_.back();
    groups_.pop_back();
    const Status status = reactor_->ampe().destroy(group);
    EXPECT_EQ(status, Status::success) << "Ampe::destroy at teardown: " << toString(status);
  }
  reactor_.reset();
}

// ---------------------------------------------------------------------------------------------
// Receiving

std::string describe(const Message& message) {
  std::ostringstream out;
  out << toString(message.opCode()) << " ch=" << message.channelNumber() << " id=" << message.messageId()
      << " origin=" << toString(message.origin()) << " status=" << toString(message.status())
      << " more=" << (message.hasMore() ? 1 : 0) << " thl=" << message.headers().size()
      << " bl=" << message.body().size();
  if (!message.body().empty() && message.body().size() <= 32) {
    out << " body='" << message.body().view() << "'";
  }
  return out.str();
}

std::string describe(const MessagePtr& message) { return message ? describe(*message) : "(null)"; }

namespace {

// The shared loop of receive() and tryReceive().
MessagePtr receiveImpl(ChannelGroup& group, std::chrono::milliseconds timeout, bool failOnTimeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    auto received = group.waitReceive(remainingNs(deadline));
    if (!received.ok()) {
      ADD_FAILURE() << "waitReceive failed: " << toString(received.status());
      return nullptr;
    }
    if (received.value()) {
      return std::move(received).value();
    }
    // A null before the deadline would be a spurious wake-up; keep waiting for the rest.
    if (Clock::now() >= deadline) {
      if (failOnTimeout) {
        ADD_FAILURE() << "no message within " << timeout.count() << " ms";
      }
      return nullptr;
    }
  }
}

}  // namespace

MessagePtr receive(ChannelGroup& group, std::chrono::milliseconds timeout) {
  return receiveImpl(group, timeout, true);
}

MessagePtr tryReceive(ChannelGroup& group, std::chrono::milliseconds timeout) {
  return receiveImpl(group, timeout, false);
}

MessagePtr receiveMatching(ChannelGroup& group, const MessagePredicate& predicate,
                           std::vector<MessagePtr>* skipped, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  std::string seen;
  for (;;) {
    auto message = receiveImpl(group,
                               std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::max(deadline - Clock::now(), Clock::duration::zero())),
                               false);
    if (!message) {
      ADD_FAILURE() << "no matching message within " << timeout.count() << " ms; skipped:" << seen;
      return nullptr;
    }
    if (predicate(*message)) {
      return message;
    }
    seen += "\n  " + describe(*message);
    if (skipped != nullptr) {
      skipped->push_back(std::move(message));
    }
  }
}

MessagePtr expectNothing(ChannelGroup& group, std::chrono::milliseconds period) {
  auto message = tryReceive(group, period);
  if (message) {
    ADD_FAILURE() << "unexpected message: " << describe(*message);
  }
  return message;
}

bool Recorder::until(const MessagePredicate& predicate, std::chrono::milliseconds timeout) {
  return untilCount(predicate, count(predicate) + 1, timeout);
}

bool Recorder::untilCount(const MessagePredicate& predicate, std::size_t wanted,
                          std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  std::size_t matched = count(predicate);
  while (matched < wanted) {
    auto message = tryReceive(group_, std::chrono::duration_cast<std::chrono::milliseconds>(
                                          std::max(deadline - Clock::now(), Clock::duration::zero())));
    if (!message) {
      ADD_FAILURE() << "recorder: " << matched << " of " << wanted << " matching messages within "
                    << timeout.count() << " ms; recorded:\n"
                    << dump();
      return false;
    }
    if (predicate(*message)) {
      ++matched;
    }
    messages_.push_back(std::move(message));
  }
  return true;
}

void Recorder::settle(std::chrono::milliseconds quiet) {
  while (auto message = tryReceive(group_, quiet)) {
    messages_.push_back(std::move(message));
  }
}

std::size_t Recorder::count(const MessagePredicate& predicate) const {
  return static_cast<std::size_t>(
      std::count_if(messages_.begin(), messages_.end(), [&](const MessagePtr& m) { return predicate(*m); }));
}

const Message* Recorder::find(const MessagePredicate& predicate) const {
  for (const auto& message : messages_) {
    if (predicate(*message)) {
      return message.get();
    }
  }
  return nullptr;
}

std::string Recorder::dump() const {
  std::string text;
  for (const auto& message : messages_) {
    text += "  " + describe(*message) + "\n";
  }
  return text;
}

MessagePredicate onChannel(std::uint16_t channel) {
  return [channel](const Message& m) { return m.channelNumber() == channel; };
}

MessagePredicate withOpCode(OpCode op) {
  return [op](const Message& m) { return m.opCode() == op; };
}

MessagePredicate withStatus(Status status) {
  return [status](const Message& m) { return m.status() == status; };
}

MessagePredicate withId(std::uint64_t id) {
  return [id](const Message& m) { return m.messageId() == id; };
}

MessagePredicate fromEngine() {
  return [](const Message& m) { return m.isFromEngine(); };
}

MessagePredicate closedSignal(std::uint16_t channel) {
  return [channel](const Message& m) {
    return m.channelNumber() == channel && m.opCode() == OpCode::Signal && m.isFromEngine() &&
           m.status() == Status::channel_closed;
  };
}

MessagePredicate allOf(std::vector<MessagePredicate> predicates) {
  return [predicates = std::move(predicates)](const Message& m) {
    return std::all_of(predicates.begin(), predicates.end(), [&](const MessagePredicate& p) { return p(m); });
  };
}

// ---------------------------------------------------------------------------------------------
// Messages

MessagePtr newMessage(Ampe& ampe) {
  auto got = ampe.get(AllocationStrategy::always);
  if (!got.ok() || !got.value()) {
    ADD_FAILURE() << "get(always) failed: " << toString(got.status());
    throw std::runtime_error("get(always) failed");
  }
  return std::move(got).value();
}

MessagePtr request(Ampe& ampe, std::uint16_t channel, std::string_view body, OpCode op, std::uint64_t id) {
  auto message = newMessage(ampe);
  message->header() = BinaryHeader::forOpCode(op);
  message->setChannelNumber(channel);
  message->setMessageId(id);
  message->body().assign(body);
  return message;
}

MessagePtr byeSignal(Ampe& ampe, std::uint16_t channel) {
  return request(ampe, channel, {}, OpCode::ByeSignal);
}

MessagePtr byeRequest(Ampe& ampe, std::uint16_t channel) {
  return request(ampe, channel, {}, OpCode::ByeRequest);
}

MessagePtr helloRequest(Ampe& ampe, const Address& peer) {
  auto message = newMessage(ampe);
  const Status status = prepareHelloRequest(*message, peer);
  EXPECT_EQ(status, Status::success) << "prepareHelloRequest(" << peer.toString() << ")";
  return message;
}

MessagePtr welcomeRequest(Ampe& ampe, const Address& local) {
  auto message = newMessage(ampe);
  const Status status = prepareWelcomeRequest(*message, local);
  EXPECT_EQ(status, Status::success) << "prepareWelcomeRequest(" << local.toString() << ")";
  return message;
}

MessagePtr rawAddressRequest(Ampe& ampe, OpCode op, std::string_view headerName, std::string_view value) {
  auto message = newMessage(ampe);
  message->header() = BinaryHeader::forOpCode(op);
  const HeaderCheck check = message->headers().append(headerName, value);
  EXPECT_EQ(check, HeaderCheck::ok) << "append(" << headerName << ", " << value << "): " << toString(check);
  return message;
}

BinaryHeader post(ChannelGroup& group, MessagePtr message) {
  const std::string before = describe(message);
  auto posted = group.enqueueToPeer(message);
  if (!posted.ok()) {
    ADD_FAILURE() << "enqueueToPeer(" << before << ") failed: " << toString(posted.status());
    return BinaryHeader{};
  }
  EXPECT_EQ(message, nullptr) << "a successful post must clear the handle (K5)";
  return posted.value();
}

// ---------------------------------------------------------------------------------------------
// Handshakes

Listening listen(Ampe& ampe, ChannelGroup& group, const Address& local) {
  Listening result;
  const BinaryHeader posted = post(group, welcomeRequest(ampe, local));
  if (posted.channelNumber == 0) {
    return result;
  }
  auto reply = receive(group);
  if (!reply) {
    ADD_FAILURE() << "no WelcomeResponse for " << local.toString();
    return result;
  }
  if (reply->opCode() != OpCode::WelcomeResponse || reply->status() != Status::success ||
      reply->channelNumber() != posted.channelNumber || reply->messageId() != posted.messageId) {
    ADD_FAILURE() << "listen(" << local.toString()
                  << "): expected WelcomeResponse success ch=" << posted.channelNumber
                  << " id=" << posted.messageId << ", got " << describe(*reply);
    return result;
  }
  const auto value = reply->headers().find(kListenOnHeader);
  if (!value) {
    ADD_FAILURE() << "WelcomeResponse without " << kListenOnHeader << " header";
    return result;
  }
  auto bound = Address::parse(*value);
  if (!bound.ok()) {
    ADD_FAILURE() << "WelcomeResponse ~listen_on '" << *value
                  << "' does not parse: " << toString(bound.status());
    return result;
  }
  result.bound = bound.value();
  result.channel = posted.channelNumber;
  result.messageId = posted.messageId;
  return result;
}

BinaryHeader postHello(Ampe& ampe, ChannelGroup& client, const Address& peer) {
  return post(client, helloRequest(ampe, peer));
}

BinaryHeader postFence(Ampe& ampe, ChannelGroup& group) {
  auto hello = rawAddressRequest(ampe, OpCode::HelloRequest, kConnectToHeader, "tcp|127.0.0.1|0");
  return post(group, std::move(hello));
}

std::uint16_t connect(Ampe& ampe, ChannelGroup& client, const Address& peer) {
  return postHello(ampe, client, peer).channelNumber;
}

std::uint16_t acceptHello(Ampe& ampe, ChannelGroup& server, std::chrono::milliseconds timeout,
                          std::uint64_t* helloId) {
  auto hello = receive(server, timeout);
  if (!hello) {
    ADD_FAILURE() << "no HelloRequest arrived";
    return 0;
  }
  if (hello->opCode() != OpCode::HelloRequest || hello->status() != Status::success ||
      !hello->isFromApplication() || hello->channelNumber() == 0) {
    ADD_FAILURE() << "expected a HelloRequest from a peer, got " << describe(*hello);
    return 0;
  }
  const std::uint16_t channel = hello->channelNumber();
  if (helloId != nullptr) {
    *helloId = hello->messageId();
  }
  hello->setOpCode(OpCode::HelloResponse);
  hello->headers().reset();
  hello->body().reset();
  auto posted = server.enqueueToPeer(hello);
  if (!posted.ok()) {
    ADD_FAILURE() << "posting the HelloResponse failed: " << toString(posted.status());
    ampe.put(hello);
    return 0;
  }
  return channel;
}

bool awaitHelloResponse(ChannelGroup& client, std::uint16_t channel, std::uint64_t id,
                        std::chrono::milliseconds timeout) {
  auto reply = receive(client, timeout);
  if (!reply) {
    ADD_FAILURE() << "no HelloResponse on channel " << channel;
    return false;
  }
  if (reply->opCode() != OpCode::HelloResponse || reply->status() != Status::success ||
      !reply->isFromApplication() || reply->channelNumber() != channel || reply->messageId() != id) {
    ADD_FAILURE() << "expected HelloResponse success ch=" << channel << " id=" << id << ", got "
                  << describe(*reply);
    return false;
  }
  return true;
}

Connection connectPair(Ampe& clientAmpe, ChannelGroup& client, Ampe& serverAmpe, ChannelGroup& server,
                       const Address& peer) {
  Connection connection;
  const BinaryHeader hello = postHello(clientAmpe, client, peer);
  if (hello.channelNumber == 0) {
    return connection;
  }
  std::uint64_t receivedId = 0;
  const std::uint16_t serverChannel = acceptHello(serverAmpe, server, defaultTimeout(), &receivedId);
  if (serverChannel == 0) {
    return connection;
  }
  EXPECT_EQ(receivedId, hello.messageId) << "the HelloRequest id must travel unchanged";
  if (!awaitHelloResponse(client, hello.channelNumber, hello.messageId)) {
    return connection;
  }
  connection.clientChannel = hello.channelNumber;
  connection.serverChannel = serverChannel;
  connection.helloId = hello.messageId;
  return connection;
}

// Expects a peer's application message: `op`, origin application, status success.
void expectPeerMessage(const MessagePtr& message, OpCode op, std::uint16_t channel, std::uint64_t id) {
  ASSERT_TRUE(message) << "expected " << toString(op);
  EXPECT_EQ(message->opCode(), op) << describe(message);
  EXPECT_EQ(message->origin(), Origin::application) << describe(message);
  EXPECT_EQ(message->status(), Status::success) << describe(message);
  EXPECT_EQ(message->channelNumber(), channel) << describe(message);
  EXPECT_EQ(message->messageId(), id) << describe(message);
}

std::vector<MessagePtr> receiveUntilClosed(ChannelGroup& group, std::uint16_t channel, MessagePtr* signal,
                                           std::chrono::milliseconds timeout) {
  Recorder recorder(group);
  std::vector<MessagePtr> before;
  if (!recorder.until(closedSignal(channel), timeout)) {
    return before;
  }
  for (auto& message : recorder.messages()) {
    before.push_back(std::move(message));
  }
  if (signal != nullptr) {
    *signal = std::move(before.back());
  }
  before.pop_back();
  return before;
}

Options poolOptions(std::uint16_t initial, std::uint16_t max) {
  Options options;
  options.initialPoolMsgs = initial;
  options.maxPoolMsgs = max;
  return options;
}

void expectNotification(const MessagePtr& message, OpCode op, Status status, std::uint16_t channel,
                        std::uint64_t id) {
  ASSERT_TRUE(message) << "expected " << toString(op) << "(" << toString(status) << ")";
  EXPECT_EQ(message->opCode(), op) << describe(message);
  EXPECT_EQ(message->origin(), Origin::engine) << describe(message);
  EXPECT_EQ(message->status(), status) << describe(message);
  EXPECT_EQ(message->channelNumber(), channel) << describe(message);
  EXPECT_EQ(message->messageId(), id) << describe(message);
}

void expectClosedSignal(const MessagePtr& message, std::uint16_t channel, std::uint64_t id) {
  expectNotification(message, OpCode::Signal, Status::channel_closed, channel, id);
  if (message) {
    EXPECT_TRUE(message->headers().empty()) << describe(message);
    EXPECT_TRUE(message->body().empty()) << describe(message);
  }
}

std::vector<std::uint8_t> frameBytes(const Message& message) { return encodeFrame(message); }

std::string hex(const std::vector<std::uint8_t>& bytes) {
  std::string text;
  char cell[4];
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    std::snprintf(cell, sizeof(cell), "%02x", bytes[i]);
    if (i != 0) {
      text += (i % 16 == 0) ? '\n' : ' ';
    }
    text += cell;
  }
  return text;
}

}  // namespace tofu::test
