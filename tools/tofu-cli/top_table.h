// TopTable: renders telemetry snapshots (docs/telemetry.md) as the `tofu-cli top` table: a
// summary line, then one row per channel with state, counters and message rates computed
// against the previous snapshot. Keeps that snapshot's counters between calls; one thread.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>

#include "tofu/introspection.h"
#include "tofu/telemetry/schema.h"

namespace tofu::cli {

class TopTable {
 public:
  // The whole table, each line ending with '\n'. Rates show '-' until a channel has been seen
  // in two snapshots.
  std::string render(const EngineSnapshot& snapshot, const telemetry::SnapshotSource& source,
                     std::string_view endpoint);

 private:
  struct Counters {
    std::uint64_t received = 0;
    std::uint64_t sent = 0;
    std::int64_t takenAtNs = 0;
  };
  // By (engineId, incarnation): incarnations are never reused within an engine.
  std::map<std::pair<std::uint64_t, std::uint64_t>, Counters> previous_;
};

}  // namespace tofu::cli
