#include "net/io_channel.h"

#include <sys/epoll.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <utility>

#include "net/socket_ops.h"
#include "util/message_access.h"

namespace tofu::detail {

namespace {
// Reads per readiness event: bounds how long one flooding peer holds the loop.
constexpr int kReadsPerEvent = 16;
// A body still missing at least this much is read straight into its message, together with
// at most kReadAfterBody bytes of what follows (the next header and the start of its body),
// so large bodies skip the copy out of the read buffer.
constexpr std::size_t kDirectReadBytes = 16 * 1024;
constexpr std::size_t kReadAfterBody = 4 * 1024;
// One sendmsg() gathers up to this many segments and about this many bytes.
constexpr std::size_t kMaxSegments = 1024;
constexpr std::size_t kMaxBatchBytes = 256 * 1024;
}  // namespace

IoChannel::IoChannel(ChannelContext& context, std::uint16_t number, GroupImpl& group, MessagePtr hello)
    : Channel(context, Kind::clientIo, number, group),
      phase_(Phase::connecting),
      decoder_(context.frameLimits()),
      order_(false) {
  setFinalMessageId(hello->messageId());
  sendQueue_.push(std::move(hello));
}

IoChannel::IoChannel(ChannelContext& context, std::uint16_t number, GroupImpl& group, Fd accepted,
                     const Transport& transport)
    : Channel(context, Kind::serverIo, number, group),
      phase_(Phase::handshaking),
      decoder_(context.frameLimits()),
      order_(true) {
  attachSocket(std::move(accepted));
  setPeerAddress(peerAddressOf(socket()));
  if (const std::uint32_t timeoutMs = context_.options().handshakeTimeoutMs; timeoutMs != 0) {
    handshakeDeadline_ = ChannelContext::Clock::now() + std::chrono::milliseconds(timeoutMs);
    context_.setDeadline(*this, handshakeDeadline_);
  }
  onConnected(transport);
}

void IoChannel::connect(const Transport& transport, const SocketAddress& socketAddress) {
  if (closing()) return;
  SocketResult started = transport.connect(socketAddress, context_.tcpTuning());
  if (started.status != Status::success) {
    failToConnect(started.status);
    return;
  }
  attachSocket(std::move(started.fd));
  transport_ = &transport;
  if (started.inProgress) {
    setState(ChannelState::connecting);
    updateInterest();
  } else {
    onConnected(transport);
  }
}

void IoChannel::failToConnect(Status reason) {
  // As the reference: an address problem turns the HelloRequest into a HelloResponse; a
  // refused or timed-out connect returns it unchanged (docs/behaviour.md).
  Message* hello = sendQueue_.front();
  if (reason != Status::connect_failed && hello != nullptr && hello->opCode() == OpCode::HelloRequest) {
    hello->setOpCode(OpCode::HelloResponse);
  }
  close(reason, false);
}

void IoChannel::setPeer(const Address& peer) {
  setPeerAddress(peer.toString());
  peerHost_ = peer.host();
}

void IoChannel::onConnected(const Transport& transport) {
  phase_ = Phase::handshaking;
  setLocalAddress(localAddressOf(socket()));
  const StreamSetup setup{.server = kind() == Kind::serverIo, .peerHost = peerHost_, .tls = context_.tls()};
  stream_ = transport.openStream(socket(), setup);
  advanceHandshake();
}

void IoChannel::advanceHandshake() {
  const Stream::HandshakeProgress progress = stream_->handshake();
  if (progress.failure != Status::success) {
    failHandshake(progress.failure, stream_->failureText());
    return;
  }
  if (!progress.done) {
    handshakeWantsWrite_ = progress.wantWrite;
    // A client's transport handshake counts against the same timeout as a server's wait for
    // the HelloRequest (set when it was accepted).
    const std::uint32_t timeoutMs = context_.options().handshakeTimeoutMs;
    if (timeoutMs != 0 && handshakeDeadline_ == ChannelContext::Clock::time_point{}) {
      handshakeDeadline_ = ChannelContext::Clock::now() + std::chrono::milliseconds(timeoutMs);
      context_.setDeadline(*this, handshakeDeadline_);
    }
    updateInterest();
    return;
  }
  phase_ = Phase::open;
  setState(ChannelState::ready);
  updateInterest();
  armIdleCheck();
  flush();
  // The peer's first frames may have come with its last handshake bytes.
  if (!closing() && stream_->buffered()) readAvailable();
}

void IoChannel::failHandshake(Status reason, std::string why) {
  setFailureText(std::move(why));
  if (kind() == Kind::clientIo) {
    failToConnect(reason);
  } else {
    close(reason, false);  // FIN, not RST: the peer reads the TLS alert that says why
  }
}

void IoChannel::comeBackIfBuffered() {
  if (stream_->buffered()) context_.setDeadline(*this, ChannelContext::Clock::now());
}

void IoChannel::checkHandshakeDeadline(ChannelContext::Clock::time_point now) {
  if (handshakeDeadline_ == ChannelContext::Clock::time_point{} || now < handshakeDeadline_) return;
  failHandshake(kind() == Kind::clientIo ? Status::connect_failed : Status::communication_failed,
                "the TLS handshake did not finish within handshakeTimeoutMs (" +
                    std::to_string(context_.options().handshakeTimeoutMs) + " ms)");
}

void IoChannel::armIdleCheck() {
  const std::uint32_t idleMs = context_.options().idleTimeoutMs;
  if (idleMs == 0) return;
  if (lastReceive_ == ChannelContext::Clock::time_point{}) lastReceive_ = ChannelContext::Clock::now();
  idleCheckAt_ = lastReceive_ + std::chrono::milliseconds(idleMs);
  context_.setDeadline(*this, idleCheckAt_);
}

void IoChannel::updateInterest() {
  if (closing()) return;
  if (starving_) {
    // Reading waits for the receive budget (B5), writing does not. Errors and hang-ups are
    // always reported (B14: a starving channel still sees its peer reset it), except once a
    // hang-up was seen: level-triggered, it would wake the loop until the bytes before it
    // are read, after the channel resumes.
    if (hangUpSeen_ && !waitingWritable_) {
      unwatch();
    } else {
      watch({.read = false, .write = waitingWritable_});
    }
    return;
  }
  if (phase_ == Phase::handshaking) {
    watch({.read = !handshakeWantsWrite_, .write = handshakeWantsWrite_});
    return;
  }
  watch({.read = phase_ == Phase::open && !readDone_, .write = phase_ == Phase::connecting || waitingWritable_});
}

void IoChannel::onEvents(std::uint32_t events) {
  if (closing()) return;
  if (phase_ == Phase::connecting) {
    if (finishConnect(socket()) == Status::success) {
      onConnected(*transport_);
    } else {
      failToConnect(Status::connect_failed);
    }
    return;
  }
  if (phase_ == Phase::handshaking) {
    advanceHandshake();
    return;
  }
  if (starving_ && (events & (EPOLLERR | EPOLLHUP)) != 0) {
    onHangUpWhileStarving();
    if (closing()) return;
  }
  if ((events & (EPOLLIN | EPOLLERR | EPOLLHUP)) != 0) readAvailable();
  if (!closing() && waitingWritable_ && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) != 0) flush();
  // Reading made the stream write (a TLS alert or key update) and the socket did not take it.
  if (!closing() && !waitingWritable_ && stream_->unsentBytes() != 0) flush();
}

void IoChannel::onPost(MessagePtr message) {
  const OpCode op = message->opCode();
  if (op == OpCode::ByeSignal) {  // B13: local abort, never transmitted
    context_.returnMessage(std::move(message), Status::channel_closed);
    close(Status::channel_closed, true);
    return;
  }
  // B1/B3: after ByeRequest only the ByeResponse may follow; after ByeResponse nothing.
  const bool refused = closing() || byeResponseQueued_ || (byeRequestQueued_ && op != OpCode::ByeResponse);
  if (refused) {
    context_.returnMessage(std::move(message), Status::channel_closed);
    return;
  }
  byeRequestQueued_ = byeRequestQueued_ || op == OpCode::ByeRequest;
  byeResponseQueued_ = byeResponseQueued_ || op == OpCode::ByeResponse;
  sendQueue_.push(std::move(message));
  if (phase_ == Phase::open && !waitingWritable_) context_.scheduleFlush(*this);
  // B15: the answer to the HelloRequest lets the frames behind it through, or refuses them.
  const ProtocolOrder::Answer answer = order_.onPosted(op);
  if (answer == ProtocolOrder::Answer::release) releaseHeldFrames();
  if (answer == ProtocolOrder::Answer::drop) held_.drop(context_, group());
}

void IoChannel::onHangUpWhileStarving() {
  if (const int error = pendingSocketError(socket()); error != 0) {
    onSocketError(error, Status::recv_failed);
    return;
  }
  hangUpSeen_ = true;  // the peer finished sending: its last frames are read once resumed
  updateInterest();
}

void IoChannel::onDeadline() {
  // Several timers share this callback; each condition checks its own time.
  if (phase_ == Phase::connecting) {
    failToConnect(Status::connect_failed);  // B11: only the connect timeout runs while connecting
    return;
  }
  const ChannelContext::Clock::time_point now = ChannelContext::Clock::now();
  if (phase_ == Phase::handshaking) {
    checkHandshakeDeadline(now);
    return;
  }
  if (!starving_ && stream_->buffered()) {
    readAvailable();
    if (closing()) return;
  }
  if (kind() == Kind::serverIo && !order_.helloReceived() && handshakeDeadline_ != ChannelContext::Clock::time_point{} &&
      now >= handshakeDeadline_) {
    // Judged on what has arrived: a HelloRequest waiting in the socket (the process was
    // paused, or the loop busy) is read first.
    readAvailable();
    if (closing() || order_.helloReceived()) return;
    if (!starving_) {
      close(Status::communication_failed, true);  // no HelloRequest in time
      return;
    }
    // Starving: what arrived cannot be read yet; judged again once it can.
    handshakeDeadline_ = now + std::chrono::milliseconds(context_.options().handshakeTimeoutMs);
    context_.setDeadline(*this, handshakeDeadline_);
  }
  if (progressCheckAt_ != ChannelContext::Clock::time_point{} && now >= progressCheckAt_) {
    progressCheckAt_ = {};
    checkReceiveProgress(now);
    if (closing()) return;
  }
  if (idleCheckAt_ != ChannelContext::Clock::time_point{} && now >= idleCheckAt_) {
    const auto idle = std::chrono::milliseconds(context_.options().idleTimeoutMs);
    if (now - lastReceive_ >= idle) {
      close(Status::peer_disconnected, true);  // half-open or silent peer
    } else {
      armIdleCheck();
    }
  }
}

void IoChannel::flush() {
  if (closing() || phase_ != Phase::open) return;
  // Bytes a stream holds back (TLS records whose send found the socket full) go first: while
  // they wait, gathering the queue again would only be thrown away. Plain streams hold none.
  bool socketFull = false;
  if (stream_->unsentBytes() != 0 && !stream_->sendUnsent()) {
    if (errno != EAGAIN) {
      onSocketError(errno, Status::send_failed);
      return;
    }
    socketFull = true;
  }
  iovec segments[kMaxSegments];
  while (!socketFull && !sendQueue_.empty()) {
    const std::size_t count = sendQueue_.gather(segments, context_.sendStaging(), kMaxBatchBytes);
    std::size_t offered = 0;
    for (std::size_t i = 0; i < count; ++i) offered += segments[i].iov_len;
    const ssize_t written = stream_->writeGathered(segments, count);
    if (written < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) break;
      onSocketError(errno, Status::send_failed);
      return;
    }
    MessageQueue done;
    sendQueue_.consume(static_cast<std::size_t>(written), done);
    afterWritten(done);
    socketFull = static_cast<std::size_t>(written) < offered || stream_->unsentBytes() != 0;
  }
  waitingWritable_ = !sendQueue_.empty() || stream_->unsentBytes() != 0;
  updateInterest();
}

void IoChannel::afterWritten(MessageQueue& written) {
  if (written.empty()) return;
  EngineCounterSet& counters = context_.counters();
  ObserverHub& observers = context_.observers();
  const std::int64_t nowNs = monotonicNowNs();
  const std::size_t frames = written.size();
  std::size_t bytes = 0;
  bool shutDownWrites = false;
  for (Message* frame = written.front(); frame != nullptr; frame = MessageQueue::nextOf(frame)) {
    bytes += SendQueue::frameSize(*frame);
    if (frame->opCode() == OpCode::ByeRequest) byeRequestWritten_ = true;
    if (frame->opCode() == OpCode::ByeResponse) byeResponseWritten_ = shutDownWrites = true;
    if (observers.observing()) {
      Event sent = observers.messageEvent(EventKind::messageSent, *frame, incarnation());
      sent.postedNs = MessageAccess::postedNs(*frame);
      sent.writtenNs = nowNs;
      observers.publish(sent, frame);
    }
  }
  context_.recycleWritten(number(), written);
  context_.checkSendReady(*this);
  EngineCounterSet::add(counters.framesWritten, frames);
  EngineCounterSet::add(counters.bytesWritten, bytes);
  countSent(frames, bytes, nowNs);
  if (gracefulExchangeStarted()) setState(ChannelState::closing);
  // B3: after our ByeResponse, half-close (FIN) and read until the initiator closes.
  if (shutDownWrites) stream_->shutdownWrites();
}

void IoChannel::readAvailable() {
  if (readDone_ || starving_ || !consumeStash()) return;
  const std::span<std::uint8_t> buffer = context_.readBuffer();
  for (int round = 0; round < kReadsPerEvent; ++round) {
    // Past the starving channels that may hold a stash, with the pool dry, a channel starts
    // no new frame: it starves before reading, or finishes the frame it is in (below).
    const bool poolDry = context_.starveBeforeReading(group());
    if (poolDry && (!decoder_.midFrame() || decoder_.restOfFrame() == 0)) {
      starve();
      return;
    }
    ReadPlan plan = planRead(poolDry, buffer);
    if (!takeRead(stream_->readScattered(plan.parts, plan.count), plan, buffer.data())) return;
  }
  comeBackIfBuffered();  // out of rounds, not of bytes
}

IoChannel::ReadPlan IoChannel::planRead(bool poolDry, std::span<std::uint8_t> buffer) {
  const std::span<std::uint8_t> tail = decoder_.bodyTail();
  // Reading past that frame would need a stash, and the many channels in that state one each.
  const bool direct = tail.size() >= kDirectReadBytes || (poolDry && !tail.empty());
  // Into the read buffer: after the body tail when direct, else everything.
  std::size_t limit = 0;
  if (poolDry) {
    limit = direct ? 0 : std::min(decoder_.restOfFrame(), buffer.size());
  } else {
    if (smallestFrameSinceRead_ != SIZE_MAX) smallestRecentFrame_ = std::exchange(smallestFrameSinceRead_, SIZE_MAX);
    limit = context_.readLimit(group(), smallestRecentFrame_);
  }
  // Between frames of a peer that sends large bodies, read just enough for the next header
  // and the start of its body: the rest of the body then goes straight into its message.
  if (direct || largeBodies_) limit = std::min(limit, kReadAfterBody);
  ReadPlan plan{{{tail.data(), tail.size()}, {buffer.data(), limit}}, 2, tail.size(), 0};
  if (!direct) {
    plan.parts[0] = plan.parts[1];
    plan.count = 1;
    plan.tailBytes = 0;
  }
  plan.wanted = plan.parts[0].iov_len + (direct ? plan.parts[1].iov_len : 0);
  return plan;
}

bool IoChannel::takeRead(ssize_t got, const ReadPlan& plan, const std::uint8_t* buffer) {
  if (got > 0) {
    readAtNs_ = monotonicNowNs();  // one clock read per read(), not per frame
    lastReceive_ = ChannelContext::Clock::now();
    const auto size = static_cast<std::size_t>(got);
    const std::size_t intoBody = std::min(size, plan.tailBytes);
    decoder_.bodyFilled(intoBody);
    const bool more = consume(buffer, size - intoBody, false) && size >= plan.wanted;
    if (!closing()) armProgressCheck();
    return more;
  }
  if (got == 0) {
    onEndOfStream();
    return false;
  }
  if (errno == EINTR) return true;
  if (errno != EAGAIN) onSocketError(errno, Status::recv_failed);
  return false;
}

bool IoChannel::consumeStash() {
  // Fed even when empty: a frame without payload completes as soon as it has a message,
  // and no further byte may ever come to finish it.
  if (!consume(stash_.data() + stashUsed_, stash_.size() - stashUsed_, true)) return false;
  // Starvation is rare: the buffer goes back to the loop, not kept per channel.
  if (stash_.capacity() != 0) context_.stashReserve().giveBack(std::move(stash_));
  stash_.clear();
  stashUsed_ = 0;
  return true;
}

bool IoChannel::consume(const std::uint8_t* data, std::size_t size, bool fromStash) {
  for (;;) {
    std::size_t used = 0;
    const FrameDecoder::Event event = decoder_.feed(data, size, used);
    data += used;
    size -= used;
    switch (event) {
      case FrameDecoder::Event::needBytes:
        return true;
      case FrameDecoder::Event::needMessage:
        if (MessagePtr storage = context_.takeReceiveMessage(group())) {
          decoder_.attachMessage(std::move(storage));
          break;
        }
        if (fromStash) {
          stashUsed_ = static_cast<std::size_t>(data - stash_.data());
        } else {
          if (size != 0) stash_ = context_.stashReserve().take(size);
          stash_.assign(data, data + size);
          stashUsed_ = 0;
        }
        starve();
        return false;
      case FrameDecoder::Event::frameComplete:
        deliverFrame(decoder_.takeFrame());
        if (readDone_ || closing()) return false;
        break;
      case FrameDecoder::Event::protocolError:  // B2: only this channel closes
        close(decoder_.error(), true);
        return false;
    }
  }
}

void IoChannel::starve() {
  starving_ = true;
  context_.startStarving(*this);
  updateInterest();
}

void IoChannel::resume(MessagePtr message) {
  starving_ = false;
  lastReceive_ = ChannelContext::Clock::now();  // the wait for the budget was not the peer's
  decoder_.attachMessage(std::move(message));
  if (!consumeStash()) return;
  updateInterest();
  if (stream_->buffered()) readAvailable();
}

void IoChannel::resumeReading() {
  starving_ = false;
  lastReceive_ = ChannelContext::Clock::now();
  updateInterest();
  readAvailable();
}

void IoChannel::deliverFrame(MessagePtr frame) {
  const ProtocolOrder::Verdict verdict = order_.onReceived(frame->opCode());
  if (verdict == ProtocolOrder::Verdict::violation || verdict == ProtocolOrder::Verdict::drop) {
    context_.abandonReceive(group(), std::move(frame));
    if (verdict == ProtocolOrder::Verdict::violation) close(ProtocolOrder::kViolation, true);  // B15
    return;
  }
  if (kind() == Kind::serverIo && frame->opCode() == OpCode::HelloRequest && !admitHello(*frame)) {
    context_.abandonReceive(group(), std::move(frame));
    close(Status::not_allowed, true);
    return;
  }
  frame->setChannelNumber(number());  // K7: the application sees its own number
  if (!receivedAny_) {
    receivedAny_ = true;
    setFinalMessageId(frame->messageId());
  }
  EngineCounterSet& counters = context_.counters();
  const std::size_t bytes = SendQueue::frameSize(*frame);
  EngineCounterSet::add(counters.framesRead);
  EngineCounterSet::add(counters.bytesRead, bytes);
  countReceived(bytes, readAtNs_);
  if (context_.observers().observing()) {
    MessageAccess::readNs(*frame) = readAtNs_;
    MessageAccess::incarnation(*frame) = incarnation();
  }
  largeBodies_ = frame->body().size() >= kDirectReadBytes;
  smallestFrameSinceRead_ = std::min(smallestFrameSinceRead_, bytes);
  if (verdict == ProtocolOrder::Verdict::deliver) {
    handOver(std::move(frame));
    return;
  }
  held_.hold(context_, group(), std::move(frame));
}

bool IoChannel::admitHello(Message& hello) {
  for (const TextHeader& header : hello.headers()) {
    if (header.name.starts_with(kTlsHeaderPrefix)) return false;
  }
  return stream_->addPeerIdentity(hello.headers());
}

void IoChannel::handOver(MessagePtr frame) {
  const OpCode op = frame->opCode();
  if (op == OpCode::ByeRequest) setState(ChannelState::closing);
  context_.deliverReceived(group(), std::move(frame));
  if (op == OpCode::ByeResponse || op == OpCode::ByeSignal) {  // B3 end of exchange, B13 peer abort
    readDone_ = true;
    close(Status::channel_closed, false);
  }
}

void IoChannel::releaseHeldFrames() {
  // None of them closes the channel: a ByeSignal or ByeResponse is never held.
  MessageQueue frames = held_.release(context_, group());
  while (MessagePtr frame = frames.popFront()) handOver(std::move(frame));
}

void IoChannel::armProgressCheck() {
  const std::uint32_t timeoutMs = context_.options().receiveProgressTimeoutMs;
  if (timeoutMs == 0 || !decoder_.midFrame() || progressCheckAt_ != ChannelContext::Clock::time_point{}) return;
  progressCheckAt_ = lastReceive_ + std::chrono::milliseconds(timeoutMs);
  context_.setDeadline(*this, progressCheckAt_);
}

void IoChannel::checkReceiveProgress(ChannelContext::Clock::time_point now) {
  const auto timeout = std::chrono::milliseconds(context_.options().receiveProgressTimeoutMs);
  // While starving the frame waits for our budget, not for the peer (resuming restarts the clock).
  if (decoder_.midFrame() && !starving_ && now - lastReceive_ >= timeout) {
    close(Status::communication_failed, true);  // B14: a frame that stopped arriving
    return;
  }
  if (starving_ && decoder_.midFrame()) {
    // Waiting for our budget, not the peer: judged again a timeout from now. (lastReceive_ +
    // timeout is already past: re-armed with it, the deadline fired again at once, forever.)
    progressCheckAt_ = now + timeout;
    context_.setDeadline(*this, progressCheckAt_);
    return;
  }
  armProgressCheck();
}

void IoChannel::onEndOfStream() {
  if (decoder_.midFrame()) {
    close(Status::invalid_message, true);  // B2: lengths announced but never delivered
  } else {
    close(gracefulExchangeStarted() ? Status::channel_closed : Status::peer_disconnected, false);  // B3, B12
  }
}

void IoChannel::onSocketError(int error, Status otherwise) {
  setFailureText(stream_->failureText());
  if (isPeerGone(error)) {
    close(gracefulExchangeStarted() ? Status::channel_closed : Status::peer_disconnected, false);
  } else {
    close(otherwise, true);
  }
}

ChannelInfo IoChannel::info() const {
  ChannelInfo info = Channel::info();
  info.sendQueueMessages = sendQueue_.size();
  info.sendQueueBytes = sendQueue_.bytes();
  return info;
}

void IoChannel::releaseHeld(Status reason) {
  held_.drop(context_, group());  // B15: never delivered
  MessageQueue unsent = sendQueue_.takeAll();
  while (MessagePtr message = unsent.popFront()) {
    annotateFailure(*message, failureText());
    context_.returnMessage(std::move(message), reason);
  }
  if (MessagePtr partial = decoder_.releaseMessage()) context_.abandonReceive(group(), std::move(partial));
  if (stash_.capacity() != 0) context_.stashReserve().giveBack(std::move(stash_));
  stash_.clear();
  stashUsed_ = 0;
  if (starving_) {
    starving_ = false;
    context_.stopStarving(*this);
  }
}

}  // namespace tofu::detail
