#include "snapshot_thread.h"

#include <utility>

namespace tofu::qt {

SnapshotThread::SnapshotThread(Ampe& ampe, std::function<void(EngineSnapshot)> deliver)
    : ampe_(ampe), deliver_(std::move(deliver)) {
  setObjectName(QStringLiteral("tofu snapshots"));
}

SnapshotThread::~SnapshotThread() { stop(); }

void SnapshotThread::request() {
  {
    const detail::MutexLock lock(mutex_);
    requested_ = true;
  }
  wake_.notify_one();
}

void SnapshotThread::stop() {
  {
    const detail::MutexLock lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  join();
}

void SnapshotThread::work() {
  for (;;) {
    {
      detail::MutexLock lock(mutex_);
      wake_.wait(lock.native(), [this]() REQUIRES(mutex_) { return requested_ || stopping_; });
      if (stopping_) {
        return;
      }
      requested_ = false;
    }
    Result<EngineSnapshot> snapshot = ampe_.snapshot();
    if (!snapshot.ok()) {
      return;  // shutdown_started: the engine is going away
    }
    deliver_(std::move(snapshot).value());
  }
}

}  // namespace tofu::qt
