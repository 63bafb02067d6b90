// Raw peers for the tests of our improvements (DECISIONS.md B1..B13) and the bad-input tests:
// sockets that play a tofu peer byte by byte and can misbehave on purpose (never read, stop
// in the middle of a frame, reset), plus helpers that drive an engine into the states those
// tests need (a full send queue, a connect that never completes).
// Complements engine_harness.h (whose RawSocket reads whole frames as bytes); everything here
// runs on the calling thread, every wait is bounded, and failures are reported with
// ADD_FAILURE. One thread at a time per object.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tofu/tofu.h"

#include "engine_harness.h"
#include "engine_sockets.h"
#include "wire_bytes.h"

namespace tofu::test {

class TlsRawSession;

// One frame as it travelled: the header fields decoded (K1) plus the raw proto byte.
struct RawFrame {
  BinaryHeader header;
  std::uint8_t protoByte = 0;
  std::string textHeaders;
  std::string body;
};

// How a read on a raw peer ended.
enum class ReadEnd : std::uint8_t {
  frame,    // a whole frame was read
  timeout,  // nothing (or only part of a frame) within the time allowed
  eof,      // orderly end of stream (FIN)
  reset,    // ECONNRESET (the other side closed abortively)
  error,    // any other socket error
};
const char* toString(ReadEnd end) noexcept;

// A connected stream socket that speaks the tofu wire format by hand. Owns its fd.
class RawPeer {
 public:
  // Connects to `address` (tcp, uds, or tls: then every byte goes through a TLS session,
  // tls_raw_session.h). `receiveBufferBytes` > 0 shrinks SO_RCVBUF before connecting, so a
  // peer that does not read stalls the engine's writes early (B6, B12). Null (and a failure)
  // when the connection (or the TLS handshake) cannot be made.
  static std::unique_ptr<RawPeer> connectTo(const Address& address, int receiveBufferBytes = 0);

  explicit RawPeer(int fd);
  ~RawPeer();
  RawPeer(const RawPeer&) = delete;
  RawPeer& operator=(const RawPeer&) = delete;

  int fd() const noexcept { return fd_; }

  // Writes every byte (waiting for room, bounded by defaultTimeout()); false on error.
  bool sendBytes(const std::vector<std::uint8_t>& bytes);
  bool sendBytes(std::string_view bytes);
  // The frame for `message` exactly as its fields are set (origin, status, more included).
  bool sendFrame(const Message& message);
  // Only the 16 header bytes, with `protoByte` written as given (opcodes 10..15, bits 6-7).
  bool sendHeader(const BinaryHeader& header, std::uint8_t protoByte);

  // Reads one frame within `timeout`.
  ReadEnd readFrame(RawFrame& frame, std::chrono::milliseconds timeout = defaultTimeout());
  // Reads frames (appended to `frames` when not null) until the stream ends; returns how it
  // ended (eof, reset, error, or timeout when it did not end in time).
  ReadEnd readUntilClosed(std::vector<RawFrame>* frames,
                          std::chrono::milliseconds timeout = defaultTimeout());
  // Reads one whole frame (header, text headers, body) as the bytes on the wire within
  // `timeout`; nullopt on timeout, EOF or error. For byte-exact wire checks (K1).
  std::optional<std::vector<std::uint8_t>> readFrameBytes(
      std::chrono::milliseconds timeout = defaultTimeout());
  // True when the peer closed (EOF or reset) within `timeout`; frames arriving first are discarded.
  bool waitClosed(std::chrono::milliseconds timeout = defaultTimeout()) {
    return readUntilClosed(nullptr, timeout) != ReadEnd::timeout;
  }

  // FIN (after TLS's close_notify): the engine reads EOF while this side can still read.
  void shutdownWrite();
  // RST (SO_LINGER 0) and close.
  void abort();
  void close();

  // From now on every byte goes through `session`, which runs over fd().
  void useTls(std::unique_ptr<TlsRawSession> session);

  // recv() calls that returned data so far, and their bytes (B10: batching).
  std::size_t readCalls() const noexcept { return readCalls_; }
  std::size_t bytesRead() const noexcept { return bytesRead_; }

 private:
  // One recv() into buffer_ once the socket is readable before `deadline`.
  ReadEnd receiveSome(std::chrono::steady_clock::time_point deadline);
  // A whole frame from buffer_, if it holds one.
  bool takeFrame(RawFrame& frame);
  // Size of the whole frame at the front of the buffer; 0 while it is incomplete.
  std::size_t bufferedFrameSize() const;

  // One send() or recv(), or its TLS equivalent: bytes, 0 (recv: end), or -1 and errno.
  ssize_t sendSome(const std::uint8_t* data, std::size_t size);
  ssize_t receiveChunk(std::uint8_t* data, std::size_t size);
  // What to poll for before trying again: `plain`, or what the TLS session waits for.
  short waitEvents(short plain) const;
  // Decrypted bytes wait in the TLS session: no need to poll.
  bool tlsPending() const;

  int fd_ = -1;
  std::unique_ptr<TlsRawSession> tls_;  // null for plain bytes
  std::vector<std::uint8_t> buffer_;
  std::size_t readCalls_ = 0;
  std::size_t bytesRead_ = 0;
};

// A listening socket a client engine connects to; accepted peers inherit a small receive
// buffer when one is asked for. The UDS path is unlinked on destruction.
class RawServer {
 public:
  explicit RawServer(Transport transport, int receiveBufferBytes = 0);
  ~RawServer();
  RawServer(const RawServer&) = delete;
  RawServer& operator=(const RawServer&) = delete;

  bool valid() const noexcept { return fd_ >= 0; }
  const Address& address() const noexcept { return address_; }

  // Null (and a failure) when nobody connects within `timeout`.
  std::unique_ptr<RawPeer> accept(std::chrono::milliseconds timeout = defaultTimeout());

 private:
  int fd_ = -1;
  Address address_;
};

// A TCP address on 127.0.0.1 where connect() neither succeeds nor fails: a listener with a
// backlog of 0 whose accept queue is already full, so the kernel drops further SYNs (B11).
class HangingTcpServer {
 public:
  HangingTcpServer();
  ~HangingTcpServer();
  HangingTcpServer(const HangingTcpServer&) = delete;
  HangingTcpServer& operator=(const HangingTcpServer&) = delete;

  // False when a connect to the full accept queue was answered after all (Linux drops the
  // SYN instead; the caller fails).
  bool hangs() const noexcept { return hangs_; }
  const Address& address() const noexcept { return address_; }

  // Makes room in the accept queue and accepts the next connection that is not one of ours
  // (the engine's, once its SYN is retransmitted: about a second). Null on timeout.
  std::unique_ptr<RawPeer> releaseNext(std::chrono::milliseconds timeout);

 private:
  int listenFd_ = -1;
  std::vector<int> fillers_;
  Address address_;
  bool hangs_ = false;
};

// What fillSendQueue() did.
struct FillResult {
  bool full = false;               // enqueueToPeer refused with notification_failed (B6)
  std::vector<std::uint64_t> ids;  // ids of the accepted Requests, in posting order
  std::size_t bodyBytes = 0;       // body size of each of them
};

// Posts Requests with `bodyBytes`-byte bodies on `channel` until the channel's send queue is
// over Options::sendQueueLimitBytes and stays there (the engine writes nothing more for a
// while), i.e. the peer is not reading and frames are pending in the engine. A refused
// message must be kept by the caller (K5, B6); that is checked. Bounded by `timeout`.
// A refusal that came while the I/O thread was behind may be followed by a send-ready notice
// on `group` (B16); expectReturnedTail() passes over it.
FillResult fillSendQueue(Ampe& ampe, ChannelGroup& group, std::uint16_t channel, std::size_t bodyBytes,
                         std::chrono::milliseconds timeout = defaultTimeout());

// Takes the send-ready notices (B16) of `channel` that `group` holds or receives within
// quietPeriod() of the last one, and returns how many; any other message is a failure. For
// after fillSendQueue() or a flood: a refusal that came before the socket was full is followed
// by a notice once the I/O thread catches up.
std::size_t takeSendReadyNotices(Ampe& ampe, ChannelGroup& group, std::uint16_t channel);

// Waits (bounded) until `ampe` has counted at least `frames` frames written. A peer can read
// the bytes before the engine thread counts them, so counts are checked after this.
void waitForFramesWritten(Ampe& ampe, std::uint64_t frames);

// The body fillSendQueue() gives the message with `id`: recognisable, so a returned message
// can be checked for corruption (B1).
std::string fillBody(std::uint64_t id, std::size_t bytes);

// A BinaryHeader for a raw frame: `op`, `channel`, `id`, lengths as given.
BinaryHeader rawHeader(OpCode op, std::uint16_t channel, std::uint64_t id, std::uint16_t headersLen = 0,
                       std::uint16_t bodyLen = 0);

// The proto byte for `op` with origin/more and bits 6-7 as given.
std::uint8_t protoByte(std::uint8_t opCode, bool originEngine = false, bool more = false,
                       std::uint8_t highBits = 0);

// ---------------------------------------------------------------------------------------------
// Engine set-ups shared by the B-item and bad-input tests

// Options with a pool large enough that ordinary tests never see pool_empty (B5 tests pick
// their own).
Options roomyOptions();
// A pool of exactly `messages` messages, made up front, and a receive budget of as many
// small received messages, for the receive-exhaustion tests (B5, B14).
Options fixedPoolOptions(std::uint16_t messages);
// roomyOptions() with a 64 KiB send queue limit (B6), so fillSendQueue() is quick.
Options limitedOptions();
// SO_RCVBUF for peers that do not read: the engine's writes stall after a few KiB.
inline constexpr int kSmallReceiveBuffer = 4096;
// Body size of the Requests fillSendQueue() posts in these tests.
inline constexpr std::size_t kFillBodyBytes = 16 * 1024;

// Checks what `group` received for `channel` after fillSendQueue(): every message in
// `received` is one of the filled Requests handed back (origin engine, status `reason`,
// header and body intact, B1), they are the last ones posted, in order. Returns how many.
// Send-ready notices of `channel` are passed over: when the poster outran the I/O thread, the
// fill was refused before the socket was full, and the queue then drained (B16).
std::size_t expectReturnedTail(const std::vector<MessagePtr>& received, const FillResult& fill,
                               std::uint16_t channel, Status reason);

// One Request from the client side answered by a Response from the server side, and one
// Signal from the server side; true when both arrived intact.
bool echo(Ampe& clientAmpe, ChannelGroup& client, std::uint16_t clientChannel, Ampe& serverAmpe,
          ChannelGroup& server, std::uint16_t serverChannel, std::string_view body);

// A server engine with a listener, a client engine with an established "bystander" channel
// to it, and raw "victims" that break the protocol (B2, bad input). Checks that only the
// victim's channel closes, with the right status, and that everything else carries on.
class ViolationBench {
 public:
  // The server engine runs with `serverOptions` (a small send queue by default).
  explicit ViolationBench(Transport transport, const Options& serverOptions = limitedOptions());

  Engine& server() noexcept { return server_; }
  ChannelGroup& serverGroup() noexcept { return *serverGroup_; }
  const Listening& listening() const noexcept { return listening_; }
  std::uint16_t victimChannel() const noexcept { return victim_; }
  std::uint64_t victimHelloId() const noexcept { return victimHelloId_; }

  // Connects a raw victim with a small receive buffer. With `sayHello` it sends a
  // HelloRequest, the server receives it and answers (B15: the victim's later frames reach the
  // application only then), and the victim reads the HelloResponse: victimChannel().
  std::unique_ptr<RawPeer> connectVictim(bool sayHello = true);

  // Fills the victim channel's send queue (the victim does not read, and its connection's
  // engine-side send buffer is pinned, see pinEngineSendBuffer()), so that messages are
  // pending when it closes; remembers the engine counters for expectVictimClosed().
  FillResult fillVictim();

  // The victim channel closed because of `reason`: the pending Requests come back with it,
  // then Signal(channel_closed) with the victim's HelloRequest id; written + returned equals
  // what fillVictim() posted, exactly (B1).
  void expectVictimClosed(Status reason, const FillResult& fill);

  // For a victim that never said Hello: its channel closes, and since it never delivered a
  // frame it was never announced, so nothing at all is delivered about it (behaviour.md).
  void expectSilentClose();

  // The bystander channel still echoes both ways, and the listener still accepts: a new raw
  // peer says Hello, gets the HelloResponse, and its close is reported.
  void expectOthersWork();

 private:
  Engine server_;
  Engine client_;
  ChannelGroup* serverGroup_ = nullptr;
  ChannelGroup* clientGroup_ = nullptr;
  Listening listening_;
  Connection bystander_;
  std::uint16_t victim_ = 0;
  const RawPeer* victimPeer_ = nullptr;  // owned by the test
  std::uint64_t victimHelloId_ = 0;
  EngineCounters beforeFill_;
  EngineCounters beforeVictim_;
};

// A raw peer's HelloRequest frame on `channel` with `id`.
bool sayHello(RawPeer& peer, Ampe& ampe, std::uint16_t channel, std::uint64_t id);

// ---------------------------------------------------------------------------------------------
// Wire bytes (the frames themselves: wire_bytes.h)

// Reads one frame from `peer` and expects exactly `expected`.
void expectFrame(RawPeer& peer, const std::vector<std::uint8_t>& expected);

}  // namespace tofu::test
