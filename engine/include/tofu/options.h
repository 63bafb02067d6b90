// Options: how an engine (Reactor) is configured. Plain value; defaults are documented here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace tofu {

struct Options {
  // Messages made when the engine starts (4096 cost about 3 MB: 720 bytes each), and so
  // what a sender that takes only idle ones (get(poolOnly), waitGet) keeps in flight.
  // 0 means the default, 4096.
  std::uint16_t initialPoolMsgs = 4096;
  // Most idle messages the pool keeps; extra returned messages are freed. 0 means the
  // default, 65535; a value below initialPoolMsgs is raised to it. The pool grows on demand
  // and shrinks back: idle messages nobody took for ten seconds are freed, half of them per
  // second, down to initialPoolMsgs (docs/architecture.md, "Memory").
  std::uint16_t maxPoolMsgs = 65535;
  // Receive budget of each ChannelGroup, in bytes of real memory (message, text-header and
  // body buffers): messages the engine received for the group and has not got back yet
  // (queued for waitReceive(), or held by the application until it puts them back, posts
  // them or deletes them). Past it the group's channels stop reading (B5) until messages
  // come back; what the application sends never counts here (B14). 0 means the default:
  // 4 MiB, about 5,800 small messages or 63 of 64 KiB, in flight per group (more missed the
  // caches in tofu-bench and made the pool grow whenever the receiver fell behind).
  std::size_t receiveBudgetBytes = 4u * 1024u * 1024u;
  // A frame that stops arriving mid-way (its binary header read, the rest missing) for this
  // long closes its channel with communication_failed (B14). 0 disables the check.
  std::uint32_t receiveProgressTimeoutMs = 5'000;
  // Per-channel send queue limit in bytes of real memory of the messages not yet written
  // (message, text-header and body buffers, not only their frame bytes; B6). Past it,
  // enqueueToPeer() fails with notification_failed and the caller keeps the message; once the
  // queue is down to half of this, a send-ready Signal says so (B16).
  // A message is always accepted on an empty queue, whatever its size.
  std::size_t sendQueueLimitBytes = 8u * 1024u * 1024u;
  // Fails a HelloRequest with connect_failed when the connection is not up in time (B11).
  // 0 leaves it to the operating system.
  std::uint32_t connectTimeoutMs = 0;
  // TCP_NODELAY on every TCP channel (B10); frames are already gathered into few writes.
  bool tcpNoDelay = true;
  // Before going to sleep, the I/O thread and a thread in waitReceive() keep polling, yielding
  // the CPU between polls, for up to this many microseconds. Work arriving within that time
  // is taken without a thread wake-up (17-20 us each on a small VM, most of a round trip),
  // at the cost of up to this much CPU after every burst. 0 sleeps at once
  // (docs/performance.md).
  std::uint32_t spinMicros = 50;

  // ---- Limits and secure defaults (docs/security.md) ----
  // Most channels (listeners and connections) open at once in this engine; past it a
  // Hello/WelcomeRequest fails with allocation_failed and new connections are refused.
  // 0 means no limit below the 65534 channel numbers.
  std::uint16_t maxChannels = 16384;
  // A server channel whose peer sends no HelloRequest within this time is closed
  // (communication_failed). 0 disables the check.
  std::uint32_t handshakeTimeoutMs = 10'000;
  // Closes a connection that received nothing for this long (peer_disconnected), to find
  // half-open peers. 0 (the default) disables it.
  std::uint32_t idleTimeoutMs = 0;
  // TCP keep-alive: seconds of silence before the kernel probes (3 probes, same interval).
  // 0 (the default) leaves keep-alive off.
  std::uint32_t tcpKeepAliveSec = 0;
  // Largest text-header and body sections accepted from a peer; a bigger frame closes the
  // channel (invalid_headers_len / invalid_body_len) before anything is allocated for it.
  std::uint16_t maxReceiveHeadersLen = 65535;
  std::uint16_t maxReceiveBodyLen = 65535;
  // Permissions of UDS socket files this engine creates (owner only by default).
  std::uint32_t udsFileMode = 0600;

  // ---- TLS: addresses tls|HOST|PORT (A4, docs/security.md) ----
  // Needs an engine built with TLS (CMake TOFU_WITH_TLS, on where OpenSSL is found); without
  // it a tls address fails with not_implemented_yet. The files are read once, by
  // Reactor::create, which fails with not_allowed (and says why in one line on stderr) when
  // one cannot be read or the key does not match the certificate.
  // This side's certificate chain (PEM, own certificate first) and its private key (PEM). A
  // tls listener needs both (else its WelcomeRequest fails with listen_failed); a client
  // presents them when the server asks for a client certificate.
  std::string tlsCertificateChainFile;
  std::string tlsPrivateKeyFile;
  // Certificate authorities that peers' certificates are verified against: a PEM file and/or a
  // directory of hashed certificates (`openssl rehash`). Both empty: the system's default store.
  std::string tlsCaFile;
  std::string tlsCaDirectory;
  // Client: the server's certificate must be valid and signed by a trusted CA. false accepts
  // any certificate and is for tests only: it makes TLS useless against an active attacker.
  bool tlsVerifyPeer = true;
  // Client: the server's certificate must name the host of the address connected to (a DNS
  // name in its subjectAltName, or the IP address for an IP literal). The name is sent as SNI.
  bool tlsVerifyPeerName = true;
  // Server: every client must present a certificate signed by a trusted CA (mutual TLS); the
  // verified identity then reaches the application in the HelloRequest (B17,
  // docs/behaviour.md). false: no client certificate is asked for.
  bool tlsRequireClientCertificate = false;
  // The oldest protocol version accepted, both sides. TLS 1.2 only for peers that lack 1.3.
  enum class TlsVersion : std::uint8_t { tls12, tls13 };
  TlsVersion tlsMinVersion = TlsVersion::tls13;
  // Append the secrets of every TLS session to this file (created owner-only) in the key log
  // format Wireshark reads, so that a capture can be decrypted (resources/wireshark/README.md).
  // For debugging only: whoever reads the file reads the traffic. Empty: the file the
  // SSLKEYLOGFILE environment variable names, if set (the engine then says so in one line on
  // stderr, and goes on without a key log if it cannot open it).
  std::string tlsKeyLogFile;

  // ---- Telemetry (docs/telemetry.md) ----
  // Serve snapshots and events to monitors on this address (docs/telemetry.md). Empty: off,
  // unless telemetryFromEnvironment and TOFU_TELEMETRY is set. When set here and the engine
  // cannot listen on it, Reactor::create fails (invalid_address / listen_failed).
  std::string telemetryAddress;
  // Read TOFU_TELEMETRY=ADDRESS when telemetryAddress is empty. If listening there fails, the
  // engine says so in one line on stderr and runs without telemetry.
  bool telemetryFromEnvironment = true;
  // The secret a monitor must present in its HelloRequest (header `telemetry-token`) before
  // it sees anything; a HelloRequest without it, or with another, is refused and its
  // connection closed. Empty: TOFU_TELEMETRY_TOKEN when telemetryFromEnvironment, else none.
  // Required for a TCP telemetry address: without one the engine does not serve TCP
  // telemetry (Reactor::create fails with not_allowed when the address came from here; from
  // TOFU_TELEMETRY it says so on stderr and runs without telemetry). Optional for UDS, whose
  // socket file is owner-only. It must be a valid header value (1..65535 bytes, no newline).
  std::string telemetryToken;
  // Monitors that ask for payloads get every message's whole text headers and the first
  // telemetryBodyLimit bytes of its body; 0 sends no bodies. Unset: TOFU_TELEMETRY_BODY_LIMIT
  // (decimal bytes) when telemetryFromEnvironment, else kDefaultTelemetryBodyLimit.
  static constexpr std::uint32_t kDefaultTelemetryBodyLimit = 64 * 1024;
  std::optional<std::uint32_t> telemetryBodyLimit;
};

}  // namespace tofu
