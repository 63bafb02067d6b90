#include "models/message_filter.h"

#include "tofu/qt/models/model_roles.h"
#include "models/content_store.h"
#include "models/time_format.h"

namespace tofu::monitor {

using tofu::qt::TrafficRecord;

MessageFilterProxy::MessageFilterProxy(const ContentStore* content, QObject* parent)
    : QSortFilterProxyModel(parent), content_(content) {
  setSortRole(tofu::qt::SortRole);
}

void MessageFilterProxy::setOpCodes(const QSet<OpCode>& opCodes) {
  opCodes_ = opCodes;
  invalidateRowsFilter();
}

void MessageFilterProxy::setChannel(std::optional<quint16> channel) {
  channel_ = channel;
  invalidateRowsFilter();
}

void MessageFilterProxy::setStatus(std::optional<Status> status) {
  status_ = status;
  invalidateRowsFilter();
}

void MessageFilterProxy::setOrigin(std::optional<Origin> origin) {
  origin_ = origin;
  invalidateRowsFilter();
}

void MessageFilterProxy::setDirection(std::optional<tofu::qt::Direction> direction) {
  direction_ = direction;
  invalidateRowsFilter();
}

void MessageFilterProxy::setHeaderMatch(const QString& text) {
  const qsizetype colon = text.indexOf(QLatin1Char(':'));
  headerByName_ = colon > 0;
  headerName_ = headerByName_ ? text.left(colon).trimmed() : text;
  headerValue_ = headerByName_ ? text.mid(colon + 1).trimmed() : QString();
  invalidateRowsFilter();
}

bool MessageFilterProxy::setBodyPattern(const QString& pattern) {
  QRegularExpression compiled(pattern);
  if (!compiled.isValid()) {
    error_ = QStringLiteral("body pattern: %1 at offset %2").arg(compiled.errorString()).arg(compiled.patternErrorOffset());
    return false;
  }
  error_.clear();
  bodyPattern_ = compiled;
  invalidateRowsFilter();
  return true;
}

void MessageFilterProxy::setSearchText(const QString& text) {
  search_ = text;
  invalidateRowsFilter();
}

bool MessageFilterProxy::headersMatch(const QByteArray& textHeaders) const {
  const QString section = QString::fromUtf8(textHeaders);
  if (!headerByName_) {
    return section.contains(headerName_, Qt::CaseInsensitive);
  }
  for (const QString& line : section.split(QStringLiteral("\r\n"), Qt::SkipEmptyParts)) {
    const qsizetype colon = line.indexOf(QLatin1Char(':'));
    if (colon > 0 && line.left(colon).trimmed().compare(headerName_, Qt::CaseInsensitive) == 0 &&
        line.mid(colon + 1).contains(headerValue_, Qt::CaseInsensitive)) {
      return true;
    }
  }
  return false;
}

bool MessageFilterProxy::searchMatches(int sourceRow, const QModelIndex& sourceParent) const {
  const QAbstractItemModel* model = sourceModel();
  for (int column = 0; column < model->columnCount(sourceParent); ++column) {
    if (model->index(sourceRow, column, sourceParent).data().toString().contains(search_, Qt::CaseInsensitive)) {
      return true;
    }
  }
  return false;
}

void MessageFilterProxy::setTimeFormat(const TimeFormat* format) {
  if (time_ != nullptr) disconnect(time_, nullptr, this, nullptr);
  time_ = format;
  if (time_ != nullptr) {
    connect(time_, &TimeFormat::changed, this, [this] {
      if (rowCount() > 0) emit dataChanged(index(0, 0), index(rowCount() - 1, 0), {Qt::DisplayRole, Qt::ToolTipRole});
    });
  }
}

std::int64_t MessageFilterProxy::wallNs(const QModelIndex& sourceIndex) const {
  if (traffic_ != nullptr) {
    const TrafficRecord& record = traffic_->recordAt(sourceIndex.row());
    return time_ != nullptr ? time_->toWallNs(record.engineId, record.atNs) : record.atNs;
  }
  const QModelIndex first = sourceIndex.siblingAtColumn(static_cast<int>(tofu::qt::TrafficColumn::time));
  if (const QVariant wall = first.data(kWallNsRole); wall.isValid()) return wall.value<std::int64_t>();
  const auto atNs = first.data(tofu::qt::SortRole).value<std::int64_t>();
  return time_ != nullptr ? time_->toWallNs(first.data(tofu::qt::EngineIdRole).value<std::uint64_t>(), atNs) : atNs;
}

std::int64_t MessageFilterProxy::wallNsAt(int row) const { return wallNs(mapToSource(index(row, 0))); }

QVariant MessageFilterProxy::data(const QModelIndex& index, int role) const {
  if (time_ == nullptr || index.column() != static_cast<int>(tofu::qt::TrafficColumn::time) ||
      (role != Qt::DisplayRole && role != Qt::ToolTipRole)) {
    return QSortFilterProxyModel::data(index, role);
  }
  const std::int64_t at = wallNsAt(index.row());
  if (role == Qt::ToolTipRole) return time_->formatFull(at);
  return time_->format(at, index.row() > 0 ? std::optional(wallNsAt(index.row() - 1)) : std::nullopt);
}

bool MessageFilterProxy::lessThan(const QModelIndex& left, const QModelIndex& right) const {
  if (left.column() == static_cast<int>(tofu::qt::TrafficColumn::time)) return wallNs(left) < wallNs(right);
  return QSortFilterProxyModel::lessThan(left, right);
}

bool MessageFilterProxy::hasCriteria() const {
  return !opCodes_.isEmpty() || channel_ || status_ || origin_ || direction_ || !headerName_.isEmpty() ||
         !bodyPattern_.pattern().isEmpty() || !search_.isEmpty();
}

bool MessageFilterProxy::filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const {
  if (!hasCriteria()) {
    return true;  // a paged log is not read row by row just to show it
  }
  const QVariant value = sourceModel()->index(sourceRow, 0, sourceParent).data(tofu::qt::RecordRole);
  if (!value.canConvert<TrafficRecord>()) {
    return true;  // not a message log: nothing to filter on
  }
  const TrafficRecord preview = value.value<TrafficRecord>();
  const BinaryHeader& header = preview.header;
  if ((!opCodes_.isEmpty() && !opCodes_.contains(header.proto.opCode)) ||
      (channel_ && *channel_ != preview.channelNumber) || (status_ && *status_ != header.status) ||
      (origin_ && *origin_ != header.proto.origin) || (direction_ && *direction_ != preview.direction)) {
    return false;
  }
  if (headerName_.isEmpty() && bodyPattern_.pattern().isEmpty() && search_.isEmpty()) {
    return true;
  }
  // Text criteria look at the whole message when the store still has it.
  const std::optional<TrafficRecord> whole =
      preview.contentComplete || content_ == nullptr ? std::nullopt : content_->find(preview);
  const TrafficRecord& record = whole ? *whole : preview;
  if (!headerName_.isEmpty() && !headersMatch(record.textHeaders)) {
    return false;
  }
  if (!bodyPattern_.pattern().isEmpty() && !bodyPattern_.match(QString::fromUtf8(record.body)).hasMatch()) {
    return false;
  }
  return search_.isEmpty() || searchMatches(sourceRow, sourceParent);
}

}  // namespace tofu::monitor
