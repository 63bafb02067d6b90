#include "attach_dialog.h"

#include <QCheckBox>
#include <QCompleter>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>

namespace tofu::monitor {

namespace {

QLineEdit* fileField(QWidget* parent, const char* name, const QString& text, const QString& placeholder) {
  auto* field = new QLineEdit(text, parent);
  field->setObjectName(QLatin1String(name));
  field->setPlaceholderText(placeholder);
  return field;
}

}  // namespace

AttachDialog::AttachDialog(QWidget* parent, const TelemetryAccess& offered) : QDialog(parent) {
  setObjectName(QStringLiteral("attachDialog"));
  setWindowTitle(tr("Attach to a telemetry endpoint"));
  address_ = new QLineEdit(this);
  address_->setObjectName(QStringLiteral("attachAddress"));
  address_->setPlaceholderText(QStringLiteral("uds|/tmp/app.telemetry, tls|host|port"));
  address_->setMinimumWidth(320);
  token_ = new QLineEdit(this);
  token_->setObjectName(QStringLiteral("attachToken"));
  token_->setEchoMode(QLineEdit::Password);
  token_->setPlaceholderText(tr("required for tcp|... and tls|..., optional for uds|..."));
  token_->setText(offered.token.isEmpty() ? qEnvironmentVariable("TOFU_TELEMETRY_TOKEN") : offered.token);
  caFile_ = fileField(this, "attachCaFile", offered.caFile, tr("tls: CA file (PEM); empty: the system's CAs"));
  certificateFile_ = fileField(this, "attachCertificateFile", offered.certificateFile,
                               tr("tls: client certificate (PEM), for endpoints that ask"));
  keyFile_ = fileField(this, "attachKeyFile", offered.keyFile, tr("tls: the client certificate's key (PEM)"));
  insecure_ = new QCheckBox(tr("INSECURE: do not verify the endpoint's certificate (tests only)"), this);
  insecure_->setObjectName(QStringLiteral("attachInsecure"));
  insecureWarning_ = new QLabel(tr("<b>Anyone on the path can read and change this telemetry.</b>"), this);
  insecureWarning_->setObjectName(QStringLiteral("attachInsecureWarning"));
  insecureWarning_->setStyleSheet(QStringLiteral("color: #c62828;"));
  insecureWarning_->setVisible(false);
  connect(insecure_, &QCheckBox::toggled, insecureWarning_, &QLabel::setVisible);
  auto* help = new QLabel(tr("The address an engine serves telemetry on: <tt>TOFU_TELEMETRY=...</tt> or "
                             "<tt>tofu-cli listen ... --telemetry ADDRESS</tt>, and its token "
                             "(<tt>TOFU_TELEMETRY_TOKEN</tt>). A lost endpoint is shown as "
                             "disconnected and re-attached when it is back; a refused token is not retried. "
                             "The TLS files apply to <tt>tls|...</tt> addresses only."),
                          this);
  help->setWordWrap(true);
  buttons_ = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
  buttons_->button(QDialogButtonBox::Ok)->setText(tr("Attach"));
  buttons_->button(QDialogButtonBox::Ok)->setEnabled(false);
  connect(address_, &QLineEdit::textChanged, this, &AttachDialog::updateButtons);
  connect(certificateFile_, &QLineEdit::textChanged, this, &AttachDialog::updateButtons);
  connect(keyFile_, &QLineEdit::textChanged, this, &AttachDialog::updateButtons);
  connect(buttons_, &QDialogButtonBox::accepted, this, &QDialog::accept);
  connect(buttons_, &QDialogButtonBox::rejected, this, &QDialog::reject);

  auto* layout = new QFormLayout(this);
  layout->addRow(tr("Address"), address_);
  layout->addRow(tr("Token"), token_);
  layout->addRow(tr("CA file"), caFile_);
  layout->addRow(tr("Client certificate"), certificateFile_);
  layout->addRow(tr("Client key"), keyFile_);
  layout->addRow(insecure_);
  layout->addRow(insecureWarning_);
  layout->addRow(help);
  layout->addRow(buttons_);
}

QString AttachDialog::address() const { return address_->text().trimmed(); }

QString AttachDialog::token() const { return token_->text().trimmed(); }

TelemetryAccess AttachDialog::access() const {
  TelemetryAccess access{token(), {}, {}, {}, false};
  if (address().startsWith(QLatin1String("tls|"))) {
    access.caFile = caFile_->text().trimmed();
    access.certificateFile = certificateFile_->text().trimmed();
    access.keyFile = keyFile_->text().trimmed();
    access.insecureSkipVerification = insecure_->isChecked();
  }
  return access;
}

// A client certificate needs its key and the other way round.
void AttachDialog::updateButtons() {
  const bool pairComplete =
      certificateFile_->text().trimmed().isEmpty() == keyFile_->text().trimmed().isEmpty();
  buttons_->button(QDialogButtonBox::Ok)->setEnabled(looksLikeAddress(address_->text()) && pairComplete);
}

void AttachDialog::setRecentAddresses(const QStringList& recent) {
  auto* completer = new QCompleter(recent, address_);
  completer->setCompletionMode(QCompleter::UnfilteredPopupCompletion);
  address_->setCompleter(completer);
  if (address_->text().isEmpty() && !recent.isEmpty()) {
    address_->setText(recent.front());
    address_->selectAll();
  }
}

bool AttachDialog::looksLikeAddress(const QString& text) {
  const QString trimmed = text.trimmed();
  const bool hostAndPort = trimmed.startsWith(QLatin1String("tcp|")) || trimmed.startsWith(QLatin1String("tls|"));
  return (hostAndPort && trimmed.count(QLatin1Char('|')) == 2) ||
         (trimmed.startsWith(QLatin1String("uds|")) && trimmed.size() > 4);
}

}  // namespace tofu::monitor
