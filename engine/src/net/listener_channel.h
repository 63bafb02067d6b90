// Internal, not part of the API.
// ListenerChannel: a listening socket; each accepted connection becomes a server IO channel
// of the same group. Loop thread only.
#pragma once

#include "net/channel.h"
#include "net/uds_socket_file.h"
#include "tofu/address.h"

namespace tofu::detail {

class ListenerChannel final : public Channel {
 public:
  ListenerChannel(EventLoop& loop, std::uint16_t number, GroupImpl& group, std::uint64_t welcomeId);

  // Binds and listens; success or the failure status for the WelcomeResponse.
  // On success `bound` is the address actually bound (the real port for port 0, B8).
  Status open(const Address& local, Address& bound);

  void onEvents(std::uint32_t events) override;
  void onPost(MessagePtr message) override;
  void onDeadline() override;

 protected:
  // A UDS listener removes its socket file here, before the socket closes (issue 18).
  void releaseHeld(Status reason) override;

 private:
  Address local_;
  UdsFileIdentity udsFile_;  // the file open() created; unknown for TCP or a failed open
};

}  // namespace tofu::detail
