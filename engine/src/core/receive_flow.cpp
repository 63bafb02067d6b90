#include "core/receive_flow.h"

#include <algorithm>
#include <utility>

#include "core/ampe_impl.h"
#include "core/group_impl.h"
#include "net/io_channel.h"
#include "reactor/inbox.h"

namespace tofu::detail {

ReceiveFlow::ReceiveFlow(AmpeImpl& engine, Inbox& inbox)
    : engine_(engine), inbox_(inbox), readBuffer_(new std::uint8_t[kReadBufferSize]) {}

void ReceiveFlow::reserveFor(std::size_t channels) {
  if (starving_.capacity() < channels) starving_.reserve(2 * channels);
  if (resuming_.capacity() < channels) resuming_.reserve(2 * channels);
}

bool ReceiveFlow::hasReceiveRoom(GroupImpl& group) {
  ReceiveBudget& budget = group.receiveBudget();
  if (budget.available(group.receiveCommitted()) != 0) return true;
  budget.wantRoom();
  // A release between the two checks saw no request: this one sees what it gave back.
  return budget.available(group.receiveCommitted()) != 0;
}

MessagePtr ReceiveFlow::takeReceiveMessage(GroupImpl& group) {
  if (!hasReceiveRoom(group)) return nullptr;
  if (spares_.empty()) engine_.pool().takeForReceive(spares_, kReceiveBatch);
  group.receiveInProgress += kFrameReserve;  // until the frame is delivered or abandoned
  return spares_.popFront();
}

void ReceiveFlow::abandonReceive(GroupImpl& group, MessagePtr message) {
  group.receiveInProgress -= kFrameReserve;
  engine_.pool().put(std::move(message));
}

void ReceiveFlow::chargeDelivered(GroupImpl& group, Message& frame, bool charge) {
  group.receiveInProgress -= kFrameReserve;
  if (!charge) return;
  const std::uint32_t cost = MessageAccess::realBytes(frame);
  group.receiveBudget().attach(frame, cost);
  group.pendingReceiveCharge += cost;  // published before the batch is delivered
}

void ReceiveFlow::holdReceived(GroupImpl& group, std::size_t bytes) noexcept { group.receiveInProgress += bytes; }

void ReceiveFlow::releaseHeld(GroupImpl& group, std::size_t bytes) noexcept { group.receiveInProgress -= bytes; }

void ReceiveFlow::returnSpares() {
  if (!spares_.empty()) engine_.pool().giveBackUnused(spares_);
}

std::size_t ReceiveFlow::readLimit(GroupImpl& group, std::size_t smallestFrameBytes) {
  const std::size_t frameBytes = std::max<std::size_t>(smallestFrameBytes, 1);
  const std::size_t fullRead = std::min(kMostReadSpares, (kReadBufferSize + frameBytes - 1) / frameBytes);
  // Room for part of a message is room for one: the budget may be passed by one message.
  const std::size_t room = group.receiveBudget().available(group.receiveCommitted());
  const std::size_t affordable = (room + MessageAccess::estimatedBytes(frameBytes) - 1) / MessageAccess::estimatedBytes(frameBytes);
  const std::size_t messages = std::min(fullRead, affordable);
  if (spares_.size() < messages) engine_.pool().takeForReceive(spares_, messages - spares_.size());
  // Past the channels that may set bytes aside, no short read either: only what the budget takes.
  const std::size_t floor = starvingCount_ < kStarvingWithStash ? kShortReadBytes : 0;
  return std::clamp(messages * frameBytes, floor, kReadBufferSize);
}

bool ReceiveFlow::starveBeforeReading(GroupImpl& group) {
  return starvingCount_ >= kStarvingWithStash && !hasReceiveRoom(group);
}

MessagePtr ReceiveFlow::startStarving(IoChannel& channel) {
  starving_.push_back(&channel);
  ++starvingCount_;
  GroupImpl& group = channel.group();
  ++group.starvingChannels;
  // B5: once per episode per group. While the group's last notice is still unread, the
  // application has not seen that episode end, and the group starving again continues it:
  // under a flood, notices do not pile up behind the traffic (each would need a message).
  if (group.poolEmptyReported || group.poolEmptyUnread.load(std::memory_order_relaxed)) return nullptr;
  group.poolEmptyReported = true;
  group.poolEmptyUnread.store(true, std::memory_order_relaxed);
  EngineCounterSet::add(engine_.counterSet().poolEmptyEpisodes);
  MessagePtr notice = engine_.pool().takeNotice();
  notice->setOpCode(OpCode::Signal);
  notice->header().proto.origin = Origin::engine;
  notice->header().status = Status::pool_empty;
  notice->setChannelNumber(channel.number());
  return notice;
}

void ReceiveFlow::endEpisodeIfLast(GroupImpl& group) {
  --starvingCount_;
  if (--group.starvingChannels == 0) group.poolEmptyReported = false;
}

void ReceiveFlow::stopStarving(IoChannel& channel) {
  if (const auto found = std::find(starving_.begin(), starving_.end(), &channel); found != starving_.end()) {
    starving_.erase(found);
  } else {
    std::replace(resuming_.begin(), resuming_.end(), &channel, static_cast<IoChannel*>(nullptr));
  }
  endEpisodeIfLast(channel.group());
}

void ReceiveFlow::onReceiveRoom() {
  receiveRoom_.store(true, std::memory_order_release);
  inbox_.wake();
}

void ReceiveFlow::resumeStarving() {
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
    endEpisodeIfLast(group);
    if (channel.awaitingMessage()) {
      channel.resume(takeReceiveMessage(group));
    } else {
      channel.resumeReading();  // it starved before reading
    }
  }
  resuming_.clear();
}

}  // namespace tofu::detail
