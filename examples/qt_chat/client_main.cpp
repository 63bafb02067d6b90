// qt_chat_client: one chat user's window. Usage:
//   qt_chat_client [--connect ADDRESS] [--name NAME]
//                  [--send-lines K [--batch B] [--room N]] [--expect-lines M] [--quit-when-done]
// With --send-lines or --expect-lines a ChatAutopilot types instead of a person and prints
// what happens (see chat_autopilot.h); run_chat_test.sh drives three of them.
#include <QApplication>
#include <QCommandLineParser>
#include <QTextStream>

#include "chat_autopilot.h"
#include "chat_client_core.h"
#include "client_window.h"

int main(int argc, char* argv[]) {
  QApplication app(argc, argv);
  QCommandLineParser parser;
  parser.setApplicationDescription("A tofu chat client (examples/qt_chat).");
  parser.addHelpOption();
  const QCommandLineOption connectOption("connect", "The server: tcp|HOST|PORT or uds|PATH.", "address",
                                         "tcp|127.0.0.1|7099");
  const QCommandLineOption nameOption("name", "Your name in the room.", "name",
                                      qEnvironmentVariable("USER", "guest"));
  const QCommandLineOption linesOption("send-lines", "Autopilot: send K lines `NAME line I`.", "K", "0");
  const QCommandLineOption batchOption("batch", "Autopilot: at most B lines per connection.", "B", "0");
  const QCommandLineOption roomOption("room", "Autopilot: send once N users are in the room.", "N", "1");
  const QCommandLineOption expectOption("expect-lines", "Autopilot: print `done M` after M lines.", "M", "0");
  const QCommandLineOption quitOption("quit-when-done", "Autopilot: exit 0 after `done`.");
  parser.addOptions(
      {connectOption, nameOption, linesOption, batchOption, roomOption, expectOption, quitOption});
  parser.process(app);

  tofu::qt::Engine engine;
  if (!engine.isValid()) {
    QTextStream(stderr) << engine.errorString() << Qt::endl;
    return 1;
  }
  ChatClientCore core(engine, parser.value(nameOption));
  ClientWindow window(core);
  const AutopilotPlan plan{.lines = parser.value(linesOption).toInt(),
                           .batch = parser.value(batchOption).toInt(),
                           .roomSize = parser.value(roomOption).toInt(),
                           .expectLines = parser.value(expectOption).toInt(),
                           .quitWhenDone = parser.isSet(quitOption)};
  if (plan.lines > 0 || plan.expectLines > 0) new ChatAutopilot(core, plan, &core);

  if (!core.connectTo(parser.value(connectOption))) {
    QTextStream(stderr) << core.connection()->errorString() << Qt::endl;
    return 1;
  }
  window.show();
  return app.exec();
}
