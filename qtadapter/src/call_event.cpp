#include "call_event.h"

#include <QCoreApplication>

#include <utility>

#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
#define TOFU_TSAN_RELEASE(address) __tsan_release(address)
#define TOFU_TSAN_ACQUIRE(address) __tsan_acquire(address)
#else
#define TOFU_TSAN_RELEASE(address) static_cast<void>(address)
#define TOFU_TSAN_ACQUIRE(address) static_cast<void>(address)
#endif

namespace tofu::qt {
namespace {

// One sync point for every CallEvent: acquired before the event is even looked at (its type
// is read first). Qt's posted-event lists give the same guarantee per receiving thread.
char tsanSync;

}  // namespace

CallEvent::CallEvent(std::function<void()> call) : QEvent(eventType()), call_(std::move(call)) {
  TOFU_TSAN_RELEASE(&tsanSync);
}

QEvent::Type CallEvent::eventType() {
  static const auto type = static_cast<QEvent::Type>(QEvent::registerEventType());
  return type;
}

void CallEvent::post(QObject* target, std::function<void()> call) {
  QCoreApplication::postEvent(target, new CallEvent(std::move(call)));
}

bool CallEvent::dispatch(QEvent* event) {
  TOFU_TSAN_ACQUIRE(&tsanSync);
  if (event->type() != eventType()) {
    return false;
  }
  static_cast<CallEvent*>(event)->call_();
  return true;
}

}  // namespace tofu::qt
