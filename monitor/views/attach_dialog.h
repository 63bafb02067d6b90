// AttachDialog: asks for a telemetry address ("uds|/tmp/app.telemetry", "tcp|host|port") to
// attach to; the address is checked for a known transport before OK is enabled.
#pragma once

#include <QDialog>

class QDialogButtonBox;
class QLineEdit;

namespace tofu::monitor {

class AttachDialog : public QDialog {
  Q_OBJECT

 public:
  explicit AttachDialog(QWidget* parent = nullptr);
  QString address() const;
  static bool looksLikeAddress(const QString& text);

 private:
  QLineEdit* address_ = nullptr;
  QDialogButtonBox* buttons_ = nullptr;
};

}  // namespace tofu::monitor
