#include "flood.h"

#include <chrono>
#include <cstdio>

#include "tofu/address.h"

namespace tofu::bench {

FloodSender::FloodSender(const Options& options, std::string address, std::uint64_t count) {
  Result<std::unique_ptr<Reactor>> created = Reactor::create(options);
  if (!created.ok()) {
    failed_ = true;
    return;
  }
  reactor_ = std::move(created).value();
  thread_ = std::thread([this, address = std::move(address), count] { run(address, count); });
}

FloodSender::~FloodSender() {
  stop_ = true;
  if (thread_.joinable()) {
    thread_.join();
  }
}

void FloodSender::run(const std::string& address, std::uint64_t count) {
  Ampe& ampe = reactor_->ampe();
  Result<ChannelGroup*> group = ampe.create();
  const Result<Address> peer = Address::parse(address);
  MessagePtr message = ampe.get(AllocationStrategy::always).value();
  if (!group.ok() || !peer.ok() || prepareHelloRequest(*message, peer.value()) != Status::success) {
    failed_ = true;
    return;
  }
  const Result<BinaryHeader> hello = group.value()->enqueueToPeer(message);
  failed_ = !hello.ok();
  const std::string body(64, 'x');
  for (std::uint64_t sent = 0; sent < count && !stop_ && !failed_;) {
    if (!message) {
      message = ampe.get(AllocationStrategy::always).value();
      message->setChannelNumber(hello.value().channelNumber);
      message->body().assign(body);
    }
    const Result<BinaryHeader> posted = group.value()->enqueueToPeer(message);
    if (posted.ok()) {
      ++sent;
    } else if (posted.status() == Status::notification_failed) {
      std::this_thread::sleep_for(std::chrono::microseconds(50));  // send queue full
    } else {
      failed_ = true;
    }
  }
  ampe.put(message);
  while (!stop_) {
    Result<MessagePtr> received = group.value()->waitReceive(10'000'000);
    if (!received.ok()) {
      return;
    }
    ampe.put(received.value());
  }
}

Span runPlainLoop(const Options& options, std::uint64_t count) {
  Span span;
  Result<std::unique_ptr<Reactor>> created = Reactor::create(options);
  if (!created.ok()) {
    std::fprintf(stderr, "plain loop: no engine: %s\n", toString(created.status()));
    return span;
  }
  std::unique_ptr<Reactor> reactor = std::move(created).value();
  Ampe& ampe = reactor->ampe();
  Result<ChannelGroup*> made = ampe.create();
  if (!made.ok()) {
    std::fprintf(stderr, "plain loop: no channel group: %s\n", toString(made.status()));
    return span;
  }
  ChannelGroup* group = made.value();
  MessagePtr welcome = ampe.get(AllocationStrategy::always).value();
  (void)prepareWelcomeRequest(*welcome, Address::tcp("127.0.0.1", 0));
  (void)group->enqueueToPeer(welcome);
  std::string bound;
  while (bound.empty()) {
    Result<MessagePtr> received = group->waitReceive(kWaitReceiveSecondTimeout);
    if (!received.ok() || !received.value()) {
      std::fprintf(stderr, "plain loop: no WelcomeResponse\n");
      return span;
    }
    bound = std::string(received.value()->headers().find(kListenOnHeader).value_or(""));
    ampe.put(received.value());
  }
  FloodSender sender(options, bound, count);
  std::thread receiver([&] {
    while (span.count < count) {
      Result<MessagePtr> received = group->waitReceive(kWaitReceiveSecondTimeout * 5);
      if (!received.ok() || !received.value()) {
        return;  // stalled: reported as a short count
      }
      MessagePtr message = std::move(received).value();
      if (message->opCode() == OpCode::Request) {
        span.lastNs = monotonicNowNs();
        span.firstNs = span.count++ == 0 ? span.lastNs : span.firstNs;
      } else if (message->opCode() == OpCode::HelloRequest && !message->isFromEngine()) {
        // B15: the sender's Requests are held until its HelloRequest is answered.
        message->setOpCode(OpCode::HelloResponse);
        message->headers().reset();
        message->body().reset();
        if (group->enqueueToPeer(message).ok()) {
          continue;
        }
      }
      ampe.put(message);
    }
  });
  receiver.join();
  return span;
}

}  // namespace tofu::bench
