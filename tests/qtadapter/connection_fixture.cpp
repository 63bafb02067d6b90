#include "connection_fixture.h"

#include <QSignalSpy>
#include <QVariant>

#include "tofu/address.h"
#include "tofu/qt/engine.h"

namespace tofu::qt::test {
namespace {

constexpr int kWaitMs = 5000;
constexpr std::uint64_t kPollNs = 5'000'000;

}  // namespace

QString listenOn(Server& server, const QString& address) {
  QSignalSpy listening(&server, &Server::listening);
  if (!server.listen(address) || !listening.wait(kWaitMs)) {
    return {};
  }
  return listening.at(0).at(0).toString();
}

bool connectAndWait(Connection& client, const QString& address, const HeaderList& headers) {
  QSignalSpy connected(&client, &Connection::connected);
  return client.connectTo(address, headers) && connected.wait(kWaitMs);
}

Connection* takeNext(Server& server) {
  if (!server.hasPendingConnections()) {
    QSignalSpy accepted(&server, &Server::newConnection);
    if (!accepted.wait(kWaitMs)) {
      return nullptr;
    }
  }
  return server.nextPendingConnection();
}

SignalLog::SignalLog(Connection& connection) {
  QObject::connect(&connection, &Connection::stateChanged, &connection, [this](Connection::State state) {
    lines.append(QStringLiteral("state:") + QVariant::fromValue(state).toString());
  });
  QObject::connect(&connection, &Connection::connected, &connection, [this] { lines.append(QStringLiteral("connected")); });
  QObject::connect(&connection, &Connection::disconnected, &connection,
                   [this] { lines.append(QStringLiteral("disconnected")); });
  QObject::connect(&connection, &Connection::messageReceived, &connection, [this](const MessageEnvelope& m) {
    lines.append(QStringLiteral("received:") + QString::fromUtf8(m.body));
  });
  QObject::connect(&connection, &Connection::messageReturned, &connection, [this](const MessageEnvelope& m) {
    lines.append(QStringLiteral("returned:") + statusName(m.status()));
  });
  QObject::connect(&connection, &Connection::errorOccurred, &connection, [this](Status status, const QString&) {
    lines.append(QStringLiteral("error:") + statusName(status));
  });
  QObject::connect(&connection, &Connection::readyToSend, &connection, [this] { lines.append(QStringLiteral("ready")); });
}

qsizetype SignalLog::indexOf(const QString& prefix) const {
  for (qsizetype i = 0; i < lines.size(); ++i) {
    if (lines.at(i).startsWith(prefix)) {
      return i;
    }
  }
  return -1;
}

bool connectToSilentPeer(Connection& client, SilentPeer& peer) {
  const QString address = peer.listen(QStringLiteral("tcp|127.0.0.1|0"));
  QSignalSpy connected(&client, &Connection::connected);
  return !address.isEmpty() && client.connectTo(address) && peer.answerHello() && connected.wait(kWaitMs);
}

int fillSendQueue(Connection& client, const QByteArray& body) {
  constexpr int kMostSends = 10000;
  int sent = 0;
  while (sent < kMostSends && client.send(body)) {
    ++sent;
  }
  return sent < kMostSends ? sent : -1;
}

SilentPeer::SilentPeer() {
  Result<std::unique_ptr<Reactor>> created = Reactor::create();
  if (created.ok()) {
    reactor_ = std::move(created).value();
    Result<tofu::ChannelGroup*> group = reactor_->ampe().create();
    group_ = group.ok() ? group.value() : nullptr;
  }
}

SilentPeer::~SilentPeer() { abort(); }

QString SilentPeer::listen(const QString& address) {
  const Result<Address> local = Address::parse(address.toStdString());
  if (group_ == nullptr || !local.ok()) {
    return {};
  }
  MessagePtr welcome = reactor_->ampe().get(AllocationStrategy::always).value();
  if (prepareWelcomeRequest(*welcome, local.value()) != Status::success || !group_->enqueueToPeer(welcome).ok()) {
    reactor_->ampe().put(welcome);
    return {};
  }
  Result<MessagePtr> answer = group_->waitReceive(std::uint64_t{kWaitMs} * 1'000'000);
  if (!answer.ok() || !answer.value() || answer.value()->opCode() != OpCode::WelcomeResponse ||
      answer.value()->status() != Status::success) {
    return {};
  }
  const std::optional<std::string_view> bound = answer.value()->headers().find(kListenOnHeader);
  const QString boundAddress = bound ? QString::fromUtf8(bound->data(), static_cast<qsizetype>(bound->size())) : QString();
  reactor_->ampe().put(answer.value());
  return boundAddress;
}

bool SilentPeer::answerHello() {
  for (int waited = 0; group_ != nullptr && waited < kWaitMs; waited += 5) {
    Result<MessagePtr> received = group_->waitReceive(kPollNs);
    if (!received.ok() || !received.value()) {
      continue;
    }
    MessagePtr message = std::move(received).value();
    if (message->opCode() != OpCode::HelloRequest) {
      reactor_->ampe().put(message);
      continue;
    }
    const std::uint16_t channel = message->channelNumber();
    const std::uint64_t id = message->messageId();
    message->reset();
    message->header() = BinaryHeader::forOpCode(OpCode::HelloResponse);
    message->setChannelNumber(channel);
    message->setMessageId(id);
    if (!group_->enqueueToPeer(message).ok()) {
      reactor_->ampe().put(message);
      return false;
    }
    return true;
  }
  return false;
}

void SilentPeer::startReading() {
  if (group_ == nullptr || reader_.joinable()) {
    return;
  }
  reader_ = std::thread([this] {
    while (!stopReading_.load()) {
      Result<MessagePtr> received = group_->waitReceive(kPollNs);
      if (received.ok() && received.value()) {
        MessagePtr message = std::move(received).value();
        reactor_->ampe().put(message);
      }
    }
  });
}

void SilentPeer::abort() {
  if (reader_.joinable()) {
    stopReading_ = true;
    reader_.join();
  }
  if (group_ != nullptr) {
    (void)reactor_->ampe().destroy(group_);
    group_ = nullptr;
  }
}

}  // namespace tofu::qt::test
