// Implementation of the flow-control test helpers (see flow_harness.h).
#include "flow_harness.h"

#include <algorithm>
#include <cstdio>
#include <thread>

namespace tofu::test {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

}  // namespace

// ---------------------------------------------------------------------------------------------
// Loads sized to the build

Sanitizer activeSanitizer() noexcept {
#if defined(TOFU_SANITIZER_ADDRESS)
  return Sanitizer::address;
#elif defined(TOFU_SANITIZER_THREAD)
  return Sanitizer::thread;
#else
  return Sanitizer::none;
#endif
}

const char* toString(Sanitizer sanitizer) noexcept {
  switch (sanitizer) {
    case Sanitizer::address:
      return "asan";
    case Sanitizer::thread:
      return "tsan";
    case Sanitizer::none:
      break;
  }
  return "none";
}

std::uint64_t perBuild(std::uint64_t release, std::uint64_t asan, std::uint64_t tsan) noexcept {
  switch (activeSanitizer()) {
    case Sanitizer::address:
      return asan;
    case Sanitizer::thread:
      return tsan;
    case Sanitizer::none:
      break;
  }
  return release;
}

// ---------------------------------------------------------------------------------------------
// Deadlock detection

ProgressWatch::ProgressWatch(milliseconds patience) : patience_(patience), since_(Clock::now()) {}

bool ProgressWatch::moving(std::uint64_t progress) {
  const auto now = Clock::now();
  if (progress != last_) {
    last_ = progress;
    since_ = now;
    return true;
  }
  return now - since_ < patience_;
}

std::string flowDump(Ampe& ampe) {
  auto snapshot = ampe.snapshot();
  if (!snapshot.ok()) return std::string("  (no snapshot: ") + toString(snapshot.status()) + ")\n";
  std::string text;
  for (const ChannelInfo& info : snapshot.value().channels) {
    text += "  ch " + std::to_string(info.channelNumber) + " " + toString(info.kind) + " " +
            toString(info.state) + " sent " + std::to_string(info.messagesSent) + " received " +
            std::to_string(info.messagesReceived) + " send queue " + std::to_string(info.sendQueueMessages) +
            " msgs / " + std::to_string(info.sendQueueBytes) + " B" +
            (info.state == ChannelState::closed ? std::string(" reason ") + toString(info.closeReason) : "") +
            "\n";
  }
  for (const GroupInfo& group : snapshot.value().groups) {
    text += "  group " + std::to_string(group.groupId) + " receive queue " +
            std::to_string(group.receiveQueueDepth) + "\n";
  }
  const PoolInfo& pool = snapshot.value().pool;
  text += "  pool idle " + std::to_string(pool.idle) + " in use " + std::to_string(pool.inUse) +
          " pool_empty " + std::to_string(pool.poolEmptyEpisodes) + "\n";
  return text;
}

// ---------------------------------------------------------------------------------------------
// Close reasons

std::map<std::uint16_t, Status> closeReasons(Ampe& ampe, const std::vector<std::uint16_t>& channels,
                                             milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  std::map<std::uint16_t, Status> reasons;
  for (;;) {
    auto snapshot = ampe.snapshot();
    if (snapshot.ok()) {
      for (const ChannelInfo& info : snapshot.value().channels) {
        if (info.state == ChannelState::closed &&
            std::find(channels.begin(), channels.end(), info.channelNumber) != channels.end()) {
          reasons.emplace(info.channelNumber, info.closeReason);
        }
      }
    }
    if (reasons.size() == channels.size() || Clock::now() >= deadline) return reasons;
    std::this_thread::sleep_for(milliseconds(10));
  }
}

// ---------------------------------------------------------------------------------------------
// Numbered messages

NumberedBody::NumberedBody(std::uint64_t index, std::size_t bytes) {
  size_ = std::clamp<std::size_t>(bytes, 24, text_.size());
  std::snprintf(text_.data(), text_.size(), "message %016llx", static_cast<unsigned long long>(index));
  for (std::size_t i = 24; i < size_; ++i) text_[i] = static_cast<char>('a' + (index + i) % 26);
}

void NumberedStream::fill(Message& message, std::uint64_t index) const {
  message.setOpCode(op);
  message.setChannelNumber(channel);
  message.setMessageId(firstId + index);
  message.body().assign(NumberedBody(index, bodyBytes).view());
}

bool NumberedStream::matches(const Message& message, std::uint64_t index) const {
  return message.opCode() == op && message.isFromApplication() && message.status() == Status::success &&
         message.channelNumber() == channel && message.messageId() == firstId + index &&
         message.body().view() == NumberedBody(index, bodyBytes).view();
}

void takeQueued(Ampe& ampe, ChannelGroup& group, milliseconds wait,
                const std::function<bool(const Message&)>& take) {
  auto waitNs = static_cast<std::uint64_t>(std::chrono::nanoseconds(wait).count());
  for (;;) {
    auto received = group.waitReceive(waitNs);
    waitNs = 0;
    if (!received.ok() || !received.value()) return;
    MessagePtr message = std::move(received).value();
    const bool more = take(*message);
    ampe.put(message);
    if (!more) return;
  }
}

}  // namespace tofu::test
