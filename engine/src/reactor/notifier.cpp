#include "reactor/notifier.h"

#include <sys/eventfd.h>

#include <cerrno>
#include <cstdint>

namespace tofu::detail {

Notifier::Notifier() : fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}

void Notifier::notify() noexcept {
  const std::uint64_t one = 1;
  // EAGAIN means the counter is saturated: the reactor will wake anyway.
  while (::write(fd_.get(), &one, sizeof one) < 0 && errno == EINTR) {
  }
}

void Notifier::drain() noexcept {
  std::uint64_t count = 0;
  while (::read(fd_.get(), &count, sizeof count) < 0 && errno == EINTR) {
  }
}

}  // namespace tofu::detail
