// ChildProcess: runs the receiving end of a scaling run in a forked child, so that each
// process holds one end of every connection (10,000 connections need 20,000 descriptors,
// the container's hard limit). Parent and child talk through one shared-memory block of
// lock-free atomics. The parent object has one owner thread.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace bench {

struct ChildShared {
  enum State : int { starting = 0, listening = 1, allAccepted = 2, failed = -1 };

  std::atomic<int> state{starting};
  std::atomic<bool> stop{false};          // set by the parent: finish and exit
  std::atomic<std::uint64_t> received{0}; // messages counted by the child
  std::atomic<std::uint64_t> accepted{0}; // connections fully set up on the child's side
  std::atomic<std::uint64_t> allocations{0};  // operator new calls in the child so far
  std::atomic<std::uint64_t> poolEmpty{0};    // the child engine's pool_empty episodes so far
  std::atomic<std::int64_t> rssDelta{0};  // child RSS growth while accepting
  std::atomic<std::int64_t> heapDelta{0}; // child live heap growth while accepting
  std::atomic<std::uint16_t> port{0};     // TCP: where the child listens
  char path[108] = {};                    // UDS: where the child listens
  char error[200] = {};
};
static_assert(std::atomic<std::uint64_t>::is_always_lock_free, "shared atomics must be lock-free");

class ChildProcess {
 public:
  using Body = std::function<int(ChildShared&)>;

  // Forks; the child runs `body` and _exit()s with its result. Call only while this process
  // has a single thread (fork copies just the caller). Null and `error` set on failure.
  static std::unique_ptr<ChildProcess> start(const Body& body, std::string& error);

  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  ChildShared& shared() noexcept { return *shared_; }
  pid_t pid() const noexcept { return pid_; }

  // Waits until the child reaches `state` (true), fails or exits, or `timeout` passes.
  bool waitFor(int state, std::chrono::duration<double> timeout);

  // Sets stop and reaps the child (killing it after `grace`). Idempotent; true if it exited 0.
  bool finish(std::chrono::duration<double> grace = std::chrono::seconds(10));

  std::string childError() const { return shared_->error; }

 private:
  ChildProcess(ChildShared* shared, pid_t pid) : shared_(shared), pid_(pid) {}

  ChildShared* shared_;
  pid_t pid_;
  bool reaped_ = false;
  int exitStatus_ = 0;
};

// Copies `text` into the shared error field (child side).
void reportChildError(ChildShared& shared, const std::string& text);

}  // namespace bench
