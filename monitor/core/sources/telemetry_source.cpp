#include "sources/telemetry_source.h"

#include <algorithm>
#include <string_view>
#include <utility>

#include "tofu/qt/channel_group.h"
#include "tofu/qt/engine.h"
#include "tofu/telemetry/frame_headers.h"

#include "sources/telemetry_parser.h"

namespace tofu::monitor {
namespace {

using tofu::qt::MessageEnvelope;

QByteArray bytesOf(std::string_view text) { return {text.data(), static_cast<qsizetype>(text.size())}; }

const QByteArray kVersionHeader = bytesOf(telemetry::kVersionHeader);
const QByteArray kKindHeader = bytesOf(telemetry::kKindHeader);
const QByteArray kVersion = bytesOf(telemetry::kVersionHeaderValue);
const QByteArray kTokenHeader = bytesOf(telemetry::kTokenHeader);
const QByteArray kPayloadsHeader = bytesOf(telemetry::kPayloadsHeader);
const QString kErrorHeader = QString::fromLatin1(bytesOf(telemetry::kErrorHeader));
const QString kTlsErrorName = QString::fromLatin1(bytesOf(tofu::kTlsErrorHeader));
const QString kWhereToSetIt = QStringLiteral("set it in Sources > Attach to telemetry... or with --token");

// A refusal the same token will get again: the server's "unauthorised: a valid
// telemetry-token is required" (docs/telemetry.md, "Access and limits").
bool isTokenRefusal(const QString& error) {
  return error.startsWith(QLatin1String("unauthorised")) || error.contains(QLatin1String("token"));
}

// What a header value may not be (the engine checks the same when the HelloRequest is built).
bool validToken(const QByteArray& token) {
  return token.size() <= 65535 && !token.contains('\n') && !token.contains('\r') && !token.contains('\0');
}

tofu::Options monitorOptions(const TelemetryAccess& access) {
  tofu::Options options;
  options.telemetryFromEnvironment = false;  // a monitor serves no telemetry itself
  options.tlsCaFile = access.caFile.toStdString();
  options.tlsCertificateChainFile = access.certificateFile.toStdString();
  options.tlsPrivateKeyFile = access.keyFile.toStdString();
  options.tlsVerifyPeer = !access.insecureSkipVerification;
  return options;
}

// "reason: <the engine's TLS reason>", or `reason` when the engine gave none.
QString withTlsReason(const QString& reason, const QString& tlsError) {
  return tlsError.isEmpty() ? reason : QStringLiteral("%1: %2").arg(reason, tlsError);
}

}  // namespace

TelemetrySource::TelemetrySource(const QString& address, int retryMs, QObject* parent)
    : TelemetrySource(address, QString(), retryMs, parent) {}

TelemetrySource::TelemetrySource(const QString& address, const QString& token, int retryMs, QObject* parent)
    : TelemetrySource(address, TelemetryAccess{token, {}, {}, {}, false}, retryMs, parent) {}

TelemetrySource::TelemetrySource(const QString& address, const TelemetryAccess& access, int retryMs,
                                 QObject* parent)
    : Source(parent),
      address_(address),
      token_(access.token.trimmed().toUtf8()),
      engine_(std::make_unique<tofu::qt::Engine>(monitorOptions(access))),
      firstRetryMs_(std::clamp(retryMs, 1, kMaxRetryMs)),
      nextRetryMs_(firstRetryMs_) {
  retry_.setSingleShot(true);
  connect(&retry_, &QTimer::timeout, this, &TelemetrySource::connectNow);
  parser_ = new TelemetryParser(address_);
  parser_->moveToThread(&parserThread_);
  connect(parser_, &TelemetryParser::processParsed, this,
          [this](const telemetry::ProcessIdentity& process) { process_ = process; }, Qt::QueuedConnection);
  connect(parser_, &TelemetryParser::snapshotParsed, this, &TelemetrySource::snapshotReady,
          Qt::QueuedConnection);
  connect(parser_, &TelemetryParser::contentParsed, this, &TelemetrySource::contentReady, Qt::QueuedConnection);
  connect(parser_, &TelemetryParser::eventsParsed, this, &TelemetrySource::eventsReady, Qt::QueuedConnection);
  parserThread_.setObjectName(QStringLiteral("tofu-telemetry-parser"));
  parserThread_.start();
  if (!engine_->isValid()) {
    // Never tried: the same files would fail the same way (the engine said why on stderr).
    setState(State::disconnected, QStringLiteral("cannot start the monitor's engine: %1").arg(engine_->errorString()));
    return;
  }
  group_ = new tofu::qt::ChannelGroup(*engine_, {}, engine_.get());
  connect(group_, &tofu::qt::ChannelGroup::messageReceived, this, &TelemetrySource::onMessage);
  // Emitted before connectFailed/channelClosed for the same message: keeps why TLS failed.
  connect(group_, &tofu::qt::ChannelGroup::notificationReceived, this, [this](const MessageEnvelope& message) {
    const QString why = message.headerValue(kTlsErrorName);
    if (message.channelNumber() == channel_ && !why.isEmpty()) {
      tlsError_ = why;
    }
  });
  connect(group_, &tofu::qt::ChannelGroup::connectFailed, this, [this](quint16 channel, Status status) {
    if (channel == channel_) {
      lost(withTlsReason(QStringLiteral("cannot connect: %1").arg(tofu::qt::statusDescription(status)), tlsError_));
    }
  });
  connect(group_, &tofu::qt::ChannelGroup::channelClosed, this, [this](quint16 channel) {
    if (channel == channel_) {
      lost(withTlsReason(QStringLiteral("connection lost"), tlsError_));
    }
  });
  QTimer::singleShot(0, this, &TelemetrySource::connectNow);
}

// The parser forgets its backlog and its thread ends after the body in hand (results still
// queued for this object go with it). The engine (and with it the group and the channel) goes
// with engine_; the endpoint sees a reset and ends the subscription.
TelemetrySource::~TelemetrySource() {
  parser_->stop();
  parserThread_.quit();
  parserThread_.wait();
  delete parser_;
}

QString TelemetrySource::name() const { return address_; }

QString TelemetrySource::kindName() const { return QStringLiteral("attached"); }

QString TelemetrySource::engineName(std::uint64_t /*engineId*/) const {
  return process_.known() ? processShortLabel(process_) : address_;
}

QString TelemetrySource::engineDescription(std::uint64_t /*engineId*/) const {
  return process_.known() ? processLabel(process_) : address_;
}

void TelemetrySource::connectNow() {
  if (refused_) {
    return;
  }
  if (!validToken(token_)) {
    giveUp(QStringLiteral("the telemetry token is not a valid header value (no line breaks, at most 65535 bytes)"));
    return;
  }
  setState(State::connecting, QStringLiteral("connecting to %1").arg(address_));
  partial_.clear();
  welcomed_ = false;
  tlsError_.clear();
  ++attempts_;
  tofu::qt::HeaderList hello;
  if (!token_.isEmpty()) {
    hello.append({kTokenHeader, token_});
  }
  channel_ = group_->connectTo(address_, hello);
  if (channel_ == 0) {
    lost(group_->errorString());
  }
}

void TelemetrySource::onMessage(const MessageEnvelope& message) {
  if (message.channelNumber() != channel_) {
    return;
  }
  const QString what = message.headerValue(QString::fromLatin1(kKindHeader));
  if (message.opCode() == OpCode::HelloResponse) {
    onWelcome(message);
  } else if (!message.headerValue(kErrorHeader).isNull()) {
    refuse(what, message.headerValue(kErrorHeader));
  } else if (message.opCode() == OpCode::ByeRequest && !welcomed_) {
    // An endpoint says Bye before answering the Hello only to refuse it (it sends a
    // HelloResponse with telemetry-error first, so this is the fallback).
    refuse(QStringLiteral("hello"), QStringLiteral("unauthorised: the endpoint closed the connection"));
  } else if (message.opCode() == OpCode::Signal || message.opCode() == OpCode::Response) {
    onData(message, what);
  }
}

void TelemetrySource::onWelcome(const MessageEnvelope& message) {
  if (message.headerValue(QString::fromLatin1(kVersionHeader)) != QString::fromLatin1(kVersion)) {
    // An application's port, say: asking again every few seconds would only disturb it.
    const QString reason = message.headerValue(QString::fromLatin1(kVersionHeader)).isNull()
                               ? QStringLiteral("%1 is not a telemetry endpoint (not retried; attach again to retry)")
                                     .arg(address_)
                               : QStringLiteral("unsupported telemetry version (not retried)");
    const quint16 wrong = std::exchange(channel_, 0);  // first: its channelClosed is no loss
    group_->close(wrong);
    giveUp(reason);
    return;
  }
  if (const QString error = message.headerValue(kErrorHeader); !error.isNull()) {
    refuse(QStringLiteral("hello"), error);
    return;
  }
  welcomed_ = true;
  nextRetryMs_ = firstRetryMs_;
  const tofu::qt::HeaderList subscribe{{kVersionHeader, kVersion},
                                       {kKindHeader, QByteArrayLiteral("subscribe")},
                                       {kPayloadsHeader, QByteArrayLiteral("1")}};
  if (group_->send(channel_, OpCode::Request, {}, subscribe) == 0) {
    lost(group_->errorString());
    return;
  }
  dropped_ = 0;
  droppedUnparsed_ = 0;
  setState(State::connected, QStringLiteral("subscribed to %1").arg(address_));
}

void TelemetrySource::onData(const MessageEnvelope& message, const QString& what) {
  // The server posts the frames of one message back to back: a message left unfinished (its
  // later frames did not fit the server's queue) never completes; its events count as dropped.
  for (auto it = partial_.begin(); it != partial_.end();) {
    it = it.key() == message.messageId() ? std::next(it) : partial_.erase(it);
  }
  QByteArray& body = partial_[message.messageId()];
  body += message.body;
  if (message.hasMore()) {
    return;
  }
  const QByteArray whole = partial_.take(message.messageId());
  if (what == QLatin1String("snapshot")) {
    parser_->enqueue(TelemetryParser::Kind::snapshot, whole);
  } else if (what == QLatin1String("events")) {
    dropped_ = message.headerValue(QStringLiteral("dropped")).toULongLong();
    droppedUnparsed_ += parser_->enqueue(TelemetryParser::Kind::events, whole);
  }
}

void TelemetrySource::refuse(const QString& what, const QString& reason) {
  const quint16 refusedChannel = channel_;
  if (!isTokenRefusal(reason)) {
    lost(QStringLiteral("the endpoint refused %1: %2").arg(what, reason));  // clears channel_
    group_->abort(refusedChannel);
    return;
  }
  channel_ = 0;  // first: the channelClosed that follows the abort is not a loss
  group_->abort(refusedChannel);  // the endpoint closes it too; nothing more will come
  const QString problem =
      token_.isEmpty() ? QStringLiteral("missing token: %1 expects a telemetry-token").arg(address_)
                       : QStringLiteral("wrong token: %1 expects another telemetry-token").arg(address_);
  giveUp(QStringLiteral("telemetry refused: %1 (%2); the endpoint said: %3").arg(problem, kWhereToSetIt, reason));
}

void TelemetrySource::giveUp(const QString& reason) {
  channel_ = 0;
  welcomed_ = false;
  partial_.clear();
  refused_ = true;
  retry_.stop();
  setState(State::disconnected, reason);
}

void TelemetrySource::lost(const QString& reason) {
  channel_ = 0;
  welcomed_ = false;
  partial_.clear();
  if (retry_.isActive()) {
    setState(State::disconnected, reason);
    return;
  }
  const int waitMs = nextRetryMs_;
  setState(State::disconnected, QStringLiteral("%1; retrying in %2 s").arg(reason).arg(waitMs / 1000.0, 0, 'g', 3));
  retry_.start(waitMs);
  nextRetryMs_ = std::min(waitMs * 2, kMaxRetryMs);  // for the attempt after this one
}

}  // namespace tofu::monitor
