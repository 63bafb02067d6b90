#include "reactor/event_loop.h"

#include <algorithm>
#include <system_error>
#include <utility>

#include "core/engine.h"
#include "core/group_impl.h"
#include "util/message_access.h"
#include "net/io_channel.h"
#include "net/listener_channel.h"
#include "net/socket_ops.h"
#include "tofu/address.h"

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

EventLoop::EventLoop(Engine& engine)
    : engine_(engine), readBuffer_(new std::uint8_t[kReadBufferSize]), sendStaging_(new std::uint8_t[kSendStagingSize]) {}

EventLoop::~EventLoop() { stop(); }

Status EventLoop::start() {
  if (!poller_.valid() || !inbox_.valid()) return Status::allocation_failed;
  poller_.add(inbox_.fd(), {.read = true}, &inbox_);
  running_ = true;
  try {
    thread_ = std::thread([this] { run(); });
  } catch (const std::system_error&) {
    running_ = false;
    return Status::allocation_failed;
  }
  return Status::success;
}

void EventLoop::stop() {
  if (!thread_.joinable()) return;
  inbox_.pushTask([this] { running_ = false; });
  thread_.join();
}

void EventLoop::run() {
  setDeadline(kHousekeeping, 0, Clock::now() + kTrimInterval);
  while (running_) runPass();
  closeEverything();
}

std::span<const epoll_event> EventLoop::waitForEvents() {
  const auto spin = std::chrono::microseconds(engine_.options().spinMicros);
  if (spin.count() != 0 && pollTimeoutMs() != 0) {
    Clock::time_point until = Clock::now() + spin;
    if (!deadlines_.empty()) until = std::min(until, deadlines_.front().when);  // timers stay on time
    do {
      if (std::span<const epoll_event> ready = poller_.wait(0); !ready.empty()) return ready;
      std::this_thread::yield();  // whoever has the work may need this core
    } while (Clock::now() < until);
  }
  return poller_.wait(pollTimeoutMs());
}

void EventLoop::runPass() {
  bool inboxReady = false;
  for (const epoll_event& event : waitForEvents()) {
    if (event.data.ptr == &inbox_) {
      inboxReady = true;
      continue;
    }
    auto* channel = static_cast<Channel*>(event.data.ptr);
    if (!channel->closing()) channel->onEvents(event.events);
  }
  if (inboxReady) {
    // B10: everything queued since the last pass is handled now, in submission order.
    inbox_.take(posted_, tasks_);
    while (MessagePtr posted = posted_.popFront()) dispatch(std::move(posted));
    for (Inbox::Task& task : tasks_) task();
    tasks_.clear();
  }
  resumeStarving();
  runDeadlines();
  flushWrites();
  reapClosed();
  // Before the deliveries: an application that saw this pass's messages sees the pool whole.
  returnReceiveSpares();
  flushDeliveries();
  if (!recycled_.empty()) engine_.pool().putAll(recycled_);
  for (auto& done : afterPass_) done();
  afterPass_.clear();
}

int EventLoop::pollTimeoutMs() const {
  if (deadlines_.empty()) return -1;
  const auto wait = deadlines_.front().when - Clock::now();
  if (wait <= Clock::duration::zero()) return 0;
  // Round up so the deadline has passed when the poll returns.
  return static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(wait).count());
}

void EventLoop::dispatch(MessagePtr posted) {
  const OpCode op = posted->opCode();
  if (op == OpCode::WelcomeRequest) return openListener(std::move(posted));
  if (op == OpCode::HelloRequest) return openClient(std::move(posted));
  if (!isWireOpCode(op)) return returnMessage(std::move(posted), Status::not_allowed);  // a WelcomeResponse
  const auto found = channels_.find(posted->channelNumber());
  if (found == channels_.end()) return returnMessage(std::move(posted), Status::channel_closed);
  found->second->onPost(std::move(posted));
}

void EventLoop::openListener(MessagePtr welcome) {
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
    returnMessage(std::move(welcome), opened);
    listener.close(opened, false);
    return;
  }
  reportBoundAddress(*welcome, bound);
  deliver(group, std::move(welcome));  // N1: origin application, status success
}

void EventLoop::openClient(MessagePtr hello) {
  GroupImpl& group = *static_cast<GroupImpl*>(MessageAccess::owner(*hello));
  const std::uint16_t number = hello->channelNumber();
  const Result<Address> peer = addressOf(*hello);
  auto owned = std::make_unique<IoChannel>(*this, number, group, std::move(hello));
  IoChannel& channel = *owned;
  if (peer.ok()) channel.setPeerAddress(peer.value().toString());
  addChannel(number, std::move(owned));

  if (!peer.ok() || (peer.value().kind() == AddressKind::tcp && peer.value().port() == 0)) {
    return channel.failToConnect(Status::invalid_address);
  }
  if (const std::uint32_t timeoutMs = engine_.options().connectTimeoutMs; timeoutMs != 0) {
    setDeadline(channel, Clock::now() + std::chrono::milliseconds(timeoutMs));
  }
  SocketAddress literal;
  if (literalSocketAddress(peer.value(), literal)) return channel.connect(peer.value().kind(), literal);
  if (peer.value().kind() == AddressKind::uds) return channel.failToConnect(Status::invalid_address);

  // B11: a host name is looked up on another thread; the result comes back as a task.
  const std::uint64_t incarnation = channel.incarnation();
  const Status started = engine_.resolver().resolve(
      peer.value(), [this, number, incarnation](Status status, const SocketAddress& resolved) {
        inbox_.pushTask([this, number, incarnation, status, resolved] { onResolved(number, incarnation, status, resolved); });
      });
  if (started != Status::success) channel.failToConnect(Status::invalid_address);
}

void EventLoop::onResolved(std::uint16_t number, std::uint64_t incarnation, Status status,
                           const SocketAddress& resolved) {
  auto* channel = static_cast<IoChannel*>(find(number, incarnation));
  if (channel == nullptr || channel->closing()) return;
  if (status != Status::success) return channel->failToConnect(status);
  channel->connect(AddressKind::tcp, resolved);
}

TcpTuning EventLoop::tcpTuning() const noexcept {
  const Options& options = engine_.options();
  return {.noDelay = options.tcpNoDelay, .keepAliveSec = options.tcpKeepAliveSec};
}

FrameDecoder::Limits EventLoop::frameLimits() const noexcept {
  const Options& options = engine_.options();
  return {.maxHeadersLen = options.maxReceiveHeadersLen, .maxBodyLen = options.maxReceiveBodyLen};
}

Channel* EventLoop::find(std::uint16_t number, std::uint64_t incarnation) const {
  const auto found = channels_.find(number);
  if (found == channels_.end() || found->second->incarnation() != incarnation) return nullptr;
  return found->second.get();
}

void EventLoop::adoptConnection(GroupImpl& group, Fd fd) {
  const Result<std::uint16_t> number = engine_.table().allocate(&group);
  if (!number.ok()) {
    setAbortiveClose(fd.get());  // no number left (B4): refuse this connection, keep serving
    return;
  }
  addChannel(number.value(), std::make_unique<IoChannel>(*this, number.value(), group, std::move(fd)));
}

void EventLoop::addChannel(std::uint16_t number, std::unique_ptr<Channel> channel) {
  channels_.emplace(number, std::move(channel));
  EngineCounterSet::add(engine_.counterSet().channelsOpened);
  // What can hold every channel at once grows here, at set-up: never under steady traffic.
  const std::size_t channels = channels_.size();
  if (starving_.capacity() < channels) starving_.reserve(2 * channels);
  if (resuming_.capacity() < channels) resuming_.reserve(2 * channels);
  // A server channel arms up to three timers at once (handshake, idle, receive progress).
  if (deadlines_.capacity() < 3 * channels + 1) deadlines_.reserve(6 * channels + 1);
  if (flushList_.capacity() < channels) flushList_.reserve(2 * channels);
  poller_.reserveEvents(channels + 1);  // and the inbox
}

void EventLoop::collectChannels(std::vector<ChannelInfo>& out, std::function<void()> done) {
  // Between two passes, as promised: channels closed in this pass are reaped first.
  afterPass_.push_back([this, &out, done = std::move(done)] {
    out.reserve(channels_.size() + recentlyClosed_.size());
    for (const auto& [number, channel] : channels_) out.push_back(channel->info());
    out.insert(out.end(), recentlyClosed_.begin(), recentlyClosed_.end());
    done();
  });
}

void EventLoop::destroyGroup(GroupImpl& group, std::function<void()> done) {
  group.destroyed = true;
  for (auto& [number, channel] : channels_) {
    if (&channel->group() == &group) channel->close(Status::shutdown_started, true);
  }
  afterPass_.push_back(std::move(done));
}

void EventLoop::deliver(GroupImpl& group, MessagePtr message) {
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

void EventLoop::deliverReceived(GroupImpl& group, MessagePtr frame) {
  group.receiveInProgress -= kFrameReserve;
  if (!discardDeliveries_ && !group.destroyed) {
    const std::uint32_t cost = MessageAccess::realBytes(*frame);
    group.receiveBudget().attach(*frame, cost);
    group.pendingReceiveCharge += cost;  // published before the batch is delivered
  }
  deliver(group, std::move(frame));
}

void EventLoop::onReceiveRoom() {
  receiveRoom_.store(true, std::memory_order_release);
  inbox_.wake();
}

void EventLoop::onSendRefused(std::uint16_t number) {
  inbox_.pushTask([this, number] {
    if (const auto found = channels_.find(number); found != channels_.end()) checkSendReady(*found->second);
  });
}

void EventLoop::checkSendReady(Channel& channel) {
  if (!channel.takesPosts() || !engine_.table().takeSendReady(channel.number())) return;
  MessagePtr notice = engine_.pool().get(AllocationStrategy::always);
  notice->setOpCode(OpCode::Signal);
  notice->header().proto.origin = Origin::engine;
  notice->setChannelNumber(channel.number());
  (void)notice->headers().append(kEventHeader, kSendReadyEvent);  // short and valid: cannot fail
  deliver(channel.group(), std::move(notice));
}

void EventLoop::uncharge(Message& message) {
  std::uint32_t& charged = MessageAccess::charged(message);
  if (charged == 0) return;
  engine_.table().uncharge(message.channelNumber(), charged);
  charged = 0;
}

void EventLoop::returnMessage(MessagePtr message, Status status) {
  uncharge(*message);
  message->header().proto.origin = Origin::engine;
  message->header().status = status;
  if (ObserverHub& observers = engine_.observers(); observers.observing()) {
    const auto found = channels_.find(message->channelNumber());
    Event returned = observers.messageEvent(EventKind::messageReturned, *message,
                                            found == channels_.end() ? 0 : found->second->incarnation());
    returned.postedNs = MessageAccess::postedNs(*message);
    observers.publish(returned);
  }
  EngineCounterSet::add(engine_.counterSet().messagesReturned);
  GroupImpl& owner = *static_cast<GroupImpl*>(MessageAccess::owner(*message));
  deliver(owner, std::move(message));
}

void EventLoop::recycleWritten(std::uint16_t channel, MessageQueue& written) {
  // One atomic update per flush, not per frame: the table's counter is shared with posters.
  std::uint64_t charged = 0;
  for (Message* m = written.front(); m != nullptr; m = MessageQueue::nextOf(m)) {
    charged += std::exchange(MessageAccess::charged(*m), 0);
  }
  if (charged != 0) engine_.table().uncharge(channel, static_cast<std::uint32_t>(charged));
  recycled_.append(written);
}

bool EventLoop::hasReceiveRoom(GroupImpl& group) {
  ReceiveBudget& budget = group.receiveBudget();
  if (budget.available(group.receiveCommitted()) != 0) return true;
  budget.wantRoom();
  // A release between the two checks saw no request: this one sees what it gave back.
  return budget.available(group.receiveCommitted()) != 0;
}

MessagePtr EventLoop::takeReceiveMessage(GroupImpl& group) {
  if (!hasReceiveRoom(group)) return nullptr;
  if (receiveSpares_.empty()) engine_.pool().takeForReceive(receiveSpares_, kReceiveBatch);
  group.receiveInProgress += kFrameReserve;  // until the frame is delivered or abandoned
  return receiveSpares_.popFront();
}

void EventLoop::abandonReceive(GroupImpl& group, MessagePtr message) {
  group.receiveInProgress -= kFrameReserve;
  engine_.pool().put(std::move(message));
}

void EventLoop::returnReceiveSpares() {
  if (!receiveSpares_.empty()) engine_.pool().giveBackUnused(receiveSpares_);
}

std::size_t EventLoop::readLimit(GroupImpl& group, std::size_t smallestFrameBytes) {
  const std::size_t frameBytes = std::max<std::size_t>(smallestFrameBytes, 1);
  const std::size_t fullRead = std::min(kMostReadSpares, (kReadBufferSize + frameBytes - 1) / frameBytes);
  // Room for part of a message is room for one: the budget may be passed by one message.
  const std::size_t room = group.receiveBudget().available(group.receiveCommitted());
  const std::size_t affordable = (room + MessageAccess::estimatedBytes(frameBytes) - 1) / MessageAccess::estimatedBytes(frameBytes);
  const std::size_t messages = std::min(fullRead, affordable);
  if (receiveSpares_.size() < messages) engine_.pool().takeForReceive(receiveSpares_, messages - receiveSpares_.size());
  // Past the channels that may set bytes aside, no short read either: only what the budget takes.
  const std::size_t floor = starvingCount_ < kStarvingWithStash ? kShortReadBytes : 0;
  return std::clamp(messages * frameBytes, floor, kReadBufferSize);
}

bool EventLoop::starveBeforeReading(GroupImpl& group) {
  return starvingCount_ >= kStarvingWithStash && !hasReceiveRoom(group);
}

void EventLoop::startStarving(IoChannel& channel) {
  starving_.push_back(&channel);
  ++starvingCount_;
  GroupImpl& group = channel.group();
  ++group.starvingChannels;
  // B5: once per episode per group. While the group's last notice is still unread, the
  // application has not seen that episode end, and the group starving again continues it:
  // under a flood, notices do not pile up behind the traffic (each would need a message).
  if (group.poolEmptyReported || group.poolEmptyUnread.load(std::memory_order_relaxed)) return;
  group.poolEmptyReported = true;
  group.poolEmptyUnread.store(true, std::memory_order_relaxed);
  EngineCounterSet::add(engine_.counterSet().poolEmptyEpisodes);
  MessagePtr notice = engine_.pool().takeNotice();
  notice->setOpCode(OpCode::Signal);
  notice->header().proto.origin = Origin::engine;
  notice->header().status = Status::pool_empty;
  notice->setChannelNumber(channel.number());
  deliver(group, std::move(notice));
}

void EventLoop::stopStarving(IoChannel& channel) {
  if (const auto found = std::find(starving_.begin(), starving_.end(), &channel); found != starving_.end()) {
    starving_.erase(found);
  } else {
    std::replace(resuming_.begin(), resuming_.end(), &channel, static_cast<IoChannel*>(nullptr));
  }
  --starvingCount_;
  GroupImpl& group = channel.group();
  if (--group.starvingChannels == 0) group.poolEmptyReported = false;
}

void EventLoop::resumeStarving() {
  if (starving_.empty() || !receiveRoom_.exchange(false, std::memory_order_acquire)) return;
  // Channels that starve again while resuming go to the back of starving_, behind the ones
  // still waiting: every channel gets its turn (B14).
  resuming_.swap(starving_);
  for (IoChannel*& turn : resuming_) {
    if (turn == nullptr) continue;  // closed meanwhile
    IoChannel& channel = *std::exchange(turn, nullptr);
    GroupImpl& group = channel.group();
    if (!hasReceiveRoom(group)) {
      starving_.push_back(&channel);
      continue;
    }
    --starvingCount_;
    if (--group.starvingChannels == 0) group.poolEmptyReported = false;
    if (channel.awaitingMessage()) {
      channel.resume(takeReceiveMessage(group));
    } else {
      channel.resumeReading();  // it starved before reading
    }
  }
  resuming_.clear();
}

void EventLoop::scheduleFlush(IoChannel& channel) {
  if (channel.flushScheduled) return;
  channel.flushScheduled = true;
  flushList_.push_back(&channel);
}

void EventLoop::scheduleClose(Channel& channel) { closeList_.push_back(&channel); }

void EventLoop::setDeadline(Channel& channel, Clock::time_point when) {
  setDeadline(channel.number(), channel.incarnation(), when);
}

void EventLoop::setDeadline(std::uint16_t number, std::uint64_t incarnation, Clock::time_point when) {
  deadlines_.push_back({when, number, incarnation});
  std::push_heap(deadlines_.begin(), deadlines_.end(), std::greater<>());
}

void EventLoop::runDeadlines() {
  const Clock::time_point now = Clock::now();
  while (!deadlines_.empty() && deadlines_.front().when <= now) {
    std::pop_heap(deadlines_.begin(), deadlines_.end(), std::greater<>());
    const Deadline due = deadlines_.back();
    deadlines_.pop_back();
    if (due.number == kHousekeeping) {
      engine_.pool().trimIdle();
      setDeadline(kHousekeeping, 0, now + kTrimInterval);
      continue;
    }
    const auto [when, number, incarnation] = due;
    if (Channel* channel = find(number, incarnation); channel != nullptr && !channel->closing()) channel->onDeadline();
  }
}

void EventLoop::flushWrites() {
  for (IoChannel* channel : flushList_) {
    channel->flushScheduled = false;
    channel->flush();
  }
  flushList_.clear();
}

void EventLoop::reapClosed() {
  for (Channel* channel : closeList_) {
    channel->finish();
    if (!discardDeliveries_ && !channel->group().destroyed && channel->knownToApplication()) {
      MessagePtr closed = engine_.pool().get(AllocationStrategy::always);  // N9
      closed->setOpCode(OpCode::Signal);
      closed->header().proto.origin = Origin::engine;
      closed->header().status = Status::channel_closed;
      closed->setChannelNumber(channel->number());
      closed->setMessageId(channel->finalMessageId());
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

void EventLoop::flushDeliveries() {
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

void EventLoop::closeEverything() {
  discardDeliveries_ = true;
  inbox_.take(posted_, tasks_);
  recycled_.append(posted_);
  tasks_.clear();
  for (auto& [number, channel] : channels_) channel->close(Status::shutdown_started, true);
  reapClosed();
  returnReceiveSpares();
  flushDeliveries();
  engine_.pool().putAll(recycled_);
  for (auto& done : afterPass_) done();
  afterPass_.clear();
}

}  // namespace tofu::detail
