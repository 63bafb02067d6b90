#include "bench_types.h"

namespace bench {

const char* toString(Transport transport) noexcept {
  switch (transport) {
    case Transport::tcp:
      return "tcp";
    case Transport::uds:
      return "uds";
    case Transport::tls:
      return "tls";
  }
  return "?";
}

const char* toString(Kind kind) noexcept {
  switch (kind) {
    case Kind::throughput:
      return "throughput";
    case Kind::roundTrip:
      return "roundtrip";
    case Kind::setup:
      return "setup";
    case Kind::scaling:
      return "scaling";
  }
  return "?";
}

const char* toString(Impl impl) noexcept {
  switch (impl) {
    case Impl::tofuDefaults:
      return "tofu-defaults";
    case Impl::tofu:
      return "tofu";
    case Impl::tofuObserved:
      return "tofu-observed";
    case Impl::tofuObservedPayloads:
      return "tofu-observed-payloads";
    case Impl::tofuNoSpin:
      return "tofu-nospin";
    case Impl::rawBatched:
      return "raw-batched";
    case Impl::rawPerFrame:
      return "raw-per-frame";
    case Impl::raw:
      return "raw";
    case Impl::rawPolling:
      return "raw-polling";
    case Impl::zmq:
      return "zmq";
  }
  return "?";
}

std::string Case::label() const {
  std::string text = std::string(toString(key.kind)) + "/" + toString(impl) + "/" + toString(key.transport);
  if (key.kind == Kind::setup) return text;
  if (key.kind != Kind::roundTrip) text += "/" + std::to_string(key.channels) + "ch";
  return text + "/" + std::to_string(key.body) + "B";
}

}  // namespace bench
