#include "core/channel_table.h"

namespace tofu::detail {

namespace {
// Random probes before falling back to a scan, so allocation is bounded when nearly full.
constexpr int kRandomProbes = 64;
}  // namespace

ChannelTable::ChannelTable(std::size_t sendQueueLimitBytes, std::size_t maxChannels)
    : sendQueueLimitBytes_(sendQueueLimitBytes),
      maxChannels_(maxChannels == 0 ? kNumbers : maxChannels),
      entries_(std::make_unique<Entry[]>(kNumbers)),
      random_(std::random_device{}()) {}

bool ChannelTable::usable(std::uint16_t number) const {
  return number != 0 && number != kReservedNumber && entries_[number].owner.load(std::memory_order_relaxed) == nullptr &&
         !quarantined_[number];
}

Result<std::uint16_t> ChannelTable::allocate(GroupImpl* owner) {
  MutexLock lock(mutex_);
  constexpr std::size_t kAssignable = kNumbers - 2;
  if (inUse_ >= maxChannels_ || inUse_ + quarantineCount_ >= kAssignable) return Status::allocation_failed;

  std::uniform_int_distribution<std::uint32_t> pick(1, kReservedNumber - 1);
  std::uint16_t number = 0;
  for (int probe = 0; probe < kRandomProbes && number == 0; ++probe) {
    const auto candidate = static_cast<std::uint16_t>(pick(random_));
    if (usable(candidate)) number = candidate;
  }
  if (number == 0) {
    const auto start = static_cast<std::uint16_t>(pick(random_));
    for (std::uint32_t step = 0; step < kNumbers && number == 0; ++step) {
      const auto candidate = static_cast<std::uint16_t>((start + step) & 0xFFFFu);
      if (usable(candidate)) number = candidate;
    }
  }
  if (number == 0) return Status::allocation_failed;
  entries_[number].queuedBytes.store(0, std::memory_order_relaxed);
  entries_[number].sendFlow.store(kFlowIdle, std::memory_order_relaxed);
  entries_[number].owner.store(owner, std::memory_order_release);
  ++inUse_;
  return number;
}

Status ChannelTable::charge(std::uint16_t number, const GroupImpl* poster, std::uint32_t bytes) {
  Entry& entry = entries_[number];
  const GroupImpl* owner = entry.owner.load(std::memory_order_acquire);
  if (number == 0 || number == kReservedNumber || owner == nullptr) return Status::invalid_channel_number;
  if (owner != poster) return Status::invalid_message_channel_group;
  // The limit is soft under concurrent posts: good enough to bound memory (B6).
  if (bytes == 0) return Status::success;
  const std::uint32_t queued = entry.queuedBytes.load(std::memory_order_relaxed);
  if (queued != 0 && queued + static_cast<std::size_t>(bytes) > sendQueueLimitBytes_) {
    return Status::notification_failed;
  }
  entry.queuedBytes.fetch_add(bytes, std::memory_order_relaxed);
  return Status::success;
}

void ChannelTable::uncharge(std::uint16_t number, std::uint32_t bytes) noexcept {
  entries_[number].queuedBytes.fetch_sub(bytes, std::memory_order_relaxed);
}

bool ChannelTable::markRefused(std::uint16_t number) noexcept {
  std::atomic<std::uint8_t>& flow = entries_[number].sendFlow;
  // Loaded first: a flood of refusals then only reads the shared line.
  std::uint8_t idle = flow.load(std::memory_order_relaxed);
  return idle == kFlowIdle && flow.compare_exchange_strong(idle, kFlowRefused, std::memory_order_relaxed);
}

bool ChannelTable::takeSendReady(std::uint16_t number) noexcept {
  Entry& entry = entries_[number];
  if (entry.sendFlow.load(std::memory_order_relaxed) != kFlowRefused) return false;
  // Half the limit, not empty: the socket has data to write while the application hears of
  // the room and posts again, and a channel at the limit gets one notice per half-limit
  // written, not one per message.
  if (entry.queuedBytes.load(std::memory_order_relaxed) > sendQueueLimitBytes_ / 2) return false;
  // Only this thread leaves kFlowRefused.
  entry.sendFlow.store(kFlowReadyUnread, std::memory_order_relaxed);
  return true;
}

void ChannelTable::sendReadyTaken(std::uint16_t number) noexcept {
  // Not a plain store: the number may have been released and allocated again since the
  // notice was sent, and the new channel's own refusal must stay marked.
  std::uint8_t unread = kFlowReadyUnread;
  entries_[number].sendFlow.compare_exchange_strong(unread, kFlowIdle, std::memory_order_relaxed);
}

void ChannelTable::release(std::uint16_t number) {
  MutexLock lock(mutex_);
  Entry& entry = entries_[number];
  if (entry.owner.load(std::memory_order_relaxed) == nullptr) return;
  entry.owner.store(nullptr, std::memory_order_release);
  --inUse_;
  if (quarantineCount_ == kQuarantine) {
    quarantined_[quarantineRing_[quarantineNext_]] = false;
  } else {
    ++quarantineCount_;
  }
  quarantineRing_[quarantineNext_] = number;
  quarantined_[number] = true;
  quarantineNext_ = (quarantineNext_ + 1) % kQuarantine;
}

std::size_t ChannelTable::inUse() const {
  MutexLock lock(mutex_);
  return inUse_;
}

}  // namespace tofu::detail
