// Connection: what arrives for its channel (from the peer or the engine), and how a channel
// ends. The application's calls are in connection.cpp.
#include <QMetaObject>

#include <algorithm>
#include <utility>
#include <vector>

#include "tofu/introspection.h"
#include "tofu/qt/connection.h"
#include "tofu/qt/engine.h"
#include "tofu/qt/reply.h"

#include "address_failure.h"
#include "channel_notice.h"
#include "reply_registry.h"

namespace tofu::qt {
void Connection::deliver(const MessageEnvelope& message) {
  if (held_) {
    if (message.opCode() == OpCode::ByeRequest && !message.isFromEngine() && message.channelNumber() == channel_) {
      answerBye(message);  // the peer's close() must not wait for the application
    }
    heldMessages_.append(message);
  } else {
    dispatch(message);
  }
}

void Connection::release() {
  QMetaObject::invokeMethod(
      this,
      [this] {
        // held_ stays set meanwhile, so what a slot's nested event loop delivers queues behind.
        const QPointer<Connection> self(this);
        while (self && !heldMessages_.isEmpty()) {
          dispatch(heldMessages_.takeFirst());
        }
        if (self) {
          held_ = false;
        }
      },
      Qt::QueuedConnection);
}

void Connection::dispatch(const MessageEnvelope& message) {
  if (channel_ == 0 || message.channelNumber() != channel_) {
    return;  // a channel this object already left (aborted, timed out)
  }
  if (message.isFromEngine()) {
    handleEngineNotice(message);
  } else {
    handlePeerMessage(message);
  }
}

void Connection::handlePeerMessage(const MessageEnvelope& message) {
  switch (message.opCode()) {
    case OpCode::Request:
    case OpCode::Signal:
      emit messageReceived(message);
      return;
    case OpCode::Response:
      replies_->deliver(message);
      return;
    case OpCode::HelloResponse: {
      if (state_ != State::Connecting) {
        return;
      }
      connectTimer_.stop();
      reconnectDelayMs_ = reconnectInitialMs_;
      wasConnected_ = true;
      const QPointer<Connection> self(this);
      setState(State::Connected);
      if (self) {
        emit connected();
      }
      return;
    }
    case OpCode::ByeRequest:
      answerBye(message);
      mayReconnect_ = false;
      if (state_ == State::Connecting) {
        noteEnd(Status::not_allowed, QStringLiteral("the server at %1 refused the connection").arg(address_));
        return;
      }
      closeTimer_.start(closeTimeoutMs_);  // should the peer not finish the close
      setState(State::Closing);
      return;
    case OpCode::ByeResponse:
      if (state_ == State::Connecting) {  // how our Server refuses (behaviour.md, B15)
        mayReconnect_ = false;
        noteEnd(Status::not_allowed, QStringLiteral("the server at %1 refused the connection").arg(address_));
      }
      return;  // otherwise the answer to our close(): channel_closed follows
    case OpCode::ByeSignal:
      noteEnd(Status::peer_disconnected, QStringLiteral("%1 aborted the connection").arg(peerName()));
      return;
    default:
      return;  // Hello/WelcomeRequest, WelcomeResponse: the engine lets none through here
  }
}

void Connection::handleEngineNotice(const MessageEnvelope& message) {
  const Status status = message.status();
  if (isChannelClosedNotice(message)) {
    if (state_ == State::Connecting) {
      noteEnd(Status::connect_failed, QStringLiteral("cannot connect to %1").arg(address_));
    } else {
      noteEnd(Status::peer_disconnected, QStringLiteral("the connection to %1 was lost").arg(peerName()));
    }
    channel_ = 0;
    channelEnded();
    return;
  }
  switch (message.opCode()) {
    case OpCode::HelloRequest:
    case OpCode::HelloResponse:  // the connect failed (B11); channel_closed follows
      noteEnd(status, QStringLiteral("cannot connect to %1: %2").arg(address_, statusDescription(status)) +
                          tlsFailureReason(message));
      return;
    case OpCode::Request:
    case OpCode::Response:
    case OpCode::Signal: {
      if (!isFailure(status) || status == Status::pool_empty) {
        return;  // the group's notices (B14), not messages of ours
      }
      if (status != Status::channel_closed) {
        noteEnd(status, QStringLiteral("the connection to %1 failed: %2").arg(peerName(), statusDescription(status)) +
                            tlsFailureReason(message));
      }
      const QPointer<Connection> self(this);
      emit messageReturned(message);
      if (self && message.opCode() == OpCode::Request) {
        replies_->fail(message.messageId(), Reply::Error::ClosedError, status,
                       QStringLiteral("the request came back unsent: ") + statusDescription(status));
      }
      return;
    }
    default:
      return;  // our own Bye frames coming back: the channel is ending anyway
  }
}

void Connection::answerBye(const MessageEnvelope& byeRequest) {
  // Answered here, so close() on the other side completes without application code.
  if (!std::exchange(byeAnswered_, true)) {
    group_->send(channel_, OpCode::ByeResponse, {}, {}, false, byeRequest.messageId());
  }
}

void Connection::endForGood(Status status, const QString& reason) {
  reconnectTimer_.stop();
  mayReconnect_ = false;
  if (state_ == State::Unconnected) {
    return;
  }
  noteEnd(status, reason);
  channel_ = 0;
  channelEnded();
}

void Connection::noteEnd(Status status, const QString& reason) {
  // The first reason wins; none while closing gracefully, which ends as asked.
  if (endStatus_ == Status::success && state_ != State::Closing) {
    endStatus_ = status;
    endReason_ = reason;
  }
}

void Connection::channelEnded() {
  connectTimer_.stop();
  closeTimer_.stop();
  channel_ = 0;
  const quint64 attempt = attempt_;
  const bool wasConnected = std::exchange(wasConnected_, false);
  const Status status = std::exchange(endStatus_, Status::success);
  const QString reason = std::exchange(endReason_, {});
  const bool failed = status != Status::success;
  const bool retry = failed && mayReconnect_ && autoReconnect_ && !serverSide_;
  if (failed) {
    setError(status, reason);
  }
  const State next = retry ? State::Connecting : State::Unconnected;
  const bool stateChanges = state_ != next;
  state_ = next;  // already true in the Replies' slots; stateChanged() follows them
  refusing_ = false;
  if (retry) {
    scheduleReconnect();
  }

  const QPointer<Connection> self(this);
  replies_->failAll(Reply::Error::ClosedError, failed ? status : Status::channel_closed,
                    failed ? reason : QStringLiteral("the connection closed before the answer"));
  if (!self || attempt_ != attempt) {
    return;  // deleted, or a slot connected again
  }
  if (stateChanges) {
    emit stateChanged(next);
    if (!self) {
      return;
    }
  }
  if (wasConnected) {
    emit disconnected();
    if (!self) {
      return;
    }
  }
  if (failed) {
    emit errorOccurred(status, reason);
  }
}

QString Connection::peerName() const {
  return serverSide_ ? QStringLiteral("the peer on channel %1").arg(lastChannel_) : address_;
}

QString Connection::peerAddress() const {
  if (!serverSide_) {
    return address_;
  }
  if (peerAddress_.isEmpty() && engine_ && engine_->isValid() && lastChannel_ != 0) {
    const Result<EngineSnapshot> snapshot = engine_->ampe().snapshot();
    for (const ChannelInfo& channel : snapshot.ok() ? snapshot.value().channels : std::vector<ChannelInfo>{}) {
      if (channel.channelNumber == lastChannel_ && channel.kind == ChannelKind::serverIo) {
        peerAddress_ = QString::fromStdString(channel.peerAddress);
        break;
      }
    }
  }
  return peerAddress_;
}

}  // namespace tofu::qt
