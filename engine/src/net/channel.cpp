#include "net/channel.h"

#include "net/socket_ops.h"
#include "reactor/event_loop.h"

namespace tofu::detail {

Channel::Channel(EventLoop& loop, Kind kind, std::uint16_t number, GroupImpl& group)
    : loop_(loop), kind_(kind), number_(number), incarnation_(loop.nextIncarnation()), group_(group) {}

Channel::~Channel() = default;

void Channel::close(Status reason, bool abortive) {
  if (closing_) return;
  closing_ = true;
  abortive_ = abortive;
  closeReason_ = reason;
  releaseHeld(reason);
  loop_.scheduleClose(*this);
}

void Channel::finish() {
  unwatch();
  if (fd_.valid() && abortive_) setAbortiveClose(fd_.get());
  fd_.reset();
  afterSocketClosed();
}

void Channel::watch(Interest interest) {
  if (!fd_.valid()) return;
  if (!watched_) {
    loop_.poller().add(fd_.get(), interest, this);
    watched_ = true;
  } else if (interest != interest_) {
    loop_.poller().modify(fd_.get(), interest, this);
  }
  interest_ = interest;
}

void Channel::unwatch() noexcept {
  if (!watched_) return;
  loop_.poller().remove(fd_.get());
  watched_ = false;
}

}  // namespace tofu::detail
