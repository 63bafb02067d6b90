// SnapshotThread: takes Ampe::snapshot() off the GUI thread for an EngineWatcher, because a
// snapshot waits for the engine's I/O thread. Requests coalesce: at most one is outstanding.
// Borrows the Ampe (which outlives it); request()/stop() from any thread, results go to the
// `deliver` callback on this thread, which must not block.
#pragma once

#include <condition_variable>
#include <functional>

#include "tofu/ampe.h"
#include "tofu/support/mutex.h"

#include "worker_thread.h"

namespace tofu::qt {

class SnapshotThread : public WorkerThread {
  Q_OBJECT

 public:
  SnapshotThread(Ampe& ampe, std::function<void(EngineSnapshot)> deliver);
  // Stops and joins.
  ~SnapshotThread() override;

  // Asks for one snapshot; a request already waiting absorbs this one. Never blocks.
  void request();
  // Wakes the thread and joins it, after the snapshot in progress if any (well under 1 ms).
  void stop();

 protected:
  void work() override;

 private:
  // Constant after construction.
  Ampe& ampe_;
  const std::function<void(EngineSnapshot)> deliver_;

  detail::Mutex mutex_;
  std::condition_variable wake_;
  bool requested_ GUARDED_BY(mutex_) = false;
  bool stopping_ GUARDED_BY(mutex_) = false;
};

}  // namespace tofu::qt
