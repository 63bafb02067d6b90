#include "tofu/qt/channel_group.h"

#include <QElapsedTimer>
#include <QPointer>

#include <algorithm>
#include <utility>

#include "tofu/address.h"
#include "tofu/qt/engine.h"

#include "address_failure.h"
#include "call_event.h"
#include "delivery_queue.h"
#include "engine_lease.h"
#include "receive_thread.h"

namespace tofu::qt {
namespace {

// Envelopes taken from the queue per lock: amortises the lock, and stays a small part of
// maxPending so dropOldest still has waiting messages to choose from.
qsizetype chunkSizeFor(const DeliveryOptions& options) {
  return std::clamp<qsizetype>(options.maxPending / 2, 1, 256);
}

DeliveryOptions sanitised(DeliveryOptions options) {
  options.maxPending = std::max<qsizetype>(options.maxPending, 1);
  options.sliceMs = std::max(options.sliceMs, 0);
  return options;
}

std::string_view toView(const QByteArray& bytes) {
  return {bytes.constData(), static_cast<std::size_t>(bytes.size())};
}

QString failureText(const QString& what, Status status) {
  return what + QStringLiteral(": ") + statusDescription(status);
}

// A slot may delete the group, or its engine (which detaches the group): then delivery stops
// at once and the rest of the batch is dropped, as the destructor would drop it.
bool stillDelivering(const QPointer<ChannelGroup>& group) { return group && group->isValid(); }

}  // namespace

ChannelGroup::ChannelGroup(Engine& engine, const DeliveryOptions& options, QObject* parent)
    : QObject(parent),
      engine_(engine),
      lease_(std::make_unique<EngineLease>(engine, [this] { detachFromEngine(); })),
      options_(sanitised(options)) {
  qRegisterMetaType<MessageEnvelope>();
  qRegisterMetaType<Status>("tofu::Status");
  if (!engine.isValid()) {
    setUnusable(engine.creationStatus(), QStringLiteral("the engine did not start"));
    return;
  }
  Result<tofu::ChannelGroup*> created = engine.ampe().create();
  if (!created.ok()) {
    setUnusable(created.status(), QStringLiteral("cannot create a channel group"));
    return;
  }
  group_ = created.value();
  queue_ = std::make_unique<DeliveryQueue>(
      options_, [this] { CallEvent::post(this, [this] { deliverPending(); }); });
  thread_ = std::make_unique<ReceiveThread>(engine.ampe(), *group_, *queue_);
  thread_->start();
}

ChannelGroup::~ChannelGroup() { release(); }

void ChannelGroup::release() {
  // Possibly from a slot of this object, on this thread: stop() only joins the worker, which
  // never waits for this thread.
  if (thread_) {
    thread_->stop();
    thread_.reset();
  }
  if (group_ != nullptr) {
    (void)engine_.ampe().destroy(std::exchange(group_, nullptr));
  }
}

void ChannelGroup::detachFromEngine() {
  release();
  setUnusable(Status::shutdown_started, QStringLiteral("the engine was destroyed"));
}

void ChannelGroup::setUnusable(Status status, const QString& reason) {
  error_ = status;
  unusableReason_ = reason;
  errorString_ = failureText(reason, status);
}

bool ChannelGroup::isValid() const noexcept { return group_ != nullptr; }

DeliveryStats ChannelGroup::stats() const { return queue_ ? queue_->stats() : DeliveryStats{}; }

// ---- Sending ----

void ChannelGroup::record(Status status, const QString& what) {
  error_ = status;
  errorString_ = failureText(what, status);
}

bool ChannelGroup::fail(Status status, const QString& what) {
  record(status, what);
  emit errorOccurred(status, errorString_);
  return false;
}

void ChannelGroup::failReturned(const MessageEnvelope& returned, const QString& what) {
  record(returned.status(), what + addressFailureReason(returned));
  errorString_ += tlsFailureReason(returned);
  emit errorOccurred(error_, errorString_);
}

MessagePtr ChannelGroup::newMessage() {
  if (group_ == nullptr) {
    fail(error_, unusableReason_);
    return nullptr;
  }
  Result<MessagePtr> got = engine_.ampe().get(AllocationStrategy::always);
  if (!got.ok()) {
    fail(got.status(), QStringLiteral("no message available"));
    return nullptr;
  }
  return std::move(got).value();
}

void ChannelGroup::failSend(quint16 channel, Status status, const QString& what) {
  // A flooding sender is refused thousands of times per episode; only the first is news.
  if (status == Status::notification_failed && refusedChannels_.contains(channel)) {
    record(status, what);
    return;
  }
  if (status == Status::notification_failed) {
    refusedChannels_.insert(channel);
  }
  fail(status, what);
}

Result<BinaryHeader> ChannelGroup::post(MessagePtr& message, const QString& what) {
  Result<BinaryHeader> posted = group_->enqueueToPeer(message);
  if (!posted.ok()) {
    const quint16 channel = message->channelNumber();
    engine_.ampe().put(message);
    failSend(channel, posted.status(), what);
  }
  return posted;
}

bool ChannelGroup::appendHeaders(Message& message, const HeaderList& headers, const QString& what) {
  for (const auto& [name, value] : headers) {
    const HeaderCheck check = message.headers().append(toView(name), toView(value));
    if (check != HeaderCheck::ok) {
      return fail(Status::invalid_message, what + QStringLiteral(": header '%1' refused (%2)")
                                                      .arg(QString::fromUtf8(name), QLatin1String(toString(check))));
    }
  }
  return true;
}

quint16 ChannelGroup::openChannel(const QString& address, bool listen, const HeaderList& headers) {
  const QString what = (listen ? QStringLiteral("cannot listen on ") : QStringLiteral("cannot connect to ")) + address;
  const Result<Address> parsed = Address::parse(address.toStdString());
  if (!parsed.ok()) {
    const AddressUse use = listen ? AddressUse::listen : AddressUse::connect;
    fail(parsed.status(), what + addressFailureReason(parsed.status(), address, use));
    return 0;
  }
  MessagePtr message = newMessage();
  if (!message) {
    return 0;
  }
  if (!appendHeaders(*message, headers, what)) {
    engine_.ampe().put(message);
    return 0;
  }
  const Status prepared = listen ? prepareWelcomeRequest(*message, parsed.value())
                                 : prepareHelloRequest(*message, parsed.value());
  if (prepared != Status::success) {
    engine_.ampe().put(message);
    fail(prepared, what);
    return 0;
  }
  const Result<BinaryHeader> posted = post(message, what);
  return posted.ok() ? posted.value().channelNumber : quint16{0};
}

quint16 ChannelGroup::listenOn(const QString& address) { return openChannel(address, true, {}); }

quint16 ChannelGroup::connectTo(const QString& address, const HeaderList& headers) {
  return openChannel(address, false, headers);
}

quint64 ChannelGroup::send(quint16 channel, OpCode opCode, const QByteArray& body, const HeaderList& headers,
                           bool more, quint64 messageId) {
  const QString what = QStringLiteral("cannot send %1 on channel %2").arg(QLatin1String(toString(opCode))).arg(channel);
  MessagePtr message = newMessage();
  if (!message) {
    return 0;
  }
  message->header() = BinaryHeader::forOpCode(opCode);
  message->setChannelNumber(channel);
  message->setMessageId(messageId);
  message->setMore(more);
  message->body().assign(toView(body));
  if (!appendHeaders(*message, headers, what)) {
    engine_.ampe().put(message);
    return 0;
  }
  const Result<BinaryHeader> posted = post(message, what);
  return posted.ok() ? posted.value().messageId : quint64{0};
}

quint64 ChannelGroup::reply(const MessageEnvelope& request, const QByteArray& body, const HeaderList& headers,
                            bool more) {
  return send(request.channelNumber(), OpCode::Response, body, headers, more, request.messageId());
}

bool ChannelGroup::close(quint16 channel) { return send(channel, OpCode::ByeRequest, {}) != 0; }

bool ChannelGroup::abort(quint16 channel) { return send(channel, OpCode::ByeSignal, {}) != 0; }

Result<BinaryHeader> ChannelGroup::enqueue(MessagePtr& message) {
  if (group_ == nullptr) {
    fail(error_, unusableReason_);
    return error_;
  }
  Result<BinaryHeader> posted = group_->enqueueToPeer(message);
  if (!posted.ok()) {
    failSend(message ? message->channelNumber() : quint16{0}, posted.status(), QStringLiteral("cannot send"));
  }
  return posted;
}

bool ChannelGroup::updateReceiver(MessagePtr& message) {
  if (group_ == nullptr) {
    return fail(error_, unusableReason_);
  }
  const Status status = group_->updateReceiver(message);
  return status == Status::success || fail(status, QStringLiteral("cannot update the receiver"));
}

// ---- Receiving (this object's thread) ----

bool ChannelGroup::event(QEvent* event) { return CallEvent::dispatch(event) || QObject::event(event); }

void ChannelGroup::deliverPending() {
  const QPointer<ChannelGroup> self(this);
  if (!stillDelivering(self)) {
    return;  // detached from its engine: what was received before is dropped
  }
  QElapsedTimer slice;
  slice.start();
  const qsizetype chunkSize = chunkSizeFor(options_);
  QList<MessageEnvelope> chunk;
  bool more = true;
  while (more) {
    chunk.clear();
    more = queue_->takeChunk(chunk, chunkSize);
    for (const MessageEnvelope& message : std::as_const(chunk)) {
      queue_->delivered(monotonicNowNs() - message.receivedNs);
      emitFor(message);
      if (!stillDelivering(self)) {
        return;
      }
    }
    queue_->chunkDone();
    quint64 total = 0;
    if (const quint64 fresh = queue_->takeNewDrops(total); fresh != 0) {
      emit messagesDropped(fresh, total);
      if (!stillDelivering(self)) {
        return;
      }
    }
    if (more && slice.elapsed() >= options_.sliceMs) {
      // Yield to timers, input and painting; events posted now run after them.
      CallEvent::post(this, [this] { deliverPending(); });
      return;
    }
  }
}

void ChannelGroup::emitFor(const MessageEnvelope& message) {
  const QPointer<ChannelGroup> self(this);  // each slot may delete this object or its engine
  const quint16 channel = message.channelNumber();
  const Status status = message.status();
  const OpCode op = message.opCode();
  if (status == Status::receiver_update) {
    emit receiverUpdated(message);
    return;
  }
  if (!message.isFromEngine() && op != OpCode::WelcomeResponse) {
    emit messageReceived(message);
    if (!stillDelivering(self)) {
      return;
    }
    if (op == OpCode::HelloResponse) {
      emit connected(channel);
      if (stillDelivering(self)) {
        emit channelReady(channel);
      }
    } else if (op == OpCode::HelloRequest) {
      emit channelOpened(channel);
      if (stillDelivering(self)) {
        emit channelReady(channel);
      }
    }
    return;
  }
  // Engine notifications, and the WelcomeResponse, which never comes from a peer.
  emit notificationReceived(message);
  if (!stillDelivering(self)) {
    return;
  }
  if (op == OpCode::WelcomeResponse && status == Status::success) {
    emit listening(channel, message.headerValue(QString::fromLatin1(kListenOnHeader.data(),
                                                                    static_cast<qsizetype>(kListenOnHeader.size()))));
    if (stillDelivering(self)) {
      emit channelReady(channel);
    }
  } else if (op == OpCode::WelcomeResponse) {
    emit listenFailed(channel, status);
    if (stillDelivering(self)) {
      failReturned(message, QStringLiteral("listening failed on channel %1").arg(channel));
    }
  } else if ((op == OpCode::HelloRequest || op == OpCode::HelloResponse) && status != Status::success) {
    emit connectFailed(channel, status);
    if (stillDelivering(self)) {
      failReturned(message, QStringLiteral("connecting failed on channel %1").arg(channel));
    }
  } else if (op == OpCode::Signal && status == Status::channel_closed) {
    refusedChannels_.remove(channel);
    emit channelClosed(channel);
  } else if (op == OpCode::Signal && status == Status::pool_empty) {
    emit poolEmpty(channel);
  } else if (isSendReady(message.header)) {
    // Only after a reported refusal: a notice for a refusal made while the previous one was
    // on its way to this thread is already answered by that one.
    if (refusedChannels_.remove(channel)) {
      emit readyToSend(channel);
    }
  } else if (status != Status::success) {
    emit messageReturned(message);
  }
}

}  // namespace tofu::qt
