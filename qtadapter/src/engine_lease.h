// EngineLease: the registration of an adapter object that borrows a tofu::qt::Engine (a
// ChannelGroup, an EngineWatcher, any class built on the engine's Ampe). The borrower holds it
// for its whole life. If the Engine is destroyed first, ~Engine calls the borrower's `detach`
// while the Reactor still runs (engine() still returns it), so the borrower can stop its
// threads and give back what it created on the engine; afterwards engine() is null and the
// borrower must not touch the engine again. Internal, not part of the API. The engine's thread
// only (not thread-safe).
//
// Use: a member `std::unique_ptr<EngineLease> lease_`, created first in the constructor with
// a `detach` that calls the same release code as the destructor (stop workers, destroy engine
// groups, stop observing) and records that later calls must fail. In calls, test a state the
// release clears (or engine() != nullptr) before using the engine. A borrower that emits
// signals re-checks after each emit (a QPointer to itself, then that state): any slot may
// delete the borrower or the Engine.
#pragma once

#include <functional>

namespace tofu::qt {

class Engine;

class EngineLease {
 public:
  // Registers with `engine` (which may be invalid). `detach` runs at most once, from ~Engine;
  // it may block briefly (joining a worker) but must not emit signals, delete QObjects or
  // destroy this lease.
  EngineLease(Engine& engine, std::function<void()> detach);
  // Unregisters, unless the engine is gone already. Never blocks.
  ~EngineLease();
  EngineLease(const EngineLease&) = delete;
  EngineLease& operator=(const EngineLease&) = delete;

  // The engine, or null once it was destroyed.
  Engine* engine() const noexcept { return engine_; }

 private:
  friend class Engine;
  void detach();  // for ~Engine: runs `detach`, then forgets the engine

  Engine* engine_;
  const std::function<void()> detach_;
};

}  // namespace tofu::qt
