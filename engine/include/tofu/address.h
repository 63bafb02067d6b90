// Address: where a channel connects or listens, in the tofu header value syntax
// (K3): `tcp|host|port`, `tls|host|port` (TCP with TLS, A4, docs/security.md) or `uds|path`.
// Parsing is strict (B8). Values are plain copies;
// all functions here are thread-safe and never block.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "tofu/result.h"
#include "tofu/status.h"

namespace tofu {

class Message;

inline constexpr std::string_view kConnectToHeader = "~connect_to";
inline constexpr std::string_view kListenOnHeader = "~listen_on";
// Longest UDS path that fits sockaddr_un.sun_path with its terminating NUL on Linux.
inline constexpr std::size_t kMaxUdsPathLength = 107;

enum class AddressKind : std::uint8_t { tcp, uds, tls };

// What an address is for: the I/O thread checks more than parse() does, and differently for
// listening and connecting (docs/behaviour.md, "Addresses").
enum class AddressUse : std::uint8_t { connect, listen };

class Address {
 public:
  // Defaults of the reference helpers: a TCP client goes to 127.0.0.1:7099.
  static constexpr std::string_view kDefaultHost = "127.0.0.1";
  static constexpr std::uint16_t kDefaultPort = 7099;

  Address() = default;
  static Address tcp(std::string host, std::uint16_t port);
  static Address uds(std::string path);
  // TLS over TCP: the same host and port as tcp(); a client verifies the server's certificate
  // against `host` (Options::tlsVerifyPeerName) and sends it as SNI when it is a name.
  static Address tls(std::string host, std::uint16_t port);

  // Parses a header value. invalid_address for: an unknown protocol token, a wrong number
  // of '|' parts, an empty host, a port that is not a decimal 0..65535, an empty path, one
  // longer than kMaxUdsPathLength, or one ending in a space or tab (header values are trimmed).
  static Result<Address> parse(std::string_view value);

  // Why listening or connecting on `value` fails with invalid_address, as one sentence that
  // names the expected form: "no '|' separator; expected tcp|HOST|PORT or uds|PATH",
  // "port '99999' is out of range ...". Besides parse()'s rules it knows the I/O thread's:
  // connecting needs a port of 1..65535, listening an IP literal as host. A well-formed host
  // name to connect to can only fail by not resolving, so that is the answer for it. "" for
  // a value that cannot fail so (an IP literal or a UDS path that parses). Never looks a name
  // up; thread-safe, never blocks.
  static std::string explainInvalid(std::string_view value, AddressUse use);

  AddressKind kind() const noexcept { return kind_; }
  const std::string& host() const noexcept { return host_; }  // tcp and tls; IPv6 without brackets
  std::uint16_t port() const noexcept { return port_; }       // tcp and tls
  const std::string& path() const noexcept { return path_; }  // uds only

  // The header value: "tcp|127.0.0.1|7099", "tls|localhost|7443" or "uds|/tmp/x.sock".
  std::string toString() const;

  bool operator==(const Address&) const = default;

 private:
  AddressKind kind_ = AddressKind::tcp;
  std::string host_ = std::string(kDefaultHost);
  std::uint16_t port_ = kDefaultPort;
  std::string path_;
};

// Turns `message` into a HelloRequest for `peer` (client side): the binary header becomes a
// fresh HelloRequest on channel 0 and a `~connect_to` header is appended; other text headers
// and the body are kept. wrong_address if the address would not read back as itself (an empty
// host or path, a '|' in the host, a path ending in a blank...); the message is then unchanged.
[[nodiscard]] Status prepareHelloRequest(Message& message, const Address& peer);

// Turns `message` into a WelcomeRequest for `local` (server side), with `~listen_on`.
[[nodiscard]] Status prepareWelcomeRequest(Message& message, const Address& local);

// The address a Hello/WelcomeRequest carries: the first `~connect_to` or `~listen_on` header.
// invalid_address when there is none, it does not parse, or its kind does not match the
// opcode (HelloRequest needs ~connect_to, WelcomeRequest needs ~listen_on) (B8).
Result<Address> addressOf(const Message& message);

}  // namespace tofu
