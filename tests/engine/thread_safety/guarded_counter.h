// Compiled by thread_safety_check_test, not linked: a GUARDED_BY member touched with and
// without its mutex. THREAD_SAFETY_VIOLATION selects the unlocked access, which clang's
// -Wthread-safety must refuse.
#pragma once

#include "tofu/support/mutex.h"

namespace tofu::detail {

class GuardedCounter {
 public:
  void incrementLocked() {
    MutexLock lock(mutex_);
    ++count_;
  }
#ifdef THREAD_SAFETY_VIOLATION
  void incrementUnlocked() { ++count_; }
#endif

 private:
  Mutex mutex_;
  int count_ GUARDED_BY(mutex_) = 0;
};

}  // namespace tofu::detail
