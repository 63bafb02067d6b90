#include "attach_dialog.h"

#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>

namespace tofu::monitor {

AttachDialog::AttachDialog(QWidget* parent) : QDialog(parent) {
  setObjectName(QStringLiteral("attachDialog"));
  setWindowTitle(tr("Attach to a telemetry endpoint"));
  address_ = new QLineEdit(this);
  address_->setObjectName(QStringLiteral("attachAddress"));
  address_->setPlaceholderText(QStringLiteral("uds|/tmp/app.telemetry"));
  address_->setMinimumWidth(320);
  auto* help = new QLabel(tr("The address an engine serves telemetry on: <tt>TOFU_TELEMETRY=...</tt> or "
                             "<tt>tofu-cli listen ... --telemetry ADDRESS</tt>. A lost endpoint is shown as "
                             "disconnected and re-attached when it is back."),
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
  layout->addRow(help);
  layout->addRow(buttons_);
}

QString AttachDialog::address() const { return address_->text().trimmed(); }

bool AttachDialog::looksLikeAddress(const QString& text) {
  const QString trimmed = text.trimmed();
  return (trimmed.startsWith(QLatin1String("tcp|")) && trimmed.count(QLatin1Char('|')) == 2) ||
         (trimmed.startsWith(QLatin1String("uds|")) && trimmed.size() > 4);
}

}  // namespace tofu::monitor
