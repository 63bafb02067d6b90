#include "sources/local_source.h"

namespace tofu::monitor {

using tofu::qt::Direction;
using tofu::qt::MessageEnvelope;
using tofu::qt::TrafficRecord;

LocalSource::LocalSource(tofu::qt::Engine& engine, const QString& name, QObject* parent)
    : Source(parent), engine_(engine), name_(name) {
  flush_.setSingleShot(true);
  flush_.setInterval(0);
  connect(&flush_, &QTimer::timeout, this, [this] { emit contentReady(std::exchange(pending_, {})); });
  if (!engine.isValid()) {
    setState(State::disconnected, engine.errorString());
    return;
  }
  watcher_ = std::make_unique<tofu::qt::EngineWatcher>(engine);
  connect(watcher_.get(), &tofu::qt::EngineWatcher::snapshotReady, this, &Source::snapshotReady);
  connect(watcher_.get(), &tofu::qt::EngineWatcher::eventsReady, this, &Source::eventsReady);
  setState(State::connected);
}

LocalSource::~LocalSource() = default;

QString LocalSource::name() const { return name_; }

QString LocalSource::kindName() const { return QStringLiteral("in process"); }

void LocalSource::tap(tofu::qt::ChannelGroup& group) {
  connect(&group, &tofu::qt::ChannelGroup::messageReceived, this, [this](const MessageEnvelope& message) {
    report(TrafficRecord::fromEnvelope(message, Direction::received, engine_.engineId()));
  });
  connect(&group, &tofu::qt::ChannelGroup::messageReturned, this, [this](const MessageEnvelope& message) {
    report(TrafficRecord::fromEnvelope(message, Direction::returned, engine_.engineId()));
  });
}

void LocalSource::reportSent(const TrafficRecord& record) { report(record); }

void LocalSource::reportSent(quint16 channel, OpCode opCode, quint64 messageId, bool more,
                             const tofu::qt::HeaderList& headers, const QByteArray& body) {
  MessageEnvelope message;
  for (const auto& [name, value] : headers) {
    message.textHeaders += name + ':' + value + "\r\n";
  }
  message.body = body;
  message.header.channelNumber = channel;
  message.header.proto.opCode = opCode;
  message.header.proto.more = more;
  message.header.messageId = messageId;
  message.header.textHeadersLen = static_cast<std::uint16_t>(message.textHeaders.size());
  message.header.bodyLen = static_cast<std::uint16_t>(body.size());
  message.receivedNs = monotonicNowNs();
  report(TrafficRecord::fromEnvelope(message, Direction::sent, engine_.engineId()));
}

void LocalSource::report(const TrafficRecord& record) {
  pending_.append(record);
  if (!flush_.isActive()) {
    flush_.start();
  }
}

}  // namespace tofu::monitor
