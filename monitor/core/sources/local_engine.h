// LocalEngine: an in-process engine shown in a Session (the demo's, the workbench's). Owns the
// tofu::qt::Engine (groups are its QObject children) and a LocalSource for it, which it adds
// to the Session at once or on show(), and takes out of the Session again before the engine
// goes. Internal to monitor/core. GUI thread only.
#pragma once

#include <QPointer>
#include <QString>

#include <memory>

#include "tofu/qt/channel_group.h"
#include "tofu/qt/engine.h"

namespace tofu::monitor {

class LocalSource;
class Session;

class LocalEngine {
 public:
  enum class Listed { now, onShow };
  LocalEngine(Session& session, const QString& name, Listed listed = Listed::now);
  ~LocalEngine();
  LocalEngine(const LocalEngine&) = delete;
  LocalEngine& operator=(const LocalEngine&) = delete;

  tofu::qt::Engine& engine() noexcept { return *engine_; }
  // Null once the Session has dropped the source (or is gone).
  LocalSource* source() const noexcept { return source_.data(); }
  // Adds the source to the Session if it is not there yet (Listed::onShow).
  void show();

 private:
  QPointer<Session> session_;
  std::unique_ptr<tofu::qt::Engine> engine_;
  QPointer<LocalSource> source_;
  bool shown_ = false;  // source_ was given to the Session (which owns it from then on)
};

// The protocol's part of a listening application: a peer's HelloRequest gets its
// HelloResponse and a ByeRequest its ByeResponse (same id). Returns the id sent, 0 when
// `message` needs no answer or the send failed.
quint64 answerHandshake(tofu::qt::ChannelGroup& group, const tofu::qt::MessageEnvelope& message);

}  // namespace tofu::monitor
