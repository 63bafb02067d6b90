// CallEvent: a function posted from a worker thread to run on a QObject's thread, handled by
// that object's event() through CallEvent::dispatch(). Unlike a queued invokeMethod, it tells
// ThreadSanitizer that posting happens before running: Qt's event queue synchronises through
// its futex-based QMutex, which TSan cannot see. Created on any thread, run and deleted on the
// receiver's thread.
#pragma once

#include <QEvent>

#include <functional>

class QObject;

namespace tofu::qt {

class CallEvent : public QEvent {
 public:
  explicit CallEvent(std::function<void()> call);

  // Posts `call` to run on `target`'s thread. Never blocks; thread-safe. Dropped with the
  // target if it is destroyed first.
  static void post(QObject* target, std::function<void()> call);
  // Runs `event` if it is a CallEvent; false otherwise. For event() overrides.
  static bool dispatch(QEvent* event);

 private:
  static QEvent::Type eventType();

  std::function<void()> call_;
};

}  // namespace tofu::qt
