// Uses the installed engine end to end: listen on a loopback port, connect to it, and get the
// HelloResponse back. Exits 0 and prints the version on success.
#include <tofu/tofu.h>

#include <cstdio>

int main() {
  auto reactor = tofu::Reactor::create();
  if (!reactor.ok()) return 1;
  tofu::Ampe& ampe = reactor.value()->ampe();
  auto group = ampe.create();
  if (!group.ok()) return 2;

  auto listen = ampe.get(tofu::AllocationStrategy::always);
  if (tofu::prepareWelcomeRequest(*listen.value(), tofu::Address::tcp("127.0.0.1", 0)) != tofu::Status::success) return 3;
  if (!group.value()->enqueueToPeer(listen.value()).ok()) return 4;
  auto welcome = group.value()->waitReceive(5 * tofu::kWaitReceiveSecondTimeout);
  if (!welcome.ok() || !welcome.value() || welcome.value()->status() != tofu::Status::success) return 5;
  // The WelcomeResponse's ~listen_on holds the port actually bound.
  auto listenOn = welcome.value()->headers().find(tofu::kListenOnHeader);
  if (!listenOn) return 6;
  auto bound = tofu::Address::parse(*listenOn);
  if (!bound.ok()) return 6;

  auto hello = ampe.get(tofu::AllocationStrategy::always);
  if (tofu::prepareHelloRequest(*hello.value(), bound.value()) != tofu::Status::success) return 7;
  if (!group.value()->enqueueToPeer(hello.value()).ok()) return 8;
  // The server side sees the HelloRequest; it answers with a HelloResponse on its channel.
  auto request = group.value()->waitReceive(5 * tofu::kWaitReceiveSecondTimeout);
  if (!request.ok() || !request.value() || request.value()->opCode() != tofu::OpCode::HelloRequest) return 9;
  request.value()->setOpCode(tofu::OpCode::HelloResponse);
  if (!group.value()->enqueueToPeer(request.value()).ok()) return 10;
  auto response = group.value()->waitReceive(5 * tofu::kWaitReceiveSecondTimeout);
  if (!response.ok() || !response.value() || response.value()->opCode() != tofu::OpCode::HelloResponse) return 11;

  ampe.put(welcome.value());
  ampe.put(response.value());
  if (ampe.destroy(group.value()) != tofu::Status::success) return 12;
  std::printf("tofu %s: connected to %s\n", TOFU_VERSION_STRING, bound.value().toString().c_str());
  return 0;
}
