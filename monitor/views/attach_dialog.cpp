#include "attach_dialog.h"

#include <QCompleter>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>

namespace tofu::monitor {

AttachDialog::AttachDialog(QWidget* parent, const QString& token) : QDialog(parent) {
  setObjectName(QStringLiteral("attachDialog"));
  setWindowTitle(tr("Attach to a telemetry endpoint"));
  address_ = new QLineEdit(this);
  address_->setObjectName(QStringLiteral("attachAddress"));
  address_->setPlaceholderText(QStringLiteral("uds|/tmp/app.telemetry"));
  address_->setMinimumWidth(320);
  token_ = new QLineEdit(this);
  token_->setObjectName(QStringLiteral("attachToken"));
  token_->setEchoMode(QLineEdit::Password);
  token_->setPlaceholderText(tr("required for tcp|..., optional for uds|..."));
  token_->setText(token.isEmpty() ? qEnvironmentVariable("TOFU_TELEMETRY_TOKEN") : token);
  auto* help = new QLabel(tr("The address an engine serves telemetry on: <tt>TOFU_TELEMETRY=...</tt> or "
                             "<tt>tofu-cli listen ... --telemetry ADDRESS</tt>, and its token "
                             "(<tt>TOFU_TELEMETRY_TOKEN</tt>). A lost endpoint is shown as "
                             "disconnected and re-attached when it is back; a refused token is not retried."),
                          this);
  help->setWordWrap(true);
  buttons_ = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
  buttons_->button(QDialogButtonBox::Ok)->setText(tr("Attach"));
  buttons_->button(QDialogButtonBox::Ok)->setEnabled(false);
  connect(address_, &QLineEdit::textChanged, this, [this](const QString& text) {
    buttons_->button(QDialogButtonBox::Ok)->setEnabled(looksLikeAddress(text));
  });
  connect(buttons_, &QDialogButtonBox::accepted, this, &QDialog::accept);
  connect(buttons_, &QDialogButtonBox::rejected, this, &QDialog::reject);

  auto* layout = new QFormLayout(this);
  layout->addRow(tr("Address"), address_);
  layout->addRow(tr("Token"), token_);
  layout->addRow(help);
  layout->addRow(buttons_);
}

QString AttachDialog::address() const { return address_->text().trimmed(); }

QString AttachDialog::token() const { return token_->text().trimmed(); }

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
  return (trimmed.startsWith(QLatin1String("tcp|")) && trimmed.count(QLatin1Char('|')) == 2) ||
         (trimmed.startsWith(QLatin1String("uds|")) && trimmed.size() > 4);
}

}  // namespace tofu::monitor
