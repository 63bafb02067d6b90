// The address fuzz check (fuzz_address): Address::parse against B8 (and a reason for every
// refusal), printing back, and the address carried through HelloRequest/WelcomeRequest
// headers and the wire codec.
// Header-only; single-threaded.
#pragma once

#include "fuzz_support.h"
#include "fuzz_text_header_checks.h"

namespace tofu::fuzz {
namespace impl {

inline std::vector<std::string_view> splitParts(std::string_view value) {
  std::vector<std::string_view> parts;
  for (;;) {
    const std::size_t bar = value.find('|');
    parts.push_back(value.substr(0, bar));
    if (bar == std::string_view::npos) return parts;
    value.remove_prefix(bar + 1);
  }
}

inline std::optional<unsigned> decimalPort(std::string_view text) noexcept {
  if (text.empty() || text.size() > 5) return std::nullopt;
  unsigned value = 0;
  for (const char digit : text) {
    if (digit < '0' || digit > '9') return std::nullopt;
    value = value * 10 + static_cast<unsigned>(digit - '0');
  }
  if (value > 65535) return std::nullopt;
  return value;
}

// Characters every host or path parser must take: printable ASCII without blanks and '|'.
inline bool plainText(std::string_view text) noexcept {
  return std::all_of(text.begin(), text.end(), [](char c) { return c > ' ' && c < 0x7F && c != '|'; });
}

// The request `address` goes into, as the application would build it; then back out of the
// message, and out of the same frame after a trip through the wire codec and the decoder.
inline void checkRequestRoundTrip(const Address& address, OpCode op) {
  const bool hello = op == OpCode::HelloRequest;
  const std::string_view headerName = hello ? kConnectToHeader : kListenOnHeader;
  MessagePtr message = Message::create();
  // Unrelated headers and the body survive (address.h); the address header follows them.
  TOFU_FUZZ_CHECK(message->headers().append("x-fuzz", "1") == HeaderCheck::ok);
  message->body().append("payload");
  message->setMessageId(99);
  const Status status =
      hello ? prepareHelloRequest(*message, address) : prepareWelcomeRequest(*message, address);
  TOFU_FUZZ_CHECK(status == Status::success);
  TOFU_FUZZ_CHECK(message->header() == BinaryHeader::forOpCode(op));
  TOFU_FUZZ_CHECK(message->headers().buffer().view() ==
                  "x-fuzz:1\r\n" + std::string(headerName) + ":" + address.toString() + "\r\n");
  TOFU_FUZZ_CHECK(message->body().view() == "payload");

  const Result<Address> back = addressOf(*message);
  TOFU_FUZZ_CHECK(back.ok());
  TOFU_FUZZ_CHECK(back.value() == address);

  // The other request kind must refuse this header kind (B8).
  message->setOpCode(hello ? OpCode::WelcomeRequest : OpCode::HelloRequest);
  TOFU_FUZZ_CHECK(addressOf(*message).status() == Status::invalid_address);
  message->setOpCode(op);
  if (!hello) return;  // WelcomeRequests never travel

  const std::vector<std::uint8_t> wire = encodeFrame(*message);
  FrameDecoder decoder;
  std::size_t consumed = 0;
  TOFU_FUZZ_CHECK(decoder.feed(wire.data(), wire.size(), consumed) == FrameDecoder::Event::needMessage);
  decoder.attachMessage(Message::create());
  std::size_t rest = 0;
  TOFU_FUZZ_CHECK(decoder.feed(wire.data() + consumed, wire.size() - consumed, rest) ==
                  FrameDecoder::Event::frameComplete);
  const MessagePtr received = decoder.takeFrame();
  TOFU_FUZZ_CHECK(received != nullptr);
  const Result<Address> remote = addressOf(*received);
  TOFU_FUZZ_CHECK(remote.ok());
  TOFU_FUZZ_CHECK(remote.value() == address);
}

}  // namespace impl

// fuzz_address: the input is an address header value (`tcp|host|port`, `tls|host|port`,
// `uds|path`); it is also read as a whole text-header section of a HelloRequest.
inline void checkAddress(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = impl::asText(data, size);
  const Result<Address> parsed = Address::parse(input);
  const std::vector<std::string_view> parts = impl::splitParts(input);
  const bool tls = parts[0] == "tls";
  const bool tcp = parts[0] == "tcp" || tls;  // tls|HOST|PORT follows tcp's rules (B17)
  const bool uds = parts[0] == "uds";

  // B8: what must be refused.
  if (!tcp && !uds) TOFU_FUZZ_CHECK(!parsed.ok());
  if (tcp && (parts.size() != 3 || parts[1].empty() || !impl::decimalPort(parts[2]))) {
    TOFU_FUZZ_CHECK(!parsed.ok());
  }
  if (uds && (parts.size() != 2 || parts[1].empty() || parts[1].size() > kMaxUdsPathLength)) {
    TOFU_FUZZ_CHECK(!parsed.ok());
  }
  // ... and what must be accepted: plain hosts and paths within the limits.
  if (tcp && parts.size() == 3 && !parts[1].empty() && parts[1].size() <= 255 && impl::plainText(parts[1]) &&
      impl::decimalPort(parts[2])) {
    TOFU_FUZZ_CHECK(parsed.ok());
  }
  if (uds && parts.size() == 2 && !parts[1].empty() && parts[1].size() <= kMaxUdsPathLength &&
      impl::plainText(parts[1])) {
    TOFU_FUZZ_CHECK(parsed.ok());
  }
  if (!parsed.ok()) {
    TOFU_FUZZ_CHECK(parsed.status() == Status::invalid_address);
    // Every refusal has its reason, naming the form that was expected.
    for (const AddressUse use : {AddressUse::connect, AddressUse::listen}) {
      TOFU_FUZZ_CHECK(Address::explainInvalid(input, use).find("; expected ") != std::string::npos);
    }
  } else {
    const Address& address = parsed.value();
    if (tcp) {
      TOFU_FUZZ_CHECK(address.kind() == (tls ? AddressKind::tls : AddressKind::tcp));
      TOFU_FUZZ_CHECK(address.host() == parts[1] && !address.host().empty());
      TOFU_FUZZ_CHECK(address.port() == *impl::decimalPort(parts[2]));
      TOFU_FUZZ_CHECK(address.toString() ==
                      std::string(parts[0]) + "|" + address.host() + "|" + std::to_string(address.port()));
    } else {
      TOFU_FUZZ_CHECK(address.kind() == AddressKind::uds);
      TOFU_FUZZ_CHECK(address.path() == parts[1]);
      TOFU_FUZZ_CHECK(!address.path().empty() && address.path().size() <= kMaxUdsPathLength);
      TOFU_FUZZ_CHECK(address.toString() == input);
    }
    const Result<Address> again = Address::parse(address.toString());
    TOFU_FUZZ_CHECK(again.ok());
    TOFU_FUZZ_CHECK(again.value() == address);
    TOFU_FUZZ_CHECK(again.value().toString() == address.toString());
    impl::checkRequestRoundTrip(address, OpCode::HelloRequest);
    impl::checkRequestRoundTrip(address, OpCode::WelcomeRequest);
  }

  // The same bytes as the text headers of a received HelloRequest: the first address header
  // decides; it must be ~connect_to and parse (PROTOCOL.md 7.2, B8).
  MessagePtr message = Message::create();
  message->setOpCode(OpCode::HelloRequest);
  message->headers().buffer().assign(input);
  const Result<Address> carried = addressOf(*message);
  const std::vector<TextHeader> records = impl::modelRead(message->headers().buffer().view());
  const auto first = std::find_if(records.begin(), records.end(), [](const TextHeader& record) {
    return record.name == kConnectToHeader || record.name == kListenOnHeader;
  });
  if (first == records.end() || first->name != kConnectToHeader) {
    TOFU_FUZZ_CHECK(carried.status() == Status::invalid_address);
  } else {
    const Result<Address> direct = Address::parse(first->value);
    TOFU_FUZZ_CHECK(carried.status() == direct.status());
    if (direct.ok()) TOFU_FUZZ_CHECK(carried.value() == direct.value());
  }
}

}  // namespace tofu::fuzz
