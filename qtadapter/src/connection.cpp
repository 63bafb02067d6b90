// Connection: construction and the application's calls. What arrives from the group is in
// connection_receive.cpp.
#include "tofu/qt/connection.h"

#include <algorithm>
#include <utility>

#include "tofu/qt/engine.h"
#include "tofu/qt/reply.h"

#include "reply_registry.h"

namespace tofu::qt {
namespace {

// The peer's own headers and what the engine verified about the peer: the engine's other
// headers (`~connect_to`) are routing, not the application's. The TLS identity headers
// (`~tls-peer-subject`, `~tls-peer-san`, B17) are kept: the engine set them after checking the
// client certificate, and refuses a peer that sends any `~tls-` header itself.
HeaderList applicationHeaders(const MessageEnvelope& hello) {
  HeaderList headers;
  for (const auto& [name, value] : hello.headerList()) {
    if (!name.startsWith(u'~') || name.startsWith(QLatin1String("~tls-peer-"))) {
      headers.append({name.toUtf8(), value.toUtf8()});
    }
  }
  return headers;
}

}  // namespace

Connection::Connection(Engine& engine, QObject* parent)
    : QObject(parent),
      engine_(&engine),
      group_(new ChannelGroup(engine, {}, this)),
      replies_(std::make_unique<ReplyRegistry>(*this)) {
  connect(group_, &ChannelGroup::messageReceived, this, &Connection::deliver);
  connect(group_, &ChannelGroup::notificationReceived, this, &Connection::deliver);
  connect(group_, &ChannelGroup::readyToSend, this, [this](quint16 channel) {
    if (channel != 0 && channel == channel_) {
      sendQueueReady();
    }
  });
  setUp();
}

Connection::Connection(ServerSide, Engine* engine, ChannelGroup& group, const MessageEnvelope& hello, QObject* parent)
    : QObject(parent),
      serverSide_(true),
      engine_(engine),
      group_(&group),
      state_(State::Connected),
      channel_(hello.channelNumber()),
      lastChannel_(hello.channelNumber()),
      wasConnected_(true),
      helloHeaders_(applicationHeaders(hello)),
      held_(true),
      replies_(std::make_unique<ReplyRegistry>(*this)) {
  setUp();
}

void Connection::setUp() {
  connect(group_, &QObject::destroyed, this, [this] {
    endForGood(Status::channel_closed, QStringLiteral("the connection ended: its Server was deleted"));
  });
  // ~Engine detaches the groups that outlive it (they stay, unusable) without a signal.
  if (engine_) {
    connect(engine_, &QObject::destroyed, this, [this] {
      endForGood(Status::shutdown_started, QStringLiteral("the connection ended: the engine was destroyed"));
    });
  }
  for (QTimer* timer : {&connectTimer_, &closeTimer_, &reconnectTimer_}) {
    timer->setSingleShot(true);
  }
  connect(&connectTimer_, &QTimer::timeout, this, &Connection::connectTimedOut);
  connect(&closeTimer_, &QTimer::timeout, this, &Connection::abort);
  connect(&reconnectTimer_, &QTimer::timeout, this, &Connection::reconnectNow);
}

Connection::~Connection() {
  abortChannel();
  replies_->failAll(Reply::Error::ClosedError, Status::channel_closed, QStringLiteral("the connection was deleted"));
  if (!serverSide_ && group_) {
    group_->disconnect(this);
    delete group_.data();
  }
}

// ---- Opening and closing ----

bool Connection::connectTo(const QString& address, const HeaderList& helloHeaders) {
  if (serverSide_) {
    setError(Status::not_allowed, QStringLiteral("a server-side connection cannot connect"));
    emit errorOccurred(error_, errorString_);
    return false;
  }
  if (state_ != State::Unconnected && !reconnectTimer_.isActive()) {
    setError(Status::not_allowed, QStringLiteral("cannot connect to %1: already connecting or connected").arg(address));
    emit errorOccurred(error_, errorString_);
    return false;
  }
  reconnectTimer_.stop();
  address_ = address;
  helloHeaders_ = helloHeaders;
  reconnectDelayMs_ = reconnectInitialMs_;
  if (!openChannel()) {
    const QPointer<Connection> self(this);
    setState(State::Unconnected);  // it may have been waiting to reconnect
    if (self) {
      emit errorOccurred(error_, errorString_);
    }
    return false;
  }
  setState(State::Connecting);
  return true;
}

bool Connection::openChannel() {
  if (!group_ || !group_->isValid()) {
    setError(group_ ? group_->error() : Status::shutdown_started,
             QStringLiteral("cannot connect to %1: %2")
                 .arg(address_, group_ ? group_->errorString() : QStringLiteral("the engine is gone")));
    return false;
  }
  const quint16 channel = group_->connectTo(address_, helloHeaders_);
  if (channel == 0) {
    setError(group_->error(), group_->errorString());
    return false;
  }
  channel_ = channel;
  lastChannel_ = channel;
  ++attempt_;
  wasConnected_ = false;
  mayReconnect_ = true;
  byeAnswered_ = false;
  endStatus_ = Status::success;
  endReason_.clear();
  refusing_ = false;
  if (connectTimeoutMs_ > 0) {
    connectTimer_.start(connectTimeoutMs_);
  }
  return true;
}

void Connection::reconnectNow() {
  if (state_ != State::Connecting || channel_ != 0) {
    return;
  }
  if (!openChannel()) {
    scheduleReconnect();
    emit errorOccurred(error_, errorString_);
  }
}

void Connection::scheduleReconnect() {
  reconnectTimer_.start(reconnectDelayMs_);
  // Doubling, capped (and from 0 to 1, so that a first immediate retry is not a busy loop).
  reconnectDelayMs_ = reconnectDelayMs_ > reconnectMaxMs_ / 2 ? reconnectMaxMs_ : std::max(reconnectDelayMs_ * 2, 1);
}

void Connection::connectTimedOut() {
  if (state_ != State::Connecting || channel_ == 0) {
    return;
  }
  noteEnd(Status::connect_failed,
          QStringLiteral("cannot connect to %1: no answer within %2 ms").arg(address_).arg(connectTimeoutMs_));
  abortChannel();
  channelEnded();
}

void Connection::close() {
  switch (state_) {
    case State::Unconnected:
    case State::Closing:
      return;
    case State::Connecting:
      abort();
      return;
    case State::Connected:
      break;
  }
  mayReconnect_ = false;
  if (!group_ || !group_->close(channel_)) {
    abort();
    return;
  }
  closeTimer_.start(closeTimeoutMs_);
  setState(State::Closing);
}

void Connection::abort() {
  reconnectTimer_.stop();
  mayReconnect_ = false;
  endStatus_ = Status::success;  // as asked: no error
  abortChannel();
  if (state_ != State::Unconnected) {
    channelEnded();
  }
}

void Connection::abortChannel() {
  if (channel_ != 0 && group_) {
    group_->abort(channel_);
  }
  channel_ = 0;
}

void Connection::setAutoReconnect(bool enabled, int initialDelayMs, int maxDelayMs) {
  autoReconnect_ = enabled;
  reconnectInitialMs_ = std::max(initialDelayMs, 0);
  reconnectMaxMs_ = std::max({maxDelayMs, reconnectInitialMs_, 1});
  reconnectDelayMs_ = reconnectInitialMs_;
  if (!enabled && reconnectTimer_.isActive()) {
    reconnectTimer_.stop();
    setState(State::Unconnected);
  }
}

// ---- Messages ----

bool Connection::send(const QByteArray& body, const HeaderList& headers) {
  return checkConnected() && post(OpCode::Signal, body, headers, false, 0) != 0;
}

Reply* Connection::request(const QByteArray& body, const HeaderList& headers, int timeoutMs) {
  // No errorOccurred() here: the Reply carries the refusal, and a slot deleting this
  // Connection must not leave the caller a dangling Reply.
  if (!canSend()) {
    return replies_->refused(error_, errorString_);
  }
  const quint64 id = group_->send(channel_, OpCode::Request, body, headers);
  if (id == 0) {
    setError(group_->error(), group_->errorString());
    return replies_->refused(error_, errorString_);
  }
  refusing_ = false;
  return replies_->track(id, timeoutMs);
}

bool Connection::reply(const MessageEnvelope& request, const QByteArray& body, const HeaderList& headers) {
  return answer(request, body, headers, false);
}

bool Connection::replyPart(const MessageEnvelope& request, const QByteArray& body, const HeaderList& headers) {
  return answer(request, body, headers, true);
}

bool Connection::answer(const MessageEnvelope& request, const QByteArray& body, const HeaderList& headers, bool more) {
  if (!checkConnected()) {
    return false;
  }
  if (request.opCode() != OpCode::Request || request.channelNumber() != channel_ || request.isFromEngine()) {
    return refuse(Status::not_allowed, QStringLiteral("cannot reply: not a Request received on this connection"));
  }
  return post(OpCode::Response, body, headers, more, request.messageId()) != 0;
}

bool Connection::canSend() {
  if (state_ == State::Connected && group_) {
    return true;
  }
  if (state_ == State::Connecting) {
    setError(Status::not_allowed, QStringLiteral("cannot send: not connected yet"));
  } else {
    setError(Status::channel_closed, QStringLiteral("cannot send: not connected"));
  }
  return false;
}

bool Connection::checkConnected() { return canSend() || refuse(error_, errorString_); }

quint64 Connection::post(OpCode opCode, const QByteArray& body, const HeaderList& headers, bool more,
                         quint64 messageId) {
  const quint64 id = group_->send(channel_, opCode, body, headers, more, messageId);
  if (id == 0) {
    refuse(group_->error(), group_->errorString());
    return 0;
  }
  refusing_ = false;
  return id;
}

void Connection::sendQueueReady() {
  refusing_ = false;  // a new episode of refusals is reported again
  emit readyToSend();
}

// ---- State and errors ----

void Connection::setState(State state) {
  if (state_ != state) {
    state_ = state;
    refusing_ = false;
    emit stateChanged(state);
  }
}

void Connection::setError(Status status, const QString& description) {
  error_ = status;
  errorString_ = description;
}

bool Connection::refuse(Status status, const QString& description) {
  setError(status, description);
  if (!std::exchange(refusing_, true)) {
    emit errorOccurred(status, description);
  }
  return false;
}

}  // namespace tofu::qt
