// ReceiveThread: the worker of a tofu::qt::ChannelGroup. Its work() loops on waitReceive(),
// copies each message into a MessageEnvelope, puts the message back to the pool at once and
// pushes batches to the DeliveryQueue. Borrows the group, the Ampe and the queue, which
// outlive it. start()/stop() from the owner's thread; work() touches only the engine and the
// queue, never a QObject.
#pragma once


#include <atomic>

#include "worker_thread.h"

namespace tofu {
class Ampe;
class ChannelGroup;
}  // namespace tofu

namespace tofu::qt {

class DeliveryQueue;

class ReceiveThread : public WorkerThread {
  Q_OBJECT

 public:
  // Most messages taken from waitReceive() per hand-over: large enough to amortise the lock
  // and the posted event, small enough to keep the first emission of a burst early.
  static constexpr qsizetype kBatchCap = 1024;

  ReceiveThread(Ampe& ampe, tofu::ChannelGroup& group, DeliveryQueue& queue);
  // Stops and joins the thread if stop() was not called.
  ~ReceiveThread() override;

  // Sets the abort flag, wakes the thread wherever it waits (waitReceive through the group's
  // updateReceiver(), a full queue through DeliveryQueue::abort()) and joins it. Blocks only
  // until the current batch is handed over (microseconds). Owner's thread.
  void stop();

 protected:
  void work() override;

 private:
  // Constant after construction (borrowed).
  Ampe& ampe_;
  tofu::ChannelGroup& group_;
  DeliveryQueue& queue_;

  std::atomic<bool> abort_{false};
};

}  // namespace tofu::qt
