#include "tofu/qt/engine.h"

#include <utility>

#include "engine_lease.h"

namespace tofu::qt {

Engine::Engine(const Options& options, QObject* parent) : QObject(parent) {
  Result<std::unique_ptr<Reactor>> created = Reactor::create(options);
  creationStatus_ = created.status();
  if (created.ok()) {
    reactor_ = std::move(created).value();
  }
}

Engine::~Engine() {
  // Children (groups, watchers) call into the engine from their destructors and worker
  // threads, so they must be gone before the Reactor; ~QObject would delete them too late.
  while (!children().isEmpty()) {
    delete children().constLast();
  }
  // The borrowers left are not children: they stay, detached while the Reactor still runs.
  while (!leases_.empty()) {
    EngineLease* lease = leases_.back();
    leases_.pop_back();
    lease->detach();
  }
  reactor_.reset();
}

QString Engine::errorString() const {
  return creationStatus_ == Status::success ? QString() : statusDescription(creationStatus_);
}

Ampe& Engine::ampe() const noexcept { return reactor_->ampe(); }

std::uint64_t Engine::engineId() const noexcept { return reactor_ ? reactor_->ampe().engineId() : 0; }

QString Engine::telemetryAddress() const {
  return reactor_ ? QString::fromStdString(reactor_->ampe().telemetryAddress()) : QString();
}

}  // namespace tofu::qt
