#include "reactor/epoll_poller.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace tofu::detail {

namespace {
// 6 KiB: a few hundred channels need no growth at all.
constexpr std::size_t kInitialEvents = 512;

std::uint32_t toEpoll(Interest interest) {
  return (interest.read ? std::uint32_t{EPOLLIN} : 0u) | (interest.write ? std::uint32_t{EPOLLOUT} : 0u);
}

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "tofu: %s failed: %s\n", what, std::strerror(errno));
  std::abort();
}
}  // namespace

EpollPoller::EpollPoller() : epoll_(::epoll_create1(EPOLL_CLOEXEC)), events_(kInitialEvents) {}

void EpollPoller::add(int fd, Interest interest, void* owner) {
  epoll_event event{};
  event.events = toEpoll(interest);
  event.data.ptr = owner;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &event) != 0) fail("epoll_ctl(ADD)");
}

void EpollPoller::modify(int fd, Interest interest, void* owner) {
  epoll_event event{};
  event.events = toEpoll(interest);
  event.data.ptr = owner;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, fd, &event) != 0) fail("epoll_ctl(MOD)");
}

void EpollPoller::remove(int fd) noexcept { ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr); }

void EpollPoller::reserveEvents(std::size_t descriptors) {
  if (descriptors <= events_.size()) return;
  wantedEvents_ = std::max({wantedEvents_, descriptors, 2 * events_.size()});  // doubling: few resizes
}

std::span<const epoll_event> EpollPoller::wait(int timeoutMs) {
  // Grow before waiting, never after: the returned span points into events_.
  if (wantedEvents_ > events_.size()) events_.resize(wantedEvents_);
  const int count = ::epoll_wait(epoll_.get(), events_.data(), static_cast<int>(events_.size()), timeoutMs);
  if (count < 0) {
    if (errno == EINTR) return {};
    fail("epoll_wait");
  }
  return {events_.data(), static_cast<std::size_t>(count)};
}

}  // namespace tofu::detail
