// ByteBuffer: capacity in 256-byte steps, kept across reset(), deep copies.
#include "tofu/byte_buffer.h"

#include <string>

#include <gtest/gtest.h>

namespace tofu {
namespace {

TEST(ByteBuffer, DefaultCapacityIsOneStep) {
  const ByteBuffer buffer;
  EXPECT_EQ(buffer.capacity(), ByteBuffer::kCapacityStep);
  EXPECT_EQ(buffer.size(), 0u);
  EXPECT_TRUE(buffer.empty());
}

TEST(ByteBuffer, InitialCapacityRoundsUpToAStep) {
  EXPECT_EQ(ByteBuffer(0).capacity(), 0u);
  EXPECT_EQ(ByteBuffer(1).capacity(), 256u);
  EXPECT_EQ(ByteBuffer(256).capacity(), 256u);
  EXPECT_EQ(ByteBuffer(257).capacity(), 512u);
}

TEST(ByteBuffer, AppendConcatenatesAndGrowsInSteps) {
  ByteBuffer buffer;
  buffer.append("abc");
  const char raw[] = {'\0', 'd'};
  buffer.append(raw, sizeof raw);
  EXPECT_EQ(buffer.view(), std::string_view("abc\0d", 5));

  const std::string big(1000, 'x');
  buffer.append(big);
  EXPECT_EQ(buffer.size(), 1005u);
  EXPECT_GE(buffer.capacity(), 1005u);
  EXPECT_EQ(buffer.capacity() % ByteBuffer::kCapacityStep, 0u);
  EXPECT_EQ(buffer.view().substr(5), big);
}

TEST(ByteBuffer, CapacityStaysAMultipleOfTheStepUnderManyAppends) {
  ByteBuffer buffer(0);
  std::string expected;
  for (int i = 0; i < 2000; ++i) {
    const std::string piece(static_cast<std::size_t>(i % 7 + 1), static_cast<char>('a' + i % 26));
    buffer.append(piece);
    expected += piece;
    ASSERT_EQ(buffer.capacity() % ByteBuffer::kCapacityStep, 0u);
    ASSERT_GE(buffer.capacity(), buffer.size());
  }
  EXPECT_EQ(buffer.view(), expected);
}

TEST(ByteBuffer, AppendOfItsOwnContentsIsSafeWhileGrowing) {
  ByteBuffer buffer;
  buffer.append(std::string(200, 'q'));
  buffer.append(buffer.view());  // needs 400 > 256: the source moves during the append
  EXPECT_EQ(buffer.view(), std::string(400, 'q'));
}

TEST(ByteBuffer, ResetKeepsCapacity) {
  ByteBuffer buffer;
  buffer.append(std::string(3000, 'z'));
  const std::size_t capacity = buffer.capacity();
  buffer.reset();
  EXPECT_EQ(buffer.size(), 0u);
  EXPECT_EQ(buffer.capacity(), capacity);
  const std::uint8_t* storage = buffer.data();
  buffer.append(std::string(3000, 'y'));
  EXPECT_EQ(buffer.data(), storage);  // no reallocation for the same load
}

TEST(ByteBuffer, ResizeGrowsAndKeepsExistingBytes) {
  ByteBuffer buffer;
  buffer.append("head");
  buffer.resize(65535);
  EXPECT_EQ(buffer.size(), 65535u);
  EXPECT_EQ(buffer.capacity(), 65536u);
  EXPECT_EQ(buffer.view().substr(0, 4), "head");
  buffer.data()[65534] = 0x7F;
  EXPECT_EQ(buffer.data()[65534], 0x7F);
  buffer.resize(2);
  EXPECT_EQ(buffer.view(), "he");
  EXPECT_EQ(buffer.capacity(), 65536u);
}

TEST(ByteBuffer, AssignReplacesContents) {
  ByteBuffer buffer;
  buffer.append("old contents");
  buffer.assign("new");
  EXPECT_EQ(buffer.view(), "new");
  buffer.assign(std::string(700, 'n'));
  EXPECT_EQ(buffer.view(), std::string(700, 'n'));
  EXPECT_EQ(buffer.capacity(), 768u);
  buffer.assign(buffer.view().substr(690));  // a part of itself
  EXPECT_EQ(buffer.view(), std::string(10, 'n'));
}

TEST(ByteBuffer, CopyIsDeepAndIndependent) {
  ByteBuffer original;
  original.append("shared?");
  ByteBuffer copy(original);
  EXPECT_EQ(copy.view(), "shared?");
  EXPECT_NE(copy.data(), original.data());
  copy.data()[0] = 'S';
  EXPECT_EQ(original.view(), "shared?");

  ByteBuffer assigned;
  assigned.append(std::string(1000, 'a'));
  assigned = original;
  EXPECT_EQ(assigned.view(), "shared?");
  original.append(" no");
  EXPECT_EQ(assigned.view(), "shared?");
  const ByteBuffer& self = assigned;
  assigned = self;  // self-assignment keeps the contents
  EXPECT_EQ(assigned.view(), "shared?");
}

TEST(ByteBuffer, SpanCoversTheContents) {
  ByteBuffer buffer;
  buffer.append("\x01\x02\x03");
  const auto bytes = buffer.span();
  ASSERT_EQ(bytes.size(), 3u);
  EXPECT_EQ(bytes[0], 1);
  EXPECT_EQ(bytes[2], 3);
}

TEST(ByteBuffer, MovedFromBufferIsEmptyAndUsable) {
  ByteBuffer source;
  source.assign("payload");
  ByteBuffer target(std::move(source));
  EXPECT_EQ(target.view(), "payload");
  EXPECT_EQ(source.size(), 0u);  // NOLINT(bugprone-use-after-move): the state is documented
  EXPECT_EQ(source.capacity(), 0u);
  source.append("again");
  EXPECT_EQ(source.view(), "again");

  ByteBuffer assigned;
  assigned = std::move(target);
  EXPECT_EQ(assigned.view(), "payload");
  EXPECT_TRUE(target.empty());  // NOLINT(bugprone-use-after-move)
  target.assign("reused");
  EXPECT_EQ(target.view(), "reused");
}

}  // namespace
}  // namespace tofu
