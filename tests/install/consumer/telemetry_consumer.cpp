// Uses the installed telemetry codec (Tofu::telemetry): writes an engine's snapshot as
// telemetry JSON and reads it back. Exits 0 and prints what came back on success.
#include <tofu/telemetry/codec.h>
#include <tofu/tofu.h>

#include <cstdio>
#include <string>

int main() {
  auto reactor = tofu::Reactor::create();
  if (!reactor.ok()) return 1;
  auto snapshot = reactor.value()->ampe().snapshot();
  if (!snapshot.ok()) return 2;
  const std::string json = tofu::telemetry::snapshotToJson(snapshot.value());
  tofu::EngineSnapshot back;
  std::string error;
  if (!tofu::telemetry::parseSnapshot(json, back, &error)) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return 3;
  }
  if (back.engineId != snapshot.value().engineId) return 4;
  std::printf("telemetry %llu: engine %llu read back\n", static_cast<unsigned long long>(tofu::telemetry::kVersion),
              static_cast<unsigned long long>(back.engineId));
  return 0;
}
