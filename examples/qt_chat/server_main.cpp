// qt_chat_server: the chat server and its window. Usage: qt_chat_server [--listen ADDRESS]
// It also logs to stdout, one event a line (run_chat_test.sh reads them):
//   listening ADDRESS | joined NAME | left NAME | relayed FROM: TEXT to N
#include <QApplication>
#include <QCommandLineParser>
#include <QTextStream>

#include "chat_server_core.h"
#include "server_window.h"

int main(int argc, char* argv[]) {
  QApplication app(argc, argv);
  QCommandLineParser parser;
  parser.setApplicationDescription("The tofu chat server (examples/qt_chat).");
  parser.addHelpOption();
  const QCommandLineOption listenOption("listen", "Where to listen: tcp|HOST|PORT or uds|PATH.", "address",
                                        "tcp|127.0.0.1|7099");
  parser.addOption(listenOption);
  parser.process(app);

  tofu::qt::Engine engine;
  if (!engine.isValid()) {
    QTextStream(stderr) << engine.errorString() << Qt::endl;
    return 1;
  }
  ChatServerCore core(engine);
  ServerWindow window(core);
  QTextStream out(stdout);
  QObject::connect(core.server(), &tofu::qt::Server::listening,
                   [&](const QString& address) { out << "listening " << address << Qt::endl; });
  QObject::connect(core.server(), &tofu::qt::Server::errorOccurred,
                   [&](tofu::Status, const QString& description) {
                     QTextStream(stderr) << description << Qt::endl;
                     if (!core.server()->isListening()) app.exit(1);
                   });
  QObject::connect(&core, &ChatServerCore::userJoined,
                   [&](const QString& name) { out << "joined " << name << Qt::endl; });
  QObject::connect(&core, &ChatServerCore::userLeft,
                   [&](const QString& name) { out << "left " << name << Qt::endl; });
  QObject::connect(&core, &ChatServerCore::lineRelayed,
                   [&](const QString& from, const QString& text, int recipients) {
                     out << "relayed " << from << ": " << text << " to " << recipients << Qt::endl;
                   });

  if (!core.server()->listen(parser.value(listenOption))) return 1;  // errorOccurred said why
  window.show();
  return app.exec();
}
