#include "lookalike/status.h"

#include <gtest/gtest.h>

namespace lookalike {
namespace {

TEST(StatusTest, OkIsOkAndEmpty) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kOk);
  EXPECT_EQ(s.ToString(), "ok");
  EXPECT_EQ(s.message(), "");
}

TEST(StatusTest, ErrorCarriesCodeAndMessage) {
  Status s = Status::InvalidArgument("dimension 3 != 4");
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_EQ(s.ToString(), "invalid_argument: dimension 3 != 4");
  Status copy = s;
  EXPECT_EQ(copy.ToString(), s.ToString());
  EXPECT_EQ(s.WithContext("vector").message(), "vector: dimension 3 != 4");
}

TEST(StatusTest, TypeSurvivesCopyAndContext) {
  Status s = Status::InvalidArgument("bad field").WithType("mapper_parsing_exception");
  EXPECT_EQ(s.type(), "mapper_parsing_exception");
  EXPECT_EQ(s.WithContext("doc 7").type(), "mapper_parsing_exception");
  EXPECT_EQ(Status::NotFound("x").type(), "");
  EXPECT_EQ(Status::OK().WithType("t").type(), "");
}

Result<int> Half(int x) {
  if (x % 2) return Status::InvalidArgument("odd");
  return x / 2;
}

Status UseHalf(int x, int* out) {
  LOOKALIKE_ASSIGN_OR_RETURN(int h, Half(x));
  *out = h;
  return Status::OK();
}

TEST(ResultTest, ValueOrStatusPropagates) {
  int out = 0;
  EXPECT_TRUE(UseHalf(8, &out).ok());
  EXPECT_EQ(out, 4);
  Status s = UseHalf(3, &out);
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_EQ(out, 4);
}

}  // namespace
}  // namespace lookalike
