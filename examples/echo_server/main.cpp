// echo_server: the smallest tofu server. It listens on one address, answers every Request
// with a Response that carries the same message id, text headers and body, and exits once
// N clients have closed their connections.
//
//   echo_server [ADDRESS] [--count N]
//
// ADDRESS is a tofu address header value, `tcp|HOST|PORT` or `uds|PATH` (quote it: `|` is a
// shell pipe); the default `tcp|127.0.0.1|0` takes any free port. The first line printed is
// `listening ADDRESS` with the port actually bound. Without --count it serves until Ctrl-C.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <tofu/tofu.h>

namespace {

int fail(const std::string& what, tofu::Status status) {
  std::fprintf(stderr, "echo_server: %s: %s (%s)\n", what.c_str(), tofu::toString(status),
               tofu::describe(status));
  return EXIT_FAILURE;
}

}  // namespace

int main(int argc, char** argv) {
  std::string where = "tcp|127.0.0.1|0";
  long count = 0;  // 0: serve until killed
  for (int i = 1; i < argc; ++i) {
    const std::string_view argument = argv[i];
    if (argument == "--count" && i + 1 < argc) {
      count = std::strtol(argv[++i], nullptr, 10);
    } else if (!argument.starts_with("--")) {
      where = argument;
    } else {
      std::fprintf(stderr, "usage: echo_server [ADDRESS] [--count N]\n");
      return 2;
    }
  }
  const tofu::Result<tofu::Address> address = tofu::Address::parse(where);
  if (!address.ok()) return fail("bad address " + where, address.status());

  // One engine: an I/O thread plus a message pool. The channel group is our receive queue.
  tofu::Result<std::unique_ptr<tofu::Reactor>> engine = tofu::Reactor::create();
  if (!engine.ok()) return fail("cannot start the engine", engine.status());
  tofu::Ampe& ampe = engine.value()->ampe();
  const tofu::Result<tofu::ChannelGroup*> created = ampe.create();
  if (!created.ok()) return fail("cannot create a channel group", created.status());
  tofu::ChannelGroup& group = *created.value();

  // Listening is a message too: a WelcomeRequest. Its answer (a WelcomeResponse) arrives
  // through waitReceive() like everything else.
  tofu::MessagePtr welcome = ampe.get(tofu::AllocationStrategy::always).value();
  if (const tofu::Status prepared = tofu::prepareWelcomeRequest(*welcome, address.value());
      prepared != tofu::Status::success) {
    return fail("cannot listen on " + where, prepared);
  }
  const tofu::Result<tofu::BinaryHeader> posted = group.enqueueToPeer(welcome);
  if (!posted.ok()) return fail("cannot listen on " + where, posted.status());
  const std::uint16_t listener = posted.value().channelNumber;

  long closedClients = 0;
  while (count == 0 || closedClients < count) {
    tofu::Result<tofu::MessagePtr> received = group.waitReceive(tofu::kWaitReceiveInfiniteTimeout);
    if (!received.ok()) return fail("cannot receive", received.status());
    tofu::MessagePtr message = std::move(received).value();

    if (message->channelNumber() == listener) {
      // The listener's answer. On success its ~listen_on header holds the bound port.
      if (message->opCode() != tofu::OpCode::WelcomeResponse || isFailure(message->status())) {
        return fail("cannot listen on " + where, message->status());
      }
      std::printf("listening %s\n", std::string(*message->headers().find(tofu::kListenOnHeader)).c_str());
      std::fflush(stdout);  // a script waits for this line
    } else if (message->isFromEngine()) {
      // An engine notification (origin engine). A client channel ends with
      // Signal(channel_closed); pool_empty needs nothing here, because every message we
      // receive goes back to the pool below, which lets the starving channel read again.
      if (message->opCode() == tofu::OpCode::Signal && message->status() == tofu::Status::channel_closed) {
        ++closedClients;
        std::printf("client on channel %u left\n", unsigned{message->channelNumber()});
      }
    } else {
      // A peer's message. Answer by turning it around: same channel, id, headers and body.
      tofu::OpCode reply = tofu::OpCode::Response;
      switch (message->opCode()) {
        case tofu::OpCode::HelloRequest:  // a new client: accept it
          reply = tofu::OpCode::HelloResponse;
          break;
        case tofu::OpCode::Request:
          reply = tofu::OpCode::Response;
          break;
        case tofu::OpCode::ByeRequest:  // the client closes: confirm, then the channel ends
          reply = tofu::OpCode::ByeResponse;
          break;
        default:  // Signals and anything else need no answer
          ampe.put(message);
          continue;
      }
      message->setOpCode(reply);
      // On success the engine takes the message (and clears our handle); otherwise we keep it.
      if (const tofu::Result<tofu::BinaryHeader> answered = group.enqueueToPeer(message); !answered.ok()) {
        std::fprintf(stderr, "echo_server: cannot answer: %s\n", tofu::toString(answered.status()));
      }
    }
    ampe.put(message);  // back to the pool; a no-op for a handle the engine took
  }
  std::printf("served %ld clients\n", closedClients);
  return EXIT_SUCCESS;  // ~Reactor destroys the group and joins the I/O thread
}
