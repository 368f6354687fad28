#include "common/json_writer.h"

#include <gtest/gtest.h>

#include <limits>

namespace lookalike {
namespace {

TEST(JsonWriterTest, NestedStructureWithCommas) {
  JsonWriter w;
  w.BeginObject()
      .Key("a").Int(-3)
      .Key("b").BeginArray().UInt(1).Bool(true).Null().String("x").EndArray()
      .Key("c").BeginObject().EndObject()
      .Key("d").Raw("{\"k\":[1,2]}")
      .EndObject();
  EXPECT_EQ(w.str(), R"({"a":-3,"b":[1,true,null,"x"],"c":{},"d":{"k":[1,2]}})");
}

TEST(JsonWriterTest, EscapesStringsAndKeys) {
  JsonWriter w;
  w.BeginObject().Key("q\"k").String("line\nbreak\\tab\t\x01").EndObject();
  EXPECT_EQ(w.str(), "{\"q\\\"k\":\"line\\nbreak\\\\tab\\t\\u0001\"}");
}

TEST(JsonWriterTest, NumbersRoundTripAndNonFiniteIsNull) {
  JsonWriter w;
  w.BeginArray().Double(0.1).Float(0.5f).Double(std::numeric_limits<double>::infinity())
      .Float(std::numeric_limits<float>::quiet_NaN()).EndArray();
  EXPECT_EQ(w.str(), "[0.1,0.5,null,null]");
}

TEST(JsonWriterTest, InvalidUtf8BecomesReplacementCharacters) {
  // Valid multi-byte text passes through; every byte that is not part of a well-formed
  // sequence (stray continuation, truncated lead, overlong, surrogate) becomes U+FFFD.
  JsonWriter w;
  w.BeginArray()
      .String("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80")
      .String("a\xff" "b")
      .String("\x80")
      .String("\xc3")
      .String("\xc0\xaf")
      .String("\xed\xa0\x80")
      .EndArray();
  EXPECT_EQ(w.str(),
            "[\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\",\"a\\ufffdb\",\"\\ufffd\","
            "\"\\ufffd\",\"\\ufffd\\ufffd\",\"\\ufffd\\ufffd\\ufffd\"]");
  EXPECT_TRUE(IsValidUtf8(w.str()));
}

TEST(JsonWriterTest, IsValidUtf8) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain"));
  EXPECT_TRUE(IsValidUtf8("\xf4\x8f\xbf\xbf"));   // U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xe0\x80\x80"));       // overlong
  EXPECT_FALSE(IsValidUtf8("ab\xe2\x82"));          // truncated
}

}  // namespace
}  // namespace lookalike
