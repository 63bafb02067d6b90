// AttachDialog's token field (password echo, prefilled from the last token or from
// TOFU_TELEMETRY_TOKEN, returned trimmed) and MainWindow's Attach... passing that token to the
// source: against an engine in this process serving TCP telemetry with a token, the source
// created from the dialog attaches.
#include <QAction>
#include <QCheckBox>
#include <QLabel>
#include <QStatusBar>
#include <QDialogButtonBox>
#include <QLineEdit>
#include <QPushButton>
#include <QTest>
#include <QTimer>

#include "tofu/qt/engine.h"

#include "attach_dialog.h"
#include "main_window.h"
#include "session.h"
#include "sources/telemetry_source.h"
#include "ui_test_support.h"

using namespace tofu::monitor;
using tofu::monitor::test::child;

namespace {

constexpr int kWaitMs = 10000;
constexpr auto kEnvironment = "TOFU_TELEMETRY_TOKEN";

// Fills the AttachDialog that `window` is about to open and presses Attach.
void answerAttachDialog(QWidget* window, const QString& address, const QString& token, QString* offered) {
  auto* poll = new QTimer(window);
  QObject::connect(poll, &QTimer::timeout, window, [=] {
    auto* dialog = window->findChild<AttachDialog*>();
    if (!dialog || !dialog->isVisible()) return;
    poll->deleteLater();
    auto* tokenField = child<QLineEdit>(dialog, "attachToken");
    *offered = tokenField ? tokenField->text() : QStringLiteral("<no token field>");
    child<QLineEdit>(dialog, "attachAddress")->setText(address);
    if (tokenField) tokenField->setText(token);
    dialog->findChild<QDialogButtonBox*>()->button(QDialogButtonBox::Ok)->click();
  });
  poll->start(20);
}

// The session's attached sources, in the order they were added (the window adds others).
QList<TelemetrySource*> attached(const Session& session) {
  QList<TelemetrySource*> found;
  for (Source* source : session.sources()) {
    if (auto* telemetry = qobject_cast<TelemetrySource*>(source)) found.append(telemetry);
  }
  return found;
}

QAction* attachAction(QWidget* window) {
  for (QAction* action : window->findChildren<QAction*>()) {
    if (action->text().remove(QLatin1Char('&')).startsWith(QLatin1String("Attach to telemetry")))
      return action;
  }
  return nullptr;
}

}  // namespace

class TestAttachDialog : public QObject {
  Q_OBJECT

 private slots:
  void cleanup() { qunsetenv(kEnvironment); }

  void tokenFieldIsAPasswordAndIsReturned() {
    qunsetenv(kEnvironment);
    AttachDialog dialog;
    auto* token = child<QLineEdit>(&dialog, "attachToken");
    QVERIFY(token);
    QCOMPARE(token->echoMode(), QLineEdit::Password);
    QVERIFY(token->text().isEmpty());
    QVERIFY(dialog.token().isEmpty());
    token->setText(QStringLiteral("  s3cret \n"));
    QCOMPARE(dialog.token(), QStringLiteral("s3cret"));
  }

  void tokenIsPrefilled() {
    qputenv(kEnvironment, "from-environment");
    AttachDialog fromEnvironment;
    QCOMPARE(child<QLineEdit>(&fromEnvironment, "attachToken")->text(), QStringLiteral("from-environment"));
    QCOMPARE(fromEnvironment.token(), QStringLiteral("from-environment"));
    AttachDialog given(nullptr, TelemetryAccess{QStringLiteral("given"), {}, {}, {}, false});  // the last token used wins
    QCOMPARE(given.token(), QStringLiteral("given"));
  }

  void tlsFieldsGoIntoTheAccess() {
    AttachDialog dialog(nullptr, TelemetryAccess{QStringLiteral("t"), QStringLiteral("/last-ca.pem"), {}, {}, true});
    QPushButton* ok = dialog.findChild<QDialogButtonBox*>()->button(QDialogButtonBox::Ok);
    auto* insecure = child<QCheckBox>(&dialog, "attachInsecure");
    auto* warning = child<QLabel>(&dialog, "attachInsecureWarning");
    QVERIFY(insecure && warning);
    QVERIFY(!insecure->isChecked());  // never offered: chosen anew each time
    QCOMPARE(child<QLineEdit>(&dialog, "attachCaFile")->text(), QStringLiteral("/last-ca.pem"));
    child<QLineEdit>(&dialog, "attachAddress")->setText(QStringLiteral("tls|localhost|7443"));
    QVERIFY(ok->isEnabled());
    child<QLineEdit>(&dialog, "attachCertificateFile")->setText(QStringLiteral(" /me.pem "));
    QVERIFY(!ok->isEnabled());  // a certificate without its key
    child<QLineEdit>(&dialog, "attachKeyFile")->setText(QStringLiteral("/me.key"));
    QVERIFY(ok->isEnabled());
    dialog.show();
    QVERIFY(!warning->isVisible());
    insecure->setChecked(true);
    QVERIFY(warning->isVisible());
    const TelemetryAccess access = dialog.access();
    QCOMPARE(access.token, QStringLiteral("t"));
    QCOMPARE(access.caFile, QStringLiteral("/last-ca.pem"));
    QCOMPARE(access.certificateFile, QStringLiteral("/me.pem"));
    QCOMPARE(access.keyFile, QStringLiteral("/me.key"));
    QVERIFY(access.insecureSkipVerification);
    // The TLS files mean nothing to other transports.
    child<QLineEdit>(&dialog, "attachAddress")->setText(QStringLiteral("tcp|localhost|7099"));
    QVERIFY(dialog.access().caFile.isEmpty());
    QVERIFY(!dialog.access().insecureSkipVerification);
  }

  void insecureAttachSaysSoInTheStatusBar() {
    Session session;
    MainWindow window(session);
    TelemetryAccess access;
    access.insecureSkipVerification = true;
    QVERIFY(window.attach(QStringLiteral("tls|127.0.0.1|9"), access));
    QVERIFY2(window.statusBar()->currentMessage().startsWith(QLatin1String("INSECURE")),
             qPrintable(window.statusBar()->currentMessage()));
  }

  void attachPassesTheTokenToTheSource() {
    qunsetenv(kEnvironment);
    tofu::Options options;
    options.telemetryAddress = "tcp|127.0.0.1|0";
    options.telemetryToken = "window-token";
    options.telemetryFromEnvironment = false;
    tofu::qt::Engine served(options);
    QVERIFY2(served.isValid(), qPrintable(served.errorString()));

    Session session;
    MainWindow window(session);
    QAction* attach = attachAction(&window);
    QVERIFY(attach);
    QString offered;
    answerAttachDialog(&window, served.telemetryAddress(), QStringLiteral("window-token"), &offered);
    attach->trigger();  // returns when the dialog has been answered
    QVERIFY(offered.isEmpty());
    QCOMPARE(attached(session).size(), 1);
    auto* source = attached(session).front();
    QCOMPARE(source->name(), served.telemetryAddress());
    QVERIFY(source->hasToken());
    QTRY_COMPARE_WITH_TIMEOUT(source->state(), Source::State::connected, kWaitMs);
    QVERIFY(!source->isRefused());

    // The next Attach... offers the token just used. The first source goes first: a second
    // attach to an endpoint already attached is refused (issue 20).
    session.removeSource(source);
    answerAttachDialog(&window, served.telemetryAddress(), QStringLiteral("wrong"), &offered);
    attach->trigger();
    QCOMPARE(offered, QStringLiteral("window-token"));
    QCOMPARE(attached(session).size(), 1);
    auto* refused = attached(session).back();
    QTRY_VERIFY_WITH_TIMEOUT(refused->isRefused(), kWaitMs);
    QVERIFY(refused->stateReason().startsWith(QLatin1String("telemetry refused: wrong token")));
  }
};

QTEST_MAIN(TestAttachDialog)
#include "tst_attach_dialog.moc"
