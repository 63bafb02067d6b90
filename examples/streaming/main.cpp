// streaming: one Request, many Responses. A frame's body holds at most 65535 bytes, so a
// larger answer is sent as a stream of Responses that share the Request's message id: every
// chunk but the last has the `more` flag set, the last has more=0. The client reassembles
// the chunks and checks the result.
//
//   streaming [--size BYTES] [--chunk BYTES]
//
// Both sides run in this process (the server on a thread, each with its own channel group)
// and talk over TCP on 127.0.0.1 with a port picked by the system.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include <tofu/tofu.h>

namespace {

// The byte at `offset` of the streamed content: a pattern the client can check.
char contentAt(std::size_t offset) { return static_cast<char>('a' + offset % 26); }

tofu::MessagePtr receive(tofu::ChannelGroup& group) {
  tofu::Result<tofu::MessagePtr> received = group.waitReceive(5 * tofu::kWaitReceiveSecondTimeout);
  return received.ok() ? std::move(received).value() : nullptr;
}

// The server: answers the Request (its `size` header says how many bytes) with a stream of
// Responses of at most `chunk` bytes each, until the client's channel closes.
void serve(tofu::Ampe& ampe, std::size_t chunk, std::promise<std::string>& boundAddress) {
  tofu::ChannelGroup& group = *ampe.create().value();
  tofu::MessagePtr welcome = ampe.get(tofu::AllocationStrategy::always).value();
  (void)tofu::prepareWelcomeRequest(*welcome, tofu::Address::tcp("127.0.0.1", 0));
  (void)group.enqueueToPeer(welcome);
  tofu::MessagePtr listening = receive(group);
  const auto bound = listening ? listening->headers().find(tofu::kListenOnHeader) : std::nullopt;
  boundAddress.set_value(bound && !isFailure(listening->status()) ? std::string(*bound) : "");
  ampe.put(listening);

  bool clientLeft = !bound;
  while (!clientLeft) {
    tofu::MessagePtr message = receive(group);
    if (!message) break;
    if (message->isFromEngine()) {
      clientLeft = message->status() == tofu::Status::channel_closed;
    } else if (message->opCode() == tofu::OpCode::HelloRequest || message->opCode() == tofu::OpCode::ByeRequest) {
      tofu::OpCode reply = tofu::OpCode::HelloResponse;
      (void)tofu::echoOf(message->opCode(), reply);
      message->setOpCode(reply);
      (void)group.enqueueToPeer(message);
    } else if (message->opCode() == tofu::OpCode::Request) {
      const std::size_t size = std::stoul(std::string(message->headers().find("size").value_or("0")));
      std::size_t sent = 0;
      do {  // at least one Response, even for size 0
        const std::size_t length = std::min(chunk, size - sent);
        tofu::MessagePtr part = ampe.get(tofu::AllocationStrategy::always).value();
        part->setOpCode(tofu::OpCode::Response);
        part->setChannelNumber(message->channelNumber());
        part->setMessageId(message->messageId());  // every chunk answers the same Request
        part->setMore(sent + length < size);
        std::string bytes(length, '\0');
        for (std::size_t i = 0; i < length; ++i) bytes[i] = contentAt(sent + i);
        part->body().assign(bytes);
        // Frames of one channel are written in the order they were posted. A full send
        // queue (Options::sendQueueLimitBytes, 8 MiB) would refuse the post; not at these sizes.
        if (!group.enqueueToPeer(part).ok()) break;
        sent += length;
      } while (sent < size);
    }
    ampe.put(message);
  }
  (void)ampe.destroy(&group);
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t size = 200'000;
  std::size_t chunk = 16'384;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view option = argv[i];
    const std::size_t value = std::strtoul(argv[i + 1], nullptr, 10);
    if (option == "--size") size = value;
    if (option == "--chunk") chunk = std::min<std::size_t>(value, tofu::kMaxBodyLen);
  }
  if (chunk == 0) chunk = 1;

  auto engine = tofu::Reactor::create();
  if (!engine.ok()) return EXIT_FAILURE;
  tofu::Ampe& ampe = engine.value()->ampe();
  std::promise<std::string> boundAddress;
  std::thread server(serve, std::ref(ampe), chunk, std::ref(boundAddress));
  const std::string address = boundAddress.get_future().get();

  tofu::ChannelGroup& group = *ampe.create().value();
  tofu::MessagePtr hello = ampe.get(tofu::AllocationStrategy::always).value();
  const tofu::Result<tofu::Address> parsed = tofu::Address::parse(address);  // "" when the server failed
  bool ok = parsed.ok() && tofu::prepareHelloRequest(*hello, parsed.value()) == tofu::Status::success;
  std::uint16_t channel = 0;
  if (ok) {
    const tofu::Result<tofu::BinaryHeader> connecting = group.enqueueToPeer(hello);
    ok = connecting.ok();
    if (ok) channel = connecting.value().channelNumber;
  }
  // Requests may be queued right behind the HelloRequest: the engine sends them in order once
  // connected, so there is no need to wait for the HelloResponse first.
  tofu::MessagePtr request = ampe.get(tofu::AllocationStrategy::always).value();
  request->setChannelNumber(channel);
  (void)request->headers().append("size", std::to_string(size));
  const tofu::Result<tofu::BinaryHeader> asked = group.enqueueToPeer(request);
  ok = ok && asked.ok();

  std::string content;
  std::size_t chunks = 0;
  bool last = false;
  while (ok && !last) {
    tofu::MessagePtr message = receive(group);
    ok = message && !(message->isFromEngine() && isFailure(message->status()));
    if (ok && message->opCode() == tofu::OpCode::Response) {
      ok = message->messageId() == asked.value().messageId;
      content.append(message->body().view());
      ++chunks;
      last = !message->hasMore();  // more=0 ends the stream
    }
    ampe.put(message);  // the HelloResponse, too
  }
  for (std::size_t i = 0; ok && i < content.size(); ++i) ok = content[i] == contentAt(i);
  ok = ok && content.size() == size;

  tofu::MessagePtr bye = ampe.get(tofu::AllocationStrategy::always).value();
  bye->setOpCode(tofu::OpCode::ByeRequest);
  bye->setChannelNumber(channel);
  (void)group.enqueueToPeer(bye);
  tofu::MessagePtr byeResponse = receive(group);
  ampe.put(byeResponse);
  server.join();

  if (!ok) {
    std::fprintf(stderr, "streaming: expected %zu bytes, got %zu intact in %zu chunks\n", size, content.size(), chunks);
    return EXIT_FAILURE;
  }
  std::printf("received %zu bytes in %zu chunks of at most %zu bytes\n", content.size(), chunks, chunk);
  return EXIT_SUCCESS;
}
