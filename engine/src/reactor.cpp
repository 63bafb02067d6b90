#include "tofu/reactor.h"

#include "core/ampe_impl.h"
#include "telemetry/telemetry_server.h"

namespace tofu {

Result<std::unique_ptr<Reactor>> Reactor::create(const Options& options) {
  auto engine = std::make_unique<detail::AmpeImpl>(options);
  if (const Status started = engine->start(); started != Status::success) return started;
  // Telemetry serves the engine from above its core: started here, kept by the engine.
  Result<std::unique_ptr<detail::TelemetryServer>> telemetry = detail::TelemetryServer::startConfigured(*engine, options);
  if (!telemetry.ok()) return telemetry.status();
  if (std::unique_ptr<detail::TelemetryServer> server = std::move(telemetry).value()) {
    std::string address = server->boundAddress().toString();
    engine->keepTelemetry(std::shared_ptr<detail::TelemetryServer>(std::move(server)), std::move(address));
  }
  return std::unique_ptr<Reactor>(new Reactor(std::move(engine)));
}

Reactor::Reactor(std::unique_ptr<detail::AmpeImpl> engine) : engine_(std::move(engine)) {}

Reactor::~Reactor() = default;

Ampe& Reactor::ampe() noexcept { return *engine_; }

}  // namespace tofu
