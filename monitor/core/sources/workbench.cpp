#include "sources/workbench.h"

#include "session.h"
#include "sources/local_engine.h"
#include "sources/local_source.h"

namespace tofu::monitor {

using tofu::qt::ChannelGroup;

Workbench::Workbench(Session& session, QObject* parent)
    : QObject(parent), local_(std::make_unique<LocalEngine>(session, QStringLiteral("workbench"), LocalEngine::Listed::onShow)) {
  group_ = new ChannelGroup(local_->engine(), {}, &local_->engine());
  if (LocalSource* source = local_->source()) {
    source->tap(*group_);
  }
  connect(group_, &ChannelGroup::listening, this, [this](quint16 channel, const QString& bound) {
    describeReady(channel, QStringLiteral("listening on %1").arg(bound));
  });
  connect(group_, &ChannelGroup::connected, this, [this](quint16 channel) {
    describeReady(channel, QStringLiteral("connected to %1").arg(peers_.value(channel)));
  });
  connect(group_, &ChannelGroup::channelOpened, this,
          [this](quint16 channel) { describeReady(channel, QStringLiteral("accepted a connection")); });
  connect(group_, &ChannelGroup::channelClosed, this, [this](quint16 channel) {
    peers_.remove(channel);
    emit channelClosed(channel);
  });
  // Peers connecting to a workbench listener get their HelloResponse (and ByeResponse) at once;
  // everything else is the user's to answer.
  connect(group_, &ChannelGroup::messageReceived, this, [this](const tofu::qt::MessageEnvelope& message) {
    (void)answerHandshake(*group_, message);
    emit messageReceived(message);
  });
  connect(group_, &ChannelGroup::errorOccurred, this,
          [this](Status, const QString& description) { emit errorOccurred(description); });
}

// The group goes with the engine, after the LocalSource has left the Session.
Workbench::~Workbench() = default;

void Workbench::describeReady(quint16 channel, const QString& description) {
  peers_.insert(channel, description);
  emit channelReady(channel, description);
}

void Workbench::show() { local_->show(); }

quint16 Workbench::listenOn(const QString& address) {
  show();
  return group_->listenOn(address);
}

quint16 Workbench::connectTo(const QString& address) {
  show();
  const quint16 channel = group_->connectTo(address);
  if (channel != 0) {
    peers_.insert(channel, address);
  }
  return channel;
}

quint64 Workbench::send(const WorkbenchMessage& message) {
  const quint64 id =
      group_->send(message.channel, message.opCode, message.body, message.headers, message.more, message.messageId);
  if (id != 0 && local_->source() != nullptr) {
    local_->source()->reportSent(message.channel, message.opCode, id, message.more, message.headers, message.body);
  }
  return id;
}

bool Workbench::close(quint16 channel) { return group_->close(channel); }

ChannelGroup& Workbench::group() { return *group_; }

}  // namespace tofu::monitor
