// tofu::qt::Engine: a tofu engine (Reactor) owned by a QObject, for Qt code. Owns the Reactor;
// ChannelGroup objects and EngineWatchers created on it borrow it and register with it. GUI
// thread (the thread it lives in) only, and so are its borrowers; the wrapped tofu::Ampe itself
// is thread-safe.
//
// Lifetime rules:
// - Borrowers parented to the engine are deleted by ~Engine, before the Reactor stops.
// - Borrowers that are not its children may outlive it: ~Engine detaches them (stops their
//   worker threads, destroys their engine groups and observation) while the Reactor still
//   runs. They stay valid objects with isValid() false; every later call fails with
//   Status::shutdown_started and "the engine was destroyed"; deleting them later is fine.
// - The engine may be deleted inside a slot of one of its borrowers (e.g. messageReceived):
//   that borrower emits nothing more (it is deleted or detached) and returns safely.
#pragma once

#include <QObject>
#include <QString>

#include <memory>
#include <vector>

#include "tofu/ampe.h"
#include "tofu/options.h"
#include "tofu/qt/status.h"
#include "tofu/reactor.h"

namespace tofu::qt {

class EngineLease;

class Engine : public QObject {
  Q_OBJECT

 public:
  // Starts an engine with `options`. When that fails, isValid() is false, errorString() says
  // why and ampe() must not be called. Blocks until the I/O thread is ready (milliseconds).
  explicit Engine(const Options& options = {}, QObject* parent = nullptr);
  // Deletes the QObject children first (they may be using the engine), then detaches the
  // borrowers left (joining their workers), then stops the Reactor (milliseconds).
  ~Engine() override;

  bool isValid() const noexcept { return reactor_ != nullptr; }
  Status creationStatus() const noexcept { return creationStatus_; }
  QString errorString() const;

  // The engine interface. Valid while this object lives and isValid().
  Ampe& ampe() const noexcept;
  std::uint64_t engineId() const noexcept;
  // Where the engine serves telemetry ("" when it does not); see docs/telemetry.md.
  QString telemetryAddress() const;

 private:
  friend class EngineLease;  // registers and unregisters itself in leases_

  std::unique_ptr<Reactor> reactor_;
  Status creationStatus_ = Status::success;
  std::vector<EngineLease*> leases_;  // the borrowers alive, to detach in ~Engine
};

}  // namespace tofu::qt
