// TelemetrySource: another process's engine, through its telemetry endpoint (docs/telemetry.md).
// Owns a private tofu::qt::Engine and group that connect, subscribe (with payloads: whole text
// headers and bodies up to the process's limit) and parse snapshots and events. Its engines are
// named after the process that serves them (ProcessIdentity). A lost endpoint is shown as
// disconnected and retried after retryMs, doubling up to kMaxRetryMs, until it is back. An
// address that answers but is not a telemetry endpoint is not retried (nor disturbed) again.
// A token, when given, goes once in the HelloRequest as `telemetry-token` (docs/telemetry.md,
// "Access and limits"). An endpoint that refuses the token is not retried: the source stays
// disconnected with the reason (isRefused()) until it is attached again with the right token.
// A `tls|HOST|PORT` endpoint is reached with the TLS files of its TelemetryAccess; a failed
// handshake (a certificate refused) is shown as disconnected with the engine's reason, and
// retried like a loss.
// GUI thread only; the bodies are parsed on a private thread (TelemetryParser), in order.
#pragma once

#include <QHash>
#include <QThread>
#include <QTimer>
#include <memory>

#include "process_identity.h"
#include "sources/source.h"

namespace tofu::qt {
class ChannelGroup;
class Engine;
struct MessageEnvelope;
}  // namespace tofu::qt

namespace tofu::monitor {

class TelemetryParser;

// What a monitor presents to reach an endpoint: its token and, for tls|HOST|PORT, the TLS
// files of the monitor's engine (docs/telemetry.md, "Over TLS").
struct TelemetryAccess {
  QString token;            // sent as telemetry-token when not empty
  QString caFile;           // CAs the endpoint's certificate must chain to; empty: the system's
  QString certificateFile;  // a client certificate (PEM), for endpoints that require one
  QString keyFile;          // its private key (PEM)
  // The endpoint's certificate is NOT checked: anyone on the path can read and change the
  // telemetry. For tests only; the monitor says so wherever it is set.
  bool insecureSkipVerification = false;
};

class TelemetrySource : public Source {
  Q_OBJECT

 public:
  // Starts connecting at the next event-loop turn, so signals can be connected first.
  static constexpr int kMaxRetryMs = 30'000;

  explicit TelemetrySource(const QString& address, int retryMs = 1000, QObject* parent = nullptr);
  // The same, presenting `token` (none when empty) to the endpoint.
  TelemetrySource(const QString& address, const QString& token, int retryMs = 1000,
                  QObject* parent = nullptr);
  // The same with a token and TLS files. When the monitor's engine cannot start with them (a
  // file unreadable, the key not the certificate's), the source is disconnected with the reason.
  TelemetrySource(const QString& address, const TelemetryAccess& access, int retryMs = 1000,
                  QObject* parent = nullptr);
  ~TelemetrySource() override;
  QString name() const override;
  QString kindName() const override;
  // The serving process's label once a snapshot said who it is, else the address.
  QString engineName(std::uint64_t engineId) const override;         // "tofu-cli[4242]"
  QString engineDescription(std::uint64_t engineId) const override;  // processLabel()
  // Who serves the endpoint, from the latest snapshot (not known() before the first).
  const telemetry::ProcessIdentity& process() const noexcept { return process_; }

  // Events this monitor lost since it last subscribed: the endpoint's `dropped` count plus
  // those dropped here when parsing fell behind.
  quint64 droppedEvents() const noexcept override { return dropped_ + droppedUnparsed_; }
  // True when the source presents a token (the token itself is not readable back).
  bool hasToken() const noexcept { return !token_.isEmpty(); }
  // True once the endpoint refused this monitor's token (or its absence): the source stays
  // disconnected, stateReason() says why, and it does not reconnect.
  bool isRefused() const noexcept { return refused_; }
  // Connection attempts so far (each HelloRequest sent), for tests and diagnostics.
  int connectAttempts() const noexcept { return attempts_; }
  // The wait before the next attempt after a loss (retryMs doubled per failed attempt).
  int nextRetryMs() const noexcept { return nextRetryMs_; }

 private:
  void connectNow();
  void onMessage(const tofu::qt::MessageEnvelope& message);
  void onWelcome(const tofu::qt::MessageEnvelope& message);
  void onData(const tofu::qt::MessageEnvelope& message, const QString& what);
  void lost(const QString& reason);
  // Stops for good with `reason` (refused token, not a telemetry endpoint) until attached again.
  void giveUp(const QString& reason);
  // The endpoint refused this monitor's `what` (hello, snapshot...) with telemetry-error
  // `reason`: drops the channel and, for a token refusal, stops for good; other refusals (too
  // many monitors, shutting down) are retried like a loss.
  void refuse(const QString& what, const QString& reason);

  QString address_;
  QByteArray token_;  // sent as telemetry-token when not empty
  QString tlsError_;  // the engine's ~tls-error about channel_, for the loss that follows
  std::unique_ptr<tofu::qt::Engine> engine_;
  tofu::qt::ChannelGroup* group_ = nullptr;  // a child of engine_
  quint16 channel_ = 0;                      // 0 while not connected or connecting
  QHash<quint64, QByteArray> partial_;       // bodies of split messages, by message id
  quint64 dropped_ = 0;                      // the endpoint's count
  quint64 droppedUnparsed_ = 0;              // dropped by parser_ for its backlog
  bool welcomed_ = false;                    // HelloResponse accepted on channel_
  bool refused_ = false;                     // refused or not telemetry: no more attempts
  int attempts_ = 0;
  const int firstRetryMs_;
  int nextRetryMs_;  // the wait after the next loss
  telemetry::ProcessIdentity process_;
  QTimer retry_;
  QThread parserThread_;
  TelemetryParser* parser_ = nullptr;  // lives in parserThread_; deleted once it has ended
};

}  // namespace tofu::monitor
