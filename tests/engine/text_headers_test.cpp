// Text headers: the reference reader's tolerance (WIRE-VECTORS V9, PROTOCOL.md 2.6) and the
// strict writer (B9).
#include "tofu/text_headers.h"

#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace tofu {
namespace {

// Owned copies, so the expectations do not depend on the section outliving them.
using Records = std::vector<std::pair<std::string, std::string>>;

Records recordsOf(const TextHeaders& headers) {
  Records records;
  for (const TextHeader& header : headers) records.emplace_back(header.name, header.value);
  return records;
}

Records recordsOf(std::string_view section) {
  TextHeaders headers;
  headers.buffer().append(section);
  return recordsOf(headers);
}

TEST(TextHeaders, V9_SingleRecordWithoutCrLf) { EXPECT_EQ(recordsOf("a: b"), (Records{{"a", "b"}})); }

TEST(TextHeaders, V9_EmptyRecordsSkippedAndValuesTrimmed) {
  EXPECT_EQ(recordsOf("a: b\r\nc:  \r\nd:e\r\n\r\nf: g\r\n\r\n"),
            (Records{{"a", "b"}, {"c", ""}, {"d", "e"}, {"f", "g"}}));
}

TEST(TextHeaders, V9_LeadingEmptyNameYieldsNothing) { EXPECT_EQ(recordsOf(": ss\r\n\r\n"), Records{}); }

TEST(TextHeaders, V9_EmptyNameEndsIteration) {
  EXPECT_EQ(recordsOf("a:b\r\n\r\n: ss\r\n\r\n"), (Records{{"a", "b"}}));
  EXPECT_EQ(recordsOf("a:b\r\n:x\r\nc:d\r\n"), (Records{{"a", "b"}}));
}

TEST(TextHeaders, V9_AddressValueTrimmedOfSpacesAndTabs) {
  EXPECT_EQ(recordsOf("~connect_to: tcp|h|1\r\n"), (Records{{"~connect_to", "tcp|h|1"}}));
  EXPECT_EQ(recordsOf("x:\t v w \t\r\n"), (Records{{"x", "v w"}}));
}

TEST(TextHeaders, ReaderSplitsAtTheFirstColonOnly) {
  EXPECT_EQ(recordsOf("url:http://h:80/p\r\n"), (Records{{"url", "http://h:80/p"}}));
}

TEST(TextHeaders, ReaderKeepsNameUntrimmed) { EXPECT_EQ(recordsOf(" a :b\r\n"), (Records{{" a ", "b"}})); }

TEST(TextHeaders, ReaderRecordWithoutColonIsANameWithEmptyValue) {
  EXPECT_EQ(recordsOf("flag\r\nk:v"), (Records{{"flag", ""}, {"k", "v"}}));
}

TEST(TextHeaders, ReaderEmptySectionHasNoRecords) {
  const TextHeaders headers;
  EXPECT_EQ(headers.begin(), headers.end());
  EXPECT_EQ(recordsOf("\r\n\r\n"), Records{});
}

TEST(TextHeaders, IteratorPostIncrementAndArrow) {
  TextHeaders headers;
  ASSERT_EQ(headers.append("a", "1"), HeaderCheck::ok);
  ASSERT_EQ(headers.append("b", "2"), HeaderCheck::ok);
  auto it = headers.begin();
  const auto old = it++;
  EXPECT_EQ(old->name, "a");
  EXPECT_EQ(it->name, "b");
  EXPECT_NE(old, it);
  ++it;
  EXPECT_EQ(it, headers.end());
}

TEST(TextHeaders, AppendWritesNameColonValueCrLfWithoutSpace) {
  TextHeaders headers;
  EXPECT_EQ(headers.append("~connect_to", "tcp|127.0.0.1|7099"), HeaderCheck::ok);
  EXPECT_EQ(headers.append("k", " v"), HeaderCheck::ok);  // values are not trimmed when written
  EXPECT_EQ(headers.buffer().view(), "~connect_to:tcp|127.0.0.1|7099\r\nk: v\r\n");
  EXPECT_EQ(headers.size(), 38u);
}

TEST(TextHeaders, AppendTrimsNameOfSpacesTabsCrLf) {
  TextHeaders headers;
  EXPECT_EQ(headers.append(" \t\r\nname\n\r\t ", "v"), HeaderCheck::ok);
  EXPECT_EQ(headers.buffer().view(), "name:v\r\n");
}

struct Rejection {
  const char* name;
  const char* value;
  HeaderCheck expected;
};

TEST(TextHeaders, B9_RejectsEachBadHeaderAndAppendsNothing) {
  const Rejection cases[] = {
      {"", "v", HeaderCheck::emptyName},
      {" \t\r\n", "v", HeaderCheck::emptyName},
      {"a:b", "v", HeaderCheck::nameHasColon},
      {":", "v", HeaderCheck::nameHasColon},
      {"a\rb", "v", HeaderCheck::nameHasLineBreak},
      {"a\nb", "v", HeaderCheck::nameHasLineBreak},
      {"a", "", HeaderCheck::emptyValue},
      {"a", "x\r\ninjected:1", HeaderCheck::valueHasLineBreak},
      {"a", "x\r", HeaderCheck::valueHasLineBreak},
      {"a", "\nx", HeaderCheck::valueHasLineBreak},
  };
  for (const Rejection& rejection : cases) {
    TextHeaders headers;
    ASSERT_EQ(headers.append("keep", "me"), HeaderCheck::ok);
    EXPECT_EQ(headers.append(rejection.name, rejection.value), rejection.expected)
        << '"' << rejection.name << "\" / \"" << rejection.value << '"';
    EXPECT_EQ(headers.buffer().view(), "keep:me\r\n");
  }
}

TEST(TextHeaders, B9_HeaderCheckNames) {
  EXPECT_STREQ(toString(HeaderCheck::ok), "ok");
  EXPECT_STREQ(toString(HeaderCheck::emptyName), "emptyName");
  EXPECT_STREQ(toString(HeaderCheck::nameHasColon), "nameHasColon");
  EXPECT_STREQ(toString(HeaderCheck::nameHasLineBreak), "nameHasLineBreak");
  EXPECT_STREQ(toString(HeaderCheck::emptyValue), "emptyValue");
  EXPECT_STREQ(toString(HeaderCheck::valueHasLineBreak), "valueHasLineBreak");
  EXPECT_STREQ(toString(static_cast<HeaderCheck>(200)), "unknown");
}

TEST(TextHeaders, WrittenHeadersReadBack) {
  TextHeaders headers;
  ASSERT_EQ(headers.append("a", "1"), HeaderCheck::ok);
  ASSERT_EQ(headers.append("b", "x:y"), HeaderCheck::ok);
  ASSERT_EQ(headers.append("a", "2"), HeaderCheck::ok);
  EXPECT_EQ(recordsOf(headers), (Records{{"a", "1"}, {"b", "x:y"}, {"a", "2"}}));
}

TEST(TextHeaders, FindReturnsTheFirstExactMatch) {
  TextHeaders headers;
  ASSERT_EQ(headers.append("Name", "upper"), HeaderCheck::ok);
  ASSERT_EQ(headers.append("name", "first"), HeaderCheck::ok);
  ASSERT_EQ(headers.append("name", "second"), HeaderCheck::ok);
  EXPECT_EQ(headers.find("name"), "first");
  EXPECT_EQ(headers.find("Name"), "upper");
  EXPECT_EQ(headers.find("nam"), std::nullopt);
  EXPECT_EQ(headers.find("names"), std::nullopt);
}

TEST(TextHeaders, FindStopsWhereIterationStops) {
  TextHeaders headers;
  headers.buffer().append("a:1\r\n:x\r\nb:2\r\n");
  EXPECT_EQ(headers.find("a"), "1");
  EXPECT_EQ(headers.find("b"), std::nullopt);
}

TEST(TextHeaders, ResetEmptiesTheSection) {
  TextHeaders headers;
  ASSERT_EQ(headers.append("a", "1"), HeaderCheck::ok);
  headers.reset();
  EXPECT_TRUE(headers.empty());
  EXPECT_EQ(headers.begin(), headers.end());
}

}  // namespace
}  // namespace tofu
