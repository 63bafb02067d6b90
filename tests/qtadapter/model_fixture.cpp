#include "model_fixture.h"

#include <QSignalSpy>

namespace tofu::qt::test {

LiveScene::LiveScene(const WatchOptions& watch)
    : engine_(std::make_unique<Engine>()),
      server_(new ChannelGroup(*engine_, {}, engine_.get())),
      client_(new ChannelGroup(*engine_, {}, engine_.get())),
      watcher_(new EngineWatcher(*engine_, watch, engine_.get())) {
  QObject::connect(server_, &ChannelGroup::messageReceived, server_, [this](const MessageEnvelope& m) {
    switch (m.opCode()) {
      case OpCode::HelloRequest:
        server_->send(m.channelNumber(), OpCode::HelloResponse, {}, {}, false, m.messageId());
        break;
      case OpCode::ByeRequest:
        server_->send(m.channelNumber(), OpCode::ByeResponse, {}, {}, false, m.messageId());
        break;
      case OpCode::Request:
        server_->reply(m, m.body);
        break;
      default:
        break;
    }
  });
}

bool LiveScene::open() {
  QSignalSpy listening(server_, &ChannelGroup::listening);
  if (server_->listenOn(QStringLiteral("tcp|127.0.0.1|0")) == 0 || !listening.wait(5000)) {
    return false;
  }
  QSignalSpy connected(client_, &ChannelGroup::connected);
  clientChannel_ = client_->connectTo(listening.at(0).at(1).toString());
  return clientChannel_ != 0 && connected.wait(5000);
}

void LiveScene::sendRequests(int count) {
  for (int i = 1; i <= count; ++i) {
    client_->send(clientChannel_, OpCode::Request, "body " + QByteArray::number(i), {{"seq", QByteArray::number(i)}});
  }
}

}  // namespace tofu::qt::test
