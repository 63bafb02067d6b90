#include "telemetry_client.h"

#include <cstdio>
#include <utility>

#include "tofu/telemetry/codec.h"
#include "tofu/telemetry/frame_headers.h"

#include "engine_session.h"
#include "message_format.h"

namespace tofu::cli {
namespace {

bool isLoss(const Message& message) noexcept { return message.isFromEngine() && isFailure(message.status()); }

}  // namespace

TelemetryClient::TelemetryClient(EngineSession& session, const Address& address,
                                 std::chrono::nanoseconds timeout, std::string token)
    : session_(session),
      peer_(address.toString()),
      address_(address),
      timeout_(timeout),
      token_(std::move(token)) {}

std::string TelemetryClient::waitLimit() const {
  char text[32];
  std::snprintf(text, sizeof text, "%g s", std::chrono::duration<double>(timeout_).count());
  return text;
}

MessagePtr TelemetryClient::receive(Clock::time_point deadline, std::string_view waitingFor,
                                    std::string& error) {
  Result<MessagePtr> received = session_.receive(deadline);
  if (!received.ok()) {
    error = "cannot receive from " + peer_ + ": " + formatStatus(received.status());
    return nullptr;
  }
  if (!received.value()) {
    error = "no " + std::string(waitingFor) + " from " + peer_ + " within " + waitLimit();
    return nullptr;
  }
  return std::move(received).value();
}

bool TelemetryClient::connect(std::string& error) {
  MessagePtr hello = session_.newMessage();
  if (const Status prepared = prepareHelloRequest(*hello, address_); prepared != Status::success) {
    error = "cannot connect to " + peer_ + ": " + formatStatus(prepared);
    return false;
  }
  if (!token_.empty() && hello->headers().append(telemetry::kTokenHeader, token_) != HeaderCheck::ok) {
    session_.recycle(hello);
    error = "the telemetry token is not a valid header value";
    return false;
  }
  const Result<BinaryHeader> posted = session_.group().enqueueToPeer(hello);
  if (!posted.ok()) {
    session_.recycle(hello);
    error = "cannot connect to " + peer_ + ": " + formatStatus(posted.status());
    return false;
  }
  channel_ = posted.value().channelNumber;
  const Clock::time_point deadline = Clock::now() + timeout_;
  for (;;) {
    MessagePtr message = receive(deadline, "HelloResponse", error);
    if (!message) {
      return false;
    }
    if (isLoss(*message)) {
      error = "cannot connect to " + peer_ + ": " + formatFailure(*message);
      session_.recycle(message);
      return false;
    }
    if (message->isFromEngine() || message->opCode() != OpCode::HelloResponse) {
      session_.recycle(message);
      continue;
    }
    connected_ = true;
    // A plain tofu peer answers the Hello too, but without this header.
    const std::optional<std::string_view> version = message->headers().find(telemetry::kVersionHeader);
    if (const auto refused = message->headers().find(telemetry::kErrorHeader); version && refused) {
      // The endpoint closes the connection itself (docs/telemetry.md, "Access and limits").
      connected_ = false;
      error = peer_ + " refused this monitor: " + std::string(*refused) +
              (token_.empty() ? " (no token given: --token or TOFU_TELEMETRY_TOKEN)" : " (check the token)");
    } else if (!version) {
      error = peer_ + " is not a telemetry endpoint: its HelloResponse has no telemetry-version header";
    } else if (*version != telemetry::kVersionHeaderValue) {
      error = peer_ + " speaks telemetry-version " + std::string(*version) +
              "; this tofu-cli reads version " + std::string(telemetry::kVersionHeaderValue);
    }
    session_.recycle(message);
    return error.empty();
  }
}

std::optional<TelemetrySnapshot> TelemetryClient::snapshot(std::string& error) {
  MessagePtr request = session_.newMessage();
  request->setChannelNumber(channel_);
  (void)request->headers().append(telemetry::kVersionHeader, telemetry::kVersionHeaderValue);
  (void)request->headers().append(telemetry::kKindHeader, "snapshot");
  const Result<BinaryHeader> posted = session_.group().enqueueToPeer(request);
  if (!posted.ok()) {
    session_.recycle(request);
    error = "cannot request a snapshot from " + peer_ + ": " + formatStatus(posted.status());
    return std::nullopt;
  }
  TelemetrySnapshot snapshot;
  const Clock::time_point deadline = Clock::now() + timeout_;
  for (;;) {
    MessagePtr message = receive(deadline, "snapshot", error);
    if (!message) {
      return std::nullopt;
    }
    if (isLoss(*message)) {
      error = "lost " + peer_ + ": " + formatNotification(*message);
      connected_ = false;
      session_.recycle(message);
      return std::nullopt;
    }
    const bool ours = !message->isFromEngine() && message->opCode() == OpCode::Response &&
                      message->messageId() == posted.value().messageId;
    if (!ours) {
      session_.recycle(message);  // a wake-up, or a Signal we did not ask for
      continue;
    }
    if (const auto failure = message->headers().find(telemetry::kErrorHeader)) {
      error = peer_ + " refused the snapshot request: " + std::string(*failure);
    }
    snapshot.json.append(message->body().view());
    const bool last = !message->hasMore();
    session_.recycle(message);
    if (!error.empty()) {
      return std::nullopt;
    }
    if (last) {
      break;
    }
  }
  std::string parseError;
  const std::optional<telemetry::JsonValue> value = telemetry::JsonValue::parse(snapshot.json, &parseError);
  if (!value || !value->isObject() || value->uintAt(telemetry::kTelemetryVersion) != telemetry::kVersion) {
    error = peer_ + " is not a telemetry endpoint: its snapshot is not a version 1 JSON object" +
            (value ? std::string() : " (" + parseError + ")");
    return std::nullopt;
  }
  if (!telemetry::decodeSnapshot(*value, snapshot.snapshot, &parseError)) {
    error = peer_ + " sent a snapshot that does not decode: " + parseError;
    return std::nullopt;
  }
  snapshot.source = telemetry::decodeSource(*value);
  return snapshot;
}

TelemetryClient::Idle TelemetryClient::idle(Clock::time_point deadline, std::string& error) {
  for (;;) {
    Result<MessagePtr> received = session_.receive(deadline);
    if (!received.ok()) {
      error = "cannot receive from " + peer_ + ": " + formatStatus(received.status());
      return Idle::lost;
    }
    MessagePtr message = std::move(received).value();
    if (!message) {
      return Idle::elapsed;
    }
    const bool woken = message->isFromEngine() && message->status() == Status::receiver_update;
    const bool lost = isLoss(*message);
    if (lost) {
      error = "lost " + peer_ + ": " + formatNotification(*message);
      connected_ = false;
    }
    session_.recycle(message);
    if (woken || lost) {
      return woken ? Idle::woken : Idle::lost;
    }
  }
}

void TelemetryClient::close() {
  if (!connected_) {
    return;
  }
  connected_ = false;
  MessagePtr bye = session_.newMessage();
  bye->setOpCode(OpCode::ByeRequest);
  bye->setChannelNumber(channel_);
  if (!session_.group().enqueueToPeer(bye).ok()) {
    session_.recycle(bye);
    return;
  }
  const Clock::time_point deadline = Clock::now() + timeout_;
  for (;;) {
    Result<MessagePtr> received = session_.receive(deadline);
    if (!received.ok() || !received.value()) {
      return;
    }
    MessagePtr message = std::move(received).value();
    const bool closed = message->isFromEngine() && message->opCode() == OpCode::Signal &&
                        message->status() == Status::channel_closed;
    session_.recycle(message);
    if (closed) {
      return;
    }
  }
}

}  // namespace tofu::cli
