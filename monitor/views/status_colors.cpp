#include "status_colors.h"

#include <QSettings>

#include "tofu/qt/models/model_roles.h"

namespace tofu::monitor {

namespace {

const QString kSettingsKey = QStringLiteral("log/statusColors");

std::optional<tofu::Status> statusNamed(QStringView name) {
  for (int value = 0; value < tofu::kStatusCount; ++value) {
    const auto status = static_cast<tofu::Status>(value);
    if (name == QLatin1String(tofu::toString(status))) return status;
  }
  return std::nullopt;
}

// "connect_failed=#f8d7da/#842029"
std::optional<StatusColorRule> parseRule(const QString& text) {
  const qsizetype equals = text.indexOf(QLatin1Char('='));
  if (equals < 0) return std::nullopt;
  const auto status = statusNamed(QStringView(text).left(equals).trimmed());
  const QStringList colors = text.mid(equals + 1).split(QLatin1Char('/'));
  if (!status || colors.size() != 2) return std::nullopt;
  const QColor background = QColor::fromString(colors[0].trimmed());
  const QColor foreground = QColor::fromString(colors[1].trimmed());
  if (!background.isValid() || !foreground.isValid()) return std::nullopt;
  return StatusColorRule{*status, background, foreground};
}

}  // namespace

StatusColorRules StatusColorRules::defaults() {
  StatusColorRules defaults;
  for (int value = 0; value < tofu::kStatusCount; ++value) {
    const auto status = static_cast<tofu::Status>(value);
    if (tofu::isFailure(status))
      defaults.rules.append({status, QColor(0xf8, 0xd7, 0xda), QColor(0x84, 0x20, 0x29)});
    else if (status != tofu::Status::success)
      defaults.rules.append({status, QColor(0xff, 0xf3, 0xcd), QColor(0x66, 0x4d, 0x03)});
  }
  return defaults;
}

StatusColorRules StatusColorRules::load(const QSettings& settings) {
  if (!settings.contains(kSettingsKey)) return defaults();
  StatusColorRules loaded;
  for (const QString& entry : settings.value(kSettingsKey).toStringList())
    if (const auto rule = parseRule(entry)) loaded.rules.append(*rule);
  return loaded;
}

void StatusColorRules::save(QSettings& settings) const {
  QStringList entries;
  for (const StatusColorRule& rule : rules)
    entries.append(QStringLiteral("%1=%2/%3").arg(QLatin1String(tofu::toString(rule.status)), rule.background.name(),
                                                  rule.foreground.name()));
  settings.setValue(kSettingsKey, entries);
}

std::optional<StatusColorRule> StatusColorRules::find(tofu::Status status) const {
  for (const StatusColorRule& rule : rules)
    if (rule.status == status) return rule;
  return std::nullopt;
}

StatusColorProxy::StatusColorProxy(QObject* parent) : QIdentityProxyModel(parent), rules_(StatusColorRules::defaults()) {}

void StatusColorProxy::setRules(const StatusColorRules& rules) {
  rules_ = rules;
  if (rowCount() > 0)
    emit dataChanged(index(0, 0), index(rowCount() - 1, columnCount() - 1), {Qt::BackgroundRole, Qt::ForegroundRole});
}

QVariant StatusColorProxy::data(const QModelIndex& index, int role) const {
  if (role != Qt::BackgroundRole && role != Qt::ForegroundRole) return QIdentityProxyModel::data(index, role);
  const QVariant status = QIdentityProxyModel::data(index, tofu::qt::StatusRole);
  if (!status.isValid()) return {};
  const auto rule = rules_.find(static_cast<tofu::Status>(status.toInt()));
  if (!rule) return {};
  return role == Qt::BackgroundRole ? rule->background : rule->foreground;
}

}  // namespace tofu::monitor
