// Shared by the telemetry-under-attack tests (issue 18): a served `tofu-cli listen --echo
// --telemetry ...` and its addresses, raw monitors in this process, /proc measurements of the
// served process, and the pieces that forked peers of another uid use. Test threads only.
#pragma once

#include <sys/mman.h>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tofu/telemetry/json_value.h"
#include "tofu/tofu.h"

#include "cli_fixture.h"

namespace tofu::cli::testing {

using telemetry::JsonValue;

using Clock = std::chrono::steady_clock;

inline constexpr const char* kToken = "Zq3-telemetry-token-for-tests-7f2a";

// A served `tofu-cli listen` and the addresses it printed.
struct Served {
  std::unique_ptr<Process> process;
  std::string bound;
  std::string telemetry;
};

// Options of the in-process monitors: no telemetry of their own.
Options clientOptions();

// A line of /proc/<pid>/status in KiB, VmRSS by default (0 when unreadable).
std::uint64_t rssKiB(pid_t pid, std::string_view field = "VmRSS:");
// User + system CPU time of `pid` so far, in seconds.
double cpuSeconds(pid_t pid);

// Posts a HelloRequest to `address`, with `telemetry-token:<token>` when given; the channel.
std::uint16_t hello(Ampe& ampe, ChannelGroup& group, const Address& address,
                    const std::optional<std::string>& token);
// Posts a telemetry request of `kind` on `channel`; its message id.
std::uint64_t request(Ampe& ampe, ChannelGroup& group, std::uint16_t channel, std::string_view kind);
// As request(), but false when the channel is already gone (the message goes back to the pool).
bool tryRequest(Ampe& ampe, ChannelGroup& group, std::uint16_t channel, std::string_view kind);
// Sends a HelloRequest with the token and waits for its answer: the channel when authorised
// (no telemetry-error), 0 otherwise; `error` gets the refusal, if any.
std::uint16_t authorise(Ampe& ampe, ChannelGroup& group, const Address& address, std::string* error = nullptr);
// Authorises `count` monitors, in batches of 8 under this uid's share of 16 pending
// connections at accept; a connection reset at accept (the share not yet settled by the
// server's 250 ms look) is retried in a later batch. Stops at the first refusal (into
// `refusal`) or after 40 s; the channels authorised.
std::vector<std::uint16_t> authoriseMany(Ampe& ampe, ChannelGroup& group, const Address& address, std::size_t count,
                                         std::string* refusal);
// Waits up to `wait` for the answer to request `id`: true when it came without telemetry-error.
bool awaitAnswer(Ampe& ampe, ChannelGroup& group, std::uint64_t id, std::chrono::milliseconds wait);

bool hasHeader(const Message& message, std::string_view name);
bool isClosedSignal(const Message& message);  // Signal(channel_closed) from the engine

class TelemetryAbuseTest : public CliTest {
 protected:
  // `listen LISTEN --echo --telemetry TELEMETRY`, with TOFU_TELEMETRY_TOKEN=token in its
  // environment unless `token` is empty.
  Served serve(const std::string& telemetry, const std::string& token = kToken,
               const std::string& listen = "tcp|127.0.0.1|0");
  // `top ADDRESS --once --json` with the token in the environment; the parsed snapshot.
  std::optional<JsonValue> authorisedSnapshot(const std::string& address);
  // SIGTERM, and expects a clean exit.
  static void stop(Process& process);
};

// ---- For peers forked to run as another uid: async-signal-safe (the parent has threads) ----

// Takes `uid` as user and group, without supplementary groups; false when not allowed.
bool becomeUid(uid_t uid) noexcept;
// Connects the TCP socket `fd` to 127.0.0.1:`port` (blocking); true on success.
bool connectLoopback(int fd, std::uint16_t port) noexcept;

// A T in memory shared with the children forked after it was made (MAP_SHARED). Its
// members must be lock-free atomics. The parent destroys it; children leave with _exit.
template <typename T>
class SharedWithChildren {
 public:
  SharedWithChildren() {
    void* mapped = ::mmap(nullptr, sizeof(T), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (mapped != MAP_FAILED) value_ = new (mapped) T();
  }
  ~SharedWithChildren() {
    if (value_ == nullptr) return;
    value_->~T();
    ::munmap(value_, sizeof(T));
  }
  SharedWithChildren(const SharedWithChildren&) = delete;
  SharedWithChildren& operator=(const SharedWithChildren&) = delete;

  bool ok() const noexcept { return value_ != nullptr; }
  T* operator->() const noexcept { return value_; }

 private:
  T* value_ = nullptr;
};

}  // namespace tofu::cli::testing
