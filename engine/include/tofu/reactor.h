// Reactor: one tofu engine. Owns the message pool, every channel and channel group, and
// one I/O thread that does all socket work. Create from any thread; destroy from a thread
// that is not using the engine (destruction must not race with other calls).
#pragma once

#include <memory>

#include "tofu/ampe.h"
#include "tofu/options.h"
#include "tofu/result.h"

namespace tofu {

namespace detail {
class AmpeImpl;
}

class Reactor {
 public:
  // Starts the engine and its I/O thread; returns once the thread is ready.
  // allocation_failed if the thread, epoll or eventfd cannot be set up; invalid_address or
  // listen_failed if Options::telemetryAddress is set and cannot be served (docs/telemetry.md).
  static Result<std::unique_ptr<Reactor>> create(const Options& options = {});

  // Destroys the engine: every group still alive is destroyed as by Ampe::destroy()
  // (waiters wake with shutdown_started), every channel is aborted, the I/O thread is joined
  // and all messages are freed. Blocks only for that (milliseconds).
  ~Reactor();

  Reactor(const Reactor&) = delete;
  Reactor& operator=(const Reactor&) = delete;

  // The application interface. Valid until the Reactor is destroyed.
  Ampe& ampe() noexcept;

 private:
  explicit Reactor(std::unique_ptr<detail::AmpeImpl> engine);

  std::unique_ptr<detail::AmpeImpl> engine_;
};

}  // namespace tofu
