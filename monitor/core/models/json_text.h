// JSON as text, without a JSON value model in between: pretty-printing that keeps every number
// exactly as written (64-bit ids, long decimals) and object keys in the order they were sent,
// which QJsonDocument does not. Pure functions; any thread.
#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

namespace tofu::monitor {

// Validates `json` (RFC 8259, one value, UTF-8) and re-indents it four spaces a level.
// Numbers, strings (escapes included) and key order are copied unchanged. On invalid input
// returns false, with `error` naming the problem and its byte offset. Never blocks.
bool prettyJson(QByteArrayView json, QByteArray* pretty, QString* error);

// `text` as a JSON string literal, quotes included.
QByteArray jsonQuoted(const QString& text);

}  // namespace tofu::monitor
