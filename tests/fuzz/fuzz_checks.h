// The invariants the fuzz targets check, shared with tests/engine/fuzz_regression_test.cpp so
// that every corpus file is replayed by the normal test suite (every preset, ASan included).
// Each check*() takes arbitrary bytes and verifies behaviour against an independent model of
// the spec (PROTOCOL.md 2.2, 2.6, 7; DECISIONS.md B2, B8, B9), not just "no crash". One file
// per target; this one gathers them for the regression test.
#pragma once

#include "fuzz_address_checks.h"
#include "fuzz_frame_checks.h"
#include "fuzz_text_header_checks.h"
