// Internal, not part of the API.
// Notifier: an eventfd that wakes the reactor's epoll_wait. notify() from any thread;
// drain() on the reactor thread.
#pragma once

#include "util/fd.h"

namespace tofu::detail {

class Notifier {
 public:
  Notifier();
  // False when no eventfd could be created (e.g. out of descriptors).
  bool valid() const noexcept { return fd_.valid(); }
  void notify() noexcept;
  void drain() noexcept;
  int fd() const noexcept { return fd_.get(); }

 private:
  Fd fd_;
};

}  // namespace tofu::detail
