// echo_client: connects to an echo server (echo_server or `tofu-cli listen ADDRESS --echo`),
// sends N Requests one after another, checks that each Response echoes its Request, and
// closes the connection gracefully.
//
//   echo_client ADDRESS [--messages N]
//
// Exits 0 when every message came back intact, 1 with a one-line reason otherwise.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <tofu/tofu.h>

namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kTimeout = std::chrono::seconds(10);  // for each answer we wait for

// The next message for `group`, or null when `deadline` passes first.
tofu::MessagePtr receiveBefore(tofu::ChannelGroup& group, Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(deadline - Clock::now());
  tofu::Result<tofu::MessagePtr> received =
      group.waitReceive(left.count() > 0 ? static_cast<std::uint64_t>(left.count()) : 0);
  return received.ok() ? std::move(received).value() : nullptr;
}

// Waits for a message from the peer with opcode `wanted`. Engine notifications with a failure
// status (connect_failed, peer_disconnected, ...) mean the channel is lost.
tofu::MessagePtr await(tofu::ChannelGroup& group, tofu::OpCode wanted) {
  const Clock::time_point deadline = Clock::now() + kTimeout;
  while (tofu::MessagePtr message = receiveBefore(group, deadline)) {
    if (message->isFromEngine() && isFailure(message->status())) {
      std::fprintf(stderr, "echo_client: waiting for %s: %s (%s)\n", tofu::toString(wanted),
                   tofu::toString(message->status()), tofu::describe(message->status()));
      return nullptr;
    }
    if (message->opCode() == wanted) return message;
  }
  std::fprintf(stderr, "echo_client: no %s within %lld s\n", tofu::toString(wanted),
               static_cast<long long>(kTimeout.count()));
  return nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: echo_client ADDRESS [--messages N]\n");
    return 2;
  }
  const tofu::Result<tofu::Address> peer = tofu::Address::parse(argv[1]);
  const long messages = argc >= 4 && std::string_view(argv[2]) == "--messages" ? std::strtol(argv[3], nullptr, 10) : 3;
  if (!peer.ok()) {
    std::fprintf(stderr, "echo_client: bad address %s\n", argv[1]);
    return 2;
  }

  auto engine = tofu::Reactor::create();
  if (!engine.ok()) return EXIT_FAILURE;
  tofu::Ampe& ampe = engine.value()->ampe();
  tofu::ChannelGroup& group = *ampe.create().value();

  // Connecting is a message: a HelloRequest carrying a ~connect_to header. enqueueToPeer
  // returns at once with the new channel's number; the server's HelloResponse says we are in.
  tofu::MessagePtr hello = ampe.get(tofu::AllocationStrategy::always).value();
  (void)tofu::prepareHelloRequest(*hello, peer.value());  // cannot fail: the address parsed
  const tofu::Result<tofu::BinaryHeader> connecting = group.enqueueToPeer(hello);
  if (!connecting.ok()) return EXIT_FAILURE;
  const std::uint16_t channel = connecting.value().channelNumber;
  tofu::MessagePtr welcome = await(group, tofu::OpCode::HelloResponse);
  if (!welcome) return EXIT_FAILURE;
  ampe.put(welcome);

  for (long i = 1; i <= messages; ++i) {
    const std::string body = "message " + std::to_string(i);
    tofu::MessagePtr request = ampe.get(tofu::AllocationStrategy::always).value();
    request->setChannelNumber(channel);  // a fresh message is a Request on channel 0
    (void)request->headers().append("sequence", std::to_string(i));
    request->body().assign(body);
    // The engine gives the request a process-wide unique id; the Response carries it back.
    const tofu::Result<tofu::BinaryHeader> sent = group.enqueueToPeer(request);
    if (!sent.ok()) return EXIT_FAILURE;

    tofu::MessagePtr response = await(group, tofu::OpCode::Response);
    if (!response) return EXIT_FAILURE;
    std::string headers;
    for (const tofu::TextHeader& header : response->headers()) {
      headers += (headers.empty() ? "" : " ") + std::string(header.name) + ":" + std::string(header.value);
    }
    std::printf("response id=%llu body=\"%s\" headers=[%s]\n",
                static_cast<unsigned long long>(response->messageId()),
                std::string(response->body().view()).c_str(), headers.c_str());
    const bool intact = response->messageId() == sent.value().messageId && response->body().view() == body;
    ampe.put(response);
    if (!intact) {
      std::fprintf(stderr, "echo_client: response %ld does not echo its request\n", i);
      return EXIT_FAILURE;
    }
  }

  // Graceful close: ByeRequest, the server's ByeResponse, then the engine's Signal(channel_closed).
  tofu::MessagePtr bye = ampe.get(tofu::AllocationStrategy::always).value();
  bye->setOpCode(tofu::OpCode::ByeRequest);
  bye->setChannelNumber(channel);
  if (!group.enqueueToPeer(bye).ok()) return EXIT_FAILURE;
  tofu::MessagePtr byeResponse = await(group, tofu::OpCode::ByeResponse);
  if (!byeResponse) return EXIT_FAILURE;
  ampe.put(byeResponse);
  const Clock::time_point deadline = Clock::now() + kTimeout;
  bool closed = false;
  while (!closed) {
    tofu::MessagePtr message = receiveBefore(group, deadline);
    if (!message) {
      std::fprintf(stderr, "echo_client: the channel did not close\n");
      return EXIT_FAILURE;
    }
    closed = message->isFromEngine() && message->status() == tofu::Status::channel_closed;
    ampe.put(message);
  }

  std::printf("echoed %ld messages\n", messages);
  return EXIT_SUCCESS;
}
