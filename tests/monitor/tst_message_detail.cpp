// MessageDetail and HexView: a large body is shown whole (every byte in the hex dump, the
// right number of lines), JSON is pretty-printed, text headers become a table, the binary
// header is decoded, and a preview says so visibly; the JSON view keeps numbers and key order.
#include <QLabel>
#include <QPlainTextEdit>
#include <QTabWidget>
#include <QTableWidget>
#include <QTest>

#include "hex_view.h"
#include "message_detail.h"
#include "ui_test_support.h"

using namespace tofu::monitor;
using tofu::monitor::test::child;
using tofu::monitor::test::makeRecord;

namespace {

QString cell(QTableWidget* table, int row, int column) {
  return table->item(row, column) ? table->item(row, column)->text() : QString();
}

// The row of `table` whose first column is `name`, or -1.
int rowNamed(QTableWidget* table, const QString& name) {
  for (int row = 0; row < table->rowCount(); ++row)
    if (cell(table, row, 0) == name) return row;
  return -1;
}

}  // namespace

class TestMessageDetail : public QObject {
  Q_OBJECT

 private slots:
  void hexShowsAHundredKilobytesWhole() {
    QByteArray body(100 * 1024, '\0');
    for (qsizetype i = 0; i < body.size(); ++i) body[i] = static_cast<char>(i * 7 % 256);
    MessageDetail detail;
    detail.resize(700, 500);
    detail.show();
    detail.showRecord(makeRecord(tofu::OpCode::Response, 3, 42, body));

    auto* hex = child<HexView>(&detail, "detailHex");
    QVERIFY(hex);
    QCOMPARE(hex->data().size(), body.size());
    QCOMPARE(hex->lineCount(), qsizetype{100 * 1024 / 16});
    // Every byte is in the dump, in order.
    const QStringList lines = hex->dumpText().split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    QCOMPARE(lines.size(), 6400);
    QByteArray decoded;
    for (const QString& line : lines) {
      const QString hexPart = line.mid(10, 16 * 3 + 1).simplified().remove(QLatin1Char(' '));
      decoded += QByteArray::fromHex(hexPart.toLatin1());
    }
    QCOMPARE(decoded, body);
    QVERIFY(lines.last().startsWith(QStringLiteral("00018ff0")));
    QVERIFY(!child<QLabel>(&detail, "detailPreviewBanner")->isVisible());
  }

  void partialLastLineAndAscii() {
    HexView hex;
    hex.setData("Hello, tofu!\x01\x02\xff wire");
    QCOMPARE(hex.lineCount(), qsizetype{2});
    QCOMPARE(hex.lineText(0), QStringLiteral("00000000  48 65 6c 6c 6f 2c 20 74  6f 66 75 21 01 02 ff 20  |Hello, tofu!... |"));
    QVERIFY(hex.lineText(1).endsWith(QStringLiteral("|wire|")));
    QCOMPARE(hex.lineText(2), QString());
  }

  void jsonIsPrettyPrintedAndChosen() {
    MessageDetail detail;
    detail.showRecord(makeRecord(tofu::OpCode::Request, 1, 7, R"({"job":"resize","sizes":[1,2]})"));
    auto* tabs = child<QTabWidget>(&detail, "detailBodyTabs");
    QCOMPARE(tabs->currentIndex(), int{MessageDetail::jsonTab});
    const QString json = child<QPlainTextEdit>(&detail, "detailJson")->toPlainText();
    QVERIFY(json.contains(QStringLiteral("\n    \"job\": \"resize\"")));
    QCOMPARE(child<QPlainTextEdit>(&detail, "detailText")->toPlainText(), QStringLiteral(R"({"job":"resize","sizes":[1,2]})"));

    detail.showRecord(makeRecord(tofu::OpCode::Request, 1, 8, "plain words"));
    QVERIFY(!tabs->isTabEnabled(MessageDetail::jsonTab));
    QCOMPARE(tabs->currentIndex(), int{MessageDetail::textTab});
  }

  // QJsonDocument would show 12345678901234567891 as 12345678901234567000 and sort the keys.
  void jsonKeepsBigIntegersAndKeyOrder() {
    MessageDetail detail;
    detail.showRecord(makeRecord(tofu::OpCode::Request, 1, 9,
                                 "{\"zeta\":12345678901234567891,\"alpha\":{\"b\":-0.10000000000000000001,\"a\":[]},"
                                 "\"mid\":\"\\u00e9\\\"x\"}"));
    QCOMPARE(child<QTabWidget>(&detail, "detailBodyTabs")->currentIndex(), int{MessageDetail::jsonTab});
    QCOMPARE(child<QPlainTextEdit>(&detail, "detailJson")->toPlainText(),
             QStringLiteral("{\n"
                            "    \"zeta\": 12345678901234567891,\n"
                            "    \"alpha\": {\n"
                            "        \"b\": -0.10000000000000000001,\n"
                            "        \"a\": []\n"
                            "    },\n"
                            "    \"mid\": \"\\u00e9\\\"x\"\n"
                            "}"));
  }

  void invalidJsonIsRefusedWithItsOffset_data() {
    QTest::addColumn<QByteArray>("body");
    QTest::newRow("trailing comma") << QByteArray("{\"a\":1,}");
    QTest::newRow("leading zero") << QByteArray("[01]");
    QTest::newRow("unterminated") << QByteArray("[\"abc");
    QTest::newRow("two values") << QByteArray("1 2");
    QTest::newRow("bad escape") << QByteArray("[\"\\q\"]");
  }
  void invalidJsonIsRefusedWithItsOffset() {
    QFETCH(QByteArray, body);
    MessageDetail detail;
    detail.showRecord(makeRecord(tofu::OpCode::Request, 1, 10, body));
    QVERIFY(!child<QTabWidget>(&detail, "detailBodyTabs")->isTabEnabled(MessageDetail::jsonTab));
    const QString text = child<QPlainTextEdit>(&detail, "detailJson")->toPlainText();
    QVERIFY2(text.startsWith(QStringLiteral("(not JSON: ")) && text.contains(QStringLiteral("at byte")), qPrintable(text));
  }

  void headerFieldsAndTextHeadersAreDecoded() {
    MessageDetail detail;
    auto record = makeRecord(tofu::OpCode::Response, 9, 1234, "x", tofu::Status::peer_disconnected,
                             "trace:abc\r\ncontent-type:application/json\r\n");
    record.header.proto.more = true;
    record.header.proto.origin = tofu::Origin::engine;
    detail.showRecord(record);
    auto* fields = child<QTableWidget>(&detail, "detailHeaderFields");
    QCOMPARE(cell(fields, rowNamed(fields, QStringLiteral("opcode")), 1), QStringLiteral("Response (1)"));
    QCOMPARE(cell(fields, rowNamed(fields, QStringLiteral("status")), 1), QStringLiteral("peer_disconnected (17)"));
    QCOMPARE(cell(fields, rowNamed(fields, QStringLiteral("message id")), 1), QStringLiteral("1234"));
    QCOMPARE(cell(fields, rowNamed(fields, QStringLiteral("channel")), 1), QStringLiteral("9"));
    QCOMPARE(cell(fields, rowNamed(fields, QStringLiteral("proto byte")), 1), QStringLiteral("0x31"));
    auto* headers = child<QTableWidget>(&detail, "detailTextHeaders");
    QCOMPARE(headers->rowCount(), 2);
    QCOMPARE(cell(headers, 1, 0), QStringLiteral("content-type"));
    QCOMPARE(cell(headers, 1, 1), QStringLiteral("application/json"));
  }

  void previewIsSaidVisibly() {
    MessageDetail detail;
    detail.show();
    auto record = makeRecord(tofu::OpCode::Request, 1, 5, QByteArray(40, 'p'));
    record.header.bodyLen = 1000;
    record.contentComplete = false;
    detail.showRecord(record);
    auto* banner = child<QLabel>(&detail, "detailPreviewBanner");
    QVERIFY(banner->isVisible());
    QVERIFY2(banner->text().startsWith(QStringLiteral("preview: first 40 of 1000 bytes")), qPrintable(banner->text()));
  }
};

QTEST_MAIN(TestMessageDetail)
#include "tst_message_detail.moc"
