#include "net/resolver.h"

#include <atomic>
#include <system_error>
#include <thread>

#include "tofu/support/mutex.h"

namespace tofu::detail {
namespace {

std::atomic<Resolver::Lookup> lookupForTesting{nullptr};

}  // namespace

struct Resolver::State {
  Mutex mutex;
  bool open GUARDED_BY(mutex) = true;
};

Resolver::Resolver() : state_(std::make_shared<State>()) {}

Resolver::~Resolver() { shutdown(); }

Status Resolver::resolve(const Address& address, Done done) {
  try {
    const Lookup replaced = lookupForTesting.load(std::memory_order_acquire);
    const Lookup lookup = replaced != nullptr ? replaced : &resolveTcp;
    std::thread([state = state_, lookup, address, done = std::move(done)] {
      SocketAddress resolved;
      const Status status = lookup(address, resolved);
      // Holding the lock while calling `done` is what lets shutdown() promise silence.
      MutexLock lock(state->mutex);
      if (state->open) done(status, resolved);
    }).detach();
  } catch (const std::system_error&) {
    return Status::allocation_failed;
  }
  return Status::success;
}

void Resolver::setLookupForTesting(Lookup lookup) noexcept {
  lookupForTesting.store(lookup, std::memory_order_release);
}

void Resolver::shutdown() {
  MutexLock lock(state_->mutex);
  state_->open = false;
}

}  // namespace tofu::detail
