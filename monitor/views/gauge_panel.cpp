#include "gauge_panel.h"

#include <QPainter>

#include <algorithm>

#include "models/engine_list_model.h"
#include "palette.h"
#include "tofu/qt/models/model_roles.h"

namespace tofu::monitor {

namespace {

constexpr int kRowHeight = 16;
constexpr int kEngineHeight = 3 * kRowHeight + 8;
constexpr double kQueueScale = 1000;  // a queue of this many messages fills its bar

double number(const QModelIndex& index) {
  const QVariant sortable = index.data(tofu::qt::SortRole);
  return (sortable.isValid() ? sortable : index.data(Qt::DisplayRole)).toDouble();
}

void drawBar(QPainter& painter, const QRect& rect, double fraction, const QColor& color, const QString& text) {
  painter.setPen(Qt::NoPen);
  painter.setBrush(QColor(0xe8, 0xea, 0xee));
  painter.drawRoundedRect(rect, 3, 3);
  QRect filled = rect;
  filled.setWidth(static_cast<int>(rect.width() * std::clamp(fraction, 0.0, 1.0)));
  painter.setBrush(color);
  if (filled.width() > 0) painter.drawRoundedRect(filled, 3, 3);
  painter.setPen(QColor(0x20, 0x20, 0x20));
  painter.drawText(rect.adjusted(5, 0, -4, 0), Qt::AlignVCenter | Qt::AlignLeft, text);
}

}  // namespace

GaugePanel::GaugePanel(EngineListModel& model, QWidget* parent) : QWidget(parent), model_(model) {
  setObjectName(QStringLiteral("engineGauges"));
  const auto repaint = [this] {
    updateGeometry();
    update();
  };
  connect(&model, &QAbstractItemModel::dataChanged, this, [this] { update(); });
  connect(&model, &QAbstractItemModel::rowsInserted, this, repaint);
  connect(&model, &QAbstractItemModel::rowsRemoved, this, repaint);
  connect(&model, &QAbstractItemModel::modelReset, this, repaint);
}

int GaugePanel::engineCount() const {
  int count = 0;
  for (int source = 0; source < model_.rowCount(); ++source) count += model_.rowCount(model_.index(source, 0));
  return count;
}

QSize GaugePanel::sizeHint() const { return {260, std::max(1, engineCount()) * kEngineHeight + 8}; }

void GaugePanel::paintEvent(QPaintEvent*) {
  QPainter painter(this);
  painter.setRenderHint(QPainter::Antialiasing);
  const int width = this->width() - 8;
  int y = 4;
  if (engineCount() == 0) {
    painter.setPen(palette().color(QPalette::PlaceholderText));
    painter.drawText(rect(), Qt::AlignCenter, tr("No engines yet"));
    return;
  }
  for (int source = 0; source < model_.rowCount(); ++source) {
    const QModelIndex sourceIndex = model_.index(source, 0);
    const auto state = static_cast<Source::State>(sourceIndex.data(tofu::qt::StateRole).toInt());
    const bool live = state != Source::State::disconnected;
    for (int engine = 0; engine < model_.rowCount(sourceIndex); ++engine) {
      const auto cell = [&](int column) { return model_.index(engine, column, sourceIndex); };
      const double inUse = number(cell(EngineListModel::poolInUse));
      const double allocated = number(cell(EngineListModel::poolAllocated));
      const double queued = number(cell(EngineListModel::queued));
      const double empties = number(cell(EngineListModel::poolEmptyEpisodes));
      painter.setOpacity(live ? 1.0 : 0.45);
      painter.setPen(palette().color(QPalette::WindowText));
      QFont bold = font();
      bold.setBold(true);
      painter.setFont(bold);
      painter.drawText(QRect(4, y, width, kRowHeight), Qt::AlignVCenter | Qt::AlignLeft,
                       cell(EngineListModel::name).data().toString() + (live ? QString() : tr("  (disconnected)")));
      painter.setFont(font());
      y += kRowHeight + 1;
      drawBar(painter, QRect(4, y, width, kRowHeight - 2), allocated > 0 ? inUse / allocated : 0, QColor(0x6b, 0xa8, 0xe5),
              tr("pool %1 in use of %2 · %3 empty episodes").arg(compactNumber(inUse), compactNumber(allocated),
                                                                  compactNumber(empties)));
      y += kRowHeight;
      drawBar(painter, QRect(4, y, width, kRowHeight - 2), queued / kQueueScale,
              queued > kQueueScale / 2 ? stateColor(tofu::ChannelState::closing) : QColor(0x8f, 0xd1, 0x9e),
              tr("queued %1 messages").arg(compactNumber(queued)));
      y += kRowHeight + 7;
    }
  }
  painter.setOpacity(1.0);
}

}  // namespace tofu::monitor
