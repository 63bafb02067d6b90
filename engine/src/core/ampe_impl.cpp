#include "core/ampe_impl.h"

#include <algorithm>
#include <future>

#include "core/group_impl.h"
#include "util/message_access.h"
#include "core/send_validation.h"
#include "util/receive_budget.h"
#include "tofu/wire_format.h"

namespace tofu::detail {

namespace {
std::atomic<std::uint64_t> gNextEngineId{1};
}  // namespace

AmpeImpl::AmpeImpl(const Options& options)
    : options_(options),
      engineId_(gNextEngineId.fetch_add(1, std::memory_order_relaxed)),
      observers_(engineId_),
      pool_(options.initialPoolMsgs, options.maxPoolMsgs),
      table_(options.sendQueueLimitBytes, options.maxChannels),
      loop_(std::chrono::microseconds(options.spinMicros)),
      registry_(*this, loop_) {}

std::size_t AmpeImpl::receiveBudgetBytes() const noexcept {
  return options_.receiveBudgetBytes == 0 ? Options{}.receiveBudgetBytes : options_.receiveBudgetBytes;
}

AmpeImpl::~AmpeImpl() {
  // First: its thread calls snapshot() on this engine, which needs the loop running.
  telemetry_.reset();
  shuttingDown_.store(true);
  pool_.shutDown();
  resolver_.shutdown();
  registry_.stop();
  std::vector<std::unique_ptr<GroupImpl>> groups;
  {
    MutexLock lock(groupsMutex_);
    groups.swap(groups_);
  }
  for (auto& group : groups) {
    MessageQueue leftovers;
    group->close(leftovers);
    pool_.putAll(leftovers);
  }
}

Status AmpeImpl::start() {
  return registry_.start();
}

void AmpeImpl::keepTelemetry(std::shared_ptr<void> server, std::string address) {
  telemetry_ = std::move(server);
  telemetryAddress_ = std::move(address);
}

Result<ChannelGroup*> AmpeImpl::create() {
  if (shuttingDown_.load()) return Status::shutdown_started;
  auto group = std::make_unique<GroupImpl>(*this);
  ChannelGroup* handle = group.get();
  MutexLock lock(groupsMutex_);
  groups_.push_back(std::move(group));
  return handle;
}

Status AmpeImpl::destroy(ChannelGroup* group) {
  if (group == nullptr) return Status::invalid_address;
  if (shuttingDown_.load()) return Status::shutdown_started;
  std::unique_ptr<GroupImpl> owned;
  {
    MutexLock lock(groupsMutex_);
    auto found = std::find_if(groups_.begin(), groups_.end(), [group](const auto& g) { return g.get() == group; });
    if (found == groups_.end()) return Status::invalid_message_channel_group;
    owned = std::move(*found);
    groups_.erase(found);
  }
  std::promise<void> closed;
  loop_.inbox().pushTask([this, target = owned.get(), &closed] {
    registry_.destroyGroup(*target, [&closed] { closed.set_value(); });
  });
  closed.get_future().wait();
  MessageQueue leftovers;
  owned->close(leftovers);
  pool_.putAll(leftovers);
  return Status::success;
}

Result<EngineSnapshot> AmpeImpl::snapshot() {
  if (shuttingDown_.load()) return Status::shutdown_started;
  EngineSnapshot snapshot;
  snapshot.engineId = engineId_;
  std::promise<void> copied;
  loop_.inbox().pushTask(
      [this, &snapshot, &copied] { registry_.collectChannels(snapshot.channels, [&copied] { copied.set_value(); }); });
  copied.get_future().wait();
  {
    MutexLock lock(groupsMutex_);
    for (const auto& group : groups_) snapshot.groups.push_back({group->id(), group->queueDepth()});
  }
  snapshot.pool = pool_.info();
  snapshot.totals = counters_.read();
  snapshot.pool.poolEmptyEpisodes = snapshot.totals.poolEmptyEpisodes;
  snapshot.takenAtNs = monotonicNowNs();
  snapshot.takenAtWallNs = wallClockNowNs();
  return snapshot;
}

std::shared_ptr<EventStream> AmpeImpl::startObserving(const ObserverOptions& options) {
  return observers_.start(options);
}

Result<MessagePtr> AmpeImpl::get(AllocationStrategy strategy) { return pool_.get(strategy); }

Result<MessagePtr> AmpeImpl::waitGet(std::uint64_t timeoutNs) {
  MessagePtr message;
  const std::uint64_t spinNs = std::uint64_t{options_.spinMicros} * 1000;
  if (!pool_.waitGet(timeoutNs, spinNs, message)) return Status::shutdown_started;
  return message;
}

void AmpeImpl::put(MessagePtr& message) { pool_.put(std::move(message)); }

Result<BinaryHeader> AmpeImpl::post(GroupImpl& group, MessagePtr& message) {
  if (!message) return Status::null_message;
  Message& m = *message;
  if (const Status invalid = validateForSend(m); invalid != Status::success) return invalid;
  if (shuttingDown_.load()) return Status::notification_disabled;

  const OpCode op = m.opCode();
  if (op == OpCode::HelloRequest || op == OpCode::WelcomeRequest) {
    const Result<std::uint16_t> number = table_.allocate(&group);
    if (!number.ok()) return number.status();
    m.setChannelNumber(number.value());
  } else {
    // A ByeSignal is never transmitted (B13), so it never counts against the queue: a channel
    // whose peer stopped reading can always be aborted. Others count their real memory (B6).
    const std::uint32_t cost = op == OpCode::ByeSignal ? 0u : MessageAccess::realBytes(m);
    if (const Status refused = table_.charge(m.channelNumber(), &group, cost); refused != Status::success) {
      // B16: the first refusal of an episode has the loop look at the queue once; later
      // drains find the mark on their own.
      if (refused == Status::notification_failed && table_.markRefused(m.channelNumber())) {
        registry_.onSendRefused(m.channelNumber());
      }
      return refused;
    }
    MessageAccess::charged(m) = cost;
  }
  // A received message sent on now counts against the send queue, no longer against the
  // receive budget: sending never takes away the ability to receive (B14).
  ReceiveBudget::release(m);
  MessageAccess::owner(m) = &group;
  if (observers_.observing()) MessageAccess::postedNs(m) = monotonicNowNs();
  encodeBinaryHeader(m.header(), MessageAccess::wire(m));
  const BinaryHeader snapshot = m.header();
  loop_.inbox().push(std::move(message));
  return snapshot;
}

}  // namespace tofu::detail
