// Internal, not part of the API.
// IoChannel: one connection, client or server side. Owns its socket, the frames it has yet
// to write, the frame being received and, while starved of pool messages, the bytes read
// but not yet decoded. Implements connect, graceful Bye (B3), abort (B13) and peer loss
// (B12), and enforces the protocol order (B15, net/protocol_order.h). Loop thread only.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "net/channel.h"
#include "net/channel_context.h"
#include "net/frame_decoder.h"
#include "net/protocol_order.h"
#include "net/send_queue.h"
#include "net/transport.h"

namespace tofu::detail {

class IoChannel final : public Channel {
 public:
  // A client channel; `hello` is its first frame (K8: later posts queue behind it).
  IoChannel(ChannelContext& context, std::uint16_t number, GroupImpl& group, MessagePtr hello);
  // A server channel for a socket that a listener of `transport` accepted.
  IoChannel(ChannelContext& context, std::uint16_t number, GroupImpl& group, Fd accepted,
            const Transport& transport);

  // Client: connects through `transport` to an address whose host is known; failures close
  // the channel.
  void connect(const Transport& transport, const SocketAddress& socketAddress);
  // Client: the connect could not even start (address problems), see docs/behaviour.md.
  void failToConnect(Status reason);
  // Client: the address it connects to (shown by introspection; its host is the name a TLS
  // server's certificate must carry).
  void setPeer(const Address& peer);

  void onEvents(std::uint32_t events) override;
  void onPost(MessagePtr message) override;
  void onDeadline() override;
  bool knownToApplication() const noexcept override { return kind() == Kind::clientIo || receivedAny_; }
  bool takesPosts() const noexcept override {
    return !closing() && !byeRequestQueued_ && !byeResponseQueued_;
  }
  ChannelInfo info() const override;

  // Writes what is queued, as far as the socket takes it.
  void flush();
  // True while starving with a decoded header that waits for a pool message; false when it
  // starved before reading (ChannelContext::starveBeforeReading).
  bool awaitingMessage() const noexcept { return decoder_.awaitingMessage(); }
  // The pool has a message again: continue decoding into it, then reading.
  void resume(MessagePtr message);
  // The pool has messages again for a channel that starved before reading: it reads now,
  // taking the loop's spare receive messages.
  void resumeReading();

  bool flushScheduled = false;  // listed in the loop's flush list for this pass

 protected:
  void releaseHeld(Status reason) override;

 private:
  // connecting (client) -> handshaking (the transport's own, none for plain sockets) -> open.
  enum class Phase : std::uint8_t { connecting, handshaking, open };

  // The socket is connected: the transport's stream takes over, starting with its handshake.
  void onConnected(const Transport& transport);
  void advanceHandshake();
  // Closes for a handshake that failed or ran out of time: a client as a refused connect.
  void failHandshake(Status reason, std::string why);
  // When the stream holds bytes the socket will not announce again: read them next pass.
  void comeBackIfBuffered();
  // Only the transport's handshake runs while handshaking; it must end by the deadline.
  void checkHandshakeDeadline(ChannelContext::Clock::time_point now);
  // Server: a HelloRequest that forges engine-set headers, or whose peer identity does not
  // fit into headers, is refused (B17).
  bool admitHello(Message& hello);
  void armIdleCheck();
  void updateInterest();
  void readAvailable();
  // One read: the body tail of the frame being received first when it is large (or no new
  // frame may start), then the loop's read buffer; `wanted` is what fills both.
  struct ReadPlan {
    iovec parts[2];
    std::size_t count = 2;
    std::size_t tailBytes = 0;
    std::size_t wanted = 0;
  };
  ReadPlan planRead(bool poolDry, std::span<std::uint8_t> buffer);
  // Takes what one read returned; false when reading stops for now (no bytes, end, error,
  // starved or closed).
  bool takeRead(ssize_t got, const ReadPlan& plan, const std::uint8_t* buffer);
  // Decodes `size` bytes; false when reading must stop (starved, closed, or read side done).
  bool consume(const std::uint8_t* data, std::size_t size, bool fromStash);
  bool consumeStash();
  void starve();
  // A frame is complete: judged by the protocol order (B15), then delivered, held or refused.
  void deliverFrame(MessagePtr frame);
  // Hands a frame in protocol order to the application.
  void handOver(MessagePtr frame);
  // The application answered the HelloRequest with a HelloResponse: the held frames go to it.
  void releaseHeldFrames();
  void onEndOfStream();
  // EPOLLERR or EPOLLHUP while starving: a reset closes the channel now.
  void onHangUpWhileStarving();
  // B14: a frame begun but not finished is watched until it completes.
  void armProgressCheck();
  void checkReceiveProgress(ChannelContext::Clock::time_point now);
  void onSocketError(int error, Status otherwise);
  void afterWritten(MessageQueue& written);
  bool gracefulExchangeStarted() const noexcept { return byeRequestWritten_ || byeResponseWritten_; }

  Phase phase_;
  const Transport* transport_ = nullptr;  // client: the one connect() started with
  std::string peerHost_;                  // client: the host of its address
  std::unique_ptr<Stream> stream_;  // from onConnected() on
  bool handshakeWantsWrite_ = false;
  SendQueue sendQueue_;
  FrameDecoder decoder_;  // with the engine's receive limits
  std::vector<std::uint8_t> stash_;  // read but undecoded while starving (normally empty)
  std::size_t stashUsed_ = 0;
  bool starving_ = false;
  bool hangUpSeen_ = false;  // EPOLLHUP while starving: not watched until resumed
  bool waitingWritable_ = false;  // the socket took less than offered: wait for EPOLLOUT
  bool receivedAny_ = false;
  bool largeBodies_ = false;  // the last frame received had a body worth reading directly
  // The smallest frame received since the previous read, and the one before that: how many
  // frames the next read may hold (ChannelContext::readLimit). A bare binary header at first.
  std::size_t smallestFrameSinceRead_ = SIZE_MAX;
  std::size_t smallestRecentFrame_ = kBinaryHeaderSize;
  // Bye state (B3): what was queued limits later posts; what was written limits the socket.
  bool byeRequestQueued_ = false;
  bool byeResponseQueued_ = false;
  bool byeRequestWritten_ = false;
  bool byeResponseWritten_ = false;
  bool readDone_ = false;  // a ByeResponse or ByeSignal arrived: nothing more is read
  ProtocolOrder order_;  // what the peer may send next (B15)
  HeldFrames held_;      // server: frames behind an unanswered HelloRequest
  std::int64_t readAtNs_ = 0;  // when the bytes being decoded were read
  // Timers (issue 7, B14): when the handshake must be done, when data last arrived (or the
  // channel stopped starving), and when the pending idle and receive-progress checks fire.
  // Used only when the matching option is on.
  ChannelContext::Clock::time_point handshakeDeadline_{};
  ChannelContext::Clock::time_point lastReceive_{};
  ChannelContext::Clock::time_point idleCheckAt_{};
  ChannelContext::Clock::time_point progressCheckAt_{};
};

}  // namespace tofu::detail
