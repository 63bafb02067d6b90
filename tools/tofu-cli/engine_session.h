// EngineSession: one engine (Reactor) plus the single channel group a command works with.
// Owns both; destroying the session destroys the group (aborting its channels), then the
// engine. Used from one thread, the one that receives; group() may be lent to others.
#pragma once

#include <chrono>
#include <memory>
#include <optional>

#include "command_line.h"
#include "tofu/reactor.h"
#include "tofu/result.h"

namespace tofu::cli {

// Engine options for the TLS files of a command line: a listener (`server`) presents the
// certificate and, given a CA, requires client certificates; a sender trusts the CA, presents
// the certificate when asked and, --insecure, checks nothing (it warns on stderr).
Options optionsFor(const TlsFiles& tls, bool server);

class EngineSession {
 public:
  using Clock = std::chrono::steady_clock;

  // allocation_failed / shutdown_started when the engine or the group cannot be created;
  // invalid_address / listen_failed when Options::telemetryAddress cannot be served.
  static Result<std::unique_ptr<EngineSession>> create(const Options& options = {});
  ~EngineSession();

  EngineSession(const EngineSession&) = delete;
  EngineSession& operator=(const EngineSession&) = delete;

  ChannelGroup& group() noexcept { return *group_; }
  Ampe& ampe() noexcept { return reactor_->ampe(); }

  // A reset message, from the pool when it has one.
  MessagePtr newMessage();
  // Gives `message` back to the pool; a null message is a no-op.
  void recycle(MessagePtr& message) { reactor_->ampe().put(message); }

  // The next message for the group, waiting until `deadline` (forever without one); a null
  // message when the deadline passes. pool_empty notifications are handled here: a fresh
  // message goes into the pool, which lets the starving channel read again (B5), and the
  // wait goes on.
  Result<MessagePtr> receive(std::optional<Clock::time_point> deadline);

 private:
  EngineSession(std::unique_ptr<Reactor> reactor, ChannelGroup* group);

  std::unique_ptr<Reactor> reactor_;
  ChannelGroup* group_;  // owned through reactor_->ampe(); destroyed before reactor_
};

}  // namespace tofu::cli
