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

}  // namespace
}  // namespace lookalike
