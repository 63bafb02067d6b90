// Shared by the TLS tests (issue 23): a TLS server engine listening on loopback and a client
// engine, with the test certificates of tls_certificates.h. Test thread only.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "engine_harness.h"
#include "tls_certificates.h"
#include "tofu/tofu.h"

namespace tofu::test {

inline const TlsCertificates& certificates() { return TlsCertificates::get(); }

// Short handshake limits keep the failure cases fast; scaled for sanitizer builds.
inline Options withShortHandshake(Options options) {
  options.handshakeTimeoutMs = static_cast<std::uint32_t>(scaled(std::chrono::milliseconds(1000)).count());
  return options;
}

// A server engine listening on tls|HOST|0 (or tcp|HOST|0 when `plain`) and a client engine
// with a short handshake timeout.
struct TlsPeers {
  TlsPeers(const Options& serverOptions, const Options& clientOptions, const std::string& host = "127.0.0.1",
           bool plain = false)
      : server(serverOptions),
        client(withShortHandshake(clientOptions)),
        serverGroup(server.group()),
        clientGroup(client.group()) {
    const Address local = plain ? Address::tcp(host, 0) : Address::tls(host, 0);
    listening = listen(server.ampe(), serverGroup, local);
  }

  // The listener's address as a tls address for `host` (the name the client verifies).
  Address peer(const std::string& host) const { return Address::tls(host, listening.bound.port()); }

  Engine server;
  Engine client;
  ChannelGroup& serverGroup;
  ChannelGroup& clientGroup;
  Listening listening;
};

// The value of text header `name`, if the message has it.
inline std::optional<std::string> headerOf(const Message& message, std::string_view name) {
  const std::optional<std::string_view> value = message.headers().find(name);
  if (!value) return std::nullopt;
  return std::string(*value);
}

}  // namespace tofu::test
