// Support header for tofu's own libraries (the engine, the Qt adapter, the monitor), not part
// of the API: installed with the headers because it lives beside them, with no compatibility
// promise. Applications should use std::mutex.
// Mutex and MutexLock: std::mutex with clang's thread-safety annotations, so -Wthread-safety
// checks GUARDED_BY at compile time (leveldb port::Mutex). Any thread. std::mutex stays
// underneath, so ThreadSanitizer (g++ in the tsan preset) sees every lock as before.
#pragma once

#include <condition_variable>
#include <mutex>

// The annotations are clang attributes, no-ops elsewhere.
#if defined(__clang__)
#define TOFU_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define TOFU_THREAD_ANNOTATION(x)
#endif

#define CAPABILITY(x) TOFU_THREAD_ANNOTATION(capability(x))
#define SCOPED_CAPABILITY TOFU_THREAD_ANNOTATION(scoped_lockable)
#define GUARDED_BY(x) TOFU_THREAD_ANNOTATION(guarded_by(x))
#define ACQUIRE(...) TOFU_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define RELEASE(...) TOFU_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define REQUIRES(...) TOFU_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define EXCLUDES(...) TOFU_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))

namespace tofu::detail {

class CAPABILITY("mutex") Mutex {
 public:
  void lock() ACQUIRE() { mutex_.lock(); }
  void unlock() RELEASE() { mutex_.unlock(); }
  std::mutex& native() { return mutex_; }

 private:
  std::mutex mutex_;
};

class SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mutex) ACQUIRE(mutex) : lock_(mutex.native()) {}
  ~MutexLock() RELEASE() = default;
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

  // For waiting on a std::condition_variable with this lock held.
  std::unique_lock<std::mutex>& native() { return lock_; }

 private:
  std::unique_lock<std::mutex> lock_;
};

}  // namespace tofu::detail
