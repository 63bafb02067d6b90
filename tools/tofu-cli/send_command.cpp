#include "send_command.h"

#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>

#include "tofu/address.h"

#include "engine_session.h"
#include "message_format.h"
#include "signal_waker.h"

namespace tofu::cli {
namespace {

// "10 s", "0.5 s".
std::string formatSeconds(std::chrono::nanoseconds duration) {
  char text[32];
  std::snprintf(text, sizeof text, "%g s", std::chrono::duration<double>(duration).count());
  return text;
}

bool isChannelClosedSignal(const Message& message) noexcept {
  return message.isFromEngine() && message.opCode() == OpCode::Signal &&
         message.status() == Status::channel_closed;
}

}  // namespace

int SendCommand::run() {
  peer_ = commandLine_.address.toString();
  const bool holding = commandLine_.hold.count() > 0;
  if (holding) {
    // Only a hold is interruptible: the signals then end it early instead of the process.
    SignalWaker::blockTerminationSignals();
  }
  Result<std::unique_ptr<EngineSession>> session = EngineSession::create(optionsFor(commandLine_.tls, false));
  if (!session.ok()) {
    printError("cannot start the engine: " + formatStatus(session.status()));
    return kExitFailure;
  }
  EngineSession& engine = *session.value();
  // Borrows the group, so it is declared after the session and goes first.
  std::optional<SignalWaker> waker;
  if (holding) {
    waker.emplace(engine.group());
  }
  if (!connect(engine)) {
    return kExitFailure;
  }
  for (std::uint32_t i = 0; i < commandLine_.count; ++i) {
    if (!exchange(engine)) {
      return kExitFailure;
    }
  }
  if (waker && !hold(engine, *waker)) {
    return kExitFailure;
  }
  return close(engine) ? kExitSuccess : kExitFailure;
}

bool SendCommand::connect(EngineSession& session) {
  MessagePtr hello = session.newMessage();
  if (const Status prepared = prepareHelloRequest(*hello, commandLine_.address);
      prepared != Status::success) {
    printError("cannot connect to " + peer_ + ": " + formatStatus(prepared));
    return false;
  }
  if (!post(session, hello, "connect to")) {
    return false;
  }
  const Clock::time_point deadline = Clock::now() + commandLine_.timeout;
  // A failed connect comes back as the HelloRequest/HelloResponse with a failure status
  // (origin engine), then the channel's closing Signal; success is the peer's HelloResponse.
  for (;;) {
    MessagePtr message = receive(session, deadline, "HelloResponse");
    if (!message) {
      return false;
    }
    const bool failed = message->isFromEngine() && isFailure(message->status());
    const bool accepted = !message->isFromEngine() && message->opCode() == OpCode::HelloResponse;
    if (failed) {
      printError("cannot connect to " + peer_ + ": " + formatFailure(*message));
    }
    session.recycle(message);
    if (failed || accepted) {
      return accepted;
    }
  }
}

bool SendCommand::exchange(EngineSession& session) {
  MessagePtr request = session.newMessage();
  for (const auto& [name, value] : commandLine_.headers) {
    // Checked by the command line parser already.
    (void)request->headers().append(name, value);
  }
  request->body().assign(commandLine_.body);
  const std::optional<BinaryHeader> posted = post(session, request, "send a Request to");
  if (!posted) {
    return false;
  }
  // A peer may answer with several Responses (more=1), the last one with more=0.
  const Clock::time_point deadline = Clock::now() + commandLine_.timeout;
  for (;;) {
    MessagePtr message = receive(session, deadline, "Response");
    if (!message) {
      return false;
    }
    const bool lost = message->isFromEngine() && isFailure(message->status());
    bool done = false;
    if (lost) {
      printError("lost " + peer_ + ": " + formatNotification(*message));
    } else if (message->opCode() == OpCode::Response) {
      printLine(formatMessage(*message));
      done = message->messageId() == posted->messageId && !message->hasMore();
    }
    session.recycle(message);
    if (lost || done) {
      return done;
    }
  }
}

bool SendCommand::hold(EngineSession& session, const SignalWaker& waker) {
  const Clock::time_point deadline = Clock::now() + commandLine_.hold;
  while (!waker.stopRequested()) {
    Result<MessagePtr> received = session.receive(deadline);
    if (!received.ok()) {
      printError("cannot receive from " + peer_ + ": " + formatStatus(received.status()));
      return false;
    }
    MessagePtr message = std::move(received).value();
    if (!message) {
      return true;  // held for the whole time
    }
    // The waker's receiver_update is not a failure; anything else from the peer is ignored.
    const bool lost = message->isFromEngine() && isFailure(message->status());
    if (lost) {
      printError("lost " + peer_ + " while holding: " + formatNotification(*message));
    }
    session.recycle(message);
    if (lost) {
      return false;
    }
  }
  return true;
}

bool SendCommand::close(EngineSession& session) {
  MessagePtr bye = session.newMessage();
  bye->setOpCode(OpCode::ByeRequest);
  if (!post(session, bye, "close the channel to")) {
    return false;
  }
  // B3: the peer's ByeResponse, then the engine's Signal(channel_closed).
  bool byeAnswered = false;
  Clock::time_point deadline = Clock::now() + commandLine_.timeout;
  for (;;) {
    MessagePtr message = receive(session, deadline, byeAnswered ? "channel_closed" : "ByeResponse");
    if (!message) {
      return false;
    }
    const bool closed = isChannelClosedSignal(*message);
    const bool lost = message->isFromEngine() && isFailure(message->status()) && !(closed && byeAnswered);
    if (lost) {
      printError("lost " + peer_ + " while closing: " + formatNotification(*message));
    } else if (!message->isFromEngine() && message->opCode() == OpCode::ByeResponse) {
      byeAnswered = true;
      deadline = Clock::now() + commandLine_.timeout;
    }
    session.recycle(message);
    if (lost || closed) {
      return !lost;
    }
  }
}

std::optional<BinaryHeader> SendCommand::post(EngineSession& session, MessagePtr& message,
                                              std::string_view what) {
  if (message->opCode() != OpCode::HelloRequest) {
    message->setChannelNumber(channel_);
  }
  const Result<BinaryHeader> posted = session.group().enqueueToPeer(message);
  if (!posted.ok()) {
    printError("cannot " + std::string(what) + " " + peer_ + ": " + formatStatus(posted.status()));
    session.recycle(message);
    return std::nullopt;
  }
  channel_ = posted.value().channelNumber;
  return posted.value();
}

MessagePtr SendCommand::receive(EngineSession& session, Clock::time_point deadline,
                                std::string_view waitingFor) {
  Result<MessagePtr> received = session.receive(deadline);
  if (!received.ok()) {
    printError("cannot receive from " + peer_ + ": " + formatStatus(received.status()));
    return nullptr;
  }
  if (!received.value()) {
    printError("no " + std::string(waitingFor) + " from " + peer_ + " within " +
               formatSeconds(commandLine_.timeout));
  }
  return std::move(received).value();
}

}  // namespace tofu::cli
