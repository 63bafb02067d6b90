// Colouring of the message log by status: StatusColorRules is the small list of rules (a
// status, a row background and a text colour), kept in QSettings under "log/statusColors"
// so a user can change or extend it; StatusColorProxy applies them to a TrafficModel's rows.
// GUI thread only.
#pragma once

#include <QColor>
#include <QIdentityProxyModel>
#include <QList>

#include <optional>

#include "tofu/status.h"

class QSettings;

namespace tofu::monitor {

struct StatusColorRule {
  tofu::Status status = tofu::Status::success;
  QColor background;
  QColor foreground;
};

class StatusColorRules {
 public:
  // Every failure status in red, receiver_update in amber; success rows keep the table's colours.
  static StatusColorRules defaults();
  // The rules stored in `settings`, or defaults() when none are. Entries that do not parse
  // ("name=#background/#foreground") are skipped.
  static StatusColorRules load(const QSettings& settings);
  void save(QSettings& settings) const;

  std::optional<StatusColorRule> find(tofu::Status status) const;
  QList<StatusColorRule> rules;
};

class StatusColorProxy : public QIdentityProxyModel {
  Q_OBJECT

 public:
  explicit StatusColorProxy(QObject* parent = nullptr);

  void setRules(const StatusColorRules& rules);
  const StatusColorRules& rules() const noexcept { return rules_; }
  // Background and foreground from the rule for the row's status (tofu::qt::StatusRole);
  // every other role passes through.
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;

 private:
  StatusColorRules rules_;
};

}  // namespace tofu::monitor
