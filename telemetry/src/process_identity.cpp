// ProcessIdentity::current() (schema.h): this process, read from /proc.
#include <charconv>
#include <fstream>
#include <sstream>
#include <system_error>

#include "tofu/telemetry/schema.h"

#include <unistd.h>

namespace tofu::telemetry {
namespace {

std::string firstLine(const char* path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

// Seconds since the epoch at boot (/proc/stat `btime`), or 0.
std::int64_t bootUnixSeconds() {
  std::ifstream in("/proc/stat");
  std::string key;
  while (in >> key) {
    if (key == "btime") {
      std::int64_t seconds = 0;
      in >> seconds;
      return seconds;
    }
    in.ignore(1 << 20, '\n');
  }
  return 0;
}

// Field 22 of /proc/self/stat: clock ticks after boot when the process started, or -1. The
// program name (field 2) may hold spaces and parentheses: fields are counted after its last ')'.
std::int64_t startTicksAfterBoot() {
  const std::string stat = firstLine("/proc/self/stat");
  const std::size_t nameEnd = stat.rfind(')');
  if (nameEnd == std::string::npos) return -1;
  std::istringstream fields(stat.substr(nameEnd + 1));
  std::string field;
  for (int index = 3; fields >> field; ++index) {
    if (index != 22) continue;
    std::int64_t ticks = -1;
    const auto [end, error] = std::from_chars(field.data(), field.data() + field.size(), ticks);
    return error == std::errc() && end == field.data() + field.size() ? ticks : -1;
  }
  return -1;
}

}  // namespace

ProcessIdentity ProcessIdentity::current() {
  ProcessIdentity identity;
  identity.processId = static_cast<std::int64_t>(::getpid());
  identity.programName = firstLine("/proc/self/comm");
  char host[256] = {};
  if (::gethostname(host, sizeof(host) - 1) == 0) identity.hostName = host;
  const std::int64_t ticks = startTicksAfterBoot();
  const long ticksPerSecond = ::sysconf(_SC_CLK_TCK);
  const std::int64_t boot = bootUnixSeconds();
  if (ticks >= 0 && ticksPerSecond > 0 && boot > 0) {
    identity.startedUnixMs = boot * 1000 + ticks * 1000 / ticksPerSecond;
  }
  return identity;
}

}  // namespace tofu::telemetry
