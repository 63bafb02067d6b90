// The failure path of Result<T>::value() (tofu/result.h): misuse fails loudly, naming the
// status, rather than handing out a default value that breaks something later.
#include "tofu/result.h"

#include <cstdio>
#include <cstdlib>

namespace tofu::detail {

void abortOnMissingValue(Status status) noexcept {
  std::fprintf(stderr, "tofu: Result::value() called on a failed result: %s (%s)\n", toString(status),
               describe(status));
  std::fflush(stderr);
  std::abort();
}

}  // namespace tofu::detail
