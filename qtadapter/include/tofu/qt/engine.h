// tofu::qt::Engine: a tofu engine (Reactor) owned by a QObject, for Qt code. Owns the Reactor;
// ChannelGroup objects and watchers created on it borrow it and must be destroyed first
// (the destructor deletes its QObject children, so parenting them to the engine is enough).
// GUI thread (the thread it lives in) only; the wrapped tofu::Ampe itself is thread-safe.
#pragma once

#include <QObject>
#include <QString>

#include <memory>

#include "tofu/ampe.h"
#include "tofu/options.h"
#include "tofu/qt/status.h"
#include "tofu/reactor.h"

namespace tofu::qt {

class Engine : public QObject {
  Q_OBJECT

 public:
  // Starts an engine with `options`. When that fails, isValid() is false, errorString() says
  // why and ampe() must not be called. Blocks until the I/O thread is ready (milliseconds).
  explicit Engine(const Options& options = {}, QObject* parent = nullptr);
  // Deletes the QObject children first (they may be using the engine), then stops the
  // Reactor (milliseconds).
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
  std::unique_ptr<Reactor> reactor_;
  Status creationStatus_ = Status::success;
};

}  // namespace tofu::qt
