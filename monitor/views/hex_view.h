// HexView: a whole byte array as a classic hex dump (offset, 16 bytes in hex, ASCII). Only the
// visible lines are painted, so a body of any size is shown in full and scrolls smoothly;
// nothing is ever truncated. Holds a copy of the bytes it shows (implicitly shared).
// GUI thread only.
#pragma once

#include <QAbstractScrollArea>
#include <QByteArray>

namespace tofu::monitor {

class HexView : public QAbstractScrollArea {
  Q_OBJECT

 public:
  static constexpr int kBytesPerLine = 16;

  explicit HexView(QWidget* parent = nullptr);

  void setData(const QByteArray& data);
  const QByteArray& data() const noexcept { return data_; }
  qsizetype lineCount() const noexcept;
  // One line of the dump, exactly as painted: "00000010  48 65 ...  |He..|".
  QString lineText(qsizetype line) const;
  // The whole dump, for the clipboard.
  QString dumpText() const;

 protected:
  void paintEvent(QPaintEvent* event) override;
  void resizeEvent(QResizeEvent* event) override;
  void keyPressEvent(QKeyEvent* event) override;

 private:
  void updateScrollBars();
  int lineHeight() const;

  QByteArray data_;
};

}  // namespace tofu::monitor
