// Internal, not part of the API.
// ListenerChannel: a listening socket; each accepted connection becomes a server IO channel
// of the same group. Loop thread only.
#pragma once

#include <memory>

#include "net/channel.h"
#include "net/transport.h"
#include "tofu/address.h"

namespace tofu::detail {

// Decides, the moment a listener has accepted a connection, whether to keep it (issue 18:
// the telemetry server keeps one peer from filling its channel slots between its checks).
// Installed on the engine (AmpeImpl::setAcceptGate) before its listeners open; a listener
// without one pays a null check per accepted connection.
class AcceptGate {
 public:
  virtual ~AcceptGate() = default;
  // Loop thread. `fd`: the connected socket just accepted. False: it is reset and closed at
  // once, before it takes a channel number.
  virtual bool admit(int fd) noexcept = 0;
};

class ListenerChannel final : public Channel {
 public:
  ListenerChannel(ChannelContext& context, std::uint16_t number, GroupImpl& group, std::uint64_t welcomeId);

  // Binds and listens; success or the failure status for the WelcomeResponse.
  // On success `bound` is the address actually bound (the real port for port 0, B8).
  Status open(const Address& local, Address& bound);

  void onEvents(std::uint32_t events) override;
  void onPost(MessagePtr message) override;
  void onDeadline() override;

 protected:
  // The transport releases the listener here, before the socket closes (a UDS listener
  // removes its socket file, issue 18).
  void releaseHeld(Status reason) override;

 private:
  Address local_;
  const Transport* transport_ = nullptr;  // set by a successful open()
  std::shared_ptr<AcceptGate> gate_;  // the engine's, taken at open(); usually null
  UdsFileIdentity socketFile_;  // the file open() created; unknown for TCP or a failed open
};

}  // namespace tofu::detail
