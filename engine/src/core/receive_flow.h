// Internal, not part of the API.
// ReceiveFlow: the receive side's memory policy (B5, B14). Owns the read buffer, the pool
// messages taken for frames being read, the stash reserve and the list of channels starving
// until their group's receive budget has room. Owned by the ChannelRegistry; loop thread
// only, except onReceiveRoom().
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <span>
#include <vector>

#include "net/stash_reserve.h"
#include "util/message_access.h"
#include "util/message_queue.h"

namespace tofu::detail {

class AmpeImpl;
class GroupImpl;
class Inbox;
class IoChannel;

class ReceiveFlow {
 public:
  ReceiveFlow(AmpeImpl& engine, Inbox& inbox);
  ReceiveFlow(const ReceiveFlow&) = delete;
  ReceiveFlow& operator=(const ReceiveFlow&) = delete;

  std::span<std::uint8_t> readBuffer() noexcept { return {readBuffer_.get(), kReadBufferSize}; }
  StashReserve& stashReserve() noexcept { return stashes_; }
  // Grows what can hold every channel at once; at set-up, never under steady traffic.
  void reserveFor(std::size_t channels);

  // ChannelContext's receiving services (net/channel_context.h).
  MessagePtr takeReceiveMessage(GroupImpl& group);
  void abandonReceive(GroupImpl& group, MessagePtr message);
  // A frame being delivered to `group`: its reserve becomes its real cost, published with the
  // pass's deliveries. `charge` false: the group is going away and charges nothing.
  void chargeDelivered(GroupImpl& group, Message& frame, bool charge);
  // How many bytes the next read of a channel of `group` may take, when its frames are at
  // least `smallestFrameBytes`: as many as the group's receive budget can still take, at most
  // a full read buffer, the spare messages for them taken from the pool. The bytes the budget
  // cannot take stay in the socket, pushing back on the peer, instead of being read and set
  // aside. At least kShortReadBytes while fewer than kStarvingWithStash channels starve: a
  // channel resumed with room for a message or two still reads a useful amount, and sets at
  // most that aside. (A binary header per spare message was tried as the bound: it cut UDS
  // 256-channel 64 B throughput from 4.9 M to 1.0 M msgs/s, resumed channels reading a frame
  // per read.)
  std::size_t readLimit(GroupImpl& group, std::size_t smallestFrameBytes);
  // True when `group`'s budget is spent and many channels already starve with bytes set
  // aside: a channel should then starve before reading, leaving its bytes in the socket, so
  // the bytes set aside stay bounded however many channels starve at once.
  bool starveBeforeReading(GroupImpl& group);
  // Lists the channel; returns the group's pool_empty notice when this begins an episode
  // (B5), to be delivered by the caller, else null.
  MessagePtr startStarving(IoChannel& channel);
  void stopStarving(IoChannel& channel);
  void holdReceived(GroupImpl& group, std::size_t bytes) noexcept;
  void releaseHeld(GroupImpl& group, std::size_t bytes) noexcept;

  // A group's budget has room again after the loop asked: starving channels resume in the
  // next pass. Any thread.
  void onReceiveRoom();
  // Once per pass: starving channels whose group has room read again, in the order they
  // starved (B14).
  void resumeStarving();
  // End of pass: what was taken for receiving and not used goes back to the pool.
  void returnSpares();

 private:
  // Hundreds of small frames per read; bounded because a channel that starves (B5) keeps the
  // rest of its read until the pool refills, once per starving channel.
  static constexpr std::size_t kReadBufferSize = 64 * 1024;
  static_assert(kReadBufferSize <= StashReserve::kLargestBytes, "a stash holds the rest of any read");
  // Pool messages taken under one pool lock when receiving (one lock per frame otherwise).
  static constexpr std::size_t kReceiveBatch = 32;
  // What a frame being received counts against its group's budget until it is delivered
  // (then its real cost counts): a small frame's real cost.
  static constexpr std::size_t kFrameReserve = MessageAccess::estimatedBytes(0);
  // Spare messages a read may reserve: a full read of 64-byte frames, not the whole pool.
  static constexpr std::size_t kMostReadSpares = 1024;
  // A stash of a short read fits a size class the stash reserve makes up front.
  static constexpr std::size_t kShortReadBytes = StashReserve::kFilledClassBytes;
  // Starving channels past which a channel with the pool dry starves before reading, or, in
  // the middle of a frame, reads only the rest of it: neither sets bytes aside. Also the
  // stash reserve's spares per size class.
  static constexpr std::size_t kStarvingWithStash = 64;

  // True when `group` may receive one more message; otherwise asks to be woken
  // (onReceiveRoom) once it may.
  bool hasReceiveRoom(GroupImpl& group);
  void endEpisodeIfLast(GroupImpl& group);

  AmpeImpl& engine_;
  Inbox& inbox_;
  std::unique_ptr<std::uint8_t[]> readBuffer_;
  MessageQueue spares_;  // taken for receiving, not used yet; back to the pool each pass
  std::vector<IoChannel*> starving_;  // in the order they starved: they resume in that order
  std::vector<IoChannel*> resuming_;  // resumeStarving()'s turn; null once a channel left it
  std::size_t starvingCount_ = 0;     // in starving_ or waiting for their turn in resuming_
  std::atomic<bool> receiveRoom_{false};  // onReceiveRoom() since the last resumeStarving()
  StashReserve stashes_{kStarvingWithStash};
};

}  // namespace tofu::detail
