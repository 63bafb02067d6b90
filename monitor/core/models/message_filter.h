// MessageFilterProxy: the message log's filter over a TrafficModel: opcode, channel, status,
// origin (application/engine), direction, a text-header match ("name:value" or a substring) and a
// body regex (on the whole content when the ContentStore has it, else on the preview).
// An empty criterion matches everything. With a TimeFormat it shows the time column as that
// format asks (absolute, relative, delta to the row above) and sorts it by wall-clock time
// across engines. GUI thread only.
#pragma once

#include <QRegularExpression>
#include <QSet>
#include <QSortFilterProxyModel>

#include <optional>

#include "tofu/message.h"
#include "tofu/qt/models/traffic_model.h"
#include "tofu/qt/models/traffic_record.h"

namespace tofu::monitor {

class ContentStore;
class TimeFormat;

class MessageFilterProxy : public QSortFilterProxyModel {
  Q_OBJECT

 public:
  explicit MessageFilterProxy(const ContentStore* content = nullptr, QObject* parent = nullptr);

  void setOpCodes(const QSet<tofu::OpCode>& opCodes);          // empty: any
  void setChannel(std::optional<quint16> channel);
  void setStatus(std::optional<tofu::Status> status);
  void setOrigin(std::optional<tofu::Origin> origin);
  void setDirection(std::optional<tofu::qt::Direction> direction);
  void setHeaderMatch(const QString& text);                    // "name:value", "name:" or any substring
  // False (and the filter unchanged) when the pattern does not compile; see errorString().
  bool setBodyPattern(const QString& pattern);
  void setSearchText(const QString& text);                     // any column's display text
  QString errorString() const { return error_; }
  // Borrowed; must outlive the proxy (the Session's). Null: times as the model shows them.
  void setTimeFormat(const TimeFormat* format);
  // Borrowed; must outlive the proxy. When the source model shows `model`'s rows row for row
  // (itself or identity proxies over it), times are read from its records rather than through
  // three data() calls per side: sorting a flood's new rows into the log makes ~35 comparisons
  // per row. Null: read through the source model.
  void setTrafficModel(const tofu::qt::TrafficModel* model) { traffic_ = model; }
  // Row `row`'s wall-clock time (ns since the Unix epoch).
  std::int64_t wallNsAt(int row) const;

  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;

 protected:
  bool filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const override;
  bool lessThan(const QModelIndex& left, const QModelIndex& right) const override;

 private:
  bool headersMatch(const QByteArray& textHeaders) const;
  bool searchMatches(int sourceRow, const QModelIndex& sourceParent) const;
  bool hasCriteria() const;
  std::int64_t wallNs(const QModelIndex& sourceIndex) const;

  const ContentStore* content_;
  const TimeFormat* time_ = nullptr;
  const tofu::qt::TrafficModel* traffic_ = nullptr;
  QSet<tofu::OpCode> opCodes_;
  std::optional<quint16> channel_;
  std::optional<tofu::Status> status_;
  std::optional<tofu::Origin> origin_;
  std::optional<tofu::qt::Direction> direction_;
  QString headerName_;   // "name:value" and "name:" match by name (case-insensitive) ...
  QString headerValue_;  // ... and a value substring; anything else is a raw substring
  bool headerByName_ = false;
  QRegularExpression bodyPattern_;
  QString search_;
  QString error_;
};

}  // namespace tofu::monitor
