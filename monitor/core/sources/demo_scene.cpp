#include "sources/demo_scene.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <QJsonDocument>
#include <QJsonObject>

#include "tofu/qt/channel_group.h"

#include "sources/local_engine.h"
#include "sources/local_source.h"

namespace tofu::monitor {
namespace {

using tofu::qt::ChannelGroup;
using tofu::qt::HeaderList;
using tofu::qt::MessageEnvelope;

constexpr int kReconnectMs = 400;
constexpr int kPeerLossMs = 800;
constexpr int kStreamFrames = 4;
constexpr int kFloodTickMs = 20;
const QByteArray kJson = QByteArrayLiteral("application/json");

QByteArray json(const QJsonObject& object) { return QJsonDocument(object).toJson(QJsonDocument::Compact); }

// Binds `fd` to 127.0.0.1 on a port the kernel picks, without listen(); 0 when it cannot.
quint16 bindLoopbackPort(int fd) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  auto* raw = reinterpret_cast<sockaddr*>(&address);  // NOLINT: sockets API
  if (fd < 0 || ::bind(fd, raw, length) != 0 || ::getsockname(fd, raw, &length) != 0) return 0;
  return ntohs(address.sin_port);
}

}  // namespace

// One client engine with its group and the channel it keeps open to alpha.
struct DemoScene::Client {
  std::unique_ptr<LocalEngine> local;
  ChannelGroup* group = nullptr;  // a child of the engine
  QString address;                // alpha's listener it uses
  quint16 channel = 0;
  bool ready = false;
  int requests = 0;
};

DemoScene::DemoScene(Session& session, const DemoOptions& options, QObject* parent)
    : QObject(parent),
      options_(options),
      refusingSocket_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)),
      refusedAddress_(QStringLiteral("tcp|127.0.0.1|%1").arg(bindLoopbackPort(refusingSocket_))) {
  static const char* const kNames[] = {"beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"};
  server_ = std::make_unique<LocalEngine>(session, QStringLiteral("alpha"));
  alpha_ = new ChannelGroup(server_->engine(), {}, &server_->engine());
  server_->source()->tap(*alpha_);
  connect(alpha_, &ChannelGroup::messageReceived, this, &DemoScene::serve);
  const int clients = qBound(1, options.engines - 1, static_cast<int>(std::size(kNames)));
  for (int i = 0; i <= clients; ++i) {
    if (i == clients && options.floodRate <= 0) {
      break;
    }
    auto client = std::make_unique<Client>();
    client->local = std::make_unique<LocalEngine>(session, i < clients ? QLatin1String(kNames[i]) : QStringLiteral("flood"));
    client->group = new ChannelGroup(client->local->engine(), {}, &client->local->engine());
    client->local->source()->tap(*client->group);
    Client* raw = client.get();
    connect(client->group, &ChannelGroup::connected, this, [raw](quint16 channel) { raw->ready = channel == raw->channel; });
    connect(client->group, &ChannelGroup::channelClosed, this, [this, raw](quint16 channel) {
      if (channel == raw->channel) {
        raw->ready = false;
        raw->channel = 0;
        QTimer::singleShot(kReconnectMs, this, [this, raw] { connectClient(*raw); });
      }
    });
    if (i < clients) {
      clients_.push_back(std::move(client));
    } else {
      flooder_ = std::move(client);
    }
  }
  connect(alpha_, &ChannelGroup::listening, this, [this](quint16, const QString& bound) {
    // Clients take turns between the TCP and the UDS listener.
    const bool tcp = bound.startsWith(QLatin1String("tcp"));
    for (std::size_t i = 0; i < clients_.size(); ++i) {
      if ((i % 2 == 0) == tcp) {
        clients_[i]->address = bound;
        connectClient(*clients_[i]);
      }
    }
    if (tcp && flooder_) {
      flooder_->address = bound;
      connectClient(*flooder_);
    }
  });
  tick_.setInterval(options.tickMs);
  connect(&tick_, &QTimer::timeout, this, &DemoScene::tick);
  floodTimer_.setInterval(kFloodTickMs);
  connect(&floodTimer_, &QTimer::timeout, this, &DemoScene::flood);
}

// Clients go before the server so their LocalSources leave the Session in a stable order.
DemoScene::~DemoScene() {
  tick_.stop();
  floodTimer_.stop();
  delete doomed_;
  flooder_.reset();
  clients_.clear();
  server_.reset();
  if (refusingSocket_ >= 0) ::close(refusingSocket_);
}

void DemoScene::start() {
  alpha_->listenOn(QStringLiteral("tcp|127.0.0.1|0"));
  alpha_->listenOn(QStringLiteral("uds|%1/alpha.sock").arg(dir_.path()));
  tick_.start();
  if (flooder_) {
    floodTimer_.start();
  }
}

quint64 DemoScene::send(LocalSource* source, ChannelGroup& group, quint16 channel, OpCode opCode,
                        const QByteArray& body, const HeaderList& headers, bool more, quint64 id) {
  const quint64 used = group.send(channel, opCode, body, headers, more, id);
  if (used != 0) {
    ++sent_;
    if (source != nullptr) {
      source->reportSent(channel, opCode, used, more, headers, body);
    }
  }
  return used;
}

void DemoScene::connectClient(Client& client) {
  if (client.channel == 0 && !client.address.isEmpty()) {
    client.channel = client.group->connectTo(client.address, {{"client", "demo"}});
  }
}

// alpha's side: a progress Signal then a JSON Response for `action:compute`, a streamed
// Response (kStreamFrames frames with more=1, then the last) for `action:stream`.
void DemoScene::serve(const MessageEnvelope& message) {
  if (answerHandshake(*alpha_, message) != 0) {
    ++sent_;
    return;
  }
  if (message.opCode() != OpCode::Request) {
    return;
  }
  LocalSource* source = server_->source();
  const quint16 channel = message.channelNumber();
  const QJsonObject request = QJsonDocument::fromJson(message.body).object();
  const int n = request.value(QLatin1String("n")).toInt();
  if (message.headerValue(u"action") == QLatin1String("stream")) {
    for (int frame = 0; frame <= kStreamFrames; ++frame) {
      send(source, *alpha_, channel, OpCode::Response, json({{"chunk", frame}, {"of", kStreamFrames + 1}}),
           {{"content-type", kJson}, {"chunk", QByteArray::number(frame)}}, frame < kStreamFrames, message.messageId());
    }
    return;
  }
  send(source, *alpha_, channel, OpCode::Signal, {}, {{"progress", "50%"}, {"job", QByteArray::number(message.messageId())}});
  send(source, *alpha_, channel, OpCode::Response, json({{"n", n}, {"square", n * n}}), {{"content-type", kJson}}, false,
       message.messageId());
}

void DemoScene::tick() {
  ++ticks_;
  for (const auto& client : clients_) {
    if (!client->ready) {
      continue;
    }
    const int n = ++client->requests;
    const bool stream = n % 5 == 0;
    send(client->local->source(), *client->group, client->channel, OpCode::Request, json({{"n", n}}),
         {{"content-type", kJson}, {"action", stream ? "stream" : "compute"}});
    if (n % 3 == 0) {
      send(client->local->source(), *client->group, client->channel, OpCode::Signal, {},
           {{"progress", QByteArray::number((n * 10) % 100) + '%'}});
    }
  }
  if (ticks_ % 4 == 0) {
    lifeCycleScene();
  }
}

// In turn: a graceful close of the last client (it reconnects), a refused connect, a peer
// lost without a Bye, and an abort (ByeSignal) of the last client (it reconnects).
void DemoScene::lifeCycleScene() {
  Client& last = *clients_.back();
  Client& first = *clients_.front();
  switch (scene_++ % 4) {
    case 0:
      if (last.ready) {
        last.group->close(last.channel);
      }
      break;
    case 1:
      first.group->connectTo(refusedAddress_);
      break;
    case 2:
      losePeer();
      break;
    default:
      if (last.ready) {
        last.group->abort(last.channel);
      }
      break;
  }
}

void DemoScene::losePeer() {
  Client& first = *clients_.front();
  if (doomed_ != nullptr || first.address.isEmpty()) {
    return;
  }
  doomed_ = new ChannelGroup(first.local->engine(), {}, &first.local->engine());
  const quint16 channel = doomed_->connectTo(first.address, {{"client", "doomed"}});
  connect(doomed_, &ChannelGroup::connected, this, [this, channel](quint16 ready) {
    if (ready == channel) {
      send(nullptr, *doomed_, channel, OpCode::Request, json({{"n", 0}}), {{"action", "compute"}});
    }
  });
  // Destroying the group aborts its channel: alpha sees the peer vanish (peer_disconnected).
  QTimer::singleShot(kPeerLossMs, this, [this] {
    delete doomed_;
    doomed_ = nullptr;
  });
}

void DemoScene::flood() {
  if (!flooder_ || !flooder_->ready) {
    return;
  }
  floodCarry_ += options_.floodRate * kFloodTickMs / 1000.0;
  const int batch = static_cast<int>(floodCarry_);
  floodCarry_ -= batch;
  for (int i = 0; i < batch; ++i) {
    if (send(nullptr, *flooder_->group, flooder_->channel, OpCode::Signal, QByteArrayLiteral("flood"),
             {{"seq", QByteArray::number(sent_)}}) == 0) {
      break;  // the send queue is full: the rest of this batch waits for the next tick
    }
  }
}

}  // namespace tofu::monitor
