// multi_listener: one channel group serving several listeners at once, here a TCP port and a
// Unix socket. Every channel, listener or connection, delivers into the same receive queue,
// so one loop serves them all. It echoes Requests like echo_server and adds a `served-by`
// header naming the listener the client came through.
//
//   multi_listener [--tcp ADDRESS] [--uds PATH] [--count N]
//
// Defaults: tcp|127.0.0.1|0 (any free port) and a fresh socket path under $TMPDIR or /tmp.
// Prints one `listening ADDRESS` line per listener, then exits after N clients have left.
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>

#include <tofu/tofu.h>

int main(int argc, char** argv) {
  std::string tcp = "tcp|127.0.0.1|0";
  std::string uds = "uds|" + tofu::testing::tempUdsPath();
  long count = 0;  // 0: serve until killed
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view option = argv[i];
    if (option == "--tcp") tcp = argv[i + 1];
    if (option == "--uds") uds = "uds|" + std::string(argv[i + 1]);
    if (option == "--count") count = std::strtol(argv[i + 1], nullptr, 10);
  }

  auto engine = tofu::Reactor::create();
  if (!engine.ok()) return EXIT_FAILURE;
  tofu::Ampe& ampe = engine.value()->ampe();
  tofu::ChannelGroup& group = *ampe.create().value();

  // One WelcomeRequest per listener; each gets its own channel number.
  std::map<std::uint16_t, std::string> listeners;  // channel number -> requested address
  for (const std::string& where : {tcp, uds}) {
    const tofu::Result<tofu::Address> address = tofu::Address::parse(where);
    tofu::MessagePtr welcome = ampe.get(tofu::AllocationStrategy::always).value();
    const tofu::Result<tofu::BinaryHeader> posted =
        address.ok() && tofu::prepareWelcomeRequest(*welcome, address.value()) == tofu::Status::success
            ? group.enqueueToPeer(welcome)
            : tofu::Result<tofu::BinaryHeader>(tofu::Status::invalid_address);
    if (!posted.ok()) {
      std::fprintf(stderr, "multi_listener: cannot listen on %s: %s\n", where.c_str(), tofu::toString(posted.status()));
      return EXIT_FAILURE;
    }
    listeners[posted.value().channelNumber] = where;
  }

  // Which listener each client channel came through. The server's side of a connection does
  // not say, so we go by the address the client's HelloRequest says it connected to.
  std::map<std::uint16_t, std::string> servedBy;
  long clientsLeft = 0;
  while (count == 0 || clientsLeft < count) {
    tofu::Result<tofu::MessagePtr> received = group.waitReceive(tofu::kWaitReceiveInfiniteTimeout);
    if (!received.ok()) return EXIT_FAILURE;
    tofu::MessagePtr message = std::move(received).value();
    const std::uint16_t channel = message->channelNumber();

    if (const auto listener = listeners.find(channel); listener != listeners.end()) {
      if (message->opCode() != tofu::OpCode::WelcomeResponse || isFailure(message->status())) {
        std::fprintf(stderr, "multi_listener: listener %s: %s\n", listener->second.c_str(),
                     tofu::toString(message->status()));
        return EXIT_FAILURE;
      }
      std::printf("listening %s\n", std::string(*message->headers().find(tofu::kListenOnHeader)).c_str());
      std::fflush(stdout);
    } else if (message->isFromEngine()) {
      if (message->opCode() == tofu::OpCode::Signal && message->status() == tofu::Status::channel_closed) {
        std::printf("client on channel %u (via %s) left\n", unsigned{channel}, servedBy[channel].c_str());
        servedBy.erase(channel);
        ++clientsLeft;
      }
    } else if (message->opCode() == tofu::OpCode::HelloRequest) {
      const auto connectTo = message->headers().find(tofu::kConnectToHeader);
      servedBy[channel] = connectTo ? std::string(*connectTo) : "?";
      message->setOpCode(tofu::OpCode::HelloResponse);
      (void)group.enqueueToPeer(message);
    } else if (message->opCode() == tofu::OpCode::Request) {
      message->setOpCode(tofu::OpCode::Response);
      (void)message->headers().append("served-by", servedBy[channel]);
      (void)group.enqueueToPeer(message);
    } else if (message->opCode() == tofu::OpCode::ByeRequest) {
      message->setOpCode(tofu::OpCode::ByeResponse);
      (void)group.enqueueToPeer(message);
    }
    ampe.put(message);
  }
  std::printf("served %ld clients\n", clientsLeft);
  return EXIT_SUCCESS;
}
