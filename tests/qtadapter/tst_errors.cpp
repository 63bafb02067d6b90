// How the adapter reports errors to Qt code (issue 19): tofu::Status in Qt's meta-object system
// (QMetaEnum names, QDebug, QVariant, queued signals), and ChannelGroup's address errors, which
// say what is wrong and which form was expected, whether refused at once or by the I/O thread.
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

#include "qt_test_support.h"

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
  void refusedAddressNamesExpectedForm_data();
  void refusedAddressNamesExpectedForm();
  void failedOpenSaysWhy_data();
  void failedOpenSaysWhy();
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
  // Both connection styles, queued: the arguments are copied through QMetaType, as for a
  // receiver in another thread (the same code path; a second thread here would only show
  // ThreadSanitizer Qt's uninstrumented event queue). The second style needs the type by name.
  StatusSink sink;
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

void TestErrors::refusedAddressNamesExpectedForm_data() {
  QTest::addColumn<bool>("listen");
  QTest::addColumn<QString>("address");
  QTest::addColumn<QString>("reason");
  const QString anyForm = QStringLiteral("; expected tcp|HOST|PORT or uds|PATH");
  const QString tcpForm = QStringLiteral("; expected tcp|HOST|PORT");
  QTest::newRow("host:port") << false << QStringLiteral("127.0.0.1:7099")
                             << QStringLiteral("no '|' separator") + anyForm;
  QTest::newRow("url") << false << QStringLiteral("tcp://127.0.0.1:7099")
                       << QStringLiteral("no '|' separator") + anyForm;
  QTest::newRow("scheme") << true << QStringLiteral("udp|127.0.0.1|0")
                          << QStringLiteral("unknown scheme 'udp'") + anyForm;
  QTest::newRow("port range") << false << QStringLiteral("tcp|127.0.0.1|99999")
                              << QStringLiteral(
                                     "port '99999' is out of range 1..65535 (0 only to listen on any "
                                     "free port)") +
                                     tcpForm;
  QTest::newRow("empty host") << true << QStringLiteral("tcp||0") << QStringLiteral("empty host") + tcpForm;
  QTest::newRow("empty path") << true << QStringLiteral("uds|")
                              << QStringLiteral("empty path; expected uds|PATH");
}

void TestErrors::refusedAddressNamesExpectedForm() {
  QFETCH(bool, listen);
  QFETCH(QString, address);
  QFETCH(QString, reason);
  Engine engine;
  ChannelGroup group(engine);
  QSignalSpy errors(&group, &ChannelGroup::errorOccurred);
  QCOMPARE(listen ? group.listenOn(address) : group.connectTo(address), quint16{0});
  const QString expected =
      (listen ? QStringLiteral("cannot listen on ") : QStringLiteral("cannot connect to ")) + address +
      QStringLiteral(" (") + reason + QStringLiteral("): ") +
      tofu::qt::statusDescription(Status::invalid_address);
  QCOMPARE(group.error(), Status::invalid_address);
  QCOMPARE(group.errorString(), expected);
  QCOMPARE(errors.count(), 1);
  QCOMPARE(errors.at(0).at(1).toString(), expected);
}

void TestErrors::failedOpenSaysWhy_data() {
  QTest::addColumn<bool>("listen");
  QTest::addColumn<QString>("address");
  QTest::addColumn<Status>("status");
  QTest::addColumn<QString>("reason");
  QTest::newRow("unresolvable") << false << QStringLiteral("tcp|no-such-host.invalid|1")
                                << Status::invalid_address
                                << QStringLiteral(
                                       "the host name 'no-such-host.invalid' could not be resolved");
  QTest::newRow("connect port 0") << false << QStringLiteral("tcp|127.0.0.1|0") << Status::invalid_address
                                  << QStringLiteral("connecting needs a port of 1..65535, not 0");
  QTest::newRow("listen on a name") << true << QStringLiteral("tcp|localhost|0") << Status::invalid_address
                                    << QStringLiteral(
                                           "listening needs an IP address as host (0.0.0.0, 127.0.0.1, "
                                           "::1), not the host name 'localhost'");
  // Not an address problem: the status says it all, and no reason is made up.
  QTest::newRow("refused") << false << QStringLiteral("tcp|127.0.0.1|%1").arg(tofu::qt::test::unusedTcpPort())
                           << Status::connect_failed << QString();
}

void TestErrors::failedOpenSaysWhy() {
  QFETCH(bool, listen);
  QFETCH(QString, address);
  QFETCH(Status, status);
  QFETCH(QString, reason);
  Engine engine;
  ChannelGroup group(engine);
  QSignalSpy errors(&group, &ChannelGroup::errorOccurred);
  const quint16 channel = listen ? group.listenOn(address) : group.connectTo(address);
  QVERIFY(channel != 0);  // well-formed: refused later, by the I/O thread
  QTRY_COMPARE_WITH_TIMEOUT(errors.count(), 1, 10000);
  const QString expected =
      (listen ? QStringLiteral("listening failed on channel %1")
              : QStringLiteral("connecting failed on channel %1"))
          .arg(channel) +
      (reason.isEmpty() ? QString() : QStringLiteral(" (") + reason + QStringLiteral(")")) +
      QStringLiteral(": ") + tofu::qt::statusDescription(status);
  QCOMPARE(group.error(), status);
  QCOMPARE(group.errorString(), expected);
}

QTEST_GUILESS_MAIN(TestErrors)
#include "tst_errors.moc"
