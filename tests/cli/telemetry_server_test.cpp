// The telemetry server in-process (docs/telemetry.md): a monitor engine talks the protocol by
// hand to an observed engine, so every header, frame and JSON field is checked as documented.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <unistd.h>

#include "tofu/telemetry/json_value.h"
#include "tofu/tofu.h"

#include "engine_harness.h"

namespace tofu::cli::testing {
namespace {

using telemetry::JsonValue;

using test::defaultTimeout;
using test::receiveMatching;

// A TCP endpoint is served only with a token (docs/telemetry.md, "Access and limits").
constexpr const char* kToken = "test-token";

Options observedOptions(const std::string& telemetryAddress) {
  Options options;
  options.telemetryAddress = telemetryAddress;
  options.telemetryToken = kToken;
  options.telemetryFromEnvironment = false;
  return options;
}

Options quietOptions() {
  Options options;
  options.telemetryFromEnvironment = false;
  return options;
}

std::string header(const Message& message, std::string_view name) {
  return std::string(message.headers().find(name).value_or("<absent>"));
}

// Sets an environment variable for the scope, as the engine reads it at Reactor::create.
class ScopedEnvironment {
 public:
  ScopedEnvironment(const char* name, const std::string& value) : name_(name) {
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnvironment() { ::unsetenv(name_); }
  ScopedEnvironment(const ScopedEnvironment&) = delete;
  ScopedEnvironment& operator=(const ScopedEnvironment&) = delete;

 private:
  const char* name_;
};

// One monitor connection to a telemetry endpoint.
class Monitor {
 public:
  explicit Monitor(const std::string& address, const Options& options = quietOptions())
      : engine_(options), group_(engine_.group()) {
    const Result<Address> parsed = Address::parse(address);
    EXPECT_TRUE(parsed.ok()) << address;
    if (!parsed.ok()) return;
    MessagePtr request = test::helloRequest(engine_.ampe(), parsed.value());
    EXPECT_EQ(request->headers().append("telemetry-token", kToken), HeaderCheck::ok);
    channel_ = test::post(group_, std::move(request)).channelNumber;
    MessagePtr hello = receiveMatching(group_, test::withOpCode(OpCode::HelloResponse));
    if (!hello) return;
    EXPECT_FALSE(hello->isFromEngine()) << test::describe(hello);
    helloVersion = header(*hello, "telemetry-version");
    helloKind = header(*hello, "telemetry");
    engine_.ampe().put(hello);
  }

  std::string helloVersion;
  std::string helloKind;

  // Posts a Request with `headers`; returns its id.
  std::uint64_t request(const std::vector<std::pair<std::string, std::string>>& headers) {
    MessagePtr message = test::newMessage(engine_.ampe());
    message->setChannelNumber(channel_);
    for (const auto& [name, value] : headers)
      EXPECT_EQ(message->headers().append(name, value), HeaderCheck::ok);
    return test::post(group_, std::move(message)).messageId;
  }

  // The frames of message `id` with `op` up to the one with more=0.
  std::vector<MessagePtr> frames(OpCode op, std::optional<std::uint64_t> id = std::nullopt,
                                 std::string_view kind = {}) {
    std::vector<MessagePtr> frames;
    for (;;) {
      MessagePtr frame = receiveMatching(group_, [&](const Message& m) {
        return !m.isFromEngine() && m.opCode() == op && (!id || m.messageId() == *id) &&
               (kind.empty() || m.headers().find("telemetry") == kind);
      });
      if (!frame) return frames;
      if (!id) id = frame->messageId();
      const bool last = !frame->hasMore();
      frames.push_back(std::move(frame));
      if (last) return frames;
    }
  }

  static std::optional<JsonValue> json(const std::vector<MessagePtr>& frames) {
    std::string text;
    for (const MessagePtr& frame : frames) text.append(frame->body().view());
    std::string error;
    std::optional<JsonValue> value = JsonValue::parse(text, &error);
    EXPECT_TRUE(value) << error << "\n" << text;
    return value;
  }

  ChannelGroup& group() { return group_; }

 private:
  test::Engine engine_;
  ChannelGroup& group_;
  std::uint16_t channel_ = 0;
};

TEST(TelemetryServerTest, SnapshotDoesNotShowTheTelemetryConnection) {
  test::Engine observed(observedOptions(test::listenAddress(test::Transport::uds).toString()));
  ASSERT_TRUE(observed.ok());
  const std::string address = observed.ampe().telemetryAddress();
  ASSERT_FALSE(address.empty());
  Monitor monitor(address);
  EXPECT_EQ(monitor.helloVersion, "1");
  EXPECT_EQ(monitor.helloKind, "hello");

  const std::uint64_t id = monitor.request({{"telemetry-version", "1"}, {"telemetry", "snapshot"}});
  const std::vector<MessagePtr> frames = monitor.frames(OpCode::Response, id);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(header(*frames[0], "telemetry-version"), "1");
  EXPECT_EQ(header(*frames[0], "telemetry"), "snapshot");
  const std::optional<JsonValue> snapshot = Monitor::json(frames);
  ASSERT_TRUE(snapshot);
  EXPECT_EQ(snapshot->uintAt("telemetryVersion"), 1u);
  EXPECT_EQ(snapshot->stringAt("telemetryAddress"), address);
  EXPECT_EQ(snapshot->uintAt("engineId"), observed.ampe().engineId());
  EXPECT_TRUE(snapshot->find("channels")->items().empty());
  EXPECT_EQ(snapshot->find("totals")->uintAt("framesRead"), 0u);
  EXPECT_EQ(snapshot->find("totals")->uintAt("channelsOpened"), 0u);
  // The engine's own view agrees: the monitor's channel belongs to another engine.
  const Result<EngineSnapshot> direct = observed.ampe().snapshot();
  ASSERT_TRUE(direct.ok());
  EXPECT_TRUE(direct.value().channels.empty());
  EXPECT_EQ(observed.ampe().counters().framesWritten, 0u);
}

TEST(TelemetryServerTest, SubscribersGetEventsAndSnapshots) {
  test::Engine observed(observedOptions("tcp|127.0.0.1|0"));
  ASSERT_TRUE(observed.ok());
  Monitor monitor(observed.ampe().telemetryAddress());
  const std::uint64_t id = monitor.request({{"telemetry-version", "1"}, {"telemetry", "subscribe"}});
  ASSERT_EQ(monitor.frames(OpCode::Response, id).size(), 1u);
  ASSERT_TRUE(Monitor::json(monitor.frames(OpCode::Signal, std::nullopt, "snapshot")));

  // Application traffic on the observed engine: a listener, a connection, one Request.
  ChannelGroup& app = observed.group();
  const test::Listening listening =
      test::listen(observed.ampe(), app, test::listenAddress(test::Transport::tcp));
  const test::Connection pair =
      test::connectPair(observed.ampe(), app, observed.ampe(), app, listening.bound);
  ASSERT_TRUE(pair.ok());
  test::post(app, test::request(observed.ampe(), pair.clientChannel, "ping"));
  ASSERT_TRUE(receiveMatching(app, test::withOpCode(OpCode::Request)));

  // Events arrive as JSON Lines; wait until the Request's delivery shows up.
  bool sawRequest = false;
  bool sawState = false;
  while (!sawRequest) {
    const std::vector<MessagePtr> batch = monitor.frames(OpCode::Signal, std::nullopt, "events");
    ASSERT_EQ(batch.size(), 1u) << "event batches are single frames";
    EXPECT_EQ(header(*batch[0], "dropped"), "0");
    const std::string_view body = batch[0]->body().view();
    ASSERT_TRUE(body.ends_with('\n'));
    for (std::size_t start = 0; start < body.size();) {
      const std::size_t end = body.find('\n', start);
      const std::optional<JsonValue> event = JsonValue::parse(body.substr(start, end - start));
      ASSERT_TRUE(event && event->isObject()) << body.substr(start, end - start);
      EXPECT_EQ(event->uintAt("engineId"), observed.ampe().engineId());
      sawState = sawState || event->stringAt("kind") == "channel_state";
      sawRequest = sawRequest || (event->stringAt("kind") == "message_received" &&
                                  event->stringAt("opCode") == "Request" && event->uintAt("bodyLen") == 4);
      start = end + 1;
    }
  }
  EXPECT_TRUE(sawState);
  // The periodic snapshot (every second) shows the three application channels only.
  const std::optional<JsonValue> periodic =
      Monitor::json(monitor.frames(OpCode::Signal, std::nullopt, "snapshot"));
  ASSERT_TRUE(periodic);
  EXPECT_EQ(periodic->find("channels")->items().size(), 3u);

  const std::uint64_t bye = monitor.request({{"telemetry-version", "1"}, {"telemetry", "unsubscribe"}});
  EXPECT_EQ(monitor.frames(OpCode::Response, bye).size(), 1u);
}

// The message_received event of the first Request whose body is `bodyLen` bytes, from the
// monitor's event batches (payload lines may span frames: they are joined).
std::optional<JsonValue> receivedRequest(Monitor& monitor, std::uint64_t bodyLen) {
  for (;;) {
    const std::vector<MessagePtr> batch = monitor.frames(OpCode::Signal, std::nullopt, "events");
    if (batch.empty()) return std::nullopt;
    std::string body;
    for (const MessagePtr& frame : batch) body.append(frame->body().view());
    for (std::size_t start = 0; start < body.size();) {
      const std::size_t end = body.find('\n', start);
      std::optional<JsonValue> event = JsonValue::parse(std::string_view(body).substr(start, end - start));
      if (event && event->stringAt("kind") == "message_received" && event->stringAt("opCode") == "Request" &&
          event->uintAt("bodyLen") == bodyLen)
        return event;
      start = end + 1;
    }
  }
}

TEST(TelemetryServerTest, PayloadsGoToMonitorsThatAskUpToTheBodyLimit) {
  Options options = observedOptions(test::listenAddress(test::Transport::uds).toString());
  options.telemetryBodyLimit = 100;
  test::Engine observed(options);
  ASSERT_TRUE(observed.ok());
  Monitor plain(observed.ampe().telemetryAddress());
  Monitor asking(observed.ampe().telemetryAddress());
  const std::uint64_t plainId = plain.request({{"telemetry-version", "1"}, {"telemetry", "subscribe"}});
  ASSERT_EQ(plain.frames(OpCode::Response, plainId).size(), 1u);
  const std::uint64_t askingId = asking.request(
      {{"telemetry-version", "1"}, {"telemetry", "subscribe"}, {"telemetry-payloads", "1"}});
  ASSERT_EQ(asking.frames(OpCode::Response, askingId).size(), 1u);
  const std::optional<JsonValue> snapshot = Monitor::json(asking.frames(OpCode::Signal, std::nullopt, "snapshot"));
  ASSERT_TRUE(snapshot);
  EXPECT_EQ(snapshot->uintAt("bodyLimit"), 100u);
  EXPECT_EQ(snapshot->intAt("processId"), static_cast<std::int64_t>(::getpid()));
  EXPECT_FALSE(snapshot->stringAt("processName").empty());
  EXPECT_GT(snapshot->intAt("processStartedUnixMs"), 1'600'000'000'000);

  ChannelGroup& app = observed.group();
  const test::Listening listening = test::listen(observed.ampe(), app, test::listenAddress(test::Transport::tcp));
  const test::Connection pair = test::connectPair(observed.ampe(), app, observed.ampe(), app, listening.bound);
  ASSERT_TRUE(pair.ok());
  MessagePtr request = test::request(observed.ampe(), pair.clientChannel, std::string(300, 'x'));
  ASSERT_EQ(request->headers().append("needle", "yes"), HeaderCheck::ok);
  test::post(app, std::move(request));
  ASSERT_TRUE(receiveMatching(app, test::withOpCode(OpCode::Request)));

  const std::optional<JsonValue> withPayload = receivedRequest(asking, 300);
  ASSERT_TRUE(withPayload);
  EXPECT_NE(withPayload->stringAt("textHeaders").find("needle:yes"), std::string::npos);
  EXPECT_EQ(withPayload->uintAt("bodySentLen"), 100u);
  std::string hundredXs;  // base64 of 100 'x': 33 times "xxx", then "x"
  for (int i = 0; i < 33; ++i) hundredXs += "eHh4";
  EXPECT_EQ(withPayload->stringAt("bodyBase64"), hundredXs + "eA==");
  const std::optional<JsonValue> withoutPayload = receivedRequest(plain, 300);
  ASSERT_TRUE(withoutPayload);
  EXPECT_EQ(withoutPayload->find("textHeaders"), nullptr);
  EXPECT_EQ(withoutPayload->find("bodyBase64"), nullptr);
}

// A monitor that reads, but slower than the events come (a GUI busy for a moment, under a flood
// with payloads), keeps its connection, and every event of the flood either reaches it or is
// counted in `dropped`. (It was cut: the guard drops a monitor whose unsent output passes
// 1 MiB, and a 100 ms batch of payloads is many times that; the monitor then resubscribed
// several times a second and saw 1-2 % of the events.) Under ThreadSanitizer the flood can be
// slow enough for the monitor to keep up; then nothing is dropped, and nothing may be lost.
TEST(TelemetryServerTest, AMonitorSlowerThanAPayloadFloodLosesEventsCountedNotItsConnection) {
  test::Engine observed(observedOptions(test::listenAddress(test::Transport::uds).toString()));
  ASSERT_TRUE(observed.ok());
  Options slowReader = quietOptions();
  slowReader.receiveBudgetBytes = 256 * 1024;
  Monitor monitor(observed.ampe().telemetryAddress(), slowReader);
  const std::uint64_t id = monitor.request(
      {{"telemetry-version", "1"}, {"telemetry", "subscribe"}, {"telemetry-payloads", "1"}});
  ASSERT_EQ(monitor.frames(OpCode::Response, id).size(), 1u);

  ChannelGroup& app = observed.group();
  const test::Listening listening = test::listen(observed.ampe(), app, test::listenAddress(test::Transport::tcp));
  const test::Connection pair = test::connectPair(observed.ampe(), app, observed.ampe(), app, listening.bound);
  ASSERT_TRUE(pair.ok());
  // 100 Requests of 60,000 bytes: two events each with the body in base64, about 16 MB of
  // event lines, while the monitor reads nothing, then nothing for three of the guard's sweeps.
  constexpr std::size_t kRequests = 100;
  for (std::size_t i = 0; i < kRequests; ++i) {
    test::post(app, test::request(observed.ampe(), pair.clientChannel, std::string(60'000, 'f')));
    MessagePtr received = receiveMatching(app, test::withOpCode(OpCode::Request));
    ASSERT_TRUE(received);
    observed.ampe().put(received);
  }
  std::this_thread::sleep_for(3 * std::chrono::milliseconds(250));  // the monitor's "GUI" is busy

  // It reads again, until the batches stop: each Request's receipt is seen or counted.
  std::set<std::uint64_t> seen;  // message ids of the 60,000-byte Requests received
  std::uint64_t dropped = 0;
  std::string lines;  // of one events message, whose payload lines span frames
  // Until no events for a second (scaled): snapshots keep coming every second, so they do not
  // count, and the first batch may take a while on a loaded machine.
  using SteadyDuration = std::chrono::steady_clock::duration;
  const auto quiet = std::chrono::duration_cast<SteadyDuration>(10 * test::quietPeriod());
  auto lastEvents = std::chrono::steady_clock::now() - quiet +
                    std::chrono::duration_cast<SteadyDuration>(test::defaultTimeout());
  for (;;) {
    const auto left = lastEvents + quiet - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero()) break;
    MessagePtr frame =
        test::tryReceive(monitor.group(), std::chrono::duration_cast<std::chrono::milliseconds>(left) +
                                              std::chrono::milliseconds(1));
    if (!frame) break;
    if (frame->isFromEngine() && frame->status() == Status::channel_closed) {
      ADD_FAILURE() << "the monitor's channel was closed: " << test::describe(frame);
      break;
    }
    if (!frame->isFromEngine() && header(*frame, "telemetry") == "events") {  // not a pool notice
      lastEvents = std::chrono::steady_clock::now();
      if (const auto count = frame->headers().find("dropped"))
        dropped = std::max<std::uint64_t>(dropped, std::stoull(std::string(*count)));
      lines.append(frame->body().view());
    }
    if (!frame->isFromEngine() && !frame->hasMore()) {
      const std::string_view body = lines;
      for (std::size_t start = 0; start < body.size();) {
        const std::size_t end = body.find('\n', start);
        const std::optional<JsonValue> event = JsonValue::parse(body.substr(start, end - start));
        if (event && event->stringAt("kind") == "message_received" && event->uintAt("bodyLen") == 60'000)
          seen.insert(event->uintAt("messageId"));
        if (end == std::string_view::npos) break;
        start = end + 1;
      }
      lines.clear();
    }
    observed.ampe().put(frame);
  }
  EXPECT_TRUE(seen.size() == kRequests || dropped > 0)
      << seen.size() << " of " << kRequests << " receipts seen and none counted as dropped";
  // Still subscribed: a Request made now reaches it, payload and all.
  test::post(app, test::request(observed.ampe(), pair.clientChannel, "after the flood"));
  ASSERT_TRUE(receiveMatching(app, test::withOpCode(OpCode::Request)));
  const std::optional<JsonValue> after = receivedRequest(monitor, 15);
  ASSERT_TRUE(after) << "the monitor no longer gets events";
  EXPECT_EQ(after->stringAt("bodyBase64"), "YWZ0ZXIgdGhlIGZsb29k");
}

TEST(TelemetryServerTest, LargeSnapshotIsSplitWithTheMoreFlag) {
  test::Engine observed(observedOptions(test::listenAddress(test::Transport::uds).toString()));
  ASSERT_TRUE(observed.ok());
  ChannelGroup& app = observed.group();
  constexpr std::size_t kListeners = 250;  // about 400 bytes of JSON each: well over 65535
  for (std::size_t i = 0; i < kListeners; ++i) {
    ASSERT_NE(test::listen(observed.ampe(), app, Address::tcp("127.0.0.1", 0)).channel, 0);
  }
  Monitor monitor(observed.ampe().telemetryAddress());
  const std::uint64_t id = monitor.request({{"telemetry-version", "1"}, {"telemetry", "snapshot"}});
  const std::vector<MessagePtr> frames = monitor.frames(OpCode::Response, id);
  ASSERT_GE(frames.size(), 2u);
  for (std::size_t i = 0; i < frames.size(); ++i) {
    EXPECT_EQ(frames[i]->messageId(), id);
    EXPECT_EQ(frames[i]->hasMore(), i + 1 < frames.size());
    EXPECT_EQ(header(*frames[i], "telemetry"), "snapshot");
    if (i + 1 < frames.size()) {
      EXPECT_EQ(frames[i]->body().size(), 65535u);
    }
  }
  const std::optional<JsonValue> snapshot = Monitor::json(frames);
  ASSERT_TRUE(snapshot);
  EXPECT_EQ(snapshot->find("channels")->items().size(), kListeners);
}

TEST(TelemetryServerTest, BadRequestsGetAnErrorHeader) {
  test::Engine observed(observedOptions(test::listenAddress(test::Transport::uds).toString()));
  ASSERT_TRUE(observed.ok());
  Monitor monitor(observed.ampe().telemetryAddress());

  std::uint64_t id = monitor.request({{"telemetry-version", "1"}, {"telemetry", "bogus"}});
  std::vector<MessagePtr> frames = monitor.frames(OpCode::Response, id);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(header(*frames[0], "telemetry-error"), "unknown request");
  EXPECT_EQ(header(*frames[0], "telemetry"), "bogus");
  EXPECT_TRUE(frames[0]->body().empty());

  id = monitor.request({{"telemetry-version", "2"}, {"telemetry", "snapshot"}});
  frames = monitor.frames(OpCode::Response, id);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(header(*frames[0], "telemetry-error"), "unsupported telemetry-version");
}

TEST(TelemetryServerTest, AddressFromOptionsMustWork) {
  Result<std::unique_ptr<Reactor>> bad = Reactor::create(observedOptions("bogus"));
  EXPECT_EQ(bad.status(), Status::invalid_address);

  test::Engine first(observedOptions(test::listenAddress(test::Transport::uds).toString()));
  ASSERT_TRUE(first.ok());
  Result<std::unique_ptr<Reactor>> busy = Reactor::create(observedOptions(first.ampe().telemetryAddress()));
  EXPECT_EQ(busy.status(), Status::listen_failed);
}

TEST(TelemetryServerTest, EnvironmentVariableIsReadWhenAllowed) {
  const std::string address = test::listenAddress(test::Transport::uds).toString();
  const ScopedEnvironment variable("TOFU_TELEMETRY", address);
  {
    test::Engine served;
    ASSERT_TRUE(served.ok());
    EXPECT_EQ(served.ampe().telemetryAddress(), address);
  }
  test::Engine notServed(quietOptions());
  ASSERT_TRUE(notServed.ok());
  EXPECT_EQ(notServed.ampe().telemetryAddress(), "");
  // Options win over the environment.
  test::Engine fromOptions(observedOptions("tcp|127.0.0.1|0"));
  ASSERT_TRUE(fromOptions.ok());
  EXPECT_TRUE(fromOptions.ampe().telemetryAddress().starts_with("tcp|127.0.0.1|"));
}

// Destroying the observed engine while a monitor is subscribed stops the server first and
// resets the monitor's channel; nothing hangs or touches freed memory (run under ASan).
TEST(TelemetryServerTest, EngineDestroyedWhileSubscribed) {
  auto observed =
      std::make_unique<test::Engine>(observedOptions(test::listenAddress(test::Transport::uds).toString()));
  ASSERT_TRUE(observed->ok());
  Monitor monitor(observed->ampe().telemetryAddress());
  const std::uint64_t id = monitor.request({{"telemetry-version", "1"}, {"telemetry", "subscribe"}});
  ASSERT_EQ(monitor.frames(OpCode::Response, id).size(), 1u);
  observed.reset();
  EXPECT_TRUE(receiveMatching(monitor.group(), [](const Message& m) {
    return m.isFromEngine() && m.opCode() == OpCode::Signal && m.status() == Status::channel_closed;
  }));
}

}  // namespace
}  // namespace tofu::cli::testing
