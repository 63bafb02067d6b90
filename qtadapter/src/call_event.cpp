#include "call_event.h"

#include <QCoreApplication>

#include <utility>

#if defined(TOFU_SANITIZER_THREAD)
#include <sanitizer/tsan_interface.h>
// Exported by the TSan runtime, not declared in GCC 12's tsan_interface.h: this thread's memory
// accesses (interceptors included) go unchecked between the two.
extern "C" void __tsan_ignore_thread_begin();
extern "C" void __tsan_ignore_thread_end();
#define TOFU_TSAN_RELEASE(address) __tsan_release(address)
#define TOFU_TSAN_ACQUIRE(address) __tsan_acquire(address)
#define TOFU_TSAN_IGNORE_BEGIN() __tsan_ignore_thread_begin()
#define TOFU_TSAN_IGNORE_END() __tsan_ignore_thread_end()
#else
#define TOFU_TSAN_RELEASE(address) static_cast<void>(address)
#define TOFU_TSAN_ACQUIRE(address) static_cast<void>(address)
#define TOFU_TSAN_IGNORE_BEGIN() static_cast<void>(0)
#define TOFU_TSAN_IGNORE_END() static_cast<void>(0)
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
  auto* event = new CallEvent(std::move(call));
  // postEvent grows the receiver thread's posted-event list under that thread's futex QMutex,
  // which TSan cannot see. Only Qt's own accesses in there are ignored (Qt's frames are not in
  // TSan's stacks, so no suppression could name them); the hand-over itself is annotated above.
  TOFU_TSAN_IGNORE_BEGIN();
  QCoreApplication::postEvent(target, event);
  TOFU_TSAN_IGNORE_END();
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
