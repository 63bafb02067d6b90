// Addresses: strict parsing (B8), header formatting (K3, WIRE-VECTORS V8) and the
// Hello/WelcomeRequest helpers.
#include "tofu/address.h"

#include <cstdlib>
#include <string>
#include <utility>

#include <gtest/gtest.h>

#include "tofu/message.h"
#include "tofu/test_helpers.h"

#include <unistd.h>

namespace tofu {
namespace {

void expectTcp(std::string_view value, std::string_view host, std::uint16_t port) {
  const Result<Address> parsed = Address::parse(value);
  ASSERT_TRUE(parsed.ok()) << value;
  EXPECT_EQ(parsed.value().kind(), AddressKind::tcp) << value;
  EXPECT_EQ(parsed.value().host(), host) << value;
  EXPECT_EQ(parsed.value().port(), port) << value;
}

TEST(Address, B8_GoodTcpValues) {
  expectTcp("tcp|127.0.0.1|7099", "127.0.0.1", 7099);
  expectTcp("tcp|0.0.0.0|0", "0.0.0.0", 0);  // port 0: the listener picks one
  expectTcp("tcp|example.org|65535", "example.org", 65535);
  expectTcp("tcp|::1|7099", "::1", 7099);  // IPv6 literal without brackets
  expectTcp("tcp|fe80::1:2:3|1", "fe80::1:2:3", 1);
  expectTcp("tcp|h|00080", "h", 80);
}

TEST(Address, B8_GoodUdsValues) {
  const Result<Address> parsed = Address::parse("uds|/tmp/tofu_4242_0.port");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed.value().kind(), AddressKind::uds);
  EXPECT_EQ(parsed.value().path(), "/tmp/tofu_4242_0.port");
  EXPECT_EQ(parsed.value(), Address::uds("/tmp/tofu_4242_0.port"));

  const std::string longest = "/" + std::string(kMaxUdsPathLength - 1, 'p');
  EXPECT_TRUE(Address::parse("uds|" + longest).ok());
  EXPECT_TRUE(Address::parse("uds|/tmp/with space.sock").ok());  // a legal file name
}

TEST(Address, B8_RejectsMalformedValues) {
  const std::string tooLongPath = "/" + std::string(kMaxUdsPathLength, 'p');
  const std::string tooLongHost(256, 'h');
  const std::string rejected[] = {
      "",
      "tcp",
      "tcp|",
      "tcp|127.0.0.1",
      "tcp|127.0.0.1|7099|x",  // extra part
      "tcp|127.0.0.1|7099|",
      "uds|/tmp/a|b",        // extra part
      "udp|127.0.0.1|7099",  // unknown token
      "TCP|127.0.0.1|7099",  // tokens are case-sensitive
      "x|127.0.0.1|7099",
      "uds",
      "tcp||7099",       // empty host
      "tcp|127.0.0.1|",  // empty port
      "tcp|127.0.0.1|65536",
      "tcp|127.0.0.1|-1",
      "tcp|127.0.0.1|7x",
      "tcp|127.0.0.1|+7",
      "tcp|127.0.0.1|123456",
      "tcp|127.0.0.1|000080",  // six digits
      "uds|",                  // empty path
      "uds|" + tooLongPath,
      "tcp|" + tooLongHost + "|1",
      " tcp|127.0.0.1|7099",  // spaces
      "tcp |127.0.0.1|7099",
      "tcp| 127.0.0.1|7099",
      "tcp|127.0.0.1 |7099",
      "tcp|127.0.0.1| 7099",
      "tcp|127.0.0.1|7099 ",
      "tcp|127.0.0.1|\t7099",
      std::string("uds|/tmp/a\0b", 12),  // NUL would cut sun_path short
      "uds|/tmp/a\r\n",
  };
  for (const std::string& value : rejected) {
    EXPECT_EQ(Address::parse(value).status(), Status::invalid_address) << '"' << value << '"';
  }
}

// Each reason parse() refuses a value for, as explainInvalid() words it: the flaw, then the
// form that was expected. The texts are what a Qt user reads in errorString().
TEST(Address, ExplainInvalidNamesTheFlawAndTheExpectedForm) {
  const std::string tooLongPath = "/" + std::string(kMaxUdsPathLength, 'p');
  const std::pair<std::string, std::string> cases[] = {
      {"", "the address is empty; expected tcp|HOST|PORT or uds|PATH"},
      {"127.0.0.1:7099", "no '|' separator; expected tcp|HOST|PORT or uds|PATH"},
      {"tcp://127.0.0.1:7099", "no '|' separator; expected tcp|HOST|PORT or uds|PATH"},
      {"udp|127.0.0.1|7099", "unknown scheme 'udp'; expected tcp|HOST|PORT or uds|PATH"},
      {"TCP|127.0.0.1|7099", "unknown scheme 'TCP'; expected tcp|HOST|PORT or uds|PATH"},
      {"tcp|127.0.0.1", "no '|' between host and port; expected tcp|HOST|PORT"},
      {"tcp||7099", "empty host; expected tcp|HOST|PORT"},
      {"tcp|" + std::string(256, 'h') + "|1", "host longer than 255 characters; expected tcp|HOST|PORT"},
      {"tcp|my host|1", "host 'my host' contains a blank, line break or NUL; expected tcp|HOST|PORT"},
      {"tcp|127.0.0.1|", "empty port; expected tcp|HOST|PORT"},
      {"tcp|127.0.0.1|7099|x", "more after the port: '7099|x'; expected tcp|HOST|PORT"},
      {"tcp|127.0.0.1|7x", "port '7x' is not a decimal number; expected tcp|HOST|PORT"},
      {"tcp|127.0.0.1|-1", "port '-1' is not a decimal number; expected tcp|HOST|PORT"},
      {"tcp|127.0.0.1|000080", "port '000080' has more than 5 digits; expected tcp|HOST|PORT"},
      {"tcp|127.0.0.1|123456", "port '123456' has more than 5 digits; expected tcp|HOST|PORT"},
      {"tcp|127.0.0.1|99999",
       "port '99999' is out of range 1..65535 (0 only to listen on any free port); expected tcp|HOST|PORT"},
      {"tcp|127.0.0.1|65536",
       "port '65536' is out of range 1..65535 (0 only to listen on any free port); expected tcp|HOST|PORT"},
      {"uds|", "empty path; expected uds|PATH"},
      {"uds|" + tooLongPath, "path longer than 107 bytes; expected uds|PATH"},
      {"uds|/tmp/a|b", "the path contains '|'; expected uds|PATH"},
      {"uds|/tmp/a\r\n", "the path contains a line break or NUL; expected uds|PATH"},
      {"uds|/tmp/x ", "the path ends in a blank, which the header reader trims; expected uds|PATH"},
  };
  for (const auto& [value, reason] : cases) {
    ASSERT_FALSE(Address::parse(value).ok()) << value;
    EXPECT_EQ(Address::explainInvalid(value, AddressUse::connect), reason) << value;
    EXPECT_EQ(Address::explainInvalid(value, AddressUse::listen), reason) << value;
  }
}

// The I/O thread's own rules (docs/behaviour.md, "Addresses"), for values that parse.
TEST(Address, ExplainInvalidKnowsWhatListeningAndConnectingNeed) {
  EXPECT_EQ(Address::explainInvalid("tcp|127.0.0.1|0", AddressUse::connect),
            "connecting needs a port of 1..65535, not 0");
  EXPECT_EQ(Address::explainInvalid("tcp|localhost|0", AddressUse::connect),
            "connecting needs a port of 1..65535, not 0");
  EXPECT_EQ(Address::explainInvalid("tcp|localhost|0", AddressUse::listen),
            "listening needs an IP address as host (0.0.0.0, 127.0.0.1, ::1), not the host name 'localhost'");
  EXPECT_EQ(Address::explainInvalid("tcp|no-such-host.invalid|1", AddressUse::connect),
            "the host name 'no-such-host.invalid' could not be resolved");
  for (const char* usable : {"tcp|127.0.0.1|7099", "tcp|::1|1", "tcp|fe80::1:2:3|1", "uds|/tmp/x.sock"}) {
    EXPECT_EQ(Address::explainInvalid(usable, AddressUse::connect), "") << usable;
    EXPECT_EQ(Address::explainInvalid(usable, AddressUse::listen), "") << usable;
  }
  EXPECT_EQ(Address::explainInvalid("tcp|0.0.0.0|0", AddressUse::listen), "");
  EXPECT_EQ(Address::explainInvalid("tcp|::|0", AddressUse::listen), "");
}

TEST(Address, K3_FormatThenParseGivesTheSameAddress) {
  const Address addresses[] = {
      Address(),
      Address::tcp("127.0.0.1", 7099),
      Address::tcp("::1", 0),
      Address::tcp("example.org", 65535),
      Address::uds("/tmp/tofu_1_2.port"),
  };
  for (const Address& address : addresses) {
    const Result<Address> parsed = Address::parse(address.toString());
    ASSERT_TRUE(parsed.ok()) << address.toString();
    EXPECT_EQ(parsed.value(), address) << address.toString();
  }
}

TEST(Address, K3_ToStringSyntax) {
  EXPECT_EQ(Address().toString(), "tcp|127.0.0.1|7099");
  EXPECT_EQ(Address::tcp("::1", 7).toString(), "tcp|::1|7");
  EXPECT_EQ(Address::uds("/tmp/x.sock").toString(), "uds|/tmp/x.sock");
}

TEST(Address, V8_ListenOnTcpRecord) {
  MessagePtr message = Message::create();
  ASSERT_EQ(prepareWelcomeRequest(*message, Address::tcp("0.0.0.0", 7099)), Status::success);
  EXPECT_EQ(message->headers().buffer().view(), "~listen_on:tcp|0.0.0.0|7099\r\n");
  EXPECT_EQ(message->headers().size(), 29u);
}

TEST(Address, V8_ConnectToIpv6Record) {
  MessagePtr message = Message::create();
  ASSERT_EQ(prepareHelloRequest(*message, Address::tcp("::1", 7099)), Status::success);
  EXPECT_EQ(message->headers().buffer().view(), "~connect_to:tcp|::1|7099\r\n");
  EXPECT_EQ(message->headers().size(), 26u);
}

TEST(Address, V8_ConnectToUdsRecord) {
  MessagePtr message = Message::create();
  ASSERT_EQ(prepareHelloRequest(*message, Address::uds("/tmp/tofu_4242_0.port")), Status::success);
  EXPECT_EQ(message->headers().buffer().view(), "~connect_to:uds|/tmp/tofu_4242_0.port\r\n");
  EXPECT_EQ(message->headers().size(), 39u);
}

TEST(Address, V8_HandWrittenEmptyHostIsInvalid) {
  MessagePtr message = Message::create();
  message->setOpCode(OpCode::WelcomeRequest);
  message->headers().buffer().append("~listen_on:tcp||7099\r\n");
  ASSERT_EQ(message->headers().size(), 22u);
  EXPECT_EQ(addressOf(*message).status(), Status::invalid_address);
}

TEST(Address, PrepareHelloRequestResetsHeaderAndKeepsSections) {
  MessagePtr message = Message::create();
  message->header() = {0x42, {OpCode::Signal, Origin::engine, true}, Status::pool_empty, 9, 0, 0};
  ASSERT_EQ(message->headers().append("app", "1"), HeaderCheck::ok);
  message->body().append("payload");

  ASSERT_EQ(prepareHelloRequest(*message, Address()), Status::success);

  EXPECT_EQ(message->header(), BinaryHeader::forOpCode(OpCode::HelloRequest));
  EXPECT_EQ(message->headers().buffer().view(), "app:1\r\n~connect_to:tcp|127.0.0.1|7099\r\n");
  EXPECT_EQ(message->body().view(), "payload");
}

TEST(Address, PrepareWelcomeRequestSetsOpCodeAndListenOn) {
  MessagePtr message = Message::create();
  message->setChannelNumber(3);
  ASSERT_EQ(prepareWelcomeRequest(*message, Address::uds("/tmp/s")), Status::success);
  EXPECT_EQ(message->header(), BinaryHeader::forOpCode(OpCode::WelcomeRequest));
  EXPECT_EQ(message->headers().find(kListenOnHeader), "uds|/tmp/s");
}

TEST(Address, PrepareRefusesUnformattableAddressesWithWrongAddress) {
  for (const Address& address : {Address::tcp("", 7099), Address::uds("")}) {
    MessagePtr message = Message::create();
    message->setChannelNumber(5);
    EXPECT_EQ(prepareHelloRequest(*message, address), Status::wrong_address);
    EXPECT_EQ(prepareWelcomeRequest(*message, address), Status::wrong_address);
    EXPECT_EQ(message->channelNumber(), 5);  // untouched
    EXPECT_TRUE(message->headers().empty());
  }
}

TEST(Address, PrepareRefusesAddressesThatWouldNotReadBackAsThemselves) {
  // Found by fuzzing: the header reader trims values, so a trailing blank changes the path.
  for (const Address& unreadable : {Address::uds("/tmp/x "), Address::uds("/tmp/x\t"), Address::tcp("a|b", 1),
                                    Address::uds("/tmp/a|b")}) {
    auto message = Message::create();
    message->setMessageId(9);
    EXPECT_EQ(prepareHelloRequest(*message, unreadable), Status::wrong_address) << unreadable.toString();
    EXPECT_TRUE(message->headers().empty()) << "nothing appended";
    EXPECT_EQ(message->messageId(), 9u) << "header untouched";
  }
  EXPECT_EQ(Address::parse("uds|/tmp/x ").status(), Status::invalid_address);
  EXPECT_EQ(Address::parse("uds|/tmp/x\t").status(), Status::invalid_address);
}

TEST(Address, AddressOfReadsWhatPrepareWrote) {
  MessagePtr hello = Message::create();
  ASSERT_EQ(prepareHelloRequest(*hello, Address::tcp("::1", 7099)), Status::success);
  const Result<Address> peer = addressOf(*hello);
  ASSERT_TRUE(peer.ok());
  EXPECT_EQ(peer.value(), Address::tcp("::1", 7099));

  MessagePtr welcome = Message::create();
  ASSERT_EQ(prepareWelcomeRequest(*welcome, Address::uds("/tmp/w")), Status::success);
  const Result<Address> local = addressOf(*welcome);
  ASSERT_TRUE(local.ok());
  EXPECT_EQ(local.value(), Address::uds("/tmp/w"));
}

TEST(Address, B8_KindMismatchIsInvalidAddress) {
  MessagePtr hello = Message::create();
  ASSERT_EQ(prepareWelcomeRequest(*hello, Address()), Status::success);
  hello->setOpCode(OpCode::HelloRequest);  // carries ~listen_on
  EXPECT_EQ(addressOf(*hello).status(), Status::invalid_address);

  MessagePtr welcome = Message::create();
  ASSERT_EQ(prepareHelloRequest(*welcome, Address()), Status::success);
  welcome->setOpCode(OpCode::WelcomeRequest);  // carries ~connect_to
  EXPECT_EQ(addressOf(*welcome).status(), Status::invalid_address);
}

TEST(Address, B8_OtherOpCodesHaveNoAddress) {
  MessagePtr message = Message::create();
  ASSERT_EQ(prepareHelloRequest(*message, Address()), Status::success);
  for (const OpCode op : {OpCode::Request, OpCode::HelloResponse, OpCode::WelcomeResponse, OpCode::Signal}) {
    message->setOpCode(op);
    EXPECT_EQ(addressOf(*message).status(), Status::invalid_address) << toString(op);
  }
}

TEST(Address, FirstAddressHeaderDecides) {
  MessagePtr message = Message::create();
  message->setOpCode(OpCode::HelloRequest);
  ASSERT_EQ(message->headers().append("x", "1"), HeaderCheck::ok);
  ASSERT_EQ(message->headers().append(kConnectToHeader, "tcp|first|1"), HeaderCheck::ok);
  ASSERT_EQ(message->headers().append(kConnectToHeader, "tcp|second|2"), HeaderCheck::ok);
  const Result<Address> first = addressOf(*message);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first.value(), Address::tcp("first", 1));

  // A bad first header is not skipped in favour of a good later one.
  MessagePtr bad = Message::create();
  bad->setOpCode(OpCode::HelloRequest);
  ASSERT_EQ(bad->headers().append(kConnectToHeader, "tcp|first|99999"), HeaderCheck::ok);
  ASSERT_EQ(bad->headers().append(kConnectToHeader, "tcp|second|2"), HeaderCheck::ok);
  EXPECT_EQ(addressOf(*bad).status(), Status::invalid_address);

  // Nor is a wrong-kind first header.
  MessagePtr mixed = Message::create();
  mixed->setOpCode(OpCode::HelloRequest);
  ASSERT_EQ(mixed->headers().append(kListenOnHeader, "tcp|l|1"), HeaderCheck::ok);
  ASSERT_EQ(mixed->headers().append(kConnectToHeader, "tcp|c|2"), HeaderCheck::ok);
  EXPECT_EQ(addressOf(*mixed).status(), Status::invalid_address);
}

TEST(Address, ReaderToleranceAppliesToAddressHeaders) {
  MessagePtr message = Message::create();
  message->setOpCode(OpCode::HelloRequest);
  message->headers().buffer().append("~connect_to: tcp|h|1\r\n");  // V9: value trimmed
  const Result<Address> address = addressOf(*message);
  ASSERT_TRUE(address.ok());
  EXPECT_EQ(address.value(), Address::tcp("h", 1));

  MessagePtr untrimmedName = Message::create();
  untrimmedName->setOpCode(OpCode::HelloRequest);
  untrimmedName->headers().buffer().append(" ~connect_to:tcp|h|1\r\n");
  EXPECT_EQ(addressOf(*untrimmedName).status(), Status::invalid_address);
}

TEST(Address, MissingAddressHeaderIsInvalidAddress) {
  MessagePtr message = Message::create();
  message->setOpCode(OpCode::HelloRequest);
  EXPECT_EQ(addressOf(*message).status(), Status::invalid_address);
  ASSERT_EQ(message->headers().append("~connect", "tcp|h|1"), HeaderCheck::ok);
  EXPECT_EQ(addressOf(*message).status(), Status::invalid_address);
}

TEST(TestHelpers, T1_FindFreeTcpPortReturnsAPort) { EXPECT_GT(testing::findFreeTcpPort(), 0); }

TEST(TestHelpers, TempUdsPathsDifferAndParseAsUdsAddresses) {
  const std::string first = testing::tempUdsPath();
  const std::string second = testing::tempUdsPath();
  EXPECT_NE(first, second);
  const std::string prefix = "/tofu_" + std::to_string(::getpid()) + "_";
  EXPECT_NE(first.find(prefix), std::string::npos) << first;
  EXPECT_TRUE(first.ends_with(".port")) << first;
  EXPECT_TRUE(Address::parse("uds|" + first).ok()) << first;
}

TEST(TestHelpers, TempUdsPathFallsBackToTmpWhenTmpdirIsTooLong) {
  const char* saved = std::getenv("TMPDIR");
  const std::string savedValue = saved != nullptr ? saved : "";
  ASSERT_EQ(::setenv("TMPDIR", ("/" + std::string(120, 'd')).c_str(), 1), 0);
  const std::string path = testing::tempUdsPath();
  ASSERT_EQ(::setenv("TMPDIR", "/var/tmp/", 1), 0);
  const std::string slashed = testing::tempUdsPath();
  if (saved != nullptr) {
    ::setenv("TMPDIR", savedValue.c_str(), 1);
  } else {
    ::unsetenv("TMPDIR");
  }
  EXPECT_TRUE(path.starts_with("/tmp/tofu_")) << path;
  EXPECT_LE(path.size(), kMaxUdsPathLength);
  EXPECT_TRUE(slashed.starts_with("/var/tmp/tofu_")) << slashed;
}

}  // namespace
}  // namespace tofu
