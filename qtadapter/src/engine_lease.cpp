#include "engine_lease.h"

#include <algorithm>
#include <utility>

#include "tofu/qt/engine.h"

namespace tofu::qt {

EngineLease::EngineLease(Engine& engine, std::function<void()> detach)
    : engine_(&engine), detach_(std::move(detach)) {
  engine.leases_.push_back(this);
}

EngineLease::~EngineLease() {
  if (engine_ != nullptr) {
    std::erase(engine_->leases_, this);
  }
}

void EngineLease::detach() {
  detach_();
  engine_ = nullptr;
}

}  // namespace tofu::qt
