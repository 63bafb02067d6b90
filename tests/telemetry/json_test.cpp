// The JSON under the telemetry codec: the writer's escaping, commas and base64 (RFC 8259, RFC
// 4648), and the reader: what it accepts, what it refuses and how deep it nests.
#include <string>

#include <gtest/gtest.h>

#include "tofu/telemetry/json_value.h"
#include "tofu/telemetry/json_writer.h"

namespace tofu::telemetry {
namespace {

std::string jsonQuoted(std::string_view text) {
  std::string out;
  appendJsonString(out, text);
  return out;
}

TEST(TelemetryJsonTest, StringsAreEscapedPerRfc8259) {
  EXPECT_EQ(jsonQuoted("plain"), R"("plain")");
  EXPECT_EQ(jsonQuoted("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(jsonQuoted("\n\r\t\b\f"), R"("\n\r\t\b\f")");
  EXPECT_EQ(jsonQuoted(std::string("\x01\x1f\x7f", 3)), R"("\u0001\u001f\u007f")");
  EXPECT_EQ(jsonQuoted(std::string("nul\0", 4)), R"("nul\u0000")");
  EXPECT_EQ(jsonQuoted("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x8d\xa3"),
            "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x8d\xa3\"");
  // Bytes that are not UTF-8 (a stray continuation, a truncated sequence, an overlong form)
  // become the code point of the same value.
  EXPECT_EQ(jsonQuoted("\x80"), R"("\u0080")");
  EXPECT_EQ(jsonQuoted("\xc3"), R"("\u00c3")");
  EXPECT_EQ(jsonQuoted("\xc0\xaf"), R"("\u00c0\u00af")");
  EXPECT_EQ(jsonQuoted("\xed\xa0\x80"), R"("\u00ed\u00a0\u0080")");  // a UTF-16 surrogate
}

TEST(TelemetryJsonTest, WrittenStringsReadBack) {
  for (const std::string& text : {std::string("a\"\\\n\x01 caf\xc3\xa9"), std::string("\xf0\x9f\x8d\xa3/")}) {
    const std::optional<JsonValue> value = JsonValue::parse(jsonQuoted(text));
    ASSERT_TRUE(value);
    EXPECT_EQ(value->text(), text);
  }
}

TEST(TelemetryJsonTest, WriterPlacesCommas) {
  JsonWriter json;
  json.beginObject().key("a").beginArray().value(std::uint64_t{1}).value(std::int64_t{-2}).value(true).null();
  json.beginObject().endObject().endArray().field("b", "x").endObject();
  EXPECT_EQ(json.text(), R"({"a":[1,-2,true,null,{}],"b":"x"})");
}

TEST(TelemetryJsonTest, Base64PerRfc4648) {
  const auto encoded = [](std::string_view bytes) {
    JsonWriter json;
    json.base64(bytes);
    return json.take();
  };
  EXPECT_EQ(encoded(""), R"("")");
  EXPECT_EQ(encoded("f"), R"("Zg==")");
  EXPECT_EQ(encoded("fo"), R"("Zm8=")");
  EXPECT_EQ(encoded("foo"), R"("Zm9v")");
  EXPECT_EQ(encoded("foob"), R"("Zm9vYg==")");
  EXPECT_EQ(encoded("fooba"), R"("Zm9vYmE=")");
  EXPECT_EQ(encoded("foobar"), R"("Zm9vYmFy")");
  EXPECT_EQ(encoded(std::string("\x00\xff\xfe", 3)), R"("AP/+")");
}

TEST(TelemetryJsonTest, ReaderKeepsMemberOrderAndNumberText) {
  const std::optional<JsonValue> value = JsonValue::parse(
      R"( {"b":18446744073709551615,"a":[-9223372036854775808,1.5e3,"\u00e9\ud83c\udf63"],"b":2} )");
  ASSERT_TRUE(value);
  ASSERT_EQ(value->keys(), (std::vector<std::string>{"b", "a", "b"}));
  EXPECT_EQ(value->uintAt("b"), 18446744073709551615u);  // the first of two, exact
  const std::vector<JsonValue>& items = value->find("a")->items();
  EXPECT_EQ(items[0].asInt64(), INT64_MIN);
  EXPECT_EQ(items[1].text(), "1.5e3");
  EXPECT_FALSE(items[1].asUint64());  // not an integer
  EXPECT_EQ(items[2].text(), "\xc3\xa9\xf0\x9f\x8d\xa3");
  EXPECT_EQ(value->stringAt("missing", "fallback"), "fallback");
  EXPECT_EQ(value->intAt("a", 7), 7);  // mistyped: the fallback
}

TEST(TelemetryJsonTest, ReaderRefusesWhatIsNotJson) {
  for (const char* text :
       {"", "{", "{nope", R"({"a":1,})", R"({"a" 1})", "[1 2]", R"("open)", "\"tab\there\"", R"("\x")",
        R"("\u12")", "01", "-", "1.", "1e", "tru", "{} {}", "nul"}) {
    std::string error;
    EXPECT_FALSE(JsonValue::parse(text, &error)) << text;
    EXPECT_NE(error.find(" at byte "), std::string::npos) << text << ": " << error;
  }
}

TEST(TelemetryJsonTest, ReaderNestsAtMost64Levels) {
  const auto nested = [](int depth) {
    return std::string(static_cast<std::size_t>(depth), '[') +
           std::string(static_cast<std::size_t>(depth), ']');
  };
  EXPECT_TRUE(JsonValue::parse(nested(65)));
  std::string error;
  EXPECT_FALSE(JsonValue::parse(nested(66), &error));
  EXPECT_EQ(error.rfind("nested too deeply", 0), 0u) << error;
  EXPECT_FALSE(JsonValue::parse(nested(100000)));  // refused, not a stack overflow
}

}  // namespace
}  // namespace tofu::telemetry
