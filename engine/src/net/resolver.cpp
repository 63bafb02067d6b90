#include "net/resolver.h"

#include <system_error>
#include <thread>

#include "util/mutex.h"

namespace tofu::detail {

struct Resolver::State {
  Mutex mutex;
  bool open GUARDED_BY(mutex) = true;
};

Resolver::Resolver() : state_(std::make_shared<State>()) {}

Resolver::~Resolver() { shutdown(); }

Status Resolver::resolve(const Address& address, Done done) {
  try {
    std::thread([state = state_, address, done = std::move(done)] {
      SocketAddress resolved;
      const Status status = resolveTcp(address, resolved);
      // Holding the lock while calling `done` is what lets shutdown() promise silence.
      MutexLock lock(state->mutex);
      if (state->open) done(status, resolved);
    }).detach();
  } catch (const std::system_error&) {
    return Status::allocation_failed;
  }
  return Status::success;
}

void Resolver::shutdown() {
  MutexLock lock(state_->mutex);
  state_->open = false;
}

}  // namespace tofu::detail
