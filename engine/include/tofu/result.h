// Result<T>: a Status plus a value. No exceptions cross the engine API; fallible calls return
// a Result or a Status.
//
// The rule for value(): it may be read when ok(), or when the result was built with an
// explicit value (Result(Status, T)), which says that the value means something even with that
// status. A failed result built from a status alone has no value: calling value() on it is a
// bug in the caller, so it prints the status on stderr ("tofu: Result::value() called on a
// failed result: channel_closed (the channel is closed)") and aborts the process, instead of
// handing out a default T (a null pointer, channel 0) that would fail later and far away.
// Check ok() (or status()) first. The check costs one predictable branch on the success path.
// A Result is a value type: thread-safe as far as its T is; no call blocks.
#pragma once

#include <utility>

#include "tofu/status.h"

namespace tofu {

namespace detail {
// Internal, not part of the API: the failure path of Result<T>::value(), out of line so that
// every value() call inlines to one branch. Writes the status to stderr and aborts.
[[noreturn]] void abortOnMissingValue(Status status) noexcept;
}  // namespace detail

template <class T>
class [[nodiscard]] Result {
 public:
  // NOLINTNEXTLINE(google-explicit-constructor): implicit on purpose, `return value;`
  Result(T value) : status_(Status::success), hasValue_(true), value_(std::move(value)) {}
  // A status alone: success carries a default T (e.g. "no message"), any other status none.
  // NOLINTNEXTLINE(google-explicit-constructor): implicit on purpose, `return Status::...;`
  Result(Status status) : status_(status), hasValue_(status == Status::success), value_() {}
  // A status with a value that is meaningful despite the status: value() stays readable.
  Result(Status status, T value) : status_(status), hasValue_(true), value_(std::move(value)) {}

  bool ok() const noexcept { return status_ == Status::success; }
  Status status() const noexcept { return status_; }

  // The value; aborts the process when there is none (see the rule above).
  const T& value() const& noexcept {
    requireValue();
    return value_;
  }
  T& value() & noexcept {
    requireValue();
    return value_;
  }
  T&& value() && noexcept {
    requireValue();
    return std::move(value_);
  }

 private:
  void requireValue() const noexcept {
    if (!hasValue_) [[unlikely]] {
      detail::abortOnMissingValue(status_);
    }
  }

  Status status_;
  bool hasValue_;  // false only for a failed result built from a status alone
  T value_;
};

}  // namespace tofu
