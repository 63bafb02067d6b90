// Internal, not part of the API.
// IoHandler: what the event loop calls when a watched socket is ready. The loop knows
// sockets only through this; registrations carry the handler as the poller's owner pointer.
// Loop thread only.
#pragma once

#include <cstdint>

namespace tofu::detail {

class IoHandler {
 public:
  // Readiness of the handler's socket (EPOLLIN/OUT/ERR/HUP bits).
  virtual void handleEvents(std::uint32_t events) = 0;

 protected:
  ~IoHandler() = default;
};

}  // namespace tofu::detail
