// TelemetryClient: the monitor's end of the telemetry protocol (docs/telemetry.md): connects
// to an endpoint, checks that it is one, and fetches snapshots. Borrows an EngineSession and
// uses it from the session's receiving thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "tofu/address.h"
#include "tofu/introspection.h"
#include "tofu/message.h"
#include "tofu/telemetry/schema.h"

namespace tofu::cli {

class EngineSession;

struct TelemetrySnapshot {
  std::string json;                  // the body, reassembled from its frames
  EngineSnapshot snapshot;           // the same, decoded
  telemetry::SnapshotSource source;  // who serves it
};

class TelemetryClient {
 public:
  using Clock = std::chrono::steady_clock;
  enum class Idle { elapsed, woken, lost };

  // `session` must outlive the client; `timeout` bounds every wait. `token`, when not empty,
  // goes in the HelloRequest as `telemetry-token` (docs/telemetry.md).
  TelemetryClient(EngineSession& session, const Address& address, std::chrono::nanoseconds timeout,
                  std::string token = {});

  // Connects and checks the HelloResponse's telemetry-version. False with a one-line reason
  // in `error`: "cannot connect to ADDRESS: <status>", "ADDRESS is not a telemetry endpoint: ...",
  // or "ADDRESS refused this monitor: <its telemetry-error> (...)".
  bool connect(std::string& error);

  // Requests one snapshot and waits for all its frames; nullopt with a reason in `error`.
  std::optional<TelemetrySnapshot> snapshot(std::string& error);

  // Waits until `deadline` while watching the channel: `woken` by updateReceiver() (a
  // signal), `lost` (reason in `error`) when the endpoint went away.
  Idle idle(Clock::time_point deadline, std::string& error);

  // ByeRequest, then waits (bounded) for the channel to close. Best effort; does nothing
  // unless the endpoint answered the HelloRequest and the channel has not been lost since.
  void close();

 private:
  // The next message before `deadline`, null on timeout or error (reason in `error`). A
  // failure notification for the channel is turned into a null with "lost ..." as reason.
  MessagePtr receive(Clock::time_point deadline, std::string_view waitingFor, std::string& error);
  std::string waitLimit() const;

  EngineSession& session_;
  std::string peer_;
  Address address_;
  std::chrono::nanoseconds timeout_;
  std::string token_;
  std::uint16_t channel_ = 0;
  bool connected_ = false;  // HelloResponse received, channel not lost since
};

}  // namespace tofu::cli
