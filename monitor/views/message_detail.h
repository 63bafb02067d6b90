// MessageDetail: one message in full: the binary header decoded field by field, the text
// headers as a table, and the body as hex + ASCII, as UTF-8 text and as pretty JSON when it
// parses. Bodies are shown whole; when only the engine's preview is known a banner says
// "preview: first N of M bytes". Holds a copy of the record it shows. GUI thread only.
#pragma once

#include <QWidget>

#include "tofu/qt/models/traffic_record.h"

class QLabel;
class QPlainTextEdit;
class QTableWidget;
class QTabWidget;

namespace tofu::monitor {

class HexView;

class MessageDetail : public QWidget {
  Q_OBJECT

 public:
  enum BodyTab { hexTab, textTab, jsonTab };

  explicit MessageDetail(QWidget* parent = nullptr);

  void showRecord(const tofu::qt::TrafficRecord& record);
  void clear();
  bool hasRecord() const noexcept { return hasRecord_; }

 private:
  void fillHeaderFields(const tofu::qt::TrafficRecord& record);
  void fillTextHeaders(const tofu::qt::TrafficRecord& record);
  void fillBody(const QByteArray& body);
  void updatePreviewBanner(const tofu::qt::TrafficRecord& record);

  QLabel* summary_ = nullptr;
  QLabel* previewBanner_ = nullptr;
  QTableWidget* headerFields_ = nullptr;
  QTableWidget* textHeaders_ = nullptr;
  QTabWidget* bodyTabs_ = nullptr;
  HexView* hex_ = nullptr;
  QPlainTextEdit* text_ = nullptr;
  QPlainTextEdit* json_ = nullptr;
  bool hasRecord_ = false;
  bool userChoseTab_ = false;  // once the user picks a body tab, new records keep it
};

}  // namespace tofu::monitor
