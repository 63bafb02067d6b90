// libFuzzer target for Address::parse and the Hello/WelcomeRequest address helpers (engine/src/address.cpp).
// The invariants live in fuzz_checks.h so that tests/engine/fuzz_regression_test.cpp replays the
// corpus with exactly the same checks.
#include <cstddef>
#include <cstdint>

#include "fuzz_checks.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  tofu::fuzz::checkAddress(data, size);
  return 0;
}
