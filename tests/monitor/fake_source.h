// FakeSource: a monitor Source the test drives by hand (emit its signals, set its state),
// shared by the monitor core tests. Test thread only.
#pragma once

#include <QString>

#include "sources/source.h"

namespace tofu::monitor::test {

class FakeSource : public Source {
 public:
  explicit FakeSource(const QString& name, State initial = State::connected) : name_(name) { setState(initial); }
  QString name() const override { return name_; }
  QString kindName() const override { return QStringLiteral("fake"); }
  void set(State state, const QString& reason = {}) { setState(state, reason); }
  quint64 droppedEvents() const override { return dropped; }

  quint64 dropped = 0;

 private:
  QString name_;
};

}  // namespace tofu::monitor::test
