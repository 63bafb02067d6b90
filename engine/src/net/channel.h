// Internal, not part of the API.
// Channel: one tofu channel in the event loop: a listener or an IO connection, with its
// number, owning group and socket. Created, used and destroyed on the loop thread only;
// close() only marks it, the loop tears it down at the end of the pass (STYLE 13).
#pragma once

#include <cstdint>
#include <string>

#include "reactor/epoll_poller.h"
#include "reactor/io_handler.h"
#include "util/fd.h"
#include "tofu/introspection.h"
#include "tofu/message.h"
#include "tofu/status.h"

namespace tofu::detail {

class ChannelContext;
class GroupImpl;

// Appends `failureText` (when not empty) to a message the engine hands back because of that
// failure, as kTlsErrorHeader. A message whose headers are full goes without it.
void annotateFailure(Message& message, const std::string& failureText);

class Channel : public IoHandler {
 public:
  using Kind = ChannelKind;

  Channel(ChannelContext& context, Kind kind, std::uint16_t number, GroupImpl& group);
  virtual ~Channel();
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  // The loop's call: a closing channel ignores readiness.
  void handleEvents(std::uint32_t events) final {
    if (!closing_) onEvents(events);
  }
  // Socket readiness (EPOLLIN/OUT/ERR/HUP bits).
  virtual void onEvents(std::uint32_t events) = 0;
  // A message the application posted for this channel.
  virtual void onPost(MessagePtr message) = 0;
  // A deadline set through ChannelContext::setDeadline() has passed.
  virtual void onDeadline() {}

  // Closes with `reason` (the first call wins): messages the channel holds go back to their
  // group at once; the socket closes and the final Signal(channel_closed) is sent at the end
  // of the pass. `abortive` makes the close send RST instead of FIN.
  void close(Status reason, bool abortive);
  // End-of-pass teardown: stop polling and close the socket.
  void finish();

  bool closing() const noexcept { return closing_; }
  Status closeReason() const noexcept { return closeReason_; }
  Kind kind() const noexcept { return kind_; }
  std::uint16_t number() const noexcept { return number_; }
  std::uint64_t incarnation() const noexcept { return incarnation_; }
  GroupImpl& group() const noexcept { return group_; }
  // The message id the final Signal(channel_closed) carries (docs/behaviour.md).
  std::uint64_t finalMessageId() const noexcept { return finalMessageId_; }
  // False for a server channel that never delivered a frame: the application never heard
  // of it, so its closing is not announced either.
  virtual bool knownToApplication() const noexcept { return true; }
  // True while a post could still be sent (not closing, no Bye queued): only such a channel
  // tells its group it can take more (B16).
  virtual bool takesPosts() const noexcept { return false; }
  // Why the channel failed, when its transport said more than the status (a TLS error); the
  // final Signal carries it in kTlsErrorHeader. "" otherwise.
  const std::string& failureText() const noexcept { return failureText_; }

  // Introspection (A1): what a snapshot shows of this channel.
  virtual ChannelInfo info() const;
  ChannelState state() const noexcept { return state_; }
  void setLocalAddress(std::string address) { localAddress_ = std::move(address); }
  void setPeerAddress(std::string address) { peerAddress_ = std::move(address); }

 protected:
  // Hands back whatever the channel holds, with `reason`.
  virtual void releaseHeld(Status reason) = 0;
  // Extra teardown after the socket is closed (a UDS listener removes its file).
  virtual void afterSocketClosed() {}

  void attachSocket(Fd fd) noexcept { fd_ = std::move(fd); }
  int socket() const noexcept { return fd_.get(); }
  // Starts or changes polling for the socket.
  void watch(Interest interest);
  // Stops polling without closing (a starving or paused channel).
  void unwatch() noexcept;
  void setFinalMessageId(std::uint64_t id) noexcept { finalMessageId_ = id; }
  void setFailureText(std::string text) { failureText_ = std::move(text); }
  // Records the new state and publishes it to an observer.
  void setState(ChannelState state);
  void countSent(std::size_t frames, std::size_t bytes, std::int64_t nowNs) noexcept;
  void countReceived(std::size_t bytes, std::int64_t nowNs) noexcept;

  ChannelContext& context_;

 private:
  const Kind kind_;
  const std::uint16_t number_;
  const std::uint64_t incarnation_;
  GroupImpl& group_;
  Fd fd_;
  Interest interest_;
  bool watched_ = false;
  bool closing_ = false;
  bool abortive_ = false;
  Status closeReason_ = Status::success;
  std::uint64_t finalMessageId_ = 0;
  std::string failureText_;

  // Introspection bookkeeping.
  ChannelState state_ = ChannelState::opening;
  std::string localAddress_;
  std::string peerAddress_;
  std::uint64_t messagesSent_ = 0;
  std::uint64_t bytesSent_ = 0;
  std::uint64_t messagesReceived_ = 0;
  std::uint64_t bytesReceived_ = 0;
  std::int64_t lastSendNs_ = 0;
  std::int64_t lastReceiveNs_ = 0;
};

}  // namespace tofu::detail
