#include "top_table.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <vector>

#include "terminal_text.h"

namespace tofu::cli {
namespace {

struct Column {
  const char* title;
  bool rightAligned;
};

constexpr std::array kColumns{
    Column{"ENGINE", true},   Column{"CH", true},        Column{"INC", true},     Column{"KIND", false},
    Column{"STATE", false},   Column{"PEER", false},     Column{"MSGS-IN", true}, Column{"MSGS-OUT", true},
    Column{"BYTES-IN", true}, Column{"BYTES-OUT", true}, Column{"IN/S", true},    Column{"OUT/S", true},
    Column{"SENDQ", true},    Column{"CLOSE", false},
};
using Row = std::array<std::string, kColumns.size()>;

std::string rate(std::uint64_t now, std::uint64_t before, double seconds) {
  if (seconds <= 0 || now < before) {
    return "-";
  }
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", static_cast<double>(now - before) / seconds);
  return text;
}

void appendRow(std::string& out, const Row& row, const std::array<std::size_t, kColumns.size()>& widths) {
  std::string line;
  for (std::size_t i = 0; i < row.size(); ++i) {
    const std::size_t pad = widths[i] - row[i].size();
    if (i > 0) {
      line += "  ";
    }
    if (kColumns[i].rightAligned) {
      line.append(pad, ' ');
    }
    line += row[i];
    if (!kColumns[i].rightAligned && i + 1 < row.size()) {
      line.append(pad, ' ');
    }
  }
  out += line;
  out += '\n';
}

}  // namespace

std::string TopTable::render(const JsonValue& snapshot, std::string_view endpoint) {
  const JsonValue none;
  const JsonValue* channels = snapshot.find("channels");
  const JsonValue* pool = snapshot.find("pool");
  const JsonValue* totals = snapshot.find("totals");
  if (channels == nullptr) channels = &none;
  if (pool == nullptr) pool = &none;
  if (totals == nullptr) totals = &none;

  std::string out =
      "tofu-cli top  " + terminalSafe(endpoint) + "  pid " + std::to_string(snapshot.intAt("processId")) +
      "  engine " + std::to_string(snapshot.uintAt("engineId")) + "  channels " +
      std::to_string(channels->items().size()) + "  pool idle " + std::to_string(pool->uintAt("idle")) +
      " in use " + std::to_string(pool->uintAt("inUse")) + "  frames written " +
      std::to_string(totals->uintAt("framesWritten")) + " read " +
      std::to_string(totals->uintAt("framesRead")) + '\n';

  std::vector<Row> rows;
  Row titles;
  for (std::size_t i = 0; i < kColumns.size(); ++i) titles[i] = kColumns[i].title;
  rows.push_back(titles);
  const std::int64_t takenAtNs = snapshot.intAt("takenAtNs");
  std::map<std::pair<std::uint64_t, std::uint64_t>, Counters> current;
  // Open channels in the order they were made (listeners usually first), then closed ones.
  std::vector<const JsonValue*> ordered;
  for (const JsonValue& channel : channels->items()) ordered.push_back(&channel);
  std::stable_sort(ordered.begin(), ordered.end(), [](const JsonValue* a, const JsonValue* b) {
    const bool aClosed = a->stringAt("state") == "closed";
    const bool bClosed = b->stringAt("state") == "closed";
    if (aClosed != bClosed) return bClosed;
    return a->uintAt("incarnation") < b->uintAt("incarnation");
  });
  for (const JsonValue* entry : ordered) {
    const JsonValue& channel = *entry;
    const auto key = std::make_pair(channel.uintAt("engineId"), channel.uintAt("incarnation"));
    const Counters counters{channel.uintAt("messagesReceived"), channel.uintAt("messagesSent"), takenAtNs};
    current[key] = counters;
    const auto before = previous_.find(key);
    const bool haveRates = before != previous_.end();
    const double seconds = haveRates ? static_cast<double>(takenAtNs - before->second.takenAtNs) / 1e9 : 0;
    // Every string cell came from the endpoint: escaped before it reaches the terminal.
    const std::string state = terminalSafe(channel.stringAt("state", "?"));
    std::string peer = terminalSafe(channel.stringAt("peerAddress"));
    if (peer.empty()) {
      peer = terminalSafe(channel.stringAt("localAddress"));  // a listener: where it listens
    }
    const bool closingOrClosed = state == "closing" || state == "closed";
    rows.push_back(Row{
        std::to_string(key.first),
        std::to_string(channel.uintAt("channelNumber")),
        std::to_string(key.second),
        terminalSafe(channel.stringAt("kind", "?")),
        state,
        peer.empty() ? "-" : peer,
        std::to_string(counters.received),
        std::to_string(counters.sent),
        std::to_string(channel.uintAt("bytesReceived")),
        std::to_string(channel.uintAt("bytesSent")),
        haveRates ? rate(counters.received, before->second.received, seconds) : "-",
        haveRates ? rate(counters.sent, before->second.sent, seconds) : "-",
        std::to_string(channel.uintAt("sendQueueMessages")),
        closingOrClosed ? terminalSafe(channel.stringAt("closeReason", "?")) : "-",
    });
  }
  previous_ = std::move(current);

  std::array<std::size_t, kColumns.size()> widths{};
  for (const Row& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  for (const Row& row : rows) appendRow(out, row, widths);
  return out;
}

}  // namespace tofu::cli
