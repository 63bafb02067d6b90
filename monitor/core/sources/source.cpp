#include "sources/source.h"

namespace tofu::monitor {

QString Source::engineName(std::uint64_t /*engineId*/) const { return name(); }

void Source::setState(State state, const QString& reason) {
  if (state == state_ && reason == stateReason_) {
    return;
  }
  state_ = state;
  stateReason_ = reason;
  emit stateChanged(state, reason);
}

}  // namespace tofu::monitor
