// WorkerThread: a QThread whose join() also orders, for ThreadSanitizer, everything the thread
// did before everything the joiner does after. QThread::wait() synchronises through Qt's own
// futex-based QMutex, which TSan cannot see, so destroying state the thread used would be
// reported as a race. Subclasses implement work(); join() from the thread that started it.
#pragma once

#include <QThread>

#include <atomic>

namespace tofu::qt {

class WorkerThread : public QThread {
  Q_OBJECT

 public:
  using QThread::QThread;

  // Blocks until work() has returned (or at once if the thread never started).
  void join() {
    wait();
    (void)finished_.load(std::memory_order_acquire);
  }

 protected:
  virtual void work() = 0;

 private:
  void run() final {
    work();
    finished_.store(true, std::memory_order_release);
  }

  std::atomic<bool> finished_{false};
};

}  // namespace tofu::qt
