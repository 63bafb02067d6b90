// libFuzzer target for Address::parse and the Hello/WelcomeRequest address helpers (engine/src/address.cpp).
// The invariants live in fuzz_address_checks.h, which tests/engine/fuzz_regression_test.cpp uses too, so
// the corpus is replayed with exactly the same checks.
#include <cstddef>
#include <cstdint>

#include "fuzz_address_checks.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  tofu::fuzz::checkAddress(data, size);
  return 0;
}
