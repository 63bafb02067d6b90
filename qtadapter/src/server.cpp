#include "tofu/qt/server.h"

#include <algorithm>
#include <utility>

#include "tofu/qt/connection.h"
#include "tofu/qt/engine.h"

#include "address_failure.h"
#include "channel_notice.h"

namespace tofu::qt {

Server::Server(Engine& engine, QObject* parent)
    : QObject(parent), engine_(&engine), group_(new ChannelGroup(engine, {}, this)) {
  connect(group_, &ChannelGroup::messageReceived, this, &Server::onPeerMessage);
  connect(group_, &ChannelGroup::notificationReceived, this, &Server::onEngineNotice);
  connect(group_, &ChannelGroup::listening, this, &Server::onListening);
  // ~Engine detaches a group that outlives it (it stays, unusable) without a signal; the
  // Connections see to themselves.
  connect(&engine, &QObject::destroyed, this, [this] {
    const bool wasListening = std::exchange(listening_, false);
    listenChannel_ = 0;
    if (wasListening) {
      fail(Status::shutdown_started, QStringLiteral("stopped listening on %1: the engine was destroyed").arg(serverAddress_));
    }
  });
  connect(group_, &ChannelGroup::readyToSend, this, [this](quint16 channel) {
    if (const QPointer<Connection> connection = connections_.value(channel)) {
      connection->sendQueueReady();
    }
  });
}

Server::~Server() {
  // The connections it owns abort their channels while the group still exists; the group's
  // end then ends those the application took and reparented.
  for (Connection* connection : findChildren<Connection*>(Qt::FindDirectChildrenOnly)) {
    delete connection;
  }
  if (group_) {
    group_->disconnect(this);
    delete group_.data();
  }
}

bool Server::listen(const QString& address) {
  if (listenChannel_ != 0) {
    return fail(Status::not_allowed, QStringLiteral("cannot listen on %1: already listening on %2")
                                         .arg(address, serverAddress_.isEmpty() ? requestedAddress_ : serverAddress_));
  }
  if (!group_->isValid()) {
    return fail(group_->error(), QStringLiteral("cannot listen on %1: %2").arg(address, group_->errorString()));
  }
  const quint16 channel = group_->listenOn(address);
  if (channel == 0) {
    return fail(group_->error(), group_->errorString());
  }
  listenChannel_ = channel;
  requestedAddress_ = address;
  return true;
}

void Server::close() {
  if (listenChannel_ != 0) {
    group_->abort(listenChannel_);  // a listener takes only a ByeSignal (behaviour.md)
  }
  listenChannel_ = 0;
  listening_ = false;
  serverAddress_.clear();
}

bool Server::hasPendingConnections() const {
  return std::any_of(pending_.cbegin(), pending_.cend(), [](const QPointer<Connection>& c) { return !c.isNull(); });
}

Connection* Server::nextPendingConnection() {
  while (!pending_.isEmpty()) {
    if (const QPointer<Connection> connection = pending_.takeFirst(); connection) {
      connection->release();
      return connection;
    }
  }
  return nullptr;
}

QList<Connection*> Server::connections() const {
  QList<quint16> channels = connections_.keys();
  std::sort(channels.begin(), channels.end());
  QList<Connection*> open;
  for (const quint16 channel : std::as_const(channels)) {
    if (Connection* connection = connections_.value(channel); connection != nullptr &&
                                                              connection->state() == Connection::State::Connected) {
      open.append(connection);
    }
  }
  return open;
}

int Server::broadcast(const QByteArray& body, const HeaderList& headers) {
  // A refused send emits errorOccurred(), whose slot may delete connections (or this).
  QList<QPointer<Connection>> targets;
  for (Connection* connection : connections()) {
    targets.append(connection);
  }
  int took = 0;
  for (const QPointer<Connection>& connection : std::as_const(targets)) {
    if (connection && connection->send(body, headers)) {
      ++took;
    }
  }
  return took;
}

// ---- From the group ----

void Server::onPeerMessage(const MessageEnvelope& message) {
  if (message.opCode() == OpCode::HelloRequest) {
    accept(message);
  } else {
    route(message);
  }
}

void Server::onEngineNotice(const MessageEnvelope& message) {
  if (message.channelNumber() != listenChannel_ || listenChannel_ == 0) {
    route(message);
  } else if (message.opCode() == OpCode::WelcomeResponse && message.status() != Status::success) {
    // Here rather than on the group's listenFailed(): the message has the engine's TLS reason.
    listenChannel_ = 0;
    const Status status = message.status();
    fail(status, QStringLiteral("cannot listen on %1: %2").arg(requestedAddress_, statusDescription(status)) +
                     tlsFailureReason(message));
  } else if (isChannelClosedNotice(message)) {
    const bool wasListening = listening_;
    listenChannel_ = 0;
    listening_ = false;
    if (wasListening) {
      fail(Status::channel_closed, QStringLiteral("the listener on %1 closed").arg(serverAddress_));
    }
  }
}

void Server::onListening(quint16 channel, const QString& boundAddress) {
  if (channel == listenChannel_ && channel != 0) {
    listening_ = true;
    serverAddress_ = boundAddress;
    emit listening(boundAddress);
  }
}


void Server::accept(const MessageEnvelope& hello) {
  const quint16 channel = hello.channelNumber();
  const QPointer<Server> self(this);
  const bool accepted = !acceptHook_ || acceptHook_(hello);
  if (!self) {
    return;
  }
  // A refusal answers with ByeResponse: the peer's engine closes the channel on it, its
  // Connection reports not_allowed, and B15 drops whatever it sent behind the HelloRequest.
  const OpCode answer = accepted ? OpCode::HelloResponse : OpCode::ByeResponse;
  if (group_->send(channel, answer, {}, {}, false, hello.messageId()) == 0) {
    group_->abort(channel);
    fail(group_->error(), QStringLiteral("cannot answer the HelloRequest on channel %1: %2")
                              .arg(channel)
                              .arg(group_->errorString()));
    return;
  }
  if (!accepted) {
    return;
  }
  auto* connection = new Connection(Connection::ServerSide{}, engine_.data(), *group_, hello, this);
  connections_.insert(channel, connection);
  pending_.append(connection);
  emit newConnection();
}

void Server::route(const MessageEnvelope& message) {
  const quint16 channel = message.channelNumber();
  const QPointer<Connection> connection = connections_.value(channel);
  if (isChannelClosedNotice(message)) {
    connections_.remove(channel);  // the number is released now
  }
  if (connection) {
    connection->deliver(message);
  }
}

bool Server::fail(Status status, const QString& description) {
  error_ = status;
  errorString_ = description;
  emit errorOccurred(status, description);
  return false;
}

}  // namespace tofu::qt
