// Internal, not part of the API.
// Mutex and MutexLock: std::mutex with thread-safety annotations, so clang can check
// GUARDED_BY at compile time (leveldb port::Mutex). Any thread.
#pragma once

#include <condition_variable>
#include <mutex>

#include "util/thread_annotations.h"

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
