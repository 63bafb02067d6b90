// AttachDialog: asks for a telemetry address ("uds|/tmp/app.telemetry", "tcp|host|port") to
// attach to; the address is checked for a known transport before OK is enabled. A token field
// (password echo) holds the endpoint's telemetry token, prefilled with `token` or else with
// TOFU_TELEMETRY_TOKEN; a TCP endpoint always needs one (docs/telemetry.md, "Access and limits").
#pragma once

#include <QDialog>

class QDialogButtonBox;
class QLineEdit;

namespace tofu::monitor {

class AttachDialog : public QDialog {
  Q_OBJECT

 public:
  explicit AttachDialog(QWidget* parent = nullptr, const QString& token = {});
  QString address() const;
  QString token() const;  // trimmed; empty: none
  // Addresses attached to before, newest first: the first fills the field, all are offered
  // as completions.
  void setRecentAddresses(const QStringList& recent);
  static bool looksLikeAddress(const QString& text);

 private:
  QLineEdit* address_ = nullptr;
  QLineEdit* token_ = nullptr;
  QDialogButtonBox* buttons_ = nullptr;
};

}  // namespace tofu::monitor
