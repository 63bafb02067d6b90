#include "tofu/reactor.h"

#include "core/engine.h"

namespace tofu {

Result<std::unique_ptr<Reactor>> Reactor::create(const Options& options) {
  auto engine = std::make_unique<detail::Engine>(options);
  if (const Status started = engine->start(); started != Status::success) return started;
  return std::unique_ptr<Reactor>(new Reactor(std::move(engine)));
}

Reactor::Reactor(std::unique_ptr<detail::Engine> engine) : engine_(std::move(engine)) {}

Reactor::~Reactor() = default;

Ampe& Reactor::ampe() noexcept { return *engine_; }

}  // namespace tofu
