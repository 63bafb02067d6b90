// Uses the installed Qt adapter: listens and connects on loopback from a QCoreApplication and
// exits 0 once the connection is up (signals on the main thread), 1 on failure or timeout.
// Also builds the models, one through its tofu/qt/models/ header and one through the
// forwarding header left at its old path.
#include <tofu/qt/channel_group.h>
#include <tofu/qt/engine.h>
#include <tofu/qt/models/channel_table_model.h>
#include <tofu/qt/traffic_model.h>

#include <QCoreApplication>
#include <QTimer>

#include <cstdio>

int main(int argc, char** argv) {
  QCoreApplication app(argc, argv);
  tofu::qt::Engine engine;
  if (!engine.isValid()) return 1;
  const tofu::qt::ChannelTableModel channels;
  const tofu::qt::TrafficModel traffic;
  if (channels.rowCount() != 0 || traffic.rowCount() != 0) return 1;
  auto* group = new tofu::qt::ChannelGroup(engine, {}, &engine);
  QObject::connect(group, &tofu::qt::ChannelGroup::listening, [group](quint16, const QString& address) {
    group->connectTo(address);
  });
  // The server side answers the HelloRequest, as every tofu application does.
  QObject::connect(group, &tofu::qt::ChannelGroup::messageReceived, [group](const tofu::qt::MessageEnvelope& message) {
    if (message.opCode() == tofu::OpCode::HelloRequest) {
      group->send(message.channelNumber(), tofu::OpCode::HelloResponse, {}, {}, false, message.messageId());
    }
  });
  QObject::connect(group, &tofu::qt::ChannelGroup::connected, [&app](quint16 channel) {
    std::printf("connected on channel %u\n", unsigned{channel});
    app.exit(0);
  });
  QObject::connect(group, &tofu::qt::ChannelGroup::errorOccurred, [&app](tofu::Status, const QString& text) {
    std::fprintf(stderr, "error: %s\n", qPrintable(text));
    app.exit(1);
  });
  QTimer::singleShot(10000, &app, [&app] { app.exit(1); });
  if (group->listenOn(QStringLiteral("tcp|127.0.0.1|0")) == 0) return 1;
  return app.exec();
}
