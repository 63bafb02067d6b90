// The frames of the QTcpSocket chat: three QStrings (kind, name, text) in a QDataStream.
// Client to server: hello(name), line(text), who. Server to client: line(name = sender, text),
// joined(name), left(name), users(text = the names, one per line).
#pragma once

#include <QString>

class QTcpSocket;

struct TcpChatFrame {
  QString kind;
  QString name;
  QString text;
};

void writeFrame(QTcpSocket* socket, const TcpChatFrame& frame);
// Takes the next frame if it has fully arrived; otherwise false and nothing is taken.
bool readFrame(QTcpSocket* socket, TcpChatFrame& frame);
