// Internal, not part of the API.
// Notifier: an eventfd that wakes the reactor's epoll_wait. notify() from any thread;
// drain() on the reactor thread.
#pragma once

#include "net/fd.h"

namespace tofu::detail {

class Notifier {
 public:
  Notifier();  // aborts if eventfd cannot be created (an impossible failure, STYLE 9a)
  void notify() noexcept;
  void drain() noexcept;
  int fd() const noexcept { return fd_.get(); }

 private:
  Fd fd_;
};

}  // namespace tofu::detail
