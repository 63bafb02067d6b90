// AttachDialog: asks for a telemetry address ("uds|/tmp/app.telemetry", "tcp|host|port",
// "tls|host|port") to attach to; the address is checked for a known transport before OK is
// enabled. A token field (password echo) holds the endpoint's telemetry token, prefilled from
// `offered` or else with TOFU_TELEMETRY_TOKEN; a TCP endpoint always needs one, a TLS one unless
// it asks for client certificates (docs/telemetry.md, "Access and limits"). For tls|...: a CA
// file, an optional client certificate and key, and an "insecure" box, never pre-checked, that
// turns the endpoint's certificate check off and says in red what that means. GUI thread only.
#pragma once

#include <QDialog>

#include "sources/telemetry_source.h"

class QCheckBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;

namespace tofu::monitor {

class AttachDialog : public QDialog {
  Q_OBJECT

 public:
  // `offered`: the token and TLS files to prefill (its insecure choice is ignored).
  explicit AttachDialog(QWidget* parent = nullptr, const TelemetryAccess& offered = {});
  QString address() const;
  QString token() const;  // trimmed; empty: none
  // The token and, for a tls address, the TLS files and the insecure choice (trimmed paths).
  TelemetryAccess access() const;
  // Addresses attached to before, newest first: the first fills the field, all are offered
  // as completions.
  void setRecentAddresses(const QStringList& recent);
  static bool looksLikeAddress(const QString& text);

 private:
  void updateButtons();

  QLineEdit* address_ = nullptr;
  QLineEdit* token_ = nullptr;
  QLineEdit* caFile_ = nullptr;
  QLineEdit* certificateFile_ = nullptr;
  QLineEdit* keyFile_ = nullptr;
  QCheckBox* insecure_ = nullptr;
  QLabel* insecureWarning_ = nullptr;
  QDialogButtonBox* buttons_ = nullptr;
};

}  // namespace tofu::monitor
