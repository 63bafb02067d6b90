// libFuzzer target for the text-header reader and writer (engine/src/text_headers.cpp).
// The invariants live in fuzz_text_header_checks.h, which tests/engine/fuzz_regression_test.cpp uses too, so
// the corpus is replayed with exactly the same checks.
#include <cstddef>
#include <cstdint>

#include "fuzz_text_header_checks.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  tofu::fuzz::checkTextHeaders(data, size);
  return 0;
}
