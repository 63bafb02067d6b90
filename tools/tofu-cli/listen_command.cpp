#include "listen_command.h"

#include <memory>
#include <optional>
#include <string>

#include "tofu/address.h"

#include "engine_session.h"
#include "message_format.h"
#include "signal_waker.h"

namespace tofu::cli {
namespace {

// The opcode that answers `op` on the listening side; false when nothing is sent back.
bool replyFor(OpCode op, bool echo, OpCode& reply) noexcept {
  switch (op) {
    case OpCode::HelloRequest:
    case OpCode::ByeRequest:
      return echoOf(op, reply);
    case OpCode::Request:
    case OpCode::Signal:
      return echo && echoOf(op, reply);
    default:
      return false;
  }
}

}  // namespace

int ListenCommand::run() {
  // Before the engine exists, so that its I/O thread inherits the blocked mask.
  SignalWaker::blockTerminationSignals();
  Options options = optionsFor(commandLine_.tls, true);
  if (commandLine_.telemetry) {
    options.telemetryAddress = commandLine_.telemetry->toString();
  }
  Result<std::unique_ptr<EngineSession>> session = EngineSession::create(options);
  if (!session.ok()) {
    const Status status = session.status();
    const bool telemetryFailed =
        commandLine_.telemetry && (status == Status::invalid_address || status == Status::listen_failed ||
                                    status == Status::not_allowed);
    printError((telemetryFailed ? "cannot serve telemetry on " + options.telemetryAddress
                                : std::string("cannot start the engine")) +
               ": " + formatStatus(status));
    return kExitFailure;
  }
  telemetryAddress_ = session.value()->ampe().telemetryAddress();
  Step outcome = Step::fail;
  {
    // The waker borrows the group, so it goes first; the session then aborts the channels.
    const SignalWaker waker(session.value()->group());
    if (startListening(*session.value())) {
      outcome = serve(*session.value(), waker);
    }
  }
  return outcome == Step::stop ? kExitSuccess : kExitFailure;
}

bool ListenCommand::startListening(EngineSession& session) {
  const std::string where = commandLine_.address.toString();
  MessagePtr welcome = session.newMessage();
  if (const Status prepared = prepareWelcomeRequest(*welcome, commandLine_.address);
      prepared != Status::success) {
    printError("cannot listen on " + where + ": " + formatStatus(prepared));
    return false;
  }
  const Result<BinaryHeader> posted = session.group().enqueueToPeer(welcome);
  if (!posted.ok()) {
    printError("cannot listen on " + where + ": " + formatStatus(posted.status()));
    return false;
  }
  listenerChannel_ = posted.value().channelNumber;
  return true;
}

ListenCommand::Step ListenCommand::serve(EngineSession& session, const SignalWaker& waker) {
  for (;;) {
    Result<MessagePtr> received = session.receive(std::nullopt);
    if (!received.ok()) {
      printError("cannot receive: " + formatStatus(received.status()));
      return Step::fail;
    }
    MessagePtr message = std::move(received).value();
    if (waker.stopRequested()) {
      session.recycle(message);
      return Step::stop;
    }
    if (!message) {
      continue;
    }
    Step step = Step::carryOn;
    if (message->channelNumber() == listenerChannel_) {
      step = handleListenerReply(*message);
    } else if (message->isFromEngine()) {
      handleNotification(*message);
    } else {
      if (!commandLine_.quiet) printLine(formatMessageOnChannel(*message));
      answer(session, message);
    }
    session.recycle(message);
    if (step != Step::carryOn) {
      return step;
    }
  }
}

// The WelcomeResponse, or the end of the listener.
ListenCommand::Step ListenCommand::handleListenerReply(const Message& message) {
  const std::string where = commandLine_.address.toString();
  if (message.opCode() == OpCode::WelcomeResponse && message.status() == Status::success) {
    // The header carries the port actually bound when the command line asked for port 0.
    const auto listenOn = message.headers().find(kListenOnHeader);
    const Result<Address> bound =
        listenOn ? Address::parse(*listenOn) : Result<Address>(Status::invalid_address);
    printLine("listening " + (bound.ok() ? bound.value().toString() : where));
    // From --telemetry or TOFU_TELEMETRY; second, so that readers of the first line are unaffected.
    if (!telemetryAddress_.empty()) {
      printLine("telemetry " + telemetryAddress_);
    }
    return Step::carryOn;
  }
  if (message.opCode() == OpCode::WelcomeResponse) {
    printError("cannot listen on " + where + ": " + formatFailure(message));
  } else {
    printError("stopped listening on " + where + ": " + formatNotification(message));
  }
  return Step::fail;
}

void ListenCommand::handleNotification(const Message& message) {
  // A stray receiver_update (a second SIGINT racing the stop) says nothing new.
  if (message.status() != Status::receiver_update) {
    printError(formatNotification(message));
  }
}

// Replies by turning the received message around, so nothing is copied.
void ListenCommand::answer(EngineSession& session, MessagePtr& message) {
  OpCode reply = OpCode::Response;
  if (!replyFor(message->opCode(), commandLine_.echo, reply)) {
    return;
  }
  message->setOpCode(reply);
  const Result<BinaryHeader> posted = session.group().enqueueToPeer(message);
  if (!posted.ok()) {
    printError("cannot answer on channel " + std::to_string(message->channelNumber()) + ": " +
               formatStatus(posted.status()));
  }
}

}  // namespace tofu::cli
