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

std::string TopTable::render(const EngineSnapshot& snapshot, const telemetry::SnapshotSource& source,
                             std::string_view endpoint) {
  std::string out = "tofu-cli top  " + terminalSafe(endpoint) + "  pid " +
                    std::to_string(source.process.processId) + "  engine " +
                    std::to_string(snapshot.engineId) + "  channels " +
                    std::to_string(snapshot.channels.size()) + "  pool idle " +
                    std::to_string(snapshot.pool.idle) + " in use " + std::to_string(snapshot.pool.inUse) +
                    "  frames written " + std::to_string(snapshot.totals.framesWritten) + " read " +
                    std::to_string(snapshot.totals.framesRead) + '\n';

  std::vector<Row> rows;
  Row titles;
  for (std::size_t i = 0; i < kColumns.size(); ++i) titles[i] = kColumns[i].title;
  rows.push_back(titles);
  const std::int64_t takenAtNs = snapshot.takenAtNs;
  std::map<std::pair<std::uint64_t, std::uint64_t>, Counters> current;
  // Open channels in the order they were made (listeners usually first), then closed ones.
  std::vector<const ChannelInfo*> ordered;
  for (const ChannelInfo& channel : snapshot.channels) ordered.push_back(&channel);
  std::stable_sort(ordered.begin(), ordered.end(), [](const ChannelInfo* a, const ChannelInfo* b) {
    const bool aClosed = a->state == ChannelState::closed;
    const bool bClosed = b->state == ChannelState::closed;
    if (aClosed != bClosed) return bClosed;
    return a->incarnation < b->incarnation;
  });
  for (const ChannelInfo* entry : ordered) {
    const ChannelInfo& channel = *entry;
    const auto key = std::make_pair(channel.engineId, channel.incarnation);
    const Counters counters{channel.messagesReceived, channel.messagesSent, takenAtNs};
    current[key] = counters;
    const auto before = previous_.find(key);
    const bool haveRates = before != previous_.end();
    const double seconds = haveRates ? static_cast<double>(takenAtNs - before->second.takenAtNs) / 1e9 : 0;
    // Addresses are text from the endpoint: escaped before they reach the terminal (kinds,
    // states and statuses were decoded, so they are our own names).
    std::string peer = terminalSafe(channel.peerAddress);
    if (peer.empty()) {
      peer = terminalSafe(channel.localAddress);  // a listener: where it listens
    }
    const bool closingOrClosed =
        channel.state == ChannelState::closing || channel.state == ChannelState::closed;
    rows.push_back(Row{
        std::to_string(key.first),
        std::to_string(channel.channelNumber),
        std::to_string(key.second),
        toString(channel.kind),
        toString(channel.state),
        peer.empty() ? "-" : peer,
        std::to_string(counters.received),
        std::to_string(counters.sent),
        std::to_string(channel.bytesReceived),
        std::to_string(channel.bytesSent),
        haveRates ? rate(counters.received, before->second.received, seconds) : "-",
        haveRates ? rate(counters.sent, before->second.sent, seconds) : "-",
        std::to_string(channel.sendQueueMessages),
        closingOrClosed ? toString(channel.closeReason) : "-",
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
