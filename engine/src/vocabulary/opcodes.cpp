// The opcode catalogue of PROTOCOL.md 2.4 as one table indexed by opcode value: names,
// message types, roles and echoes. Part of the vocabulary (no engine state), which
// tofu_telemetry shares.
#include <array>
#include <cstddef>
#include <optional>

#include "tofu/message.h"

namespace tofu {
namespace {

struct OpCodeInfo {
  const char* name;
  MessageType type;
  MessageRole role;
  std::optional<OpCode> echo;
};

using T = MessageType;
using R = MessageRole;

constexpr std::array<OpCodeInfo, kMaxValidOpCode + 1> kOpCodes{{
    {"Request", T::regular, R::request, OpCode::Response},
    {"Response", T::regular, R::response, std::nullopt},
    {"Signal", T::regular, R::signal, OpCode::Signal},
    {"HelloRequest", T::hello, R::request, OpCode::HelloResponse},
    {"HelloResponse", T::hello, R::response, std::nullopt},
    {"ByeRequest", T::bye, R::request, OpCode::ByeResponse},
    {"ByeResponse", T::bye, R::response, std::nullopt},
    {"ByeSignal", T::bye, R::signal, std::nullopt},
    {"WelcomeRequest", T::welcome, R::request, OpCode::WelcomeResponse},
    {"WelcomeResponse", T::welcome, R::response, std::nullopt},
}};

// Opcodes 10..15 fit in the proto nibble but mean nothing; they read as a nameless regular
// request with no reply so callers never index past the table.
constexpr OpCodeInfo kInvalidOpCode{"invalid", T::regular, R::request, std::nullopt};

const OpCodeInfo& infoOf(OpCode op) noexcept {
  return isValidOpCode(op) ? kOpCodes[static_cast<std::size_t>(op)] : kInvalidOpCode;
}

}  // namespace

MessageType typeOf(OpCode op) noexcept { return infoOf(op).type; }

MessageRole roleOf(OpCode op) noexcept { return infoOf(op).role; }

bool echoOf(OpCode op, OpCode& reply) noexcept {
  const std::optional<OpCode>& echo = infoOf(op).echo;
  if (!echo) return false;
  reply = *echo;
  return true;
}

const char* toString(OpCode op) noexcept { return infoOf(op).name; }

const char* toString(Origin origin) noexcept {
  switch (origin) {
    case Origin::application:
      return "application";
    case Origin::engine:
      return "engine";
  }
  return "invalid";
}

}  // namespace tofu
