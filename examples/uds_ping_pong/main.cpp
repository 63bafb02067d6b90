// uds_ping_pong: two channel groups of one engine play ping-pong over a Unix domain socket.
// The pong side runs on its own thread with its own group (one receiving thread per group);
// the ping side sends a Signal, waits for the pong Signal, and repeats, then reports the
// average round trip.
//
//   uds_ping_pong [PATH] [--rounds N]      PATH defaults to a fresh name under $TMPDIR or /tmp
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <string>
#include <string_view>
#include <thread>

#include <tofu/tofu.h>

namespace {

// One blocking receive with a generous timeout, so a broken peer cannot hang the example.
tofu::MessagePtr receive(tofu::ChannelGroup& group) {
  tofu::Result<tofu::MessagePtr> received = group.waitReceive(5 * tofu::kWaitReceiveSecondTimeout);
  return received.ok() ? std::move(received).value() : nullptr;
}

// Turns `message` around with opcode `reply` and hands it back to the engine.
void answer(tofu::ChannelGroup& group, tofu::MessagePtr& message, tofu::OpCode reply) {
  message->setOpCode(reply);
  if (reply == tofu::OpCode::Signal) message->body().assign("pong");
  (void)group.enqueueToPeer(message);  // the peer notices if this fails
}

// The pong side: listens on `path`, reports readiness through `listening`, then answers
// HelloRequest, every Signal and the ByeRequest until its client's channel is closed.
void pong(tofu::Ampe& ampe, const std::string& path, std::promise<bool>& listening) {
  tofu::ChannelGroup& group = *ampe.create().value();
  tofu::MessagePtr welcome = ampe.get(tofu::AllocationStrategy::always).value();
  const bool prepared = tofu::prepareWelcomeRequest(*welcome, tofu::Address::uds(path)) == tofu::Status::success;
  tofu::MessagePtr reply = prepared && group.enqueueToPeer(welcome).ok() ? receive(group) : nullptr;
  const bool up = reply && reply->opCode() == tofu::OpCode::WelcomeResponse && !isFailure(reply->status());
  ampe.put(reply);
  listening.set_value(up);

  bool clientLeft = !up;
  while (!clientLeft) {
    tofu::MessagePtr message = receive(group);
    if (!message) break;  // nothing for 5 s: the ping side is gone
    if (message->isFromEngine()) {
      // Signal(channel_closed) for the client's channel ends the game; the listener stays
      // open until ampe.destroy() below aborts it.
      clientLeft = message->status() == tofu::Status::channel_closed;
    } else if (message->opCode() == tofu::OpCode::HelloRequest) {
      answer(group, message, tofu::OpCode::HelloResponse);
    } else if (message->opCode() == tofu::OpCode::Signal) {
      answer(group, message, tofu::OpCode::Signal);
    } else if (message->opCode() == tofu::OpCode::ByeRequest) {
      answer(group, message, tofu::OpCode::ByeResponse);
    }
    ampe.put(message);
  }
  (void)ampe.destroy(&group);
}

}  // namespace

int main(int argc, char** argv) {
  std::string path = tofu::testing::tempUdsPath();
  long rounds = 1000;
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]) == "--rounds" && i + 1 < argc) {
      rounds = std::strtol(argv[++i], nullptr, 10);
    } else {
      path = argv[i];
    }
  }

  auto engine = tofu::Reactor::create();
  if (!engine.ok()) return EXIT_FAILURE;
  tofu::Ampe& ampe = engine.value()->ampe();

  std::promise<bool> listening;
  std::thread pongThread(pong, std::ref(ampe), std::cref(path), std::ref(listening));
  if (!listening.get_future().get()) {
    std::fprintf(stderr, "uds_ping_pong: cannot listen on uds|%s\n", path.c_str());
    pongThread.join();
    return EXIT_FAILURE;
  }

  // The ping side: connect, then `rounds` Signals, each answered before the next one.
  tofu::ChannelGroup& group = *ampe.create().value();
  tofu::MessagePtr hello = ampe.get(tofu::AllocationStrategy::always).value();
  (void)tofu::prepareHelloRequest(*hello, tofu::Address::uds(path));
  const tofu::Result<tofu::BinaryHeader> connecting = group.enqueueToPeer(hello);
  const std::uint16_t channel = connecting.ok() ? connecting.value().channelNumber : 0;
  tofu::MessagePtr welcome = connecting.ok() ? receive(group) : nullptr;
  bool ok = welcome && welcome->opCode() == tofu::OpCode::HelloResponse && !welcome->isFromEngine();
  ampe.put(welcome);

  const auto start = std::chrono::steady_clock::now();
  long played = 0;
  for (; ok && played < rounds; ++played) {
    tofu::MessagePtr ping = ampe.get(tofu::AllocationStrategy::always).value();
    ping->setOpCode(tofu::OpCode::Signal);
    ping->setChannelNumber(channel);
    ping->body().assign("ping");
    const tofu::Result<tofu::BinaryHeader> sent = group.enqueueToPeer(ping);
    if (!sent.ok()) {
      ok = false;
      break;
    }
    const std::uint64_t id = sent.value().messageId;
    tofu::MessagePtr pongMessage = receive(group);
    // The pong comes back with the ping's id; the engine never changes ids.
    ok = pongMessage && !pongMessage->isFromEngine() && pongMessage->messageId() == id &&
         pongMessage->body().view() == "pong";
    ampe.put(pongMessage);
  }
  const auto elapsed = std::chrono::steady_clock::now() - start;

  tofu::MessagePtr bye = ampe.get(tofu::AllocationStrategy::always).value();
  bye->setOpCode(tofu::OpCode::ByeRequest);
  bye->setChannelNumber(channel);
  (void)group.enqueueToPeer(bye);
  tofu::MessagePtr byeResponse = receive(group);  // then the pong side sees channel_closed
  ok = ok && byeResponse && byeResponse->opCode() == tofu::OpCode::ByeResponse;
  ampe.put(byeResponse);
  pongThread.join();

  if (!ok) {
    std::fprintf(stderr, "uds_ping_pong: the game broke off after %ld rounds\n", played);
    return EXIT_FAILURE;
  }
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count();
  std::printf("%ld round trips over uds|%s, %lld us on average\n", played, path.c_str(),
              static_cast<long long>(rounds > 0 ? micros / rounds : 0));
  return EXIT_SUCCESS;
}
