// Internal, not part of the API.
// EpollPoller: level-triggered epoll with an opaque pointer per registration. Owned by the
// reactor and used only on its thread.
#pragma once

#include <sys/epoll.h>

#include <cstdint>
#include <span>
#include <vector>

#include "util/fd.h"

namespace tofu::detail {

// What a registration waits for; mirrors EPOLLIN / EPOLLOUT.
struct Interest {
  bool read = false;
  bool write = false;
  bool operator==(const Interest&) const = default;
};

class EpollPoller {
 public:
  EpollPoller();
  // False when no epoll instance could be created (e.g. out of descriptors).
  bool valid() const noexcept { return epoll_.valid(); }
  void add(int fd, Interest interest, void* owner);
  void modify(int fd, Interest interest, void* owner);
  void remove(int fd) noexcept;
  // Room for `descriptors` ready at once, so that one wait reports them all: the event list
  // grows (before the next wait) with the descriptors watched, at set-up, never in steady
  // traffic.
  void reserveEvents(std::size_t descriptors);
  // Waits up to timeoutMs (-1 forever); the events stay valid until the next wait.
  std::span<const epoll_event> wait(int timeoutMs);

 private:
  Fd epoll_;
  std::vector<epoll_event> events_;
  std::size_t wantedEvents_ = 0;  // events_'s size from the next wait on
};

}  // namespace tofu::detail
