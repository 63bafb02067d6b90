// Address: the `tcp|host|port` / `tls|host|port` / `uds|path` header values (K3, A4), parsed strictly (B8),
// and the helpers that put them into Hello/WelcomeRequests or read them back.
#include "tofu/address.h"

#include <cstddef>
#include <optional>
#include <utility>

#include "tofu/message.h"

#include <arpa/inet.h>
#include <netinet/in.h>

namespace tofu {
namespace {

constexpr std::string_view kTcpToken = "tcp";
constexpr std::string_view kTlsToken = "tls";
constexpr std::string_view kUdsToken = "uds";
constexpr char kSeparator = '|';
// The reference keeps hosts in a 256-byte buffer; longer ones are invalid there too.
constexpr std::size_t kMaxHostLength = 255;
constexpr std::size_t kMaxPortDigits = 5;
// A host never contains blanks or NUL; a path may contain spaces but no NUL or line break,
// which sun_path or the header record could not carry.
constexpr std::string_view kBadHostChars{" \t\r\n\0", 5};
constexpr std::string_view kBadPathChars{"\r\n\0", 3};

// Everything parse() refuses, one reason each; explainInvalid() turns them into sentences.
enum class Flaw : std::uint8_t {
  none,
  empty,
  noSeparator,
  unknownScheme,
  noPortSeparator,
  emptyHost,
  longHost,
  blankInHost,
  emptyPort,
  extraPart,
  portNotDecimal,
  portTooLong,
  portOutOfRange,
  emptyPath,
  longPath,
  separatorInPath,
  lineBreakInPath,
  blankAtPathEnd,
};

// The outcome of reading a header value: the address, or the flaw and the text it is in.
struct Parsed {
  Flaw flaw = Flaw::none;
  AddressKind kind = AddressKind::tcp;  // the scheme read, once known
  std::string_view part;
  Address address;
};

Parsed refused(Flaw flaw, std::string_view part = {}) { return {flaw, AddressKind::tcp, part, Address()}; }

// Splits off the text before the first separator; nullopt when there is none.
std::optional<std::string_view> takePart(std::string_view& rest) noexcept {
  const std::size_t separator = rest.find(kSeparator);
  if (separator == std::string_view::npos) return std::nullopt;
  const std::string_view part = rest.substr(0, separator);
  rest.remove_prefix(separator + 1);
  return part;
}

// TCP and TLS share the host and port syntax.
Parsed parseHostPort(std::string_view rest) {
  const std::optional<std::string_view> host = takePart(rest);
  if (!host) return refused(Flaw::noPortSeparator);
  if (host->empty()) return refused(Flaw::emptyHost);
  if (host->size() > kMaxHostLength) return refused(Flaw::longHost);
  if (host->find_first_of(kBadHostChars) != std::string_view::npos) return refused(Flaw::blankInHost, *host);
  const std::string_view port = rest;
  if (port.empty()) return refused(Flaw::emptyPort);
  if (port.find(kSeparator) != std::string_view::npos) return refused(Flaw::extraPart, port);
  unsigned value = 0;
  for (const char digit : port) {
    if (digit < '0' || digit > '9') return refused(Flaw::portNotDecimal, port);
    value = value * 10 + static_cast<unsigned>(digit - '0');
    if (value > 65535)
      return refused(port.size() > kMaxPortDigits ? Flaw::portTooLong : Flaw::portOutOfRange, port);
  }
  if (port.size() > kMaxPortDigits) return refused(Flaw::portTooLong, port);
  return {
      Flaw::none, AddressKind::tcp, {}, Address::tcp(std::string(*host), static_cast<std::uint16_t>(value))};
}

Parsed parseUds(std::string_view path) {
  if (path.empty()) return refused(Flaw::emptyPath);
  if (path.size() > kMaxUdsPathLength) return refused(Flaw::longPath);
  if (path.find(kSeparator) != std::string_view::npos) return refused(Flaw::separatorInPath);
  if (path.find_first_of(kBadPathChars) != std::string_view::npos) return refused(Flaw::lineBreakInPath);
  // A trailing blank would not survive the header reader, which trims values: the peer
  // would see another path.
  if (path.back() == ' ' || path.back() == '\t') return refused(Flaw::blankAtPathEnd);
  return {Flaw::none, AddressKind::uds, {}, Address::uds(std::string(path))};
}

Parsed parseValue(std::string_view value) {
  if (value.empty()) return refused(Flaw::empty);
  std::string_view rest = value;
  const std::optional<std::string_view> scheme = takePart(rest);
  if (!scheme) return refused(Flaw::noSeparator);
  if (scheme == kTcpToken) return parseHostPort(rest);
  if (scheme == kTlsToken) {
    Parsed parsed = parseHostPort(rest);
    parsed.kind = AddressKind::tls;
    if (parsed.flaw == Flaw::none)
      parsed.address = Address::tls(parsed.address.host(), parsed.address.port());
    return parsed;
  }
  if (scheme == kUdsToken) return parseUds(rest);
  return refused(Flaw::unknownScheme, *scheme);
}

std::string quoted(std::string_view text) { return "'" + std::string(text) + "'"; }

// The reason for a flaw, and the form the value should have had (a tls value's own form for
// host and port flaws).
std::string explainFlaw(Flaw flaw, AddressKind kind, std::string_view part) {
  constexpr std::string_view kAnyForm = "tcp|HOST|PORT or uds|PATH";
  const std::string_view kTcpForm = kind == AddressKind::tls ? "tls|HOST|PORT" : "tcp|HOST|PORT";
  constexpr std::string_view kUdsForm = "uds|PATH";
  const auto sentence = [](std::string reason, std::string_view form) {
    return reason.append("; expected ").append(form);
  };
  switch (flaw) {
    case Flaw::none:
      return {};
    case Flaw::empty:
      return sentence("the address is empty", kAnyForm);
    case Flaw::noSeparator:
      return sentence("no '|' separator", kAnyForm);
    case Flaw::unknownScheme:
      return sentence("unknown scheme " + quoted(part), kAnyForm);
    case Flaw::noPortSeparator:
      return sentence("no '|' between host and port", kTcpForm);
    case Flaw::emptyHost:
      return sentence("empty host", kTcpForm);
    case Flaw::longHost:
      return sentence("host longer than " + std::to_string(kMaxHostLength) + " characters", kTcpForm);
    case Flaw::blankInHost:
      return sentence("host " + quoted(part) + " contains a blank, line break or NUL", kTcpForm);
    case Flaw::emptyPort:
      return sentence("empty port", kTcpForm);
    case Flaw::extraPart:
      return sentence("more after the port: " + quoted(part), kTcpForm);
    case Flaw::portNotDecimal:
      return sentence("port " + quoted(part) + " is not a decimal number", kTcpForm);
    case Flaw::portTooLong:
      return sentence("port " + quoted(part) + " has more than " + std::to_string(kMaxPortDigits) + " digits",
                      kTcpForm);
    case Flaw::portOutOfRange:
      return sentence(
          "port " + quoted(part) + " is out of range 1..65535 (0 only to listen on any free port)", kTcpForm);
    case Flaw::emptyPath:
      return sentence("empty path", kUdsForm);
    case Flaw::longPath:
      return sentence("path longer than " + std::to_string(kMaxUdsPathLength) + " bytes", kUdsForm);
    case Flaw::separatorInPath:
      return sentence("the path contains '|'", kUdsForm);
    case Flaw::lineBreakInPath:
      return sentence("the path contains a line break or NUL", kUdsForm);
    case Flaw::blankAtPathEnd:
      return sentence("the path ends in a blank, which the header reader trims", kUdsForm);
  }
  return {};
}

// The hosts the I/O thread takes without a lookup, as literalSocketAddress() does.
bool isIpLiteral(const std::string& host) noexcept {
  in6_addr scratch{};
  return ::inet_pton(AF_INET, host.c_str(), &scratch) == 1 ||
         ::inet_pton(AF_INET6, host.c_str(), &scratch) == 1;
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

Address Address::tls(std::string host, std::uint16_t port) {
  Address address = tcp(std::move(host), port);
  address.kind_ = AddressKind::tls;
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
  Parsed parsed = parseValue(value);
  if (parsed.flaw != Flaw::none) return Status::invalid_address;
  return std::move(parsed.address);
}

std::string Address::explainInvalid(std::string_view value, AddressUse use) {
  const Parsed parsed = parseValue(value);
  if (parsed.flaw != Flaw::none) return explainFlaw(parsed.flaw, parsed.kind, parsed.part);
  const Address& address = parsed.address;
  if (address.kind() == AddressKind::uds) return {};
  // The I/O thread's order: the port first, then (connecting) the name lookup.
  if (use == AddressUse::connect && address.port() == 0) return "connecting needs a port of 1..65535, not 0";
  if (isIpLiteral(address.host())) return {};
  if (use == AddressUse::listen) {
    return "listening needs an IP address as host (0.0.0.0, 127.0.0.1, ::1), not the host name " +
           quoted(address.host());
  }
  return "the host name " + quoted(address.host()) + " could not be resolved";
}

std::string Address::toString() const {
  if (kind_ == AddressKind::uds) return std::string(kUdsToken) + kSeparator + path_;
  const std::string_view scheme = kind_ == AddressKind::tls ? kTlsToken : kTcpToken;
  return std::string(scheme) + kSeparator + host_ + kSeparator + std::to_string(port_);
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
