// request_response: several Requests in flight at once, matched to their Responses by
// message id, each with its own deadline. The server answers each Request after the delay
// its `delay-ms` header asks for, so the Responses come back out of order, and one comes
// too late: the client gives up on it when its deadline passes.
//
//   request_response [--timeout-ms N]      default 1000
//
// Both sides run in this process (the server on a thread, each with its own channel group)
// over TCP on 127.0.0.1, port picked by the system.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include <tofu/tofu.h>

namespace {

using Clock = std::chrono::steady_clock;
using Milliseconds = std::chrono::milliseconds;

// Waits until `deadline` at most; null when it passes with nothing received.
tofu::MessagePtr receiveBefore(tofu::ChannelGroup& group, Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(deadline - Clock::now());
  tofu::Result<tofu::MessagePtr> received =
      group.waitReceive(left.count() > 0 ? static_cast<std::uint64_t>(left.count()) : 0);
  return received.ok() ? std::move(received).value() : nullptr;
}

// The server. It never sleeps: pending answers wait in `due` (ordered by due time) and
// waitReceive's timeout is the time left until the first of them.
void serve(tofu::Ampe& ampe, std::promise<std::string>& boundAddress) {
  tofu::ChannelGroup& group = *ampe.create().value();
  tofu::MessagePtr welcome = ampe.get(tofu::AllocationStrategy::always).value();
  (void)tofu::prepareWelcomeRequest(*welcome, tofu::Address::tcp("127.0.0.1", 0));
  (void)group.enqueueToPeer(welcome);
  tofu::MessagePtr listening = receiveBefore(group, Clock::now() + std::chrono::seconds(5));
  const auto bound = listening ? listening->headers().find(tofu::kListenOnHeader) : std::nullopt;
  boundAddress.set_value(bound && !isFailure(listening->status()) ? std::string(*bound) : "");
  ampe.put(listening);

  std::multimap<Clock::time_point, tofu::MessagePtr> due;
  bool clientLeft = !bound;
  const Clock::time_point giveUp = Clock::now() + std::chrono::seconds(10);
  while (!clientLeft && Clock::now() < giveUp) {
    tofu::MessagePtr message = receiveBefore(group, due.empty() ? giveUp : due.begin()->first);
    // Send every answer whose time has come.
    while (!due.empty() && due.begin()->first <= Clock::now()) {
      (void)group.enqueueToPeer(due.begin()->second);
      due.erase(due.begin());
    }
    if (!message) continue;
    if (message->isFromEngine()) {
      clientLeft = message->status() == tofu::Status::channel_closed;
    } else if (message->opCode() == tofu::OpCode::Request) {
      const auto delay = Milliseconds(std::stol(std::string(message->headers().find("delay-ms").value_or("0"))));
      message->setOpCode(tofu::OpCode::Response);  // same id: that is the correlation
      due.emplace(Clock::now() + delay, std::move(message));
    } else if (message->opCode() == tofu::OpCode::HelloRequest || message->opCode() == tofu::OpCode::ByeRequest) {
      // The client is closing: answers it no longer waits for are dropped (the engine would
      // return them with channel_closed once the ByeResponse is out).
      if (message->opCode() == tofu::OpCode::ByeRequest) due.clear();
      message->setOpCode(message->opCode() == tofu::OpCode::HelloRequest ? tofu::OpCode::HelloResponse
                                                                         : tofu::OpCode::ByeResponse);
      (void)group.enqueueToPeer(message);
    }
    ampe.put(message);
  }
  (void)ampe.destroy(&group);
}

}  // namespace

int main(int argc, char** argv) {
  const auto timeout = Milliseconds(argc == 3 && std::string_view(argv[1]) == "--timeout-ms" ? std::strtol(argv[2], nullptr, 10) : 1000);
  // What each Request asks of the server; the last one answers after the client's timeout.
  const long delays[] = {300, 100, 200, 0, timeout.count() + 500};

  auto engine = tofu::Reactor::create();
  if (!engine.ok()) return EXIT_FAILURE;
  tofu::Ampe& ampe = engine.value()->ampe();
  std::promise<std::string> boundAddress;
  std::thread server(serve, std::ref(ampe), std::ref(boundAddress));
  const tofu::Result<tofu::Address> address = tofu::Address::parse(boundAddress.get_future().get());

  tofu::ChannelGroup& group = *ampe.create().value();
  tofu::MessagePtr hello = ampe.get(tofu::AllocationStrategy::always).value();
  if (!address.ok() || tofu::prepareHelloRequest(*hello, address.value()) != tofu::Status::success) {
    server.join();
    return EXIT_FAILURE;
  }
  const tofu::Result<tofu::BinaryHeader> connecting = group.enqueueToPeer(hello);
  if (!connecting.ok()) {
    std::fprintf(stderr, "request_response: cannot connect: %s\n", tofu::describe(connecting.status()));
    server.join();
    return EXIT_FAILURE;
  }
  const std::uint16_t channel = connecting.value().channelNumber;

  // Send them all at once. `pending` maps each message id to its deadline and delay.
  struct Pending {
    Clock::time_point sentAt;
    Clock::time_point deadline;
    long delayMs;
  };
  std::map<std::uint64_t, Pending> pending;
  bool ok = true;
  for (const long delay : delays) {
    tofu::MessagePtr request = ampe.get(tofu::AllocationStrategy::always).value();
    request->setChannelNumber(channel);
    (void)request->headers().append("delay-ms", std::to_string(delay));
    const tofu::Result<tofu::BinaryHeader> sent = group.enqueueToPeer(request);
    if (!sent.ok()) {
      std::fprintf(stderr, "request_response: cannot send a request: %s\n", tofu::describe(sent.status()));
      ok = false;
      break;
    }
    const std::uint64_t id = sent.value().messageId;
    pending[id] = {Clock::now(), Clock::now() + timeout, delay};
    std::printf("request id=%llu asks for a %ld ms delay\n", static_cast<unsigned long long>(id), delay);
  }

  int answered = 0;
  int timedOut = 0;
  while (ok && !pending.empty()) {
    // Wait no longer than the earliest deadline among the requests still pending.
    Clock::time_point earliest = Clock::time_point::max();
    for (const auto& [id, request] : pending) earliest = std::min(earliest, request.deadline);
    tofu::MessagePtr message = receiveBefore(group, earliest);
    if (message && message->isFromEngine() && isFailure(message->status())) {
      std::fprintf(stderr, "request_response: %s\n", tofu::describe(message->status()));
      ok = false;
    } else if (message && message->opCode() == tofu::OpCode::Response) {
      // Correlation: the Response carries the id of the Request it answers.
      const auto found = pending.find(message->messageId());
      if (found != pending.end()) {
        const auto took = std::chrono::duration_cast<Milliseconds>(Clock::now() - found->second.sentAt);
        std::printf("response id=%llu after %lld ms\n", static_cast<unsigned long long>(found->first),
                    static_cast<long long>(took.count()));
        ok = found->second.delayMs < timeout.count();
        ++answered;
        pending.erase(found);
      }
    }
    ampe.put(message);  // the HelloResponse too
    for (auto it = pending.begin(); it != pending.end();) {
      if (it->second.deadline > Clock::now()) {
        ++it;
        continue;
      }
      std::printf("request id=%llu timed out after %lld ms\n", static_cast<unsigned long long>(it->first),
                  static_cast<long long>(timeout.count()));
      ok = ok && it->second.delayMs >= timeout.count();
      ++timedOut;
      it = pending.erase(it);
    }
  }

  tofu::MessagePtr bye = ampe.get(tofu::AllocationStrategy::always).value();
  bye->setOpCode(tofu::OpCode::ByeRequest);
  bye->setChannelNumber(channel);
  (void)group.enqueueToPeer(bye);
  // A late Response may still arrive before the ByeResponse.
  for (bool byeAnswered = false; !byeAnswered;) {
    tofu::MessagePtr message = receiveBefore(group, Clock::now() + std::chrono::seconds(5));
    byeAnswered = !message || message->opCode() == tofu::OpCode::ByeResponse;
    ampe.put(message);
  }
  server.join();

  std::printf("%d answered, %d timed out\n", answered, timedOut);
  if (!ok) std::fprintf(stderr, "request_response: a request ended the wrong way\n");
  return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}
