// libFuzzer target for the frame decoder (engine/src/net/frame_decoder.cpp): arbitrary byte
// streams, split at points the input chooses.
// The invariants live in fuzz_frame_checks.h, which tests/engine/fuzz_regression_test.cpp uses too, so
// the corpus is replayed with exactly the same checks.
#include <cstddef>
#include <cstdint>

#include "fuzz_frame_checks.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  tofu::fuzz::checkFrameDecoder(data, size);
  return 0;
}
