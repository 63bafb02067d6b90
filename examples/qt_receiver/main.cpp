// qt_receiver: connects to a tofu echo server, sends N Requests from the Qt event loop and
// prints every Response; no thread of its own. Usage: qt_receiver ADDRESS [COUNT]
#include <QCoreApplication>
#include <QTextStream>
#include <QTimer>

#include "tofu/qt/channel_group.h"
#include "tofu/qt/engine.h"

int main(int argc, char* argv[]) {
  QCoreApplication app(argc, argv);
  const QStringList args = app.arguments();
  if (args.size() < 2) {
    QTextStream(stderr) << "usage: qt_receiver ADDRESS [COUNT]\n";
    return 2;
  }
  const int count = args.size() > 2 ? args.at(2).toInt() : 3;
  QTextStream out(stdout);
  tofu::qt::Engine engine;
  auto* group = new tofu::qt::ChannelGroup(engine, {}, &engine);  // deleted by the engine
  int received = 0;

  QObject::connect(group, &tofu::qt::ChannelGroup::connected, [&](quint16 channel) {
    for (int i = 1; i <= count; ++i) {
      group->send(channel, tofu::OpCode::Request, QByteArray("hello ") + QByteArray::number(i),
                  {{"seq", QByteArray::number(i)}});
    }
  });
  QObject::connect(group, &tofu::qt::ChannelGroup::messageReceived, [&](const tofu::qt::MessageEnvelope& m) {
    if (m.opCode() != tofu::OpCode::Response) {
      return;
    }
    QStringList headers;
    for (const auto& [name, value] : m.headerList()) {
      headers << name + ':' + value;
    }
    out << "response id=" << m.messageId() << " headers=[" << headers.join(' ') << "] body=" << m.body << Qt::endl;
    if (++received == count) {
      app.exit(0);
    }
  });
  QObject::connect(group, &tofu::qt::ChannelGroup::errorOccurred, [&](tofu::Status, const QString& why) {
    QTextStream(stderr) << "error: " << why << Qt::endl;
    app.exit(1);
  });
  QTimer::singleShot(10'000, &app, [&] {
    QTextStream(stderr) << "timeout: " << received << " of " << count << " responses" << Qt::endl;
    app.exit(3);
  });

  if (group->connectTo(args.at(1)) == 0) {
    return 1;  // errorOccurred has already printed why
  }
  return app.exec();
}
