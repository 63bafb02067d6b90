#include "sources/local_engine.h"

#include "session.h"
#include "sources/local_source.h"

namespace tofu::monitor {
namespace {

tofu::Options localOptions() {
  tofu::Options options;
  // TOFU_TELEMETRY is for the application being monitored: a telemetry server here would
  // take the event stream from this engine's LocalSource (docs/telemetry.md).
  options.telemetryFromEnvironment = false;
  return options;
}

}  // namespace

LocalEngine::LocalEngine(Session& session, const QString& name, Listed listed)
    : session_(&session), engine_(std::make_unique<tofu::qt::Engine>(localOptions())) {
  source_ = new LocalSource(*engine_, name);
  if (listed == Listed::now) show();
}

void LocalEngine::show() {
  if (shown_ || !session_ || !source_) return;
  shown_ = true;
  session_->addSource(source_);
}

quint64 answerHandshake(tofu::qt::ChannelGroup& group, const tofu::qt::MessageEnvelope& message) {
  OpCode reply = OpCode::Request;
  if ((message.opCode() != OpCode::HelloRequest && message.opCode() != OpCode::ByeRequest) ||
      !echoOf(message.opCode(), reply)) {
    return 0;
  }
  return group.send(message.channelNumber(), reply, {}, {}, false, message.messageId());
}

LocalEngine::~LocalEngine() {
  if (!shown_) {
    delete source_.data();  // never the Session's
  } else if (session_ && source_) {
    session_->removeSource(source_);
  }
}

}  // namespace tofu::monitor
