// How the adapter reports errors to Qt code (issue 19): tofu::Status in Qt's meta-object system
// (QMetaEnum names, QDebug, QVariant, queued signals).
#include <QMetaEnum>
#include <QMutex>
#include <QScopeGuard>
#include <QSignalSpy>
#include <QTest>
#include <QThread>
#include <QVariant>

#include "tofu/qt/channel_group.h"
#include "tofu/qt/engine.h"
#include "tofu/qt/status.h"

using tofu::Status;
using tofu::qt::ChannelGroup;
using tofu::qt::Engine;
namespace meta = tofu::qt::meta;

// Records the statuses it is called with, on whatever thread it lives in.
class StatusSink : public QObject {
  Q_OBJECT

 public:
  QList<Status> received() const {
    const QMutexLocker lock(&mutex_);
    return received_;
  }

 public slots:
  void record(tofu::Status status) {
    const QMutexLocker lock(&mutex_);
    received_.append(status);
  }

 private:
  mutable QMutex mutex_;
  QList<Status> received_;
};

class TestErrors : public QObject {
  Q_OBJECT

 private slots:
  void metaEnumNamesEveryStatus();
  void metaEnumConvertsNamesAndValues();
  void debugPrintsScopedName();
  void variantAndMetaType();
  void queuedSignalsCarryStatus();
};

void TestErrors::metaEnumNamesEveryStatus() {
  const QMetaEnum statusEnum = QMetaEnum::fromType<meta::Status>();
  QVERIFY(statusEnum.isValid());
  QVERIFY(statusEnum.isScoped());
  QCOMPARE(QByteArray(statusEnum.name()), QByteArray("Status"));
  QCOMPARE(statusEnum.keyCount(), tofu::kStatusCount);
  for (int value = 0; value < tofu::kStatusCount; ++value) {
    const auto status = static_cast<Status>(value);
    // The C++ names; the reference spells one of them differently (statusName()).
    const QByteArray expected = status == Status::invalid_message_channel_group
                                    ? QByteArray("invalid_message_channel_group")
                                    : QByteArray(tofu::toString(status));
    QCOMPARE(QByteArray(statusEnum.valueToKey(value)), expected);
    QCOMPARE(statusEnum.keyToValue(expected.constData()), value);
    QCOMPARE(meta::toEngine(meta::fromEngine(status)), status);
  }
}

void TestErrors::metaEnumConvertsNamesAndValues() {
  const QMetaEnum statusEnum = QMetaEnum::fromType<meta::Status>();
  QCOMPARE(QByteArray(statusEnum.valueToKey(qToUnderlying(meta::fromEngine(Status::connect_failed)))),
           QByteArray("connect_failed"));
  bool ok = false;
  const int value = statusEnum.keyToValue("peer_disconnected", &ok);
  QVERIFY(ok);
  QCOMPARE(meta::toEngine(static_cast<meta::Status>(value)), Status::peer_disconnected);
  statusEnum.keyToValue("no_such_status", &ok);
  QVERIFY(!ok);
  QCOMPARE(tofu::qt::statusName(Status::invalid_message_channel_group), QStringLiteral("invelid_mchn_group"));
  QCOMPARE(tofu::qt::statusDescription(Status::connect_failed),
           QStringLiteral("connecting to the peer failed (connect_failed)"));
}

void TestErrors::debugPrintsScopedName() {
  QString text;
  QDebug(&text).nospace() << Status::connect_failed << ',' << static_cast<Status>(200);
  QCOMPARE(text, QStringLiteral("tofu::Status(connect_failed),tofu::Status(200)"));

  // In a qDebug() line, with its spaces between items, and restoring the stream's settings.
  QTest::ignoreMessage(QtDebugMsg, "status tofu::Status(invalid_address) \"quoted\"");
  qDebug() << "status" << Status::invalid_address << QStringLiteral("quoted");
}

void TestErrors::variantAndMetaType() {
  const QMetaType type = QMetaType::fromType<Status>();
  QCOMPARE(QByteArray(type.name()), QByteArray("tofu::Status"));
  QCOMPARE(qMetaTypeId<Status>(), type.id());  // compiles only with Q_DECLARE_METATYPE; registers
  QCOMPARE(QMetaType::fromName("tofu::Status"), type);
  const QVariant variant = QVariant::fromValue(Status::pool_empty);
  QCOMPARE(variant.value<Status>(), Status::pool_empty);
  QTest::ignoreMessage(QtDebugMsg, "QVariant(tofu::Status, tofu::Status(pool_empty))");
  qDebug() << variant;
}

void TestErrors::queuedSignalsCarryStatus() {
  Engine engine;
  ChannelGroup group(engine);
  QThread thread;
  StatusSink sink;
  sink.moveToThread(&thread);
  thread.start();
  const auto stopThread = qScopeGuard([&thread] {
    thread.quit();
    thread.wait();
  });
  // Both connection styles, queued to another thread: the second needs the type by name.
  QVERIFY(QObject::connect(&group, &ChannelGroup::errorOccurred, &sink, &StatusSink::record,
                           Qt::QueuedConnection));
  QVERIFY(QObject::connect(&group, SIGNAL(errorOccurred(tofu::Status, QString)), &sink,
                           SLOT(record(tofu::Status)), Qt::QueuedConnection));
  QCOMPARE(group.listenOn(QStringLiteral("nonsense")), quint16{0});
  QTRY_COMPARE(sink.received().size(), 2);
  for (const Status status : sink.received()) {
    QCOMPARE(status, Status::invalid_address);
  }
}

QTEST_GUILESS_MAIN(TestErrors)
#include "tst_errors.moc"
