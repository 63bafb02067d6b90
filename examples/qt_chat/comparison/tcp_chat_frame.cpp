#include "tcp_chat_frame.h"

#include <QDataStream>
#include <QTcpSocket>

void writeFrame(QTcpSocket* socket, const TcpChatFrame& frame) {
  QDataStream out(socket);
  out.setVersion(QDataStream::Qt_6_4);
  out << frame.kind << frame.name << frame.text;
}

bool readFrame(QTcpSocket* socket, TcpChatFrame& frame) {
  QDataStream in(socket);
  in.setVersion(QDataStream::Qt_6_4);
  in.startTransaction();
  in >> frame.kind >> frame.name >> frame.text;
  return in.commitTransaction();
}
