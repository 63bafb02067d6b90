// Internal, not part of the API.
// AmpeImpl: the Ampe behind a Reactor. Owns the pool, the channel table, the resolver, the
// event loop (and with it the I/O thread) and every group. Application threads call the Ampe
// methods and post(); only the event loop's thread touches sockets.
#pragma once

#include <atomic>
#include <memory>
#include <vector>

#include "core/channel_table.h"
#include "introspection/engine_counters.h"
#include "introspection/observer_hub.h"
#include "net/resolver.h"
#include "core/channel_registry.h"
#include "reactor/event_loop.h"
#include "tofu/ampe.h"
#include "tofu/options.h"
#include "tofu/support/mutex.h"
#include "util/message_pool.h"

namespace tofu::detail {

class AcceptGate;
class GroupImpl;

class AmpeImpl final : public Ampe {
 public:
  explicit AmpeImpl(const Options& options);
  // Destroys every group still alive, stops the loop and joins its thread (B7).
  ~AmpeImpl();
  AmpeImpl(const AmpeImpl&) = delete;
  AmpeImpl& operator=(const AmpeImpl&) = delete;

  // Starts the I/O thread; allocation_failed if it cannot be started.
  Status start();
  // Keeps the telemetry server that serves this engine (started by Reactor::create, which
  // sits above the core) until the engine is destroyed, and reports its address. Before the
  // engine is handed out.
  void keepTelemetry(std::shared_ptr<void> server, std::string address);

  Result<ChannelGroup*> create() override;
  Status destroy(ChannelGroup* group) override;
  Result<MessagePtr> get(AllocationStrategy strategy) override;
  Result<MessagePtr> waitGet(std::uint64_t timeoutNs) override;
  void put(MessagePtr& message) override;
  EngineCounters counters() const override { return counters_.read(); }
  std::uint64_t engineId() const noexcept override { return engineId_; }
  Result<EngineSnapshot> snapshot() override;
  std::shared_ptr<EventStream> startObserving(const ObserverOptions& options) override;
  void stopObserving() override { observers_.stop(); }
  std::string telemetryAddress() const override { return telemetryAddress_; }

  // ChannelGroup::enqueueToPeer for `group`. Any thread.
  Result<BinaryHeader> post(GroupImpl& group, MessagePtr& message);

  const Options& options() const noexcept { return options_; }
  // Options::receiveBudgetBytes, 0 meaning the default.
  std::size_t receiveBudgetBytes() const noexcept;
  // A group's receive budget has room again after the loop found it full (B14). Any thread.
  void onReceiveRoom() { registry_.onReceiveRoom(); }
  MessagePool& pool() noexcept { return pool_; }
  ChannelTable& table() noexcept { return table_; }
  Resolver& resolver() noexcept { return resolver_; }
  EngineCounterSet& counterSet() noexcept { return counters_; }
  ObserverHub& observers() noexcept { return observers_; }
  // What this engine's listeners ask about each connection they accept (net/listener_channel.h);
  // null by default. Set before the first WelcomeRequest is posted (the telemetry server's
  // engine, issue 18) and constant afterwards; listeners read it when they open.
  void setAcceptGate(std::shared_ptr<AcceptGate> gate) { acceptGate_ = std::move(gate); }
  const std::shared_ptr<AcceptGate>& acceptGate() const noexcept { return acceptGate_; }

 private:
  const Options options_;
  const std::uint64_t engineId_;
  EngineCounterSet counters_;
  ObserverHub observers_;
  MessagePool pool_;
  ChannelTable table_;
  Resolver resolver_;
  EventLoop loop_;
  ChannelRegistry registry_;
  std::atomic<bool> shuttingDown_{false};

  Mutex groupsMutex_;
  std::vector<std::unique_ptr<GroupImpl>> groups_ GUARDED_BY(groupsMutex_);

  // Set by keepTelemetry(), before the engine is handed out; constant afterwards.
  std::shared_ptr<void> telemetry_;
  std::string telemetryAddress_;
  std::shared_ptr<AcceptGate> acceptGate_;
};

}  // namespace tofu::detail
