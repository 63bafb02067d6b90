// Internal, not part of the API.
// Resolver: looks up TCP host names off the reactor thread (B11). Each lookup runs on a
// short-lived detached thread, so a slow DNS server never delays engine destruction; after
// shutdown() no callback runs. Any thread may call resolve(); shutdown() once, at teardown.
#pragma once

#include <functional>
#include <memory>

#include "net/socket_ops.h"
#include "tofu/address.h"

namespace tofu::detail {

class Resolver {
 public:
  using Done = std::function<void(Status, const SocketAddress&)>;

  Resolver();
  ~Resolver();
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  // Starts a lookup; `done` runs on the lookup thread, unless shutdown() came first.
  // allocation_failed if no thread could be started (done is then not called).
  Status resolve(const Address& address, Done done);

  // After this returns, no `done` is running or will run.
  void shutdown();

  // Test seam, not API: replaces the name lookup (resolveTcp) of every engine in the process,
  // so a test can make a lookup as slow as it needs (B11) without a slow DNS server. Null
  // restores resolveTcp. Thread-safe; a lookup already running keeps the function it started with.
  using Lookup = Status (*)(const Address& address, SocketAddress& out);
  static void setLookupForTesting(Lookup lookup) noexcept;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace tofu::detail
