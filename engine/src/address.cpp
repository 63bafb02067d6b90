// Address: the `tcp|host|port` / `uds|path` header values (K3), parsed strictly (B8), and the
// helpers that put them into Hello/WelcomeRequests or read them back.
#include "tofu/address.h"

#include <cstddef>
#include <optional>
#include <utility>

#include "tofu/message.h"

namespace tofu {
namespace {

constexpr std::string_view kTcpToken = "tcp";
constexpr std::string_view kUdsToken = "uds";
constexpr char kSeparator = '|';
// The reference keeps hosts in a 256-byte buffer; longer ones are invalid there too.
constexpr std::size_t kMaxHostLength = 255;
constexpr std::size_t kMaxPortDigits = 5;
// A host never contains blanks or NUL; a path may contain spaces but no NUL or line break,
// which sun_path or the header record could not carry.
constexpr std::string_view kBadHostChars{" \t\r\n\0", 5};
constexpr std::string_view kBadPathChars{"\r\n\0", 3};

// Splits off the text before the first separator; nullopt when there is none.
std::optional<std::string_view> takePart(std::string_view& rest) noexcept {
  const std::size_t separator = rest.find(kSeparator);
  if (separator == std::string_view::npos) return std::nullopt;
  const std::string_view part = rest.substr(0, separator);
  rest.remove_prefix(separator + 1);
  return part;
}

std::optional<std::uint16_t> parsePort(std::string_view text) noexcept {
  if (text.empty() || text.size() > kMaxPortDigits) return std::nullopt;
  unsigned value = 0;
  for (const char digit : text) {
    if (digit < '0' || digit > '9') return std::nullopt;
    value = value * 10 + static_cast<unsigned>(digit - '0');
  }
  if (value > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

Result<Address> parseTcp(std::string_view rest) {
  const std::optional<std::string_view> host = takePart(rest);
  if (!host || host->empty() || host->size() > kMaxHostLength ||
      host->find_first_of(kBadHostChars) != std::string_view::npos) {
    return Status::invalid_address;
  }
  const std::optional<std::uint16_t> port = parsePort(rest);  // a further '|' is not a digit
  if (!port) return Status::invalid_address;
  return Address::tcp(std::string(*host), *port);
}

Result<Address> parseUds(std::string_view path) {
  // A trailing blank would not survive the header reader, which trims values: the peer
  // would see another path.
  const bool trailingBlank = !path.empty() && (path.back() == ' ' || path.back() == '\t');
  if (path.empty() || trailingBlank || path.size() > kMaxUdsPathLength ||
      path.find(kSeparator) != std::string_view::npos || path.find_first_of(kBadPathChars) != std::string_view::npos) {
    return Status::invalid_address;
  }
  return Address::uds(std::string(path));
}

Status prepareRequest(Message& message, const Address& address, OpCode op, std::string_view headerName) {
  // Only an address that reads back as itself is written: Address::uds("x ") or
  // Address::tcp("a|b", 1) would otherwise fail later, on the I/O thread, as another address.
  const std::string value = address.toString();
  const Result<Address> reread = Address::parse(value);
  if (!reread.ok() || !(reread.value() == address) ||
      message.headers().append(headerName, value) != HeaderCheck::ok) {
    return Status::wrong_address;
  }
  message.header() = BinaryHeader::forOpCode(op);
  return Status::success;
}

}  // namespace

Address Address::tcp(std::string host, std::uint16_t port) {
  Address address;
  address.host_ = std::move(host);
  address.port_ = port;
  return address;
}

Address Address::uds(std::string path) {
  Address address;
  address.kind_ = AddressKind::uds;
  address.host_.clear();
  address.port_ = 0;
  address.path_ = std::move(path);
  return address;
}

Result<Address> Address::parse(std::string_view value) {
  std::string_view rest = value;
  const std::optional<std::string_view> token = takePart(rest);
  if (token == kTcpToken) return parseTcp(rest);
  if (token == kUdsToken) return parseUds(rest);
  return Status::invalid_address;
}

std::string Address::toString() const {
  if (kind_ == AddressKind::uds) return std::string(kUdsToken) + kSeparator + path_;
  return std::string(kTcpToken) + kSeparator + host_ + kSeparator + std::to_string(port_);
}

Status prepareHelloRequest(Message& message, const Address& peer) {
  return prepareRequest(message, peer, OpCode::HelloRequest, kConnectToHeader);
}

Status prepareWelcomeRequest(Message& message, const Address& local) {
  return prepareRequest(message, local, OpCode::WelcomeRequest, kListenOnHeader);
}

Result<Address> addressOf(const Message& message) {
  std::string_view expected;
  if (message.opCode() == OpCode::HelloRequest) {
    expected = kConnectToHeader;
  } else if (message.opCode() == OpCode::WelcomeRequest) {
    expected = kListenOnHeader;
  } else {
    return Status::invalid_address;
  }
  for (const TextHeader& header : message.headers()) {
    if (header.name == kConnectToHeader || header.name == kListenOnHeader) {
      // The first address header decides (PROTOCOL.md 7.2); a wrong kind is not skipped (B8).
      if (header.name != expected) return Status::invalid_address;
      return Address::parse(header.value);
    }
  }
  return Status::invalid_address;
}

}  // namespace tofu
