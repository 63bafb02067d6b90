// ChatAutopilot: types for a user of ChatClientCore so that CTest can run the chat without a
// person, and prints each event as a line a script can check (see run_chat_test.sh):
//   state NAME            the connection's new state (Connecting, Connected, ...)
//   room N                N users are in the room
//   sent TEXT             a line was handed to the connection
//   refused TEXT          a line was refused (it is sent again later)
//   received FROM: TEXT   a line came back from the server
//   returned TEXT         a sent line came back undelivered (the engine could not send it)
//   done N                the N expected lines arrived
// It sends the lines `NAME line 1` ... `NAME line K` in batches, one batch per connection,
// once the room holds `roomSize` users; when the connection drops it types the next line at
// once, which must be refused. Borrows the core; GUI thread only.
#pragma once

#include <QObject>
#include <QTextStream>

class ChatClientCore;

struct AutopilotPlan {
  int lines = 0;        // K: lines to send in all
  int batch = 0;        // at most this many per connection (0: all in the first)
  int roomSize = 1;     // a batch starts once this many users are in the room
  int expectLines = 0;  // M: "done" after this many lines were received (0: never)
  bool quitWhenDone = false;
};

class ChatAutopilot : public QObject {
  Q_OBJECT

 public:
  ChatAutopilot(ChatClientCore& core, const AutopilotPlan& plan, QObject* parent = nullptr);

 private:
  void sendBatchIfRoomIsFull(const QStringList& users);
  void tryWhileDisconnected();
  // Sends the next line and prints what happened; false if it was refused (it stays the next).
  bool sendNext();
  void count(const QString& from, const QString& text);
  QString line(int number) const;

  ChatClientCore& core_;
  AutopilotPlan plan_;
  QTextStream out_;
  int nextLine_ = 1;
  int received_ = 0;
  bool batchSent_ = false;  // in this connection
};
