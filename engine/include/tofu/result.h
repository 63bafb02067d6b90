// Result<T>: a Status plus a value that is meaningful only when the status is success.
// No exceptions cross the engine API; fallible calls return a Result or a Status.
#pragma once

#include <utility>

#include "tofu/status.h"

namespace tofu {

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : status_(Status::success), value_(std::move(value)) {}  // NOLINT: implicit on purpose
  Result(Status status) : status_(status), value_() {}                   // NOLINT: implicit on purpose
  Result(Status status, T value) : status_(status), value_(std::move(value)) {}

  bool ok() const noexcept { return status_ == Status::success; }
  Status status() const noexcept { return status_; }

  const T& value() const& noexcept { return value_; }
  T& value() & noexcept { return value_; }
  T&& value() && noexcept { return std::move(value_); }

 private:
  Status status_;
  T value_;
};

}  // namespace tofu
