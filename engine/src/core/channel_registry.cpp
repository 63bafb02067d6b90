#include "core/channel_registry.h"

#include <cstdio>
#include <utility>

#include "core/ampe_impl.h"
#include "core/group_impl.h"
#include "net/io_channel.h"
#include "net/listener_channel.h"
#include "net/socket_ops.h"
#include "net/tls_setup.h"
#include "net/transport.h"
#include "tofu/address.h"
#include "util/message_access.h"

namespace tofu::detail {

namespace {
// The listener's reply carries the address actually bound (B8: port 0 reports the port).
void reportBoundAddress(Message& welcome, const Address& bound) {
  TextHeaders rewritten;
  bool replaced = false;
  for (const TextHeader& header : welcome.headers()) {
    const bool isAddress = !replaced && header.name == kListenOnHeader;
    (void)rewritten.append(header.name, isAddress ? std::string_view(bound.toString()) : header.value);
    replaced = replaced || isAddress;
  }
  welcome.headers() = std::move(rewritten);
}
}  // namespace

ChannelRegistry::ChannelRegistry(AmpeImpl& engine, EventLoop& loop)
    : engine_(engine), loop_(loop), receive_(engine, loop.inbox()), sendStaging_(new std::uint8_t[kSendStagingSize]) {}

ChannelRegistry::~ChannelRegistry() { stop(); }

Status ChannelRegistry::start() {
#if TOFU_WITH_TLS
  // Once per engine, so a file that cannot be used fails Reactor::create, not a connection.
  std::string problem;
  tls_ = TlsSetup::create(options(), problem);
  if (!tls_) {
    std::fprintf(stderr, "tofu: %s\n", problem.c_str());
    return Status::not_allowed;
  }
#endif
  loop_.setTimer({kHousekeeping, 0}, EventLoop::Clock::now() + kTrimInterval);
  return loop_.start(*this);
}

void ChannelRegistry::stop() { loop_.stop(); }

// ---- Routing posts ----

void ChannelRegistry::onPosted(MessagePtr posted) {
  const OpCode op = posted->opCode();
  if (op == OpCode::WelcomeRequest) return openListener(std::move(posted));
  if (op == OpCode::HelloRequest) return openClient(std::move(posted));
  if (!isWireOpCode(op)) return returnMessage(std::move(posted), Status::not_allowed);  // a WelcomeResponse
  const auto found = channels_.find(posted->channelNumber());
  if (found == channels_.end()) return returnMessage(std::move(posted), Status::channel_closed);
  found->second->onPost(std::move(posted));
}

void ChannelRegistry::openListener(MessagePtr welcome) {
  GroupImpl& group = *static_cast<GroupImpl*>(MessageAccess::owner(*welcome));
  const std::uint16_t number = welcome->channelNumber();
  auto owned = std::make_unique<ListenerChannel>(*this, number, group, welcome->messageId());
  ListenerChannel& listener = *owned;
  addChannel(number, std::move(owned));

  const Result<Address> local = addressOf(*welcome);
  welcome->setOpCode(OpCode::WelcomeResponse);
  Address bound;
  const Status opened = local.ok() ? listener.open(local.value(), bound) : local.status();
  if (opened != Status::success) {
    annotateFailure(*welcome, listener.failureText());
    returnMessage(std::move(welcome), opened);
    listener.close(opened, false);
    return;
  }
  reportBoundAddress(*welcome, bound);
  deliver(group, std::move(welcome));  // N1: origin application, status success
}

void ChannelRegistry::openClient(MessagePtr hello) {
  GroupImpl& group = *static_cast<GroupImpl*>(MessageAccess::owner(*hello));
  const std::uint16_t number = hello->channelNumber();
  const Result<Address> peer = addressOf(*hello);
  auto owned = std::make_unique<IoChannel>(*this, number, group, std::move(hello));
  IoChannel& channel = *owned;
  if (peer.ok()) channel.setPeer(peer.value());
  addChannel(number, std::move(owned));

  if (!peer.ok()) return channel.failToConnect(Status::invalid_address);
  const Transport& transport = transportFor(peer.value().kind());
  if (const Status usable = transport.checkPeer(peer.value()); usable != Status::success) {
    return channel.failToConnect(usable);
  }
  if (const std::uint32_t timeoutMs = options().connectTimeoutMs; timeoutMs != 0) {
    setDeadline(channel, Clock::now() + std::chrono::milliseconds(timeoutMs));
  }
  SocketAddress literal;
  if (transport.literalSocketAddress(peer.value(), literal)) return channel.connect(transport, literal);
  if (!transport.resolvable()) return channel.failToConnect(Status::invalid_address);

  // B11: a host name is looked up on another thread; the result comes back as a task.
  const std::uint64_t incarnation = channel.incarnation();
  const Status started = engine_.resolver().resolve(
      peer.value(), [this, number, incarnation, &transport](Status status, const SocketAddress& resolved) {
        loop_.inbox().pushTask([this, number, incarnation, &transport, status, resolved] {
          onResolved(number, incarnation, transport, status, resolved);
        });
      });
  if (started != Status::success) channel.failToConnect(Status::invalid_address);
}

void ChannelRegistry::onResolved(std::uint16_t number, std::uint64_t incarnation, const Transport& transport,
                                 Status status, const SocketAddress& resolved) {
  auto* channel = static_cast<IoChannel*>(find(number, incarnation));
  if (channel == nullptr || channel->closing()) return;
  if (status != Status::success) return channel->failToConnect(status);
  channel->connect(transport, resolved);
}

// ---- Channels ----

Channel* ChannelRegistry::find(std::uint16_t number, std::uint64_t incarnation) const {
  const auto found = channels_.find(number);
  if (found == channels_.end() || found->second->incarnation() != incarnation) return nullptr;
  return found->second.get();
}

void ChannelRegistry::adoptConnection(GroupImpl& group, Fd fd, const Transport& transport) {
  const Result<std::uint16_t> number = engine_.table().allocate(&group);
  if (!number.ok()) {
    setAbortiveClose(fd.get());  // no number left (B4): refuse this connection, keep serving
    return;
  }
  addChannel(number.value(), std::make_unique<IoChannel>(*this, number.value(), group, std::move(fd), transport));
}

void ChannelRegistry::addChannel(std::uint16_t number, std::unique_ptr<Channel> channel) {
  channels_.emplace(number, std::move(channel));
  EngineCounterSet::add(engine_.counterSet().channelsOpened);
  // What can hold every channel at once grows here, at set-up: never under steady traffic.
  const std::size_t channels = channels_.size();
  receive_.reserveFor(channels);
  // A server channel arms up to three timers at once (handshake, idle, receive progress).
  loop_.reserveTimers(3 * channels + 1);
  if (flushList_.capacity() < channels) flushList_.reserve(2 * channels);
  loop_.poller().reserveEvents(channels + 1);  // and the inbox
}

void ChannelRegistry::collectChannels(std::vector<ChannelInfo>& out, std::function<void()> done) {
  // Between two passes, as promised: channels closed in this pass are reaped first.
  afterPass_.push_back([this, &out, done = std::move(done)] {
    out.reserve(channels_.size() + recentlyClosed_.size());
    for (const auto& [number, channel] : channels_) out.push_back(channel->info());
    out.insert(out.end(), recentlyClosed_.begin(), recentlyClosed_.end());
    done();
  });
}

void ChannelRegistry::destroyGroup(GroupImpl& group, std::function<void()> done) {
  group.destroyed = true;
  for (auto& [number, channel] : channels_) {
    if (&channel->group() == &group) channel->close(Status::shutdown_started, true);
  }
  afterPass_.push_back(std::move(done));
}

void ChannelRegistry::setDeadline(Channel& channel, Clock::time_point when) {
  loop_.setTimer({channel.number(), channel.incarnation()}, when);
}

void ChannelRegistry::onTimer(TimerKey key) {
  if (key.number == kHousekeeping) {
    engine_.pool().trimIdle();
    loop_.setTimer({kHousekeeping, 0}, Clock::now() + kTrimInterval);
    return;
  }
  if (Channel* channel = find(key.number, key.incarnation); channel != nullptr && !channel->closing()) {
    channel->onDeadline();
  }
}

void ChannelRegistry::scheduleFlush(IoChannel& channel) {
  if (channel.flushScheduled) return;
  channel.flushScheduled = true;
  flushList_.push_back(&channel);
}

// ---- Settings ----

const Options& ChannelRegistry::options() const noexcept { return engine_.options(); }

TcpTuning ChannelRegistry::tcpTuning() const noexcept {
  return {.noDelay = options().tcpNoDelay, .keepAliveSec = options().tcpKeepAliveSec};
}

FrameDecoder::Limits ChannelRegistry::frameLimits() const noexcept {
  return {.maxHeadersLen = options().maxReceiveHeadersLen, .maxBodyLen = options().maxReceiveBodyLen};
}

std::uint64_t ChannelRegistry::engineId() const noexcept { return engine_.engineId(); }
std::uint64_t ChannelRegistry::groupId(const GroupImpl& group) const noexcept { return group.id(); }
ObserverHub& ChannelRegistry::observers() noexcept { return engine_.observers(); }
EngineCounterSet& ChannelRegistry::counters() noexcept { return engine_.counterSet(); }
const std::shared_ptr<AcceptGate>& ChannelRegistry::acceptGate() const noexcept { return engine_.acceptGate(); }

// ---- Messages ----

void ChannelRegistry::deliver(GroupImpl& group, MessagePtr message) {
  if (discardDeliveries_ || group.destroyed) {
    recycled_.pushBack(std::move(message));
    return;
  }
  group.pendingBatch().pushBack(std::move(message));
  if (!group.pendingScheduled) {
    group.pendingScheduled = true;
    deliveryList_.push_back(&group);
  }
}

void ChannelRegistry::deliverReceived(GroupImpl& group, MessagePtr frame) {
  receive_.chargeDelivered(group, *frame, !discardDeliveries_ && !group.destroyed);
  deliver(group, std::move(frame));
}

void ChannelRegistry::startStarving(IoChannel& channel) {
  if (MessagePtr notice = receive_.startStarving(channel)) deliver(channel.group(), std::move(notice));
}

void ChannelRegistry::onSendRefused(std::uint16_t number) {
  loop_.inbox().pushTask([this, number] {
    if (const auto found = channels_.find(number); found != channels_.end()) checkSendReady(*found->second);
  });
}

void ChannelRegistry::checkSendReady(Channel& channel) {
  if (!channel.takesPosts() || !engine_.table().takeSendReady(channel.number())) return;
  MessagePtr notice = engine_.pool().get(AllocationStrategy::always);
  notice->setOpCode(OpCode::Signal);
  notice->header().proto.origin = Origin::engine;
  notice->setChannelNumber(channel.number());
  (void)notice->headers().append(kEventHeader, kSendReadyEvent);  // short and valid: cannot fail
  deliver(channel.group(), std::move(notice));
}

void ChannelRegistry::uncharge(Message& message) {
  std::uint32_t& charged = MessageAccess::charged(message);
  if (charged == 0) return;
  engine_.table().uncharge(message.channelNumber(), charged);
  charged = 0;
}

void ChannelRegistry::returnMessage(MessagePtr message, Status status) {
  uncharge(*message);
  message->header().proto.origin = Origin::engine;
  message->header().status = status;
  if (ObserverHub& hub = engine_.observers(); hub.observing()) {
    const auto found = channels_.find(message->channelNumber());
    Event returned = hub.messageEvent(EventKind::messageReturned, *message,
                                      found == channels_.end() ? 0 : found->second->incarnation());
    returned.postedNs = MessageAccess::postedNs(*message);
    hub.publish(returned, message.get());
  }
  EngineCounterSet::add(engine_.counterSet().messagesReturned);
  GroupImpl& owner = *static_cast<GroupImpl*>(MessageAccess::owner(*message));
  deliver(owner, std::move(message));
}

void ChannelRegistry::recycleWritten(std::uint16_t channel, MessageQueue& written) {
  // One atomic update per flush, not per frame: the table's counter is shared with posters.
  std::uint64_t charged = 0;
  for (Message* m = written.front(); m != nullptr; m = MessageQueue::nextOf(m)) {
    charged += std::exchange(MessageAccess::charged(*m), 0);
  }
  if (charged != 0) engine_.table().uncharge(channel, static_cast<std::uint32_t>(charged));
  recycled_.append(written);
}

// ---- End of pass ----

void ChannelRegistry::endOfPass() {
  flushWrites();
  reapClosed();
  // Before the deliveries: an application that saw this pass's messages sees the pool whole.
  receive_.returnSpares();
  flushDeliveries();
  if (!recycled_.empty()) engine_.pool().putAll(recycled_);
  for (auto& done : afterPass_) done();
  afterPass_.clear();
}

void ChannelRegistry::flushWrites() {
  for (IoChannel* channel : flushList_) {
    channel->flushScheduled = false;
    channel->flush();
  }
  flushList_.clear();
}

void ChannelRegistry::reapClosed() {
  for (Channel* channel : closeList_) {
    channel->finish();
    if (!discardDeliveries_ && !channel->group().destroyed && channel->knownToApplication()) {
      MessagePtr closed = engine_.pool().get(AllocationStrategy::always);  // N9
      closed->setOpCode(OpCode::Signal);
      closed->header().proto.origin = Origin::engine;
      closed->header().status = Status::channel_closed;
      closed->setChannelNumber(channel->number());
      closed->setMessageId(channel->finalMessageId());
      annotateFailure(*closed, channel->failureText());
      deliver(channel->group(), std::move(closed));
    }
    recentlyClosed_.push_front(channel->info());
    if (recentlyClosed_.size() > kRecentlyClosed) recentlyClosed_.pop_back();
    // B4: released only now, with the final Signal on its way; quarantined by the table.
    engine_.table().release(channel->number());
    EngineCounterSet::add(engine_.counterSet().channelsClosed);
    channels_.erase(channel->number());
  }
  closeList_.clear();
}

void ChannelRegistry::flushDeliveries() {
  for (GroupImpl* group : deliveryList_) {
    group->pendingScheduled = false;
    // Before anything can give these messages back, even a closed group's refusal below.
    group->receiveBudget().publish(std::exchange(group->pendingReceiveCharge, 0));
    MessageQueue& batch = group->pendingBatch();
    if (!group->destroyed) group->deliver(batch);
    recycled_.append(batch);  // whatever a closed group refused
  }
  deliveryList_.clear();
}

void ChannelRegistry::afterLastPass(MessageQueue& unhandled) {
  discardDeliveries_ = true;
  recycled_.append(unhandled);
  for (auto& [number, channel] : channels_) channel->close(Status::shutdown_started, true);
  reapClosed();
  receive_.returnSpares();
  flushDeliveries();
  engine_.pool().putAll(recycled_);
  for (auto& done : afterPass_) done();
  afterPass_.clear();
}

}  // namespace tofu::detail
